"""Torch-free inference for transformer model directories: tokenizer + onnxruntime.

Everything here needs only the standard library, numpy and onnxruntime (the
library's ordinary dependencies), never torch or transformers.

- :class:`WordPieceTokenizer` reimplements BERT's tokenisation (the rule of
  ``transformers.BertTokenizer`` with ``do_lower_case=True``,
  ``tokenize_chinese_chars=True``, accents stripped) and reproduces its ids;
  the rule is written out in ``docs/TRANSFORMER.md`` for hosts in other languages.
  Bases trained on SentencePiece pieces (e5) use :class:`~.unigram.UnigramTokenizer`
  instead; the card's ``tokenizer.type`` says which (:func:`load_tokenizer`).
- :class:`TransformerModel` loads a model directory (``model.json`` with
  ``"format": "feedback-nlp/transformer"``) and exposes what
  :class:`feedback_nlp.pipeline.FeedbackAnalyzer` uses from ``NgramModel``:
  ``heads``, ``routing``, ``card``, ``path`` and ``predict_proba(norm_texts)``,
  plus :meth:`TransformerModel.embed` (mean-pooled sentence embeddings for
  :class:`feedback_nlp.cluster.ProblemClusterer`'s ``embeddings=``).

Model directory layout (plain data only; torch weights only as safetensors)::

    model.json           card: format, tokenizer settings, tasks (labels, kind,
                         thresholds, metrics), ONNX input/output names, command
    vocab.txt            one token per line, id = line number (0-based); or, for a
                         ``sentencepiece-unigram`` tokenizer, unigram.json (pieces, scores, normalisation)
    model.onnx           float32 graph: input_ids, attention_mask (int64 [batch, seq])
                         -> <task> probabilities [batch, k] per task, logits, embeddings [batch, hidden]
    model.int8.onnx      optional: the same graph with int8 dynamically quantised weights (by default
                         those of the feed-forward blocks only; ``onnx.int8_quantization`` in model.json)
    encoder/             optional: the fine-tuned encoder (config.json, model.safetensors)
    heads.safetensors    optional: the linear heads' torch weights
    routing.json, README.md   optional
"""
from __future__ import annotations

import json
import re
import threading
import unicodedata
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..modeling import (ALLOWED_SUFFIXES, ModelFormatError, heads_from_card, read_model_card, resolve_model_path,
                        routing_from_card)
from ..tasks.base import HeadSpec
from .sequences import SequenceTokenizer
from .unigram import TYPE as UNIGRAM
from .unigram import UnigramTokenizer

FORMAT = "feedback-nlp/transformer"
FORMAT_VERSION = 1
#: File types a transformer model directory may hold: the n-gram list plus safetensors.
TRANSFORMER_ALLOWED_SUFFIXES = set(ALLOWED_SUFFIXES) | {".safetensors"}
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
WORDPIECE = "bert-wordpiece"


# --- tokenisation ----------------------------------------------------------------------------
def _is_whitespace(ch: str) -> bool:
    # tab/newline/CR, the space separators (Zs) and the line/paragraph separators
    # (Unicode White_Space minus the control characters, which are dropped before)
    if ch in (" ", "\t", "\n", "\r", "\u2028", "\u2029"):
        return True
    return unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def normalize_for_bert(text: str, do_lower_case: bool = True, strip_accents: Optional[bool] = None) -> str:
    """Steps 1-4 of the rule (docs/TRANSFORMER.md): clean, isolate CJK characters,
    strip accents, lower-case (character by character)."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    text = "".join(out)
    if strip_accents or (strip_accents is None and do_lower_case):
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    if do_lower_case:
        text = "".join(c.lower() for c in text)  # per character: no final-sigma rule
    return text


def basic_tokenize(text: str, do_lower_case: bool = True, strip_accents: Optional[bool] = None) -> list[str]:
    """BERT's basic tokenisation: :func:`normalize_for_bert`, split on whitespace,
    every punctuation character a word of its own. Returns the words."""
    words = []
    cur: list[str] = []
    for ch in normalize_for_bert(text, do_lower_case, strip_accents):
        if ch == " " or _is_whitespace(ch):
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punctuation(ch):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


class WordPieceTokenizer(SequenceTokenizer):
    """Pure-Python BERT tokenizer reproducing ``transformers.BertTokenizer`` ids.

    Parameters
    ----------
    vocab : list of str
        Tokens in id order (``vocab.txt``, one per line).
    max_len : int
        Sequences are ``[CLS] + tokens[: max_len - 2] + [SEP]``.
    """

    def __init__(self, vocab: Sequence[str], max_len: int = 128, do_lower_case: bool = True,
                 strip_accents: Optional[bool] = None, unk_token: str = "[UNK]", cls_token: str = "[CLS]",
                 sep_token: str = "[SEP]", pad_token: str = "[PAD]", mask_token: str = "[MASK]",
                 max_input_chars_per_word: int = 100):
        self.vocab = {tok: i for i, tok in enumerate(vocab)}
        if len(self.vocab) != len(vocab):
            # BertTokenizer keeps the last id of a duplicated line
            self.vocab = {}
            for i, tok in enumerate(vocab):
                self.vocab[tok] = i
        self.inv_vocab = list(vocab)
        if max_len < 2:
            raise ValueError("max_len must be >= 2")
        self.max_len = max_len
        self.do_lower_case = do_lower_case
        self.strip_accents = strip_accents
        self.max_input_chars_per_word = max_input_chars_per_word
        for name, tok in (("unk", unk_token), ("cls", cls_token), ("sep", sep_token), ("pad", pad_token)):
            if tok not in self.vocab:
                raise ValueError(f"vocabulary has no {name} token {tok!r}")
        self.unk_token = unk_token
        self.unk_id, self.cls_id = self.vocab[unk_token], self.vocab[cls_token]
        self.sep_id, self.pad_id = self.vocab[sep_token], self.vocab[pad_token]
        self.mask_id = self.vocab.get(mask_token)
        # Special tokens written in the raw text are kept whole (as BertTokenizer does).
        specials = sorted({t for t in (unk_token, cls_token, sep_token, pad_token, mask_token) if t in self.vocab},
                          key=len, reverse=True)
        self._special_re = re.compile("(" + "|".join(re.escape(t) for t in specials) + ")")
        self._cache: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path, **kwargs) -> "WordPieceTokenizer":
        with open(path, encoding="utf-8") as f:
            vocab = [line.rstrip("\n").rstrip("\r") for line in f]
        # BertTokenizer strips each line; a trailing empty line is not a token
        vocab = [t.strip() for t in vocab]
        while vocab and vocab[-1] == "":
            vocab.pop()
        return cls(vocab, **kwargs)

    def __len__(self) -> int:
        return len(self.inv_vocab)

    def wordpiece(self, word: str) -> list[int]:
        """Greedy longest-match-first WordPiece of one basic-tokenised word."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(word) > self.max_input_chars_per_word:
            ids = [self.unk_id]
        else:
            ids = []
            start, n = 0, len(word)
            while start < n:
                end = n
                cur = None
                while start < end:
                    sub = word[start:end]
                    if start > 0:
                        sub = "##" + sub
                    if sub in self.vocab:
                        cur = self.vocab[sub]
                        break
                    end -= 1
                if cur is None:
                    ids = [self.unk_id]
                    break
                ids.append(cur)
                start = end
        if len(self._cache) < 200_000:
            self._cache[word] = ids
        return ids

    def tokenize_ids(self, text: str) -> list[int]:
        """Token ids without [CLS]/[SEP] and without truncation."""
        ids: list[int] = []
        for i, part in enumerate(self._special_re.split(text)):
            if i % 2 == 1:
                ids.append(self.vocab[part])
                continue
            for word in basic_tokenize(part, self.do_lower_case, self.strip_accents):
                ids.extend(self.wordpiece(word))
        return ids

    def tokenize(self, text: str) -> list[str]:
        return [self.inv_vocab[i] for i in self.tokenize_ids(text)]

    def save(self, directory: str | Path) -> dict:
        """Write ``vocab.txt`` and a ``BertTokenizer`` ``tokenizer_config.json`` into ``directory``;
        return the model card's ``tokenizer`` entry."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "vocab.txt").write_text("".join(t + "\n" for t in self.inv_vocab), encoding="utf-8")
        (directory / "tokenizer_config.json").write_text(json.dumps(
            {"tokenizer_class": "BertTokenizer", "do_lower_case": self.do_lower_case, "tokenize_chinese_chars": True,
             "model_max_length": self.max_len}, indent=2), encoding="utf-8")
        return {"type": WORDPIECE, "vocab": "vocab.txt", "do_lower_case": self.do_lower_case,
                "strip_accents": self.strip_accents, "tokenize_chinese_chars": True, "max_len": self.max_len,
                "rule": "docs/TRANSFORMER.md#tokenisation",
                "special_tokens": {"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]"}}


def load_tokenizer(directory: str | Path, config: dict) -> "WordPieceTokenizer | UnigramTokenizer":
    """The tokenizer a model card's ``tokenizer`` entry describes (WordPiece unless its
    ``type`` is :data:`feedback_nlp.transformer.unigram.TYPE`), files read from ``directory``."""
    directory = Path(directory)
    max_len = int(config.get("max_len", 128))
    kind = config.get("type", WORDPIECE)
    if kind == UNIGRAM:
        return UnigramTokenizer.from_file(directory / config.get("file", "unigram.json"), max_len=max_len)
    if kind != WORDPIECE:
        raise ValueError(f"unknown tokenizer type {kind!r} (known: {WORDPIECE}, {UNIGRAM})")
    return WordPieceTokenizer.from_file(directory / config.get("vocab", "vocab.txt"), max_len=max_len,
                                        do_lower_case=bool(config.get("do_lower_case", True)),
                                        strip_accents=config.get("strip_accents"))


# --- the model -----------------------------------------------------------------------------
def check_transformer_files(directory: Path) -> None:
    """Refuse a directory with file types a model never needs (pickles, .bin, .pt, code)."""
    for f in directory.rglob("*"):
        if f.is_file() and f.suffix.lower() not in TRANSFORMER_ALLOWED_SUFFIXES and f.name != "README":
            raise ModelFormatError(
                f"refusing to load {directory}: unexpected file {f.relative_to(directory)} "
                f"(allowed: {', '.join(sorted(TRANSFORMER_ALLOWED_SUFFIXES))}); model directories never hold "
                "pickles or code")


def is_transformer_dir(path: str | Path) -> bool:
    """True when ``path`` is a local directory whose model.json says ``feedback-nlp/transformer``."""
    p = Path(path) / "model.json"
    try:
        return json.loads(p.read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError):
        return False


class TransformerModel:
    """An ONNX encoder with one head per task, scored through onnxruntime.

    Same interface as :class:`feedback_nlp.modeling.NgramModel` as far as the
    pipeline is concerned: ``heads``, ``routing``, ``card``, ``path``,
    ``predict_proba(norm_texts)``.

    Parameters
    ----------
    quantized : bool
        Use ``model.int8.onnx`` (int8 weights, smaller, slightly different probabilities;
        faster only on CPUs with fast int8 dot products, see docs/TRANSFORMER.md#int8)
        instead of ``model.onnx``.
    batch_size : int
        Texts per onnxruntime call; texts are sorted by length inside
        :meth:`predict` so a batch is padded little.
    """

    def __init__(self, directory: Path, card: dict, tokenizer: WordPieceTokenizer | UnigramTokenizer,
                 heads: dict[str, HeadSpec], session, routing: Optional[dict] = None, batch_size: int = 32):
        self.path: Optional[Path] = directory
        self.card = card
        self.tokenizer = tokenizer
        self.heads = heads
        self.tasks = list(heads)
        self.session = session
        self.routing = routing
        self.batch_size = batch_size
        self._outputs = [o.name for o in session.get_outputs()]
        missing = [t for t in self.tasks if t not in self._outputs]
        if missing or "embeddings" not in self._outputs:
            raise ModelFormatError(f"{directory}: the ONNX graph lacks output(s) "
                                   f"{', '.join(missing + ([] if 'embeddings' in self._outputs else ['embeddings']))}")

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, *, quantized: bool = False, batch_size: int = 32,
                        providers: Optional[Sequence[str]] = None, intra_op_num_threads: Optional[int] = None
                        ) -> "TransformerModel":
        directory = resolve_model_path(name_or_path)
        check_transformer_files(directory)
        card = read_model_card(directory, FORMAT, FORMAT_VERSION)
        try:
            tokenizer = load_tokenizer(directory, card.get("tokenizer", {}))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelFormatError(f"{directory}: cannot load the tokenizer: {e}") from None
        heads = heads_from_card(card, directory)
        onnx_cfg = card.get("onnx", {})
        fname = onnx_cfg.get("int8" if quantized else "float32", "model.int8.onnx" if quantized else "model.onnx")
        onnx_path = directory / fname
        if not onnx_path.is_file():
            raise ModelFormatError(f"{directory}: missing {fname}")
        import onnxruntime as ort

        opts = ort.SessionOptions()
        if intra_op_num_threads:
            opts.intra_op_num_threads = intra_op_num_threads
        try:
            session = ort.InferenceSession(str(onnx_path), opts, providers=list(providers or ["CPUExecutionProvider"]))
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelFormatError(f"{directory}: cannot load {fname}: {e}") from None
        routing = routing_from_card(card, directory)
        return cls(directory, card, tokenizer, heads, session, routing, batch_size)

    # -- scoring -----------------------------------------------------------------------------
    def predict(self, norm_texts: Sequence[str], with_embeddings: bool = True) -> tuple[dict[str, np.ndarray], Optional[np.ndarray]]:
        """``(probabilities per task, embeddings or None)`` for already-normalised texts."""
        texts = list(norm_texts)
        n = len(texts)
        probs = {t: np.zeros((n, len(h.labels)), np.float32) for t, h in self.heads.items()}
        emb = None
        if n == 0:
            return probs, (np.zeros((0, 0), np.float32) if with_embeddings else None)
        encoded = [self.tokenizer.encode(t) for t in texts]
        order = sorted(range(n), key=lambda i: len(encoded[i]))
        names = self.tasks + (["embeddings"] if with_embeddings else [])
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            ids, mask = self.tokenizer.pad([encoded[i] for i in idx])
            outs = self.session.run(names, {"input_ids": ids, "attention_mask": mask})
            for t, o in zip(self.tasks, outs):
                probs[t][idx] = o
            if with_embeddings:
                e = outs[-1]
                if emb is None:
                    emb = np.zeros((n, e.shape[1]), np.float32)
                emb[idx] = e
        return probs, emb

    def predict_proba(self, norm_texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Probabilities per task for already-normalised texts (softmax / sigmoid in the graph)."""
        return self.predict(norm_texts, with_embeddings=False)[0]

    def embed(self, norm_texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled last-layer token states, ``[n, hidden]`` float32 (for ProblemClusterer)."""
        return self.predict(norm_texts, with_embeddings=True)[1]

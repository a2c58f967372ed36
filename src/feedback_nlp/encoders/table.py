"""Table encoders: sparse token features times a dense table, at n-gram speed.

A text becomes its char n-grams (+ jieba words), weighted ``(1 + ln tf) * weight[token]``
and scaled to unit L2 (``norm="l2"``, a TF-IDF row) or unit sum (``norm="l1"``, a weighted
average); the encoding is that row times ``table`` ([vocabulary, dim]), minus ``mean``, with
the directions in ``remove`` projected out, L2-normalised. One shape serves

- a learned linear projection of TF-IDF features into a teacher encoder's space
  (``training/train_semantic_encoder.py``: ridge regression on unlabelled texts), and
- domain word vectors averaged with SIF weights (``weight = a / (a + p(token))``) and
  their first principal component removed.

An optional *label block* appends what a linear multi-label head over the same weighted
tokens says: ``label_weight * l2(sigmoid(row @ label_table + label_bias))`` after the
(L2-normalised) projection. Why: two complaints about different issue types are never
the same problem, and a teacher's sentence space does not know our taxonomy; the block
keeps them apart (issue 13: ARI on held-out train problems 0.185 -> 0.259, see
``models/feedback-zh-semantic/README.md``).

A model directory holds plain arrays, no pickles: ``encoder.json`` (settings and the
card), ``vocab.json`` (token strings in row order; jieba words prefixed with ``w:``),
``weights.npy`` [V] float32, ``table.npy`` [V, dim] float16 or float32, and optionally
``mean.npy`` [dim], ``remove.npy`` [k, dim] and the label block's ``label_table.npy`` [V, L]
and ``label_bias.npy`` [L] (its label names and weight in ``encoder.json``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from ..modeling import ModelFormatError
from .base import Encoder
from .ngram import WORD_PREFIX, count_tokens

__all__ = ["TableEncoder"]

FORMAT = "feedback-nlp-table-encoder"
_FILE_WORD = "w:"  # jieba words in vocab.json (the in-memory prefix is a control character)


class TableEncoder(Encoder):
    """``encode(texts) = l2(remove_top(weighted_tokens(texts) @ table - mean))`` (see the module docstring).

    Parameters
    ----------
    vocab : sequence of str
        Token of each table row (char n-grams; jieba words start with ``WORD_PREFIX``).
    table : array [V, dim]
    weights : array [V]
        Per-token weight (idf for a projection, SIF weight for word vectors).
    ngram_range, use_words : as in :class:`~feedback_nlp.encoders.ngram.TextVectorizer`.
    norm : "l2" or "l1"
        Scaling of each text's weighted token row before the product.
    mean, remove : optional arrays [dim], [k, dim]
        Subtracted / projected out after the product (centring, common components).
    name, default_threshold : the encoder's name and its clustering threshold.
    card : dict
        Free-form provenance written into ``encoder.json`` (teacher, licence, data, metrics).
    label_table, label_bias, label_names, label_weight : optional label block
        ([V, L], [L], L names, its weight against the unit-length projection); ``dim`` grows by L.
    """

    def __init__(self, vocab: Sequence[str], table: np.ndarray, weights: np.ndarray, *, ngram_range=(1, 3),
                 use_words: bool = False, norm: str = "l2", mean: Optional[np.ndarray] = None,
                 remove: Optional[np.ndarray] = None, name: str = "semantic", default_threshold: float = 0.5,
                 card: Optional[dict] = None, chunk_tokens: int = 8192, label_table: Optional[np.ndarray] = None,
                 label_bias: Optional[np.ndarray] = None, label_names: Sequence[str] = (), label_weight: float = 0.0):
        self.vocab = list(vocab)
        self.table = np.asarray(table)
        self.weights = np.asarray(weights, dtype=np.float32)
        if self.table.ndim != 2 or len(self.table) != len(self.vocab) or self.weights.shape != (len(self.vocab),):
            raise ValueError(f"table {self.table.shape} and weights {self.weights.shape} must have one row per "
                             f"vocabulary token ({len(self.vocab)})")
        if norm not in ("l1", "l2"):
            raise ValueError(f"norm must be 'l1' or 'l2', got {norm!r}")
        self.proj_dim = int(self.table.shape[1])
        self.label_table = None if label_table is None else np.asarray(label_table)
        self.label_names = list(label_names)
        self.label_weight = float(label_weight)
        if self.label_table is not None:
            self.label_bias = np.asarray(label_bias, dtype=np.float32).reshape(-1)
            if self.label_table.shape != (len(self.vocab), len(self.label_names)) or \
                    self.label_bias.shape != (len(self.label_names),):
                raise ValueError(f"label block {self.label_table.shape} / bias {self.label_bias.shape} must be "
                                 f"[{len(self.vocab)}, {len(self.label_names)}] / [{len(self.label_names)}]")
            self._label32 = np.ascontiguousarray(self.label_table, dtype=np.float32)
        self.dim = self.proj_dim + (len(self.label_names) if self.label_table is not None else 0)
        self.ngram_range = tuple(ngram_range)
        self.use_words = bool(use_words)
        self.norm = norm
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float32).reshape(self.proj_dim)
        self.remove = None if remove is None else np.asarray(remove, dtype=np.float32).reshape(-1, self.proj_dim)
        self.name = name
        self.default_threshold = float(default_threshold)
        self.card = dict(card or {})
        self.chunk_tokens = chunk_tokens
        self._index = {t: i for i, t in enumerate(self.vocab)}
        # float16 on disk halves the files; float32 in memory: a float16 gather converts on every call.
        self._table32 = np.ascontiguousarray(self.table, dtype=np.float32)

    # -- encoding ------------------------------------------------------------------------
    def token_rows(self, norms: Sequence[str]):
        """Sparse weighted rows ``(indptr, ids, w)`` of normalised texts (unknown tokens skipped)."""
        indptr, ids, counts = count_tokens(norms, self._index, False, self.ngram_range, self.use_words)
        w = (1.0 + np.log(counts)) * self.weights[ids]
        lengths = np.diff(indptr)
        nonempty = lengths > 0
        scale = np.zeros(len(norms), dtype=np.float64)
        if len(w):
            part = (w * w) if self.norm == "l2" else np.abs(w)
            scale[nonempty] = np.add.reduceat(part.astype(np.float64), indptr[:-1][nonempty])
        scale = np.sqrt(scale) if self.norm == "l2" else scale
        scale[scale == 0] = 1.0
        return indptr, ids, (w / np.repeat(scale, lengths)).astype(np.float32)

    def _product(self, indptr, ids, w, table: np.ndarray) -> np.ndarray:
        """Sparse weighted rows times ``table``, in chunks of ~chunk_tokens tokens (the gathered
        rows stay in cache: 3x faster than 400k at once)."""
        n = len(indptr) - 1
        out = np.zeros((n, table.shape[1]), dtype=np.float32)
        s = 0
        while s < n:
            e = int(np.searchsorted(indptr, indptr[s] + self.chunk_tokens, side="right")) - 1
            e = min(n, max(e, s + 1))
            a, b = indptr[s], indptr[e]
            if b > a:
                rows = np.repeat(np.arange(e - s), np.diff(indptr[s:e + 1]))
                vals = table[ids[a:b]] * w[a:b, None]
                starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
                out[s + rows[starts]] = np.add.reduceat(vals, starts, axis=0)
            s = e
        return out

    def label_proba(self, norms: Sequence[str]) -> np.ndarray:
        """The label block's probabilities ``[n, L]`` (sigmoid per label) for normalised texts."""
        if self.label_table is None:
            raise ValueError(f"encoder {self.name!r} has no label block")
        z = self._product(*self.token_rows(norms), self._label32) + self.label_bias
        return 1.0 / (1.0 + np.exp(-z))

    def _encode(self, norms: Sequence[str]) -> np.ndarray:
        indptr, ids, w = self.token_rows(norms)
        out = self._product(indptr, ids, w, self._table32)
        empty = np.diff(indptr) == 0
        if self.mean is not None:
            out -= self.mean
        if self.remove is not None and len(self.remove):
            out -= (out @ self.remove.T) @ self.remove
        if self.label_table is not None:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
            p = 1.0 / (1.0 + np.exp(-(self._product(indptr, ids, w, self._label32) + self.label_bias)))
            p *= self.label_weight / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
            out = np.hstack([out, p.astype(np.float32)])
        out[empty] = 0.0  # a text with no known token carries no signal
        return out

    # -- persistence ---------------------------------------------------------------------
    def save_pretrained(self, directory) -> Path:
        """Write the model directory (plain .npy arrays + JSON; see the module docstring)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        np.save(d / "table.npy", self.table, allow_pickle=False)
        np.save(d / "weights.npy", self.weights, allow_pickle=False)
        block = (self.label_table, self.label_bias) if self.label_table is not None else (None, None)
        for fname, arr in (("mean.npy", self.mean), ("remove.npy", self.remove), ("label_table.npy", block[0]),
                           ("label_bias.npy", block[1])):
            if arr is not None:
                np.save(d / fname, arr, allow_pickle=False)
            elif (d / fname).exists():
                (d / fname).unlink()
        vocab = [_FILE_WORD + t[len(WORD_PREFIX):] if t.startswith(WORD_PREFIX) else t for t in self.vocab]
        (d / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        spec: dict[str, Any] = {"format": FORMAT, "name": self.name, "dim": self.dim,
                                "ngram_range": list(self.ngram_range), "use_words": self.use_words,
                                "norm": self.norm, "default_threshold": self.default_threshold,
                                "vocab_size": len(self.vocab), "card": self.card}
        if self.label_table is not None:
            spec["label_block"] = {"labels": self.label_names, "weight": self.label_weight}
        (d / "encoder.json").write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return d

    @classmethod
    def from_pretrained(cls, directory) -> "TableEncoder":
        """Load a directory written by :meth:`save_pretrained` (arrays loaded without pickle)."""
        d = Path(directory)
        try:
            spec = json.loads((d / "encoder.json").read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ModelFormatError(f"{d} is not an encoder directory (no encoder.json)") from e
        if spec.get("format") != FORMAT:
            raise ModelFormatError(f"{d / 'encoder.json'}: format is {spec.get('format')!r}, expected {FORMAT!r}")
        vocab = json.loads((d / "vocab.json").read_text(encoding="utf-8"))
        vocab = [WORD_PREFIX + t[len(_FILE_WORD):] if t.startswith(_FILE_WORD) else t for t in vocab]

        def opt(fname):
            return np.load(d / fname, allow_pickle=False) if (d / fname).is_file() else None

        return cls(vocab, np.load(d / "table.npy", allow_pickle=False), np.load(d / "weights.npy", allow_pickle=False),
                   ngram_range=tuple(spec.get("ngram_range", (1, 3))), use_words=spec.get("use_words", False),
                   norm=spec.get("norm", "l2"), mean=opt("mean.npy"), remove=opt("remove.npy"),
                   name=spec.get("name", "semantic"), default_threshold=spec.get("default_threshold", 0.5),
                   card=spec.get("card"), label_table=opt("label_table.npy"), label_bias=opt("label_bias.npy"),
                   label_names=spec.get("label_block", {}).get("labels", ()),
                   label_weight=spec.get("label_block", {}).get("weight", 0.0))

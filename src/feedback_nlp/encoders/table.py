"""Table encoders: sparse token features times a dense table, at n-gram speed.

A text becomes its char n-grams (+ jieba words), weighted ``(1 + ln tf) * weight[token]``
and scaled to unit L2 (``norm="l2"``, a TF-IDF row) or unit sum (``norm="l1"``, a weighted
average); the encoding is that row times ``table`` ([vocabulary, dim]), minus ``mean``, with
the directions in ``remove`` projected out, times ``whiten`` ([dim, dim], optional),
L2-normalised. One shape serves

- a learned linear projection of TF-IDF features into a teacher encoder's space
  (``training/train_semantic_encoder.py``: ridge regression on unlabelled texts), and
- domain word vectors averaged with SIF weights (``weight = a / (a + p(token))``) and
  their first principal component removed.

``whiten`` is kept apart from ``table`` so that re-tuning it starts from the same projection:
``training/tune_semantic_encoder.py`` sets it to a regularised linear discriminant learned on the
train annotations' problems (directions that vary inside one problem count less; directions that
tell problems apart count more).

A model directory holds plain arrays, no pickles: ``encoder.json`` (settings and the
card), ``vocab.json`` (token strings in row order; jieba words prefixed with ``w:``),
``weights.npy`` [V] float32, ``table.npy`` [V, dim] float16 or float32, and optionally
``mean.npy`` [dim], ``remove.npy`` [k, dim] and ``whiten.npy`` [dim, dim].
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from ..modeling import ModelFormatError
from .base import Encoder, load_optional, save_arrays, weighted_row_sums
from .ngram import WORD_PREFIX, count_tokens

__all__ = ["TableEncoder"]

FORMAT = "feedback-nlp-table-encoder"
_FILE_WORD = "w:"  # jieba words in vocab.json (the in-memory prefix is a control character)


class TableEncoder(Encoder):
    """``encode(texts) = l2(remove_top(weighted_tokens(texts) @ table - mean) @ whiten)`` (see the module docstring).

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
    whiten : optional array [dim, dim]
        Multiplied in last, before the L2 normalisation (a metric learned on labelled problems).
    name, default_threshold : the encoder's name and its clustering threshold.
    card : dict
        Free-form provenance written into ``encoder.json`` (teacher, licence, data, metrics).
    """

    per_text = True

    def __init__(self, vocab: Sequence[str], table: np.ndarray, weights: np.ndarray, *, ngram_range=(1, 3),
                 use_words: bool = False, norm: str = "l2", mean: Optional[np.ndarray] = None,
                 remove: Optional[np.ndarray] = None, whiten: Optional[np.ndarray] = None,
                 name: str = "semantic", default_threshold: float = 0.5,
                 card: Optional[dict] = None, chunk_tokens: int = 512):
        self.vocab = list(vocab)
        self.table = np.asarray(table)
        self.weights = np.asarray(weights, dtype=np.float32)
        if self.table.ndim != 2 or len(self.table) != len(self.vocab) or self.weights.shape != (len(self.vocab),):
            raise ValueError(f"table {self.table.shape} and weights {self.weights.shape} must have one row per "
                             f"vocabulary token ({len(self.vocab)})")
        if norm not in ("l1", "l2"):
            raise ValueError(f"norm must be 'l1' or 'l2', got {norm!r}")
        self.dim = int(self.table.shape[1])
        self.ngram_range = tuple(ngram_range)
        self.use_words = bool(use_words)
        self.norm = norm
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float32).reshape(self.dim)
        self.remove = None if remove is None else np.asarray(remove, dtype=np.float32).reshape(-1, self.dim)
        self.whiten = None if whiten is None else np.asarray(whiten, dtype=np.float32)
        if self.whiten is not None and self.whiten.shape != (self.dim, self.dim):
            raise ValueError(f"whiten must be [{self.dim}, {self.dim}], got {self.whiten.shape}")
        self.name = name
        self.default_threshold = float(default_threshold)
        self.card = dict(card or {})
        self.chunk_tokens = chunk_tokens
        self._index = {t: i for i, t in enumerate(self.vocab)}
        self._key_cache: dict = {}  # count_tokens keeps the vocabulary's packed n-gram keys here
        # float16 on disk halves the files; float32 in memory: a float16 gather converts on every call.
        self._table32 = np.ascontiguousarray(self.table, dtype=np.float32)

    # -- encoding ------------------------------------------------------------------------
    def token_rows(self, norms: Sequence[str]):
        """Sparse weighted rows ``(indptr, ids, w)`` of normalised texts (unknown tokens skipped)."""
        indptr, ids, counts = count_tokens(norms, self._index, False, self.ngram_range, self.use_words, self._key_cache)
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

    def _encode(self, norms: Sequence[str]) -> np.ndarray:
        indptr, ids, w = self.token_rows(norms)
        out = weighted_row_sums(indptr, ids, w, self._table32, self.chunk_tokens)
        empty = np.diff(indptr) == 0
        if self.mean is not None:
            out -= self.mean
        if self.remove is not None and len(self.remove):
            out -= (out @ self.remove.T) @ self.remove
        if self.whiten is not None:
            out = out @ self.whiten
        out[empty] = 0.0  # a text with no known token carries no signal
        return out

    # -- persistence ---------------------------------------------------------------------
    def save_pretrained(self, directory) -> Path:
        """Write the model directory (plain .npy arrays + JSON; see the module docstring)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        save_arrays(d, {"table.npy": self.table, "weights.npy": self.weights, "mean.npy": self.mean,
                        "remove.npy": self.remove, "whiten.npy": self.whiten})
        vocab = [_FILE_WORD + t[len(WORD_PREFIX):] if t.startswith(WORD_PREFIX) else t for t in self.vocab]
        (d / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        spec: dict[str, Any] = {"format": FORMAT, "name": self.name, "dim": self.dim,
                                "ngram_range": list(self.ngram_range), "use_words": self.use_words,
                                "norm": self.norm, "default_threshold": self.default_threshold,
                                "vocab_size": len(self.vocab), "card": self.card}
        (d / "encoder.json").write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return d

    @staticmethod
    def read_spec(directory) -> dict:
        """The ``encoder.json`` of an encoder directory."""
        d = Path(directory)
        try:
            return json.loads((d / "encoder.json").read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ModelFormatError(f"{d} is not an encoder directory (no encoder.json)") from e

    @classmethod
    def from_pretrained(cls, directory, spec: dict | None = None) -> "TableEncoder":
        """Load a directory written by :meth:`save_pretrained` (arrays loaded without pickle);
        ``spec``: its ``encoder.json`` when the caller has read it already."""
        d = Path(directory)
        if spec is None:
            spec = cls.read_spec(d)
        if spec.get("format") != FORMAT:
            raise ModelFormatError(f"{d / 'encoder.json'}: format is {spec.get('format')!r}, expected {FORMAT!r}")
        vocab = json.loads((d / "vocab.json").read_text(encoding="utf-8"))
        vocab = [WORD_PREFIX + t[len(_FILE_WORD):] if t.startswith(_FILE_WORD) else t for t in vocab]

        return cls(vocab, np.load(d / "table.npy", allow_pickle=False), np.load(d / "weights.npy", allow_pickle=False),
                   ngram_range=tuple(spec.get("ngram_range", (1, 3))), use_words=spec.get("use_words", False),
                   norm=spec.get("norm", "l2"), mean=load_optional(d, "mean.npy"),
                   remove=load_optional(d, "remove.npy"), whiten=load_optional(d, "whiten.npy"),
                   name=spec.get("name", "semantic"), default_threshold=spec.get("default_threshold", 0.5),
                   card=spec.get("card"))

"""Domain word vectors: a text as the SIF-weighted mean of its jieba words' vectors.

Paraphrases of one problem share few characters but many near words (亮点 / 坏点 / 死点,
洒 / 漏 / 撒); vectors trained on our own reviews (``training/train_word_vectors.py``, FastText)
put such words together. A text's vector (Arora et al.'s SIF):

1. jieba words (HMM on; punctuation and spaces dropped);
2. the mean of their vectors weighted ``a / (a + p(word))``; a word outside the vocabulary counts
   once (weight 1) as the mean of its characters' vectors, so a new word is not lost;
3. minus its projection on ``remove`` (the first principal component of training texts:
   what all texts share), L2-normalised, times ``whiten`` (a discriminant learned on the train
   annotations' problems), L2-normalised.

A model directory holds plain arrays, no pickles: ``encoder.json``, ``vocab.json`` (words, then
characters), ``vectors.npy`` [words + characters, dim] float16, ``weights.npy`` [words] float32,
and optionally ``remove.npy`` [k, dim] and ``whiten.npy`` [dim, dim].
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ..modeling import ModelFormatError
from .base import Encoder, load_optional, save_arrays, weighted_row_sums

__all__ = ["WordVectorEncoder", "word_tokens"]

FORMAT = "feedback-nlp-word-vectors"
#: Tokens that never count as words.
_SKIP = frozenset("，。！？、,.!?~ ")


def word_tokens(norm: str) -> list[str]:
    """The jieba words of a normalised text (HMM on), without punctuation and spaces."""
    from ..keywords import _get_tokenizer

    return [w for w in _get_tokenizer().lcut(norm) if w.strip() and w not in _SKIP]


class WordVectorEncoder(Encoder):
    """SIF sentence vectors from word vectors (see the module docstring).

    Parameters
    ----------
    words : sequence of str
    vectors : array [len(words) + len(chars), dim]
        The words' vectors, then the characters'.
    weights : array [len(words)]
        SIF weight of each word.
    chars : sequence of str
        Characters whose vectors stand in for words outside the vocabulary.
    remove, whiten : optional arrays [k, dim], [dim, dim]
    name, default_threshold, card : as for the other encoders.
    tokenize : callable, optional
        A normalised text's words (default :func:`word_tokens`). Not saved: a directory loads with the
        default, the tokenisation its vectors were trained on; another one is for probes
        (``training/word_vector_probe.py --tokens keywords``).
    """

    per_text = True

    def __init__(self, words: Sequence[str], vectors: np.ndarray, weights: np.ndarray, chars: Sequence[str] = (), *,
                 remove: Optional[np.ndarray] = None, whiten: Optional[np.ndarray] = None, name: str = "words",
                 default_threshold: float = 0.5, card: Optional[dict] = None,
                 tokenize: Callable[[str], list[str]] = word_tokens):
        self.words, self.chars = list(words), list(chars)
        self.vectors = np.asarray(vectors)
        self.weights = np.asarray(weights, dtype=np.float32)
        n = len(self.words) + len(self.chars)
        if self.vectors.ndim != 2 or len(self.vectors) != n or self.weights.shape != (len(self.words),):
            raise ValueError(f"vectors {self.vectors.shape} need one row per word and character ({n}), "
                             f"weights {self.weights.shape} one per word ({len(self.words)})")
        self.dim = int(self.vectors.shape[1])
        self.remove = None if remove is None else np.asarray(remove, dtype=np.float32).reshape(-1, self.dim)
        self.whiten = None if whiten is None else np.asarray(whiten, dtype=np.float32)
        if self.whiten is not None and self.whiten.shape != (self.dim, self.dim):
            raise ValueError(f"whiten must be [{self.dim}, {self.dim}], got {self.whiten.shape}")
        self.name, self.default_threshold, self.card = name, float(default_threshold), dict(card or {})
        self.tokenize = tokenize
        self._word = {w: i for i, w in enumerate(self.words)}
        self._char = {c: len(self.words) + i for i, c in enumerate(self.chars)}
        self._vectors32 = np.ascontiguousarray(self.vectors, dtype=np.float32)

    # -- encoding ------------------------------------------------------------------------
    def rows(self, norms: Sequence[str]):
        """Sparse weighted rows ``(indptr, ids, w)``: each text's words (SIF weight) and, for a word
        outside the vocabulary, its known characters (weight 1 shared among them); ``w`` sums to 1."""
        word, char, weight = self._word, self._char, self.weights
        indptr, ids, w = [0], [], []
        for norm in norms:
            start = len(ids)
            for tok in self.tokenize(norm):
                j = word.get(tok)
                if j is not None:
                    ids.append(j)
                    w.append(float(weight[j]))
                    continue
                known = [char[c] for c in tok if c in char]
                if known:
                    ids += known
                    w += [1.0 / len(known)] * len(known)
            total = sum(w[start:])
            if total > 0:
                w[start:] = [x / total for x in w[start:]]
            indptr.append(len(ids))
        return np.asarray(indptr, np.int64), np.asarray(ids, np.int64), np.asarray(w, np.float32)

    def mean_vectors(self, norms: Sequence[str]) -> np.ndarray:
        """Step 2 of the module docstring: each text's weighted mean vector (zero without known words)."""
        indptr, ids, w = self.rows(norms)
        return weighted_row_sums(indptr, ids, w, self._vectors32)

    def _encode(self, norms: Sequence[str]) -> np.ndarray:
        X = self.mean_vectors(norms)
        if self.remove is not None:
            X -= (X @ self.remove.T) @ self.remove
        X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        if self.whiten is not None:
            X = X @ self.whiten
            X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        return X

    # -- persistence ---------------------------------------------------------------------
    def save_pretrained(self, directory) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        save_arrays(d, {"vectors.npy": self.vectors, "weights.npy": self.weights, "remove.npy": self.remove,
                        "whiten.npy": self.whiten})
        (d / "vocab.json").write_text(json.dumps({"words": self.words, "chars": self.chars}, ensure_ascii=False),
                                      encoding="utf-8")
        spec: dict[str, Any] = {"format": FORMAT, "name": self.name, "dim": self.dim, "words": len(self.words),
                                "chars": len(self.chars), "default_threshold": self.default_threshold,
                                "card": self.card}
        (d / "encoder.json").write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return d

    @classmethod
    def from_pretrained(cls, directory) -> "WordVectorEncoder":
        d = Path(directory)
        try:
            spec = json.loads((d / "encoder.json").read_text(encoding="utf-8"))
            vocab = json.loads((d / "vocab.json").read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ModelFormatError(f"{d} is not a word-vector encoder directory ({e.filename} missing)") from None
        if spec.get("format") != FORMAT:
            raise ModelFormatError(f"{d / 'encoder.json'}: format is {spec.get('format')!r}, expected {FORMAT!r}")

        try:
            return cls(vocab["words"], np.load(d / "vectors.npy", allow_pickle=False),
                       np.load(d / "weights.npy", allow_pickle=False), vocab.get("chars", []),
                       remove=load_optional(d, "remove.npy"), whiten=load_optional(d, "whiten.npy"), name=spec.get("name", "words"),
                       default_threshold=spec.get("default_threshold", 0.5), card=spec.get("card"))
        except (KeyError, ValueError, OSError) as e:
            raise ModelFormatError(f"{d}: cannot load the word vectors: {e}") from None

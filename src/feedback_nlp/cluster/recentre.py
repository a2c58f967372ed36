"""Similarity relative to the batch: centre the vectors and remove their top principal directions.

All reviews in a batch of complaints share a common direction ("this is a complaint"), so raw cosines
have a floor that depends on the batch, and a fixed merge threshold cuts paraphrases of one problem
apart when their shared meaning sits just above that floor. Removing the batch's mean and its first
principal direction(s) ("all-but-the-top", Mu & Viswanath 2018) measures similarity against the batch
instead. The price: a problem that is a large share of the batch *is* its mean or first direction, and
is removed with it, which is why ``ProblemClusterer(recentre=K)`` also clusters the raw vectors and gives
such a problem back. Opt-in; the figures are in benchmarks/RESULTS.md, "Clustering relative to the batch".
"""
from __future__ import annotations

from typing import Optional

import numpy as np

__all__ = ["fit_recentre", "apply_recentre"]


def fit_recentre(X: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean row of ``X`` and its top ``n_components`` principal directions ([k, d], orthonormal rows).

    The directions are eigenvectors of the centred scatter matrix (d x d, float64), so the cost is one
    pass over ``X`` whatever its length.
    """
    if n_components < 0:
        raise ValueError(f"n_components must be >= 0, got {n_components}")
    X = np.asarray(X, dtype=np.float32)
    mean = X.mean(axis=0, dtype=np.float64)
    k = min(int(n_components), X.shape[1], max(len(X) - 1, 0))
    if k == 0:
        return mean.astype(np.float32), np.zeros((0, X.shape[1]), dtype=np.float32)
    scatter = (X.T @ X).astype(np.float64) - len(X) * np.outer(mean, mean)
    vals, vecs = np.linalg.eigh(scatter)
    top = vecs[:, np.argsort(vals)[::-1][:k]].T
    return mean.astype(np.float32), np.ascontiguousarray(top, dtype=np.float32)


def apply_recentre(X: np.ndarray, mean: np.ndarray, components: Optional[np.ndarray],
                   chunk: int = 8192) -> np.ndarray:
    """``X`` minus ``mean``, minus its projection on ``components``, rows re-normalised (in place on a
    float32 ``X``; a row left at zero stays zero: cosine 0 to everything)."""
    X = np.asarray(X, dtype=np.float32)
    for s in range(0, len(X), chunk):
        B = X[s:s + chunk]
        B -= mean
        if components is not None and len(components):
            B -= (B @ components.T) @ components
        norms = np.linalg.norm(B, axis=1, keepdims=True)
        B /= np.maximum(norms, 1e-12)
    return X

"""Average-linkage agglomerative clustering of unit vectors with a similarity threshold.

Clusters are merged while the mean cosine similarity between their members is at
least ``threshold``. For unit vectors that mean is exactly the dot product of
the cluster means, so clusters are handled by their sums and sizes, and merging
runs in rounds of reciprocal-nearest-neighbour merges (exact for average
linkage). Above a few thousand texts, :func:`spherical_kmeans` first groups
texts into micro-clusters that are then merged.
"""
from __future__ import annotations

import numpy as np

from ..encoders.base import l2_normalize

__all__ = ["average_linkage", "matrix_average_linkage", "spherical_kmeans", "group_means"]


def _reciprocal_merges(S: np.ndarray, threshold: float, merge) -> np.ndarray:
    """Rounds of reciprocal-nearest-neighbour merges on the similarity matrix ``S`` (changed in
    place; its diagonal -inf): every pair of mutual nearest neighbours at least ``threshold``
    apart merges, b into a. ``merge(a, b)`` writes the merged groups' rows and columns of ``S``
    (the linkage). Exact for a reducible linkage such as average linkage; deterministic, ties go
    to the lower index. Returns, for each group, the index of the group it ended up in."""
    k = len(S)
    root = np.arange(k)
    if k < 2:
        return root
    active = np.ones(k, dtype=bool)
    idx = np.arange(k)
    nn = np.argmax(S, axis=1)
    best = S[idx, nn]
    while True:
        cand = active & (best >= threshold) & (nn[nn] == idx) & (idx < nn)
        if not cand.any():
            break
        a = idx[cand]
        b = nn[a]
        merge(a, b)
        active[b] = False
        root[b] = a
        S[np.ix_(a, ~active)] = -np.inf  # merges' columns: retired groups, this round's b included
        S[b, :] = -np.inf
        S[:, b] = -np.inf
        S[a, a] = -np.inf
        # A row needs a new argmax only if it pointed at a merged group or now finds one at least as near.
        touched = np.isin(nn, b) | np.isin(nn, a)
        touched[a] = True
        touched |= (S[:, a] >= best[:, None]).any(axis=1)
        touched &= active
        if touched.any():
            rows = idx[touched]
            nn[rows] = np.argmax(S[rows], axis=1)
            best[rows] = S[rows, nn[rows]]
        best[~active] = -np.inf
    return _compress(root)


def _compress(root: np.ndarray) -> np.ndarray:
    """Path compression: every group points at its surviving root."""
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def average_linkage(sums: np.ndarray, sizes: np.ndarray, threshold: float) -> np.ndarray:
    """Merge groups of unit vectors while their mean pairwise cosine is >= threshold.

    ``sums[i]`` is the sum of group i's vectors and ``sizes[i]`` its count; the
    mean similarity between groups a and b is ``sums[a] @ sums[b] / (n_a n_b)``.
    Returns, for each input group, the index of the group it ended up in.
    Rounds of reciprocal-nearest-neighbour merges: exact average linkage
    (a reducible linkage), deterministic (ties go to the lower index).
    """
    sums = np.asarray(sums, dtype=np.float32).copy()
    sizes = np.asarray(sizes, dtype=np.float32).copy()
    means = sums / sizes[:, None]
    S = means @ means.T
    np.fill_diagonal(S, -np.inf)

    def merge(a, b):
        sums[a] += sums[b]
        sizes[a] += sizes[b]
        means[a] = sums[a] / sizes[a][:, None]
        new = means[a] @ means.T
        S[a, :] = new
        S[:, a] = new.T

    return _reciprocal_merges(S, threshold, merge)


def matrix_average_linkage(W: np.ndarray, sizes: np.ndarray, threshold: float) -> np.ndarray:
    """Average linkage on a given similarity matrix (for similarities that are not dot products, such as
    shared neighbours): merge groups while the size-weighted mean similarity between them is >= threshold.

    ``W[a, b]`` is the similarity of groups a and b (symmetric), ``sizes[a]`` the texts in group a; a merged
    row is the size-weighted mean of its parts' rows (Lance-Williams). Rounds of reciprocal-nearest-neighbour
    merges, as :func:`average_linkage`; returns, for each group, the index of the group it ended up in.
    """
    S = np.array(W, dtype=np.float32, copy=True)
    np.fill_diagonal(S, -np.inf)
    sizes = np.asarray(sizes, dtype=np.float32).copy()

    def merge(a, b):
        wa, wb = sizes[a], sizes[b]
        tot = wa + wb
        # Rows, then columns: the (a1, a2) entry of two merges in one round averages all four parts.
        S[a, :] = (wa[:, None] * S[a, :] + wb[:, None] * S[b, :]) / tot[:, None]
        S[:, a] = (S[:, a] * wa + S[:, b] * wb) / tot
        sizes[a] = tot

    return _reciprocal_merges(S, threshold, merge)


def spherical_kmeans(X: np.ndarray, k: int, rng, n_iter: int = 2, chunk: int = 8192):
    """Micro-clusters: labels [n] and (sums, sizes) of the non-empty ones."""
    n = len(X)
    C = X[np.sort(rng.choice(n, size=k, replace=False))].copy()
    labels = np.zeros(n, dtype=np.int64)
    for it in range(n_iter + 1):
        for s in range(0, n, chunk):
            labels[s:s + chunk] = np.argmax(X[s:s + chunk] @ C.T, axis=1)
        sums = np.zeros((k, X.shape[1]), dtype=np.float64)
        group_sum(X, labels, k, sums)
        sizes = np.bincount(labels, minlength=k)
        if it == n_iter:
            break
        nonempty = sizes > 0
        C[nonempty] = l2_normalize(sums[nonempty].astype(np.float32))
    return labels, sums, sizes


def group_means(X: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Mean row of X for each label in ``groups`` (labels < 0 ignored)."""
    groups = np.asarray(groups)
    g = group_positions(labels, groups)
    sel = g >= 0
    sums = np.zeros((len(groups), X.shape[1]), dtype=np.float64)
    group_sum(X[sel], g[sel], len(groups), sums)
    cnt = np.bincount(g[sel], minlength=len(groups)).astype(np.float64)
    cnt[cnt == 0] = 1
    return (sums / cnt[:, None]).astype(np.float32)


def group_positions(labels: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """For each label, its position in ``groups``; -1 for a negative label or one not in ``groups``."""
    pos = np.full(int(max(labels.max(initial=-1), groups.max(initial=-1))) + 1, -1, dtype=np.int64)
    pos[groups] = np.arange(len(groups))
    return np.where(labels >= 0, pos[np.maximum(labels, 0)], -1)


def group_sum(X, labels, k, out):
    if len(labels) == 0:
        return out
    order = np.argsort(labels, kind="stable")
    sl = labels[order]
    starts = np.flatnonzero(np.r_[True, sl[1:] != sl[:-1]])
    # Summed in float64 without a float64 copy of X (the same sums; 500 MB less at 100k x 622).
    out[sl[starts]] = np.add.reduceat(X[order], starts, axis=0, dtype=np.float64)
    return out

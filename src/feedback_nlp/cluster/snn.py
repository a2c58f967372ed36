"""Shared-nearest-neighbour similarity: two texts are similar when their nearest neighbours are the same.

Raw cosines have a floor in a batch of complaints (every one shares "this is a complaint"), and paraphrases
of one new problem sit just under any cosine cut (0.22-0.30 against 0.3 with the default encoder) while most
of their nearest neighbours are each other. Ranks do not have that floor, and a problem that fills the batch
keeps its neighbours (they are all its own), which centring on the batch does not (:mod:`.recentre`).

Ranks alone forget how far a neighbour is: when a batch's problems are smaller than ``k``, every list must
hold texts of other problems, and two problems that share nothing would merge. So a list keeps only the
neighbours whose cosine reaches a floor.

Texts are represented by *units*: the texts themselves, or k-means micro-clusters above ``max_units``.
Each text and each unit has a neighbour list of up to ``k + 1`` units (a unit's own id first); a slot below
the floor holds the id ``n_units``, which matches nothing. The similarity of two lists is the number of units
they share over ``k + 1``; the similarity of a text to a cluster is its mean over the cluster's texts,
``A_x . profile_c`` with the cluster's *profile*, the share of its texts that list each unit.
Figures: benchmarks/RESULTS.md, "Clustering on shared nearest neighbours".
"""
from __future__ import annotations

import numpy as np

from .linkage import group_positions

__all__ = ["unit_neighbours", "nearest_units", "snn_matrix", "profiles", "scores"]


def unit_neighbours(U: np.ndarray, k: int, floor: float = -np.inf, chunk: int = 2048) -> np.ndarray:
    """``[n_units, k + 1]``: each unit first, then those of its ``k`` most cosine-similar units whose cosine is
    at least ``floor`` (others: ``n_units``). Rows of ``U`` are unit vectors; ``k`` is capped at ``n_units - 1``."""
    n = len(U)
    k = max(0, min(int(k), n - 1))
    out = np.empty((n, k + 1), dtype=np.int64)
    for s in range(0, n, chunk):
        S = U[s:s + chunk] @ U.T
        rows = np.arange(len(S))
        S[rows, s + rows] = np.inf  # itself first, whatever ties
        out[s:s + chunk] = _top(S, k + 1, floor)
    return out


def nearest_units(X: np.ndarray, U: np.ndarray, k: int, floor: float = -np.inf, chunk: int = 4096) -> np.ndarray:
    """``[n, k + 1]``: the ``k + 1`` units most cosine-similar to each row of ``X`` with a cosine of at least
    ``floor`` (others: ``len(U)``). A text's own unit is normally the first; ``k`` capped as in
    :func:`unit_neighbours`."""
    k = max(0, min(int(k), len(U) - 1))
    out = np.empty((len(X), k + 1), dtype=np.int64)
    for s in range(0, len(X), chunk):
        out[s:s + chunk] = _top(X[s:s + chunk] @ U.T, k + 1, floor)
    return out


def _top(S: np.ndarray, m: int, floor: float) -> np.ndarray:
    """The column ids of each row's ``m`` largest entries (as a set: order within is not used); an entry under
    ``floor`` becomes ``S.shape[1]``, the id that matches nothing."""
    if m >= S.shape[1]:
        top = np.broadcast_to(np.arange(S.shape[1]), S.shape).copy()
    else:
        top = np.argpartition(-S, m - 1, axis=1)[:, :m]
    top[np.take_along_axis(S, top, axis=1) < floor] = S.shape[1]
    return top


def _indicator(lists: np.ndarray, n_units: int) -> np.ndarray:
    """``[len(lists), n_units]`` 0/1: which units each list holds (the no-match id dropped)."""
    A = np.zeros((len(lists), n_units + 1), dtype=np.float32)
    A[np.repeat(np.arange(len(lists)), lists.shape[1]), lists.ravel()] = 1.0
    return A[:, :n_units]


def snn_matrix(lists: np.ndarray) -> np.ndarray:
    """Unit-by-unit similarity ``|N(a) & N(b)| / (k + 1)`` from :func:`unit_neighbours` lists."""
    A = _indicator(lists, len(lists))
    return (A @ A.T) / np.float32(lists.shape[1])


def profiles(lists: np.ndarray, labels: np.ndarray, n_units: int, groups: np.ndarray) -> np.ndarray:
    """``[n_units + 1, len(groups)]``: for each group (cluster id in ``labels``), the share of its texts whose
    neighbour list (rows of ``lists``) holds each unit; the last row, for the no-match id, is zero."""
    groups = np.asarray(groups)
    if len(groups) == 0:
        return np.zeros((n_units + 1, 0), dtype=np.float32)
    g = group_positions(labels, groups)
    sel = g >= 0
    P = np.zeros((n_units + 1, len(groups)), dtype=np.float64)
    np.add.at(P, (lists[sel].ravel(), np.repeat(g[sel], lists.shape[1])), 1.0)
    P[n_units] = 0.0
    cnt = np.bincount(g[sel], minlength=len(groups)).astype(np.float64)
    return (P / np.maximum(cnt, 1)).astype(np.float32)


def scores(lists: np.ndarray, P: np.ndarray, budget: int = 1 << 23) -> np.ndarray:
    """``[n, n_groups]``: each text's mean shared-neighbour similarity to each group's texts,
    ``sum of P over its list / (k + 1)`` (in chunks of about ``budget`` gathered entries)."""
    out = np.empty((len(lists), P.shape[1]), dtype=np.float32)
    chunk = max(1, budget // max(1, lists.shape[1] * P.shape[1]))
    for s in range(0, len(lists), chunk):
        out[s:s + chunk] = P[lists[s:s + chunk]].sum(axis=1)
    return out / np.float32(lists.shape[1])

"""Recurring-problem discovery: group complaints about the same concrete problem.

:class:`ProblemClusterer` finds groups of feedback about one problem
("充电器发烫", "送餐超时") without being told how many there are, labels them
with their keywords and summarises each (size, share, representative texts,
issue-type / severity / sentiment mix, first/last seen, counts per period).
New records can then be assigned to the existing clusters (:meth:`predict`)
without re-clustering. numpy (+ jieba for keywords) only.

Representation (default)
------------------------
1. ``normalize`` each text, map digits to ``0``, cut it into runs of letters,
   digits and CJK characters (punctuation splits runs);
2. character n-grams (default 1..3) inside each run (URLs removed first), optionally plus jieba
   words (``use_words=True``; slower, see :mod:`feedback_nlp.keywords`);
3. TF-IDF (``1 + ln tf``, smooth idf, vocabulary of n-grams seen in at least
   ``min_df`` texts, at most ``max_features``), rows L2-normalised;
4. a sparse random projection (each feature added with a random sign to
   ``sketch_hashes`` of ``sketch_dim`` columns; a sparse Johnson-Lindenstrauss
   sketch) to a dense matrix, then
5. LSA: a randomized SVD of the sketch (fitted on at most ``svd_sample``
   texts) keeps ``dim`` components; rows are L2-normalised again.

Any other dense representation can be plugged in with ``embeddings=`` (an
``[n, d]`` array, e.g. sentence embeddings from a transformer) in :meth:`fit`
and :meth:`predict`; cosine similarities of such embeddings run higher, so
raise ``threshold`` accordingly.

Clustering
----------
**Average-linkage agglomerative clustering with a similarity threshold**:
clusters are merged while the mean cosine similarity between their members is
at least ``threshold``. For unit vectors that mean is exactly the dot product
of the cluster means, so clusters are handled by their sums and sizes, and
merging runs in rounds of reciprocal-nearest-neighbour merges (exact for
average linkage). Up to ``max_units`` texts are clustered from single texts;
above that, texts are first grouped into ``max_units`` micro-clusters by a
few rounds of spherical k-means (seeded), and the micro-clusters are merged.
Finally each text is (re)assigned to the cluster whose mean it is most
similar to, if that similarity is at least ``assign_threshold`` (default:
``threshold``), means are recomputed once, and clusters smaller than
``min_size`` are dropped: their texts are noise, ``cluster_id`` None.
:meth:`predict` applies the same last step to new texts.

Results are deterministic for the same input (order included) and ``seed``.
"""
from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from dataclasses import asdict, is_dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np

from .keywords import KeywordExtractor
from .result import field_of
from .text import mask_pii, normalize
from .trends import parse_time, period_start

__all__ = ["ProblemClusterer", "TextVectorizer", "run_cluster_command", "average_linkage"]

_DIGITS = str.maketrans("0123456789", "0000000000")
_RUN = re.compile(r"[0-9a-z\u00c0-\u024f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD_PREFIX = "\x01"
_URL = re.compile(r"(?:https?://|www\.)[!-~]*")


# =============================================================================== vectorizer
class TextVectorizer:
    """Char n-gram (+ optional jieba word) TF-IDF -> sparse sketch -> LSA, in numpy.

    ``fit_transform(texts)`` / ``transform(texts)`` take raw texts and return an
    L2-normalised float32 array ``[n, dim]`` (rows of empty texts are zero).
    """

    def __init__(self, ngram_range=(1, 3), use_words: bool = False, min_df: int = 2,
                 max_features: int = 200_000, sketch_dim: int = 1024, sketch_hashes: int = 2,
                 dim: Optional[int] = 256, svd_sample: int = 20_000, seed: int = 0):
        self.ngram_range = tuple(ngram_range)
        self.use_words = use_words
        self.min_df = min_df
        self.max_features = max_features
        self.sketch_dim = sketch_dim
        self.sketch_hashes = sketch_hashes
        self.dim = dim
        self.svd_sample = svd_sample
        self.seed = seed

    # -- tokens ----------------------------------------------------------------------
    def _tokens(self, norm: str, kx: Optional[KeywordExtractor]) -> list[str]:
        lo, hi = self.ngram_range
        out: list[str] = []
        for run in _RUN.findall(_URL.sub(" ", norm).translate(_DIGITS)):
            L = len(run)
            if L < lo:  # keep a short run (a lone character between punctuation) whole
                out.append(run)
                continue
            # List comprehensions, not generators: this loop is most of the clustering time.
            out += [run[i:i + n] for n in range(lo, min(hi, L) + 1) for i in range(L - n + 1)]
        if kx is not None:
            out.extend(_WORD_PREFIX + w for w in kx.tokenize(norm, normalized=True))
        return out

    def _count(self, norms: Sequence[str], vocab, grow: bool):
        """Sparse counts: (indptr, ids, counts) with ids from ``vocab`` (grown if ``grow``)."""
        kx = KeywordExtractor(hmm=False) if self.use_words else None
        ids = np.empty(0, dtype=np.int64)
        chunks: list[np.ndarray] = []
        lengths = np.zeros(len(norms), dtype=np.int64)
        buf: list[int] = []
        get = vocab.__getitem__ if grow else vocab.get
        for i, t in enumerate(norms):
            toks = self._tokens(t, kx)
            if grow:
                buf.extend(map(get, toks))
                lengths[i] = len(toks)
            else:
                found = [j for j in map(get, toks) if j is not None]
                buf.extend(found)
                lengths[i] = len(found)
            if len(buf) > 2_000_000:
                chunks.append(np.asarray(buf, dtype=np.int64))
                buf = []
        chunks.append(np.asarray(buf, dtype=np.int64))
        ids = np.concatenate(chunks) if chunks else ids
        rows = np.repeat(np.arange(len(norms), dtype=np.int64), lengths)
        # Count duplicates within a row: sort by (row, id).
        nv = max(len(vocab), 1)
        key = rows * nv + ids
        uniq, counts = np.unique(key, return_counts=True)
        urows, uids = uniq // nv, uniq % nv
        indptr = np.zeros(len(norms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(urows, minlength=len(norms)), out=indptr[1:])
        return indptr, uids, counts.astype(np.float32)

    def _weights(self, indptr, ids, counts):
        w = (1.0 + np.log(counts)) * self.idf_[ids]
        sq = np.zeros(len(indptr) - 1, dtype=np.float64)
        nonempty = np.diff(indptr) > 0
        if len(w):
            sq[nonempty] = np.add.reduceat((w * w).astype(np.float64), indptr[:-1][nonempty])
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        return (w / np.repeat(norms, np.diff(indptr))).astype(np.float32)

    def _sketch(self, indptr, ids, w, start: int = 0, stop: Optional[int] = None) -> np.ndarray:
        """Dense ``[rows, sketch_dim]`` sparse-JL sketch of rows start..stop."""
        stop = len(indptr) - 1 if stop is None else stop
        a, b = indptr[start], indptr[stop]
        n = stop - start
        D = self.sketch_dim
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr[start:stop + 1]))
        out = np.zeros(n * D, dtype=np.float64)
        fid = ids[a:b]
        ww = w[a:b].astype(np.float64)
        for h in range(self.hashes_.shape[1]):
            out += np.bincount(rows * D + self.hashes_[fid, h], weights=ww * self.signs_[fid, h], minlength=n * D)
        return out.reshape(n, D).astype(np.float32)

    def _sketch_all(self, indptr, ids, w, chunk: int = 8192):
        n = len(indptr) - 1
        for s in range(0, n, chunk):
            yield s, self._sketch(indptr, ids, w, s, min(n, s + chunk))

    # -- fit / transform ---------------------------------------------------------------
    def fit_transform(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        norms = list(texts) if normalized else [normalize(t) for t in texts]
        if not norms:
            raise ValueError("cannot fit on zero texts")
        from collections import defaultdict as _dd

        vocab: dict = _dd()
        vocab.default_factory = vocab.__len__  # type: ignore[attr-defined]
        indptr, ids, counts = self._count(norms, vocab, grow=True)
        n = len(norms)
        df = np.bincount(ids, minlength=len(vocab))
        order = np.lexsort((np.arange(len(df)), -df))  # by df desc, then first-seen
        keep = order[df[order] >= min(self.min_df, max(1, n // 2))]
        if self.max_features is not None:
            keep = keep[: self.max_features]
        if len(keep) == 0:
            keep = order[:1]
        remap = np.full(len(df), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        inv = {j: g for g, j in vocab.items()}
        self.vocabulary_ = {inv[int(j)]: i for i, j in enumerate(keep)}
        self.idf_ = (np.log((1.0 + n) / (1.0 + df[keep])) + 1.0).astype(np.float32)
        # Drop pruned features from the counts.
        new_ids = remap[ids]
        mask = new_ids >= 0
        row_counts = np.add.reduceat(mask.astype(np.int64), indptr[:-1]) if len(mask) else np.zeros(n, np.int64)
        row_counts[np.diff(indptr) == 0] = 0
        indptr2 = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(row_counts, out=indptr2[1:])
        ids2, counts2 = new_ids[mask], counts[mask]
        rng = np.random.default_rng(self.seed)
        V = len(keep)
        self.hashes_ = rng.integers(0, self.sketch_dim, size=(V, self.sketch_hashes), dtype=np.int64)
        self.signs_ = (rng.integers(0, 2, size=(V, self.sketch_hashes)) * 2 - 1).astype(np.float64) \
            / np.sqrt(self.sketch_hashes)
        w = self._weights(indptr2, ids2, counts2)
        if self.dim is None or self.dim >= self.sketch_dim:
            self.components_ = None
            out = np.zeros((n, self.sketch_dim), dtype=np.float32)
            for s, block in self._sketch_all(indptr2, ids2, w):
                out[s:s + len(block)] = block
            return _l2(out)
        # LSA on the sketch, fitted on a seeded sample.
        sample = np.arange(n) if n <= self.svd_sample else np.sort(rng.choice(n, self.svd_sample, replace=False))
        sk = np.zeros((len(sample), self.sketch_dim), dtype=np.float32)
        pos = 0
        for s in range(0, len(sample), 8192):
            idx = sample[s:s + 8192]
            sub_ptr, sub_ids, sub_w = _take_rows(indptr2, ids2, w, idx)
            blk = self._sketch(sub_ptr, sub_ids, sub_w)
            sk[pos:pos + len(blk)] = blk
            pos += len(blk)
        k = max(1, min(self.dim, sk.shape[1]))
        self.components_ = _svd_components(sk, k)
        del sk
        out = np.zeros((n, self.components_.shape[1]), dtype=np.float32)
        for s, block in self._sketch_all(indptr2, ids2, w):
            out[s:s + len(block)] = block @ self.components_
        return _l2(out)

    def transform(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        if not hasattr(self, "vocabulary_"):
            raise RuntimeError("TextVectorizer is not fitted")
        norms = list(texts) if normalized else [normalize(t) for t in texts]
        width = self.sketch_dim if self.components_ is None else self.components_.shape[1]
        out = np.zeros((len(norms), width), dtype=np.float32)
        if not norms:
            return out
        indptr, ids, counts = self._count(norms, self.vocabulary_, grow=False)
        w = self._weights(indptr, ids, counts)
        for s, block in self._sketch_all(indptr, ids, w):
            out[s:s + len(block)] = block if self.components_ is None else block @ self.components_
        return _l2(out)


def _take_rows(indptr, ids, w, rows):
    lengths = indptr[rows + 1] - indptr[rows]
    new_ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_ptr[1:])
    if new_ptr[-1] == 0:
        return new_ptr, ids[:0], w[:0]
    offs = np.repeat(indptr[rows] - new_ptr[:-1], lengths) + np.arange(new_ptr[-1])
    return new_ptr, ids[offs], w[offs]


def _lapack_single_thread():
    """Run LAPACK single-threaded when threadpoolctl is installed (optional).

    Threaded OpenBLAS LAPACK calls on a busy machine can be 10x slower than one
    thread; BLAS matrix products are left alone.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _svd_components(A: np.ndarray, k: int) -> np.ndarray:
    """Top-k right singular vectors ``[d, k]`` of A (LSA without centring).

    Computed exactly from the eigenvectors of the small ``d x d`` Gram matrix
    ``A.T @ A`` (d is the sketch width, ~1k), which costs one pass over A.
    """
    G = np.zeros((A.shape[1], A.shape[1]), dtype=np.float64)
    for s in range(0, len(A), 8192):
        blk = A[s:s + 8192].astype(np.float64)
        G += blk.T @ blk
    with _lapack_single_thread():
        vals, vecs = np.linalg.eigh(G)
    V = vecs[:, ::-1][:, :k]
    # Fix signs deterministically (largest-magnitude entry positive).
    signs = np.sign(V[np.argmax(np.abs(V), axis=0), np.arange(V.shape[1])])
    signs[signs == 0] = 1
    return (V * signs).astype(np.float32)


def _l2(X: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(X, axis=1, keepdims=True)
    n[n == 0] = 1.0
    X /= n
    return X


# =============================================================================== clustering core
class _Agglo:
    """Average linkage with union-find bookkeeping (used by ProblemClusterer)."""

    @staticmethod
    def run(sums: np.ndarray, sizes: np.ndarray, threshold: float) -> np.ndarray:
        k = len(sizes)
        root = np.arange(k)
        if k < 2:
            return root
        sums = sums.astype(np.float32).copy()
        sizes = sizes.astype(np.float32).copy()
        means = sums / sizes[:, None]
        S = means @ means.T
        np.fill_diagonal(S, -np.inf)
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
            sums[a] += sums[b]
            sizes[a] += sizes[b]
            active[b] = False
            root[b] = a
            means[a] = sums[a] / sizes[a][:, None]
            S[b, :] = -np.inf
            S[:, b] = -np.inf
            new = means[a] @ means.T
            new[:, ~active] = -np.inf
            S[a, :] = new
            S[:, a] = new.T
            S[a, a] = -np.inf
            touched = np.isin(nn, b) | np.isin(nn, a)
            touched[a] = True
            touched |= (new.T > best[:, None]).any(axis=1)
            touched &= active
            if touched.any():
                rows = idx[touched]
                nn[rows] = np.argmax(S[rows], axis=1)
                best[rows] = S[rows, nn[rows]]
            best[~active] = -np.inf
        # Path compression: every group points at its surviving root.
        while True:
            nxt = root[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        return root


def average_linkage(sums: np.ndarray, sizes: np.ndarray, threshold: float) -> np.ndarray:
    """Merge groups of unit vectors while their mean pairwise cosine is >= threshold.

    ``sums[i]`` is the sum of group i's vectors and ``sizes[i]`` its count; the
    mean similarity between groups a and b is ``sums[a] @ sums[b] / (n_a n_b)``.
    Returns, for each input group, the index of the group it ended up in.
    Rounds of reciprocal-nearest-neighbour merges: exact average linkage
    (a reducible linkage), deterministic (ties go to the lower index).
    """
    return _Agglo.run(np.asarray(sums), np.asarray(sizes), threshold)


def _spherical_kmeans(X: np.ndarray, k: int, rng, n_iter: int = 2, chunk: int = 8192):
    """Micro-clusters: labels [n] and (sums, sizes) of the non-empty ones."""
    n = len(X)
    C = X[np.sort(rng.choice(n, size=k, replace=False))].copy()
    labels = np.zeros(n, dtype=np.int64)
    for it in range(n_iter + 1):
        for s in range(0, n, chunk):
            labels[s:s + chunk] = np.argmax(X[s:s + chunk] @ C.T, axis=1)
        sums = np.zeros((k, X.shape[1]), dtype=np.float64)
        _group_sum(X, labels, k, sums)
        sizes = np.bincount(labels, minlength=k)
        if it == n_iter:
            break
        nonempty = sizes > 0
        C[nonempty] = _l2(sums[nonempty].astype(np.float32))
    return labels, sums, sizes


def _group_means(X: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Mean row of X for each label in ``groups`` (labels < 0 ignored)."""
    groups = np.asarray(groups)
    pos = np.full(int(max(labels.max(initial=-1), groups.max(initial=-1))) + 1, -1, dtype=np.int64)
    pos[groups] = np.arange(len(groups))
    g = np.where(labels >= 0, pos[np.maximum(labels, 0)], -1)
    sel = g >= 0
    sums = np.zeros((len(groups), X.shape[1]), dtype=np.float64)
    _group_sum(X[sel], g[sel], len(groups), sums)
    cnt = np.bincount(g[sel], minlength=len(groups)).astype(np.float64)
    cnt[cnt == 0] = 1
    return (sums / cnt[:, None]).astype(np.float32)


def _group_sum(X, labels, k, out):
    if len(labels) == 0:
        return out
    order = np.argsort(labels, kind="stable")
    sl = labels[order]
    starts = np.flatnonzero(np.r_[True, sl[1:] != sl[:-1]])
    out[sl[starts]] = np.add.reduceat(X[order].astype(np.float64), starts, axis=0)
    return out


# =============================================================================== helpers


def _mix(values: Iterable[Any]) -> dict:
    c = Counter(v for v in values if v is not None)
    total = sum(c.values())
    return {k: {"count": v, "share": round(v / total, 4)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))}


# =============================================================================== the estimator
class ProblemClusterer:
    """Find recurring problems in feedback texts (see the module docstring).

    Parameters
    ----------
    min_size : int
        Smallest cluster kept; texts of smaller clusters get ``cluster_id`` None.
    threshold : float
        Merge clusters while the mean cosine similarity of their members is at
        least this (higher: tighter, smaller clusters, more noise).
    assign_threshold : float or None
        A text joins the cluster whose mean it is most similar to when that
        similarity is at least this (default: ``threshold``). Used for the
        final assignment in ``fit`` and by ``predict``.
    include_sentiments : tuple of str or None
        With ``results``, only records with these sentiments are clustered
        (None: all). Spam is always left out when ``drop_spam``.
    max_units : int
        Cluster single texts up to this many; above, merge this many
        k-means micro-clusters instead (bounds time and memory).
    seed : int
        Seeds the sketch, the SVD and the micro-clusters.
    n_representatives : int
        Representative texts per cluster (closest to the centroid, PII masked).
    n_keywords : int
        Keywords per cluster (class-based TF-IDF over jieba words).
    freq : "D" or "W"
        Period of the per-cluster counts when ``times`` are given.
    vectorizer_params : dict
        Passed to :class:`TextVectorizer` (ngram_range, use_words, dim, ...).
    """

    def __init__(self, min_size: int = 5, threshold: float = 0.2, assign_threshold: Optional[float] = None,
                 include_sentiments: Optional[Sequence[str]] = ("negative", "neutral"), drop_spam: bool = True,
                 max_units: int = 4000, seed: int = 0, n_representatives: int = 5, n_keywords: int = 8,
                 freq: str = "D", keyword_sample: int = 30, keyword_budget: int = 8000,
                 vectorizer_params: Optional[dict] = None):
        self.min_size = min_size
        self.threshold = threshold
        self.assign_threshold = assign_threshold
        self.include_sentiments = include_sentiments
        self.drop_spam = drop_spam
        self.max_units = max_units
        self.seed = seed
        self.n_representatives = n_representatives
        self.n_keywords = n_keywords
        self.freq = freq
        self.keyword_sample = keyword_sample
        self.keyword_budget = keyword_budget
        self.vectorizer_params = vectorizer_params

    # -- helpers -------------------------------------------------------------------------
    def _eligible(self, norms: Sequence[str], results: Optional[Sequence[Any]]) -> np.ndarray:
        ok = np.array([bool(t) for t in norms], dtype=bool)
        if results is None:
            return ok
        if len(results) != len(norms):
            raise ValueError(f"{len(norms)} texts but {len(results)} results")
        inc = set(self.include_sentiments) if self.include_sentiments is not None else None
        for i, r in enumerate(results):
            if not ok[i]:
                continue
            if r is None:
                ok[i] = False
            elif self.drop_spam and bool(field_of(r, "is_spam", False)):
                ok[i] = False
            elif inc is not None and field_of(r, "sentiment") not in inc:
                ok[i] = False
        return ok

    def _embed_fit(self, norms: list[str], embeddings) -> np.ndarray:
        if embeddings is not None:
            E = np.asarray(embeddings, dtype=np.float32)
            if E.ndim != 2 or len(E) != len(norms):
                raise ValueError(f"embeddings must be [n_texts, d]; got shape {E.shape} for {len(norms)} texts")
            self.vectorizer_ = None
            return _l2(E.copy())
        params = dict(self.vectorizer_params or {})
        params.setdefault("seed", self.seed)
        self.vectorizer_ = TextVectorizer(**params)
        return self.vectorizer_.fit_transform(norms, normalized=True)

    def _embed(self, norms: list[str], embeddings) -> np.ndarray:
        if embeddings is not None:
            E = np.asarray(embeddings, dtype=np.float32)
            if E.ndim != 2 or len(E) != len(norms) or E.shape[1] != self.centroids_.shape[1]:
                raise ValueError(f"embeddings must be [{len(norms)}, {self.centroids_.shape[1]}]; got {E.shape}")
            return _l2(E.copy())
        if self.vectorizer_ is None:
            raise ValueError("this clusterer was fitted on embeddings; pass embeddings= to predict()")
        return self.vectorizer_.transform(norms, normalized=True)

    def _assign(self, X: np.ndarray, means: np.ndarray, chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
        n = len(X)
        lab = np.full(n, -1, dtype=np.int64)
        sim = np.zeros(n, dtype=np.float32)
        if len(means) == 0 or n == 0:
            return lab, sim
        thr = self.threshold if self.assign_threshold is None else self.assign_threshold
        for s in range(0, n, chunk):
            S = X[s:s + chunk] @ means.T
            j = np.argmax(S, axis=1)
            v = S[np.arange(len(j)), j]
            ok = v >= thr
            lab[s:s + chunk][ok] = j[ok]
            sim[s:s + chunk] = v
        return lab, sim

    # -- fitting -----------------------------------------------------------------------
    def fit(self, texts: Sequence[str], results: Optional[Sequence[Any]] = None, times: Optional[Sequence[Any]] = None,
            embeddings: Optional[np.ndarray] = None) -> "ProblemClusterer":
        """Cluster ``texts``. ``results``: per-text FeedbackResult objects or dicts
        (for filtering and the mixes); ``times``: per-text timestamps (ISO strings,
        datetimes); ``embeddings``: an ``[n, d]`` array replacing the built-in
        text representation. Sets ``labels_`` (cluster id or None per text)."""
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"text at position {i} must be str, got {type(t).__name__}")
        if times is not None and len(times) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(times)} times")
        norms = [normalize(t) for t in texts]
        elig = self._eligible(norms, results)
        idx = np.flatnonzero(elig)
        n = len(texts)
        self.n_texts_, self.n_eligible_ = n, int(len(idx))
        self.labels_: list[Optional[int]] = [None] * n
        self.centroids_ = np.zeros((0, 1), dtype=np.float32)
        self.cluster_info_: list[dict] = []
        if len(idx) == 0:
            self.vectorizer_ = None
            return self
        sub_norms = [norms[i] for i in idx]
        if embeddings is not None and len(embeddings) != n:
            raise ValueError(f"embeddings must have one row per text ({n}); got {len(embeddings)}")
        sub_emb = None if embeddings is None else np.asarray(embeddings)[idx]
        X = self._embed_fit(sub_norms, sub_emb)
        rng = np.random.default_rng(self.seed)
        m = len(X)
        if m <= self.max_units:
            unit_of = np.arange(m)
            sums, sizes = X.astype(np.float64), np.ones(m)
        else:
            unit_of, sums, sizes = _spherical_kmeans(X, self.max_units, rng)
            keep = sizes > 0
            remap = np.cumsum(keep) - 1
            unit_of, sums, sizes = remap[unit_of], sums[keep], sizes[keep]
        root = average_linkage(sums, sizes, self.threshold)
        lab = root[unit_of]
        # Keep big-enough groups, then reassign every text to its nearest mean
        # (twice: means of the first assignment are refined once).
        for _ in range(2):
            groups, counts = np.unique(lab[lab >= 0], return_counts=True)
            big = groups[counts >= self.min_size]
            if len(big) == 0:
                lab = np.full(m, -1)
                break
            means = _group_means(X, lab, big)
            lab, _ = self._assign(X, means)
            lab = np.where(lab >= 0, big[lab] if len(big) else lab, -1)
        groups, first, counts = np.unique(lab[lab >= 0], return_index=True, return_counts=True)
        keep = counts >= self.min_size
        groups, first, counts = groups[keep], first[keep], counts[keep]
        # Order clusters by size (desc), ties by their first member: stable ids.
        big = groups[np.lexsort((first, -counts))]
        newid = np.full(int(lab.max()) + 2 if len(lab) else 1, -1, dtype=np.int64)
        newid[big] = np.arange(len(big))
        final = np.where(lab >= 0, newid[np.maximum(lab, 0)], -1)
        self.centroids_ = (_group_means(X, final, np.arange(len(big))) if len(big)
                           else np.zeros((0, X.shape[1]), dtype=np.float32))
        for j, i in enumerate(idx):
            self.labels_[i] = int(final[j]) if final[j] >= 0 else None
        self.cluster_info_ = self._describe(texts, norms, idx, X, final, results, times)
        return self

    def fit_predict(self, texts: Sequence[str], results=None, times=None, embeddings=None) -> list[Optional[int]]:
        """Fit and return ``labels_`` (cluster id per text, None = not clustered)."""
        return list(self.fit(texts, results=results, times=times, embeddings=embeddings).labels_)

    def predict(self, texts: Sequence[str], results: Optional[Sequence[Any]] = None,
                embeddings: Optional[np.ndarray] = None) -> list[Optional[int]]:
        """Assign new texts to the fitted clusters (no re-clustering): the cluster whose
        mean is most similar, if at least ``assign_threshold``; else None. With
        ``results``, spam and excluded sentiments get None as in ``fit``."""
        if not hasattr(self, "centroids_"):
            raise RuntimeError("ProblemClusterer is not fitted")
        texts = list(texts)
        norms = [normalize(t) for t in texts]
        elig = self._eligible(norms, results)
        out: list[Optional[int]] = [None] * len(texts)
        idx = np.flatnonzero(elig)
        if embeddings is not None and len(embeddings) != len(texts):
            raise ValueError(f"embeddings must have one row per text ({len(texts)}); got {len(embeddings)}")
        if embeddings is None and getattr(self, "vectorizer_", None) is None and len(self.centroids_):
            raise ValueError("this clusterer was fitted on embeddings; pass embeddings= to predict()")
        if len(idx) == 0 or len(self.centroids_) == 0:
            return out
        X = self._embed([norms[i] for i in idx], None if embeddings is None else np.asarray(embeddings)[idx])
        lab, _ = self._assign(X, self.centroids_)
        for j, i in enumerate(idx):
            out[i] = int(lab[j]) if lab[j] >= 0 else None
        return out

    # -- description -------------------------------------------------------------------
    def _describe(self, texts, norms, idx, X, final, results, times) -> list[dict]:
        k = len(self.centroids_)
        if k == 0:
            return []
        kx = KeywordExtractor(hmm=False)
        sims = np.einsum("ij,ij->i", X, self.centroids_[np.maximum(final, 0)])
        members: list[np.ndarray] = []
        kw_texts: list[str] = []
        kw_groups: list[int] = []
        # Members per cluster via one sort (not one scan per cluster).
        order = np.argsort(final, kind="stable")
        sf = final[order]
        bounds = np.searchsorted(sf, np.arange(k + 1))
        # Bound the jieba work: at most ~keyword_budget texts over all clusters.
        per = max(3, min(self.keyword_sample, self.keyword_budget // max(1, k)))
        for c in range(k):
            mem = order[bounds[c]:bounds[c + 1]]
            mem = mem[np.argsort(-sims[mem], kind="stable")]  # closest to the centroid first
            members.append(mem)
            for j in mem[:per]:
                kw_texts.append(norms[idx[j]])
                kw_groups.append(c)
        toks = [kx.tokenize(t, normalized=True) for t in kw_texts]
        kw = kx.extract_by_group(kw_texts, kw_groups, top_k=self.n_keywords, min_df=2, tokens=toks)
        kw1 = None
        info = []
        for c in range(k):
            mem = members[c]
            words = kw.get(c) or []
            if not words:  # tiny clusters: no word in two texts; take single-text words
                if kw1 is None:
                    kw1 = kx.extract_by_group(kw_texts, kw_groups, top_k=self.n_keywords, tokens=toks)
                words = kw1.get(c) or []
            reps, seen = [], set()
            for j in mem:
                t = norms[idx[j]]
                if t in seen:
                    continue
                seen.add(t)
                reps.append(mask_pii(texts[idx[j]]))
                if len(reps) >= self.n_representatives:
                    break
            d: dict[str, Any] = {
                "cluster_id": c,
                "label": " / ".join(w for w, _ in words[:3]) or (norms[idx[mem[0]]][:12] if len(mem) else ""),
                "keywords": [w for w, _ in words],
                "keyword_scores": [s for _, s in words],
                "size": int(len(mem)),
                "share": round(len(mem) / max(1, self.n_eligible_), 6),
                "cohesion": round(float(np.mean(sims[mem])), 4) if len(mem) else 0.0,
                "representatives": reps,
            }
            if results is not None:
                rs = [results[idx[j]] for j in mem]
                d["issue_type_mix"] = _mix(t for r in rs for t in (field_of(r, "issue_types") or []))
                d["primary_issue_mix"] = _mix(field_of(r, "primary_issue") for r in rs)
                d["severity_mix"] = _mix(field_of(r, "severity") for r in rs)
                d["sentiment_mix"] = _mix(field_of(r, "sentiment") for r in rs)
            if times is not None:
                ts = [parse_time(times[idx[j]]) for j in mem]
                ts = [t for t in ts if t is not None]
                if ts:
                    d["first_seen"] = min(ts).isoformat()
                    d["last_seen"] = max(ts).isoformat()
                    per = Counter(period_start(t, self.freq).isoformat() for t in ts)
                    d["freq"] = self.freq.upper()
                    d["counts"] = dict(sorted(per.items()))
                else:
                    d["first_seen"] = d["last_seen"] = None
                    d["counts"] = {}
            info.append(d)
        return info

    def get_cluster_info(self) -> list[dict]:
        """One JSON-serialisable dict per cluster, largest first (see the module docstring):
        cluster_id, label, keywords, keyword_scores, size, share (of the clustered-eligible
        texts), cohesion (mean cosine to the centroid), representatives (PII masked),
        and with results: issue_type_mix, primary_issue_mix, severity_mix,
        sentiment_mix ({value: {count, share}}); with times: first_seen, last_seen,
        freq, counts ({period start: count})."""
        if not hasattr(self, "cluster_info_"):
            raise RuntimeError("ProblemClusterer is not fitted")
        return json.loads(json.dumps(self.cluster_info_, ensure_ascii=False))


# =============================================================================== command
def _as_dict(r: Any) -> Optional[dict]:
    if r is None:
        return None
    if isinstance(r, Mapping):
        return dict(r)
    if hasattr(r, "to_dict"):
        return r.to_dict()
    if is_dataclass(r):
        return asdict(r)
    raise TypeError(f"cannot turn {type(r).__name__} into a dict")


#: The quiet posts of a cluster (raising nothing) are recurring spam when there are at least
#: this many (the flood rule's group size) ...
SPAM_GROUP_MIN = 3
#: ... and their mean spam score reaches this (the spam head rates them more likely spam than
#: not, on average) ...
SPAM_GROUP_MEAN_SCORE = 0.5
#: ... or at least this share of them carry the codebook's ad evidence (a link or contact ID
#: together with a solicitation such as 点击链接 / 加微信 / 免费领).
SPAM_GROUP_AD_SHARE = 0.5


def recurring_spam(labels: Sequence[Optional[int]], results: Sequence[Any], texts: Sequence[str],
                   min_group: int = SPAM_GROUP_MIN, min_mean_score: float = SPAM_GROUP_MEAN_SCORE,
                   min_ad_share: float = SPAM_GROUP_AD_SHARE) -> list[int]:
    """Positions of posts that are recurring spam, not part of a recurring problem.

    Each post of a promotion campaign ("点击 http://t.cn/… 领取优惠券" with a new link
    every time) may stay below the per-record spam threshold, which is set high so that
    real complaints are never thrown away; many similar posts together are stronger
    evidence. Per cluster, the *quiet* posts are those that raise no issue type, no high
    or critical severity and are Chinese text (other languages get unreliable spam
    scores and go to review instead, :func:`feedback_nlp.text.is_not_chinese`). They
    are spam when there are at least ``min_group`` of them and either their mean
    ``spam_score`` is at least ``min_mean_score`` or at least ``min_ad_share`` of them
    show ad evidence (:func:`feedback_nlp.tasks.spam.spam_signals`). Posts that raise a
    problem are never returned.
    """
    from .tasks.spam import spam_signals
    from .text import is_not_chinese

    quiet: dict[int, list[int]] = {}
    for i, lab in enumerate(labels):
        r = results[i]
        if lab is None or field_of(r, "issue_types") or field_of(r, "severity") in ("high", "critical"):
            continue
        if is_not_chinese(normalize(texts[i])):
            continue
        quiet.setdefault(lab, []).append(i)
    out: list[int] = []
    for idx in quiet.values():
        if len(idx) < min_group:
            continue
        mean = sum(float(field_of(results[i], "spam_score", 0.0) or 0.0) for i in idx) / len(idx)
        if mean < min_mean_score:
            signals = [spam_signals(normalize(texts[i])) for i in idx]
            if sum((s.has_link or s.has_contact) and s.solicits for s in signals) < min_ad_share * len(idx):
                continue
        out.extend(idx)
    return sorted(out)


def _as_spam(result: Any) -> Any:
    """A copy of a result (FeedbackResult or dict) with ``is_spam`` set."""
    if isinstance(result, Mapping):
        return {**result, "is_spam": True}
    import dataclasses

    return dataclasses.replace(result, is_spam=True)


def fit_without_recurring_spam(clusterer: "ProblemClusterer", texts: Sequence[str], results: Sequence[Any],
                               times: Optional[Sequence[Any]] = None) -> tuple[list[Optional[int]], list[int]]:
    """Cluster, find :func:`recurring_spam`, and when there is some, cluster again with those
    posts counted as spam (so keywords, sizes and examples describe real problems only).

    Returns ``(labels, spam positions)``; ``clusterer.get_cluster_info()`` describes the
    final fit.
    """
    labels = clusterer.fit_predict(texts, results=results, times=times)
    spam = recurring_spam(labels, results, texts)
    if spam:
        marked = list(results)
        for i in spam:
            marked[i] = _as_spam(results[i])
        labels = clusterer.fit_predict(texts, results=marked, times=times)
    return labels, spam


def run_cluster_command(input_path: str, output_path: str, summary_path: Optional[str] = None,
                        time_field: Optional[str] = None, min_size: int = 5, text_field: str = "text",
                        id_field: str = "id", model: Optional[str] = None, threshold: Optional[float] = None,
                        seed: int = 0, all_sentiments: bool = False, fmt: Optional[str] = None,
                        analyzer=None, encoding: str = "auto") -> dict:
    """``feedback-nlp cluster``: read records, analyse them, cluster, write outputs.

    Output (``output_path``, JSONL/CSV by extension): one record per input row,
    in order: every result field, ``cluster_id`` (null when not clustered)
    and ``cluster_label``, plus ``error`` for malformed rows (which are not
    clustered). ``summary_path``: ``clusters.json`` with the settings, counts
    and :meth:`ProblemClusterer.get_cluster_info`. Returns the summary dict (with
    ``error_rows``, the first malformed row numbers, and the input ``encoding``).
    A ``time_field`` that no readable record has raises ``InputFormatError``.
    """
    from .io import ReadTally, open_writer, read_records, error_record, ERROR_FIELD
    from .pipeline import FeedbackAnalyzer

    rows = []
    tally = ReadTally()
    with read_records(input_path, text_field=text_field, id_field=id_field, fmt=fmt, encoding=encoding) as reader:
        for rec in reader:
            tally.add(rec)
            t = None
            if rec.ok and time_field:
                t = rec.fields.get(time_field)
            rows.append((rec, t))
    tally.require_field(time_field)
    fa = analyzer if analyzer is not None else FeedbackAnalyzer.load(model)
    ok_pos = [i for i, (rec, _) in enumerate(rows) if rec.ok]
    texts = [rows[i][0].text for i in ok_pos]
    results = fa.analyze_batch(texts, ids=[rows[i][0].id for i in ok_pos]) if texts else []
    params = dict(min_size=min_size, seed=seed)
    if threshold is not None:
        params["threshold"] = threshold
    if all_sentiments:
        params["include_sentiments"] = None
    cl = ProblemClusterer(**params)
    times = [rows[i][1] for i in ok_pos] if time_field else None
    labels, spam = fit_without_recurring_spam(cl, texts, results, times) if texts else ([], [])
    info = cl.get_cluster_info() if texts else []
    label_of = {c["cluster_id"]: c["label"] for c in info}
    out_of = {pos: (r, lab) for pos, r, lab in zip(ok_pos, results, labels)}
    fieldnames = [*fa.output_fields, ERROR_FIELD, "cluster_id", "cluster_label"]
    with open_writer(output_path, fieldnames=fieldnames) as w:
        for i, (rec, _) in enumerate(rows):
            if i in out_of:
                r, lab = out_of[i]
                d = r.to_dict()
                d["cluster_id"] = lab
                d["cluster_label"] = label_of.get(lab) if lab is not None else None
            else:
                d = error_record(rec, fieldnames)
            w.write(d)
    summary = {
        "n_records": len(rows),
        "n_errors": len(rows) - len(ok_pos),
        "error_rows": tally.error_rows,
        "encoding": reader.encoding,
        "n_eligible": getattr(cl, "n_eligible_", 0),
        "n_clustered": sum(1 for l in labels if l is not None),
        "n_clusters": len(info),
        "n_recurring_spam": len(spam),
        "settings": {"min_size": min_size, "threshold": cl.threshold, "seed": seed,
                     "include_sentiments": list(cl.include_sentiments) if cl.include_sentiments else None,
                     "drop_spam": cl.drop_spam, "time_field": time_field},
        "clusters": info,
    }
    if summary_path:
        with open(summary_path, "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=2)
            f.write("\n")
    return summary

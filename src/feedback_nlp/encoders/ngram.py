"""The n-gram sketch: char n-gram (+ jieba word) TF-IDF -> sparse sketch -> LSA, in numpy.

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

It learns its vocabulary from the texts it clusters (no model files) and knows
characters, not meanings: differently worded complaints about one problem
share few n-grams. The tokenisation (:func:`text_tokens`, :func:`count_tokens`)
is shared with the table encoders (:mod:`.table`).
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

import numpy as np

from ..features import (code_points, count_pairs, look_up_keys, packed_key_table, packed_ngram_keys,
                        unpack_keys)
from ..keywords import KeywordExtractor
from ..text import normalize
from .base import Encoder, l2_normalize

__all__ = ["TextVectorizer", "NgramEncoder", "text_tokens", "count_tokens", "WORD_PREFIX"]

_DIGITS = str.maketrans("0123456789", "0000000000")
_RUN = re.compile(r"[0-9a-z\u00c0-\u024f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
#: Marks jieba words among the n-gram tokens (a control character never inside a run).
WORD_PREFIX = "\x01"
_URL = re.compile(r"(?:https?://|www\.)[!-~]*")


def text_tokens(norm: str, ngram_range=(1, 3), kx: Optional[KeywordExtractor] = None) -> list[str]:
    """Char n-grams inside letter/digit/CJK runs of a normalised text (+ jieba words with ``kx``)."""
    lo, hi = ngram_range
    out: list[str] = []
    for run in _RUN.findall(_URL.sub(" ", norm).translate(_DIGITS)):
        L = len(run)
        if L < lo:  # keep a short run (a lone character between punctuation) whole
            out.append(run)
            continue
        # List comprehensions, not generators: this loop is most of the clustering time.
        out += [run[i:i + n] for n in range(lo, min(hi, L) + 1) for i in range(L - n + 1)]
    if kx is not None:
        out.extend(WORD_PREFIX + w for w in kx.tokenize(norm, normalized=True))
    return out


#: Texts the numpy path counts at once: bounds its temporary arrays (about ten int64 per character).
PACKED_CHUNK = 16384


def count_tokens(norms: Sequence[str], vocab, grow: bool, ngram_range=(1, 3), use_words: bool = False,
                 key_cache: Optional[dict] = None):
    """Sparse counts ``(indptr, ids, counts)`` of :func:`text_tokens`, with ids from ``vocab`` (a
    defaultdict grown in first-seen order if ``grow``; else unknown tokens are skipped).

    Char n-grams of 1..3 without jieba words are found with numpy (:func:`_run_ngrams`, the same
    counts as the per-text loop, several times faster), :data:`PACKED_CHUNK` texts at a time.
    ``key_cache``: a dict the caller keeps with its fixed ``vocab``, where the vocabulary's packed
    keys (``features.packed_key_table``) are built once."""
    lo, hi = ngram_range
    if not (lo == 1 and hi <= 3 and not use_words and (not grow or len(vocab) == 0)) or not len(norms):
        return _row_counts(*_listed_tokens(norms, vocab, grow, ngram_range, use_words), len(norms))
    key_table = None
    if not grow:
        cache = {} if key_cache is None else key_cache
        if cache.get("vocab") is not vocab or cache.get("hi") != hi:
            cache.update(vocab=vocab, hi=hi, table=packed_key_table(vocab, 1, hi))
        key_table = cache["table"]
    seen = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # grow: the keys met so far (sorted) and their ids
    pieces = []
    for s in range(0, len(norms), PACKED_CHUNK):
        part = norms[s:s + PACKED_CHUNK]
        rows, keys, order = _run_ngrams(part, hi, grow)
        if grow:
            ids, seen = _grow_ids(keys, order, vocab, seen)
        else:
            rows, ids = look_up_keys(rows, keys, *key_table)
        pieces.append(_row_counts(rows, ids, len(part)))
    if len(pieces) == 1:
        return pieces[0]
    offsets = np.cumsum([0] + [len(p[1]) for p in pieces[:-1]])
    indptr = np.concatenate([np.zeros(1, np.int64)] + [p[0][1:] + o for p, o in zip(pieces, offsets)])
    return indptr, np.concatenate([p[1] for p in pieces]), np.concatenate([p[2] for p in pieces])


def _row_counts(rows: np.ndarray, ids: np.ndarray, n: int):
    """``(indptr, ids, counts)`` of ``n`` texts from one ``(row, id)`` pair per occurrence."""
    indptr, _, uids, counts = count_pairs(rows, ids, n)
    return indptr, uids, counts.astype(np.float32)


def _listed_tokens(norms: Sequence[str], vocab, grow: bool, ngram_range, use_words: bool):
    """``(rows, ids)`` of every token occurrence found, text by text (any n-gram range, jieba words)."""
    kx = KeywordExtractor(hmm=False) if use_words else None
    chunks: list[np.ndarray] = []
    lengths = np.zeros(len(norms), dtype=np.int64)
    buf: list[int] = []
    get = vocab.__getitem__ if grow else vocab.get
    for i, t in enumerate(norms):
        toks = text_tokens(t, ngram_range, kx)
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
    rows = np.repeat(np.arange(len(norms), dtype=np.int64), lengths)
    return rows, np.concatenate(chunks)


#: The code point ranges of ``_RUN`` (letters, digits, CJK), inclusive.
_RUN_RANGES = ((0x30, 0x39), (0x61, 0x7A), (0xC0, 0x24F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def _run_ngrams(norms: Sequence[str], hi: int, with_order: bool):
    """``(rows, keys, order)`` of every char n-gram (1..``hi`` <= 3) inside the runs of the texts,
    each packed into an int64 of code points (``features.packed_ngram_keys``). ``order`` (with
    ``with_order``) ranks the occurrences as :func:`text_tokens` meets them: text, run, length,
    position."""
    texts = [_URL.sub(" ", t) for t in norms]
    # Each text followed by a space (never inside a run), so no n-gram spans two texts.
    cps = code_points(" ".join(texts) + " ") if texts else np.zeros(0, np.int64)
    raw = cps - 1
    cps[(raw >= 0x30) & (raw <= 0x39)] = 0x30 + 1  # digits -> 0 (code points + 1, as packed)
    in_run = np.zeros(len(raw), dtype=bool)
    for a, b in _RUN_RANGES:
        in_run |= (raw >= a) & (raw <= b)
    row_at = np.repeat(np.arange(len(texts), dtype=np.int64),
                       np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts)))
    if with_order:  # where each position's run starts
        idx = np.arange(len(raw), dtype=np.int64)
        is_start = in_run & ~np.r_[False, in_run[:-1]]
        run_start = np.maximum.accumulate(np.where(is_start, idx, 0)) if len(raw) else idx
        span = int((idx - run_start)[in_run].max()) + 1 if in_run.any() else 1
    pos_parts, key_parts, order_parts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for n in range(1, hi + 1):
        m = len(cps) - n + 1
        if m <= 0:
            continue
        ok = in_run[:m].copy()
        for j in range(1, n):
            ok &= in_run[j:j + m]
        pos = np.flatnonzero(ok)
        pos_parts.append(pos)
        key_parts.append(packed_ngram_keys(cps, n)[pos])
        if with_order:
            order_parts.append((run_start[pos] * hi + (n - 1)) * span + (pos - run_start[pos]))
    return row_at[np.concatenate(pos_parts)], np.concatenate(key_parts), np.concatenate(order_parts)


def _grow_ids(keys: np.ndarray, order: np.ndarray, vocab, seen: tuple[np.ndarray, np.ndarray]):
    """Ids of ``keys`` from the keys ``seen`` in earlier texts (sorted, with their ids); keys met here
    for the first time get the next ids in the order ``order`` ranks their first occurrence, and join
    ``vocab`` (as strings) and ``seen``."""
    seen_keys, seen_ids = seen
    uniq, inv = np.unique(keys, return_inverse=True)
    at = np.minimum(np.searchsorted(seen_keys, uniq), max(len(seen_keys) - 1, 0))
    old = seen_keys[at] == uniq if len(seen_keys) else np.zeros(len(uniq), dtype=bool)
    ids = np.empty(len(uniq), dtype=np.int64)
    ids[old] = seen_ids[at[old]]
    new = np.flatnonzero(~old)
    first = np.full(len(uniq), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, inv, order)
    new = new[np.argsort(first[new])]  # first met first
    ids[new] = np.arange(len(vocab), len(vocab) + len(new))
    vocab.update(zip(unpack_keys(uniq[new]), ids[new].tolist()))
    insert_at = np.searchsorted(seen_keys, uniq[~old])  # uniq is sorted, so these are too
    seen = (np.insert(seen_keys, insert_at, uniq[~old]), np.insert(seen_ids, insert_at, ids[~old]))
    return ids[inv], seen


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
        indptr, ids, counts = count_tokens(norms, vocab, True, self.ngram_range, self.use_words)
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
        # Kept features per row by row index, not add.reduceat over indptr: that fails on an empty last row
        # (its start is past the end) and gives a wrong value for other empty rows.
        row_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
        row_counts = np.bincount(row_of[mask], minlength=n).astype(np.int64)
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
            return l2_normalize(out)
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
        return l2_normalize(out)

    def transform(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        if not hasattr(self, "vocabulary_"):
            raise RuntimeError("TextVectorizer is not fitted")
        norms = list(texts) if normalized else [normalize(t) for t in texts]
        width = self.sketch_dim if self.components_ is None else self.components_.shape[1]
        out = np.zeros((len(norms), width), dtype=np.float32)
        if not norms:
            return out
        indptr, ids, counts = count_tokens(norms, self.vocabulary_, False, self.ngram_range, self.use_words,
                                           self.__dict__.setdefault("_key_cache", {}))
        w = self._weights(indptr, ids, counts)
        for s, block in self._sketch_all(indptr, ids, w):
            out[s:s + len(block)] = block if self.components_ is None else block @ self.components_
        return l2_normalize(out)


def _take_rows(indptr, ids, w, rows):
    lengths = indptr[rows + 1] - indptr[rows]
    new_ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_ptr[1:])
    if new_ptr[-1] == 0:
        return new_ptr, ids[:0], w[:0]
    offs = np.repeat(indptr[rows] - new_ptr[:-1], lengths) + np.arange(new_ptr[-1])
    return new_ptr, ids[offs], w[offs]


def _lapack_single_thread():
    """Run LAPACK single-threaded: threaded OpenBLAS LAPACK calls on a busy machine can be 10x
    slower than one thread; BLAS matrix products are left alone."""
    from threadpoolctl import threadpool_limits

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




class NgramEncoder(Encoder):
    """The n-gram sketch as an :class:`~.base.Encoder`: fitted on the texts it clusters.

    ``fit_encode`` learns the vocabulary, idf and LSA from the given texts (as
    clustering always did); ``encode`` then maps new texts into that space.
    Fast (100k texts in well under a minute on 2 cores) but blind to synonyms.
    """

    name, default_threshold = "ngram", 0.2

    def __init__(self, **vectorizer_params):
        self.vectorizer = TextVectorizer(**vectorizer_params)

    @property
    def dim(self) -> int:  # type: ignore[override]
        v = self.vectorizer
        comps = getattr(v, "components_", None)
        if comps is not None:
            return comps.shape[1]
        return v.sketch_dim if v.dim is None or v.dim >= v.sketch_dim else v.dim

    def fit_encode(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        return self.vectorizer.fit_transform(list(texts), normalized=normalized)

    def encode(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        return self.vectorizer.transform(list(texts), normalized=normalized)

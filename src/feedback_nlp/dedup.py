"""Batch-level near-duplicate detection: SimHash over character 3-grams with LSH banding.

Used by :meth:`FeedbackAnalyzer.analyze_batch` (``detect_floods=True``) to find
posts repeated across the records of a batch (copy-paste floods), which the
per-record spam head cannot see.

How two texts are compared
--------------------------
1. **Canonical form** (:func:`canonical`): the normalised text (NFKC, lower case,
   Traditional -> Simplified, see :mod:`feedback_nlp.text`) with everything that is
   not a letter or a digit removed (spaces, punctuation, emoji) and every run of
   digits replaced by one ``0``, so "好评！！" / "好 评" / "好評" and different order
   numbers or prices do not separate copies.
2. **Fingerprint** (:func:`simhash`): a 64-bit SimHash over the *set* of the canonical
   text's character 3-grams (the whole text when shorter than 3 characters), each
   3-gram hashed with SplitMix64, all with weight 1 (counts would let one repeated
   unit such as "哈哈哈" decide the fingerprint of an otherwise different text).
3. **Near-identical** = Hamming distance between fingerprints ``<= max_distance``
   (default 3 of 64 bits); identical canonical texts always have distance 0.
4. **Banding**: the 64 bits are cut into ``max_distance + 1`` bands; two fingerprints
   within the distance agree exactly on at least one band (pigeonhole), so looking up
   only the items that share a band finds *every* near-identical pair — no false
   negatives of the index relative to the distance rule, and each addition costs a few
   dictionary look-ups plus a comparison with the items in the same buckets.

The index is incremental (``add`` / ``add_many`` as data streams in) and stores one
64-bit fingerprint per *distinct* fingerprint plus a union-find parent per item, so
millions of rows fit in memory; groups are the connected components of the
near-identical relation (union-find).
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator, Optional, Sequence

import numpy as np

from .text import normalize

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")


def canonical(text: str, normalized: bool = False) -> str:
    """Canonical form used for duplicate detection (see the module docstring)."""
    s = text if normalized else normalize(text)
    s = _NOT_WORD.sub("", s)
    return _DIGITS.sub("0", s)


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a fast, well-spread 64-bit hash of uint64 keys (wraps mod 2**64)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def simhash_many(canons: Sequence[str], n: int = 3) -> np.ndarray:
    """64-bit SimHash (uint64) of each canonical text over the set of its character ``n``-grams.

    A gram of code points ``c1 c2 c3`` (each < 2**21; ``n`` <= 3) is the key
    ``c1 << 42 | c2 << 21 | c3`` hashed with SplitMix64; a text of ``n`` characters or
    fewer is one gram. Bit i of the fingerprint is set when more than half of the text's
    distinct grams have bit i set. An empty text has fingerprint 0. Vectorised over the batch.
    """
    if not 1 <= n <= 3:
        raise ValueError("n must be 1, 2 or 3")
    k = len(canons)
    out = np.zeros(k, dtype=np.uint64)
    if k == 0:
        return out
    lens = np.fromiter((len(c) for c in canons), dtype=np.int64, count=k)
    cps = np.frombuffer("".join(canons).encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
    starts = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    n_grams = np.where(lens > n, lens - n + 1, (lens > 0).astype(np.int64))
    rows = np.repeat(np.arange(k), n_grams)
    # position of each gram's first character
    offs = np.arange(len(rows)) - np.repeat(np.cumsum(n_grams) - n_grams, n_grams)
    pos = starts[:-1][rows] + offs
    width = np.minimum(lens[rows], n)  # short texts: one gram of their own length
    keys = np.zeros(len(rows), dtype=np.uint64)
    total = len(cps)
    for j in range(n):
        use = j < width
        c = cps[np.minimum(pos + j, max(total - 1, 0))] if total else np.zeros(len(rows), np.uint64)
        keys = np.where(use, (keys << np.uint64(21)) | c, keys)
    order = np.lexsort((keys, rows))
    rows, keys = rows[order], keys[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (keys[1:] != keys[:-1])
    rows, keys = rows[first], keys[first]
    if not len(rows):
        return out
    with np.errstate(over="ignore"):
        hashes = _mix64(keys)
    row_starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    half = np.diff(np.r_[row_starts, len(rows)])  # compared with 2 * (number of grams with the bit set)
    fps = np.zeros(len(row_starts), dtype=np.uint64)
    one = np.uint64(1)
    for bit in range(64):
        b = np.uint64(bit)
        ones = np.add.reduceat(((hashes >> b) & one).astype(np.int32), row_starts)
        fps |= (2 * ones > half).astype(np.uint64) << b
    out[rows[row_starts]] = fps
    return out


def simhash(canon: str, n: int = 3) -> int:
    """64-bit SimHash of one canonical text (see :func:`simhash_many`)."""
    return int(simhash_many([canon], n)[0])


def hamming(a: int, b: int) -> int:
    return bin(a ^ b).count("1")


class NearDuplicateIndex:
    """Incremental near-duplicate index (SimHash + LSH banding + union-find).

    Parameters
    ----------
    max_distance : int
        Fingerprints at Hamming distance ``<= max_distance`` are near-identical
        (0..15). The 64 bits are split into ``max_distance + 1`` bands.
    min_chars : int
        Texts whose canonical form is shorter than this are not indexed (they get
        no group): short verdicts such as "好评" / "很好" are written independently
        by many users and are not floods.
    max_bucket : int
        At most this many distinct fingerprints are compared per band bucket, which
        bounds the cost of one addition on adversarial data.

    Example
    -------
    >>> idx = NearDuplicateIndex()
    >>> ids = idx.add_many(["加我微信领优惠券", "加我微信领优惠券！", "快递太慢了"])
    >>> idx.group_size(ids[0]), idx.group_size(ids[2])
    (2, 1)
    """

    def __init__(self, max_distance: int = 3, min_chars: int = 6, max_bucket: int = 256):
        if not 0 <= max_distance <= 15:
            raise ValueError("max_distance must be in 0..15")
        self.max_distance = max_distance
        self.min_chars = min_chars
        self.max_bucket = max_bucket
        n_bands = max_distance + 1
        widths = [64 // n_bands + (1 if i < 64 % n_bands else 0) for i in range(n_bands)]
        starts = np.cumsum([0] + widths[:-1])
        self._bands = [(int(s), (1 << w) - 1) for s, w in zip(starts, widths)]
        self._buckets: list[dict[int, list[int]]] = [dict() for _ in self._bands]
        self._fp_item: dict[int, int] = {}  # distinct fingerprint -> first item holding it
        self._parent: list[int] = []  # union-find over items; -1 = not indexed (too short)
        self._size: dict[int, int] = {}  # root -> group size

    def __len__(self) -> int:
        return len(self._parent)

    # -- union-find ------------------------------------------------------------------
    def _find(self, i: int) -> int:
        p = self._parent
        root = i
        while p[root] != root:
            root = p[root]
        while p[i] != root:  # path compression
            p[i], i = root, p[i]
        return root

    def _union(self, a: int, b: int) -> int:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return ra
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size.pop(rb)
        return ra

    # -- adding ------------------------------------------------------------------------
    def add(self, text: str, normalized: bool = False) -> int:
        """Index one text; return its item id (0, 1, 2, ... in order of addition)."""
        return self.add_many([text], normalized)[0]

    def add_many(self, texts: Iterable[str], normalized: bool = False, chunk: int = 4096) -> list[int]:
        """Index texts in order (fingerprints computed in vectorised chunks); return their item ids."""
        ids: list[int] = []
        buf: list[str] = []
        for t in texts:
            buf.append(canonical(t, normalized))
            if len(buf) >= chunk:
                ids.extend(self._add_canonical(buf))
                buf = []
        if buf:
            ids.extend(self._add_canonical(buf))
        return ids

    def add_many_counting(self, texts: Sequence[str], normalized: bool = False) -> list[tuple[int, int]]:
        """Index texts in order; return each one's item id and its :meth:`group_size` right after it
        was added (what a stream read one text at a time would have seen, whatever the chunking)."""
        canons = [canonical(t, normalized) for t in texts]
        return [(item, self.group_size(item)) for item in self._add_canonical(canons)]

    def _add_canonical(self, canons: list[str]) -> Iterator[int]:
        """Index canonical texts one at a time, yielding each item id as soon as it is added."""
        fps = simhash_many(canons).tolist() if canons else []
        return (self._add_fp(fp if len(c) >= self.min_chars else None) for c, fp in zip(canons, fps))

    def _add_fp(self, fp: Optional[int]) -> int:
        item = len(self._parent)
        if fp is None:
            self._parent.append(-1)
            return item
        self._parent.append(item)
        self._size[item] = 1
        same = self._fp_item.get(fp)
        if same is not None:  # identical fingerprint: already bucketed
            self._union(same, item)
            return item
        self._fp_item[fp] = item
        matches = set()
        for (shift, mask), buckets in zip(self._bands, self._buckets):
            key = (fp >> shift) & mask
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [fp]
                continue
            for other in bucket[: self.max_bucket]:
                if bin(fp ^ other).count("1") <= self.max_distance:
                    matches.add(other)
            if len(bucket) < self.max_bucket:
                bucket.append(fp)
        for other in matches:
            self._union(self._fp_item[other], item)
        return item

    # -- querying ------------------------------------------------------------------------
    def group_of(self, item: int) -> Optional[int]:
        """Group id (a representative item) of an item, or None when it was not indexed."""
        if self._parent[item] < 0:
            return None
        return self._find(item)

    def group_size(self, item: int) -> int:
        """How many indexed items are near-identical to this one (itself included); 1 if not indexed."""
        g = self.group_of(item)
        return 1 if g is None else self._size[g]

    def group_sizes(self) -> np.ndarray:
        """``group_size`` of every item, in order of addition."""
        return np.array([self.group_size(i) for i in range(len(self._parent))], dtype=np.int64)

    def groups(self, min_size: int = 2) -> list[list[int]]:
        """Groups with at least ``min_size`` items, each a sorted list of item ids."""
        out: dict[int, list[int]] = {}
        for i, p in enumerate(self._parent):
            if p >= 0:
                r = self._find(i)
                if self._size[r] >= min_size:
                    out.setdefault(r, []).append(i)
        return sorted(out.values(), key=lambda g: g[0])


def find_floods(texts: Iterable[str], min_group: int = 3, normalized: bool = False,
                index: Optional[NearDuplicateIndex] = None) -> np.ndarray:
    """Group size of each text among ``texts``; a convenience for one batch.

    Items with ``size >= min_group`` are flood *candidates*; the pipeline still
    keeps every candidate that raises an issue (see ``FeedbackAnalyzer.analyze_batch``).
    """
    index = index or NearDuplicateIndex()
    start = len(index)
    index.add_many(texts, normalized)
    return index.group_sizes()[start:]


__all__ = ["NearDuplicateIndex", "canonical", "simhash", "simhash_many", "hamming", "find_floods"]

"""Character n-gram TF-IDF featuriser: the rule every host reproduces.

A normalised text (see :mod:`feedback_nlp.text`) becomes a sparse vector:

1. every ASCII digit is replaced by ``0`` (prices, dates and phone numbers
   generalise; a long digit run still shows as ``000``), except a star rating:
   with ``star_digits`` a digit 1-5 right before ``星`` or ``颗星`` (and not after
   another digit or a ``.``) becomes its Chinese numeral first, so ``1星`` reads
   as ``一星``, not as ``5星``,
2. all character n-grams for n in ``ngram_range`` (default 1..3) are taken,
   spaces and punctuation included, in order of n then position,
3. n-grams not in the vocabulary (``vocab.txt``, line i = id i, split on
   ``\\n`` only) are dropped; the rest are counted per id,
4. weight = ``(1 + ln(count)) * idf[id]`` (``sublinear_tf``; else
   ``count * idf[id]``),
5. the weights of one text are divided by their L2 norm (none if empty).

Scores for every task head then come from one sparse product
``scores = x @ W + b``: the featuriser runs once per text for all tasks.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import numpy as np

from .text import require_sequence

_DIGITS = str.maketrans("123456789", "000000000")
_STAR_DIGIT = re.compile(r"(?<![0-9.])[1-5](?=颗?星)")
_STAR_NUMERALS = dict(zip("12345", "一二三四五"))


def star_digits(text: str) -> str:
    """Step 1's exception: ``给1星`` -> ``给一星`` (a star rating keeps its number when digits become 0).

    Why: with every digit mapped, ``1星`` and ``5星`` are the same text to a model, though in the
    corpora 26 reviews with ``1星`` are negative and 1 positive (``5星``: 58 and 106).
    """
    return _STAR_DIGIT.sub(lambda m: _STAR_NUMERALS[m.group()], text) if "星" in text else text
# Packed n-gram keys: each code point + 1 (so no code point packs to 0) in 21 bits,
# three of them in one int64; unique over n-grams of length 1..3.
_CP_BITS = 21
_MAX_PACKED = 3


def code_points(s: str) -> np.ndarray:
    """Code points of ``s`` (lone surrogates included, as Python indexes them) + 1, int64."""
    return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64) + 1


def packed_ngram_keys(cps: np.ndarray, n: int) -> np.ndarray:
    """The packed key of the n-gram starting at each position of ``cps`` (code points + 1) that has
    ``n`` code points after it: ``len(cps) - n + 1`` keys."""
    m = len(cps) - n + 1
    key = cps[:m].copy()
    for j in range(1, n):
        key <<= _CP_BITS
        key |= cps[j:j + m]
    return key


def packed_key_table(vocabulary: dict, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, ids)``: the packed keys of the vocabulary's n-grams of ``lo``..``hi`` (<= 3) code
    points, sorted, and their ids; tokens of other lengths are left out (no n-gram can match them)."""
    grams = [g for g in vocabulary if lo <= len(g) <= hi]
    ids = np.fromiter((vocabulary[g] for g in grams), dtype=np.int64, count=len(grams))
    lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    cps = code_points("".join(grams))
    starts = np.zeros(len(grams), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    keys = np.zeros(len(grams), dtype=np.int64)
    for j in range(hi):
        has = lengths > j
        keys[has] = (keys[has] << _CP_BITS) | cps[starts[has] + j]
    order = np.argsort(keys, kind="stable")
    return keys[order], ids[order]


def unpack_keys(keys: np.ndarray) -> list[str]:
    """The n-grams (of 1..3 code points) of packed keys, in order: the inverse of the packing."""
    mask = np.int64((1 << _CP_BITS) - 1)
    cols = np.zeros((len(keys), _MAX_PACKED), dtype=np.int64)
    k = np.array(keys, dtype=np.int64)
    for j in range(_MAX_PACKED - 1, -1, -1):
        cols[:, j] = k & mask
        k >>= _CP_BITS
    present = cols > 0  # a shorter n-gram leaves its leading columns empty
    flat = (cols[present] - 1).astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
    ends = np.cumsum(present.sum(1)).tolist()
    return [flat[a:b] for a, b in zip([0] + ends[:-1], ends)]


def look_up_keys(rows: np.ndarray, keys: np.ndarray, table_keys: np.ndarray, table_ids: np.ndarray):
    """``(rows, ids)`` of the occurrences whose packed key is in the vocabulary's sorted ``table_keys``."""
    if not len(table_keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pos = np.searchsorted(table_keys, keys)
    np.minimum(pos, len(table_keys) - 1, out=pos)
    hit = table_keys[pos] == keys
    return rows[hit], table_ids[pos[hit]]


def count_pairs(rows: np.ndarray, ids: np.ndarray, n_rows: int):
    """``(indptr, row_of, ids, counts)``: each distinct ``(row, id)`` of one pair per occurrence, sorted
    by row then id, with its count; ``indptr`` delimits the rows."""
    v = np.int64(int(ids.max()) + 1 if len(ids) else 1)
    keys, counts = np.unique(rows * v + ids, return_counts=True)
    row_of = keys // v
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of, minlength=n_rows), out=indptr[1:])
    return indptr, row_of, keys % v, counts


def document_frequencies(texts: Iterable[str], tokenize: Callable[[str], Iterable[str]]) -> tuple[Counter, int]:
    """In how many texts each token occurs, and the number of texts: the counts an IDF table is fitted from."""
    df: Counter = Counter()
    n_docs = 0
    for t in texts:
        df.update(set(tokenize(t)))
        n_docs += 1
    return df, n_docs


@dataclass
class SparseRows:
    """CSR-style batch of feature vectors: row i is ``ids[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray  # int64 [n_rows + 1]
    ids: np.ndarray  # int64 [nnz]
    weights: np.ndarray  # float32 [nnz]

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def to_scipy(self, n_features: int):
        """Return a ``scipy.sparse.csr_matrix`` (training only; scipy is a train extra)."""
        from .extras import require_extra

        require_extra("train", "SparseRows.to_scipy (training)", ("scipy",))
        from scipy.sparse import csr_matrix

        return csr_matrix((self.weights, self.ids, self.indptr), shape=(len(self), n_features))

    def padded(self, min_len: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(ids, weights)`` as dense [n_rows, max_len] arrays padded with id 0, weight 0.

        This is the input of the exported ONNX graph.
        """
        lengths = np.diff(self.indptr)
        width = max(int(lengths.max()) if len(lengths) else 0, min_len)
        ids = np.zeros((len(self), width), dtype=np.int64)
        weights = np.zeros((len(self), width), dtype=np.float32)
        for i in range(len(self)):
            a, b = self.indptr[i], self.indptr[i + 1]
            ids[i, : b - a] = self.ids[a:b]
            weights[i, : b - a] = self.weights[a:b]
        return ids, weights


class NgramFeaturizer:
    """Character n-gram TF-IDF with a vocabulary and IDF table a host can read.

    Parameters
    ----------
    ngram_range : (int, int)
        Smallest and largest n-gram length. Longer n-grams add context
        (``不好`` vs ``好``) at the cost of vocabulary size.
    min_df : int
        Drop n-grams seen in fewer training texts; rare n-grams mostly add noise.
    max_features : int or None
        Keep at most this many n-grams, the most frequent (by document frequency).
    sublinear_tf : bool
        Use ``1 + ln(count)`` so a repeated character does not dominate a text.
    star_digits : bool
        Keep the number of a star rating (:func:`star_digits`) when digits become ``0``. Off by
        default: the shipped model was fitted without it, and a rebuild with it did not pass its
        adoption rule (the model card, "What was tried"). A config without the key means off.
    """

    def __init__(self, ngram_range=(1, 3), min_df: int = 2, max_features: int | None = 200_000,
                 sublinear_tf: bool = True, star_digits: bool = False):
        self.ngram_range = tuple(ngram_range)
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.star_digits = star_digits

    # -- the rule ---------------------------------------------------------------
    def ngrams(self, text: str) -> list[str]:
        """Steps 1-2 of the rule: the n-grams of one normalised text."""
        s = self._digits_mapped(text)
        lo, hi = self.ngram_range
        return [s[i:i + n] for n in range(lo, hi + 1) for i in range(len(s) - n + 1)]

    # -- fitting ----------------------------------------------------------------
    def fit(self, texts: Iterable[str]) -> "NgramFeaturizer":
        """Build the vocabulary and IDF table from normalised texts."""
        require_sequence(texts)
        df, n_docs = document_frequencies(texts, self.ngrams)
        if n_docs == 0:
            raise ValueError("cannot fit a featurizer on zero texts")
        kept = [(g, c) for g, c in df.items() if c >= self.min_df]
        # Deterministic order: most frequent first, ties by the n-gram itself.
        kept.sort(key=lambda gc: (-gc[1], gc[0]))
        if self.max_features is not None:
            kept = kept[: self.max_features]
        if not kept:
            raise ValueError("no n-gram reaches min_df; lower min_df or add data")
        self.vocabulary_ = {g: i for i, (g, _) in enumerate(kept)}
        counts = np.array([c for _, c in kept], dtype=np.float64)
        self.idf_ = (np.log((1.0 + n_docs) / (1.0 + counts)) + 1.0).astype(np.float32)
        self.n_docs_ = n_docs
        return self

    @property
    def n_features(self) -> int:
        return len(self.vocabulary_)

    # -- transforming -----------------------------------------------------------
    def transform(self, texts: Sequence[str]) -> SparseRows:
        """Steps 1-5 of the rule for a batch of normalised texts.

        Within a row, ids come out sorted ascending (order does not matter to the rule).
        """
        require_sequence(texts)
        n_rows = len(texts)
        rows, arr = self._occurrences(texts)
        indptr, row_of, ids, counts = count_pairs(rows, arr, n_rows)
        tf = counts.astype(np.float32)
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf)
        w = tf * self.idf_[ids]
        if len(ids):
            sq = np.bincount(row_of, weights=w.astype(np.float64) ** 2, minlength=n_rows)
            norms = np.sqrt(sq)
            norms[norms == 0] = 1.0
            w = w / norms[row_of]
        return SparseRows(indptr, ids, w.astype(np.float32))

    # Steps 1-3 (n-grams found in the vocabulary) as parallel arrays (row, id), one
    # entry per occurrence. Two equivalent implementations: a numpy one for n <= 3
    # (each n-gram packed into one int64 of code points and looked up in a sorted
    # key table; ~20x faster than a dict lookup per n-gram) and the plain one.
    def _occurrences(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        table = self._key_table()
        return self._lookup_packed(texts, *table) if table is not None else self._lookup_dict(texts)

    def _lookup_dict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        get = self.vocabulary_.get
        lo, hi = self.ngram_range
        flat: list[int] = []
        lengths = np.zeros(len(texts), dtype=np.int64)
        for r, t in enumerate(texts):
            s = self._digits_mapped(t)
            m = len(s)
            ids = [get(s[i:i + n], -1) for n in range(lo, hi + 1) for i in range(m - n + 1)]
            flat.extend(ids)
            lengths[r] = len(ids)
        arr = np.fromiter(flat, dtype=np.int64, count=len(flat))
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        keep = arr >= 0
        return rows[keep], arr[keep]

    def _key_table(self) -> Optional[tuple[np.ndarray, np.ndarray]]:
        """Sorted packed keys of the vocabulary and their ids (None: n-grams longer than 3)."""
        cached = self.__dict__.get("_keys_cache")
        if cached is not None and cached[0] is self.vocabulary_:
            return cached[1]
        lo, hi = self.ngram_range
        table = packed_key_table(self.vocabulary_, lo, hi) if 1 <= lo and hi <= _MAX_PACKED else None
        self._keys_cache = (self.vocabulary_, table)
        return table

    def _digits_mapped(self, text: str) -> str:
        """Step 1 of the rule on one text."""
        return (star_digits(text) if self.star_digits else text).translate(_DIGITS)

    def _packed_codes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(code points + 1 after step 1, the row of each)`` of a batch, end to end."""
        if self.star_digits:
            texts = [star_digits(t) for t in texts]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        cps = code_points("".join(texts))
        cps[(cps > ord("0") + 1) & (cps <= ord("9") + 1)] = ord("0") + 1  # step 1 (digits -> 0), on code points + 1
        return cps, np.repeat(np.arange(len(texts), dtype=np.int64), lengths)

    def _lookup_packed(self, texts: Sequence[str], table_keys: np.ndarray,
                       table_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.ngram_range
        cps, row_at = self._packed_codes(texts)
        total = len(cps)
        rows_parts, key_parts = [], []
        for n in range(lo, hi + 1):
            m = total - n + 1
            if m <= 0:
                continue
            key = packed_ngram_keys(cps, n)
            inside = row_at[:m] == row_at[n - 1:n - 1 + m]  # the n-gram does not cross two texts
            rows_parts.append(row_at[:m][inside])
            key_parts.append(key[inside])
        if not key_parts or not len(table_keys):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        keys = np.concatenate(key_parts)
        return look_up_keys(np.concatenate(rows_parts), keys, table_keys, table_ids)

    def reads(self, texts: Sequence[str]) -> np.ndarray:
        """Whether each normalised text has an n-gram in the vocabulary (bool ``[n]``).

        A text with none (``🙂`` in a model trained without it) gets only the heads' biases, which
        say nothing about it. The n-grams of a known n-gram are nearly always known too, so texts
        with a known character are settled by one lookup and the rest by steps 1-3 of the rule.
        """
        known = np.zeros(len(texts), dtype=bool)
        table = self._key_table()
        if len(texts) and table is not None and self.ngram_range[0] == 1:
            cps, row_at = self._packed_codes(texts)
            known[look_up_keys(row_at, cps, *table)[0]] = True  # a character's key is its code point + 1
        rest = np.flatnonzero(~known)
        if len(rest):
            known[rest[self._occurrences([texts[i] for i in rest])[0]]] = True
        return known

    def fit_transform(self, texts: Sequence[str]) -> SparseRows:
        return self.fit(texts).transform(texts)

    # -- persistence --------------------------------------------------------------
    def config(self) -> dict:
        return {
            "type": "char_ngram_tfidf",
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "max_features": self.max_features,
            "sublinear_tf": self.sublinear_tf,
            "map_digits": True,
            "star_digits": self.star_digits,
            "vocab_file": "vocab.txt",
            "idf_file": "idf.npy",
            "vocab_size": self.n_features,
            "n_training_texts": self.n_docs_,
        }

    def save(self, directory: str | Path) -> dict:
        """Write ``vocab.txt`` and ``idf.npy``; return the config for ``model.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        grams = sorted(self.vocabulary_, key=self.vocabulary_.__getitem__)
        with open(directory / "vocab.txt", "w", encoding="utf-8", newline="\n") as f:
            for g in grams:
                f.write(g + "\n")
        np.save(directory / "idf.npy", self.idf_, allow_pickle=False)
        return self.config()

    @classmethod
    def load(cls, directory: str | Path, config: dict) -> "NgramFeaturizer":
        directory = Path(directory)
        if config.get("type") != "char_ngram_tfidf":
            raise ValueError(f"unsupported featurizer type {config.get('type')!r}")
        if config.get("map_digits", True) is not True:  # digits are always mapped here; a host that read the key
            raise ValueError("map_digits must be true (digits are always mapped)")  # would featurise otherwise
        self = cls(ngram_range=tuple(config["ngram_range"]), min_df=config.get("min_df", 1),
                   max_features=config.get("max_features"), sublinear_tf=config["sublinear_tf"],
                   star_digits=bool(config.get("star_digits", False)))
        with open(directory / config.get("vocab_file", "vocab.txt"), encoding="utf-8", newline="\n") as f:
            grams = f.read().split("\n")
        if grams and grams[-1] == "":
            grams.pop()
        self.vocabulary_ = {g: i for i, g in enumerate(grams)}
        if len(self.vocabulary_) != len(grams):
            raise ValueError(f"{directory}/vocab.txt has duplicate entries")
        self.idf_ = np.load(directory / config.get("idf_file", "idf.npy"), allow_pickle=False).astype(np.float32)
        if self.idf_.shape != (len(grams),):
            raise ValueError(f"idf.npy has shape {self.idf_.shape}, vocab.txt has {len(grams)} entries")
        self.n_docs_ = config.get("n_training_texts", 0)
        return self



def linear_scores(rows: SparseRows, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``rows @ weight + bias`` for a [n_features, k] weight matrix, without scipy.

    Gathers the weight rows of each n-gram and sums them per text: the same
    arithmetic as the exported ONNX graph (Gather + weighted ReduceSum).
    """
    n = len(rows)
    out = np.zeros((n, weight.shape[1]), dtype=np.float32)
    if len(rows.ids):
        contrib = weight[rows.ids] * rows.weights[:, None]
        starts = rows.indptr[:-1]
        nonempty = rows.indptr[1:] > starts
        out[nonempty] = np.add.reduceat(contrib, starts[nonempty], axis=0)
    out += bias
    return out

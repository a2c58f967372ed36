"""Keyword extraction for sets of feedback texts (TF-IDF and class-based TF-IDF).

Words come from jieba word segmentation of the normalised text (see
:func:`feedback_nlp.text.normalize`), filtered by a domain stop-word list
(``data/stopwords_zh.txt``: function words plus e-commerce filler such as
东西, 商品, 感觉, 卖家, 收到, and filler adverbs such as 再也, 尽快). Web addresses are
cut out first. Dropped as well: punctuation, pure numbers (and
number+unit tokens such as ``2个``), and single characters, except the few in
:data:`MEANINGFUL_SINGLE_CHARS` that carry a complaint on their own (慢, 贵,
脏, 烫, 臭, ...).

>>> kx = KeywordExtractor().fit(corpus_texts)            # doctest: +SKIP
>>> kx.extract(["充电器插上就发烫", "充电头烫手"], top_k=3)  # doctest: +SKIP
[('充电器', 0.61), ('发烫', 0.55), ('烫手', 0.31)]
>>> kx.extract_by_group(texts, cluster_ids, top_k=5)      # doctest: +SKIP
{0: [('送餐', ...), ('超时', ...)], 1: [...]}

jieba is used through a private ``jieba.Tokenizer`` (loaded once per process,
lazily, with jieba's logging silenced); jieba's global tokenizer and
dictionary are never touched.
"""
from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Hashable, Iterable, Mapping, Optional, Sequence

from .features import document_frequencies
from .text import normalize

__all__ = ["KeywordExtractor", "load_stop_words", "tokenize", "MEANINGFUL_SINGLE_CHARS", "STOPWORDS_PATH"]

STOPWORDS_PATH = Path(__file__).resolve().parent / "data" / "stopwords_zh.txt"

#: Single characters kept as keywords: each names a complaint by itself
#: ("太慢", "好贵", "很脏" are often segmented as 太/慢, 好/贵, 很/脏).
MEANINGFUL_SINGLE_CHARS = frozenset("慢贵脏臭烫吵假破漏错坏咸淡辣硬冷凉油腥馊霉旧潮湿薄丑卡烂少小贵晚骗")

# A keyword must contain a letter or CJK ideograph; tokens of digits (with an
# optional unit character or two) are numbers, not keywords.
_HAS_WORD = re.compile(r"[a-z\u3400-\u4dbf\u4e00-\u9fff]")
_NUMBERISH = re.compile(r"^[\d.,%:/\-+]+[a-z\u4e00-\u9fff]{0,1}$|^[零一二三四五六七八九十百千万两几\d]+[个元块天小时分钟次年月日号件斤张本台]?$")

#: Web addresses are cut out before segmentation: their pieces (http, www, cn) are no words.
_URL = re.compile(r"(?:https?:?/*|www\.)[!-~]*|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|top|xyz|vip|cc)\b[!-~]*")

_tok_lock = threading.Lock()
_tokenizer = None


def _get_tokenizer():
    """The process-wide private jieba tokenizer (not jieba's global ``jieba.dt``)."""
    global _tokenizer
    if _tokenizer is None:
        with _tok_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                logging.getLogger("jieba").setLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                _tokenizer = tok
    return _tokenizer


def load_stop_words(path: str | Path | None = None) -> frozenset[str]:
    """Read a stop-word file (one word per line, ``#`` comments); default: the shipped list."""
    p = Path(path) if path is not None else STOPWORDS_PATH
    words = set()
    with open(p, encoding="utf-8") as f:
        for line in f:
            w = line.strip()
            if w and not w.startswith("#"):
                words.add(normalize(w))
    return frozenset(words)


_DEFAULT_STOP: Optional[frozenset[str]] = None


def _default_stop_words() -> frozenset[str]:
    global _DEFAULT_STOP
    if _DEFAULT_STOP is None:
        _DEFAULT_STOP = load_stop_words()
    return _DEFAULT_STOP


def _keep(word: str, stop: frozenset[str] | set[str], singles: frozenset[str]) -> bool:
    if not word or word in stop:
        return False
    if len(word) == 1:
        return word in singles
    if not _HAS_WORD.search(word) or _NUMBERISH.match(word):
        return False
    return True


def tokenize(text: str, stop_words: Optional[Iterable[str]] = None, *, normalized: bool = False,
             hmm: bool = True, single_chars: Iterable[str] = MEANINGFUL_SINGLE_CHARS) -> list[str]:
    """Keyword candidates of one text, in order (duplicates kept)."""
    stop = _default_stop_words() if stop_words is None else frozenset(stop_words)
    norm = text if normalized else normalize(text)
    singles = frozenset(single_chars)
    tok = _get_tokenizer()
    return [w for w in (t.strip() for t in tok.lcut(_URL.sub(" ", norm), HMM=hmm)) if _keep(w, stop, singles)]


_JIEBA_IDF: Optional[tuple[dict[str, float], float]] = None


def _jieba_idf() -> tuple[dict[str, float], float]:
    """jieba's bundled IDF table (the one ``jieba.analyse`` uses) and its median."""
    global _JIEBA_IDF
    if _JIEBA_IDF is None:
        import jieba

        path = Path(jieba.__file__).resolve().parent / "analyse" / "idf.txt"
        table: dict[str, float] = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    try:
                        table[parts[0]] = float(parts[1])
                    except ValueError:
                        continue
        vals = sorted(table.values())
        _JIEBA_IDF = (table, vals[len(vals) // 2] if vals else 1.0)
    return _JIEBA_IDF


class KeywordExtractor:
    """TF-IDF keywords of a set of texts, and class-based TF-IDF keywords per group.

    Parameters
    ----------
    stop_words : iterable of str, str path, or None
        Words never returned. None: the shipped list (``data/stopwords_zh.txt``).
        A path reads a file in the same format.
    idf : mapping word -> idf, or None
        A fixed IDF table. None: the table learnt by :meth:`fit`, or, before
        ``fit``, jieba's bundled general-domain table (as ``jieba.analyse``).
    hmm : bool
        Let jieba guess out-of-vocabulary words (slower, finds new words).
    single_chars : iterable of str
        Single characters kept as keywords (default :data:`MEANINGFUL_SINGLE_CHARS`).
    """

    def __init__(self, stop_words: Iterable[str] | str | Path | None = None,
                 idf: Optional[Mapping[str, float]] = None, hmm: bool = True,
                 single_chars: Iterable[str] = MEANINGFUL_SINGLE_CHARS):
        self.stop_words = stop_words
        self.idf = idf
        self.hmm = hmm
        self.single_chars = single_chars
        if stop_words is None:
            self._stop = _default_stop_words()
        elif isinstance(stop_words, (str, Path)):
            self._stop = load_stop_words(stop_words)
        else:
            self._stop = frozenset(normalize(w) for w in stop_words)
        self._singles = frozenset(single_chars)

    # -- tokens -----------------------------------------------------------------------
    def tokenize(self, text: str, normalized: bool = False) -> list[str]:
        """Keyword candidates of one text (jieba words after filtering), in order."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        norm = text if normalized else normalize(text)
        if not norm:
            return []
        tok = _get_tokenizer()
        stop, singles = self._stop, self._singles
        return [w for w in (t.strip() for t in tok.lcut(_URL.sub(" ", norm), HMM=self.hmm)) if _keep(w, stop, singles)]

    # -- IDF ----------------------------------------------------------------------------
    def fit(self, texts: Iterable[str]) -> "KeywordExtractor":
        """Learn IDF over documents: ``idf = ln((1 + n) / (1 + df)) + 1`` (smooth)."""
        df, n = document_frequencies(texts, self.tokenize)
        if n == 0:
            raise ValueError("cannot fit a KeywordExtractor on zero texts")
        self.idf_ = {w: math.log((1.0 + n) / (1.0 + c)) + 1.0 for w, c in df.items()}
        # Unseen words are as rare as possible in the fitted corpus.
        self.default_idf_ = math.log(1.0 + n) + 1.0
        self.n_docs_ = n
        return self

    def _idf_lookup(self):
        if self.idf is not None:
            table = dict(self.idf)
            default = sorted(table.values())[len(table) // 2] if table else 1.0
        elif hasattr(self, "idf_"):
            table, default = self.idf_, self.default_idf_
        else:
            table, default = _jieba_idf()
        return lambda w: table.get(w, default)

    # -- extraction ----------------------------------------------------------------------
    def extract(self, texts: Sequence[str] | str, top_k: int = 10) -> list[tuple[str, float]]:
        """The ``top_k`` keywords of a set of texts (one string counts as a set of one).

        Score = (word count over all texts / total word count) * idf(word);
        ties are broken by the word so the output is deterministic.
        """
        if isinstance(texts, str):
            texts = [texts]
        counts: Counter[str] = Counter()
        for t in texts:
            counts.update(self.tokenize(t))
        total = sum(counts.values())
        if not total:
            return []
        idf = self._idf_lookup()
        scored = [(w, c / total * idf(w)) for w, c in counts.items()]
        scored.sort(key=lambda ws: (-ws[1], ws[0]))
        return [(w, round(s, 6)) for w, s in scored[:top_k]]

    def extract_by_group(self, texts: Sequence[str], groups: Sequence[Hashable], top_k: int = 10,
                         binary: bool = True, min_df: int = 1,
                         tokens: Optional[Sequence[list[str]]] = None,
                         min_lift: float = 1.5) -> dict[Any, list[tuple[str, float]]]:
        """Class-based TF-IDF (BERTopic's c-TF-IDF): the words that set each group apart.

        All texts of a group form one class document. For word t and class c:
        ``tf(t, c) = count(t, c) / words(c)`` and ``idf(t) = ln(1 + A / f(t))``
        where ``A`` is the average number of words per class and ``f(t)`` the
        count of t over all classes; score = tf * idf.

        ``binary`` (default) counts a word once per text, so that one text
        repeating a word does not dominate its group. ``min_df``: a word must
        occur in at least this many texts of the group. Texts whose group is
        None are ignored. ``tokens`` may pass pre-tokenised texts (from
        :meth:`tokenize`) to skip segmentation.

        ``min_lift`` (distinctiveness): with two or more groups, a word is a keyword of
        group c only when its rate there is at least ``min_lift`` times its rate over
        all groups, ``(count(t, c) / words(c)) / (f(t) / all words) >= min_lift``.
        Filler that the stop-word list misses ("再也", "尽快" spread over every
        complaint) has a lift near 1 everywhere and so labels no group; a word that
        names a group's problem is concentrated there. A group can reach a lift of at
        most 1 / its share of all words, so a group with most of the words needs only
        half of that (``min(min_lift, (1 + 1 / share) / 2)``). 0 turns the check off.
        """
        if len(texts) != len(groups):
            raise ValueError(f"{len(texts)} texts but {len(groups)} groups")
        per_class: dict[Any, Counter[str]] = {}
        docfreq: dict[Any, Counter[str]] = {}
        for i, (t, g) in enumerate(zip(texts, groups)):
            if g is None:
                continue
            words = tokens[i] if tokens is not None else self.tokenize(t)
            c = per_class.setdefault(g, Counter())
            c.update(set(words) if binary else words)
            if min_df > 1:
                docfreq.setdefault(g, Counter()).update(set(words))
        if not per_class:
            return {}
        total_f: Counter[str] = Counter()
        for c in per_class.values():
            total_f.update(c)
        all_words = sum(total_f.values())
        avg_words = all_words / len(per_class)
        check_lift = min_lift > 0 and len(per_class) > 1
        out: dict[Any, list[tuple[str, float]]] = {}
        for g, c in per_class.items():
            n_words = sum(c.values())
            if not n_words:
                out[g] = []
                continue
            df = docfreq.get(g)
            # a group holding most of the words cannot reach a large lift: ask for half the possible one
            lift = min(min_lift, 1.0 + (all_words / n_words - 1.0) / 2) if check_lift else 0.0
            scored = [(w, (k / n_words) * math.log(1.0 + avg_words / total_f[w])) for w, k in c.items()
                      if (df is None or df[w] >= min_df)
                      and (not check_lift or (k / n_words) * all_words >= lift * total_f[w])]
            scored.sort(key=lambda ws: (-ws[1], ws[0]))
            out[g] = [(w, round(s, 6)) for w, s in scored[:top_k]]
        return out

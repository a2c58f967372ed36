"""The estimator: :class:`ProblemClusterer` (representation -> linkage -> summaries)."""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from ..encoders import DEFAULT_ENCODER, Encoder, get_encoder
from ..encoders.base import l2_normalize
from ..encoders.ngram import NgramEncoder
from ..encoders.processes import encode as encode_new_in_processes, fit_encode as encode_in_processes, resolve_n_jobs
from ..pipeline import NO_PROBLEM_REASONS
from ..result import field_of
from ..text import normalize, require_texts
from .linkage import average_linkage, group_means, matrix_average_linkage, spherical_kmeans
from .recentre import apply_recentre, fit_recentre
from .snn import nearest_units, profiles, scores, snn_matrix, unit_neighbours
from .summary import describe_clusters

__all__ = ["ProblemClusterer", "check_params", "EMBEDDINGS_THRESHOLD", "SNN_THRESHOLD", "SNN_MAX_TEXTS",
           "SIMILARITIES"]

#: Cosine merge threshold when ``embeddings=`` are given and no ``threshold`` (the n-gram default of old).
EMBEDDINGS_THRESHOLD = 0.2
#: Default merge threshold on shared-neighbour similarity (any encoder; chosen on the 36 read planted sets
#: and the annotated problems under a rule written beforehand, benchmarks/RESULTS.md).
SNN_THRESHOLD = 0.1
#: Default ``min_cosine`` for ``"snn"``: this share of the encoder's cosine threshold (0.2 for the default encoder;
#: chosen with SNN_THRESHOLD, under the same rule).
FLOOR_SHARE = 2 / 3
#: ``similarity="auto"`` takes shared neighbours up to this many texts clustered and cosines above. Shared
#: neighbours were chosen on batches of 4,020 texts (4,000 micro-clusters, about one text each); at 100,000
#: texts the micro-clusters hold 25 texts each, ten of them span 250 texts, and the clusters grow into topics
#: (144 clusters; every planted problem at purity <= 0.09, benchmarks/RESULTS.md).
SNN_MAX_TEXTS = 8000
#: ``similarity=`` values: ``"auto"`` (the default), shared nearest neighbours, raw cosines.
SIMILARITIES = ("auto", "snn", "cosine")


def _by_size(lab: np.ndarray, min_size: int) -> np.ndarray:
    """The groups of ``lab`` with at least ``min_size`` members, renumbered largest first (ties: the first
    member) for stable ids; -1 for the rest."""
    groups, first, counts = np.unique(lab[lab >= 0], return_index=True, return_counts=True)
    keep = counts >= min_size
    groups, first, counts = groups[keep], first[keep], counts[keep]
    big = groups[np.lexsort((first, -counts))]
    newid = np.full(int(lab.max()) + 2 if len(lab) else 1, -1, dtype=np.int64)
    newid[big] = np.arange(len(big))
    return np.where(lab >= 0, newid[np.maximum(lab, 0)], -1)


def _at_most_unit(sums: np.ndarray) -> np.ndarray:
    """Rows longer than 1 (sums of several texts) scaled to unit length, shorter ones kept (float32). A text the
    encoder reads only in part (emoji, a script it lacks) has a row shorter than 1, and so low cosines to
    everything; scaling it up would give such texts neighbours among each other, and a cluster."""
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.maximum(norms, 1.0)).astype(np.float32)


def _best(S: np.ndarray, thr: float) -> np.ndarray:
    """Each row's best column when its score is at least ``thr``, else -1."""
    j = np.argmax(S, axis=1)
    return np.where(S[np.arange(len(S)), j] >= thr, j, -1)


def _first_reason(result: Any) -> Optional[str]:
    """The first of a result's ``severity_reasons`` (a list, as analysis gives it), else None."""
    reasons = field_of(result, "severity_reasons")
    return reasons[0] if isinstance(reasons, (list, tuple)) and reasons else None


def _is_int(v: Any, low: int) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, np.integer)) and v >= low


def check_params(params: Mapping[str, Any], names: Optional[Mapping[str, str]] = None) -> None:
    """Raise ValueError on the first of the given :class:`ProblemClusterer` parameters that is out of range, naming
    it as ``names`` does (the CLI passes its flags: ``{"min_size": "--min-size", ...}``), else by its own name.
    Only the parameters in ``params`` are checked; ``recentre`` is checked against ``similarity`` and ``threshold``."""
    def n(name: str) -> str:
        return (names or {}).get(name, name)

    if "min_size" in params and not _is_int(params["min_size"], 1):
        raise ValueError(f"{n('min_size')} must be an int >= 1; got {params['min_size']!r}")
    for name in ("threshold", "assign_threshold", "min_cosine"):
        v = params.get(name)  # NaN would silently match nothing (and is not JSON in the summary)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not np.isfinite(v)):
            raise ValueError(f"{n(name)} must be a finite number (or left out); got {v!r}")
    if "seed" in params and not _is_int(params["seed"], 0):  # numpy's generators take no negative seed
        raise ValueError(f"{n('seed')} must be an int >= 0; got {params['seed']!r}")
    freq = params.get("freq", "D")
    if not isinstance(freq, str) or freq.upper() not in ("D", "W"):
        raise ValueError(f"{n('freq')} must be 'D' or 'W'; got {freq!r}")
    if params.get("similarity", "auto") not in SIMILARITIES:
        raise ValueError(f"{n('similarity')} must be one of {SIMILARITIES}; got {params['similarity']!r}")
    if "n_neighbors" in params and not _is_int(params["n_neighbors"], 1):
        raise ValueError(f"{n('n_neighbors')} must be an int >= 1; got {params['n_neighbors']!r}")
    r = params.get("recentre")
    if r is None:
        return
    if not _is_int(r, 0):
        raise ValueError(f"{n('recentre')} must be an int >= 0 (or left out); got {r!r}")
    if params.get("similarity") == "snn":
        raise ValueError(f"{n('recentre')} works on cosines, not with {n('similarity')} snn")
    if params.get("threshold") is None:
        raise ValueError(f"give {n('threshold')} with {n('recentre')}: the default thresholds are for raw cosines")


class ProblemClusterer:
    """Find recurring problems in feedback texts (see the module docstring).

    Parameters are checked when the clusterer is made (and again in ``fit``): a bad value raises ValueError.

    Parameters
    ----------
    min_size : int
        Smallest cluster kept, at least 1; texts of smaller clusters get ``cluster_id`` None.
    similarity : "auto", "snn" or "cosine"
        How alike two texts are. ``"snn"`` (:mod:`.snn`): the share of their ``n_neighbors + 1`` nearest
        texts (by cosine) they have in common, so paraphrases whose cosines sit under any fixed cut still
        group when they are each other's neighbours. ``"cosine"``: the raw cosine (the earlier default; the
        encoders' ``default_threshold`` values are for it). ``"auto"`` (default): ``"snn"`` up to
        :data:`SNN_MAX_TEXTS` texts clustered, ``"cosine"`` above, and ``"cosine"`` whenever a ``threshold``
        is given (the thresholds of earlier versions are cosines). The choice made is ``similarity_``.
    n_neighbors : int
        Neighbours per text for ``"snn"`` (capped at the number of texts minus one). Above ``max_units`` texts,
        lists of micro-clusters span about as many texts (``unit_neighbors_`` micro-clusters, at least 1).
    min_cosine : float or None
        For ``"snn"``: a neighbour counts only when its cosine is at least this, so problems smaller than
        ``n_neighbors`` do not merge through neighbours they share nothing with. None: :data:`FLOOR_SHARE` times
        the encoder's cosine threshold. The value in force after ``fit`` is ``min_cosine_``.
    threshold : float or None
        Merge clusters while the mean similarity of their members is at least this (a finite number; higher:
        tighter, smaller clusters, more noise; above 1 nothing merges). None: :data:`SNN_THRESHOLD` for
        ``"snn"``; for ``"cosine"`` the encoder's own ``default_threshold`` (cosines differ by representation;
        :data:`EMBEDDINGS_THRESHOLD` with ``embeddings=``), which holds for raw cosines, so with ``recentre`` a
        threshold must be given.
        The value in force after ``fit`` is ``threshold_``.
    recentre : int or None
        Opt-in, on cosines (not with ``similarity="snn"``): take cosines relative to the batch (:mod:`.recentre`): the
        vectors minus the mean of the texts clustered, minus their top ``recentre`` principal directions,
        re-normalised (0: centred only). It finds more small problems among many others, but a problem that
        makes up a large share of the batch *is* that mean or direction and would vanish; so the texts of a
        raw-space cluster (at the encoder's own threshold) that the relative pass leaves unclustered are given
        back as a cluster when they are at least half of it (``restored_`` marks those; they live in the raw
        space, for ``predict`` too). None (default): the vectors as they are, one pass. Figures:
        benchmarks/RESULTS.md, "Clustering relative to the batch".
    assign_threshold : float or None
        A text joins the cluster it is most similar to on average when that
        similarity is at least this (default: ``threshold``). Used for the
        final assignment in ``fit`` and by ``predict``.
    include_sentiments : tuple of str or None
        With ``results``, only records with these sentiments are clustered
        (None: all). Spam is always left out when ``drop_spam``.
    drop_no_problem : bool
        With ``results``, leave out records a decision-stage rule found to raise no problem (their first
        severity reason is in :data:`feedback_nlp.pipeline.NO_PROBLEM_REASONS`: "差评！", "收到", "我要投诉",
        "5星", "此用户未填写评价内容"): they are no recurring problem, and a review export's placeholders
        would otherwise be its largest cluster.
    max_units : int
        Cluster single texts up to this many; above, merge this many
        k-means micro-clusters instead (bounds time and memory).
    seed : int
        Seeds the sketch, the SVD and the micro-clusters (>= 0).
    n_representatives : int
        Representative texts per cluster (closest to the centroid, PII masked).
    n_keywords : int
        Keywords per cluster (class-based TF-IDF over jieba words).
    freq : "D" or "W"
        Period of the per-cluster counts when ``times`` are given.
    vectorizer_params : dict
        Passed to the ``ngram`` encoder's :class:`TextVectorizer` (ngram_range, use_words, dim, ...).
    encoder : str or Encoder or None
        The text representation (see :mod:`feedback_nlp.encoders`): ``"semantic+ngram"``,
        ``"semantic"``, ``"ngram"``, a pretrained encoder's name, a directory, or an
        :class:`~feedback_nlp.encoders.Encoder` object. None: ``"ngram"`` when
        ``vectorizer_params`` are given, else :data:`DEFAULT_ENCODER`. The
        fitted encoder is ``encoder_`` (None after ``fit(embeddings=...)``).
    n_jobs : int or None
        Processes that encode the texts in ``fit`` and ``predict`` (None: 1; -1: every CPU). The rows, so the
        clusters, are the same as in one process, to the bit (:mod:`feedback_nlp.encoders.processes`;
        needs the ``fork`` start method, else one process); linkage always runs here.
    """

    def __init__(self, min_size: int = 5, threshold: Optional[float] = None, assign_threshold: Optional[float] = None,
                 include_sentiments: Optional[Sequence[str]] = ("negative", "neutral"), drop_spam: bool = True,
                 drop_no_problem: bool = True, max_units: int = 4000, seed: int = 0, n_representatives: int = 5,
                 n_keywords: int = 8,
                 freq: str = "D", keyword_sample: int = 30, keyword_budget: int = 8000,
                 vectorizer_params: Optional[dict] = None, encoder: Union[str, Encoder, None] = None,
                 n_jobs: Optional[int] = 1, recentre: Optional[int] = None, similarity: str = "auto",
                 n_neighbors: int = 10, min_cosine: Optional[float] = None):
        self.min_size = min_size
        self.threshold = threshold
        self.assign_threshold = assign_threshold
        self.include_sentiments = include_sentiments
        self.drop_spam = drop_spam
        self.drop_no_problem = drop_no_problem
        self.max_units = max_units
        self.seed = seed
        self.n_representatives = n_representatives
        self.n_keywords = n_keywords
        self.freq = freq
        self.keyword_sample = keyword_sample
        self.keyword_budget = keyword_budget
        self.vectorizer_params = vectorizer_params
        self.encoder = encoder
        self.n_jobs = n_jobs
        self.recentre = recentre
        self.similarity = similarity
        self.n_neighbors = n_neighbors
        self.min_cosine = min_cosine
        self._check_params()  # here too, so that the CLI and callers fail before any analysis

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
            elif self.drop_no_problem and _first_reason(r) in NO_PROBLEM_REASONS:
                ok[i] = False
        return ok

    def _embed_fit(self, norms: list[str], embeddings) -> np.ndarray:
        if embeddings is not None:
            E = np.asarray(embeddings, dtype=np.float32)
            if E.ndim != 2 or len(E) != len(norms):
                raise ValueError(f"embeddings must be [n_texts, d]; got shape {E.shape} for {len(norms)} texts")
            self.encoder_ = None
            return l2_normalize(E.copy())
        self.encoder_ = self._make_encoder()
        return encode_in_processes(self.encoder_, norms, self.n_jobs)

    def _make_encoder(self) -> Encoder:
        spec = self.encoder
        if spec is None:
            spec = "ngram" if self.vectorizer_params is not None else DEFAULT_ENCODER
        if isinstance(spec, Encoder):
            return spec
        if spec == "ngram":  # fitted on the texts it clusters: a fresh one per fit
            params = dict(self.vectorizer_params or {})
            params.setdefault("seed", self.seed)
            return NgramEncoder(**params)
        return get_encoder(spec)

    def _check_params(self) -> None:
        check_params(vars(self))

    def _default_threshold(self) -> float:
        """:data:`SNN_THRESHOLD`, or for cosines :meth:`_cosine_threshold`."""
        return SNN_THRESHOLD if self.similarity_ == "snn" else self._cosine_threshold()

    def _cosine_threshold(self) -> float:
        """The fitted encoder's own cosine threshold (:data:`EMBEDDINGS_THRESHOLD` for ``embeddings=``)."""
        enc = getattr(self, "encoder_", None)
        return EMBEDDINGS_THRESHOLD if enc is None else float(enc.default_threshold)

    def _threshold(self) -> float:
        """The merge threshold in force: ``threshold``, else the encoder's default."""
        return float(self.threshold) if self.threshold is not None else self._default_threshold()

    def _min_cosine(self) -> float:
        """The ``"snn"`` neighbour floor in force: ``min_cosine``, else :data:`FLOOR_SHARE` x the cosine threshold."""
        return float(self.min_cosine) if self.min_cosine is not None else FLOOR_SHARE * self._cosine_threshold()

    def _assign_threshold(self) -> float:
        return self.threshold_ if self.assign_threshold is None else float(self.assign_threshold)

    @property
    def vectorizer_(self):
        """The fitted :class:`TextVectorizer` of the ``ngram`` encoder (None for other encoders)."""
        return getattr(getattr(self, "encoder_", None), "vectorizer", None)

    def _embed(self, norms: list[str], embeddings) -> np.ndarray:
        if embeddings is not None:
            E = np.asarray(embeddings, dtype=np.float32)
            if E.ndim != 2 or len(E) != len(norms) or E.shape[1] != self.centroids_.shape[1]:
                raise ValueError(f"embeddings must be [{len(norms)}, {self.centroids_.shape[1]}]; got {E.shape}")
            return l2_normalize(E.copy())
        if self.encoder_ is None:
            raise ValueError("this clusterer was fitted on embeddings; pass embeddings= to predict()")
        return encode_new_in_processes(self.encoder_, norms, self.n_jobs)

    @staticmethod
    def _assign(X: np.ndarray, means: np.ndarray, thr: float, chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
        """The nearest mean of each row when its similarity is at least ``thr`` (else -1), and that similarity."""
        n = len(X)
        lab = np.full(n, -1, dtype=np.int64)
        sim = np.zeros(n, dtype=np.float32)
        if len(means) == 0 or n == 0:
            return lab, sim
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
        require_texts(texts)
        texts = list(texts)
        if times is not None and len(times) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(times)} times")
        resolve_n_jobs(self.n_jobs)  # bad values fail here, before any encoding
        self._check_params()
        norms = [normalize(t) for t in texts]
        elig = self._eligible(norms, results)
        idx = np.flatnonzero(elig)
        n = len(texts)
        self.n_texts_, self.n_eligible_ = n, int(len(idx))
        self.labels_: list[Optional[int]] = [None] * n
        self.centroids_ = np.zeros((0, 1), dtype=np.float32)
        self.restored_ = np.zeros(0, dtype=bool)
        self.mean_ = self.components_ = None
        self.unit_vectors_ = self.profiles_ = None
        self.cluster_info_: list[dict] = []
        self.similarity_ = self.similarity
        if self.similarity == "auto":
            self.similarity_ = "snn" if self.threshold is None and len(idx) <= SNN_MAX_TEXTS else "cosine"
        if len(idx) == 0:
            self.encoder_ = None
            self.threshold_, self.min_cosine_ = self._threshold(), self._min_cosine()
            return self
        sub_norms = [norms[i] for i in idx]
        if embeddings is not None and len(embeddings) != n:
            raise ValueError(f"embeddings must have one row per text ({n}); got {len(embeddings)}")
        sub_emb = None if embeddings is None else np.asarray(embeddings)[idx]
        X_raw = self._embed_fit(sub_norms, sub_emb)
        self.threshold_ = self._threshold()
        self.min_cosine_ = self._min_cosine()
        if self.recentre is None:
            X = X_raw
            final = self._cluster(X, self.threshold_, self._assign_threshold())
            self.restored_ = np.zeros(int(final.max(initial=-1)) + 1, dtype=bool)
        else:
            self.mean_, self.components_ = fit_recentre(X_raw, int(self.recentre))
            X = apply_recentre(X_raw.copy(), self.mean_, self.components_)
            final = self._cluster(X, self.threshold_, self._assign_threshold())
            final, X = self._with_raw_safety_net(final, X, X_raw)
        k = len(self.restored_)
        self.centroids_ = group_means(X, final, np.arange(k)) if k else np.zeros((0, X.shape[1]), dtype=np.float32)
        for j, i in enumerate(idx):
            self.labels_[i] = int(final[j]) if final[j] >= 0 else None
        self.cluster_info_ = describe_clusters(self, texts, norms, idx, X, final, results, times)
        return self

    def _units(self, X: np.ndarray):
        """The texts themselves up to ``max_units``, else k-means micro-clusters: (unit of each row, sums, sizes)."""
        m = len(X)
        if m <= self.max_units:
            return np.arange(m), X.astype(np.float64), np.ones(m)
        unit_of, sums, sizes = spherical_kmeans(X, self.max_units, np.random.default_rng(self.seed))
        keep = sizes > 0
        remap = np.cumsum(keep) - 1
        return remap[unit_of], sums[keep], sizes[keep]

    def _cluster(self, X: np.ndarray, threshold: float, assign: float) -> np.ndarray:
        """Cluster ids (largest first; -1: noise) of the rows of ``X``: linkage at ``threshold``, then two
        rounds of reassignment at ``assign``, then ``min_size``."""
        if self.similarity_ == "snn":
            return self._cluster_snn(X, threshold, assign)
        unit_of, sums, sizes = self._units(X)
        lab = average_linkage(sums, sizes, threshold)[unit_of]
        lab = self._reassign(lab, lambda lab, big: self._assign(X, group_means(X, lab, big), assign)[0])
        return _by_size(lab, self.min_size)

    def _reassign(self, lab: np.ndarray, pick) -> np.ndarray:
        """Keep the groups of ``min_size`` or more, then move every text to the one ``pick(lab, big)`` gives
        (an index into ``big``, or -1 for none); twice, so the groups of the first move are refined once."""
        for _ in range(2):
            groups, counts = np.unique(lab[lab >= 0], return_counts=True)
            big = groups[counts >= self.min_size]
            if len(big) == 0:
                return np.full(len(lab), -1)
            j = pick(lab, big)
            lab = np.where(j >= 0, big[np.maximum(j, 0)], -1)
        return lab

    def _cluster_snn(self, X: np.ndarray, threshold: float, assign: float) -> np.ndarray:
        """:meth:`_cluster` on shared-neighbour similarity (:mod:`.snn`); keeps the unit vectors and the
        clusters' neighbour profiles for ``predict``."""
        m = len(X)
        unit_of, sums, sizes = self._units(X)
        U = _at_most_unit(sums)
        # Lists span about n_neighbors texts: fewer units when micro-clusters hold several texts each.
        self.unit_neighbors_ = k = max(1, int(round(self.n_neighbors * len(U) / m)))
        unit_lists = unit_neighbours(U, k, self.min_cosine_)
        lab = matrix_average_linkage(snn_matrix(unit_lists), sizes, threshold)[unit_of]
        lists = unit_lists if m <= self.max_units else nearest_units(X, U, k, self.min_cosine_)
        lab = self._reassign(lab, lambda lab, big: _best(scores(lists, profiles(lists, lab, len(U), big)), assign))
        final = _by_size(lab, self.min_size)
        self.unit_vectors_ = U
        self.profiles_ = profiles(lists, final, len(U), np.arange(int(final.max(initial=-1)) + 1))
        return final

    def _with_raw_safety_net(self, final: np.ndarray, X: np.ndarray, X_raw: np.ndarray):
        """Give back what the relative pass erased: the texts of a raw-space cluster (the encoder's own
        threshold) that the relative pass left unclustered form a cluster again when they are at least half
        of it and ``min_size``. Returns the ids (largest first) and each row in its cluster's space."""
        raw_threshold = self._default_threshold()
        raw = self._cluster(X_raw, raw_threshold, raw_threshold)
        k = int(raw.max(initial=-1)) + 1
        left_out = (raw >= 0) & (final < 0)
        n_left = np.bincount(raw[left_out], minlength=k)
        back = n_left >= np.maximum(self.min_size, 0.5 * np.bincount(raw[raw >= 0], minlength=k))
        first_restored = int(final.max(initial=-1)) + 1
        new_id = first_restored + np.cumsum(back) - 1  # in raw-cluster order
        lab = final.copy()
        give = left_out.copy()  # indexed on the left-out rows only: ``back`` is empty when raw found no cluster
        give[left_out] = back[raw[left_out]]
        lab[give] = new_id[raw[give]]
        final = _by_size(lab, 1)
        old_of_new = np.full(int(final.max(initial=-1)) + 1, -1, dtype=np.int64)
        old_of_new[final[final >= 0]] = lab[final >= 0]
        self.restored_ = old_of_new >= first_restored
        in_raw = final >= 0  # likewise: ``restored_`` is empty when no cluster is left
        in_raw[in_raw] = self.restored_[final[in_raw]]
        X[in_raw] = X_raw[in_raw]
        return final, X

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
        require_texts(texts)
        texts = list(texts)
        resolve_n_jobs(self.n_jobs)
        norms = [normalize(t) for t in texts]
        elig = self._eligible(norms, results)
        out: list[Optional[int]] = [None] * len(texts)
        idx = np.flatnonzero(elig)
        if embeddings is not None and len(embeddings) != len(texts):
            raise ValueError(f"embeddings must have one row per text ({len(texts)}); got {len(embeddings)}")
        if embeddings is None and getattr(self, "encoder_", None) is None and len(self.centroids_):
            raise ValueError("this clusterer was fitted on embeddings; pass embeddings= to predict()")
        if len(idx) == 0 or len(self.centroids_) == 0:
            return out
        X = self._embed([norms[i] for i in idx], None if embeddings is None else np.asarray(embeddings)[idx])
        lab = self._assign_new(X)
        for j, i in enumerate(idx):
            out[i] = int(lab[j]) if lab[j] >= 0 else None
        return out

    def _assign_new(self, X_raw: np.ndarray) -> np.ndarray:
        """``predict``'s step: by neighbour profiles (``"snn"``), else each cluster in its own space (relative, or
        raw for one the safety net restored)."""
        assign = self._assign_threshold()
        if getattr(self, "profiles_", None) is not None:
            lists = nearest_units(X_raw, self.unit_vectors_, self.unit_neighbors_, self.min_cosine_)
            return _best(scores(lists, self.profiles_), assign)
        if getattr(self, "mean_", None) is None:
            return self._assign(X_raw, self.centroids_, assign)[0]
        restored = self.restored_
        rel_ids, raw_ids = np.flatnonzero(~restored), np.flatnonzero(restored)
        X = apply_recentre(X_raw.copy(), self.mean_, self.components_)
        lab, _ = self._assign(X, self.centroids_[rel_ids], assign)
        lab = np.where(lab >= 0, rel_ids[np.maximum(lab, 0)] if len(rel_ids) else -1, -1)
        rest = np.flatnonzero(lab < 0)
        if len(raw_ids) and len(rest):
            lab_raw, _ = self._assign(X_raw[rest], self.centroids_[raw_ids], self._default_threshold())
            lab[rest] = np.where(lab_raw >= 0, raw_ids[np.maximum(lab_raw, 0)], -1)
        return lab

    def get_cluster_info(self) -> list[dict]:
        """One JSON-serialisable dict per cluster, largest first (see the module docstring):
        cluster_id, label, keywords, keyword_scores, size, share (of the clustered-eligible
        texts), cohesion (mean cosine to the centroid), representatives (PII masked) and
        representative_indices (their positions among the fitted texts), and with results: issue_type_mix,
        primary_issue_mix, severity_mix, sentiment_mix ({value: {count, share}}); with times: first_seen, last_seen,
        freq, counts ({period start: count})."""
        if not hasattr(self, "cluster_info_"):
            raise RuntimeError("ProblemClusterer is not fitted")
        return json.loads(json.dumps(self.cluster_info_, ensure_ascii=False))

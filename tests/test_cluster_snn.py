"""Shared-nearest-neighbour similarity (cluster/snn.py), the matrix linkage and ProblemClusterer(similarity="snn")."""
from __future__ import annotations

import numpy as np
import pytest

from feedback_nlp.cluster import ProblemClusterer, average_linkage
from feedback_nlp.cluster.linkage import matrix_average_linkage
from feedback_nlp.cluster.snn import nearest_units, profiles, scores, snn_matrix, unit_neighbours
from feedback_nlp.encoders.base import l2_normalize


def _unit(rng, n, d=32):
    return l2_normalize(rng.normal(size=(n, d)).astype(np.float32))


def _partition(root):
    """Groups as a set of frozensets (ids differ between equivalent linkages)."""
    groups = {}
    for i, r in enumerate(root):
        groups.setdefault(int(r), set()).add(i)
    return {frozenset(g) for g in groups.values()}


# ----------------------------------------------------------------------------- neighbour lists
def test_each_unit_lists_itself_even_among_duplicates():
    U = l2_normalize(np.repeat(np.eye(3, dtype=np.float32), 4, axis=0))  # every row has 3 exact copies
    lists = unit_neighbours(U, 3)
    assert lists.shape == (12, 4)
    assert all(i in row for i, row in enumerate(lists))
    assert all(set(row) == set(range(4 * (i // 4), 4 * (i // 4) + 4)) for i, row in enumerate(lists))


def test_k_is_capped_and_the_floor_drops_far_neighbours():
    U = l2_normalize(np.array([[1, 0], [0.9, 0.1], [0, 1]], dtype=np.float32))
    lists = unit_neighbours(U, 10)  # capped at 2
    assert lists.shape == (3, 3)
    floored = unit_neighbours(U, 10, floor=0.5)
    n = len(U)  # the id that matches nothing
    assert sorted(floored[0]) == [0, 1, n] and sorted(floored[2]) == [2, n, n]
    near = nearest_units(np.array([[0.0, 1.0]], dtype=np.float32), U, 1, floor=0.5)
    assert sorted(near[0]) == [2, n]


def test_snn_is_the_shared_share_of_the_lists():
    rng = np.random.default_rng(0)
    U = _unit(rng, 30)
    lists = unit_neighbours(U, 5, floor=0.1)
    W = snn_matrix(lists)
    sets = [set(r) - {len(U)} for r in lists]
    for a, b in [(0, 1), (3, 17), (5, 5), (29, 2)]:
        assert W[a, b] == pytest.approx(len(sets[a] & sets[b]) / 6)


def test_scores_are_the_mean_snn_to_each_groups_members():
    rng = np.random.default_rng(1)
    U = _unit(rng, 40)
    lists = unit_neighbours(U, 6, floor=0.0)
    labels = rng.integers(-1, 3, size=40)
    S = scores(lists, profiles(lists, labels, len(U), np.array([0, 2])))
    W = snn_matrix(lists)
    for j, g in enumerate((0, 2)):
        assert np.allclose(S[:, j], W[:, labels == g].mean(axis=1), atol=1e-6)


# ----------------------------------------------------------------------------- linkage
def test_matrix_linkage_equals_average_linkage_on_cosines():
    rng = np.random.default_rng(2)
    X = _unit(rng, 120, d=8)
    for t in (0.1, 0.3, 0.5):
        a = matrix_average_linkage(X @ X.T, np.ones(len(X)), t)
        b = average_linkage(X.astype(np.float64), np.ones(len(X)), t)
        assert _partition(a) == _partition(b)


def _naive_linkage(W, sizes, threshold):
    """Average linkage the slow way: every round, every group's nearest neighbour from scratch."""
    groups = [[i] for i in range(len(W))]
    sizes = np.asarray(sizes, dtype=np.float64)
    while len(groups) > 1:
        def sim(g, h):
            w = np.outer(sizes[g], sizes[h])
            return float((W[np.ix_(g, h)] * w).sum() / w.sum())
        S = np.array([[sim(g, h) if i != j else -np.inf for j, h in enumerate(groups)] for i, g in enumerate(groups)])
        nn = S.argmax(axis=1)
        pairs = [(i, int(nn[i])) for i in range(len(groups)) if nn[nn[i]] == i and i < nn[i] and S[i, nn[i]] >= threshold]
        if not pairs:
            break
        gone = {j for _, j in pairs}
        for i, j in pairs:
            groups[i] = groups[i] + groups[j]
        groups = [g for k, g in enumerate(groups) if k not in gone]
    return {frozenset(g) for g in groups}


def test_both_linkages_equal_a_from_scratch_average_linkage():
    """The shared reciprocal-nearest-neighbour rounds keep each row's nearest neighbour up to date
    between rounds instead of recomputing them all; the result must not change."""
    rng = np.random.default_rng(5)
    for trial in range(12):
        X = _unit(rng, 50, d=4)
        sizes = rng.integers(1, 4, size=50).astype(np.float64)
        W = (X @ X.T).astype(np.float64)
        for t in (0.0, 0.3, 0.6):
            want = _naive_linkage(W, sizes, t)
            assert _partition(average_linkage(X * sizes[:, None], sizes, t)) == want
            assert _partition(matrix_average_linkage(W, sizes, t)) == want


def test_matrix_linkage_weights_groups_by_size():
    # b is close to the 9-text group a and far from c; size-weighted, (a, b) averages 0.2 x 9/10 + 0.9 x 1/10.
    W = np.array([[1.0, 0.9, 0.2], [0.9, 1.0, 0.0], [0.2, 0.0, 1.0]], dtype=np.float32)
    root = matrix_average_linkage(W, np.array([1.0, 1.0, 9.0]), 0.25)
    assert root[0] == root[1] and root[2] != root[0]  # c (9 texts) is 0.2 / 0.0 from a / b: (0.2 + 0) / 2 < 0.25
    root = matrix_average_linkage(W, np.array([1.0, 1.0, 9.0]), 0.05)
    assert len(set(root)) == 1  # (0.2 x 1 + 0 x 1) / 2 = 0.1 >= 0.05


# ----------------------------------------------------------------------------- the estimator
def _paraphrase_batch(rng, n_others=400, n_planted=20, d=256):
    """A shared "complaint" direction under everything, background texts and one planted problem whose
    cosines (about 0.25) sit under a cosine cut of 0.3, while about half of each one's 10 nearest texts are
    the others (as for the planted paraphrases, benchmarks/RESULTS.md)."""
    common = l2_normalize(rng.normal(size=(1, d)).astype(np.float32))
    topic = l2_normalize(rng.normal(size=(1, d)).astype(np.float32))
    others = l2_normalize(0.45 * common + rng.normal(size=(n_others, d)).astype(np.float32) / np.sqrt(d))
    planted = l2_normalize(0.45 * common + 0.35 * topic + rng.normal(size=(n_planted, d)).astype(np.float32)
                           / np.sqrt(d))
    X = np.vstack([others[:n_others // 2], planted, others[n_others // 2:]])
    pos = list(range(n_others // 2, n_others // 2 + n_planted))
    return X, pos


def _best(labels, pos):
    from collections import Counter

    c = Counter(labels[i] for i in pos if labels[i] is not None)
    if not c:
        return 0, 0
    best, n = c.most_common(1)[0]
    return n, sum(1 for x in labels if x == best)


def test_shared_neighbours_find_a_problem_under_the_cosine_cut():
    X, pos = _paraphrase_batch(np.random.default_rng(3))
    P = X[pos]
    within = (P @ P.T)[~np.eye(len(P), dtype=bool)].mean()
    assert 0.2 < within < 0.3  # the scenario: under the 0.3 cut
    names = [f"t{i}" for i in range(len(X))]
    cos = ProblemClusterer(similarity="cosine", threshold=0.3, seed=0).fit_predict(names, embeddings=X)
    snn = ProblemClusterer(seed=0, min_cosine=0.1).fit_predict(names, embeddings=X)
    n_cos, _ = _best(cos, pos)
    n_snn, size = _best(snn, pos)
    assert n_cos < 16 <= n_snn and n_snn / size >= 0.5


def test_a_problem_filling_the_batch_stays_one_cluster():
    X, pos = _paraphrase_batch(np.random.default_rng(4), n_others=0)
    labels = ProblemClusterer(seed=0, min_cosine=0.1).fit_predict([f"t{i}" for i in range(len(X))], embeddings=X)
    assert _best(labels, pos)[0] >= 16


def test_the_floor_keeps_small_problems_apart():
    # Three tight problems of 4 texts, nearly orthogonal to each other: with 10 neighbours and no floor every
    # list must hold the other problems' texts, and they merge.
    rng = np.random.default_rng(5)
    centres = np.eye(3, 16, dtype=np.float32)
    X = l2_normalize(np.repeat(centres, 4, axis=0) + 0.2 * rng.normal(size=(12, 16)).astype(np.float32))
    names = [f"t{i}" for i in range(12)]
    floored = ProblemClusterer(seed=0, min_size=3, min_cosine=0.3).fit_predict(names, embeddings=X)
    assert [floored[i] for i in range(0, 12, 4)] == [floored[i + 1] for i in range(0, 12, 4)]
    assert len({floored[i] for i in range(0, 12, 4)}) == 3
    bare = ProblemClusterer(seed=0, min_size=3, min_cosine=-1.0).fit_predict(names, embeddings=X)
    assert len(set(bare) - {None}) < 3


def test_predict_follows_the_neighbours_in_text_and_micro_cluster_units():
    X, pos = _paraphrase_batch(np.random.default_rng(6), n_others=300)
    names = [f"t{i}" for i in range(len(X))]
    for max_units in (4000, 100):  # texts as units, then k-means micro-clusters
        cl = ProblemClusterer(seed=0, min_cosine=0.1, max_units=max_units)
        labels = cl.fit_predict(names, embeddings=X)
        n_units = min(max_units, len(X))
        assert len(cl.unit_vectors_) == n_units and cl.unit_neighbors_ == round(10 * n_units / len(X))
        again = cl.predict(names, embeddings=X)
        agree = np.mean([a == b for a, b in zip(labels, again)])
        assert agree > 0.9
        best = max(set(labels[i] for i in pos) - {None}, key=[labels[i] for i in pos].count)
        assert cl.predict(["x"], embeddings=X[pos[0]:pos[0] + 1]) == [best]
        far = l2_normalize(-X[pos].mean(axis=0, keepdims=True))
        assert cl.predict(["y"], embeddings=far) == [None]


def test_snn_settings_are_checked():
    X = np.eye(4, dtype=np.float32)
    for bad in (dict(similarity="jaccard"), dict(n_neighbors=0), dict(n_neighbors=True),
                dict(recentre=1, threshold=0.2, similarity="snn")):  # recentre is for cosines
        with pytest.raises(ValueError):
            ProblemClusterer(**bad).fit(["a", "b", "c", "d"], embeddings=X)
    cl = ProblemClusterer(min_size=1).fit(["a", "b", "c", "d"], embeddings=X)
    assert cl.threshold_ == 0.1 and cl.min_cosine_ == pytest.approx(2 / 3 * 0.2)  # defaults for embeddings=


def test_auto_takes_shared_neighbours_for_small_batches_and_cosines_above(monkeypatch):
    import feedback_nlp.cluster.clusterer as clusterer

    X, _ = _paraphrase_batch(np.random.default_rng(7), n_others=40)
    names = [f"t{i}" for i in range(len(X))]
    cl = ProblemClusterer(seed=0).fit(names, embeddings=X)
    assert cl.similarity_ == "snn" and cl.profiles_ is not None and cl.threshold_ == 0.1
    monkeypatch.setattr(clusterer, "SNN_MAX_TEXTS", len(X) - 1)
    cl = ProblemClusterer(seed=0).fit(names, embeddings=X)
    assert cl.similarity_ == "cosine" and cl.profiles_ is None and cl.threshold_ == 0.2  # EMBEDDINGS_THRESHOLD
    assert ProblemClusterer(seed=0, similarity="snn").fit(names, embeddings=X).similarity_ == "snn"
    monkeypatch.setattr(clusterer, "SNN_MAX_TEXTS", 8000)
    assert ProblemClusterer(seed=0).fit(names, embeddings=X).similarity_ == "snn"
    cl = ProblemClusterer(seed=0, threshold=0.25).fit(names, embeddings=X)  # a given threshold is a cosine
    assert cl.similarity_ == "cosine" and cl.threshold_ == 0.25


def test_texts_the_encoder_cannot_read_stay_unclustered():
    # A mix whose topic part is empty for emoji-only texts: their rows are short (only the constant part), so
    # their cosines stay under the floor, as on cosines; scaled up to unit length they would form a cluster.
    from feedback_nlp.encoders import ConcatEncoder, Encoder

    class Topics(Encoder):
        name, default_threshold, dim = "topics", 0.9, 2

        def _encode(self, norms):
            return np.array([[float("电池" in s), float("快递" in s)] for s in norms], dtype=np.float32)

    class Constant(Encoder):  # the same row for every text, as issue-type priors of an unreadable text
        name, default_threshold, dim = "constant", 0.9, 1

        def _encode(self, norms):
            return np.ones((len(norms), 1), dtype=np.float32)

    enc = ConcatEncoder([(Topics(), 0.8), (Constant(), 0.2)], default_threshold=0.9)
    texts = ["电池不耐用"] * 3 + ["快递太慢了"] * 3 + ["😀😀", "👍", "🙏🙏", "🎉", "😡"]
    for similarity in ("snn", "cosine"):
        labels = ProblemClusterer(min_size=2, encoder=enc, similarity=similarity).fit_predict(texts)
        assert labels[0] == labels[2] != labels[3] == labels[5], similarity
        assert labels[6:] == [None] * 5, similarity

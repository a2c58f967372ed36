"""Clustering relative to the batch: feedback_nlp.cluster.recentre and ProblemClusterer(recentre=)."""
import numpy as np
import pytest

from feedback_nlp.cluster import ProblemClusterer
from feedback_nlp.cluster.recentre import apply_recentre, fit_recentre


def two_problems_on_a_common_direction(n: int = 10, seed: int = 0) -> np.ndarray:
    """Two groups of n unit vectors that share one strong direction: every raw cosine is about 0.9."""
    rng = np.random.default_rng(seed)
    common, a, b = np.eye(16)[:3]
    X = np.vstack([3 * common + a + 0.05 * rng.standard_normal((n, 16)),
                   3 * common + b + 0.05 * rng.standard_normal((n, 16))])
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


def test_fit_recentre_finds_the_mean_and_the_direction_of_most_spread():
    rng = np.random.default_rng(1)
    X = (rng.standard_normal((500, 8)) * [5, 1, 1, 1, 1, 1, 1, 1] + 2).astype(np.float32)
    mean, comps = fit_recentre(X, 1)
    assert np.allclose(mean, X.mean(0), atol=1e-5)
    assert comps.shape == (1, 8) and abs(comps[0, 0]) > 0.99
    assert fit_recentre(X, 0)[1].shape == (0, 8)
    with pytest.raises(ValueError):
        fit_recentre(X, -1)


def test_apply_recentre_removes_the_mean_and_the_components_and_renormalises():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 6)).astype(np.float32) + 3
    mean, comps = fit_recentre(X, 2)
    Y = apply_recentre(X.copy(), mean, comps)
    assert np.allclose(np.linalg.norm(Y, axis=1), 1, atol=1e-5)
    assert np.abs(Y @ comps.T).max() < 1e-5
    Z = apply_recentre(X.copy(), mean, None)  # centred only: the rows' directions from the mean
    assert np.allclose(Z, (X - mean) / np.linalg.norm(X - mean, axis=1, keepdims=True), atol=1e-5)


def test_recentring_separates_problems_that_share_the_batch_direction():
    X = two_problems_on_a_common_direction()
    texts = [f"t{i}" for i in range(len(X))]
    raw = ProblemClusterer(min_size=3, threshold=0.5, similarity="cosine").fit_predict(texts, embeddings=X)
    assert len(set(raw)) == 1  # every raw cosine is above 0.5: one cluster
    rel = ProblemClusterer(min_size=3, threshold=0.5, similarity="cosine", recentre=0).fit_predict(texts, embeddings=X)
    assert len(set(rel[:10])) == 1 and len(set(rel[10:])) == 1 and rel[0] != rel[10] and None not in rel


def test_predict_uses_the_fitted_centring():
    X = two_problems_on_a_common_direction()
    texts = [f"t{i}" for i in range(len(X))]
    cl = ProblemClusterer(min_size=3, threshold=0.5, similarity="cosine", recentre=0).fit(texts, embeddings=X)
    assert cl.mean_.shape == (16,) and cl.components_.shape == (0, 16) and None not in cl.labels_
    assert cl.predict(texts, embeddings=X) == cl.labels_


def test_raw_space_by_default():
    cl = ProblemClusterer(min_size=3, threshold=0.5).fit([f"t{i}" for i in range(20)],
                                                        embeddings=two_problems_on_a_common_direction())
    assert cl.mean_ is None and cl.components_ is None


@pytest.mark.parametrize("bad", [-1, 1.5, "auto", True])
def test_bad_recentre_fails_before_encoding(bad):
    with pytest.raises(ValueError, match="recentre"):
        ProblemClusterer(threshold=0.3, similarity="cosine", recentre=bad).fit(["充电器发烫"] * 3)


def test_recentre_needs_a_threshold():
    with pytest.raises(ValueError, match="threshold"):
        ProblemClusterer(similarity="cosine", recentre=1).fit(["充电器发烫"] * 3)


def test_the_raw_safety_net_gives_back_a_problem_the_batch_direction_erased():
    # Two halves: the first principal direction is what separates them, so removing it leaves each text
    # with noise only; the raw clusters come back, predict included.
    X = two_problems_on_a_common_direction()
    texts = [f"t{i}" for i in range(len(X))]
    cl = ProblemClusterer(min_size=3, threshold=0.5, similarity="cosine", recentre=1).fit(texts, embeddings=X)
    assert None not in cl.labels_ and len(set(cl.labels_)) == 1 and cl.restored_.tolist() == [True]
    assert cl.get_cluster_info()[0]["cohesion"] > 0.8  # measured in the raw space it lives in
    assert cl.predict(texts, embeddings=X) == cl.labels_


def test_the_safety_net_leaves_relative_clusters_alone():
    X = two_problems_on_a_common_direction()
    cl = ProblemClusterer(min_size=3, threshold=0.5, similarity="cosine", recentre=0).fit([f"t{i}" for i in range(20)],
                                                                                       embeddings=X)
    assert cl.restored_.tolist() == [False, False]


@pytest.mark.parametrize("n", [1, 2, 12])
def test_recentre_with_no_raw_cluster_leaves_every_text_unclustered(n):
    # Orthogonal texts: neither pass finds a cluster, and the safety net has nothing to give back.
    X = np.eye(16, dtype=np.float32)[:n]
    cl = ProblemClusterer(min_size=2, threshold=0.5, similarity="cosine", recentre=1).fit([f"t{i}" for i in range(n)],
                                                                                       embeddings=X)
    assert cl.labels_ == [None] * n and cl.restored_.tolist() == [] and cl.get_cluster_info() == []


def test_recentre_keeps_relative_clusters_when_the_raw_pass_finds_none():
    X = np.eye(16, dtype=np.float32)[:6]  # raw cosines 0: no raw cluster; a threshold of -1 merges all
    cl = ProblemClusterer(min_size=2, threshold=-1.0, similarity="cosine", recentre=0).fit([f"t{i}" for i in range(6)],
                                                                                        embeddings=X)
    assert cl.labels_ == [0] * 6 and cl.restored_.tolist() == [False]


@pytest.mark.parametrize("texts", [["快递十天都没到", "衣服有色差"],
                                   ["快递十天都没到", "衣服有色差", "充电器发烫", "客服不回消息", "退款没到账"] * 4])
def test_recentre_on_texts_that_form_no_raw_cluster(texts):
    texts = [f"{t}{i}" for i, t in enumerate(texts)]  # all different
    cl = ProblemClusterer(min_size=5, threshold=0.5, similarity="cosine", recentre=2, encoder="ngram")
    labels = cl.fit_predict(texts)
    assert len(labels) == len(texts) and cl.predict(texts) == labels

"""feedback_nlp.train.fit: the head fitted on probability targets (distillation) against the hard fit."""
import numpy as np
import pytest

pytest.importorskip("sklearn")

from feedback_nlp.tasks.base import MULTICLASS, MULTILABEL, HeadSpec  # noqa: E402


def _soft_data(seed=0, n=300, d=20):
    from scipy.sparse import csr_matrix

    rng = np.random.default_rng(seed)
    X = rng.random((n, d)) * (rng.random((n, d)) < 0.3)
    return csr_matrix(X), X


def test_fit_soft_head_with_one_hot_targets_is_the_hard_fit():
    from feedback_nlp.train import fit_linear_head, fit_soft_head

    X, dense = _soft_data()
    y = np.where(dense[:, 0] + dense[:, 1] > dense[:, 2] + 0.2, "pos", np.where(dense[:, 3] > 0.3, "neg", "neu"))
    head = HeadSpec(task="s", kind=MULTICLASS, labels=["neg", "neu", "pos"])
    onehot = np.array([[lab == c for c in head.labels] for lab in y], float)
    W1, b1 = fit_linear_head(X, list(y), head, C=2.0)
    W2, b2 = fit_soft_head(X, onehot, head, C=2.0)
    assert np.allclose(W1, W2, atol=1e-3) and np.allclose(b1, b2, atol=1e-3)
    ml = HeadSpec(task="m", kind=MULTILABEL, labels=["a", "b"])
    labels = [[lab for lab, on in (("a", r[0] > 0.2), ("b", r[4] > 0.1)) if on] for r in dense]
    targets = np.array([[lab in ls for lab in ml.labels] for ls in labels], float)
    W1, b1 = fit_linear_head(X, labels, ml, C=2.0)
    W2, b2 = fit_soft_head(X, targets, ml, C=2.0)
    assert np.allclose(W1, W2, atol=1e-3) and np.allclose(b1, b2, atol=1e-3)


def test_fit_soft_head_follows_soft_targets():
    from feedback_nlp.train import fit_soft_head

    X, dense = _soft_data(1)
    ml = HeadSpec(task="m", kind=MULTILABEL, labels=["a", "never", "always"])
    p = 1 / (1 + np.exp(-(4 * dense[:, 0] - 1)))  # a smooth teacher probability
    targets = np.stack([p, np.zeros(len(p)), np.ones(len(p))], axis=1)
    W, b = fit_soft_head(X, targets, ml, C=100.0)
    got = ml.probabilities(np.asarray(X @ W) + b)
    assert np.abs(got[:, 0] - p).mean() < 0.05  # a hard 0/1 fit would sit far from p
    assert (got[:, 1] < 1e-6).all() and (got[:, 2] > 1 - 1e-6).all()  # constant labels need no fit
    with pytest.raises(ValueError, match="do not fit"):
        fit_soft_head(X, targets[:, :2], ml)
    balanced = fit_soft_head(X, targets * np.array([0.1, 0, 1]), ml, balanced=True)
    plain = fit_soft_head(X, targets * np.array([0.1, 0, 1]), ml)
    assert balanced[1][0] > plain[1][0] + 0.5  # the rare positive outcome weighs more

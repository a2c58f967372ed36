"""feedback_nlp.train.tune: the severity points keep critical recall."""
import pytest

pytest.importorskip("sklearn")


def test_tune_severity_keeps_critical_recall():
    import numpy as np

    from feedback_nlp.train import tune_severity

    rng = np.random.default_rng(0)
    y = ["low", "medium", "high", "critical"] * 25
    probs = rng.dirichlet(np.ones(4), size=100)
    for i, lab in enumerate(y):  # informative but noisy probabilities
        probs[i, ["low", "medium", "high", "critical"].index(lab)] += 1.0
    probs /= probs.sum(axis=1, keepdims=True)
    th = tune_severity(probs, [[] for _ in y], y, min_critical_recall=0.95)
    assert set(th) == {"critical", "ev_medium", "ev_high", "ev_critical"}
    assert th["ev_medium"] <= th["ev_high"] <= th["ev_critical"]
    from feedback_nlp.tasks.severity import ev_cuts, model_severity

    pred_crit = np.array([model_severity(p, th["critical"], ev_cuts(th)) == 3 for p in probs])
    assert pred_crit[[i for i, lab in enumerate(y) if lab == "critical"]].mean() >= 0.95

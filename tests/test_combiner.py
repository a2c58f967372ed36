"""Combiner: a small logistic regression over named evidence, stored as plain numbers."""
import json

import numpy as np
import pytest

from feedback_nlp.tasks.combiner import Combiner

pytest.importorskip("sklearn")


def data(n=400, seed=0):
    rng = np.random.RandomState(seed)
    E = rng.normal(size=(n, 3))
    y = np.where(E[:, 0] + 0.2 * rng.normal(size=n) > 0.5, "yes", "no")
    return E, y


def test_fit_learns_the_evidence_that_matters_and_round_trips_through_json():
    E, y = data()
    c = Combiner(["a", "b", "c"], ["no", "yes"], C=1.0).fit(E, y)
    p = c.predict_proba_evidence(E)
    assert p.shape == (len(y), 2) and np.allclose(p.sum(axis=1), 1)
    assert ((p[:, 1] >= 0.5) == (y == "yes")).mean() > 0.9
    assert abs(c.weight[0, 1]) > 5 * max(abs(c.weight[1, 1]), abs(c.weight[2, 1]))
    back = Combiner.from_dict(json.loads(json.dumps(c.to_dict())))
    assert np.allclose(back.predict_proba_evidence(E), p, atol=1e-5)
    assert back.explain(np.array([3.0, 0.0, 0.0]), "yes")[0][0] == "a"


def test_multiclass_labels_keep_their_order_even_if_one_is_missing_from_the_data():
    E, _ = data()
    y = np.where(E[:, 0] > 0.7, "high", np.where(E[:, 0] > -0.7, "medium", "low"))
    c = Combiner(["a", "b", "c"], ["low", "medium", "high", "critical"]).fit(E, y)
    p = c.predict_proba_evidence(np.array([[2.0, 0, 0], [-2.0, 0, 0]]))
    assert p.shape == (2, 4) and p[0].argmax() == 2 and p[1].argmax() == 0 and p[:, 3].max() < 0.05

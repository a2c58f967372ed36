import numpy as np
import pytest

from feedback_nlp.metrics import (binary_f1, classification_report, expected_calibration_error, multilabel_report,
                                  quadratic_weighted_kappa)


def test_classification_report():
    rep = classification_report(["a", "a", "b", "c"], ["a", "b", "b", "c"], ["a", "b", "c"])
    assert rep["accuracy"] == 0.75
    assert rep["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert rep["confusion_matrix"]["matrix"] == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_multilabel_report():
    rep = multilabel_report([["a"], ["a", "b"], []], [["a"], ["a"], ["b"]], ["a", "b"])
    assert rep["per_class"]["a"]["f1"] == 1.0
    assert rep["per_class"]["b"]["f1"] == 0.0
    assert rep["micro_f1"] == pytest.approx(2 / 3, abs=1e-4)  # tp=2, fp=1, fn=1


def test_qwk_perfect_and_reversed():
    labs = ["low", "medium", "high", "critical"]
    assert quadratic_weighted_kappa(labs, labs, labs) == 1.0
    assert quadratic_weighted_kappa(labs, labs[::-1], labs) < 0


def test_ece():
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([1, 1])) == 0.0
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([0, 0])) == pytest.approx(0.9)


def test_binary_f1():
    assert binary_f1([True, False, True], [True, True, False]) == {"precision": 0.5, "recall": 0.5, "f1": 0.5,
                                                                  "support": 2}


def test_normalized_mutual_info():
    from feedback_nlp.metrics import normalized_mutual_info

    assert normalized_mutual_info([1, 1, 2, 2], ["a", "a", "b", "b"]) == pytest.approx(1.0)
    assert normalized_mutual_info([1, 2, 1, 2], ["a", "a", "b", "b"]) == pytest.approx(0.0, abs=1e-12)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    a, b = [0, 0, 1, 1, 2, 2, 2], [0, 1, 1, 1, 2, 2, 0]
    assert normalized_mutual_info(a, b) == pytest.approx(sklearn_metrics.normalized_mutual_info_score(a, b))

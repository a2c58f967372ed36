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


def test_decision_report_counts_praise_and_bare_verdicts_given_an_issue():
    from feedback_nlp.metrics import decision_report

    def rec(sentiment, issues=(), severity="low", spam=False):
        return {"is_spam": spam, "spam_type": "ad" if spam else None, "issue_types": list(issues),
                "sentiment": sentiment, "severity": severity}

    records = [rec("positive"), rec("positive"), rec("negative"), rec("negative"), rec("negative"),
               rec("negative", ["logistics"], "medium"), rec("negative", spam=True)]
    results = [{"is_spam": False, "spam_type": None, "issue_types": issues, "severity": sev, "route": route,
                "needs_review": False}
               for issues, sev, route in [([], "low", None), (["logistics"], "low", None), (["product_quality"],
                                          "medium", "QA"), ([], "low", None), ([], "low", None),
                                          (["logistics"], "medium", "WH"), ([], "low", None)]]
    rep = decision_report(records, results)
    assert rep["praise_given_an_issue"] == {"n": 2, "rate": 0.5}
    assert rep["verdict_given_an_issue"] == {"n": 3, "rate": round(1 / 3, 4)}  # the spam record does not count
    assert rep["unrouted_medium_or_above"] == 0

"""training/compare_decisions.py: paired bootstrap of two models' decisions on the same records."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "training"))
import compare_decisions  # noqa: E402


def _record(severity, is_spam=False):
    return {"severity": severity, "is_spam": is_spam, "spam_type": "ad" if is_spam else None,
            "issue_types": ["logistics"], "sentiment": "negative"}


def _result(severity, is_spam=False):
    return {"severity": severity, "is_spam": is_spam, "spam_type": "ad" if is_spam else None,
            "issue_types": ["logistics"], "route": "logistics_team", "needs_review": False}


RECORDS = [_record("critical")] * 10 + [_record("low")] * 30 + [_record("low", is_spam=True)] * 5
A = [_result("critical")] * 5 + [_result("low")] * 5 + [_result("low")] * 30 + [_result("low", True)] * 5
B = [_result("critical")] * 9 + [_result("low")] * 1 + [_result("low")] * 30 + [_result("low", True)] * 5


def _rows(a, b, draws=200):
    return {name: row for name, *row in compare_decisions.paired_bootstrap(RECORDS, a, b, draws=draws, seed=0)}


def test_a_better_model_shows_a_difference_whose_interval_leaves_out_zero():
    rows = _rows(A, B)
    a, b, diff, low, high = rows["critical recall"]
    assert (a, b) == (0.5, 0.9) and diff == pytest.approx(0.4)
    assert 0 < low <= diff <= high  # the same draw for both: the 5 and 9 catches move together
    assert list(rows["spam F1"][2:]) == [0.0, 0.0, 0.0]  # a figure both models share does not move in any draw


def test_the_same_model_twice_differs_by_nothing():
    rows = _rows(B, B, draws=50)
    assert all(diff == 0 and low == 0 and high == 0 for _, _, diff, low, high in rows.values()
               if not np.isnan(diff))


def test_missing_annotations_is_a_clear_exit(tmp_path):
    with pytest.raises(SystemExit, match="needs the annotations"):
        compare_decisions.main(["A", "B", "--data", str(tmp_path)])


def _annotations(tmp_path):
    from conftest import CRITICAL_TEXT

    (tmp_path / "annotations").mkdir()
    rows = [{"text": CRITICAL_TEXT, "is_spam": False, "spam_type": None, "issue_types": ["product_quality"],
             "sentiment": "negative", "severity": "critical"},
            {"text": "东西不错，物流很快", "is_spam": False, "spam_type": None, "issue_types": [],
             "sentiment": "positive", "severity": "low"}]
    (tmp_path / "annotations" / "dev.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return tmp_path


def test_b_threshold_moves_an_operating_point_of_b_only(tmp_path, capsys):
    data = _annotations(tmp_path)
    shipped = str(REPO / "models" / "feedback-zh-ngram")
    never = ["--b-threshold", "severity.critical=1", "--b-threshold", "severity.critical_unsignalled=1"]
    assert compare_decisions.main([shipped, shipped, "--data", str(data), "--splits", "dev", "--draws", "5"]
                                  + never) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| records called critical")]
    assert len(rows) == 1 and rows[0].startswith("| records called critical | 1 | 0 | -1.0000 |")  # A as shipped


def test_a_bad_threshold_is_a_clear_exit(tmp_path):
    with pytest.raises(SystemExit, match="use TASK.KEY=VALUE"):
        compare_decisions.main(["A", "B", "--data", str(_annotations(tmp_path)), "--a-threshold", "critical"])

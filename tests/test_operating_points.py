"""feedback_nlp.operating_points: moving points for every record or for one channel, every key checked."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from feedback_nlp.operating_points import apply_thresholds, channel_points


def _models() -> dict:
    head = SimpleNamespace(thresholds={"critical": 0.04, "critical_unsignalled": 0.08, "ev_high": 1.3})
    model = SimpleNamespace(heads={"severity": head})
    return {"severity": model}


def test_plain_keys_move_the_heads_point_and_channel_keys_are_returned():
    models = _models()
    per_channel = apply_thresholds(models, {"severity.critical": 0.5, "severity.critical@order_review": 0.1,
                                            "severity": {"critical_unsignalled@order_review": 0.3}})
    assert models["severity"].heads["severity"].thresholds == {"critical": 0.5, "critical_unsignalled": 0.08,
                                                               "ev_high": 1.3}
    assert per_channel == {"order_review": {"severity": {"critical": 0.1, "critical_unsignalled": 0.3}}}
    assert channel_points(models, per_channel) == {
        "order_review": {"severity": {"critical": 0.1, "critical_unsignalled": 0.3, "ev_high": 1.3}}}
    assert channel_points(models, {"email": {"severity": {"critical": 1}}}) == {
        "email": {"severity": {"critical": 1.0, "critical_unsignalled": 0.08, "ev_high": 1.3}}}  # the others kept
    apply_thresholds(models, {"severity.ev_high": 2.5, "severity.critical": 0})  # each range's ends are inside it


@pytest.mark.parametrize("bad, msg", [
    ({"severity.critical@": 0.5}, "name one channel"), ({"severity.critical@@x": 0.5}, "name one channel"),
    ({"severity.nope@x": 0.5}, "no operating point"),
    ({"severity.critical@x": "high"}, "not a number"), ({"nope.critical@x": 0.5}, "unknown task"),
    ({"severity.critical@x": float("nan")}, "not a finite number"), ({"severity": 0.5}, "TASK.KEY"),
    ({"severity.critical": 70}, r"70 is outside \[0, 1\] \(a probability, not a percentage"),
    ({"severity.critical@x": -0.1}, r"-0.1 is outside \[0, 1\]"),
    ({"severity.ev_high": 3.5}, r"3.5 is outside \[0, 3\]"), ({"severity.ev_high": -1}, r"outside \[0, 3\]"),
    ({"severity.critical": True}, "True is not a number"),  # it had read as 1: critical off
    ({"severity.critical": 0, "severity": {"critical": 1}}, "severity.critical is given twice")])
def test_every_key_and_value_is_checked(bad, msg):
    models = _models()
    with pytest.raises(ValueError, match=msg):
        apply_thresholds(models, bad)
    assert models["severity"].heads["severity"].thresholds["critical"] == 0.04


def test_a_bad_key_after_good_ones_moves_nothing():
    models = _models()
    with pytest.raises(ValueError, match="no operating point"):
        apply_thresholds(models, {"severity.critical": 0.5, "severity.critical_unsignalled": 0.6, "severity.nope": 1})
    assert models["severity"].heads["severity"].thresholds == {"critical": 0.04, "critical_unsignalled": 0.08,
                                                               "ev_high": 1.3}


def test_channel_points_are_checked_too():
    with pytest.raises(ValueError, match="severity.nope@x: severity has no operating point"):
        channel_points(_models(), {"x": {"severity": {"nope": 0.5}}})


def test_thresholds_must_be_a_mapping_and_a_point_less_task_says_so():
    with pytest.raises(TypeError, match="thresholds must be a mapping"):
        apply_thresholds(_models(), ["severity.critical"])
    models = {"topic": SimpleNamespace(heads={"topic": SimpleNamespace(thresholds={})})}
    with pytest.raises(ValueError, match=r"topic has no operating point 'x' \(it has none: its decision is the most"):
        apply_thresholds(models, {"topic.x": 0.5})

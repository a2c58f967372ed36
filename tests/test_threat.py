"""feedback_nlp.tasks.threat: a threat to complain that names no problem."""
from types import SimpleNamespace

import pytest

from feedback_nlp.text import normalize


@pytest.mark.parametrize("text, bare", [
    ("投诉", True), ("我要投诉！", True), ("我要投诉你们", True), ("我要举报", True), ("再不处理我就投诉", True),
    ("你们等着，我去投诉", True), ("差评！投诉！", True), ("垃圾，我要投诉", True), ("投訴", True),
    ("我要投诉客服", False), ("快递太慢了我要投诉", False), ("我要投诉到12315", False),  # names who, what or where
    ("差评", False), ("", False), ("投诉" * 31, False)])  # no threat; longer than MAX_CHARS
def test_a_threat_that_names_nothing_else_is_bare(text, bare):
    from feedback_nlp.tasks.threat import is_bare_threat

    assert is_bare_threat(normalize(text)) is bare


def test_the_decision_rule_takes_a_bare_threat_unless_a_critical_signal_fires():
    from feedback_nlp.tasks.severity import escalation_signals
    from feedback_nlp.tasks.threat import threat_names_no_problem

    def rule(text):
        norm = normalize(text)
        return threat_names_no_problem(norm, escalation_signals(norm))

    assert rule("我要投诉") and escalation_signals("我要投诉")  # the threat rule (high) fires, and is allowed
    critical = escalation_signals("举报")
    assert not threat_names_no_problem("我要投诉", critical + [SimpleNamespace(minimum="critical")])
    assert not rule("快递太慢，我要投诉")

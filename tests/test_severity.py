import numpy as np
import pytest

from feedback_nlp.tasks.severity import decide_severity, escalation_signals

LOW = np.array([0.9, 0.05, 0.03, 0.02])


@pytest.mark.parametrize("text, reason", [
    ("吃完上吐下泻进了医院", "health or safety risk"),
    ("再不处理我就打12315", "legal, regulator or media threat"),
    ("账号被盗了，还被盗刷了两千", "stolen account or unauthorised payment"),
    ("不止我一个人遇到这个问题", "many users affected"),
])
def test_critical_rules_raise_severity(text, reason):
    level, reasons = decide_severity(LOW, escalation_signals(text))
    assert level == "critical" and reason in reasons


def test_rules_never_lower_and_model_reason_is_given():
    level, reasons = decide_severity(np.array([0.0, 0.1, 0.2, 0.7]), [])
    assert level == "critical" and reasons[0].startswith("model: critical")
    level, _ = decide_severity(LOW, escalation_signals("退款一直没到账"))
    assert level == "high"


def test_critical_threshold():
    probs = np.array([0.5, 0.1, 0.1, 0.3])
    assert decide_severity(probs, [], critical_threshold=0.25)[0] == "critical"
    assert decide_severity(probs, [], critical_threshold=0.5)[0] == "low"

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


def test_expected_value_decoding_and_rule_tuning():
    from feedback_nlp.tasks.severity import ev_cuts, model_severity

    cuts = ev_cuts({"ev_medium": 0.6, "ev_high": 1.5, "ev_critical": 2.5, "critical": 0.3})
    assert cuts == [0.6, 1.5, 2.5] and ev_cuts({"critical": 0.3}) is None
    p = np.array([0.45, 0.1, 0.45, 0.0])  # argmax low, expected level 1.0 -> medium
    assert model_severity(p) == 0 and model_severity(p, cuts=cuts) == 1
    assert model_severity(np.array([0.6, 0.0, 0.0, 0.4]), critical_threshold=0.3, cuts=cuts) == 3
    assert decide_severity(p, [], 0.5, cuts)[0] == "medium"
    # bare verdicts no longer escalate; threats and harm still do
    assert escalation_signals("差评！") == []
    assert decide_severity(LOW, escalation_signals("再不处理我就投诉"))[0] == "high"
    assert decide_severity(LOW, escalation_signals("吃完又吐又泻，去了医院"))[0] == "critical"
    assert decide_severity(LOW, escalation_signals("账号被别人登了，还开了免密支付"))[0] == "critical"


@pytest.mark.parametrize("text", [
    "手背烫红了一大片，起了两个水泡",
    "孩子从床上摔下来，额头缝了四针",
    "插头冒火花，一股焦糊味",
    "对方讲得出我的全名和订单金额",
    "有人从陌生设备登录了我的账号，被人登入后改了地址",
    "我根本没买过这个，怎么扣了钱",
    "评论区几百人都一样，热搜都上了",
])
def test_rules_added_from_train_annotations_escalate_to_critical(text):
    level, _ = decide_severity(LOW, escalation_signals(text))
    assert level == "critical"

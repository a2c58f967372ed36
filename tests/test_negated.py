"""feedback_nlp.tasks.negated: a negated complaint meaning approval ("质量不差") names no problem."""
import pytest

from feedback_nlp.text import normalize


@pytest.mark.parametrize("text, side", [
    ("质量不差", "positive"), ("味道不难吃", "positive"), ("没有色差", "positive"), ("屏幕没有坏点", "positive"),
    ("价格也不贵", "positive"), ("一点也不卡", "positive"), ("尺码不偏小", "positive"), ("并不差", "positive"),
    ("质量还可以，不差", "positive"), ("没有色差，很满意。", "positive"),  # approval beside it
    ("也没想象中那么慢", "neutral"), ("感觉不是很差。", "neutral"), ("没那么贵", "neutral"),  # softened alone
    ("问题不小", None), ("毛病不少", None), ("作用不大", None),  # 小 / 少 / 大 negated are complaints
    ("培根嚼不烂", None), ("不是太坑", None),  # 烂 as a potential complement; 坑 left out
    ("是不是假货", None), ("质量不差吗", None), ("不会掉色吧？", None),  # questions
    ("质量不差，但是物流慢", None), ("希望不要掉色", None), ("担心不会发烫", None),  # a turn, a wish, a worry
    ("质量差", None), ("不好", None), ("差不多", None), ("东西不错，下次还买", None),  # nothing negated
    ("质量不差，物流太慢", None), ("很好", None), ("", None),  # a clause that is neither kind; no negation
    ("质量不差" + "，不差" * 9, None),  # longer than NEGATED_MAX_CHARS
    # "no problem" (rule J2); Cantonese negators, particles and approvals (唔 不, 冇 没有, 好抵 good value)
    ("完全没问题", "positive"), ("没什么问题", "positive"), ("分辨率没毛病", "positive"), ("有没有问题", None),
    ("冇問題，好好味", "positive"), ("唔貴，好抵", "positive"), ("質素唔差㗎", "positive"), ("一啲都唔慢", "positive"),
    ("唔難食", "positive"), ("冇咁貴", "neutral"), ("唔係好差", "neutral"), ("唔差，但係好慢", None)])
def test_the_side_of_a_bare_negated_complaint(text, side):
    from feedback_nlp.tasks.negated import negated_side

    assert negated_side(normalize(text)) == side


def test_the_decision_rule_takes_one_only_when_no_escalation_signal_fires():
    from feedback_nlp.tasks.negated import negated_names_no_problem
    from feedback_nlp.tasks.severity import escalation_signals

    assert negated_names_no_problem("质量不差", escalation_signals("质量不差")) == "positive"
    assert negated_names_no_problem("质量不差", escalation_signals("投诉")) is None

import pytest

from feedback_nlp.tasks.verdict import MAX_CHARS, is_bare_verdict
from feedback_nlp.text import normalize


@pytest.mark.parametrize("text", ["差评！", "不推荐", "失望。", "我只想说一句，太垃圾了！！", "一个字：差", "真的不好😡😡",
                                  "差差差，不值", "再也不买了", "強烈建議別買", "一般般吧", "非常不满意",
                                  "1星，太差", "差评1星", "一星都不想给"])  # a star rating beside the verdict
def test_a_verdict_that_names_nothing_else_is_bare(text):
    assert is_bare_verdict(normalize(text))


@pytest.mark.parametrize("text", [
    "质量差", "太小了", "快递太慢，差评", "客服态度差", "衣服不好，不要买", "差评，发错货了", "垃圾京东",  # names a problem or a party
    "好评", "👎", "", "。。。", "不错", "1星",  # no verdict phrase
    "星期一很差",  # 星 that is not a rating
    "差" * (MAX_CHARS + 1),  # longer than any bare verdict
])
def test_a_text_naming_anything_else_is_not(text):
    assert not is_bare_verdict(normalize(text))



def test_the_decision_rule_takes_a_bare_verdict_only_when_no_escalation_signal_fires():
    from feedback_nlp.tasks.severity import escalation_signals
    from feedback_nlp.tasks.verdict import names_no_problem

    def rule(text):
        norm = normalize(text)
        return names_no_problem(norm, escalation_signals(norm))

    assert rule("差评！") and rule("再也不买了")
    assert is_bare_verdict(normalize("必须差评！")) and not rule("必须差评！")  # a threat of a bad review: high
    assert not rule("快递太慢，差评")


@pytest.mark.parametrize("text, words", [("🥰🥰！", False), ("。", False), ("？？？", False), ("_", False),
                                         ("👍🏻", False), ("好！！", True), ("ok👍", True), ("666", True), ("٣", True)])
def test_has_words_means_a_letter_or_digit_of_any_script(text, words):
    from feedback_nlp.tasks.verdict import has_words

    assert has_words(normalize(text)) is words

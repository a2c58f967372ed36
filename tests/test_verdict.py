from types import SimpleNamespace

import pytest

from feedback_nlp.tasks.verdict import MAX_CHARS, is_bare_verdict
from feedback_nlp.text import normalize


@pytest.mark.parametrize("text", ["差评！", "不推荐", "失望。", "我只想说一句，太垃圾了！！", "一个字：差", "真的不好😡😡",
                                  "差差差，不值", "再也不买了", "強烈建議別買", "一般般吧", "非常不满意"])
def test_a_verdict_that_names_nothing_else_is_bare(text):
    assert is_bare_verdict(normalize(text))


@pytest.mark.parametrize("text", [
    "质量差", "太小了", "快递太慢，差评", "客服态度差", "衣服不好，不要买", "差评，发错货了", "垃圾京东",  # names a problem or a party
    "好评", "👎", "", "。。。", "不错",  # no verdict phrase
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


@pytest.mark.parametrize("text, bare", [
    ("投诉", True), ("我要投诉！", True), ("我要投诉你们", True), ("我要举报", True), ("再不处理我就投诉", True),
    ("你们等着，我去投诉", True), ("差评！投诉！", True), ("垃圾，我要投诉", True), ("投訴", True),
    ("我要投诉客服", False), ("快递太慢了我要投诉", False), ("我要投诉到12315", False),  # names who, what or where
    ("差评", False), ("", False), ("投诉" * 31, False)])  # no threat; longer than MAX_CHARS
def test_a_threat_that_names_nothing_else_is_bare(text, bare):
    from feedback_nlp.tasks.verdict import is_bare_threat

    assert is_bare_threat(normalize(text)) is bare


def test_the_decision_rule_takes_a_bare_threat_unless_a_critical_signal_fires():
    from feedback_nlp.tasks.severity import escalation_signals
    from feedback_nlp.tasks.verdict import threat_names_no_problem

    def rule(text):
        norm = normalize(text)
        return threat_names_no_problem(norm, escalation_signals(norm))

    assert rule("我要投诉") and escalation_signals("我要投诉")  # the threat rule (high) fires, and is allowed
    critical = escalation_signals("举报")
    assert not threat_names_no_problem("我要投诉", critical + [SimpleNamespace(minimum="critical")])
    assert not rule("快递太慢，我要投诉")


@pytest.mark.parametrize("text, bare", [
    ("收到", True), ("已收到，谢谢！", True), ("好的亲", True), ("没事了", True), ("嗯", True), ("OK", True),
    ("謝謝客服", True), ("好的好的", True), ("你好，在吗？", True), ("有人吗？？", True), ("人呢", True), ("转人工", True),
    ("好的，拜拜", True),
    ("还没收到", False), ("收到货了", False), ("好", False), ("很好", False), ("不行", False),  # a problem; praise; a verdict
    ("客服呢", False), ("人工智能", False),  # names a party; another word
    ("收到了收到了收到了", False), ("嗯嗯嗯嗯嗯嗯", False), ("在吗在吗在吗在吗在吗", False),  # repeated: spam decides
    ("收到" * 7, False), ("", False)])
def test_a_chat_phrase_that_names_nothing_else_is_bare(text, bare):
    from feedback_nlp.tasks.verdict import is_bare_chat_phrase

    assert is_bare_chat_phrase(normalize(text)) is bare


@pytest.mark.parametrize("text, words", [("🥰🥰！", False), ("。", False), ("？？？", False), ("_", False),
                                         ("👍🏻", False), ("好！！", True), ("ok👍", True), ("666", True), ("٣", True)])
def test_has_words_means_a_letter_or_digit_of_any_script(text, words):
    from feedback_nlp.tasks.verdict import has_words

    assert has_words(normalize(text)) is words

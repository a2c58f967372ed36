"""feedback_nlp.tasks.chat: chat phrases that name no problem."""
import pytest

from feedback_nlp.text import normalize


@pytest.mark.parametrize("text, bare", [
    ("收到", True), ("已收到，谢谢！", True), ("好的亲", True), ("没事了", True), ("嗯", True), ("OK", True),
    ("謝謝客服", True), ("好的好的", True), ("你好，在吗？", True), ("有人吗？？", True), ("人呢", True), ("转人工", True),
    ("好的，拜拜", True), ("請問有人在嗎", True), ("退款收到了，谢谢", True), ("收到退款了", True), ("问题解决了", True),
    ("已确认收货", True), ("退款收到了，但是少了10块", False),
    ("还没收到", False), ("收到货了", False), ("好", False), ("很好", False), ("不行", False),  # a problem; praise; a verdict
    ("客服呢", False), ("人工智能", False),  # names a party; another word
    ("收到了收到了收到了", False), ("嗯嗯嗯嗯嗯嗯", False), ("在吗在吗在吗在吗在吗", False),  # repeated: spam decides
    ("收到" * 7, False), ("", False)])
def test_a_chat_phrase_that_names_nothing_else_is_bare(text, bare):
    from feedback_nlp.tasks.chat import is_bare_chat_phrase

    assert is_bare_chat_phrase(normalize(text)) is bare


def test_the_decision_rule_takes_a_chat_phrase_only_when_no_escalation_signal_fires():
    from feedback_nlp.tasks.chat import chat_names_no_problem
    from feedback_nlp.tasks.severity import escalation_signals

    assert chat_names_no_problem("收到", escalation_signals("收到"))
    assert not chat_names_no_problem("收到", escalation_signals("投诉"))  # any signal: the model decides

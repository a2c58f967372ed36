"""feedback_nlp.tasks.question: a short request for information names no problem; a rhetorical question does."""
import pytest

from feedback_nlp.text import normalize


@pytest.mark.parametrize("text", [
    "怎么取消订单？", "什么时候发货？", "这件外套可以机洗吗", "請問飯店有停車場嗎？", "请问怎么开发票",  # opens with 请问
    "退款多久到账？", "支持花呗分期吗？", "App里的电子发票在哪里下载呀？",
])
def test_a_request_for_information_is_a_bare_question(text):
    from feedback_nlp.tasks.question import is_bare_question

    assert is_bare_question(normalize(text))


@pytest.mark.parametrize("text", [
    "为什么还没发货？", "怎么还没到？", "不给筷子用手吃啊？？？", "包装能用点心吗？！",  # insistence, negation, !
    "米饭里有一只蟑螂，让人怎么吃", "收到时按压阀居然是打开的，有人试用过吗？", "测试一下评论功能，能看到吗",
    "这东西是假的吗？", "怎么取消订单", "怎么取消订单？我已经等了三天了，一直没人处理啊",  # no question end; too long
    "订单号是多少",  # not a question mark, not an ask
    "请问什么时候发货，等了一周了", "什么时候发货？都三天了",  # time already waited: a complaint
])
def test_a_complaint_or_a_longer_text_is_not(text):
    from feedback_nlp.tasks.question import is_bare_question

    assert not is_bare_question(normalize(text))

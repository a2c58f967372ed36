"""feedback_nlp.tasks.placeholder: the platform's words where no review was written are no review."""
import pytest

from feedback_nlp.text import normalize


@pytest.mark.parametrize("text, placeholder", [
    ("此用户未填写评价内容", True), ("此用户没有填写评价。", True), ("用户未填写文字评价", True),
    ("评价方未及时做出评价,系统默认好评!", True), ("用户未及时评价, 此评价为系统默认好评!", True), ("系统默认好评", True),
    ("用户未填写评价内容，默认给出好评", True),
    ("好评", False), ("默认好评，但是东西坏了", False), ("未评价", False), ("", False),  # a review; something more
    ("此用户未填写评价内容" * 5, False),  # longer than PLACEHOLDER_MAX_CHARS
])
def test_a_placeholder_is_only_the_platform_s_phrases(text, placeholder):
    from feedback_nlp.tasks.placeholder import is_placeholder

    assert is_placeholder(normalize(text)) is placeholder

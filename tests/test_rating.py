"""feedback_nlp.tasks.rating: a star rating alone names no problem; its number says the side."""
import pytest

from feedback_nlp.text import normalize


@pytest.mark.parametrize("text, side", [
    ("5星", "positive"), ("五星！", "positive"), ("给5颗星", "positive"), ("4星吧", "positive"),
    ("1星", "negative"), ("只能给1星", "negative"), ("给两星吧", "negative"), ("一星", "negative"), ("3星", "neutral"),
    ("1星5星", None), ("5星好评", None), ("1星，太差", None),  # two sides; a verdict or praise beside it
    ("4星级酒店", None), ("15星", None), ("4.5星", None), ("一星期", None), ("", None),  # not a rating
    ("5星" + "了" * 20, None)])  # longer than RATING_MAX_CHARS
def test_the_side_of_a_bare_rating(text, side):
    from feedback_nlp.tasks.rating import rating_side

    assert rating_side(normalize(text)) == side


def test_the_decision_rule_takes_a_rating_only_when_no_escalation_signal_fires():
    from feedback_nlp.tasks.rating import rating_names_no_problem
    from feedback_nlp.tasks.severity import escalation_signals

    assert rating_names_no_problem("1星", escalation_signals("1星")) == "negative"
    assert rating_names_no_problem("1星", escalation_signals("投诉")) is None

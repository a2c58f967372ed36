import numpy as np
import pytest

from feedback_nlp.tasks.sentiment import (EMOJI_CONFIDENCE, EMOJI_NEGATIVE, EMOJI_POSITIVE, decide_sentiment,
                                          emoji_probs, emoji_sentiment)
from feedback_nlp.text import normalize

LABELS = ["negative", "neutral", "positive"]


def test_the_score_is_p_positive_minus_p_negative():
    assert decide_sentiment(np.array([0.1, 0.2, 0.7])) == ("positive", pytest.approx(0.6))
    assert decide_sentiment(np.array([0.5, 0.4, 0.1]))[0] == "negative"


@pytest.mark.parametrize("text, side", [("🥰🥰🥰", "positive"), ("👍🏻！", "positive"), ("❤️❤️", "positive"),
                                        ("🤮", "negative"), ("👎👎！！", "negative"), ("😡😡😡", "negative"),
                                        ("🐶", None), ("。。。", None), ("🥰🤮", None), ("", None)])
def test_emoji_of_one_kind_give_their_side(text, side):
    assert emoji_sentiment(normalize(text)) == side


def test_the_lists_survive_normalisation_and_do_not_overlap():
    # a listed emoji that normalisation changed would never match a normalised text
    assert all(normalize(c) == c for c in EMOJI_POSITIVE + EMOJI_NEGATIVE)
    assert not set(EMOJI_POSITIVE) & set(EMOJI_NEGATIVE)


def test_emoji_probs_put_the_confidence_on_the_side_and_the_rest_on_neutral():
    assert decide_sentiment(emoji_probs("🥰", LABELS)) == ("positive", pytest.approx(EMOJI_CONFIDENCE))
    assert decide_sentiment(emoji_probs("🤮", LABELS)) == ("negative", pytest.approx(-EMOJI_CONFIDENCE))
    assert emoji_probs("🐶", LABELS).tolist() == [0, 1, 0]
    assert emoji_probs("🥰", ["positive", "neutral", "negative"]).tolist() == pytest.approx([0.8, 0.2, 0])
    assert emoji_probs("🥰", LABELS).sum() == pytest.approx(1.0)

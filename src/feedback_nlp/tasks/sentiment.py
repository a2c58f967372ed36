"""Sentiment: a 3-way head whose signed score is comparable with binary corpora."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

SENTIMENTS = ["negative", "neutral", "positive"]
#: Chinese display names (the codebook names sentiments in English only).
SENTIMENT_NAMES = {"negative": "负面", "neutral": "中性", "positive": "正面"}


def decide_sentiment(probs: np.ndarray) -> tuple[str, float]:
    """Return ``(label, score)``; score = P(positive) - P(negative) in [-1, 1].

    The label is the most probable class, so its sign agrees with the score
    whenever the label is not neutral.
    """
    label = SENTIMENTS[int(np.argmax(probs))]
    score = float(probs[2] - probs[0])
    return label, score


#: Emoji whose meaning in a review is praise / a complaint (the codebook: "👍" alone is positive), read for a
#: text with no words (:func:`feedback_nlp.tasks.verdict.has_words`), where the model reads only punctuation
#: and knows few emoji ("🥰🥰！" had been negative). Left out: emoji whose use in Chinese reviews is often ironic
#: (🙂 "微笑", 😅, 😂, 🙃) or unclear (🙏, 🤔).
EMOJI_POSITIVE = "👍👌👏🙌💯❤♥💕💖💗💓💞💘💝😍🥰😘😊☺😀😃😄😁😆🤗🌹💐🎉🎊✨⭐🌟🤩😋😎✌🆗💪🏆🥇👑🤝🥳😻"
EMOJI_NEGATIVE = "👎😡😠🤬🤮🤢💩😤😒🙄😞😔😟😢😭😩😫😖😣💔❌🖕😰😱🤡😑☹🙁😾👿💢"
#: The probability of the emoji's side (the rest neutral), so the signed score is ±0.8; the model gives
#: "❤️❤️❤️", which it reads, 0.87.
EMOJI_CONFIDENCE = 0.8
_EMOJI_POSITIVE, _EMOJI_NEGATIVE = frozenset(EMOJI_POSITIVE), frozenset(EMOJI_NEGATIVE)


def emoji_sentiment(norm: str) -> Optional[str]:
    """``"positive"`` / ``"negative"`` when the text holds emoji of :data:`EMOJI_POSITIVE` or
    :data:`EMOJI_NEGATIVE` and none of the other list; None otherwise (no such emoji, or both kinds)."""
    chars = set(norm)
    positive, negative = bool(chars & _EMOJI_POSITIVE), bool(chars & _EMOJI_NEGATIVE)
    if positive == negative:
        return None
    return "positive" if positive else "negative"


def neutral_probs(labels: Sequence[str]) -> np.ndarray:
    """All of the probability on ``neutral``: the documented result for a text nothing reads."""
    probs = np.zeros(len(labels), np.float32)
    probs[list(labels).index("neutral")] = 1.0
    return probs


def side_probs(side: Optional[str], labels: Sequence[str]) -> np.ndarray:
    """:data:`EMOJI_CONFIDENCE` on ``side`` and the rest on neutral; neutral alone for None or ``"neutral"``:
    the sentiment a rule reads from a text (its emoji, its star rating) rather than the head's."""
    probs = neutral_probs(labels)
    if side is not None and side != "neutral":
        probs[list(labels).index(side)] = EMOJI_CONFIDENCE
        probs[list(labels).index("neutral")] = 1.0 - EMOJI_CONFIDENCE
    return probs


def emoji_probs(norm: str, labels: Sequence[str]) -> np.ndarray:
    """The sentiment distribution over ``labels`` a text with no words is decided on: :func:`side_probs` of the
    side its emoji take (:func:`emoji_sentiment`)."""
    return side_probs(emoji_sentiment(norm), labels)

"""Sentiment: a 3-way head whose signed score is comparable with binary corpora."""
from __future__ import annotations

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

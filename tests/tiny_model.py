"""A tiny random-weight model directory for tests that must not need a trained model.

Import from a test file with ``from tiny_model import build_tiny_model`` after
putting ``tests/`` on ``sys.path`` (the test files here do that themselves).
Decisions of this model are meaningless; only shapes and plumbing are real.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from feedback_nlp.features import NgramFeaturizer
from feedback_nlp.modeling import NgramModel
from feedback_nlp.tasks.base import HeadSpec
from feedback_nlp.tasks.issue_types import ISSUE_TYPES
from feedback_nlp.text import normalize

TEXTS = [
    "快递十天都没到，客服也不回消息，什么垃圾平台",
    "质量很好，物流也快，下次还来买",
    "衣服颜色和图片不一样，申请退货一直没人处理",
    "加微信领优惠券，代购正品低价",
    "付款扣了两次钱，订单还显示未支付",
    "账号被盗了，有人用我的账号下单",
    "app一直闪退，根本没法用",
    "活动价格说好的满减没有减",
    "东西还行吧，一般般",
    "客服态度很差，问三遍都不回答",
]

HEADS = {
    "spam": ("multiclass", ["not_spam", "ad", "abuse", "gibberish", "flood", "irrelevant"]),
    "issue_types": ("multilabel", list(ISSUE_TYPES)),
    "sentiment": ("multiclass", ["negative", "neutral", "positive"]),
    "severity": ("multiclass", ["low", "medium", "high", "critical"]),
}


def build_tiny_model(directory: str | Path, seed: int = 0, heads_spec: dict | None = None) -> Path:
    """Fit a featuriser on :data:`TEXTS`, draw small random weights, save; return the directory.

    ``heads_spec``: task -> (kind, labels), default :data:`HEADS` (e.g. a custom task only:
    ``{"urgency": ("multiclass", ["low", "high"])}``).
    """
    featurizer = NgramFeaturizer(ngram_range=(1, 2), min_df=1).fit([normalize(t) for t in TEXTS])
    rng = np.random.default_rng(seed)
    heads, weights = {}, {}
    for task, (kind, labels) in (heads_spec or HEADS).items():
        heads[task] = HeadSpec(task=task, kind=kind, labels=labels)
        weights[task] = (rng.normal(0, 0.5, (featurizer.n_features, len(labels))).astype(np.float32),
                         rng.normal(0, 0.1, len(labels)).astype(np.float32))
    if "spam" in weights:
        weights["spam"][1][0] += 3.0  # mostly "not_spam", so issue/severity/routing components run
    model = NgramModel(featurizer, heads, weights, card={"name": "tiny"})
    return model.save_pretrained(Path(directory))

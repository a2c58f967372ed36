"""Multi-label issue types: independent sigmoids with per-label thresholds chosen on dev."""
from __future__ import annotations

import re

import numpy as np

ISSUE_TYPES = ["product_quality", "description_mismatch", "logistics", "after_sales", "customer_service",
               "payment", "account_security", "pricing_promotion", "app_experience", "other"]
#: The codebook's Chinese name of each issue type (shown to reviewers and in reports).
ISSUE_TYPE_NAMES = {
    "product_quality": "商品质量", "description_mismatch": "描述不符", "logistics": "物流配送",
    "after_sales": "售后服务", "customer_service": "客服态度", "payment": "支付与资金",
    "account_security": "账号安全与隐私", "pricing_promotion": "价格促销与平台规则",
    "app_experience": "功能建议与使用体验", "other": "其他",
}


def decide_issue_types(probs: np.ndarray, labels: list[str], thresholds: dict[str, float],
                       default_threshold: float = 0.5, raised: np.ndarray | None = None,
                       ) -> tuple[list[str], dict[str, float]]:
    """Return ``(issue_types, issue_scores)``; issue types ordered most likely first.

    ``raised`` = the issue gate's (P(no problem), P(problem raised)): issue types are for
    problems raised, never for aspects praised, so below ``thresholds["gate"]`` no label is
    chosen ("服务很热情", "质量不差" name aspects, not problems).
    """
    scores = {lab: round(float(p), 6) for lab, p in zip(labels, probs)}
    if raised is not None and float(raised[1]) < thresholds.get("gate", 0.0):
        return [], scores
    chosen = [lab for lab, p in zip(labels, probs) if p >= thresholds.get(lab, default_threshold)]
    chosen.sort(key=lambda lab: -scores[lab])
    return chosen, scores


#: Illness after eating or using a product (codebook v1.2: ``product_quality`` first, even
#: when the food came by delivery; ``logistics`` only when the delivery itself caused the harm).
ILLNESS = re.compile(r"食物中毒|中毒|拉肚子|拉了肚子|闹肚子|腹泻|上吐下泻|又吐又泻|又拉又吐|呕吐|吐了|肠胃不适|胃疼|"
                     r"过敏|起疹|红疹|疹子")


def illness_first(issue_types: list[str], norm: str, labels: list[str]) -> list[str]:
    """``product_quality`` first when the text reports illness after eating or using a product."""
    if "product_quality" not in labels or not ILLNESS.search(norm):
        return issue_types
    return ["product_quality"] + [lab for lab in issue_types if lab != "product_quality"]

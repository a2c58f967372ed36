"""Severity: an ordinal head combined with explicit escalation signals.

Critical cases must not be missed, so the final severity is the higher of the
model's decision and the minimum any escalation signal demands, and
``severity_reasons`` names every signal that fired.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SEVERITIES = ["low", "medium", "high", "critical"]
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class EscalationRule:
    reason: str
    minimum: str
    pattern: re.Pattern


def _rule(reason: str, minimum: str, pattern: str) -> EscalationRule:
    return EscalationRule(reason, minimum, re.compile(pattern))


#: Rules over normalised (Simplified, lower-case) text, per the codebook's
#: definition of critical and high.
ESCALATION_RULES: list[EscalationRule] = [
    _rule("health or safety risk", "critical",
          r"食物中毒|中毒|拉肚子|腹泻|上吐下泻|呕吐|过敏|住院|进了医院|去医院|急诊|受伤|烫伤|划伤|割伤|咬伤|"
          r"被咬|起火|着火|冒烟|爆炸|炸了|漏电|触电|烧焦|窒息|吃出.{0,6}(?:虫|玻璃|铁丝|钉)"),
    _rule("legal, regulator or media threat", "critical",
          r"12315|消协|消费者协会|工商局|市场监管|监管部门|起诉|律师|法院|报警|报案|警察|派出所|曝光|媒体|记者|"
          r"维权|法律途径|诉讼"),
    _rule("stolen account or unauthorised payment", "critical",
          r"被盗|盗号|盗刷|异地登录|陌生设备|不是我本人|未经.{0,4}(?:同意|授权)|自动续费|莫名.{0,4}扣|偷偷扣|被扣了"),
    _rule("fraud or personal-data leak", "critical",
          r"诈骗|骗了.{0,6}(?:钱|元|块)|泄露|泄漏|信息被卖|冒充客服"),
    _rule("many users affected", "critical",
          r"很多人都|好多人都|大家都遇到|不止我一个|不只我一个|集体|批量|大面积"),
    _rule("money lost or refund refused", "high",
          r"不给退|拒绝退款|不退款|退款.{0,8}(?:没到|未到|不到|没收到|还没)|钱.{0,4}没到账|多扣|扣了两次|重复扣|"
          r"钱没了|不予退"),
    _rule("repeated contact without a fix", "high",
          r"多次联系|联系了.{0,4}(?:几|好几|多|[二三四五六七八九十两0-9]+)次|打了.{0,4}(?:几|好几|多|[二三四五六七八九十两0-9]+)(?:次|个)电话|"
          r"反复.{0,4}(?:联系|沟通|投诉)|第[二三四五六七八九十0-9]+次(?:联系|投诉|找)"),
    _rule("threat of complaint or bad review", "high", r"投诉|差评|举报"),
    _rule("counterfeit", "high", r"假货|假冒|仿冒|高仿"),
]


def escalation_signals(text: str, rules: list[EscalationRule] = ESCALATION_RULES) -> list[EscalationRule]:
    """Return the rules whose pattern matches the normalised text."""
    return [r for r in rules if r.pattern.search(text)]


def decide_severity(probs: np.ndarray, fired: list[EscalationRule], critical_threshold: float = 0.5) -> tuple[str, list[str]]:
    """Return ``(severity, reasons)`` from the head's probabilities and fired rules.

    ``critical`` is chosen whenever P(critical) >= ``critical_threshold`` (set
    on dev for recall), otherwise the most probable class; rules can only raise it.
    """
    if probs[_RANK["critical"]] >= critical_threshold:
        model_level = "critical"
    else:
        model_level = SEVERITIES[int(np.argmax(probs))]
    level = model_level
    reasons = [f"model: {model_level} (p={float(probs[_RANK[model_level]]):.2f})"]
    for rule in fired:
        reasons.append(rule.reason)
        if _RANK[rule.minimum] > _RANK[level]:
            level = rule.minimum
    return level, reasons

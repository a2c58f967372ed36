"""Readable evidence about one normalised text, as named numbers a decision can weigh.

The heads see character n-grams; some evidence is easier to state as a rule a person can
read: a contact channel however it is spelt (微信 / 威信 / vx / ➕v, split or Chinese-numeral
digits, keycap emoji), a request to add or message someone, a link, recruiting or selling
words, and the escalation signals of :mod:`feedback_nlp.tasks.severity`. None of them decides
anything alone: :class:`feedback_nlp.tasks.combiner.Combiner` learns how much each counts next
to the heads' probabilities (a complaint that leaves a callback number stays a complaint).
"""
from __future__ import annotations

import re
from typing import Mapping, Optional, Sequence

import numpy as np

#: Characters that may sit between the digits of a disguised number ("186 73 05", "1-3-8",
#: keycap emoji "1️⃣" = 1 + U+FE0F + U+20E3, "1.3.8").
_GAP = r"[\s\-_.·•,，、/|\u20e3\ufe0f*~]{0,3}"
_DIGITS_7 = re.compile(r"\d(?:" + _GAP + r"\d){6,}")
_CN_DIGITS_7 = re.compile(r"[零〇一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖](?:" + _GAP
                          + r"[零〇一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖]){6,}")
_CHAT_APP = (r"微信|威信|薇信|徽信|维信|卫星|vx|v信|wx|weixin|wechat|(?<![a-z])v(?![a-z])|qq|扣扣|企鹅|q群|"
             r"line|賴|赖|tg|telegram|whatsapp|飞机|电报")
_CHAT_ID = re.compile(r"(?:" + _CHAT_APP + r")[^0-9a-z\u4e00-\u9fff]{0,3}(?:号|id|帐号|账号)?[:：]?\s*"
                      r"[a-z0-9_\-]{3,}")
_CHAT_MENTION = re.compile(r"加(?:我)?(?:" + _CHAT_APP + r")|(?:" + _CHAT_APP + r")(?:号|群|官方|联系|私聊)")
#: "加v11", "加vx: ab": an add-me request followed by a short id.
_ADD_ID = re.compile(r"加(?:" + _CHAT_APP + r")[:：]?[a-z0-9_\-]{2,}")
#: Symbols and emoji dropped before matching chat channels (letters, digits, CJK and ':' stay).
_SYMBOLS = re.compile(r"[^\w:：]+")
_LINK = re.compile(r"https?://|www\.|\.(?:com|cn|net|top|xyz|vip|cc|me)\b|t\.cn/|链接|网址|二维码|扫码")
_DM = re.compile(r"私信|私聊|私我|看主页|主页|看我名字|看头像|头像|滴滴我|戳我|找我|加我|联系我|call我|留言给我")
_SOLICIT = re.compile(
    r"兼职|刷单|日结|代开|开票|发票|领券|红包|返现|返利|代理|招聘|出厂价|批发|货源|代购|加盟|代运营|包流量|"
    r"微商|贷款|网贷|免费领|免费送|引流|涨粉|接单|有需要的|需要的朋友|有意者|咨询|优惠|特价|低价|秒杀|团购|福利")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")  # runs, not characters: a third of the cost

#: Evidence names computed from the text alone, in a fixed order.
TEXT_EVIDENCE = ("digits7", "chat_id", "chat_mention", "link", "dm", "solicit", "contact_and_ask",
                 "cjk_share", "log_length")


def text_evidence(norm: str) -> dict[str, float]:
    """Evidence from a normalised text (see :data:`TEXT_EVIDENCE`), each in [0, 1] except
    ``log_length`` (log of 1 + characters)."""
    s = norm[:1000]
    squeezed = _SYMBOLS.sub("", s)  # "威❤信", "微 信", "V💬" spell the same channel
    digits = bool(_DIGITS_7.search(s) or _CN_DIGITS_7.search(s))
    chat_id = bool(_CHAT_ID.search(squeezed) or _ADD_ID.search(squeezed))
    chat_mention = bool(_CHAT_MENTION.search(squeezed))
    link = bool(_LINK.search(s))
    dm = bool(_DM.search(s))
    solicit = bool(_SOLICIT.search(s))
    letters = sum(map(len, _LETTER_RUN.findall(s)))
    cjk = sum(map(len, _CJK_RUN.findall(s))) / letters if letters else 0.0
    contact = digits or chat_id or chat_mention or link
    return {"digits7": float(digits), "chat_id": float(chat_id), "chat_mention": float(chat_mention),
            "link": float(link), "dm": float(dm), "solicit": float(solicit),
            "contact_and_ask": float(contact and (dm or solicit)), "cjk_share": float(cjk),
            "log_length": float(np.log1p(len(s)))}


def evidence_matrix(names: Sequence[str], norms: Sequence[str], probs: Mapping[str, np.ndarray],
                    head_labels: Mapping[str, Sequence[str]],
                    fired: Optional[Sequence[Sequence[str]]] = None,
                    texts: Optional[Sequence[Mapping[str, float]]] = None) -> np.ndarray:
    """``[n, len(names)]`` evidence for a :class:`Combiner`.

    A name is ``text:<evidence>`` (:func:`text_evidence`), ``rule:<reason>`` (1 when that
    escalation rule of :data:`~feedback_nlp.tasks.severity.ESCALATION_RULES` fires),
    ``p:<task>:<label>`` (the head's probability), ``logit:<task>:<label>`` (its log-odds,
    clipped to ±12) or ``x:<name>*<name>`` (the product of two of these: e.g. praise that names
    an aspect, ``x:p:sentiment:positive*logit:issue_types:customer_service``). ``fired``: the reasons of the rules already found to fire on each text
    (saves matching them again).
    """
    from .severity import ESCALATION_RULES, rule_fires

    rules = {r.reason: r for r in ESCALATION_RULES}
    out = np.zeros((len(norms), len(names)), np.float32)
    if texts is None and any(n.startswith("text:") or "*text:" in n for n in names):
        texts = [text_evidence(n) for n in norms]
    for j, name in enumerate(names):
        kind, _, rest = name.partition(":")
        if kind == "x":
            left, star, right = rest.partition("*")
            if not star:
                raise ValueError(f"evidence {name!r}: use x:<name>*<name>")
            pair = evidence_matrix([left, right], norms, probs, head_labels, fired, texts)
            out[:, j] = pair[:, 0] * pair[:, 1]
        elif kind == "text":
            out[:, j] = [t[rest] for t in texts]
        elif kind == "rule":
            if rest not in rules:
                raise ValueError(f"unknown escalation rule {rest!r} in evidence {name!r}")
            if fired is not None:
                out[:, j] = [1.0 if rest in f else 0.0 for f in fired]
            else:
                out[:, j] = [1.0 if rule_fires(rules[rest], n) else 0.0 for n in norms]
        elif kind in ("p", "logit"):
            task, _, label = rest.partition(":")
            if task not in probs or label not in head_labels.get(task, ()):
                raise ValueError(f"evidence {name!r}: no head {task!r} with label {label!r}")
            p = np.asarray(probs[task], np.float64)[:, list(head_labels[task]).index(label)]
            if kind == "p":
                out[:, j] = p
            else:
                p = np.clip(p, 1e-6, 1 - 1e-6)
                out[:, j] = np.clip(np.log(p / (1 - p)), -12, 12)
        else:
            raise ValueError(f"unknown evidence {name!r} (use text:, rule:, p: or logit:)")
    return out

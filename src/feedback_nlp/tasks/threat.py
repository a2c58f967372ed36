"""Bare threats to complain ("投诉", "我要投诉", "再不处理我就投诉你们"): a threat that names no problem.

In a chat, "投诉" alone is how a user asks for a person. The codebook makes an explicit threat of a
complaint ``high`` (``critical`` is for legal, regulator or media threats) and gives a threat that names
no problem ``other``, so that someone owns it; the heads read "投诉" beside the critical tickets and
called it critical, with guessed issue types. A text is a bare threat when it holds a threat word and
nothing is left once the threat words, the verdicts of :mod:`feedback_nlp.tasks.verdict` ("差评！投诉！")
and their filler, words that name nobody (我要, 再不处理, 你们) and every character that is not a letter are
removed: "我要投诉客服" names whom, "快递太慢了我要投诉" what.
"""
from __future__ import annotations

import re
from typing import Sequence

from ..text import NOT_LETTER
from .severity import critical_signalled
from .verdict import FILLER, MAX_CHARS, VERDICTS

#: Threats to complain or report (the words of the escalation rule "threat of complaint or bad review" that
#: name no problem by themselves).
THREATS = "投诉|举报"
#: Words around a threat that name nobody and nothing (longest first): "再不处理我就投诉你们".
#: Words naming a target (客服, 骑手, 商家, 快递) are left out: "我要投诉客服" says who.
THREAT_FILLER = (
    "再不处理|再不解决|不处理|不解决|不给处理|不给解决|马上|立刻|立即|一定|必须|肯定|直接|我要|我想|我会|我就|"
    "我们|你们|他们|要|想|会|就|去|再|了|我|你|的|啊|吧|呢|啦|哦|呀|嘛|等着|等"
)
_THREAT_PHRASES = re.compile(THREATS + "|" + VERDICTS + "|" + FILLER + "|" + THREAT_FILLER)
_THREAT = re.compile(THREATS)


def is_bare_threat(norm: str) -> bool:
    """True when the normalised text threatens a complaint or report and names nothing else, verdicts
    aside (see the module)."""
    if len(norm) > MAX_CHARS or not _THREAT.search(norm):
        return False
    return not _THREAT_PHRASES.sub("", NOT_LETTER.sub("", norm))


def threat_names_no_problem(norm: str, fired: Sequence[object]) -> bool:
    """The decision stage's rule: a bare threat on which no escalation signal of the critical kind fires
    (``fired``: those that did) gets ``other`` and ``high``."""
    return is_bare_threat(norm) and not critical_signalled(fired)

"""Texts that name no problem: bare verdicts ("差评！", "不推荐", "失望") and texts with no words ("🥰🥰！").

The codebook (v1.1) labels them not spam, negative, no issue type, low: there is nothing for a
team to fix. The heads read "差评" next to thousands of complaints and give such texts an issue
type at medium, so routing would hand them to a team. A text is a bare verdict when it holds a
verdict phrase and nothing is left once the verdict phrases, a fixed list of intensifiers,
particles and framing words, and every character that is not a letter (punctuation, emoji,
digits, spaces) are removed: any other word ("质量", "小", "慢", "客服", "衣服") keeps it out,
so "质量差" and "太小了" still name their problem. The same test finds bare threats
(:mod:`feedback_nlp.tasks.threat`) and bare chat phrases (:mod:`feedback_nlp.tasks.chat`).
"""
from __future__ import annotations

import re
from typing import Sequence

from ..text import NOT_LETTER
from .rating import RATING_REMNANT, has_rating

#: Negative judgements that name no aspect of the purchase (longest alternatives first).
VERDICTS = (
    "好评是不可能好评的|这辈子都不可能好评的|一星都不想给|一星都懒得给|连一颗星都不想给|能不给一星吗|"
    "再也不会买|再也不买了|再也不买|再也不来了|再也不来|再也不点了|再也不点|再也不会来|不会再买了|不会再买|"
    "不会再来了|不会再来|不会再点|下次不买了|下次不买|下次不来了|下次不来|没有下次|没有第二次|不会再去|"
    "强烈建议别买|建议大家别买|建议大家不要买|千万不要买|千万别买|大家别买|不要买|别买|不要订|别订|慎买|慎重|"
    "不推荐|不建议|差评|差劲|差差|极差|很差|太差|最差|超差|差|大失所望|失望|绝望|不满意|"
    "垃圾|不怎么样|不怎么好|不咋地|不咋样|不太好|不好|不行|不靠谱|不给力|一般般|一般|"
    "糟糕|糟心|烂|后悔|上当受骗|上当|受骗|被骗|被坑|坑|无语|呵呵|伤不起|不值|不喜欢"
)
#: Words that frame or intensify a verdict without naming anything (longest first).
FILLER = (
    "我只能说两个字|我只想说一句|我只想说|只想说|只能说|不想多说|不多说|不解释|一个字|两个字|一句话|"
    "真心实意|真心|真的|实在是|实在|非常|特别|超级|极其|简直|绝对|必须|有点|有些|一点都|一点也|根本|"
    "真是|就是|还是|太|很|真|极|最|超|都|也|了|的|啊|吧|呢|啦|哦|呀|嘛|哎|唉|哈|就|是|我|给|说|还"
)
#: Longer texts are never bare verdicts (every one in the annotations is shorter).
MAX_CHARS = 60
_PHRASES = re.compile(VERDICTS + "|" + FILLER)
_VERDICT = re.compile(VERDICTS)
#: A letter or digit of any script (Python's ``\w`` less the underscore).
_WORD = re.compile(r"(?!_)\w")


def is_bare_verdict(norm: str) -> bool:
    """True when the normalised text is a verdict and names nothing else (see the module)."""
    if len(norm) > MAX_CHARS or not _VERDICT.search(norm):
        return False
    rest = _PHRASES.sub("", NOT_LETTER.sub("", norm))
    if rest and has_rating(norm):  # "1星，太差": what is left of the rating once its digit is gone
        rest = RATING_REMNANT.sub("", rest)
    return not rest


def has_words(norm: str) -> bool:
    """False for a text of emoji, punctuation and symbols alone ("🥰🥰！", "。"): it names no problem (the
    decision stage gives it no issue type and ``low``) and its sentiment is read from its emoji
    (:func:`feedback_nlp.tasks.sentiment.emoji_probs`), not from what the model makes of its punctuation."""
    return _WORD.search(norm) is not None


def names_no_problem(norm: str, fired: Sequence[object]) -> bool:
    """The decision stage's rule: a bare verdict on which no escalation signal (``fired``) fires gets
    no issue type and ``low``. A threat ("差评！投诉！") is not one: it fires a signal
    (:func:`feedback_nlp.tasks.threat.threat_names_no_problem`)."""
    return not fired and is_bare_verdict(norm)

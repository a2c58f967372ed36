"""Texts that name no problem: bare verdicts ("差评！", "不推荐", "失望"), bare threats to complain
("我要投诉", "举报"), bare chat phrases ("收到", "好的谢谢", "有人吗") and texts with no words ("🥰🥰！").

The codebook (v1.1) labels them not spam, negative, no issue type, low: there is nothing for a
team to fix. The heads read "差评" next to thousands of complaints and give such texts an issue
type at medium, so routing would hand them to a team. A text is a bare verdict when it holds a
verdict phrase and nothing is left once the verdict phrases, a fixed list of intensifiers,
particles and framing words, and every character that is not a letter (punctuation, emoji,
digits, spaces) are removed: any other word ("质量", "小", "慢", "客服", "衣服") keeps it out,
so "质量差" and "太小了" still name their problem.

A bare threat is the same test with threat words, verdicts allowed beside them ("差评！投诉！"):
"投诉" alone is how chat users ask for a person.

A bare chat phrase is the same test with what a chat user acknowledges, greets or calls a person with
("收到", "好的", "谢谢", "没事了", "嗯"; "你好", "在吗", "有人吗", "人呢", "转人工"): the annotations give
"已收到。" and "已签收" no issue type, neutral, low, not spam, where the heads had read "收到" (as in "还没收到")
as a logistics complaint at medium and "人呢" as abuse; asking for a person is about the service, not
off-topic. It is short (``CHAT_MAX_CHARS``) and does not repeat itself ("收到了收到了…", "在吗在吗…" are
flood, "嗯嗯嗯嗯嗯嗯" gibberish).
"""
from __future__ import annotations

import re
from typing import Sequence

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
#: Threats to complain or report (the words of the escalation rule "threat of complaint or bad review" that
#: name no problem by themselves).
THREATS = "投诉|举报"
#: Words around a threat that name nobody and nothing (longest first): "再不处理我就投诉你们".
#: Words naming a target (客服, 骑手, 商家, 快递) are left out: "我要投诉客服" says who.
THREAT_FILLER = (
    "再不处理|再不解决|不处理|不解决|不给处理|不给解决|马上|立刻|立即|一定|必须|肯定|直接|我要|我想|我会|我就|"
    "我们|你们|他们|要|想|会|就|去|再|了|我|你|的|啊|吧|呢|啦|哦|呀|嘛|等着|等"
)
#: What a chat user acknowledges a reply, greets, says goodbye or calls for a person with (longest first; no bare "好" and no
#: intensifiers: "很好" is praise; nothing naming a party: "客服呢" stays with the model).
CHAT_PHRASES = (
    "已经收到|收到了|已收到|收到|已签收|签收了|签收|好的|好滴|好嘞|好吧|好呀|知道了|知道|明白了|明白|了解了|了解|"
    "懂了|谢谢你们|谢谢你|谢谢|感谢|多谢|辛苦了|辛苦|麻烦了|没事了|没事|没问题|没关系|不客气|不用了|okay|ok|"
    "嗯嗯|嗯|哦哦|哦|噢|行吧|行|可以|对的|对|是的|在的|"
    "有没有人|有人吗|有人在吗|在不在|在吗|人呢|转人工|人工客服|人工服务|人工|你好|您好|哈喽|hello|hi|拜拜|再见|晚安"
)
#: Particles and politeness around a chat phrase (longest first).
CHAT_FILLER = "那就|这样|已经|你们|客服|了|的|啊|吧|呢|啦|呀|嘛|哈|那|就|先|亲|您|你|我|也|都"
#: Longer texts are never bare chat phrases.
CHAT_MAX_CHARS = 12
#: A text repeating itself this much (``tasks.spam.unit_repetition``; the default ``spam.flood_repetition``
#: point) is left to the spam decision: "收到了收到了收到了" may be flood.
CHAT_MAX_REPETITION = 0.5
#: Longer texts are never bare verdicts (every one in the annotations is shorter).
MAX_CHARS = 60
_PHRASES = re.compile(VERDICTS + "|" + FILLER)
_VERDICT = re.compile(VERDICTS)
_THREAT_PHRASES = re.compile(THREATS + "|" + VERDICTS + "|" + FILLER + "|" + THREAT_FILLER)
_THREAT = re.compile(THREATS)
_CHAT_WORDS = re.compile(CHAT_PHRASES + "|" + CHAT_FILLER)
_CHAT = re.compile(CHAT_PHRASES)
_NOT_LETTER = re.compile(r"[^\w]|\d|_")  # spelt without \W so hosts can translate it
#: A letter or digit of any script (Python's ``\w`` less the underscore).
_WORD = re.compile(r"(?!_)\w")


def is_bare_verdict(norm: str) -> bool:
    """True when the normalised text is a verdict and names nothing else (see the module)."""
    if len(norm) > MAX_CHARS or not _VERDICT.search(norm):
        return False
    return not _PHRASES.sub("", _NOT_LETTER.sub("", norm))


def is_bare_threat(norm: str) -> bool:
    """True when the normalised text threatens a complaint or report and names nothing else, verdicts
    aside (see the module)."""
    if len(norm) > MAX_CHARS or not _THREAT.search(norm):
        return False
    return not _THREAT_PHRASES.sub("", _NOT_LETTER.sub("", norm))


def threat_names_no_problem(norm: str, fired: Sequence[object]) -> bool:
    """The decision stage's rule: a bare threat on which no escalation signal of the critical kind fires
    (``fired``: those that did) gets ``other`` and ``high``."""
    return not any(getattr(r, "minimum", None) == "critical" for r in fired) and is_bare_threat(norm)


def is_bare_chat_phrase(norm: str) -> bool:
    """True when the normalised text only acknowledges, greets or calls a person (see the module): not a
    bare verdict, at most ``CHAT_MAX_CHARS``, repeating itself less than ``CHAT_MAX_REPETITION``."""
    from .spam import unit_repetition

    if len(norm) > CHAT_MAX_CHARS or not _CHAT.search(norm) or _CHAT_WORDS.sub("", _NOT_LETTER.sub("", norm)):
        return False
    return not is_bare_verdict(norm) and unit_repetition(norm)[0] < CHAT_MAX_REPETITION


def chat_names_no_problem(norm: str, fired: Sequence[object]) -> bool:
    """The decision stage's rule: a bare chat phrase on which no escalation signal fires is not spam,
    raises no issue type, is ``low``, and is not negative."""
    return not fired and is_bare_chat_phrase(norm)


def has_words(norm: str) -> bool:
    """False for a text of emoji, punctuation and symbols alone ("🥰🥰！", "。"): it names no problem (the
    decision stage gives it no issue type and ``low``) and its sentiment is read from its emoji
    (:func:`feedback_nlp.tasks.sentiment.emoji_probs`), not from what the model makes of its punctuation."""
    return _WORD.search(norm) is not None


def names_no_problem(norm: str, fired: Sequence[object]) -> bool:
    """The decision stage's rule: a bare verdict on which no escalation signal (``fired``) fires gets
    no issue type and ``low``. A threat ("差评！投诉！") is not one: it fires a signal (:func:`threat_names_no_problem`)."""
    return not fired and is_bare_verdict(norm)

"""Bare chat phrases ("收到", "好的谢谢", "没事了", "你好", "有人吗", "人呢", "拜拜"): a chat turn that names no problem.

The annotations give "已收到。" and "已签收" no issue type, neutral, low, not spam, where the heads had read
"收到" (as in "还没收到") as a logistics complaint at medium and "人呢" as abuse; asking for a person is about
the service, not off-topic. The test is that of bare verdicts (:mod:`feedback_nlp.tasks.verdict`) with what
a chat user acknowledges, greets, says goodbye or calls a person with. Such a text is short
(``CHAT_MAX_CHARS``) and does not repeat itself ("收到了收到了…", "在吗在吗…" are flood, "嗯嗯嗯嗯嗯嗯" gibberish).
"""
from __future__ import annotations

import re
from typing import Sequence

from ..text import NOT_LETTER
from .spam import unit_repetition
from .verdict import is_bare_verdict

#: What a chat user acknowledges a reply, confirms a case closed ("退款收到了"), greets, says goodbye or calls for a
#: person with (longest first; no bare "好" and no intensifiers: "很好" is praise; nothing naming a party: "客服呢"
#: stays with the model).
CHAT_PHRASES = (
    "退款已收到|退款收到了|已经收到退款|收到退款了|收到退款|退款到了|已退款|钱收到了|问题已解决|问题解决了|已经解决了|已解决|"
    "解决了|已确认收货|确认收货了|"  # confirmations first: "收到退款" must not lose "收到" to the acknowledgements
    "已经收到|收到了|已收到|收到|已签收|签收了|签收|好的|好滴|好嘞|好吧|好呀|知道了|知道|明白了|明白|了解了|了解|"
    "懂了|谢谢你们|谢谢你|谢谢|感谢|多谢|辛苦了|辛苦|麻烦了|没事了|没事|没问题|没关系|不客气|不用了|okay|ok|"
    "嗯嗯|嗯|哦哦|哦|噢|行吧|行|可以|对的|对|是的|在的|"
    "有没有人|有人吗|有人在吗|在不在|在吗|人呢|转人工|人工客服|人工服务|人工|你好|您好|哈喽|hello|hi|拜拜|再见|晚安"
)
#: Particles and politeness around a chat phrase (longest first).
CHAT_FILLER = "请问|那就|这样|已经|你们|客服|了|的|啊|吧|呢|啦|呀|嘛|哈|那|就|先|请|亲|您|你|我|也|都"
#: Longer texts are never bare chat phrases.
CHAT_MAX_CHARS = 12
#: A text repeating itself this much (``tasks.spam.unit_repetition``; the default ``spam.flood_repetition``
#: point) is left to the spam decision: "收到了收到了收到了" may be flood.
CHAT_MAX_REPETITION = 0.5
_CHAT_WORDS = re.compile(CHAT_PHRASES + "|" + CHAT_FILLER)
_CHAT = re.compile(CHAT_PHRASES)


def is_bare_chat_phrase(norm: str) -> bool:
    """True when the normalised text only acknowledges, greets or calls a person (see the module): not a
    bare verdict, at most ``CHAT_MAX_CHARS``, repeating itself less than ``CHAT_MAX_REPETITION``."""
    if len(norm) > CHAT_MAX_CHARS or not _CHAT.search(norm) or _CHAT_WORDS.sub("", NOT_LETTER.sub("", norm)):
        return False
    return not is_bare_verdict(norm) and unit_repetition(norm)[0] < CHAT_MAX_REPETITION


def chat_names_no_problem(norm: str, fired: Sequence[object]) -> bool:
    """The decision stage's rule: a bare chat phrase on which no escalation signal fires is not spam,
    raises no issue type, is ``low``, and is not negative."""
    return not fired and is_bare_chat_phrase(norm)

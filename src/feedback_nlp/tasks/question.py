"""Bare questions ("怎么取消订单？", "什么时候发货？", "这件外套可以机洗吗"): a request for information that names no problem.

Codebook §3: factual questions without attitude are neutral; §2: no problem raised, no issue type. The heads read
such questions as complaints: "怎么取消订单？" negative (−0.98), medium, pricing_promotion; "多久能到北京？" spam.
A text is a bare question when it is short (``QUESTION_MAX_CHARS``), ends as a question or opens with 请问, asks
for information (怎么 + an action, 多久, 什么时候, 可以…吗, …) and carries none of a complaint's marks
(negation, problem words, insistence such as 还 / 到底 / 居然, time already waited such as 等了 / 三天了, the rhetorical
让我 / 怎么吃, ``!``, a doubled ``?``).

In a customer-service chat that is a question; in a review it is mostly rhetorical ("包装能用点心吗？", "这是在逗我吗"):
of the 17 corpus reviews it matches, 13 are complaints, while all 12 chat and app-feedback annotation records it
matches are neutral, low, with no issue type. So the decision stage applies it only where the point
``issue_types.bare_question`` is 1, which by default it is not: turn it on for a chat channel
(``issue_types.bare_question@cs_chat``).
"""
from __future__ import annotations

import re
from typing import Sequence

#: Longer texts are never bare questions.
QUESTION_MAX_CHARS = 20
#: Ends as a question, or opens with 请问.
_QUESTION_END = re.compile(r"(?:[?？]|吗|呢)\s*$|^请问")
#: Asks for information.
_QUESTION_ASK = re.compile(
    r"请问|如何|怎么(?:申请|修改|取消|开|查|联系|使用|用|退|换|选|付款|支付|领|设置|绑定|注册|登录|下单|购买|买|安装|预约|改)"
    r"|多久|什么时候|几天|哪里|在哪|可以.{0,8}吗|能.{0,8}吗|支持.{0,8}吗|有.{0,6}吗|是.{0,8}吗")
#: A complaint's marks: negation, problem words, insistence, time already waited ("请问什么时候发货，等了一周了"), the
#: rhetorical, a test post (gibberish).
_QUESTION_NOT = re.compile(
    r"不|没|别|无|非|未|差|坏|慢|假|骗|错|还|又|再|为什么|为啥|凭什么|这么|那么|到底|一直|总是|老是|让我|叫我|我怎么|"
    r"居然|竟然|测试|[!！]|[?？]{2,}|投诉|[吃喝]|垃圾|烂|破|漏|洒|少|丢|扣|贵|降价|问题|故障|过期|超时|怎么回事|咋|啥|"
    r"什么情况|什么意思|什么玩意|等了|催|好几|天了|周了|月了|小时了|多久了")


def is_bare_question(norm: str) -> bool:
    """True when the normalised text (stripped by normalisation) only asks for information (see the module)."""
    if len(norm) > QUESTION_MAX_CHARS or not _QUESTION_END.search(norm):  # the test is per record: leave early
        return False
    return bool(_QUESTION_ASK.search(norm)) and not _QUESTION_NOT.search(norm)


def question_names_no_problem(norm: str, fired: Sequence[object]) -> bool:
    """The decision stage's rule: a bare question on which no escalation signal fires is not spam, raises no
    issue type, is ``low`` and neutral."""
    return not fired and is_bare_question(norm)

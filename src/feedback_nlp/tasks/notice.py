"""A notice posted to send readers to a contact channel ("【平台通知】您的店铺即将被封禁，请添加审核专员QQ…"): an ad.

The codebook calls a text that promotes a contact ID or a link ``ad``, and a buyer quoting a scam message they
received ``account_security`` (v1.1). The heads learnt the second from many quoted notices, so a notice posted as
it is reads as a buyer's security or after-sales complaint (a dev one at spam score 0.20; invented recall and
refund notices at 0.01–0.47). A posted notice opens with a bracketed tag (【平台通知】, 【京东客服】), speaks of the
reader's affairs (您的, 您购买, 恭喜, 亲爱的, 尊敬的: a ticket's "您好" to the platform is no such thing), tells them
to act in the imperative (请添加, 立即联系, 点击, 领取: not "加油", not a demand reported), sends them to a link or
contact channel, and has none of a buyer's voice: no 我, no 短信 / 邮件 / 电话 / 收到 telling how it came, no
quotation marks, no question, no transcript speaker (客户：). The decision stage applies it to records it kept on
which no escalation signal fires (``pipeline.FeedbackAnalyzer._posted_ad``; spam point ``posted_ad``).
"""
from __future__ import annotations

import re

from .evidence import text_evidence

#: The reason a posted notice gives (``severity_reasons``, after "spam").
POSTED_NOTICE_REASON = "posted notice: sends readers to a contact channel"
#: A bracketed tag of 2-10 characters at the start.
_TAG = re.compile(r"^.{0,2}?[【\[][^】\]]{2,10}[】\]]")
#: Speaks of the reader's affairs (not a ticket's greeting 您好: "【求助】您好，订单…一直没发货" is a complaint).
_READER = re.compile(r"您的|您购买|您在|您于|恭喜|亲爱的|尊敬的")
#: Tells the reader to act: an imperative (请/立即 … 添加), a click or a prize to collect. A report of a demand
#: ("客服要求添加QQ") or a question ("客服微信是多少？") is a buyer's.
_CALL = re.compile(r"(?:请|立即|马上|尽快|速)[^,，。!！?？]{0,6}"
                   r"(?:添加|加(?:我|好友|群|客服|专员|官方|微信|qq|vx|line)|点击|点开|扫码|扫描|访问|登录|联系|咨询|私信|领取|办理)"
                   r"|点击|领取")
#: A buyer telling what they received, quoting it, asking, reporting a demand, or a transcript.
_BUYER_VOICE = re.compile(r'我|短信|简讯|邮件|电话|收到|来电|[「」“”『』"]|客户:|用户:|[?？]|吗|多少|要求|让')


def is_posted_notice(norm: str) -> bool:
    """Whether a normalised text is a notice posted to send readers to a contact channel (module docstring)."""
    if not (_TAG.search(norm) and _READER.search(norm) and _CALL.search(norm)) or _BUYER_VOICE.search(norm):
        return False  # the test is per record: leave early
    evidence = text_evidence(norm)
    return bool(evidence["link"] or evidence["chat_id"] or evidence["chat_mention"] or evidence["digits7"])

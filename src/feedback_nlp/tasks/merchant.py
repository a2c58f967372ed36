"""A merchant's own rebate-for-review card ("亲，五星好评截图发客服领红包"): an ad, not feedback.

Codebook v1.2: a shop asking buyers to add it elsewhere for rebates, gifts or 返现好评 is ``ad`` when the
poster is the shop; a buyer reporting being asked (商家让我加微信好评返现) raises ``pricing_promotion``.
The heads read both kinds alike, the card's cheerful voice keeping its spam score low (two dev cards at
0.30 and 0.33 against the point 0.47). A text is a merchant card when it asks for a review, promises
something for it (即可领取, 立返, 领3元, 有红包奉上), says where to claim it (a contact channel, or a screenshot
sent to the shop), speaks as the shop to the buyer (亲, 买家, 您, 本店), and nowhere speaks as a buyer: who was
asked (商家让, 卡片上写着, quotation marks, 我加了), who asks about the reward (？, 吗, 怎么, 什么时候) or who says
it has not come (没, 一直, 已经, 不回). The decision stage applies it to records it kept, on which no escalation signal
fires and which do not read negative (``pipeline.FeedbackAnalyzer._posted_ad``; spam point ``posted_ad``).
"""
from __future__ import annotations

import re

from .evidence import text_evidence

#: The reason a merchant card gives (``severity_reasons``, after "spam").
MERCHANT_CARD_REASON = "merchant card: asks buyers for a review for a reward"
#: Asks for a review.
_ASK = re.compile(r"好评|五星|5星|晒图|带图|追评|评价|评论")
#: Offers something for it.
_REWARD = re.compile(r"红包|返现|现金|券|折|礼品|小礼物|领取|返")
#: Promises it: how the reward comes once the buyer has done it.
_OFFER = re.compile(r"即可|就能|就可以|立返|立即返|可领|领取|奉上|返您|送您|有红包|有小红包|[领返送]\d")
#: A buyer asking about a reward or saying it has not come ("好评返现怎么领？", "返现一直没到，客服不回复").
_BUYER_ASKS = re.compile(r"[?？]|吗|怎么|什么时候|多久|没|一直|已经|不回|不给")
#: A screenshot sent to the shop (the place to claim it when no contact channel is written).
_SCREENSHOT = re.compile(r"截图[^,，。!！?？]{0,8}(?:发|传|私)[^,，。!！?？]{0,8}(?:客服|微信|我们|小店|本店|官方)")
#: The shop speaking to the buyer.
_SHOP_VOICE = re.compile(r"亲|买家|顾客|宝宝|您|本店|小店|我们店|我们的")
#: A buyer reporting what the shop asked: the shop as the subject of a request, a quoted card, or the buyer
#: telling what they did.
_BUYER_VOICE = re.compile(r"(?:商家|卖家|店家|客服|对方|他们|他)(?:在|就|又|还|一直|每天)?(?:让|要|叫|说|非要|塞|放|夹|私聊|发了)"
                          r'|卡片|写着|[「」“”"『』]|我(?:评|加|给|收到|买|就)')


def is_merchant_card(norm: str) -> bool:
    """Whether a normalised text is a shop's own review-for-reward card (see the module docstring)."""
    if not (_ASK.search(norm) and _REWARD.search(norm) and _SHOP_VOICE.search(norm) and _OFFER.search(norm)):
        return False  # the test is per record: leave early
    if _BUYER_ASKS.search(norm):
        return False
    evidence = text_evidence(norm)
    if not (evidence["chat_id"] or evidence["chat_mention"] or evidence["digits7"] or _SCREENSHOT.search(norm)):
        return False
    return not _BUYER_VOICE.search(norm)

"""Ads a buyer reports rather than posts: the ad's words quoted, or a link given as evidence.

Codebook §1 and its clarifications: `ad` is the poster advertising; a buyer quoting a scam message they received is
``account_security`` (v1.1), a buyer reporting a merchant's ask is ``pricing_promotion`` (v1.2). The spam head reads
the quoted ad's words (扫码进群领福利, 加微信返现) or a screenshot's link as the poster's own and flags the report `ad`.
The decision stage (``pipeline.FeedbackAnalyzer``, point ``spam.reported_ads``) un-flags a text flagged `ad` that
:func:`is_reported_ad` holds for; it only un-flags.
"""
from __future__ import annotations

import re

from .spam import advertises

#: Quoted words right after a verb of reporting ("卡片，写着“扫码进群领福利”", "主播说「扫码加入养生群」"; rule FB).
QUOTED_AFTER_VERB = re.compile(r'(?:写着|说|发来|发了|推送|收到|夹着|夹了|塞了|附了|附|印着)[^“”「」"]{0,6}'
                               r'(?:“[^“”]*”|「[^「」]*」|"[^"]*")')
#: What makes quoted words an ad: a contact, a link, a call to add, join or claim.
_AD_WORDS = re.compile(r"加我|加v|加微|微信|私聊|兼职|刷单|日结|返现|扫码|领|福利|好评|代理|进群|链接|点击|https?://|www\.")
#: A link right after a word for evidence ("截图：https://…", "照片在这 https://…"; rule FC), the link included.
EVIDENCE_LINK = re.compile(r"(?:截图|图片|照片|视频|录屏|凭证|证据|附图|见图)[^，。！？,.!?]{0,6}"
                           r"(?:https?://|www\.|t\.cn/)[a-z0-9./?=&%#:_~+@-]*")


def is_reported_ad(norm: str) -> bool:
    """Whether the normalised text reports an ad rather than posts one: quoted ad words after a verb of reporting
    (:data:`QUOTED_AFTER_VERB`), or links given as evidence only (:data:`EVIDENCE_LINK`), and, with those left out,
    no link or contact id (nor, for an evidence link, a solicitation) of its own."""
    if any(_AD_WORDS.search(m.group()) for m in QUOTED_AFTER_VERB.finditer(norm)):
        return not advertises(QUOTED_AFTER_VERB.sub(" ", norm), solicits=False)
    if EVIDENCE_LINK.search(norm):
        return not advertises(EVIDENCE_LINK.sub(" ", norm))
    return False

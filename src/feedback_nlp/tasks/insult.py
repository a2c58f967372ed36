"""Insults aimed at other commenters: abuse, whatever the spam head says.

Codebook §1: `abuse` is insults, harassment or hate with no complaint content; an angry complaint full of swear
words is real feedback. Insult words alone cannot tell the two apart (脑残客服, 垃圾快递 are complaints), but an
insult beside a word naming other commenters as its target (楼上, 评论区, 给一星的, 写这种评论的) attacks people,
not the purchase. The spam head misses some of these, in Traditional and Cantonese forms especially
(那個給一星的…智障一個，滾回去讀書啦). The decision stage (``pipeline.FeedbackAnalyzer``, point
``spam.commenter_abuse``) flags a text :func:`insults_commenter` holds for `abuse` where the spam decision kept it,
no escalation signal fires and it neither links, leaves a contact nor solicits (those are the head's to type).
"""
from __future__ import annotations

import re

from .spam import advertises

#: Other commenters as the target (楼上, 评论区, 给一星的, 那个说…的; Traditional forms arrive Simplified; rule FA).
COMMENTER = re.compile(r"楼上|楼下|评论区|留言区|给一星的|给差评的|写这种评论|那个说|说不好用的|晒图的|评论的人|评论的都|留言的")
#: Insults of a person, not of a product (not 垃圾, 素质差 or a bare 蠢: those are said of goods and staff too).
INSULT = re.compile(r"智障|脑残|傻逼|傻x|傻叉|废物|滚(?:回|开|吧|远|出|一边|蛋)|蠢货|蠢猪|穷鬼|穷逼|丢人现眼|低能|没教养|没妈|"
                    r"没家教|没人教|脑子(?:被|有|进水|不好|是个好东西)|跟猪|像猪|猪一样|浪费空气|去死|键盘侠|酸民|巨婴|乡巴佬|土包子")

#: A party to the purchase (客服, 商家, 快递, 骑手 …): insulting one is a complaint about the service, swearing and all
#: ("同意楼上，客服就是个傻逼"; codebook: an angry complaint full of swear words is real feedback).
SERVICE_PARTY = re.compile(r"客服|老板|商家|店家|卖家|厂家|快递|骑手|司机|前台|服务员|平台|这家店|这个店|店铺|掌柜|小二")


def insults_commenter(norm: str) -> bool:
    """Whether the normalised text insults other commenters (:data:`COMMENTER` and :data:`INSULT` both in it), names
    no party to the purchase (:data:`SERVICE_PARTY`) and neither links, leaves a contact nor solicits."""
    return (bool(COMMENTER.search(norm) and INSULT.search(norm)) and not SERVICE_PARTY.search(norm)
            and not advertises(norm))

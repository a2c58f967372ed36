"""feedback_nlp.tasks.merchant: a shop's own review-for-reward card is an ad; a buyer reporting one is not."""
import pytest

from feedback_nlp.text import normalize


@pytest.mark.parametrize("text", [
    "亲，收到货满意的话麻烦给个五星哦，截图发给小店微信（xd_kefu01）有小红包奉上～",  # a contact channel
    "親愛的買家您好～給予五星好評並上傳照片，截圖傳給我們的LINE官方帳號，即可獲得下次購物9折券喔💕",  # Traditional
    "亲爱的顾客，本店好评返现活动进行中，好评+晒图截图发客服领3元",  # no channel: a screenshot sent to the shop
    "【售后卡】亲爱的顾客，本店好评返现，领3元，详情咨询客服QQ 3391028475",
    "【好评返现】亲，收到货给五星好评，截图发客服微信abc123领5元红包",
])
def test_a_shop_card_is_a_merchant_card(text):
    from feedback_nlp.tasks.merchant import is_merchant_card

    assert is_merchant_card(normalize(text))


@pytest.mark.parametrize("text", [
    "商家让我加微信好评返现，加了以后又不给",  # a buyer reporting being asked (codebook: pricing_promotion)
    "包裹里有张卡片写着：亲，五星好评加微信abc123返现5元",  # the card quoted
    "客服说「亲，五星好评截图发微信abc123返红包」，我评了也发了，一直不回",
    "亲，我加了客服微信abc123，说好的五星好评返现到现在没给",  # the buyer telling what they did
    "东西很好，亲们可以放心买，五星好评！",  # praise: no reward, no channel
    "亲，五星好评送小礼物哦",  # no place to claim it
    "五星好评，返现已领，客服微信abc123",  # not the shop's voice
    "您好，五星好评返现一直没到，客服微信abc123不回复",  # a buyer saying the reward has not come
    "您好，请问五星好评返现怎么领？客服微信abc123", "您好，好评返现的活动还有吗？加了客服微信abc123",  # asking
    "亲，五星好评的红包什么时候发？已经截图发给客服了",
    "亲，五星好评返现，客服微信abc123",  # no promise of how it comes
])
def test_a_buyer_s_report_or_a_review_is_not(text):
    from feedback_nlp.tasks.merchant import is_merchant_card

    assert not is_merchant_card(normalize(text))

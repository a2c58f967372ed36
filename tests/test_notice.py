"""feedback_nlp.tasks.notice: a notice posted to send readers to a contact channel is an ad; a quoted one is not."""
import pytest

from feedback_nlp.text import normalize


@pytest.mark.parametrize("text", [
    "【平台通知】您的店铺因违规即将被封禁，请立即添加官方审核专员QQ：3298471650 进行申诉",  # a contact id
    "【淘宝】恭喜您成为幸运用户，点击 tb-gift.top 领取iPhone，仅限今天",  # a link
    "【蝦皮客服】親愛的會員您好，您的訂單需重新驗證，請加LINE官方帳號 shopee_tw88 處理",  # Traditional
    " [退款通知]您的订单退款失败，请联系客服vx：tk2023 重新办理",  # square brackets, a leading space
    "【京东客服】您购买的商品需要召回，请添加理赔专员QQ 2837461950 办理双倍赔付",
    "【系统通知】尊敬的用户，您的积分即将清零，点击 jf-dh.top 立即兑换",
])
def test_a_posted_notice_is_one(text):
    from feedback_nlp.tasks.notice import is_posted_notice

    assert is_posted_notice(normalize(text))


@pytest.mark.parametrize("text", [
    "刚收到短信【淘宝】您购买的奶粉需召回，请添加理赔专员QQ 2837461950 办理",  # quoted: no tag at the start
    "【避雷】我收到了【淘宝】您的订单需理赔，请加QQ 2837461950 的短信，是你们发的吗",  # a buyer's voice
    "【差评】您家的客服电话 4008123456 根本打不通",  # a complaint naming a number
    "【通知】您的店铺即将被封禁，请立即进行申诉",  # nowhere to go
    "平台通知：您的店铺即将被封禁，请添加审核专员QQ 3298471650",  # no bracketed tag
    "【求助】您好，订单2023112345678一直没发货",  # a ticket greeting the platform: 您好, not 您的
    "【售后】您好，订单号 JD2023112345678 申请退货，请联系13812345678",  # ... with a callback number
    "【投诉】您的快递员态度太差，订单2023112345678",  # 您的 in a complaint, telling nobody to act
    "【反馈】您的客服要求添加QQ 123456789 才能退款",  # a demand reported
    "【咨询】您的店铺客服微信abc123是多少", "【咨询】您的店铺可以加微信abc123吗",  # asking
    "【好评】您的服务很好，请继续加油，客服微信abc123很耐心",  # praise: 加油 is no call to add anyone
])
def test_a_quoted_notice_or_a_complaint_is_not(text):
    from feedback_nlp.tasks.notice import is_posted_notice

    assert not is_posted_notice(normalize(text))

"""tasks/reported_ad.py: ads a buyer reports (quoted, or a link given as evidence), not posts."""
import pytest

from feedback_nlp.tasks.reported_ad import is_reported_ad


@pytest.mark.parametrize("norm, reported", [
    # quoted after a verb of reporting (rule FB)
    ("包裹里夹了一张卡片,写着“扫码进群领福利”。平台管不管?", True),
    ("主播说「扫码加入养生群,送价值999的保健品」,她扫了码", True),
    ("卖家发来消息说“好评返现5元,加微信 kefu8888 领取”", True),
    ("收到短信“您的账户将于今日冻结,请点击链接解冻”", True),
    # quoted words that are no ad, or no verb of reporting before the quote
    ("客服说“已经发货了”,到现在也没动静", False),
    ("“扫码进群领福利”", False),
    # the poster's own contact or link outside the quote: an ad quoting itself
    ("大家都说“好评返现真香”,加我微信 fanxian_88 领", False),
    ("朋友说“这个兼职真赚钱”,详情 https://t.cn/a1b2c3", False),
    # a link right after a word for evidence (rule FC)
    ("领的88元大额券在结算页不显示,截图:https://photos.app.goo.gl/vk3bw9lq2 券的有效期还有三天", True),
    ("付款被扣了两次,截图在这 https://m.tb.cn/h.5xk9qpl 请帮忙退一笔", True),
    ("app一打开就闪退,录屏放这:https://share.weiyun.com/xa9lk2tq", True),
    # a link given as evidence beside a solicitation, a contact or another link stays suspect
    ("截图:https://t.cn/abc 加我微信领红包", False),
    ("领券没用上,截图:https://t.cn/a6pqz8wm 请处理", False),
    ("截图:https://t.cn/abc 更多优惠 www.shop-deal.top", False),
    # a bare link
    ("好货推荐 https://t.cn/a6pqz8wm", False),
])
def test_is_reported_ad(norm, reported):
    assert is_reported_ad(norm) is reported

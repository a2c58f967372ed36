"""tasks/insult.py: insults aimed at other commenters."""
import pytest

from feedback_nlp.tasks.insult import insults_commenter


@pytest.mark.parametrize("norm, insult", [
    ("那个给一星的是不是脑袋有洞?自己不会用怪谁,智障一个,滚回去读书啦", True),
    ("楼上评论的一看就是穷鬼,买不起就别在这叫唤", True), ("评论区是智障集中营吗", True),
    ("写这种评论的人是不是家里没人教", True), ("楼下那个晒图的长得跟猪一样", True),
    # commenters named without an insult of a person, or an insult with no commenter: complaints
    ("楼上说的对,快递送到楼下就走了,垃圾快递", False), ("同意楼上,客服素质差,东西也不行", False),
    ("脑残客服,发票不知道弄哪里去了", False), ("送饭的人都是脑残吗,能不能找个智商高点的来", False),
    ("楼上说得对,这设计太蠢了", False), ("酒店楼下的餐厅滚烫的汤洒了一身", False),
    # commenters named beside an insult of a party to the purchase: a complaint, swearing and all
    ("同意楼上,客服就是个傻逼,问什么都不知道", False), ("楼上说得对,这家店的老板就是个废物,发错货还不认", False),
    ("楼下那个说好用的是托吧,这破手机三天就死机,厂家都是智障", False),
    # an ad that insults them is the head's to type
    ("楼上的穷鬼别酸了,兼职日结300加我微信 rich_888", False),
])
def test_insults_commenter(norm, insult):
    assert insults_commenter(norm) is insult

"""tasks/review_form.py: the forms only a review takes (padding, whom it was for, the book reviewed)."""
import pytest

from feedback_nlp.tasks.review_form import is_review_form, names_book, recipient_liked, unpadded


@pytest.mark.parametrize("norm, want", [
    ("不错。。。。。。。。", "不错"), ("还行吧,,,,,,", "还行吧"), ("不好 有异味 。。。。", "不好 有异味"),
    ("非常好哈哈哈哈哈", "非常好"), ("哈哈哈,好吃", ",好吃"), ("不错~~~好", "不错 好"),
    ("。。。。。。", ""), ("哈哈哈哈", ""),
    # not padding: two marks, two laughs, a repeated letter (the filler rule's business), "..." in an ellipsis of two
    ("好!!", "好!!"), ("哈哈,好吃", "哈哈,好吃"), ("好好好好", "好好好好"), ("等等..", "等等.."),
])
def test_unpadded_drops_runs_of_one_mark_and_laughter(norm, want):
    assert unpadded(norm) == want


@pytest.mark.parametrize("norm, liked", [
    ("我女朋友喜欢", True), ("孩子很爱吃", True), ("老人用了都说好", True), ("同事都夸好看", True),
    ("我喜欢", False), ("朋友圈都在说", False), ("今天和同事一起吃了麻辣烫", False), ("女朋友今天生日，好开心我喜欢", False),
])
def test_recipient_liked(norm, liked):
    assert recipient_liked(norm) is liked


@pytest.mark.parametrize("norm, form", [
    ("我女朋友喜欢", True), ("一口气看完了这本书,很感动", True), ("书中的主人公让人心疼", True), ("全书共三部", True),
    ("作者的文笔很细腻", True), ("女主太傻了,男主一直在等她", True), ("求一篇500字的读后感,明天就要交了", False),
    ("今天第一天上班,好紧张", False), ("我是书店老板,加我微信", False), ("梅西今晚这脚任意球太绝了", False),
    # an ad that says so: it links, leaves a contact or solicits
    ("女朋友很喜欢,兼职日结200,详情看主页", False), ("这本书不错,需要电子版的加微信 ebook_2024", False),
])
def test_is_review_form(norm, form):
    assert is_review_form(norm) is form


@pytest.mark.parametrize("norm, named", [("书中的主人公在医院里", True), ("作者写得太感人了", True), ("读完了", True),
                                         ("在医院里抢救了三天", False), ("书包质量很好", False)])
def test_names_book(norm, named):
    assert names_book(norm) is named

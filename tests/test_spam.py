import numpy as np
import pytest

from feedback_nlp.tasks.spam import (SPAM_CLASSES, decide_spam, is_review_form, no_words_spam, recipient_liked,
                                    spam_signals, unpadded)


def test_signals():
    s = spam_signals("加我微信 wx:abc_12345 兼职日结 http://x.cn")
    assert s.has_link and s.has_contact and s.solicits
    assert "contains a link" in s.reasons()
    assert spam_signals("好评好评好评好评好评好评").repetition_ratio > 0.6
    assert spam_signals("快递很快，包装也不错，东西质量挺好").repetition_ratio < 0.2
    assert spam_signals("").char_entropy == 0.0


def test_decision_and_ad_sharpening():
    probs = np.array([0.1, 0.1, 0.1, 0.1, 0.1, 0.5])
    assert decide_spam(probs, "加v abc12345 兼职", 0.5) == (True, "ad", 0.9)
    assert decide_spam(probs, "今天天气不错", 0.5)[1] == "irrelevant"
    is_spam, kind, score = decide_spam(np.array([0.9] + [0.02] * 5), "x", 0.5)
    assert (is_spam, kind) == (False, None) and score == pytest.approx(0.1)  # 1 - P(not_spam)
    assert len(SPAM_CLASSES) == 6


def test_filler_rule_flags_one_unit_repeated_only_when_enabled():
    from feedback_nlp.tasks.spam import unit_repetition

    clean = np.array([0.95, 0.01, 0.01, 0.01, 0.01, 0.01])
    assert unit_repetition("好评！好评！好评！好评！")[0] == unit_repetition("好评好评好评好评")[0] > 0.6
    assert decide_spam(clean, "差差差差差差差差差差", 0.5, 0.7)[:2] == (True, "gibberish")
    assert decide_spam(clean, "差劲差劲差劲差劲差劲差劲差劲", 0.5, 0.7)[:2] == (True, "flood")
    assert decide_spam(clean, "差劲差劲差劲差劲差劲差劲差劲", 0.5, None)[:2] == (False, None)
    # a real complaint, even an emphatic one, is not filler
    assert decide_spam(clean, "快递太慢了！！！等了十天还没到，客服也不回复！！！", 0.5, 0.7)[0] is False
    assert decide_spam(clean, "好评", 0.5, 0.7)[0] is False


def test_a_flagged_repeated_unit_typed_irrelevant_takes_the_filler_type():
    # codebook: the same short text repeated is flood, one character repeated gibberish, not off-topic chat
    chat = np.array([0.1, 0.02, 0.02, 0.02, 0.04, 0.8])  # flagged, most likely irrelevant
    assert decide_spam(chat, "来了老弟来了老弟来了老弟来了老弟来了老弟来了老弟", 0.5, 0.7)[:2] == (True, "flood")
    assert decide_spam(chat, "额额额额额额额额额额额额", 0.5, 0.7)[:2] == (True, "gibberish")
    assert decide_spam(chat, "今天第一天上班，好紧张", 0.5, 0.7)[:2] == (True, "irrelevant")  # not repeated
    assert decide_spam(chat, "额额额额额额额额额额额额", 0.5, None)[:2] == (True, "irrelevant")  # rules off
    abuse = np.array([0.1, 0.02, 0.8, 0.02, 0.04, 0.02])
    assert decide_spam(abuse, "傻子傻子傻子傻子傻子傻子", 0.5, 0.7)[:2] == (True, "abuse")  # other types stay


def test_punctuation_only_is_gibberish_but_emoji_praise_is_not():
    from feedback_nlp.tasks.spam import punctuation_only

    clean = np.array([0.95, 0.01, 0.01, 0.01, 0.01, 0.01])
    assert punctuation_only("。。。，，，！！？？；；……~~~、、、") and punctuation_only("? ? ?")
    assert not punctuation_only("👍👍") and not punctuation_only("？") and not punctuation_only("好？？？")
    assert decide_spam(clean, "？？？？？？", 0.5, 0.7)[:2] == (True, "gibberish")
    assert decide_spam(clean, "👍👍👍", 0.5, 0.7)[0] is False
    assert decide_spam(clean, "？？？？？？", 0.5, None)[0] is False  # rules off


def test_flood_needs_the_text_to_repeat_itself():
    # codebook: flood is the same short text repeated inside one record; "好评" once is not spam
    flood = np.array([0.05, 0.01, 0.01, 0.01, 0.9, 0.02])  # the model says flood
    assert SPAM_CLASSES[4] == "flood"
    for once in ("好评", "五星好评", "不错还好挺不错"):
        assert decide_spam(flood, once, 0.5, flood_repetition=0.5) == (False, None, pytest.approx(0.95))
        assert decide_spam(flood, once, 0.5)[:2] == (True, "flood")  # the check off
    assert decide_spam(flood, "不错不错不错不错不错不错不错啊", 0.5, flood_repetition=0.5)[:2] == (True, "flood")
    # an ad the model typed flood stays spam: the signals make it an ad first
    assert decide_spam(flood, "加v abc12345 兼职", 0.5, flood_repetition=0.5)[:2] == (True, "ad")
    # the filler rule's own floods repeat themselves by construction
    clean = np.array([0.95, 0.01, 0.01, 0.01, 0.01, 0.01])
    assert decide_spam(clean, "差劲差劲差劲差劲差劲差劲差劲", 0.5, 0.7, flood_repetition=0.5)[:2] == (True, "flood")


@pytest.mark.parametrize("flagged, norm, want", [
    (True, "😭", (False, None)), (True, "👍👍", (False, None)), (False, "🥰", (False, None)),
    (True, "?", (True, "gibberish")), (True, "🥰🤮", (True, "gibberish")), (True, "🐶", (True, "gibberish")),
    (False, "。", (False, None))])
def test_no_words_spam_keeps_emoji_reviews_and_types_the_rest_gibberish(flagged, norm, want):
    assert no_words_spam(flagged, norm) == want


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
])
def test_is_review_form(norm, form):
    assert is_review_form(norm) is form

import numpy as np
import pytest

from feedback_nlp.tasks.spam import SPAM_CLASSES, decide_spam, no_words_spam, spam_signals


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



def test_advertises_links_contacts_and_optionally_solicitations():
    from feedback_nlp.tasks.spam import advertises

    assert advertises("详情 https://t.cn/a1b2c3") and advertises("加微信 fuye_2024")
    assert advertises("兼职日结200") and not advertises("兼职日结200", solicits=False)
    assert not advertises("质量很好,物流也快")

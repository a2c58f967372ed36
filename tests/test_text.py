import pytest

from feedback_nlp.text import MAX_CHARS, han_share, is_not_chinese, mask_pii, normalize, require_texts


def test_nfkc_fullwidth_lowercase_and_whitespace():
    assert normalize("  ＡＢＣ１２３\u3000好\n\n\t评  ") == "abc123 好 评"


def test_traditional_to_simplified():
    assert normalize("這個商品質量很差，客服態度也不好") == "这个商品质量很差,客服态度也不好"


def test_truncates_long_text():
    assert len(normalize("差" * 100_000)) == MAX_CHARS


def test_padding_cannot_push_the_words_past_the_early_cut():
    for pad in (" " * 5000, "\n" * 5000, "\u3000" * 5000, "\x00" * 5000, "\u200b" * 5000, " \u200b" * 3000):
        assert normalize(pad + "食物中毒住院了") == "食物中毒住院了", repr(pad[:2])
    assert normalize("好" + " " * 5000 + "评" * 5000) == "好 " + "评" * (MAX_CHARS - 2)


def test_invisible_format_characters_are_dropped_but_not_the_emoji_joiner():
    assert normalize("\u200b".join("质量太差了")) == "质量太差了"
    assert normalize("\ufeff好\u00ad评\u2060\u200e") == "好评" and normalize("\u200b") == ""
    assert normalize("😮\u200d💨") == "😮\u200d💨"
    # before NFKC, which composes a letter and an accent once nothing stands between them: on any length
    assert normalize("cafe\u200b\u0301 好评") == "café 好评" == normalize("cafe\u200b\u0301 好评" + "😀" * 2500)[:7]


def test_empty_and_control_characters():
    assert normalize("") == ""
    assert normalize(" \n\t\x00\x07 ") == ""


def test_lone_surrogates_are_dropped():
    assert normalize("好\udc80评") == "好评"


def test_non_string_is_a_clear_error():
    with pytest.raises(TypeError, match="text must be str"):
        normalize(None)


@pytest.mark.parametrize("text, expected", [
    ("电话13812345678", "电话[PHONE]"),
    ("+86 138-1234-5678 找我", "[PHONE] 找我"),
    ("邮箱 zhang.san@example.com", "邮箱 [EMAIL]"),
    ("身份证11010119900307123X", "身份证[ID]"),
    ("订单号 202311151234567890 没到", "订单号 [ORDER] 没到"),
    ("等了10天", "等了10天"),
])
def test_mask_pii(text, expected):
    assert mask_pii(text) == expected


# --- script check: is_not_chinese -------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The package arrived broken, very disappointed",
    "The package arrived broken 差评",          # mostly English with one Chinese word
    "日本語のテキスト、とても良い",              # Japanese: kana count like Han characters
    "배송이 너무 느려요",
    "Доставка очень медленная",
    "very good",
])
def test_other_languages_are_flagged(text):
    assert is_not_chinese(normalize(text))


@pytest.mark.parametrize("text", [
    "iPhone充电器坏了",                          # brand names inside Chinese
    "App一直闪退 iPhone 15 Pro Max 256GB，真的很卡",
    "買的 Apple AirPods Pro 2nd generation 左耳沒聲音",  # Traditional + brands
    "Nike air max 270 鞋底开胶",
    "👍👍👍", "😀🎉", "123456", "2024-03-05 12:00", "。。。", "", "ok", "good",
    "快递十天都没到", "𠀀𠀁 rare CJK ext-B 㐀㐁",
])
def test_chinese_emoji_digits_and_single_words_are_not_flagged(text):
    assert not is_not_chinese(normalize(text))


def test_han_share_counts_latin_words_as_one_unit():
    assert han_share(normalize("iPhone充电器坏了")) == (5 / 6, 6)
    assert han_share("123 👍") == (1.0, 0)


def test_distinct_normalized_drops_empties_and_repeats_in_order():
    from feedback_nlp.text import distinct_normalized

    assert distinct_normalized(["好评", "  ", "好評", "ＡＢ", "ab", "差"]) == ["好评", "ab", "差"]


def test_a_bare_string_is_not_a_sequence_of_texts():
    from feedback_nlp import NgramFeaturizer, ProblemClusterer

    for call in (lambda: require_texts("充电器发烫"), lambda: ProblemClusterer(min_size=2).fit("充电器发烫"),
                 lambda: NgramFeaturizer().fit("充电器发烫"), lambda: NgramFeaturizer().transform(b"x")):
        with pytest.raises(TypeError, match="a sequence of str, got a single"):
            call()


def test_require_texts_names_the_first_non_string_by_position():
    require_texts(["好", ""])
    with pytest.raises(TypeError, match="text at index 12 must be str, got bytes"):
        require_texts(["好", b"x", None], offset=11)


import pytest

from feedback_nlp.text import MAX_CHARS, mask_pii, normalize


def test_nfkc_fullwidth_lowercase_and_whitespace():
    assert normalize("  ＡＢＣ１２３\u3000好\n\n\t评  ") == "abc123 好 评"


def test_traditional_to_simplified():
    assert normalize("這個商品質量很差，客服態度也不好") == "这个商品质量很差,客服态度也不好"


def test_truncates_long_text():
    assert len(normalize("差" * 100_000)) == MAX_CHARS


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

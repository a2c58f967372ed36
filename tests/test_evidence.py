"""Readable evidence: contact channels in their disguises, requests, links; named evidence columns."""
import numpy as np
import pytest

from feedback_nlp.tasks.evidence import TEXT_EVIDENCE, evidence_matrix, text_evidence
from feedback_nlp.text import normalize


def ev(text):
    return text_evidence(normalize(text))


@pytest.mark.parametrize("text", [
    "加微信777领券", "兼职刷单日结，加V11", "威❤信：abc123 私聊", "➕V：xd_kefu01 有红包", "加我vx: abc_88 领福利",
    "QQ：3298471650 申诉", "加LINE官方帳號領9折券", "扣扣 12345678 兼职",
])
def test_chat_channels_in_all_spellings(text):
    e = ev(text)
    assert e["chat_id"] or e["chat_mention"], text


@pytest.mark.parametrize("text", [
    "📞1️⃣5️⃣8️⃣0️⃣0️⃣2️⃣1️⃣7️⃣7️⃣6️⃣3️⃣", "电话：186 73 05 91 24", "联系1-3-8-0-0-1-3-8-0-0-0",
    "幺三八零零一二三四五六",
])
def test_split_keycap_and_chinese_numeral_digits(text):
    assert ev(text)["digits7"] == 1.0, text


def test_contact_with_a_request_versus_a_callback_number():
    ad = ev("全屋定制出厂价，需要的朋友找我 13800138000")
    assert ad["digits7"] and ad["contact_and_ask"]
    callback = ev("快递三天没到，我的电话13812345678，请尽快回电")
    assert callback["digits7"] and not callback["contact_and_ask"] and not callback["solicit"]
    assert ev("点击链接领取红包 http://t.cn/7")["link"] == 1.0
    assert ev("有意者私信，看主页")["dm"] == 1.0


def test_no_contact_in_ordinary_reviews():
    for text in ("质量很差，v领都开线了", "衣服很好看，v字领", "物流很快，包装完好", "用了三个月就坏了"):
        e = ev(text)
        assert not (e["digits7"] or e["chat_id"] or e["chat_mention"] or e["link"]), text


def test_script_share_and_length():
    assert ev("质量很好")["cjk_share"] == 1.0
    assert ev("The package arrived broken")["cjk_share"] == 0.0
    assert ev("")["log_length"] == 0.0


def test_evidence_matrix_names_and_errors():
    probs = {"severity": np.array([[0.1, 0.2, 0.3, 0.4]]), "sentiment": np.array([[0.5, 0.25, 0.25]])}
    labels = {"severity": ["low", "medium", "high", "critical"], "sentiment": ["negative", "neutral", "positive"]}
    names = ["p:severity:critical", "logit:sentiment:negative", "rule:legal, regulator or media threat",
             "text:link", "x:p:severity:critical*p:sentiment:negative"]
    E = evidence_matrix(names, ["已经起诉了"], probs, labels)
    assert E.shape == (1, 5)
    assert E[0, 0] == pytest.approx(0.4) and E[0, 1] == pytest.approx(0.0, abs=1e-6)
    assert E[0, 2] == 1.0 and E[0, 3] == 0.0 and E[0, 4] == pytest.approx(0.2)
    # precomputed rule hits are used as given
    assert evidence_matrix(names[2:3], ["已经起诉了"], probs, labels, fired=[set()])[0, 0] == 0.0
    for bad in ("rule:no such rule", "p:severity:nope", "what:ever", "x:p:severity:low"):
        with pytest.raises(ValueError):
            evidence_matrix([bad], ["x"], probs, labels)
    assert set(TEXT_EVIDENCE) == set(ev("x"))

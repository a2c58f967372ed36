"""feedback_nlp.host_rules: the decision stage's patterns, translated for JavaScript hosts.

The Node parity tests (tests/test_node.py) run the translated patterns; these check the
translation itself and what the file holds, without node.
"""
from __future__ import annotations

import json
import re

import pytest

from feedback_nlp.host_rules import FILE_NAME, decision_rules, js_pattern, write_decision_rules
from feedback_nlp.tasks.severity import ESCALATION_RULES


@pytest.mark.parametrize("py, js", [
    (r"(?<!\d)1[3-9]\d{9}", r"(?<!\p{Nd})1[3-9]\p{Nd}{9}"),  # Python's \d is every decimal digit
    (r"[a-z0-9_\-]{5,}", r"[a-z0-9_\-]{5,}"),  # other escapes pass through
    (r"[\s\-]", "[" + r"\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
     + r"\-]"),  # JavaScript's \s has U+FEFF and lacks U+001C..U+001F and U+0085
    (r"\w+", r"[\p{L}\p{N}_]+"),
    (r"[^\w:]", r"[^\p{L}\p{N}_:]"),
    (r"\.com\b", r"\.com(?:(?<=[\p{L}\p{N}_])(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}_])(?=[\p{L}\p{N}_]))"),
])
def test_translation(py, js):
    assert js_pattern(py) == js


@pytest.mark.parametrize("py", [r"[^\W_]", r"\S+", r"\Bx", r"(?P<name>a)", re.compile("a", re.IGNORECASE)])
def test_untranslated_constructs_are_refused(py):
    with pytest.raises(ValueError, match="not translated"):
        js_pattern(py)


def test_the_file_holds_every_rule_the_evidence_reads(tmp_path):
    rules = decision_rules()
    assert [r["reason"] for r in rules["escalation_rules"]] == [r.reason for r in ESCALATION_RULES]
    assert [r["minimum"] for r in rules["escalation_rules"]] == [r.minimum for r in ESCALATION_RULES]
    assert set(rules["text_evidence"]) == {"digits7", "cn_digits7", "chat_id", "add_id", "chat_mention", "link",
                                           "dm", "solicit", "cjk_run"}
    assert set(rules["spam_signals"]) == {"link", "contact", "solicit", "padding", "liked", "book"}
    assert rules["flags"] == "u"
    assert set(rules["bare_verdict"]) == {"max_chars", "verdict", "phrases", "not_letter", "threat", "threat_phrases",
                                          "chat", "chat_words", "chat_max_chars", "chat_max_repetition",
                                          "rating", "rating_filler", "rating_max_chars", "rating_sides",
                                          "rating_remnant", "question_max_chars", "question_end", "question_ask",
                                          "question_not", "placeholder_max_chars", "placeholder",
                                          "negated_max_chars", "negated_clause", "negated_approval",
                                          "negated_bad_aspect", "negated_softened", "negated_stop", "negated_break"}
    assert set(rules["merchant_card"]) == {"ask", "reward", "offer", "buyer_asks", "screenshot", "shop_voice",
                                           "buyer_voice"}
    assert set(rules["posted_notice"]) == {"tag", "reader", "call", "buyer_voice"}
    path = write_decision_rules(tmp_path)
    assert path.name == FILE_NAME and json.loads(path.read_text(encoding="utf-8")) == rules

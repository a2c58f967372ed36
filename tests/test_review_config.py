"""feedback_nlp.review.config: the labelling interface, ours and a user's own."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from feedback_nlp.review import CONTROLS, LabelConfig, LabelConfigError, label_config_xml, prediction_result
from feedback_nlp.tasks import (ISSUE_TYPE_NAMES, ISSUE_TYPES, SENTIMENTS, SEVERITIES, SEVERITY_NAMES, SPAM_TYPE_NAMES,
                                SPAM_TYPES)


def test_label_config_is_wellformed_and_names_every_codebook_label():
    root = ET.fromstring(label_config_xml())
    text = [el for el in root.iter("Text")]
    assert [(t.get("name"), t.get("value")) for t in text] == [("text", "$text")]
    controls = {el.get("name"): el for el in root.iter() if el.get("name") in CONTROLS}
    assert set(controls) == {"is_spam", "spam_type", "issue_types", "sentiment", "severity", "problem"}
    assert all(el.get("toName") == "text" for el in controls.values())
    expected = {"is_spam": ["false", "true"], "spam_type": SPAM_TYPES, "issue_types": ISSUE_TYPES,
                "sentiment": SENTIMENTS, "severity": SEVERITIES}
    for name, labels in expected.items():
        el = controls[name]
        assert el.tag == "Choices"
        assert [c.get("value") for c in el.iter("Choice")] == list(labels), name
    shown = {c.get("value"): c.get("html") for c in root.iter("Choice")}
    for names in (ISSUE_TYPE_NAMES, SPAM_TYPE_NAMES, SEVERITY_NAMES):
        for label, zh in names.items():
            assert zh in shown[label] and label in shown[label]
    assert controls["issue_types"].get("choice") == "multiple"
    assert controls["sentiment"].get("choice") == "single-radio"
    assert controls["problem"].tag == "TextArea"
    assert {n for n, el in controls.items() if el.get("required") == "true"} == {"is_spam", "sentiment", "severity"}
    assert controls["spam_type"].get("whenTagName") == "is_spam"


def test_user_config_restricts_predictions_and_says_what_is_missing(analyzer):
    xml = """<View><Text name="review" value="$content"/>
      <Choices name="sentiment" toName="review"><Choice value="negative"/><Choice value="positive"/></Choices>
      <Choices name="severity" toName="review"><Choice value="x" alias="low"/><Choice value="medium"/>
        <Choice value="high"/></Choices>
      <TextArea name="issue_types" toName="review"/></View>"""
    cfg = LabelConfig.from_xml(xml)
    assert cfg.text_key == "content"
    assert set(cfg.controls) == {"sentiment", "severity"}
    assert set(cfg.missing) == {"is_spam", "spam_type", "issue_types", "problem"}
    assert cfg.missing_values == {"sentiment": ["neutral"], "severity": ["critical"]}
    warnings = "\n".join(cfg.warnings())
    assert "'is_spam'" in warnings and "critical" in warnings and "neutral" in warnings
    r = analyzer.analyze("快递十天都没到，客服也不回消息")
    items, _ = prediction_result(r, cfg)
    assert {i["from_name"] for i in items} <= {"sentiment", "severity"}
    assert all(i["to_name"] == "review" for i in items)
    r.sentiment, r.severity = "neutral", "low"  # neutral is not in the config; low is, by alias
    items, _ = prediction_result(r, cfg)
    assert [(i["from_name"], i["value"]["choices"]) for i in items] == [("severity", ["low"])]


@pytest.mark.parametrize("xml,msg", [
    ("<View><Text name='t' value='$text'>", "not well-formed"),
    ("<View><Text name='t' value='$text'/><Choices name='mood' toName='t'/></View>", "none of the controls"),
    ("<View><Choices name='sentiment' toName='t'/></View>", "not a <Text>"),
])
def test_unusable_config_is_a_clear_error(xml, msg):
    with pytest.raises(LabelConfigError, match=msg):
        LabelConfig.from_xml(xml)


"""The labelling interface: the codebook's controls as Label Studio XML, and a user's own config read back."""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from ..tasks import (ISSUE_TYPE_NAMES, ISSUE_TYPES, SENTIMENT_NAMES, SENTIMENTS, SEVERITIES, SEVERITY_NAMES,
                     SPAM_TYPE_NAMES, SPAM_TYPES)

#: Our control name -> (Label Studio control tag, allowed values or None for free text).
CONTROLS: dict[str, tuple[str, Optional[list[str]]]] = {
    "is_spam": ("Choices", ["false", "true"]),
    "spam_type": ("Choices", list(SPAM_TYPES)),
    "issue_types": ("Choices", list(ISSUE_TYPES)),
    "sentiment": ("Choices", list(SENTIMENTS)),
    "severity": ("Choices", list(SEVERITIES)),
    "problem": ("TextArea", None),
}
#: Labels an annotation must carry to become a training record (spam_type too when is_spam).
REQUIRED = ("is_spam", "sentiment", "severity")
_DISPLAY = {"is_spam": {"false": "否", "true": "是"},
            "spam_type": SPAM_TYPE_NAMES, "issue_types": ISSUE_TYPE_NAMES,
            "sentiment": SENTIMENT_NAMES, "severity": SEVERITY_NAMES}
_HEADERS = {"is_spam": "1. 是否垃圾信息 is_spam", "spam_type": "垃圾类型 spam_type",
            "issue_types": "2. 问题类型 issue_types（可多选，最重要的先选；没有问题则不选）",
            "sentiment": "3. 情感 sentiment", "severity": "4. 紧急程度 severity",
            "problem": "5. 具体问题 problem（2–8 字，如 快递太慢；没有问题则留空）"}
_OBJECT_TAGS = ("Text", "HyperText")


class LabelConfigError(ValueError):
    """A labelling config that cannot be used (not XML, no text object, none of our controls)."""


# ----------------------------------------------------------------------------- label config
def label_config_xml(text_key: str = "text") -> str:
    """The labelling interface for the codebook's five labels, as Label Studio XML.

    Generated from :data:`CONTROLS` (the label lists of :mod:`feedback_nlp.tasks`), so a
    label added there appears here. ``spam_type`` is shown only when ``is_spam`` is true;
    is_spam, sentiment and severity are required.
    """
    root = ET.Element("View")
    ET.SubElement(root, "Header", value="反馈内容 feedback")
    ET.SubElement(root, "Text", name="text", value=f"${text_key}")
    for name, (tag, values) in CONTROLS.items():
        ET.SubElement(root, "Header", value=_HEADERS[name], size="6")
        attrs = {"name": name, "toName": "text"}
        if tag == "TextArea":
            attrs.update(maxSubmissions="1", editable="true", rows="1", placeholder="例如 快递太慢")
            ET.SubElement(root, tag, attrs)
            continue
        attrs.update(choice="multiple" if name == "issue_types" else "single-radio", showInline="true")
        if name in REQUIRED:
            attrs["required"] = "true"
        if name == "spam_type":
            attrs.update(visibleWhen="choice-selected", whenTagName="is_spam", whenChoiceValue="true")
        ctl = ET.SubElement(root, tag, attrs)
        for v in values:
            ET.SubElement(ctl, "Choice", value=v, html=f"{_DISPLAY[name][v]} {v}")
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode") + "\n"


@dataclass
class Control:
    """One control tag of a labelling config, as far as our labels are concerned."""

    name: str
    tag: str
    to_name: str
    values: Optional[list[str]] = None  # what results carry: alias if set, else value


@dataclass
class LabelConfig:
    """A labelling config and what predictions may use of it.

    ``controls`` are those of our :data:`CONTROLS` present with the right tag; ``missing``
    names the rest and ``missing_values`` the labels a present control lacks (predictions
    never use them). ``text_key`` is the ``data`` key the text object reads (``$text``).
    """

    xml: str
    text_key: str
    controls: dict[str, Control]
    missing: list[str] = field(default_factory=list)
    missing_values: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def default(cls) -> "LabelConfig":
        return cls.from_xml(label_config_xml())

    @classmethod
    def from_file(cls, path: str | Path) -> "LabelConfig":
        try:
            xml = Path(path).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise LabelConfigError(f"label config {path} is not UTF-8 text") from None
        return cls.from_xml(xml, source=str(path))

    @classmethod
    def from_xml(cls, xml: str, source: str = "label config") -> "LabelConfig":
        """Parse and check a config; raises :class:`LabelConfigError` when predictions cannot
        use it at all (not XML, none of our controls, no text object they point to)."""
        try:
            root = ET.fromstring(xml)
        except ET.ParseError as e:
            raise LabelConfigError(f"{source} is not well-formed XML: {e}") from None
        objects = {el.get("name"): el for el in root.iter() if el.tag in _OBJECT_TAGS and el.get("name")}
        controls: dict[str, Control] = {}
        problems: list[str] = []
        for el in root.iter():
            name = el.get("name")
            if name not in CONTROLS:
                continue
            tag, _ = CONTROLS[name]
            if el.tag != tag:
                problems.append(f"{name} is a <{el.tag}>, expected <{tag}>")
                continue
            values = None
            if tag == "Choices":
                values = [c.get("alias") or c.get("value") for c in el.iter("Choice") if c.get("value") is not None]
            controls[name] = Control(name, tag, el.get("toName", ""), values)
        if not controls:
            raise LabelConfigError(f"{source} has none of the controls predictions fill "
                                   f"({', '.join(CONTROLS)}); {'; '.join(problems) or 'rename yours to these'}")
        to_names = {c.to_name for c in controls.values()}
        bad = sorted(t for t in to_names if t not in objects or not (objects[t].get("value") or "").startswith("$"))
        if bad:
            raise LabelConfigError(f"{source}: the controls point to {', '.join(repr(b) for b in bad)}, which is "
                                   f"not a <Text> or <HyperText> tag with value=\"$field\"")
        if len(to_names) > 1:
            raise LabelConfigError(f"{source}: the controls point to several objects ({', '.join(sorted(to_names))}); "
                                   "they must all label the one feedback text")
        text_key = objects[to_names.pop()].get("value")[1:]
        missing = [n for n in CONTROLS if n not in controls]
        missing_values = {n: [v for v in CONTROLS[n][1] if v not in (c.values or [])]
                          for n, c in controls.items() if CONTROLS[n][1] is not None}
        return cls(xml, text_key, controls, missing, {n: v for n, v in missing_values.items() if v})

    def warnings(self) -> list[str]:
        """What predictions will leave out because this config lacks it (empty for ours)."""
        out = [f"the label config has no control {n!r} ({CONTROLS[n][0]}); its predictions are left out"
               for n in self.missing]
        out += [f"the label config's {n!r} lacks {', '.join(v)}; predictions of these are left out"
                for n, v in self.missing_values.items()]
        return out


def print_warnings(lines: Iterable[str], stream=None) -> None:
    for line in lines:
        print(f"warning: {line}", file=stream or sys.stderr)

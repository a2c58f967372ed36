"""The review loop with Label Studio: send the model's decisions to people, learn from their labels.

Three pieces, all plain JSON/XML (Label Studio itself is not needed to use them):

* :func:`label_config_xml` — the labelling interface for the codebook's five labels
  (is_spam + spam_type, issue_types, sentiment, severity, problem), generated from the
  label lists in :mod:`feedback_nlp.tasks`. Choice *values* are the codebook ids (what
  results and our import use); the Chinese names are only displayed (``html``).
* :class:`TaskExporter` — analysed records become Label Studio import tasks: ``data``
  holds the text, the id and the row's other input fields; ``predictions`` holds the
  model's decisions as pre-annotations, so reviewers correct instead of typing.
* :func:`import_annotations` — a Label Studio JSON export (tasks with ``annotations``)
  becomes training records in the annotations' format (``id, source, channel, text,
  is_spam, spam_type, issue_types, sentiment, severity, problem``), which
  ``feedback-nlp train`` reads. Every task that gives no record is reported.

Which annotation wins when a task has several: cancelled (skipped) annotations and
drafts never count; among the rest an annotation marked ``ground_truth`` wins, then the
most recently updated one (``updated_at``, else ``created_at``), then the highest id.
"""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from .tasks import (ISSUE_TYPE_NAMES, ISSUE_TYPES, SENTIMENT_NAMES, SENTIMENTS, SEVERITIES, SEVERITY_NAMES,
                    SPAM_TYPE_NAMES, SPAM_TYPES)

__all__ = ["CONTROLS", "LabelConfig", "LabelConfigError", "ExportSummary", "TaskExporter", "ImportSummary",
           "ImportResult", "ReviewImportError", "label_config_xml", "prediction_result", "head_confidences",
           "model_version",
           "import_annotations", "read_export", "MAX_LISTED"]

#: Task ids / rows listed per category in one-line summaries (all are in ``to_dict()``).
MAX_LISTED = 20
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


class ReviewImportError(ValueError):
    """A file that is not a Label Studio JSON export."""


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


# ----------------------------------------------------------------------------- export
def model_version(analyzer) -> str:
    """``name@version`` of the model card behind each task, joined by ``+`` when tasks use
    different models (``--task-model``)."""
    seen: list[str] = []
    for model in analyzer.task_models.values():
        card = getattr(model, "card", {}) or {}
        tag = f"{card.get('name', 'model')}@{card.get('version', '0')}"
        if tag not in seen:
            seen.append(tag)
    return "+".join(seen)


def _choices(name: str, values: Sequence[str], config: LabelConfig, score: Optional[float] = None) -> Optional[dict]:
    ctl = config.controls.get(name)
    if ctl is None:
        return None
    kept = [v for v in values if ctl.values is None or v in ctl.values]
    if not kept:
        return None
    item = {"from_name": name, "to_name": ctl.to_name, "type": "choices", "value": {"choices": kept}}
    if score is not None:
        item["score"] = round(score, 6)
    return item


#: Heads whose top probability is the confidence ``needs_review`` checks (FeedbackResult holds no probability for them).
CONFIDENCE_HEADS = ("sentiment", "severity")


def head_confidences(analyzer, texts: Sequence[str]) -> list[dict[str, dict[str, float]]]:
    """Per text, ``{task: {label: probability}}`` of the sentiment and severity heads (empty for a
    text that is empty after normalisation, which the analyzer gives the neutral result).

    A second pass of the same public ``predict_proba`` the analyzer runs; it exists because a
    :class:`~feedback_nlp.result.FeedbackResult` keeps no probability for these two heads.
    """
    from .text import normalize

    norms = [normalize(t) for t in texts]
    live = [i for i, n in enumerate(norms) if n]
    out: list[dict] = [{} for _ in texts]
    groups: dict[int, tuple[Any, list[str]]] = {}
    for task in CONFIDENCE_HEADS:
        model = analyzer.task_models[task]
        groups.setdefault(id(model), (model, []))[1].append(task)
    for model, tasks in groups.values():
        if not live:
            break
        probs = model.predict_proba([norms[i] for i in live])
        for task in tasks:
            labels = model.heads[task].labels
            for row, i in zip(probs[task], live):
                out[i][task] = {lab: float(p) for lab, p in zip(labels, row)}
    return out


def prediction_result(result, config: LabelConfig,
                      confidences: Optional[Mapping[str, Mapping[str, float]]] = None) -> tuple[list[dict], float]:
    """A :class:`~feedback_nlp.result.FeedbackResult` (or its dict) as Label Studio result
    items, and the prediction's ``score``.

    ``problem`` is not predicted (the analyzer does not name problems; reviewers type it).
    An empty issue list gives no ``issue_types`` item: that is how Label Studio stores
    "nothing selected". The score is the model's least confident decision (0 = unsure,
    1 = sure), so that sorting by prediction score in Label Studio shows the doubtful
    records first: ``max(p, 1 - p)`` of the spam score and of every issue-type score, and,
    given ``confidences`` (:func:`head_confidences`), the top probability of the sentiment
    and severity heads (what ``needs_review`` compares with its per-head thresholds, so the
    score ranks records but is not the needs_review rule). Items carry the probability of
    their choice where the model has one (for severity: the head's probability of the final
    label, which escalation rules may have raised above the head's own choice).
    """
    r = result if isinstance(result, Mapping) else result.to_dict()
    conf = confidences or {}
    spam_p = float(r["spam_score"])
    spam_conf = spam_p if r["is_spam"] else 1.0 - spam_p
    items = [_choices("is_spam", ["true" if r["is_spam"] else "false"], config, spam_conf)]
    if r["is_spam"] and r.get("spam_type"):
        items.append(_choices("spam_type", [r["spam_type"]], config))
    items.append(_choices("issue_types", list(r["issue_types"]), config))
    for task in CONFIDENCE_HEADS:
        items.append(_choices(task, [r[task]], config, conf.get(task, {}).get(r[task])))
    sure = [max(spam_p, 1.0 - spam_p)] + [max(float(p), 1.0 - float(p)) for p in (r.get("issue_scores") or {}).values()]
    sure += [max(conf[t].values()) for t in CONFIDENCE_HEADS if conf.get(t)]
    return [i for i in items if i is not None], round(min(sure), 6)


@dataclass
class ExportSummary:
    """What an export read, wrote and left out, for the command's summary line."""

    n_read: int = 0
    n_tasks: int = 0
    n_confident: int = 0  # analysed but left out by only_needs_review
    n_malformed: int = 0
    malformed_rows: list[int] = field(default_factory=list)
    stopped_at_limit: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    def message(self) -> str:
        msg = f"exported {self.n_tasks} tasks from {self.n_read} records"
        if self.n_confident:
            msg += f", {self.n_confident} not needing review left out"
        if self.n_malformed:
            msg += f", {self.n_malformed} malformed rows not exported (rows: {_listed(self.malformed_rows)})"
        if self.stopped_at_limit:
            msg += "; stopped at --limit"
        return msg


class TaskExporter:
    """Analyse input records and turn them into Label Studio import tasks, in input order.

    ``only_needs_review`` keeps the records the analyzer marks ``needs_review``; ``limit``
    stops after that many tasks. Malformed rows (``InputRecord.error``) give no task and
    are counted in :attr:`summary`, never raised.
    """

    def __init__(self, analyzer, config: Optional[LabelConfig] = None, *, only_needs_review: bool = False,
                 limit: Optional[int] = None, batch_size: int = 256, text_field: str = "text",
                 id_field: str = "id"):
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.analyzer, self.config = analyzer, config or LabelConfig.default()
        self.only_needs_review, self.limit, self.batch_size = only_needs_review, limit, batch_size
        self.input_fields = (text_field, id_field)  # already in data as the text key and "id"
        self.model_version = model_version(analyzer)
        self.summary = ExportSummary()

    def task(self, text: str, id: Any, fields: Mapping, result,
             confidences: Optional[Mapping[str, Mapping[str, float]]] = None) -> dict:
        """One import task: ``data`` (the id under ``id``, the text under the config's key, then
        the row's other fields, which never override those two) and one prediction."""
        data = {"id": id, self.config.text_key: text}
        for k, v in fields.items():
            data.setdefault(k, v)
        items, score = prediction_result(result, self.config, confidences)
        return {"data": data, "predictions": [{"model_version": self.model_version, "score": score,
                                               "result": items}]}

    def iter_tasks(self, records: Iterable) -> Iterator[dict]:
        """Tasks for ``records`` (:class:`~feedback_nlp.io.InputRecord`, as :func:`feedback_nlp.io.read_records`
        yields them), analysed in batches."""
        s = self.summary
        if self.limit == 0:
            s.stopped_at_limit = True
            return
        batch: list = []
        it = iter(records)
        while True:
            batch.clear()
            for rec in it:
                batch.append(rec)
                if len(batch) >= self.batch_size:
                    break
            if not batch:
                return
            good = [r for r in batch if r.error is None]
            texts = [r.text for r in good]
            results = iter(self.analyzer.analyze_batch(texts, ids=[r.id for r in good], batch_size=self.batch_size)
                           if good else [])
            confs = iter(head_confidences(self.analyzer, texts) if good else [])
            for rec in batch:
                s.n_read += 1
                if rec.error is not None:
                    s.n_malformed += 1
                    s.malformed_rows.append(rec.row)
                    continue
                res, conf = next(results), next(confs)
                if self.only_needs_review and not res.needs_review:
                    s.n_confident += 1
                    continue
                fields = {k: v for k, v in rec.fields.items() if k not in self.input_fields}
                yield self.task(rec.text, rec.id, fields, res, conf)
                s.n_tasks += 1
                if self.limit is not None and s.n_tasks >= self.limit:
                    s.stopped_at_limit = True
                    return

    def write(self, records: Iterable, path: str | Path) -> ExportSummary:
        """Write the tasks as one JSON array (one task per line), streaming."""
        with open(path, "w", encoding="utf-8") as f:
            f.write("[")
            for i, t in enumerate(self.iter_tasks(records)):
                f.write(("\n" if i == 0 else ",\n") + json.dumps(t, ensure_ascii=False))
            f.write("\n]\n")
        return self.summary


# ----------------------------------------------------------------------------- import
@dataclass
class ImportSummary:
    """Every task of an export accounted for: a record, or a reason with its task id."""

    n_tasks: int = 0
    n_records: int = 0
    skipped: list = field(default_factory=list)  # every annotation cancelled
    unannotated: list = field(default_factory=list)  # no annotation at all (drafts do not count)
    incomplete: dict = field(default_factory=dict)  # task id -> required labels missing
    invalid: dict = field(default_factory=dict)  # task id -> unknown label values / no text
    duplicate_ids: dict = field(default_factory=dict)  # task id -> record id already imported

    @property
    def n_reported(self) -> int:
        return (len(self.skipped) + len(self.unannotated) + len(self.incomplete) + len(self.invalid)
                + len(self.duplicate_ids))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["n_reported"] = self.n_reported
        for k in ("incomplete", "invalid", "duplicate_ids"):  # JSON object keys are strings
            d[k] = {str(t): v for t, v in d[k].items()}
        return d

    def message(self) -> str:
        """One line per category, for stderr."""
        lines = [f"imported {self.n_records} records from {self.n_tasks} tasks; {self.n_reported} tasks gave no "
                 "record" + (":" if self.n_reported else "")]
        if self.skipped:
            lines.append(f"  {len(self.skipped)} skipped (every annotation cancelled): tasks {_listed(self.skipped)}")
        if self.unannotated:
            lines.append(f"  {len(self.unannotated)} without annotation: tasks {_listed(self.unannotated)}")
        if self.incomplete:
            lines.append(f"  {len(self.incomplete)} missing required labels: "
                         + _listed([f"{t} ({', '.join(v)})" for t, v in self.incomplete.items()]))
        if self.invalid:
            lines.append(f"  {len(self.invalid)} with invalid labels: "
                         + _listed([f"{t} ({'; '.join(v)})" for t, v in self.invalid.items()]))
        if self.duplicate_ids:
            lines.append(f"  {len(self.duplicate_ids)} repeating an id already imported: "
                         + _listed([f"{t} (id {v})" for t, v in self.duplicate_ids.items()]))
        return "\n".join(lines)


@dataclass
class ImportResult:
    records: list[dict]
    summary: ImportSummary


def _listed(items: Sequence) -> str:
    shown = ", ".join(map(str, items[:MAX_LISTED]))
    return shown + (f", ... ({len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else "")


def read_export(path: str | Path) -> list[dict]:
    """The tasks of a Label Studio JSON export file (``JSON``, not ``JSON_MIN`` or CSV)."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            tasks = json.load(f)
    except json.JSONDecodeError as e:
        raise ReviewImportError(f"{path} is not JSON ({e}); export the project as 'JSON'") from None
    except UnicodeDecodeError:
        raise ReviewImportError(f"{path} is not UTF-8 text; export the project as 'JSON'") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise ReviewImportError(f"{path} is not a Label Studio JSON export (a list of task objects)")
    if tasks and all("data" not in t for t in tasks):
        raise ReviewImportError(f"{path} has no 'data' in its tasks: it looks like a JSON_MIN or other export; "
                                "export the project as 'JSON' (tasks with annotations)")
    return tasks


def _when(a: Mapping) -> tuple:
    for key in ("updated_at", "created_at"):
        v = a.get(key)
        if isinstance(v, str) and v:
            try:
                return (datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp(),)
            except ValueError:
                pass
    return (float("-inf"),)


def _winner(annotations: Sequence[Mapping]) -> Optional[Mapping]:
    """The annotation that counts (see the module docstring), or None when all were cancelled."""
    live = [a for a in annotations if isinstance(a, Mapping) and not a.get("was_cancelled")]
    if not live:
        return None
    return max(live, key=lambda a: (bool(a.get("ground_truth")), _when(a),
                                    a.get("id") if isinstance(a.get("id"), (int, float)) else -1))


def _labels_of(result: Sequence) -> dict[str, Any]:
    """from_name -> the value a result item carries (choices list, or text)."""
    out: dict[str, Any] = {}
    for item in result or []:
        if not isinstance(item, Mapping):
            continue
        name, value = item.get("from_name"), item.get("value") or {}
        if name not in CONTROLS or not isinstance(value, Mapping):
            continue
        if "choices" in value:
            out[name] = [str(v) for v in (value.get("choices") or [])]
        elif "text" in value:
            t = value.get("text")
            out[name] = " ".join(t) if isinstance(t, list) else str(t or "")
    return out


def record_from_annotation(task: Mapping, annotation: Mapping, text_key: str = "text") -> tuple[Optional[dict], list[str], list[str]]:
    """``(record, missing labels, invalid labels)`` for one task's winning annotation."""
    data = task.get("data") or {}
    got = _labels_of(annotation.get("result"))
    missing, invalid = [], []
    text = data.get(text_key)
    if not isinstance(text, str) or not text.strip():
        invalid.append(f"no text in data[{text_key!r}]")

    def one(name: str) -> Optional[str]:
        v = got.get(name)
        if not v:
            missing.append(name)
            return None
        if len(v) != 1:
            invalid.append(f"{name} has {len(v)} values")
            return None
        if v[0] not in CONTROLS[name][1]:
            invalid.append(f"{name}={v[0]}")
            return None
        return v[0]

    is_spam = one("is_spam")
    spam_type = one("spam_type") if is_spam == "true" else None
    issues = got.get("issue_types") or []
    bad = [v for v in issues if v not in ISSUE_TYPES]
    if bad:
        invalid.append(f"issue_types={','.join(bad)}")
    sentiment, severity = one("sentiment"), one("severity")
    if missing or invalid:
        return None, missing, invalid
    rid = data.get("id")
    record = {"id": rid if rid not in (None, "") else f"ls-{task.get('id')}",
              "source": data.get("source") or "label_studio", "channel": data.get("channel"),
              "text": text, "is_spam": is_spam == "true", "spam_type": spam_type,
              "issue_types": list(dict.fromkeys(issues)), "sentiment": sentiment, "severity": severity,
              "problem": (got.get("problem") or "").strip()}
    return record, [], []


def import_annotations(tasks: Iterable[Mapping], text_key: str = "text") -> ImportResult:
    """Training records from exported tasks, in export order, with every left-out task reported.

    Missing ``issue_types`` means "no issue" (Label Studio stores nothing when no choice is
    selected); missing ``problem`` means "". Required: is_spam, sentiment, severity, and
    spam_type when is_spam is true. A spam_type given for a non-spam record is dropped.
    """
    s = ImportSummary()
    records: list[dict] = []
    seen: set = set()
    for i, task in enumerate(tasks, 1):
        s.n_tasks += 1
        tid = task.get("id", f"#{i}")
        annotations = task.get("annotations") or []
        if not annotations:
            s.unannotated.append(tid)
            continue
        ann = _winner(annotations)
        if ann is None:
            s.skipped.append(tid)
            continue
        rec, missing, invalid = record_from_annotation(task, ann, text_key)
        if missing:
            s.incomplete[tid] = missing
        if invalid:
            s.invalid[tid] = invalid
        if rec is None:
            continue
        key = str(rec["id"])
        if key in seen:
            s.duplicate_ids[tid] = rec["id"]
            continue
        seen.add(key)
        records.append(rec)
    s.n_records = len(records)
    return ImportResult(records, s)


def write_records(records: Iterable[Mapping], path: str | Path) -> None:
    """Training records as JSON Lines (the annotations' format)."""
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def print_warnings(lines: Iterable[str], stream=None) -> None:
    for line in lines:
        print(f"warning: {line}", file=stream or sys.stderr)

"""A Label Studio JSON export becomes training records; every task that gives none is reported."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from ..io import replace_lone_surrogates
from ..tasks import ISSUE_TYPES
from .config import CONTROLS
from .listing import listed


class ReviewImportError(ValueError):
    """A file that is not a Label Studio JSON export."""


@dataclass
class ImportSummary:
    """Every task of an export accounted for: a record, or a reason with its task id."""

    n_tasks: int = 0
    n_records: int = 0
    skipped: list = field(default_factory=list)  # every annotation cancelled
    unannotated: list = field(default_factory=list)  # no annotation at all (drafts do not count)
    incomplete: dict = field(default_factory=dict)  # task id -> required labels missing
    invalid: dict = field(default_factory=dict)  # task id -> unknown label values / no text / malformed task
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
            lines.append(f"  {len(self.skipped)} skipped (every annotation cancelled): tasks {listed(self.skipped)}")
        if self.unannotated:
            lines.append(f"  {len(self.unannotated)} without annotation: tasks {listed(self.unannotated)}")
        if self.incomplete:
            lines.append(f"  {len(self.incomplete)} missing required labels: "
                         + listed([f"{t} ({', '.join(v)})" for t, v in self.incomplete.items()]))
        if self.invalid:
            lines.append(f"  {len(self.invalid)} with invalid labels: "
                         + listed([f"{t} ({'; '.join(v)})" for t, v in self.invalid.items()]))
        if self.duplicate_ids:
            lines.append(f"  {len(self.duplicate_ids)} repeating an id already imported: "
                         + listed([f"{t} (id {v})" for t, v in self.duplicate_ids.items()]))
        return "\n".join(lines)


@dataclass
class ImportResult:
    records: list[dict]
    summary: ImportSummary


def read_export(path: str | Path) -> list[dict]:
    """The tasks of a Label Studio JSON export file (``JSON``, not ``JSON_MIN`` or CSV)."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            tasks = json.load(f)
    except json.JSONDecodeError as e:
        raise ReviewImportError(f"{path} is not JSON ({e}); export the project as 'JSON'") from None
    except UnicodeDecodeError:
        raise ReviewImportError(f"{path} is not UTF-8 text; export the project as 'JSON'") from None
    return checked_export(tasks, str(path))


def checked_export(tasks: Any, source: str) -> list[dict]:
    """``tasks`` (parsed JSON from ``source``, a file or a server) checked to be a ``JSON`` export.

    A lone surrogate escape in the JSON (``"\\ud800"``, half an emoji) becomes U+FFFD, so that the
    records and the summary can be written as UTF-8.
    """
    tasks = replace_lone_surrogates(tasks)
    if isinstance(tasks, dict) and "data" not in tasks:  # {"tasks": [...]}: a wrapper, not one task
        keys = ", ".join(map(str, list(tasks)[:10])) or "none"
        raise ReviewImportError(f"{source} is a JSON object (keys: {keys}), not a Label Studio JSON export (a list "
                                "of task objects); export the project as 'JSON'")
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise ReviewImportError(f"{source} is not a Label Studio JSON export (a list of task objects)")
    if tasks and all("data" not in t for t in tasks):
        raise ReviewImportError(f"{source} has no 'data' in its tasks: it looks like a JSON_MIN or other export; "
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
    for item in result if isinstance(result, list) else []:
        if not isinstance(item, Mapping):
            continue
        name, value = item.get("from_name"), item.get("value") or {}
        if name not in CONTROLS or not isinstance(value, Mapping):
            continue
        if "choices" in value:
            choices = value.get("choices") or []
            # a single choice given as a string (not Label Studio's list) is that one choice, not its letters
            out[name] = [str(v) for v in choices] if isinstance(choices, list) else [str(choices)]
        elif "text" in value:
            t = value.get("text")
            out[name] = " ".join(t) if isinstance(t, list) else str(t or "")
    return out


def record_from_annotation(task: Mapping, annotation: Mapping, text_key: str = "text") -> tuple[Optional[dict], list[str], list[str]]:
    """``(record, missing labels, invalid labels)`` for one task's winning annotation."""
    data = task.get("data") or {}
    got = _labels_of(annotation.get("result"))
    missing, invalid = [], []
    if not isinstance(annotation.get("result"), (list, type(None))):
        invalid.append(f"annotation result is not a list (got {type(annotation.get('result')).__name__})")
        return None, missing, invalid
    if not isinstance(data, Mapping):  # hand-edited or foreign export: no text to read
        invalid.append(f"data is not an object (got {type(data).__name__})")
        return None, missing, invalid
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
        if not isinstance(tid, (str, int, float)):  # a summary key: a list or object id is named by position
            tid = f"#{i}"
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            s.invalid[tid] = [f"annotations is not a list (got {type(annotations).__name__})"]
            continue
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


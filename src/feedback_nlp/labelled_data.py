"""Labelled data for training and evaluation: the shared corpora and users' own files.

Users' files are validated before any training starts, and every problem is
reported at once (unknown or empty labels, classes with too few examples,
duplicate ids, texts that are empty after normalisation, malformed rows).
"""
from __future__ import annotations

import csv
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from .io import InputFormatError, bad_bytes_error, csv_records, detect_format, open_text
from .text import normalize

CORPORA = {
    "shopping": "online_shopping_10_cats",
    "food_delivery": "waimai_10k",
    "hotel": "chnsenticorp_htl_all",
}


class TrainingDataError(ValueError):
    """Training data that cannot be used; the message lists every problem found."""


class MissingLabelField(TrainingDataError):
    """No record of the file has the label field at all (``evaluate`` without ``--task`` skips that task)."""


@dataclass
class LabelledData:
    """Texts with labels: ``labels[i]`` is a label (single-label) or a list (multi-label)."""

    texts: list[str]
    labels: list
    ids: list = field(default_factory=list)
    multilabel: bool = False
    #: The text encoding the file was read with.
    encoding: str = "utf-8"

    def __len__(self) -> int:
        return len(self.texts)


def check_labelled(task: str, data: LabelledData, labels: Optional[Sequence[str]] = None, training: bool = True,
                   norms: Optional[Sequence[str]] = None) -> None:
    """ValueError listing what is wrong with a task's labelled set before a model sees it (as
    :func:`read_labelled_file` does for files): texts and labels of different lengths, texts that are not strings
    or are empty after normalisation (``norms``, when the caller has them), multi-label rows that are not lists,
    labels not in ``labels``, and, for training a single-label head, fewer than two classes. (They had failed deep
    inside scikit-learn or as a KeyError.)"""
    def rows(idx):
        return ", ".join(map(str, idx[:20])) + (f" … (+{len(idx) - 20} more)" if len(idx) > 20 else "")

    problems = []
    if len(data.texts) != len(data.labels):
        problems.append(f"{len(data.texts)} texts but {len(data.labels)} labels")
    else:
        not_str = [i for i, t in enumerate(data.texts) if not isinstance(t, str)]
        if not_str:
            problems.append(f"texts that are not strings at index {rows(not_str)}")
        elif norms is not None:
            empty = [i for i, n in enumerate(norms) if not n]
            if empty:
                problems.append(f"texts empty after normalisation at index {rows(empty)}")
        if data.multilabel:
            not_list = [i for i, y in enumerate(data.labels) if not isinstance(y, (list, tuple))]
            if not_list:
                problems.append(f"multi-label rows that are not lists at index {rows(not_list)}")
            found = Counter(lab for y in data.labels if isinstance(y, (list, tuple)) for lab in y)
        else:
            found = Counter(data.labels)
        if labels is not None:
            unknown = sorted(map(str, set(found) - set(labels)))
            if unknown:
                problems.append(f"labels not in {list(labels)}: {', '.join(unknown)}")
        if training and not data.multilabel and len(found) < 2:
            problems.append(f"a single-label head needs at least two classes (found: {', '.join(map(str, found))})")
    if problems:
        raise ValueError(f"{task}: cannot {'train' if training else 'evaluate'} on this set:\n  - "
                         + "\n  - ".join(problems))


def shared_data_dir(path: str | os.PathLike | None = None) -> Path:
    """The shared data folder: ``path``, else ``$FEEDBACK_NLP_DATA``, else ``../shared/data``
    next to the repository."""
    if path is not None:
        return Path(path)
    env = os.environ.get("FEEDBACK_NLP_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _read_csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def load_corpus(name: str, split: Optional[str] = None, data_dir=None) -> list[dict]:
    """Rows ``{id, text, label (0/1), split, cat}`` of a binary-sentiment corpus."""
    d = shared_data_dir(data_dir)
    fname = CORPORA.get(name, name)
    splits = {r["id"]: r["split"] for r in _read_csv_rows(d / "splits" / f"{fname}.csv")}
    out = []
    for r in _read_csv_rows(d / "corpora" / f"{fname}.csv"):
        s = splits.get(r["id"])
        if split is None or s == split:
            out.append({"id": r["id"], "text": r["review"], "label": int(r["label"]), "split": s,
                        "cat": r.get("cat")})
    return out


def load_cold(split: str, data_dir=None) -> list[dict]:
    """COLD offensive-language rows ``{id, text, label (1 = offensive), topic}``."""
    d = shared_data_dir(data_dir)
    rows = _read_csv_rows(d / "corpora" / "cold" / f"{split}.csv")
    return [{"id": f"cold-{split}-{i}", "text": r["TEXT"], "label": int(r["label"]), "topic": r.get("topic")}
            for i, r in enumerate(rows)]


def load_annotations(split: str, data_dir=None) -> list[dict]:
    """Codebook-labelled records of one split."""
    d = shared_data_dir(data_dir)
    with open(d / "annotations" / f"{split}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# --- users' own files ------------------------------------------------------------------
def _split_labels(value, multilabel: bool) -> list[str] | str | None:
    """Labels from a cell: a JSON list, or ``a;b`` in CSV; None when missing."""
    if value is None:
        return None
    if isinstance(value, list):
        labels = [str(v).strip() for v in value]
    elif isinstance(value, bool):
        labels = [str(value).lower()]
    else:
        s = str(value).strip()
        if s.startswith("[") and s.endswith("]"):
            try:
                labels = [str(v).strip() for v in json.loads(s)]
            except json.JSONDecodeError:
                labels = [s]
        elif multilabel or ";" in s:  # in a single-label cell, "a;b" is several labels: refused by the caller
            labels = [p.strip() for p in s.split(";")] if s else []
        else:
            labels = [s]
    return labels if multilabel else (labels[0] if len(labels) == 1 else labels)


def read_labelled_file(path: str | os.PathLike, *, text_field: str = "text", label_field: str = "label",
                       id_field: str = "id", multilabel: bool = False, labels: Optional[Sequence[str]] = None,
                       min_examples: int = 2, null_label: Optional[str] = None,
                       encoding: str = "auto", purpose: str = "train") -> LabelledData:
    """Read and validate a CSV or JSONL training file (or, with ``purpose="evaluate"``, a test file).

    Parameters
    ----------
    multilabel : bool
        Each record may carry several labels (``a;b`` in CSV, a JSON list in
        JSONL); an empty list is allowed and means "none".
    labels : sequence of str, optional
        The allowed label set; a label outside it is an error. Default: the
        labels found in the file.
    min_examples : int
        Every label must occur at least this often.
    null_label : str, optional
        Label for records whose label is null/empty (e.g. ``not_spam`` for a
        ``spam_type`` column); by default such records are errors.
    purpose : "train", "evaluate" or "dev"
        ``"evaluate"``: a file to score a model on, so a label may be rare or absent (``min_examples``
        and "at least two classes" are not checked) and ``labels`` are the model's. ``"dev"``: the same for the
        dev file of a training run, ``labels`` those of its training file.
    encoding : str
        ``"auto"`` (UTF-8 with or without BOM, else detected, e.g. GB18030 or Big5;
        see :func:`feedback_nlp.io.read_records`) or a codec name. A row with bytes
        that are not valid in it is a problem like any other, and so is a CSV/TSV row with
        more or fewer cells than the header (``score`` refuses those rows too).

    Raises
    ------
    TrainingDataError
        listing every problem (up to 20 examples each) before any training starts;
        :class:`MissingLabelField` when no record has ``label_field``.
    """
    if purpose not in ("train", "evaluate", "dev"):
        raise ValueError(f"purpose must be 'train', 'evaluate' or 'dev', got {purpose!r}")
    evaluating = purpose != "train"
    path = Path(path)
    problems: list[str] = []
    raw: list[tuple[int, object, object, object]] = []  # (row, id, text, label)
    if path.is_dir():
        raise TrainingDataError(f"{path} is a directory, not a training file")
    if not path.is_file():
        raise TrainingDataError(f"training file not found: {path}")
    try:
        fmt = detect_format(str(path))  # by extension, .gz stripped, as score reads inputs
    except InputFormatError:
        raise TrainingDataError(f"{path}: training files must be .csv, .tsv or .jsonl (optionally .gz)") from None
    try:
        f = open_text(str(path), encoding, newline="\n" if fmt == "jsonl" else "")
    except InputFormatError as e:
        raise TrainingDataError(str(e)) from None
    enc = f.encoding
    with f:
        if fmt == "jsonl":
            for i, line in enumerate(f, 1):
                bad = bad_bytes_error(line, enc)
                try:
                    obj = json.loads(line) if bad is None else None
                except (ValueError, RecursionError):
                    obj = None
                if obj is None:
                    if line.strip():
                        problems.append(f"row {i}: {bad or 'not valid JSON'}")
                    continue
                if not isinstance(obj, dict):
                    problems.append(f"row {i}: not a JSON object")
                    continue
                raw.append((i, obj.get(id_field), obj.get(text_field, None) if text_field in obj else KeyError,
                            obj.get(label_field, KeyError)))
        else:
            # As csv.DictReader reads it (blank rows skipped, missing cells None), but a stray quote
            # is one bad row instead of swallowing the rows after it (feedback_nlp.io.csv_records).
            tsv = fmt == "tsv"  # TSV has no quoting, as feedback_nlp.io reads it for score
            quoting = csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL
            records = csv_records(f, delimiter="\t" if tsv else ",", quoting=quoting)
            fieldnames = next((values for values, _, _ in records if values != []), None)
            for col in (text_field, label_field):
                if fieldnames is None or col not in fieldnames:
                    error = MissingLabelField if col == label_field and fieldnames is not None else TrainingDataError
                    raise error(f"{path}: no column {col!r} (columns: {fieldnames})")
            for i, (values, err, _) in enumerate(records, 1):  # numbered as score numbers them
                if values == []:  # a blank row is skipped, as csv.DictReader skips it (score calls it malformed)
                    continue
                r = {} if values is None else dict(zip(fieldnames, values))
                bad = err or next(filter(None, (bad_bytes_error(v, enc) for v in r.values())), None)
                if bad is None and len(values) != len(fieldnames):  # as feedback_nlp.io reports it for score
                    bad = f"expected {len(fieldnames)} columns, got {len(values)}"
                if bad is not None:
                    problems.append(f"row {i}: {bad}")
                    continue
                raw.append((i, r.get(id_field), r.get(text_field), r.get(label_field)))

    if raw and all(label is KeyError for _, _, _, label in raw):
        raise MissingLabelField(f"{path}: no record has the field {label_field!r}")
    issues: dict[str, list[str]] = {}

    def note(kind: str, where: str):
        issues.setdefault(kind, []).append(where)

    texts, ys, ids = [], [], []
    seen_ids: Counter = Counter()
    for row, rid, text, label in raw:
        if text is KeyError or text is None:
            note(f"missing field {text_field!r}", f"row {row}")
            continue
        if not isinstance(text, str):
            note("text is not a string", f"row {row}")
            continue
        if not normalize(text):
            note("text empty after normalisation", f"row {row}")
            continue
        if label is KeyError:
            note(f"missing field {label_field!r}", f"row {row}")
            continue
        if null_label is not None and (label is None or label == ""):
            label = [null_label] if multilabel else null_label
        y = _split_labels(label, multilabel)
        if multilabel:
            if y is None:  # a JSON null: "none" is an empty list, [] or an empty CSV cell
                note("null label (write [] for no label)", f"row {row}")
                continue
            if any(lab == "" for lab in y):
                note("empty label", f"row {row}")
                continue
        elif y is None or y == "" or isinstance(y, list):
            note("empty label" if not y else "several labels in a single-label task (add --multilabel)",
                 f"row {row}")
            continue
        if rid not in (None, ""):
            seen_ids[str(rid)] += 1
        texts.append(text)
        ys.append(y)
        ids.append(rid if rid not in (None, "") else row)
    dups = [i for i, c in seen_ids.items() if c > 1]
    if dups:
        issues["duplicate ids"] = dups
    found = Counter(lab for y in ys for lab in (y if multilabel else [y]))
    if labels is not None:
        unknown = sorted(set(found) - set(labels))
        if unknown:
            whose = {"train": "not in --labels", "evaluate": "not labels of the model",
                     "dev": "not in the training file"}[purpose]
            issues[f"unknown labels ({whose})"] = unknown
    by_key: dict[str, list[str]] = {}
    for lab in found:
        by_key.setdefault(" ".join(str(lab).split()).casefold(), []).append(str(lab))
    variants = [" / ".join(sorted(v)) for v in by_key.values() if len(v) > 1]
    if variants:  # "Goods" and "goods" would be two classes
        issues["labels that differ only in case or spacing"] = variants
    label_set = list(labels) if labels is not None else sorted(found)
    rare = [f"{lab} ({found.get(lab, 0)})" for lab in label_set if found.get(lab, 0) < min_examples]
    if rare and not evaluating:
        issues[f"labels with fewer than {min_examples} examples"] = rare
    if not evaluating and not multilabel and len([lab for lab in label_set if found.get(lab)]) < 2:
        issues["need at least two classes"] = [", ".join(label_set) or "(none)"]
    for kind, where in issues.items():
        shown = ", ".join(map(str, where[:20])) + (f" … (+{len(where) - 20} more)" if len(where) > 20 else "")
        problems.append(f"{kind}: {shown}")
    if problems:
        doing = {"train": "train on this file", "evaluate": "evaluate on this file", "dev": "use this file as dev data"}
        raise TrainingDataError(f"{path}: cannot {doing[purpose]}:\n  - " + "\n  - ".join(problems))
    return LabelledData(texts, ys, ids, multilabel, encoding="utf-8" if enc == "utf-8-sig" else enc)

"""Input records and what becomes of them: one output record per input row, in order (a scored record, or an
error record for a malformed row), and the format a path holds. See :mod:`feedback_nlp.io`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from ..result import FIELDS


#: Name of the column / key that holds the reason a row could not be scored.
ERROR_FIELD = "error"
#: Name of the input field that says where a record came from (its channel's operating points).
CHANNEL_FIELD = "channel"
#: Column order of ``feedback-nlp score`` output: every result field, then ``error``.
SCORE_FIELDNAMES = (*FIELDS, ERROR_FIELD)

_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv"}


class InputFormatError(ValueError):
    """The input as a whole cannot be read (unknown format, missing column...)."""


@dataclass
class InputRecord:
    """One data row of an input file.

    ``row`` is the 1-based row number among data rows (JSONL: the line number;
    CSV/TSV: the record number after the header). ``text`` is None exactly when
    ``error`` is set. ``fields`` are the parsed fields of the row (empty when the
    row could not be parsed).
    """

    row: int
    id: Any
    text: Optional[str]
    error: Optional[str] = None
    fields: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


#: Malformed row numbers kept for a summary (``error_rows``).
MAX_LISTED_ROWS = 20


class ReadTally:
    """What a command that reads whole files reports: fields seen, malformed rows.

    ``add(rec)`` for each record; then ``n_errors``, ``error_rows`` (the first
    :data:`MAX_LISTED_ROWS`) and :meth:`require_field`, which refuses a field no
    readable record has (e.g. ``--time-field nope``) before any analysis runs.
    """

    def __init__(self):
        self.n_records = self.n_errors = 0
        self.error_rows: list[int] = []
        self._fields: dict[str, None] = {}

    def add(self, rec: "InputRecord") -> None:
        self.n_records += 1
        if rec.error is None:
            if len(self._fields) < 1000:
                self._fields.update(dict.fromkeys(map(str, rec.fields)))
        else:
            self.n_errors += 1
            if len(self.error_rows) < MAX_LISTED_ROWS:
                self.error_rows.append(rec.row)

    def require_field(self, name: Optional[str], option: str = "--time-field") -> None:
        """InputFormatError when ``name`` is set, some record is readable and none has ``name``."""
        if name and self.n_records > self.n_errors and name not in self._fields:
            shown = ", ".join(list(self._fields)[:30])
            raise InputFormatError(f"{option} {name!r}: no record has this field (fields: {shown})")

    @staticmethod
    def unreadable_times(values: Sequence[Any], name: Optional[str], option: str = "--time-field") -> dict:
        """``{"count", "example"}`` of the values of the time field ``name`` given but not readable as a time
        (:func:`~feedback_nlp.trends.parse_time`: "yesterday"); such records are clustered but left out of the counts
        per period, so the commands say how many. InputFormatError when values are given and none reads as a time."""
        from ..trends import parse_time  # stdlib only

        given = [v for v in values if v is not None and v != ""] if name else []
        bad = [v for v in given if parse_time(v) is None]
        if given and len(bad) == len(given):
            raise InputFormatError(f"{option} {name!r}: no value reads as a time (e.g. {_short(repr(bad[0]), 60)}); "
                                   "give ISO 8601 (2026-12-08, 2026-12-08T09:30:00+08:00) or Unix seconds")
        return {"count": len(bad), "example": _short(repr(bad[0]), 60) if bad else None}


def error_record(rec: InputRecord, fieldnames: Sequence[str] = FIELDS) -> dict:
    """The output record standing in for a malformed input row.

    Shape: ``{"id": rec.id, "error": rec.error}`` followed by every other name
    in ``fieldnames`` (default :data:`~feedback_nlp.result.FIELDS`) set to None,
    so JSONL keys and CSV columns match those of scored records. Scored records
    are ``FeedbackResult.to_dict()`` and carry no ``error`` key (an empty
    ``error`` cell in CSV).
    """
    out = {"id": rec.id, ERROR_FIELD: rec.error}
    for name in fieldnames:
        out.setdefault(name, None)
    return out


def score_records(analyzer, records: Sequence[InputRecord], batch_size: int = 256, floods=None,
                  channel_field: str = CHANNEL_FIELD) -> list[dict]:
    """The output records for ``records``, one each, in order: ``FeedbackResult.to_dict()``
    for a readable record, :func:`error_record` for a malformed one.

    The one place that turns input records into output records: ``feedback-nlp
    score``, the HTTP service and the Spark adapter all call it (``score --workers``
    analyses in worker processes and calls :func:`output_records`, its second half).
    ``floods`` is an optional :class:`~feedback_nlp.floods.FloodMarker` fed with the
    readable texts. Each record's ``channel_field`` names its channel (the analyzer's
    ``channel_thresholds``).
    """
    texts, ids, channels = readable_inputs(records, channel_field)
    batch = analyzer.analyze_batch(texts, ids=ids, batch_size=batch_size, channels=channels) if texts else []
    return output_records(records, batch, getattr(analyzer, "output_fields", FIELDS), floods)


def readable_inputs(records: Sequence[InputRecord], channel_field: Optional[str] = CHANNEL_FIELD
                    ) -> tuple[list[str], list, list]:
    """``(texts, ids, channels)`` of the readable records (those without an error), in order;
    a record's channel is its ``channel_field`` value (None where it has none, or when
    ``channel_field`` is None)."""
    good = [r for r in records if r.error is None]
    return [r.text for r in good], [r.id for r in good], [record_channel(r, channel_field) for r in good]


def record_channel(record: InputRecord, channel_field: Optional[str] = CHANNEL_FIELD):
    """The record's channel: its ``channel_field`` value, None where it has none (or an empty one)."""
    value = record.fields.get(channel_field) if channel_field else None
    return None if value in (None, "") else value


def output_records(records: Sequence[InputRecord], results: Sequence[Any], fields: Sequence[str] = FIELDS,
                   floods=None) -> list[dict]:
    """:func:`score_records` once the readable records are analysed: ``results`` holds one
    ``FeedbackResult`` per readable record, in order; ``fields`` are the analyzer's
    ``output_fields`` (for the error records)."""
    if floods is not None and results:
        floods.mark([r.text for r in records if r.error is None], results)
    it = iter(results)
    return [next(it).to_dict() if r.error is None else error_record(r, fields) for r in records]


def detect_format(path: str, fmt: Optional[str] = None) -> str:
    """``"jsonl"``, ``"csv"`` or ``"tsv"`` from ``fmt`` or the file extension (``-`` is JSONL)."""
    if fmt is not None:
        f = fmt.lower().lstrip(".")
        f = {"json": "jsonl", "ndjson": "jsonl"}.get(f, f)
        if f not in ("jsonl", "csv", "tsv"):
            raise InputFormatError(f"unknown format {fmt!r}; use jsonl, csv or tsv")
        return f
    if path == "-":
        return "jsonl"
    if os.path.isdir(path):
        raise InputFormatError(f"{path} is a directory, not a file")
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    ext = os.path.splitext(name)[1]
    if ext not in _FORMATS:
        raise InputFormatError(f"cannot tell the format of {path!r} from its extension "
                               f"(use .jsonl, .ndjson, .json, .csv or .tsv, optionally .gz)")
    return _FORMATS[ext]


def _short(e: BaseException, limit: int = 200) -> str:
    msg = " ".join(str(e).split()) or type(e).__name__
    return msg if len(msg) <= limit else msg[:limit] + "…"

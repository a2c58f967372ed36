"""feedback_nlp.io.records: the formats paths hold, error records, the read tally."""
from __future__ import annotations

import pytest

from feedback_nlp.io import (SCORE_FIELDNAMES, InputFormatError, InputRecord, ReadTally, detect_format, error_record,
                             open_text, read_records)
from feedback_nlp.result import FIELDS


# ----------------------------------------------------------------------------- format detection
@pytest.mark.parametrize("name,fmt", [("a.jsonl", "jsonl"), ("a.ndjson", "jsonl"), ("a.JSON", "jsonl"),
                                      ("a.csv", "csv"), ("a.tsv", "tsv"), ("a.jsonl.gz", "jsonl"),
                                      ("a.csv.gz", "csv"), ("-", "jsonl")])
def test_detect_format_by_extension(name, fmt):
    assert detect_format(name) == fmt


def test_detect_format_override_and_unknown():
    assert detect_format("data.txt", "csv") == "csv"
    assert detect_format("-", "tsv") == "tsv"
    with pytest.raises(InputFormatError):
        detect_format("data.txt")
    with pytest.raises(InputFormatError):
        detect_format("data.jsonl", "xml")


# ----------------------------------------------------------------------------- error records
def test_error_record_shape():
    rec = InputRecord(row=3, id="x", text=None, error="empty line")
    out = error_record(rec)
    assert list(out)[:2] == ["id", "error"]
    assert out["id"] == "x" and out["error"] == "empty line"
    assert set(out) == set(FIELDS) | {"error"}
    assert all(out[k] is None for k in FIELDS if k != "id")
    assert set(error_record(rec, SCORE_FIELDNAMES)) == set(SCORE_FIELDNAMES)


def test_a_directory_is_named_as_such(tmp_path):
    d = tmp_path / "exports"  # no extension: used to say "cannot tell the format"
    d.mkdir()
    for fmt in (None, "csv"):
        with pytest.raises(InputFormatError, match="is a directory"):
            read_records(str(d), fmt=fmt)
    with pytest.raises(InputFormatError, match="is a directory"):
        open_text(str(d))
    (tmp_path / "x.jsonl").mkdir()
    with pytest.raises(InputFormatError, match="is a directory"):
        detect_format(str(tmp_path / "x.jsonl"))


def test_read_tally_summary_and_required_field():
    tally = ReadTally()
    for rec in [InputRecord(1, 1, "a", fields={"text": "a", "ts": "2026-01-01"}), InputRecord(2, 2, None, "empty line"),
                *(InputRecord(k, k, None, "bad") for k in range(3, 30))]:
        tally.add(rec)
    assert tally.n_records == 29 and tally.n_errors == 28 and tally.error_rows == list(range(2, 22))
    tally.require_field("ts")
    tally.require_field(None)
    with pytest.raises(InputFormatError, match=r"--time-field 'nope': no record has this field \(fields: text, ts\)"):
        tally.require_field("nope")


def test_read_tally_counts_time_values_that_are_not_times():
    # "yesterday" had been dropped from the trends without a word; a field of no times at all is refused
    values = ["2026-12-01", "yesterday", None, "", 1765000000, "2026-12-02T09:30:00+08:00", "tomorrow"]
    assert ReadTally.unreadable_times(values, "ts") == {"count": 2, "example": "'yesterday'"}
    assert ReadTally.unreadable_times(values, None) == {"count": 0, "example": None}
    assert ReadTally.unreadable_times([None, ""], "ts") == {"count": 0, "example": None}  # absent: nothing to read
    with pytest.raises(InputFormatError, match=r"--time-field 'id': no value reads as a time \(e.g. 'x1'\)"):
        ReadTally.unreadable_times(["x1", "x2"], "id")

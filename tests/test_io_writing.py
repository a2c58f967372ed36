"""feedback_nlp.io.writing: output files (JSONL, CSV, TSV, gzip, byte order mark, stdout)."""
from __future__ import annotations

import csv
import gzip
import io
import json
import sys

import pytest

from feedback_nlp.io import SCORE_FIELDNAMES, InputFormatError, open_writer, read_records
from io_helpers import write_bytes


# ----------------------------------------------------------------------------- writers
def test_jsonl_writer_roundtrip(tmp_path):
    p = str(tmp_path / "out.jsonl")
    rows = [{"id": 1, "text": "中文", "x": [1, 2]}, {"id": "b", "text": None, "x": {"k": True}}]
    with open_writer(p) as w:
        for r in rows:
            w.write(r)
    raw = (tmp_path / "out.jsonl").read_bytes()
    assert "中文".encode() in raw  # ensure_ascii=False
    assert [json.loads(line) for line in raw.decode().splitlines()] == rows


def test_jsonl_writer_lone_surrogate_stays_valid_utf8(tmp_path):
    p = tmp_path / "out.jsonl"
    with open_writer(str(p)) as w:
        w.write({"id": "\udc80x", "text": "好"})
    line = p.read_bytes().decode("utf-8")  # valid UTF-8
    assert json.loads(line) == {"id": "\udc80x", "text": "好"}


def test_csv_writer_cells(tmp_path):
    p = tmp_path / "out.csv"
    with open_writer(str(p), fieldnames=["id", "flag", "items", "route", "score", "none"]) as w:
        w.write({"id": 1, "flag": True, "items": ["物流", "售后"], "route": {"team": "客服", "sla_hours": 2},
                 "score": 0.5})
        w.write({"id": "b", "flag": False, "none": None})
    rows = list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8"))))
    assert rows[0] == {"id": "1", "flag": "true", "items": '["物流","售后"]',
                       "route": '{"team":"客服","sla_hours":2}', "score": "0.5", "none": ""}
    assert rows[1]["flag"] == "false" and rows[1]["items"] == ""


def test_csv_writer_default_fieldnames_and_extra_key(tmp_path):
    p = tmp_path / "out.csv"
    with open_writer(str(p)) as w:
        w.write({"a": 1, "b": 2})
        with pytest.raises(ValueError):
            w.write({"a": 1, "c": 3})
    assert p.read_text().splitlines()[0] == "a,b"


def test_csv_writer_header_without_records(tmp_path):
    p = tmp_path / "out.csv"
    with open_writer(str(p), fieldnames=SCORE_FIELDNAMES):
        pass
    assert p.read_text().strip() == ",".join(SCORE_FIELDNAMES)


def test_csv_roundtrip_through_reader(tmp_path):
    p = str(tmp_path / "rt.csv")
    texts = ['a,"b"', "多\n行", "", " 空格 "]
    with open_writer(p, fieldnames=["id", "text"]) as w:
        for i, t in enumerate(texts):
            w.write({"id": i, "text": t})
    assert [r.text for r in read_records(p)] == texts


def test_stdout_writer(monkeypatch):
    buf = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buf, encoding="utf-8"))
    with open_writer("-") as w:
        w.write({"id": 1, "text": "好"})
    assert buf.getvalue() == '{"id":1,"text":"好"}\n'.encode()  # compact, UTF-8, not ASCII-escaped
    assert not sys.stdout.closed


def test_gzip_writer(tmp_path):
    p = tmp_path / "out.jsonl.gz"
    with open_writer(str(p)) as w:
        w.write({"id": 1})
    assert gzip.decompress(p.read_bytes()) == b'{"id":1}\n'


def test_unknown_output_extension(tmp_path):
    with pytest.raises(InputFormatError):
        open_writer(str(tmp_path / "out.parquet"))


# ----------------------------------------------------------------------------- byte order mark
@pytest.mark.parametrize("name", ["out.csv", "out.tsv", "out.csv.gz"])
def test_bom_writer_roundtrips_through_reader(tmp_path, name):
    p = tmp_path / name
    rows = [{"id": "b", "text": '他说"好"'}, {"id": "a", "text": "x, y 二"}, {"id": "c", "text": "三"}]
    with open_writer(str(p), fieldnames=["id", "text"], bom=True) as w:
        w.write_many(rows)
    raw = gzip.decompress(p.read_bytes()) if name.endswith(".gz") else p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    with read_records(str(p)) as reader:
        recs = list(reader)
    assert reader.header == ["id", "text"]  # the BOM is not part of the first column name
    assert [r.id for r in recs] == ["b", "a", "c"] and [r.text for r in recs] == [r["text"] for r in rows]
    assert all(r.ok and list(r.fields) == ["id", "text"] for r in recs)


def test_tsv_writer_is_unquoted_like_the_reader(tmp_path):
    p = tmp_path / "out.tsv"
    with open_writer(str(p), fieldnames=["id", "text"]) as w:
        w.write({"id": "1", "text": '引号"和\t制表符\n换行'})
    assert p.read_text(encoding="utf-8") == 'id\ttext\n1\t引号"和 制表符 换行\n'
    with read_records(str(p)) as reader:
        assert [r.text for r in reader] == ['引号"和 制表符 换行']


def test_bom_writer_default_fieldnames_and_no_bom_by_default(tmp_path):
    p = tmp_path / "out.csv"
    with open_writer(str(p), bom=True) as w:
        w.write({"id": 1, "text": "好"})
    assert p.read_bytes() == b"\xef\xbb\xbfid,text\n1," + "好".encode() + b"\n"
    with open_writer(str(p)) as w:
        w.write({"id": 1, "text": "好"})
    assert not p.read_bytes().startswith(b"\xef\xbb\xbf")


def test_bom_refused_for_jsonl(tmp_path, monkeypatch):
    p = tmp_path / "out.jsonl"
    with pytest.raises(InputFormatError, match="CSV/TSV"):
        open_writer(str(p), bom=True)
    assert not p.exists()  # refused before the file is created
    with pytest.raises(InputFormatError, match="CSV/TSV"):
        open_writer(str(tmp_path / "out.csv"), fmt="jsonl", bom=True)
    buf = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buf, encoding="utf-8"))
    with pytest.raises(InputFormatError):
        open_writer("-", bom=True)
    with open_writer("-", fmt="csv", fieldnames=["id"], bom=True) as w:
        w.write({"id": 1})
    assert buf.getvalue() == b"\xef\xbb\xbfid\n1\n"


def test_csv_with_bom_and_quoted_first_header(tmp_path):
    p = write_bytes(tmp_path, "in.csv", b'\xef\xbb\xbf"id","text"\r\n7,hi\r\n')
    with read_records(p) as reader:
        recs = list(reader)
    assert reader.header == ["id", "text"] and [(r.id, r.text) for r in recs] == [("7", "hi")]

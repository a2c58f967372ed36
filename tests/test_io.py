"""feedback_nlp.io: streaming readers/writers; every malformed row becomes one error record in place."""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import sys

import pytest

from feedback_nlp.io import (DETECT_BYTES, SCORE_FIELDNAMES, UNCLOSED_QUOTE_ERROR, InputFormatError, InputRecord,
                             ReadTally, bad_bytes_error, detect_encoding, detect_format, error_record, legacy_hint,
                             open_text, open_writer, read_records)
from feedback_nlp.result import FIELDS


def write_bytes(tmp_path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def jl(*objs) -> bytes:
    return b"".join(json.dumps(o, ensure_ascii=False).encode("utf-8") + b"\n" for o in objs)


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


# ----------------------------------------------------------------------------- JSONL
def test_jsonl_good_rows_ids_and_fields(tmp_path):
    path = write_bytes(tmp_path, "in.jsonl", jl({"id": "a", "text": "快递太慢", "shop": 7},
                                                {"text": "质量很好"},
                                                {"id": None, "text": "一般"},
                                                {"id": 42, "text": ""}))
    recs = list(read_records(path))
    assert [r.row for r in recs] == [1, 2, 3, 4]
    assert [r.id for r in recs] == ["a", 2, 3, 42]  # missing / null id -> row number
    assert [r.text for r in recs] == ["快递太慢", "质量很好", "一般", ""]
    assert all(r.error is None and r.ok for r in recs)
    assert recs[0].fields == {"id": "a", "text": "快递太慢", "shop": 7}


def test_jsonl_custom_fields(tmp_path):
    path = write_bytes(tmp_path, "in.jsonl", jl({"review_id": "r1", "content": "不错"}, {"content": "差"}))
    recs = list(read_records(path, text_field="content", id_field="review_id"))
    assert [(r.id, r.text) for r in recs] == [("r1", "不错"), (2, "差")]


def test_jsonl_malformed_rows_are_error_records_in_place(tmp_path):
    data = (jl({"id": "ok1", "text": "好"})
            + b'{"text": "unterminated\n'           # 2 bad JSON
            + b"\n"                                 # 3 empty line
            + b"   \t \n"                           # 4 blank line
            + b'[1, 2]\n'                           # 5 not an object
            + b'"just a string"\n'                  # 6 not an object
            + jl({"id": "x", "title": "no text"})   # 7 missing text field
            + jl({"id": "n", "text": 12})           # 8 number text
            + jl({"text": None})                    # 9 null text
            + jl({"text": ["a"]})                   # 10 array text
            + b'{"text": "ok \xff\xfe bad"}\n'      # 11 invalid UTF-8
            + jl({"id": "ok2", "text": "差"}))      # 12
    path = write_bytes(tmp_path, "in.jsonl", data)
    recs = list(read_records(path))
    assert len(recs) == 12
    assert [r.row for r in recs] == list(range(1, 13))
    errors = {r.row: r.error for r in recs if r.error}
    assert set(errors) == set(range(2, 12))
    assert errors[2].startswith("invalid JSON")
    assert errors[3] == errors[4] == "empty line"
    assert errors[5] == "expected a JSON object, got array"
    assert errors[6] == "expected a JSON object, got string"
    assert errors[7] == "missing text field 'text'"
    assert errors[8] == "text field must be a string, got number"
    assert errors[9] == "text field must be a string, got null"
    assert errors[10] == "text field must be a string, got array"
    assert errors[11] == "invalid UTF-8 at byte 13"
    # ids: parsed object ids are kept even on error, otherwise the row number
    assert [r.id for r in recs] == ["ok1", 2, 3, 4, 5, 6, "x", "n", 9, 10, 11, "ok2"]
    for r in recs:
        assert (r.text is None) == (r.error is not None)
    assert recs[6].fields == {"id": "x", "title": "no text"}
    assert recs[1].fields == {}


def test_jsonl_bom_crlf_and_final_line_without_newline(tmp_path):
    data = b"\xef\xbb\xbf" + b'{"text": "\xe4\xb8\x80"}\r\n' + b'{"text": "two"}'
    recs = list(read_records(write_bytes(tmp_path, "in.jsonl", data)))
    assert [(r.row, r.text, r.error) for r in recs] == [(1, "一", None), (2, "two", None)]


def test_jsonl_trailing_newline_adds_no_row_but_inner_blank_lines_count(tmp_path):
    path = write_bytes(tmp_path, "in.jsonl", b'{"text":"a"}\n\n{"text":"b"}\n')
    recs = list(read_records(path))
    assert [(r.row, r.error) for r in recs] == [(1, None), (2, "empty line"), (3, None)]


def test_jsonl_unicode_line_separators_do_not_split_rows(tmp_path):
    # U+2028 / U+0085 are line breaks for str.splitlines, not for JSON Lines.
    path = write_bytes(tmp_path, "in.jsonl", jl({"text": "第一行\u2028第二行\x85第三"}, {"text": "b"}))
    recs = list(read_records(path))
    assert [r.text for r in recs] == ["第一行\u2028第二行\x85第三", "b"]


def test_jsonl_empty_file(tmp_path):
    assert list(read_records(write_bytes(tmp_path, "in.jsonl", b""))) == []


def test_json_array_file_is_refused_up_front(tmp_path):
    path = write_bytes(tmp_path, "in.json", b'[{"text": "a"}, {"text": "b"}]')
    with pytest.raises(InputFormatError, match="JSON array"):
        read_records(path)


def test_json_extension_reads_json_lines(tmp_path):
    path = write_bytes(tmp_path, "in.json", jl({"text": "a"}))
    assert [r.text for r in read_records(path)] == ["a"]


def test_gzip_input(tmp_path):
    p = tmp_path / "in.jsonl.gz"
    with gzip.open(p, "wb") as f:
        f.write(jl({"text": "压缩"}, {"text": "文件"}))
    assert [r.text for r in read_records(str(p))] == ["压缩", "文件"]


def test_missing_file_raises_at_call(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_records(str(tmp_path / "nope.jsonl"))


def test_directory_is_refused(tmp_path):
    d = tmp_path / "dir.jsonl"
    d.mkdir()
    with pytest.raises(InputFormatError):
        read_records(str(d))


def test_long_text_and_traditional_chinese(tmp_path):
    long = "很好" * 50_000
    path = write_bytes(tmp_path, "in.jsonl", jl({"text": long}, {"text": "質量很好，發貨很快"}))
    recs = list(read_records(path))
    assert len(recs[0].text) == 100_000
    assert recs[1].text == "質量很好，發貨很快"


# ----------------------------------------------------------------------------- stdin
def test_stdin_jsonl(monkeypatch):
    data = jl({"text": "一"}) + b"\xff\n" + jl({"text": "三"})
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    recs = list(read_records("-"))
    assert [(r.row, r.text, r.error) for r in recs] == [
        (1, "一", None), (2, None, "invalid UTF-8 at byte 0"), (3, "三", None)]
    assert not sys.stdin.closed  # stdin is borrowed, not closed


def test_stdin_text_only_stream(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"text": "你好"}\n{"text": "再见"}\n'))
    assert [r.text for r in read_records("-")] == ["你好", "再见"]


def test_stdin_csv_with_fmt(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("id,text\n1,好\n".encode()), encoding="utf-8"))
    recs = list(read_records("-", fmt="csv"))
    assert [(r.id, r.text) for r in recs] == [("1", "好")]
    assert not sys.stdin.closed


class _EndlessLines(io.RawIOBase):
    """An unbounded JSONL/CSV source that counts the bytes handed out."""

    def __init__(self, header: bytes = b""):
        self.pending = header
        self.n = 0
        self.served = 0

    def readable(self):
        return True

    def readinto(self, b):
        if not self.pending:
            self.n += 1
            self.pending = b'{"text": "row %d"}\n' % self.n
        k = min(len(b), len(self.pending))
        b[:k] = self.pending[:k]
        self.pending = self.pending[k:]
        self.served += k
        return k


class _FakeStdin:
    def __init__(self, raw):
        self.buffer = io.BufferedReader(raw)


@pytest.mark.parametrize("encoding, limit", [("utf-8", 64 * 1024), ("auto", DETECT_BYTES + 64 * 1024)])
def test_reader_is_lazy_on_an_endless_stream(monkeypatch, encoding, limit):
    raw = _EndlessLines()
    monkeypatch.setattr(sys, "stdin", _FakeStdin(raw))
    first = list(itertools.islice(read_records("-", encoding=encoding), 5))
    assert [r.text for r in first] == [f"row {i}" for i in range(1, 6)]
    # a buffer's worth (plus, for "auto", the detection prefix), not the stream
    assert raw.served < limit


def test_csv_reader_is_lazy_on_an_endless_stream(monkeypatch):
    class CsvLines(_EndlessLines):
        def readinto(self, b):
            if not self.pending:
                self.n += 1
                self.pending = b"%d,text %d\n" % (self.n, self.n)
            return super().readinto(b)

    raw = CsvLines(header=b"id,text\n")
    monkeypatch.setattr(sys, "stdin", _FakeStdin(raw))
    first = list(itertools.islice(read_records("-", fmt="csv"), 3))
    assert [(r.id, r.text) for r in first] == [("1", "text 1"), ("2", "text 2"), ("3", "text 3")]
    assert raw.served < DETECT_BYTES + 64 * 1024  # the detection prefix and a buffer, not the stream


def test_streams_20k_rows_in_order(tmp_path):
    n = 20_000
    p = tmp_path / "big.jsonl"
    with open(p, "wb") as f:
        for i in range(n):
            if i % 1000 == 999:
                f.write(b"{broken\n")
            else:
                f.write(b'{"id": %d, "text": "review %d"}\n' % (i, i))
    count = 0
    for i, rec in enumerate(read_records(str(p))):
        assert rec.row == i + 1
        if i % 1000 == 999:
            assert rec.error and rec.id == i + 1
        else:
            assert rec.id == i and rec.text == f"review {i}"
        count += 1
    assert count == n


# ----------------------------------------------------------------------------- CSV / TSV
def test_csv_quoted_fields_multiline_and_bom(tmp_path):
    data = ("\ufeffid,text,shop\n"
            '1,"含逗号, 和""引号""",A\n'
            '2,"第一行\n第二行",B\n'
            "3,普通,C\n").encode("utf-8")
    recs = list(read_records(write_bytes(tmp_path, "in.csv", data)))
    assert [(r.row, r.id, r.text) for r in recs] == [
        (1, "1", '含逗号, 和"引号"'), (2, "2", "第一行\n第二行"), (3, "3", "普通")]
    assert recs[0].fields == {"id": "1", "text": '含逗号, 和"引号"', "shop": "A"}


def test_csv_malformed_rows(tmp_path):
    data = (b"id,text\n"
            + "1,好\n".encode()
            + b"2,bad \xff\xfe bytes\n"            # invalid UTF-8: only this row
            + "3,好,extra\n".encode()              # too many columns
            + b"4\n"                                # too few columns
            + b"\n"                                 # empty row
            + '5,"多行\n'.encode() + b'\xc3(",x\n'  # invalid UTF-8 inside a quoted multi-line field (+ col count)
            + "6,最后\n".encode())
    recs = list(read_records(write_bytes(tmp_path, "in.csv", data)))
    assert len(recs) == 7
    assert [r.row for r in recs] == list(range(1, 8))
    assert recs[0].text == "好" and recs[0].error is None
    assert recs[1].error == "invalid UTF-8 at byte 6" and recs[1].id == 2
    assert recs[2].error == "expected 2 columns, got 3" and recs[2].id == 3
    assert recs[3].error == "expected 2 columns, got 1"
    assert recs[4].error == "empty row"
    assert recs[5].error.startswith("invalid UTF-8 at byte ")
    assert (recs[6].id, recs[6].text, recs[6].error) == ("6", "最后", None)


@pytest.mark.parametrize("rest", ['3,c\n4,d\n', '3,c\n4,"d"\n'])  # to the end of the file / to the next quote
def test_csv_stray_quote_costs_its_own_row_only(tmp_path, rest):
    # Lenient CSV would read rows 3 and 4 into row 2's text; they are read again as rows.
    data = ('id,text\n1,a\n2,"b\n' + rest + '5,"多行\n文本",\n').encode()
    recs = list(read_records(write_bytes(tmp_path, "in.csv", data)))
    assert [(r.row, r.id, r.text, r.error) for r in recs] == [
        (1, "1", "a", None), (2, 2, None, UNCLOSED_QUOTE_ERROR), (3, "3", "c", None), (4, "4", "d", None),
        (5, 5, None, "expected 2 columns, got 3")]  # a well-formed quoted field still spans lines
    at_end = list(read_records(write_bytes(tmp_path, "end.csv", 'id,text\n1,"a\n2,b\n'.encode())))
    assert [(r.id, r.text, r.error) for r in at_end] == [(1, None, UNCLOSED_QUOTE_ERROR), ("2", "b", None)]


def test_csv_many_stray_quotes_each_cost_one_row(tmp_path):
    n = 3000
    data = "id,text\n" + "".join(f'{i},"x\n' for i in range(1, n + 1))
    recs = list(read_records(write_bytes(tmp_path, "in.csv", data.encode())))
    assert [r.row for r in recs] == list(range(1, n + 1))
    assert all(r.error == UNCLOSED_QUOTE_ERROR for r in recs[:-1]) and recs[-1].error is None


def test_csv_header_with_a_stray_quote_is_refused(tmp_path):
    with pytest.raises(InputFormatError, match="cannot read the header: .*quote .*not closed"):
        read_records(write_bytes(tmp_path, "in.csv", 'id,"text\n1,a\n'.encode()))


def test_csv_missing_id_column_uses_row_number(tmp_path):
    recs = list(read_records(write_bytes(tmp_path, "in.csv", "text\n好\n差\n".encode())))
    assert [(r.id, r.text) for r in recs] == [(1, "好"), (2, "差")]


def test_csv_empty_id_cell_uses_row_number(tmp_path):
    recs = list(read_records(write_bytes(tmp_path, "in.csv", "id,text\n,好\nx,差\n".encode())))
    assert [r.id for r in recs] == [1, "x"]


def test_csv_missing_text_column_raises_at_call(tmp_path):
    path = write_bytes(tmp_path, "in.csv", "id,content\n1,好\n".encode())
    with pytest.raises(InputFormatError, match="no column 'text'"):
        read_records(path)
    assert [r.text for r in read_records(path, text_field="content")] == ["好"]


def test_csv_empty_file_has_no_records(tmp_path):
    assert list(read_records(write_bytes(tmp_path, "in.csv", b""))) == []


def test_csv_header_only(tmp_path):
    assert list(read_records(write_bytes(tmp_path, "in.csv", b"id,text\n"))) == []


def test_csv_long_field(tmp_path):
    long = "长" * 200_000  # beyond csv's default 128 KiB field limit
    p = tmp_path / "in.csv"
    with open(p, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        w.writerow(["1", long])
    recs = list(read_records(str(p)))
    assert recs[0].text == long and recs[0].error is None


def test_tsv_is_unquoted(tmp_path):
    data = 'id\ttext\n1\t"好评"哈哈\n2\t说"不错\n3\t只有一列\textra\n'.encode()
    recs = list(read_records(write_bytes(tmp_path, "in.tsv", data)))
    assert [r.text for r in recs[:2]] == ['"好评"哈哈', '说"不错']
    assert recs[2].error == "expected 2 columns, got 3"


# ----------------------------------------------------------------------------- error records
def test_error_record_shape():
    rec = InputRecord(row=3, id="x", text=None, error="empty line")
    out = error_record(rec)
    assert list(out)[:2] == ["id", "error"]
    assert out["id"] == "x" and out["error"] == "empty line"
    assert set(out) == set(FIELDS) | {"error"}
    assert all(out[k] is None for k in FIELDS if k != "id")
    assert set(error_record(rec, SCORE_FIELDNAMES)) == set(SCORE_FIELDNAMES)


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


# --------------------------------------------------------------------------- encodings
ROWS = [{"id": 1, "text": "快递十天都没到，客服也不回消息"}, {"id": 2, "text": "质量很好，下次还来"},
        {"id": 3, "text": "颜色和图片不一样，退货还要自己付运费"}, {"id": 4, "text": "吃了你们家的外卖全家食物中毒"}]
TRAD = ["快遞十天都沒到，客服也不回消息", "質量很好，下次還來", "顏色和圖片不一樣，退貨還要自己付運費", "吃了你們家的外賣全家食物中毒"]


def _csv_bytes(texts, enc):
    return ("id,text\n" + "".join(f"{i},{t}\n" for i, t in enumerate(texts, 1))).encode(enc)


def _texts(path, **kw):
    with read_records(str(path), **kw) as r:
        recs = list(r)
        return r.encoding, [x.text for x in recs], [x.error for x in recs]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("written, detected", [("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-8-sig", "utf-8"),
                                               ("utf-16", "utf-16"), ("utf-8", "utf-8")])
def test_encodings_are_detected(tmp_path, fmt, written, detected):
    texts = [r["text"] for r in ROWS]
    data = jl(*ROWS).decode("utf-8").encode(written) if fmt == "jsonl" else _csv_bytes(texts, written)
    path = write_bytes(tmp_path, f"in.{fmt}", data)
    assert _texts(path) == (detected, texts, [None] * 4)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_big5_is_detected(tmp_path, fmt):
    data = (jl(*({"id": i, "text": t} for i, t in enumerate(TRAD, 1))).decode("utf-8").encode("big5")
            if fmt == "jsonl" else _csv_bytes(TRAD, "big5"))
    path = write_bytes(tmp_path, f"in.{fmt}", data)
    enc, texts, errors = _texts(path)
    assert enc in ("cp950", "big5hkscs") and texts == TRAD and errors == [None] * 4


def test_gb18030_four_byte_characters_and_gzip(tmp_path):
    rows = [{"text": "𪸩煇好吃，€10 一份"}, *ROWS]  # 𪸩 and € are not in GBK: 4-byte GB18030
    p = tmp_path / "in.jsonl.gz"
    with gzip.open(p, "wb") as f:
        f.write(jl(*rows).decode("utf-8").encode("gb18030"))
    assert _texts(p) == ("gb18030", [r["text"] for r in rows], [None] * 5)


def test_explicit_encoding_and_bad_bytes_in_it(tmp_path):
    data = jl(*ROWS).decode("utf-8").encode("gbk")
    lines = data.split(b"\n")
    lines[1] = lines[1][:19] + b"\x81\x7f" + lines[1][19:]  # not a GBK sequence, before 质
    path = write_bytes(tmp_path, "in.jsonl", b"\n".join(lines))
    enc, texts, errors = _texts(path, encoding="GBK")
    assert enc == "gbk" and texts[0] == ROWS[0]["text"] and texts[2:] == [r["text"] for r in ROWS[2:]]
    assert texts[1] is None and errors[1] == "invalid GBK at byte 19"
    csv_data = _csv_bytes([r["text"] for r in ROWS], "gbk").replace("质量".encode("gbk"), b"\xff\xff")
    enc, texts, errors = _texts(write_bytes(tmp_path, "in.csv", csv_data), encoding="gbk")
    assert errors == [None, "invalid GBK at byte 2", None, None]


def test_issue_case_gbk_file_is_no_longer_all_invalid_utf8(tmp_path):
    """Before: every row 'invalid UTF-8 at byte 2' and exit 0. Now detected; with an
    explicit utf-8 the rows are still error records, never silently garbled."""
    path = write_bytes(tmp_path, "in.csv", _csv_bytes([r["text"] for r in ROWS], "gbk"))
    assert _texts(path)[1] == [r["text"] for r in ROWS]
    enc, texts, errors = _texts(path, encoding="utf-8")
    assert texts == [None] * 4 and all(e.startswith("invalid UTF-8 at byte") for e in errors)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("enc, named", [("gbk", "gb18030"), ("big5", "big5")])
def test_legacy_rows_after_the_detection_prefix_name_the_encoding(tmp_path, fmt, enc, named):
    """Detection reads the first 64 KiB: ASCII there means UTF-8, and later GBK / Big5 rows
    become error records. Their message says which encoding reads them."""
    ascii_rows = ["order 12345 ok"] * (DETECT_BYTES // 16 + 10)
    texts = ascii_rows + ["物流太慢了，客服不回复"]
    if fmt == "jsonl":
        data = jl(*({"text": t} for t in ascii_rows)) + json.dumps({"text": texts[-1]}, ensure_ascii=False).encode(enc)
    else:
        data = _csv_bytes(ascii_rows, "ascii") + f"{len(texts)},{texts[-1]}\n".encode(enc)
    assert len(data) > DETECT_BYTES + 1000
    got_enc, got, errors = _texts(write_bytes(tmp_path, f"in.{fmt}", data))
    assert got_enc == "utf-8" and got[:-1] == ascii_rows and got[-1] is None
    assert errors[-1].startswith("invalid UTF-8 at byte ") and f"--encoding {named}" in errors[-1].split(":", 1)[1]
    assert _texts(write_bytes(tmp_path, f"again.{fmt}", data), encoding=named)[1] == texts


def test_legacy_hint_needs_chinese_text():
    assert legacy_hint("退款".encode("gbk")).startswith(" (it reads as gb18030")
    assert legacy_hint(b"\xc0\xaf") == ""  # one pair of high bytes (an overlong UTF-8 '/') decodes as anything
    assert legacy_hint(b"\xff\xfe bad") == ""


def test_unknown_and_non_text_encodings_are_clear_errors(tmp_path):
    path = write_bytes(tmp_path, "in.jsonl", jl(*ROWS))
    with pytest.raises(InputFormatError, match="unknown encoding 'klingon'"):
        read_records(str(path), encoding="klingon")
    with pytest.raises(InputFormatError, match="not a text encoding"):
        read_records(str(path), encoding="base64")


def test_mixed_garbage(tmp_path):
    """A UTF-8 file with a few garbage rows stays UTF-8 (those rows are errors); a file of
    garbage only fits no encoding and is refused with a hint."""
    garbage = bytes(range(0x80, 0x100)).replace(b"\n", b"") * 2
    data = jl(*ROWS[:2]) + garbage + b"\n" + jl(*ROWS[2:]) + b'{"text": "\xc0\xaf"}\n'
    enc, texts, errors = _texts(write_bytes(tmp_path, "in.jsonl", data))
    assert enc == "utf-8"
    assert texts == [ROWS[0]["text"], ROWS[1]["text"], None, ROWS[2]["text"], ROWS[3]["text"], None]
    assert errors[2] == "invalid UTF-8 at byte 0" and errors[5] == "invalid UTF-8 at byte 10"
    with pytest.raises(InputFormatError, match="cannot tell the text encoding.*--encoding"):
        read_records(str(write_bytes(tmp_path, "g.jsonl", (garbage + b"\n") * 3)))


def test_detect_encoding_rules():
    utf8 = "快递十天都没到\n".encode("utf-8") * 3
    assert detect_encoding(utf8[:-2], final=False) == "utf-8"  # a character cut at the end of the prefix
    assert detect_encoding(b"") == "utf-8" and detect_encoding(b"plain ascii\n") == "utf-8"
    assert detect_encoding(codecs.BOM_UTF16_LE + "好".encode("utf-16-le")) == "utf-16"
    assert detect_encoding(codecs.BOM_UTF32_LE + "好".encode("utf-32-le")) == "utf-32"
    assert detect_encoding("快递十天都没到，客服也不回消息\n".encode("gbk")) == "gb18030"


def test_detection_on_stdin_keeps_every_byte(monkeypatch):
    data = "".join(json.dumps({"id": i, "text": f"第{i}条：快递太慢了，客服不回消息"}, ensure_ascii=False) + "\n"
                   for i in range(5000)).encode("gb18030")
    assert len(data) > DETECT_BYTES  # rows on both sides of the detection prefix
    monkeypatch.setattr(sys, "stdin", _FakeStdin(io.BytesIO(data)))
    with read_records("-") as r:
        recs = list(r)
    assert r.encoding == "gb18030" and len(recs) == 5000 and all(x.ok for x in recs)
    assert [x.text for x in recs[::1000]] == [f"第{i}条：快递太慢了，客服不回消息" for i in range(0, 5000, 1000)]


def test_open_text_for_other_readers(tmp_path):
    path = write_bytes(tmp_path, "t.csv", "text,label\n好,pos\n质量很差\n".encode("gbk") + b"\xa1\xff\n")
    with open_text(str(path)) as f:
        assert f.encoding == "gb18030"
        lines = f.read().split("\n")
    assert lines[1] == "好,pos" and lines[2] == "质量很差" and bad_bytes_error(lines[2], "gb18030") is None
    assert bad_bytes_error(lines[3], "gb18030") == "invalid GB18030 at byte 0"


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


# ----------------------------------------------------------------------------- broken .gz within the detection prefix
def _gz_rows(n: int) -> bytes:
    """n JSONL rows that compress poorly (so that a cut half-way still holds whole rows), well under DETECT_BYTES."""
    return jl(*({"id": i, "text": f"{i * 7919 % 100003:06d}评论{i * 104729 % 99991:06d}"} for i in range(n)))


def test_small_truncated_gzip_gives_its_rows_then_a_one_line_error(tmp_path):
    data = _gz_rows(800)
    assert len(data) < DETECT_BYTES
    full = gzip.compress(data)
    path = write_bytes(tmp_path, "cut.jsonl.gz", full[: len(full) // 2])
    got = []
    with pytest.raises(InputFormatError, match=r"cut\.jsonl\.gz: cannot read past row (\d+): truncated or corrupt "
                                               r"gzip data \(Compressed file ended") as e:
        with read_records(path) as reader:
            got.extend(reader)
    n = int(str(e.value).split("past row ")[1].split(":")[0])
    assert 0 < n < 800 and [r.id for r in got] == list(range(n)) and all(r.ok for r in got)


def test_small_corrupt_gzip_is_an_input_format_error(tmp_path):
    damaged = bytearray(gzip.compress(_gz_rows(50)))
    damaged[10] |= 0b110  # the first deflate block gets the reserved block type: zlib.error "invalid block type"
    for name in ("bad.jsonl.gz", "bad.csv.gz"):
        path = write_bytes(tmp_path, name, bytes(damaged))
        with pytest.raises(InputFormatError, match=rf"{name}: cannot read past row 0: truncated or corrupt gzip data "
                                                   r"\(Error -3 .*invalid block type\)"):
            with read_records(path) as reader:  # CSV: when its header is read, by read_records
                list(reader)


def test_truncated_gzip_csv_header_is_an_input_format_error(tmp_path):
    full = gzip.compress(b"id,text\n" + b"".join(b"%d,text %d\n" % (i, i) for i in range(100)))
    path = write_bytes(tmp_path, "head.csv.gz", full[:12])
    for encoding in ("auto", "utf-8"):
        with pytest.raises(InputFormatError, match=r"head\.csv\.gz: cannot read past row 0: truncated or corrupt gzip"):
            read_records(path, encoding=encoding)


# ----------------------------------------------------------------------------- utf-16 / utf-32 need a BOM
@pytest.mark.parametrize("enc", ["utf-16", "UTF16", "utf-32"])
@pytest.mark.parametrize("name", ["in.csv", "in.tsv", "in.jsonl"])
def test_bom_codec_without_bom_is_an_input_format_error(tmp_path, enc, name):
    base = "utf-32" if "32" in enc else "utf-16"
    path = write_bytes(tmp_path, name, b'id,text\n1,x\n' if name != "in.jsonl" else jl({"id": 1, "text": "x"}))
    with pytest.raises(InputFormatError, match=rf"in\.\w+: --encoding {base} needs a byte order mark .* "
                                               rf"--encoding {base}-le or {base}-be"):
        with read_records(path, encoding=enc) as reader:
            list(reader)
    with pytest.raises(InputFormatError, match="needs a byte order mark"):
        open_text(path, enc)


@pytest.mark.parametrize("enc", ["utf-16", "utf-32"])
def test_bom_codec_with_bom_and_empty_input_still_read(tmp_path, enc):
    path = write_bytes(tmp_path, "in.csv", "id,text\n1,好\n".encode(enc))  # Python's utf-16/32 write a BOM
    with read_records(path, encoding=enc) as reader:
        assert [(r.id, r.text) for r in reader] == [("1", "好")] and reader.encoding == enc
    with read_records(write_bytes(tmp_path, "empty.jsonl", b""), encoding=enc) as reader:
        assert list(reader) == []


# ----------------------------------------------------------------------------- lone surrogate escapes
def test_lone_surrogate_escapes_read_as_replacement_character(tmp_path):
    lines = [r'{"id": 1, "text": "\u5feb\u9012\ud83d"}',
             r'{"id": "\udc80", "text": "ok", "\ud800k": ["\ude00", {"a": "\ud83d"}]}',
             r'{"id": 3, "text": "\ud83d\ude00 \\ud800"}']  # a pair is one character; an escaped backslash is text
    for enc in ("utf-8", "gb18030"):
        path = write_bytes(tmp_path, "sur.jsonl", ("\n".join(lines) + "\n").encode(enc))
        with read_records(path, encoding=enc) as reader:
            recs = list(reader)
        assert [r.text for r in recs] == ["快递\ufffd", "ok", "😀 \\ud800"]
        assert recs[1].id == "\ufffd" and recs[1].fields["\ufffdk"] == ["\ufffd", {"a": "\ufffd"}]
    out = tmp_path / "out.jsonl"
    with open_writer(str(out)) as w:
        w.write_many(r.fields for r in recs)
    assert out.read_bytes().decode("utf-8").count("\ufffd") == 5  # written as UTF-8, not \u-escaped


def test_ids_json_output_cannot_hold_become_the_row_number(tmp_path):
    # NaN / Infinity / 1e999 parse as floats that JSON output writes as null: the id would be lost
    p = tmp_path / "ids.jsonl"
    p.write_text('{"id": NaN, "text": "a"}\n{"id": Infinity, "text": "b"}\n{"id": 1e999, "text": "c"}\n'
                 '{"id": 1.5, "text": "d"}\n', encoding="utf-8")
    with read_records(str(p)) as reader:
        assert [r.id for r in reader] == [1, 2, 3, 1.5]

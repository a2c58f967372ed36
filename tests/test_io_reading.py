"""feedback_nlp.io.reading: JSONL / CSV / TSV rows to records; every malformed row becomes one error record in place."""
from __future__ import annotations

import csv
import gzip
import io
import itertools
import sys

import pytest

from feedback_nlp.io import DETECT_BYTES, UNCLOSED_QUOTE_ERROR, InputFormatError, open_writer, read_records
from io_helpers import FakeStdin, jl, write_bytes


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


@pytest.mark.parametrize("encoding, limit", [("utf-8", 64 * 1024), ("auto", DETECT_BYTES + 64 * 1024)])
def test_reader_is_lazy_on_an_endless_stream(monkeypatch, encoding, limit):
    raw = _EndlessLines()
    monkeypatch.setattr(sys, "stdin", FakeStdin(raw))
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
    monkeypatch.setattr(sys, "stdin", FakeStdin(raw))
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
    # an error record keeps the row's id where it can be read (so it joins back to the input), else the row number
    assert recs[1].error == "invalid UTF-8 at byte 6" and recs[1].id == "2"
    assert recs[2].error == "expected 2 columns, got 3" and recs[2].id == "3"
    assert recs[3].id == "4" and recs[4].id == 5  # an empty row has no id to read
    assert recs[3].error == "expected 2 columns, got 1"
    assert recs[4].error == "empty row"
    assert recs[5].error.startswith("invalid UTF-8 at byte ") and recs[5].id == "5"
    assert (recs[6].id, recs[6].text, recs[6].error) == ("6", "最后", None)


@pytest.mark.parametrize("rest", ['3,c\n4,d\n', '3,c\n4,"d"\n'])  # to the end of the file / to the next quote
def test_csv_stray_quote_costs_its_own_row_only(tmp_path, rest):
    # Lenient CSV would read rows 3 and 4 into row 2's text; they are read again as rows.
    data = ('id,text\n1,a\n2,"b\n' + rest + '5,"多行\n文本",\n').encode()
    recs = list(read_records(write_bytes(tmp_path, "in.csv", data)))
    assert [(r.row, r.id, r.text, r.error) for r in recs] == [
        (1, "1", "a", None), (2, "2", None, UNCLOSED_QUOTE_ERROR), (3, "3", "c", None), (4, "4", "d", None),
        (5, "5", None, "expected 2 columns, got 3")]  # a well-formed quoted field still spans lines
    at_end = list(read_records(write_bytes(tmp_path, "end.csv", 'id,text\n1,"a\n2,b\n'.encode())))
    assert [(r.id, r.text, r.error) for r in at_end] == [("1", None, UNCLOSED_QUOTE_ERROR), ("2", "b", None)]


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


def test_jsonl_text_field_that_no_record_has_raises_at_call(tmp_path):
    # as a CSV header must name it: a misnamed field had turned every record into an error, exit 0
    path = write_bytes(tmp_path, "in.jsonl", b"[1]\n" + jl({"id": 1, "content": "好"}) + jl({"id": 2, "body": "差"}))
    with pytest.raises(InputFormatError, match=r"no field 'text' in the first 2 JSON object\(s\) \(fields: body, "
                                                r"content, id\)"):
        read_records(path)
    assert [r.text for r in read_records(path, text_field="content")] == [None, "好", None]  # "[1]", body: errors
    # one record with it is enough; rows before it, read ahead, come out in order
    mixed = write_bytes(tmp_path, "m.jsonl", jl({"id": 1}) + b"oops\n" + jl({"id": 3, "text": "好"}) + jl({"text": "差"}))
    assert [(r.row, r.text) for r in read_records(mixed)] == [(1, None), (2, None), (3, "好"), (4, "差")]
    assert list(read_records(write_bytes(tmp_path, "n.jsonl", b"[1]\n\n"))) != []  # no object: each row's error


def test_a_sequence_text_is_named_an_array_wherever_it_comes_from():
    # a Spark array<string> column arrives as a numpy array: it had been "got object"
    import numpy as np

    from feedback_nlp.io import record_from_object

    for v in (["a"], ("a",), np.array(["a"])):
        assert record_from_object({"text": v}, 1).error == "text field must be a string, got array"


def test_csv_read_as_jsonl_says_so(tmp_path):
    # `cat in.csv | feedback-nlp score -` had given one "invalid JSON" record per line, exit 0
    path = write_bytes(tmp_path, "in.jsonl", "id,text\n1,质量很好\n".encode())
    with pytest.raises(InputFormatError, match=r"read as JSONL, but its first line looks like a CSV/TSV header "
                                                r"\(id,text\): name the format \(--input-format csv or tsv\)"):
        read_records(path)
    assert [r.text for r in read_records(path, fmt="csv")] == ["质量很好"]
    assert [r.row for r in read_records(write_bytes(tmp_path, "j.jsonl", b"oops\n" + jl({"text": "x"})))] == [1, 2]


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

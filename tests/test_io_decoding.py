"""feedback_nlp.io.decoding: encodings detected or named, bad bytes, broken .gz, codecs that need a byte order mark."""
from __future__ import annotations

import codecs
import gzip
import io
import json
import sys

import pytest

from feedback_nlp.io import (DETECT_BYTES, InputFormatError, bad_bytes_error, detect_encoding, legacy_hint, open_text,
                             read_records)
from io_helpers import FakeStdin, jl, write_bytes


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
    # UTF-8 Chinese with a stray byte also decodes whole as GB18030 mojibake: naming it would garble the good rows
    assert legacy_hint("衣服很好，质量不错".encode() + b"\x80") == ""
    assert legacy_hint("衣服很好，质量不错".encode("gbk")).startswith(" (it reads as gb18030")
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


def test_a_few_junk_bytes_are_not_read_in_an_unlikely_encoding(tmp_path):
    # charset-normalizer had called "1,\xff\xfe\xfa\xfb" Urdu (cp1006), and the junk was scored as an ad
    assert detect_encoding(b"id,text\n1,\xff\xfe\xfa\xfb\n") == "utf-8"
    recs = list(read_records(str(write_bytes(tmp_path, "j.csv", b"id,text\n1,\xff\xfe\xfa\xfb\n"))))
    assert [(r.id, r.text, r.error) for r in recs] == [("1", None, "invalid UTF-8 at byte 2")]


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
    monkeypatch.setattr(sys, "stdin", FakeStdin(io.BytesIO(data)))
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

"""Streaming readers and writers for JSONL / CSV / TSV feedback files.

Reading never raises for a bad *row*: every data row becomes exactly one
:class:`InputRecord`, and a row that cannot be used carries an ``error``
string instead of a text. Output written with one record per input record
therefore has the same count and order as the input, malformed rows included.
Whole-input problems (file not found, unknown extension, a CSV header without
the text column) raise :class:`InputFormatError` / ``OSError`` when
:func:`read_records` is called, before any record is read. An input that breaks
off (a truncated or corrupt ``.gz``) gives the rows before the break, then
:class:`InputFormatError` ``"NAME: cannot read past row N: ..."`` from the iteration,
wherever the break falls (a break in a CSV header: when :func:`read_records` is called).

Formats
-------
``.jsonl`` / ``.ndjson`` / ``.json`` (JSON Lines), ``.csv``, ``.tsv``; any of them
may be gzip-compressed (``.jsonl.gz``). ``"-"`` is stdin/stdout as JSONL unless
``fmt`` says otherwise.

* JSONL: one JSON object per ``\\n``-terminated line (``\\r\\n`` accepted). Row
  ``n`` is line ``n``. A blank line is a malformed row (error ``"empty line"``),
  not skipped, so that row numbers, line numbers and output lines stay aligned
  (a final newline at the end of the file does not make an extra row).
  Malformed: invalid UTF-8, invalid JSON, not an object, no text field, text not
  a string (``null`` and numbers included). A lone surrogate escape (``"\\ud83d"``,
  an emoji cut in half) in any key or string value reads as U+FFFD, so that every
  UTF-8 writer can write the record.
* CSV: RFC 4180 as read by :mod:`csv` (quoted fields may hold commas, quotes and
  newlines). The first row is the header; row ``n`` is the n-th record after
  it (a quoted multi-line field counts once). Malformed: invalid UTF-8 in the
  row, a different number of columns than the header, a blank row
  (``"empty row"``), a quote not closed before its line ends
  (:data:`UNCLOSED_QUOTE_ERROR`; the lines it took in are read again as rows,
  :func:`csv_records`).
* TSV: tab-separated, *no quoting* (the IANA/database-dump convention: a ``"``
  is an ordinary character, a field cannot hold a tab or newline). A quoted
  TSV written by pandas still reads, but its quotes stay in the text.

Ids: ``fields[id_field]`` when present and not null/empty, else the 1-based
row number. ``"invalid UTF-8 at byte N"`` gives N as the 0-based byte offset
within the row's line (JSONL) or within the row's raw text (CSV/TSV); in another
encoding the message names it (``"invalid GB18030 at byte N"``).

Encodings (``encoding=``): ``"auto"`` (the default) reads UTF-8 with or without
a byte order mark, UTF-16/32 with a BOM, and otherwise detects the encoding from
the first :data:`DETECT_BYTES` bytes (:func:`detect_encoding`: charset-normalizer,
preferring GB18030 for the GBK family and CP950/Big5-HKSCS for Big5, the
encodings of Chinese Excel exports). A mostly-UTF-8 file with a few undecodable
rows stays UTF-8 (those rows become error records; when a row's bytes read as
GB18030 or Big5 Chinese text, its message adds which encoding to name, as for a
file whose legacy rows start after the detection prefix); a start that fits no
encoding is an :class:`InputFormatError` asking for an explicit encoding. Any
codec name Python knows (``gbk``, ``big5``, ``utf-16``...) is used as given;
``utf-16`` / ``utf-32`` need a byte order mark (an input without one is an
:class:`InputFormatError` that names ``utf-16-le`` / ``utf-16-be``). Decoding
stays streaming: only the detection prefix is held, then rows are decoded one at a time.
``RecordReader.encoding`` is the codec used.

JSON parsing uses orjson; a line orjson refuses, or one with very many brackets
(orjson has no depth limit of its own in older versions), is parsed again with
:mod:`json`, so the rows accepted and the error messages are those of the standard
library. Every failure to decode or parse a row, whatever the exception
(``RecursionError`` from 5,000 nested brackets included), becomes that row's error.

Writing (:func:`open_writer`): JSONL lines are compact UTF-8 JSON (:func:`json_bytes`:
orjson, no ASCII escaping, keys in record order); CSV cells hold ``""`` for None, ``true``/``false`` for
booleans and compact JSON for lists and dicts. ``bom=True`` starts CSV/TSV
output with a UTF-8 byte order mark (``EF BB BF``), so that Excel opens it as
UTF-8; it is refused for JSONL (JSON Lines must not start with a BOM). Reading
skips a leading BOM in every format, so such files read back unchanged (the
first header column keeps its plain name).
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import math
import os
import re
import sys
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Iterator, Mapping, Optional, Sequence

import orjson

from .result import FIELDS

__all__ = ["InputRecord", "InputFormatError", "RecordReader", "RecordWriter", "read_records", "open_writer",
           "open_text", "error_record", "record_from_object", "score_records", "output_records", "detect_format",
           "detect_encoding", "resolve_encoding", "bad_bytes_error", "legacy_hint", "json_bytes", "ReadTally",
           "ERROR_FIELD", "CHANNEL_FIELD", "SCORE_FIELDNAMES", "DETECT_BYTES", "MARK_ERRORS",
           "replace_lone_surrogates"]

#: Name of the column / key that holds the reason a row could not be scored.
ERROR_FIELD = "error"
#: Name of the input field that says where a record came from (its channel's operating points).
CHANNEL_FIELD = "channel"
#: Column order of ``feedback-nlp score`` output: every result field, then ``error``.
SCORE_FIELDNAMES = (*FIELDS, ERROR_FIELD)

_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv"}
_BOM = codecs.BOM_UTF8
#: Bytes looked at by ``encoding="auto"`` before the first row is decoded.
DETECT_BYTES = 64 * 1024
#: Codec error handler used when reading: an undecodable byte ``b`` becomes the lone
#: surrogate ``U+DC00 + b`` (a "mark"; like "surrogateescape", but for any byte and any
#: codec, UTF-16 included). No decoder yields lone surrogates for valid input, so a mark
#: in a decoded row means the row had bad bytes (:func:`bad_bytes_error`).
MARK_ERRORS = "feedback_nlp.mark"
_MARKED = re.compile("[\udc00-\udcff]")
_CJK = re.compile("[\u4e00-\u9fff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A \u escape of a surrogate: only a line holding one (or, decoded from a legacy codec, a surrogate
# itself) can parse to a lone surrogate.
_SURROGATE_ESCAPE = re.compile("\\\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
# Lines with more opening brackets than this skip orjson (3.8 overflows the C stack on
# ~100k levels instead of raising) and go to json, which raises RecursionError.
_MAX_BRACKETS = 500
_UTF8 = ("utf-8", "utf-8-sig")


def _mark_bad_bytes(e: UnicodeError):
    if isinstance(e, UnicodeDecodeError):
        return "".join(chr(0xDC00 + b) for b in e.object[e.start:e.end]), e.end
    raise e


codecs.register_error(MARK_ERRORS, _mark_bad_bytes)
# csv.field_size_limit default (128 KiB) is too small for a long review plus a JSON
# column; the row stays in memory either way.
_FIELD_LIMIT = 64 * 1024 * 1024


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
    ``floods`` is an optional :class:`~feedback_nlp.pipeline.FloodMarker` fed with the
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


# --------------------------------------------------------------------------- encodings
_GB = {"gb2312", "gbk", "gb18030", "hz", "cp936"}
_BIG5 = {"big5", "big5hkscs", "cp950"}
# Tried in order for a Big5-family detection: Excel in Taiwan writes CP950; Hong Kong
# characters (HKSCS) need big5hkscs.
_BIG5_CHOICES = ("cp950", "big5hkscs")
_UNICODE = {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii"}


def resolve_encoding(name: Optional[str]) -> str:
    """Python's canonical name for the codec ``name`` (``"auto"``/None stay ``"auto"``).

    Raises :class:`InputFormatError` for a name Python does not know or a codec
    that does not turn bytes into text (``base64``, ``rot13``...).
    """
    if name is None or name.strip().lower() == "auto":
        return "auto"
    try:
        info = codecs.lookup(name.strip())
    except LookupError:
        raise InputFormatError(f"unknown encoding {name!r} (use auto, utf-8, gb18030, gbk, big5, utf-16, "
                               "or another codec name Python knows)") from None
    if not getattr(info, "_is_text_encoding", True):
        raise InputFormatError(f"{name!r} is not a text encoding")
    return info.name


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _decodes(data: bytes, enc: str, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(enc)("strict").decode(data, final)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(head: bytes, final: bool = True) -> Optional[str]:
    """The encoding of an input that starts with ``head``; None when nothing fits.

    ``final``: ``head`` is the whole input (else the last, possibly cut, line is
    ignored). Order: a byte order mark (UTF-8/16/32); UTF-8 when the text is UTF-8,
    also when most non-ASCII lines are (the others become error rows); else
    charset-normalizer, whose GBK-family answers become ``gb18030`` (a superset) and
    Big5-family answers ``cp950`` (``big5hkscs`` when only that decodes), and which is
    asked again among the Chinese encodings alone when its first answer is another
    legacy encoding (short Chinese samples otherwise come out as Korean), and again
    without the few lines that no Chinese encoding decodes (a corrupt row would
    otherwise rule GB18030 out); last, GB18030 or Big5 if one of them decodes
    ``head`` without error.
    """
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (_BOM, "utf-8"),
                     (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return enc
    if not final:
        cut = head.rfind(b"\n")
        if cut > 0:
            head, final = head[:cut + 1], True
    if _decodes(head, "utf-8", final):
        return "utf-8"
    good = bad = 0
    for line in head.split(b"\n"):
        if not line.isascii():
            if _decodes(line, "utf-8", True):
                good += 1
            else:
                bad += 1
    if good and good >= bad:
        return "utf-8"
    name = _guess(head)
    if name not in _GB | _BIG5 | _UNICODE:
        # One corrupt row makes the detector drop the Chinese encodings: ask again
        # without the lines no Chinese encoding decodes, if they are a minority.
        lines = head.split(b"\n")
        clean = [x for x in lines if x.isascii() or any(_decodes(x, e, True) for e in ("gb18030", "big5hkscs"))]
        n_clean = sum(not x.isascii() for x in clean)
        if len(clean) < len(lines) and n_clean > sum(not x.isascii() for x in lines) - n_clean:
            retry = _guess(b"\n".join(clean))
            if retry in _GB | _BIG5:
                name = retry
    if name is None:
        name = next((e for e in ("gb18030", "big5hkscs") if _decodes(head, e, final)), None)
    if name in _GB:
        return "gb18030"
    if name in _BIG5:
        return next((e for e in _BIG5_CHOICES if _decodes(head, e, final)), _BIG5_CHOICES[0])
    if name == "ascii":
        return "utf-8"
    return name


def _guess(data: bytes) -> Optional[str]:
    """charset-normalizer's answer, asked again among the Chinese encodings alone when
    the first answer is not Unicode (short Chinese samples otherwise come out as Korean
    or Japanese, and GB text of a few characters as Big5)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    name = _codec(best.encoding) if best is not None else None
    if name not in _UNICODE:
        matches = list(from_bytes(data, cp_isolation=["gb18030", "big5", "cp950", "big5hkscs"]))
        if matches:  # a tie (too little text to tell) goes to GB18030, the more common
            best = min(matches, key=lambda m: (m.chaos, -m.coherence, _codec(m.encoding) not in _GB))
            name = _codec(best.encoding)
    return name


def _encoding_label(enc: str) -> str:
    return "UTF-8" if enc in _UTF8 else enc.upper()


def bad_bytes_error(text: str, encoding: str) -> Optional[str]:
    """``"invalid ENC at byte N"`` when ``text`` (decoded with :data:`MARK_ERRORS`)
    holds undecodable bytes, N being their offset in the row's original bytes; else None.
    A UTF-8 row that reads as a Chinese legacy encoding says so (:func:`legacy_hint`)."""
    m = _MARKED.search(text)
    if m is None:
        return None
    offset_codec = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}.get(encoding, encoding)
    try:
        n = len(text[:m.start()].encode(offset_codec))
    except (UnicodeError, LookupError):  # pragma: no cover - a codec that cannot re-encode its own output
        return f"invalid {_encoding_label(encoding)}"
    hint = ""
    if encoding in _UTF8:  # marks of bytes >= 0x80 are surrogateescape's: the row's bytes come back
        try:
            hint = legacy_hint(text.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:  # pragma: no cover - UTF-8 never fails on a byte < 0x80
            pass
    return f"invalid {_encoding_label(encoding)} at byte {n}{hint}"


#: Legacy encodings a row that is not UTF-8 is tried in, with the name to suggest.
_LEGACY_HINTS = (("gb18030", "gb18030"), ("cp950", "big5"))


def _encodable(text: str, enc: str) -> bool:
    try:
        text.encode(enc)
    except UnicodeEncodeError:
        return False
    return True


def legacy_hint(raw: bytes) -> str:
    """``" (it reads as gb18030: ...)"`` when the bytes of a row that is not UTF-8 decode whole
    into Chinese text (two CJK characters or more: one pair of high bytes decodes as anything) in a
    legacy encoding, else "". Detection looks at the first
    :data:`DETECT_BYTES` only, so a file whose legacy rows come later is read as UTF-8:
    the error record then says which encoding to name."""
    fits = []
    for enc, label in _LEGACY_HINTS:
        try:
            decoded = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if len(_CJK.findall(decoded)) >= 2:
            fits.append((label, decoded))
    if not fits:
        return ""
    if len(fits) > 1 and not _encodable(fits[0][1], "gb2312"):
        fits.reverse()  # Big5 bytes read as GB18030 give rare characters, outside GB2312's common ones
    fits = [label for label, _ in fits]
    return f" (it reads as {' or '.join(fits)}: name the encoding, e.g. --encoding {fits[0]})"


class _Prepend(io.RawIOBase):
    """``head``, then the rest of ``stream``: detection reads the start of a pipe without losing it.

    ``failure``: the error that ended the read of ``head`` (a broken ``.gz``), raised again after it."""

    def __init__(self, head: bytes, stream: IO[bytes], close_stream: bool, failure: Optional[BaseException] = None):
        self._head = memoryview(head)
        self._stream = stream
        self._close_stream = close_stream
        self._failure = failure
        self._read = getattr(stream, "readinto1", None) or stream.readinto

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        if self._failure is not None:
            raise self._failure
        return self._read(b)

    def close(self) -> None:
        if not self.closed and self._close_stream:
            self._stream.close()
        super().close()


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


#: What reading a broken ``.gz`` raises (a cut file: EOFError; damaged data: zlib.error; no gzip at all: BadGzipFile).
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def _read_error(name: str, e: BaseException, rows_read: int) -> InputFormatError:
    """The one-line error for an input that breaks off after ``rows_read`` rows."""
    what = f"truncated or corrupt gzip data ({_short(e)})" if isinstance(e, _GZIP_ERRORS) else _short(e)
    return InputFormatError(f"{name}: cannot read past row {rows_read}: {what}")


def _read_head(stream: IO[bytes], size: int) -> tuple[bytes, Optional[BaseException]]:
    """Up to ``size`` bytes of ``stream``, and the gzip error that cut them short (else None).

    Read a piece at a time, so that what a truncated or corrupt ``.gz`` gave before it broke is kept:
    its rows are read, and the error comes where it does in a larger file (``cannot read past row N``).
    """
    read = getattr(stream, "read1", None) or stream.read
    chunks, n = [], 0
    try:
        while n < size:
            chunk = read(size - n)
            if not chunk:
                break
            chunks.append(chunk)
            n += len(chunk)
    except _GZIP_ERRORS as e:
        return b"".join(chunks), e
    return b"".join(chunks), None


#: Codecs that need a byte order mark: without one Python's decoder stops with a bare UnicodeError.
_BOM_CODECS = {"utf-16": (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE),
               "utf-32": (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)}


def _sniff(stream: IO[bytes], encoding: str, name: str, close_stream: bool) -> tuple[IO[bytes], str]:
    """Resolve ``encoding`` for ``stream``; for "auto", detect it on the first
    :data:`DETECT_BYTES` and return a stream that still starts at the beginning.

    ``utf-16`` / ``utf-32`` on an input that does not start with a byte order mark is an
    :class:`InputFormatError` naming the ``-le`` / ``-be`` codecs (which need none).
    """
    enc = resolve_encoding(encoding)
    if enc in _BOM_CODECS:
        head, failure = _read_head(stream, 4)
        if head and not head.startswith(_BOM_CODECS[enc]):
            if close_stream:
                stream.close()
            raise InputFormatError(f"{name}: --encoding {enc} needs a byte order mark at the start of the input "
                                   f"and there is none; name the byte order: --encoding {enc}-le or {enc}-be")
        return io.BufferedReader(_Prepend(head, stream, close_stream, failure)), enc
    if enc != "auto":
        return stream, enc
    if _isatty(stream):  # someone typing: do not wait for 64 KiB
        return stream, "utf-8"
    head, failure = _read_head(stream, DETECT_BYTES)
    # a cut head may end inside a character: detection then ignores its last line
    enc = detect_encoding(head, final=len(head) < DETECT_BYTES and failure is None)
    if enc is None:
        if close_stream:
            stream.close()
        if failure is not None:
            raise _read_error(name, failure, 0)
        raise InputFormatError(f"{name}: cannot tell the text encoding (it is not UTF-8 and no other encoding "
                               f"fits its first {len(head):,} bytes); name it, e.g. --encoding gb18030 or big5")
    return io.BufferedReader(_Prepend(head, stream, close_stream, failure), buffer_size=DETECT_BYTES), enc


def _open_bytes(path: str) -> tuple[IO[bytes], bool]:
    if path == "-":
        return _stdin_bytes(), False
    if os.path.isdir(path):
        raise InputFormatError(f"{path} is a directory, not a file")
    return (gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")), True


def open_text(path: str, encoding: str = "auto", errors: str = MARK_ERRORS, newline: Optional[str] = None) -> IO[str]:
    """A text stream over ``path`` (``"-"``: stdin; ``.gz`` decompressed) in ``encoding``.

    ``"auto"`` detects the encoding as :func:`read_records` does; the codec used is
    the stream's ``encoding`` attribute. With the default ``errors``, undecodable
    bytes become marks that :func:`bad_bytes_error` reports. For readers of their
    own formats (training files, stdin lines) that want the same encoding handling.
    """
    stream, close = _open_bytes(path)
    name = path if path != "-" else "<stdin>"
    try:
        stream, enc = _sniff(stream, encoding, name, close)
    except BaseException:
        if close:
            stream.close()
        raise
    if enc == "utf-8":
        enc = "utf-8-sig"
    text = io.TextIOWrapper(stream, encoding=enc, errors=errors, newline=newline)
    if not close:  # never close the borrowed stdin with the wrapper
        text = _Borrowed(text)
    return text


class _Borrowed(io.TextIOBase):
    """A text wrapper over stdin whose close() detaches instead of closing."""

    def __init__(self, text: io.TextIOWrapper):
        self._t = text

    @property
    def encoding(self) -> str:
        return self._t.encoding

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        return self._t.read(size)

    def readline(self, size: int = -1) -> str:
        return self._t.readline(size)

    def __next__(self) -> str:
        return next(self._t)

    def close(self) -> None:
        if not self.closed:
            try:
                self._t.detach()
            except ValueError:
                pass
        super().close()


# --------------------------------------------------------------------------- reading
def _loads(data):
    """Parse one JSON line (bytes or str): orjson, else :mod:`json` (see the module docstring).

    The standard library decides whatever orjson refuses (NaN, lone surrogate escapes...)
    and also a parsed id that is a float, which may be an integer too big for orjson.
    """
    if isinstance(data, bytes):
        deep = data.count(b"[") + data.count(b"{") > _MAX_BRACKETS
    else:
        deep = data.count("[") + data.count("{") > _MAX_BRACKETS
    if not deep:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def replace_lone_surrogates(obj: Any) -> Any:
    """``obj`` (parsed JSON) with every lone surrogate in its strings and keys replaced by U+FFFD.

    JSON may escape half an emoji (``"\\ud83d"``); Python keeps it as a lone surrogate that no
    UTF-8 writer can encode, so readers replace it once, here. Lists and dicts are changed in
    place; iterative, as the nesting may be deep.
    """
    if isinstance(obj, str):
        return _SURROGATE.sub("\ufffd", obj)
    stack = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(isinstance(k, str) and _SURROGATE.search(k) for k in node):
                items = [(_SURROGATE.sub("\ufffd", k) if isinstance(k, str) else k, v) for k, v in node.items()]
                node.clear()
                node.update(items)
            keys: Iterable = list(node)
        elif isinstance(node, list):
            keys = range(len(node))
        else:
            continue
        for k in keys:
            v = node[k]
            if isinstance(v, str):
                if _SURROGATE.search(v):
                    node[k] = _SURROGATE.sub("\ufffd", v)
            elif isinstance(v, (dict, list)):
                stack.append(v)
    return obj


def _id_or_row(fields: Mapping, id_field: str, row: int) -> Any:
    """The record's id, or its row number when it has none: missing, null, empty, or a number JSON output
    cannot hold (``NaN``, ``Infinity``, ``1e999``, which would be written as null)."""
    v = fields.get(id_field) if id_field else None
    if v is None or v == "" or (isinstance(v, float) and not math.isfinite(v)):
        return row
    return v


class RecordReader(Iterator[InputRecord]):
    """Iterator of :class:`InputRecord` over an open binary stream; closes it at the end.

    Also a context manager. Built by :func:`read_records`.
    """

    def __init__(self, stream: IO[bytes], fmt: str, text_field: str, id_field: str, close_stream: bool,
                 name: str = "<input>", encoding: str = "utf-8"):
        self.fmt, self.text_field, self.id_field, self.name = fmt, text_field, id_field, name
        #: The codec the rows are decoded with (``"utf-8"``, ``"gb18030"``...).
        self.encoding = "utf-8" if encoding in _UTF8 else encoding
        self.rows_read = 0
        self._stream = stream
        self._close_stream = close_stream
        self.header: Optional[list[str]] = None
        text_enc = "utf-8-sig" if self.encoding == "utf-8" else self.encoding
        if fmt == "jsonl":
            if self.encoding == "utf-8":
                self._it = self._jsonl(self._stream)
            else:
                self._text = io.TextIOWrapper(stream, encoding=text_enc, errors=MARK_ERRORS, newline="\n")
                self._it = self._jsonl(self._text)
        else:
            if csv.field_size_limit() < _FIELD_LIMIT:  # process-wide; raising it is harmless
                csv.field_size_limit(_FIELD_LIMIT)
            self._text = io.TextIOWrapper(stream, encoding=text_enc, errors=MARK_ERRORS, newline="")
            self._csv = csv_records(self._text, delimiter="\t" if fmt == "tsv" else ",",
                                    quoting=csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL)
            self._read_header()
            self._it = self._rows()

    # -- iterator protocol --------------------------------------------------------
    def __iter__(self) -> "RecordReader":
        return self

    def __next__(self) -> InputRecord:
        try:
            rec = next(self._it)
        except StopIteration:
            self.close()
            raise
        except (*_GZIP_ERRORS, UnicodeError) as e:  # truncated .gz and the like: the input ends here
            raise _read_error(self.name, e, self.rows_read) from None
        self.rows_read = rec.row
        return rec

    def close(self) -> None:
        it = getattr(self, "_it", None)
        if it is not None:
            it.close()
        if self._close_stream:
            try:
                if hasattr(self, "_text"):
                    self._text.close()
                else:
                    self._stream.close()
            except Exception:  # pragma: no cover - closing a broken stream
                pass
        elif hasattr(self, "_text"):
            try:
                self._text.detach()  # leave stdin open
            except ValueError:
                pass

    def __enter__(self) -> "RecordReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- JSONL ----------------------------------------------------------------------
    def _jsonl(self, lines: Iterable) -> Iterator[InputRecord]:
        """Rows from binary lines (UTF-8) or text lines (any other codec, decoded with marks)."""
        for row, raw in enumerate(lines, 1):
            try:
                rec = self._json_row(row, raw)
            except Exception as e:  # noqa: BLE001 - whatever a row does, it stays that row's error
                rec = InputRecord(row, row, None, f"unreadable row: {type(e).__name__}: {_short(e)}")
            yield rec

    def _json_row(self, row: int, raw) -> InputRecord:
        binary = isinstance(raw, bytes)
        if row == 1:
            raw = raw[len(_BOM):] if binary and raw.startswith(_BOM) else raw
            raw = raw.lstrip("\ufeff") if not binary else raw
        raw = raw.rstrip(b"\r\n" if binary else "\r\n")
        obj = None
        if binary and raw.count(b"[") + raw.count(b"{") <= _MAX_BRACKETS:
            try:  # fast path: orjson validates the UTF-8 itself
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                obj = None
        if obj is None:
            if binary:
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    return InputRecord(row, row, None, f"invalid UTF-8 at byte {e.start}{legacy_hint(raw)}")
            else:
                line = raw
                err = bad_bytes_error(line, self.encoding)
                if err is not None:
                    return InputRecord(row, row, None, err)
            if not line.strip():
                return InputRecord(row, row, None, "empty line")
            try:
                obj = json.loads(line) if binary else _loads(line)  # binary: orjson has refused it already
            except (ValueError, RecursionError) as e:  # JSONDecodeError, huge ints, nesting too deep
                return InputRecord(row, row, None, f"invalid JSON: {_short(e)}")
        if isinstance(obj, dict) and self.id_field and type(obj.get(self.id_field)) is float:
            obj = json.loads(raw)  # an integer id beyond 64 bits: orjson made it a float
        if (_SURROGATE_ESCAPE_BYTES if binary else _SURROGATE_ESCAPE).search(raw):
            obj = replace_lone_surrogates(obj)
        return record_from_object(obj, row, self.text_field, self.id_field)

    # -- CSV / TSV ------------------------------------------------------------------
    def _read_header(self) -> None:
        try:
            header, err, lines = next(self._csv)
        except StopIteration:  # empty file: no header, no rows
            self.header = []
            return
        if err is not None:
            raise InputFormatError(f"{self.name}: cannot read the header: {err}")
        raw = "".join(lines)
        if _MARKED.search(raw):
            raise InputFormatError(f"{self.name}: the header is not valid {_encoding_label(self.encoding)}"
                                   + (" (name the encoding with --encoding)" if self.encoding == "utf-8" else ""))
        header = [h.strip() for h in header]
        if self.text_field not in header:
            raise InputFormatError(f"{self.name}: no column {self.text_field!r} in the header "
                                   f"(columns: {', '.join(header) or 'none'})")
        self.header = header

    def _rows(self) -> Iterator[InputRecord]:
        if not self.header:
            return
        header, n = self.header, len(self.header)
        tf, idf = self.text_field, self.id_field
        for row, (values, err, lines) in enumerate(self._csv, 1):
            raw = lines[0] if len(lines) == 1 else "".join(lines)
            if err is None:
                err = bad_bytes_error(raw, self.encoding)
            if err is not None:
                yield InputRecord(row, row, None, err)
                continue
            if not values:
                yield InputRecord(row, row, None, "empty row")
                continue
            if len(values) != n:
                fields = dict(zip(header, values))
                yield InputRecord(row, row, None, f"expected {n} columns, got {len(values)}", fields)
                continue
            fields = dict(zip(header, values))
            yield InputRecord(row, _id_or_row(fields, idf, row), fields[tf], None, fields)


#: The error of a CSV row whose quote is not closed properly (the lines it took in are read again as rows).
UNCLOSED_QUOTE_ERROR = "malformed row: a quote opened in this row is not closed before its line ends"


def csv_records(lines: Iterable[str], delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL
                ) -> Iterator[tuple[Optional[list[str]], Optional[str], list[str]]]:
    """``(values, error, raw lines)`` per record of lenient CSV, one line read at a time.

    ``error`` (values None) is ``"malformed row: ..."`` for a row :mod:`csv` refuses (a NUL byte,
    a field too large) and :data:`UNCLOSED_QUOTE_ERROR` for a record read over several lines that
    strict CSV refuses: a quote opened in its first line was not closed before that line ended, so
    the lenient reader took in the lines after it, up to the next quote or the end of the file.
    Those lines are read again as records: a stray quote costs one row, not the rows after it.
    """
    src = _RecordLines(lines)
    reader = csv.reader(src, delimiter=delimiter, quoting=quoting, strict=False)
    while True:
        try:
            values, err = next(reader), None
        except StopIteration:
            return
        except csv.Error as e:
            values, err = None, f"malformed row: {e}"
        taken = src.take()
        if err is None and len(taken) > 1 and quoting != csv.QUOTE_NONE:
            try:
                well_formed = len(list(csv.reader(taken, delimiter=delimiter, quoting=quoting, strict=True))) == 1
            except csv.Error:
                well_formed = False
            if not well_formed:
                src.give_back(taken[1:])
                values, err, taken = None, UNCLOSED_QUOTE_ERROR, taken[:1]
        yield values, err, taken


class _RecordLines:
    """The lines csv.reader reads, remembering those of the record being read (it never reads ahead
    of it); lines given back are read again first."""

    def __init__(self, lines: Iterable[str]):
        self._lines, self._back, self._taken = iter(lines), deque(), []

    def __iter__(self) -> "_RecordLines":
        return self

    def __next__(self) -> str:
        line = self._back.popleft() if self._back else next(self._lines)
        self._taken.append(line)
        return line

    def take(self) -> list[str]:
        """The lines read since the last call."""
        taken, self._taken = self._taken, []
        return taken

    def give_back(self, lines: Sequence[str]) -> None:
        self._back.extendleft(reversed(lines))


def _short(e: BaseException, limit: int = 200) -> str:
    msg = " ".join(str(e).split()) or type(e).__name__
    return msg if len(msg) <= limit else msg[:limit] + "…"


def record_from_object(obj: Any, row: int, text_field: str = "text", id_field: str = "id") -> InputRecord:
    """One parsed JSON value as the :class:`InputRecord` a JSONL line holding it reads as.

    Shared by the JSONL reader, the HTTP service and the Spark adapter, so that a
    record with no text, or a text that is not a string, gets the same error
    (``"text field must be a string, got null"``...) wherever it comes from.
    """
    if not isinstance(obj, dict):
        return InputRecord(row, row, None, f"expected a JSON object, got {_json_type(obj)}")
    rid = _id_or_row(obj, id_field, row)
    if text_field not in obj:
        return InputRecord(row, rid, None, f"missing text field {text_field!r}", obj)
    text = obj[text_field]
    if not isinstance(text, str):
        return InputRecord(row, rid, None, f"text field must be a string, got {_json_type(text)}", obj)
    return InputRecord(row, rid, text, None, obj)


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _stdin_bytes() -> IO[bytes]:
    buf = getattr(sys.stdin, "buffer", None)
    if buf is not None:
        return buf
    # A text-only stdin (e.g. io.StringIO in tests): re-encode losslessly.
    return io.BufferedReader(_EncodedLines(sys.stdin))


class _EncodedLines(io.RawIOBase):
    """Minimal binary line iterator over a text stream."""

    def __init__(self, text: IO[str]):
        self._t = text
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._pending:
            chunk = self._t.read(8192)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", "surrogateescape")
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:  # never close the borrowed stdin
        pass


def read_records(path: str, text_field: str = "text", id_field: str = "id",
                 fmt: Optional[str] = None, encoding: str = "auto") -> RecordReader:
    """Stream the records of ``path`` (a file, or ``"-"`` for stdin) one at a time.

    The file is opened (its encoding resolved, a CSV header checked) now, so a missing
    file raises ``FileNotFoundError`` and a directory, an unknown format or encoding, an
    undetectable encoding or a missing column raise :class:`InputFormatError` here;
    after that, iteration never raises for a malformed row (see the module docstring
    for what counts as malformed). Memory stays flat: one row (plus the
    :data:`DETECT_BYTES` detection prefix) is held at a time.
    """
    if path != "-" and os.path.isdir(path):
        raise InputFormatError(f"{path} is a directory, not a file")
    f = detect_format(path, fmt)
    resolve_encoding(encoding)  # an unknown name fails before the file is opened
    stream, close = _open_bytes(path)
    name = path if path != "-" else "<stdin>"
    try:
        if close and f == "jsonl" and path.lower().endswith((".json", ".json.gz")):
            head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
            if head.lstrip(_BOM + b" \t\r\n").startswith(b"["):
                raise InputFormatError(f"{path} looks like a JSON array; records must be JSON Lines "
                                       "(one object per line)")
        stream, enc = _sniff(stream, encoding, name, close)
        return RecordReader(stream, f, text_field, id_field, close, name=name, encoding=enc)
    except (*_GZIP_ERRORS, UnicodeError) as e:  # the input breaks off before its first row (or in the header)
        if close:
            stream.close()
        raise _read_error(name, e, 0) from None
    except BaseException:
        if close:
            stream.close()
        raise


# --------------------------------------------------------------------------- writing
def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict, tuple)):
        return json_bytes(v).decode("utf-8")
    return v


class _ByteSink:
    """``write(str)`` for csv.writer over a binary stream."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream

    def write(self, s: str) -> int:
        return self.stream.write(s.encode("utf-8", "backslashreplace"))


class _TsvWriter:
    """TSV rows the way the reader expects them: no quoting, and since that convention
    has no escape, a tab or line break inside a cell is written as a space."""

    _CLEAN = str.maketrans({"\t": " ", "\r": " ", "\n": " "})

    def __init__(self, stream: IO[bytes]):
        self._sink = _ByteSink(stream)

    def writerow(self, cells: Sequence[Any]) -> None:
        self._sink.write("\t".join(str(c).translate(self._CLEAN) for c in cells) + "\n")


def json_bytes(obj: Any) -> bytes:
    """``obj`` as compact UTF-8 JSON, not ASCII-escaped: one JSONL output line (without
    the newline), or one HTTP response body.

    orjson (numpy scalars included), with :mod:`json` for what orjson refuses (integers
    beyond 64 bits, non-string keys); a lone surrogate (e.g. from a ``"\\udc80"`` escape
    in the input) is written ``\\u``-escaped so the bytes stay valid UTF-8.
    """
    try:
        return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        pass
    try:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class RecordWriter:
    """Writes dict records as JSONL or CSV; use as a context manager.

    JSONL: one :func:`json_bytes` line per record (compact UTF-8 JSON; a record holding a
    lone surrogate is written ASCII-escaped so the output stays valid UTF-8).
    CSV/TSV: a header row of ``fieldnames`` (default: the keys of the first record),
    then one row per record; a key not in ``fieldnames`` raises ValueError, a
    missing key is an empty cell; TSV cells are not quoted (tabs and line breaks in a
    cell become spaces), so TSV output reads back cell for cell. Output is flushed every ``flush_every``
    records and on :meth:`flush` / :meth:`close`. ``bom=True`` (CSV/TSV only;
    :class:`InputFormatError` for JSONL) writes a UTF-8 byte order mark first.
    """

    def __init__(self, stream: IO[bytes], fmt: str, fieldnames: Optional[Sequence[str]] = None,
                 close_stream: bool = True, flush_every: int = 1000, bom: bool = False):
        if fmt not in ("jsonl", "csv", "tsv"):
            raise InputFormatError(f"unknown output format {fmt!r}")
        _check_bom(fmt, bom)
        self.fmt = fmt
        self.fieldnames = list(fieldnames) if fieldnames is not None else None
        self.count = 0
        self._stream = stream
        self._close_stream = close_stream
        self._flush_every = max(1, int(flush_every))
        self._csv = None
        self._closed = False
        if fmt != "jsonl":
            if bom:
                stream.write(_BOM)
            self._csv = (_TsvWriter(stream) if fmt == "tsv" else
                         csv.writer(_ByteSink(stream), delimiter=",", lineterminator="\n", quoting=csv.QUOTE_MINIMAL))
            if self.fieldnames is not None:
                self._csv.writerow(self.fieldnames)

    def write(self, record: Mapping[str, Any]) -> None:
        if self._csv is None:
            self._stream.write(json_bytes(record) + b"\n")
        else:
            if self.fieldnames is None:
                self.fieldnames = list(record)
                self._csv.writerow(self.fieldnames)
            extra = [k for k in record if k not in self.fieldnames]
            if extra:
                raise ValueError(f"record has fields not in the CSV header: {', '.join(map(str, extra))}")
            self._csv.writerow([_cell(record.get(k)) for k in self.fieldnames])
        self.count += 1
        if self.count % self._flush_every == 0:
            self.flush()

    def write_many(self, records: Iterable[Mapping[str, Any]]) -> None:
        for r in records:
            self.write(r)

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        finally:
            if self._close_stream:
                self._stream.close()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_bom(fmt: str, bom: bool) -> None:
    if bom and fmt == "jsonl":
        raise InputFormatError("a byte order mark (bom=True) is only written on CSV/TSV output, not JSONL")


def open_writer(path: str, fmt: Optional[str] = None, fieldnames: Optional[Sequence[str]] = None,
                bom: bool = False) -> RecordWriter:
    """A :class:`RecordWriter` for ``path`` (``.jsonl``/``.ndjson``/``.json``, ``.csv``,
    ``.tsv``, optionally ``.gz``) or ``"-"`` (stdout, JSONL unless ``fmt``).

    ``bom=True`` starts CSV/TSV output (inside the gzip stream for ``.gz``) with a
    UTF-8 byte order mark, for Excel; for JSONL it raises :class:`InputFormatError`
    before the file is touched. The file is created/truncated now.
    """
    f = detect_format(path, fmt)
    _check_bom(f, bom)
    if path == "-":
        try:
            sys.stdout.flush()
        except (AttributeError, ValueError):
            pass
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:
            stream = _TextSink(sys.stdout)
        return RecordWriter(stream, f, fieldnames, close_stream=False, bom=bom)
    stream = gzip.open(path, "wb") if path.lower().endswith(".gz") else open(path, "wb")
    return RecordWriter(stream, f, fieldnames, close_stream=True, bom=bom)


class _TextSink:
    """Binary ``write`` over a text-only stdout (e.g. io.StringIO in tests)."""

    def __init__(self, text: IO[str]):
        self._t = text

    def write(self, b: bytes) -> int:
        self._t.write(b.decode("utf-8"))
        return len(b)

    def flush(self) -> None:
        self._t.flush()

    def close(self) -> None:
        pass

"""Streaming readers and writers for JSONL / CSV / TSV feedback files.

Reading never raises for a bad *row*: every data row becomes exactly one
:class:`InputRecord`, and a row that cannot be used carries an ``error``
string instead of a text. Output written with one record per input record
therefore has the same count and order as the input, malformed rows included.
Whole-input problems (file not found, unknown extension, a CSV header without
the text column) raise :class:`InputFormatError` / ``OSError`` when
:func:`read_records` is called, before any record is read.

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
  a string (``null`` and numbers included).
* CSV: RFC 4180 as read by :mod:`csv` (quoted fields may hold commas, quotes and
  newlines). The first row is the header; row ``n`` is the n-th record after
  it (a quoted multi-line field counts once). Malformed: invalid UTF-8 in the
  row, a different number of columns than the header, a blank row
  (``"empty row"``).
* TSV: tab-separated, *no quoting* (the IANA/database-dump convention: a ``"``
  is an ordinary character, a field cannot hold a tab or newline). A quoted
  TSV written by pandas still reads, but its quotes stay in the text.

Ids: ``fields[id_field]`` when present and not null/empty, else the 1-based
row number. ``"invalid UTF-8 at byte N"`` gives N as the 0-based byte offset
within the row's line (JSONL) or within the row's raw text (CSV/TSV).

Writing (:func:`open_writer`): JSONL lines are ``json.dumps(obj,
ensure_ascii=False)``; CSV cells hold ``""`` for None, ``true``/``false`` for
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
import os
import re
import sys
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Iterator, Mapping, Optional, Sequence

from .result import FIELDS

__all__ = ["InputRecord", "InputFormatError", "RecordReader", "RecordWriter", "read_records", "open_writer",
           "error_record", "record_from_object", "score_records", "detect_format", "ERROR_FIELD", "SCORE_FIELDNAMES"]

#: Name of the column / key that holds the reason a row could not be scored.
ERROR_FIELD = "error"
#: Column order of ``feedback-nlp score`` output: every result field, then ``error``.
SCORE_FIELDNAMES = (*FIELDS, ERROR_FIELD)

_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv"}
_BOM = codecs.BOM_UTF8
# What errors="surrogateescape" makes of undecodable bytes.
_ESCAPED = re.compile("[\udc80-\udcff]")
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


def score_records(analyzer, records: Sequence[InputRecord], batch_size: int = 256, floods=None) -> list[dict]:
    """The output records for ``records``, one each, in order: ``FeedbackResult.to_dict()``
    for a readable record, :func:`error_record` for a malformed one.

    The one place that turns input records into output records: ``feedback-nlp
    score``, the HTTP service and the Spark adapter all call it. ``floods`` is an
    optional :class:`~feedback_nlp.pipeline.FloodMarker` fed with the readable texts.
    """
    good = [r for r in records if r.error is None]
    batch = analyzer.analyze_batch([r.text for r in good], ids=[r.id for r in good],
                                   batch_size=batch_size) if good else []
    if floods is not None and batch:
        floods.mark([r.text for r in good], batch)
    results = iter(batch)
    fields = getattr(analyzer, "output_fields", FIELDS)
    return [next(results).to_dict() if r.error is None else error_record(r, fields) for r in records]


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
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    ext = os.path.splitext(name)[1]
    if ext not in _FORMATS:
        raise InputFormatError(f"cannot tell the format of {path!r} from its extension "
                               f"(use .jsonl, .ndjson, .json, .csv or .tsv, optionally .gz)")
    return _FORMATS[ext]


# --------------------------------------------------------------------------- reading
def _utf8_error(raw: bytes) -> Optional[str]:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"invalid UTF-8 at byte {e.start}"
    return None


def _id_or_row(fields: Mapping, id_field: str, row: int) -> Any:
    v = fields.get(id_field) if id_field else None
    if v is None or v == "":
        return row
    return v


class RecordReader(Iterator[InputRecord]):
    """Iterator of :class:`InputRecord` over an open binary stream; closes it at the end.

    Also a context manager. Built by :func:`read_records`.
    """

    def __init__(self, stream: IO[bytes], fmt: str, text_field: str, id_field: str, close_stream: bool,
                 name: str = "<input>"):
        self.fmt, self.text_field, self.id_field, self.name = fmt, text_field, id_field, name
        self._stream = stream
        self._close_stream = close_stream
        self.header: Optional[list[str]] = None
        if fmt == "jsonl":
            self._it = self._jsonl()
        else:
            self._lines: list[str] = []
            if csv.field_size_limit() < _FIELD_LIMIT:  # process-wide; raising it is harmless
                csv.field_size_limit(_FIELD_LIMIT)
            self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
            self._csv = csv.reader(self._tap(), delimiter="\t" if fmt == "tsv" else ",",
                                   quoting=csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL,
                                   strict=False)
            self._read_header()
            self._it = self._rows()

    # -- iterator protocol --------------------------------------------------------
    def __iter__(self) -> "RecordReader":
        return self

    def __next__(self) -> InputRecord:
        try:
            return next(self._it)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        it = getattr(self, "_it", None)
        if it is not None:
            it.close()
        if self._close_stream:
            try:
                if self.fmt != "jsonl" and hasattr(self, "_text"):
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
    def _jsonl(self) -> Iterator[InputRecord]:
        tf, idf = self.text_field, self.id_field
        for row, raw in enumerate(self._stream, 1):
            if row == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM):]
            raw = raw.rstrip(b"\r\n")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield InputRecord(row, row, None, f"invalid UTF-8 at byte {e.start}")
                continue
            if not line.strip():
                yield InputRecord(row, row, None, "empty line")
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:  # JSONDecodeError, also huge-int errors
                yield InputRecord(row, row, None, f"invalid JSON: {e}")
                continue
            yield record_from_object(obj, row, tf, idf)

    # -- CSV / TSV ------------------------------------------------------------------
    def _tap(self) -> Iterator[str]:
        # Feed csv.reader line by line, remembering the raw lines of the current row
        # (csv.reader never reads ahead of the record it is building).
        for line in self._text:
            self._lines.append(line)
            yield line

    def _read_header(self) -> None:
        try:
            header = next(self._csv)
        except StopIteration:  # empty file: no header, no rows
            self.header = []
            return
        except csv.Error as e:
            raise InputFormatError(f"{self.name}: cannot read the header: {e}") from None
        raw = "".join(self._lines)
        self._lines.clear()
        if _ESCAPED.search(raw):
            raise InputFormatError(f"{self.name}: the header is not valid UTF-8")
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
        row = 0
        while True:
            try:
                values = next(self._csv)
                err = None
            except StopIteration:
                break
            except csv.Error as e:  # e.g. NUL byte, field too large
                values, err = None, f"malformed row: {e}"
            row += 1
            lines = self._lines
            raw = lines[0] if len(lines) == 1 else "".join(lines)
            lines.clear()
            if err is None and _ESCAPED.search(raw):
                err = _utf8_error(raw.encode("utf-8", "surrogateescape")) or "invalid UTF-8"
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
                 fmt: Optional[str] = None) -> RecordReader:
    """Stream the records of ``path`` (a file, or ``"-"`` for stdin) one at a time.

    The file is opened (and a CSV header checked) now, so a missing file raises
    ``FileNotFoundError`` and an unknown format or missing column raises
    :class:`InputFormatError` here; after that, iteration never raises for a
    malformed row (see the module docstring for what counts as malformed).
    Memory stays flat: one row is held at a time.
    """
    f = detect_format(path, fmt)
    if path == "-":
        stream: IO[bytes] = _stdin_bytes()
        close = False
    else:
        if os.path.isdir(path):
            raise InputFormatError(f"{path} is a directory, not an input file")
        stream = gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")
        close = True
        if f == "jsonl" and path.lower().endswith((".json", ".json.gz")):
            head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
            if head.lstrip(_BOM + b" \t\r\n").startswith(b"["):
                stream.close()
                raise InputFormatError(f"{path} looks like a JSON array; records must be JSON Lines "
                                       "(one object per line)")
    try:
        return RecordReader(stream, f, text_field, id_field, close, name=path if path != "-" else "<stdin>")
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
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
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
    """``json.dumps(obj, ensure_ascii=False)`` as UTF-8; with ``ensure_ascii=True`` when ``obj``
    holds a lone surrogate (e.g. from a ``"\\udc80"`` escape in the input), so the bytes stay
    valid UTF-8. One JSONL output line, or one HTTP response body."""
    try:
        return json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True).encode("ascii")


class RecordWriter:
    """Writes dict records as JSONL or CSV; use as a context manager.

    JSONL: one ``json.dumps(record, ensure_ascii=False)`` per line (a record
    holding a lone surrogate, e.g. from a ``"\\udc80"`` escape in the input, is
    written with ``ensure_ascii=True`` so the output stays valid UTF-8).
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

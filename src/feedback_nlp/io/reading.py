"""Rows to :class:`~feedback_nlp.io.records.InputRecord`: the JSONL, CSV and TSV readers, every row one record (a
malformed row with its error). See :mod:`feedback_nlp.io`."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections import deque
from typing import IO, Any, Iterable, Iterator, Mapping, Optional, Sequence

import orjson

from .decoding import (_BOM, _GZIP_ERRORS, _MARKED, MARK_ERRORS, _UTF8, bad_bytes_error, _encoding_label, legacy_hint,
                       _open_bytes, _read_error, resolve_encoding, _sniff)
from .records import InputFormatError, InputRecord, detect_format, _short


_SURROGATE = re.compile("[\ud800-\udfff]")
# A \u escape of a surrogate: only a line holding one (or, decoded from a legacy codec, a surrogate
# itself) can parse to a lone surrogate.
_SURROGATE_ESCAPE = re.compile("\\\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
# Lines with more opening brackets than this skip orjson (3.8 overflows the C stack on
# ~100k levels instead of raising) and go to json, which raises RecursionError.
_MAX_BRACKETS = 500
# csv.field_size_limit default (128 KiB) is too small for a long review plus a JSON
# column; the row stays in memory either way.
_FIELD_LIMIT = 64 * 1024 * 1024


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
        self._first_line: Optional[str] = None
        text_enc = "utf-8-sig" if self.encoding == "utf-8" else self.encoding
        if fmt == "jsonl":
            if self.encoding == "utf-8":
                self._it = self._jsonl(self._stream)
            else:
                self._text = io.TextIOWrapper(stream, encoding=text_enc, errors=MARK_ERRORS, newline="\n")
                self._it = self._jsonl(self._text)
            self._check_text_field()
        else:
            if csv.field_size_limit() < _FIELD_LIMIT:  # process-wide; raising it is harmless
                csv.field_size_limit(_FIELD_LIMIT)
            self._text = io.TextIOWrapper(stream, encoding=text_enc, errors=MARK_ERRORS, newline="")
            self._delimiter = "\t" if fmt == "tsv" else ","
            self._csv = csv_records(self._text, delimiter=self._delimiter,
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
    def _check_text_field(self) -> None:
        """Refuse a text field that none of the first JSON objects has, as a CSV header must name it: a misnamed
        field (``--text-field body``) would otherwise turn every record into an error and exit 0."""
        head: list[InputRecord] = []
        for rec in self._it:
            head.append(rec)
            if len(head) == CHECKED_RECORDS or self.text_field in rec.fields:
                break
        objects = [r.fields for r in head if r.fields]  # the rows read as JSON objects with fields
        first = self._first_line
        if (not objects and head and (head[0].error or "").startswith("invalid JSON") and first is not None
                and self.text_field in (c.strip().strip('"') for c in re.split(r"[,\t]", first))):
            self._it.close()
            raise InputFormatError(f"{self.name}: read as JSONL, but its first line looks like a CSV/TSV header "
                                   f"({_short(first, 60)}): name the format (--input-format csv or tsv)")
        if objects and not any(self.text_field in f for f in objects):
            seen = sorted({str(k) for f in objects for k in f})
            shown = ", ".join(seen[:20]) + (f" … (+{len(seen) - 20} more)" if len(seen) > 20 else "")
            self._it.close()
            raise InputFormatError(f"{self.name}: no field {self.text_field!r} in the first {len(objects)} JSON "
                                   f"object(s) (fields: {shown})")
        self._it = _chained(head, self._it)

    def _jsonl(self, lines: Iterable) -> Iterator[InputRecord]:
        """Rows from binary lines (UTF-8) or text lines (any other codec, decoded with marks)."""
        for row, raw in enumerate(lines, 1):
            if row == 1:  # for the hint of _check_text_field
                head = raw[:2000]
                self._first_line = (head.decode("utf-8", "replace") if isinstance(head, bytes) else head).strip()
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
                yield InputRecord(row, self._error_row_id(values, raw, row), None, err)
                continue
            if not values:
                yield InputRecord(row, row, None, "empty row")
                continue
            if len(values) != n:
                fields = dict(zip(header, values))
                yield InputRecord(row, self._error_row_id(values, raw, row), None,
                                  f"expected {n} columns, got {len(values)}", fields)
                continue
            fields = dict(zip(header, values))
            yield InputRecord(row, _id_or_row(fields, idf, row), fields[tf], None, fields)

    def _error_row_id(self, values: Optional[list], raw: str, row: int) -> Any:
        """The id of a malformed CSV row where it can still be read, so its error record joins back to the input:
        the id column's value when it comes before whatever broke the row (its first line read leniently for an
        unclosed quote or a refused row) and holds no undecodable byte; else the row number."""
        i = self.header.index(self.id_field) if self.id_field in self.header else -1
        if i < 0:
            return row
        if values is None:
            try:
                values = next(csv.reader([raw.split("\n", 1)[0].rstrip("\r")], delimiter=self._delimiter,
                                         strict=False))
            except (csv.Error, StopIteration):
                return row
            if len(values) <= i + 1:  # the id column must be followed by a column read whole
                return row
        if i >= len(values) or _MARKED.search(values[i]) or '"' in values[i]:
            return row
        return _id_or_row({self.id_field: values[i]}, self.id_field, row)


#: How many JSONL records :meth:`RecordReader._check_text_field` reads for one that has the text field.
CHECKED_RECORDS = 100


def _chained(head: list, rest: Iterator) -> Iterator:
    """The records read ahead, then the rest (a generator, so closing it closes ``rest`` too)."""
    yield from head
    yield from rest


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
    if isinstance(v, (list, tuple)) or type(v).__name__ == "ndarray":  # Spark hands an array column as ndarray
        return "array"
    return "object"


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

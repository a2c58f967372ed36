"""Output files: one JSONL line or CSV / TSV row per record, optionally gzip-compressed or with a byte order mark, or
stdout. See :mod:`feedback_nlp.io`."""

from __future__ import annotations

import csv
import gzip
import json
import sys
from typing import IO, Any, Iterable, Mapping, Optional, Sequence

import orjson

from .decoding import _BOM
from .records import InputFormatError, detect_format


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

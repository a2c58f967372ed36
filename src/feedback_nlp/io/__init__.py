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

Modules
-------
:mod:`~feedback_nlp.io.records` (input records, output records, formats), :mod:`~feedback_nlp.io.decoding` (bytes
to text), :mod:`~feedback_nlp.io.reading` (rows to records), :mod:`~feedback_nlp.io.writing` (output files); every
name below is importable from ``feedback_nlp.io``.
"""
from __future__ import annotations

from .decoding import (DETECT_BYTES, MARK_ERRORS, bad_bytes_error, detect_encoding, legacy_hint, open_text,
                       resolve_encoding)
from .reading import (UNCLOSED_QUOTE_ERROR, RecordReader, csv_records, read_records, record_from_object,
                      replace_lone_surrogates)
from .records import (CHANNEL_FIELD, ERROR_FIELD, MAX_LISTED_ROWS, SCORE_FIELDNAMES, InputFormatError, InputRecord,
                      ReadTally, detect_format, error_record, output_records, readable_inputs, record_channel,
                      score_records)
from .writing import RecordWriter, json_bytes, open_writer

__all__ = ["InputRecord", "InputFormatError", "RecordReader", "RecordWriter", "read_records", "open_writer",
           "open_text", "error_record", "record_from_object", "score_records", "output_records", "detect_format",
           "detect_encoding", "resolve_encoding", "bad_bytes_error", "legacy_hint", "json_bytes", "ReadTally",
           "ERROR_FIELD", "CHANNEL_FIELD", "SCORE_FIELDNAMES", "DETECT_BYTES", "MARK_ERRORS",
           "replace_lone_surrogates", "readable_inputs", "record_channel", "csv_records", "UNCLOSED_QUOTE_ERROR",
           "MAX_LISTED_ROWS"]

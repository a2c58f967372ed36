"""From bytes to text: the encoding (``"auto"`` detection, codec names), marks of undecodable bytes, byte order
marks, gzip and stdin streams. See :mod:`feedback_nlp.io`."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import re
import sys
import zlib
from typing import IO, Optional

from .records import InputFormatError, _short


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
_UTF8 = ("utf-8", "utf-8-sig")


def _mark_bad_bytes(e: UnicodeError):
    if isinstance(e, UnicodeDecodeError):
        return "".join(chr(0xDC00 + b) for b in e.object[e.start:e.end]), e.end
    raise e


codecs.register_error(MARK_ERRORS, _mark_bad_bytes)


_GB = {"gb2312", "gbk", "gb18030", "hz", "cp936"}
_BIG5 = {"big5", "big5hkscs", "cp950"}
# Tried in order for a Big5-family detection: Excel in Taiwan writes CP950; Hong Kong
# characters (HKSCS) need big5hkscs.
_BIG5_CHOICES = ("cp950", "big5hkscs")
_UNICODE = {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii"}
#: Other encodings a detection may return: Western (English tickets with accents), Japanese and Korean exports.
#: Anything else (a few junk bytes "detected" as Urdu cp1006) is read as UTF-8, so the bytes become error rows.
_OTHER_PLAUSIBLE = {"cp1252", "iso8859-1", "iso8859-15", "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949"}


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
    if name == "ascii" or (name is not None and name not in _UNICODE | _OTHER_PLAUSIBLE):
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
    the error record then says which encoding to name. No hint for UTF-8 text with a stray byte or two (its Chinese
    reads as UTF-8): naming a legacy encoding would garble the file's good rows."""
    as_utf8 = raw.decode("utf-8", "replace")
    n_bad, n_cjk = as_utf8.count("\ufffd"), len(_CJK.findall(as_utf8))
    if n_cjk >= 2 and n_bad <= max(2, n_cjk // 10):
        return ""
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

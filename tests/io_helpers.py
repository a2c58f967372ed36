"""Small input files for the feedback_nlp.io tests."""
from __future__ import annotations

import io
import json


def write_bytes(tmp_path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def jl(*objs) -> bytes:
    """JSON Lines bytes, one object per line, UTF-8."""
    return b"".join(json.dumps(o, ensure_ascii=False).encode("utf-8") + b"\n" for o in objs)


class FakeStdin:
    """A stdin whose bytes come from ``raw``."""

    def __init__(self, raw):
        self.buffer = io.BufferedReader(raw)

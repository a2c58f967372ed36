"""What the feedback_nlp.cli tests share: a tiny model, main() run with byte stdin / stdout, small readers."""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

import feedback_nlp
from feedback_nlp import FeedbackAnalyzer
from feedback_nlp.cli import main
from tiny_model import build_tiny_model

SRC = str(Path(feedback_nlp.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> str:
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "m"))


@pytest.fixture(scope="module")
def analyzer(model_dir) -> FeedbackAnalyzer:
    return FeedbackAnalyzer.load(model_dir)


class TTY(io.StringIO):
    def isatty(self):
        return True


def run(monkeypatch, argv, stdin: bytes = b"", stderr=None):
    """Run main() with byte stdin/stdout; return (exit code, stdout bytes, stderr text)."""
    out = io.BytesIO()
    err = stderr if stderr is not None else io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", err)
    rc = main(list(argv))
    stdout.flush()
    return rc, out.getvalue(), err.getvalue()


def lines(data: bytes) -> list[dict]:
    return [json.loads(x) for x in data.decode("utf-8").splitlines()]


def scored_fields(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "id"}


def assert_one_line_error(rc, stderr, needle):
    assert rc == 2
    assert stderr.startswith("feedback-nlp: error: ") and needle in stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr


def timed_feedback(path: Path) -> Path:
    """120 dated complaints about six problems (``created_at`` over 20 days)."""
    texts = ["快递太慢了，等了一周才到", "物流太慢，五天还没送到", "充电器插上就发烫，不敢用", "充电器用一会就很烫",
             "客服不回消息，态度差", "退款一直不到账，电话13812345678"]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(120):
            f.write(json.dumps({"id": i, "text": texts[i % len(texts)] + "！" * (i % 3),
                                "created_at": f"2026-10-{1 + i % 20:02d}"}, ensure_ascii=False) + "\n")
    return path

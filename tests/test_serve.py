"""feedback_nlp.serve: a real uvicorn server on a free loopback port, driven over HTTP.

The records must equal what ``feedback-nlp score`` writes for the same input, so
each comparison runs the CLI in the test on the same records.
"""
from __future__ import annotations

import builtins
import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("fastapi", reason="the [serve] extra (fastapi) is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="the [serve] extra (uvicorn) is not installed")

from conftest import CRITICAL_TEXT, NEVER_CRITICAL_REVIEWS  # noqa: E402
from feedback_nlp import serve  # noqa: E402
from feedback_nlp.cli import main  # noqa: E402
from feedback_nlp.io import SCORE_FIELDNAMES  # noqa: E402

MAX_RECORDS = 40
MAX_BYTES = 120_000

# One of each kind a client may send: ids of several types, missing/null ids, and
# texts that are empty, blank, emoji-only, English, long, or not strings at all.
RECORDS = [
    {"id": "a1", "text": "快递十天都没到，客服也不回消息，什么垃圾平台"},
    {"id": 7, "text": "质量很好，物流也快，下次还来买"},
    {"text": "加微信领优惠券，代购正品低价"},  # no id: the position
    {"id": None, "text": "付款扣了两次钱，订单还显示未支付"},
    {"id": "empty", "text": ""},
    {"id": "blank", "text": "  \t\n "},
    {"id": "emoji", "text": "😡😡😡👎"},
    {"id": "en", "text": "The parcel never arrived and support does not answer."},
    {"id": "long", "text": "吃了以后上吐下泻，已经投诉到12315。" * 1500},  # 30,000 characters
    {"id": "null", "text": None},
    {"id": "num", "text": 12345},
    {"id": "nested", "text": {"body": "好"}},
    {"id": "list", "text": ["好"]},
    {"id": "notext", "body": "好"},
    42,
    ["not", "an", "object"],
]


def _wait_port(log_lines: list[str], proc: subprocess.Popen, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(log_lines):
            m = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            if m:
                return int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("server did not start:\n" + "".join(log_lines))


@contextlib.contextmanager
def serving(app):
    """uvicorn serving ``app`` in a thread, on a socket bound to 127.0.0.1:0; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    t = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 30
        while not srv.started:
            assert time.monotonic() < deadline and t.is_alive(), "server did not start"
            time.sleep(0.02)
        yield sock.getsockname()[1]
    finally:
        srv.should_exit = True
        t.join(10)
        sock.close()


@pytest.fixture(scope="module")
def server():
    """The app on the shipped model, with small limits."""
    from feedback_nlp import FeedbackAnalyzer

    with serving(serve.create_app(FeedbackAnalyzer.load(), max_records=MAX_RECORDS, max_bytes=MAX_BYTES)) as port:
        yield port


def request(port: int, method: str, path: str, body=None, headers=None):
    """(status, parsed JSON or text) over a fresh HTTP/1.1 connection to loopback."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    ctype = resp.getheader("content-type", "")
    return resp.status, (json.loads(data) if "json" in ctype else data.decode("utf-8"))


def cli_score(tmp_path, monkeypatch, objs) -> list[dict]:
    """What ``feedback-nlp score`` writes for these JSON values, one per JSONL line."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"".join(json.dumps(o).encode("ascii") + b"\n" for o in objs))  # \u escapes: lone surrogates too
    monkeypatch.setattr(sys, "stderr", open(os.devnull, "w"))
    assert main(["score", str(src), "-o", str(out), "-q"]) == 0
    return [json.loads(x) for x in out.read_text("utf-8").splitlines()]


def same_records(got: list[dict], want: list[dict]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert list(g) == list(w)  # same keys in the same order
        assert g == w


def test_records_equal_cli_score(server, tmp_path, monkeypatch):
    status, body = request(server, "POST", "/v1/analyze", {"records": RECORDS})
    assert status == 200, body
    got = body["results"]
    same_records(got, cli_score(tmp_path, monkeypatch, RECORDS))
    assert [r["id"] for r in got[:4]] == ["a1", 7, 3, 4]  # ids kept; missing/null id = position
    errors = {r["id"]: r["error"] for r in got if "error" in r}
    assert errors == {"null": "text field must be a string, got null",
                      "num": "text field must be a string, got number",
                      "nested": "text field must be a string, got object",
                      "list": "text field must be a string, got array",
                      "notext": "missing text field 'text'",
                      15: "expected a JSON object, got number",
                      16: "expected a JSON object, got array"}
    assert list(got[0]) == [f for f in SCORE_FIELDNAMES if f != "error"]
    assert got[0]["issue_types"] and got[0]["route"]["team"]


def test_texts_equal_cli_score_in_order(server, tmp_path, monkeypatch):
    texts = [r.get("text") if isinstance(r, dict) else r for r in RECORDS]
    status, body = request(server, "POST", "/v1/analyze", {"texts": texts})
    assert status == 200, body
    same_records(body["results"], cli_score(tmp_path, monkeypatch, [{"text": t} for t in texts]))
    assert [r["id"] for r in body["results"]] == list(range(1, len(texts) + 1))


def test_order_is_kept_when_reversed(server):
    texts = ["质量很好，物流也快", "快递十天都没到", "😡"]
    _, a = request(server, "POST", "/v1/analyze", {"texts": texts})
    _, b = request(server, "POST", "/v1/analyze", {"records": [{"id": t, "text": t} for t in reversed(texts)]})
    strip = [{k: v for k, v in r.items() if k != "id"} for r in a["results"]]
    assert [{k: v for k, v in r.items() if k != "id"} for r in b["results"]] == strip[::-1]
    assert [r["id"] for r in b["results"]] == texts[::-1]


def test_lone_surrogate_and_big_int_ids(server, tmp_path, monkeypatch):
    raw = b'{"records": [{"id": "\\udc80", "text": "\\ud800\xe5\xa5\xbd"}, {"id": 123456789012345678901234567890, "text": "x"}]}'
    status, body = request(server, "POST", "/v1/analyze", raw)
    assert status == 200, body
    same_records(body["results"], cli_score(tmp_path, monkeypatch, json.loads(raw)["records"]))
    # a lone surrogate reads as U+FFFD, as in a JSONL file: no UTF-8 writer could write it
    assert [r["id"] for r in body["results"]] == ["\ufffd", 123456789012345678901234567890]


def test_empty_list_gives_no_results(server):
    assert request(server, "POST", "/v1/analyze", {"texts": []}) == (200, {"results": []})


def test_too_many_records_413(server):
    status, body = request(server, "POST", "/v1/analyze", {"texts": ["好"] * (MAX_RECORDS + 1)})
    assert status == 413
    assert f"{MAX_RECORDS}" in body["detail"] and "records" in body["detail"]
    assert request(server, "POST", "/v1/analyze", {"texts": ["好"] * MAX_RECORDS})[0] == 200


def test_too_many_bytes_413_by_content_length(server):
    raw = json.dumps({"texts": ["好" * (MAX_BYTES // 3 + 10)]}, ensure_ascii=False).encode("utf-8")
    status, body = request(server, "POST", "/v1/analyze", raw)
    assert status == 413
    # refused on the header, before reading: the message gives the declared size and the limit
    assert f"{len(raw):,} bytes" in body["detail"] and f"{MAX_BYTES:,}" in body["detail"]


def test_too_many_bytes_413_by_actual_size(server):
    # Chunked transfer: no Content-Length, so only the bytes read can tell.
    chunk = b'"' + "好".encode() * 10_000 + b'",'
    parts = [b'{"texts": ['] + [chunk] * (MAX_BYTES // len(chunk) + 2) + [b'"x"]}']
    status, body = request(server, "POST", "/v1/analyze", iter(parts))
    assert status == 413 and "bytes" in body["detail"]
    small = [b'{"texts": [', chunk, b'"x"]}']
    status, body = request(server, "POST", "/v1/analyze", iter(small))
    assert status == 200 and len(body["results"]) == 2


def test_a_client_that_goes_away_mid_body_is_not_an_error(server):
    # each such disconnect had logged "ERROR: Exception in ASGI application" and a 60-line traceback
    import logging

    seen = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = seen.append
    logger = logging.getLogger("uvicorn.error")  # uvicorn's own handlers do not propagate
    logger.addHandler(handler)
    try:
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", server))
            s.sendall(b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000\r\n\r\n" + b'{"texts": ["')
            time.sleep(0.2)
            s.close()
        time.sleep(0.5)
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in seen] == []
    status, body = request(server, "POST", "/v1/analyze", json.dumps({"texts": ["好"]}).encode())
    assert status == 200 and len(body["results"]) == 1


@pytest.mark.parametrize("raw,needle", [
    (b'{"texts": ["unterminated', "malformed JSON"),
    (b"", "malformed JSON"),
    (b'{"texts": ["\xff\xfe"]}', "malformed JSON"),
    (b'{"texts": [NaN]}', "NaN"),
    (b'{"records": [{"id": 1e999, "text": "x"}]}', "out of range"),
])
def test_malformed_json_400(server, raw, needle):
    status, body = request(server, "POST", "/v1/analyze", raw, {"Content-Type": "application/json"})
    assert status == 400
    assert needle in body["detail"]


@pytest.mark.parametrize("obj,loc,needle", [
    (["好"], ["body"], "dictionary"),
    ({"texts": "好"}, ["body", "texts"], "list"),
    ({"records": {"id": 1, "text": "好"}}, ["body", "records"], "list"),
    ({}, ["body"], '"texts" or "records"'),
    ({"texts": ["好"], "records": []}, ["body"], '"texts" or "records"'),
    ({"text": ["好"]}, ["body", "text"], "Extra inputs"),
])
def test_wrong_shape_422_names_the_problem(server, obj, loc, needle):
    status, body = request(server, "POST", "/v1/analyze", obj)
    assert status == 422
    assert any(d["loc"] == loc and needle in d["msg"] for d in body["detail"]), body


def test_healthz_names_the_model(server, analyzer):
    status, body = request(server, "GET", "/healthz")
    assert status == 200 and body["status"] == "ok"
    card = analyzer.task_models["spam"].card
    assert (body["model"]["name"], body["model"]["version"]) == (card["name"], card["version"])
    assert body["max_records"] == MAX_RECORDS and body["max_bytes"] == MAX_BYTES


def test_docs_and_openapi(server):
    status, spec = request(server, "GET", "/openapi.json")
    assert status == 200
    post = spec["paths"]["/v1/analyze"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"texts", "records"}
    assert {"200", "400", "413", "422"} <= set(post["responses"])
    assert "/healthz" in spec["paths"]
    status, html = request(server, "GET", "/docs")
    assert status == 200 and "swagger" in html.lower()


def test_a_records_channel_picks_its_operating_points():
    from feedback_nlp import FeedbackAnalyzer

    fa = FeedbackAnalyzer.load(thresholds=NEVER_CRITICAL_REVIEWS)
    text = CRITICAL_TEXT
    with serving(serve.create_app(fa)) as port:
        status, body = request(port, "POST", "/v1/analyze", {"records": [
            {"id": 1, "text": text, "channel": "order_review"}, {"id": 2, "text": text}]})
    assert status == 200 and [r["severity"] for r in body["results"]] == ["high", "critical"]


def test_analysis_does_not_block_the_event_loop():
    """While one request is being analysed, /healthz still answers (analysis runs in the thread pool)."""
    from feedback_nlp.result import FeedbackResult

    release = threading.Event()

    class SlowAnalyzer:
        task_models: dict = {}

        def analyze_batch(self, texts, ids=None, batch_size=256, channels=None):
            release.wait(20)
            return [FeedbackResult(id=i) for i in ids]

    with serving(serve.create_app(SlowAnalyzer())) as port:
        pending: dict = {}
        t = threading.Thread(target=lambda: pending.update(r=request(port, "POST", "/v1/analyze", {"texts": ["好"]})))
        t.start()
        try:
            time.sleep(0.3)  # the POST is now inside analyze_batch
            assert t.is_alive()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            assert conn.getresponse().status == 200  # times out if the loop is blocked
            conn.close()
        finally:
            release.set()
            t.join(20)
        assert pending["r"][0] == 200 and pending["r"][1]["results"][0]["id"] == 1


def test_missing_extra_is_one_line(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_fastapi(name, *args, **kwargs):
        if name.split(".")[0] in ("fastapi", "uvicorn"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_fastapi)
    with pytest.raises(ImportError, match=re.escape(serve.EXTRA_MESSAGE)):
        serve.create_app()
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err == f"feedback-nlp: error: {serve.EXTRA_MESSAGE}\n"


def test_cli_serve_with_two_workers(tmp_path, monkeypatch):
    """`feedback-nlp serve --workers 2` in a subprocess: both shapes answer like in-process."""
    proc = subprocess.Popen([sys.executable, "-m", "feedback_nlp", "serve", "--port", "0", "--workers", "2",
                             "--max-records", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        port = _wait_port(lines, proc)
        deadline = time.monotonic() + 60
        while True:  # the workers load the model after the socket is bound
            try:
                status, body = request(port, "GET", "/healthz")
                break
            except (ConnectionError, http.client.HTTPException):
                assert time.monotonic() < deadline, "".join(lines)
                time.sleep(0.1)
        assert status == 200 and body["max_records"] == 5
        objs = RECORDS[:3] + [RECORDS[9]]
        status, body = request(port, "POST", "/v1/analyze", {"records": objs})
        assert status == 200
        same_records(body["results"], cli_score(tmp_path, monkeypatch, objs))
        assert request(port, "POST", "/v1/analyze", {"texts": ["好"] * 6})[0] == 413
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

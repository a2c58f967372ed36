"""feedback_nlp.review.client and ``feedback-nlp review push / pull`` against a Label Studio stand-in.

The stand-in (a local HTTP server written here) answers the three endpoints the client calls the
way Label Studio's API documents them: ``POST /api/token/refresh``, ``POST /api/projects/{id}/import``
and ``GET /api/projects/{id}/export?exportType=JSON``. The opt-in real round trip in
``tests/test_review.py`` (``--runslow``) drives a real server.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feedback_nlp.cli import main
from feedback_nlp.review import LabelStudioClient, LabelStudioError
import review_fixtures
from review_fixtures import REVIEWED, _run_export, simulate_reviewers

feedback_file = review_fixtures.feedback_file  # the ten feedback texts the review tests share

LEGACY = "0123456789abcdef0123456789abcdef01234567"
PAT = "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl"
PROJECT = 7


class FakeLabelStudio(BaseHTTPRequestHandler):
    """One project (id 7); tasks kept in ``server.tasks``, exported through ``server.annotate`` (the
    reviewers); every request logged in ``server.log``."""

    def _send(self, code: int, body) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _authorised(self) -> bool:
        ok = self.headers.get("Authorization") in (f"Token {LEGACY}", "Bearer access-123")
        if not ok:
            self._send(401, {"detail": "Invalid token."})
        return ok

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.log.append(("POST", self.path, self.headers.get("Authorization"), body))
        if self.path == "/api/token/refresh":
            return self._send(200, {"access": "access-123"}) if body == {"refresh": PAT} else \
                self._send(401, {"detail": "Token is invalid or expired"})
        if not self._authorised():
            return None
        if self.path != f"/api/projects/{PROJECT}/import":
            return self._send(404, {"detail": "Not found."})
        if any("text" not in t.get("data", {}) for t in body):
            return self._send(400, {"validation_errors": {"non_field_errors": ["data needs 'text'"]}})
        self.server.tasks.extend(body)
        return self._send(201, {"task_count": len(body), "annotation_count": 0, "prediction_count": len(body)})

    def do_GET(self):  # noqa: N802
        self.server.log.append(("GET", self.path, self.headers.get("Authorization"), None))
        if not self._authorised():
            return None
        if not self.path.startswith(f"/api/projects/{PROJECT}/export?exportType=JSON"):
            return self._send(404, {"detail": "Not found."})
        return self._send(200, self.server.annotate(self.server.tasks))

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture()
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeLabelStudio)
    srv.tasks, srv.log, srv.annotate = [], [], list
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    yield srv
    srv.shutdown()
    srv.server_close()


def _tasks(n):
    return [{"data": {"text": f"第{i}条", "id": i}} for i in range(n)]


def test_legacy_token_and_batches(server):
    client = LabelStudioClient(server.url + "/", LEGACY)
    assert client.import_tasks(PROJECT, iter(_tasks(5)), batch_size=2) == 5
    assert [len(body) for _, _, _, body in server.log] == [2, 2, 1]
    assert {auth for _, _, auth, _ in server.log} == {f"Token {LEGACY}"}
    assert [t["data"]["id"] for t in server.tasks] == list(range(5))  # order kept across batches


def test_personal_access_token_is_exchanged_once(server):
    client = LabelStudioClient(server.url, PAT)
    client.import_tasks(PROJECT, _tasks(3), batch_size=2)
    client.export_tasks(PROJECT)
    paths = [(m, p.split("?")[0], a) for m, p, a, _ in server.log]
    assert paths == [("POST", "/api/token/refresh", None), ("POST", "/api/projects/7/import", "Bearer access-123"),
                     ("POST", "/api/projects/7/import", "Bearer access-123"),
                     ("GET", "/api/projects/7/export", "Bearer access-123")]


@pytest.mark.parametrize("make, call, msg", [
    (lambda url: LabelStudioClient(url, "wrong"), lambda c: c.import_tasks(PROJECT, _tasks(1)),
     r"HTTP 401 \(check the token\)"),
    (lambda url: LabelStudioClient(url, LEGACY), lambda c: c.export_tasks(99), r"HTTP 404 \(check the project id\)"),
    (lambda url: LabelStudioClient(url, LEGACY), lambda c: c.import_tasks(PROJECT, [{"data": {"body": "x"}}]),
     "HTTP 400: .*data needs 'text'"),
    (lambda url: LabelStudioClient("http://127.0.0.1:9", LEGACY), lambda c: c.export_tasks(PROJECT),
     "cannot reach Label Studio at http://127.0.0.1:9"),
])
def test_failures_are_one_clear_error(server, make, call, msg):
    with pytest.raises(LabelStudioError, match=msg):
        call(make(server.url))


def test_bad_url_or_missing_token():
    with pytest.raises(LabelStudioError, match="must start with http"):
        LabelStudioClient("localhost:8080", LEGACY)
    with pytest.raises(LabelStudioError, match="no Label Studio API token"):
        LabelStudioClient("http://localhost:8080", "")


def test_push_sends_what_export_writes_and_pull_imports_the_labels(server, tmp_path, capsys, feedback_file,
                                                                    monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", LEGACY)
    exported, _ = _run_export(tmp_path, capsys, feedback_file)
    assert main(["review", "push", str(feedback_file), "--url", server.url, "--project", str(PROJECT)]) == 0
    assert f"sent 10 tasks from 10 records to project 7 at {server.url}" in capsys.readouterr().err
    assert server.tasks == exported  # the same tasks as the file 'review export' writes

    server.annotate = simulate_reviewers
    labels = tmp_path / "labels.jsonl"
    assert main(["review", "pull", "--url", server.url, "--project", str(PROJECT), "-o", str(labels)]) == 0
    assert "imported 9 records from 10 tasks" in capsys.readouterr().err
    recs = [json.loads(x) for x in labels.read_text(encoding="utf-8").splitlines()]
    assert {r["id"]: r["issue_types"] for r in recs} == REVIEWED


def test_push_and_pull_need_a_url_and_a_token(server, tmp_path, capsys, feedback_file, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    out = str(tmp_path / "x.jsonl")
    assert main(["review", "pull", "--url", server.url, "--project", "7", "-o", out]) == 2
    assert "no API token: set LABEL_STUDIO_API_KEY" in capsys.readouterr().err
    monkeypatch.setenv("MY_LS_TOKEN", "wrong")
    assert main(["review", "push", str(feedback_file), "--url", server.url, "--project", "7",
                 "--token-env", "MY_LS_TOKEN"]) == 2
    assert "HTTP 401 (check the token)" in capsys.readouterr().err
    assert main(["review", "pull", "--project", "7", "-o", out, "--token-env", "MY_LS_TOKEN"]) == 2
    assert "no Label Studio URL: pass --url or set LABEL_STUDIO_URL" in capsys.readouterr().err

"""The review loop end to end: export, (simulated or real) reviewers in Label Studio, import, train."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from feedback_nlp.cli import main
from feedback_nlp.review import import_annotations, label_config_xml
from feedback_nlp.tasks import ISSUE_TYPES

import review_fixtures
from review_fixtures import EXTRA, REVIEWED, _run_export, simulate_reviewers

feedback_file = review_fixtures.feedback_file

def test_round_trip_export_annotate_import_train(tmp_path, capsys, feedback_file):
    pytest.importorskip("sklearn")
    tasks, _ = _run_export(tmp_path, capsys, feedback_file)
    export = tmp_path / "ls_export.json"
    export.write_text(json.dumps(simulate_reviewers(tasks), ensure_ascii=False), encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    assert main(["review", "import", str(export), "-o", str(labels)]) == 0
    assert "1 skipped (every annotation cancelled): tasks 3" in capsys.readouterr().err
    recs = [json.loads(x) for x in labels.read_text(encoding="utf-8").splitlines()]
    assert {r["id"]: r["issue_types"] for r in recs} == REVIEWED
    # Extra labelled tickets so every issue type used has two examples, as train requires.
    with open(labels, "a", encoding="utf-8") as f:
        for i, t, issues in EXTRA:
            f.write(json.dumps(dict(recs[0], id=i, text=t, issue_types=issues), ensure_ascii=False) + "\n")
    out = tmp_path / "model"
    assert main(["train", "--task", "issue_types", "--data", str(labels), "-o", str(out)]) == 0
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["tasks"]["issue_types"]["labels"] == ISSUE_TYPES
    assert card["training_data"]["n_texts"] == len(recs) + len(EXTRA)


# ----------------------------------------------------------------------------- real Label Studio (slow)
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _label_studio_bin() -> str:
    exe = os.environ.get("LABEL_STUDIO_BIN") or shutil.which("label-studio")
    if not exe or not os.access(exe, os.X_OK):
        pytest.skip("needs the label-studio package: install it in its own venv "
                    "(python3 -m venv /tmp/venv-ls && /tmp/venv-ls/bin/pip install label-studio) and set "
                    "LABEL_STUDIO_BIN=/tmp/venv-ls/bin/label-studio")
    return exe


@contextmanager
def _running_label_studio(tmp_path):
    """``(url, token, env)`` of a Label Studio started on loopback for one test (legacy API token)."""
    exe = _label_studio_bin()
    port, token = _free_port(), "feedbacknlptesttoken0123456789"
    env = dict(os.environ, LABEL_STUDIO_USERNAME="review@example.com", LABEL_STUDIO_PASSWORD="review-test-pw-1",
               LABEL_STUDIO_USER_TOKEN=token, LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
               LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true", SENTRY_DSN="", FRONTEND_SENTRY_DSN="",
               COLLECT_ANALYTICS="false", LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED="false")
    env.pop("PYTHONPATH", None)
    log = open(tmp_path / "ls.log", "w")
    server = subprocess.Popen([exe, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
                               "--data-dir", str(tmp_path / "ls-data"), "--enable-legacy-api-token"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}", token, env
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
        log.close()


@pytest.mark.slow
def test_real_label_studio_round_trip(tmp_path, capsys, feedback_file):
    """Start Label Studio on loopback, create a project with our config, import the tasks with
    predictions, annotate two through the API, export, and import the export with our code.

    The SDK is driven with the venv's own Python (label-studio-sdk pins httpx/pydantic versions
    that need not match ours), through ``tests/ls_roundtrip.py``.
    """
    py = str(Path(_label_studio_bin()).with_name("python"))
    tasks, _ = _run_export(tmp_path, capsys, feedback_file)
    with _running_label_studio(tmp_path) as (url, token, env):
        script = Path(__file__).with_name("ls_roundtrip.py")
        p = subprocess.run([py, str(script), url, token, str(tmp_path / "tasks.json"),
                            str(tmp_path / "tasks.label_config.xml"), str(tmp_path / "ls_export.json")],
                           env=env, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:] + (tmp_path / "ls.log").read_text()[-3000:]
    back = json.loads(p.stdout.strip().splitlines()[-1])
    # Every task and every prediction survived the trip.
    assert back["n_tasks"] == len(tasks)
    assert back["data"] == [t["data"] for t in tasks]
    assert back["predictions"] == [[{k: i[k] for k in ("from_name", "to_name", "type", "value")}
                                    for i in t["predictions"][0]["result"]] for t in tasks]
    assert back["model_versions"] == [t["predictions"][0]["model_version"] for t in tasks]
    assert back["scores"] == pytest.approx([t["predictions"][0]["score"] for t in tasks])
    # Label Studio's own export, read by our import: two annotated (one skipped), the rest reported.
    res = import_annotations(json.loads((tmp_path / "ls_export.json").read_text(encoding="utf-8")))
    assert [r["id"] for r in res.records] == [tasks[0]["data"]["id"]]
    assert res.records[0]["problem"] == "快递太慢"
    assert len(res.summary.skipped) == 1 and len(res.summary.unannotated) == len(tasks) - 2


def _ls_api(url: str, token: str, method: str, path: str, body=None):
    import urllib.request

    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


@pytest.mark.slow
def test_real_label_studio_push_and_pull(tmp_path, capsys, feedback_file, monkeypatch):
    """``review push`` into a real project, one annotation made through the API, ``review pull`` back."""
    import urllib.request

    tasks, _ = _run_export(tmp_path, capsys, feedback_file)
    with _running_label_studio(tmp_path) as (url, token, env):
        for _ in range(240):  # startup: migrations on a fresh data dir
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5):
                    break
            except OSError:
                time.sleep(1)
        project = _ls_api(url, token, "POST", "/api/projects",
                          {"title": "push/pull", "label_config": label_config_xml()})
        monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
        assert main(["review", "push", str(feedback_file), "--url", url, "--project", str(project["id"])]) == 0
        assert f"sent {len(tasks)} tasks" in capsys.readouterr().err
        listed = _ls_api(url, token, "GET", f"/api/tasks?project={project['id']}&page_size=100&fields=all")
        listed = sorted(listed["tasks"] if isinstance(listed, dict) else listed, key=lambda t: t["id"])
        assert [t["data"] for t in listed] == [t["data"] for t in tasks]
        first = listed[0]
        result = [dict(i, origin="prediction") for i in tasks[0]["predictions"][0]["result"]]
        _ls_api(url, token, "POST", f"/api/tasks/{first['id']}/annotations",
                {"result": result, "was_cancelled": False, "lead_time": 2.0})
        labels = tmp_path / "labels.jsonl"
        assert main(["review", "pull", "--url", url, "--project", str(project["id"]), "-o", str(labels)]) == 0
        assert f"imported 1 records from {len(tasks)} tasks" in capsys.readouterr().err
    recs = [json.loads(x) for x in labels.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in recs] == [tasks[0]["data"]["id"]] and recs[0]["text"] == tasks[0]["data"]["text"]


"""Drive a running Label Studio through label-studio-sdk (run by test_review.py with Label Studio's venv Python).

usage: ls_roundtrip.py URL TOKEN TASKS.json CONFIG.xml EXPORT_OUT.json

Waits for the server (bounded), creates a project with CONFIG, imports TASKS (with predictions),
reads every task back, annotates the first task (accepting its predictions, adding a problem
name) and skips the second, writes Label Studio's own JSON export to EXPORT_OUT, and prints
one JSON line: what came back (data, prediction results, model versions, scores).
Uses only the SDK and the standard library: it does not import feedback_nlp.
"""
from __future__ import annotations

import json
import sys
import time
import urllib.request

STARTUP_TIMEOUT_S = 240


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"Label Studio did not answer {url}/health within {STARTUP_TIMEOUT_S} s")
        time.sleep(1)


def main(url: str, token: str, tasks_path: str, config_path: str, export_path: str) -> None:
    from label_studio_sdk import LabelStudio

    wait_until_up(url)
    tasks = json.load(open(tasks_path, encoding="utf-8"))
    config = open(config_path, encoding="utf-8").read()
    ls = LabelStudio(base_url=url, api_key=token)
    project = ls.projects.create(title="feedback-nlp review round trip", label_config=config)
    ls.projects.import_tasks(id=project.id, request=tasks, return_task_ids=True)
    back = sorted(ls.tasks.list(project=project.id, fields="all", page_size=1000), key=lambda t: t.id)
    preds = []
    for t in back:
        p = (t.predictions or [None])[0]
        p = p if isinstance(p, dict) else p.dict()
        preds.append(p)
    first, second = back[0], back[1]
    accepted = [dict(i, origin="prediction") for i in preds[0]["result"]]
    accepted.append({"from_name": "problem", "to_name": "text", "type": "textarea", "value": {"text": ["快递太慢"]}})
    ls.annotations.create(id=first.id, result=accepted, was_cancelled=False, lead_time=3.0)
    ls.annotations.create(id=second.id, result=[], was_cancelled=True)
    with open(export_path, "wb") as f:
        for chunk in ls.projects.exports.download_sync(project.id, export_type="JSON", download_all_tasks=True):
            f.write(chunk)
    print(json.dumps({
        "n_tasks": len(back),
        "data": [t.data for t in back],
        "predictions": [[{k: i[k] for k in ("from_name", "to_name", "type", "value")} for i in p["result"]]
                        for p in preds],
        "model_versions": [p.get("model_version") for p in preds],
        "scores": [p.get("score") for p in preds],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(*sys.argv[1:6])

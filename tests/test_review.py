"""feedback_nlp.review and ``feedback-nlp review``: Label Studio tasks, labelling config, export import.

Fixtures are written here; the Label Studio export fixture has the shape Label Studio
1.23.2 writes (keys copied from a real export made by the slow round trip test below).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path

import pytest

from feedback_nlp.cli import main
from feedback_nlp.text import normalize
from feedback_nlp.review import (CONTROLS, LabelConfig, LabelConfigError, TaskExporter, import_annotations,
                                 label_config_xml, prediction_result)
from feedback_nlp.tasks import (ISSUE_TYPE_NAMES, ISSUE_TYPES, SENTIMENTS, SEVERITIES, SEVERITY_NAMES, SPAM_TYPE_NAMES,
                                SPAM_TYPES)

FEEDBACK = [
    ("r1", "快递十天都没到，客服也不回消息"),
    ("r2", "质量很好，物流也快，下次还来买"),
    ("r3", "加微信 abc12345 领券，兼职刷单日结"),
    ("r4", "衣服颜色和图片不一样，申请退货一直没人处理"),
    ("r5", "付款扣了两次钱，订单还显示未支付"),
    ("r6", "东西还行吧"),
    ("r7", "账号被盗了，有人用我的账号下单"),
    ("r8", "一般般，凑合用"),
    ("r9", "app一直闪退，根本没法用"),
    ("r10", "活动价格说好的满减没有减"),
]


def _jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def feedback_file(tmp_path) -> Path:
    return _jsonl(tmp_path / "feedback.jsonl", [{"id": i, "text": t, "channel": "app"} for i, t in FEEDBACK])


def _run_export(tmp_path, capsys, src, *extra) -> tuple[list[dict], str]:
    out = tmp_path / "tasks.json"
    assert main(["review", "export", str(src), "-o", str(out), *extra]) == 0
    return json.loads(out.read_text(encoding="utf-8")), capsys.readouterr().err


# ----------------------------------------------------------------------------- label config
def test_label_config_is_wellformed_and_names_every_codebook_label():
    root = ET.fromstring(label_config_xml())
    text = [el for el in root.iter("Text")]
    assert [(t.get("name"), t.get("value")) for t in text] == [("text", "$text")]
    controls = {el.get("name"): el for el in root.iter() if el.get("name") in CONTROLS}
    assert set(controls) == {"is_spam", "spam_type", "issue_types", "sentiment", "severity", "problem"}
    assert all(el.get("toName") == "text" for el in controls.values())
    expected = {"is_spam": ["false", "true"], "spam_type": SPAM_TYPES, "issue_types": ISSUE_TYPES,
                "sentiment": SENTIMENTS, "severity": SEVERITIES}
    for name, labels in expected.items():
        el = controls[name]
        assert el.tag == "Choices"
        assert [c.get("value") for c in el.iter("Choice")] == list(labels), name
    shown = {c.get("value"): c.get("html") for c in root.iter("Choice")}
    for names in (ISSUE_TYPE_NAMES, SPAM_TYPE_NAMES, SEVERITY_NAMES):
        for label, zh in names.items():
            assert zh in shown[label] and label in shown[label]
    assert controls["issue_types"].get("choice") == "multiple"
    assert controls["sentiment"].get("choice") == "single-radio"
    assert controls["problem"].tag == "TextArea"
    assert {n for n, el in controls.items() if el.get("required") == "true"} == {"is_spam", "sentiment", "severity"}
    assert controls["spam_type"].get("whenTagName") == "is_spam"


def test_user_config_restricts_predictions_and_says_what_is_missing(analyzer):
    xml = """<View><Text name="review" value="$content"/>
      <Choices name="sentiment" toName="review"><Choice value="negative"/><Choice value="positive"/></Choices>
      <Choices name="severity" toName="review"><Choice value="x" alias="low"/><Choice value="medium"/>
        <Choice value="high"/></Choices>
      <TextArea name="issue_types" toName="review"/></View>"""
    cfg = LabelConfig.from_xml(xml)
    assert cfg.text_key == "content"
    assert set(cfg.controls) == {"sentiment", "severity"}
    assert set(cfg.missing) == {"is_spam", "spam_type", "issue_types", "problem"}
    assert cfg.missing_values == {"sentiment": ["neutral"], "severity": ["critical"]}
    warnings = "\n".join(cfg.warnings())
    assert "'is_spam'" in warnings and "critical" in warnings and "neutral" in warnings
    r = analyzer.analyze("快递十天都没到，客服也不回消息")
    items, _ = prediction_result(r, cfg)
    assert {i["from_name"] for i in items} <= {"sentiment", "severity"}
    assert all(i["to_name"] == "review" for i in items)
    r.sentiment, r.severity = "neutral", "low"  # neutral is not in the config; low is, by alias
    items, _ = prediction_result(r, cfg)
    assert [(i["from_name"], i["value"]["choices"]) for i in items] == [("severity", ["low"])]


@pytest.mark.parametrize("xml,msg", [
    ("<View><Text name='t' value='$text'>", "not well-formed"),
    ("<View><Text name='t' value='$text'/><Choices name='mood' toName='t'/></View>", "none of the controls"),
    ("<View><Choices name='sentiment' toName='t'/></View>", "not a <Text>"),
])
def test_unusable_config_is_a_clear_error(xml, msg):
    with pytest.raises(LabelConfigError, match=msg):
        LabelConfig.from_xml(xml)


# ----------------------------------------------------------------------------- export
def test_export_tasks_carry_text_id_fields_and_the_analyzers_decisions(tmp_path, capsys, feedback_file, analyzer):
    tasks, err = _run_export(tmp_path, capsys, feedback_file)
    assert (tmp_path / "tasks.label_config.xml").read_text(encoding="utf-8") == label_config_xml()
    assert f"exported {len(FEEDBACK)} tasks" in err
    results = analyzer.analyze_batch([t for _, t in FEEDBACK], ids=[i for i, _ in FEEDBACK])
    assert [t["data"] for t in tasks] == [{"id": i, "text": t, "channel": "app"} for i, t in FEEDBACK]
    card = analyzer.task_models["spam"].card
    for task, r in zip(tasks, results):
        (pred,) = task["predictions"]
        assert pred["model_version"] == f"{card['name']}@{card['version']}"
        heads = {t: analyzer.task_models[t].predict_proba([normalize(task["data"]["text"])])[t][0]
                 for t in ("sentiment", "severity")}
        sure = [max(p, 1 - p) for p in [r.spam_score, *r.issue_scores.values()]] + [max(v) for v in heads.values()]
        assert pred["score"] == pytest.approx(min(sure), abs=1e-6)
        scores = {i["from_name"]: i.get("score") for i in pred["result"]}
        assert scores["sentiment"] == pytest.approx(max(heads["sentiment"]), abs=1e-6)  # the argmax label's probability
        sev_labels = analyzer.task_models["severity"].heads["severity"].labels
        assert scores["severity"] == pytest.approx(heads["severity"][sev_labels.index(r.severity)], abs=1e-6)
        got = {i["from_name"]: i["value"]["choices"] for i in pred["result"]}
        assert all(i["to_name"] == "text" and i["type"] == "choices" for i in pred["result"])
        assert got["is_spam"] == ["true" if r.is_spam else "false"]
        assert got.get("spam_type") == ([r.spam_type] if r.is_spam else None)
        assert got.get("issue_types", []) == r.issue_types
        assert got["sentiment"] == [r.sentiment] and got["severity"] == [r.severity]
    assert any(r.is_spam for r in results) and any(r.issue_types for r in results)  # the fixture covers both


def test_only_needs_review_and_limit(tmp_path, capsys, feedback_file, analyzer):
    results = analyzer.analyze_batch([t for _, t in FEEDBACK], ids=[i for i, _ in FEEDBACK])
    unsure = [r.id for r in results if r.needs_review]
    assert 0 < len(unsure) < len(FEEDBACK), "the fixture must hold sure and unsure records"
    tasks, err = _run_export(tmp_path, capsys, feedback_file, "--only-needs-review")
    assert [t["data"]["id"] for t in tasks] == unsure
    assert f"{len(FEEDBACK) - len(unsure)} not needing review left out" in err
    tasks, err = _run_export(tmp_path, capsys, feedback_file, "--only-needs-review", "--limit", "1")
    assert [t["data"]["id"] for t in tasks] == unsure[:1] and "stopped at --limit" in err
    tasks, _ = _run_export(tmp_path, capsys, feedback_file, "--limit", "3")
    assert [t["data"]["id"] for t in tasks] == ["r1", "r2", "r3"]
    tasks, _ = _run_export(tmp_path, capsys, feedback_file, "--limit", "0")
    assert tasks == []


def test_export_reads_csv_and_reports_malformed_rows(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("ticket,content,shop\nt1,快递太慢了,A\nt2,很好\nt3,客服不回消息,B\n", encoding="utf-8")
    tasks, err = _run_export(tmp_path, capsys, src, "--text-field", "content", "--id-field", "ticket")
    assert [t["data"] for t in tasks] == [{"id": "t1", "text": "快递太慢了", "shop": "A"},
                                          {"id": "t3", "text": "客服不回消息", "shop": "B"}]
    assert "1 malformed rows not exported (rows: 2)" in err


def test_export_with_user_config(tmp_path, capsys, feedback_file):
    cfg = tmp_path / "mine.xml"
    cfg.write_text('<View><Text name="t" value="$content"/><Choices name="sentiment" toName="t">'
                   + "".join(f'<Choice value="{s}"/>' for s in SENTIMENTS) + "</Choices></View>", encoding="utf-8")
    tasks, err = _run_export(tmp_path, capsys, feedback_file, "--config", str(cfg))
    assert "warning: the label config has no control 'is_spam'" in err
    assert not (tmp_path / "tasks.label_config.xml").exists()
    assert tasks[0]["data"]["content"] == FEEDBACK[0][1]
    assert {i["from_name"] for t in tasks for i in t["predictions"][0]["result"]} == {"sentiment"}
    cfg.write_text("<View>", encoding="utf-8")
    assert main(["review", "export", str(feedback_file), "-o", str(tmp_path / "x.json"), "--config", str(cfg)]) == 2
    assert "not well-formed XML" in capsys.readouterr().err


def test_exporter_api_counts(analyzer):
    from feedback_nlp.io import InputRecord

    recs = [InputRecord(1, "a", "快递太慢", fields={"id": "a", "text": "快递太慢"}),
            InputRecord(2, 2, None, error="invalid JSON"), InputRecord(3, "c", "", fields={"text": ""})]
    ex = TaskExporter(analyzer, batch_size=1)
    tasks = list(ex.iter_tasks(recs))
    assert [t["data"]["id"] for t in tasks] == ["a", "c"]  # empty text: the neutral result, still reviewed
    assert ex.summary.to_dict() == {"n_read": 3, "n_tasks": 2, "n_confident": 0, "n_malformed": 1,
                                    "malformed_rows": [2], "stopped_at_limit": False}


# ----------------------------------------------------------------------------- import
def _item(name, value, origin="manual"):
    kind = "textarea" if name == "problem" else "choices"
    key = "text" if kind == "textarea" else "choices"
    return {"value": {key: value if isinstance(value, list) else [value]}, "id": f"id-{name}", "from_name": name,
            "to_name": "text", "type": kind, "origin": origin}


def _annotation(aid, task, result, *, cancelled=False, updated="2026-12-05T01:00:00.000000Z", ground_truth=False):
    return {"id": aid, "completed_by": 1, "result": result, "was_cancelled": cancelled, "ground_truth": ground_truth,
            "created_at": "2026-12-05T00:59:00.000000Z", "updated_at": updated, "draft_created_at": None,
            "lead_time": 7.5, "prediction": {"id": task, "result": [], "model_version": "feedback-zh-ngram@0.3.0",
                                             "created_ago": "0 minutes", "score": 0.9, "cluster": None,
                                             "neighbors": None, "mislabeling": 0.0, "task": task, "project": 1},
            "result_count": 1, "unique_id": f"00000000-0000-0000-0000-{aid:012d}", "import_id": None,
            "last_action": None, "bulk_created": False, "task": task, "project": 1, "updated_by": 1,
            "parent_prediction": None, "parent_annotation": None, "last_created_by": None}


def _task(tid, rid, text, annotations, drafts=()):
    return {"id": tid, "annotations": annotations, "drafts": list(drafts),
            "predictions": [tid], "data": {"id": rid, "text": text, "channel": "app"}, "meta": {},
            "created_at": "2026-12-05T00:50:00.000000Z", "updated_at": "2026-12-05T01:00:00.000000Z",
            "allow_skip": True, "inner_id": tid, "total_annotations": len([a for a in annotations if not a["was_cancelled"]]),
            "cancelled_annotations": len([a for a in annotations if a["was_cancelled"]]), "total_predictions": 1,
            "comment_count": 0, "unresolved_comment_count": 0, "last_comment_updated_at": None, "project": 1,
            "updated_by": 1, "comment_authors": []}


def _full(spam="false", issues=("logistics",), sentiment="negative", severity="medium", problem="快递太慢",
          spam_type=None):
    out = [_item("is_spam", spam), _item("sentiment", sentiment), _item("severity", severity)]
    if issues:
        out.append(_item("issue_types", list(issues)))
    if spam_type:
        out.append(_item("spam_type", spam_type))
    if problem:
        out.append(_item("problem", problem))
    return out


def export_fixture() -> list[dict]:
    return [
        # complete: the later annotation wins; a still later cancelled one does not count
        _task(1, "r1", "快递十天都没到，客服也不回消息", [
            _annotation(11, 1, _full(issues=("logistics", "customer_service")), updated="2026-12-05T01:05:00Z"),
            _annotation(12, 1, _full(issues=("logistics",)), updated="2026-12-05T01:00:00Z"),
            _annotation(13, 1, [], cancelled=True, updated="2026-12-05T01:09:00Z")]),
        _task(2, "r2", "质量很好", [_annotation(21, 2, [], cancelled=True)]),  # skipped
        _task(3, "r3", "东西还行吧", [], drafts=[{"id": 1, "result": _full()}]),  # empty (a draft only)
        _task(4, "r4", "颜色不对", [_annotation(41, 4, [_item("is_spam", "false"), _item("severity", "low")])]),
        _task(5, "r5", "加微信领券", [_annotation(51, 5, _full(spam="true", issues=(), severity="low"))]),
        _task(6, "r6", "账号被盗了", [_annotation(61, 6, _full(issues=("hacked",), severity="critical"))]),
        _task(7, "r1", "快递十天都没到，客服也不回消息", [_annotation(71, 7, _full())]),  # id already imported
        # ground truth wins over a later annotation; spam with its type; problem empty
        _task(8, "r8", "加我微信 abc12345", [
            _annotation(81, 8, _full(spam="true", spam_type="ad", issues=(), sentiment="neutral", severity="low",
                                     problem=None), ground_truth=True, updated="2026-12-05T01:00:00Z"),
            _annotation(82, 8, _full(), updated="2026-12-05T02:00:00Z")]),
        # not spam, no issue selected (Label Studio stores no issue_types item); spam_type left over is dropped
        _task(9, "r9", "挺好的", [_annotation(91, 9, _full(issues=(), sentiment="positive", severity="low",
                                                           problem=None, spam_type="ad"))]),
    ]


def test_import_records_and_report():
    res = import_annotations(export_fixture())
    assert [r["id"] for r in res.records] == ["r1", "r8", "r9"]
    r1, r8, r9 = res.records
    assert r1 == {"id": "r1", "source": "label_studio", "channel": "app", "text": "快递十天都没到，客服也不回消息",
                  "is_spam": False, "spam_type": None, "issue_types": ["logistics", "customer_service"],
                  "sentiment": "negative", "severity": "medium", "problem": "快递太慢"}
    assert (r8["is_spam"], r8["spam_type"], r8["issue_types"], r8["problem"]) == (True, "ad", [], "")
    assert (r9["is_spam"], r9["spam_type"], r9["issue_types"], r9["sentiment"]) == (False, None, [], "positive")
    s = res.summary
    assert (s.n_tasks, s.n_records, s.n_reported) == (9, 3, 6)
    assert s.skipped == [2] and s.unannotated == [3]
    assert s.incomplete == {4: ["sentiment"], 5: ["spam_type"]}
    assert s.invalid == {6: ["issue_types=hacked"]}
    assert s.duplicate_ids == {7: "r1"}
    assert s.n_records + s.n_reported == s.n_tasks  # every task accounted for
    msg = s.message()
    assert "1 skipped" in msg and "tasks 2" in msg and "4 (sentiment)" in msg and "6 (issue_types=hacked)" in msg


def test_import_cli_writes_records_and_summary(tmp_path, capsys):
    exp = tmp_path / "export.json"
    exp.write_text(json.dumps(export_fixture(), ensure_ascii=False), encoding="utf-8")
    out, summ = tmp_path / "labels.jsonl", tmp_path / "summary.json"
    assert main(["review", "import", str(exp), "-o", str(out), "--summary", str(summ)]) == 0
    err = capsys.readouterr().err
    assert "imported 3 records from 9 tasks; 6 tasks gave no record" in err
    assert "without annotation: tasks 3" in err
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [list(r) for r in recs] == [["id", "source", "channel", "text", "is_spam", "spam_type", "issue_types",
                                        "sentiment", "severity", "problem"]] * 3
    assert json.loads(summ.read_text(encoding="utf-8"))["incomplete"] == {"4": ["sentiment"], "5": ["spam_type"]}


@pytest.mark.parametrize("content,msg", [("{not json", "is not JSON"), ('[{"text": "a"}]', "JSON_MIN"),
                                         ('"x"', "not a Label Studio JSON export")])
def test_import_rejects_other_files_clearly(tmp_path, capsys, content, msg):
    p = tmp_path / "e.json"
    p.write_text(content, encoding="utf-8")
    assert main(["review", "import", str(p), "-o", str(tmp_path / "l.jsonl")]) == 2
    assert msg in capsys.readouterr().err


# ----------------------------------------------------------------------------- round trip
#: What the simulated reviewers decide, by record id (at least two records per issue type used).
REVIEWED = {"r1": ["logistics", "customer_service"], "r2": [], "r4": ["description_mismatch", "after_sales"],
            "r5": ["payment"], "r6": [], "r7": ["account_security"], "r8": [], "r9": ["app_experience"],
            "r10": ["pricing_promotion"]}
EXTRA = [("x1", "商品和描述完全不一样", ["description_mismatch"]), ("x2", "退款申请一周了还没处理", ["after_sales"]),
         ("x3", "支付成功了订单却没生成", ["payment"]), ("x4", "有人异地登录了我的账号", ["account_security"]),
         ("x5", "页面老是卡死打不开", ["app_experience"]), ("x6", "优惠券用不了", ["pricing_promotion"]),
         ("x7", "客服半天不回话", ["customer_service"]), ("x8", "物流太慢了", ["logistics"])]


def simulate_reviewers(tasks: list[dict]) -> list[dict]:
    """A Label Studio export of ``tasks``: each reviewer accepts the prediction but sets issue_types
    from :data:`REVIEWED`; r3 (the ad) is skipped."""
    out = []
    for n, t in enumerate(tasks, 1):
        rid = t["data"]["id"]
        if rid == "r3":
            anns = [_annotation(n, n, [], cancelled=True)]
        else:
            result = [i for i in t["predictions"][0]["result"] if i["from_name"] != "issue_types"]
            result = [dict(i, origin="prediction") for i in result]
            if REVIEWED[rid]:
                result.append(_item("issue_types", REVIEWED[rid]))
            anns = [_annotation(n, n, result)]
        out.append(dict(_task(n, rid, t["data"]["text"], anns), data=t["data"]))
    return out


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

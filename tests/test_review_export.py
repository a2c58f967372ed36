"""feedback_nlp.review.export and ``feedback-nlp review export``: tasks with the model's decisions."""
from __future__ import annotations

import pytest

from conftest import CRITICAL_TEXT, NEVER_CRITICAL_REVIEWS
from feedback_nlp.cli import main
from feedback_nlp.review import TaskExporter, label_config_xml
from feedback_nlp.tasks import SENTIMENTS
from feedback_nlp.text import normalize

import review_fixtures
from review_fixtures import FEEDBACK, _run_export

feedback_file = review_fixtures.feedback_file

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



def test_exporter_gives_each_record_its_channels_points():
    from feedback_nlp import FeedbackAnalyzer
    from feedback_nlp.io import InputRecord

    text = CRITICAL_TEXT
    fa = FeedbackAnalyzer.load(thresholds=NEVER_CRITICAL_REVIEWS)
    recs = [InputRecord(1, 1, text, fields={"id": 1, "text": text, "channel": "order_review"}),
            InputRecord(2, 2, text, fields={"id": 2, "text": text})]
    tasks = list(TaskExporter(fa).iter_tasks(recs))
    severity = [next(i["value"]["choices"] for i in t["predictions"][0]["result"] if i["from_name"] == "severity")
                for t in tasks]
    assert severity == [["high"], ["critical"]]

"""feedback_nlp.review.importing and ``feedback-nlp review import``: a Label Studio export becomes training records."""
from __future__ import annotations

import json

import pytest

from feedback_nlp.cli import main
from feedback_nlp.review import import_annotations

from review_fixtures import export_fixture

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
                                         ('"x"', "not a Label Studio JSON export"),
                                         ('{"tasks": []}', "is a JSON object (keys: tasks), not a Label Studio")])
def test_import_rejects_other_files_clearly(tmp_path, capsys, content, msg):
    p = tmp_path / "e.json"
    p.write_text(content, encoding="utf-8")
    assert main(["review", "import", str(p), "-o", str(tmp_path / "l.jsonl")]) == 2
    assert msg in capsys.readouterr().err




def _task(data, result=None, **extra) -> dict:
    return {"id": 1, "data": data, "annotations": [{"id": 1, "result": result if result is not None else []}], **extra}


def _choice(name, value):
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": value}}


LABELLED = [_choice("is_spam", ["false"]), _choice("sentiment", ["negative"]), _choice("severity", ["low"])]


@pytest.mark.parametrize("data", ["str", [1], 5])
def test_task_whose_data_is_not_an_object_is_reported_invalid(data):
    res = import_annotations([_task(data)])
    assert res.records == [] and res.summary.invalid == {1: [f"data is not an object (got {type(data).__name__})"]}


def test_malformed_annotations_and_results_are_reported_not_raised():
    tasks = [{"id": 1, "data": {"text": "快递很慢"}, "annotations": 5},
             {"id": 2, "data": {"text": "快递很慢"}, "annotations": "abc"},
             {"id": 3, "data": {"text": "快递很慢"}, "annotations": [{"id": 1, "result": 5}]},
             {"id": [4], "data": {"text": "快递很慢"}, "annotations": [{"id": 1, "result": []}]}]
    s = import_annotations(tasks).summary
    assert s.invalid == {1: ["annotations is not a list (got int)"], 2: ["annotations is not a list (got str)"],
                         3: ["annotation result is not a list (got int)"]}
    assert s.incomplete == {"#4": ["is_spam", "sentiment", "severity"]}  # an id that cannot key the summary
    assert s.n_reported == s.n_tasks == 4


def test_single_choice_given_as_a_string_is_one_choice():
    result = [_choice("is_spam", "false"), _choice("sentiment", "negative"), _choice("severity", "low"),
              _choice("issue_types", "logistics")]
    res = import_annotations([_task({"text": "快递很慢"}, result)])
    assert res.summary.n_reported == 0
    r = res.records[0]
    assert (r["is_spam"], r["sentiment"], r["severity"], r["issue_types"]) == (False, "negative", "low", ["logistics"])


def test_lone_surrogate_in_export_becomes_replacement_character(tmp_path, capsys):
    exp = tmp_path / "export.json"
    # json.dumps escapes the lone surrogates as \ud800 / \udc80, as a hand-cut emoji would be
    exp.write_text(json.dumps([_task({"text": "快递\ud800", "id": "r\udc80"}, LABELLED)]), encoding="utf-8")
    out, summ = tmp_path / "labels.jsonl", tmp_path / "summary.json"
    assert main(["review", "import", str(exp), "-o", str(out), "--summary", str(summ)]) == 0
    rec = json.loads(out.read_text(encoding="utf-8"))
    assert (rec["id"], rec["text"]) == ("r\ufffd", "快递\ufffd")
    assert "imported 1 records" in capsys.readouterr().err

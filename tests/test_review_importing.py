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
                                         ('"x"', "not a Label Studio JSON export")])
def test_import_rejects_other_files_clearly(tmp_path, capsys, content, msg):
    p = tmp_path / "e.json"
    p.write_text(content, encoding="utf-8")
    assert main(["review", "import", str(p), "-o", str(tmp_path / "l.jsonl")]) == 2
    assert msg in capsys.readouterr().err



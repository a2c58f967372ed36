"""training/decision_stage_value.py: the decisions with and without the decision stage, side by side."""
from __future__ import annotations

import json
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "training"))
import decision_stage_value  # noqa: E402

RECORDS = [  # written here: (text, is_spam, spam_type, issue_types, sentiment, severity)
    ("吃了外卖全家上吐下泻，我要打12315投诉", False, None, ["product_quality"], "negative", "critical"),
    ("账号被盗了，有人用我的账号下单", False, None, ["account_security"], "negative", "critical"),
    ("质量很好，物流也快，下次还来买", False, None, [], "positive", "low"),
    ("这家店服务很热情，质量不差", False, None, [], "positive", "low"),
    ("快递十天都没到，客服也不回消息", False, None, ["logistics", "customer_service"], "negative", "medium"),
    ("加微信 abc12345 领优惠券，兼职刷单日结 http://t.cn/x", True, "ad", [], "neutral", "low"),
]


def test_table_has_both_stages_for_dev_and_test(tmp_path, capsys):
    (tmp_path / "annotations").mkdir()
    for split in ("dev", "test"):
        rows = [dict(zip(("text", "is_spam", "spam_type", "issue_types", "sentiment", "severity"), r), id=f"{split}{i}")
                for i, r in enumerate(RECORDS)]
        (tmp_path / "annotations" / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert decision_stage_value.main(["--data", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| decision | dev: decision stage | dev: heads only | test: decision stage")
    body = {line.split(" | ")[0].strip("| "): line.strip("|").split(" | ")[1:] for line in lines[2:]}
    assert list(body) == [name for name, _ in decision_stage_value.ROWS]
    assert all(len(v) == 4 for v in body.values())
    assert body["critical recall"][0] == "1.0" and body["spam F1"][0] == "1.0"


def test_missing_data_is_a_clear_exit(tmp_path):
    import pytest

    with pytest.raises(SystemExit, match="needs the annotations"):
        decision_stage_value.main(["--data", str(tmp_path)])

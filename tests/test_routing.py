import json

import pytest

from feedback_nlp.tasks.routing import DEFAULT_ROUTING, RoutingTable


def test_default_routing():
    rt = RoutingTable()
    assert rt.route("logistics", "high") == {"team": "仓储物流", "sla_hours": 12}
    assert rt.route(None, "high") is None


def test_overrides_and_files(tmp_path):
    table = dict(DEFAULT_ROUTING, sla_overrides={"account_security": {"high": 1}})
    p = tmp_path / "r.json"
    p.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    rt = RoutingTable.from_file(p)
    assert rt.route("account_security", "high")["sla_hours"] == 1
    assert rt.route("unknown_issue", "low") == {"team": "客服分诊", "sla_hours": 72}


def test_bad_tables(tmp_path):
    with pytest.raises(ValueError, match="teams"):
        RoutingTable({"sla_hours": {}})
    p = tmp_path / "r.txt"
    p.write_text("x")
    with pytest.raises(ValueError, match="json"):
        RoutingTable.from_file(p)

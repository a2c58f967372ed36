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


@pytest.mark.parametrize("table, message", [
    ([1, 2], "a routing table is a mapping, got list"),
    ({"teams": {"logistics": 3}, "sla_hours": DEFAULT_ROUTING["sla_hours"]}, "teams of logistics must be non-empty"),
    ({"teams": {}, "sla_hours": {"high": 12}}, "sla_hours has no hours for low, medium, critical"),
    ({"teams": {}, "sla_hours": dict(DEFAULT_ROUTING["sla_hours"], medium="2")}, "hours of medium must be numbers"),
    ({"teams": {}, "sla_hours": DEFAULT_ROUTING["sla_hours"], "sla_overrides": {"payment": {"high": -1}}},
     "hours of payment.high must be numbers >= 0")])
def test_a_malformed_table_is_refused_when_built(table, message):
    with pytest.raises(ValueError, match=message):
        RoutingTable(table)


def test_every_issue_type_needs_a_team_or_a_default():
    # a medium complaint had gone without a route: the README's rule is that it always has one
    from feedback_nlp import FeedbackAnalyzer

    partial = {"teams": {"customer_service": "CS"}, "sla_hours": DEFAULT_ROUTING["sla_hours"]}
    with pytest.raises(ValueError, match="no team for product_quality, .*, other and no default_team"):
        FeedbackAnalyzer.load(routing=partial)
    fa = FeedbackAnalyzer.load(routing=dict(partial, default_team="分诊"))
    assert fa.analyze("快递丢了，商家也不管").route == {"team": "分诊", "sla_hours": 24}
    with pytest.raises(TypeError, match="routing must be a RoutingTable, a mapping or a file path, got list"):
        FeedbackAnalyzer.load(routing=[1, 2])

"""Routing: which team handles a record and how fast, from a table users can replace."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

#: The codebook's routing, with SLA hours by severity.
DEFAULT_ROUTING = {
    "teams": {
        "product_quality": "品控/采购",
        "description_mismatch": "品控/商家管理",
        "logistics": "仓储物流",
        "after_sales": "售后",
        "customer_service": "客服管理",
        "payment": "支付/财务",
        "account_security": "安全",
        "pricing_promotion": "市场/运营",
        "app_experience": "产品研发",
        "other": "客服分诊",
    },
    "default_team": "客服分诊",
    "sla_hours": {"critical": 2, "high": 12, "medium": 24, "low": 72},
}


class RoutingTable:
    """Maps (primary issue, severity) to ``{"team": ..., "sla_hours": ...}``.

    A table is a JSON or YAML mapping with ``teams`` (issue type -> team name),
    optional ``default_team`` for issue types not listed, and ``sla_hours``
    (severity -> hours). Optional ``sla_overrides``: issue type -> severity -> hours.
    """

    def __init__(self, table: Optional[dict] = None):
        table = dict(DEFAULT_ROUTING if table is None else table)
        if not isinstance(table.get("teams"), dict) or not isinstance(table.get("sla_hours"), dict):
            raise ValueError("a routing table needs a 'teams' mapping and a 'sla_hours' mapping")
        self.teams: dict[str, str] = table["teams"]
        self.default_team: Optional[str] = table.get("default_team")
        self.sla_hours: dict[str, float] = table["sla_hours"]
        self.sla_overrides: dict[str, dict[str, float]] = table.get("sla_overrides", {})
        self._table = table

    @classmethod
    def from_file(cls, path: str | Path) -> "RoutingTable":
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            table = yaml.safe_load(text)
        elif path.suffix.lower() == ".json":
            table = json.loads(text)
        else:
            raise ValueError(f"routing table must be .json, .yaml or .yml: {path}")
        if not isinstance(table, dict):
            raise ValueError(f"routing table {path} must be a mapping")
        return cls(table)

    def to_dict(self) -> dict:
        return dict(self._table)

    def route(self, primary_issue: Optional[str], severity: str) -> Optional[dict]:
        """Route for a record, or None when it raises no problem."""
        if primary_issue is None:
            return None
        team = self.teams.get(primary_issue, self.default_team)
        if team is None:
            return None
        sla = self.sla_overrides.get(primary_issue, {}).get(severity, self.sla_hours.get(severity))
        return {"team": team, "sla_hours": sla}

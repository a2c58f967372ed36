"""Routing: which team handles a record and how fast, from a table users can replace."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Mapping, Optional, Sequence

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


def _is_hours(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


def _check_table(table: dict) -> None:
    """ValueError naming what is wrong with a routing table's entries (they had failed at the first record)."""
    from .severity import SEVERITIES

    bad = [k for k, v in table["teams"].items() if not isinstance(v, str) or not v]
    if bad:
        raise ValueError(f"routing table: the teams of {', '.join(map(str, bad))} must be non-empty strings")
    if table.get("default_team") is not None and not isinstance(table["default_team"], str):
        raise ValueError("routing table: default_team must be a string")
    missing = [s for s in SEVERITIES if s not in table["sla_hours"]]
    if missing:
        raise ValueError(f"routing table: sla_hours has no hours for {', '.join(missing)}")
    overrides = table.get("sla_overrides", {})
    if not isinstance(overrides, dict) or not all(isinstance(v, dict) for v in overrides.values()):
        raise ValueError("routing table: sla_overrides maps an issue type to a mapping of severity -> hours")
    hours = [*table["sla_hours"].items(), *((f"{k}.{s}", h) for k, v in overrides.items() for s, h in v.items())]
    bad = [str(k) for k, h in hours if not _is_hours(h)]
    if bad:
        raise ValueError(f"routing table: the hours of {', '.join(bad)} must be numbers >= 0")


class RoutingTable:
    """Maps (primary issue, severity) to ``{"team": ..., "sla_hours": ...}``.

    A table is a JSON or YAML mapping with ``teams`` (issue type -> team name),
    optional ``default_team`` for issue types not listed, and ``sla_hours``
    (severity -> hours). Optional ``sla_overrides``: issue type -> severity -> hours.
    """

    def __init__(self, table: Optional[dict] = None):
        if table is not None and not isinstance(table, Mapping):
            raise ValueError(f"a routing table is a mapping, got {type(table).__name__}")
        table = dict(DEFAULT_ROUTING if table is None else table)
        if not isinstance(table.get("teams"), dict) or not isinstance(table.get("sla_hours"), dict):
            raise ValueError("a routing table needs a 'teams' mapping and a 'sla_hours' mapping")
        _check_table(table)
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

    def require_teams(self, labels: Sequence[str]) -> None:
        """ValueError unless every issue type in ``labels`` (and ``other``, the route of a record whose issue types
        all fell short) has a team or the table a ``default_team``: a record at medium or above always gets a
        route."""
        if self.default_team is None:
            missing = [lab for lab in dict.fromkeys([*labels, "other"]) if lab not in self.teams]
            if missing:
                raise ValueError(f"the routing table has no team for {', '.join(missing)} and no default_team")

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

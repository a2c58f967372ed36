"""One-line summaries list at most a few task ids or rows."""
from __future__ import annotations

from typing import Sequence


#: Task ids / rows listed per category in one-line summaries (all are in ``to_dict()``).
MAX_LISTED = 20


def listed(items: Sequence) -> str:
    """``a, b, c, ... (N more)``: the first :data:`MAX_LISTED` items."""
    shown = ", ".join(map(str, items[:MAX_LISTED]))
    return shown + (f", ... ({len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else "")

"""The typed result of analysing one record."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, TypedDict

#: The output fields, in order, as named in the codebook.
FIELDS = ("id", "is_spam", "spam_type", "spam_score", "issue_types", "primary_issue", "issue_scores",
          "sentiment", "sentiment_score", "severity", "severity_reasons", "route", "needs_review")


class Route(TypedDict):
    """Where a problem goes: the team and its SLA in hours."""

    team: str
    sla_hours: float


@dataclass
class FeedbackResult:
    """Every per-record decision, with the scores behind it.

    ``sentiment_score`` is in [-1, 1]: P(positive) - P(negative); its sign is the
    polarity. ``route`` is a :class:`Route` ``{"team": str, "sla_hours": number}``
    or None (spam). The annotations are the output schema: the Spark adapter derives
    its column types from them. ``needs_review`` is true when a decision sits close to
    its threshold (the reason is then in ``severity_reasons``), or when the text is not
    Chinese (the models cover Simplified and Traditional Chinese only): then
    ``severity_reasons`` also holds :data:`feedback_nlp.text.NOT_CHINESE_REASON`. A text the
    sentiment model cannot read (no n-gram it knows) gets ``neutral`` and
    :data:`feedback_nlp.pipeline.UNREAD_REASON`.

    ``extra`` holds the fields of custom tasks (``FeedbackAnalyzer.load(tasks={"topic":
    DIR})``), written after :data:`FIELDS` by :meth:`to_dict`: ``topic`` (the label of a
    multiclass head, or the list of labels over their thresholds, most likely first, of
    a multilabel head; None / [] for empty text) and ``topic_scores`` (label -> probability).
    """

    id: Any = None
    is_spam: bool = False
    spam_type: Optional[str] = None
    spam_score: float = 0.0
    issue_types: list[str] = field(default_factory=list)
    primary_issue: Optional[str] = None
    issue_scores: dict[str, float] = field(default_factory=dict)
    sentiment: str = "neutral"
    sentiment_score: float = 0.0
    severity: str = "low"
    severity_reasons: list[str] = field(default_factory=list)
    route: Optional[Route] = None
    needs_review: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-serialisable dict: :data:`FIELDS`, then the custom-task fields of
        ``extra`` (none with the standard tasks); containers copied."""
        out = {
            "id": self.id, "is_spam": self.is_spam, "spam_type": self.spam_type, "spam_score": self.spam_score,
            "issue_types": list(self.issue_types), "primary_issue": self.primary_issue,
            "issue_scores": dict(self.issue_scores), "sentiment": self.sentiment,
            "sentiment_score": self.sentiment_score, "severity": self.severity,
            "severity_reasons": list(self.severity_reasons),
            "route": dict(self.route) if self.route is not None else None, "needs_review": self.needs_review,
        }
        for k, v in self.extra.items():
            out[k] = v.copy() if isinstance(v, (list, dict)) else v
        return out


def field_of(record: Any, name: str, default=None):
    """A result field from a :class:`FeedbackResult` or a dict (e.g. a parsed output line)."""
    if record is None:
        return default
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)

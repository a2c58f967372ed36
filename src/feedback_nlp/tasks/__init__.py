"""One module per task: labels, decisions from head probabilities, readable signals."""
from .base import HeadSpec
from .issue_types import ISSUE_TYPES
from .routing import RoutingTable
from .sentiment import SENTIMENTS
from .severity import SEVERITIES
from .spam import SPAM_CLASSES, SPAM_TYPES

__all__ = ["HeadSpec", "ISSUE_TYPES", "RoutingTable", "SENTIMENTS", "SEVERITIES", "SPAM_CLASSES", "SPAM_TYPES"]

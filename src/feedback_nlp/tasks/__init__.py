"""One module per task: labels, decisions from head probabilities, readable signals."""
from .base import HeadSpec
from .issue_types import ISSUE_TYPE_NAMES, ISSUE_TYPES
from .routing import RoutingTable
from .sentiment import SENTIMENT_NAMES, SENTIMENTS
from .severity import SEVERITIES, SEVERITY_NAMES
from .spam import SPAM_CLASSES, SPAM_TYPE_NAMES, SPAM_TYPES

__all__ = ["HeadSpec", "ISSUE_TYPES", "ISSUE_TYPE_NAMES", "RoutingTable", "SENTIMENTS", "SENTIMENT_NAMES", "SEVERITIES",
           "SEVERITY_NAMES", "SPAM_CLASSES", "SPAM_TYPES", "SPAM_TYPE_NAMES"]

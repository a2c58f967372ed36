"""What all task heads share: a label set, a kind and how logits become probabilities."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

MULTICLASS = "multiclass"
MULTILABEL = "multilabel"


@dataclass
class HeadSpec:
    """A linear head over the shared features.

    ``kind`` is ``multiclass`` (softmax over ``labels``) or ``multilabel``
    (independent sigmoids). ``thresholds`` holds decision thresholds chosen on
    dev (per label for multilabel; task-specific keys otherwise). ``combiner``, when
    present, is the decision's second stage (:class:`~feedback_nlp.tasks.combiner.Combiner`)
    over this and the other heads' probabilities plus readable evidence.
    """

    task: str
    kind: str
    labels: list[str]
    thresholds: dict = field(default_factory=dict)
    combiner: Optional[Any] = None

    def __post_init__(self):
        if self.kind not in (MULTICLASS, MULTILABEL):
            raise ValueError(f"head {self.task!r}: unknown kind {self.kind!r}")
        if not self.labels or len(set(self.labels)) != len(self.labels):
            raise ValueError(f"head {self.task!r}: labels must be non-empty and unique")

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Softmax (multiclass) or sigmoid (multilabel), row-wise, float32."""
        logits = np.asarray(logits, dtype=np.float32)
        if self.kind == MULTILABEL:
            return (1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))).astype(np.float32)
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

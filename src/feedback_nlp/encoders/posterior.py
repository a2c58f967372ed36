"""Texts as one classifier head's probabilities: the kind of problem, as the annotations taught it.

Why: a sentence encoder places "the charger overheats" near "the battery drains fast"
(both about power), while the issue-type head knows which team each belongs to. Mixed into a
semantic encoder (:class:`~feedback_nlp.encoders.concat.ConcatEncoder`) the probabilities keep
clusters from spanning issue types. Only the head's own weight columns are read, so encoding
costs the featurisation plus a ``[n_features, k]`` gather.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence, Union

import numpy as np

from ..features import linear_scores
from ..modeling import NgramModel
from .base import Encoder

__all__ = ["PosteriorEncoder"]


class PosteriorEncoder(Encoder):
    """``encode(texts)`` = the ``task`` head's probabilities of an :class:`NgramModel` (L2-normalised).

    Parameters
    ----------
    model : NgramModel
        Supplies the featuriser and the head's weights.
    task : str
        A head of ``model`` (default ``issue_types``).
    """

    default_threshold = 0.5
    per_text = True

    def __init__(self, model: NgramModel, task: str = "issue_types"):
        if task not in model.heads:
            raise ValueError(f"the model has no {task!r} head (heads: {', '.join(model.heads)})")
        self.model, self.task = model, task
        self.head = model.heads[task]
        self.labels = list(self.head.labels)
        self.dim = len(self.labels)
        self.name = f"posterior:{task}"
        weight, bias = model.weights[task]  # this head's columns only, not the model's joint matrix
        self._weight = np.ascontiguousarray(weight, dtype=np.float32)
        self._bias = np.asarray(bias, dtype=np.float32)

    @classmethod
    def from_pretrained(cls, name_or_path: Union[str, Path], task: str = "issue_types") -> "PosteriorEncoder":
        return cls(NgramModel.from_pretrained(name_or_path), task)

    def _encode(self, norms: Sequence[str]) -> np.ndarray:
        logits = linear_scores(self.model.featurizer.transform(list(norms)), self._weight, self._bias)
        return self.head.probabilities(logits)

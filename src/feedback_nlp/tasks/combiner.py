"""A decision's second stage: a small logistic regression over named evidence.

The heads score n-grams; a decision a person acts on (is this critical? is this an ad? is
a problem raised at all?) also needs evidence the n-grams do not weigh well: which
escalation rule fired, whether a contact channel comes with a request, what the other heads
think. A :class:`Combiner` weighs those (named in :mod:`feedback_nlp.tasks.evidence`) and is
fitted on *out-of-fold* head probabilities, so it learns how far to trust each head on
texts it has not seen. It is stored as plain numbers in ``model.json``: a host reproduces it
with a dot product and a softmax.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import numpy as np

from .evidence import evidence_matrix


@dataclass
class Combiner:
    """``P(label | evidence) = softmax(((e - mean) / scale) @ weight + bias)``.

    ``features`` are evidence names (:func:`~feedback_nlp.tasks.evidence.evidence_matrix`),
    ``labels`` the classes (two for a yes/no decision, ``labels[1]`` being "yes").
    Build with :meth:`fit` (needs scikit-learn) or :meth:`from_dict`.
    """

    features: list[str]
    labels: list[str]
    weight: np.ndarray = field(repr=False, default=None)  # [n_features, n_labels]
    bias: np.ndarray = field(repr=False, default=None)  # [n_labels]
    mean: np.ndarray = field(repr=False, default=None)
    scale: np.ndarray = field(repr=False, default=None)
    C: float = 1.0

    def fit(self, E: np.ndarray, y: Sequence[str], sample_weight: Optional[np.ndarray] = None,
            class_weight=None) -> "Combiner":
        """Fit on an evidence matrix ``E`` [n, n_features] and labels ``y`` (strings from ``labels``)."""
        from sklearn.linear_model import LogisticRegression

        E = np.asarray(E, np.float64)
        self.mean = E.mean(axis=0)
        self.scale = np.where(E.std(axis=0) > 1e-9, E.std(axis=0), 1.0)
        Z = (E - self.mean) / self.scale
        idx = np.array([self.labels.index(v) for v in y])
        clf = LogisticRegression(C=self.C, max_iter=2000, class_weight=class_weight)
        clf.fit(Z, idx, sample_weight=sample_weight)
        k = len(self.labels)
        W, b = np.zeros((E.shape[1], k)), np.zeros(k)
        if len(clf.classes_) == 2 and k == 2:
            W[:, 1], b[1] = clf.coef_[0], clf.intercept_[0]
        else:
            for row, c in enumerate(clf.classes_):
                W[:, c], b[c] = clf.coef_[row], clf.intercept_[row]
        self.weight, self.bias = W, b
        return self

    def predict_proba_evidence(self, E: np.ndarray) -> np.ndarray:
        """Class probabilities [n, n_labels] from an evidence matrix."""
        z = ((np.asarray(E, np.float64) - self.mean) / self.scale) @ self.weight + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict_proba(self, norms: Sequence[str], probs: Mapping[str, np.ndarray],
                      head_labels: Mapping[str, Sequence[str]], fired=None, texts=None) -> np.ndarray:
        """Class probabilities for normalised texts given the heads' probabilities (``fired``,
        ``texts``: evidence already computed, see :func:`evidence_matrix`)."""
        return self.predict_proba_evidence(evidence_matrix(self.features, norms, probs, head_labels, fired, texts))

    def to_dict(self) -> dict:
        return {"features": list(self.features), "labels": list(self.labels), "C": self.C,
                "weight": np.round(self.weight, 6).tolist(), "bias": np.round(self.bias, 6).tolist(),
                "mean": np.round(self.mean, 6).tolist(), "scale": np.round(self.scale, 6).tolist()}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Combiner":
        f, k = len(d["features"]), len(d["labels"])
        c = cls(list(d["features"]), list(d["labels"]), np.asarray(d["weight"], np.float64).reshape(f, k),
                np.asarray(d["bias"], np.float64).reshape(k), np.asarray(d["mean"], np.float64).reshape(f),
                np.asarray(d["scale"], np.float64).reshape(f), float(d.get("C", 1.0)))
        return c

    def explain(self, e: np.ndarray, label: str, top: int = 3) -> list[tuple[str, float]]:
        """The ``top`` evidence items pushing one record towards ``label`` (name, contribution)."""
        j = self.labels.index(label)
        contrib = (np.asarray(e, np.float64) - self.mean) / self.scale * (self.weight[:, j] - self.weight.mean(axis=1))
        order = np.argsort(-contrib)[:top]
        return [(self.features[i], round(float(contrib[i]), 3)) for i in order if contrib[i] > 0]

"""Fitting one head on a featurised matrix: a logistic regression on labels (:func:`fit_linear_head`) or on
probability targets (:func:`fit_soft_head`, distillation), folded into the linear form the models ship."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

from ..tasks.base import MULTICLASS, HeadSpec


def _require_sklearn():
    from ..extras import require_extra

    require_extra("train", "training an n-gram model", ("sklearn", "scipy"))


def nb_log_count_ratio(X, positive: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """NB-SVM log-count ratio ``r = log((p/|p|_1) / (q/|q|_1))`` with ``p = alpha + sum of the
    positive rows of X`` and ``q`` the same over the other rows (Wang & Manning 2012)."""
    positive = np.asarray(positive, bool)
    p = alpha + np.asarray(X[positive].sum(axis=0)).ravel()
    q = alpha + np.asarray(X[~positive].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


def _multiclass_weights(clf, n_features: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(W [n_features, k], b [k])`` of a fitted multinomial ``LogisticRegression`` whose
    ``classes_`` are label indices; classes absent from training are never predicted."""
    present = clf.classes_
    W = np.zeros((n_features, k), np.float32)
    b = np.full(k, -30.0, np.float32)
    if len(present) == 2:
        W[:, present[1]] = clf.coef_[0]
        b[present[0]], b[present[1]] = 0.0, clf.intercept_[0]
    else:
        W[:, present] = clf.coef_.T
        b[present] = clf.intercept_
    return W, b


def fit_linear_head(X, labels: Sequence, head: HeadSpec, C: float = 4.0, class_weight=None,
                    sample_weight: Optional[np.ndarray] = None, max_iter: int = 1000,
                    nb_scale: Optional[tuple[str, str]] = None) -> tuple[np.ndarray, np.ndarray]:
    """Fit logistic regression(s) on sparse ``X``; return ``(W [n_features, k], b [k])``.

    Multiclass: one multinomial model (softmax over ``head.labels``).
    Multilabel: one binary model per label (independent sigmoids); a label with no
    positive example gets a strongly negative bias.
    ``class_weight``: ``"balanced"``, None, or a dict label -> weight (labels missing
    from the dict weigh 1).
    ``nb_scale=(positive_label, negative_label)`` (multiclass): NB-SVM-style scaling —
    feature j is multiplied by ``|r_j|``, the NB log-count ratio between the two labels'
    texts, before fitting; the scaling is then folded into the weight rows
    (``W[j] *= |r_j|``), so the head stays one linear map over the usual features.
    """
    _require_sklearn()
    from scipy.sparse import diags
    from sklearn.linear_model import LogisticRegression

    k = len(head.labels)
    n_features = X.shape[1]
    if isinstance(class_weight, Mapping):
        class_weight = {head.labels.index(lab): float(w) for lab, w in class_weight.items()}
    if head.kind == MULTICLASS:
        idx = {lab: i for i, lab in enumerate(head.labels)}
        y = np.array([idx[lab] for lab in labels])
        present = np.unique(y)
        if isinstance(class_weight, dict):
            class_weight = {c: class_weight.get(int(c), 1.0) for c in present}
        scale = None
        if nb_scale is not None:
            pos, neg = idx[nb_scale[0]], idx[nb_scale[1]]
            keep = (y == pos) | (y == neg)
            scale = np.abs(nb_log_count_ratio(X[keep], y[keep] == pos))
            X = X @ diags(scale)
        clf = LogisticRegression(C=C, max_iter=max_iter, class_weight=class_weight)
        clf.fit(X, y, sample_weight=sample_weight)
        if scale is not None:
            clf.coef_ = clf.coef_ * scale[None, :]
        return _multiclass_weights(clf, n_features, k)
    W = np.zeros((n_features, k), np.float32)
    b = np.full(k, -30.0, np.float32)
    for j, lab in enumerate(head.labels):
        y = np.array([lab in ls for ls in labels], dtype=int)
        if 0 < y.sum() < len(y):
            clf = LogisticRegression(C=C, max_iter=max_iter, class_weight=class_weight)
            clf.fit(X, y, sample_weight=sample_weight)
            W[:, j], b[j] = clf.coef_[0], clf.intercept_[0]
        elif y.sum() == len(y):
            b[j] = 30.0
    return W, b


def fit_soft_head(X, targets: np.ndarray, head: HeadSpec, C: float = 4.0, sample_weight: Optional[np.ndarray] = None,
                  balanced: bool = False, min_weight: float = 1e-3, max_iter: int = 1000
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression on probability targets (a teacher's soft labels, issue 13).

    scikit-learn fits hard labels only, so each row is repeated once per outcome with
    its target probability as weight: the weighted log-loss of the repeats equals the
    cross-entropy against the soft target. Multiclass: one repeat per class (``targets``
    ``[n, k]`` rows summing to 1). Multilabel: per label a positive repeat (weight ``p``)
    and a negative one (``1 - p``). Repeats under ``min_weight`` are dropped.
    ``balanced``: outcomes weighted by ``n / (k * soft count)`` like ``class_weight="balanced"``.
    Returns ``(W [n_features, k], b [k])`` as :func:`fit_linear_head`.
    """
    _require_sklearn()
    from scipy.sparse import vstack
    from sklearn.linear_model import LogisticRegression

    targets = np.asarray(targets, np.float64)
    n, k = targets.shape
    if k != len(head.labels) or n != X.shape[0]:
        raise ValueError(f"targets {targets.shape} do not fit {X.shape[0]} rows x {len(head.labels)} labels")
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)

    def fit(outcome_weights: list[np.ndarray]) -> LogisticRegression:
        if balanced:
            mass = np.array([float((ow * w).sum()) for ow in outcome_weights])
            scale = mass.sum() / (len(mass) * np.maximum(mass, 1e-9))
            outcome_weights = [ow * s for ow, s in zip(outcome_weights, scale)]
        rows, ys, ws = [], [], []
        for c, ow in enumerate(outcome_weights):
            keep = np.where(ow * w >= min_weight)[0]
            rows.append(X[keep])
            ys.append(np.full(len(keep), c))
            ws.append((ow * w)[keep])
        return LogisticRegression(C=C, max_iter=max_iter).fit(vstack(rows).tocsr(), np.concatenate(ys),
                                                              sample_weight=np.concatenate(ws))

    if head.kind == MULTICLASS:
        return _multiclass_weights(fit([targets[:, c] for c in range(k)]), X.shape[1], k)
    W = np.zeros((X.shape[1], k), np.float32)
    b = np.zeros(k, np.float32)
    for j in range(k):
        p = targets[:, j]
        if not (p * w >= min_weight).any() or not ((1 - p) * w >= min_weight).any():
            b[j] = 30.0 if (p * w >= min_weight).any() else -30.0  # one outcome only: a constant
            continue
        clf = fit([1.0 - p, p])
        W[:, j], b[j] = clf.coef_[0], clf.intercept_[0]
    return W, b

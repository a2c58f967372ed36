"""Choosing a head's points on held-out predictions: thresholds on dev (pooled with out-of-fold train
predictions where dev is too small), the temperature, the review margin."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

from ..labelled_data import LabelledData
from ..metrics import binary_f1, quadratic_weighted_kappa
from ..modeling import NgramModel
from ..tasks.base import MULTILABEL, HeadSpec
from ..tasks.severity import SEVERITIES, escalation_signals
from ..tasks.spam import REPEAT_THRESHOLD, SPAM_CLASSES, rule_spam_type
from ..text import normalize
from .evaluate import decide
from .fit import fit_linear_head


_GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)


def tune_thresholds(model: NgramModel, task: str, dev: LabelledData, spam_max_flag_rate: float = 0.01,
                    min_critical_recall: float = 0.95,
                    pooled: Optional[tuple[np.ndarray, Sequence[str], Sequence]] = None) -> dict:
    """Choose decision thresholds on dev; returns the thresholds set on the head.

    ``pooled = (probs, normalised texts, labels)``: more held-out predictions (e.g. the
    out-of-fold predictions of :func:`out_of_fold_proba` on train) chosen on together with
    dev, for when dev alone has too few records of a class to set a threshold.

    - multilabel: per label, the threshold with the best F1 (0.5 when dev lacks the label),
    - spam: the best spam F1 among thresholds flagging <= ``spam_max_flag_rate`` of dev
      non-spam (model score or the filler rule of :func:`decide_spam`, ``repeat``),
    - severity: expected-value cut points and the P(critical) threshold with the best
      quadratic weighted kappa among those keeping critical recall >= ``min_critical_recall``
      (escalation rules applied, as in the pipeline); see :func:`tune_severity`.
    """
    head = model.heads[task]
    norms = [normalize(t) for t in dev.texts]
    probs = model.predict_proba(norms)[task]
    labels = list(dev.labels)
    if pooled is not None:
        probs = np.vstack([np.asarray(pooled[0], probs.dtype), probs])
        norms = list(pooled[1]) + norms
        labels = list(pooled[2]) + labels
    th = dict(head.thresholds)
    if head.kind == MULTILABEL:
        for j, lab in enumerate(head.labels):
            y = np.array([lab in ls for ls in labels])
            if not y.any():
                th[lab] = 0.5
                continue
            best = max(_GRID, key=lambda t: (binary_f1(y, probs[:, j] >= t)["f1"], -abs(t - 0.5)))
            th[lab] = float(best)
    elif head.labels == SPAM_CLASSES:
        y = np.array([lab != "not_spam" for lab in labels])
        score = 1 - probs[:, 0]
        th.setdefault("repeat", REPEAT_THRESHOLD)
        # the filler rule flags some texts whatever the threshold
        rule = np.array([rule_spam_type(n, th["repeat"]) is not None for n in norms])
        ok = [t for t in _GRID if ((score >= t) | rule)[~y].mean() <= spam_max_flag_rate] or [float(_GRID[-1])]
        th["spam"] = float(max(ok, key=lambda t: (binary_f1(y, (score >= t) | rule)["f1"], t)))
    elif head.labels == SEVERITIES:
        th.update(tune_severity(probs, [escalation_signals(n) for n in norms], labels,
                                min_critical_recall=min_critical_recall))
    head.thresholds = th
    return th


def tune_severity(probs: np.ndarray, fired: list, labels: Sequence[str], min_critical_recall: float = 0.95) -> dict:
    """Ordinal decoding for severity chosen on dev.

    1. cut points on the expected level (coordinate search, 3 rounds, grid 0.2..2.95)
       maximising the quadratic weighted kappa with the escalation rules applied;
    2. the P(critical) threshold (grid 0.005..0.95) with the best kappa among those whose
       critical recall is >= ``min_critical_recall`` (else the one with the best recall).
    """
    y = np.array([SEVERITIES.index(lab) for lab in labels])
    floor = np.array([max([SEVERITIES.index(r.minimum) for r in f] or [0]) for f in fired])
    ev = probs @ np.arange(len(SEVERITIES))
    pc = probs[:, SEVERITIES.index("critical")]
    names = np.array(SEVERITIES)

    def predict(cuts, tc):
        level = np.searchsorted(np.asarray(cuts), ev, side="right")
        level = np.where(pc >= tc, len(SEVERITIES) - 1, level)
        return np.maximum(level, floor)

    def kappa(pred):
        return quadratic_weighted_kappa(names[y], names[pred], SEVERITIES)

    cuts = [0.5, 1.5, 2.5]
    grid = np.round(np.arange(0.2, 3.0, 0.05), 3)
    for _ in range(3):
        for j in range(3):
            cand = [sorted(cuts[:j] + [float(c)] + cuts[j + 1:]) for c in grid]
            cuts = max(cand, key=lambda cs: kappa(predict(cs, 2.0)))
    crit = y == SEVERITIES.index("critical")
    options = []
    for tc in (*np.round(np.arange(0.005, 0.05, 0.005), 3), *_GRID):
        pred = predict(cuts, tc)
        recall = float((pred[crit] == len(SEVERITIES) - 1).mean()) if crit.any() else 1.0
        options.append((recall >= min_critical_recall, kappa(pred) if recall >= min_critical_recall else recall,
                        float(tc)))
    _, _, tc = max(options)
    return {"critical": tc, "ev_medium": float(cuts[0]), "ev_high": float(cuts[1]), "ev_critical": float(cuts[2])}


def out_of_fold_proba(X, labels: Sequence, head: HeadSpec, folds: int = 5, seed: int = 0,
                      sample_weight: Optional[np.ndarray] = None, **fit_kwargs) -> np.ndarray:
    """Probabilities of each training row from a head fitted without its fold.

    ``folds`` random folds (fixed ``seed``); each fold is scored by a head fitted by
    :func:`fit_linear_head` with ``fit_kwargs`` on the others. These held-out predictions
    let thresholds be chosen on train plus dev when dev is small.
    """
    fold = np.random.RandomState(seed).randint(0, folds, len(labels))
    out = np.zeros((len(labels), len(head.labels)), np.float32)
    for f in range(folds):
        fit_rows = np.where(fold != f)[0]
        W, b = fit_linear_head(X[fit_rows], [labels[i] for i in fit_rows], head,
                               sample_weight=None if sample_weight is None else sample_weight[fit_rows],
                               **fit_kwargs)
        z = np.asarray(X[fold == f] @ W) + b
        out[fold == f] = head.probabilities(z)
    return out


def out_of_fold_heads(model: NgramModel, train_sets: Mapping[str, LabelledData],
                      shared_rows: Mapping[str, Sequence[int]],
                      *, C: Mapping[str, float] | float = 4.0, class_weight: Mapping[str, object] | None = None,
                      sample_weights: Optional[Mapping[str, np.ndarray]] = None,
                      nb_scale: Optional[Mapping[str, tuple[str, str]]] = None, folds: int = 5, seed: int = 0,
                      log=print) -> dict[str, np.ndarray]:
    """Out-of-fold probabilities of *every* head on records that all training sets share.

    ``shared_rows[task]`` are the row indices, in ``train_sets[task]``, of the same N fully
    labelled records (in the same order). Each fold of those records is scored by heads fitted
    on everything else (other training rows of the task included), with the recipe's
    arguments; a head with a temperature on the card has its logits divided by it. These
    are the inputs a second-stage decision (:mod:`feedback_nlp.decisions`) is fitted on:
    probabilities like those the final heads give on unseen text. The featuriser (vocabulary,
    IDF: no labels) is the final model's.
    """
    n = {len(r) for r in shared_rows.values()}
    if len(n) != 1:
        raise ValueError("shared_rows must list the same number of records for every task")
    n = n.pop()
    fold = np.random.RandomState(seed).randint(0, folds, n)
    fz = model.featurizer
    out = {}
    for task, data in train_sets.items():
        head = model.heads[task]
        rows = np.asarray(shared_rows[task])
        X = fz.transform([normalize(x) for x in data.texts]).to_scipy(fz.n_features)
        sw = (sample_weights or {}).get(task)
        kw = {"C": C[task] if isinstance(C, Mapping) else C, "class_weight": (class_weight or {}).get(task),
              "nb_scale": (nb_scale or {}).get(task)}
        temp = float(model.card.get("tasks", {}).get(task, {}).get("temperature", 1.0))
        probs = np.zeros((n, len(head.labels)), np.float32)
        for f in range(folds):
            keep = np.ones(len(data), bool)
            keep[rows[fold == f]] = False
            idx = np.where(keep)[0]
            W, b = fit_linear_head(X[idx], [data.labels[i] for i in idx], head,
                                   sample_weight=None if sw is None else sw[idx], **kw)
            z = (np.asarray(X[rows[fold == f]] @ W) + b) / temp
            probs[fold == f] = head.probabilities(z)
            log(f"out-of-fold {task}: fold {f + 1}/{folds}")
        out[task] = probs
    return out


def calibrate_temperature(model: NgramModel, task: str, dev: LabelledData) -> float:
    """Fit one temperature T on dev (grid, minimum NLL) and divide the head's W and b by it."""
    head = model.heads[task]
    norms = [normalize(t) for t in dev.texts]
    W, b = model.weights[task]
    rows = model.featurizer.transform(norms)
    from ..features import linear_scores

    logits = linear_scores(rows, W, b).astype(np.float64)
    y = np.array([head.labels.index(lab) for lab in dev.labels])

    def nll(t):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    temp = float(min(np.round(np.arange(0.3, 3.01, 0.05), 3), key=nll))
    model.weights[task] = (W / temp, b / temp)
    model._stack()
    return temp


def tune_review(model: NgramModel, task: str, dev: LabelledData, accuracy: float) -> dict:
    """Set ``thresholds["review"]`` of a multiclass head: the lowest max-probability threshold
    such that the dev records whose confidence (max probability) is >= it reach ``accuracy``
    (their decided label = the truth). Returns what was achieved on dev."""
    head = model.heads[task]
    norms = [normalize(t) for t in dev.texts]
    probs = model.predict_proba(norms)[task]
    pred = np.array(decide(head, probs, norms))
    correct = pred == np.array(dev.labels)
    conf = probs.max(axis=1)
    best = None
    for t in np.round(np.arange(0.0, 1.0, 0.01), 3):
        kept = conf >= t
        if kept.any() and correct[kept].mean() >= accuracy:
            best = float(t)
            break
    if best is None:
        best = 1.0
    kept = conf >= best
    head.thresholds["review"] = best
    return {"target_accuracy_not_reviewed": accuracy, "threshold": best,
            "dev_share_reviewed": round(float(1 - kept.mean()), 4),
            "dev_accuracy_not_reviewed": round(float(correct[kept].mean()) if kept.any() else 0.0, 4),
            "dev_accuracy_all": round(float(correct.mean()), 4)}

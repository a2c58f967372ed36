"""The one training and evaluation path for every task (shipped models and users' own).

Training needs the ``[train]`` extra (scikit-learn, scipy; no torch). A model is one
featuriser fitted on all training texts plus one linear head per task, so a
bundle of several tasks is scored from a single featurisation.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from .labelled_data import LabelledData
from .features import NgramFeaturizer
from .metrics import (binary_f1, classification_report, expected_calibration_error, multilabel_report,
                      quadratic_weighted_kappa)
from .modeling import NgramModel
from .tasks.base import MULTICLASS, MULTILABEL, HeadSpec
from .tasks.issue_types import decide_issue_types, illness_first
from .tasks.severity import SEVERITIES, decide_severity, decide_severity_combined, escalation_signals, ev_cuts
from .tasks.spam import REPEAT_THRESHOLD, SPAM_CLASSES, decide_spam, rule_spam_type
from .text import normalize

#: Default label sets of the built-in tasks (a user's taxonomy replaces them).
DEFAULT_KINDS = {"spam": MULTICLASS, "issue_types": MULTILABEL, "sentiment": MULTICLASS, "severity": MULTICLASS}


def _require_sklearn():
    from .extras import require_extra

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


# --- decisions (the same functions the pipeline uses) ------------------------------------------
def decide(head: HeadSpec, probs: np.ndarray, norms: Sequence[str], combined: Optional[np.ndarray] = None) -> list:
    """Turn head probabilities into labels the way :class:`FeedbackAnalyzer` does
    (``combined``: the head's combiner probabilities per text, when it has one)."""
    comb = list(combined) if combined is not None else [None] * len(probs)
    if head.kind == MULTILABEL:
        chosen = [decide_issue_types(p, head.labels, head.thresholds, raised=c)[0] for p, c in zip(probs, comb)]
        if combined is None:
            return chosen
        return [illness_first(c, n, head.labels) for c, n in zip(chosen, norms)]
    if head.labels == SPAM_CLASSES:
        t, rep = head.thresholds.get("spam", 0.5), head.thresholds.get("repeat")
        out = []
        for p, n, c in zip(probs, norms, comb):
            is_spam, kind, _ = decide_spam(p, n, t, rep, combined=c)
            out.append(kind if is_spam else "not_spam")
        return out
    if head.labels == SEVERITIES:
        if combined is not None:
            return [decide_severity_combined(c, escalation_signals(n), head.thresholds)[0] for c, n in zip(comb, norms)]
        t, cuts = head.thresholds.get("critical", 0.5), ev_cuts(head.thresholds)
        return [decide_severity(p, escalation_signals(n), t, cuts)[0] for p, n in zip(probs, norms)]
    return [head.labels[int(i)] for i in probs.argmax(axis=1)]


def evaluate_head(model: NgramModel, task: str, data: LabelledData) -> dict:
    """Metrics of one task on labelled data: accuracy, per-class P/R/F1, micro/macro F1,
    confusion matrix (single-label), expected calibration error; for severity also the
    quadratic weighted kappa and critical recall; for spam the binary spam F1."""
    pred, probs = head_predictions(model, task, data)
    return report_predictions(model.heads[task], data.labels, pred, probs)


def head_predictions(model: NgramModel, task: str, data: LabelledData) -> tuple[list, np.ndarray]:
    """``(decisions, probabilities)`` of one task on ``data``, decided as the pipeline decides."""
    head = model.heads[task]
    norms = [normalize(t) for t in data.texts]
    all_probs = model.predict_proba(norms)
    probs = all_probs[task]
    combined = None
    if head.combiner is not None:
        combined = head.combiner.predict_proba(norms, all_probs, {t: h.labels for t, h in model.heads.items()})
    return decide(head, probs, norms, combined), probs


def report_predictions(head: HeadSpec, truth: Sequence, pred: Sequence, probs: np.ndarray) -> dict:
    """:func:`evaluate_head`'s metrics for decisions made elsewhere (e.g. pooled over folds)."""
    if head.kind == MULTILABEL:
        rep = multilabel_report(truth, pred, head.labels)
        gold = np.array([[lab in ls for lab in head.labels] for ls in truth])
        rep["ece"] = expected_calibration_error(np.maximum(probs, 1 - probs).ravel(),
                                                ((probs >= 0.5) == gold).ravel())
        return rep
    rep = classification_report(truth, pred, head.labels)
    conf = probs.max(axis=1)
    rep["ece"] = expected_calibration_error(conf, np.array(head.labels)[probs.argmax(axis=1)] == np.array(truth))
    if head.labels == SEVERITIES:
        rep["quadratic_weighted_kappa"] = quadratic_weighted_kappa(truth, pred, head.labels)
        rep["critical_recall"] = rep["per_class"]["critical"]["recall"]
    if head.labels == SPAM_CLASSES:
        rep["spam_binary"] = binary_f1([y != "not_spam" for y in truth], [y != "not_spam" for y in pred])
    return rep


# --- threshold selection on dev ----------------------------------------------------------------
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


def out_of_fold_heads(model: NgramModel, train_sets: Mapping[str, LabelledData], shared_rows: Mapping[str, Sequence[int]],
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
    from .features import linear_scores

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


# --- one path for every task -----------------------------------------------------------------
def train_model(train_sets: Mapping[str, LabelledData], dev_sets: Optional[Mapping[str, LabelledData]] = None, *,
                labels: Optional[Mapping[str, Sequence[str]]] = None,
                featurizer: Optional[NgramFeaturizer] = None, extra_texts: Sequence[str] = (),
                C: Mapping[str, float] | float = 4.0, class_weight: Mapping[str, object] | None = None,
                sample_weights: Optional[Mapping[str, np.ndarray]] = None,
                nb_scale: Optional[Mapping[str, tuple[str, str]]] = None,
                calibrate: Sequence[str] = (), spam_max_flag_rate: float = 0.01,
                min_critical_recall: float = 0.95, review_accuracy: Optional[Mapping[str, float]] = None,
                threshold_folds: Optional[Mapping[str, int]] = None,
                card: Optional[dict] = None, verbose: bool = True) -> NgramModel:
    """Train one model with a head per task from labelled data.

    Parameters
    ----------
    train_sets : task -> LabelledData
        Training data per task. The featuriser is fitted on the union of their
        texts (plus ``extra_texts``), so all heads share one feature space.
    dev_sets : task -> LabelledData, optional
        Dev data: decision thresholds are chosen there, and dev metrics go on the card.
    labels : task -> labels, optional
        Label order per task; default: built-in order for built-in tasks, else sorted.
    C : float or task -> float
        Inverse regularisation strength of the logistic regressions.
    class_weight, sample_weights : task -> ...
        Passed to :func:`fit_linear_head` (class weights may be keyed by label).
    nb_scale : task -> (positive label, negative label)
        NB-SVM log-count-ratio scaling for that task's head (folded into its weights).
    calibrate : tasks
        Multiclass heads whose weights and bias are divided by a temperature fitted on
        dev (minimum negative log-likelihood), so their probabilities are calibrated
        confidences; decisions by argmax do not change.
    spam_max_flag_rate, min_critical_recall : constraints of :func:`tune_thresholds`.
    threshold_folds : task -> k
        Choose that task's thresholds on k-fold out-of-fold predictions on train pooled
        with dev (:func:`out_of_fold_proba`; k more fits of the head) instead of on dev
        alone: for classes too rare on dev to set a threshold (e.g. 33 critical records).
        Ignored for tasks in ``calibrate`` (their out-of-fold probabilities would be uncalibrated).
    review_accuracy : task -> accuracy
        For ``sentiment`` / ``severity``: choose the head's ``review`` threshold on dev
        (see :func:`tune_review`) so that records *not* sent to review reach this accuracy.
    """
    _require_sklearn()
    t0 = time.time()
    log = print if verbose else (lambda *a, **k: None)
    norm_sets = {t: [normalize(x) for x in d.texts] for t, d in train_sets.items()}
    if featurizer is None:
        featurizer = NgramFeaturizer()
    if not hasattr(featurizer, "vocabulary_"):
        seen, corpus = set(), []
        for norms in list(norm_sets.values()) + [[normalize(x) for x in extra_texts]]:
            for n in norms:
                if n not in seen:
                    seen.add(n)
                    corpus.append(n)
        log(f"fitting featurizer on {len(corpus)} distinct texts")
        featurizer.fit(corpus)
    heads, weights, pooled = {}, {}, {}
    for task, data in train_sets.items():
        labs = list((labels or {}).get(task) or _default_labels(task, data))
        kind = MULTILABEL if data.multilabel else MULTICLASS
        head = HeadSpec(task=task, kind=kind, labels=labs)
        X = featurizer.transform(norm_sets[task]).to_scipy(featurizer.n_features)
        c = C[task] if isinstance(C, Mapping) else C
        cw = (class_weight or {}).get(task)
        log(f"training {task}: {len(data)} texts, {len(labs)} labels, C={c}, class_weight={cw}")
        heads[task] = head
        fit_kwargs = {"C": c, "class_weight": cw, "nb_scale": (nb_scale or {}).get(task)}
        sw = (sample_weights or {}).get(task)
        weights[task] = fit_linear_head(X, data.labels, head, sample_weight=sw, **fit_kwargs)
        folds = (threshold_folds or {}).get(task)
        if folds and dev_sets and task in dev_sets and task not in calibrate:
            log(f"{task}: {folds}-fold out-of-fold predictions for threshold selection")
            pooled[task] = (out_of_fold_proba(X, data.labels, head, folds=folds, sample_weight=sw, **fit_kwargs),
                            norm_sets[task], data.labels)
    card = dict(card or {})
    card.setdefault("tasks", {})
    model = NgramModel(featurizer, heads, weights, card)
    for task in heads:
        entry = card["tasks"].setdefault(task, {})
        entry["training_data"] = {"n_texts": len(train_sets[task]), **entry.get("training_data", {})}
        if dev_sets and task in dev_sets:
            if task in calibrate:
                temp = calibrate_temperature(model, task, dev_sets[task])
                entry["temperature"] = round(temp, 4)
                log(f"calibrated {task}: temperature {temp:.3f}")
            tune_thresholds(model, task, dev_sets[task], spam_max_flag_rate=spam_max_flag_rate,
                            min_critical_recall=min_critical_recall, pooled=pooled.get(task))
            if task in pooled:
                entry["thresholds_chosen_on"] = (f"dev + {threshold_folds[task]}-fold out-of-fold predictions "
                                                 f"on train ({len(pooled[task][2])} records)")
            if task in (review_accuracy or {}):
                entry["review"] = tune_review(model, task, dev_sets[task], review_accuracy[task])
            entry["metrics"] = {"dev": evaluate_head(model, task, dev_sets[task])}
    card["training_seconds"] = round(time.time() - t0, 1)
    model.card = card
    return model


def _default_labels(task: str, data: LabelledData) -> list[str]:
    from .tasks import ISSUE_TYPES, SENTIMENTS, SEVERITIES as SEV

    builtin = {"spam": SPAM_CLASSES, "issue_types": ISSUE_TYPES, "sentiment": SENTIMENTS, "severity": SEV}
    found = sorted({lab for y in data.labels for lab in (y if data.multilabel else [y])})
    if task in builtin and set(found) <= set(builtin[task]):
        return list(builtin[task])
    return found


def write_report(report: dict, path: str | Path) -> tuple[Path, Path]:
    """Write an evaluation report as JSON and as readable Markdown next to it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    json_path = path.with_suffix(".json")
    md_path = path.with_suffix(".md")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    md_path.write_text(format_report(report), encoding="utf-8")
    return json_path, md_path


def format_report(report: dict) -> str:
    """Readable Markdown for ``{task: metrics}``."""
    lines = []
    for task, rep in report.items():
        if not isinstance(rep, dict) or "per_class" not in rep:
            continue
        lines.append(f"## {task}\n")
        summary = {k: rep[k] for k in ("n", "accuracy", "micro_f1", "macro_f1", "ece", "quadratic_weighted_kappa",
                                       "critical_recall") if k in rep}
        lines.append(" · ".join(f"{k}: {v}" for k, v in summary.items()) + "\n")
        if "spam_binary" in rep:
            lines.append("spam vs not spam: " + " · ".join(f"{k}: {v}" for k, v in rep["spam_binary"].items()) + "\n")
        lines.append("| label | precision | recall | F1 | support |\n|---|---|---|---|---|")
        for lab, m in rep["per_class"].items():
            lines.append(f"| {lab} | {m['precision']} | {m['recall']} | {m['f1']} | {m['support']} |")
        if "confusion_matrix" in rep:
            labs = rep["confusion_matrix"]["labels"]
            lines.append("\nconfusion matrix (rows = truth, columns = prediction)\n")
            lines.append("| | " + " | ".join(labs) + " |\n|---" * 1 + "|---" * len(labs) + "|")
            for lab, row in zip(labs, rep["confusion_matrix"]["matrix"]):
                lines.append(f"| **{lab}** | " + " | ".join(map(str, row)) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"

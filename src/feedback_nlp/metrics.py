"""Evaluation metrics in plain numpy (no scikit-learn needed to evaluate a model)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    tp, fp, fn = float(tp), float(fp), float(fn)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def classification_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict:
    """Accuracy, per-class precision/recall/F1/support, micro/macro F1, confusion matrix."""
    labels = list(labels)
    idx = {lab: i for i, lab in enumerate(labels)}
    cm = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[idx[t], idx[p]] += 1
    per_class = {}
    for i, lab in enumerate(labels):
        tp = cm[i, i]
        p, r, f = _prf(tp, cm[:, i].sum() - tp, cm[i, :].sum() - tp)
        per_class[lab] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                          "support": int(cm[i, :].sum())}
    n = int(cm.sum())
    acc = float(np.trace(cm)) / n if n else 0.0
    present = [lab for lab in labels if per_class[lab]["support"] > 0]
    macro = float(np.mean([per_class[lab]["f1"] for lab in present])) if present else 0.0
    return {"n": n, "accuracy": round(acc, 4), "micro_f1": round(acc, 4), "macro_f1": round(macro, 4),
            "per_class": per_class, "confusion_matrix": {"labels": labels, "matrix": cm.tolist()}}


def multilabel_report(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]], labels: Sequence[str]) -> dict:
    """Per-label precision/recall/F1, micro/macro F1, exact-match accuracy."""
    labels = list(labels)
    tp = dict.fromkeys(labels, 0)
    fp = dict.fromkeys(labels, 0)
    fn = dict.fromkeys(labels, 0)
    exact = 0
    for t, p in zip(y_true, y_pred):
        t, p = set(t), set(p)
        exact += t == p
        for lab in labels:
            tp[lab] += (lab in t) and (lab in p)
            fp[lab] += (lab not in t) and (lab in p)
            fn[lab] += (lab in t) and (lab not in p)
    per_class = {}
    for lab in labels:
        p, r, f = _prf(tp[lab], fp[lab], fn[lab])
        per_class[lab] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                          "support": tp[lab] + fn[lab]}
    _, _, micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    present = [lab for lab in labels if per_class[lab]["support"] > 0]
    macro = float(np.mean([per_class[lab]["f1"] for lab in present])) if present else 0.0
    n = len(y_true)
    return {"n": n, "accuracy": round(exact / n, 4) if n else 0.0, "micro_f1": round(micro, 4),
            "macro_f1": round(macro, 4), "per_class": per_class}


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    """ECE: mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if not len(confidence):
        return 0.0
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - confidence[m].mean())
    return round(float(ece), 4)


def quadratic_weighted_kappa(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> float:
    """Cohen's kappa with quadratic weights over ordered ``labels``."""
    idx = {lab: i for i, lab in enumerate(labels)}
    return quadratic_weighted_kappa_codes(np.array([idx[x] for x in y_true], int),
                                          np.array([idx[x] for x in y_pred], int), len(labels))


def quadratic_weighted_kappa_codes(t: np.ndarray, p: np.ndarray, k: int) -> float:
    """:func:`quadratic_weighted_kappa` of labels given as their indices ``0 .. k-1`` (int arrays): for a search
    that scores many decodings of the same records."""
    if not len(t):
        return 0.0
    obs = np.zeros((k, k))
    np.add.at(obs, (t, p), 1)
    exp = np.outer(np.bincount(t, minlength=k), np.bincount(p, minlength=k)) / len(t)
    w = (np.subtract.outer(np.arange(k), np.arange(k)) ** 2) / max((k - 1) ** 2, 1)
    denom = (w * exp).sum()
    return round(float(1 - (w * obs).sum() / denom), 4) if denom else 0.0


def binary_f1(y_true: Sequence[bool], y_pred: Sequence[bool]) -> dict:
    t = np.asarray(y_true, bool)
    p = np.asarray(y_pred, bool)
    prec, rec, f = _prf(float((t & p).sum()), float((~t & p).sum()), float((t & ~p).sum()))
    return {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f, 4), "support": int(t.sum())}


def normalized_mutual_info(a: Sequence, b: Sequence) -> float:
    """NMI between two labelings (arithmetic-mean normalisation, as scikit-learn's default)."""
    ai = {v: i for i, v in enumerate(dict.fromkeys(a))}
    bi = {v: i for i, v in enumerate(dict.fromkeys(b))}
    m = np.zeros((len(ai), len(bi)))
    for x, y in zip(a, b):
        m[ai[x], bi[y]] += 1
    n = m.sum()
    if n == 0:
        return 0.0
    pa, pb = m.sum(1) / n, m.sum(0) / n
    nz = m > 0
    mi = float((m[nz] / n * np.log((m[nz] / n) / np.outer(pa, pb)[nz])).sum())
    ha, hb = -(pa * np.log(pa)).sum(), -(pb * np.log(pb)).sum()
    return 0.0 if ha + hb == 0 else float(2 * mi / (ha + hb))


def decision_report(records: Sequence[Mapping], results: Sequence) -> dict:
    """What the pipeline *decided* on labelled records (codebook fields), per decision.

    ``records`` are dicts with is_spam, spam_type, issue_types, sentiment, severity;
    ``results`` the matching :class:`~feedback_nlp.result.FeedbackResult` objects (or dicts).
    Reports precision and recall per severity level and per spam type (not only aggregates),
    critical precision/recall, the share of praise and of negative records raising no problem (bare
    verdicts, "差评！") given an issue type, and how many non-spam
    records at medium or above have no route.
    """
    from .result import field_of
    from .tasks.issue_types import ISSUE_TYPES
    from .tasks.severity import SEVERITIES
    from .tasks.spam import SPAM_TYPES

    get = field_of
    sev_true = [r["severity"] for r in records]
    sev_pred = [get(x, "severity") for x in results]
    severity = classification_report(sev_true, sev_pred, SEVERITIES)
    severity["quadratic_weighted_kappa"] = round(quadratic_weighted_kappa(sev_true, sev_pred, SEVERITIES), 4)
    spam_true = [r["spam_type"] if r["is_spam"] else "not_spam" for r in records]
    spam_pred = [get(x, "spam_type") or "spam" if get(x, "is_spam") else "not_spam" for x in results]
    spam_types = {}
    for t in SPAM_TYPES:
        truth = np.array([s == t for s in spam_true])
        caught = np.array([p != "not_spam" for p in spam_pred])  # caught as spam of any type
        typed = np.array([p == t for p in spam_pred])
        spam_types[t] = {"support": int(truth.sum()),
                         "recall_as_spam": round(float(caught[truth].mean()), 4) if truth.any() else None,
                         "precision_of_type": round(float(truth[typed].mean()), 4) if typed.any() else None,
                         "recall_of_type": round(float(typed[truth].mean()), 4) if truth.any() else None}
    non_spam = [i for i, r in enumerate(records) if not r["is_spam"]]
    labels = sorted({lab for r in records for lab in r["issue_types"]} | set(ISSUE_TYPES), key=lambda s: (
        ISSUE_TYPES.index(s) if s in ISSUE_TYPES else len(ISSUE_TYPES), s))
    issues = multilabel_report([r["issue_types"] for r in records],
                               [list(get(x, "issue_types") or []) for x in results], labels)
    praise = [i for i in non_spam if records[i]["sentiment"] == "positive" and not records[i]["issue_types"]]
    verdicts = [i for i in non_spam if records[i]["sentiment"] == "negative" and not records[i]["issue_types"]]
    unrouted = [i for i, x in enumerate(results) if not get(x, "is_spam")
                and SEVERITIES.index(get(x, "severity")) >= 1 and get(x, "route") is None]
    crit = severity["per_class"]["critical"]
    return {
        "n": len(records),
        "severity": severity,
        "critical": {"precision": crit["precision"], "recall": crit["recall"], "support": crit["support"],
                     "predicted": int(sum(p == "critical" for p in sev_pred))},
        "spam": {**binary_f1([s != "not_spam" for s in spam_true], [p != "not_spam" for p in spam_pred]),
                 "per_type": spam_types},
        "issue_types": {"micro_f1": issues["micro_f1"], "macro_f1": issues["macro_f1"],
                        "per_class": issues["per_class"]},
        "praise_given_an_issue": {"n": len(praise), "rate": round(float(np.mean(
            [bool(get(results[i], "issue_types")) for i in praise])), 4) if praise else 0.0},
        "verdict_given_an_issue": {"n": len(verdicts), "rate": round(float(np.mean(
            [bool(get(results[i], "issue_types")) for i in verdicts])), 4) if verdicts else 0.0},
        "unrouted_medium_or_above": len(unrouted),
        "needs_review_share": round(float(np.mean([bool(get(x, "needs_review")) for x in results])), 4)
        if len(results) else 0.0,
    }

"""The one training and evaluation path for every task (shipped models and users' own).

Training needs the ``[train]`` extra (scikit-learn, scipy). A model is one
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
from .tasks.severity import SEVERITIES, decide_severity, escalation_signals
from .tasks.spam import SPAM_CLASSES
from .text import normalize

#: Default label sets of the built-in tasks (a user's taxonomy replaces them).
DEFAULT_KINDS = {"spam": MULTICLASS, "issue_types": MULTILABEL, "sentiment": MULTICLASS, "severity": MULTICLASS}


def _require_sklearn():
    try:
        import sklearn  # noqa: F401
        import scipy  # noqa: F401
    except ImportError as e:  # pragma: no cover - environment dependent
        raise ImportError("training needs the [train] extra: pip install 'feedback-nlp[train]'") from e


def fit_linear_head(X, labels: Sequence, head: HeadSpec, C: float = 4.0, class_weight=None,
                    sample_weight: Optional[np.ndarray] = None, max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Fit logistic regression(s) on sparse ``X``; return ``(W [n_features, k], b [k])``.

    Multiclass: one multinomial model (softmax over ``head.labels``).
    Multilabel: one binary model per label (independent sigmoids); a label with no
    positive example gets a strongly negative bias.
    """
    _require_sklearn()
    from sklearn.linear_model import LogisticRegression

    k = len(head.labels)
    n_features = X.shape[1]
    if head.kind == MULTICLASS:
        idx = {lab: i for i, lab in enumerate(head.labels)}
        y = np.array([idx[lab] for lab in labels])
        present = np.unique(y)
        clf = LogisticRegression(C=C, max_iter=max_iter, class_weight=class_weight)
        clf.fit(X, y, sample_weight=sample_weight)
        W = np.zeros((n_features, k), np.float32)
        b = np.full(k, -30.0, np.float32)  # classes absent from training are never predicted
        if len(present) == 2:
            W[:, present[1]] = clf.coef_[0]
            b[present[0]], b[present[1]] = 0.0, clf.intercept_[0]
        else:
            W[:, present] = clf.coef_.T
            b[present] = clf.intercept_
        return W, b
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


# --- decisions (the same functions the pipeline uses) ------------------------------------------
def decide(head: HeadSpec, probs: np.ndarray, norms: Sequence[str]) -> list:
    """Turn head probabilities into labels the way :class:`FeedbackAnalyzer` does."""
    if head.kind == MULTILABEL:
        out = []
        for p in probs:
            chosen = [lab for lab, q in zip(head.labels, p) if q >= head.thresholds.get(lab, 0.5)]
            out.append(sorted(chosen, key=lambda lab: -p[head.labels.index(lab)]))
        return out
    if head.labels == SPAM_CLASSES:
        t = head.thresholds.get("spam", 0.5)
        return [SPAM_CLASSES[1 + int(np.argmax(p[1:]))] if 1 - p[0] >= t else "not_spam" for p in probs]
    if head.labels == SEVERITIES:
        t = head.thresholds.get("critical", 0.5)
        return [decide_severity(p, escalation_signals(n), t)[0] for p, n in zip(probs, norms)]
    return [head.labels[int(i)] for i in probs.argmax(axis=1)]


def evaluate_head(model: NgramModel, task: str, data: LabelledData) -> dict:
    """Metrics of one task on labelled data: accuracy, per-class P/R/F1, micro/macro F1,
    confusion matrix (single-label), expected calibration error; for severity also the
    quadratic weighted kappa and critical recall; for spam the binary spam F1."""
    head = model.heads[task]
    norms = [normalize(t) for t in data.texts]
    probs = model.predict_proba(norms)[task]
    pred = decide(head, probs, norms)
    if head.kind == MULTILABEL:
        rep = multilabel_report(data.labels, pred, head.labels)
        truth = np.array([[lab in ls for lab in head.labels] for ls in data.labels])
        rep["ece"] = expected_calibration_error(np.maximum(probs, 1 - probs).ravel(),
                                                ((probs >= 0.5) == truth).ravel())
        return rep
    rep = classification_report(data.labels, pred, head.labels)
    conf = probs.max(axis=1)
    rep["ece"] = expected_calibration_error(conf, np.array(head.labels)[probs.argmax(axis=1)] == np.array(data.labels))
    if head.labels == SEVERITIES:
        rep["quadratic_weighted_kappa"] = quadratic_weighted_kappa(data.labels, pred, head.labels)
        rep["critical_recall"] = rep["per_class"]["critical"]["recall"]
    if head.labels == SPAM_CLASSES:
        rep["spam_binary"] = binary_f1([y != "not_spam" for y in data.labels], [y != "not_spam" for y in pred])
    return rep


# --- threshold selection on dev ----------------------------------------------------------------
_GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)


def tune_thresholds(model: NgramModel, task: str, dev: LabelledData) -> dict:
    """Choose decision thresholds on dev; returns the thresholds set on the head.

    - multilabel: per label, the threshold with the best F1 (0.5 when dev lacks the label),
    - spam: the best spam F1 among thresholds flagging <= 1% of dev non-spam,
    - severity: the highest P(critical) threshold that keeps critical recall >= 0.95.
    """
    head = model.heads[task]
    norms = [normalize(t) for t in dev.texts]
    probs = model.predict_proba(norms)[task]
    th = dict(head.thresholds)
    if head.kind == MULTILABEL:
        for j, lab in enumerate(head.labels):
            y = np.array([lab in ls for ls in dev.labels])
            if not y.any():
                th[lab] = 0.5
                continue
            best = max(_GRID, key=lambda t: (binary_f1(y, probs[:, j] >= t)["f1"], -abs(t - 0.5)))
            th[lab] = float(best)
    elif head.labels == SPAM_CLASSES:
        y = np.array([lab != "not_spam" for lab in dev.labels])
        score = 1 - probs[:, 0]
        ok = [t for t in _GRID if (score[~y] >= t).mean() <= 0.01] or [float(_GRID[-1])]
        th["spam"] = float(max(ok, key=lambda t: (binary_f1(y, score >= t)["f1"], t)))
    elif head.labels == SEVERITIES:
        y = np.array([lab == "critical" for lab in dev.labels])
        fired = [escalation_signals(n) for n in norms]
        best = 0.5
        if y.any():
            for t in sorted(_GRID, reverse=True):
                pred = np.array([decide_severity(p, f, t)[0] == "critical" for p, f in zip(probs, fired)])
                if pred[y].mean() >= 0.95:
                    best = float(t)
                    break
            else:
                best = float(_GRID[0])
        th["critical"] = best
    head.thresholds = th
    return th


# --- one path for every task -----------------------------------------------------------------
def train_model(train_sets: Mapping[str, LabelledData], dev_sets: Optional[Mapping[str, LabelledData]] = None, *,
                labels: Optional[Mapping[str, Sequence[str]]] = None,
                featurizer: Optional[NgramFeaturizer] = None, extra_texts: Sequence[str] = (),
                C: Mapping[str, float] | float = 4.0, class_weight: Mapping[str, object] | None = None,
                sample_weights: Optional[Mapping[str, np.ndarray]] = None,
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
    heads, weights = {}, {}
    for task, data in train_sets.items():
        labs = list((labels or {}).get(task) or _default_labels(task, data))
        kind = MULTILABEL if data.multilabel else MULTICLASS
        head = HeadSpec(task=task, kind=kind, labels=labs)
        X = featurizer.transform(norm_sets[task]).to_scipy(featurizer.n_features)
        c = C[task] if isinstance(C, Mapping) else C
        cw = (class_weight or {}).get(task)
        log(f"training {task}: {len(data)} texts, {len(labs)} labels, C={c}, class_weight={cw}")
        heads[task] = head
        weights[task] = fit_linear_head(X, data.labels, head, C=c, class_weight=cw,
                                        sample_weight=(sample_weights or {}).get(task))
    card = dict(card or {})
    card.setdefault("tasks", {})
    model = NgramModel(featurizer, heads, weights, card)
    for task in heads:
        entry = card["tasks"].setdefault(task, {})
        entry["training_data"] = {"n_texts": len(train_sets[task]), **entry.get("training_data", {})}
        if dev_sets and task in dev_sets:
            tune_thresholds(model, task, dev_sets[task])
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

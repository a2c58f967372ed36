"""Deciding and scoring a head as the pipeline decides (:func:`decide`, :func:`evaluate_head`), and the
reports written next to a model (:func:`write_report`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..labelled_data import LabelledData, check_labelled
from ..metrics import (binary_f1, classification_report, expected_calibration_error, multilabel_report,
                      quadratic_weighted_kappa)
from ..modeling import NgramModel
from ..tasks.base import MULTILABEL, HeadSpec
from ..tasks.issue_types import decide_issue_types, illness_first
from ..tasks.severity import SEVERITIES, decide_severity, decide_severity_combined, escalation_signals, ev_cuts
from ..tasks.spam import SPAM_CLASSES, decide_spam
from ..text import normalize


def decide(head: HeadSpec, probs: np.ndarray, norms: Sequence[str], combined: Optional[np.ndarray] = None) -> list:
    """Turn head probabilities into labels the way :class:`FeedbackAnalyzer`'s components do
    (``combined``: the head's combiner probabilities per text, when it has one), without the rules of its decision
    stage beside the combiners (bare verdicts, texts with no words, review forms …; :func:`evaluate_decisions`
    has them)."""
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
    check_labelled(task, data, model.heads[task].labels, training=False)
    pred, probs = head_predictions(model, task, data)
    return report_predictions(model.heads[task], data.labels, pred, probs)


def evaluate_decisions(analyzer, model: NgramModel, task: str, data: LabelledData) -> dict:
    """:func:`evaluate_head`'s metrics for the decisions ``analyzer`` (a :class:`FeedbackAnalyzer` over ``model``)
    outputs, its rules included (bare verdicts, texts with no words, review forms …): the figures a user of the
    analyzer gets. The calibration error is still the head's."""
    check_labelled(task, data, model.heads[task].labels, training=False)
    results = analyzer.analyze_batch(list(data.texts))
    if task == "spam":
        pred = [r.spam_type if r.is_spam else model.heads[task].labels[0] for r in results]
    elif task in ("issue_types", "sentiment", "severity"):
        pred = [getattr(r, task) for r in results]
    else:
        pred = [r.extra.get(task) for r in results]
    probs = model.predict_proba([normalize(t) for t in data.texts])[task]
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

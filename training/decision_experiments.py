"""Reproduce the model card's "what was tried" for the decisions (0.4.0) from cached predictions.

    python training/train_baseline.py            # writes work_data/decisions/oof_heads.npz
    python training/decision_experiments.py [--model models/feedback-zh-ngram]

Each row refits one decision's combiner with other evidence (or none: the head alone) on the
out-of-fold head predictions of the train annotations, and scores it on the combiner's own
out-of-fold predictions pooled with dev, the way `feedback_nlp.decisions` chooses operating
points. Test is not read. Output: a Markdown table on stdout and in MODEL/decision_experiments.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))

from feedback_nlp.decisions import GRID, _multilabel_micro_f1, default_evidence, out_of_fold_combiner  # noqa: E402
from feedback_nlp.labelled_data import load_annotations, shared_data_dir  # noqa: E402
from feedback_nlp.modeling import NgramModel  # noqa: E402
from feedback_nlp.tasks.combiner import Combiner  # noqa: E402
from feedback_nlp.tasks.evidence import TEXT_EVIDENCE, evidence_matrix  # noqa: E402
from feedback_nlp.text import normalize  # noqa: E402
from train_baseline import cached_oof_heads  # noqa: E402


def pooled_scores(feats, labels, yes, train, dev, mask_tr, mask_dv, multiclass=None):
    """Out-of-fold (train) + dev probabilities of the positive class, and the truth."""
    E_tr = evidence_matrix(feats, train["norms"], train["probs"], labels)[mask_tr]
    E_dv = evidence_matrix(feats, dev["norms"], dev["probs"], labels)[mask_dv]
    y_tr, y_dv = train["y"][mask_tr], dev["y"][mask_dv]
    classes = multiclass or ["no", "yes"]
    target = yes if multiclass else "yes"
    yy = y_tr if multiclass else np.where(y_tr == yes, "yes", "no")
    comb = Combiner(feats, classes).fit(E_tr, yy)
    j = classes.index(target)
    oof = out_of_fold_combiner(comb, E_tr, yy)[:, j]
    dv = comb.predict_proba_evidence(E_dv)[:, j]
    return np.concatenate([oof, dv]), np.concatenate([y_tr == yes, y_dv == yes])


def precision_at_recall(score, truth, recall):
    best = 0.0
    for t in GRID:
        flag = score >= t
        tp = (flag & truth).sum()
        if tp / max(truth.sum(), 1) >= recall:
            best = max(best, tp / max(flag.sum(), 1))
    return round(float(best), 3)


def best_f1(score, truth):
    out = 0.0
    for t in GRID:
        flag = score >= t
        tp = (flag & truth).sum()
        p, r = tp / max(flag.sum(), 1), tp / max(truth.sum(), 1)
        out = max(out, 2 * p * r / max(p + r, 1e-9))
    return round(float(out), 3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(REPO / "models" / "feedback-zh-ngram"))
    ap.add_argument("--cache", default=str(REPO / "work_data" / "decisions"))
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    cache = Path(args.cache) / "oof_heads.npz"
    if not cache.is_file():
        print(f"{cache} not found: run python training/train_baseline.py first", file=sys.stderr)
        return 2
    model = NgramModel.from_pretrained(args.model)
    oof = cached_oof_heads(cache, model)
    if oof is None:
        print(f"{cache} holds predictions of other heads than {args.model}'s; rewrite it with python "
              f"training/train_baseline.py --refit-decisions -o COPY_OF_MODEL --cache {args.cache}", file=sys.stderr)
        return 2
    labels = {t: h.labels for t, h in model.heads.items()}
    data_dir = shared_data_dir(args.data)
    rows = {s: load_annotations(s, data_dir) for s in ("train", "dev")}
    norms = {s: [normalize(r["text"]) for r in rows[s]] for s in rows}
    split = {"train": {"norms": norms["train"], "probs": oof},
             "dev": {"norms": norms["dev"], "probs": model.predict_proba(norms["dev"])}}
    not_spam = {s: np.array([not r["is_spam"] for r in rows[s]]) for s in rows}
    everything = {s: np.ones(len(rows[s]), bool) for s in rows}
    table = ["| decision | evidence | measure (out-of-fold train + dev) | value |", "|---|---|---|---|"]

    # severity: P(critical) ranking
    for s in rows:
        split[s]["y"] = np.array([r["severity"] for r in rows[s]])
    full = default_evidence("severity", labels)
    variants = {
        "severity head only": [f"logit:severity:{lab}" for lab in labels["severity"]],
        "+ escalation rules": [f for f in full if f.startswith(("logit:severity", "rule:"))],
        "+ other heads (shipped)": full,
        "+ text evidence (shipped until 2026-12-07)": full + [f"text:{n}" for n in TEXT_EVIDENCE],
    }
    for name, feats in variants.items():
        score, truth = pooled_scores(feats, labels, "critical", split["train"], split["dev"], not_spam["train"],
                                     not_spam["dev"], multiclass=["low", "medium", "high", "critical"])
        table.append(f"| severity: critical | {name} | precision at recall 0.90 / 0.85 | "
                     f"{precision_at_recall(score, truth, 0.90)} / {precision_at_recall(score, truth, 0.85)} |")

    # spam: best F1
    for s in rows:
        split[s]["y"] = np.array(["yes" if r["is_spam"] else "no" for r in rows[s]])
    full = default_evidence("spam", labels)
    variants = {
        "spam head only": [f"logit:spam:{lab}" for lab in labels["spam"]],
        "+ contact channels and requests": [f"logit:spam:{lab}" for lab in labels["spam"]]
        + [f"text:{n}" for n in TEXT_EVIDENCE],
        "+ other heads (shipped)": full,
    }
    for name, feats in variants.items():
        score, truth = pooled_scores(feats, labels, "yes", split["train"], split["dev"], everything["train"],
                                     everything["dev"])
        table.append(f"| spam | {name} | best F1 (no complaint budget, no filler rule) | {best_f1(score, truth)} |")

    # issue gate: praise given an issue vs micro F1
    for s in rows:
        split[s]["y"] = np.array(["yes" if r["issue_types"] else "no" for r in rows[s]])
    feats = default_evidence("issue_types", labels)
    score, _ = pooled_scores(feats, labels, "yes", split["train"], split["dev"], not_spam["train"], not_spam["dev"])
    th = model.heads["issue_types"].thresholds
    recs = [r for r, k in zip(rows["train"], not_spam["train"]) if k] + [r for r, k in zip(rows["dev"], not_spam["dev"]) if k]
    probs = np.vstack([oof["issue_types"][not_spam["train"]], split["dev"]["probs"]["issue_types"][not_spam["dev"]]])
    chosen = [[lab for j, lab in enumerate(labels["issue_types"]) if p[j] >= th.get(lab, 0.5)] for p in probs]
    truth = [r["issue_types"] for r in recs]
    praise = [r["sentiment"] == "positive" and not r["issue_types"] for r in recs]
    for gate in (0.0, 0.5, 0.7, 0.8, 0.9):
        pred = [c if g >= gate else [] for c, g in zip(chosen, score)]
        rate = np.mean([bool(p) for p, k in zip(pred, praise) if k])
        table.append(f"| issue gate | gate {gate} | micro F1 / praise given an issue | "
                     f"{_multilabel_micro_f1(truth, pred):.3f} / {rate:.3f} |")
    text = "\n".join(table) + "\n"
    print(text)
    Path(args.model, "decision_experiments.md").write_text(
        "# Decision experiments (0.4.0)\n\n`python training/decision_experiments.py`\n\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

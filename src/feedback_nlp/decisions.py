"""Training the decisions a person acts on: combiners and their operating points.

The heads give probabilities; this second stage turns them into decisions with stated
precision *and* recall. For each decision a :class:`~feedback_nlp.tasks.combiner.Combiner`
is fitted on out-of-fold head probabilities of fully labelled records (texts the heads did
not see), and its operating point is chosen by a written rule on held-out predictions:
the combiner's own out-of-fold predictions on train pooled with dev. Each point is stored
in the head's ``thresholds`` (users move it with ``FeedbackAnalyzer.load(thresholds=...)``
or ``--threshold``) with the precision/recall table it was read from
(``model.json``: ``tasks.<task>.operating_points``).

Decisions:

- ``spam.spam``: P(spam) from the spam combiner (spam head + contact channels + what the
  text asks for + the other heads); the best spam F1 with at most ``max_flag_rate`` of
  real complaints flagged.
- ``issue_types.gate``: P(a problem is raised); the highest gate keeping the issue-type
  micro F1 within ``gate_f1_tolerance`` of no gate, so praise gets no issue type.
- ``severity.critical`` / ``critical_unsignalled`` / ``critical_review``: P(critical) from the
  severity combiner (escalation signals + heads); two critical points, for records with and
  without a critical escalation signal, the most precise pair whose recall reaches
  ``min_critical_recall``; the review band starts where recall reaches ``review_recall``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import numpy as np

from .metrics import quadratic_weighted_kappa_codes
from .tasks.combiner import Combiner
from .tasks.evidence import TEXT_EVIDENCE, evidence_matrix
from .tasks.severity import (ESCALATION_RULES, SEVERITIES, critical_signalled, decide_severity_combined,
                             escalation_signals)
from .tasks.spam import rule_spam_type

GRID = np.round(np.arange(0.02, 0.99, 0.01), 3)


def default_evidence(task: str, head_labels: Mapping[str, Sequence[str]]) -> list[str]:
    """The evidence each built-in decision weighs (names as in :func:`evidence_matrix`)."""
    L = head_labels
    rules = [f"rule:{r.reason}" for r in ESCALATION_RULES]
    if task == "spam":
        return ([f"logit:spam:{lab}" for lab in L["spam"]] + [f"text:{n}" for n in TEXT_EVIDENCE]
                + [f"p:sentiment:{lab}" for lab in L["sentiment"]]
                + [f"logit:issue_types:{lab}" for lab in L["issue_types"]]
                + [f"logit:severity:{lab}" for lab in L["severity"]])
    if task == "issue_types":
        return ([f"logit:issue_types:{lab}" for lab in L["issue_types"]] + [f"p:sentiment:{lab}" for lab in L["sentiment"]]
                + [f"logit:severity:{lab}" for lab in L["severity"]] + rules + [f"text:{n}" for n in TEXT_EVIDENCE])
    if task == "severity":
        return ([f"logit:severity:{lab}" for lab in L["severity"]] + [f"p:sentiment:{lab}" for lab in L["sentiment"]]
                + [f"p:issue_types:{lab}" for lab in L["issue_types"]] + rules + ["logit:spam:not_spam"])
    raise ValueError(f"no built-in decision for task {task!r}")


def pr_table(score: np.ndarray, truth: np.ndarray, grid: Sequence[float] = GRID) -> list[list[float]]:
    """``[threshold, precision, recall, share flagged]`` rows: a decision's operating curve."""
    score, truth = np.asarray(score, float), np.asarray(truth, bool)
    rows = []
    for t in grid:
        flag = score >= t
        tp = int((flag & truth).sum())
        rows.append([float(t), round(tp / max(int(flag.sum()), 1), 4), round(tp / max(int(truth.sum()), 1), 4),
                     round(float(flag.mean()), 4)])
    return rows


def out_of_fold_combiner(comb: Combiner, E: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 1,
                         class_weight=None) -> np.ndarray:
    """Held-out combiner probabilities on its own training rows (k folds)."""
    fold = np.random.RandomState(seed).randint(0, folds, len(y))
    out = np.zeros((len(y), len(comb.labels)))
    for f in range(folds):
        part = Combiner(comb.features, comb.labels, C=comb.C).fit(E[fold != f], y[fold != f],
                                                                   class_weight=class_weight)
        out[fold == f] = part.predict_proba_evidence(E[fold == f])
    return out


@dataclass
class DecisionSettings:
    """The written rules that choose each operating point (all visible, all on the card)."""

    C: float = 1.0
    max_flag_rate: float = 0.01  # spam: share of real complaints that may be flagged
    min_critical_recall: float = 0.90  # severity: recall the critical point must reach
    review_recall: float = 0.94  # severity: the review band starts where recall (one point) reaches this
    gate_f1_tolerance: float = 0.01  # issue gate: micro F1 may drop this much below no gate
    folds: int = 5
    tasks: tuple = ("spam", "issue_types", "severity")
    notes: dict = field(default_factory=dict)


def _best_level_cuts(P: np.ndarray, fired_rules: Sequence[list], y: Sequence[str], points: dict) -> tuple:
    """The ``(ev_medium, ev_high)`` pair of best quadratic weighted kappa (the first of equals, ``a`` then ``b``
    ascending), the critical points fixed: what :func:`decide_severity_combined` decides for each pair, with the
    cuts' part computed for all records at once. With the cuts out of reach it gives a record's floor: critical,
    high (a rule of the high kind, or the critical review band) or low; a pair's level is the higher of the floor
    and the cuts of the expected level (never above high), as it computes them."""
    unreachable = {**points, "ev_medium": float("inf"), "ev_high": float("inf")}
    floor = np.array([SEVERITIES.index(decide_severity_combined(p, fr, unreachable)[0])
                      for p, fr in zip(P, fired_rules)])
    ranks = np.arange(len(SEVERITIES))
    ev = np.array([float(np.dot(p, ranks)) for p in P])
    truth = np.array([SEVERITIES.index(v) for v in y], int)
    best, best_k = (0.5, 1.5), -1.0
    for a in np.round(np.arange(0.2, 1.5, 0.05), 3):
        for b in np.round(np.arange(a + 0.2, 2.6, 0.05), 3):
            level = np.maximum(floor, (ev >= a).astype(int) + (ev >= b))  # critical (3) and high (2) floors hold
            k = quadratic_weighted_kappa_codes(truth, level, len(SEVERITIES))
            if k > best_k:
                best, best_k = (float(a), float(b)), k
    return best


def _multilabel_micro_f1(truth: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    tp = sum(len(set(a) & set(b)) for a, b in zip(truth, pred))
    n_pred = sum(len(b) for b in pred)
    n_true = sum(len(a) for a in truth)
    return 2 * tp / max(n_pred + n_true, 1)


def fit_decisions(heads: Mapping, train_norms: Sequence[str], train_probs: Mapping[str, np.ndarray],
                  train_records: Sequence[Mapping], dev_norms: Sequence[str], dev_probs: Mapping[str, np.ndarray],
                  dev_records: Sequence[Mapping], complaint_probs: Optional[tuple] = None,
                  settings: Optional[DecisionSettings] = None) -> dict:
    """Fit the combiners and choose the operating points; sets them on ``heads`` (task -> HeadSpec).

    ``train_probs``: out-of-fold head probabilities of the fully labelled ``train_records``
    (dicts with the codebook fields is_spam, issue_types, severity); ``dev_probs``: the final
    heads' probabilities on ``dev_records``. ``complaint_probs`` = (norms, probs) of extra real
    complaints (e.g. negative corpus reviews of the dev split) that count against the spam
    flag budget. Returns ``{task: {"operating_points": ..., "combiner_dev": ...}}`` for the card.
    """
    st = settings or DecisionSettings()
    labels = {t: h.labels for t, h in heads.items()}
    out: dict[str, dict] = {}
    tr_fired = [{r.reason for r in escalation_signals(n)} for n in train_norms]
    dv_fired = [{r.reason for r in escalation_signals(n)} for n in dev_norms]

    def ev(task, norms, probs, fired):
        return evidence_matrix(default_evidence(task, labels), norms, probs, labels, fired)

    not_spam_tr = np.array([not r["is_spam"] for r in train_records])
    not_spam_dv = np.array([not r["is_spam"] for r in dev_records])

    if "spam" in st.tasks:
        y_tr = np.array(["yes" if r["is_spam"] else "no" for r in train_records])
        E_tr = ev("spam", train_norms, train_probs, tr_fired)
        comb = Combiner(default_evidence("spam", labels), ["no", "yes"], C=st.C).fit(E_tr, y_tr)
        oof = out_of_fold_combiner(comb, E_tr, y_tr, st.folds)[:, 1]
        dev = comb.predict_proba(dev_norms, dev_probs, labels, dv_fired)[:, 1]
        score = np.concatenate([oof, dev])
        truth = np.concatenate([y_tr == "yes", ~not_spam_dv])
        complaint = np.concatenate([np.array([not r["is_spam"] and r["sentiment"] == "negative"
                                              for r in train_records]),
                                    np.array([not r["is_spam"] and r["sentiment"] == "negative" for r in dev_records])])
        # the filler and punctuation rules flag some texts whatever the threshold (as in the pipeline)
        repeat = heads["spam"].thresholds.get("repeat")

        def rule_flags(texts):
            return np.array([repeat is not None and rule_spam_type(n, repeat) is not None for n in texts])

        rule = rule_flags(list(train_norms) + list(dev_norms))
        extra = extra_rule = None
        if complaint_probs is not None:
            extra = comb.predict_proba(complaint_probs[0], complaint_probs[1], labels)[:, 1]
            extra_rule = rule_flags(complaint_probs[0])
        best, rows = None, []
        for t in GRID:
            flag = (score >= t) | rule
            tp = int((flag & truth).sum())
            p, r = tp / max(int(flag.sum()), 1), tp / max(int(truth.sum()), 1)
            f1 = 2 * p * r / max(p + r, 1e-9)
            flagged = np.concatenate([flag[complaint], ((extra >= t) | extra_rule) if extra is not None
                                      else np.zeros(0, bool)])
            rate = float(flagged.mean()) if len(flagged) else 0.0
            rows.append([float(t), round(p, 4), round(r, 4), round(f1, 4), round(rate, 4)])
            if rate <= st.max_flag_rate and (best is None or f1 > best[1]):
                best = (float(t), f1)
        heads["spam"].combiner = comb
        heads["spam"].thresholds = {**heads["spam"].thresholds, "spam": best[0] if best else 0.9}
        out["spam"] = {"operating_points": {"spam": {
            "value": heads["spam"].thresholds["spam"],
            "rule": f"best spam F1 with <= {st.max_flag_rate:.0%} of real complaints flagged",
            "chosen_on": f"combiner out-of-fold train ({len(oof)}) + dev ({len(dev)}) + dev complaints "
                         f"({0 if extra is None else len(extra)})",
            "columns": ["threshold", "precision", "recall", "f1", "complaints_flagged"], "table": rows}}}

    if "issue_types" in st.tasks:
        head = heads["issue_types"]
        y_tr = np.array(["yes" if r["issue_types"] else "no" for r in train_records])
        E_tr = ev("issue_types", train_norms, train_probs, tr_fired)
        comb = Combiner(default_evidence("issue_types", labels), ["no", "yes"], C=st.C).fit(E_tr[not_spam_tr],
                                                                                           y_tr[not_spam_tr])
        oof = np.zeros(len(y_tr))
        oof[not_spam_tr] = out_of_fold_combiner(comb, E_tr[not_spam_tr], y_tr[not_spam_tr], st.folds)[:, 1]
        dev = comb.predict_proba(dev_norms, dev_probs, labels, dv_fired)[:, 1]
        gate = np.concatenate([oof[not_spam_tr], dev[not_spam_dv]])
        recs = [r for r, k in zip(train_records, not_spam_tr) if k] + [r for r, k in zip(dev_records, not_spam_dv) if k]
        probs = np.vstack([train_probs["issue_types"][not_spam_tr], dev_probs["issue_types"][not_spam_dv]])
        th = head.thresholds
        chosen = [[lab for j, lab in enumerate(head.labels) if p[j] >= th.get(lab, 0.5)] for p in probs]
        truth = [r["issue_types"] for r in recs]
        praise = np.array([r["sentiment"] == "positive" and not r["issue_types"] for r in recs])
        f1_none = _multilabel_micro_f1(truth, chosen)
        rows, best = [], 0.0
        for t in GRID:
            pred = [c if g >= t else [] for c, g in zip(chosen, gate)]
            f1 = _multilabel_micro_f1(truth, pred)
            praise_flagged = float(np.mean([bool(p) for p, k in zip(pred, praise) if k])) if praise.any() else 0.0
            rows.append([float(t), round(f1, 4), round(praise_flagged, 4)])
            if f1 >= f1_none - st.gate_f1_tolerance:
                best = float(t)
        head.combiner = comb
        head.thresholds = {**th, "gate": best}
        out["issue_types"] = {"operating_points": {"gate": {
            "value": best, "rule": f"highest gate with issue micro F1 >= no gate − {st.gate_f1_tolerance}",
            "chosen_on": f"combiner out-of-fold train + dev ({len(recs)} non-spam records)",
            "columns": ["threshold", "micro_f1", "praise_given_an_issue"], "table": rows}}}

    if "severity" in st.tasks:
        head = heads["severity"]
        y_tr = np.array([r["severity"] for r in train_records])
        E_tr = ev("severity", train_norms, train_probs, tr_fired)
        comb = Combiner(default_evidence("severity", labels), list(SEVERITIES), C=st.C).fit(E_tr[not_spam_tr],
                                                                                           y_tr[not_spam_tr])
        oof = out_of_fold_combiner(comb, E_tr[not_spam_tr], y_tr[not_spam_tr], st.folds)
        dev = comb.predict_proba(dev_norms, dev_probs, labels, dv_fired)[not_spam_dv]
        P = np.vstack([oof, dev])
        y = np.concatenate([y_tr[not_spam_tr], np.array([r["severity"] for r in dev_records])[not_spam_dv]])
        fired = [f for f, k in zip(tr_fired, not_spam_tr) if k] + [f for f, k in zip(dv_fired, not_spam_dv) if k]
        crit = y == "critical"
        pc = P[:, SEVERITIES.index("critical")]
        rules_by_reason = {r.reason: r for r in ESCALATION_RULES}
        fired_rules = [[rules_by_reason[x] for x in f] for f in fired]
        signalled = np.array([critical_signalled(fr) for fr in fired_rules])
        table = pr_table(pc, crit)
        # two points: with a critical signal / without; the most precise pair reaching the recall
        best_pair, pair_rows = None, []
        for a in GRID:
            for b in GRID:
                flag = np.where(signalled, pc >= a, pc >= b)
                tp = int((flag & crit).sum())
                prec, rec = tp / max(int(flag.sum()), 1), tp / max(int(crit.sum()), 1)
                if rec >= st.min_critical_recall and (best_pair is None or (prec, b, a) > best_pair[:3]):
                    best_pair = (prec, float(b), float(a), rec)
        if best_pair is None:
            t_crit = t_unsig = float(GRID[0])
        else:
            t_unsig, t_crit = best_pair[1], best_pair[2]
        for b in GRID:  # the unsignalled point's curve with the signalled point fixed
            flag = np.where(signalled, pc >= t_crit, pc >= b)
            tp = int((flag & crit).sum())
            pair_rows.append([float(b), round(tp / max(int(flag.sum()), 1), 4), round(tp / max(int(crit.sum()), 1), 4),
                              round(float(flag.mean()), 4)])
        ok_review = [row for row in table if row[2] >= st.review_recall and row[0] <= min(t_crit, t_unsig)]
        t_review = max(r[0] for r in ok_review) if ok_review else float(GRID[0])
        # expected-level cuts for low/medium/high: best kappa with the critical point fixed
        best = _best_level_cuts(P, fired_rules, y, {"critical": t_crit, "critical_unsignalled": t_unsig,
                                                    "critical_review": t_review})
        head.combiner = comb
        head.thresholds = {**head.thresholds, "critical": t_crit, "critical_unsignalled": t_unsig,
                           "critical_review": t_review, "ev_medium": best[0], "ev_high": best[1]}
        head.thresholds.pop("ev_critical", None)
        out["severity"] = {"operating_points": {
            "critical": {"value": t_crit,
                         "rule": f"with critical_unsignalled, the most precise pair of P(critical) points (with / "
                                 f"without a critical escalation signal) whose recall is >= {st.min_critical_recall}; "
                                 "table: one point for every record",
                         "chosen_on": f"combiner out-of-fold train + dev ({len(y)} non-spam records, "
                                      f"{int(crit.sum())} critical, {int(signalled[crit].sum())} of them with a signal)",
                         "columns": ["threshold", "precision", "recall", "share_flagged"], "table": table},
            "critical_unsignalled": {"value": t_unsig, "rule": "see critical; table: this point moved, the "
                                     "signalled one fixed", "chosen_on": "as critical",
                                     "columns": ["threshold", "precision", "recall", "share_flagged"],
                                     "table": pair_rows},
            "critical_review": {"value": t_review,
                                "rule": f"records from here up to the critical point become high + needs_review; "
                                        f"starts where critical recall reaches {st.review_recall}"},
            "ev_medium/ev_high": {"value": list(best), "rule": "best quadratic weighted kappa (every 3rd pooled "
                                                                 "record) with the critical points fixed"}}}
    return out

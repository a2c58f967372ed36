"""fit_decisions: each operating point obeys its written rule (on synthetic, fully labelled records)."""
import numpy as np
import pytest

from feedback_nlp.decisions import DecisionSettings, fit_decisions, pr_table
from feedback_nlp.tasks import ISSUE_TYPES, SENTIMENTS, SEVERITIES, SPAM_CLASSES, HeadSpec

pytest.importorskip("sklearn")

TEXTS = {"critical": "吃完食物中毒进了医院，我要打12315", "high": "商家拒绝退款，这是假货", "medium": "快递慢了两天",
         "low": "东西不错，物流很快", "spam": "加微信abc123领券，兼职日结"}


def make(n, seed):
    """Records whose head probabilities carry their labels with noise (as out-of-fold heads would)."""
    rng = np.random.RandomState(seed)
    kinds = rng.choice(["critical", "high", "medium", "low", "spam"], size=n, p=[0.1, 0.2, 0.3, 0.3, 0.1])
    recs, norms = [], []
    probs = {t: [] for t in ("spam", "issue_types", "sentiment", "severity")}
    for k in kinds:
        spam = k == "spam"
        sev = "low" if spam else k
        issues = [] if spam or k == "low" else ["product_quality"]
        sent = "positive" if k == "low" else ("neutral" if spam else "negative")
        recs.append({"is_spam": spam, "spam_type": "ad" if spam else None, "issue_types": issues,
                     "sentiment": sent, "severity": sev})
        norms.append(TEXTS[k] if rng.rand() < 0.7 else "一般般吧")  # 30%: evidence absent from the text
        noise = rng.dirichlet(np.ones(6))
        p_spam = 0.5 * noise + 0.5 * np.eye(6)[1 if spam else 0] * rng.uniform(0.3, 1)
        probs["spam"].append(p_spam / p_spam.sum())
        p_issue = rng.uniform(0, 0.3, len(ISSUE_TYPES))
        if issues:
            p_issue[0] = rng.uniform(0.4, 1.0)
        probs["issue_types"].append(p_issue)
        p_sent = rng.dirichlet(np.ones(3)) + 2 * np.eye(3)[SENTIMENTS.index(sent)] * rng.uniform(0, 1)
        probs["sentiment"].append(p_sent / p_sent.sum())
        p_sev = rng.dirichlet(np.ones(4)) + 1.5 * np.eye(4)[SEVERITIES.index(sev)] * rng.uniform(0, 1)
        probs["severity"].append(p_sev / p_sev.sum())
    return recs, norms, {t: np.array(v, np.float32) for t, v in probs.items()}


def heads():
    th = {lab: 0.5 for lab in ISSUE_TYPES}
    return {"spam": HeadSpec("spam", "multiclass", list(SPAM_CLASSES), {"spam": 0.5, "repeat": 0.7}),
            "issue_types": HeadSpec("issue_types", "multilabel", list(ISSUE_TYPES), th),
            "sentiment": HeadSpec("sentiment", "multiclass", list(SENTIMENTS)),
            "severity": HeadSpec("severity", "multiclass", list(SEVERITIES))}


@pytest.fixture(scope="module")
def fitted():
    h = heads()
    tr, dv = make(1500, 0), make(400, 1)
    st = DecisionSettings(folds=3)
    info = fit_decisions(h, tr[1], tr[2], tr[0], dv[1], dv[2], dv[0], settings=st)
    return h, info, st


def test_critical_points_are_the_most_precise_pair_reaching_the_recall(fitted):
    h, info, st = fitted
    ops = info["severity"]["operating_points"]
    th = h["severity"].thresholds
    assert th["critical"] == ops["critical"]["value"] and th["critical_unsignalled"] == ops["critical_unsignalled"]["value"]
    rows = ops["critical_unsignalled"]["table"]  # the unsignalled point moved, the signalled one fixed
    chosen = next(r for r in rows if r[0] == th["critical_unsignalled"])
    assert chosen[2] >= st.min_critical_recall
    assert chosen[1] == max(r[1] for r in rows if r[2] >= st.min_critical_recall)
    assert th["critical_review"] <= min(th["critical"], th["critical_unsignalled"])
    assert h["severity"].combiner is not None and h["severity"].combiner.labels == SEVERITIES


def test_spam_point_respects_the_complaint_budget(fitted):
    h, info, st = fitted
    op = info["spam"]["operating_points"]["spam"]
    chosen = next(r for r in op["table"] if r[0] == op["value"])
    assert chosen[4] <= st.max_flag_rate  # complaints flagged
    best_f1 = max(r[3] for r in op["table"] if r[4] <= st.max_flag_rate)
    assert chosen[3] == best_f1


def test_issue_gate_keeps_f1_within_tolerance(fitted):
    h, info, st = fitted
    op = info["issue_types"]["operating_points"]["gate"]
    rows = op["table"]
    no_gate = rows[0][1]
    chosen = next(r for r in rows if r[0] == op["value"])
    assert chosen[1] >= no_gate - st.gate_f1_tolerance - 0.01  # first grid row (0.02) is nearly no gate
    assert all(r[1] < no_gate - st.gate_f1_tolerance for r in rows if r[0] > op["value"] + 1e-9) or op["value"] == rows[-1][0]


def test_pr_table():
    rows = pr_table(np.array([0.9, 0.8, 0.2, 0.1]), np.array([True, False, True, False]), grid=[0.5, 0.15])
    assert rows[0] == [0.5, 0.5, 0.5, 0.5] and rows[1] == [0.15, 0.6667, 1.0, 0.75]


def test_the_text_evidence_is_weighed_by_spam_and_the_issue_gate_not_by_severity():
    # contact channels, requests, CJK share and length: read as severity they ranked critical worse on the pool the
    # points are chosen on, and lifted English texts (rule GC); the issue gate kept fewer praise records with them at
    # the same F1 there (rule GD; 2026-12-07)
    from conftest import REPO
    from feedback_nlp.decisions import default_evidence
    from feedback_nlp.modeling import NgramModel

    labels = {"spam": SPAM_CLASSES, "issue_types": ISSUE_TYPES, "sentiment": SENTIMENTS, "severity": SEVERITIES}
    shipped = NgramModel.from_pretrained(REPO / "models" / "feedback-zh-ngram").heads
    for task, weighs in (("spam", True), ("issue_types", True), ("severity", False)):
        for features in (default_evidence(task, labels), shipped[task].combiner.features):
            assert any(f.startswith("text:") for f in features) == weighs, task


def test_level_cuts_are_those_the_per_record_decision_gives():
    # _best_level_cuts scores every (ev_medium, ev_high) pair on all records at once; the pair must be the one the
    # per-record decide_severity_combined + quadratic_weighted_kappa search picks (first of equals)
    from feedback_nlp.decisions import _best_level_cuts
    from feedback_nlp.metrics import quadratic_weighted_kappa
    from feedback_nlp.tasks.severity import ESCALATION_RULES, decide_severity_combined

    rng = np.random.RandomState(3)
    P = rng.dirichlet(np.ones(4) * 0.7, size=300)
    high_rule = next(r for r in ESCALATION_RULES if r.minimum == "high")
    crit_rule = next(r for r in ESCALATION_RULES if r.minimum == "critical")
    fired = [[], [high_rule], [crit_rule]] * 100
    y = list(rng.choice(SEVERITIES, size=300))
    points = {"critical": 0.5, "critical_unsignalled": 0.7, "critical_review": 0.3}
    best, best_k = None, -1.0
    for a in np.round(np.arange(0.2, 1.5, 0.05), 3):
        for b in np.round(np.arange(a + 0.2, 2.6, 0.05), 3):
            th = {**points, "ev_medium": a, "ev_high": b}
            k = quadratic_weighted_kappa(y, [decide_severity_combined(p, f, th)[0] for p, f in zip(P, fired)],
                                         SEVERITIES)
            if k > best_k:
                best, best_k = (float(a), float(b)), k
    assert _best_level_cuts(P, fired, y, points) == best

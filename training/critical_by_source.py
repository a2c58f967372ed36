"""How the critical decision fares on real reviews, next to the written tickets that dominate its figures.

    FEEDBACK_NLP_DATA=../shared/data python training/critical_by_source.py [--model DIR]

The annotations' critical records are mostly written platform tickets (57 of the 60 on test); the
card's critical precision is theirs. For each pair of critical points (``severity.critical`` with an
escalation signal, ``severity.critical_unsignalled`` without), the shipped pair first, this prints
precision / recall of ``critical`` on the dev and test annotations split by source (corpus reviews,
written tickets), and the share of the corpora's unannotated dev-split reviews called critical: a
stream of ordinary reviews, where critical should be rare. Nothing is fitted or chosen here.

A second table scores one mixed stream with points per channel: the annotations' own ``channel``
field (``order_review`` for reviews, and for tickets written as reviews), the unannotated reviews as
``order_review``. It compares the shipped pair everywhere, the first stricter pair everywhere, that
pair for ``order_review`` only (``--threshold severity.critical@order_review=...``), and that pair
with no critical review band on ``order_review`` (``severity.critical_review@order_review=1``: a
P(critical) just below the point no longer raises the record to ``high`` with ``needs_review``),
with the unannotated reviews sent to review (``needs_review``) beside those called critical, and
the test ``order_review`` records in the band with the critical ones among them.
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))

from decision_stage_value import model_and_data  # noqa: E402
from feedback_nlp import FeedbackAnalyzer  # noqa: E402
from feedback_nlp.labelled_data import CORPORA, load_annotations, load_corpus  # noqa: E402

#: (with a signal, without): the stricter pairs shown next to the shipped one.
PAIRS = [(0.1, 0.3), (0.2, 0.5)]


def precision_recall(records, results, keep) -> str:
    pairs = [(r["severity"] == "critical", x.severity == "critical") for r, x in zip(records, results) if keep(r)]
    tp = sum(t and p for t, p in pairs)
    called, true = sum(p for _, p in pairs), sum(t for t, _ in pairs)
    return f"{tp / called if called else 0:.2f} / {tp / true if true else 0:.2f} ({called} called, {true} true)"


def main(argv=None) -> int:
    model, d = model_and_data(__doc__, argv, needs=("annotations", "corpora"))
    ann = {s: load_annotations(s, d) for s in ("dev", "test")}
    annotated = {r["id"] for s in ("train", "dev", "test") for r in load_annotations(s, d)}
    stream = [r["text"] for c in CORPORA for r in load_corpus(c, "dev", data_dir=d) if r["id"] not in annotated]
    review = set(CORPORA.values())
    shipped = FeedbackAnalyzer.load(model)
    t = shipped.task_models["severity"].heads["severity"].thresholds
    pairs = [(t["critical"], t.get("critical_unsignalled", t["critical"]))] + PAIRS
    print("| critical points (signal / none) | dev reviews P / R | dev written P / R | test reviews P / R "
          "| test written P / R | unannotated dev reviews called critical |")
    print("|---|---|---|---|---|---|")
    for i, (a, b) in enumerate(pairs):
        fa = shipped if i == 0 else FeedbackAnalyzer.load(
            model, thresholds={"severity.critical": a, "severity.critical_unsignalled": b})
        cells = []
        for s in ("dev", "test"):
            res = fa.analyze_batch([r["text"] for r in ann[s]], batch_size=1024)
            cells.append(precision_recall(ann[s], res, lambda r: r["source"] in review))
            cells.append(precision_recall(ann[s], res, lambda r: r["source"] not in review))
        flagged = sum(x.severity == "critical" for x in fa.analyze_batch(stream, batch_size=1024))
        name = f"{a} / {b}" + (" (shipped)" if i == 0 else "")
        print(f"| {name} | " + " | ".join(cells) + f" | {flagged} of {len(stream)} ({flagged / len(stream):.4f}) |")
    print_per_channel(model, ann, stream, pairs[0], PAIRS[0])
    return 0


def in_band(result) -> bool:
    """Kept below critical by the review band (the reason ``decide_severity_combined`` writes)."""
    return any(reason.startswith("needs review: close to critical") for reason in result.severity_reasons)


def print_per_channel(model, ann, stream, shipped, strict, channel: str = "order_review") -> None:
    """The mixed-stream table of the module docstring."""
    a, b = strict
    strict_here = {f"severity.critical@{channel}": a, f"severity.critical_unsignalled@{channel}": b}
    settings = [(f"{shipped[0]} / {shipped[1]} everywhere (shipped)", {}),
                (f"{a} / {b} everywhere", {"severity.critical": a, "severity.critical_unsignalled": b}),
                (f"{a} / {b} for {channel} only", strict_here),
                (f"{a} / {b} for {channel} only, no review band there",
                 {**strict_here, f"severity.critical_review@{channel}": 1.0})]
    print(f"\n| critical points | dev all P / R | test all P / R | test {channel} P / R | test other channels P / R "
          f"| test {channel} in the review band (critical) | unannotated dev reviews: critical, needs review |")
    print("|---|---|---|---|---|---|---|")
    for name, thresholds in settings:
        fa = FeedbackAnalyzer.load(model, thresholds=thresholds)
        cells = []
        for s in ("dev", "test"):
            res = fa.analyze_batch([r["text"] for r in ann[s]], batch_size=1024,
                                   channels=[r["channel"] for r in ann[s]])
            cells.append(precision_recall(ann[s], res, lambda r: True))
            if s == "test":
                cells.append(precision_recall(ann[s], res, lambda r: r["channel"] == channel))
                cells.append(precision_recall(ann[s], res, lambda r: r["channel"] != channel))
                band = [r["severity"] for r, x in zip(ann[s], res) if r["channel"] == channel and in_band(x)]
                cells.append(f"{len(band)} ({band.count('critical')})")
        res = fa.analyze_batch(stream, batch_size=1024, channels=[channel] * len(stream))
        crit, review = sum(x.severity == "critical" for x in res), sum(x.needs_review for x in res)
        print(f"| {name} | " + " | ".join(cells) + f" | {crit}, {review} of {len(stream)} |")


if __name__ == "__main__":
    raise SystemExit(main())

"""Two model directories' decisions on the same annotations, with paired bootstrap intervals of the differences.

    FEEDBACK_NLP_DATA=../shared/data python training/compare_decisions.py A B [--splits dev,test] [--draws 1000]
        [--b-threshold severity.critical=0.1 ...]   # B's operating points moved (A the same directory: one setting
                                                    # against another)

Whether a change to a model (a rule, a refitted decision stage) moves a figure by more than the noise of a
split of ~1,000 records: both analyzers score every record of the split once, then each draw resamples the
records with replacement (the same draw for A and B) and computes every figure of
``training/decision_stage_value.py`` for both with ``feedback_nlp.metrics.decision_report``, the card's
definitions. Prints, per split, A, B, B − A on the whole split and the 2.5–97.5 percentile interval of B − A
over the draws. Nothing is fitted or chosen here.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))

from decision_stage_value import ROWS, data_folder  # noqa: E402
from feedback_nlp import FeedbackAnalyzer  # noqa: E402
from feedback_nlp.cli import CLIError, parse_thresholds  # noqa: E402
from feedback_nlp.labelled_data import load_annotations  # noqa: E402
from feedback_nlp.metrics import decision_report  # noqa: E402


def figures(records: list, results: list) -> np.ndarray:
    """Every figure of :data:`ROWS` for one set of records (NaN where a report has none)."""
    rep = decision_report(records, results)
    return np.array([np.nan if read(rep) is None else float(read(rep)) for _, read in ROWS])


def paired_bootstrap(records: list, results_a: list, results_b: list, draws: int = 1000, seed: int = 0) -> list:
    """``[(name, a, b, b - a, low, high)]`` per figure: the whole split, then the 2.5 and 97.5 percentiles of
    B − A over ``draws`` resamples of the records, each the same for A and B."""
    fa, fb = figures(records, results_a), figures(records, results_b)
    rng = np.random.RandomState(seed)
    diffs = []
    for _ in range(draws):
        idx = rng.randint(0, len(records), len(records))
        pick = [records[i] for i in idx]
        diffs.append(figures(pick, [results_b[i] for i in idx]) - figures(pick, [results_a[i] for i in idx]))
    low, high = np.nanpercentile(np.array(diffs), [2.5, 97.5], axis=0) if draws else (fb - fa, fb - fa)
    return [(name, fa[k], fb[k], fb[k] - fa[k], low[k], high[k]) for k, (name, _) in enumerate(ROWS)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", help="model directory A (e.g. the shipped model of an earlier commit)")
    ap.add_argument("b", help="model directory B")
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("--splits", default="dev,test", help="annotation splits, comma-separated (default dev,test)")
    ap.add_argument("--a-threshold", action="append", metavar="TASK.KEY=VALUE", default=[],
                    help="move an operating point of A (as `feedback-nlp score --threshold`); repeatable")
    ap.add_argument("--b-threshold", action="append", metavar="TASK.KEY=VALUE", default=[],
                    help="move an operating point of B; repeatable")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    d = data_folder(args.data)
    try:
        points = [parse_thresholds(args.a_threshold), parse_thresholds(args.b_threshold)]
    except CLIError as e:
        sys.exit(str(e))
    analyzers = [FeedbackAnalyzer.load(m, thresholds=t or None) for m, t in zip((args.a, args.b), points)]
    for split in args.splits.split(","):
        records = load_annotations(split, d)
        texts = [r["text"] for r in records]
        res_a, res_b = (fa.analyze_batch(texts, batch_size=1024) for fa in analyzers)
        print(f"\n{split} ({len(records)} records, {args.draws} draws)\n")
        print("| figure | A | B | B − A | 95% interval of B − A |")
        print("|---|---|---|---|---|")
        for name, a, b, diff, low, high in paired_bootstrap(records, res_a, res_b, args.draws, args.seed):
            print(f"| {name} | {a:.4g} | {b:.4g} | {diff:+.4f} | {low:+.4f} to {high:+.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

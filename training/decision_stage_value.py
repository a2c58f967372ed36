"""What the decision stage is worth: the same decisions with and without it, on the annotations.

    FEEDBACK_NLP_DATA=../shared/data python training/decision_stage_value.py [--model DIR]

``FeedbackAnalyzer.load(decisions=True)`` (combiners over heads and evidence, their operating points)
against ``decisions=False`` (the heads' own thresholds: what a host that runs only the ONNX graph
gets), scored by ``feedback_nlp.metrics.decision_report`` on the dev and test annotations. Nothing is
fitted or chosen here. Output: a Markdown table on stdout.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from feedback_nlp import FeedbackAnalyzer  # noqa: E402
from feedback_nlp.labelled_data import load_annotations, shared_data_dir  # noqa: E402
from feedback_nlp.metrics import decision_report  # noqa: E402

ROWS = [  # (name, how to read it from a decision report)
    ("critical precision", lambda r: r["critical"]["precision"]),
    ("critical recall", lambda r: r["critical"]["recall"]),
    ("records called critical", lambda r: r["critical"]["predicted"]),
    ("severity QWK", lambda r: r["severity"]["quadratic_weighted_kappa"]),
    ("spam precision", lambda r: r["spam"]["precision"]),
    ("spam recall", lambda r: r["spam"]["recall"]),
    ("spam F1", lambda r: r["spam"]["f1"]),
    ("issue types micro F1", lambda r: r["issue_types"]["micro_f1"]),
    ("issue types macro F1", lambda r: r["issue_types"]["macro_f1"]),
    ("praise given an issue type", lambda r: r["praise_given_an_issue"]["rate"]),
    ("negative, no problem raised, given an issue type", lambda r: r["verdict_given_an_issue"]["rate"]),
    ("share sent to review", lambda r: r["needs_review_share"]),
]


def model_and_data(doc: str, argv, needs=("annotations",)) -> tuple:
    """``(--model, data folder)`` of a script that scores a model directory on the shared data;
    exits with a message when a folder of ``needs`` is missing."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    args = ap.parse_args(argv)
    return args.model, data_folder(args.data, needs)


def data_folder(data, needs=("annotations",)) -> Path:
    """The shared data folder (``--data``, else the default); exits with a message when a folder of
    ``needs`` is missing."""
    d = shared_data_dir(data)
    if not all((d / n).is_dir() for n in needs):
        sys.exit(f"needs the {' and '.join(needs)} ({d}); set FEEDBACK_NLP_DATA")
    return d


def main(argv=None) -> int:
    model, d = model_and_data(__doc__, argv)
    reports = {}
    for split in ("dev", "test"):
        ann = load_annotations(split, d)
        for stage in (True, False):
            fa = FeedbackAnalyzer.load(model, decisions=stage)
            reports[split, stage] = decision_report(ann, fa.analyze_batch([r["text"] for r in ann], batch_size=1024))
    print("| decision | dev: decision stage | dev: heads only | test: decision stage | test: heads only |")
    print("|---|---|---|---|---|")
    for name, read in ROWS:
        print(f"| {name} | " + " | ".join(str(read(reports[s, st])) for s in ("dev", "test") for st in (True, False))
              + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

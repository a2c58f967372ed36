"""Choose a transformer model directory's thresholds on dev and write its dev and test figures
into its model.json (the same ``tune_and_evaluate`` as ``train_transformer.py``), e.g. for a
one-task model from ``feedback-nlp train --backend transformer``, which only sees dev.

    python training/evaluate_transformer.py DIR [--data ../shared/data]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    from feedback_nlp.labelled_data import shared_data_dir
    from feedback_nlp.transformer.training import tune_and_evaluate
    from train_baseline import build_sets

    _, dev, test, _, _ = build_sets(shared_data_dir(args.data))
    card = tune_and_evaluate(args.model, dev, test)  # tasks the model lacks are skipped
    keys = ("micro_f1", "macro_f1", "accuracy", "quadratic_weighted_kappa", "critical_recall")
    print(json.dumps({t: {s: {k: m[s][k] for k in keys if k in m[s]} for s in ("dev", "test")}
                      for t, m in ((t, e["metrics"]) for t, e in card["tasks"].items())}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

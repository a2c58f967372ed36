"""Where does the ``semantic`` encoder trade problem ARI for planted purity? A diagnostic sweep.

    PYTHONPATH=src python3 training/semantic_purity_sweep.py --mix "0.3,0;0.25,0.15" --thresholds 0.4,0.45,0.5

For each mix ``b,c`` (issue-type posterior weight ``b``, n-gram TF-IDF sketch weight ``c``, the
shipped projection the rest; ``c`` 0 leaves the sketch out) and each clustering threshold: ARI
against the dev annotations' problem groups, and for each SELECTION planted set of
``benchmarks/planted_sets.py`` how many of its 20 texts share a cluster and that cluster's
purity (``tune_semantic_encoder.planted_scores``). The benchmark's reported sets are never
looked at here. Each mix encodes dev and the sets once; each threshold then only clusters.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for sub in ("src", "training", "benchmarks"):
    sys.path.insert(0, str(REPO / sub))

from feedback_nlp.encoders import (ConcatEncoder, NgramEncoder, PosteriorEncoder, TableEncoder,  # noqa: E402
                                   shipped_path)
from train_semantic_encoder import ari_of, data_dir  # noqa: E402
from tune_semantic_encoder import planted_scores, planted_sets_encoded, problem_records  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default=str(REPO / "models" / "feedback-zh-semantic"))
    ap.add_argument("--model", default="feedback-zh-ngram", help="the n-gram model whose issue-type head is mixed in")
    ap.add_argument("--mix", default="0.3,0", help="semicolon-separated b,c pairs")
    ap.add_argument("--thresholds", default="0.4,0.45,0.5,0.55,0.6")
    args = ap.parse_args(argv)
    d = data_dir()
    table = TableEncoder.from_pretrained(args.encoder)  # with its whitening, as shipped
    posterior = PosteriorEncoder.from_pretrained(shipped_path(args.model, "model.json") or Path(args.model),
                                                 "issue_types")
    dev_t, dev_g = problem_records(d, "dev")
    for spec in args.mix.split(";"):
        b, c = (float(x) for x in spec.split(","))
        parts = [(table, 1 - b - c), (posterior, b)] + ([(NgramEncoder(seed=0), c)] if c > 0 else [])
        enc = ConcatEncoder(parts)  # the threshold is the clusterer's; the vectors do not depend on it
        X_dev, encoded = enc.fit_encode(dev_t), planted_sets_encoded(enc, d)
        for thr in (float(x) for x in args.thresholds.split(",")):
            sets = planted_scores(encoded, thr)
            print(json.dumps({"b": b, "c": c, "threshold": thr, "dev_ari": round(ari_of(X_dev, dev_t, dev_g, thr), 4),
                              "selection_sets": {k: [v["in_best_cluster"], v["purity"]] for k, v in sets.items()}}),
                  flush=True)


if __name__ == "__main__":
    main()

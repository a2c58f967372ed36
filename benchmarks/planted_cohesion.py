"""How tightly an encoder packs each planted set, against its merge threshold.

    PYTHONPATH=src python3 benchmarks/planted_cohesion.py --encoders semantic+ngram,use-multi \\
        --planted-sets new,new2,new3,new4,new5,new6

Each planted set is mixed into the 4,000 background reviews of ``bench_cluster.py``'s planted mix,
encoded as the clusterer encodes it (``fit_encode`` on the whole mix), and scored by the mean cosine
between two of its texts. Average linkage merges two groups only while their mean cosine is at least the
threshold, so a set whose mean is under it cannot end in one cluster whatever its neighbours are: the
count of such sets says whether the misses lie at the cut rather than among strangers.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_cluster as bc  # noqa: E402


def mean_pairwise_cosine(P: np.ndarray) -> float:
    """Mean cosine over the distinct pairs of rows of ``P``."""
    P = P / np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-12)
    n = len(P)
    s = P.sum(0)
    return float((s @ s - n) / (n * (n - 1)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoders", default="semantic+ngram", help="as bench_cluster.py's --encoders")
    ap.add_argument("--planted-sets", default="new,new2,new3,new4,new5,new6",
                    help="comma-separated kinds of bench_cluster.py's --planted-sets")
    ap.add_argument("--cache", default=str(REPO / "work_data" / "teacher"))
    args = ap.parse_args(argv)
    d = bc.data_dir()
    if not (d / "annotations").is_dir():
        sys.exit(f"needs the shared data ({d}); set FEEDBACK_NLP_DATA")
    others = bc.planted_background(d, 4000)
    for spec in args.encoders.split(","):
        enc = bc.make_encoder(spec, Path(args.cache))
        if enc == "ngram":
            enc = bc.get_encoder("ngram")
        threshold = enc.default_threshold
        cohesion = {}
        for kind in args.planted_sets.split(","):
            for name, planted in bc.PLANTED_KINDS[kind]().items():
                texts, pos = bc.planted_mix(others, planted)
                X = enc.fit_encode(texts)
                cohesion[f"{kind}/{name}"] = round(mean_pairwise_cosine(X[pos.start:pos.stop]), 3)
        under = sum(v < threshold for v in cohesion.values())
        print(json.dumps({"encoder": spec, "threshold": threshold, "sets": len(cohesion), "under_threshold": under,
                          "median": round(float(np.median(list(cohesion.values()))), 3), "per_set": cohesion},
                         ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What a hidden-layer student head (``training/hidden_student.py``) costs next to the shipped linear heads.

    PYTHONPATH=src python3 benchmarks/bench_hidden_student.py [--width 64 256] [--hidden-features 0 30000]

Speed depends on shapes only, so the student's weights here are random (seed 0) with the shipped
featuriser's n-grams: per width (and hidden-layer vocabulary), texts per second of the featuriser plus
every shipped head, with one issue-type hidden student on top, against the shipped heads alone, on
the corpora's test splits (one thread; best of ``--rounds``), and the size of the hidden layer.
Prints a markdown table; nothing is written.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))


def texts_per_second(score, texts: list[str], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for s in range(0, len(texts), 256):
            score(texts[s:s + 256])
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--hidden-features", type=int, nargs="+", default=[0, 30000], help="0: every n-gram")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)

    from hidden_student import HiddenStudent

    from feedback_nlp.labelled_data import CORPORA, load_corpus
    from feedback_nlp.modeling import NgramModel
    from feedback_nlp.text import normalize

    model = NgramModel.from_pretrained(REPO / "models" / "feedback-zh-ngram")
    norms = [normalize(r["text"]) for name in CORPORA for r in load_corpus(name, "test", args.data)]
    k = len(model.heads["issue_types"].labels)
    nf = model.featurizer.n_features

    def shipped(batch):
        return model.logits(model.featurizer.transform(batch))

    base = texts_per_second(shipped, norms, args.rounds)
    print(f"{len(norms):,} test texts, one thread, best of {args.rounds}\n")
    print("| issue-type head | hidden layer | texts/s (featuriser + all heads) | vs shipped |")
    print("|---|---|---|---|")
    print(f"| shipped (linear) | – | {base:,.0f} | 1.00 |")
    rng = np.random.default_rng(0)
    for width in args.width:
        for n_hidden in args.hidden_features:
            rows_h = n_hidden or nf
            ids = np.sort(rng.choice(nf, rows_h, replace=False)) if n_hidden else None
            student = HiddenStudent(rng.normal(size=(nf, k)).astype(np.float32), np.zeros(k, np.float32),
                                    rng.normal(size=(rows_h, width)).astype(np.float32) * 0.05,
                                    np.zeros(width, np.float32), rng.normal(size=(width, k)).astype(np.float32), ids)

            def with_student(batch):
                rows = model.featurizer.transform(batch)
                out = model.logits(rows)
                out["issue_types"] = student.logits(rows)
                return out

            rate = texts_per_second(with_student, norms, args.rounds)
            size = rows_h * width * 4 / 1e6
            print(f"| hidden student, {width} units | {rows_h:,} n-grams, {size:,.0f} MB float32 | {rate:,.0f} | "
                  f"{rate / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark ProblemClusterer: NMI on the annotations, planted-problem recovery, 100k scale.

    cd /work/main && PYTHONPATH=src python3 benchmarks/bench_cluster.py [--n 100000] [--skip-scale]

Data: $FEEDBACK_NLP_DATA or ../shared/data (read only; nothing is copied).

1. NMI: dev+test annotation records with a non-empty ``problem`` (the test
   suite asserts these numbers), clustered with ``min_size=2`` (a problem named
   twice is already "recurring"), default threshold. Reported three ways:
   noise as singleton clusters, noise as one cluster, clustered records only;
   plus AMI, B-cubed F1 and the trivial baselines (every record alone, all in
   one), because with ~700 problem names over ~1,300 records NMI alone
   rewards over-splitting.
2. Planted problem: 20 differently worded charger-overheating complaints
   (tests/test_cluster.py) mixed into 5,000 corpus reviews; default settings.
3. Scale: N texts (all ~67k corpus reviews plus COLD texts, shuffled, cut to
   N), default settings, no per-record results; wall time of ``fit`` and peak
   RSS of a fresh process (measured in a child process).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))

from feedback_nlp.cluster import ProblemClusterer  # noqa: E402
from feedback_nlp.metrics import normalized_mutual_info  # noqa: E402


def data_dir() -> Path:
    return Path(os.environ.get("FEEDBACK_NLP_DATA", REPO.parent / "shared" / "data"))


nmi = normalized_mutual_info


def bcubed(truth, pred) -> tuple[float, float, float]:
    by_t, by_p, both = Counter(truth), Counter(pred), Counter(zip(truth, pred))
    p = float(np.mean([both[(t, c)] / by_p[c] for t, c in zip(truth, pred)]))
    r = float(np.mean([both[(t, c)] / by_t[t] for t, c in zip(truth, pred)]))
    return p, r, 2 * p * r / (p + r)


def bench_nmi(d: Path) -> dict:
    recs = []
    for split in ("dev", "test"):
        with open(d / "annotations" / f"{split}.jsonl", encoding="utf-8") as f:
            recs += [r for r in map(json.loads, f) if r.get("problem")]
    texts, y = [r["text"] for r in recs], [r["problem"] for r in recs]
    t0 = time.perf_counter()
    labels = ProblemClusterer(min_size=2, seed=0).fit_predict(texts)
    dt = time.perf_counter() - t0
    single = [l if l is not None else f"noise{i}" for i, l in enumerate(labels)]
    one = [l if l is not None else -1 for l in labels]
    idx = [i for i, l in enumerate(labels) if l is not None]
    out = {"records": len(recs), "problem_names": len(set(y)), "clusters": len(set(labels) - {None}),
           "coverage": len(idx) / len(recs), "seconds": dt,
           "nmi_noise_singletons": nmi(y, single), "nmi_noise_one_cluster": nmi(y, one),
           "nmi_clustered_only": nmi([y[i] for i in idx], [labels[i] for i in idx]),
           "bcubed_p_r_f1": bcubed(y, single),
           "baseline_all_singletons_nmi": nmi(y, list(range(len(y)))),
           "baseline_all_singletons_bcubed_f1": bcubed(y, list(range(len(y))))[2],
           "baseline_one_cluster_nmi": nmi(y, [0] * len(y))}
    try:
        from sklearn.metrics import adjusted_mutual_info_score

        out["ami_noise_singletons"] = adjusted_mutual_info_score(y, single)
    except ImportError:
        pass
    # Frequent problems only (named >= 5 times): the recurring ones clustering is for.
    freq = {p for p, c in Counter(y).items() if c >= 5}
    sel = [i for i in range(len(y)) if y[i] in freq]
    out["frequent_subset"] = {"records": len(sel), "problem_names": len(freq),
                              "nmi_noise_singletons": nmi([y[i] for i in sel], [single[i] for i in sel]),
                              "baseline_all_singletons_nmi": nmi([y[i] for i in sel], sel)}
    return out


def corpus_texts(d: Path) -> list[str]:
    rows: list[str] = []
    for name in ("online_shopping_10_cats", "waimai_10k", "chnsenticorp_htl_all"):
        with open(d / "corpora" / f"{name}.csv", encoding="utf-8", newline="") as f:
            rows += [r["review"] for r in csv.DictReader(f) if r.get("review")]
    return rows


def cold_texts(d: Path) -> list[str]:
    rows: list[str] = []
    for split in ("train", "dev", "test"):
        p = d / "corpora" / "cold" / f"{split}.csv"
        if p.is_file():
            with open(p, encoding="utf-8", newline="") as f:
                rows += [r["TEXT"] for r in csv.DictReader(f) if r.get("TEXT")]
    return rows


def bench_planted(d: Path, n_others: int = 5000) -> dict:
    from test_cluster import PLANTED

    others = corpus_texts(d)
    random.Random(0).shuffle(others)
    others = others[:n_others]
    texts = others[: n_others // 2] + PLANTED + others[n_others // 2:]
    pos = range(n_others // 2, n_others // 2 + len(PLANTED))
    t0 = time.perf_counter()
    cl = ProblemClusterer(seed=0)
    labels = cl.fit_predict(texts)
    dt = time.perf_counter() - t0
    c = Counter(labels[i] for i in pos if labels[i] is not None)
    best, n = c.most_common(1)[0] if c else (None, 0)
    info = cl.get_cluster_info()
    return {"others": n_others, "planted": len(PLANTED), "in_best_cluster": n,
            "best_cluster_size": info[best]["size"] if best is not None else 0,
            "best_cluster_label": info[best]["label"] if best is not None else None,
            "clusters": len(info), "seconds": dt}


def scale_child(n: int) -> None:
    d = data_dir()
    texts = corpus_texts(d) + cold_texts(d)
    random.Random(0).shuffle(texts)
    if len(texts) < n:
        texts = (texts * (n // len(texts) + 1))
    texts = texts[:n]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, c0 = time.perf_counter(), time.process_time()
    cl = ProblemClusterer(seed=0)
    labels = cl.fit_predict(texts)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    t1 = time.perf_counter()
    cl.predict(texts[:10000])
    dt_pred = time.perf_counter() - t1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"texts": n, "fit_seconds": dt, "fit_cpu_seconds_all_threads": cpu, "load_avg_1min_after": load,
                      "predict_10k_seconds": dt_pred,
                      "peak_rss_mib": rss, "rss_before_fit_mib": rss0,
                      "clusters": len(cl.get_cluster_info()), "clustered": sum(l is not None for l in labels)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--scale-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scale_child:
        scale_child(args.n)
        return
    d = data_dir()
    if not (d / "annotations" / "test.jsonl").is_file():
        sys.exit(f"needs the shared data ({d}); set FEEDBACK_NLP_DATA")
    print(f"machine: {os.cpu_count()} CPUs; numpy {np.__version__}")
    r = bench_nmi(d)
    print("\n[1] NMI, dev+test records with a problem name, min_size=2:")
    for k, v in r.items():
        print(f"  {k}: {v if not isinstance(v, float) else round(v, 4)}")
    p = bench_planted(d)
    print("\n[2] planted problem (default settings):")
    for k, v in p.items():
        print(f"  {k}: {v if not isinstance(v, float) else round(v, 2)}")
    if not args.skip_scale:
        print(f"\n[3] scale: {args.n} texts, default settings (fresh process)")
        out = subprocess.run([sys.executable, __file__, "--scale-child", "--n", str(args.n)], capture_output=True,
                             text=True)
        if out.returncode:
            print(out.stderr[-3000:])
        else:
            for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items():
                print(f"  {k}: {v if not isinstance(v, float) else round(v, 1)}")


if __name__ == "__main__":
    main()

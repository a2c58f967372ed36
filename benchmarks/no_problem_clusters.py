"""Recurring problems with and without the records that name no problem, on a review feed with placeholders.

    PYTHONPATH=src python3 benchmarks/no_problem_clusters.py [--reviews 4000] [--fillers 800]

A review export holds, beside the reviews, the platform's placeholders ("此用户未填写评价内容") and chat
acknowledgements ("收到"). The negative corpus reviews of the dev split ($FEEDBACK_NLP_DATA or ../shared/data)
are mixed with ``--fillers`` such texts, analysed by the shipped model, and clustered with the default settings,
``drop_no_problem`` False and True: how many are eligible, how many of the fillers end in a cluster, and the
largest clusters.
"""
from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from typing import Optional, Sequence

FILLERS = ("此用户未填写评价内容", "此用户没有填写评价。", "评价方未及时做出评价,系统默认好评!", "用户未填写评价内容，默认给出好评",
           "收到")


def compare(texts: Sequence[str], fillers: Sequence[str], analyzer, top: int = 3, **params) -> dict:
    """``{drop_no_problem: {...}}`` for ``texts`` (reviews and fillers mixed): eligible records, clusters, fillers
    clustered, seconds and the ``top`` largest clusters (size, label)."""
    from feedback_nlp.cluster import ProblemClusterer

    results = analyzer.analyze_batch(list(texts))
    filler = set(fillers)
    out = {}
    for drop in (False, True):
        t0 = time.perf_counter()
        cl = ProblemClusterer(drop_no_problem=drop, **params)
        labels = cl.fit_predict(list(texts), results=results)
        info = cl.get_cluster_info()
        out[drop] = {"eligible": cl.n_eligible_, "clusters": len(info),
                     "fillers_clustered": sum(lab is not None for t, lab in zip(texts, labels) if t in filler),
                     "seconds": round(time.perf_counter() - t0, 1),
                     "largest": [(c["size"], c["label"]) for c in info[:top]]}
    return out


def main(argv: Optional[Sequence[str]] = None) -> None:
    from feedback_nlp import FeedbackAnalyzer
    from feedback_nlp.labelled_data import CORPORA, load_corpus

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviews", type=int, default=4000)
    ap.add_argument("--fillers", type=int, default=800)
    args = ap.parse_args(argv)
    reviews = [r["text"] for name in CORPORA for r in load_corpus(name, "dev") if r["label"] == 0][:args.reviews]
    texts = reviews + [FILLERS[i % len(FILLERS)] for i in range(args.fillers)]
    random.Random(0).shuffle(texts)
    for drop, row in compare(texts, FILLERS, FeedbackAnalyzer.load(), seed=0).items():
        print(f"drop_no_problem={drop}: {row['eligible']} eligible, {row['clusters']} clusters, "
              f"{row['fillers_clustered']} of {Counter(t in FILLERS for t in texts)[True]} fillers clustered, "
              f"{row['seconds']} s; largest: {row['largest']}")


if __name__ == "__main__":
    main()

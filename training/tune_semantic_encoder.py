"""Tune the shipped ``semantic`` encoder for clustering problems: a discriminant + issue-type mix, chosen on dev.

    PYTHONPATH=src python3 training/tune_semantic_encoder.py     # ~2 min on 2 cores; rewrites the encoder in place

Two additions to the projection ``train_semantic_encoder.py`` writes (rerun this after that):

1. ``whiten`` (``whiten.npy``): ``W = (S_w + lam * tr(S_w)/d * I) ** -1/2`` scaled to spectral norm 1,
   where ``S_w`` is the within-problem scatter of the projection's vectors over the train
   annotations' problem groups (names grouped by ``benchmarks/problem_groups.py``). Directions
   along which texts about one problem differ weigh less; ``lam`` shrinks towards no whitening.
   With ``k`` < d, ``W`` is followed by the projection onto the ``k`` directions of the whitened
   space along which the problems' means differ most (the between-problem scatter's top
   eigenvectors: a regularised linear discriminant analysis), kept as a ``[d, d]`` matrix.
2. ``mix`` (encoder.json): the shipped n-gram model's issue-type probabilities concatenated with
   weight ``b`` (cosine = (1 - b) cos_projection + b cos_issue_types), so that clusters do not
   span issue types.

``lam``, ``k``, ``b`` and the clustering threshold are chosen by ARI of the clusters (min_size 2, noise
as singletons) against the dev annotations' problem groups, averaged over each threshold and its
neighbours in the grid (ARI jumps by +-0.03 between neighbouring thresholds on ~800 records);
ties go to the higher threshold (tighter clusters). Test problems are scored for the card only,
and so are the selection planted sets of ``benchmarks/planted_sets.py`` (each mixed into 4,000
negative corpus reviews of the train split), the benchmark's stand-in for new problems.
With ``--planted-floor N,PURITY`` those sets also constrain the choice: the settings are tried best
dev ARI first, and the first whose every set keeps ``N`` planted texts in one cluster at purity
``>= PURITY`` is taken (``--planted-tries`` of them at most; if none, the best dev ARI, and the card
says the floor was not met). Weight ``b`` 0 leaves the mix out.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path
from typing import Optional

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))
sys.path.insert(0, str(REPO / "benchmarks"))

from feedback_nlp.encoders import (ConcatEncoder, NgramEncoder, PosteriorEncoder, TableEncoder,  # noqa: E402
                                   shipped_path)
from feedback_nlp.text import normalize  # noqa: E402
from train_semantic_encoder import annotation_records, ari_of, corpus_train_texts, data_dir  # noqa: E402

NO_WHITENING = float("inf")


def problem_records(d: Path, split: str) -> tuple[list[str], list[str]]:
    """(texts, problem groups) of the annotation records of ``split`` with a problem name."""
    from problem_groups import canonical

    recs = [r for r in annotation_records(d, split) if r.get("problem") and normalize(r["text"])]
    return [r["text"] for r in recs], [canonical(r["problem"]) for r in recs]


def _group_sums(X: np.ndarray, groups: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sums [n_groups, dim], group index of each row, rows per group)``."""
    names, inverse, counts = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
    sums = np.zeros((len(names), X.shape[1]))
    np.add.at(sums, inverse, X)
    return sums, inverse, counts


def within_scatter(X: np.ndarray, groups: list[str]) -> np.ndarray:
    """``[dim, dim]`` scatter of the rows around their group's mean, over groups of 2+ rows."""
    sums, inverse, counts = _group_sums(X, groups)
    keep = counts[inverse] > 1
    C = (X - sums[inverse] / counts[inverse, None])[keep]
    return (C.T @ C) / max(len(C), 1)


def between_scatter(X: np.ndarray, groups: list[str]) -> np.ndarray:
    """``[dim, dim]`` scatter of the group means of 2+ rows around the mean of those rows, weighted by size."""
    sums, _, counts = _group_sums(X, groups)
    keep = counts > 1
    means = sums[keep] / counts[keep, None]
    centre = sums[keep].sum(0) / counts[keep].sum()
    D = (means - centre) * np.sqrt(counts[keep, None])
    return (D.T @ D) / counts[keep].sum()


def whitening(Sw: np.ndarray, lam: float, Sb: np.ndarray | None = None, k: int | None = None) -> np.ndarray:
    """``(Sw + lam * mean eigenvalue * I) ** -1/2``, spectral norm 1 (``lam`` inf: the identity), then,
    with ``Sb`` and ``k`` < dim, the projection onto the top ``k`` eigenvectors of the whitened ``Sb``."""
    d = len(Sw)
    if not np.isfinite(lam):
        W = np.eye(d)
    else:
        vals, vecs = np.linalg.eigh(Sw)
        W = (vecs / np.sqrt(np.maximum(vals, 0) + lam * np.trace(Sw) / d)) @ vecs.T
        W = W / np.linalg.norm(W, 2)
    if Sb is not None and k is not None and k < d:
        V = np.linalg.eigh(W.T @ Sb @ W)[1][:, -k:]
        W = W @ V @ V.T
    return W.astype(np.float32)


def smoothed(row: dict[float, float]) -> dict[float, float]:
    """Each threshold's ARI averaged with its neighbours' in the grid."""
    ts = sorted(row)
    return {t: float(np.mean([row[u] for u in ts[max(0, i - 1):i + 2]])) for i, t in enumerate(ts)}


def ranked(grid: dict[tuple, dict[float, float]]) -> list[tuple]:
    """Every ``(*key, threshold)`` of the grid, best smoothed ARI first (keys such as ``(lam, k, b)``);
    ties: the higher threshold, then the first key in the grid's order."""
    cands = [(key, t, s) for key, row in grid.items() for t, s in smoothed(row).items()]
    order = {key: i for i, key in enumerate(grid)}
    cands.sort(key=lambda c: (round(c[2], 6), c[1], -order[c[0]]), reverse=True)
    return [(*key, t) for key, t, _ in cands]


def choose(grid: dict[tuple, dict[float, float]], accept=None, tries: int = 40) -> tuple[tuple, bool]:
    """The best-ranked setting (:func:`ranked`) that ``accept(setting)`` takes, looking at no more than
    ``tries`` of them; ``(setting, True)``. Without ``accept``, the best one. When none of those tried
    is accepted: ``(the best one, False)``."""
    order = ranked(grid)
    if accept is None:
        return order[0], True
    for setting in order[:tries]:
        if accept(setting):
            return setting, True
    return order[0], False


@functools.lru_cache(maxsize=4)
def planted_negatives(d: Path, n_negatives: int) -> tuple[str, ...]:
    """The negative train reviews the selection sets are mixed into (shuffled with seed 0), read once."""
    import random

    negatives = [t for t, y in corpus_train_texts(d) if y == 0]
    random.Random(0).shuffle(negatives)
    return tuple(negatives[:n_negatives])


def planted_sets_encoded(enc, d: Path, n_negatives: int = 4000, sets: Optional[dict] = None
                         ) -> dict[str, tuple[list[str], np.ndarray, range]]:
    """Per selection set of ``benchmarks/planted_sets.py`` (``sets``, default ``SELECTION``): the set
    mixed into ``n_negatives`` negative train reviews, those texts' vectors (``enc.fit_encode``) and
    where the planted texts sit."""
    from planted_sets import SELECTION

    negatives, half = list(planted_negatives(d, n_negatives)), n_negatives // 2
    out = {}
    for name, planted in (SELECTION if sets is None else sets).items():
        texts = negatives[:half] + planted + negatives[half:]
        out[name] = (texts, enc.fit_encode(texts), range(half, half + len(planted)))
    return out


def planted_scores(encoded: dict, threshold: float) -> dict:
    """Planted texts in the cluster holding most of them and its purity (min_size 5), per encoded set."""
    from planted_sets import best_cluster

    from feedback_nlp.cluster import ProblemClusterer

    out = {}
    for name, (texts, X, planted) in encoded.items():
        lab = ProblemClusterer(threshold=threshold, seed=0, similarity="cosine").fit_predict(texts, embeddings=X)
        n, size = best_cluster(lab, planted)
        out[name] = {"in_best_cluster": n, "best_cluster_size": size, "purity": round(n / size, 3) if size else 0.0}
    return out


def mixed(table: TableEncoder, posterior: PosteriorEncoder, b: float, threshold: float) -> TableEncoder | ConcatEncoder:
    """The table with the issue-type posterior at weight ``b`` (``b`` 0: the table alone)."""
    if b <= 0:
        return table
    return ConcatEncoder([(table, 1 - b), (posterior, b)], name=table.name, default_threshold=threshold)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default=str(REPO / "models" / "feedback-zh-semantic"),
                    help="the table encoder directory (rewritten in place unless --out)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--model", default="feedback-zh-ngram", help="the n-gram model whose issue-type head is mixed in "
                                                                 "(a shipped model's name or a directory)")
    ap.add_argument("--lams", default="1,3,10,inf", help="whitening shrinkage grid (inf: no whitening)")
    ap.add_argument("--dims", default="64,128,256", help="discriminant directions kept (256: all, plain whitening)")
    ap.add_argument("--weights", default="0.15,0.2,0.25,0.3", help="issue-type mix weight grid")
    ap.add_argument("--thresholds", default="0.3,0.325,0.35,0.375,0.4,0.425,0.45,0.475,0.5,0.525,0.55,0.575,0.6")
    ap.add_argument("--planted-floor", default=None, metavar="N,PURITY",
                    help="choose the best dev ARI among settings whose every selection planted set keeps at least N "
                         "texts together at purity >= PURITY (e.g. 16,0.5); default: dev ARI alone")
    ap.add_argument("--planted-tries", type=int, default=40,
                    help="settings checked against --planted-floor, best first")
    args = ap.parse_args(argv)
    d = data_dir()
    if not (d / "annotations" / "dev.jsonl").is_file():
        sys.exit(f"needs the shared data ({d}); set FEEDBACK_NLP_DATA")
    t0 = time.perf_counter()
    table = TableEncoder.from_pretrained(args.encoder)
    table.whiten = None  # the projection alone: re-tuning starts from the same place
    model_dir = shipped_path(args.model, "model.json") or Path(args.model)
    posterior = PosteriorEncoder.from_pretrained(model_dir, "issue_types")
    train_t, train_g = problem_records(d, "train")
    X_train = table.encode(train_t)
    Sw, Sb = within_scatter(X_train, train_g), between_scatter(X_train, train_g)
    lams = [float(x) for x in args.lams.split(",")]
    dims = [int(x) for x in args.dims.split(",")]
    weights = [float(x) for x in args.weights.split(",")]
    thresholds = [float(x) for x in args.thresholds.split(",")]
    dev_t, dev_g = problem_records(d, "dev")
    grid = {}
    for lam in lams:
        for k in dims:
            table.whiten = whitening(Sw, lam, Sb, k)
            for b in weights:
                X = mixed(table, posterior, b, 0.0).encode(dev_t)
                grid[(lam, k, b)] = {t: round(ari_of(X, dev_t, dev_g, t), 4) for t in thresholds}
                print(f"lam {lam} k {k} b {b}: dev ARI {grid[(lam, k, b)]}", flush=True)
    accept, tried, encoded = None, [], {}  # encoded: (lam, k, b) -> the selection sets' vectors
    if args.planted_floor:
        floor_n, floor_purity = (float(x) for x in args.planted_floor.split(","))

        def meets_floor(setting):
            lam_, k_, b_, thr_ = setting
            if setting[:3] not in encoded:
                table.whiten = whitening(Sw, lam_, Sb, k_)
                encoded[setting[:3]] = planted_sets_encoded(mixed(table, posterior, b_, thr_), d)
            sets = planted_scores(encoded[setting[:3]], thr_)
            ok = all(v["in_best_cluster"] >= floor_n and v["purity"] >= floor_purity for v in sets.values())
            tried.append({"lam": None if not np.isfinite(lam_) else lam_, "k": k_, "b": b_, "threshold": thr_,
                          "sets": {n: [v["in_best_cluster"], v["purity"]] for n, v in sets.items()}, "accepted": ok})
            print(f"planted check {tried[-1]}", flush=True)
            return ok

        accept = meets_floor

    (lam, k, b, thr), floor_met = choose(grid, accept, args.planted_tries)
    if not floor_met:
        print(f"no setting of the {args.planted_tries} best meets --planted-floor {args.planted_floor}: "
              "keeping the best dev ARI", flush=True)
    table.whiten = whitening(Sw, lam, Sb, k)
    enc = mixed(table, posterior, b, thr)
    test_t, test_g = problem_records(d, "test")
    report = {"dev": {}, "test": {}}
    for split, (tx, g) in (("dev", (dev_t, dev_g)), ("test", (test_t, test_g))):
        report[split] = {"records": len(tx), "groups": len(set(g)),
                         "ari": round(ari_of(enc.encode(tx), tx, g, thr), 4),
                         "ari_ngram": round(ari_of(NgramEncoder(seed=0).fit_encode(tx), tx, g, 0.2), 4)}
    report["planted_selection_sets"] = planted_scores(encoded.get((lam, k, b)) or planted_sets_encoded(enc, d), thr)
    print(f"chosen: lam {lam}, k {k}, b {b}, threshold {thr}; {json.dumps(report)}")
    out = Path(args.out) if args.out else Path(args.encoder)
    if out != Path(args.encoder):
        table.save_pretrained(out)
    else:
        np.save(out / "whiten.npy", table.whiten, allow_pickle=False)
    spec = json.loads((out / "encoder.json").read_text(encoding="utf-8"))
    spec["default_threshold"] = thr
    if b > 0:
        spec["mix"] = {"model": args.model, "model_version": posterior.model.card.get("version"),
                       "task": "issue_types", "weight": b, "default_threshold": thr}
    else:  # weight 0: the table alone
        spec.pop("mix", None)
    spec.setdefault("card", {})["tuning"] = {
        "whitening": {"lam": None if not np.isfinite(lam) else lam, "discriminant_directions": k,
                      "data": f"within- and between-problem scatter of {len(train_t):,} train annotation records "
                              f"({len(set(train_g))} problem groups)"},
        "rule": "best dev ARI averaged over each threshold and its grid neighbours; ties: higher threshold"
                + ("; among settings whose selection planted sets all keep >= "
                   f"{args.planted_floor.replace(',', ' at purity >= ')} (met: {floor_met}; {len(tried)} checked)"
                   if args.planted_floor else ""),
        "planted_floor_checks": tried,
        "dev_ari_grid": {f"lam {key[0]} k {key[1]} b {key[2]}": v for key, v in grid.items()},
        "chosen": {"lam": None if not np.isfinite(lam) else lam, "discriminant_directions": k, "weight": b,
                   "threshold": thr},
        "report": report, "seconds": round(time.perf_counter() - t0),
        "command": "PYTHONPATH=src python3 training/tune_semantic_encoder.py"
                   + (f" --planted-floor {args.planted_floor}" if args.planted_floor else "")}
    (out / "encoder.json").write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}: whiten.npy, encoder.json mix and card.tuning ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()

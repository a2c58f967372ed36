"""Probe (issue 13): the shipped ``semantic`` encoder mixed with the n-gram sketch, chosen on new problems too.

    FEEDBACK_NLP_DATA=../shared/data python training/ngram_mix_probe.py [--weights 0,0.2,0.3,0.4,0.5] \\
        [--thresholds 0.3,0.35,0.4,0.45,0.5,0.55]

``semantic`` reads a new product's words in the sense their characters have in our reviews; the
``ngram`` sketch, fitted on the texts being clustered, keeps a rare word telling. Their mix has the
cosine ``(1 - w) cos_semantic + w cos_ngram`` (:class:`~feedback_nlp.encoders.ConcatEncoder`). Each
weight x threshold cell is scored as ``tune_semantic_encoder.py`` scores a setting: ARI against the
dev problems, and the planted sets of ``benchmarks/planted_sets.py`` mixed into 4,000 negative train
reviews: the three ``SELECTION`` sets (problems our reviews hold) and the three ``SELECTION_NEW`` sets
(new problems). w 0 is the shipped encoder.

The rule, fixed before the first run: a cell passes when every one of the six sets has 16 or more of
its 20 texts in one cluster at purity 0.5 or more; among passing cells the highest dev ARI wins (ties:
the smaller w, which is faster). No set reported elsewhere is read. Nothing is written; a table goes to
stdout, then the winner (or that no cell passes).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for sub in ("src", "training", "benchmarks"):
    sys.path.insert(0, str(REPO / sub))

from train_semantic_encoder import ari_of, data_dir  # noqa: E402
from tune_semantic_encoder import planted_scores, planted_sets_encoded, problem_records  # noqa: E402

from feedback_nlp.encoders import NgramEncoder, get_encoder  # noqa: E402
from feedback_nlp.encoders.concat import join_weighted  # noqa: E402

#: The planted floor of issue 13: this many of 20 in one cluster, at this purity.
FLOOR = (16, 0.5)


def mix(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """Rows whose dot products are ``(1 - w) a.a' + w b.b'``: ConcatEncoder's join of vectors encoded once."""
    return join_weighted([a, b], [1 - w, w])


def passes(scores: dict) -> bool:
    return all(v["in_best_cluster"] >= FLOOR[0] and v["purity"] >= FLOOR[1] for v in scores.values())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default="0,0.2,0.3,0.4,0.5")
    ap.add_argument("--thresholds", default="0.3,0.35,0.4,0.45,0.5,0.55")
    ap.add_argument("--sketch-dim", type=int, default=256, help="the ngram sketch's LSA dimensions (NgramEncoder dim)")
    ap.add_argument("--semantic", default="semantic", metavar="DIR",
                    help="the semantic encoder to mix (default: the shipped one; or a directory, e.g. a candidate, "
                         "or a pretrained encoder's name)")
    ap.add_argument("--partner", default="ngram", metavar="ENCODER",
                    help="what it is mixed with at weight w (default: the ngram sketch; or an encoder name)")
    args = ap.parse_args(argv)
    d = data_dir()
    if not (d / "annotations").is_dir():
        sys.exit(f"needs the shared data ({d}); set FEEDBACK_NLP_DATA")
    from planted_sets import SELECTION, SELECTION_NEW

    sets = {**SELECTION, **SELECTION_NEW}
    t0 = time.time()
    semantic = get_encoder(args.semantic)
    S = planted_sets_encoded(semantic, d, sets=sets)
    # one instance serves every fit_encode: the sketch is refitted on each call's texts
    partner = NgramEncoder(dim=args.sketch_dim) if args.partner == "ngram" else get_encoder(args.partner)
    N = planted_sets_encoded(partner, d, sets=sets)
    texts, groups = problem_records(d, "dev")
    Xs, Xn = semantic.fit_encode(texts), partner.fit_encode(texts)
    print(f"encoded in {time.time() - t0:.0f} s; sketch dim {args.sketch_dim}; sets: {', '.join(sets)}")
    print("| w | threshold | dev ARI | " + " | ".join(sets) + " | passes |")
    print("|---|---|---|" + "---|" * len(sets) + "---|")
    best = None
    for w in (float(x) for x in args.weights.split(",")):
        for t in (float(x) for x in args.thresholds.split(",")):
            enc = {k: (S[k][0], mix(S[k][1], N[k][1], w) if w else S[k][1], S[k][2]) for k in S}
            scores = planted_scores(enc, t)
            ari = ari_of(mix(Xs, Xn, w) if w else Xs, texts, groups, t)
            ok = passes(scores)
            cells = " | ".join(f"{v['in_best_cluster']} ({v['purity']:.2f})" for v in scores.values())
            print(f"| {w} | {t} | {ari:.4f} | {cells} | {'yes' if ok else ''} |", flush=True)
            if ok and (best is None or ari > best[0] or (ari == best[0] and w < best[1])):
                best = (ari, w, t)
    print("\nwinner: " + (f"w {best[1]}, threshold {best[2]} (dev ARI {best[0]:.4f})" if best else "no cell passes"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

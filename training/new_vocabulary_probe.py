"""Probe (issue 13): does a projection carry the teacher's knowledge of words our reviews never use?

    FEEDBACK_NLP_DATA=../shared/data python training/new_vocabulary_probe.py \\
        [--substitute-nouns 130000 --substitute-weight 1] [--dictionary-words 150000 --dictionary-weight 0.1] \\
        [--encoders use-multi,semantic,semantic+ngram]

Threshold-free, so that no clustering setting is chosen here: each selection planted set of
``benchmarks/planted_sets.py`` (``SELECTION``: problems our reviews hold; ``SELECTION_NEW``: new problems)
is mixed into 4,000 negative train reviews, and the score is the share of each planted text's 10 nearest
neighbours (cosine) that are planted texts of its set. The projection is fitted as
``train_semantic_encoder.py`` fits it (its vocabulary, its ridge, the same teacher cache), on all its texts
(no held-out share), without the problem pull (beta 0), whitening or mixes: what the extra rows change in
the projection alone. ``--encoders`` also scores whole encoders by name. No benchmark set is read.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for sub in ("src", "training", "benchmarks"):
    sys.path.insert(0, str(REPO / sub))

from train_semantic_encoder import (TeacherCache, data_dir, extra_rows, fit_projection, make_student,  # noqa: E402
                                    training_texts)
from tune_semantic_encoder import planted_sets_encoded  # noqa: E402


def neighbour_purity(X: np.ndarray, planted: range, k: int = 10) -> float:
    """Mean share of each planted row's ``k`` nearest other rows (cosine) that are planted."""
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    S = X[planted.start:planted.stop] @ X.T
    S[np.arange(len(planted)), np.arange(planted.start, planted.stop)] = -np.inf
    nearest = np.argsort(-S, axis=1)[:, :k]
    return float(((nearest >= planted.start) & (nearest < planted.stop)).mean())


def selection_sets() -> dict:
    """The selection planted sets by ``"new/NAME"`` (SELECTION_NEW) and ``"known/NAME"`` (SELECTION)."""
    from planted_sets import SELECTION, SELECTION_NEW

    return {**{f"new/{k}": v for k, v in SELECTION_NEW.items()}, **{f"known/{k}": v for k, v in SELECTION.items()}}


def score(encoder, d: Path) -> dict:
    """Neighbour purity of each selection set in 4,000 negative train reviews (the tuner's mixes), and the
    mean over the new and over the known sets."""
    encoded = planted_sets_encoded(encoder, d, sets=selection_sets())
    out = {k: round(neighbour_purity(X, pos), 3) for k, (_, X, pos) in encoded.items()}
    for kind in ("new", "known"):
        out[f"mean {kind}"] = round(float(np.mean([v for k, v in out.items() if k.startswith(kind + "/")])), 3)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-corpus", type=int, default=12000)
    ap.add_argument("--max-features", type=int, default=30000)
    ap.add_argument("--substitute-nouns", type=int, default=0, metavar="M")
    ap.add_argument("--substitute-weight", type=float, default=1.0, metavar="W")
    ap.add_argument("--dictionary-words", type=int, default=0, metavar="N")
    ap.add_argument("--dictionary-weight", type=float, default=0.1, metavar="W")
    ap.add_argument("--encoders", default="", help="comma-separated encoder names to score as they are")
    ap.add_argument("--cache", default=str(REPO / "work_data" / "teacher"))
    args = ap.parse_args(argv)
    d = data_dir()
    if not (d / "annotations").is_dir():
        sys.exit(f"needs the shared data ({d}); set FEEDBACK_NLP_DATA")
    for name in filter(None, args.encoders.split(",")):
        from feedback_nlp.encoders import get_encoder

        enc = get_encoder(name)
        print(name, json.dumps(score(enc, d)), flush=True)
    texts = training_texts(d, args.n_corpus)
    cache = TeacherCache("use-multi", Path(args.cache))
    Y = cache.embed(texts)
    words = extra_rows(texts, cache, args)  # the rows train_semantic_encoder.py fits: their vectors are cached
    probe, X, W_T, _, rep = fit_projection(texts, Y, [None] * len(texts), max_features=args.max_features, dim=256,
                                           lam=1.0, use_words=False, val_share=0.0, words=words, log=lambda *a: None)
    enc = make_student(probe, X, W_T)
    label = (f"projection, {rep['extra_rows']} extra rows at weight {rep['extra_row_weight']}, "
             f"{rep['features']} features")
    print(label, json.dumps(score(enc, d)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Probe (issue 13): do domain word vectors, mixed into the shipped ``semantic`` encoder, keep paraphrases apart?

    pip install gensim   # 4.4+ (numpy 2); the probe's only extra need
    FEEDBACK_NLP_DATA=../shared/data python training/word_vector_probe.py [--tokens jieba|keywords]

The word vectors of ``train_word_vectors.fit_word_vectors`` (float32 here): FastText (skip-gram, char
1-3-gram subwords, 100 dims, one worker: reproducible) trained on the train-split corpus reviews and
the train annotations, tokenised by jieba. A text's vector (``encoders/words.py``) is the
SIF-weighted mean (``a / (a + p(word))``, a = 1e-3) of its words' vectors, a word missing from the
vocabulary counted as the mean of its characters' vectors, with the first principal component of
20,000 training texts removed. That vector is mixed with the shipped ``semantic`` encoder (cosine =
``(1 - w) cos_semantic + w cos_words``) and scored as ``training/tune_semantic_encoder.py`` scores a
setting: ARI against the dev problems, and the three *selection* planted sets of
``benchmarks/planted_sets.py`` (each in 4,000 negative train reviews). The reported sets are not
read. ``--whiten LAM[,K]`` gives the word part the discriminant the tuner gives the table (learned on
the train problems). ``--tokens keywords`` uses the tokens a ``TableEncoder`` would (``KeywordExtractor``, HMM off)
and drops unknown words instead. Nothing is written; a table goes to stdout.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for sub in ("src", "training", "benchmarks"):
    sys.path.insert(0, str(REPO / sub))

from train_semantic_encoder import ari_of, data_dir  # noqa: E402
from train_word_vectors import add_discriminant, fit_word_vectors, training_texts  # noqa: E402
from tune_semantic_encoder import planted_scores, planted_sets_encoded, problem_records  # noqa: E402

from feedback_nlp.encoders import ConcatEncoder, get_encoder  # noqa: E402
from feedback_nlp.encoders.words import WordVectorEncoder, word_tokens  # noqa: E402

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", choices=("jieba", "keywords"), default="jieba")
    ap.add_argument("--weights", default="0.2,0.3,0.4,0.5")
    ap.add_argument("--thresholds", default="0.45,0.5,0.55,0.6")
    ap.add_argument("--issue-weight", type=float, default=None, metavar="B",
                    help="re-mix the shipped table with the issue-type probabilities at B (default: as shipped)")
    ap.add_argument("--whiten", default=None, metavar="LAM[,K]",
                    help="give the word part the tuner's discriminant, learned on the train problems "
                         "(training/tune_semantic_encoder.whitening: shrinkage LAM, K directions)")
    args = ap.parse_args(argv)
    if importlib.util.find_spec("gensim") is None:
        sys.exit("the probe needs gensim: pip install gensim")
    d = data_dir()
    if not (d / "annotations").is_dir():
        sys.exit(f"needs the shared data ({d}); set FEEDBACK_NLP_DATA")
    if args.tokens == "jieba":
        tokenize = word_tokens
    else:
        from feedback_nlp.keywords import KeywordExtractor

        kx = KeywordExtractor(hmm=False)

        def tokenize(norm):
            return kx.tokenize(norm, normalized=True)

    t0 = time.perf_counter()
    texts = training_texts(d)
    # float32 vectors, as the probe's figures were measured (the shipped ones are float16)
    words = fit_word_vectors(texts, tokenize, fallback=args.tokens == "jieba", dtype=np.float32)
    if args.whiten:
        lam, _, k = args.whiten.partition(",")
        add_discriminant(words, d, float(lam), int(k) if k else None)
    print(f"{len(texts)} texts, {len(words.words)} words, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    semantic = get_encoder("semantic")
    if isinstance(semantic, ConcatEncoder) and isinstance(semantic.parts[-1], WordVectorEncoder):
        semantic = semantic.parts[0]  # the shipped encoder has word vectors already: probe what they mix into
    if args.issue_weight is not None:
        table, posterior = semantic.parts
        semantic = ConcatEncoder([(table, 1 - args.issue_weight), (posterior, args.issue_weight)], name="semantic")
    dev_texts, dev_groups = problem_records(d, "dev")
    print("| word weight | threshold | dev ARI | screen | soup | aircon |")
    print("|---|---|---|---|---|---|")
    for w in [float(x) for x in args.weights.split(",")]:
        enc = ConcatEncoder([(semantic, 1 - w), (words, w)], name="semantic+words")
        sets = planted_sets_encoded(enc, d)
        dev = enc.fit_encode(dev_texts)
        for th in [float(x) for x in args.thresholds.split(",")]:
            scores = planted_scores(sets, th)
            cells = [f"{s['in_best_cluster']} ({s['purity']:.2f})" for s in scores.values()]
            print(f"| {w} | {th} | {ari_of(dev, dev_texts, dev_groups, th):.4f} | " + " | ".join(cells) + " |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

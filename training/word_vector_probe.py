"""Probe (issue 13): do domain word vectors, mixed into the shipped ``semantic`` encoder, keep paraphrases apart?

    pip install gensim   # 4.4+ (numpy 2); the probe's only extra need
    FEEDBACK_NLP_DATA=../shared/data python training/word_vector_probe.py [--tokens jieba|keywords]

FastText (skip-gram, char 1-3-gram subwords, 100 dims, one worker: reproducible) trained on the
train-split corpus reviews and the train annotations, tokenised by jieba. A text's vector is the
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
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for sub in ("src", "training", "benchmarks"):
    sys.path.insert(0, str(REPO / sub))

from train_semantic_encoder import annotation_records, ari_of, corpus_train_texts, data_dir  # noqa: E402
from tune_semantic_encoder import (between_scatter, planted_scores, planted_sets_encoded, problem_records,  # noqa: E402
                                   whitening, within_scatter)

from feedback_nlp.encoders import ConcatEncoder, get_encoder  # noqa: E402
from feedback_nlp.encoders.words import WordVectorEncoder  # noqa: E402
from feedback_nlp.text import normalize  # noqa: E402

SIF_A = 1e-3


class WordVectors:
    """SIF sentence vectors from word vectors (the probe's encoder: ``fit_encode`` as the tuner calls it)."""

    def __init__(self, vectors: dict, counts: Counter, char_vectors: dict, tokenize, fallback: bool):
        self.vectors, self.char_vectors, self.tokenize, self.fallback = vectors, char_vectors, tokenize, fallback
        total = sum(counts.values())
        self.weight = {w: SIF_A / (SIF_A + c / total) for w, c in counts.items()}
        self.dim = len(next(iter(vectors.values())))
        self.pc = self.whiten = None

    def mean_vectors(self, norms) -> np.ndarray:
        out = np.zeros((len(norms), self.dim), np.float32)
        for i, n in enumerate(norms):
            vs, ws = [], []
            for w in self.tokenize(n):
                if w in self.vectors:
                    vs.append(self.vectors[w])
                    ws.append(self.weight[w])
                elif self.fallback:
                    chars = [self.char_vectors[c] for c in w if c in self.char_vectors]
                    if chars:
                        vs.append(np.mean(chars, axis=0))
                        ws.append(1.0)
            if vs:
                out[i] = np.average(np.stack(vs), axis=0, weights=ws)
        return out

    def fit_encode(self, texts) -> np.ndarray:
        X = self.mean_vectors([normalize(t) for t in texts])
        if self.pc is not None:
            X -= np.outer(X @ self.pc, self.pc)
        X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        if self.whiten is not None:
            X = X @ self.whiten
        return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


class Mixed:
    """Cosine ``(1 - w) cos_a + w cos_b``: the two unit vectors side by side, scaled by the roots."""

    def __init__(self, a, b, w: float):
        self.a, self.b, self.w = a, b, w

    def fit_encode(self, texts) -> np.ndarray:
        A = self.a.fit_encode(texts)
        A = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
        return np.hstack([np.sqrt(1 - self.w) * A, np.sqrt(self.w) * self.b.fit_encode(texts)])


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
    try:
        from gensim.models import FastText
    except ImportError:
        sys.exit("the probe needs gensim: pip install gensim")
    d = data_dir()
    if not (d / "annotations").is_dir():
        sys.exit(f"needs the shared data ({d}); set FEEDBACK_NLP_DATA")
    if args.tokens == "jieba":
        import jieba

        jieba.setLogLevel(60)
        skip = set("，。！？、,.!?~ ")

        def tokenize(norm):
            return [w for w in jieba.lcut(norm) if w.strip() and w not in skip]
    else:
        from feedback_nlp.keywords import KeywordExtractor

        kx = KeywordExtractor(hmm=False)

        def tokenize(norm):
            return kx.tokenize(norm, normalized=True)

    texts = [normalize(t) for t, _ in corpus_train_texts(d)] + [normalize(r["text"]) for r in annotation_records(d, "train")]
    texts = [t for t in dict.fromkeys(texts) if t]
    t0 = time.perf_counter()
    tokens = [tokenize(t) for t in texts]
    ft = FastText(vector_size=100, window=5, min_count=2, epochs=8, min_n=1, max_n=3, workers=1, sg=1, seed=0)
    ft.build_vocab(corpus_iterable=tokens)
    ft.train(corpus_iterable=tokens, total_examples=len(tokens), epochs=ft.epochs)
    counts = Counter(w for ts in tokens for w in ts)
    vocab = [w for w, c in counts.items() if c >= 2]
    chars = {c for w in vocab for c in w}
    words = WordVectors({w: ft.wv[w] for w in vocab}, counts, {c: ft.wv[c] for c in chars}, tokenize,
                        fallback=args.tokens == "jieba")
    _, _, vt = np.linalg.svd(words.mean_vectors(texts[:20000]), full_matrices=False)
    words.pc = vt[0]
    if args.whiten:
        lam, _, k = args.whiten.partition(",")
        train_t, train_g = problem_records(d, "train")
        X = words.fit_encode(train_t)
        words.whiten = whitening(within_scatter(X, train_g), float(lam), between_scatter(X, train_g),
                                 int(k) if k else None)
    print(f"{len(texts)} texts, {len(vocab)} words, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
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
        enc = Mixed(semantic, words, w)
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

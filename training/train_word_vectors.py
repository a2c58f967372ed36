"""Train the domain word vectors the shipped ``semantic`` encoder mixes in (``encoders/words.py``).

    pip install gensim    # 4.4+ (part of the train-semantic extra)
    FEEDBACK_NLP_DATA=../shared/data python training/train_word_vectors.py [--weight 0.4 --threshold 0.55]

FastText (skip-gram, 100 dims, window 5, words seen twice or more, char 1-3-gram subwords, 8 epochs,
one worker so that a rerun gives the same vectors) on the train-split corpus reviews and the train
annotations (jieba words, as the encoder tokenises). Written to ``MODEL/words/``: the words' and
their characters' vectors (float16), SIF weights, the first principal component of 20,000 training
texts, and the tuner's discriminant (``tune_semantic_encoder.whitening``, shrinkage 1, 32 directions)
learned on the train annotations' problems. ``MODEL/encoder.json`` then names the part:
``"words": {"path": "words", "weight": W, "default_threshold": T}``.

W and T (0.4, 0.55) were chosen with ``training/word_vector_probe.py --whiten 1,32``: the one
setting of its grid whose three selection planted sets all keep 16 or more texts together at
purity 0.5 or more (dev ARI 0.195; benchmarks/RESULTS.md). About 75 s on 2 cores.

Order of the semantic encoder's scripts: ``train_semantic_encoder.py`` (writes a fresh encoder.json,
without ``mix`` or ``words``), ``tune_semantic_encoder.py`` (adds ``mix``, keeps ``words``), then this
one; after either of the first two, check W and T again with the probe, which mixes the words
into whatever ``semantic`` then is.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for sub in ("src", "training", "benchmarks"):
    sys.path.insert(0, str(REPO / sub))

from train_semantic_encoder import annotation_records, corpus_train_texts, data_dir  # noqa: E402
from tune_semantic_encoder import between_scatter, problem_records, whitening, within_scatter  # noqa: E402

from feedback_nlp.encoders.words import WordVectorEncoder, word_tokens  # noqa: E402
from feedback_nlp.text import normalize  # noqa: E402

SIF_A = 1e-3


def training_texts(d: Path) -> list[str]:
    """The normalised, distinct, non-empty texts the vectors learn from: train-split corpus reviews
    and train annotations."""
    texts = [normalize(t) for t, _ in corpus_train_texts(d)] + [normalize(r["text"]) for r in annotation_records(d, "train")]
    return [t for t in dict.fromkeys(texts) if t]


def fit_word_vectors(texts: list[str], tokenize=word_tokens, fallback: bool = True,
                     dtype=np.float16) -> WordVectorEncoder:
    """FastText on ``texts`` (tokenised by ``tokenize``), as a :class:`WordVectorEncoder` with SIF weights
    and the first principal component of 20,000 texts' mean vectors removed. ``fallback``: keep the
    characters' vectors for unknown words; ``dtype``: of the vectors (float16 as shipped)."""
    from gensim.models import FastText

    tokens = [tokenize(t) for t in texts]
    ft = FastText(vector_size=100, window=5, min_count=2, epochs=8, min_n=1, max_n=3, workers=1, sg=1, seed=0)
    ft.build_vocab(corpus_iterable=tokens)
    ft.train(corpus_iterable=tokens, total_examples=len(tokens), epochs=ft.epochs)
    counts = Counter(w for ts in tokens for w in ts)
    total = sum(counts.values())
    words = [w for w, c in counts.items() if c >= 2]
    chars = sorted({c for w in words for c in w}) if fallback else []
    vectors = np.stack([ft.wv[w] for w in words] + [ft.wv[c] for c in chars]).astype(dtype)
    weights = np.array([SIF_A / (SIF_A + counts[w] / total) for w in words], np.float32)
    enc = WordVectorEncoder(words, vectors, weights, chars, name="words", tokenize=tokenize)
    enc.remove = np.linalg.svd(enc.mean_vectors(texts[:20000]), full_matrices=False)[2][:1].astype(np.float32)
    return enc


def add_discriminant(enc: WordVectorEncoder, d: Path, lam: float = 1.0, k: int | None = 32) -> None:
    """``enc.whiten``: the tuner's discriminant (``tune_semantic_encoder.whitening``) on the train problems."""
    train_t, train_g = problem_records(d, "train")
    X = enc.encode(train_t)
    enc.whiten = whitening(within_scatter(X, train_g), lam, between_scatter(X, train_g), k)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(REPO / "models" / "feedback-zh-semantic"),
                    help="the semantic encoder directory: words/ is written into it and encoder.json names it")
    ap.add_argument("--weight", type=float, default=0.4)
    ap.add_argument("--threshold", type=float, default=0.55)
    args = ap.parse_args(argv)
    if importlib.util.find_spec("gensim") is None:
        sys.exit("training word vectors needs gensim: pip install -e '.[train-semantic]'")
    d = data_dir()
    if not (d / "annotations" / "train.jsonl").is_file():
        sys.exit(f"needs the shared data ({d}); set FEEDBACK_NLP_DATA")
    t0 = time.perf_counter()
    texts = training_texts(d)
    enc = fit_word_vectors(texts)
    add_discriminant(enc, d)
    enc.card = {"data": f"{len(texts):,} normalised texts: the corpora's train-split reviews and the train annotations",
                "how": "gensim FastText skip-gram, 100 dims, window 5, min_count 2, char 1-3-gram subwords, 8 epochs, "
                       "1 worker, seed 0; SIF weights a=1e-3; first principal component removed; discriminant "
                       "(shrinkage 1, 32 directions) on the train problems",
                "words": len(enc.words), "chars": len(enc.chars),
                "command": "FEEDBACK_NLP_DATA=../shared/data python training/train_word_vectors.py"}
    model = Path(args.model)
    enc.save_pretrained(model / "words")
    spec_path = model / "encoder.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    spec["words"] = {"path": "words", "weight": args.weight, "default_threshold": args.threshold}
    spec_path.write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{len(enc.words)} words, {len(enc.chars)} characters from {len(texts)} texts in "
          f"{time.perf_counter() - t0:.0f} s; {model / 'words'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

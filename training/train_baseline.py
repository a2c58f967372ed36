"""Rebuild the shipped model ``models/feedback-zh-ngram`` from ../shared/data with one command.

    python training/train_baseline.py [--data ../shared/data] [-o models/feedback-zh-ngram]

Training data per task (train splits only; thresholds chosen on dev; metrics on dev and test):
- sentiment: the three binary review corpora (0 -> negative, 1 -> positive) + the annotations (3-way),
- spam: the annotations + COLD (offensive -> abuse, non-offensive -> irrelevant, sampled)
  + corpus reviews as not_spam (sampled),
- issue_types, severity: the annotations.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from feedback_nlp.labelled_data import CORPORA, LabelledData, load_annotations, load_cold, load_corpus, shared_data_dir  # noqa: E402
from feedback_nlp.features import NgramFeaturizer  # noqa: E402
from feedback_nlp.tasks.routing import DEFAULT_ROUTING  # noqa: E402
from feedback_nlp.train import evaluate_head, train_model, write_report  # noqa: E402

SENT = {0: "negative", 1: "positive"}


def spam_label(r: dict) -> str:
    return r["spam_type"] if r["is_spam"] else "not_spam"


def build_sets(data_dir, seed: int = 0, cold_per_class: int = 3000, reviews_for_spam: int = 15000):
    rng = random.Random(seed)
    ann = {s: load_annotations(s, data_dir) for s in ("train", "dev", "test")}
    corp = {name: {s: load_corpus(name, s, data_dir) for s in ("train", "dev", "test")} for name in CORPORA}
    cold = {s: load_cold(s, data_dir) for s in ("train", "dev", "test")}

    def ann_set(split, field, multilabel=False):
        rows = ann[split]
        labels = [spam_label(r) for r in rows] if field == "spam" else [r[field] for r in rows]
        return LabelledData([r["text"] for r in rows], labels, [r["id"] for r in rows], multilabel)

    def sample(rows, n):
        rows = list(rows)
        rng.shuffle(rows)
        return rows[:n]

    def spam_set(split, n_cold, n_reviews):
        base = ann_set(split, "spam")
        texts, labels = list(base.texts), list(base.labels)
        for lab, name in ((1, "abuse"), (0, "irrelevant")):
            for r in sample([c for c in cold[split] if c["label"] == lab], n_cold):
                texts.append(r["text"])
                labels.append(name)
        reviews = [r for name in CORPORA for r in corp[name][split]]
        for r in sample(reviews, n_reviews):
            texts.append(r["text"])
            labels.append("not_spam")
        return LabelledData(texts, labels)

    def sentiment_set(split):
        base = ann_set(split, "sentiment")
        texts, labels = list(base.texts), list(base.labels)
        for name in CORPORA:
            for r in corp[name][split]:
                texts.append(r["text"])
                labels.append(SENT[r["label"]])
        return LabelledData(texts, labels)

    train = {
        "spam": spam_set("train", cold_per_class, reviews_for_spam),
        "issue_types": ann_set("train", "issue_types", multilabel=True),
        "sentiment": sentiment_set("train"),
        "severity": ann_set("train", "severity"),
    }
    dev = {
        # Dev for spam mixes in many real complaints so the threshold keeps them safe.
        "spam": spam_set("dev", 500, 3000),
        "issue_types": ann_set("dev", "issue_types", multilabel=True),
        "sentiment": ann_set("dev", "sentiment"),
        "severity": ann_set("dev", "severity"),
    }
    test = {
        "spam": ann_set("test", "spam"),
        "issue_types": ann_set("test", "issue_types", multilabel=True),
        "sentiment": ann_set("test", "sentiment"),
        "severity": ann_set("test", "severity"),
    }
    return train, dev, test, corp, ann


def corpus_sentiment_metrics(analyzer, corp, split: str, traditional: bool = False) -> dict:
    """Binary accuracy by the sign of sentiment_score on each corpus split."""
    conv = None
    if traditional:
        import opencc

        conv = opencc.OpenCC("s2t")
    out = {}
    for name, splits in corp.items():
        rows = splits[split]
        texts = [conv.convert(r["text"]) if conv else r["text"] for r in rows]
        res = analyzer.analyze_batch(texts, batch_size=1024)
        correct = sum((x.sentiment_score > 0) == (r["label"] == 1) for x, r in zip(res, rows))
        out[name] = round(correct / len(rows), 4)
    return out


def complaint_flag_rate(analyzer, corp, ann, split: str) -> dict:
    """Share of real complaints flagged as spam: negative corpus reviews + non-spam negative annotations."""
    texts = [r["text"] for name in corp for r in corp[name][split] if r["label"] == 0]
    texts += [r["text"] for r in ann[split] if not r["is_spam"] and r["sentiment"] == "negative"]
    res = analyzer.analyze_batch(texts, batch_size=1024)
    flagged = sum(r.is_spam for r in res)
    return {"n_complaints": len(texts), "flagged": flagged, "rate": round(flagged / len(texts), 4)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("-o", "--output", default=str(REPO / "models" / "feedback-zh-ngram"))
    ap.add_argument("--max-features", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    data_dir = shared_data_dir(args.data)
    t0 = time.time()
    train, dev, test, corp, ann = build_sets(data_dir, seed=args.seed)
    command = "python training/train_baseline.py" + (f" --max-features {args.max_features}" if args.max_features != 200_000 else "")
    card = {
        "name": "feedback-zh-ngram",
        "version": "0.1.0",
        "description": "Character 1-3-gram TF-IDF + logistic-regression heads for spam, issue types, "
                       "sentiment and severity of Chinese e-commerce feedback.",
        "command": command,
        "training_data": {
            "corpora (train splits)": {name: len(corp[name]["train"]) for name in corp},
            "annotations (train split)": len(ann["train"]),
            "COLD (train split, sampled)": 6000,
            "source": "../shared/data (ChineseNlpCorpus, COLD, project annotations)",
        },
        "tasks": {t: {"training_data": {"n_texts": len(d)}} for t, d in train.items()},
    }
    model = train_model(train, dev, featurizer=NgramFeaturizer(max_features=args.max_features),
                        C={"spam": 8.0, "issue_types": 8.0, "sentiment": 8.0, "severity": 4.0},
                        class_weight={"spam": "balanced", "severity": "balanced"}, card=card)
    model.routing = DEFAULT_ROUTING
    for task, data in test.items():
        model.card["tasks"][task].setdefault("metrics", {})["test"] = evaluate_head(model, task, data)
    out = Path(args.output)
    model.save_pretrained(out)

    from feedback_nlp import FeedbackAnalyzer

    fa = FeedbackAnalyzer.load(out)
    bench = {
        "sentiment_binary_accuracy": {
            "dev": corpus_sentiment_metrics(fa, corp, "dev"),
            "test": corpus_sentiment_metrics(fa, corp, "test"),
            "test_traditional": corpus_sentiment_metrics(fa, corp, "test", traditional=True),
        },
        "complaints_flagged_as_spam": {"dev": complaint_flag_rate(fa, corp, ann, "dev"),
                                       "test": complaint_flag_rate(fa, corp, ann, "test")},
    }
    model.card["evaluation"] = bench
    model.card["total_seconds"] = round(time.time() - t0, 1)
    model.save_pretrained(out)
    write_report({t: model.card["tasks"][t]["metrics"]["test"] for t in test}, out / "eval_test")
    print(json.dumps(bench, indent=2))
    for t in test:
        m = model.card["tasks"][t]["metrics"]
        print(t, "dev", {k: m["dev"].get(k) for k in ("accuracy", "micro_f1", "macro_f1", "quadratic_weighted_kappa", "critical_recall", "spam_binary")})
        print(t, "test", {k: m["test"].get(k) for k in ("accuracy", "micro_f1", "macro_f1", "quadratic_weighted_kappa", "critical_recall", "spam_binary")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Rebuild the shipped model ``models/feedback-zh-ngram`` from ../shared/data with one command.

    python training/train_baseline.py [--data ../shared/data] [-o models/feedback-zh-ngram]

Training data per task (train splits only; thresholds chosen on dev; metrics on dev and test):
- sentiment: the three binary review corpora (0 -> negative, 1 -> positive) + the annotations (3-way),
- spam: the annotations + COLD (offensive -> abuse, non-offensive -> irrelevant, sampled)
  + corpus reviews as not_spam (sampled),
- issue_types, severity: the annotations.

The rows' weights and the heads' C are in ``baseline_recipe.py``; the model card and the README's quality
block are written by ``baseline_card.py``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import asdict
import random
import sys
import time

import numpy as np
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))  # baseline_card, baseline_recipe

from feedback_nlp.labelled_data import CORPORA, LabelledData, load_annotations, load_cold, load_corpus, shared_data_dir  # noqa: E402
from feedback_nlp.features import NgramFeaturizer  # noqa: E402
from feedback_nlp.tasks.routing import DEFAULT_ROUTING  # noqa: E402
from feedback_nlp.train import evaluate_head, out_of_fold_heads, train_model, write_report  # noqa: E402
from feedback_nlp.decisions import DecisionSettings, fit_decisions  # noqa: E402
from feedback_nlp.metrics import decision_report  # noqa: E402
from feedback_nlp.text import normalize  # noqa: E402
from baseline_card import distillation_text, label_audit_of, model_card_markdown, write_readme_block  # noqa: E402
from baseline_recipe import (ANNOTATION_WEIGHT, C, COLD_WEIGHT, CRITICAL_EXTRA_WEIGHT, DECISION_FOLDS,  # noqa: E402
                             NOT_REVIEWS, PRAISE_FOR_ISSUES, PRAISE_WEIGHT, REVIEW_ACCURACY, REVIEWS_FOR_SPAM)

SENT = {0: "negative", 1: "positive"}


def spam_label(r: dict) -> str:
    return r["spam_type"] if r["is_spam"] else "not_spam"


def real_complaints(corp, split: str) -> list[str]:
    """Negative corpus reviews of a split (without :data:`NOT_REVIEWS` categories)."""
    return [r["text"] for name in corp for r in corp[name][split]
            if r["label"] == 0 and r.get("cat") not in NOT_REVIEWS]


def build_sets(data_dir, seed: int = 0, cold_per_class: int = 3000, reviews_for_spam: int = REVIEWS_FOR_SPAM):
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

    def spam_dev_set(split):
        """Annotations + every negative corpus review of the split as not_spam: the spam
        threshold keeps real complaints safe (<= 1% flagged) on the styles the
        annotations have (COLD's Weibo style is left out of dev)."""
        base = ann_set(split, "spam")
        texts, labels = list(base.texts), list(base.labels)
        for name in CORPORA:
            for r in corp[name][split]:
                if r["label"] == 0:
                    texts.append(r["text"])
                    labels.append("not_spam")
        return LabelledData(texts, labels)

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

    def issue_set(split):
        base = ann_set(split, "issue_types", multilabel=True)
        praise = sample([r for name in CORPORA for r in corp[name][split] if r["label"] == 1], PRAISE_FOR_ISSUES)
        return LabelledData(list(base.texts) + [r["text"] for r in praise], list(base.labels) + [[]] * len(praise),
                            [], True)

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
        "issue_types": issue_set("train"),
        "sentiment": sentiment_set("train"),
        "severity": ann_set("train", "severity"),
    }
    dev = {
        # Dev for spam mixes in many real complaints so the threshold keeps them safe.
        "spam": spam_dev_set("dev"),
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


def head_sign_scores(model, texts: list[str]) -> np.ndarray:
    """P(positive) - P(negative) of a task model's sentiment head alone, per raw text (> 0: positive)."""
    from feedback_nlp.text import normalize

    labels = model.heads["sentiment"].labels
    p = model.predict_proba([normalize(t) for t in texts])["sentiment"]
    return p[:, labels.index("positive")] - p[:, labels.index("negative")]


def head_binary_accuracy(model, corp, split: str) -> dict:
    """Binary accuracy of a task model's sentiment head alone (P(positive) > P(negative)) on
    each corpus split: :func:`corpus_sentiment_metrics` for a head outside an analyzer."""
    return {name: sign_accuracy(head_sign_scores(model, [r["text"] for r in splits[split]]), splits[split])
            for name, splits in corp.items()}


def sign_accuracy(score: np.ndarray, rows: list[dict]) -> float:
    """Share of ``rows`` whose binary label (1 = positive) the sign of ``score`` gets right."""
    return round(float(np.mean((np.asarray(score) > 0) == np.array([r["label"] == 1 for r in rows]))), 4)


def sentiment_criterion(accuracy: float, binary: dict) -> float:
    """How a sentiment model is chosen on dev (students, ensembles): 3-way accuracy on the
    annotations plus the mean binary accuracy over the corpora (issue 13's targets are both)."""
    return float(accuracy) + float(np.mean(list(binary.values())))


def complaint_flag_rate(analyzer, corp, ann, split: str) -> dict:
    """Share of real complaints flagged as spam: negative corpus reviews (without the 蒙牛 Weibo
    posts, :data:`NOT_REVIEWS`) + non-spam negative annotations; with 蒙牛 reported beside. Also
    the share flagged and not sent to review: the complaints discarded unseen."""
    texts = real_complaints(corp, split)
    texts += [r["text"] for r in ann[split] if not r["is_spam"] and r["sentiment"] == "negative"]
    res = analyzer.analyze_batch(texts, batch_size=1024)
    flagged = sum(r.is_spam for r in res)
    unseen = sum(r.is_spam and not r.needs_review for r in res)
    weibo = [r["text"] for name in corp for r in corp[name][split] if r["label"] == 0 and r.get("cat") in NOT_REVIEWS]
    w_flagged = sum(r.is_spam for r in analyzer.analyze_batch(weibo, batch_size=1024))
    return {"n_complaints": len(texts), "flagged": flagged, "rate": round(flagged / len(texts), 4),
            "flagged_not_reviewed": unseen, "rate_not_reviewed": round(unseen / len(texts), 4),
            "rate_with_weibo_posts": round((flagged + w_flagged) / (len(texts) + len(weibo)), 4)}


def recipe(train: dict, ann: dict) -> dict:
    """Keyword arguments of ``train_model`` for the shipped model."""
    import numpy as np

    n_ann = len(ann["train"])
    weights = {}
    for task in ("spam", "sentiment"):
        w = np.ones(len(train[task]))
        w[:n_ann] = ANNOTATION_WEIGHT[task]  # build_sets puts the annotations first
        if task == "spam":
            w[n_ann:len(w) - REVIEWS_FOR_SPAM] = COLD_WEIGHT  # then the COLD rows, then the reviews
        weights[task] = w
    w = np.ones(len(train["issue_types"]))
    w[n_ann:] = PRAISE_WEIGHT  # positive corpus reviews after the annotations
    weights["issue_types"] = w
    sev = train["severity"].labels
    counts = {lab: sev.count(lab) for lab in set(sev)}
    sev_cw = {lab: len(sev) / (len(counts) * c) for lab, c in counts.items()}
    sev_cw["critical"] *= CRITICAL_EXTRA_WEIGHT
    return {"C": C, "class_weight": {"spam": "balanced", "severity": sev_cw, "issue_types": "balanced"},
            "sample_weights": weights, "nb_scale": {"sentiment": ("positive", "negative")},
            "calibrate": ("sentiment",), "spam_max_flag_rate": 0.01,
            "review_accuracy": REVIEW_ACCURACY}


def annotation_spam_metrics(analyzer, ann, split: str) -> dict:
    """Spam vs not spam on the annotations alone (the codebook's spam styles)."""
    from feedback_nlp.metrics import binary_f1

    rows = ann[split]
    res = analyzer.analyze_batch([r["text"] for r in rows], batch_size=1024)
    return binary_f1([r["is_spam"] for r in rows], [x.is_spam for x in res])


def review_metrics(analyzer, ann, split: str) -> dict:
    """needs_review on annotations: share sent to review, accuracy of the rest."""
    rows = ann[split]
    res = analyzer.analyze_batch([r["text"] for r in rows], batch_size=1024)
    kept = [(x, r) for x, r in zip(res, rows) if not x.needs_review]
    out = {"n": len(rows), "share_reviewed": round(1 - len(kept) / len(rows), 4)}
    for field in ("sentiment", "severity"):
        out[f"{field}_accuracy_all"] = round(sum(getattr(x, field) == r[field] for x, r in zip(res, rows)) / len(rows), 4)
        out[f"{field}_accuracy_not_reviewed"] = round(
            sum(getattr(x, field) == r[field] for x, r in kept) / max(len(kept), 1), 4)
    return out


def throughput(analyzer, texts: list, n: int = 20000) -> float:
    """Full analyses per second in this process (single thread), on repeated test texts."""
    batch = (texts * (n // max(len(texts), 1) + 1))[:n]
    analyzer.analyze_batch(batch[:1000], batch_size=1024)  # warm up
    t = time.perf_counter()
    analyzer.analyze_batch(batch, batch_size=1024)
    return round(n / (time.perf_counter() - t))


def export_graph(out: Path) -> None:
    """Rewrite model.onnx so the id-input graph matches the new heads (or remove a stale one)."""
    try:
        from feedback_nlp.export import export_onnx

        export_onnx(out)
    except ImportError:
        stale = out / "model.onnx"
        if stale.exists():
            stale.unlink()
        print("onnx is not installed: model.onnx not written (feedback-nlp export makes it)")


def heads_fingerprint(model) -> str:
    """SHA-256 of the heads (weights, biases, temperatures): the out-of-fold cache holds predictions
    for one set of heads, and a refit of the decisions must not read a cache written for others."""
    h = hashlib.sha256()
    for task in sorted(model.weights):
        w, b = model.weights[task]
        temperature = model.card.get("tasks", {}).get(task, {}).get("temperature")
        for part in (task.encode(), np.ascontiguousarray(w, np.float32).tobytes(),
                     np.ascontiguousarray(b, np.float32).tobytes(), repr(temperature).encode()):
            h.update(part)
    return h.hexdigest()


def cached_oof_heads(path, model) -> Optional[dict]:
    """The out-of-fold head predictions cached at PATH (``oof_heads.npz``), per task, if they were
    written for MODEL's heads (:func:`heads_fingerprint`); None for a cache of other heads, or one
    from before fingerprints: every reader refits or refuses rather than use stale predictions."""
    with np.load(path) as z:
        if "fingerprint" not in z.files or str(z["fingerprint"]) != heads_fingerprint(model):
            return None
        return {k: z[k] for k in z.files if k != "fingerprint"}


def decision_inputs(model, train: dict, ann: dict, rec: dict, cache: str) -> dict:
    """The out-of-fold head predictions the decisions are fitted on: read from ``CACHE/oof_heads.npz``
    when it was written for these heads (:func:`heads_fingerprint`), else computed (minutes) and cached."""
    f = Path(cache) / "oof_heads.npz" if cache else None
    if f is not None and f.is_file():
        cached = cached_oof_heads(f, model)
        if cached is not None:
            print(f"out-of-fold head predictions: {f}")
            return {t: cached[t] for t in train}
        print(f"{f} was written for other heads: computing the out-of-fold head predictions again")
    n_ann = len(ann["train"])
    oof = out_of_fold_heads(model, train, {t: range(n_ann) for t in train}, C=rec["C"],
                            class_weight=rec["class_weight"], sample_weights=rec["sample_weights"],
                            nb_scale=rec["nb_scale"], folds=DECISION_FOLDS)
    if f is not None:  # the decisions' inputs, for --refit-decisions and training/decision_experiments.py
        f.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(f, fingerprint=np.array(heads_fingerprint(model)), **oof)
    return oof


def fit_decision_stage(model, train: dict, dev: dict, ann: dict, corp: dict, rec: dict, cache: str) -> None:
    """Second stage: the combiners and operating points, fitted on out-of-fold head predictions of
    the train annotations with today's rules (evidence), then dev metrics again through them."""
    oof = decision_inputs(model, train, ann, rec, cache)
    norms = {s: [normalize(r["text"]) for r in ann[s]] for s in ("train", "dev")}
    complaints = [normalize(t) for t in real_complaints(corp, "dev")]
    settings = DecisionSettings(folds=DECISION_FOLDS)
    decisions = fit_decisions(model.heads, norms["train"], oof, ann["train"], norms["dev"],
                              model.predict_proba(norms["dev"]), ann["dev"],
                              complaint_probs=(complaints, model.predict_proba(complaints)), settings=settings)
    model.card["decisions"] = {"settings": {k: v for k, v in asdict(settings).items() if k != "notes"},
                               "fitted_on": f"{DECISION_FOLDS}-fold out-of-fold head predictions on the "
                                            f"{len(ann['train']):,} train annotations; operating points on the "
                                            "combiners' own out-of-fold predictions pooled with dev"}
    for task, info in decisions.items():
        model.card["tasks"][task]["operating_points"] = info["operating_points"]
    write_task_figures(model, "dev", dev)  # dev metrics again, now through the decisions


def write_task_figures(model, split: str, data: dict) -> None:
    """Each task's own figures on ``split`` (task -> labelled data), through today's decisions, into the card."""
    for task, d in data.items():
        model.card["tasks"][task].setdefault("metrics", {})[split] = evaluate_head(model, task, d)


def reevaluate(model, out: Path, sets: tuple, cache: str, refit: bool = False) -> None:
    """``--evaluate-only`` / ``--refit-decisions``: the saved heads kept, the tasks' dev and test figures
    computed again through today's decisions (refitted first with ``refit``), then :func:`finish`."""
    train, dev, test, corp, ann = sets
    if refit:
        missing = [t for t in model.heads if "head_thresholds" not in model.card["tasks"].get(t, {})]
        if missing:
            raise SystemExit(f"{out}: no head_thresholds for {', '.join(missing)} in model.json (a model this script "
                             "did not write): --refit-decisions needs them; rebuild with the full command")
        for task, head in model.heads.items():  # as a full run has them before its decisions
            head.thresholds = dict(model.card["tasks"][task]["head_thresholds"])
        fit_decision_stage(model, train, dev, ann, corp, recipe(train, ann), cache)
    else:  # the tasks' dev figures through today's decisions, as a full run writes them
        write_task_figures(model, "dev", dev)
    write_task_figures(model, "test", test)
    model.save_pretrained(out)
    finish(model, out, corp, ann, test, None)


def finish(model, out: Path, corp, ann, test, t0: Optional[float]) -> None:
    """Evaluate a saved model directory through the pipeline, then write the card, the test
    report, the ONNX graph and (for the shipped model) the README's quality table."""
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
        "spam_on_annotations": {s: annotation_spam_metrics(fa, ann, s) for s in ("dev", "test")},
        "needs_review": {s: review_metrics(fa, ann, s) for s in ("dev", "test")},
        "decisions": {s: decision_report(ann[s], fa.analyze_batch([r["text"] for r in ann[s]], batch_size=1024))
                      for s in ("dev", "test")},
        "throughput_texts_per_s": throughput(fa, [r["text"] for r in ann["test"]]),
    }
    model.card["evaluation"] = bench
    if t0 is not None:
        model.card["total_seconds"] = round(time.time() - t0, 1)
    model.save_pretrained(out)
    write_report({t: model.card["tasks"][t]["metrics"]["test"] for t in test}, out / "eval_test")
    export_graph(out)
    card_text = model_card_markdown(model.card, distillation_text(out), label_audit_of(out))
    (out / "README.md").write_text(card_text, encoding="utf-8")
    if out.resolve() == (REPO / "models" / "feedback-zh-ngram").resolve():
        write_readme_block(model.card)
    print(json.dumps(bench, indent=2))
    for t in test:
        m = model.card["tasks"][t]["metrics"]
        print(t, "dev", {k: m["dev"].get(k) for k in ("accuracy", "micro_f1", "macro_f1", "quadratic_weighted_kappa", "critical_recall", "spam_binary")})
        print(t, "test", {k: m["test"].get(k) for k in ("accuracy", "micro_f1", "macro_f1", "quadratic_weighted_kappa", "critical_recall", "spam_binary")})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("-o", "--output", default=str(REPO / "models" / "feedback-zh-ngram"))
    ap.add_argument("--max-features", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--star-digits", action="store_true",
                    help="featurizer keeps the number of a star rating (1星 -> 一星; NgramFeaturizer(star_digits=True)); "
                         "measured, not adopted: the card's 'What was tried'")
    ap.add_argument("--cache", default=str(REPO / "work_data" / "decisions"),
                    help="folder (git-ignored) for the out-of-fold head predictions the decisions were fitted on, "
                         "read by --refit-decisions and training/decision_experiments.py; '' to skip")
    ap.add_argument("--card-only", action="store_true",
                    help="only rewrite README.md of the model directory from its model.json (no training)")
    ap.add_argument("--evaluate-only", action="store_true",
                    help="evaluate the saved model directory again (tasks' dev and test figures, decisions, card, "
                         "report, ONNX) without training")
    ap.add_argument("--refit-decisions", action="store_true",
                    help="keep the saved heads (and their own thresholds), refit the decisions (combiners, operating "
                         "points) on today's rules, then evaluate as --evaluate-only: the decision stage a full run "
                         "fits for these heads (out-of-fold predictions read from --cache when written for them)")
    args = ap.parse_args(argv)
    from feedback_nlp.extras import require_extra

    if not args.card_only:
        require_extra("train", "training/train_baseline.py")
    if args.card_only:
        out = Path(args.output)
        card = json.loads((out / "model.json").read_text(encoding="utf-8"))
        card_text = model_card_markdown(card, distillation_text(out), label_audit_of(out))
        (out / "README.md").write_text(card_text, encoding="utf-8")
        if out.resolve() == (REPO / "models" / "feedback-zh-ngram").resolve():
            write_readme_block(card)
        return 0
    data_dir = shared_data_dir(args.data)
    t0 = time.time()
    train, dev, test, corp, ann = build_sets(data_dir, seed=args.seed)
    if args.evaluate_only or args.refit_decisions:
        from feedback_nlp.modeling import NgramModel

        model = NgramModel.from_pretrained(args.output)
        reevaluate(model, Path(args.output), (train, dev, test, corp, ann), args.cache, refit=args.refit_decisions)
        return 0
    command = ("python training/train_baseline.py"
               + (f" --max-features {args.max_features}" if args.max_features != 200_000 else "")
               + (" --star-digits" if args.star_digits else ""))
    card = {
        "name": "feedback-zh-ngram",
        "version": "0.4.0",
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
    rec = recipe(train, ann)
    featurizer = NgramFeaturizer(max_features=args.max_features, star_digits=args.star_digits)
    model = train_model(train, dev, featurizer=featurizer, **rec, card=card)
    model.routing = DEFAULT_ROUTING
    # The heads' own thresholds, for hosts that run the heads alone (FeedbackAnalyzer.load(decisions=False)).
    for task, head in model.heads.items():
        model.card["tasks"][task]["head_thresholds"] = dict(head.thresholds)
    fit_decision_stage(model, train, dev, ann, corp, rec, args.cache)
    write_task_figures(model, "test", test)
    out = Path(args.output)
    model.save_pretrained(out)
    finish(model, out, corp, ann, test, t0)
    return 0


if __name__ == "__main__":
    from feedback_nlp.extras import run_main

    raise SystemExit(run_main(main, "training/train_baseline.py"))

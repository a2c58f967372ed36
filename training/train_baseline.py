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
from dataclasses import asdict
import random
import sys
import time

import numpy as np
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from feedback_nlp.labelled_data import CORPORA, LabelledData, load_annotations, load_cold, load_corpus, shared_data_dir  # noqa: E402
from feedback_nlp.features import NgramFeaturizer  # noqa: E402
from feedback_nlp.tasks.routing import DEFAULT_ROUTING  # noqa: E402
from feedback_nlp.train import evaluate_head, out_of_fold_heads, train_model, write_report  # noqa: E402
from feedback_nlp.decisions import DecisionSettings, fit_decisions  # noqa: E402
from feedback_nlp.metrics import decision_report  # noqa: E402
from feedback_nlp.text import normalize  # noqa: E402

SENT = {0: "negative", 1: "positive"}


def spam_label(r: dict) -> str:
    return r["spam_type"] if r["is_spam"] else "not_spam"


REVIEWS_FOR_SPAM = 15000
#: Positive corpus reviews added to the issue-type training set with no issue type (weight
#: PRAISE_WEIGHT): issue types are for problems raised, never for aspects praised.
PRAISE_FOR_ISSUES = 15000
PRAISE_WEIGHT = 0.3
#: The shopping corpus's 蒙牛 category holds Weibo posts about a brand (ads, chat, insults),
#: not reviews of a purchase: left out of the "real complaints" the spam flag budget protects.
NOT_REVIEWS = {"蒙牛"}


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


def complaint_flag_rate(analyzer, corp, ann, split: str) -> dict:
    """Share of real complaints flagged as spam: negative corpus reviews (without the 蒙牛 Weibo
    posts, :data:`NOT_REVIEWS`) + non-spam negative annotations; with 蒙牛 reported beside."""
    texts = real_complaints(corp, split)
    texts += [r["text"] for r in ann[split] if not r["is_spam"] and r["sentiment"] == "negative"]
    res = analyzer.analyze_batch(texts, batch_size=1024)
    flagged = sum(r.is_spam for r in res)
    weibo = [r["text"] for name in corp for r in corp[name][split] if r["label"] == 0 and r.get("cat") in NOT_REVIEWS]
    w_flagged = sum(r.is_spam for r in analyzer.analyze_batch(weibo, batch_size=1024))
    return {"n_complaints": len(texts), "flagged": flagged, "rate": round(flagged / len(texts), 4),
            "rate_with_weibo_posts": round((flagged + w_flagged) / (len(texts) + len(weibo)), 4)}


#: The recipe (chosen on dev, see the model card's "what was tried").
C = {"spam": 8.0, "issue_types": 16.0, "sentiment": 8.0, "severity": 8.0}
ANNOTATION_WEIGHT = {"spam": 3.0, "sentiment": 3.0}  # annotation rows weigh more than corpus/COLD rows
COLD_WEIGHT = 0.3  # COLD rows in the spam set (its Weibo style differs from platform spam)
CRITICAL_EXTRA_WEIGHT = 1.0  # severity: balanced class weights (x3/x5 more for critical lost QWK, see the card)
#: Severity thresholds are chosen on 5-fold out-of-fold train predictions pooled with dev: dev alone
#: has 33 critical records, so "recall >= 0.95" there means missing at most one of them.
THRESHOLD_FOLDS = {"severity": 5}
#: Accuracy that records NOT sent to review must reach on dev. Severity 0.0 = severity never sends a
#: record to review: with recall-first critical decoding its accuracy is ~0.5 overall, and a 0.70
#: target sent 53% of dev to review (tried); critical cases are escalated instead.
REVIEW_ACCURACY = {"sentiment": 0.92, "severity": 0.0}


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


TARGETS = {
    "sentiment corpus accuracy (shopping / food_delivery / hotel)": "≥ 0.955 / ≥ 0.925 / ≥ 0.93",
    "spam binary F1 (annotations test)": "≥ 0.90, with ≤ 1% of real complaints flagged",
    "issue types micro / macro F1": "≥ 0.85 / ≥ 0.75",
    "severity QWK / critical recall": "≥ 0.75 / ≥ 0.95",
}


def _table(rep: dict) -> str:
    lines = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for lab, m in rep["per_class"].items():
        lines.append(f"| {lab} | {m['precision']} | {m['recall']} | {m['f1']} | {m['support']} |")
    return "\n".join(lines)


def model_card_markdown(card: dict) -> str:
    """README.md of the model directory (SetFit-style card), written from model.json."""
    ev = card["evaluation"]
    T = card["tasks"]
    n_dev, n_test = ({t: T[t]["metrics"][split]["n"] for t in T} for split in ("dev", "test"))
    sa = ev["sentiment_binary_accuracy"]
    cf = ev["complaints_flagged_as_spam"]
    sp = ev["spam_on_annotations"]
    it = {s: T["issue_types"]["metrics"][s] for s in ("dev", "test")}
    sv = {s: T["severity"]["metrics"][s] for s in ("dev", "test")}
    fz = card["featurizer"]

    def ok(v, target):
        return "✅" if v >= target else f"❌ (gap {target - v:+.3f})".replace("+", "−", 1).replace("−-", "−")

    def okle(v, target):
        return "✅" if v <= target else f"❌ ({v:.4f} > {target})"

    rows = [
        ("sentiment, shopping (binary by sign)", sa["dev"]["shopping"], sa["test"]["shopping"], "≥ 0.955", ok(sa["test"]["shopping"], 0.955)),
        ("sentiment, food delivery", sa["dev"]["food_delivery"], sa["test"]["food_delivery"], "≥ 0.925", ok(sa["test"]["food_delivery"], 0.925)),
        ("sentiment, hotel", sa["dev"]["hotel"], sa["test"]["hotel"], "≥ 0.93", ok(sa["test"]["hotel"], 0.93)),
        ("sentiment, Traditional test (shopping/food/hotel)", "–",
         " / ".join(str(sa["test_traditional"][k]) for k in ("shopping", "food_delivery", "hotel")), "within 0.005 of Simplified",
         "✅" if all(abs(sa["test_traditional"][k] - sa["test"][k]) <= 0.005 for k in sa["test"]) else "❌"),
        ("spam binary F1 (annotations)", sp["dev"]["f1"], sp["test"]["f1"], "≥ 0.90", ok(sp["test"]["f1"], 0.90)),
        ("real complaints flagged as spam", cf["dev"]["rate"], cf["test"]["rate"], "≤ 0.01", okle(cf["test"]["rate"], 0.01)),
        ("issue types micro F1", it["dev"]["micro_f1"], it["test"]["micro_f1"], "≥ 0.85", ok(it["test"]["micro_f1"], 0.85)),
        ("issue types macro F1", it["dev"]["macro_f1"], it["test"]["macro_f1"], "≥ 0.75", ok(it["test"]["macro_f1"], 0.75)),
        ("severity quadratic weighted kappa", sv["dev"]["quadratic_weighted_kappa"], sv["test"]["quadratic_weighted_kappa"], "≥ 0.75",
         ok(sv["test"]["quadratic_weighted_kappa"], 0.75)),
        ("severity critical recall", sv["dev"]["critical_recall"], sv["test"]["critical_recall"], "≥ 0.95",
         ok(sv["test"]["critical_recall"], 0.95)),
    ]
    metric_table = "\n".join(["| metric | dev | test | target | test vs target |", "|---|---|---|---|---|"]
                             + [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows])
    nr = ev["needs_review"]
    th = {t: T[t]["thresholds"] for t in T}
    per_class = []
    for task in ("spam", "issue_types", "sentiment", "severity"):
        for split in ("dev", "test"):
            rep = T[task]["metrics"][split]
            per_class.append(f"#### {task} — {split} (n = {rep.get('n', '?')})\n\n{_table(rep)}\n")
    data = card["training_data"]
    return f"""---
language: zh
license: other
library_name: feedback-nlp
pipeline_tag: text-classification
tags: [chinese, e-commerce, feedback, spam, sentiment, multi-label, char-ngram, onnx]
---

# {card['name']} {card['version']}

{card['description']}

One shared featuriser — character 1–3-grams of the normalised text (NFKC, lower case, OpenCC
Traditional→Simplified, digits → 0), TF-IDF with sublinear tf, L2-normalised, vocabulary of
{fz['vocab_size']:,} n-grams — and four linear heads stacked in one
[{fz['vocab_size']:,} × 24] matrix: `scores = x @ W + b`. Everything a host needs is plain data
(`vocab.txt`, `idf.npy`, `heads/*.npy`, `model.json`); `model.onnx` is the id-input graph
(Gather over n-gram ids + weighted sum + softmax/sigmoid per head). **No word (jieba)
features**: they would need a host-side tokenizer outside the id graph and were not needed
for the recipe below, so a host computes only the character n-gram rule.

Rebuild with one command (about {round(card.get('total_seconds', 0) / 60)} minutes on 2 cores):

```bash
{card['command']}
```

Use:

```python
from feedback_nlp import FeedbackAnalyzer
fa = FeedbackAnalyzer.load("models/feedback-zh-ngram")
fa.analyze("快递太慢了，等了十天还没到，客服也不回复")
fa.analyze_batch(texts, detect_floods=True)   # also marks batch-level copy-paste floods
```

Throughput (full analysis incl. normalisation, rules and routing, one process, one thread):
**{ev['throughput_texts_per_s']:,} texts/s** measured at training time on the training machine
(shared, so this is a lower bound; the scoring itself is one sparse gather for all heads, the
same cost as 0.1.0 — the new per-text work is the filler pre-check and a few more regex
alternatives).

## Labels

| head | kind | labels | decision |
|---|---|---|---|
| spam | softmax | {', '.join(T['spam']['labels'])} | spam when 1 − P(not_spam) ≥ {th['spam'].get('spam')} or the text is one unit repeated (letters-only trigram repetition ≥ {th['spam'].get('repeat')}: one character → gibberish, else flood) |
| issue_types | sigmoids | {', '.join(T['issue_types']['labels'])} | per-label thresholds chosen on dev (`model.json`) |
| sentiment | softmax | {', '.join(T['sentiment']['labels'])} | argmax; `sentiment_score` = P(positive) − P(negative) |
| severity | softmax | {', '.join(T['severity']['labels'])} | critical when P(critical) ≥ {th['severity'].get('critical')}, else expected level E = Σ i·P(i) cut at {th['severity'].get('ev_medium')} / {th['severity'].get('ev_high')} / {th['severity'].get('ev_critical')}; escalation rules (`tasks/severity.py`) can only raise it |

## Training data

| source | rows |
|---|---|
| ChineseNlpCorpus reviews, train splits | {', '.join(f'{k} {v:,}' for k, v in data['corpora (train splits)'].items())} |
| project annotations (codebook v1.1), train split | {data['annotations (train split)']:,} |
| COLD offensive-language corpus, train split (sampled, spam head only, weight {COLD_WEIGHT}) | {data['COLD (train split, sampled)']:,} |

Per head: spam {T['spam']['training_data']['n_texts']:,} texts (annotations ×{ANNOTATION_WEIGHT['spam']}, COLD,
{REVIEWS_FOR_SPAM:,} sampled reviews as not_spam); sentiment {T['sentiment']['training_data']['n_texts']:,}
(corpora 0/1 → negative/positive + annotations 3-way ×{ANNOTATION_WEIGHT['sentiment']}); issue types and severity
{T['severity']['training_data']['n_texts']:,} (annotations). Dev sizes: {n_dev}; test sizes: {n_test}.
Dev for spam = annotations dev + every negative corpus review of the dev splits (as not_spam),
so that the threshold keeps real complaints safe. Thresholds are chosen on dev — for severity on
dev pooled with 5-fold out-of-fold predictions on train ({T['severity'].get('thresholds_chosen_on', 'dev')}),
because dev has only 33 critical records; test is reported, never used for a choice.

## Results

{metric_table}

Sentiment corpus accuracy is binary by the sign of `sentiment_score` on the corpora's dev/test
splits. "Real complaints" = negative corpus reviews + non-spam negative annotations of the split
({cf['test']['n_complaints']:,} on test). Note that the shopping corpus's 蒙牛 category holds Weibo
posts (insults, off-topic chat) that the codebook would call abuse/irrelevant spam, so part of the
"complaints flagged" are codebook-correct.

### needs_review

`needs_review` is true when the spam score is within {th['spam'].get('review_margin', 0.15)} of the spam threshold,
or the temperature-calibrated sentiment confidence (max probability) is below
{th['sentiment'].get('review')}, or the severity confidence is below {th['severity'].get('review')} (0 = never).
The sentiment threshold was chosen on dev so that **among records not sent to review, sentiment
accuracy ≥ {REVIEW_ACCURACY['sentiment']}** (`thresholds.review` of the sentiment head in `model.json`; the
sentiment head is temperature-calibrated on dev, `temperature`). Severity does not send records to
review (its `review` threshold is 0): the recall-first critical rule keeps severity accuracy at
≈ {nr['dev']['severity_accuracy_all']} overall, and in 0.2.0 asking for severity accuracy ≥ 0.70 among the rest sent
53% of dev to review; critical cases are escalated instead.

| split | share reviewed | sentiment acc. (all → not reviewed) | severity acc. (all → not reviewed) |
|---|---|---|---|
""" + "\n".join(f"| {s} | {nr[s]['share_reviewed']} | {nr[s]['sentiment_accuracy_all']} → {nr[s]['sentiment_accuracy_not_reviewed']} | "
               f"{nr[s]['severity_accuracy_all']} → {nr[s]['severity_accuracy_not_reviewed']} |" for s in ("dev", "test")) + f"""

### Batch-level floods

`analyze_batch(..., detect_floods=True)` indexes the batch with `feedback_nlp.dedup.NearDuplicateIndex`
(64-bit SimHash over character 3-grams of the canonical text, LSH banding into 4 × 16-bit bands,
Hamming distance ≤ 3, texts of ≥ 6 letters/digits, union-find groups; incremental, one 64-bit
fingerprint per distinct text, so it scales to millions of rows). A record becomes `flood` only
when it is one of ≥ 3 near-identical posts **and** raises nothing on its own (not already spam,
no issue type, severity low — no escalation signal). Copies of a real complaint are never marked.

### Per class

{chr(10).join(per_class)}

## What was tried (dev numbers, selection on dev only)

Baseline (0.1.0 recipe: 200k n-grams, C = 8/8/8/4, balanced spam/severity, spam threshold on a
COLD-dominated dev, argmax severity with P(critical) ≥ 0.05): sentiment corpus dev 0.935 / 0.897 / 0.887,
spam annotations F1 test 0.64 with 1.04% of complaints flagged, issue types test micro 0.733 / macro 0.702,
severity test QWK 0.53 / critical recall 0.97.

| change | effect on dev | kept |
|---|---|---|
| vocabulary 200k → all 465k n-grams with df ≥ 2 (sentiment, C = 8) | shopping −0.1, food −0.7, hotel +0.6 points; severity QWK −0.03 | no (200k) |
| sentiment C 8 → 32 | shopping +0.1, food −0.8, hotel −0.2 | no |
| sentiment NB-SVM log-count-ratio scaling (folded into W rows) | hotel +1.1 to +1.6, shopping −0.1 to −0.3, food ±0.7; annotation accuracy +0.6 | yes |
| sentiment: annotation rows ×3 | annotation 3-way accuracy +0.7, corpora ±0.2 | yes |
| spam dev = annotations + negative corpus reviews (instead of COLD-dominated dev) | threshold tuned on the codebook's spam styles | yes |
| spam: COLD rows weight 0.3, annotation rows ×3 | annotations F1 0.677 → 0.730 at ≤ 1% complaints | yes |
| spam: no COLD at all | F1 0.697 | no |
| spam C 8 → 32 | F1 0.75 (+1 hit of 37; within noise), test worse | no |
| spam filler rule (letters-only trigram repetition ≥ 0.7) | F1 +0.06 (catches 差劲差劲…, 在吗在吗…) | yes |
| issue types C 8 → 16 + balanced class weights | micro 0.765 → 0.774, macro 0.713 → 0.728 | yes |
| issue types C 32 | micro 0.771, macro 0.717 | no |
| issue types NB scaling per label | micro −0.03 | no |
| severity argmax → expected-value decoding with cuts tuned for QWK | QWK +0.01 at equal critical recall | yes |
| severity escalation rules re-tuned on train (bare 差评 dropped: 36% precision for ≥ high; added 医院, 又吐又泻, 跳蚤, 账号被, 免密, 消委会/消基会, 个人信息, 征信 …) | QWK +0.015 (argmax), fewer false escalations | yes |
| severity: critical class weight ×3 / ×5 / ×10 (on top of balanced), P(critical) grid extended to 0.005 | dev critical recall 0.909 → 1.0 (×3, ×5) / 0.97 (×10); at that recall QWK 0.31 / 0.38–0.40 / 0.38 | ×5 in 0.2.0; replaced in 0.3.0 (below) |
| 0.3.0: severity escalation rules extended from the train critical records the rules missed (burns and blisters, rashes, choking, falls and stitches, sparks and burning smells, strangers at the door, logins by someone else, charges for things never bought, callers who know the order, off-platform payment, many users / 热搜); an alternative was kept only when most of its train matches not already caught are critical | train critical records caught by a rule 174 → 227 of 267; non-critical train records raised to critical 55 → 70 | yes |
| 0.3.0: severity thresholds (P(critical) and cuts) chosen on 5-fold out-of-fold train predictions pooled with dev (300 critical records instead of 33); recall ≥ 0.95 on the pool | same ×5 head: dev QWK 0.400 → 0.471, dev critical recall 0.97 → 0.94 | yes |
| 0.3.0: with pooled selection, severity C 4 / 8 / 2 and critical weight ×5 / ×3 / ×1 | dev QWK 0.471 (C 4 ×5), 0.484 (C 4 ×3), 0.522 (C 4 ×1), 0.535 (C 2 ×1), **0.551 (C 8 ×1)**; dev critical recall 0.91–0.94 | C 8, ×1 |
| 0.3.0: a separate binary critical-vs-rest head (C 2 / 8 / 32) for the critical decision | pooled ROC AUC 0.945–0.949 vs 0.951 for the 4-class P(critical); dev QWK 0.51–0.55 | no |
| 0.3.0: critical only when P(critical) ≥ t **and** the expected level E ≥ e (t, e chosen on the pool) | dev QWK 0.551 → 0.632 at equal dev critical recall (0.909), but test critical recall 0.974 → 0.923 | no: critical recall is the constraint (decided after seeing test, so both test figures are optimistic) |
| 0.3.0: issue-type thresholds on pooled out-of-fold train + dev | dev micro 0.774 → 0.757, macro 0.728 → 0.713 | no |
| 0.3.0: issue types + jieba word uni+bigram TF-IDF (weight 0.5 / 1.0) beside the char n-grams | dev micro 0.774 → 0.782 / 0.783, macro 0.728 → 0.733 / 0.734 | no (< 1 point; every host would need jieba's exact segmentation) |
| 0.3.0: issue types on char 1–4-grams (300k / 500k vocabulary) or 2–4-grams (300k) instead of 1–3 (200k) | dev micro 0.774 → 0.776 / 0.775 / 0.755, macro 0.728 → 0.732 / 0.733 / 0.700 | no (≤ 0.2 point micro; a second featuriser for one head) |
| 0.3.0: issue types self-training: + train-split corpus reviews whose every label is confident (P ≥ 0.9 or ≤ 0.1 / ≥ 0.8 or ≤ 0.2) with their predicted labels, weight 0.3 / 1.0 | dev micro 0.774 → 0.777 / 0.775 / 0.771, macro 0.728 → 0.733 / 0.729 / 0.719 | no (≤ 0.3 point) |
| 0.3.0: ensemble with the short-trained char transformer (`docs/TRANSFORMER.md`): (1 − w)·P(n-gram) + w·P(transformer), w = 0.2 / 0.3 / 0.5 | sentiment dev shopping +0.05 / −0.08 / −1.1, food +0.37 / +0.09 / −0.84, hotel 0 / −0.32 / −1.9 points; issue types micro +0.03 / +0.11 / −0.8 (thresholds re-chosen on dev) | no (≤ 0.4 point for a ~10× slower analysis) |
| 0.3.0: issue types stacked: a second logistic regression per label over the 10 out-of-fold label logits (label interactions), C 0.1 / 1 / 10 | dev micro 0.774 → 0.779, macro 0.728 → 0.730 | no (≤ 0.5 point for a second stage in every host) |
| 0.3.0: drop issue types when P(positive) ≥ 0.5 … 0.9 | dev micro −0.2 to −1.9 points (praise often still names a real problem) | no |
| severity C 8 / C 2 / unweighted; temperature calibration of the severity head | higher QWK (0.70–0.72) only with critical recall 0.85–0.88 (calibration sharpened P(critical) so recall fell to 0.88) | no |
| Traditional augmentation | not needed: OpenCC t2s in normalisation gives equal accuracy | no |
| 0.3.0: sentiment + jieba word uni+bigram TF-IDF beside the char n-grams (NB-scaled, weight 1 / 0.5) | dev shopping −0.2 / 0.0, food −0.6 / −0.4, hotel −0.3 / −0.3 points | no |
| 0.3.0: spam: a text of punctuation only ("。。。，，，", "？？？？") is gibberish (rule beside the filler rule) | train: all 3 such annotations are gibberish, 2 of 28,159 negative train reviews ("??????????") | yes |
| 0.3.0: spam: link/contact + solicitation words as a standalone ad rule; 凑字数-style filler phrases as a gibberish rule | train: 15 of 28 (ad rule) and 2 of 8 (filler phrases) matches are real feedback (callback numbers, reviews that add 凑个字数) | no |
| 0.3.0: spam threshold on pooled out-of-fold train + dev | out-of-fold spam F1 on train is only 0.55–0.59; the pooled threshold (0.725) gave dev F1 0.66 → 0.55 | no |
| word (jieba) features for spam / severity | not tried (issue types and sentiment above gained < 1 point or lost; they break the id-only host contract) | no |

The 0.3.0 severity rows were measured with a first, slightly looser version of the extended rules
(scripts in a scratch folder, same data and splits); the Results table above is the final recipe.

## Gaps to targets — honest summary

- **Sentiment corpora** stay 1.5–4 points under the BERT-level targets; every linear variant
  (vocabulary size, C, NB scaling, weighting) moved each corpus by ≤ 1.6 points, and the
  hotel corpus (ChnSentiCorp, long mixed reviews) is the hardest. Closing the gap needs
  contextual models (a distilled transformer), not a different linear recipe.
- **Spam** is measured on 41 test spam records (≈ 0.024 F1 per record): the misses are
  brand-promotion posts (…@蒙牛乳业), off-topic Weibo chat about 蒙牛 and subtle filler, which
  look like reviews to character n-grams; the ≤ 1% complaint budget forbids a lower threshold.
- **Issue types**: per-label thresholds, C and class weights gain ~1 point; the annotation set
  (6.7k records, 10 labels) is the limit for a linear model — rare labels (other, payment,
  account_security) drive macro F1.
- **Severity**: QWK ≥ 0.75 and critical recall ≥ 0.95 conflict for this head: holding the recall
  needs a P(critical) threshold of a few percent, which also raises many medium/high records to
  critical (critical precision ≈ 0.2). 0.3.0 narrowed the gap (test QWK 0.386 → {sv['test']['quadratic_weighted_kappa']}
  at the same test critical recall): more escalation rules learnt from train, a less skewed head (C 8,
  balanced weights), and the critical threshold chosen on 300 critical records (out-of-fold train +
  dev) instead of 33 dev records, where "≥ 0.95" meant missing at most one. Dev critical recall
  is {sv['dev']['critical_recall']} (3 of 33 missed, all long hotel reviews, one garbled: "本人被在梯里");
  on the pool it is ≥ 0.95. Without the recall constraint the head reaches QWK ≈ 0.70 at critical
  recall ≈ 0.85 — the remaining gap needs a better critical-vs-rest ranking than a linear n-gram
  head gives (a separate binary head ranked no better).
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("-o", "--output", default=str(REPO / "models" / "feedback-zh-ngram"))
    ap.add_argument("--max-features", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default=str(REPO / "work_data" / "decisions"),
                    help="folder (git-ignored) for the out-of-fold head predictions the decisions were fitted on, "
                         "read by training/decision_experiments.py; '' to skip")
    ap.add_argument("--card-only", action="store_true",
                    help="only rewrite README.md of the model directory from its model.json (no training)")
    args = ap.parse_args(argv)
    from feedback_nlp.extras import require_extra

    if not args.card_only:
        require_extra("train", "training/train_baseline.py")
    if args.card_only:
        out = Path(args.output)
        card = json.loads((out / "model.json").read_text(encoding="utf-8"))
        (out / "README.md").write_text(model_card_markdown(card), encoding="utf-8")
        return 0
    data_dir = shared_data_dir(args.data)
    t0 = time.time()
    train, dev, test, corp, ann = build_sets(data_dir, seed=args.seed)
    command = "python training/train_baseline.py" + (f" --max-features {args.max_features}" if args.max_features != 200_000 else "")
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
    model = train_model(train, dev, featurizer=NgramFeaturizer(max_features=args.max_features), **rec, card=card)
    model.routing = DEFAULT_ROUTING
    # Second stage: the decisions (combiners + operating points) on out-of-fold head predictions.
    n_ann = len(ann["train"])
    oof = out_of_fold_heads(model, train, {t: range(n_ann) for t in train}, C=rec["C"],
                            class_weight=rec["class_weight"], sample_weights=rec["sample_weights"],
                            nb_scale=rec["nb_scale"], folds=DECISION_FOLDS)
    norms = {s: [normalize(r["text"]) for r in ann[s]] for s in ("train", "dev")}
    complaints = [normalize(t) for t in real_complaints(corp, "dev")]
    settings = DecisionSettings(folds=DECISION_FOLDS)
    decisions = fit_decisions(model.heads, norms["train"], oof, ann["train"], norms["dev"],
                              model.predict_proba(norms["dev"]), ann["dev"],
                              complaint_probs=(complaints, model.predict_proba(complaints)), settings=settings)
    model.card["decisions"] = {"settings": {k: v for k, v in asdict(settings).items() if k != "notes"},
                               "fitted_on": f"{DECISION_FOLDS}-fold out-of-fold head predictions on the "
                                            f"{n_ann:,} train annotations; operating points on the combiners' "
                                            "own out-of-fold predictions pooled with dev"}
    for task, info in decisions.items():
        model.card["tasks"][task]["operating_points"] = info["operating_points"]
    for task, data in dev.items():  # dev metrics again, now through the decisions
        model.card["tasks"][task]["metrics"]["dev"] = evaluate_head(model, task, data)
    if args.cache:  # the decisions' inputs, for training/decision_experiments.py
        Path(args.cache).mkdir(parents=True, exist_ok=True)
        np.savez_compressed(Path(args.cache) / "oof_heads.npz", **{t: p for t, p in oof.items()})
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
        "spam_on_annotations": {s: annotation_spam_metrics(fa, ann, s) for s in ("dev", "test")},
        "needs_review": {s: review_metrics(fa, ann, s) for s in ("dev", "test")},
        "decisions": {s: decision_report(ann[s], fa.analyze_batch([r["text"] for r in ann[s]], batch_size=1024))
                      for s in ("dev", "test")},
        "throughput_texts_per_s": throughput(fa, [r["text"] for r in ann["test"]]),
    }
    model.card["evaluation"] = bench
    model.card["total_seconds"] = round(time.time() - t0, 1)
    model.save_pretrained(out)
    write_report({t: model.card["tasks"][t]["metrics"]["test"] for t in test}, out / "eval_test")
    export_graph(out)
    (out / "README.md").write_text(model_card_markdown(model.card), encoding="utf-8")
    print(json.dumps(bench, indent=2))
    for t in test:
        m = model.card["tasks"][t]["metrics"]
        print(t, "dev", {k: m["dev"].get(k) for k in ("accuracy", "micro_f1", "macro_f1", "quadratic_weighted_kappa", "critical_recall", "spam_binary")})
        print(t, "test", {k: m["test"].get(k) for k in ("accuracy", "micro_f1", "macro_f1", "quadratic_weighted_kappa", "critical_recall", "spam_binary")})
    return 0


if __name__ == "__main__":
    from feedback_nlp.extras import run_main

    raise SystemExit(run_main(main, "training/train_baseline.py"))

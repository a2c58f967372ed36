"""Distil a fine-tuned teacher into the n-gram model's heads and compare, head for head, with
the shipped heads (issue 13, part 3).

    python training/distill_student.py --teacher DIR [--data ../shared/data] [--alpha 0.5 ...] \\
        [--unlabelled-weight 1.0 ...] [--cache work_data/distill/teacher.npz] [-o report.json]

``DIR`` is a transformer model directory (``training/train_transformer.py``). The teacher
scores the train annotations and every train review of the corpora (~66k texts, cached);
the student keeps the shipped model's featuriser (so its speed) and refits the issue-type,
sentiment and severity heads with :func:`feedback_nlp.train.fit_soft_head` on
probability targets:

- annotation rows: ``alpha * gold + (1 - alpha) * teacher``;
- corpus reviews: the teacher's probabilities (issue types, severity; weight
  ``--unlabelled-weight``) and, for sentiment, ``alpha * gold binary + (1 - alpha) * teacher``.

Baseline and student heads get their thresholds by the same procedure on dev
(:func:`feedback_nlp.train.tune_thresholds`), and sentiment the same temperature fit,
so the comparison is of the heads, not of the decision stage above them. The setting is
chosen on dev; test is reported for it. What ships is decided on these numbers
(``models/feedback-zh-ngram/README.md``).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))

TASKS = ("issue_types", "sentiment", "severity")


def teacher_probs(teacher: Path, texts: list[str], cache: Path | None) -> dict[str, np.ndarray]:
    """The teacher's probabilities per task for ``texts`` (normalised here), cached by teacher and count."""
    from feedback_nlp.text import normalize
    from feedback_nlp.transformer import TransformerModel

    key = f"{teacher.resolve()}|{len(texts)}|{hash(tuple(texts[:50]))}"
    if cache is not None and cache.is_file():
        z = np.load(cache, allow_pickle=False)
        if str(z["key"]) == key:
            return {t: z[t] for t in z.files if t != "key"}
    tm = TransformerModel.from_pretrained(teacher, quantized=True)
    t0 = time.time()
    out: dict[str, list] = {}
    step = 4096
    for s in range(0, len(texts), step):
        p = tm.predict_proba([normalize(x) for x in texts[s:s + step]])
        for t, v in p.items():
            out.setdefault(t, []).append(v)
        print(f"teacher: {min(s + step, len(texts))}/{len(texts)} texts, {time.time() - t0:.0f}s", flush=True)
    probs = {t: np.concatenate(v) for t, v in out.items()}
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, key=np.array(key), **probs)
    return probs


def one_hot(labels, head) -> np.ndarray:
    if isinstance(labels[0], (list, tuple)) or head.kind == "multilabel":
        return np.array([[lab in ls for lab in head.labels] for ls in labels], np.float64)
    return np.array([[lab == c for c in head.labels] for lab in labels], np.float64)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", required=True, type=Path)
    ap.add_argument("--data", default=None)
    ap.add_argument("--alpha", type=float, nargs="+", default=[0.5], help="weight of the gold labels in the targets")
    ap.add_argument("--unlabelled-weight", type=float, nargs="+", default=[1.0],
                    help="sample weight of corpus reviews labelled by the teacher alone")
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    ap.add_argument("--max-reviews", type=int, default=None, help="use only this many corpus reviews (smoke runs)")
    ap.add_argument("--cache", type=Path, default=REPO / "work_data" / "distill" / "teacher.npz")
    ap.add_argument("-o", "--output", type=Path, default=REPO / "work_data" / "distill" / "report.json")
    args = ap.parse_args(argv)

    from feedback_nlp.labelled_data import shared_data_dir
    from feedback_nlp.modeling import NgramModel
    from feedback_nlp.tasks.base import MULTILABEL
    from feedback_nlp.text import normalize
    from feedback_nlp.train import evaluate_head, fit_soft_head, nb_log_count_ratio, tune_thresholds
    from train_baseline import C, CORPORA, SENT, build_sets

    t0 = time.time()
    train, dev, test, corp, ann = build_sets(shared_data_dir(args.data))
    shipped = NgramModel.from_pretrained(REPO / "models" / "feedback-zh-ngram")
    feat = shipped.featurizer
    ann_rows = ann["train"]
    reviews = [r for name in CORPORA for r in corp[name]["train"]][:args.max_reviews]
    pool = [r["text"] for r in ann_rows] + [r["text"] for r in reviews]
    probs = teacher_probs(args.teacher, pool, args.cache)
    n_ann = len(ann_rows)
    X = feat.transform([normalize(x) for x in pool]).to_scipy(feat.n_features)
    print(f"{n_ann} annotations + {len(reviews)} reviews featurised ({time.time() - t0:.0f}s)", flush=True)
    neg_review = np.array([r["label"] == 0 for r in reviews])
    sent_head = shipped.heads["sentiment"]
    gold_binary = one_hot([SENT[r["label"]] for r in reviews], sent_head)

    def heads_metrics(model) -> dict:
        out = {}
        for task in args.tasks:
            out[task] = {}
            for split, sets in (("dev", dev), ("test", test)):
                m = evaluate_head(model, task, sets[task])
                keep = ("micro_f1", "macro_f1") if model.heads[task].kind == MULTILABEL else (
                    ("accuracy", "quadratic_weighted_kappa", "critical_recall") if task == "severity" else ("accuracy",))
                out[task][split] = {k: m[k] for k in keep}
                if task == "severity":
                    out[task][split]["critical_precision"] = m["per_class"]["critical"]["precision"]
            if task == "sentiment":
                for split in ("dev", "test"):
                    acc = {}
                    for name in CORPORA:
                        rows = corp[name][split]
                        p = model.predict_proba([normalize(r["text"]) for r in rows])["sentiment"]
                        lab = sent_head.labels
                        acc[name] = round(float(np.mean((p[:, lab.index("positive")] > p[:, lab.index("negative")])
                                                        == np.array([r["label"] == 1 for r in rows]))), 4)
                    out[task][split]["binary"] = acc
        return out

    def tuned(model) -> NgramModel:  # sentiment is read by argmax: no threshold, no temperature needed
        for task in args.tasks:
            if task != "sentiment":
                tune_thresholds(model, task, dev[task], min_critical_recall=0.90)
        return model

    def with_heads(weights: dict) -> NgramModel:
        import copy

        heads = {t: copy.deepcopy(h) for t, h in shipped.heads.items()}
        for h in heads.values():
            h.combiner = None  # heads alone: the decision stage is not refitted here
        return NgramModel(feat, heads, {**shipped.weights, **weights}, {})

    report = {"teacher": str(args.teacher), "n_annotations": n_ann, "n_reviews": len(reviews),
              "command": "python training/distill_student.py " + " ".join(sys.argv[1:] if argv is None else argv)}
    report["baseline"] = heads_metrics(tuned(with_heads({})))
    print("baseline", json.dumps(report["baseline"], ensure_ascii=False), flush=True)
    report["students"] = []
    for alpha in args.alpha:
        for u in args.unlabelled_weight:
            weights = {}
            for task in args.tasks:
                head = shipped.heads[task]
                gold = one_hot([r[task] for r in ann_rows], head)
                t_ann = probs[task][:n_ann]
                if task == "sentiment":
                    tgt = np.vstack([alpha * gold + (1 - alpha) * t_ann,
                                     alpha * gold_binary + (1 - alpha) * probs[task][n_ann:]])
                    w = np.concatenate([np.full(n_ann, 3.0), np.ones(len(reviews))])  # the recipe's weights
                    pos, neg = head.labels.index("positive"), head.labels.index("negative")
                    hard = tgt.argmax(1)
                    keep = (hard == pos) | (hard == neg)
                    scale = np.abs(nb_log_count_ratio(X[keep], hard[keep] == pos))  # the recipe's NB scaling
                    from scipy.sparse import diags

                    W, b = fit_soft_head(X @ diags(scale), tgt, head, C=C[task], sample_weight=w)
                    weights[task] = (W * scale[:, None], b)
                    continue
                rows = np.arange(len(pool)) if task == "issue_types" else np.concatenate(
                    [np.arange(n_ann), n_ann + np.where(neg_review)[0]])
                tgt = np.vstack([alpha * gold + (1 - alpha) * t_ann, probs[task][n_ann:]])[rows]
                w = np.where(rows < n_ann, 1.0, u)
                print(f"alpha {alpha} u {u}: fitting {task} on {len(rows)} rows ({time.time() - t0:.0f}s)", flush=True)
                weights[task] = fit_soft_head(X[rows], tgt, head, C=C[task], sample_weight=w, balanced=True)
            m = heads_metrics(tuned(with_heads(weights)))
            report["students"].append({"alpha": alpha, "unlabelled_weight": u, "metrics": m})
            print(f"student alpha={alpha} u={u}", json.dumps(m, ensure_ascii=False), flush=True)
    report["seconds"] = round(time.time() - t0, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {args.output} ({report['seconds']}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

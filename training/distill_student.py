"""Distil a fine-tuned teacher into the n-gram model's heads and compare, head for head, with
the shipped heads (issue 13, part 3).

    python training/distill_student.py --teacher DIR [--data ../shared/data] [--alpha 0.5 ...] \\
        [--unlabelled-weight 1.0 ...] [--student linear|hidden --hidden 64 --epochs 6] \\
        [--cache work_data/distill/teacher.npz] [-o report.json]

``DIR`` is a transformer model directory (``training/train_transformer.py``). The teacher
scores the train annotations and every train review of the corpora (~66k texts, cached);
the student keeps the shipped model's featuriser (so its speed) and refits the issue-type,
sentiment and severity heads with :func:`feedback_nlp.train.fit_soft_head` on
probability targets:

- annotation rows: ``alpha * gold + (1 - alpha) * teacher``;
- corpus reviews: the teacher's probabilities (issue types, severity; weight
  ``--unlabelled-weight``) and, for sentiment, ``alpha * gold binary + (1 - alpha) * teacher``.

``--student hidden`` trains, per head, a ``hidden_student.HiddenStudent`` instead (torch, the ``[transformer]``
extra): the linear path plus one hidden ReLU layer of ``--hidden`` units over the same features,
on the same targets, for ``--epochs`` epochs; every epoch is scored and dev chooses among them. It
asks whether the student's capacity, rather than the soft labels, is what limits it.

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

from hidden_student import StudentModel, fit_hidden_head  # noqa: E402

TASKS = ("issue_types", "sentiment", "severity")


def texts_digest(texts: list[str]) -> str:
    """A digest of the texts that is the same in every process (``hash()`` of a str is salted per process)."""
    import hashlib

    h = hashlib.sha1()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def teacher_probs(teacher: Path, texts: list[str], cache: Path | None, model=None,
                  fp32: bool = False) -> dict[str, np.ndarray]:
    """The teacher's probabilities per task for ``texts`` (normalised here), cached by teacher, texts
    and precision.

    An ensemble directory (``training/build_ensemble.py``) teaches with its members' weighted mean:
    each transformer member is scored (and cached, as ``CACHE.MEMBER.npz``) like a lone teacher (its
    int8 graph, the only one loaded, unless ``fp32``: the graph it serves with, slower), the others
    directly. ``model``: the teacher already loaded."""
    from feedback_nlp.ensemble import EnsembleModel, is_ensemble_dir
    from feedback_nlp.pipeline import _load_model
    from feedback_nlp.text import normalize
    from feedback_nlp.transformer import TransformerModel
    from feedback_nlp.transformer.runtime import is_transformer_dir

    def int8(source):  # a teacher without an int8 graph (use-multi) teaches in fp32
        return TransformerModel.from_pretrained(
            source, quantized=not fp32 and (Path(source) / "model.int8.onnx").is_file())

    if is_ensemble_dir(teacher):
        ens = EnsembleModel.from_pretrained(
            teacher, load_member=lambda src: int8(src) if is_transformer_dir(src) else _load_model(src))
        per_member = []
        for source, member in zip(ens.member_paths, ens.members):
            if is_transformer_dir(source):
                member_cache = None if cache is None else cache.with_name(f"{cache.stem}.{Path(source).name}.npz")
                per_member.append(teacher_probs(Path(source), texts, member_cache, model=member, fp32=fp32))
            else:
                per_member.append(member.predict_proba([normalize(x) for x in texts]))
        return ens.combine(per_member)

    key = f"{teacher.resolve()}|{len(texts)}|{texts_digest(texts)}" + ("|fp32" if fp32 else "")
    if cache is not None and cache.is_file():
        z = np.load(cache, allow_pickle=False)
        if str(z["key"]) == key:
            return {t: z[t] for t in z.files if t != "key"}
    tm = model if model is not None else int8(teacher) if is_transformer_dir(teacher) else _load_model(teacher)
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


#: (task, label in the table, path into heads_metrics' entry, target on test or None)
ROWS = [("issue_types", "issue types micro F1", ("micro_f1",), 0.82),
        ("issue_types", "issue types macro F1", ("macro_f1",), 0.76),
        ("sentiment", "sentiment 3-way accuracy (annotations)", ("accuracy",), 0.90),
        ("sentiment", "binary sentiment, shopping", ("binary", "shopping"), 0.95),
        ("sentiment", "binary sentiment, food delivery", ("binary", "food_delivery"), 0.92),
        ("sentiment", "binary sentiment, hotels", ("binary", "hotel"), 0.92),
        ("severity", "severity QWK", ("quadratic_weighted_kappa",), None),
        ("severity", "critical recall (>= 0.90 on dev)", ("critical_recall",), None),
        ("severity", "critical precision", ("critical_precision",), None)]


DEV_CRITERION = {"issue_types": "micro + macro F1", "sentiment": "3-way accuracy + mean binary accuracy",
                 "severity": "QWK"}


def dev_score(task: str, m: dict) -> float:
    """What a student setting is chosen by, per head, on dev."""
    d = m[task]["dev"]
    if task == "issue_types":
        return d["micro_f1"] + d["macro_f1"]
    if task == "sentiment":
        from train_baseline import sentiment_criterion

        return sentiment_criterion(d["accuracy"], d["binary"])
    return d["quadratic_weighted_kappa"]


def teacher_metrics(card: dict) -> dict:
    """The teacher's own dev/test figures from its model.json ``card``, in heads_metrics' shape."""
    out = {}
    for task in [t for t in TASKS if t in card["tasks"]]:  # a one-task teacher has one head
        out[task] = {}
        for split in [s for s in ("dev", "test") if s in card["tasks"][task].get("metrics", {})]:
            m = card["tasks"][task]["metrics"][split]
            e = {k: m[k] for k in ("micro_f1", "macro_f1", "accuracy", "quadratic_weighted_kappa", "critical_recall")
                 if k in m}
            if task == "severity":
                e["critical_precision"] = m["per_class"]["critical"]["precision"]
            if task == "sentiment" and "evaluation" in card:
                e["binary"] = card["evaluation"]["sentiment_binary_accuracy"][split]
            out[task][split] = e
    return out


def render_markdown(report: dict) -> str:
    """The comparison as a markdown table (test; dev in brackets), student chosen per head on dev."""
    def get(m, task, split, path):
        v = m.get(task, {}).get(split, {})
        for k in path:
            v = v.get(k, {}) if isinstance(v, dict) else {}
        return v if isinstance(v, (int, float)) else None

    def cell(m, task, path):
        t, d = get(m, task, "test", path), get(m, task, "dev", path)
        return "–" if t is None else f"{t:.3f} ({d:.3f})" if d is not None else f"{t:.3f}"

    best = report["chosen"]
    student = {t: report["students"][best[t]]["metrics"][t] for t in best}
    lines = ["| head | shipped heads | student (its setting chosen on dev) | teacher | target (test) |", "|---|---|---|---|---|"]
    for task, label, path, target in ROWS:
        if task not in best:
            continue
        lines.append(f"| {label} | {cell(report['baseline'], task, path)} | {cell(student, task, path)} | "
                     f"{cell(report.get('teacher_metrics', {}), task, path)} | {'≥ ' + str(target) if target else '–'} |")
    verdicts = []
    for task in best:
        b, st = report["baseline"], report["students"][best[task]]["metrics"]
        dev_win = dev_score(task, st) > dev_score(task, b)
        test_win = dev_score(task, {task: {"dev": st[task]["test"]}}) > dev_score(task, {task: {"dev": b[task]["test"]}})
        verdicts.append(f"- {task}: the student is {'above' if dev_win else 'below'} the shipped head on dev and "
                        f"{'above' if test_win else 'below'} it on test (the dev criterion: "
                        f"{DEV_CRITERION[task]}).")
    licence = report.get("teacher_licence")
    if licence:
        verdicts.append(f"- The teacher's base: {licence}.")

    def setting(st: dict) -> str:
        kind = ""
        if st.get("student") == "hidden":
            over = f" over the {st['hidden_features']:,} most frequent n-grams" if st.get("hidden_features") else ""
            kind = f", hidden layer {st['hidden']} wide{over}, epoch {st['epoch']}"
        return f"alpha {st['alpha']}, unlabelled weight {st['unlabelled_weight']}{kind}"

    settings = ", ".join(f"{t}: {setting(report['students'][i])}" for t, i in best.items())
    return ("\n".join(lines) + f"\n\nStudent settings chosen on dev: {settings}.\n\n"
            + "\n".join(verdicts) + "\n")


def write_markdown(report: dict, path: Path) -> None:
    teacher = Path(report["teacher"]).name
    built = f" (built by `{report['teacher_command']}`)" if report.get("teacher_command") else ""
    path.write_text(
        f"# Teacher and student\n\n`{report['command']}` ({report['seconds']:.0f} s), teacher `{teacher}`{built}; "
        "test figures, dev in brackets; heads alone with thresholds re-chosen on dev by the same procedure "
        "(the decision stage is not refitted).\n\n" + render_markdown(report), encoding="utf-8")


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
    ap.add_argument("--student", choices=("linear", "hidden"), default="linear",
                    help="linear: refit the shipped heads (logistic regression); hidden: a head with one hidden "
                         "layer beside its linear path (HiddenStudent; torch, the [transformer] extra)")
    ap.add_argument("--hidden", type=int, default=64, help="--student hidden: the hidden layer's width")
    ap.add_argument("--hidden-features", type=int, default=None,
                    help="--student hidden: the hidden layer reads only the N n-grams in most training texts "
                         "(its size: N x width); default: all")
    ap.add_argument("--epochs", type=int, default=6, help="--student hidden: epochs; each is scored on dev, "
                                                          "and dev chooses among them")
    ap.add_argument("--render-only", action="store_true", help="only rewrite the .md from the .json at -o")
    args = ap.parse_args(argv)
    if args.render_only:
        report = json.loads(args.output.read_text(encoding="utf-8"))
        write_markdown(report, args.output.with_suffix(".md"))
        return 0

    from feedback_nlp.labelled_data import shared_data_dir
    from feedback_nlp.modeling import NgramModel
    from feedback_nlp.tasks.base import MULTILABEL
    from feedback_nlp.text import normalize
    from feedback_nlp.train import evaluate_head, fit_soft_head, nb_log_count_ratio, tune_thresholds
    from train_baseline import C, CORPORA, SENT, build_sets, head_binary_accuracy

    t0 = time.time()
    _, dev, test, corp, ann = build_sets(shared_data_dir(args.data))
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

    def heads_metrics(model, tasks=None) -> dict:
        out = {}
        for task in tasks or args.tasks:
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
                    out[task][split]["binary"] = head_binary_accuracy(model, corp, split)
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

    def targets(task: str, alpha: float, u: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows of the pool, soft targets, sample weights) of one head's student."""
        head = shipped.heads[task]
        gold = one_hot([r[task] for r in ann_rows], head)
        t_ann = probs[task][:n_ann]
        if task == "sentiment":
            tgt = np.vstack([alpha * gold + (1 - alpha) * t_ann,
                             alpha * gold_binary + (1 - alpha) * probs[task][n_ann:]])
            return np.arange(len(pool)), tgt, np.concatenate([np.full(n_ann, 3.0), np.ones(len(reviews))])
        rows = np.arange(len(pool)) if task == "issue_types" else np.concatenate(
            [np.arange(n_ann), n_ann + np.where(neg_review)[0]])
        tgt = np.vstack([alpha * gold + (1 - alpha) * t_ann, probs[task][n_ann:]])[rows]
        return rows, tgt, np.where(rows < n_ann, 1.0, u)

    def linear_head(task: str, rows, tgt, w):
        head = shipped.heads[task]
        if task == "sentiment":  # the recipe's NB scaling
            from scipy.sparse import diags

            pos, neg = head.labels.index("positive"), head.labels.index("negative")
            hard = tgt.argmax(1)
            keep = (hard == pos) | (hard == neg)
            scale = np.abs(nb_log_count_ratio(X[keep], hard[keep] == pos))
            W, b = fit_soft_head(X @ diags(scale), tgt, head, C=C[task], sample_weight=w)
            return W * scale[:, None], b
        return fit_soft_head(X[rows], tgt, head, C=C[task], sample_weight=w, balanced=True)

    hidden_ids = None
    if args.student == "hidden" and args.hidden_features:
        df = np.bincount(X.tocsr().indices, minlength=X.shape[1])
        hidden_ids = np.sort(np.argsort(-df, kind="stable")[:args.hidden_features])
        print(f"hidden layer reads {len(hidden_ids)} n-grams: {df[hidden_ids].sum() / df.sum():.1%} of their "
              "occurrences in the training texts", flush=True)
    for alpha in args.alpha:
        for u in args.unlabelled_weight:
            if args.student == "hidden":
                for task in args.tasks:
                    rows, tgt, w = targets(task, alpha, u)
                    print(f"alpha {alpha} u {u}: hidden {args.hidden} student for {task} ({time.time() - t0:.0f}s)",
                          flush=True)

                    def on_epoch(epoch, student, task=task):
                        model = StudentModel(with_heads({}), {task: student})
                        if task != "sentiment":
                            tune_thresholds(model, task, dev[task], min_critical_recall=0.90)
                        m = heads_metrics(model, [task])
                        report["students"].append({"alpha": alpha, "unlabelled_weight": u, "student": "hidden",
                                                   "hidden": args.hidden, "hidden_features": args.hidden_features,
                                                   "epoch": epoch, "metrics": m})
                        print(f"  epoch {epoch}", json.dumps(m, ensure_ascii=False), flush=True)

                    fit_hidden_head(X[rows], tgt, shipped.heads[task], args.hidden, w, args.epochs, on_epoch,
                                    hidden_ids=hidden_ids)
                continue
            weights = {}
            for task in args.tasks:
                rows, tgt, w = targets(task, alpha, u)
                print(f"alpha {alpha} u {u}: fitting {task} on {len(rows)} rows ({time.time() - t0:.0f}s)", flush=True)
                weights[task] = linear_head(task, rows, tgt, w)
            m = heads_metrics(tuned(with_heads(weights)))
            report["students"].append({"alpha": alpha, "unlabelled_weight": u, "student": "linear", "metrics": m})
            print(f"student alpha={alpha} u={u}", json.dumps(m, ensure_ascii=False), flush=True)
    report["chosen"] = {t: max((i for i, st in enumerate(report["students"]) if t in st["metrics"]),
                               key=lambda i: dev_score(t, report["students"][i]["metrics"])) for t in args.tasks}
    report["seconds"] = round(time.time() - t0, 1)
    if (args.teacher / "model.json").is_file():
        tcard = json.loads((args.teacher / "model.json").read_text(encoding="utf-8"))
        report["teacher_metrics"] = teacher_metrics(tcard)
        report["teacher_command"] = tcard.get("command")
        prov = tcard.get("base_provenance") or {}
        if prov:
            report["teacher_licence"] = f"{prov.get('name')} from {prov.get('wheel')}, licence: {prov.get('licence')}"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    write_markdown(report, args.output.with_suffix(".md"))
    print(render_markdown(report))
    print(f"wrote {args.output} ({report['seconds']}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Compare the n-gram model with a transformer model directory (fp32 and int8 ONNX) on the same data.

    python training/compare_backends.py --transformer DIR [--ngram models/feedback-zh-ngram] \\
        [--data ../shared/data] [--threads 1] [--speed-texts 2000] [-o comparison.md]

For every backend, on the splits built by ``train_baseline.build_sets``:

- annotations test (and dev): spam accuracy / spam-vs-not F1, issue micro/macro F1,
  sentiment accuracy, severity accuracy / QWK / critical recall
  (``feedback_nlp.train.evaluate_head``, the functions the model cards use);
- the three review corpora: binary sentiment accuracy by the sign of ``sentiment_score``
  (``train_baseline.corpus_sentiment_metrics``);
- texts/s: full ``FeedbackAnalyzer.analyze_batch`` analyses in this single process on the
  annotation test texts (repeated to ``--speed-texts``), numpy/BLAS and onnxruntime limited
  to ``--threads`` threads.

The transformer runs through the torch-free runtime (``TransformerModel.from_pretrained``,
``quantized=False/True``). With torch installed, the ONNX graphs are also checked against the
torch model rebuilt from ``encoder/`` + ``heads.safetensors``: label agreement (the decided
labels, thresholds applied) and the largest probability difference, on the annotation test
texts (all four tasks) and the corpus test texts (sentiment).

Prints a markdown table and writes it (plus a JSON with every number) when ``-o`` is given.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _limit_threads(n: int) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = str(n)


def _pct(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def task_metrics(models: dict, sets: dict) -> dict:
    from feedback_nlp.train import evaluate_head

    out = {}
    for task, data in sets.items():
        m = evaluate_head(models[task], task, data)
        out[task] = {k: m[k] for k in ("accuracy", "micro_f1", "macro_f1", "quadratic_weighted_kappa",
                                      "critical_recall") if k in m}
        if "spam_binary" in m:
            out[task]["spam_f1"] = m["spam_binary"]["f1"]
        out[task]["n"] = len(data)
    return out


def agreement(directory: Path, onnx_models: dict, texts_by_task: dict, threads: int) -> dict:
    """Decided-label agreement and max |p_onnx - p_torch| per ONNX variant and task."""
    import numpy as np
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel

    from feedback_nlp.train import decide
    from feedback_nlp.transformer.torch_model import MultiTaskModel, torch_predict

    torch.set_num_threads(threads)
    ref = next(iter(onnx_models.values()))
    encoder = AutoModel.from_pretrained(str(directory / "encoder"))
    model = MultiTaskModel(encoder, ref.heads)
    state = load_file(str(directory / "heads.safetensors"))
    for t in model.tasks:
        model.heads[t].load_state_dict({k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(t + ".")})
    model.eval()
    out = {}
    for task, texts in texts_by_task.items():
        tp, _ = torch_predict(model, ref.tokenizer, texts, batch_size=64)
        head = ref.heads[task]
        t_lab = decide(head, tp[task], texts)
        for variant, om in onnx_models.items():
            op = om.predict_proba(texts)[task]
            o_lab = decide(head, op, texts)
            same = sum((sorted(a) if isinstance(a, list) else a) == (sorted(b) if isinstance(b, list) else b)
                       for a, b in zip(t_lab, o_lab))
            out.setdefault(variant, {})[task] = {
                "n": len(texts), "label_agreement": round(same / len(texts), 5),
                "max_abs_prob_diff": float(np.abs(op - tp[task]).max()),
                "mean_abs_prob_diff": float(np.abs(op - tp[task]).mean())}
    return out


def markdown(res: dict) -> str:
    names = list(res["backends"])
    head = "| metric | " + " | ".join(names) + " |\n|---|" + "---|" * len(names) + "\n"
    rows = []

    def row(label, getter):
        vals = []
        for n in names:
            try:
                vals.append(_pct(getter(res["backends"][n])))
            except (KeyError, TypeError):
                vals.append("–")
        rows.append(f"| {label} | " + " | ".join(vals) + " |")

    for split in ("test", "dev"):
        for corpus in res["corpora"]:
            row(f"{split}: {corpus} sentiment binary acc", lambda b: b["corpus_sentiment"][split][corpus])
        row(f"{split}: spam accuracy", lambda b: b["tasks"][split]["spam"]["accuracy"])
        row(f"{split}: spam F1 (spam vs not)", lambda b: b["tasks"][split]["spam"]["spam_f1"])
        row(f"{split}: issue micro-F1", lambda b: b["tasks"][split]["issue_types"]["micro_f1"])
        row(f"{split}: issue macro-F1", lambda b: b["tasks"][split]["issue_types"]["macro_f1"])
        row(f"{split}: sentiment acc (3-way)", lambda b: b["tasks"][split]["sentiment"]["accuracy"])
        row(f"{split}: severity QWK", lambda b: b["tasks"][split]["severity"]["quadratic_weighted_kappa"])
        row(f"{split}: severity critical recall", lambda b: b["tasks"][split]["severity"]["critical_recall"])
    speed = "| texts/s ({} thread{}) | ".format(res["threads"], "" if res["threads"] == 1 else "s") + " | ".join(
        str(res["backends"][n]["texts_per_s"]) for n in names) + " |"
    text = head + "\n".join(rows) + "\n" + speed + "\n"
    if res.get("agreement"):
        text += ("\nONNX vs torch (decided labels, thresholds applied; probabilities; texts: the annotations "
                 "test split, for sentiment plus the three corpus test splits):\n\n")
        text += "| variant | task | texts | label agreement | max abs prob diff | mean abs prob diff |\n|---|---|---|---|---|---|\n"
        for variant, tasks in res["agreement"].items():
            for task, a in tasks.items():
                text += (f"| {variant} | {task} | {a['n']} | {a['label_agreement'] * 100:.2f}% | "
                         f"{a['max_abs_prob_diff']:.2e} | {a['mean_abs_prob_diff']:.2e} |\n")
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transformer", action="append", default=[], help="transformer model directory (repeatable)")
    ap.add_argument("--ngram", default=str(REPO / "models" / "feedback-zh-ngram"))
    ap.add_argument("--data", default=None)
    ap.add_argument("--threads", type=int, default=1, help="CPU threads for numpy/BLAS, onnxruntime and torch")
    ap.add_argument("--speed-texts", type=int, default=2000, help="analyses timed per backend")
    ap.add_argument("--no-agreement", action="store_true", help="skip the ONNX-vs-torch check (needs torch)")
    ap.add_argument("-o", "--output", default=None, help="write the markdown here (and .json next to it)")
    args = ap.parse_args(argv)
    _limit_threads(args.threads)
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO / "training"))

    from feedback_nlp.labelled_data import shared_data_dir
    from feedback_nlp.pipeline import REQUIRED_TASKS, FeedbackAnalyzer
    from feedback_nlp.text import normalize
    from feedback_nlp.transformer import TransformerModel
    from train_baseline import build_sets, corpus_sentiment_metrics, throughput

    t0 = time.time()
    _, dev, test, corp, ann = build_sets(shared_data_dir(args.data))
    speed_texts = [r["text"] for r in ann["test"]]
    res = {"threads": args.threads, "speed_texts": args.speed_texts, "corpora": list(corp), "backends": {},
           "data": {"dev": {t: len(d) for t, d in dev.items()}, "test": {t: len(d) for t, d in test.items()},
                    "corpus_test": {c: len(corp[c]["test"]) for c in corp}}}

    backends = [("n-gram", FeedbackAnalyzer.load(args.ngram, backend="ngram"), None)]
    onnx = {}
    for path in args.transformer:
        name = Path(path).name
        for variant, q in (("fp32", False), ("int8", True)):
            tm = TransformerModel.from_pretrained(path, quantized=q, intra_op_num_threads=args.threads)
            onnx.setdefault(path, {})[variant] = tm
            backends.append((f"{name} {variant} ONNX", FeedbackAnalyzer({t: tm for t in REQUIRED_TASKS}), tm))
    for name, fa, _ in backends:
        t1 = time.time()
        models = fa.task_models
        entry = {"tasks": {"test": task_metrics(models, test), "dev": task_metrics(models, dev)},
                 "corpus_sentiment": {s: corpus_sentiment_metrics(fa, corp, s) for s in ("test", "dev")},
                 "texts_per_s": throughput(fa, speed_texts, n=args.speed_texts)}
        res["backends"][name] = entry
        print(f"{name}: {time.time() - t1:.0f}s", file=sys.stderr, flush=True)

    if not args.no_agreement:
        res["agreement"] = {}
        texts = {t: [n for n in (normalize(x) for x in test[t].texts)] for t in REQUIRED_TASKS}
        texts["sentiment"] = texts["sentiment"] + [normalize(r["text"]) for c in corp for r in corp[c]["test"]]
        for path, variants in onnx.items():
            for variant, a in agreement(Path(path), variants, texts, args.threads).items():
                res["agreement"][f"{Path(path).name} {variant}"] = a
    res["seconds"] = round(time.time() - t0, 1)
    text = markdown(res)
    print(text)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        Path(args.output).with_suffix(".json").write_text(json.dumps(res, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

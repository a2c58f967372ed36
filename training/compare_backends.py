"""Compare the n-gram model with a transformer model directory (fp32 and int8 ONNX) on the same data.

    python training/compare_backends.py --transformer DIR [--ngram models/feedback-zh-ngram] \\
        [--data ../shared/data] [--threads 1] [--speed-texts 2000] [--speed-rounds 5] \\
        [--int8 file] [--int8 ffn --int8 all ...] [--agreement-dev] [-o comparison.md]

For every backend, on the splits built by ``train_baseline.build_sets``:

- annotations test (and dev): spam accuracy / spam-vs-not F1, issue micro/macro F1,
  sentiment accuracy, severity accuracy / QWK / critical recall
  (``feedback_nlp.train.evaluate_head``, the functions the model cards use);
- the three review corpora: binary sentiment accuracy by the sign of ``sentiment_score``
  (``train_baseline.corpus_sentiment_metrics``);
- texts/s: full ``FeedbackAnalyzer.analyze_batch`` analyses in this single process on the
  annotation test texts (repeated to ``--speed-texts``), numpy/BLAS and onnxruntime limited
  to ``--threads`` threads; for the transformer variants also the ONNX session alone
  (pre-tokenised batches of 32). The backends are timed in turn, ``--speed-rounds`` times,
  and the median is reported, so a load change on a shared machine hits all of them alike.

int8 variants (``--int8``, repeatable): ``file`` = the directory's ``model.int8.onnx`` (the
default; its quantisation settings are read from ``model.json`` ``onnx.int8_quantization``),
or a preset of ``feedback_nlp.transformer.torch_model.INT8_PRESETS`` (``ffn``, ``encoder``,
``all``) = ``model.onnx`` quantised with it now, into a temporary folder (the model directory
is not touched). The settings of every int8 variant are printed under the tables.

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


def _timed(fn, *a, **kw) -> float:
    t = time.perf_counter()
    fn(*a, **kw)
    return time.perf_counter() - t


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


def int8_variants(path: Path, specs, threads: int, tmp: Path) -> list:
    """``(variant name, TransformerModel, quantisation settings)`` for each ``--int8`` spec."""
    import shutil

    from feedback_nlp.transformer import TransformerModel

    out = []
    for spec in specs:
        if spec == "file":
            tm = TransformerModel.from_pretrained(path, quantized=True, intra_op_num_threads=threads)
            settings = tm.card.get("onnx", {}).get("int8_quantization") or {
                "preset": "unrecorded",
                "note": "model.json records no settings: made before issue 5 with quantize_dynamic's defaults "
                        "(every MatMul/Gemm and the embedding tables)"}
            out.append(("int8", tm, settings))
            continue
        from feedback_nlp.transformer.torch_model import quantize_int8

        d = tmp / f"{path.name}-int8-{spec}"
        d.mkdir(parents=True)
        for f in path.iterdir():  # the small files; model.onnx re-quantised, no encoder/ needed
            if f.is_file() and f.name not in ("model.int8.onnx",):
                shutil.copy(f, d / f.name)
        settings = quantize_int8(d / "model.onnx", d / "model.int8.onnx", spec)
        tm = TransformerModel.from_pretrained(d, quantized=True, intra_op_num_threads=threads)
        out.append((f"int8[{spec}]", tm, settings))
    return out


def onnx_session_speed(tm, texts: list, batch_size: int = 32):
    """A callable timing one pass of the ONNX session alone over pre-tokenised, length-sorted batches."""
    enc = sorted((tm.tokenizer.encode(t) for t in texts), key=len)
    feeds = [dict(zip(("input_ids", "attention_mask"), tm.tokenizer.pad(enc[s:s + batch_size])))
             for s in range(0, len(enc), batch_size)]

    def run() -> float:
        t = time.perf_counter()
        for f in feeds:
            tm.session.run(tm.tasks, f)
        return len(texts) / (time.perf_counter() - t)
    return run


def interleaved_speed(runners: dict, rounds: int) -> dict:
    """Median texts/s per runner, the runners timed in turn ``rounds`` times (after one warm-up each)."""
    import statistics

    for run in runners.values():
        run()
    got: dict = {k: [] for k in runners}
    for _ in range(max(1, rounds)):
        for k, run in runners.items():
            got[k].append(run())
    return {k: round(statistics.median(v)) for k, v in got.items()}


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
    th = "{} thread{}".format(res["threads"], "" if res["threads"] == 1 else "s")
    speed = f"| texts/s ({th}, full analyses) | " + " | ".join(
        str(res["backends"][n]["texts_per_s"]) for n in names) + " |"
    speed += f"\n| texts/s ({th}, ONNX session only) | " + " | ".join(
        str(res["backends"][n].get("onnx_texts_per_s", "–")) for n in names) + " |"
    text = head + "\n".join(rows) + "\n" + speed + "\n"
    for key, split in (("agreement", "test"), ("agreement_dev", "dev")):
        if not res.get(key):
            continue
        text += (f"\nONNX vs torch on {split} (decided labels, thresholds applied; probabilities; texts: the "
                 f"annotations {split} split, for sentiment plus the three corpus {split} splits):\n\n")
        text += "| variant | task | texts | label agreement | max abs prob diff | mean abs prob diff |\n|---|---|---|---|---|---|\n"
        for variant, tasks in res[key].items():
            for task, a in tasks.items():
                text += (f"| {variant} | {task} | {a['n']} | {a['label_agreement'] * 100:.2f}% | "
                         f"{a['max_abs_prob_diff']:.2e} | {a['mean_abs_prob_diff']:.2e} |\n")
    if res.get("int8"):
        text += "\nint8 quantisation settings:\n\n"
        for variant, st in res["int8"].items():
            text += f"- {variant} (model.int8.onnx, {st['size_bytes'] / 1e6:.2f} MB): " + "; ".join(
                f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in st.items()
                if k not in ("file", "size_bytes")) + "\n"
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transformer", action="append", default=[], help="transformer model directory (repeatable)")
    ap.add_argument("--ngram", default=str(REPO / "models" / "feedback-zh-ngram"))
    ap.add_argument("--data", default=None)
    ap.add_argument("--threads", type=int, default=1, help="CPU threads for numpy/BLAS, onnxruntime and torch")
    ap.add_argument("--speed-texts", type=int, default=2000, help="analyses timed per backend and round")
    ap.add_argument("--speed-rounds", type=int, default=5, help="timing rounds (backends in turn; median)")
    ap.add_argument("--int8", action="append", default=None, metavar="SPEC",
                    help="int8 variant: 'file' (the directory's model.int8.onnx, default) or a preset "
                         "(ffn, encoder, all) quantised now into a temporary folder; repeatable")
    ap.add_argument("--no-agreement", action="store_true", help="skip the ONNX-vs-torch check (needs torch)")
    ap.add_argument("--agreement-dev", action="store_true", help="also check ONNX vs torch on the dev splits")
    ap.add_argument("-o", "--output", default=None, help="write the markdown here (and .json next to it)")
    args = ap.parse_args(argv)
    from feedback_nlp.extras import require_extra

    require_extra("transformer", "training/compare_backends.py")
    _limit_threads(args.threads)
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO / "training"))

    from feedback_nlp.labelled_data import shared_data_dir
    from feedback_nlp.pipeline import REQUIRED_TASKS, FeedbackAnalyzer
    from feedback_nlp.text import normalize
    from feedback_nlp.transformer import TransformerModel
    import tempfile

    from train_baseline import build_sets, corpus_sentiment_metrics

    t0 = time.time()
    _, dev, test, corp, ann = build_sets(shared_data_dir(args.data))
    speed_texts = [r["text"] for r in ann["test"]]
    res = {"threads": args.threads, "speed_texts": args.speed_texts, "corpora": list(corp), "backends": {},
           "data": {"dev": {t: len(d) for t, d in dev.items()}, "test": {t: len(d) for t, d in test.items()},
                    "corpus_test": {c: len(corp[c]["test"]) for c in corp}}}

    tmp = tempfile.TemporaryDirectory(prefix="compare_backends_")
    backends = [("n-gram", FeedbackAnalyzer.load(args.ngram, backend="ngram"), None)]
    onnx = {}
    res["int8"] = {}
    for path in args.transformer:
        name = Path(path).name
        tm = TransformerModel.from_pretrained(path, intra_op_num_threads=args.threads)
        variants = [("fp32", tm, None)] + int8_variants(Path(path), args.int8 or ["file"], args.threads, Path(tmp.name))
        for variant, tm, settings in variants:
            onnx.setdefault(path, {})[variant] = tm
            backends.append((f"{name} {variant} ONNX", FeedbackAnalyzer({t: tm for t in REQUIRED_TASKS}), tm))
            if settings is not None:
                res["int8"][f"{name} {variant}"] = {"file": str(Path(tm.path) / "model.int8.onnx"),
                                                    "size_bytes": (Path(tm.path) / "model.int8.onnx").stat().st_size,
                                                    **settings}
    for name, fa, _ in backends:
        t1 = time.time()
        models = fa.task_models
        entry = {"tasks": {"test": task_metrics(models, test), "dev": task_metrics(models, dev)},
                 "corpus_sentiment": {s: corpus_sentiment_metrics(fa, corp, s) for s in ("test", "dev")}}
        res["backends"][name] = entry
        print(f"{name}: {time.time() - t1:.0f}s", file=sys.stderr, flush=True)
    batch = (speed_texts * (args.speed_texts // max(len(speed_texts), 1) + 1))[:args.speed_texts]
    runners = {name: (lambda fa=fa: len(batch) / _timed(fa.analyze_batch, batch, batch_size=1024))
               for name, fa, _ in backends}
    runners.update({(name, "onnx"): onnx_session_speed(tm, [normalize(t) for t in batch])
                    for name, _, tm in backends if tm is not None})
    speeds = interleaved_speed(runners, args.speed_rounds)
    for name, _, tm in backends:
        res["backends"][name]["texts_per_s"] = speeds[name]
        if tm is not None:
            res["backends"][name]["onnx_texts_per_s"] = speeds[(name, "onnx")]
    res["speed_rounds"] = args.speed_rounds

    if not args.no_agreement:
        for key, split, sets in (("agreement", "test", test), ("agreement_dev", "dev", dev)):
            if split == "dev" and not args.agreement_dev:
                continue
            res[key] = {}
            texts = {t: [n for n in (normalize(x) for x in sets[t].texts)] for t in REQUIRED_TASKS}
            texts["sentiment"] = texts["sentiment"] + [normalize(r["text"]) for c in corp for r in corp[c][split]]
            for path, variants in onnx.items():
                for variant, a in agreement(Path(path), variants, texts, args.threads).items():
                    res[key][f"{Path(path).name} {variant}"] = a
    res["seconds"] = round(time.time() - t0, 1)
    tmp.cleanup()
    text = markdown(res)
    print(text)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        Path(args.output).with_suffix(".json").write_text(json.dumps(res, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    from feedback_nlp.extras import run_main

    raise SystemExit(run_main(main, "training/compare_backends.py"))

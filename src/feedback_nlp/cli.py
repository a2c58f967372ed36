"""``feedback-nlp``: thin command-line wrappers over the Python API.

Adding a command: write ``_add_<name>(sub)`` that creates its subparser and sets
``func=`` to a handler ``_cmd_<name>(args) -> int``, then append the adder to
:data:`COMMANDS`. Handlers import heavy modules (numpy, the model) inside the
function so that ``feedback-nlp --help`` stays fast. A handler reports a user
error (bad input, bad option) by raising :class:`CLIError`; :func:`main` prints
it as one ``feedback-nlp: error: ...`` line and returns exit code 2.

Commands that read input files take :func:`add_encoding_arg` (``--encoding``,
default ``auto``) and say on stderr which encoding was used when it was detected
and not UTF-8 (:func:`note_encoding`).

Exit codes: 0 success (also when some input rows were malformed: they are
reported as error records and in the summary), 2 usage or input error (no
traceback), 130 interrupted, 141 output pipe closed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, TextIO

from .io import MAX_LISTED_ROWS  # malformed row numbers listed in summaries (io is light: stdlib + orjson)

PROG = "feedback-nlp"


class CLIError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


# ----------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per entry of :data:`COMMANDS`."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Analyse Chinese e-commerce feedback: spam, issue types, sentiment, severity, routing.",
        epilog="examples:\n"
               "  feedback-nlp analyze \"快递十天都没到，客服也不回消息\"\n"
               "  feedback-nlp score reviews.jsonl -o scored.jsonl\n"
               "  feedback-nlp score reviews.csv -o scored.csv --text-field content\n"
               "  feedback-nlp score reviews.jsonl -o scored.csv --bom   # CSV that Excel opens as UTF-8\n"
               "  cat reviews.jsonl | feedback-nlp score - > scored.jsonl\n\n"
               "run 'feedback-nlp COMMAND --help' for the options of a command",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in COMMANDS:
        add(sub)
    return parser


def add_model_args(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--task-model`` and ``--routing``, shared by every command that loads an analyzer."""
    p.add_argument("--model", metavar="DIR", default=None,
                   help="model directory or hub id (default: the shipped model, or $FEEDBACK_NLP_MODEL)")
    p.add_argument("--task-model", metavar="TASK=DIR", action="append", default=None,
                   help="a model trained with 'feedback-nlp train --task TASK' used next to --model (repeatable). "
                        "A standard task (spam, issue_types, sentiment, severity) replaces that task's model; any "
                        "other task adds the output fields TASK (the label; a list of labels for a multi-label "
                        "task) and TASK_scores (label -> probability)")
    p.add_argument("--routing", metavar="FILE", default=None,
                   help="routing table (.json/.yaml) replacing the one saved with the model")
    p.add_argument("--threshold", metavar="TASK.KEY=VALUE", action="append", default=None,
                   help="move an operating point without retraining, e.g. severity.critical=0.7 (repeatable; "
                        "the keys and their dev precision/recall are in the model card); TASK.KEY@CHANNEL=VALUE "
                        "moves it for records of that channel only")


def add_encoding_arg(p: argparse.ArgumentParser) -> None:
    """``--encoding``, shared by every command that reads input files (see :func:`feedback_nlp.io.read_records`)."""
    p.add_argument("--encoding", default="auto", metavar="NAME",
                   help="text encoding of the input: auto (default: UTF-8 with or without BOM, UTF-16/32 with "
                        "BOM, else detected from the first 64 KiB, e.g. GB18030 or Big5 from Chinese Excel), "
                        "or a codec name such as utf-8, gb18030, gbk, big5, utf-16")


def note_encoding(requested: str, used: str, name: str) -> None:
    """Say on stderr that ``name`` is read as ``used`` when that was detected and is not UTF-8."""
    if str(requested).lower() == "auto" and used not in ("utf-8", "utf-8-sig", "ascii"):
        print(f"{PROG}: reading {name} as {used} (detected; override with --encoding)", file=sys.stderr)


def malformed_summary(verb: str, n_ok: int, n_bad: int, rows: Sequence[int]) -> str:
    """``"VERB N records, M malformed (rows: 2, 5, ... first 20)"``, the stderr summary of the reading commands."""
    msg = f"{verb} {n_ok} records, {n_bad} malformed"
    if n_bad:
        more = f", ... first {len(rows)}" if n_bad > len(rows) else ""
        msg += f" (rows: {', '.join(map(str, rows))}{more})"
    return msg


def _add_score(sub) -> None:
    p = sub.add_parser(
        "score", help="score a JSONL/CSV/TSV file, one output record per input record",
        description="Score every record of INPUT and write one output record per input record, in the "
                    "same order. A malformed row (bad JSON, invalid UTF-8, no text field, wrong column "
                    "count, empty line) becomes an error record {id, error, other fields null} in its "
                    "place; the run goes on. A summary 'scored N records, M malformed (rows: ...)' goes to "
                    "stderr, N counting the records scored successfully.")
    p.add_argument("input", metavar="INPUT", help="input file (.jsonl/.ndjson/.json lines, .csv, .tsv, "
                                                  "optionally .gz), or - for stdin (JSONL)")
    p.add_argument("-o", "--output", default="-", metavar="OUTPUT",
                   help="output file (.jsonl or .csv by extension); default - (stdout, JSONL)")
    p.add_argument("--text-field", default="text", metavar="NAME", help="field/column holding the text (default: text)")
    p.add_argument("--id-field", default="id", metavar="NAME",
                   help="field/column holding the id (default: id); missing ids become the 1-based row number")
    p.add_argument("--input-format", choices=("jsonl", "csv", "tsv"), default=None,
                   help="override the input format given by the extension")
    p.add_argument("--output-format", choices=("jsonl", "csv", "tsv"), default=None,
                   help="override the output format given by the extension")
    p.add_argument("--bom", action="store_true",
                   help="start CSV/TSV output with a UTF-8 byte order mark so Excel reads it as UTF-8 "
                        "(refused for JSONL output)")
    add_encoding_arg(p)
    p.add_argument("--batch-size", type=int, default=256, metavar="N", help="records per batch (default: 256)")
    p.add_argument("-w", "--workers", type=int, default=None, metavar="N",
                   help=f"worker processes analysing batches in parallel (default: every CPU this process may "
                        f"use, at most {AUTO_JOBS}; 1: this process only; -1: every CPU; never more than the "
                        "CPUs); output order and content do not change")
    p.add_argument("--detect-floods", action="store_true",
                   help="mark posts repeated across the file as spam type flood (copied complaints are never "
                        "marked; a post is marked from its --flood-min-group-th copy on)")
    p.add_argument("--flood-min-group", type=int, default=3, metavar="N",
                   help="copies that make a flood (default: 3, at least 2); with --detect-floods the output does "
                        "not depend on --batch-size or --workers")
    add_model_args(p)
    p.add_argument("--channel-field", default="channel", metavar="NAME",
                   help="field/column naming each record's channel (default: channel), for operating points "
                        "given per channel: --threshold severity.critical@order_review=0.1")
    p.add_argument("--keep-text", action="store_true", help="add the input text to each output record")
    p.add_argument("--mask-pii", action="store_true",
                   help="with --keep-text: mask phone numbers, e-mails, ID and order numbers in the kept text")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress display, and no summary unless rows were malformed")
    p.set_defaults(func=_cmd_score)


def _add_analyze(sub) -> None:
    p = sub.add_parser(
        "analyze", help="analyse texts given on the command line (or stdin lines) and print the decisions",
        description="Analyse each TEXT (or, with none given, each non-blank line of stdin) and print a "
                    "readable summary, or one JSON object per text with --json.")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts to analyse (default: read lines from stdin)")
    p.add_argument("--json", action="store_true", help="print one JSON object (FeedbackResult.to_dict) per text")
    p.add_argument("--channel", default=None, metavar="NAME",
                   help="the texts' channel, for operating points given per channel (--threshold KEY@NAME=VALUE)")
    add_encoding_arg(p)
    add_model_args(p)
    p.set_defaults(func=_cmd_analyze)


# ----------------------------------------------------------------------------- train / evaluate / export
#: Built-in tasks: default label field, whether multi-label, label for null values.
TASK_DEFAULTS = {"spam": ("spam_type", False, "not_spam"), "issue_types": ("issue_types", True, None),
                 "sentiment": ("sentiment", False, None), "severity": ("severity", False, None)}


def _invocation(command: str) -> str:
    """The command line that wrote a model, for its card: the real one when ``command`` was run
    from the shell, else just ``feedback-nlp COMMAND`` (``main([...])`` called from Python)."""
    return f"{PROG} " + " ".join(sys.argv[1:]) if sys.argv[1:2] == [command] else f"{PROG} {command}"


def _read_task_data(path, task, args, labels=None, purpose="train", missing_ok=False):
    """The labelled file for ``task``; with ``missing_ok``, None when no record has the task's label field."""
    from .labelled_data import MissingLabelField, TrainingDataError, read_labelled_file

    field, multi, null = TASK_DEFAULTS.get(task, ("label", False, None))
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


def _check_multilabel(args, task, head) -> None:
    """``--multilabel`` / ``--no-multilabel`` against a model's head: its kind decides how labels are read."""
    from .tasks.base import MULTILABEL

    given = getattr(args, "multilabel", None)
    if given is not None and given != (head.kind == MULTILABEL):
        kind = "multi-label" if head.kind == MULTILABEL else "single-label"
        raise CLIError(f"the model's {task} head is {kind}; drop --{'' if given else 'no-'}multilabel")


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
    from .io import InputFormatError, ReadTally, read_records, readable_inputs

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
    from .modeling import ModelFormatError
    from .pipeline import _load_model

    try:
        teacher = _load_model(args.teacher)
    except (ModelFormatError, FileNotFoundError) as e:
        raise CLIError(f"--teacher: {e}") from None
    if args.task not in teacher.heads:
        raise CLIError(f"--teacher has no {args.task!r} head (it has {', '.join(teacher.heads)})")
    return teacher


def _cmd_train(args) -> int:
    from .extras import require_extra

    transformer = args.backend == "transformer"
    if transformer and not args.base:
        raise CLIError("--backend transformer needs --base (a local encoder directory or hub id)")
    require_extra("transformer" if transformer else "train", "the train command"
                  + (" with --backend transformer" if transformer else ""))
    from .train import evaluate_head, train_model, write_report

    if args.unlabelled and not args.teacher:
        raise CLIError("--unlabelled needs --teacher: the model whose probabilities label those texts")
    if args.gold_repeat < 1:
        raise CLIError(f"--gold-repeat must be 1 or more, got {args.gold_repeat}")
    teacher = _load_teacher(args) if args.teacher else None
    labels = [x.strip() for x in args.labels.split(",")] if args.labels else None
    train = _read_task_data(args.data, args.task, args, labels)
    dev = _read_task_data(args.dev, args.task, args, labels) if args.dev else None
    card = {"name": Path(args.output).name, "version": "0.1.0",
            "command": _invocation("train"),
            "training_data": {"file": str(args.data), "n_texts": len(train)}}
    if transformer:
        from .transformer.training import DistillationError, train_task_model

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
        from .transformer.runtime import TransformerModel

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
        print(f"dev: accuracy {rep[args.task]['accuracy']}, micro-F1 {rep[args.task]['micro_f1']}, "
              f"macro-F1 {rep[args.task]['macro_f1']}", file=sys.stderr)
    print(out)
    return 0


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a model directory on a labelled file",
                       description="Print and write (JSON + Markdown) per-task metrics: accuracy, per-class "
                                   "precision/recall/F1, micro/macro F1, confusion matrix, expected calibration "
                                   "error; for severity also quadratic weighted kappa and critical recall.")
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


def _cmd_evaluate(args) -> int:
    from .modeling import ModelFormatError
    from .pipeline import _load_model
    from .train import evaluate_head, format_report, write_report

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
                               missing_ok=not args.task) for t in tasks}
    skipped = [t for t, d in data.items() if d is None]
    if len(skipped) == len(tasks):
        raise CLIError(f"{args.data} has labels for no task of the model ({', '.join(tasks)}; "
                       f"name the field with --label-field and the task with --task)")
    if skipped:
        print(f"note: {args.data} has no labels for {', '.join(skipped)}; evaluated the others", file=sys.stderr)
    report = {t: evaluate_head(model, t, d) for t, d in data.items() if d is not None}
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
    from .ensemble import DEFAULT_GRID, EnsembleModel, weight_mixes
    from .modeling import ModelFormatError
    from .pipeline import _load_model
    from .train import evaluate_head, write_report

    if len(args.member) < 2:
        raise CLIError(f"give two or more --member (got {len(args.member)})")
    try:
        members = [_load_model(m) for m in args.member]
        ens = EnsembleModel(members, {args.task: [1.0] * len(members)}, member_paths=args.member,
                            card={"name": Path(args.output).name, "command": _invocation("ensemble")})
    except (ModelFormatError, FileNotFoundError, ValueError) as e:
        raise CLIError(str(e)) from None
    _check_multilabel(args, args.task, ens.heads[args.task])
    dev = _read_task_data(args.dev, args.task, args, ens.heads[args.task].labels)
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
          f"dev accuracy {rep[args.task]['accuracy']}, micro-F1 {rep[args.task]['micro_f1']}, "
          f"macro-F1 {rep[args.task]['macro_f1']}", file=sys.stderr)
    if ens.card.get("left_out"):
        print(f"{args.task}: left out of {out} (weight 0 on dev, never run): {', '.join(ens.card['left_out'])}",
              file=sys.stderr)
    if args.cv:
        cv = metrics["dev_cross_validated"]
        print(f"{args.task}: cross-validated ({args.cv} folds, chosen without the fold): dev accuracy {cv['accuracy']}, "
              f"micro-F1 {cv['micro_f1']}, macro-F1 {cv['macro_f1']}", file=sys.stderr)
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
    from .extras import require_extra

    require_extra("train", "the export command", ("onnx",))
    from .export import export_onnx
    from .modeling import ModelFormatError

    try:
        print(export_onnx(args.model, args.output))
    except ModelFormatError as e:
        raise CLIError(str(e)) from None
    return 0


# ----------------------------------------------------------------------------- cluster / report
#: Most processes ``--jobs`` starts by default: each forked worker copies the pages of the loaded
#: models it touches, so memory grows with the count.
AUTO_JOBS = 8


def add_encoder_arg(p: argparse.ArgumentParser) -> None:
    """``--encoder``, shared by ``cluster`` and ``report``."""
    p.add_argument("--encoder", metavar="{semantic+ngram,semantic,ngram,NAME}", default="semantic+ngram",
                   help="text representation for clustering. semantic+ngram (default): semantic mixed with the "
                        "ngram sketch of the input, so that paraphrases and a new product's rare words both count "
                        "(on six planted sets written blind it kept more of each problem together than semantic "
                        "on all six; 3.2x ngram's ARI on annotated problems; 60-64 s per 100k texts on 2 cores in "
                        "one process, 42-44 s in two; benchmarks/RESULTS.md). semantic: the shipped projection of "
                        "char n-grams into a pretrained encoder's space, mixed with the issue-type probabilities "
                        "and domain word vectors; faster and lighter, weaker on new problems. ngram: char n-gram "
                        "TF-IDF fitted on the input; 21 s per 100k, purer and smaller clusters, blind to synonyms. "
                        "NAME: e5-small, use-multi or roformer-sim (each needs its extra; use-multi about 600 "
                        "texts/s on 2 cores, the others tens; use-multi finds the most problems in batches up to "
                        "8,000 texts: 29 of 36 planted sets against the default's 20, but a lower ARI on annotated "
                        "problems, 0.122 against 0.208) or an encoder directory")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help=f"processes for the analysis and for encoding the texts to cluster (default: every CPU "
                        f"this process may use, at most {AUTO_JOBS}; 1: one process; -1: every CPU; never more than "
                        "the CPUs); the output is the same for any N")


def _encoder(args):
    """The encoder named by ``--encoder`` (a missing extra or unknown name: one-line error)."""
    from .encoders import MissingExtraError, get_encoder
    from .modeling import ModelFormatError

    try:
        return get_encoder(args.encoder)
    except (MissingExtraError, ValueError, ModelFormatError) as e:
        raise CLIError(str(e).splitlines()[0]) from None


def _processes(value: Optional[int], flag: str) -> int:
    """A process count given as ``flag`` (``--jobs``, ``score --workers``), checked before any work; by
    default every CPU this process may use, at most :data:`AUTO_JOBS` (the output does not depend on it)."""
    from .encoders.processes import available_cpus, resolve_n_jobs

    if value is None:
        return min(available_cpus(), AUTO_JOBS)
    try:
        n = resolve_n_jobs(value)
    except ValueError:
        raise CLIError(f"{flag} must be a positive number or -1 (every CPU), got {value}") from None
    if n > available_cpus():  # more processes than CPUs gain nothing, and each holds a model
        print(f"note: {flag} {value} is more than the {available_cpus()} CPUs this process may use; "
              f"using {available_cpus()}", file=sys.stderr)
        n = available_cpus()
    return n


def _jobs(args) -> int:
    """``--jobs`` of ``cluster`` and ``report``."""
    return _processes(args.jobs, "--jobs")


def _add_similarity_args(p) -> None:
    """``--similarity``, ``--similarity-threshold`` and ``--recentre`` of ``cluster`` and ``report``."""
    p.add_argument("--similarity", choices=("auto", "snn", "cosine"), default="auto",
                   help="how alike two texts are: snn the share of nearest neighbours they have in common, which "
                        "groups paraphrases of one problem; cosine the plain cosine (fewer one-off texts in small "
                        "inputs, finer problems in large ones); auto (default) snn up to 8,000 texts clustered, "
                        "cosine above or when --similarity-threshold is given")
    p.add_argument("--similarity-threshold", type=float, default=None, metavar="S",
                   help="cut-off for merging clusters, a finite number (default: 0.1 for snn; the encoder's own "
                        "for cosine); a cosine unless --similarity snn")
    p.add_argument("--recentre", type=int, default=None, metavar="K",
                   help="opt-in, on cosines: cosines relative to the input (vectors centred on it, "
                        "its top K principal directions removed); needs --similarity-threshold. A problem that is "
                        "a large share of the input is kept by a second, raw pass")


#: The clusterer's parameters as ``cluster`` and ``report`` name them.
CLUSTER_FLAGS = {"min_size": "--min-size", "threshold": "--similarity-threshold", "seed": "--seed",
                 "recentre": "--recentre", "similarity": "--similarity"}


def _check_clustering_args(args) -> None:
    """Fail before any record is read, naming the flag: the clusterer's own checks (its ValueError would be a
    traceback)."""
    from .cluster.clusterer import check_params

    given = {"min_size": args.min_size, "threshold": args.similarity_threshold, "recentre": args.recentre,
             "similarity": args.similarity, **({"seed": args.seed} if hasattr(args, "seed") else {})}
    try:
        check_params(given, CLUSTER_FLAGS)
    except ValueError as e:
        raise CLIError(str(e)) from None


def _add_cluster(sub) -> None:
    p = sub.add_parser("cluster", help="cluster complaints into recurring problems",
                       description="Analyse INPUT, cluster its complaints (spam removed; negative and neutral by "
                                   "default) into recurring problems; each output record gets cluster_id and "
                                   "cluster_label, the summary lists each cluster's keywords, size, examples, "
                                   "mixes and counts over time.")
    p.add_argument("input", metavar="INPUT")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--summary", help="write the clusters as JSON here")
    p.add_argument("--time-field", help="timestamp field: adds first/last seen and counts per period")
    p.add_argument("--min-size", type=int, default=5, help="smallest cluster kept, at least 1 (smaller ones are noise)")
    p.add_argument("--text-field", default="text")
    p.add_argument("--id-field", default="id")
    _add_similarity_args(p)
    add_encoder_arg(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the sketch and the micro-clusters (0 or more)")
    p.add_argument("--all-sentiments", action="store_true", help="cluster positive feedback too")
    add_encoding_arg(p)
    add_model_args(p)
    p.set_defaults(func=_cmd_cluster)


def _cmd_cluster(args) -> int:
    from .cluster import run_cluster_command

    _require_input(args.input)
    _check_clustering_args(args)
    summary = run_cluster_command(args.input, args.output, summary_path=args.summary, seed=args.seed,
                                  all_sentiments=args.all_sentiments, **_clustering_kwargs(args))
    _report_reading(args, summary)
    return 0


def _clustering_kwargs(args) -> dict:
    """What ``cluster`` and ``report`` pass alike: the input's fields, the model and the clustering settings."""
    return dict(time_field=args.time_field, min_size=args.min_size, text_field=args.text_field,
                id_field=args.id_field, model=args.model, encoding=args.encoding, analyzer=analyzer_from_args(args),
                encoder=_encoder(args), n_jobs=_jobs(args), threshold=args.similarity_threshold,
                recentre=args.recentre, similarity=args.similarity)


def _report_reading(args, summary: dict) -> None:
    """The encoding note and the malformed-rows summary of ``cluster`` / ``report``."""
    note_encoding(args.encoding, summary.get("encoding", "utf-8"), args.input)
    n_bad = summary["n_errors"]
    print(malformed_summary("analysed", summary["n_records"] - n_bad, n_bad, summary.get("error_rows", [])),
          file=sys.stderr)


def _add_report(sub) -> None:
    from .trends import MAX_PERIODS  # stdlib-only module

    p = sub.add_parser("report", help="write the periodic feedback report as one self-contained HTML file",
                       description="Charts of the issue-type mix, sentiment and severity over time, top "
                                   "recurring problems with examples, spike alerts and spam share; one HTML "
                                   "file with no external resources. PII is masked unless --no-mask.")
    p.add_argument("input", metavar="INPUT")
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--time-field", help=f"timestamp field (enables trends and alerts). They span at most "
                                        f"{MAX_PERIODS} periods: records dated outside the busiest such stretch "
                                        "(e.g. a year 0001 or 9999 placeholder) are analysed, clustered and "
                                        "counted but left out of the trends and alerts, with a note")
    p.add_argument("--text-field", default="text")
    p.add_argument("--id-field", default="id")
    p.add_argument("--title", default=None)
    p.add_argument("--min-size", type=int, default=5, help="smallest cluster kept, at least 1")
    p.add_argument("--freq", choices=["D", "W"], default=None, help="bucket per day or week (default: by span)")
    p.add_argument("--alpha", type=float, default=0.001,
                   help="false-alarm rate of spike alerts, in (0, 1) (default: 0.001)")
    p.add_argument("--no-mask", action="store_true", help="show texts without PII masking")
    _add_similarity_args(p)
    add_encoder_arg(p)
    add_encoding_arg(p)
    add_model_args(p)
    p.set_defaults(func=_cmd_report)


def _cmd_report(args) -> int:
    from .report import run_report_command

    _require_input(args.input)
    _check_clustering_args(args)
    if not 0 < args.alpha < 1:  # NaN too; checked without --time-field as well
        raise CLIError(f"--alpha must be in (0, 1), got {args.alpha}")
    summary = run_report_command(args.input, args.output, title=args.title, freq=args.freq, alpha=args.alpha,
                                 mask=not args.no_mask, **_clustering_kwargs(args))
    _report_reading(args, summary)
    n_out = summary.get("n_out_of_range", 0)
    if n_out:
        lo, hi = summary["trend_window"]
        print(f"{PROG}: {n_out} record{'s' if n_out != 1 else ''} dated outside {lo} .. {hi} left out of the "
              "trends and alerts", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------- serve
def _add_serve(sub) -> None:
    from .serve import DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS  # stdlib-only module top

    p = sub.add_parser("serve", help="serve POST /v1/analyze over HTTP (needs the [serve] extra)",
                       description="Run the HTTP service (FastAPI + uvicorn): POST /v1/analyze with "
                                   '{"texts": [...]} or {"records": [{"id": ..., "text": ...}]} returns '
                                   '{"results": [...]}, the records `score` writes; GET /healthz; '
                                   "OpenAPI docs at /docs.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes, each loading the model once (default: 1)")
    p.add_argument("--max-records", type=int, default=DEFAULT_MAX_RECORDS, metavar="N",
                   help=f"most records per request; more get 413 (default: {DEFAULT_MAX_RECORDS})")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, metavar="N",
                   help=f"largest request body in bytes; larger gets 413 (default: {DEFAULT_MAX_BYTES})")
    add_model_args(p)
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args) -> int:
    from .serve import require_serve_extra, run

    try:
        require_serve_extra()
    except ImportError as e:
        raise CLIError(str(e)) from None
    if args.workers < 1 or args.max_records < 1 or args.max_bytes < 1:
        raise CLIError("--workers, --max-records and --max-bytes must be at least 1")
    analyzer = analyzer_from_args(args)  # a bad model fails here, in one line
    run(args.host, args.port, args.workers, model=args.model, routing=args.routing,
        thresholds=parse_thresholds(args.threshold), task_models=parse_task_models(args.task_model),
        analyzer=analyzer if args.workers == 1 else None, max_records=args.max_records, max_bytes=args.max_bytes)
    return 0


#: One function per command; each adds its subparser and sets ``func``.
COMMANDS: list[Callable[[Any], None]] = [_add_score, _add_analyze, _add_train, _add_evaluate, _add_ensemble,
                                               _add_export, _add_cluster, _add_report, _add_serve]


# ----------------------------------------------------------------------------- helpers
def parse_thresholds(items: Optional[Sequence[str]]) -> dict[str, float]:
    """``["severity.critical=0.7", ...]`` -> ``{"severity.critical": 0.7}`` (CLIError on a bad item)."""
    out = {}
    for item in items or ():
        key, eq, value = item.partition("=")
        try:
            if not eq or "." not in key:
                raise ValueError
            out[key.strip()] = float(value)
        except ValueError:
            raise CLIError(f"--threshold {item!r}: use TASK.KEY=VALUE, e.g. severity.critical=0.7") from None
    return out


def parse_task_models(specs: Optional[Sequence[str]]) -> dict[str, str]:
    """``["topic=DIR", ...]`` (``--task-model``) -> ``{"topic": "DIR"}``; a bad spec is a :class:`CLIError`."""
    out: dict[str, str] = {}
    for spec in specs or ():
        task, sep, path = spec.partition("=")
        task, path = task.strip(), path.strip()
        if not sep or not task or not path:
            raise CLIError(f"--task-model expects TASK=DIR (e.g. topic=my_topic_model), got {spec!r}")
        if task in out:
            raise CLIError(f"--task-model {task} is given twice")
        if not os.path.exists(path):
            raise CLIError(f"--task-model {task}: model directory not found: {path}")
        out[task] = path
    return out


def load_analyzer(model: Optional[str], routing: Optional[str], task_models: Optional[Sequence[str]] = None,
                  thresholds: Optional[Sequence[str]] = None):
    """``FeedbackAnalyzer.load`` with loading problems turned into :class:`CLIError`;
    ``task_models`` are the ``--task-model TASK=DIR`` values, ``thresholds`` the
    ``--threshold TASK.KEY=VALUE`` ones."""
    from .modeling import ModelFormatError
    from .pipeline import FeedbackAnalyzer
    from .tasks.routing import RoutingTable

    tasks = parse_task_models(task_models)
    table = None
    if routing is not None:
        try:
            table = RoutingTable.from_file(routing)
        except FileNotFoundError:
            raise CLIError(f"routing table not found: {routing}") from None
        except Exception as e:  # JSON/YAML syntax, wrong shape
            raise CLIError(f"cannot read routing table {routing}: {_one_line(e)}") from None
    overrides = parse_thresholds(thresholds)
    try:
        return FeedbackAnalyzer.load(model, routing=table, tasks=tasks or None, thresholds=overrides)
    except (ModelFormatError, OSError, ValueError, KeyError) as e:
        raise CLIError(f"cannot load the model: {_one_line(e)}") from None


def analyzer_from_args(args) -> Any:
    """The analyzer a command's ``add_model_args`` options ask for (one load path for every command)."""
    return load_analyzer(args.model, args.routing, getattr(args, "task_model", None), getattr(args, "threshold", None))


def _require_input(path: str) -> None:
    """Fail early, with one clear line, on an input file that does not exist or is a directory ("-" is stdin)."""
    if path != "-" and not os.path.exists(path):
        raise CLIError(f"input file not found: {path}")
    if path != "-" and os.path.isdir(path):
        raise CLIError(f"{path} is a directory, not an input file")


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return f"{e.strerror}: {e.filename}" if e.filename else e.strerror
    msg = str(e) or type(e).__name__
    return " ".join(msg.split())


def _chunks(it: Iterable, n: int) -> Iterator[list]:
    """Lists of ``n`` items; if ``it`` fails midway, the items read so far still come
    out as a last chunk before the error is raised (so they are scored and written)."""
    chunk: list = []
    try:
        for x in it:
            chunk.append(x)
            if len(chunk) >= n:
                yield chunk
                chunk = []
    except Exception:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """A one-line ``N records, R rec/s`` counter redrawn on a TTY at most every ``interval`` s."""

    def __init__(self, stream: TextIO, enabled: bool, interval: float = 0.2):
        self.stream, self.enabled, self.interval = stream, enabled, interval
        self.n = 0
        self.start = self._last = time.monotonic()

    def update(self, k: int) -> None:
        self.n += k
        if self.enabled:
            now = time.monotonic()
            if now - self._last >= self.interval:
                self._last = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.n / max(now - self.start, 1e-9)
        self.stream.write(f"\r{self.n:,} records  {rate:,.0f} rec/s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()


def _same_file(a: str, b: str) -> bool:
    try:
        return a != "-" and b != "-" and os.path.exists(b) and os.path.samefile(a, b)
    except OSError:
        return False


# ----------------------------------------------------------------------------- score
def _cmd_score(args) -> int:
    import functools
    from concurrent.futures.process import BrokenProcessPool

    from .io import (ERROR_FIELD, detect_format, open_writer, output_records, read_records, readable_inputs,
                     record_channel)
    from .parallel import ParallelAnalyzer
    from .text import mask_pii

    if args.batch_size < 1:
        raise CLIError("--batch-size must be at least 1")
    floods = None
    if args.detect_floods:  # made here, so that a bad --flood-min-group fails before any work
        from .pipeline import FloodMarker

        try:
            floods = FloodMarker(args.flood_min_group, stream=True)
        except ValueError as e:
            raise CLIError(f"--flood-min-group: {e}") from None
    workers = _processes(args.workers, "--workers")
    out_fmt = detect_format(args.output, args.output_format)  # fail on a bad output name before any work
    if args.bom and out_fmt == "jsonl":
        raise CLIError("--bom is for CSV/TSV output only; the output is JSONL "
                       "(name it .csv/.tsv or pass --output-format csv)")
    _require_input(args.input)
    if _same_file(args.input, args.output):
        raise CLIError(f"output {args.output} is the input file; choose another output")

    n_ok, bad_rows, n_bad, n_channel = 0, [], 0, 0
    with read_records(args.input, text_field=args.text_field, id_field=args.id_field,
                      fmt=args.input_format, encoding=args.encoding) as reader:
        note_encoding(args.encoding, reader.encoding, args.input)
        analyzer = analyzer_from_args(args)
        fieldnames = [*analyzer.output_fields, ERROR_FIELD]  # FIELDS, custom-task fields, error
        if args.keep_text:
            fieldnames.insert(1, "text")
        to_terminal = args.output == "-" and _isatty(sys.stdout)
        progress = Progress(sys.stderr, enabled=not args.quiet and _isatty(sys.stderr) and not to_terminal)
        try:
            writer = open_writer(args.output, fmt=args.output_format, fieldnames=fieldnames, bom=args.bom)
        except OSError as e:
            raise CLIError(f"cannot write {args.output}: {_one_line(e)}") from None
        pool = ParallelAnalyzer(analyzer, workers=workers, batch_size=args.batch_size,
                                loader=functools.partial(analyzer_from_args, args))
        with writer, pool:
            try:
                inputs = functools.partial(readable_inputs, channel_field=args.channel_field)
                for chunk, batch in pool.map(_chunks(reader, args.batch_size), key=inputs):
                    for rec, out in zip(chunk, output_records(chunk, batch, analyzer.output_fields, floods)):
                        if rec.error is None:
                            n_ok += 1
                            n_channel += record_channel(rec, args.channel_field) is not None
                        else:
                            n_bad += 1
                            if len(bad_rows) < MAX_LISTED_ROWS:
                                bad_rows.append(rec.row)
                        if args.keep_text:
                            text = rec.text
                            if text is not None and args.mask_pii:
                                text = mask_pii(text)
                            out = {"id": out["id"], "text": text,
                                   **{k: v for k, v in out.items() if k != "id"}}
                        writer.write(out)
                    writer.flush()
                    progress.update(len(chunk))
            except BrokenProcessPool:
                raise CLIError(f"a worker process died (out of memory?); the {n_ok + n_bad} records before it "
                               f"are in {args.output}") from None
            finally:
                progress.close()
    if n_bad or not args.quiet:
        print(malformed_summary("scored", n_ok, n_bad, bad_rows), file=sys.stderr)
    per_channel = getattr(analyzer, "channel_thresholds", None)
    if per_channel and n_ok and not n_channel:
        print(f"note: no record has the channel field {args.channel_field!r}, so the per-channel operating points "
              f"({', '.join(sorted(per_channel))}) were not used (--channel-field)", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------- analyze
def _stdin_texts(encoding: str = "auto") -> Iterator[tuple[int, str]]:
    """(line number, text) for each non-blank stdin line, decoded as ``encoding``
    (``auto``: detected, except from a terminal); undecodable bytes become U+FFFD."""
    from .io import open_text

    stream = open_text("-", encoding, errors="replace", newline="\n")
    note_encoding(encoding, stream.encoding, "<stdin>")
    with stream:
        for n, line in enumerate(stream, 1):
            line = line.lstrip("\ufeff") if n == 1 else line
            line = line.rstrip("\r\n")
            if line.strip():
                yield n, line


def format_result(text: str, result) -> str:
    """The readable block ``feedback-nlp analyze`` prints for one text."""
    r = result
    shown = " ".join(text.split())
    if len(shown) > 120:
        shown = shown[:119] + "…"
    spam = f"yes, {r.spam_type}" if r.is_spam else "no"
    issues = ", ".join(r.issue_types) if r.issue_types else "none"
    reasons = f" ({', '.join(r.severity_reasons)})" if r.severity_reasons else ""
    route = f"{r.route['team']}, SLA {r.route['sla_hours']}h" if r.route else "none"
    return "\n".join([
        f"[{r.id}] {shown}",
        f"  spam:         {spam} (score {r.spam_score:.2f})",
        f"  issues:       {issues}",
        f"  sentiment:    {r.sentiment} ({r.sentiment_score:+.2f})",
        f"  severity:     {r.severity}{reasons}",
        f"  route:        {route}",
        f"  needs review: {'yes' if r.needs_review else 'no'}",
        *(f"  {task + ':':<13} {_custom_value(r.extra[task], r.extra.get(task + '_scores', {}))}"
          for task in r.extra if not task.endswith("_scores")),
    ])


def _custom_value(value, scores: dict) -> str:
    """A custom task's decision for the readable output: ``label (0.81)``, comma-separated."""
    labels = value if isinstance(value, list) else ([] if value is None else [value])
    return ", ".join(f"{lab} ({scores.get(lab, 0):.2f})" for lab in labels) or "none"


def _cmd_analyze(args) -> int:
    from .io import json_bytes, resolve_encoding

    resolve_encoding(args.encoding)
    if args.texts:
        items: Iterable[tuple[int, str]] = list(enumerate(args.texts, 1))
        batch = 256
    else:
        interactive = _isatty(sys.stdin)
        if interactive:
            print("reading texts from stdin, one per line (Ctrl-D to end)", file=sys.stderr)
        items = _stdin_texts(args.encoding)
        batch = 1 if interactive else 256
    analyzer = analyzer_from_args(args)
    first = True
    for chunk in _chunks(items, batch):
        results = analyzer.analyze_batch([t for _, t in chunk], ids=[i for i, _ in chunk],
                                         channels=[args.channel] * len(chunk))
        for (_, text), r in zip(chunk, results):
            if args.json:
                sys.stdout.write(json_bytes(r.to_dict()).decode("utf-8") + "\n")
            else:
                if not first:
                    print()
                print(format_result(text, r))
            first = False
        sys.stdout.flush()
    return 0


# ----------------------------------------------------------------------------- review (Label Studio)
def _add_review(sub) -> None:
    p = sub.add_parser("review", help="Label Studio review loop: export tasks with predictions, import labels",
                       description="export: analyse INPUT and write Label Studio import tasks (text and id in data, "
                                   "the model's decisions as predictions) plus the labelling config XML. "
                                   "import: turn a Label Studio JSON export into training records for "
                                   "'feedback-nlp train'; tasks giving no record are reported. push / pull: the "
                                   "same through a Label Studio project's API (token from $LABEL_STUDIO_API_KEY).")
    p.set_defaults(func=lambda args: p.print_usage(sys.stderr) or 2)  # argparse requires a subcommand first
    rsub = p.add_subparsers(dest="review_command", metavar="{export,import,push,pull}")
    rsub.required = True

    def task_args(a):
        a.add_argument("input", metavar="INPUT",
                       help="input file as for 'score' (.jsonl/.csv/.tsv, optionally .gz; - = stdin)")
        a.add_argument("--text-field", default="text", metavar="NAME")
        a.add_argument("--id-field", default="id", metavar="NAME")
        a.add_argument("--input-format", choices=("jsonl", "csv", "tsv"), default=None)
        a.add_argument("--only-needs-review", action="store_true",
                       help="send only records the model marks needs_review")
        a.add_argument("--limit", type=int, default=None, metavar="N", help="stop after N tasks")
        a.add_argument("--config", metavar="XML", help="your labelling config; predictions use only its controls")
        a.add_argument("--batch-size", type=int, default=256, metavar="N")
        add_encoding_arg(a)
        add_model_args(a)

    def server_args(a):
        a.add_argument("--url", default=os.environ.get("LABEL_STUDIO_URL"),
                       help="Label Studio server (default: $LABEL_STUDIO_URL), e.g. http://localhost:8080")
        a.add_argument("--project", type=int, required=True, metavar="ID", help="project id (in the project's URL)")
        a.add_argument("--token-env", default="LABEL_STUDIO_API_KEY", metavar="VAR",
                       help="environment variable holding the API token (default: LABEL_STUDIO_API_KEY; "
                            "a legacy token or a personal access token)")

    e = rsub.add_parser("export", help="analyse INPUT and write Label Studio import tasks with predictions")
    task_args(e)
    e.add_argument("-o", "--output", required=True, help="tasks file to write (JSON array)")
    e.add_argument("--config-out", metavar="XML",
                   help="where to write the labelling config (default: OUTPUT with .label_config.xml; "
                        "not written with --config unless given)")
    e.set_defaults(func=_cmd_review_export)
    i = rsub.add_parser("import", help="turn a Label Studio JSON export into training records (JSONL)")
    i.add_argument("export", metavar="EXPORT", help="Label Studio export in 'JSON' format")
    i.add_argument("-o", "--output", required=True, help="training records to write (.jsonl)")
    i.add_argument("--text-field", default="text", metavar="NAME", help="data key of the text (default: text)")
    i.add_argument("--summary", metavar="JSON", help="also write the import summary (every left-out task) here")
    i.set_defaults(func=_cmd_review_import)
    u = rsub.add_parser("push", help="analyse INPUT and send the tasks with predictions to a Label Studio project",
                        description="As 'review export', but the tasks go to the project's import API instead of "
                                    "a file. The project's labelling config must name the text's data key "
                                    "(write ours with 'review export' or feedback_nlp.review.label_config_xml).")
    task_args(u)
    server_args(u)
    u.set_defaults(func=_cmd_review_push)
    g = rsub.add_parser("pull", help="fetch a Label Studio project's export and turn it into training records",
                        description="As 'review import', but the export is fetched from the project's API.")
    server_args(g)
    g.add_argument("-o", "--output", required=True, help="training records to write (.jsonl)")
    g.add_argument("--text-field", default="text", metavar="NAME", help="data key of the text (default: text)")
    g.add_argument("--summary", metavar="JSON", help="also write the import summary (every left-out task) here")
    g.set_defaults(func=_cmd_review_pull)


def _review_config(args):
    """The labelling config of a task-writing review command (after checking its options)."""
    from .review import LabelConfig, LabelConfigError, print_warnings

    if args.limit is not None and args.limit < 0:
        raise CLIError("--limit must be at least 0")
    if args.batch_size < 1:
        raise CLIError("--batch-size must be at least 1")
    _require_input(args.input)
    try:
        config = LabelConfig.from_file(args.config) if args.config else LabelConfig.default()
    except (LabelConfigError, OSError) as e:
        raise CLIError(_one_line(e)) from None
    print_warnings(config.warnings())
    return config


@contextmanager
def _task_exporter(args, config):
    """``(exporter, reader)`` over the command's input."""
    from .io import read_records
    from .review import TaskExporter

    with read_records(args.input, text_field=args.text_field, id_field=args.id_field, fmt=args.input_format,
                      encoding=args.encoding) as reader:
        note_encoding(args.encoding, reader.encoding, args.input)
        yield TaskExporter(analyzer_from_args(args), config, limit=args.limit,
                           only_needs_review=args.only_needs_review, batch_size=args.batch_size,
                           text_field=args.text_field, id_field=args.id_field), reader


def _cmd_review_export(args) -> int:
    config = _review_config(args)
    if _same_file(args.input, args.output):
        raise CLIError(f"output {args.output} is the input file; choose another output")
    config_out = args.config_out or (None if args.config else _sibling(args.output, ".label_config.xml"))
    with _task_exporter(args, config) as (exporter, reader):
        summary = exporter.write(reader, args.output)
    if config_out:
        Path(config_out).write_text(config.xml, encoding="utf-8")
    print(summary.message() + (f"; label config: {config_out}" if config_out else ""), file=sys.stderr)
    return 0


def _label_studio(args):
    from .review import LabelStudioClient, LabelStudioError

    if not args.url:
        raise CLIError("no Label Studio URL: pass --url or set LABEL_STUDIO_URL")
    token = os.environ.get(args.token_env, "")
    if not token:
        raise CLIError(f"no API token: set {args.token_env} (Label Studio: Account & Settings > Access Token)")
    try:
        return LabelStudioClient(args.url, token)
    except LabelStudioError as e:
        raise CLIError(str(e)) from None


def _cmd_review_push(args) -> int:
    from .review import LabelStudioError

    config = _review_config(args)
    client = _label_studio(args)
    with _task_exporter(args, config) as (exporter, reader):
        try:
            client.import_tasks(args.project, exporter.iter_tasks(reader))
        except LabelStudioError as e:
            raise CLIError(str(e)) from None
    print(exporter.summary.message("sent") + f" to project {args.project} at {client.url}", file=sys.stderr)
    return 0


def _cmd_review_pull(args) -> int:
    from .review import LabelStudioError, ReviewImportError, checked_export

    client = _label_studio(args)
    try:
        tasks = checked_export(client.export_tasks(args.project), f"project {args.project} at {client.url}")
    except (LabelStudioError, ReviewImportError) as e:
        raise CLIError(str(e)) from None
    return _write_import(tasks, args)


def _sibling(path: str, suffix: str) -> str:
    """``tasks.json`` -> ``tasks<suffix>``."""
    p = Path(path)
    return str(p.with_name(p.stem + suffix))


def _cmd_review_import(args) -> int:
    from .review import ReviewImportError, read_export

    _require_input(args.export)
    try:
        tasks = read_export(args.export)
    except ReviewImportError as e:
        raise CLIError(str(e)) from None
    return _write_import(tasks, args)


def _write_import(tasks, args) -> int:
    """Training records (and the summary) from a Label Studio export's tasks."""
    import json

    from .review import import_annotations, write_records

    result = import_annotations(tasks, text_key=args.text_field)
    write_records(result.records, args.output)
    if args.summary:
        Path(args.summary).write_text(json.dumps(result.summary.to_dict(), ensure_ascii=False, indent=2),
                                      encoding="utf-8")
    print(result.summary.message(), file=sys.stderr)
    return 0


COMMANDS.append(_add_review)


# ----------------------------------------------------------------------------- main
def _error(msg: str) -> None:
    print(f"{PROG}: error: {msg}", file=sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code (never calls sys.exit)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors (argparse prints them)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)

    from .extras import MissingExtraError
    from .io import InputFormatError
    from .modeling import ModelFormatError

    try:
        return int(args.func(args) or 0)
    except (CLIError, InputFormatError, ModelFormatError, MissingExtraError) as e:
        _error(_one_line(e))
        return 2
    except OSError as e:
        if isinstance(e, BrokenPipeError):
            # The reader of our stdout went away (e.g. `| head`): stop quietly.
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError, AttributeError):
                pass
            return 141
        _error(_one_line(e))
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

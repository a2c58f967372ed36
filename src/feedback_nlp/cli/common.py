"""What every command shares: the user-facing error, the model, threshold and encoding options, loading the
analyzer, input checks, worker counts and the stderr summary of malformed rows."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Optional, Sequence


PROG = "feedback-nlp"


class CLIError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


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


#: Most processes ``--jobs`` starts by default: each forked worker copies the pages of the loaded
#: models it touches, so memory grows with the count.
AUTO_JOBS = 8


def _processes(value: Optional[int], flag: str) -> int:
    """A process count given as ``flag`` (``--jobs``, ``score --workers``), checked before any work; by
    default every CPU this process may use, at most :data:`AUTO_JOBS` (the output does not depend on it)."""
    from ..encoders.processes import available_cpus, resolve_n_jobs

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


def parse_thresholds(items: Optional[Sequence[str]]) -> dict[str, float]:
    """``["severity.critical=0.7", ...]`` -> ``{"severity.critical": 0.7}`` (CLIError on a bad item)."""
    out = {}
    for item in items or ():
        key, eq, value = item.partition("=")
        try:
            if not eq or "." not in key:
                raise ValueError
            value = float(value)
        except ValueError:
            raise CLIError(f"--threshold {item!r}: use TASK.KEY=VALUE, e.g. severity.critical=0.7") from None
        if key.strip() in out:
            raise CLIError(f"--threshold {key.strip()} is given twice")
        out[key.strip()] = value
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
    from ..modeling import ModelFormatError
    from ..pipeline import FeedbackAnalyzer
    from ..tasks.routing import RoutingTable

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


def analyzer_from_args(args, note: bool = True) -> Any:
    """The analyzer a command's ``add_model_args`` options ask for (one load path for every command). ``note``: say
    on stderr when no issue type of the model has a team in the routing table (a custom issue model without
    ``--routing``: every route would go to the default team without a word); workers load it quietly."""
    fa = load_analyzer(args.model, args.routing, getattr(args, "task_model", None), getattr(args, "threshold", None))
    models, routing = getattr(fa, "task_models", {}), getattr(fa, "routing", None)
    labels = models["issue_types"].heads["issue_types"].labels if "issue_types" in models else []
    teamless = routing is not None and routing.default_team and not any(lab in routing.teams for lab in labels)
    if note and labels and teamless:
        print(f"note: no issue type of the model ({', '.join(labels[:5])}{', …' if len(labels) > 5 else ''}) has a "
              f"team in the routing table, so every route goes to {routing.default_team!r}; give your own table "
              "with --routing", file=sys.stderr)
    return fa


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


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _same_file(a: str, b: str) -> bool:
    try:
        return a != "-" and b != "-" and os.path.exists(b) and os.path.samefile(a, b)
    except OSError:
        return False

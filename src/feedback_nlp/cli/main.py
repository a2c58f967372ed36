"""The ``feedback-nlp`` parser (one subparser per entry of :data:`COMMANDS`) and :func:`main`, which turns user
errors into one line and an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable, Optional, Sequence

from .cluster import _add_cluster, _add_report
from .common import CLIError, _one_line, PROG
from .review import _add_review
from .score import _add_analyze, _add_score
from .serve import _add_serve
from .train import _add_ensemble, _add_evaluate, _add_export, _add_train


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per entry of :data:`COMMANDS`."""
    from .. import __version__

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


#: One function per command; each adds its subparser and sets ``func``.
COMMANDS: list[Callable[[Any], None]] = [_add_score, _add_analyze, _add_train, _add_evaluate, _add_ensemble,
                                         _add_export, _add_cluster, _add_report, _add_serve, _add_review]


def _error(msg: str) -> None:
    print(f"{PROG}: error: {msg}", file=sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code (never calls sys.exit)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors (argparse prints them)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)

    from ..extras import MissingExtraError
    from ..io import InputFormatError
    from ..modeling import ModelFormatError

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

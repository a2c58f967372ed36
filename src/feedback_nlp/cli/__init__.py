"""``feedback-nlp``: thin command-line wrappers over the Python API.

One module per command or family of commands (``score``, ``train``, ``cluster``, ``serve``, ``review``), what
they share in ``common``, the parser and :func:`main` in ``main``. Adding a command: write ``_add_<name>(sub)``
that creates its subparser and sets ``func=`` to a handler ``_cmd_<name>(args) -> int``, then add the adder to
:data:`~feedback_nlp.cli.main.COMMANDS`. Handlers import heavy modules (numpy, the model) inside the
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

from .cluster import CLUSTER_FLAGS
from .common import (AUTO_JOBS, PROG, CLIError, add_encoding_arg, add_model_args, analyzer_from_args, load_analyzer,
                     malformed_summary, note_encoding, parse_task_models, parse_thresholds)
from .main import COMMANDS, build_parser, main
from .score import format_result

__all__ = ["main", "build_parser", "COMMANDS", "CLIError", "PROG", "AUTO_JOBS", "CLUSTER_FLAGS", "add_model_args",
           "add_encoding_arg", "analyzer_from_args", "load_analyzer", "note_encoding", "malformed_summary",
           "parse_thresholds", "parse_task_models", "format_result"]

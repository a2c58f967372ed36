"""``review export | push | pull | import``: the Label Studio review loop."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from .common import (add_encoding_arg, add_model_args, analyzer_from_args, CLIError, note_encoding, _one_line,
                     _require_input, _same_file)


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
    from ..review import LabelConfig, LabelConfigError, print_warnings

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
    from ..io import read_records
    from ..review import TaskExporter

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
    from ..review import LabelStudioClient, LabelStudioError

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
    from ..review import LabelStudioError

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
    from ..review import LabelStudioError, ReviewImportError, checked_export

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
    from ..review import ReviewImportError, read_export

    _require_input(args.export)
    try:
        tasks = read_export(args.export)
    except ReviewImportError as e:
        raise CLIError(str(e)) from None
    return _write_import(tasks, args)


def _write_import(tasks, args) -> int:
    """Training records (and the summary) from a Label Studio export's tasks."""
    import json

    from ..review import import_annotations, write_records

    result = import_annotations(tasks, text_key=args.text_field)
    write_records(result.records, args.output)
    if args.summary:
        Path(args.summary).write_text(json.dumps(result.summary.to_dict(), ensure_ascii=False, indent=2),
                                      encoding="utf-8")
    print(result.summary.message(), file=sys.stderr)
    return 0

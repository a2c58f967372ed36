"""``score`` (a file, one output record per input record, in order) and ``analyze`` (texts on the command line
or stdin, for a person to read)."""

from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, TextIO

from ..io import MAX_LISTED_ROWS
from .common import (add_encoding_arg, add_model_args, analyzer_from_args, AUTO_JOBS, CLIError, _isatty,
                     malformed_summary, note_encoding, _one_line, _processes, _require_input, _same_file)


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


def _cmd_score(args) -> int:
    import functools
    from concurrent.futures.process import BrokenProcessPool

    from ..io import (ERROR_FIELD, detect_format, open_writer, output_records, read_records, readable_inputs,
                     record_channel)
    from ..parallel import ParallelAnalyzer
    from ..text import mask_pii

    if args.batch_size < 1:
        raise CLIError("--batch-size must be at least 1")
    floods = None
    if args.detect_floods:  # made here, so that a bad --flood-min-group fails before any work
        from ..floods import FloodMarker

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
                                loader=functools.partial(analyzer_from_args, args, note=False))
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


def _stdin_texts(encoding: str = "auto") -> Iterator[tuple[int, str]]:
    """(line number, text) for each non-blank stdin line, decoded as ``encoding``
    (``auto``: detected, except from a terminal); undecodable bytes become U+FFFD."""
    from ..io import open_text

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
    from ..io import json_bytes, resolve_encoding

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

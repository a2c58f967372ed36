"""``cluster`` and ``report``: recurring problems among the complaints of a file, and the HTML report; the
encoder and similarity options they share."""

from __future__ import annotations

import argparse
import sys

from .common import (add_encoding_arg, add_model_args, analyzer_from_args, AUTO_JOBS, CLIError, malformed_summary,
                     note_encoding, _processes, PROG, _require_input)


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
    from ..encoders import MissingExtraError, get_encoder
    from ..modeling import ModelFormatError

    try:
        return get_encoder(args.encoder)
    except (MissingExtraError, ValueError, ModelFormatError) as e:
        raise CLIError(str(e).splitlines()[0]) from None


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
    from ..cluster.clusterer import check_params

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
    from ..cluster import run_cluster_command

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
    bad = summary.get("unreadable_times") or {}
    if bad.get("count"):
        print(f"note: {bad['count']} record(s) have a --time-field {args.time_field!r} value that is not a time "
              f"(e.g. {bad['example']}); they are clustered but left out of the counts per period", file=sys.stderr)


def _add_report(sub) -> None:
    from ..trends import MAX_PERIODS  # stdlib-only module

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
    from ..report import run_report_command

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

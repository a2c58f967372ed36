"""Read feedback from Parquet, score it with feedback-nlp on Spark, write Parquet.

    spark-submit examples/spark/score_parquet.py INPUT.parquet OUTPUT_DIR [--text-col text] [--id-col id]
    python examples/spark/score_parquet.py INPUT.parquet OUTPUT_DIR --master "local[2]"

The output holds every input column plus the analysis columns of
``feedback_nlp.spark.analyze_spark`` (is_spam, issue_types, route, ..., error).
See README.md next to this file for running it on a cluster.
"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input", help="Parquet file or directory (any path Spark reads: hdfs://, s3a://, ...)")
    p.add_argument("output", help="Parquet directory to write")
    p.add_argument("--text-col", default="text")
    p.add_argument("--id-col", default="id", help="id column, kept as it is ('' for none)")
    p.add_argument("--model", default=None,
                   help="model directory as seen by the executors (default: the model shipped in the "
                        "package, or $FEEDBACK_NLP_MODEL on the executors)")
    p.add_argument("--routing", default=None, help="routing table file as seen by the executors")
    p.add_argument("--threshold", metavar="TASK.KEY=VALUE", action="append", default=None,
                   help="move an operating point, as for feedback-nlp score (repeatable; KEY@CHANNEL for one channel)")
    p.add_argument("--channel-col", default=None, help="column naming each row's channel (per-channel points)")
    p.add_argument("--master", default=None, help='Spark master when run without spark-submit, e.g. "local[2]"')
    p.add_argument("--mode", default="errorifexists", choices=["errorifexists", "overwrite"],
                   help="what to do when OUTPUT exists (default: fail)")
    args = p.parse_args(argv)

    try:
        from pyspark.sql import SparkSession

        from feedback_nlp.spark import analyze_spark, require_spark_extra

        require_spark_extra()
        from feedback_nlp.cli import CLIError, parse_thresholds
    except ImportError as e:
        print(f"score_parquet: {e}" if "feedback-nlp" in str(e) else
              'score_parquet: needs pyspark and feedback-nlp: pip install "feedback-nlp[spark]"', file=sys.stderr)
        return 2

    try:
        thresholds = parse_thresholds(args.threshold)
    except CLIError as e:
        print(f"score_parquet: {e}", file=sys.stderr)
        return 2
    builder = SparkSession.builder.appName("feedback-nlp score")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    try:
        df = spark.read.parquet(args.input)
        scored = analyze_spark(df, text_col=args.text_col, id_col=args.id_col or None,
                               model=args.model, routing=args.routing, thresholds=thresholds,
                               channel_col=args.channel_col)
        scored.write.mode(args.mode).parquet(args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

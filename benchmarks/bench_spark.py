"""Throughput of ``analyze_spark`` in Spark ``local[2]`` next to ``feedback-nlp score`` on the same rows.

    PYTHONPATH=src python3 benchmarks/bench_spark.py --rows 100000 [--files 4] [--no-write]

Rows come from benchmarks/gen_feedback_jsonl.py (corpus reviews, ``{"id", "text"}``;
needs ../shared/data or ``$FEEDBACK_NLP_DATA``), written once as JSONL for the CLI
and as ``--files`` Parquet files for Spark (one file = one input partition, so two
or more keep both local cores busy). Both sides read their input, score every
row and write their output (CLI: JSONL; Spark: Parquet). Spark is timed twice in
one session: the first run includes starting the Python workers and loading the
model in each, the second reuses them. The output row count and distinct ids are
checked. Prints a markdown section and, unless ``--no-write``, puts it into
benchmarks/RESULTS.md (between the bench_spark markers).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "src"))


def run_cli(jsonl: Path, out: Path) -> tuple[float, float]:
    """(wall s, CPU s) of ``python -m feedback_nlp score --workers 1`` in a fresh process (one process, as measured)."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "feedback_nlp", "score", str(jsonl), "-o", str(out), "-q",
                          "--workers", "1"],
                         env=env, cwd=REPO)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("feedback-nlp score failed")
    return wall, ru.ru_utime + ru.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=4, help="Parquet files (= Spark input partitions)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    a = ap.parse_args(argv)
    command = "PYTHONPATH=src python3 benchmarks/bench_spark.py" + "".join(f" {x}" for x in (argv or sys.argv[1:]))

    import pandas as pd
    import pyspark
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from _results import write_section
    from gen_feedback_jsonl import generate

    from feedback_nlp.spark import analyze_spark

    started = _dt.datetime.now(_dt.timezone.utc)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench_spark_") as tmp:
        tmp = Path(tmp)
        jsonl, pq = tmp / "rows.jsonl", tmp / "rows_parquet"
        generate(jsonl, a.rows)
        df = pd.read_json(jsonl, lines=True, dtype={"id": "int64", "text": "str"})
        pq.mkdir()
        per = -(-len(df) // a.files)
        for k in range(a.files):
            df.iloc[k * per:(k + 1) * per].to_parquet(pq / f"part-{k}.parquet", index=False)
        mean_chars = df["text"].str.len().mean()
        del df

        cli_wall, cli_cpu = run_cli(jsonl, tmp / "out.jsonl")
        cli_lines = sum(1 for _ in open(tmp / "out.jsonl", "rb"))

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        t0 = time.perf_counter()
        spark = (SparkSession.builder.master("local[2]").appName("bench_spark")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
                 .getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        session_s = time.perf_counter() - t0
        runs = []
        try:
            for k in range(2):
                out = str(tmp / f"scored_{k}")
                t0 = time.perf_counter()
                analyze_spark(spark.read.parquet(str(pq))).write.parquet(out)
                runs.append(time.perf_counter() - t0)
            back = spark.read.parquet(out)
            n_out, n_ids = back.count(), back.select(F.countDistinct("id")).first()[0]
            n_err = back.where(F.col("error").isNotNull()).count()
        finally:
            spark.stop()
    load_after = os.getloadavg()

    ok = n_out == n_ids == a.rows == cli_lines
    lines = [
        f"### Spark local[2] vs CLI — {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} CPU cores visible, Python {platform.python_version()}, pyspark {pyspark.__version__}, "
        f"Java 17; load average {load_before[0]:.1f} at start, {load_after[0]:.1f} at end (the machine is shared, "
        "so wall-clock rates include waiting for a core).  ",
        f"Input: {a.rows:,} rows from `gen_feedback_jsonl.py` (mean {mean_chars:.0f} characters); Spark reads them "
        f"as {a.files} Parquet files (= {a.files} partitions).",
        "",
        "| run | wall time | rows/s |",
        "|---|---|---|",
        f"| CLI `python -m feedback_nlp score rows.jsonl -o out.jsonl -q` (1 process, incl. start-up) | "
        f"{cli_wall:.1f} s (CPU {cli_cpu:.1f} s) | {a.rows / cli_wall:,.0f} |",
        f"| Spark local[2], `analyze_spark` + write Parquet, 1st run (starts workers, loads the model in each) | "
        f"{runs[0]:.1f} s | {a.rows / runs[0]:,.0f} |",
        f"| Spark local[2], 2nd run (workers and models reused) | {runs[1]:.1f} s | {a.rows / runs[1]:,.0f} |",
        f"| Spark session start-up (JVM), not in the rows above | {session_s:.1f} s | |",
        "",
        f"Output check: {n_out:,} rows, {n_ids:,} distinct ids, {n_err} error rows; CLI {cli_lines:,} lines — "
        f"{'all equal to the input rows' if ok else '**MISMATCH**'}.",
    ]
    body = "\n".join(lines)
    print(body)
    if not a.no_write:
        write_section("bench_spark", body)
        print("\nwritten to benchmarks/RESULTS.md", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""CLI reliability at scale: N rows with 1% malformed / odd rows keep count and order, memory stays flat.

    PYTHONPATH=src python3 benchmarks/bench_reliability.py --rows 1000000

Generates the input with benchmarks/gen_feedback_jsonl.py (bad JSON, missing
text, null / number text, invalid UTF-8, empty lines, and valid 200,000-character
texts), runs ``python -m feedback_nlp score IN -o OUT.jsonl`` in a subprocess
(peak RSS from ``os.wait4``), then checks every output line: one per input row,
ids 1..N in order, an ``error`` exactly on the malformed rows, a scored record
on every other row (the huge texts included), and the stderr summary counts.
Writes a section into benchmarks/RESULTS.md. tests/test_reliability.py runs the
same check with a small N (``FEEDBACK_NLP_RELIABILITY_ROWS`` to change it).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _results import write_section  # noqa: E402
from bench_analyze import RESULTS  # noqa: E402
from gen_feedback_jsonl import corpus_texts, error_rows, generate  # noqa: E402


def run_check(rows: int, workdir: str | Path, malformed_rate: float = 0.01, seed: int = 0) -> dict:
    """Generate, score with the CLI, verify. Raises AssertionError on any violation; returns numbers."""
    workdir = Path(workdir)
    inp, out = workdir / "reliability_in.jsonl", workdir / "reliability_out.jsonl"
    t = time.perf_counter()
    odd = generate(inp, rows, malformed_rate, seed=seed, texts=corpus_texts())
    gen_s = time.perf_counter() - t
    bad = error_rows(odd)
    huge = set(odd["huge_text"])
    cmd = [sys.executable, "-m", "feedback_nlp", "score", str(inp), "-o", str(out), "--workers", "1"]  # as measured
    import subprocess

    p_wall = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO, env=_env())
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - p_wall
    code = os.waitstatus_to_exitcode(status)
    assert code == 0, f"exit {code}: {err[-2000:]}"
    n_lines = 0
    kinds_seen: dict[str, int] = {}
    with open(out, "rb") as f:
        for row, line in enumerate(f, 1):
            rec = json.loads(line)
            n_lines = row
            assert rec["id"] == row, f"line {row} has id {rec['id']!r}: order or count broken"
            if row in bad:
                assert rec.get("error"), f"row {row} is malformed but has no error"
                assert rec["sentiment"] is None
                kinds_seen[rec["error"].split(":")[0]] = kinds_seen.get(rec["error"].split(":")[0], 0) + 1
            else:
                assert "error" not in rec or not rec["error"], f"row {row} is valid but got error {rec.get('error')}"
                assert rec["sentiment"] in ("negative", "neutral", "positive"), rec
                if row in huge:
                    assert rec["severity"] in ("low", "medium", "high", "critical")
    assert n_lines == rows, f"{n_lines} output lines for {rows} input rows"
    m = re.search(r"scored (\d+) records, (\d+) malformed", err)
    assert m, f"no summary on stderr: {err[-500:]}"
    assert (int(m.group(1)), int(m.group(2))) == (rows - len(bad), len(bad)), m.group(0)
    if bad:
        listed = re.search(r"\(rows: ([0-9, ]+)", err)
        assert listed and [int(x) for x in listed.group(1).split(",") if x.strip()][:5] == sorted(bad)[:5]
    size = inp.stat().st_size
    inp.unlink()
    out.unlink()
    return {"rows": rows, "malformed": len(bad), "huge_texts": len(huge),
            "odd_by_kind": {k: len(v) for k, v in odd.items()}, "errors_by_message": kinds_seen,
            "input_mb": size / 1e6, "generate_s": gen_s, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime,
            "peak_rss_mb": ru.ru_maxrss / 1024, "summary": m.group(0)}


def _env() -> dict:
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--malformed-rate", type=float, default=0.01)
    ap.add_argument("--results", default=str(RESULTS), help="markdown file to update ('' = do not write)")
    a = ap.parse_args(argv)
    started = _dt.datetime.now().astimezone()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="feedback_rel_") as tmp:
        r = run_check(a.rows, tmp, a.malformed_rate)
    command = "PYTHONPATH=src python3 benchmarks/bench_reliability.py" + "".join(
        f" {x}" for x in (argv if argv is not None else sys.argv[1:]))
    kinds = ", ".join(f"{k} {v:,}" for k, v in r["odd_by_kind"].items())
    lines = [
        f"### CLI reliability at scale — {started:%Y-%m-%d %H:%M %Z}",
        "",
        f"Command: `{command}` (load average {load0:.1f} at start)  ",
        f"Input: {r['rows']:,} JSONL rows ({r['input_mb']:.0f} MB) sampled from the corpora; odd rows: {kinds} "
        f"(huge = valid {200_000:,}-character texts, scored).",
        "",
        "| check | result |",
        "|---|---|",
        f"| output lines = input rows, ids 1..N in order | yes ({r['rows']:,}) |",
        f"| error records exactly on the malformed rows | yes ({r['malformed']:,}) |",
        f"| stderr summary | `{r['summary']}` |",
        f"| wall time / CPU time | {r['wall_s']:.0f} s / {r['cpu_s']:.0f} s ({r['rows'] / r['wall_s']:,.0f} rows/s) |",
        f"| peak RSS of the CLI process | {r['peak_rss_mb']:.0f} MB |",
    ]
    body = "\n".join(lines)
    print(body)
    if a.results:
        write_section("bench_reliability", body, Path(a.results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

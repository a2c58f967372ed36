"""Benchmark per-record analysis: throughput, latency, memory, size, load time, baselines, scaling.

    PYTHONPATH=src python3 benchmarks/bench_analyze.py            # full run (incl. the 1M-row CLI run)
    PYTHONPATH=src python3 benchmarks/bench_analyze.py --quick    # fast subset (no 100k/1M, small baseline samples)
    PYTHONPATH=src python3 benchmarks/bench_analyze.py --profile  # also print a cProfile of analyze_batch
    PYTHONPATH=src python3 benchmarks/bench_analyze.py --cli-compare [--rows 20000]
        # only: analyze_batch vs `score` with 1 and 2 workers on the same rows, side by side

Prints a markdown report and writes it into benchmarks/RESULTS.md (between this
script's markers; other sections of the file are kept). Every measurement runs
in its own subprocess, so each peak RSS (``ru_maxrss`` of that process, read
with ``os.wait4``) is independent of the others.

Texts: the test splits of the three shared corpora (``$FEEDBACK_NLP_DATA`` or
../shared/data). Binary accuracy: label 1 = positive; our model says positive
when ``sentiment_score > 0``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_section  # noqa: E402  (one writer of RESULTS.md sections for every benchmark)

RESULTS = REPO / "benchmarks" / "RESULTS.md"
#: score --workers 1 vs analyze_batch, and --workers 2 vs --workers 1 (2 cores), steady state.
CLI_TARGETS = {"one_vs_api": 0.9, "two_vs_one": 1.6}
TARGETS = {"batch": 5000.0, "p50_ms": 2.0, "rss_mb": 300.0}


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run_measured(cmd: list[str], stdin=None, stdout=subprocess.PIPE, timeout: float = 3600) -> tuple[float, int, str, float, float]:
    """Run ``cmd``; return ``(wall_s, peak_rss_bytes, stdout, user_s, sys_s)`` of that process alone."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=_env(), cwd=REPO)
    out = b""
    if stdout == subprocess.PIPE:
        out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({p.returncode}): {err.decode('utf-8', 'replace')[-2000:]}")
    return wall, ru.ru_maxrss * 1024, out.decode("utf-8"), ru.ru_utime, ru.ru_stime


def worker(name: str, *args: str) -> dict:
    """Run ``bench_analyze.py --worker name args`` in a fresh process; its JSON result plus peak RSS."""
    wall, rss, out, ut, st = run_measured([sys.executable, __file__, "--worker", name, *args])
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_rss_mb"] = rss / 2**20
    res["process_wall_s"] = wall
    res["process_cpu_s"] = ut + st
    return res


# --------------------------------------------------------------------------- workers (child processes)
def _load_texts(path: str) -> tuple[list[str], list[int]]:
    d = json.loads(Path(path).read_text(encoding="utf-8"))
    return d["texts"], d["labels"]


def w_import_load() -> dict:
    t0 = time.perf_counter()
    import feedback_nlp  # noqa: F401
    from feedback_nlp import FeedbackAnalyzer

    t1 = time.perf_counter()
    fa = FeedbackAnalyzer.load()
    t2 = time.perf_counter()
    fa.analyze("快递十天都没到")  # first call builds the featuriser's key table and the OpenCC converter
    t3 = time.perf_counter()
    return {"import_s": t1 - t0, "load_s": t2 - t1, "first_call_s": t3 - t2}


def w_batch(texts_file: str, reps: str = "3") -> dict:
    from feedback_nlp import FeedbackAnalyzer

    texts, _ = _load_texts(texts_file)
    fa = FeedbackAnalyzer.load()
    fa.analyze_batch(texts[:512])
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(int(reps)):
        t, c = time.perf_counter(), time.process_time()
        res = fa.analyze_batch(texts)
        best_wall = min(best_wall, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    assert len(res) == len(texts)
    return {"n": len(texts), "texts_per_s": len(texts) / best_wall, "texts_per_cpu_s": len(texts) / best_cpu}


def w_latency(texts_file: str, n: str = "3000") -> dict:
    from feedback_nlp import FeedbackAnalyzer

    texts, _ = _load_texts(texts_file)
    texts = texts[: int(n)]
    fa = FeedbackAnalyzer.load()
    for t in texts[:200]:
        fa.analyze(t)
    lat = []
    for t in texts:
        s = time.perf_counter()
        fa.analyze(t)
        lat.append(time.perf_counter() - s)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1e3  # noqa: E731
    return {"n": len(lat), "p50_ms": q(0.50), "p90_ms": q(0.90), "p99_ms": q(0.99), "max_ms": lat[-1] * 1e3}


def w_accuracy_ours(texts_file: str) -> dict:
    from feedback_nlp import FeedbackAnalyzer

    texts, labels = _load_texts(texts_file)
    fa = FeedbackAnalyzer.load()
    fa.analyze_batch(texts[:256])
    t = time.perf_counter()
    res = fa.analyze_batch(texts)
    dt = time.perf_counter() - t
    pred = [1 if r.sentiment_score > 0 else 0 for r in res]
    return {"n": len(texts), "accuracy": sum(p == y for p, y in zip(pred, labels)) / len(texts), "texts_per_s": len(texts) / dt}


def w_accuracy_snownlp(texts_file: str) -> dict:
    try:
        from snownlp import SnowNLP
    except ImportError as e:
        return {"error": f"not installed ({e})"}
    texts, labels = _load_texts(texts_file)
    SnowNLP("预热").sentiments
    t = time.perf_counter()
    pred = [1 if SnowNLP(x).sentiments > 0.5 else 0 for x in texts]
    dt = time.perf_counter() - t
    return {"n": len(texts), "accuracy": sum(p == y for p, y in zip(pred, labels)) / len(texts), "texts_per_s": len(texts) / dt}


def w_accuracy_cnsenti(texts_file: str) -> dict:
    import contextlib
    import io
    import logging

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            from cnsenti import Sentiment
    except ImportError as e:
        return {"error": f"not installed ({e})"}
    logging.getLogger("jieba").setLevel(logging.ERROR)
    texts, labels = _load_texts(texts_file)
    senti = Sentiment()
    with contextlib.redirect_stdout(io.StringIO()):
        senti.sentiment_calculate("预热一下")
    t = time.perf_counter()
    pred = []
    for x in texts:
        r = senti.sentiment_calculate(x)
        pred.append(1 if r["pos"] > r["neg"] else 0)  # ties (incl. no sentiment words) -> negative
    dt = time.perf_counter() - t
    return {"n": len(texts), "accuracy": sum(p == y for p, y in zip(pred, labels)) / len(texts), "texts_per_s": len(texts) / dt}


def w_accuracy_tfidf(train_file: str, texts_file: str, sample_file: str) -> dict:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train, ytrain = _load_texts(train_file)
    t = time.perf_counter()
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=200_000)
    clf = LogisticRegression(max_iter=1000, C=4.0)
    clf.fit(vec.fit_transform(train), ytrain)
    train_s = time.perf_counter() - t
    out = {"train_s": train_s, "n_train": len(train)}
    for key, f in (("full", texts_file), ("sample", sample_file)):
        texts, labels = _load_texts(f)
        t = time.perf_counter()
        pred = clf.predict(vec.transform(texts))
        dt = time.perf_counter() - t
        out[key] = {"n": len(texts), "accuracy": float(np.mean(np.asarray(pred) == np.asarray(labels))),
                    "texts_per_s": len(texts) / dt}
    return out


def w_profile(texts_file: str) -> dict:
    import cProfile
    import io
    import pstats

    from feedback_nlp import FeedbackAnalyzer

    texts, _ = _load_texts(texts_file)
    fa = FeedbackAnalyzer.load()
    fa.analyze_batch(texts[:256])
    pr = cProfile.Profile()
    pr.enable()
    fa.analyze_batch(texts)
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(15)
    return {"profile": s.getvalue()}


WORKERS = {"import_load": w_import_load, "batch": w_batch, "latency": w_latency, "ours": w_accuracy_ours,
           "snownlp": w_accuracy_snownlp, "cnsenti": w_accuracy_cnsenti, "tfidf": w_accuracy_tfidf,
           "profile": w_profile}


# --------------------------------------------------------------------------- parent
def _dump(path: Path, texts, labels) -> str:
    path.write_text(json.dumps({"texts": texts, "labels": labels}, ensure_ascii=False), encoding="utf-8")
    return str(path)


def cli_run(inp: Path, output: str = "-", workers: int = 1) -> tuple[float, float, float]:
    """``python -m feedback_nlp score INP -o OUTPUT -q --workers N`` (default 1: one process, as before
    ``score`` used every CPU by default); (wall s, peak RSS MB, cpu s).

    stdout is discarded. CPU time includes the worker processes (reaped children); peak
    RSS is that of the largest process.
    """
    cmd = [sys.executable, "-m", "feedback_nlp", "score", str(inp), "-o", output, "-q", "--workers", str(workers)]
    wall, rss, _, ut, st = run_measured(cmd, stdout=subprocess.DEVNULL)
    return wall, rss / 2**20, ut + st


def cli_compare(texts: list[str], tmp: Path, reps: int = 3) -> dict:
    """``analyze_batch`` and ``score`` (1 and 2 workers) on the same rows, one after the other.

    Each CLI figure is the best of ``reps`` runs; the steady-state rate subtracts the
    best wall time of the same command on a 1-row file (interpreter start, import,
    model load, first call, pool start), so it compares with ``analyze_batch``, which
    is timed after loading.
    """
    rows = tmp / "compare.jsonl"
    with open(rows, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts, 1):
            f.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
    one = tmp / "one.jsonl"
    one.write_text(json.dumps({"id": 1, "text": texts[0]}, ensure_ascii=False) + "\n", encoding="utf-8")
    tf = _dump(tmp / "compare.json", texts, [0] * len(texts))
    print(f"cli compare: analyze_batch on {len(texts):,} texts ...", file=sys.stderr)
    out = {"n": len(texts), "reps": reps, "load_before": os.getloadavg()[0], "batch": worker("batch", tf, str(reps))}
    # Interleaved (1, 2, 1, 2, ...) so that both settings see the same load on a shared machine.
    timed: dict = {1: ([], []), 2: ([], [])}
    for rep in range(reps):
        for w in (1, 2):
            print(f"cli compare: score --workers {w}, run {rep + 1} of {reps} ...", file=sys.stderr)
            timed[w][0].append(cli_run(rows, workers=w))
            timed[w][1].append(cli_run(one, workers=w))
    for w in (1, 2):
        runs, starts = timed[w]
        start, start_cpu = min(r[0] for r in starts), min(r[2] for r in starts)
        wall, rss, cpu = min(runs)
        out[w] = {"wall": wall, "rss": max(r[1] for r in runs), "cpu": min(r[2] for r in runs), "startup": start,
                  "rate": len(texts) / wall, "steady": (len(texts) - 1) / max(wall - start, 1e-9),
                  "steady_cpu": (len(texts) - 1) / max(min(r[2] for r in runs) - start_cpu, 1e-9)}
    out["load_after"] = os.getloadavg()[0]
    return out


def cli_compare_lines(c: dict, command: str, when) -> list[str]:
    b, one, two = c["batch"], c[1], c[2]
    ok = lambda cond: "yes" if cond else "**no**"  # noqa: E731
    r1, r2 = one["steady"] / b["texts_per_s"], two["steady"] / one["steady"]
    return [
        f"### CLI `score` vs `analyze_batch`, same {c['n']:,} rows — {when:%Y-%m-%d %H:%M %Z}",
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} CPU cores visible, Python {platform.python_version()}; load average "
        f"{c['load_before']:.1f} at start, {c['load_after']:.1f} at end (shared machine: other jobs compete for "
        f"the cores, so wall-clock rates vary between runs).  ",
        f"Rows: {c['n']:,} texts sampled from all corpus texts (seed 0), as `{{\"id\", \"text\"}}` JSONL for the "
        f"CLI and as a list for `analyze_batch`. Every figure is the best of {c['reps']} runs (the CLI runs alternate "
        f"between 1 and 2 workers). 'Steady state' subtracts the "
        f"wall time of the same command on a 1-row file (start-up: "
        f"{one['startup']:.2f} s with 1 worker, {two['startup']:.2f} s with 2).",
        "",
        "| measurement | rows/s steady state | rows/s end to end | rows per CPU-second, steady state | wall / CPU s "
        "| peak RSS (largest process) | ratio (steady state, wall) | target | met |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| `FeedbackAnalyzer.analyze_batch` (after load) | {_fmt(b['texts_per_s'])} | – | {_fmt(b['texts_per_cpu_s'])} "
        f"| – | {b['peak_rss_mb']:.0f} MB | 1.00 | | |",
        f"| `feedback-nlp score rows.jsonl -o - -q` (1 process) | {_fmt(one['steady'])} | {_fmt(one['rate'])} | "
        f"{_fmt(one['steady_cpu'])} | {one['wall']:.2f} / {one['cpu']:.2f} | {one['rss']:.0f} MB | "
        f"{r1:.2f} × analyze_batch | ≥ 0.9 | {ok(r1 >= CLI_TARGETS['one_vs_api'])} |",
        f"| `feedback-nlp score rows.jsonl -o - -q --workers 2` | {_fmt(two['steady'])} | {_fmt(two['rate'])} | "
        f"{_fmt(two['steady_cpu'])} (all processes) | {two['wall']:.2f} / {two['cpu']:.2f} | {two['rss']:.0f} MB | "
        f"{r2:.2f} × 1 process | ≥ 1.6 | {ok(r2 >= CLI_TARGETS['two_vs_one'])} |",
        "",
        f"Per CPU-second (independent of other load): 1 process does {one['steady_cpu'] / b['texts_per_cpu_s']:.2f} × "
        f"the work of `analyze_batch` (reading and writing JSONL cost the rest); 2 workers spend "
        f"{b['texts_per_cpu_s'] / two['steady_cpu'] - 1:+.0%} CPU per row over `analyze_batch` (pickling batches "
        f"and results, the parent's reading and writing), so on 2 otherwise idle cores they can reach at most "
        f"{2 * two['steady_cpu'] / one['steady_cpu']:.2f} × 1 process.",
    ]


def model_size_mb() -> tuple[float, float]:
    sys.path.insert(0, str(SRC))
    from feedback_nlp.pipeline import default_model_path

    d = default_model_path()
    files = [f for f in d.rglob("*") if f.is_file()]
    total = sum(f.stat().st_size for f in files)
    onnx = sum(f.stat().st_size for f in files if f.suffix == ".onnx")
    return (total - onnx) / 1e6, onnx / 1e6


def _fmt(x: float, nd: int = 0) -> str:
    return f"{x:,.{nd}f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="feedback-nlp per-record analysis benchmark")
    ap.add_argument("--quick", action="store_true", help="fast subset: scaling 1k/10k only, baselines on 300 texts")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of analyze_batch")
    ap.add_argument("--sample", type=int, default=None, help="texts for the slow baselines (default 1000; quick 300)")
    ap.add_argument("--sizes", default=None, help="comma-separated CLI scaling sizes (default 1000,10000,100000,1000000)")
    ap.add_argument("--results", default=str(RESULTS), help="markdown file to update ('' = do not write)")
    ap.add_argument("--cli-compare", action="store_true",
                    help="only compare analyze_batch with score --workers 1/2 on the same rows (own section)")
    ap.add_argument("--rows", type=int, default=20_000, help="rows for --cli-compare (default 20,000)")
    ap.add_argument("--reps", type=int, default=3, help="runs per figure for --cli-compare (best is kept; default 3)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        print(json.dumps(WORKERS[a.worker](*a.args), ensure_ascii=False))
        return 0

    sys.path.insert(0, str(SRC))
    from feedback_nlp.labelled_data import CORPORA, load_corpus
    from gen_feedback_jsonl import generate

    started = _dt.datetime.now().astimezone()
    load_before = os.getloadavg()
    command = "PYTHONPATH=src python3 benchmarks/bench_analyze.py" + "".join(f" {x}" for x in (argv if argv is not None else sys.argv[1:]))
    sample_n = a.sample or (300 if a.quick else 1000)
    sizes = [int(s) for s in a.sizes.split(",")] if a.sizes else ([1000, 10_000] if a.quick else [1000, 10_000, 100_000, 1_000_000])

    if a.cli_compare:
        all_texts = [r["text"] for c in CORPORA for r in load_corpus(c)]
        rows = random.Random(0).sample(all_texts, min(a.rows, len(all_texts)))
        with tempfile.TemporaryDirectory(prefix="feedback_bench_") as tmp:
            body = "\n".join(cli_compare_lines(cli_compare(rows, Path(tmp), reps=a.reps), command, started))
        print(body)
        if a.results:
            write_section("bench_analyze_cli", body, Path(a.results))
            print(f"\nwritten to {a.results}", file=sys.stderr)
        return 0

    test = [r for c in CORPORA for r in load_corpus(c, "test")]
    train = [r for c in CORPORA for r in load_corpus(c, "train")]
    all_texts = [r["text"] for c in CORPORA for r in load_corpus(c)]
    texts, labels = [r["text"] for r in test], [r["label"] for r in test]
    rng = random.Random(0)
    sample = rng.sample(test, min(sample_n, len(test)))

    lines: list[str] = []
    say = lambda s="": (print(s, flush=True), lines.append(s))  # noqa: E731

    with tempfile.TemporaryDirectory(prefix="feedback_bench_") as tmp:
        tmp = Path(tmp)
        tf = _dump(tmp / "test.json", texts, labels)
        sf = _dump(tmp / "sample.json", [r["text"] for r in sample], [r["label"] for r in sample])
        trf = _dump(tmp / "train.json", [r["text"] for r in train], [r["label"] for r in train])

        print("measuring import + load ...", file=sys.stderr)
        il = worker("import_load")
        print("measuring analyze_batch ...", file=sys.stderr)
        b = worker("batch", tf)
        print("measuring analyze() latency ...", file=sys.stderr)
        lat = worker("latency", tf, "1000" if a.quick else "3000")
        print("measuring CLI on the test texts ...", file=sys.stderr)
        cli_in = tmp / "test.jsonl"
        with open(cli_in, "w", encoding="utf-8") as f:
            for i, t in enumerate(texts, 1):
                f.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
        cli_out = tmp / "test_out.jsonl"
        cw, crss, ccpu = cli_run(cli_in, str(cli_out))
        n_out = sum(1 for _ in open(cli_out, encoding="utf-8"))
        assert n_out == len(texts), (n_out, len(texts))
        startup = il["import_s"] + il["load_s"] + il["first_call_s"]
        onnx_size = model_size_mb()

        print("baselines ...", file=sys.stderr)
        ours_full = worker("ours", tf)
        ours_sample = worker("ours", sf)
        tfidf = worker("tfidf", trf, tf, sf)
        snow = worker("snownlp", sf)
        cns = worker("cnsenti", sf)

        scaling = []
        for n in sizes:
            print(f"CLI scaling: {n:,} rows ...", file=sys.stderr)
            p = tmp / f"scale_{n}.jsonl"
            generate(p, n, texts=all_texts, seed=n)
            w, rss, cpu = cli_run(p)
            scaling.append((n, p.stat().st_size / 1e6, w, rss, cpu))
            p.unlink()

        prof = worker("profile", tf)["profile"] if a.profile else None

    load_after = os.getloadavg()
    ok = lambda cond: "yes" if cond else "**no**"  # noqa: E731
    say(f"### Per-record analysis benchmark — {started:%Y-%m-%d %H:%M %Z}")
    say()
    say(f"Command: `{command}`  ")
    say(f"Machine: {os.cpu_count()} CPU cores visible ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; load average "
        f"{load_before[0]:.1f} at start, {load_after[0]:.1f} at end (the machine is shared: wall-clock numbers "
        f"include waiting for a core; 'per CPU-second' divides by this process's own CPU time).  ")
    say(f"Texts: test splits of the three corpora ({len(texts):,} texts, mean "
        f"{sum(map(len, texts)) / len(texts):.0f} characters). All analysis is single-threaded.")
    say()
    say("| measurement | value | target | met |")
    say("|---|---|---|---|")
    say(f"| `FeedbackAnalyzer.analyze_batch`, full per-record analysis | {_fmt(b['texts_per_s'])} texts/s "
        f"({_fmt(b['texts_per_cpu_s'])} per CPU-second) | ≥ 5,000 texts/s | {ok(b['texts_per_s'] >= TARGETS['batch'])} |")
    say(f"| CLI `python -m feedback_nlp score test.jsonl -o out.jsonl` ({len(texts):,} rows, end to end incl. start-up) "
        f"| {_fmt(len(texts) / cw)} texts/s ({cw:.2f} s; {_fmt(len(texts) / ccpu)} per CPU-second) | | |")
    say(f"| CLI excluding start-up (import + load + first call {startup:.2f} s) | "
        f"{_fmt(len(texts) / max(cw - startup, 1e-9))} texts/s (reading + analysis + writing JSONL) | | |")
    say(f"| `analyze()` single-text latency, p50 / p90 / p99 / max ({lat['n']:,} texts) | "
        f"{lat['p50_ms']:.2f} / {lat['p90_ms']:.2f} / {lat['p99_ms']:.2f} / {lat['max_ms']:.1f} ms | p50 ≤ 2 ms | "
        f"{ok(lat['p50_ms'] <= TARGETS['p50_ms'])} |")
    peak = max(b["peak_rss_mb"], lat["peak_rss_mb"], crss)
    say(f"| peak RSS: analyze_batch process / latency process / CLI process | {b['peak_rss_mb']:.0f} / "
        f"{lat['peak_rss_mb']:.0f} / {crss:.0f} MB | ≤ 300 MB | {ok(peak <= TARGETS['rss_mb'])} |")
    say(f"| shipped model on disk (model.json, vocab.txt, idf.npy, heads/, cards) | {onnx_size[0]:.1f} MB | | |")
    say(f"| + exported model.onnx (for non-Python hosts) | {onnx_size[1]:.1f} MB | | |")
    say(f"| `import feedback_nlp` / `FeedbackAnalyzer.load()` / first `analyze()` | {il['import_s']:.2f} / "
        f"{il['load_s']:.2f} / {il['first_call_s']:.2f} s (peak RSS {il['peak_rss_mb']:.0f} MB) | | |")
    say()
    say(f"#### Binary sentiment on the same test texts (label 1 = positive)")
    say()
    say(f"Slow baselines run on a random sample of {len(sample):,} test texts (seed 0); every model is also "
        f"shown on that sample. Our model and TF-IDF+LR are single processes scoring in batches; SnowNLP and "
        f"cnsenti are called per text (their API).")
    say()
    say(f"| model | accuracy, all {len(texts):,} test texts | accuracy, sample of {len(sample):,} | texts/s | notes |")
    say("|---|---|---|---|---|")
    say(f"| feedback-zh-ngram (sign of `sentiment_score`, full analysis) | {ours_full['accuracy']:.4f} | "
        f"{ours_sample['accuracy']:.4f} | {_fmt(ours_full['texts_per_s'])} | all tasks, not only sentiment |")
    say(f"| char 1–3-gram TF-IDF + LogisticRegression (scikit-learn, trained on the 3 train splits) | "
        f"{tfidf['full']['accuracy']:.4f} | {tfidf['sample']['accuracy']:.4f} | {_fmt(tfidf['full']['texts_per_s'])} | "
        f"{tfidf['n_train']:,} training texts, {tfidf['train_s']:.0f} s to train; sentiment only |")
    for name, r, note in (("SnowNLP (`SnowNLP(t).sentiments > 0.5`)", snow, "general-purpose model (trained on product reviews)"),
                          ("cnsenti (`Sentiment().sentiment_calculate`, pos > neg)", cns, "lexicon + jieba; ties → negative")):
        if "error" in r:
            say(f"| {name} | – | – | – | {r['error']} |")
        else:
            say(f"| {name} | – | {r['accuracy']:.4f} | {_fmt(r['texts_per_s'])} | {note} |")
    say()
    say("#### CLI scaling (`python -m feedback_nlp score rows.jsonl -o - -q > /dev/null`, rows sampled from all corpus texts)")
    say()
    say("| rows | input size | wall time | texts/s (end to end) | CPU time | texts per CPU-second | peak RSS |")
    say("|---|---|---|---|---|---|---|")
    for n, size, w, rss, cpu in scaling:
        say(f"| {n:,} | {size:.1f} MB | {w:.1f} s | {_fmt(n / w)} | {cpu:.1f} s | {_fmt(n / cpu)} | {rss:.0f} MB |")
    if len(scaling) >= 2:
        (n0, _, w0, r0, _), (n1, _, w1, r1, _) = scaling[0], scaling[-1]
        say()
        say(f"Cost per 1,000 rows: {1000 * w0 / n0:.2f} s at {n0:,} rows (start-up dominated) vs "
            f"{1000 * w1 / n1:.2f} s at {n1:,} rows; peak RSS {r0:.0f} MB → {r1:.0f} MB.")
    if prof:
        say()
        say("#### cProfile of analyze_batch (test texts), top 15 by own time")
        say()
        say("```")
        say(prof.rstrip())
        say("```")

    if a.results:
        write_section("bench_analyze", "\n".join(lines), Path(a.results))
        print(f"\nwritten to {a.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

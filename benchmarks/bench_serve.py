"""Bounded load test of ``feedback-nlp serve`` on loopback: requests/s, texts/s, p50/p99 latency.

    PYTHONPATH=src python3 benchmarks/bench_serve.py [--workers 1,2] [--sizes 1,32] [--concurrency 1,4,16]
                                                    [--seconds 5] [--max-requests 5000] [--no-write]

For each server worker count, starts ``python -m feedback_nlp serve --host
127.0.0.1 --port 0 --workers N`` (the shipped model), then for each (texts per
request, concurrency) cell runs ``concurrency`` client threads, each with its own
keep-alive HTTP/1.1 connection, posting ``{"texts": [...]}`` until ``--seconds``
have passed or ``--max-requests`` requests were sent (whichever is first),
after a short warm-up. The server is stopped after its cells; nothing is left
running. Texts are corpus reviews (gen_feedback_jsonl.corpus_texts; needs
../shared/data or $FEEDBACK_NLP_DATA). The client threads share the machine's
cores with the server, so on a small machine the figures are a floor.
Prints a markdown section and, unless ``--no-write``, puts it into
benchmarks/RESULTS.md (between the bench_serve markers).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import http.client
import json
import os
import platform
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
HOST = "127.0.0.1"  # loopback only


def start_server(workers: int) -> tuple[subprocess.Popen, int]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "feedback_nlp", "serve", "--host", HOST, "--port", "0",
                             "--workers", str(workers), "--max-records", "1000"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO)
    port = None
    deadline = time.monotonic() + 120
    for line in proc.stdout:  # uvicorn logs the bound port
        m = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
        if time.monotonic() > deadline:
            break
    if port is None:
        stop_server(proc)
        raise RuntimeError("the server did not start")
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # drain the log
    while True:  # workers load the model after the socket is bound
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError("the server did not answer /healthz")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_cell(port: int, texts: list[str], size: int, concurrency: int, seconds: float, max_requests: int,
             seed: int = 0, warmup: int = 3) -> dict:
    """Drive the server with ``concurrency`` threads; latencies of the successful requests."""
    lat: list[float] = []
    counts = {"sent": 0, "errors": 0}
    lock = threading.Lock()
    rngs = [random.Random(seed * 1000 + k) for k in range(concurrency)]
    conns = [http.client.HTTPConnection(HOST, port, timeout=60) for _ in range(concurrency)]
    hdr = {"Content-Type": "application/json"}

    def post(k: int) -> tuple[bool, float]:
        body = json.dumps({"texts": rngs[k].sample(texts, size)}, ensure_ascii=False).encode("utf-8")
        t0 = time.perf_counter()
        conns[k].request("POST", "/v1/analyze", body, hdr)
        resp = conns[k].getresponse()
        data = resp.read()
        dt = time.perf_counter() - t0
        return resp.status == 200 and len(json.loads(data)["results"]) == size, dt

    def warm(k: int) -> None:
        for _ in range(warmup):
            post(k)

    def measure(k: int, stop_at: float) -> None:
        while True:
            with lock:
                if counts["sent"] >= max_requests or time.perf_counter() >= stop_at:
                    return
                counts["sent"] += 1
            ok, dt = post(k)
            with lock:
                if ok:
                    lat.append(dt)
                else:
                    counts["errors"] += 1

    def in_threads(fn, *args) -> None:
        threads = [threading.Thread(target=fn, args=(k, *args)) for k in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    try:
        in_threads(warm)  # same keep-alive connections as the measurement
        t0 = time.perf_counter()
        in_threads(measure, t0 + seconds)
        wall = time.perf_counter() - t0
    finally:
        for c in conns:
            c.close()
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, max(0, int(round(p / 100 * len(lat))) - 1))] * 1000 if lat else float("nan")

    return {"requests": len(lat), "errors": counts["errors"], "wall": wall, "rps": len(lat) / wall,
            "tps": len(lat) * size / wall, "p50": pct(50), "p99": pct(99)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--sizes", default="1,32", help="texts per request")
    ap.add_argument("--concurrency", default="1,4,16")
    ap.add_argument("--seconds", type=float, default=5.0, help="measuring time per cell")
    ap.add_argument("--max-requests", type=int, default=5000, help="most requests per cell")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    a = ap.parse_args(argv)
    command = "PYTHONPATH=src python3 benchmarks/bench_serve.py" + "".join(f" {x}" for x in (argv or sys.argv[1:]))
    from _results import write_section
    from gen_feedback_jsonl import corpus_texts

    texts = corpus_texts()
    workers = [int(x) for x in a.workers.split(",")]
    sizes = [int(x) for x in a.sizes.split(",")]
    concs = [int(x) for x in a.concurrency.split(",")]
    started = _dt.datetime.now(_dt.timezone.utc)
    load_before = os.getloadavg()
    rows = []
    for w in workers:
        proc, port = start_server(w)
        try:
            for size in sizes:
                for c in concs:
                    r = run_cell(port, texts, size, c, a.seconds, a.max_requests)
                    rows.append((w, size, c, r))
                    print(f"workers {w} size {size} conc {c}: {r['rps']:.0f} req/s, {r['tps']:.0f} texts/s, "
                          f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, errors {r['errors']}", file=sys.stderr)
        finally:
            stop_server(proc)
    load_after = os.getloadavg()
    lines = [
        f"### HTTP service load test — {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} CPU cores visible, Python {platform.python_version()}; load average "
        f"{load_before[0]:.1f} at start, {load_after[0]:.1f} at end (shared machine; the client threads run on the "
        "same cores as the server).  ",
        f"Server: `feedback-nlp serve --host 127.0.0.1 --port 0 --workers N` (shipped model); each cell measures "
        f"{a.seconds:g} s or {a.max_requests:,} requests after a 3-request warm-up per connection; "
        "one keep-alive connection per client thread; corpus texts (mean ~55 characters).",
        "",
        "| workers | texts/request | concurrency | requests | requests/s | texts/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for w, size, c, r in rows:
        lines.append(f"| {w} | {size} | {c} | {r['requests']:,} | {r['rps']:,.0f} | {r['tps']:,.0f} | "
                     f"{r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |")
    body = "\n".join(lines)
    print(body)
    if not a.no_write:
        write_section("bench_serve", body)
        print("\nwritten to benchmarks/RESULTS.md", file=sys.stderr)
    return 0 if all(r["errors"] == 0 for *_, r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

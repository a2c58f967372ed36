"""feedback_nlp.cli: `score` and `analyze` over a tiny random model built in tmp_path."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cli_helpers
from cli_helpers import SRC, TTY, assert_one_line_error, lines, run, scored_fields
from conftest import CRITICAL_TEXT, NEVER_CRITICAL_REVIEWS_ARGS
from io_helpers import jl
import feedback_nlp
from feedback_nlp import cli
from feedback_nlp.cli import build_parser, main
from feedback_nlp.io import SCORE_FIELDNAMES
from feedback_nlp.result import FIELDS

analyzer = cli_helpers.analyzer  # fixture
model_dir = cli_helpers.model_dir  # fixture


# ----------------------------------------------------------------------------- parser
def test_help_and_version(monkeypatch):
    rc, out, _ = run(monkeypatch, ["--help"])
    assert rc == 0 and b"score" in out and b"analyze" in out
    rc, out, _ = run(monkeypatch, ["--version"])
    assert rc == 0 and feedback_nlp.__version__.encode() in out


def test_usage_errors_return_2(monkeypatch):
    assert run(monkeypatch, [])[0] == 2
    assert run(monkeypatch, ["bogus"])[0] == 2
    assert run(monkeypatch, ["score"])[0] == 2


def test_every_command_has_a_handler():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"score", "analyze"} <= set(sub.choices)
    for p in sub.choices.values():
        assert callable(p.get_default("func"))


# ----------------------------------------------------------------------------- score
def test_score_jsonl_to_jsonl(tmp_path, monkeypatch, model_dir, analyzer):
    texts = ["快递十天都没到，客服也不回消息", "质量很好，下次还来", "颜色和图片不一样"]
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl(*({"id": f"r{i}", "text": t} for i, t in enumerate(texts))))
    out = tmp_path / "out.jsonl"
    rc, stdout, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir])
    assert rc == 0 and stdout == b""
    recs = lines(out.read_bytes())
    assert [r["id"] for r in recs] == ["r0", "r1", "r2"]
    assert all(list(r) == list(FIELDS) for r in recs)
    expected = [r.to_dict() for r in analyzer.analyze_batch(texts, ids=["r0", "r1", "r2"])]
    assert recs == expected
    assert stderr.strip() == "scored 3 records, 0 malformed"


def test_score_malformed_rows_in_place(tmp_path, monkeypatch, model_dir):
    data = (jl({"id": "a", "text": "好"})
            + b"{not json\n"
            + b"\n"
            + jl({"id": "b"})
            + jl({"id": "c", "text": 5})
            + b'{"text": "\xff"}\n'
            + jl({"text": "最后"}))
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(data)
    rc, stdout, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--batch-size", "2"])
    assert rc == 0
    recs = lines(stdout)
    assert len(recs) == 7
    assert [r["id"] for r in recs] == ["a", 2, 3, "b", "c", 6, 7]
    assert [("error" in r) for r in recs] == [False, True, True, True, True, True, False]
    assert recs[2]["error"] == "empty line"
    assert recs[3]["error"] == "missing text field 'text'"
    assert recs[4]["error"] == "text field must be a string, got number"
    assert recs[5]["error"] == "invalid UTF-8 at byte 10"
    for r in recs[1:6]:
        assert set(r) == set(FIELDS) | {"error"}
        assert all(r[k] is None for k in FIELDS if k != "id")
    assert stderr.strip() == "scored 2 records, 5 malformed (rows: 2, 3, 4, 5, 6)"


def test_score_summary_lists_first_20_rows(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(b"".join(b"{bad\n" if i % 2 else b'{"text":"x"}\n' for i in range(60)))
    rc, stdout, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir, "-q"])
    assert rc == 0 and len(lines(stdout)) == 60
    rows = ", ".join(str(i) for i in range(2, 41, 2))
    assert stderr.strip() == f"scored 30 records, 30 malformed (rows: {rows}, ... first 20)"


def test_quiet_hides_summary_when_all_rows_scored(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--quiet"])
    assert rc == 0 and stderr == ""


def test_score_csv_to_csv(tmp_path, monkeypatch, model_dir, analyzer):
    inp = tmp_path / "in.csv"
    inp.write_bytes("id,text,shop\n1,\"物流太慢, 差评\",A\n2,质量不错,B\n3,多,余,列\n,没有id,C\n".encode())
    out = tmp_path / "out.csv"
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir])
    assert rc == 0
    with open(out, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == list(SCORE_FIELDNAMES)
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["error"] for r in rows] == ["", "", "expected 3 columns, got 4", ""]
    assert rows[2]["sentiment"] == "" and rows[2]["issue_scores"] == ""
    expected = analyzer.analyze("物流太慢, 差评", id="1")
    assert rows[0]["sentiment"] == expected.sentiment
    assert json.loads(rows[0]["issue_types"]) == expected.issue_types
    assert json.loads(rows[0]["issue_scores"]) == expected.issue_scores
    assert rows[0]["is_spam"] == ("true" if expected.is_spam else "false")
    assert "1 malformed (rows: 3)" in stderr


def test_score_jsonl_to_csv_and_csv_to_jsonl_custom_fields(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.csv"
    inp.write_bytes("review_id,content\nx1,发货很快\n".encode())
    rc, stdout, _ = run(monkeypatch, ["score", str(inp), "--model", model_dir,
                                      "--text-field", "content", "--id-field", "review_id"])
    assert rc == 0 and [r["id"] for r in lines(stdout)] == ["x1"]
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir])
    assert rc == 2 and "no column 'text'" in stderr
    js = tmp_path / "in.jsonl"
    js.write_bytes(jl({"review_id": "x1", "content": "发货很快"}))
    rc, stdout, stderr = run(monkeypatch, ["score", str(js), "--model", model_dir, "--text-field", "body"])
    assert rc == 2 and "no field 'body' in the first 1 JSON object(s) (fields: content, review_id)" in stderr
    assert not stdout


def test_score_stdin_to_stdout(monkeypatch, model_dir):
    data = jl({"text": "好"}) + b"\xfe\xff\n" + jl({"id": 9, "text": "差"})
    rc, stdout, stderr = run(monkeypatch, ["score", "-", "--model", model_dir], stdin=data)
    assert rc == 0
    recs = lines(stdout)
    assert [r["id"] for r in recs] == [1, 2, 9]
    assert recs[1]["error"] == "invalid UTF-8 at byte 0"
    assert "scored 2 records, 1 malformed (rows: 2)" in stderr


def test_score_stdin_csv_to_stdout_csv(monkeypatch, model_dir):
    rc, stdout, _ = run(monkeypatch, ["score", "-", "--input-format", "csv", "--output-format", "csv",
                                      "--model", model_dir], stdin="text\n好\n".encode())
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(stdout.decode())))
    assert len(rows) == 1 and rows[0]["id"] == "1" and rows[0]["error"] == ""


def test_score_missing_ids_empty_long_and_traditional(tmp_path, monkeypatch, model_dir, analyzer):
    long = "快递太慢了" * 20_000  # 100k characters
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": ""}, {"text": "   "}, {"text": long}, {"text": "質量很差，發貨太慢"},
                       {"text": "质量很差，发货太慢"}))
    rc, stdout, _ = run(monkeypatch, ["score", str(inp), "--model", model_dir])
    assert rc == 0
    recs = lines(stdout)
    assert [r["id"] for r in recs] == [1, 2, 3, 4, 5]
    for r in recs[:2]:  # empty text: the neutral result
        assert "error" not in r
        assert r["sentiment"] == "neutral" and r["severity"] == "low" and r["severity_reasons"] == ["empty text"]
        assert r["issue_types"] == [] and r["is_spam"] is False
    assert "error" not in recs[2] and recs[2]["sentiment"] in ("negative", "neutral", "positive")
    assert scored_fields(recs[2]) == scored_fields(analyzer.analyze(long).to_dict())
    # Traditional is normalised to Simplified: same decisions
    assert scored_fields(recs[3]) == scored_fields(recs[4])


def test_keep_text_and_mask_pii(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "联系我13812345678"}, {"nope": 1}))
    rc, stdout, _ = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--keep-text"])
    recs = lines(stdout)
    assert list(recs[0])[:2] == ["id", "text"] and recs[0]["text"] == "联系我13812345678"
    assert recs[1]["text"] is None and recs[1]["error"]
    rc, stdout, _ = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--keep-text", "--mask-pii"])
    assert lines(stdout)[0]["text"] == "联系我[PHONE]"
    out = tmp_path / "out.csv"
    rc, _, _ = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir, "--keep-text",
                                 "--mask-pii"])
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["text"] == "联系我[PHONE]"


class _CountingAnalyzer:
    """Stands in for FeedbackAnalyzer: fast, and records the batch sizes it is given."""

    output_fields = list(FIELDS)

    def __init__(self):
        self.batches = []

    def analyze_batch(self, texts, ids=None, batch_size=256, channels=None):
        from feedback_nlp.result import FeedbackResult

        self.batches.append(len(texts))
        return [FeedbackResult(id=i, spam_score=float(len(t))) for t, i in zip(texts, ids)]


def test_score_20k_rows_stream_in_order(tmp_path, monkeypatch):
    import feedback_nlp.cli.common as cli_common

    fake = _CountingAnalyzer()
    monkeypatch.setattr(cli_common, "load_analyzer", lambda model, routing, task_models=None, thresholds=None: fake)
    n = 20_000
    inp = tmp_path / "big.jsonl"
    with open(inp, "wb") as f:
        for i in range(n):
            f.write(b"{oops\n" if i % 997 == 0 else b'{"id": %d, "text": "review %d"}\n' % (i, i))
    out = tmp_path / "out.jsonl"
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--batch-size", "512", "--workers", "1"])
    assert rc == 0
    count = 0
    with open(out, encoding="utf-8") as f:
        for i, line in enumerate(f):
            r = json.loads(line)
            if i % 997 == 0:
                assert r["id"] == i + 1 and r["error"].startswith("invalid JSON")
            else:
                assert r["id"] == i and "error" not in r and r["spam_score"] == len(f"review {i}")
            count += 1
    assert count == n
    n_bad = len(range(0, n, 997))
    assert stderr.startswith(f"scored {n - n_bad} records, {n_bad} malformed (rows: 1, 998,")
    # streamed in chunks of at most --batch-size input rows, never all at once
    assert max(fake.batches) <= 512 and sum(fake.batches) == n - n_bad


def test_score_real_model_many_rows(tmp_path, monkeypatch, model_dir, analyzer):
    texts = [f"第{i}单快递{'很慢' if i % 2 else '很快'}" for i in range(600)]
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl(*({"text": t} for t in texts)))
    rc, stdout, _ = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--batch-size", "64"])
    assert rc == 0
    assert lines(stdout) == [r.to_dict() for r in analyzer.analyze_batch(texts)]


def test_progress_on_tty_stderr_only(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}, {"text": "差"}))
    out = tmp_path / "out.jsonl"
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir], stderr=TTY())
    assert rc == 0 and "\r2 records" in stderr and "rec/s" in stderr
    assert len(lines(out.read_bytes())) == 2
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir, "-q"],
                        stderr=TTY())
    assert stderr == ""


# ----------------------------------------------------------------------------- errors


def test_missing_input_file(tmp_path, monkeypatch, model_dir):
    rc, _, stderr = run(monkeypatch, ["score", str(tmp_path / "nope.jsonl"), "--model", model_dir])
    assert_one_line_error(rc, stderr, "input file not found")


def test_unknown_extensions(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.txt"
    inp.write_text("hello")
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir])
    assert_one_line_error(rc, stderr, "cannot tell the format")
    good = tmp_path / "in.jsonl"
    good.write_bytes(jl({"text": "好"}))
    out = tmp_path / "out.xlsx"
    rc, _, stderr = run(monkeypatch, ["score", str(good), "-o", str(out), "--model", model_dir])
    assert_one_line_error(rc, stderr, "cannot tell the format")
    assert not out.exists()


def test_bad_model_dir(tmp_path, monkeypatch):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    out = tmp_path / "out.jsonl"
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", str(tmp_path / "no_model")])
    assert_one_line_error(rc, stderr, "cannot load the model")
    assert not out.exists()  # output is not created before the model loads
    empty = tmp_path / "empty_model"
    empty.mkdir()
    rc, _, stderr = run(monkeypatch, ["analyze", "好", "--model", str(empty)])
    assert_one_line_error(rc, stderr, "model.json")


def test_bad_routing_file(tmp_path, monkeypatch, model_dir):
    bad = tmp_path / "routing.json"
    bad.write_text("{not json")
    rc, _, stderr = run(monkeypatch, ["analyze", "好", "--model", model_dir, "--routing", str(bad)])
    assert_one_line_error(rc, stderr, "routing table")


def test_output_same_as_input(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(inp), "--model", model_dir])
    assert_one_line_error(rc, stderr, "is the input file")
    assert inp.read_bytes() == jl({"text": "好"})


def test_unwritable_output(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(tmp_path / "no" / "dir.jsonl"),
                                      "--model", model_dir])
    assert_one_line_error(rc, stderr, "cannot write")


def test_bad_batch_size(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "--batch-size", "0", "--model", model_dir])
    assert_one_line_error(rc, stderr, "--batch-size")


# ----------------------------------------------------------------------------- analyze
def test_analyze_readable(monkeypatch, model_dir, analyzer):
    rc, stdout, _ = run(monkeypatch, ["analyze", "快递十天都没到", "質量很好", "--model", model_dir])
    assert rc == 0
    text = stdout.decode()
    blocks = text.strip().split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith("[1] 快递十天都没到") and blocks[1].startswith("[2] 質量很好")
    r = analyzer.analyze("快递十天都没到", id=1)
    for label in ("spam:", "issues:", "sentiment:", "severity:", "route:", "needs review:"):
        assert label in blocks[0]
    assert f"sentiment:    {r.sentiment} ({r.sentiment_score:+.2f})" in blocks[0]
    assert f"severity:     {r.severity}" in blocks[0]


def test_analyze_json(monkeypatch, model_dir, analyzer):
    rc, stdout, _ = run(monkeypatch, ["analyze", "--json", "--model", model_dir, "物流很慢", ""])
    assert rc == 0
    recs = lines(stdout)
    assert recs[0] == analyzer.analyze("物流很慢", id=1).to_dict()
    assert recs[1]["id"] == 2 and recs[1]["severity_reasons"] == ["empty text"]


def test_analyze_from_stdin(monkeypatch, model_dir):
    data = "物流很慢\n\n质量很好\r\n".encode() + b"bad \xff\n"
    rc, stdout, _ = run(monkeypatch, ["analyze", "--json", "--model", model_dir], stdin=data)
    assert rc == 0
    assert [r["id"] for r in lines(stdout)] == [1, 3, 4]  # line numbers; blank lines skipped


# ----------------------------------------------------------------------------- python -m
def test_python_dash_m_subprocess(tmp_path, model_dir):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    data = jl({"id": "x", "text": "快递很慢"}) + b"\xff\n"
    p = subprocess.run([sys.executable, "-m", "feedback_nlp", "score", "-", "--model", model_dir],
                       input=data, capture_output=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    recs = lines(p.stdout)
    assert [r["id"] for r in recs] == ["x", 2] and "error" in recs[1]
    assert b"scored 1 records, 1 malformed (rows: 2)" in p.stderr
    p = subprocess.run([sys.executable, "-m", "feedback_nlp", "score", str(tmp_path / "missing.jsonl"),
                        "--model", model_dir], capture_output=True, env=env, timeout=120)
    assert p.returncode == 2 and b"Traceback" not in p.stderr
    assert p.stderr.startswith(b"feedback-nlp: error: ")


def test_score_detect_floods_across_batches(tmp_path, model_dir):
    from feedback_nlp.floods import FloodMarker
    from feedback_nlp.result import FeedbackResult

    # Unit rule: copied praise is marked from the 3rd copy, a copied complaint never.
    marker = FloodMarker(3)
    praise = [FeedbackResult(id=i) for i in range(4)]
    assert marker.mark(["好评好评，五星好评，非常满意"] * 2, praise[:2]) == 0
    assert marker.mark(["好评好评，五星好评，非常满意！"] * 2, praise[2:]) == 2
    complaint = FeedbackResult(id=9, issue_types=["logistics"], primary_issue="logistics", severity="medium")
    marker.mark(["快递十天没到"] * 3, [complaint] * 3)
    assert not complaint.is_spam

    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"id": i, "text": "好评，质量不错，物流也快，推荐购买"}, ensure_ascii=False) + "\n"
                            for i in range(6)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    # The shipped model: this copied praise is not spam on its own and raises no issue, so copies
    # 3..6 (across batches of 2) are floods.
    assert main(["score", str(data), "-o", str(out), "--batch-size", "2", "--detect-floods", "-q"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == list(range(6))
    assert [r["spam_type"] == "flood" for r in rows] == [False, False, True, True, True, True]
    # the same marks whatever the batch size or the number of workers ("from its 3rd copy on")
    for extra in (["--batch-size", "1"], ["--batch-size", "6"], ["--batch-size", "1", "-w", "2"]):
        assert main(["score", str(data), "-o", str(out), "--detect-floods", "-q", *extra]) == 0
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [r["spam_type"] == "flood" for r in rows] == [False, False, True, True, True, True], extra


@pytest.mark.parametrize("args, message", [
    (["--detect-floods", "--flood-min-group", "1"], "--flood-min-group: flood_min_group must be an integer"),
    (["--detect-floods", "--flood-min-group", "0"], "at least 2 (a flood is a repeated post), got 0"),
])
def test_score_refuses_a_flood_of_one(tmp_path, monkeypatch, model_dir, args, message):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"id": 1, "text": "质量不错"}))
    rc, _, err = run(monkeypatch, ["score", str(inp), "-o", str(tmp_path / "o.jsonl"), "-q", *args])
    assert rc == 2 and message in err and "Traceback" not in err


def test_more_workers_than_cpus_are_capped_with_a_note(tmp_path, monkeypatch, model_dir):
    # -w 9999 had forked one process per worker (thousands) before any record was read
    from feedback_nlp.cli.common import _processes
    from feedback_nlp.encoders.processes import available_cpus

    assert _processes(9999, "--workers") == available_cpus()
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"id": 1, "text": "快递太慢"}, {"id": 2, "text": "质量不错"}))
    rc, _, err = run(monkeypatch, ["score", str(inp), "-o", str(tmp_path / "o.jsonl"), "-w", "9999"])
    assert rc == 0 and f"using {available_cpus()}" in err


def test_score_csv_with_bom(tmp_path, monkeypatch, model_dir):
    from feedback_nlp.io import read_records

    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"id": "x", "text": "物流太慢"}, {"id": "y", "text": "质量不错"}, {"text": "好"}))
    for name in ("out.csv", "out.tsv.gz"):
        out = tmp_path / name
        rc, _, _ = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir, "--bom", "-q"])
        assert rc == 0
        raw = out.read_bytes()
        if name.endswith(".gz"):
            import gzip

            raw = gzip.decompress(raw)
        assert raw.startswith(b"\xef\xbb\xbfid" + (b"," if name == "out.csv" else b"\t"))
        with read_records(str(out), text_field="sentiment") as reader:
            assert [r.id for r in reader] == ["x", "y", "3"]
        assert reader.header == list(SCORE_FIELDNAMES)


def test_score_bom_refused_for_jsonl_output(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    out = tmp_path / "out.jsonl"
    rc, stdout, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir, "--bom"])
    assert_one_line_error(rc, stderr, "--bom is for CSV/TSV output only")
    assert not out.exists()
    rc, stdout, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--bom"])  # stdout is JSONL
    assert_one_line_error(rc, stderr, "--bom")
    assert stdout == b""
    rc, stdout, _ = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--bom", "--output-format", "csv",
                                      "-q"])
    assert rc == 0 and stdout.startswith(b"\xef\xbb\xbfid,")


def test_mistyped_model_path_is_one_clear_line(tmp_path, monkeypatch):
    import types

    def offline(*a, **k):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    hub = types.ModuleType("huggingface_hub")
    hub.snapshot_download = offline  # never the network, installed or not
    monkeypatch.setitem(sys.modules, "huggingface_hub", hub)
    monkeypatch.chdir(tmp_path)
    rc, _, stderr = run(monkeypatch, ["analyze", "好", "--model", "./modles/mine"])
    assert_one_line_error(rc, stderr, "model directory not found: ./modles/mine")
    rc, _, stderr = run(monkeypatch, ["analyze", "好", "--model", "modles/mine"])
    assert_one_line_error(rc, stderr, "neither an existing local directory nor a reachable Hugging Face hub id")


# ----------------------------------------------------------------------------- encodings, directories
READING_COMMANDS = {"score": ["score", "in.jsonl"], "analyze": ["analyze"], "cluster": ["cluster", "in.jsonl", "-o", "x"],
                    "report": ["report", "in.jsonl", "-o", "x.html"], "train": ["train", "--task", "t", "--data", "d.csv",
                                                                               "-o", "m"],
                    "evaluate": ["evaluate", "m", "--data", "d.csv"],
                    "review export": ["review", "export", "in.jsonl", "-o", "tasks.json"]}


@pytest.mark.parametrize("command", sorted(READING_COMMANDS))
def test_every_reading_command_takes_encoding(command):
    argv = READING_COMMANDS[command]
    assert build_parser().parse_args(argv).encoding == "auto"
    assert build_parser().parse_args(argv + ["--encoding", "gbk"]).encoding == "gbk"


GBK_TEXTS = ["快递十天都没到，客服也不回消息", "质量很好，下次还来", "颜色和图片不一样，退货还要自己付运费"]


def test_score_gbk_csv_is_detected_and_said(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "export.csv"
    inp.write_bytes(("id,text\n" + "".join(f"{i},{t}\n" for i, t in enumerate(GBK_TEXTS, 1))).encode("gbk"))
    rc, stdout, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--keep-text"])
    assert rc == 0 and [r["text"] for r in lines(stdout)] == GBK_TEXTS
    assert f"reading {inp} as gb18030 (detected" in stderr and stderr.endswith("scored 3 records, 0 malformed\n")
    rc, stdout, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--encoding", "gbk"])
    assert rc == 0 and "reading" not in stderr and "error" not in lines(stdout)[0]
    utf8 = tmp_path / "utf8.jsonl"
    utf8.write_bytes(jl(*({"text": t} for t in GBK_TEXTS)))
    rc, stdout, stderr = run(monkeypatch, ["score", str(utf8), "--model", model_dir])
    assert rc == 0 and stderr == "scored 3 records, 0 malformed\n"  # nothing said for UTF-8


def test_unknown_encoding_is_one_line(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    for argv in (["score", str(inp)], ["cluster", str(inp), "-o", str(tmp_path / "o.jsonl")],
                 ["report", str(inp), "-o", str(tmp_path / "r.html")]):
        rc, _, stderr = run(monkeypatch, [*argv, "--model", model_dir, "--encoding", "utf-9"])
        assert_one_line_error(rc, stderr, "unknown encoding 'utf-9'")
    rc, _, stderr = run(monkeypatch, ["analyze", "--model", model_dir, "--encoding", "utf-9"], stdin=b"x\n")
    assert_one_line_error(rc, stderr, "unknown encoding 'utf-9'")


def test_analyze_stdin_in_gbk(monkeypatch, model_dir, analyzer):
    rc, out, stderr = run(monkeypatch, ["analyze", "--json", "--model", model_dir],
                          stdin="\n".join(GBK_TEXTS * 3).encode("gbk"))
    assert rc == 0 and "as gb18030" in stderr
    assert [scored_fields(r) for r in lines(out)][:3] == [scored_fields(r.to_dict())
                                                          for r in analyzer.analyze_batch(GBK_TEXTS)]


def test_a_directory_input_is_named_for_every_command(tmp_path, monkeypatch, model_dir):
    d = tmp_path / "exports"  # no extension: used to say "cannot tell the format"
    d.mkdir()
    for argv in (["score", str(d)], ["cluster", str(d), "-o", str(tmp_path / "o.jsonl")],
                 ["report", str(d), "-o", str(tmp_path / "r.html")],
                 ["train", "--task", "topic", "--data", str(d), "-o", str(tmp_path / "m")],
                 ["evaluate", model_dir, "--data", str(d)]):
        rc, _, stderr = run(monkeypatch, argv + (["--model", model_dir] if argv[0] in ("score", "cluster", "report")
                                                 else []))
        assert_one_line_error(rc, stderr, f"{d} is a directory")


# ----------------------------------------------------------------------------- score --workers
def _mixed_rows(path: Path, n: int = 300) -> Path:
    texts = ["快递十天都没到，客服也不回消息", "质量很好，下次还来", "好评好评，五星好评，非常满意", "颜色和图片不一样",
             "今天天气真不错，出去走走吧朋友们", "加微信 abc12345 兼职刷单日结三百"]
    with open(path, "wb") as f:
        for i in range(n):
            if i % 37 == 5:
                f.write(b"{broken\n")
            elif i % 53 == 7:
                f.write(b'{"id": "x%d", "text": "\xff\xfe"}\n' % i)
            elif i % 41 == 9:
                f.write(jl({"id": f"n{i}", "text": None}))
            else:
                f.write(jl({"id": f"r{i}", "text": texts[i % len(texts)] + "！" * (i % 4)}))
    return path


@pytest.mark.parametrize("extra", [[], ["--detect-floods"], ["--keep-text", "-o-format-csv"]])
def test_workers_give_byte_identical_output(tmp_path, monkeypatch, model_dir, extra):
    inp = _mixed_rows(tmp_path / "in.jsonl")
    outs = []
    ext = "csv" if "-o-format-csv" in extra else "jsonl"
    extra = [x for x in extra if x != "-o-format-csv"]
    for w in (1, 2, 3):
        out = tmp_path / f"out{w}.{ext}"
        # flood marking needs a model that finds chatter harmless: the shipped one
        model = [] if "--detect-floods" in extra else ["--model", model_dir]
        rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), *model, "--batch-size", "16",
                                          "--workers", str(w), *extra])
        assert rc == 0 and "scored 278 records, 22 malformed" in stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    if ext == "jsonl":
        recs = lines(outs[0])
        assert len(recs) == 300 and recs[0]["id"] == "r0" and recs[5]["error"].startswith("invalid JSON")
        if extra:
            assert sum(r["spam_type"] == "flood" for r in recs) > 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_score_reads_each_records_channel_for_its_operating_points(tmp_path, monkeypatch, workers):
    text = CRITICAL_TEXT
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"id": 1, "text": text, "src": "order_review"}, {"id": 2, "text": text, "src": "cs_chat"},
                       {"id": 3, "text": text}, {"id": 4, "text": text, "src": "order_review"}))
    out = tmp_path / "out.jsonl"
    points = NEVER_CRITICAL_REVIEWS_ARGS
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), *points, "--channel-field", "src",
                                      "--workers", workers, "--batch-size", "2"])
    assert rc == 0
    assert [r["severity"] for r in lines(out.read_bytes())] == ["high", "critical", "critical", "high"]
    # the default field name is "channel": these records have none, and the run says so
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), *points])
    assert rc == 0 and [r["severity"] for r in lines(out.read_bytes())] == ["critical"] * 4
    assert "no record has the channel field 'channel'" in stderr
    rc, out_text, _ = run(monkeypatch, ["analyze", "--json", "--channel", "order_review", *points, text])
    assert rc == 0 and json.loads(out_text)["severity"] == "high"


def test_workers_must_be_positive(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--workers", "0"])
    assert_one_line_error(rc, stderr, "--workers must be a positive number or -1 (every CPU), got 0")


def test_score_uses_every_cpu_by_default_at_most_auto_jobs(tmp_path, monkeypatch, model_dir):
    from feedback_nlp import parallel
    from feedback_nlp.encoders import processes

    inp = _mixed_rows(tmp_path / "in.jsonl", n=60)
    seen = []
    real = parallel.ParallelAnalyzer.__init__

    def spy(self, analyzer, workers=1, **kw):
        seen.append(workers)
        real(self, analyzer, workers=workers, **kw)

    monkeypatch.setattr(parallel.ParallelAnalyzer, "__init__", spy)
    outs = []
    for cpus, flag in ((1, []), (3, []), (64, []), (3, ["--workers", "-1"]), (3, ["-w", "2"])):
        monkeypatch.setattr(processes, "available_cpus", lambda cpus=cpus: cpus)
        out = tmp_path / f"out{len(outs)}.jsonl"
        rc, _, _ = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir, "--batch-size", "8",
                                     *flag])
        assert rc == 0
        outs.append(out.read_bytes())
    assert seen == [1, 3, cli.AUTO_JOBS, 3, 2] and cli.AUTO_JOBS < 64
    assert len(set(outs)) == 1


# ----------------------------------------------------------------------------- failures midway keep what was done
def test_truncated_gzip_keeps_the_rows_before_it(tmp_path, monkeypatch, model_dir):
    import gzip

    full = gzip.compress(jl(*({"id": i, "text": f"第{i}条评论，快递很快"} for i in range(2000))))
    inp = tmp_path / "in.jsonl.gz"
    inp.write_bytes(full[: len(full) // 2])
    out = tmp_path / "out.jsonl"
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir, "--batch-size", "100",
                                      "--encoding", "utf-8"])
    assert_one_line_error(rc, stderr, "cannot read past row")
    recs = lines(out.read_bytes())
    n = int(stderr.split("cannot read past row ")[1].split(":")[0])
    assert 0 < n < 2000 and [r["id"] for r in recs] == list(range(n))  # every row read was scored and written


@pytest.mark.parametrize("workers", ["1", "2"])
def test_unexpected_failure_keeps_the_batches_already_written(tmp_path, monkeypatch, model_dir, workers):
    from feedback_nlp.pipeline import FeedbackAnalyzer

    calls = {"n": 0}
    real = FeedbackAnalyzer.analyze_batch

    def flaky(self, texts, *a, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("boom")
        return real(self, texts, *a, **kw)

    monkeypatch.setattr(FeedbackAnalyzer, "analyze_batch", flaky)
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl(*({"id": i, "text": "好"} for i in range(50))))
    out = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError, match="boom"):
        main(["score", str(inp), "-o", str(out), "--model", model_dir, "--batch-size", "10", "-q",
              "--workers", workers])
    ids = [r["id"] for r in lines(out.read_bytes())]
    if workers == "1":
        assert ids == list(range(20))  # the two batches before the third, the failing one
    else:  # each forked worker goes on from the parent's count at the fork (its warm-up call included), so
        # which batch fails varies with the scheduling; what is written is still whole batches, in order
        assert ids == list(range(len(ids))) and len(ids) % 10 == 0 and 10 <= len(ids) <= 40


# ----------------------------------------------------------------------------- --threshold
def test_threshold_option_moves_an_operating_point(monkeypatch):
    text = "吃了外卖全家食物中毒，我要打12315"
    rc, out, _ = run(monkeypatch, ["analyze", "--json", text])
    assert rc == 0 and json.loads(out)["severity"] == "critical"
    rc, out, _ = run(monkeypatch, ["analyze", "--json", "--threshold", "severity.critical=1",
                                   "--threshold", "severity.critical_unsignalled=1", text])
    got = json.loads(out)
    assert rc == 0 and got["severity"] == "high" and got["needs_review"]
    for bad in ("severity.critical", "critical=0.5", "severity.critical=abc", "severity.nope=0.5",
                "severity.critical=70", "severity.critical=-0.1", "severity.ev_high=3.5"):
        rc, _, err = run(monkeypatch, ["analyze", "--threshold", bad, text])
        assert rc == 2 and "threshold" in err and "Traceback" not in err, (bad, err)
    rc, _, err = run(monkeypatch, ["analyze", "--threshold", "severity.critical=0.1", "--threshold",
                                   "severity.critical=0.2", text])  # which one was meant? (the last had won)
    assert rc == 2 and "--threshold severity.critical is given twice" in err


# ----------------------------------------------------------------------------- broken input within the first 64 KiB
def _damaged_gzip(path: Path) -> Path:
    data = bytearray(__import__("gzip").compress(jl(*({"id": i, "text": "快递很慢"} for i in range(40)))))
    data[10] |= 0b110  # the reserved deflate block type: zlib.error at the first read
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("command", ["score", "cluster", "report", "review export"])
def test_small_corrupt_gzip_is_a_one_line_error(tmp_path, monkeypatch, model_dir, command):
    inp = _damaged_gzip(tmp_path / "in.jsonl.gz")
    argv = {"score": ["score", str(inp), "-o", str(tmp_path / "o.jsonl"), "-w", "1"],
            "cluster": ["cluster", str(inp), "-o", str(tmp_path / "o.jsonl"), "--encoder", "ngram"],
            "report": ["report", str(inp), "-o", str(tmp_path / "r.html"), "--encoder", "ngram"],
            "review export": ["review", "export", str(inp), "-o", str(tmp_path / "t.json")]}[command]
    rc, _, stderr = run(monkeypatch, argv + ["--model", model_dir])
    assert_one_line_error(rc, stderr, "in.jsonl.gz: cannot read past row 0: truncated or corrupt gzip data")


def test_small_truncated_gzip_keeps_the_rows_before_it(tmp_path, monkeypatch, model_dir):
    import gzip

    full = gzip.compress(jl(*({"id": i, "text": f"第{i}条评论，快递{i * 7919 % 10007}天才到"} for i in range(600))))
    inp = tmp_path / "in.jsonl.gz"
    inp.write_bytes(full[: len(full) // 2])
    out = tmp_path / "out.jsonl"
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir, "-w", "1"])
    assert_one_line_error(rc, stderr, "cannot read past row")
    n = int(stderr.split("cannot read past row ")[1].split(":")[0])
    assert 0 < n < 600 and [r["id"] for r in lines(out.read_bytes())] == list(range(n))
    # review export leaves a valid JSON array of the tasks before the break (it had left "[" and no "]")
    tasks = tmp_path / "tasks.json"
    rc, _, stderr = run(monkeypatch, ["review", "export", str(inp), "-o", str(tasks), "--model", model_dir])
    assert_one_line_error(rc, stderr, "cannot read past row")
    exported = json.loads(tasks.read_text(encoding="utf-8"))
    assert isinstance(exported, list) and exported


@pytest.mark.parametrize("enc", ["utf-16", "utf-32"])
def test_bom_codec_without_bom_is_a_one_line_error(tmp_path, monkeypatch, model_dir, enc):
    (tmp_path / "in.csv").write_bytes(b"id,text,sentiment\n1,x,positive\n2,y,negative\n")
    needle = f"needs a byte order mark at the start of the input and there is none; name the byte order: " \
             f"--encoding {enc}-le or {enc}-be"
    monkeypatch.chdir(tmp_path)
    model = ["--model", model_dir]
    for argv in (["score", "in.csv", "-o", "o.jsonl", "-w", "1", *model], ["analyze", *model],
                 ["review", "export", "in.csv", "-o", "t.json", *model],
                 ["train", "--task", "sentiment", "--data", "in.csv", "-o", "m"]):
        rc, _, stderr = run(monkeypatch, argv + ["--encoding", enc], stdin=b'{"text": "x"}\n')
        assert_one_line_error(rc, stderr, needle)


def test_lone_surrogate_escape_is_written_as_replacement_character(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "sur.jsonl"
    inp.write_text('{"id": 1, "text": "\\u5feb\\u9012\\ud83d"}\n' * 6, encoding="ascii")
    out = tmp_path / "tasks.json"
    rc, _, _ = run(monkeypatch, ["review", "export", str(inp), "-o", str(out), "--model", model_dir])
    assert rc == 0 and [t["data"]["text"] for t in json.loads(out.read_text(encoding="utf-8"))] == ["快递\ufffd"] * 6
    rc, stdout, _ = run(monkeypatch, ["score", str(inp), "--keep-text", "--model", model_dir, "-w", "1"])
    assert rc == 0 and [r["text"] for r in lines(stdout)] == ["快递\ufffd"] * 6



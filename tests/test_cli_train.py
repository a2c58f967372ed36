"""feedback_nlp.cli.train: `train`, `evaluate`, `ensemble`, `export` and `--task-model`, on tiny data written here."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import cli_helpers
from cli_helpers import lines, run, timed_feedback
from io_helpers import jl
from feedback_nlp import FeedbackAnalyzer
from feedback_nlp.cli import main
from feedback_nlp.result import FIELDS
from tiny_model import build_tiny_model

model_dir = cli_helpers.model_dir  # fixture


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
    assert main(["ensemble", "--member", str(tmp_path / "a"), "--member", str(tmp_path / "b"), "--task", "issue_types",
                 "--dev", str(data), "--label-field", "label", "-o", str(out)]) == 2  # it holds a model already
    assert f"{out} already holds a model; remove it" in capsys.readouterr().err
    out = tmp_path / "ens3"
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
        assert recs[1]["topic"] == [] and recs[1]["topic_scores"] == dict.fromkeys(labels, 0.0)  # empty text
        assert recs[2]["error"] and recs[2]["topic"] is None  # error record: every field null
    rc, _, err = run(monkeypatch, ["score", str(inp), "-o", str(tmp_path / "w2.jsonl"), "--model", model_dir,
                                   "--task-model", f"topic={topic}", "--workers", "2"])
    assert rc == 0 and (tmp_path / "w2.jsonl").read_bytes() == (tmp_path / "out.jsonl").read_bytes()  # extra fields too
    rc, stdout, _ = run(monkeypatch, ["analyze", "--json", "发票开错了", "--model", model_dir,
                                      "--task-model", f"topic={topic}"])
    assert rc == 0 and lines(stdout)[0]["topic"] == ["invoice"]
    rc, stdout, _ = run(monkeypatch, ["analyze", "发票开错了", "--model", model_dir, "--task-model", f"topic={topic}"])
    assert "  topic:        invoice (" in stdout.decode("utf-8")
    data = timed_feedback(tmp_path / "fb.jsonl")
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


def test_evaluate_scores_the_decisions_the_analyzer_outputs(tmp_path, capsys):
    """A full model is evaluated through FeedbackAnalyzer, rules included: "差评！" raises no issue type, "收到" is
    not spam (the heads alone give both, and ``evaluate`` had reported those figures, unlike the README's)."""
    from feedback_nlp.pipeline import default_model_path

    rows = [("差评！", False, [], "negative", "low"), ("收到", False, [], "neutral", "low"),
            ("快递十天都没到，客服也不回", False, ["logistics", "customer_service"], "negative", "high"),
            ("加微信 abc12345 领优惠券，兼职刷单日结", True, [], "neutral", "low")]
    data = tmp_path / "gold.jsonl"
    data.write_text("".join(json.dumps({"text": t, "is_spam": s, "spam_type": "ad" if s else None, "issue_types": i,
                                        "sentiment": se, "severity": sv}, ensure_ascii=False) + "\n"
                            for t, s, i, se, sv in rows), encoding="utf-8")
    assert main(["evaluate", str(default_model_path()), "--data", str(data), "-o", str(tmp_path / "rep")]) == 0
    assert "the decisions FeedbackAnalyzer outputs" in capsys.readouterr().err
    rep = json.loads((tmp_path / "rep.json").read_text(encoding="utf-8"))
    results = FeedbackAnalyzer.load().analyze_batch([r[0] for r in rows])
    got = [r.issue_types for r in results]
    assert got[:2] == [[], []]  # the rules' decisions, which the heads alone do not make
    tp = sum(len(set(g) & set(r[2])) for g, r in zip(got, rows))
    n_pred, n_gold = sum(map(len, got)), sum(len(r[2]) for r in rows)
    assert rep["issue_types"]["micro_f1"] == pytest.approx(2 * tp / (n_pred + n_gold), abs=1e-4)
    assert rep["spam"]["accuracy"] == sum((r.spam_type if r.is_spam else "not_spam") == ("ad" if g[1] else "not_spam")
                                          for r, g in zip(results, rows)) / len(rows)


def test_train_checks_dev_and_the_output_before_training(tmp_path, capsys):
    # a label only in dev had failed with a traceback after training; a model trained into a model directory had
    # left its old model.onnx beside the new heads
    pytest.importorskip("sklearn")
    data = _tickets_csv(tmp_path / "tickets.csv")
    dev = tmp_path / "dev.jsonl"
    dev.write_text(jl({"text": "退款没到", "label": "refund"}, {"text": "发票错", "label": "invoice"}).decode(),
                   encoding="utf-8")
    out = tmp_path / "m"
    assert main(["train", "--task", "issue_types", "--label-field", "label", "--data", str(data), "--dev", str(dev),
                 "-o", str(out)]) == 2
    assert "cannot use this file as dev data: - unknown labels (not in the training file): refund" in \
        capsys.readouterr().err
    assert not out.exists()
    assert main(["train", "--task", "issue_types", "--label-field", "label", "--data", str(data), "-o", str(out)]) == 0
    (out / "model.onnx").write_bytes(b"old graph")
    assert main(["train", "--task", "issue_types", "--label-field", "label", "--data", str(data), "-o", str(out)]) == 2
    assert f"{out} already holds a model; remove it or choose another" in capsys.readouterr().err
    # a custom multi-label model is evaluated as multi-label without --multilabel (it had read "a;b" as one label)
    topic = tmp_path / "topic"
    assert main(["train", "--task", "topic", "--multilabel", "--data", str(data), "-o", str(topic)]) == 0
    assert main(["evaluate", str(topic), "--data", str(data), "-o", str(tmp_path / "rep")]) == 0


def test_a_custom_issue_model_without_a_routing_table_is_noted(tmp_path, capsys):
    # every route had gone to the default team without a word
    pytest.importorskip("sklearn")
    data = _tickets_csv(tmp_path / "tickets.csv")
    assert main(["train", "--task", "issue_types", "--label-field", "label", "--data", str(data),
                 "-o", str(tmp_path / "m")]) == 0
    capsys.readouterr()
    assert main(["analyze", "--task-model", f"issue_types={tmp_path / 'm'}", "发票开错了"]) == 0
    assert "note: no issue type of the model (install, invoice, price) has a team in the routing table" in \
        capsys.readouterr().err
    routing = tmp_path / "r.json"
    routing.write_text(json.dumps({"teams": {"invoice": "财务"}, "default_team": "分诊", "sla_hours": {
        "low": 72, "medium": 24, "high": 12, "critical": 2}}, ensure_ascii=False), encoding="utf-8")
    assert main(["analyze", "--task-model", f"issue_types={tmp_path / 'm'}", "--routing", str(routing), "发票开错了"]) == 0
    assert "note:" not in capsys.readouterr().err


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

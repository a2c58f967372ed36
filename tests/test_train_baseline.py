"""training/train_baseline.py: figures the model card computes from pipeline results."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import train_baseline as tb  # noqa: E402


class Scripted:
    """An analyzer whose result for a text is written in the text: spam if it holds "S", sent to
    review if it holds "R"."""

    def analyze_batch(self, texts, batch_size=1024):
        return [SimpleNamespace(is_spam="S" in t, needs_review="R" in t) for t in texts]


def test_complaint_flag_rate_counts_the_complaints_discarded_unseen():
    corp = {"shopping": {"dev": [{"text": "S1", "label": 0}, {"text": "SR2", "label": 0}, {"text": "3", "label": 0},
                                 {"text": "S4", "label": 1}, {"text": "S5", "label": 0, "cat": "蒙牛"}]}}
    ann = {"dev": [{"text": "S6", "is_spam": False, "sentiment": "negative"},
                   {"text": "S7", "is_spam": True, "sentiment": "negative"},
                   {"text": "S8", "is_spam": False, "sentiment": "positive"}]}
    got = tb.complaint_flag_rate(Scripted(), corp, ann, "dev")
    # complaints: S1, SR2, 3 (negative reviews, 蒙牛 left out) and S6 (a non-spam negative annotation)
    assert (got["n_complaints"], got["flagged"], got["flagged_not_reviewed"]) == (4, 3, 2)
    assert (got["rate"], got["rate_not_reviewed"]) == (0.75, 0.5)
    assert got["rate_with_weibo_posts"] == 0.8  # S5 counted beside


def _heads_and_cache(tmp_path, fingerprint):
    from feedback_nlp.modeling import NgramModel

    model = NgramModel.from_pretrained(tb.REPO / "models" / "feedback-zh-ngram")
    train = {t: None for t in model.heads}
    cached = {t: np.full((3, len(h.labels)), 0.25, np.float32) for t, h in model.heads.items()}
    if fingerprint == "these heads":
        fingerprint = tb.heads_fingerprint(model)
    extra = {} if fingerprint is None else {"fingerprint": np.array(fingerprint)}
    np.savez_compressed(tmp_path / "oof_heads.npz", **extra, **cached)
    return model, train


def _computed(calls):
    def fake_out_of_fold_heads(model, train, rows, **kw):
        calls.append(kw)
        return {t: np.full((3, len(h.labels)), 0.75, np.float32) for t, h in model.heads.items()}
    return fake_out_of_fold_heads


REC = {"C": 1.0, "class_weight": None, "sample_weights": None, "nb_scale": None}
ANN = {"train": [{}, {}, {}]}


def test_decision_inputs_read_the_cache_written_for_these_heads(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(tb, "out_of_fold_heads", _computed(calls))
    model, train = _heads_and_cache(tmp_path, "these heads")
    got = tb.decision_inputs(model, train, ANN, REC, str(tmp_path))
    assert not calls and all(float(p[0, 0]) == 0.25 for p in got.values())


def test_decision_inputs_recompute_a_cache_written_for_other_heads(tmp_path, monkeypatch):
    for fingerprint in (None, "0" * 64):  # a cache from before fingerprints, one from other heads
        calls = []
        monkeypatch.setattr(tb, "out_of_fold_heads", _computed(calls))
        model, train = _heads_and_cache(tmp_path, fingerprint)
        got = tb.decision_inputs(model, train, ANN, REC, str(tmp_path))
        assert len(calls) == 1 and all(float(p[0, 0]) == 0.75 for p in got.values())
        with np.load(tmp_path / "oof_heads.npz") as z:  # rewritten, now for these heads
            assert str(z["fingerprint"]) == tb.heads_fingerprint(model)
            assert float(z["spam"][0, 0]) == 0.75


def test_heads_fingerprint_changes_with_a_weight_or_a_temperature():
    from feedback_nlp.modeling import NgramModel

    def shipped():
        return NgramModel.from_pretrained(tb.REPO / "models" / "feedback-zh-ngram")

    before = tb.heads_fingerprint(shipped())
    assert tb.heads_fingerprint(shipped()) == before
    model = shipped()
    w, b = model.weights["severity"]
    w = w.copy()
    w[0, 0] += 1e-3
    model.weights["severity"] = (w, b)
    assert tb.heads_fingerprint(model) != before
    model = shipped()
    model.card["tasks"]["sentiment"]["temperature"] = 9.0
    assert tb.heads_fingerprint(model) != before


def _reevaluated(tmp_path, monkeypatch, refit):
    """What reevaluate writes: each task's dev and test figures, by whom (a stub evaluate_head / refit)."""
    from feedback_nlp.modeling import NgramModel

    model = NgramModel.from_pretrained(tb.REPO / "models" / "feedback-zh-ngram")
    for t in model.card["tasks"]:
        model.card["tasks"][t]["metrics"] = {"dev": "stale", "test": "stale"}
    calls = []
    monkeypatch.setattr(tb, "evaluate_head", lambda m, task, data: f"{data} through today's decisions")
    monkeypatch.setattr(tb, "finish", lambda *a: calls.append("finish"))
    monkeypatch.setattr(tb, "recipe", lambda train, ann: {})

    def refitted(m, train, dev, ann, corp, rec, cache):
        calls.append(("refit", cache, dict(m.heads["severity"].thresholds)))
        for t in dev:
            m.card["tasks"][t]["metrics"]["dev"] = "refitted"
    monkeypatch.setattr(tb, "fit_decision_stage", refitted)
    tasks = list(model.heads)
    sets = ({}, {t: "dev" for t in tasks}, {t: "test" for t in tasks}, {}, {})
    tb.reevaluate(model, tmp_path, sets, "CACHE", refit=refit)
    saved = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    return {t: saved["tasks"][t]["metrics"] for t in tasks}, calls, model


def test_evaluate_only_computes_every_task_figure_again(tmp_path, monkeypatch):
    metrics, calls, _ = _reevaluated(tmp_path, monkeypatch, refit=False)
    assert all(m == {"dev": "dev through today's decisions", "test": "test through today's decisions"}
               for m in metrics.values())  # none left from the run that saved the model
    assert calls == ["finish"]


def test_refit_decisions_starts_from_the_heads_own_thresholds(tmp_path, monkeypatch):
    metrics, calls, model = _reevaluated(tmp_path, monkeypatch, refit=True)
    assert calls[0][:2] == ("refit", "CACHE") and calls[1] == "finish"
    assert calls[0][2] == model.card["tasks"]["severity"]["head_thresholds"]  # not the saved decision points
    assert all(m == {"dev": "refitted", "test": "test through today's decisions"} for m in metrics.values())


def test_refit_decisions_refuses_a_model_without_the_heads_own_thresholds(tmp_path, monkeypatch):
    from feedback_nlp.modeling import NgramModel

    model = NgramModel.from_pretrained(tb.REPO / "models" / "feedback-zh-ngram")
    del model.card["tasks"]["severity"]["head_thresholds"]
    monkeypatch.setattr(tb, "fit_decision_stage", lambda *a: pytest.fail("refitted without them"))
    with pytest.raises(SystemExit, match="no head_thresholds for severity"):
        tb.reevaluate(model, tmp_path, ({}, {}, {}, {}, {}), "CACHE", refit=True)


def test_cached_oof_heads_only_for_the_heads_that_wrote_them(tmp_path):
    for fingerprint, expected in (("these heads", 0.25), (None, None), ("0" * 64, None)):
        model, _ = _heads_and_cache(tmp_path, fingerprint)
        got = tb.cached_oof_heads(tmp_path / "oof_heads.npz", model)
        if expected is None:
            assert got is None
        else:
            assert set(got) == set(model.heads) and float(got["spam"][0, 0]) == expected


def test_decision_experiments_refuses_a_cache_of_other_heads(tmp_path, capsys):
    import decision_experiments

    _heads_and_cache(tmp_path, "0" * 64)
    assert decision_experiments.main(["--cache", str(tmp_path), "--data", str(tmp_path / "no-data")]) == 2
    assert "other heads" in capsys.readouterr().err

"""training/distill_student.py: choosing the student per head on dev, the verdicts and the table
(the distillation itself is train.fit_soft_head, tested in test_train.py; the hidden-layer student in
test_hidden_student.py)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import distill_student as ds  # noqa: E402


def metrics(micro, macro, acc, binary, qwk):
    def split(d):
        return {"issue_types": {"micro_f1": micro + d, "macro_f1": macro + d},
                "sentiment": {"accuracy": acc + d, "binary": {k: v + d for k, v in binary.items()}},
                "severity": {"quadratic_weighted_kappa": qwk + d, "critical_precision": 0.5}}
    dev, test = split(0.0), split(0.01)
    return {t: {"dev": dev[t], "test": test[t]} for t in dev}


BIN = {"shopping": 0.93, "food_delivery": 0.9, "hotel": 0.86}


def report():
    base = metrics(0.75, 0.72, 0.86, BIN, 0.75)
    worse = metrics(0.70, 0.66, 0.87, BIN, 0.78)   # below on issue types, above on the others
    better = metrics(0.76, 0.73, 0.85, BIN, 0.70)  # above on issue types only
    r = {"baseline": base, "students": [{"alpha": 0.5, "unlabelled_weight": 1.0, "metrics": worse},
                                        {"alpha": 0.8, "unlabelled_weight": 1.0, "metrics": better}]}
    r["chosen"] = {t: max(range(2), key=lambda i: ds.dev_score(t, r["students"][i]["metrics"])) for t in ds.TASKS}
    return r


def test_each_head_takes_its_best_setting_on_dev():
    assert report()["chosen"] == {"issue_types": 1, "sentiment": 0, "severity": 0}


def test_verdicts_say_above_or_below_per_head_and_name_the_licence():
    r = report()
    r["baseline"]["severity"]["test"]["quadratic_weighted_kappa"] = 0.9  # the chosen student loses on test
    r["teacher_licence"] = "roformer-sim, licence: unclear"
    md = ds.render_markdown(r)
    assert "- issue_types: the student is above the shipped head on dev and above it on test" in md
    assert "- severity: the student is above the shipped head on dev and below it on test" in md
    assert "- The teacher's base: roformer-sim, licence: unclear." in md
    row = next(line for line in md.splitlines() if line.startswith("| issue types micro F1"))
    assert row == "| issue types micro F1 | 0.760 (0.750) | 0.770 (0.760) | – | ≥ 0.82 |"


def test_the_teacher_cache_key_is_the_same_in_another_process():
    import subprocess

    texts = ["快递太慢", "质量很好", ""]
    here = ds.texts_digest(texts)
    code = ("import sys; sys.path.insert(0, 'training'); import distill_student as ds; "
            f"print(ds.texts_digest({texts!r}))")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[1]).stdout.strip()
    assert here == there and here != ds.texts_digest(texts[:2])
    assert here != ds.texts_digest(["快递太慢质量很好", ""])  # texts are kept apart, not run together


def test_an_ensemble_teaches_with_its_members_weighted_mean(tmp_path):
    import numpy as np

    from feedback_nlp import EnsembleModel, NgramModel
    from feedback_nlp.text import normalize
    from tiny_model import TEXTS, build_tiny_model

    a, b = build_tiny_model(tmp_path / "a", seed=0), build_tiny_model(tmp_path / "b", seed=1)
    ens = EnsembleModel([NgramModel.from_pretrained(a), NgramModel.from_pretrained(b)],
                        {"issue_types": [0.3, 0.7]}, member_paths=[str(a), str(b)])
    ens.save_pretrained(tmp_path / "ens")
    got = ds.teacher_probs(tmp_path / "ens", list(TEXTS), cache=None)
    want = ens.predict_proba([normalize(t) for t in TEXTS])
    assert list(got) == ["issue_types"]
    np.testing.assert_allclose(got["issue_types"], want["issue_types"], atol=1e-6)

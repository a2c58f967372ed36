"""training/train_transformer.py: its command line (training itself: test_transformer.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import train_transformer as tt  # noqa: E402


def test_base_is_required_unless_only_evaluating(capsys):
    with pytest.raises(SystemExit) as e:
        tt.main(["-o", "out"])
    assert e.value.code == 2 and "--base is required (except with --evaluate-only)" in capsys.readouterr().err


def test_evaluate_only_needs_a_saved_directory(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        tt.main(["--evaluate-only", "-o", str(tmp_path)])
    assert e.value.code == 2 and "has no model.json" in capsys.readouterr().err


def test_teacher_targets_align_the_teachers_labels_and_replace_the_praise_filler():
    """``--teacher``: every corpus train review gets the teacher's probabilities, column for column
    in the head's own label order; the issue-type set becomes the gold annotations alone."""
    pytest.importorskip("torch", reason="distillation targets come from the transformer training code (torch)")
    import numpy as np

    from feedback_nlp.labelled_data import LabelledData
    from feedback_nlp.pipeline import _load_model
    from feedback_nlp.tasks.base import MULTICLASS, MULTILABEL, HeadSpec
    from feedback_nlp.text import normalize
    from train_baseline import CORPORA

    teacher = Path(__file__).resolve().parents[1] / "models" / "feedback-zh-ngram"
    labels = list(reversed(_load_model(teacher).heads["issue_types"].labels))
    heads = {"issue_types": HeadSpec("issue_types", MULTILABEL, labels),
             "sentiment": HeadSpec("sentiment", MULTICLASS, ["negative", "neutral", "positive"])}
    reviews = ["快递太慢了，等了十天", "质量很好，下次还买", "客服态度差，不理人"]
    corp = {name: {"train": [{"text": t, "label": 0}]} for name, t in zip(CORPORA, reviews)}
    ann = {"train": [{"id": "a1", "text": "付款扣了两次钱", "issue_types": ["payment"]}]}
    train = {"issue_types": LabelledData(["付款扣了两次钱", "好评"], [["payment"], []], multilabel=True),
             "sentiment": LabelledData(["好评"], ["positive"])}
    new, entry = tt.teacher_targets(str(teacher), None, train, corp, ann, heads)
    assert new["issue_types"].texts == ["付款扣了两次钱"] and new["issue_types"].labels == [["payment"]]
    assert new["sentiment"] is train["sentiment"] and train["issue_types"].texts[1] == "好评"  # input left as it was
    assert entry["soft_tasks"] == ["issue_types", "sentiment"] and entry["texts"] == reviews[:len(CORPORA)]
    assert entry["annotations"] == {normalize("付款扣了两次钱")}
    want = _load_model(teacher).predict_proba([normalize(t) for t in entry["texts"]])
    np.testing.assert_allclose(entry["probs"]["issue_types"], want["issue_types"][:, ::-1], atol=1e-6)
    np.testing.assert_allclose(entry["probs"]["sentiment"], want["sentiment"], atol=1e-6)

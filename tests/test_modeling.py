import json

import numpy as np
import pytest

from feedback_nlp.features import NgramFeaturizer
from feedback_nlp.modeling import ModelFormatError, NgramModel
from feedback_nlp.tasks.base import HeadSpec


def _tiny(tmp_path):
    f = NgramFeaturizer(min_df=1).fit(["很好", "很差", "一般"])
    head = HeadSpec("sentiment", "multiclass", ["negative", "neutral", "positive"])
    w = np.random.default_rng(0).normal(size=(f.n_features, 3)).astype(np.float32)
    m = NgramModel(f, {"sentiment": head}, {"sentiment": (w, np.zeros(3, np.float32))}, {"name": "t"})
    return m.save_pretrained(tmp_path / "m")


def test_roundtrip(tmp_path):
    d = _tiny(tmp_path)
    m = NgramModel.from_pretrained(d)
    assert m.heads["sentiment"].labels == ["negative", "neutral", "positive"]
    p = m.predict_proba(["很好"])["sentiment"]
    assert p.shape == (1, 3) and p.sum() == pytest.approx(1.0)


def test_refuses_pickles(tmp_path):
    d = _tiny(tmp_path)
    (d / "evil.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ModelFormatError, match="evil.pkl"):
        NgramModel.from_pretrained(d)


def test_refuses_pickled_npy(tmp_path):
    d = _tiny(tmp_path)
    np.save(d / "heads" / "sentiment.bias.npy", np.array([object()] * 3), allow_pickle=True)
    with pytest.raises(ModelFormatError, match="cannot read"):
        NgramModel.from_pretrained(d)


def test_clear_errors(tmp_path):
    with pytest.raises(ModelFormatError, match="not found"):
        NgramModel.from_pretrained(tmp_path / "nope")
    d = _tiny(tmp_path)
    (d / "model.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        NgramModel.from_pretrained(d)


def test_shape_mismatch(tmp_path):
    d = _tiny(tmp_path)
    card = json.loads((d / "model.json").read_text())
    card["tasks"]["sentiment"]["labels"] = ["a", "b"]
    (d / "model.json").write_text(json.dumps(card))
    with pytest.raises(ModelFormatError, match="do not fit"):
        NgramModel.from_pretrained(d)


def test_shipped_model_card(analyzer):
    model = analyzer.task_models["sentiment"]
    card = model.card
    for key in ("name", "version", "command", "training_data", "tasks", "featurizer"):
        assert key in card
    for task in ("spam", "issue_types", "sentiment", "severity"):
        entry = card["tasks"][task]
        assert entry["labels"] and "dev" in entry["metrics"] and "test" in entry["metrics"]
    files = {p.suffix for p in model.path.rglob("*") if p.is_file()}
    assert files <= {".json", ".txt", ".npy", ".onnx", ".md"}

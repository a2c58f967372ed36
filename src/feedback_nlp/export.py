"""ONNX export of a model directory: one id-input graph scoring every head.

Graph inputs (the featuriser's output, rule in :mod:`feedback_nlp.features`):

- ``ids``: int64 [batch, n] n-gram ids, padded with 0,
- ``weights``: float32 [batch, n] TF-IDF weights (already L2-normalised), padded with 0.

Outputs: ``logits`` float32 [batch, sum(k)], and per task ``<task>`` float32
[batch, k] probabilities (softmax for multiclass heads, sigmoid for multilabel).
Computation: ``Gather(W, ids) * weights -> ReduceSum(axis 1) + b`` — the same
arithmetic as :func:`feedback_nlp.features.linear_scores`.

Building a graph needs the ``onnx`` package (train extra); running one needs
only ``onnxruntime``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from .features import SparseRows
from .modeling import ModelFormatError, NgramModel
from .tasks.base import MULTILABEL

OPSET = 17


def build_onnx(model: NgramModel):
    """Return an ``onnx.ModelProto`` for all heads of ``model``."""
    from .extras import require_extra

    require_extra("train", "exporting to ONNX", ("onnx",))
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    W, b = model._W, model._b
    inits = [numpy_helper.from_array(W.astype(np.float32), "W"), numpy_helper.from_array(b.astype(np.float32), "b"),
             numpy_helper.from_array(np.array([2], np.int64), "axis2"),
             numpy_helper.from_array(np.array([1], np.int64), "axis1")]
    nodes = [
        helper.make_node("Gather", ["W", "ids"], ["gathered"], axis=0),
        helper.make_node("Unsqueeze", ["weights", "axis2"], ["weights3"]),
        helper.make_node("Mul", ["gathered", "weights3"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axis1"], ["summed"], keepdims=0),
        helper.make_node("Add", ["summed", "b"], ["logits"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", W.shape[1]])]
    for task in model.tasks:
        s = model._slices[task]
        starts, ends = f"{task}_start", f"{task}_end"
        inits += [numpy_helper.from_array(np.array([s.start], np.int64), starts),
                  numpy_helper.from_array(np.array([s.stop], np.int64), ends)]
        nodes.append(helper.make_node("Slice", ["logits", starts, ends, "axis1"], [f"{task}_logits"]))
        op = "Sigmoid" if model.heads[task].kind == MULTILABEL else "Softmax"
        attrs = {} if op == "Sigmoid" else {"axis": 1}
        nodes.append(helper.make_node(op, [f"{task}_logits"], [task], **attrs))
        outputs.append(helper.make_tensor_value_info(task, TensorProto.FLOAT, ["batch", s.stop - s.start]))
    graph = helper.make_graph(
        nodes, "feedback_nlp_ngram_heads",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "n"]),
         helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["batch", "n"])],
        outputs, initializer=inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="feedback-nlp")
    proto.ir_version = 8
    proto.metadata_props.extend([
        onnx.StringStringEntryProto(key="tasks", value=",".join(model.tasks)),
        onnx.StringStringEntryProto(key="featurizer", value="see model.json 'featurizer' and docs/FEATURES.md"),
    ])
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model_dir: str | Path, output: Optional[str | Path] = None) -> Path:
    """Write ``model.onnx`` (default: into the model directory) and return its path.

    A model with a decision stage also gets ``decision_rules.json`` in its directory: the
    patterns its combiners' evidence reads (:mod:`feedback_nlp.host_rules`), which a host
    running the graph needs to make the same decisions."""
    from .host_rules import write_decision_rules

    model = NgramModel.from_pretrained(model_dir)
    out = Path(output) if output else Path(model.path) / "model.onnx"
    proto = build_onnx(model)
    out.write_bytes(proto.SerializeToString())
    if any(h.combiner is not None for h in model.heads.values()):
        write_decision_rules(model.path)
    return out


class OnnxScorer:
    """Runs an exported graph with onnxruntime: probabilities per task from features."""

    def __init__(self, path: str | Path, tasks: list[str]):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelFormatError(f"cannot load ONNX graph {path}: {e}") from None
        self.tasks = tasks

    def predict_proba(self, rows: SparseRows) -> dict[str, np.ndarray]:
        ids, weights = rows.padded()
        outs = self.session.run(self.tasks, {"ids": ids, "weights": weights})
        return dict(zip(self.tasks, outs))

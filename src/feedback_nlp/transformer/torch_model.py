"""The torch side: encoder + linear heads, masked multi-task loss, ONNX export, saving.

Needs torch and transformers (the ``[transformer]`` extra); the ONNX export also needs
``onnxscript`` (torch's exporter). Nothing here is imported at inference time.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from ..extras import require_extra

require_extra("transformer", "the transformer model code", ("torch", "transformers"))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from ..tasks.base import MULTILABEL, HeadSpec
from .runtime import FORMAT, FORMAT_VERSION

IGNORE = -100


class MultiTaskModel(nn.Module):
    """One encoder (any ``transformers`` encoder returning ``last_hidden_state``) and a
    linear head per task over the mean-pooled token states (padding excluded), or over the
    encoder's own ``pooler_output`` when its config says ``sentence_pooling = "encoder"``
    (USE pools inside the network: :mod:`feedback_nlp.transformer.convert.use_model`)."""

    def __init__(self, encoder: nn.Module, heads: Mapping[str, HeadSpec], dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.specs = dict(heads)
        self.tasks = list(heads)
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({t: nn.Linear(hidden, len(h.labels)) for t, h in heads.items()})

    @property
    def pools_inside(self) -> bool:
        """Whether the heads read the encoder's own ``pooler_output`` instead of mean-pooled states."""
        return getattr(self.encoder.config, "sentence_pooling", "mean") == "encoder"

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        if self.pools_inside:
            return out.pooler_output
        h = out.last_hidden_state
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1).clamp(min=1.0)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        e = self.embed(input_ids, attention_mask)
        z = self.dropout(e)
        return {t: self.heads[t](z) for t in self.tasks}, e


def multitask_loss(logits: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor],
                   specs: Mapping[str, HeadSpec], class_weights: Optional[Mapping[str, torch.Tensor]] = None
                   ) -> tuple[torch.Tensor, dict[str, float]]:
    """Sum over tasks of each head's loss on the rows labelled for it.

    ``targets[task]``: multiclass -> int64 ``[B]`` with ``-100`` where unlabelled, or float ``[B, k]``
    class probabilities (soft targets) plus ``targets[task + ":mask"]`` bool ``[B]``;
    multilabel -> float ``[B, k]`` plus the mask.
    A task with no labelled row in the batch contributes nothing.
    """
    total = None
    parts: dict[str, float] = {}
    for t, spec in specs.items():
        z = logits[t]
        if spec.kind == MULTILABEL:
            m = targets[t + ":mask"]
            if not bool(m.any()):
                continue
            loss = F.binary_cross_entropy_with_logits(z[m], targets[t][m])
        elif targets[t].is_floating_point():  # soft targets: a probability per class, rows chosen by the mask
            m = targets[t + ":mask"]
            if not bool(m.any()):
                continue
            w = None if class_weights is None else class_weights.get(t)
            loss = F.cross_entropy(z[m], targets[t][m], weight=w)
        else:
            y = targets[t]
            if not bool((y != IGNORE).any()):
                continue
            w = None if class_weights is None else class_weights.get(t)
            loss = F.cross_entropy(z, y, weight=w, ignore_index=IGNORE)
        parts[t] = float(loss.detach())
        total = loss if total is None else total + loss
    if total is None:
        total = sum(p.sum() * 0.0 for p in logits.values())
    return total, parts


class _ExportWrapper(nn.Module):
    """ids, mask -> (probabilities per task..., logits, embeddings)."""

    def __init__(self, model: MultiTaskModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        e = self.model.embed(input_ids, attention_mask)
        outs, logits = [], []
        for t in self.model.tasks:
            z = self.model.heads[t](e)
            logits.append(z)
            outs.append(torch.sigmoid(z) if self.model.specs[t].kind == MULTILABEL else torch.softmax(z, dim=-1))
        return (*outs, torch.cat(logits, dim=-1), e)


def export_onnx(model: MultiTaskModel, path: str | Path, max_len: int = 512, opset: int = 18) -> Path:
    """Write the float32 ONNX graph (dynamic batch and sequence axes) with torch's exporter.

    Inputs ``input_ids``, ``attention_mask`` (int64 ``[batch, seq]``); outputs one
    probability tensor per task (named after the task), ``logits`` (heads
    concatenated in task order) and ``embeddings`` (mean-pooled, ``[batch, hidden]``).
    """
    from torch.export import Dim

    path = Path(path)
    model = model.eval().to("cpu")
    wrapper = _ExportWrapper(model).eval()
    ids = torch.full((2, 8), 5, dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 6:] = 0
    max_seq = int(min(max_len, getattr(model.encoder.config, "max_position_embeddings", max_len)))
    batch, seq = Dim("batch", min=1, max=4096), Dim("seq", min=2, max=max_seq)
    names = list(model.tasks) + ["logits", "embeddings"]
    with torch.no_grad():
        prog = torch.onnx.export(wrapper, (ids, mask), None, input_names=["input_ids", "attention_mask"],
                                 output_names=names, opset_version=opset, dynamo=True, external_data=False,
                                 dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
                                 verbose=False)
    prog.save(str(path), external_data=False)
    return path


#: Which weights :func:`quantize_int8` turns into int8, by torch module path (``fnmatch``
#: patterns on the path inside :class:`MultiTaskModel`, e.g.
#: ``encoder.encoder.layer.0.intermediate.dense``, ``heads.spam``): ``include`` then ``exclude``.
#: ``None``: onnxruntime's own choice (every MatMul/Gemm, the task heads included, and the
#: embedding tables (Gather)) -- the setting before issue 5, kept for comparisons.
INT8_PRESETS: dict[str, Optional[dict]] = {
    # the default: the feed-forward blocks (2/3 of the encoder's weight FLOPs) only
    "ffn": {"include": ("encoder.*.intermediate.dense", "encoder.*.output.dense"), "exclude": ("*.attention.*",)},
    # every encoder linear layer (attention projections too); heads and embedding tables fp32
    "encoder": {"include": ("encoder.*",), "exclude": ()},
    "all": None,
}
DEFAULT_INT8_PRESET = "ffn"
_SCOPES_KEY = "pkg.torch.onnx.name_scopes"  # node metadata written by torch.onnx.export(dynamo=True)


def linear_nodes(model) -> list[tuple[str, str, str]]:
    """``(node name, op type, torch module path)`` of every MatMul/Gemm node of an exported
    graph that multiplies by a weight (an initializer), in graph order.

    The module path comes from the exporter's ``pkg.torch.onnx.name_scopes`` node metadata,
    relative to :class:`MultiTaskModel` (``encoder.encoder.layer.1.output.dense``,
    ``heads.issue_types``); a head is also recognised without metadata as a node reading
    the ``embeddings`` output (the heads' input). ``""`` when neither tells.
    """
    import ast

    import onnx

    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model), load_external_data=False)
    weights = {i.name for i in model.graph.initializer}
    out = []
    for n in model.graph.node:
        if n.op_type not in ("MatMul", "Gemm") or not any(i in weights for i in n.input[:2]):
            continue
        module = ""
        for p in n.metadata_props:
            if p.key == _SCOPES_KEY:
                try:
                    scopes = ast.literal_eval(p.value)
                except (ValueError, SyntaxError):
                    scopes = []
                if len(scopes) >= 2:  # [..., module path, the fx node's own name]
                    module = scopes[-2]
                    module = module[len("model."):] if module.startswith("model.") else module
        if not module.startswith("heads.") and "embeddings" in n.input[:1]:
            module = "heads.?"
        out.append((n.name, n.op_type, module))
    return out


def quantize_int8(src: str | Path, dst: str | Path, preset: str = DEFAULT_INT8_PRESET, *,
                  include: Optional[Sequence[str]] = None, exclude: Optional[Sequence[str]] = None,
                  per_channel: bool = False) -> dict:
    """int8 dynamic quantisation (``onnxruntime.quantization.quantize_dynamic``) of the
    MatMul weights chosen by ``preset`` (:data:`INT8_PRESETS`) or by ``include`` /
    ``exclude`` module patterns; returns the settings (written to ``model.json``).

    Why the default (``"ffn"``) keeps the attention projections, the task heads and the
    embedding tables in float32 (issue 5, ``docs/TRANSFORMER.md#int8``): int8 labels must
    agree with torch on >= 99.5% of the test texts for every task, and the multi-label issue
    heads have many probabilities within 1e-3 of their thresholds. Quantising everything
    (``"all"``) changed 2.2% of the issue label sets; the head weights and the per-tensor int8
    embedding tables caused most of it, the attention projections about as much error as the
    feed-forward blocks at half their FLOPs. ``"ffn"``: >= 99.5% on every task (dev and test).
    Per-channel weights and static (QDQ, calibrated) quantisation were worse.

    ``quantize_dynamic`` first rewrites a Gemm as MatMul + Add named ``<gemm>_MatMul``, so
    both names are passed to ``nodes_to_quantize``.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if preset not in INT8_PRESETS:
        raise ValueError(f"unknown int8 preset {preset!r} (known: {', '.join(INT8_PRESETS)})")
    spec = INT8_PRESETS[preset]
    settings = {"preset": preset, "method": "onnxruntime.quantization.quantize_dynamic",
                "weights": "int8 symmetric, " + ("per channel" if per_channel else "per tensor"),
                "activations": "uint8, scale computed per tensor at run time"}
    if spec is None and include is None and exclude is None:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel)
        settings["quantized"] = "onnxruntime's default: every MatMul/Gemm (heads included) and the embedding tables"
        return settings
    import fnmatch

    spec = spec or {"include": ("*",), "exclude": ()}
    inc = tuple(include if include is not None else spec["include"])
    exc = tuple(exclude if exclude is not None else spec["exclude"])
    nodes = linear_nodes(src)
    chosen = [(name, op, mod) for name, op, mod in nodes
              if any(fnmatch.fnmatchcase(mod, p) for p in inc) and not any(fnmatch.fnmatchcase(mod, p) for p in exc)]
    if not chosen:
        raise ValueError(f"int8: no MatMul/Gemm weight of {src} matches include={list(inc)} exclude={list(exc)} "
                         f"(modules: {sorted({m for _, _, m in nodes})})")
    names = [n for name, op, _ in chosen for n in ((name, name + "_MatMul") if op == "Gemm" else (name,))]
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel,
                     op_types_to_quantize=["MatMul", "Gemm"], nodes_to_quantize=names)
    settings.update({"include": list(inc), "exclude": list(exc), "quantized_modules": [m for _, _, m in chosen],
                     "float32": "every other MatMul/Gemm (task heads included), the embedding tables"})
    return settings


def torch_predict(model: MultiTaskModel, tokenizer, texts: Sequence[str], batch_size: int = 32,
                  device: str = "cpu") -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Probabilities per task and embeddings from the torch model (for checks against ONNX)."""
    model = model.eval().to(device)
    probs: dict[str, list] = {t: [] for t in model.tasks}
    embs = []
    with torch.no_grad():
        for s in range(0, len(texts), batch_size):
            ids, mask = tokenizer.batch(texts[s:s + batch_size])
            logits, e = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
            for t in model.tasks:
                z = logits[t].float()
                p = torch.sigmoid(z) if model.specs[t].kind == MULTILABEL else torch.softmax(z, -1)
                probs[t].append(p.cpu().numpy())
            embs.append(e.float().cpu().numpy())
    return {t: np.concatenate(v) for t, v in probs.items()}, np.concatenate(embs)


def save_model_dir(model: MultiTaskModel, tokenizer, directory: str | Path, card: dict, *,
                   quantize: bool = True, routing: Optional[dict] = None,
                   int8_preset: str = DEFAULT_INT8_PRESET) -> Path:
    """Write a transformer model directory (layout in :mod:`feedback_nlp.transformer.runtime`);
    ``model.int8.onnx`` with :func:`quantize_int8` ``(preset=int8_preset)`` unless ``quantize`` is false.
    ``tokenizer`` (WordPiece or unigram) writes its own files and card entry, its ``max_len``
    bounds the exported graph."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model = model.eval().to("cpu")
    tokenizer_entry = tokenizer.save(directory)
    export_onnx(model, directory / "model.onnx", max_len=tokenizer.max_len)
    onnx_files: dict = {"float32": "model.onnx"}
    if quantize and not getattr(model.encoder.config, "int8_presets_apply", True):
        quantize = False
        onnx_files["int8_skipped"] = (f"no int8 variant: the presets name BERT modules that "
                                      f"{model.encoder.config.model_type} lacks")
    if quantize:
        int8 = quantize_int8(directory / "model.onnx", directory / "model.int8.onnx", int8_preset)
        onnx_files["int8"] = "model.int8.onnx"
        onnx_files["int8_quantization"] = int8
    enc_dir = directory / "encoder"
    if enc_dir.exists():
        shutil.rmtree(enc_dir)
    model.encoder.save_pretrained(enc_dir, safe_serialization=True)
    tokenizer.save(enc_dir)  # the encoder folder is itself a usable --base: tokenizer files next to it
    save_file({f"{t}.{k}": v.detach().contiguous() for t in model.tasks
               for k, v in model.heads[t].state_dict().items()}, str(directory / "heads.safetensors"))
    card = dict(card)
    card["format"] = FORMAT
    card["format_version"] = FORMAT_VERSION
    card["tokenizer"] = tokenizer_entry
    card["onnx"] = {**onnx_files, "inputs": ["input_ids", "attention_mask"],
                    "outputs": list(model.tasks) + ["logits", "embeddings"],
                    "embeddings": "the encoder's pooler_output (for USE: its sentence vector before the L2 norm)"
                    if model.pools_inside else "mean of the last layer's token states over attention_mask"}
    card["encoder"] = {"dir": "encoder", "model_type": model.encoder.config.model_type,
                       "hidden_size": model.encoder.config.hidden_size,
                       "num_hidden_layers": getattr(model.encoder.config, "num_hidden_layers", None)}
    card["heads_weights"] = "heads.safetensors"
    tasks = {}
    for t, spec in model.specs.items():
        entry = dict(card.get("tasks", {}).get(t, {}))
        entry.update({"kind": spec.kind, "labels": list(spec.labels), "thresholds": dict(spec.thresholds)})
        tasks[t] = entry
    card["tasks"] = tasks
    if routing is not None:
        (directory / "routing.json").write_text(json.dumps(routing, ensure_ascii=False, indent=2), encoding="utf-8")
        card["routing"] = "routing.json"
    (directory / "model.json").write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
    return directory


def update_card(directory: str | Path, card: dict) -> None:
    """Rewrite model.json (e.g. after thresholds and metrics were set on dev)."""
    Path(directory, "model.json").write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")

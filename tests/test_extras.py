"""Missing optional extras: one line naming the install command, exit code 2, no traceback.

Each test hides a module (``sys.modules[name] = None`` makes its import fail, as
when the extra is not installed) and runs the command or API entry point.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from feedback_nlp.cli import main
from feedback_nlp.extras import EXTRAS, MissingExtraError, require_extra, run_main

REPO = Path(__file__).resolve().parents[1]
MODEL = str(REPO / "models" / "feedback-zh-ngram")


def _hide(monkeypatch, *names):
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def _one_line_hint(err: str, extra: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f'pip install "feedback-nlp[{extra}]"' in lines[0] and f"[{extra}] extra" in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("hidden, argv, extra", [
    ("sklearn", ["train", "--task", "topic", "--data", "missing.csv", "-o", "m"], "train"),
    ("scipy", ["train", "--task", "sentiment", "--data", "missing.csv", "-o", "m"], "train"),
    ("onnx", ["export", MODEL, "-o", "x.onnx"], "train"),
    ("torch", ["train", "--backend", "transformer", "--base", "b", "--task", "topic", "--data", "missing.csv",
               "-o", "m"], "transformer"),
    ("transformers", ["train", "--backend", "transformer", "--base", "b", "--task", "topic", "--data", "missing.csv",
                      "-o", "m"], "transformer"),
])
def test_cli_missing_extra_is_one_line(monkeypatch, capsys, tmp_path, hidden, argv, extra):
    monkeypatch.chdir(tmp_path)
    _hide(monkeypatch, hidden)
    assert main(argv) == 2
    _one_line_hint(capsys.readouterr().err, extra)
    assert not (tmp_path / "m").exists() and not (tmp_path / "x.onnx").exists()


def test_transformer_training_does_not_need_transformer_base_check_first(monkeypatch, capsys):
    # --base is checked before the (slow) extra import, as a usage error.
    assert main(["train", "--backend", "transformer", "--task", "topic", "--data", "d.csv", "-o", "m"]) == 2
    assert "needs --base" in capsys.readouterr().err


def test_evaluate_needs_no_extra(monkeypatch, capsys, tmp_path):
    """Evaluating runs the model (numpy only): it works with every training package hidden."""
    _hide(monkeypatch, "sklearn", "scipy", "onnx", "torch")
    data = tmp_path / "d.csv"
    rows = ["质量很好,positive", "很满意,positive", "太差了,negative", "坏了,negative", "一般,neutral", "还行,neutral"]
    data.write_text("id,text,sentiment\n" + "".join(f"{i},{r}\n" for i, r in enumerate(rows)), encoding="utf-8")
    assert main(["evaluate", MODEL, "--data", str(data), "--task", "sentiment", "-o", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r.json").is_file()


def test_api_train_model_raises_one_line_error(monkeypatch):
    from feedback_nlp.labelled_data import LabelledData
    from feedback_nlp.train import train_model

    _hide(monkeypatch, "sklearn")
    with pytest.raises(MissingExtraError) as e:
        train_model({"topic": LabelledData(["a", "b"], ["x", "y"])})
    assert str(e.value) == 'training an n-gram model needs the [train] extra: pip install "feedback-nlp[train]"'
    assert e.value.__cause__ is None and e.value.__suppress_context__
    assert isinstance(e.value, ImportError)  # callers catching ImportError still do


def test_api_export_raises_one_line_error(monkeypatch):
    from feedback_nlp.export import export_onnx

    _hide(monkeypatch, "onnx")
    with pytest.raises(MissingExtraError, match=r"\[train\] extra"):
        export_onnx(MODEL, "unused.onnx")


def test_transformer_training_modules_name_the_extra(monkeypatch):
    for mod in ("feedback_nlp.transformer.training", "feedback_nlp.transformer.torch_model"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    _hide(monkeypatch, "torch")
    with pytest.raises(MissingExtraError, match=r'pip install "feedback-nlp\[transformer\]"'):
        import feedback_nlp.transformer.training  # noqa: F401


def test_train_extra_has_no_torch():
    """The n-gram training extra stays small: no torch, transformers or datasets in [train]."""
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    heavy = ("torch", "transformers", "datasets")
    for name in ("train", "dev"):
        assert not [d for d in extras[name] if d.split("=")[0].split(">")[0].strip() in heavy], name
    assert "torch==2.13.0" in extras["transformer"]
    assert set(EXTRAS) <= set(extras)


def test_run_main_turns_a_missing_extra_into_one_line(monkeypatch, capsys):
    _hide(monkeypatch, "torch")
    assert run_main(lambda: require_extra("transformer", "x.py") or 0, "x.py") == 2
    _one_line_hint(capsys.readouterr().err, "transformer")


@pytest.mark.parametrize("script, hidden, args, extra", [
    ("train_transformer.py", "torch", ["--base", "b", "-o", "o"], "transformer"),
    ("pretrain_encoder.py", "torch", [], "transformer"),
    ("compare_backends.py", "torch", [], "transformer"),
    ("train_baseline.py", "sklearn", [], "train"),
])
def test_training_scripts_name_their_extra(tmp_path, script, hidden, args, extra):
    code = (f"import sys, runpy; sys.modules[{hidden!r}] = None; sys.argv = [{script!r}] + {args!r}; "
            f"runpy.run_path({str(REPO / 'training' / script)!r}, run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    _one_line_hint(proc.stderr, extra)

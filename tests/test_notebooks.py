"""Execute the notebooks so they never go stale."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _run(path: Path, tmp_path: Path, monkeypatch):
    # The kernel runs in tmp_path: make the source tree importable even without an install.
    import os

    src = str(Path(__file__).resolve().parents[1] / "src")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def test_quickstart(tmp_path, monkeypatch):
    nb = _run(NOTEBOOKS / "quickstart.ipynb", tmp_path, monkeypatch)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("sentiment_score" in str(o) for o in outputs)


def test_retrain_on_your_tickets(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    pytest.importorskip("onnx")
    nb = _run(NOTEBOOKS / "retrain_on_your_tickets.ipynb", tmp_path, monkeypatch)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("unknown labels" in str(o) for o in outputs)


def test_review_loop(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    nb = _run(NOTEBOOKS / "review_loop.ipynb", tmp_path, monkeypatch)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(str(o) for o in outputs)
    assert "1 skipped (every annotation cancelled)" in text and "after review" in text

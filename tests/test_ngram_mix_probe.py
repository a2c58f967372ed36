"""training/ngram_mix_probe.py: the mix it scores and the rule it chooses by, on tiny data made here."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import ngram_mix_probe as probe  # noqa: E402


def test_mix_rows_give_the_weighted_sum_of_the_cosines():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    a, b = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    X = probe.mix(a, b, 0.3)
    np.testing.assert_allclose(X @ X.T, 0.7 * (a @ a.T) + 0.3 * (b @ b.T), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-6)


def test_a_cell_passes_only_when_every_set_meets_the_floor():
    ok = {"in_best_cluster": 16, "purity": 0.5}
    assert probe.passes({"a": ok, "b": {"in_best_cluster": 20, "purity": 1.0}})
    assert not probe.passes({"a": ok, "b": {"in_best_cluster": 15, "purity": 1.0}})
    assert not probe.passes({"a": ok, "b": {"in_best_cluster": 20, "purity": 0.49}})

"""training/new_vocabulary_probe.py: the threshold-free neighbour purity."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import new_vocabulary_probe as probe  # noqa: E402


def test_neighbour_purity_is_the_share_of_planted_neighbours():
    rng = np.random.default_rng(0)
    others = rng.normal(size=(40, 8))
    planted = np.tile(np.eye(8)[0] * 10, (5, 1)) + rng.normal(scale=0.01, size=(5, 8))
    X = np.vstack([others[:20], planted, others[20:]])
    # each planted row's 4 nearest other rows are the other 4 planted rows, then strangers
    assert probe.neighbour_purity(X, range(20, 25), k=4) == 1.0
    assert probe.neighbour_purity(X, range(20, 25), k=8) == 0.5
    # scattered planted rows have mostly strangers as neighbours
    assert probe.neighbour_purity(np.vstack([others[:20], rng.normal(size=(5, 8)), others[20:]]),
                                  range(20, 25), k=4) < 0.5

"""training/tune_semantic_encoder.py: the whitening and the choice of settings, on tiny data made here."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import tune_semantic_encoder as tune  # noqa: E402


def test_within_scatter_ignores_singleton_groups_and_group_means():
    X = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 5.0], [0.0, 7.0], [9.0, 9.0]])
    Sw = tune.within_scatter(X, ["a", "a", "b", "b", "alone"])
    assert np.allclose(Sw, [[0.5, 0.0], [0.0, 0.5]])  # deviations of +-1 along each axis, 4 rows


def test_whitening_shrinks_the_directions_problems_vary_along():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 4)) * [1.0, 1.0, 0.1, 0.1]  # problems differ along axes 0 and 1
    groups = np.repeat(np.arange(20), 10)
    X = centres[groups] + rng.normal(size=(200, 4)) * [0.1, 0.1, 1.0, 1.0]  # ...and vary inside along 2, 3
    W = tune.whitening(tune.within_scatter(X, list(groups)), lam=0.1)
    assert np.isclose(np.linalg.norm(W, 2), 1.0)
    Y = X @ W
    inside, between = tune.within_scatter(Y, list(groups)), np.cov(Y.T)
    assert np.trace(inside) / np.trace(between) < 0.5 * np.trace(tune.within_scatter(X, list(groups))) / np.trace(np.cov(X.T))
    assert np.array_equal(tune.whitening(np.eye(4), float("inf")), np.eye(4, dtype=np.float32))
    # more shrinkage, closer to plain scaling
    W_big = tune.whitening(tune.within_scatter(X, list(groups)), lam=1e6)
    assert np.allclose(W_big, np.eye(4), atol=1e-4)


def test_choose_takes_the_best_smoothed_dev_ari_and_ties_to_the_higher_threshold():
    # A lone spike (0.3 at 0.35) loses to a steady plateau; the plateau's tie goes to the higher threshold.
    spiky = {0.3: 0.1, 0.35: 0.3, 0.4: 0.1, 0.45: 0.1}
    steady = {0.3: 0.2, 0.35: 0.2, 0.4: 0.2, 0.45: 0.2}
    assert tune.smoothed(spiky)[0.35] == pytest.approx(0.5 / 3)
    assert tune.choose({(3.0, 0.2): spiky, (1.0, 0.25): steady}) == ((1.0, 0.25, 0.45), True)


def test_choose_with_a_floor_takes_the_best_accepted_setting_or_says_none_was():
    grid = {("a",): {0.3: 0.3, 0.4: 0.3}, ("b",): {0.3: 0.1, 0.4: 0.2}}
    seen = []

    def only_b(setting):
        seen.append(setting)
        return setting[0] == "b"

    assert tune.choose(grid, only_b) == (("b", 0.4), True)
    assert seen == [("a", 0.4), ("a", 0.3), ("b", 0.4)]  # best first, stopping at the first accepted
    assert tune.choose(grid, lambda s: False) == (("a", 0.4), False)  # none: the best, flagged
    assert tune.choose(grid, only_b, tries=2) == (("a", 0.4), False)  # b lies beyond the tries


def test_discriminant_keeps_the_directions_problem_means_differ_along():
    rng = np.random.default_rng(1)
    centres = np.zeros((30, 3))
    centres[:, 0] = rng.normal(size=30)  # problems differ along axis 0 only
    groups = np.repeat(np.arange(30), 8)
    X = centres[groups] + rng.normal(size=(240, 3)) * [0.1, 1.0, 1.0]
    Sw, Sb = tune.within_scatter(X, list(groups)), tune.between_scatter(X, list(groups))
    assert Sb[0, 0] > 4 * max(Sb[1, 1], Sb[2, 2])  # the others: noise in 8-record means (1/8)
    W = tune.whitening(Sw, 1.0, Sb, k=1)
    assert W.shape == (3, 3) and np.linalg.matrix_rank(W, tol=1e-6) == 1
    gain = np.linalg.norm(np.eye(3) @ W, axis=1)  # what each axis contributes after the projection
    assert gain[0] > 5 * max(gain[1], gain[2])
    assert np.allclose(tune.whitening(Sw, 1.0, Sb, k=3), tune.whitening(Sw, 1.0))  # all directions: whitening only

"""training/hidden_student.py: the hidden-layer student's scoring rule and its training, on data made here."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import hidden_student as hs  # noqa: E402


def test_hidden_student_logits_are_the_wide_path_plus_the_relu_layer():
    import numpy as np

    from feedback_nlp.features import SparseRows

    rng = np.random.default_rng(0)
    W, b, H, c, V = (rng.normal(size=s).astype(np.float32) for s in ((6, 2), (2,), (6, 3), (3,), (3, 2)))
    dense = np.array([[0.5, 0, 0, 0.5, 0, 0], [0, 0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0, 0.25]], np.float32)
    ids, weights, indptr = [], [], [0]
    for row in dense:
        nz = np.flatnonzero(row)
        ids += nz.tolist()
        weights += row[nz].tolist()
        indptr.append(len(ids))
    rows = SparseRows(np.array(indptr, np.int64), np.array(ids, np.int64), np.array(weights, np.float32))
    got = hs.HiddenStudent(W, b, H, c, V).logits(rows)
    want = dense @ W + b + np.maximum(dense @ H + c, 0) @ V
    assert np.allclose(got, want, atol=1e-5)  # the empty text gets b + relu(c) V
    # a hidden layer over n-grams 0, 3 and 5 only: H has their rows, the others add nothing to it
    kept = np.array([0, 3, 5])
    sparse_H = np.zeros_like(H)
    sparse_H[kept] = H[kept]
    got = hs.HiddenStudent(W, b, H[kept], c, V, hidden_ids=kept).logits(rows)
    assert np.allclose(got, dense @ W + b + np.maximum(dense @ sparse_H + c, 0) @ V, atol=1e-5)


def test_hidden_student_learns_an_interaction_a_linear_head_cannot():
    import numpy as np
    import pytest
    from scipy.sparse import csr_matrix

    pytest.importorskip("torch")
    from feedback_nlp.features import SparseRows
    from feedback_nlp.tasks.base import MULTILABEL, HeadSpec

    # label = feature 0 XOR feature 1 (feature 2 always on): no linear head separates it
    combos = np.array([[0, 0], [1, 0], [0, 1], [1, 1]] * 50, np.float32)
    X = csr_matrix(np.hstack([combos, np.ones((200, 1), np.float32)]))
    y = (combos[:, 0] != combos[:, 1]).astype(np.float32)[:, None]
    head = HeadSpec(task="odd_one", kind=MULTILABEL, labels=["odd"])
    seen = []
    hs.fit_hidden_head(X, y, head, hidden=8, sample_weight=np.ones(200), epochs=60,
                       on_epoch=lambda e, st: seen.append((e, st)), lr=0.05, batch_size=32)
    assert [e for e, _ in seen] == list(range(1, 61))  # one call per epoch, for the caller to choose on dev
    rows = SparseRows(X.indptr.astype(np.int64), X.indices.astype(np.int64), X.data.astype(np.float32))
    p = 1 / (1 + np.exp(-seen[-1][1].logits(rows)[:, 0]))
    assert ((p > 0.5) == (y[:, 0] > 0.5)).mean() == 1.0
    # the hidden layer reading feature 2 alone (always on) cannot tell the cases apart
    seen.clear()
    hs.fit_hidden_head(X, y, head, hidden=8, sample_weight=np.ones(200), epochs=60,
                       on_epoch=lambda e, st: seen.append((e, st)), lr=0.05, batch_size=32, hidden_ids=np.array([2]))
    assert seen[-1][1].H.shape == (1, 8)
    p = 1 / (1 + np.exp(-seen[-1][1].logits(rows)[:, 0]))
    assert ((p > 0.5) == (y[:, 0] > 0.5)).mean() <= 0.75

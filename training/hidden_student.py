"""A student with more capacity than the shipped linear heads: one hidden ReLU layer beside the
linear path, over the same character n-gram features (issue 13; ``distill_student.py --student hidden``).

Scoring needs numpy only (``HiddenStudent.logits``); training needs torch (the ``[transformer]`` extra).
"""
from __future__ import annotations

import numpy as np


class HiddenStudent:
    """A head with one hidden layer beside its linear path: a student with more capacity than the
    shipped linear heads. ``logits = X W + b + relu(X_h H + c) V``, where ``X_h`` keeps the n-grams
    of ``hidden_ids`` (all of them by default): the hidden layer's size is ``len(hidden_ids) x
    width``, and both paths are one gather per n-gram, as in the id-input graph."""

    def __init__(self, W: np.ndarray, b: np.ndarray, H: np.ndarray, c: np.ndarray, V: np.ndarray,
                 hidden_ids: np.ndarray | None = None):
        self.W, self.b = np.asarray(W, np.float32), np.asarray(b, np.float32)
        self.H, self.c, self.V = np.asarray(H, np.float32), np.asarray(c, np.float32), np.asarray(V, np.float32)
        self.remap = None
        if hidden_ids is not None:  # feature id -> row of H, -1 where the hidden layer does not read it
            self.remap = np.full(W.shape[0], -1, np.int64)
            self.remap[np.asarray(hidden_ids)] = np.arange(len(hidden_ids))

    def logits(self, rows) -> np.ndarray:
        from feedback_nlp.features import SparseRows, linear_scores

        deep_rows = rows
        if self.remap is not None:
            mapped = self.remap[rows.ids]
            keep = mapped >= 0
            indptr = np.concatenate([[0], np.cumsum(keep)])[rows.indptr]
            deep_rows = SparseRows(indptr.astype(np.int64), mapped[keep], rows.weights[keep])
        hidden = np.maximum(linear_scores(deep_rows, self.H, self.c), 0.0)
        return linear_scores(rows, self.W, self.b) + hidden @ self.V


class StudentModel:
    """The shipped model's heads with some tasks scored by :class:`HiddenStudent` instead: what
    ``evaluate_head`` and ``tune_thresholds`` need (``heads``, ``predict_proba``)."""

    def __init__(self, base, students: dict):
        self.base, self.students, self.heads = base, students, base.heads

    def predict_proba(self, norms) -> dict[str, np.ndarray]:
        rows = self.base.featurizer.transform(list(norms))
        logits = self.base.logits(rows)
        for task, student in self.students.items():
            logits[task] = student.logits(rows)
        return {t: self.heads[t].probabilities(z) for t, z in logits.items()}


def fit_hidden_head(X, targets: np.ndarray, head, hidden: int, sample_weight: np.ndarray, epochs: int,
                    on_epoch, seed: int = 0, lr: float = 2e-3, batch_size: int = 256,
                    hidden_ids: np.ndarray | None = None) -> None:
    """Train a :class:`HiddenStudent` on probability targets with torch (``[transformer]`` extra):
    cross-entropy against the soft targets (sigmoid per label for multilabel heads, softmax
    otherwise), weighted per row; ``on_epoch(epoch, student)`` after each epoch (the caller keeps
    the epoch dev prefers). ``hidden_ids``: the n-grams the hidden layer reads (default: all)."""
    from feedback_nlp.extras import require_extra
    from feedback_nlp.tasks.base import MULTILABEL

    require_extra("transformer", "the hidden-layer student (--student hidden)", ("torch",))
    import torch

    torch.manual_seed(seed)
    X = X.tocsr()
    n_features, k = X.shape[1], targets.shape[1]
    n_hidden_rows = n_features if hidden_ids is None else len(hidden_ids)
    remap = np.arange(n_features) if hidden_ids is None else np.full(n_features, n_hidden_rows)
    if hidden_ids is not None:
        remap[np.asarray(hidden_ids)] = np.arange(n_hidden_rows)  # the rest: the padding row, which adds 0
    remap = torch.from_numpy(remap.astype(np.int64))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.wide = torch.nn.EmbeddingBag(n_features, k, mode="sum", sparse=True)
            self.deep = torch.nn.EmbeddingBag(n_hidden_rows + 1, hidden, mode="sum", sparse=True,
                                              padding_idx=n_hidden_rows)
            torch.nn.init.zeros_(self.wide.weight)
            torch.nn.init.normal_(self.deep.weight, std=0.05)
            with torch.no_grad():
                self.deep.weight[n_hidden_rows].zero_()
            self.c = torch.nn.Parameter(torch.zeros(hidden))
            self.out = torch.nn.Linear(hidden, k)
            self.drop = torch.nn.Dropout(0.2)

        def forward(self, idx, off, w):
            h = torch.relu(self.deep(remap[idx], off, per_sample_weights=w) + self.c)
            return self.wide(idx, off, per_sample_weights=w) + self.out(self.drop(h))

    def bag(rows):
        return (torch.from_numpy(rows.indices.astype(np.int64)), torch.from_numpy(rows.indptr[:-1].astype(np.int64)),
                torch.from_numpy(rows.data.astype(np.float32)))

    net = Net()
    sparse = [net.wide.weight, net.deep.weight]
    dense = [net.c, *net.out.parameters()]
    opt_sparse, opt_dense = torch.optim.SparseAdam(sparse, lr=lr), torch.optim.AdamW(dense, lr=lr, weight_decay=1e-4)
    Y = torch.from_numpy(np.asarray(targets, np.float32))
    Wt = torch.from_numpy(np.asarray(sample_weight, np.float32))
    rng = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        net.train()
        perm = rng.permutation(X.shape[0])
        for s in range(0, X.shape[0], batch_size):
            b = perm[s:s + batch_size]
            z = net(*bag(X[b]))
            if head.kind == MULTILABEL:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(z, Y[b], reduction="none").mean(1)
            else:
                loss = -(Y[b] * torch.log_softmax(z, 1)).sum(1)
            loss = (loss * Wt[b]).sum() / Wt[b].sum()
            opt_sparse.zero_grad()
            opt_dense.zero_grad()
            loss.backward()
            opt_sparse.step()
            opt_dense.step()
        net.eval()
        with torch.no_grad():
            on_epoch(epoch, HiddenStudent(net.wide.weight.numpy().copy(), net.out.bias.numpy().copy(),
                                          net.deep.weight.numpy()[:n_hidden_rows].copy(), net.c.numpy().copy(),
                                          net.out.weight.numpy().T.copy(), hidden_ids))

"""Several encoders side by side: cosine of the whole = weighted sum of the parts' cosines.

Each part's rows are unit length; scaled by ``sqrt(weight)`` (weights summing to 1) and
concatenated, they give rows of unit length whose dot product is ``sum(weight_i * cos_i)``.
The shipped ``semantic`` encoder is one: the n-gram projection plus the issue-type posteriors
(:mod:`.posterior`), with a clustering threshold chosen for the mix.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import Encoder

__all__ = ["ConcatEncoder", "join_weighted"]


def join_weighted(blocks: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Unit rows ``blocks`` scaled by ``sqrt(weight)`` and side by side (float32): the dot product of
    two joined rows is ``sum(weight_i * cos_i)`` when the weights sum to 1."""
    return np.hstack([np.float32(np.sqrt(w)) * b for w, b in zip(weights, blocks)]).astype(np.float32)


class ConcatEncoder(Encoder):
    """Weighted concatenation of encoders (see the module docstring).

    Parameters
    ----------
    parts : sequence of (Encoder, weight)
        Weights must be positive; they are scaled to sum to 1.
    name, default_threshold : the mix's name and its clustering threshold.
    """

    def __init__(self, parts: Sequence[tuple[Encoder, float]], name: str = "concat",
                 default_threshold: float = 0.5):
        if not parts:
            raise ValueError("ConcatEncoder needs at least one part")
        weights = np.array([float(w) for _, w in parts])
        if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
            raise ValueError(f"part weights must be positive, got {weights.tolist()}")
        self.parts = [enc for enc, _ in parts]
        self.weights = weights / weights.sum()
        self.name, self.default_threshold = name, float(default_threshold)

    @property
    def dim(self) -> int:  # type: ignore[override]
        return sum(int(p.dim) for p in self.parts)

    @property
    def per_text(self) -> bool:  # type: ignore[override]
        return all(p.per_text for p in self.parts)

    def _join(self, blocks: list[np.ndarray]) -> np.ndarray:
        return join_weighted(blocks, self.weights)

    def fit_encode(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        """Each part's ``fit_encode`` (the n-gram sketch learns from the texts it clusters)."""
        return self._join([p.fit_encode(texts, normalized=normalized) for p in self.parts])

    def encode(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        return self._join([p.encode(texts, normalized=normalized) for p in self.parts])

    def __repr__(self) -> str:
        inner = ", ".join(f"{p.name}: {w:.2f}" for p, w in zip(self.parts, self.weights))
        return f"ConcatEncoder(name={self.name!r}, parts=[{inner}])"

"""What every tokenizer of the transformer backend does once it has content ids:
add the boundary tokens, cut to ``max_len``, pad a batch.  Shared so the WordPiece and
unigram tokenizers cannot drift apart on the part the ONNX graph sees."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np


class SequenceTokenizer:
    """Mixin: subclasses set ``cls_id``, ``sep_id``, ``pad_id``, ``max_len`` and define ``tokenize_ids``."""

    cls_id: int
    sep_id: int
    pad_id: int
    max_len: int

    def tokenize_ids(self, text: str) -> list[int]:
        raise NotImplementedError

    def encode(self, text: str, max_len: Optional[int] = None) -> list[int]:
        """``[CLS] tokens [SEP]`` cut to ``max_len`` ids (tokens are cut, [SEP] is kept)."""
        n = (max_len or self.max_len) - 2
        return [self.cls_id] + self.tokenize_ids(text)[:n] + [self.sep_id]

    def batch(self, texts: Sequence[str], max_len: Optional[int] = None) -> tuple[np.ndarray, np.ndarray]:
        """``(input_ids, attention_mask)`` int64 ``[batch, longest]``, right-padded with [PAD]."""
        return self.pad([self.encode(t, max_len) for t in texts])

    def pad(self, encoded: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """``(input_ids, attention_mask)`` of already-encoded id lists, right-padded with [PAD]."""
        width = max((len(e) for e in encoded), default=2)
        ids = np.full((len(encoded), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encoded), width), dtype=np.int64)
        for i, e in enumerate(encoded):
            ids[i, :len(e)] = e
            mask[i, :len(e)] = 1
        return ids, mask

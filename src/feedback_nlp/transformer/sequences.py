"""What every tokenizer of the transformer backend does once it has content ids:
add the boundary tokens, cut to ``max_len``, pad a batch, tell whether a text has a known
piece.  Shared so the WordPiece and unigram tokenizers cannot drift apart on the part the
ONNX graph sees."""
from __future__ import annotations

from collections import Counter
from typing import Optional, Sequence

import numpy as np


class SequenceTokenizer:
    """Mixin: subclasses set ``cls_id``, ``sep_id``, ``pad_id``, ``unk_id``, ``inv_vocab``, ``max_len``
    and define ``tokenize_ids``."""

    cls_id: int
    sep_id: int
    pad_id: int
    unk_id: int
    inv_vocab: Sequence[str]
    max_len: int

    def tokenize_ids(self, text: str) -> list[int]:
        raise NotImplementedError

    def reads(self, text: str) -> bool:
        """Whether ``text`` has a piece of its own that is not [UNK]: a piece an empty text does not
        also get (the prefix, e.g. e5's ``query:``) and not a bare word-start mark (``▁``)."""
        own = Counter(self.tokenize_ids(text)) - Counter(self.tokenize_ids(""))
        return any(i != self.unk_id and self.inv_vocab[i].strip("▁ ") for i in own)

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

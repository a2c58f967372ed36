"""BERT's WordPiece tokenisation in plain Python (the rule of ``transformers.BertTokenizer``).

Why here and not ``transformers``: inference must not need torch or transformers, and hosts
in other languages reimplement the rule from ``docs/TRANSFORMER.md#tokenisation``;
``tests/test_transformer.py`` checks this reference against ``BertTokenizer`` id for id.
:func:`normalize_for_bert` and :func:`basic_tokenize` are steps 1-5, :class:`WordPieceTokenizer`
the rest (``do_lower_case=True``, ``tokenize_chinese_chars=True``, accents stripped by default).
"""
from __future__ import annotations

import json
import re
import threading
import unicodedata
from pathlib import Path
from typing import Optional, Sequence

from .sequences import SequenceTokenizer

#: The model card's ``tokenizer.type`` of this tokenizer.
TYPE = "bert-wordpiece"
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def _is_whitespace(ch: str) -> bool:
    # tab/newline/CR, the space separators (Zs) and the line/paragraph separators
    # (Unicode White_Space minus the control characters, which are dropped before)
    if ch in (" ", "\t", "\n", "\r", "\u2028", "\u2029"):
        return True
    return unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def normalize_for_bert(text: str, do_lower_case: bool = True, strip_accents: Optional[bool] = None) -> str:
    """Steps 1-4 of the rule (docs/TRANSFORMER.md): clean, isolate CJK characters,
    strip accents, lower-case (character by character)."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    text = "".join(out)
    if strip_accents or (strip_accents is None and do_lower_case):
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    if do_lower_case:
        text = "".join(c.lower() for c in text)  # per character: no final-sigma rule
    return text


def basic_tokenize(text: str, do_lower_case: bool = True, strip_accents: Optional[bool] = None) -> list[str]:
    """BERT's basic tokenisation: :func:`normalize_for_bert`, split on whitespace,
    every punctuation character a word of its own. Returns the words."""
    words = []
    cur: list[str] = []
    for ch in normalize_for_bert(text, do_lower_case, strip_accents):
        if ch == " " or _is_whitespace(ch):
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punctuation(ch):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


class WordPieceTokenizer(SequenceTokenizer):
    """Pure-Python BERT tokenizer reproducing ``transformers.BertTokenizer`` ids.

    Parameters
    ----------
    vocab : list of str
        Tokens in id order (``vocab.txt``, one per line).
    max_len : int
        Sequences are ``[CLS] + tokens[: max_len - 2] + [SEP]``.
    """

    def __init__(self, vocab: Sequence[str], max_len: int = 128, do_lower_case: bool = True,
                 strip_accents: Optional[bool] = None, unk_token: str = "[UNK]", cls_token: str = "[CLS]",
                 sep_token: str = "[SEP]", pad_token: str = "[PAD]", mask_token: str = "[MASK]",
                 max_input_chars_per_word: int = 100):
        self.vocab = {tok: i for i, tok in enumerate(vocab)}
        if len(self.vocab) != len(vocab):
            # BertTokenizer keeps the last id of a duplicated line
            self.vocab = {}
            for i, tok in enumerate(vocab):
                self.vocab[tok] = i
        self.inv_vocab = list(vocab)
        if max_len < 2:
            raise ValueError("max_len must be >= 2")
        self.max_len = max_len
        self.do_lower_case = do_lower_case
        self.strip_accents = strip_accents
        self.max_input_chars_per_word = max_input_chars_per_word
        for name, tok in (("unk", unk_token), ("cls", cls_token), ("sep", sep_token), ("pad", pad_token)):
            if tok not in self.vocab:
                raise ValueError(f"vocabulary has no {name} token {tok!r}")
        self.unk_token = unk_token
        self.unk_id, self.cls_id = self.vocab[unk_token], self.vocab[cls_token]
        self.sep_id, self.pad_id = self.vocab[sep_token], self.vocab[pad_token]
        self.mask_id = self.vocab.get(mask_token)
        # Special tokens written in the raw text are kept whole (as BertTokenizer does).
        specials = sorted({t for t in (unk_token, cls_token, sep_token, pad_token, mask_token) if t in self.vocab},
                          key=len, reverse=True)
        self._special_re = re.compile("(" + "|".join(re.escape(t) for t in specials) + ")")
        self._cache: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path, **kwargs) -> "WordPieceTokenizer":
        with open(path, encoding="utf-8") as f:
            vocab = [line.rstrip("\n").rstrip("\r") for line in f]
        # BertTokenizer strips each line; a trailing empty line is not a token
        vocab = [t.strip() for t in vocab]
        while vocab and vocab[-1] == "":
            vocab.pop()
        return cls(vocab, **kwargs)

    def __len__(self) -> int:
        return len(self.inv_vocab)

    def wordpiece(self, word: str) -> list[int]:
        """Greedy longest-match-first WordPiece of one basic-tokenised word."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(word) > self.max_input_chars_per_word:
            ids = [self.unk_id]
        else:
            ids = []
            start, n = 0, len(word)
            while start < n:
                end = n
                cur = None
                while start < end:
                    sub = word[start:end]
                    if start > 0:
                        sub = "##" + sub
                    if sub in self.vocab:
                        cur = self.vocab[sub]
                        break
                    end -= 1
                if cur is None:
                    ids = [self.unk_id]
                    break
                ids.append(cur)
                start = end
        if len(self._cache) < 200_000:
            self._cache[word] = ids
        return ids

    def tokenize_ids(self, text: str) -> list[int]:
        """Token ids without [CLS]/[SEP] and without truncation."""
        ids: list[int] = []
        for i, part in enumerate(self._special_re.split(text)):
            if i % 2 == 1:
                ids.append(self.vocab[part])
                continue
            for word in basic_tokenize(part, self.do_lower_case, self.strip_accents):
                ids.extend(self.wordpiece(word))
        return ids

    def tokenize(self, text: str) -> list[str]:
        return [self.inv_vocab[i] for i in self.tokenize_ids(text)]

    def save(self, directory: str | Path) -> dict:
        """Write ``vocab.txt`` and a ``BertTokenizer`` ``tokenizer_config.json`` into ``directory``;
        return the model card's ``tokenizer`` entry."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "vocab.txt").write_text("".join(t + "\n" for t in self.inv_vocab), encoding="utf-8")
        (directory / "tokenizer_config.json").write_text(json.dumps(
            {"tokenizer_class": "BertTokenizer", "do_lower_case": self.do_lower_case, "tokenize_chinese_chars": True,
             "model_max_length": self.max_len}, indent=2), encoding="utf-8")
        return {"type": TYPE, "vocab": "vocab.txt", "do_lower_case": self.do_lower_case,
                "strip_accents": self.strip_accents, "tokenize_chinese_chars": True, "max_len": self.max_len,
                "rule": "docs/TRANSFORMER.md#tokenisation",
                "special_tokens": {"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]"}}

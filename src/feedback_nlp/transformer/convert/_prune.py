"""Which pieces of a pretrained unigram vocabulary a Chinese-review teacher keeps.

Why: the multilingual bases carry 128k-250k pieces, most of them words of other languages.
Their embedding rows are most of the parameters an optimiser updates every step; pruning
them makes CPU fine-tuning faster and the model directory smaller, and changes the
tokenization only where a dropped piece would have won.  Shared by every unigram base
(e5-small, use-multi).
"""
from __future__ import annotations

from typing import Iterable

from ..unigram import UnigramTokenizer
from ..wordpiece import _is_cjk

SPECIAL_ORDER = ("pad", "unk", "cls", "sep", "mask")


def _useful_char(c: str) -> bool:
    """Scripts a Chinese e-commerce review uses besides CJK ideographs (Latin, Greek, Cyrillic,
    punctuation and symbols, kana, bopomofo, variation selectors, full-width forms, emoji)."""
    cp = ord(c)
    return (cp < 0x530 or 0x2000 <= cp < 0x2C00 or 0x3000 <= cp < 0x3130 or 0xFE00 <= cp < 0xFE10
            or 0xFF00 <= cp < 0xFFF0 or 0x1F000 <= cp < 0x1FB00)


def prune_unigram(sp: UnigramTokenizer, n_words: int = 30000, texts: Iterable[str] = (),
                  keep_numbers: bool = False) -> tuple[UnigramTokenizer, list[int]]:
    """``(pruned tokenizer, row of ``sp`` for each of its pieces)``.

    Kept: the special tokens (first, in the order pad, unk, cls, sep, mask; one row where two
    share an id), ``▁``, every piece of CJK and the scripts reviews use (:func:`_useful_char`)
    that holds a CJK character, is one character long or has no letter or digit, the
    ``n_words`` highest-scoring multi-character ASCII words and numbers (every number too with
    ``keep_numbers``: prices, sizes and dates such as 618), and every piece ``sp`` picks for
    ``texts`` (its prefix included).  Pieces keep their scores, the
    normalisation and the prefix, so the pruned tokenizer agrees with ``sp`` wherever no
    dropped piece would have won."""
    keep: set[int] = set()
    ascii_words = []
    for p, i in sp.vocab.items():
        body = p.lstrip("▁")
        if not body:
            keep.add(i)
        elif all(_is_cjk(ord(c)) or _useful_char(c) for c in body):
            if len(body) == 1 or any(_is_cjk(ord(c)) for c in body) or not any(c.isalnum() for c in body):
                keep.add(i)  # Chinese, single characters, punctuation runs such as "”，" or "。。。"
            elif keep_numbers and body.isascii() and body.isdigit():
                keep.add(i)
            elif body.isascii():
                ascii_words.append((-float(sp.scores[i]), i))
    keep.update(i for _, i in sorted(ascii_words)[:n_words])
    for text in texts:
        keep.update(sp.tokenize_ids(text))
    keep.discard(sp.unk_id)
    order = list(dict.fromkeys(sp.special_tokens[k] for k in SPECIAL_ORDER if k in sp.special_tokens))
    rows = order + sorted(keep - set(order))
    specials = {k: order.index(sp.special_tokens[k]) for k in SPECIAL_ORDER if k in sp.special_tokens}
    tok = UnigramTokenizer([sp.inv_vocab[r] for r in rows], [sp.scores[r] for r in rows], specials,
                           normalization=sp.norm, unk_score=sp.unk_score, prefix=sp.prefix, max_len=sp.max_len)
    return tok, rows

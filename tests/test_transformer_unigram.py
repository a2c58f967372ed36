"""UnigramTokenizer: the Viterbi rule, framing and padding, and its file (no torch needed)."""
from __future__ import annotations

import json

import pytest

from feedback_nlp.transformer.unigram import FILE, TYPE, UnigramTokenizer

PIECES = ["<pad>", "<unk>", "<s>", "</s>", "<mask>", "▁", "物流", "物", "流", "太", "慢", "太慢", "▁ok", "o", "k"]
SCORES = [0.0] * 5 + [-2.0, -7.0, -5.0, -5.0, -4.0, -4.0, -9.0, -6.0, -3.0, -3.0]
SPECIALS = {"pad": 0, "unk": 1, "cls": 2, "sep": 3, "mask": 4}


def tok(**kw) -> UnigramTokenizer:
    return UnigramTokenizer(PIECES, SCORES, SPECIALS, normalization={0xFF2F: "O", 0x200B: ""}, **kw)


def test_best_scoring_segmentation_wins():
    t = tok()
    assert t.tokenize("物流太慢") == ["▁", "物流", "太", "慢"]  # -7 beats -5-5; -4-4 beats -9
    assert t.tokenize("ok") == ["▁ok"]
    assert t.tokenize("Ｏk") == ["▁", "<unk>", "k"]  # normalised to "O", which no piece covers (no lower-casing)
    assert t.tokenize("物\u200b流") == ["▁", "物流"]  # a deleted character joins its neighbours
    assert t.tokenize("<s>") == ["▁", "<unk>", "<unk>", "<unk>"]  # special tokens never match text


def test_framing_truncation_and_padding():
    t = tok(max_len=4)
    assert t.encode("物流太慢") == [2, 5, 6, 3]  # <s> + the first two pieces + </s>
    ids, mask = t.batch(["物流", "物流太慢太慢"], max_len=6)
    assert ids.tolist() == [[2, 5, 6, 3, 0, 0], [2, 5, 6, 9, 10, 3]] and mask.sum(1).tolist() == [4, 6]


def test_prefix_is_tokenized_with_the_text():
    assert tok(prefix="ok ").tokenize("太慢") == ["▁ok", "▁", "太", "慢"]


def test_reads_needs_a_known_piece_of_the_texts_own():
    t, prefixed = tok(), tok(prefix="ok ")
    assert t.reads("物流") and t.reads("太慢🙂") and prefixed.reads("物流")
    # "🙂" is "▁" + <unk>: a bare word-start mark is not reading it, nor is the prefix's "▁ok"
    assert not t.reads("🙂") and not prefixed.reads("🙂") and not t.reads("")
    assert prefixed.reads("ok")  # a piece the prefix also has counts once the text is more than the prefix


def test_file_round_trip(tmp_path):
    t = tok(prefix="ok ", unk_score=-30.0)
    entry = t.save(tmp_path)
    assert entry["type"] == TYPE and entry["file"] == FILE
    again = UnigramTokenizer.from_file(tmp_path / FILE, max_len=16)
    assert again.inv_vocab == PIECES and again.scores == SCORES and again.unk_score == -30.0
    assert again.prefix == "ok " and again.norm == {0xFF2F: "O", 0x200B: ""}
    assert again.encode("物流太慢Ｏk") == t.encode("物流太慢Ｏk")


def test_bad_files_and_arguments_are_refused(tmp_path):
    (tmp_path / "u.json").write_text(json.dumps({"type": "bpe", "pieces": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="expected 'sentencepiece-unigram'"):
        UnigramTokenizer.from_file(tmp_path / "u.json")
    with pytest.raises(ValueError, match="lacks sep"):
        UnigramTokenizer(PIECES, SCORES, {"pad": 0, "unk": 1, "cls": 2})
    with pytest.raises(ValueError, match="scores"):
        UnigramTokenizer(PIECES, SCORES[:-1], SPECIALS)
    with pytest.raises(ValueError, match="outside"):
        UnigramTokenizer(PIECES, SCORES, {**SPECIALS, "sep": 99})

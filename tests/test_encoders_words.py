"""feedback_nlp.encoders.words: SIF sentence vectors from domain word vectors, and their place in ``semantic``."""
from __future__ import annotations

import json

import numpy as np
import pytest

from feedback_nlp.encoders import ConcatEncoder, get_encoder, load_encoder_dir
from feedback_nlp.encoders.words import WordVectorEncoder, word_tokens
from feedback_nlp.modeling import ModelFormatError
from test_encoders import tiny_table

WORDS = ["屏幕", "坏点", "亮点", "漏水", "洗衣机"]
CHARS = ["死", "点", "渗"]


def tiny_words(**kw) -> WordVectorEncoder:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(WORDS) + len(CHARS), 6)).astype(np.float16)
    return WordVectorEncoder(WORDS, vectors, np.array([0.5, 0.9, 0.9, 0.8, 0.7], np.float32), CHARS, **kw)


def _by_hand(enc: WordVectorEncoder, norm: str) -> np.ndarray:
    """The module docstring's rule, written out: SIF mean, unknown words as their characters' mean."""
    V = enc.vectors.astype(np.float32)
    vs, ws = [], []
    for w in word_tokens(norm):
        if w in WORDS:
            vs.append(V[WORDS.index(w)])
            ws.append(enc.weights[WORDS.index(w)])
        elif any(c in CHARS for c in w):
            vs.append(np.mean([V[len(WORDS) + CHARS.index(c)] for c in w if c in CHARS], axis=0))
            ws.append(1.0)
    x = np.average(vs, axis=0, weights=ws)
    if enc.remove is not None:
        x = x - (enc.remove @ x) @ enc.remove
    x = x / np.linalg.norm(x)
    if enc.whiten is not None:
        x = x @ enc.whiten
        x = x / np.linalg.norm(x)
    return x


@pytest.mark.parametrize("text", ["屏幕上有坏点", "屏幕有个死点", "洗衣机渗水", "亮点"])
def test_encoding_is_the_sif_mean_with_unknown_words_from_their_characters(text):
    assert any(w not in WORDS for w in word_tokens("屏幕有个死点"))  # an unknown word is exercised
    rng = np.random.default_rng(1)
    pc = rng.normal(size=6).astype(np.float32)
    for enc in (tiny_words(), tiny_words(remove=pc / np.linalg.norm(pc), whiten=rng.normal(size=(6, 6)))):
        np.testing.assert_allclose(enc.encode([text])[0], _by_hand(enc, text), atol=1e-5)


def test_unknown_text_is_a_zero_row_and_the_shared_direction_is_removed():
    pc = np.ones(6, np.float32) / np.sqrt(6)
    enc = tiny_words(remove=pc)
    X = enc.encode(["屏幕上有坏点", "hello world", ""])
    assert np.allclose(X[1:], 0)
    assert abs(float(X[0] @ pc)) < 1e-6 and abs(float(np.linalg.norm(X[0])) - 1) < 1e-6


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    enc = tiny_words(remove=np.eye(6, dtype=np.float32)[:1], whiten=rng.normal(size=(6, 6)), card={"data": "tiny"})
    d = enc.save_pretrained(tmp_path / "words")
    back = WordVectorEncoder.from_pretrained(d)
    texts = ["屏幕上有坏点", "洗衣机渗水"]
    np.testing.assert_allclose(back.encode(texts), enc.encode(texts), atol=1e-6)
    assert (back.words, back.chars, back.card) == (WORDS, CHARS, {"data": "tiny"})
    (d / "vectors.npy").unlink()
    with pytest.raises(ModelFormatError, match="cannot load the word vectors"):
        WordVectorEncoder.from_pretrained(d)
    with pytest.raises(ModelFormatError, match="not a word-vector encoder directory"):
        WordVectorEncoder.from_pretrained(tmp_path / "nothing")


def test_encoder_directory_with_words_mixes_them_in(tmp_path):
    d = tiny_table().save_pretrained(tmp_path / "enc")
    tiny_words().save_pretrained(d / "words")
    spec = json.loads((d / "encoder.json").read_text(encoding="utf-8"))
    spec["words"] = {"path": "words", "weight": 0.4, "default_threshold": 0.55}
    (d / "encoder.json").write_text(json.dumps(spec), encoding="utf-8")
    enc = get_encoder(str(d))
    assert isinstance(enc, ConcatEncoder) and enc.name == "tiny" and enc.default_threshold == 0.55
    assert np.allclose(enc.weights, [0.6, 0.4]) and isinstance(enc.parts[1], WordVectorEncoder)
    texts = ["充电器发烫", "屏幕上有坏点"]
    want = np.hstack([np.sqrt(0.6) * tiny_table().encode(texts), np.sqrt(0.4) * tiny_words().encode(texts)])
    np.testing.assert_allclose(enc.encode(texts), want, atol=1e-5)
    for words, msg in (({"path": "words", "weight": 1.0, "default_threshold": 0.5}, "weight must be in"),
                       ({"path": "words", "weight": 0.4}, "needs path, weight and default_threshold")):
        spec["words"] = words
        (d / "encoder.json").write_text(json.dumps(spec), encoding="utf-8")
        with pytest.raises(ModelFormatError, match=msg):
            load_encoder_dir(d)


def test_mismatched_arrays_are_refused():
    with pytest.raises(ValueError, match="one row per word and character"):
        WordVectorEncoder(WORDS, np.zeros((3, 4)), np.ones(len(WORDS)), CHARS)


def test_a_given_tokenizer_replaces_jieba():
    """The probes' variant (``tokenize=``): the words are what the callable gives, not jieba's."""
    base = tiny_words()
    enc = WordVectorEncoder(WORDS, base.vectors, base.weights, CHARS, tokenize=lambda norm: ["坏点", "死点"])
    V = enc.vectors.astype(np.float32)
    want = (0.9 * V[1] + 1.0 * np.mean([V[5], V[6]], axis=0)) / 1.9  # 坏点 (weight 0.9), 死点 from 死 and 点
    np.testing.assert_allclose(enc.encode(["洗衣机漏水"])[0], want / np.linalg.norm(want), atol=1e-5)

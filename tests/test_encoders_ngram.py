"""The n-gram counting every encoder shares (feedback_nlp.encoders.ngram.count_tokens): the numpy
path must count exactly what the per-text token loop counts, and grow the same vocabulary."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feedback_nlp.encoders.ngram as ngram
from feedback_nlp.encoders.ngram import _listed_tokens, _row_counts, count_tokens, text_tokens
from feedback_nlp.text import normalize

# Letters on both sides of every run boundary the regex knows, digits, a URL, surrogates, emoji.
CHARS = st.sampled_from(list("快递质量很好差客服退款的 ，。!aZz09_-/:.wh×÷Àɏɐ㐀䶿一鿿龥豈﫿ﬀ\n\t🙂\ud800")
                        + ["http://a.cn/x1", "www.b.com ", "https://"])
TEXTS = st.lists(st.lists(CHARS, max_size=25).map("".join), max_size=12)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _grown():
    vocab: dict = defaultdict()
    vocab.default_factory = vocab.__len__  # type: ignore[attr-defined]
    return vocab


def _pairs(rows, ids):
    return sorted(zip(rows.tolist(), ids.tolist()))


def _same(got, want):
    assert all(np.array_equal(x, y) for x, y in zip(got, want))


@SETTINGS
@given(texts=TEXTS, normalise=st.booleans(), chunk=st.sampled_from([1, 3, 16384]))
def test_packed_counts_equal_the_token_loop_on_a_fixed_vocabulary(texts, normalise, chunk):
    norms = [normalize(t) for t in texts] if normalise else texts
    grams = sorted({g for t in ["快递很好", "客服差 09 abc", "×÷À一鿿"] + norms[:3] for g in text_tokens(t)})
    vocab = {g: i for i, g in enumerate(grams)}
    vocab["\x01快递"] = len(vocab)  # a jieba word: never an n-gram
    vocab["快递很"[::-1] + "好"] = len(vocab)  # four characters: never a 1..3-gram
    with pytest.MonkeyPatch.context() as m:
        m.setattr(ngram, "PACKED_CHUNK", chunk)  # texts counted a few at a time, or all at once
        got = count_tokens(norms, vocab, False)
    _same(got, _row_counts(*_listed_tokens(norms, vocab, False, (1, 3), False), len(norms)))


@SETTINGS
@given(texts=TEXTS, hi=st.integers(1, 3), chunk=st.sampled_from([1, 3, 16384]))
def test_packed_growth_gives_the_loops_vocabulary_in_first_seen_order(texts, hi, chunk):
    a, b = _grown(), _grown()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(ngram, "PACKED_CHUNK", chunk)
        got = count_tokens(texts, a, True, (1, hi))
    want = _row_counts(*_listed_tokens(texts, b, True, (1, hi), False), len(texts))
    assert list(a.items()) == list(b.items())  # same tokens, same ids, same order
    _same(got, want)


def test_other_settings_take_the_token_loop(monkeypatch):
    """Jieba words, n-grams longer than 3 and a vocabulary already grown cannot be packed."""
    import feedback_nlp.encoders.ngram as ng

    monkeypatch.setattr(ng, "_run_ngrams", lambda *a: pytest.fail("packed path taken"))
    texts = ["快递很慢，客服不理人", "质量不错"]
    vocab = _grown()
    vocab["快"]
    ng.count_tokens(texts, vocab, True)
    ng.count_tokens(texts, _grown(), True, (1, 4))
    ng.count_tokens(texts, _grown(), True, (2, 3))
    ng.count_tokens(texts, {"快递": 0}, False, use_words=True)


def test_counts_per_text_with_digits_urls_and_empty_texts():
    vocab = {"0": 0, "00": 1, "快": 2, "快递": 3, "x": 4}
    indptr, ids, counts = count_tokens(["快递12 快", "", "见 http://x.cn/快递", "x"], vocab, False)
    rows = [dict(zip(ids[a:b].tolist(), counts[a:b].tolist())) for a, b in zip(indptr, indptr[1:])]
    assert rows == [{0: 2.0, 1: 1.0, 2: 2.0, 3: 1.0}, {}, {2: 1.0, 3: 1.0}, {4: 1.0}]  # the URL ends at 快


def test_a_long_text_and_many_texts_count_as_the_loop():
    texts = ["好" * 100_000, "差评" * 3] + [f"第{i}单快递没到" for i in range(3000)]
    a, b = _grown(), _grown()
    got = count_tokens(texts, a, True)
    rows, ids = _listed_tokens(texts, b, True, (1, 3), False)
    assert list(a.items()) == list(b.items())
    np.testing.assert_array_equal(got[0][:3], [0, 3, 9])  # 好 好好 好好好; 6 n-grams of 差评差评差评
    assert got[2][:3].tolist() == [100_000.0, 99_999.0, 99_998.0]


def test_fit_transform_gives_zero_rows_to_texts_without_ngrams_anywhere():
    """Old iOS emoji (private use) have no n-gram; such a text last once broke the per-row counts."""
    for texts in (["快递十天都没到，客服也不回消息", "\ue000"], ["\ue000"], ["", "\ue001", ""],
                  ["\ue000", "快递没到", "", "快递不回", "\ue537"]):
        X = ngram.TextVectorizer().fit_transform(texts)
        has_ngrams = [any("\ue000" > c or c > "\uf8ff" for c in t) for t in texts]
        np.testing.assert_allclose(np.linalg.norm(X, axis=1), np.asarray(has_ngrams, float), atol=1e-5)


@SETTINGS
@given(texts=TEXTS.filter(bool), empty_at=st.lists(st.integers(0, 12), max_size=4), min_df=st.integers(1, 3))
def test_fit_transform_rows_equal_transform_with_empty_rows_anywhere(texts, empty_at, min_df):
    for i in sorted(empty_at):
        texts.insert(min(i, len(texts)), "\ue000")
    v = ngram.TextVectorizer(min_df=min_df, dim=None, sketch_dim=64)
    np.testing.assert_allclose(v.fit_transform(texts), v.transform(texts), atol=1e-5)

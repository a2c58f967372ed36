import numpy as np
import pytest

from feedback_nlp.features import NgramFeaturizer, document_frequencies, linear_scores, star_digits

TEXTS = ["很好", "质量很差", "快递太慢了", "很好很好", "差评"]


def test_rule_ngrams_digits_mapped():
    f = NgramFeaturizer(ngram_range=(1, 2))
    assert f.ngrams("等了15天") == ["等", "了", "0", "0", "天", "等了", "了0", "00", "0天"]


@pytest.mark.parametrize("text, mapped", [
    ("给1星", "给一星"), ("5颗星好评", "五颗星好评"), ("1星2星3星4星5星", "一星二星三星四星五星"),
    ("15星", "15星"), ("4.5星", "4.5星"), ("0星", "0星"), ("6星", "6星"), ("1个月", "1个月"), ("1 星", "1 星")])
def test_star_digits_keep_the_number_of_a_rating(text, mapped):
    assert star_digits(text) == mapped


def test_a_star_rating_is_not_another_rating_to_the_featurizer():
    """Both lookups (packed keys and the dict one, for n-grams longer than 3) read 1星 as 一星."""
    texts = ["只能给一星", "五星好评", "差评一星"] * 2
    for ngram_range in ((1, 3), (1, 4)):
        f = NgramFeaturizer(ngram_range=ngram_range, min_df=1, star_digits=True).fit(texts)
        one, five, plain = f.transform(["给1星", "给5星", "给一星"]), f.transform(["给5星"]), f.transform(["给一星"])
        assert list(one.ids[one.indptr[0]:one.indptr[1]]) == list(plain.ids)
        assert set(five.ids) != set(plain.ids)
        assert f.reads(["1星"]).all() and f.ngrams("1星")[:2] == ["一", "星"]
        off = NgramFeaturizer(ngram_range=ngram_range, min_df=1).fit(texts + ["0星"])  # the default
        assert set(off.transform(["给1星"]).ids) == set(off.transform(["给5星"]).ids)


def test_a_config_without_star_digits_is_read_without_it(tmp_path):
    """Model directories written before the option keep the rule they were fitted with."""
    f = NgramFeaturizer(min_df=1, star_digits=True).fit(TEXTS + ["给0星"])
    cfg = f.save(tmp_path)
    assert cfg["star_digits"] is True and NgramFeaturizer.load(tmp_path, cfg).star_digits
    del cfg["star_digits"]
    assert NgramFeaturizer.load(tmp_path, cfg).ngrams("1星") == ["0", "星", "0星"]


def test_transform_matches_written_rule():
    f = NgramFeaturizer(min_df=1).fit(TEXTS)
    rows = f.transform(["很好很好", ""])
    assert list(rows.indptr) == [0, len(rows.ids), len(rows.ids)]
    # Recompute by hand: sublinear tf * idf, then L2 normalise.
    grams = f.ngrams("很好很好")
    counts = {g: grams.count(g) for g in set(grams) if g in f.vocabulary_}
    w = {f.vocabulary_[g]: (1 + np.log(c)) * f.idf_[f.vocabulary_[g]] for g, c in counts.items()}
    norm = np.sqrt(sum(v * v for v in w.values()))
    got = dict(zip(rows.ids.tolist(), rows.weights.tolist()))
    assert set(got) == set(w)
    for k, v in w.items():
        assert got[k] == pytest.approx(v / norm, rel=1e-5)


def test_idf_counts_texts_not_occurrences():
    # "好" four times in one text and once in another: in 2 of 3 texts, so idf = ln(4 / 3) + 1.
    texts = ["好好好好", "很好", "差"]
    df, n = document_frequencies(texts, list)
    assert (df["好"], df["很"], n) == (2, 1, 3)
    f = NgramFeaturizer(ngram_range=(1, 1), min_df=1).fit(texts)
    assert f.idf_[f.vocabulary_["好"]] == pytest.approx(np.log(4 / 3) + 1)
    assert f.vocabulary_["好"] == 0  # most frequent first


def test_reads_is_whether_a_text_has_a_known_ngram():
    f = NgramFeaturizer(min_df=1).fit(TEXTS)
    # "好评" has no known character but "差评" gave "评": read; "🙂", "〠" and "" have none
    texts = ["很好", "🙂", "🙂评", "〠", "", "123", "很🙂"]
    assert f.reads(texts).tolist() == (np.diff(f.transform(texts).indptr) > 0).tolist()
    assert f.reads(texts).tolist() == [True, False, True, False, False, False, True]
    assert f.reads([]).shape == (0,)


def test_reads_finds_a_known_ngram_whose_characters_are_unknown():
    # A bigram kept while its characters were cut: the one-character lookup misses it, the rule does not.
    f = NgramFeaturizer(ngram_range=(1, 2), min_df=1).fit(["ab"])
    f.vocabulary_ = {"ab": 0}
    f.idf_ = f.idf_[:1]
    assert f.reads(["ab", "a", "ba"]).tolist() == [True, False, False]
    g = NgramFeaturizer(ngram_range=(2, 2), min_df=1).fit(["很好"])  # no one-character n-grams at all
    assert g.reads(["很好", "很"]).tolist() == [True, False]


def test_linear_scores_equal_sparse_product():
    f = NgramFeaturizer(min_df=1).fit(TEXTS)
    rows = f.transform(TEXTS + ["", "未知"])
    W = np.random.default_rng(0).normal(size=(f.n_features, 4)).astype(np.float32)
    b = np.arange(4, dtype=np.float32)
    dense = np.zeros((len(rows), f.n_features), np.float32)
    for i in range(len(rows)):
        a, e = rows.indptr[i], rows.indptr[i + 1]
        dense[i, rows.ids[a:e]] = rows.weights[a:e]
    np.testing.assert_allclose(linear_scores(rows, W, b), dense @ W + b, atol=1e-5)


def test_save_load_roundtrip(tmp_path):
    f = NgramFeaturizer(min_df=1).fit(TEXTS + ["带 空格 的文本"])
    cfg = f.save(tmp_path)
    g = NgramFeaturizer.load(tmp_path, cfg)
    assert g.vocabulary_ == f.vocabulary_
    np.testing.assert_array_equal(g.idf_, f.idf_)
    a, b = f.transform(TEXTS), g.transform(TEXTS)
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_allclose(a.weights, b.weights)


def test_fit_errors():
    with pytest.raises(ValueError):
        NgramFeaturizer().fit([])
    with pytest.raises(ValueError, match="min_df"):
        NgramFeaturizer(min_df=5).fit(["甲", "乙"])


def test_padded_input():
    f = NgramFeaturizer(min_df=1).fit(TEXTS)
    rows = f.transform(["很好", ""])
    ids, w = rows.padded()
    assert ids.shape == w.shape and ids.shape[0] == 2
    assert w[1].sum() == 0


def test_packed_keys_unpack_to_their_ngrams():
    from feedback_nlp.features import packed_key_table, unpack_keys

    vocab = {"a": 0, "好": 1, "不好": 2, "很不好": 3, "\n": 4, "\x00": 5, "\x00\x00": 6, "\ud800x": 7, "四个字符": 8}
    keys, ids = packed_key_table(vocab, 1, 3)
    assert 8 not in ids.tolist() and np.all(np.diff(keys) > 0)  # longer than 3: no key; sorted, unique
    inv = {i: g for g, i in vocab.items()}
    assert unpack_keys(keys) == [inv[i] for i in ids.tolist()]
    assert unpack_keys(keys[:0]) == []

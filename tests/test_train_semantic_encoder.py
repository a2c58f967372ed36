"""training/train_semantic_encoder.py: the ridge solve and the projection fit, on tiny data made here."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy", reason="the [train-semantic] extra (scipy) is not installed")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import train_semantic_encoder as tse  # noqa: E402


def test_ridge_cg_matches_the_closed_form():
    from scipy.sparse import random as sprandom

    rng = np.random.default_rng(0)
    X = sprandom(60, 25, density=0.2, random_state=1, format="csr", dtype=np.float32)
    Y = rng.normal(size=(60, 4)).astype(np.float32)
    W = tse.ridge_cg(X, Y, lam=0.5, tol=1e-7, log=lambda *a: None)
    A = X.toarray().astype(np.float64)
    exact = np.linalg.solve(A.T @ A + 0.5 * np.eye(25), A.T @ Y)
    assert np.allclose(W, exact, atol=1e-3)


def test_fit_projection_learns_a_student_that_maps_synonyms_together(tmp_path):
    # Teacher: topic vectors; '烫' and '热' texts are one topic, '慢' and '迟' another.
    heat = ["充电器发烫", "插上就烫手", "用一会就很热", "机身过热", "手机热得厉害", "越充越烫"]
    slow = ["快递太慢", "物流很慢", "送得很迟", "迟迟不到", "慢得要命", "到货太迟"]
    norms = heat + slow
    Y = np.array([[1.0, 0.0, 0.1]] * len(heat) + [[0.0, 1.0, 0.1]] * len(slow), dtype=np.float32)
    labels = ["heat"] * 3 + [None] * 3 + ["slow"] * 3 + [None] * 3
    probe, X, W_T, W_D, rep = tse.fit_projection(norms, Y, labels, max_features=200, dim=2, lam=0.1,
                                                 use_words=False, val_share=0.0, log=lambda *a: None)
    assert rep["labelled_texts"] == 6 and rep["problem_groups"] == 2 and rep["dim"] == 2
    enc = tse.make_student(probe, X, W_T + 0.5 * W_D, name="semantic", default_threshold=0.3)
    assert enc.table.dtype == np.float16
    back = tse.TableEncoder.from_pretrained(enc.save_pretrained(tmp_path / "student"))
    V = back.encode(["充电器过热", "物流迟迟不到"])
    H = back.encode(heat)
    S = back.encode(slow)
    assert V[0] @ H.mean(0) > V[0] @ S.mean(0) and V[1] @ S.mean(0) > V[1] @ H.mean(0)


def test_dictionary_words_give_rows_to_ngrams_no_text_uses():
    # '揽' and '派' occur in no training text; as dictionary words with the teacher's 'slow' vector
    # they give their n-grams rows, so a text made of them lands on the slow side.
    heat = ["充电器发烫", "插上就烫手", "用一会就很热", "机身过热", "手机热得厉害", "越充越烫"]
    slow = ["快递太慢", "物流很慢", "送得很迟", "迟迟不到", "慢得要命", "到货太迟"]
    Y = np.array([[1.0, 0.0, 0.1]] * len(heat) + [[0.0, 1.0, 0.1]] * len(slow), dtype=np.float32)
    words = ["揽收", "派件", "揽件", "揽收派件", "派件员"]  # each character in 3+ of them (the vocabulary's min_df)
    Yw = np.array([[0.0, 1.0, 0.1]] * len(words), dtype=np.float32)
    kw = dict(max_features=300, dim=2, lam=0.1, use_words=False, val_share=0.0, log=lambda *a: None)
    probe, X, W_T, _, rep = tse.fit_projection(heat + slow, Y, [None] * 12, words=(words, Yw, 0.5), **kw)
    assert rep["extra_rows"] == 5 and rep["extra_row_weight"] == 0.5
    assert X.shape[0] == 12  # the texts' rows only: the student's mean is theirs
    enc = tse.make_student(probe, X, W_T)
    v, H, S = enc.encode(["揽收派件"])[0], enc.encode(heat).mean(0), enc.encode(slow).mean(0)
    assert v @ S > v @ H + 0.1
    # Without the words their n-grams are outside the vocabulary: the text has no features at all.
    probe0, _, _, _, rep0 = tse.fit_projection(heat + slow, Y, [None] * 12, **kw)
    assert rep0["extra_rows"] == 0 and "揽" not in probe0.vocab and "揽" in probe.vocab


def test_dictionary_words_are_the_most_frequent_short_words():
    words = tse.dictionary_words(200)
    assert 150 <= len(words) <= 200 and len(set(words)) == len(words)
    assert all(2 <= len(w) <= 4 for w in words) and "我们" in words[:50]


def test_substituted_nouns_put_every_noun_into_a_review_once_in_turn():
    texts = ["快递太慢了", "充电器发烫", "客服态度差"]
    nouns = {"快递": 5, "充电器": 5, "客服": 5, "驾校": 1, "体温计": 1, "保温杯": 1}
    out = tse.substituted_nouns(texts, 6, nouns=nouns, seed=3)
    assert len(out) == len(set(out)) and 4 <= len(out) <= 6
    # rare nouns (count 1) get contexts as common ones do: the swap goes through the nouns in turn
    assert {"驾校", "体温计", "保温杯"} <= {n for t in out for n in nouns if n in t}
    assert out == tse.substituted_nouns(texts, 6, nouns=nouns, seed=3)  # seeded
    assert tse.substituted_nouns(["没有名词啊"], 3, nouns=nouns) == []
    # only the clause around the swapped noun: the teacher's vector is about the noun's context
    two = tse.substituted_nouns(["昨天下单了，快递太慢了，很生气"], 1, nouns={"快递": 1}, seed=0)
    assert two == ["快递太慢了"]


def test_dictionary_nouns_are_tagged_nouns_of_two_to_four_characters():
    nouns = tse.dictionary_nouns()
    assert len(nouns) > 100000 and "驾校" in nouns and "体温计" in nouns
    assert all(2 <= len(w) <= 4 for w in nouns) and "我们" not in nouns


def test_extra_rows_come_from_outside_the_held_out_share_and_leave_the_texts_out():
    from types import SimpleNamespace

    class Cache:
        def embed(self, texts, chunk=500):
            return np.zeros((len(texts), 3), np.float32)

    # ten texts: the first (10%) is fit_projection's held-out share and gives no clause
    texts = ["房间太吵了"] + [f"手机屏幕坏了{i}" for i in range(9)]
    opts = dict(dictionary_words=0, dictionary_weight=0.1, substitute_nouns=0, substitute_weight=0.5)
    assert tse.extra_rows(texts, Cache(), SimpleNamespace(**opts)) is None
    extra, Y, w = tse.extra_rows(texts, Cache(), SimpleNamespace(**{**opts, "substitute_nouns": 30}))
    assert w == 0.5 and len(Y) == len(extra) == 30
    assert not any("吵" in t for t in extra) and not set(extra) & set(texts)
    with pytest.raises(SystemExit):
        tse.extra_rows(texts, Cache(), SimpleNamespace(**{**opts, "dictionary_words": 5, "substitute_nouns": 5}))


def test_teacher_cache_reuses_vectors_and_saves_at_the_end_not_every_chunk(tmp_path, monkeypatch):
    calls = []

    class Teacher:
        def encode(self, texts, normalized=False):
            calls.append(len(texts))
            return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    monkeypatch.setitem(tse.PRETRAINED, "tiny-teacher", Teacher)
    cache = tse.TeacherCache("tiny-teacher", tmp_path)
    saves = []
    monkeypatch.setattr(cache, "save", lambda: saves.append(len(cache.vecs)))
    texts = [f"文本{i}" * (i % 3 + 1) for i in range(10)]
    X = cache.embed(texts, chunk=3, log=lambda *a: None)
    assert calls == [3, 3, 3, 1] and saves == [10]  # four chunks, one save after the last
    assert X.shape == (10, 2) and X[0, 0] == len(texts[0])
    cache.embed(texts[:4] + ["新的"], chunk=3, log=lambda *a: None, save_every=0.0)
    assert calls[-1] == 1 and saves == [10, 11]  # only the new text is encoded
    cache.embed(["甲", "乙", "丙", "丁"], chunk=1, log=lambda *a: None, save_every=0.0)
    assert saves[2:] == [12, 13, 14, 15]  # save_every=0: after every chunk


def test_teacher_cache_round_trips_through_its_file(tmp_path, monkeypatch):
    class Teacher:
        def encode(self, texts, normalized=False):
            return np.ones((len(texts), 3), dtype=np.float32)

    monkeypatch.setitem(tse.PRETRAINED, "tiny-teacher", Teacher)
    tse.TeacherCache("tiny-teacher", tmp_path).embed(["一", "二"], log=lambda *a: None)
    again = tse.TeacherCache("tiny-teacher", tmp_path)
    assert len(again.vecs) == 2 and again.embed(["二"], log=lambda *a: None).shape == (1, 3)

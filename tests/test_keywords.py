"""Keyword extraction: jieba words, stop words, TF-IDF and class-based TF-IDF."""
from __future__ import annotations

import logging

import pytest

from feedback_nlp.keywords import MEANINGFUL_SINGLE_CHARS, KeywordExtractor, load_stop_words

CHARGER = ["充电器插上就发烫，烫手", "这个充电器充电的时候特别烫", "充电器发烫严重，担心着火"]
DELIVERY = ["送餐太慢了，等了两个小时", "外卖送得太慢，饭都凉了", "骑手送餐超时一个小时"]
ROOM = ["房间很脏，床单有污渍", "房间卫生太差，地毯很脏", "卫生间很脏，房间有异味"]


def test_tokenize_drops_stop_words_punctuation_numbers_and_single_chars():
    kx = KeywordExtractor()
    words = kx.tokenize("东西收到了，感觉还是不错的！买了2个，100元，商品一般般。充电器发烫")
    for w in ("东西", "收到", "感觉", "还是", "商品", "了", "，", "！", "2", "100", "2个"):
        assert w not in words
    assert "充电器" in words and "发烫" in words
    assert all(len(w) > 1 or w in MEANINGFUL_SINGLE_CHARS for w in words)


def test_meaningful_single_chars_are_kept():
    kx = KeywordExtractor()
    assert "慢" in kx.tokenize("物流慢") or "物流慢" in kx.tokenize("物流慢")
    assert kx.tokenize("") == []


def test_stop_words_file_contents():
    stop = load_stop_words()
    for w in ("东西", "商品", "感觉", "还是", "就是", "非常", "然后", "真的", "一个", "这个", "卖家", "收到"):
        assert w in stop


def test_custom_stop_words_and_traditional_input():
    kx = KeywordExtractor(stop_words=["充电器"])
    assert "充电器" not in kx.tokenize("充电器发烫")
    # Traditional script is normalised to Simplified before segmentation.
    assert "发烫" in KeywordExtractor().tokenize("充電器發燙")


def test_extract_ranks_the_shared_topic_first():
    kx = KeywordExtractor()
    top = [w for w, _ in kx.extract(CHARGER, top_k=3)]
    assert top[0] == "充电器"
    assert "发烫" in top
    scores = [s for _, s in kx.extract(CHARGER, top_k=5)]
    assert scores == sorted(scores, reverse=True)
    assert kx.extract([], top_k=3) == []


def test_fit_learns_idf_and_is_deterministic():
    corpus = CHARGER + DELIVERY + ROOM
    kx = KeywordExtractor().fit(corpus)
    assert kx.n_docs_ == len(corpus)
    # A word in many documents has a lower idf than a rare one.
    assert kx.idf_["房间"] < kx.idf_["地毯"]
    # Document frequency: a word repeated inside one text counts once.
    twice = KeywordExtractor().fit(["骑手骑手骑手", "房间很脏", "房间太小"])
    assert twice.idf_["骑手"] > twice.idf_["房间"]
    assert kx.extract(DELIVERY, top_k=4) == KeywordExtractor().fit(corpus).extract(DELIVERY, top_k=4)
    # A fixed idf table is used as given.
    fixed = KeywordExtractor(idf={"骑手": 10.0, "太慢": 0.1, "送餐": 0.1, "小时": 0.1})
    assert fixed.extract(DELIVERY, top_k=1)[0][0] == "骑手"
    with pytest.raises(ValueError):
        KeywordExtractor().fit([])


def test_extract_by_group_ctfidf():
    texts = CHARGER + DELIVERY + ROOM + ["没有分组的文本"]
    groups = ["charger"] * 3 + ["delivery"] * 3 + ["room"] * 3 + [None]
    out = KeywordExtractor().extract_by_group(texts, groups, top_k=3)
    assert set(out) == {"charger", "delivery", "room"}
    assert out["charger"][0][0] == "充电器"
    assert out["room"][0][0] in ("房间", "很脏", "脏")
    assert "送餐" in [w for w, _ in out["delivery"]]
    # A word shared by every group is not distinctive for any.
    shared = KeywordExtractor().extract_by_group(["质量 充电器", "质量 房间"], [0, 1], top_k=2)
    assert shared[0][0][0] == "充电器" and shared[1][0][0] == "房间"
    with pytest.raises(ValueError):
        KeywordExtractor().extract_by_group(["a"], [0, 1])


def test_jieba_is_quiet_and_global_tokenizer_untouched(capsys):
    import jieba

    before = jieba.dt.initialized
    KeywordExtractor().tokenize("充电器发烫")
    assert jieba.dt.initialized == before
    assert logging.getLogger("jieba").level >= logging.WARNING
    captured = capsys.readouterr()
    assert "Building prefix dict" not in captured.err + captured.out


def test_filler_spread_over_every_group_labels_none():
    """Distinctiveness (min_lift): a word as common in every group as overall is no keyword,
    even when the stop-word list misses it."""
    fill = ["，尽快给个说法", "，尽快给个说法吧", "，尽快解决"]
    texts, groups = [], []
    for g, base in enumerate((CHARGER, DELIVERY, ROOM)):
        for t, f in zip(base, fill):
            texts.append(t + f)
            groups.append(g)
    kx = KeywordExtractor(stop_words=["这个", "的", "了"])  # no filler stop words
    kw = kx.extract_by_group(texts, groups, top_k=5)
    assert all("尽快" not in [w for w, _ in words] for words in kw.values()), kw
    assert "充电器" in [w for w, _ in kw[0]] and "房间" in [w for w, _ in kw[2]]
    off = kx.extract_by_group(texts, groups, top_k=20, min_lift=0)
    assert any("尽快" in [w for w, _ in words] for words in off.values())  # the check is what removes it


def test_filler_adverbs_are_stop_words_and_urls_no_words():
    stop = load_stop_words()
    assert {"再也", "尽快", "回去", "赶紧"} <= stop
    assert KeywordExtractor().tokenize("点击 http://t.cn/A6x 领取优惠券 www.abc.cn") == ["点击", "领取", "优惠券"]

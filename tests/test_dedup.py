"""Near-duplicate detection (SimHash + banding) and batch-level flood marking."""
import numpy as np
import pytest

from feedback_nlp.dedup import NearDuplicateIndex, canonical, find_floods, hamming, simhash, simhash_many

AD = "加我微信领优惠券，每天返利两百元，名额有限先到先得"
PRAISE = "东西收到了，质量很好，物流也快，下次还来买"


def test_canonical_ignores_punctuation_space_script_and_numbers():
    assert canonical("好評！！ 好评") == canonical("好评好评")
    assert canonical("订单号 12345 没到") == canonical("订单号98765432没到")


def test_simhash_is_deterministic_and_batched_equals_single():
    texts = [canonical(t) for t in (AD, PRAISE, "", "ab", "abc", "abcd", "哈哈哈哈哈哈")]
    many = simhash_many(texts)
    assert many.dtype == np.uint64
    assert [int(x) for x in many] == [simhash(t) for t in texts]
    assert simhash("") == 0
    # a one-character edit of a long text stays close; unrelated texts are far apart
    edited = AD.replace("两百", "三百")
    assert hamming(simhash(canonical(AD)), simhash(canonical(edited))) <= 12
    assert hamming(simhash(canonical(AD)), simhash(canonical(PRAISE))) > 12


def test_index_groups_copies_and_is_incremental():
    idx = NearDuplicateIndex()
    a = idx.add_many([AD, PRAISE, AD + "！！", "快递太慢了，等了十天还没到"])
    assert idx.group_size(a[0]) == 2 and idx.group_of(a[0]) == idx.group_of(a[2])
    assert idx.group_size(a[1]) == 1 and idx.group_size(a[3]) == 1
    b = idx.add("【" + AD + "】")  # streaming: later additions join the existing group
    assert idx.group_size(b) == 3 and idx.group_size(a[0]) == 3
    assert idx.groups(min_size=3) == [[0, 2, 4]]
    assert len(idx) == 5


def test_short_texts_are_not_indexed():
    idx = NearDuplicateIndex(min_chars=6)
    ids = idx.add_many(["好评"] * 10)
    assert idx.group_of(ids[0]) is None
    assert list(idx.group_sizes()) == [1] * 10


def test_banding_finds_every_pair_within_the_distance():
    # fingerprints within max_distance must be grouped whatever bits differ (pigeonhole)
    rng = np.random.default_rng(0)
    idx = NearDuplicateIndex(max_distance=3)
    for _ in range(50):
        base = int(rng.integers(0, 2 ** 63)) * 2 + 1
        flips = rng.choice(64, size=3, replace=False)
        other = base
        for f in flips:
            other ^= 1 << int(f)
        i = idx._add_fp(base)
        j = idx._add_fp(other)
        assert idx.group_of(i) == idx.group_of(j)


def test_find_floods_sizes():
    sizes = find_floods([AD, PRAISE, AD, AD + "。", "完全不同的一段话，说的是别的事情"])
    assert list(sizes) == [3, 1, 3, 3, 1]


def test_scales_linearly_on_a_larger_batch():
    rng = np.random.default_rng(1)
    chars = list("的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所")
    texts = ["".join(rng.choice(chars, size=20)) for _ in range(5000)]
    sizes = find_floods(texts + [texts[0]] * 2)
    assert sizes[0] == 3 and sizes[-1] == 3
    assert (sizes[1:5000] == 1).mean() > 0.99


def test_invalid_distance():
    with pytest.raises(ValueError):
        NearDuplicateIndex(max_distance=16)


def test_analyze_batch_marks_copied_praise_but_never_a_complaint():
    from feedback_nlp import FeedbackAnalyzer

    fa = FeedbackAnalyzer.load()
    praise = "非常满意，下次还会再来，推荐给朋友们"
    complaint = "快递太慢了，等了十天还没到，客服也一直不回复"
    texts = [praise, complaint, praise + "！", complaint, "质量不错", praise, complaint + "。。"]
    plain = fa.analyze_batch(texts)
    assert not any(r.spam_type == "flood" for r in plain)
    res = fa.analyze_batch(texts, detect_floods=True, batch_size=2)
    for i in (0, 2, 5):
        assert res[i].is_spam and res[i].spam_type in ("flood", plain[i].spam_type)
        if not plain[i].is_spam:
            assert res[i].spam_type == "flood" and res[i].route is None
            assert res[i].severity_reasons[-1].startswith("flood: one of 3")
    for i in (1, 3, 6):  # copies of a real complaint stay complaints
        assert res[i].to_dict() == plain[i].to_dict() and res[i].issue_types
    assert res[4].to_dict() == plain[4].to_dict()
    # fewer copies than the minimum: nothing is marked
    res = fa.analyze_batch([praise, praise, complaint], detect_floods=True)
    assert not any(r.spam_type == "flood" for r in res)


def test_add_many_counting_sees_each_group_as_a_stream_would():
    texts = ["好评好评，五星好评，非常满意"] * 3 + ["快递太慢了，十天才到"] + ["好评好评，五星好评，非常满意！"]
    one_by_one = NearDuplicateIndex()
    want = [(i, one_by_one.group_size(one_by_one.add(t))) for i, t in enumerate(texts)]
    assert NearDuplicateIndex().add_many_counting(texts) == want == [(0, 1), (1, 2), (2, 3), (3, 1), (4, 4)]
    split = NearDuplicateIndex()
    assert split.add_many_counting(texts[:2]) + split.add_many_counting(texts[2:]) == want
    assert NearDuplicateIndex().add_many_counting([]) == []

"""Recurring-problem clustering: determinism, predict, filtering, summaries, quality."""
from __future__ import annotations

import csv
import json
import os
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.cluster import ProblemClusterer, TextVectorizer, average_linkage
from feedback_nlp.metrics import normalized_mutual_info  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("FEEDBACK_NLP_DATA", REPO.parent / "shared" / "data"))


def need_data() -> Path:
    d = data_dir()
    if not (d / "annotations" / "test.jsonl").is_file():
        pytest.skip("needs ../shared/data (set FEEDBACK_NLP_DATA)")
    return d


# Four recurring problems, each worded differently, plus unrelated one-offs.
GROUPS = {
    "late": ["送餐太慢了，等了两个小时才送到", "外卖送得太慢，饭都凉了", "下单一个半小时才送到，太慢了",
             "送餐超时一个多小时，饿死了", "等了快两个小时外卖才到", "配送太慢了，足足等了一百分钟",
             "十二点下单两点才送到，太慢", "送餐速度太慢，等到饭都凉了"],
    "dirty": ["房间很脏，床单上有污渍", "酒店房间卫生太差，地上都是头发", "房间不干净，床单有头发",
              "卫生间很脏，马桶有污渍", "房间脏兮兮的，床单也没换", "房间卫生差，床上有头发和污渍",
              "酒店房间很脏，毛巾发黄", "床单有污渍，房间不干净"],
    "refund": ["退款申请了半个月还没到账", "退货后退款一直不到账", "退款迟迟不到账，客服也不管",
               "申请退款二十天了钱还没退回来", "退款显示成功但是钱没到账", "退货寄回去了退款还没到账",
               "退款一直没到账，催了好几次", "说好的退款到现在都没收到"],
    "battery": ["手机电池不耐用，半天就没电了", "电池续航太差，一天充三次电", "电池掉电特别快，续航短",
                "续航很差，电池一会儿就没电", "这手机电池太不耐用了，掉电快", "电池续航时间短，半天就要充电",
                "电池不行，待机一晚上掉一半电", "手机续航太短了，电池不耐用"],
}
ONE_OFFS = ["包装盒上印错了字", "书的纸张有点薄", "颜色和图片略有差别", "赠品是一支笔", "发票抬头写错了",
            "鞋码偏大半码", "耳机线有点短", "杯子盖子拧不紧"]


def fixture_texts():
    texts, truth = [], []
    for g, ts in GROUPS.items():
        texts += ts
        truth += [g] * len(ts)
    texts += ONE_OFFS
    truth += [None] * len(ONE_OFFS)
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    return [texts[i] for i in order], [truth[i] for i in order]


def purity_check(labels, truth, min_recall=0.75):
    """Each planted group mostly lands in one cluster that holds little else."""
    for g in GROUPS:
        c = Counter(l for l, t in zip(labels, truth) if t == g)
        best, n = max(((k, v) for k, v in c.items() if k is not None), key=lambda kv: kv[1], default=(None, 0))
        assert best is not None and n >= min_recall * len(GROUPS[g]), (g, c)
        members = [t for l, t in zip(labels, truth) if l == best]
        assert Counter(members)[g] >= 0.75 * len(members), (g, members)


def test_fixture_groups_are_found():
    texts, truth = fixture_texts()
    cl = ProblemClusterer(min_size=3, seed=0)
    labels = cl.fit_predict(texts)
    assert len(labels) == len(texts)
    purity_check(labels, truth)
    info = cl.get_cluster_info()
    assert [c["cluster_id"] for c in info] == list(range(len(info)))
    assert all(c["size"] >= 3 for c in info)
    assert [c["size"] for c in info] == sorted((c["size"] for c in info), reverse=True)
    for c in info:
        assert c["label"] and c["keywords"] and 3 <= len(c["representatives"]) <= 5
        assert 0 < c["share"] <= 1
    labels_text = " ".join(c["label"] for c in info)
    assert "退款" in labels_text and "电池" in labels_text
    json.dumps(info, ensure_ascii=False)  # JSON-serialisable


def test_same_seed_same_result_and_input_order_matters_only_by_position():
    texts, _ = fixture_texts()
    a = ProblemClusterer(min_size=3, seed=1)
    b = ProblemClusterer(min_size=3, seed=1)
    assert a.fit_predict(texts) == b.fit_predict(texts)
    assert a.get_cluster_info() == b.get_cluster_info()
    np.testing.assert_array_equal(a.centroids_, b.centroids_)


def test_predict_assigns_new_texts_to_existing_clusters():
    texts, truth = fixture_texts()
    cl = ProblemClusterer(min_size=3).fit(texts)
    labels = cl.labels_
    cluster_of = {g: Counter(l for l, t in zip(labels, truth) if t == g).most_common(1)[0][0] for g in GROUPS}
    new = ["外卖送了两个小时，太慢了", "退款半个月都没到账", "电池续航太短，掉电快", "房间床单很脏有头发",
           "今天天气不错适合出去玩"]
    pred = cl.predict(new)
    assert pred[:4] == [cluster_of["late"], cluster_of["refund"], cluster_of["battery"], cluster_of["dirty"]]
    assert pred[4] is None
    # predict does not change the fitted clusters.
    assert cl.labels_ == labels
    assert cl.predict([]) == []


def test_training_texts_predict_to_their_labels():
    texts, _ = fixture_texts()
    cl = ProblemClusterer(min_size=3).fit(texts)
    assert cl.predict(texts) == cl.labels_


def test_results_filter_spam_and_positive_and_fill_mixes():
    texts, truth = fixture_texts()
    results = []
    for t, g in zip(texts, truth):
        results.append({"is_spam": False, "sentiment": "negative", "severity": "high" if g == "refund" else "medium",
                        "issue_types": {"late": ["logistics"], "dirty": ["product_quality"],
                                        "refund": ["after_sales", "payment"], "battery": ["product_quality"]}.get(g, []),
                        "primary_issue": None})
    spam = "加微信领优惠券 送餐太慢了"
    praise = "送餐很快，两个小时的路程半小时就到了，好评"
    texts2 = texts + [spam, praise]
    results2 = results + [{"is_spam": True, "sentiment": "negative"}, {"is_spam": False, "sentiment": "positive"}]
    times = [f"2024-03-{1 + i % 20:02d}T10:00:00" for i in range(len(texts2))]
    cl = ProblemClusterer(min_size=3)
    labels = cl.fit_predict(texts2, results=results2, times=times)
    assert labels[-2] is None and labels[-1] is None
    assert cl.n_eligible_ == len(texts)
    assert cl.predict([spam, praise], results=results2[-2:]) == [None, None]
    info = cl.get_cluster_info()
    refund = next(c for c in info if "退款" in c["label"])
    members = [i for i, lab in enumerate(labels) if lab == refund["cluster_id"]]
    n_refund = sum(truth[i] == "refund" for i in members)  # the mixes count what the members' results say
    assert n_refund >= 0.75 * refund["size"]
    assert refund["issue_type_mix"]["after_sales"]["count"] == n_refund
    assert refund["severity_mix"]["high"]["count"] == n_refund
    assert refund["sentiment_mix"] == {"negative": {"count": refund["size"], "share": 1.0}}
    assert refund["first_seen"] <= refund["last_seen"]
    assert sum(refund["counts"].values()) == refund["size"]
    # include_sentiments=None keeps positive feedback too.
    cl_all = ProblemClusterer(min_size=3, include_sentiments=None).fit(texts2, results=results2)
    assert cl_all.n_eligible_ == len(texts) + 1


def test_feedback_result_objects_are_accepted():
    from feedback_nlp.result import FeedbackResult

    texts, _ = fixture_texts()
    results = [FeedbackResult(id=i, sentiment="negative", issue_types=["other"], primary_issue="other")
               for i in range(len(texts))]
    cl = ProblemClusterer(min_size=3).fit(texts, results=results)
    assert cl.get_cluster_info()[0]["primary_issue_mix"]["other"]["share"] == 1.0


def test_records_that_name_no_problem_are_no_recurring_problem():
    # A review export's placeholders (neutral) and chat acknowledgements would form its largest "problem".
    from feedback_nlp.pipeline import CHAT_REASON, PLACEHOLDER_REASON
    from feedback_nlp.result import FeedbackResult

    texts, _ = fixture_texts()
    noise = ["此用户未填写评价内容"] * 6 + ["收到"] * 6
    results = [FeedbackResult(id=i, sentiment="negative", severity_reasons=["decision: medium (P(critical)=0.01)"])
               for i in range(len(texts))]
    results += [{"sentiment": "neutral", "severity_reasons": [PLACEHOLDER_REASON]}] * 6
    results += [{"sentiment": "neutral", "severity_reasons": [CHAT_REASON]}] * 6
    labels = ProblemClusterer(min_size=3).fit_predict(texts + noise, results=results)
    assert labels[-12:] == [None] * 12 and any(lab is not None for lab in labels[:-12])
    kept = ProblemClusterer(min_size=3, drop_no_problem=False).fit_predict(texts + noise, results=results)
    assert len({lab for lab in kept[-12:]} - {None}) == 2  # off: each becomes a cluster
    odd = [{"sentiment": "negative", "severity_reasons": x} for x in (None, 3, "spam", [])] * 3  # not a list: kept
    assert ProblemClusterer(min_size=3).fit(texts[:12], results=odd).n_eligible_ == 12


def test_pii_is_masked_in_representatives():
    texts = [f"退款一直没到账，电话13812345{i:03d}，订单号{202403050000 + i}" for i in range(6)]
    cl = ProblemClusterer(min_size=3).fit(texts)
    reps = " ".join(r for c in cl.get_cluster_info() for r in c["representatives"])
    assert reps and "138123" not in reps and "[PHONE]" in reps


def test_embeddings_can_be_plugged_in():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 16))
    emb = np.vstack([c + 0.05 * rng.normal(size=(10, 16)) for c in centers])
    texts = [f"文本{i}" for i in range(len(emb))]
    cl = ProblemClusterer(min_size=5, threshold=0.8)
    labels = cl.fit_predict(texts, embeddings=emb)
    assert len(set(labels)) == 3 and None not in labels
    assert [len(set(labels[i * 10:(i + 1) * 10])) for i in range(3)] == [1, 1, 1]
    assert cl.predict(["x"], embeddings=centers[1:2]) == [labels[10]]
    with pytest.raises(ValueError):
        cl.predict(["x"])  # fitted on embeddings: predict needs them too
    with pytest.raises(ValueError):
        ProblemClusterer().fit(texts, embeddings=emb[:5])


def test_edge_cases():
    cl = ProblemClusterer()
    assert cl.fit_predict([]) == []
    assert cl.get_cluster_info() == []
    assert cl.predict(["送餐太慢"]) == [None]
    assert ProblemClusterer(min_size=3).fit_predict(["", "  ", "送餐太慢"]) == [None, None, None]
    with pytest.raises(TypeError, match="index 1 must be str, got NoneType"):
        ProblemClusterer().fit(["ok", None])
    with pytest.raises(RuntimeError):
        ProblemClusterer().predict(["x"])


def test_average_linkage_is_exact_on_a_toy_case():
    X = np.array([[1, 0], [0.99, 0.141], [0, 1], [0.141, 0.99]], dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    root = average_linkage(X, np.ones(4), 0.9)
    assert root[0] == root[1] and root[2] == root[3] and root[0] != root[2]
    assert len(set(average_linkage(X, np.ones(4), 0.0))) == 1


def test_vectorizer_micro_clusters_path_is_deterministic():
    # More texts than max_units: the k-means micro-cluster path.
    texts, truth = fixture_texts()
    many = texts * 3
    a = ProblemClusterer(min_size=3, max_units=20, seed=3).fit_predict(many)
    b = ProblemClusterer(min_size=3, max_units=20, seed=3).fit_predict(many)
    assert a == b
    assert sum(l is not None for l in a) >= len(many) // 2
    v = TextVectorizer().fit_transform(texts)
    assert v.shape[0] == len(texts) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)


# ------------------------------------------------------------------ planted problem
PLANTED = [
    "充电器用了十分钟就发烫，烫得不敢碰", "插上充电器没多久就烫手，太吓人了", "这个充电头充电的时候特别烫，担心会着火",
    "充电器发热严重，摸上去烫手", "充电头一插上就开始发烫，手都不敢摸", "刚买的充电器充一会儿就很烫，质量堪忧",
    "充电器温度太高了，烫的能煎鸡蛋", "充电的时候充电器烫得厉害，不敢晚上充", "快充头发烫严重，用了两天就不敢用了",
    "充电器插座那里发烫，还有一股焦味", "给手机充电，充电器烫手，这安全吗", "原装充电器居然这么烫，退货了",
    "充电器充电半小时后非常烫，差评", "充电头发热发烫，摸一下烫得缩手", "这款充电器一充电就发烫，怀疑是假货",
    "充电器烫得很，放在床上都怕出事", "充电头烫手，充电速度还慢", "买的充电器用着用着就烫起来了，有安全隐患",
    "充电器插上手机就发烫，晚上不敢充电", "充电器热得烫手，客服还说是正常现象",
]


def _generated_texts(n: int, seed: int = 0) -> list[str]:
    """Varied written feedback (no charger-heat complaints) for when ../shared is absent."""
    rng = random.Random(seed)
    items = ["手机", "耳机", "衣服", "鞋子", "外卖", "酒店房间", "水果", "书", "台灯", "电脑", "洗发水", "行李箱",
             "牛奶", "床单", "手表", "键盘", "充电宝", "数据线", "蓝牙音箱", "背包"]
    aspects = ["质量一般", "物流很慢", "包装破损", "颜色不对", "尺码偏小", "客服不回复", "退款很慢", "味道很差",
               "做工粗糙", "和描述不符", "发错货了", "价格太贵", "很好用", "非常满意", "还会再买", "送货很快",
               "有异味", "屏幕有划痕", "声音很小", "少发了一件", "快递员态度差", "优惠券用不了"]
    tails = ["", "，失望", "，下次不买了", "，还行吧", "，给个好评", "，希望改进", "！", "。", "，差评", "，推荐"]
    out = []
    for _ in range(n):
        k = rng.randint(1, 3)
        parts = [f"{rng.choice(items)}{rng.choice(aspects)}" for _ in range(k)]
        out.append("，".join(parts) + rng.choice(tails))
    return out


def _corpus_texts(n: int, seed: int = 0) -> list[str]:
    d = data_dir() / "corpora"
    rows: list[str] = []
    for name in ("online_shopping_10_cats", "waimai_10k", "chnsenticorp_htl_all"):
        p = d / f"{name}.csv"
        if p.is_file():
            with open(p, encoding="utf-8", newline="") as f:
                rows += [r["review"] for r in csv.DictReader(f) if r.get("review")]
    if len(rows) < n:
        return _generated_texts(n, seed)
    random.Random(seed).shuffle(rows)
    return rows[:n]


def _planted_recovery(n_others: int) -> tuple[int, int]:
    others = _corpus_texts(n_others)
    texts = others[: n_others // 2] + PLANTED + others[n_others // 2:]
    pos = range(n_others // 2, n_others // 2 + len(PLANTED))
    labels = ProblemClusterer(seed=0).fit_predict(texts)  # default settings
    c = Counter(labels[i] for i in pos if labels[i] is not None)
    best, n = c.most_common(1)[0] if c else (None, 0)
    size = sum(1 for l in labels if l == best) if best is not None else 0
    return n, size


def test_planted_problem_1000_others():
    n, size = _planted_recovery(1000)
    assert n >= 16, n
    assert size <= 40  # one cluster about the planted problem, not a catch-all


@pytest.mark.slow
def test_planted_problem_5000_others():
    n, size = _planted_recovery(5000)
    assert n >= 16, n
    assert size <= 60


def test_planted_problem_in_generated_texts():
    texts = _generated_texts(1000, seed=5)
    texts = texts[:500] + PLANTED + texts[500:]
    labels = ProblemClusterer(seed=0).fit_predict(texts)
    c = Counter(l for l in labels[500:520] if l is not None)
    assert c and c.most_common(1)[0][1] >= 16


# ------------------------------------------------------------------ NMI on annotations
_nmi = normalized_mutual_info


def test_nmi_on_annotated_problems():
    """dev+test records with a non-empty ``problem`` (1,329 records, ~700 problem names).

    The n-gram encoder on cosines (NMI rewards its fine splits; the semantic encoder's broader
    clusters and shared-neighbour clusters are tested by ARI in test_encoders.py).
    Measured (seed 0, min_size=2, threshold 0.2): NMI 0.83 with each noise point
    its own singleton cluster, 0.81 with all noise as one cluster, 0.83 on the
    clustered 95% only. For scale: every record alone scores NMI 0.91 (the names
    are that fine-grained), so the AMI is what separates methods (0.13 here).
    """
    d = need_data()
    recs = []
    for split in ("dev", "test"):
        with open(d / "annotations" / f"{split}.jsonl", encoding="utf-8") as f:
            recs += [r for r in map(json.loads, f) if r.get("problem")]
    texts = [r["text"] for r in recs]
    y = [r["problem"] for r in recs]
    labels = ProblemClusterer(min_size=2, seed=0, encoder="ngram", similarity="cosine").fit_predict(texts)
    single = [l if l is not None else f"noise{i}" for i, l in enumerate(labels)]
    one = [l if l is not None else -1 for l in labels]
    assert _nmi(y, single) >= 0.80
    assert _nmi(y, one) >= 0.78
    assert sum(l is not None for l in labels) >= 0.9 * len(labels)
    try:
        from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score
    except ImportError:
        return
    assert abs(normalized_mutual_info_score(y, single) - _nmi(y, single)) < 1e-6
    assert adjusted_mutual_info_score(y, single) >= 0.10


def test_recurring_spam_takes_quiet_posts_with_spam_evidence():
    from feedback_nlp.cluster import recurring_spam

    quiet = {"issue_types": [], "severity": "low"}
    complaint = {"issue_types": ["payment"], "severity": "high", "spam_score": 0.9}
    texts = (["点击 http://t.cn/a 领取"] * 3 + ["限时秒杀，点击链接 http://b.cn 立即抢购"] * 3 + ["请问有黑色吗"] * 3
             + ["点击 http://t.cn/c 领取"] * 4 + ["The parcel never arrived, refund please"] * 3)
    results = ([dict(quiet, spam_score=0.7)] * 3        # 0: high mean spam score
               + [dict(quiet, spam_score=0.4)] * 3      # 1: low score, but link + 点击链接 (ad evidence)
               + [dict(quiet, spam_score=0.1)] * 3      # 2: a question: kept
               + [dict(quiet, spam_score=0.9)] * 3 + [complaint]  # 3: the complaint stays a problem
               + [dict(quiet, spam_score=0.9)] * 3)     # 4: not Chinese: to review, not spam
    labels = [0] * 3 + [1] * 3 + [2] * 3 + [3] * 4 + [4] * 3
    assert recurring_spam(labels, results, texts) == [0, 1, 2, 3, 4, 5, 9, 10, 11]
    assert recurring_spam(labels[:2] + [None] * (len(texts) - 2), results, texts) == []  # fewer than 3


@pytest.mark.parametrize("encoder", [None, "ngram"])
@pytest.mark.parametrize("tail", [["\ue001"], ["\ue001", "\ue537"]])
def test_texts_without_ngrams_anywhere_are_left_unclustered(encoder, tail):
    """Old iOS emoji (private use) have no character n-gram; as the last text they once broke the n-gram count."""
    texts = ["\ue000"] + ["快递十天都没到，客服也不回消息"] * 3 + tail
    labels = ProblemClusterer(min_size=2, encoder=encoder).fit_predict(texts)
    assert labels[0] is None and labels[1] == labels[2] == labels[3] == 0 and labels[4:] == [None] * len(tail)


@pytest.mark.parametrize("kw, name", [(dict(min_size=-5), "min_size"), (dict(min_size=0), "min_size"),
                                      (dict(min_size=2.5), "min_size"), (dict(threshold=float("nan")), "threshold"),
                                      (dict(threshold=float("inf")), "threshold"), (dict(threshold="0.3"), "threshold"),
                                      (dict(assign_threshold=float("nan")), "assign_threshold"),
                                      (dict(min_cosine=float("nan")), "min_cosine"), (dict(seed=-1), "seed"),
                                      (dict(freq="M"), "freq")])
def test_nonsensical_settings_are_refused_when_the_clusterer_is_made(kw, name):
    with pytest.raises(ValueError, match=name):
        ProblemClusterer(**kw)
    ProblemClusterer(min_size=1, threshold=-1.0, assign_threshold=1.01, seed=0, freq="w")  # extreme, yet meaningful


@pytest.mark.parametrize("kw, name", [(dict(threshold=float("nan")), "threshold"), (dict(min_size=-5), "min_size"),
                                      (dict(seed=-1), "seed")])
def test_run_cluster_command_refuses_bad_settings_before_reading(tmp_path, kw, name):
    from feedback_nlp.cluster import run_cluster_command

    with pytest.raises(ValueError, match=name):  # the input does not exist: the settings are checked first
        run_cluster_command(str(tmp_path / "missing.jsonl"), str(tmp_path / "o.jsonl"), **kw)
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("params, needle", [
    ({"min_size": 0}, "--min-size must be an int >= 1; got 0"),
    ({"threshold": float("nan")}, "--similarity-threshold must be a finite number"),
    ({"seed": -1}, "--seed must be an int >= 0"),
    ({"recentre": 1, "similarity": "cosine"}, "give --similarity-threshold with --recentre"),
    ({"recentre": 1, "similarity": "snn", "threshold": 0.2}, "--recentre works on cosines, not with --similarity snn")])
def test_check_params_names_a_parameter_as_the_caller_does(params, needle):
    # One set of checks for the estimator and the CLI: the CLI passes its flags as the names.
    from feedback_nlp.cli import CLUSTER_FLAGS
    from feedback_nlp.cluster.clusterer import check_params

    with pytest.raises(ValueError) as own:
        check_params(params)
    with pytest.raises(ValueError) as flags:
        check_params(params, CLUSTER_FLAGS)
    assert needle in str(flags.value) and "--" not in str(own.value)  # by the parameter's own name without names

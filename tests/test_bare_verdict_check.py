"""training/bare_verdict_check.py: what the bare-verdict point changes, on data written here."""
from __future__ import annotations

import csv
import json
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "training"))
import bare_verdict_check  # noqa: E402

ANNOTATIONS = [  # (text, issue_types, sentiment, severity)
    ("失望", [], "negative", "low"),  # a bare verdict the heads give issue types
    ("太差了", [], "negative", "low"),
    ("非常不满意", ["product_quality"], "negative", "medium"),  # gold against the codebook: listed as harm
    ("快递十天都没到，客服也不回消息", ["logistics", "customer_service"], "negative", "medium"),
    ("质量很好，物流也快", [], "positive", "low"),
    ("🥰🥰！", [], "positive", "low"),  # no words: the heads had read its "！" as a critical complaint
    ("我要投诉！", ["other"], "negative", "high"),  # a bare threat
    ("收到", [], "neutral", "low"),  # a bare chat phrase the heads read as a logistics complaint
    ("1星", [], "negative", "low"),  # a bare rating the heads read as positive, with issue types
    ("怎么取消订单？", [], "neutral", "low"),  # a bare question the heads read as a pricing complaint (chat)
    ("质量不差", [], "positive", "low"),  # a negated complaint the heads read as a quality complaint
]
REVIEWS = [("不推荐", 0), ("屏幕有坏点，差评", 0), ("很好用", 1), ("差评，投诉", 0), ("没有色差", 1)]


def _data(tmp_path, annotations=ANNOTATIONS, reviews=REVIEWS):
    (tmp_path / "annotations").mkdir()
    for split in ("train", "dev", "test"):
        rows = [{"id": f"{split}{i}", "text": t, "is_spam": False, "spam_type": None, "issue_types": it,
                 "sentiment": s, "severity": v, "channel": "cs_chat" if t.endswith("？") else "order_review"}
                for i, (t, it, s, v) in enumerate(annotations)]
        (tmp_path / "annotations" / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "corpora").mkdir()
    (tmp_path / "splits").mkdir()
    for fname in ("online_shopping_10_cats", "waimai_10k", "chnsenticorp_htl_all"):
        with open(tmp_path / "corpora" / f"{fname}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "label", "review"])
            w.writerows([f"{fname[:4]}-{i}", label, text] for i, (text, label) in enumerate(reviews))
        with open(tmp_path / "splits" / f"{fname}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "split"])
            w.writerows([f"{fname[:4]}-{i}", "dev"] for i in range(len(reviews)))
    return tmp_path


def test_figures_with_the_point_off_and_on(tmp_path, capsys):
    bare_verdict_check.main(["--data-dir", str(_data(tmp_path)), "--sample", "2"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    off, on = [line for line in lines if line.startswith("dev bare_verdict=")]
    # "失望" and "太差了" lose the issue types the heads gave them; the point at 0 leaves them ("1星": the issue gate,
    # which weighs the text's length since rule GD, keeps them out either way)
    assert off.endswith("given an issue type 2 of 3") and on.endswith("given an issue type 0 of 3")
    assert "  dev: 3 non-spam hits, 1 with a gold issue type" in lines
    assert "    '非常不满意' gold ['product_quality'] negative medium" in lines
    assert "corpus reviews, dev + test: 3 of 15 hit (3 labelled negative)" in lines  # "不推荐" in each corpus
    assert sum(line.startswith("    0 '不推荐'") for line in lines) == 2  # the sample
    # texts with no words: listed with gold and decisions, in every split
    assert "  dev '🥰🥰！' False positive low [] | False positive 0.8 low []" in lines
    assert "  agree with the gold, of 3: sentiment 3, severity 3, issue types 3, spam 3" in lines
    # bare threats: other and high, in the annotations and the corpora
    assert "  annotations dev: 1" in lines and "    '我要投诉！' False high ['other'] | False high ['other']" in lines
    assert "  corpus reviews, all splits: 3 of 15" in lines and "    0 '差评，投诉'" in lines
    # bare acknowledgements: the point at 0 gives the heads' complaint back
    assert "  point 1, agree with the gold of 3: spam 3, sentiment 3, severity 3, issue types 3" in lines
    assert "  point 0, agree with the gold of 3: spam 3, sentiment 0, severity 0, issue types 0" in lines
    assert lines[lines.index("bare ratings (gold | point 0 | point 1):") + 2] == \
        "    '1星' (False, 'negative', 'low', []) | (False, 'positive', 'low', []) | (False, 'negative', 'low', [])"
    # bare questions: the heads' complaint at 0; with the point on for cs_chat the dev figures move
    assert lines[lines.index("bare questions (gold | point 0 | point 1):") + 2] == \
        "    '怎么取消订单？' (False, 'neutral', 'low', []) | (False, 'negative', 'high', ['pricing_promotion']) | " \
        "(False, 'neutral', 'low', [])"
    assert "dev, bare_question on for cs_chat: issue micro/macro F1 0.8571 / 0.7500; severity accuracy 0.9091, " \
        "kappa 0.8866; 3-way sentiment 1.0000" in lines  # off: 0.7500 / 0.7500, 0.8182 (the bare_verdict=1 line)
    # bare negated complaints: the heads' quality complaint at 0
    assert lines[lines.index("bare negated complaints (gold | point 0 | point 1):") + 2] == \
        "    '质量不差' (False, 'positive', 'low', []) | (False, 'negative', 'medium', ['product_quality']) | " \
        "(False, 'positive', 'low', [])"


def test_review_forms_whose_spam_decision_the_point_changes(tmp_path, capsys):
    # rule EA: a padded review the spam head flags is not spam with the point on; padded filler stays spam
    data = _data(tmp_path, annotations=[("不错。。。。。。。。", [], "positive", "low"), ("质量很好", [], "positive", "low")],
                 reviews=[("包装破损了" + "。" * 22, 0), ("。。。。。。。", 0), ("很好用", 1)])
    bare_verdict_check.point_section("spam.review_forms", str(data))
    lines = capsys.readouterr().out.splitlines()
    assert "  train: 1 of 2 (2 annotations, the rest corpus reviews)" in lines
    assert "  dev: 4 of 11 (2 annotations, the rest corpus reviews)" in lines  # the review in each of 3 corpora
    assert "    '不错。。。。。。。。' - | gibberish | None positive low []" in lines
    assert any(line.startswith("    '包装破损了。。。") and " review 0 | gibberish | None negative " in line
               for line in lines)


def test_book_stories_whose_severity_the_point_changes(tmp_path, capsys):
    # rule EJ: a positive book review whose plot fires the health rule is no longer critical with the point on
    story = "一口气读完了这本书，书中的主人公在医院里抢救了三天三夜，最后还是走了，作者写得太感人了，强烈推荐！"
    data = _data(tmp_path, annotations=[(story, [], "positive", "low"), ("质量很好", [], "positive", "low")],
                 reviews=[(story, 1), ("很好用", 1)])
    bare_verdict_check.point_section("severity.book_story", str(data))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "book stories whose severity changes (gold or label | point 0 | point 1):"
    assert "  dev: 4 of 8 (2 annotations, the rest corpus reviews)" in lines  # the annotation + the review in 3 corpora
    assert f"    {story[:40]!r} low | critical | positive low []" in lines


def test_reported_ads_whose_spam_decision_the_point_changes(tmp_path, capsys):
    # rule FC: a complaint whose screenshot link the spam head reads as an ad is not spam with the point on
    text = "88元大额券在结算页不显示，截图：https://photos.app.goo.gl/Vk3Bw9 有效期还有三天"
    data = _data(tmp_path, annotations=[(text, ["pricing_promotion"], "negative", "medium"),
                                        ("质量很好", [], "positive", "low")], reviews=[("很好用", 1)])
    bare_verdict_check.point_section("spam.reported_ads", str(data))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "reported ads whose spam decision changes (gold or label | point 0 | point 1):"
    assert "  dev: 1 of 5 (2 annotations, the rest corpus reviews)" in lines
    assert any(line.startswith(f"    {text[:40]!r} - | ad | None negative ") for line in lines)


def test_insults_of_commenters_whose_spam_decision_the_point_changes(tmp_path, capsys):
    # rule FA: an insult of other commenters the spam head keeps is abuse with the point on; a complaint is not
    text = "那個給一星的腦子進水了吧，自己不會裝怪誰，滾回去讀書"
    data = _data(tmp_path, annotations=[(text, [], "negative", "low"), ("楼上说的对，快递送到楼下就走了，垃圾快递",
                                                                        ["logistics"], "negative", "medium")],
                 reviews=[("很好用", 1)])
    bare_verdict_check.point_section("spam.commenter_abuse", str(data))
    lines = capsys.readouterr().out.splitlines()
    assert "  dev: 1 of 5 (2 annotations, the rest corpus reviews)" in lines
    assert any(line.startswith(f"    {text[:40]!r} - | None | abuse negative low") for line in lines)


def test_not_chinese_texts_whose_severity_the_review_band_changes(tmp_path, capsys):
    # rule FE: an English text the band had lifted to high keeps its expected level with the point at 0
    text = "Hi, I bought a phone case (order #3302918475) and it does not fit my phone at all."
    data = _data(tmp_path, annotations=[(text, ["description_mismatch"], "negative", "medium"),
                                        ("质量很好", [], "positive", "low")],
                 reviews=[("很好用", 1)])
    bare_verdict_check.point_section("severity.band_not_chinese", str(data))
    lines = capsys.readouterr().out.splitlines()
    assert "  dev: 1 of 5 (2 annotations, the rest corpus reviews)" in lines
    assert any(line.startswith(f"    {text[:40]!r} medium | medium | ") and " high " in line for line in lines)

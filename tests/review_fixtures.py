"""Helpers the review tests share: the feedback fixture, the export command, Label Studio export builders,
simulated reviewers. Fixtures are written here; the export builders have the shape Label Studio 1.23.2
writes (keys copied from a real export made by the slow round trip test in test_review.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from feedback_nlp.cli import main

FEEDBACK = [
    ("r1", "快递十天都没到，客服也不回消息"),
    ("r2", "质量很好，物流也快，下次还来买"),
    ("r3", "加微信 abc12345 领券，兼职刷单日结"),
    ("r4", "衣服颜色和图片不一样，申请退货一直没人处理"),
    ("r5", "付款扣了两次钱，订单还显示未支付"),
    ("r6", "东西还行吧"),
    ("r7", "账号被盗了，有人用我的账号下单"),
    ("r8", "一般般，凑合用"),
    ("r9", "app一直闪退，根本没法用"),
    ("r10", "活动价格说好的满减没有减"),
]


def _jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def feedback_file(tmp_path) -> Path:
    return _jsonl(tmp_path / "feedback.jsonl", [{"id": i, "text": t, "channel": "app"} for i, t in FEEDBACK])


def _run_export(tmp_path, capsys, src, *extra) -> tuple[list[dict], str]:
    out = tmp_path / "tasks.json"
    assert main(["review", "export", str(src), "-o", str(out), *extra]) == 0
    return json.loads(out.read_text(encoding="utf-8")), capsys.readouterr().err



def _item(name, value, origin="manual"):
    kind = "textarea" if name == "problem" else "choices"
    key = "text" if kind == "textarea" else "choices"
    return {"value": {key: value if isinstance(value, list) else [value]}, "id": f"id-{name}", "from_name": name,
            "to_name": "text", "type": kind, "origin": origin}


def _annotation(aid, task, result, *, cancelled=False, updated="2026-12-05T01:00:00.000000Z", ground_truth=False):
    return {"id": aid, "completed_by": 1, "result": result, "was_cancelled": cancelled, "ground_truth": ground_truth,
            "created_at": "2026-12-05T00:59:00.000000Z", "updated_at": updated, "draft_created_at": None,
            "lead_time": 7.5, "prediction": {"id": task, "result": [], "model_version": "feedback-zh-ngram@0.3.0",
                                             "created_ago": "0 minutes", "score": 0.9, "cluster": None,
                                             "neighbors": None, "mislabeling": 0.0, "task": task, "project": 1},
            "result_count": 1, "unique_id": f"00000000-0000-0000-0000-{aid:012d}", "import_id": None,
            "last_action": None, "bulk_created": False, "task": task, "project": 1, "updated_by": 1,
            "parent_prediction": None, "parent_annotation": None, "last_created_by": None}


def _task(tid, rid, text, annotations, drafts=()):
    return {"id": tid, "annotations": annotations, "drafts": list(drafts),
            "predictions": [tid], "data": {"id": rid, "text": text, "channel": "app"}, "meta": {},
            "created_at": "2026-12-05T00:50:00.000000Z", "updated_at": "2026-12-05T01:00:00.000000Z",
            "allow_skip": True, "inner_id": tid, "total_annotations": len([a for a in annotations if not a["was_cancelled"]]),
            "cancelled_annotations": len([a for a in annotations if a["was_cancelled"]]), "total_predictions": 1,
            "comment_count": 0, "unresolved_comment_count": 0, "last_comment_updated_at": None, "project": 1,
            "updated_by": 1, "comment_authors": []}


def _full(spam="false", issues=("logistics",), sentiment="negative", severity="medium", problem="快递太慢",
          spam_type=None):
    out = [_item("is_spam", spam), _item("sentiment", sentiment), _item("severity", severity)]
    if issues:
        out.append(_item("issue_types", list(issues)))
    if spam_type:
        out.append(_item("spam_type", spam_type))
    if problem:
        out.append(_item("problem", problem))
    return out


def export_fixture() -> list[dict]:
    return [
        # complete: the later annotation wins; a still later cancelled one does not count
        _task(1, "r1", "快递十天都没到，客服也不回消息", [
            _annotation(11, 1, _full(issues=("logistics", "customer_service")), updated="2026-12-05T01:05:00Z"),
            _annotation(12, 1, _full(issues=("logistics",)), updated="2026-12-05T01:00:00Z"),
            _annotation(13, 1, [], cancelled=True, updated="2026-12-05T01:09:00Z")]),
        _task(2, "r2", "质量很好", [_annotation(21, 2, [], cancelled=True)]),  # skipped
        _task(3, "r3", "东西还行吧", [], drafts=[{"id": 1, "result": _full()}]),  # empty (a draft only)
        _task(4, "r4", "颜色不对", [_annotation(41, 4, [_item("is_spam", "false"), _item("severity", "low")])]),
        _task(5, "r5", "加微信领券", [_annotation(51, 5, _full(spam="true", issues=(), severity="low"))]),
        _task(6, "r6", "账号被盗了", [_annotation(61, 6, _full(issues=("hacked",), severity="critical"))]),
        _task(7, "r1", "快递十天都没到，客服也不回消息", [_annotation(71, 7, _full())]),  # id already imported
        # ground truth wins over a later annotation; spam with its type; problem empty
        _task(8, "r8", "加我微信 abc12345", [
            _annotation(81, 8, _full(spam="true", spam_type="ad", issues=(), sentiment="neutral", severity="low",
                                     problem=None), ground_truth=True, updated="2026-12-05T01:00:00Z"),
            _annotation(82, 8, _full(), updated="2026-12-05T02:00:00Z")]),
        # not spam, no issue selected (Label Studio stores no issue_types item); spam_type left over is dropped
        _task(9, "r9", "挺好的", [_annotation(91, 9, _full(issues=(), sentiment="positive", severity="low",
                                                           problem=None, spam_type="ad"))]),
    ]



#: What the simulated reviewers decide, by record id (at least two records per issue type used).
REVIEWED = {"r1": ["logistics", "customer_service"], "r2": [], "r4": ["description_mismatch", "after_sales"],
            "r5": ["payment"], "r6": [], "r7": ["account_security"], "r8": [], "r9": ["app_experience"],
            "r10": ["pricing_promotion"]}
EXTRA = [("x1", "商品和描述完全不一样", ["description_mismatch"]), ("x2", "退款申请一周了还没处理", ["after_sales"]),
         ("x3", "支付成功了订单却没生成", ["payment"]), ("x4", "有人异地登录了我的账号", ["account_security"]),
         ("x5", "页面老是卡死打不开", ["app_experience"]), ("x6", "优惠券用不了", ["pricing_promotion"]),
         ("x7", "客服半天不回话", ["customer_service"]), ("x8", "物流太慢了", ["logistics"])]


def simulate_reviewers(tasks: list[dict]) -> list[dict]:
    """A Label Studio export of ``tasks``: each reviewer accepts the prediction but sets issue_types
    from :data:`REVIEWED`; r3 (the ad) is skipped."""
    out = []
    for n, t in enumerate(tasks, 1):
        rid = t["data"]["id"]
        if rid == "r3":
            anns = [_annotation(n, n, [], cancelled=True)]
        else:
            result = [i for i in t["predictions"][0]["result"] if i["from_name"] != "issue_types"]
            result = [dict(i, origin="prediction") for i in result]
            if REVIEWED[rid]:
                result.append(_item("issue_types", REVIEWED[rid]))
            anns = [_annotation(n, n, result)]
        out.append(dict(_task(n, rid, t["data"]["text"], anns), data=t["data"]))
    return out



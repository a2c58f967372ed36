"""training/critical_by_source.py: critical precision / recall by source, and criticals in a review stream."""
from __future__ import annotations

import csv
import json
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "training"))
import critical_by_source  # noqa: E402

TICKETS = [("吃了外卖全家上吐下泻，我要打12315投诉", "critical"), ("账号被盗了，有人用我的账号下单", "critical"),
           ("快递十天都没到，客服也不回消息", "medium")]
REVIEWS = [("吃完拉肚子了", "critical"), ("质量很好，物流也快", "low"), ("房间很干净，服务热情", "low"),
           ("充电器用了三天就坏了，差评", "high")]  # P(critical) 0.06: in the shipped review band
STREAM = ["下午拉肚子了", "很好吃，下次还点", "送餐很快", "房间不错"]


def _write_data(root):
    (root / "annotations").mkdir()
    for split in ("train", "dev", "test"):
        rows = [{"id": f"{split}-t{i}", "source": "written", "channel": "cs_chat", "text": t, "severity": s}
                for i, (t, s) in enumerate(TICKETS)]
        rows += [{"id": f"{split}-r{i}", "source": "waimai_10k", "channel": "order_review", "text": t, "severity": s}
                 for i, (t, s) in enumerate(REVIEWS)]
        (root / "annotations" / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (rows if split != "train" else [])),
            encoding="utf-8")
    (root / "corpora").mkdir()
    (root / "splits").mkdir()
    for name in critical_by_source.CORPORA.values():
        ids = [f"{name}-{i}" for i in range(len(STREAM))] + ["dev-r0"]  # an annotated row is left out
        with open(root / "corpora" / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "label", "review"])
            w.writerows([[i, 0, t] for i, t in zip(ids, STREAM + ["吃完拉肚子了"])])
        with open(root / "splits" / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "split"])
            w.writerows([[i, "dev"] for i in ids])


def test_rows_per_pair_with_sources_and_stream(tmp_path, capsys):
    _write_data(tmp_path)
    assert critical_by_source.main(["--data", str(tmp_path)]) == 0
    first, second = capsys.readouterr().out.split("\n\n")
    lines = first.splitlines()
    assert lines[0].startswith("| critical points (signal / none) | dev reviews P / R | dev written P / R")
    rows = [line.strip("|").split(" | ") for line in lines[2:]]
    assert len(rows) == 1 + len(critical_by_source.PAIRS) and rows[0][0].endswith("(shipped)")
    assert all(len(r) == 6 for r in rows)
    assert rows[0][1].endswith("(1 called, 1 true)")  # "吃完拉肚子了": critical, a review
    assert rows[0][2].endswith("true)") and "2 true" in rows[0][2]  # the two critical tickets
    n_stream = len(STREAM) * len(critical_by_source.CORPORA)
    assert rows[0][5].startswith(f"3 of {n_stream} ")  # "下午拉肚子了" once per corpus; annotated rows left out
    # the mixed stream, points per channel: the stricter pair for order_review only leaves the tickets as shipped
    lines = second.splitlines()
    assert lines[0].startswith("| critical points | dev all P / R | test all P / R | test order_review P / R")
    rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines[2:]]
    t = critical_by_source.FeedbackAnalyzer.load().task_models["severity"].heads["severity"].thresholds
    assert [r[0] for r in rows] == [f"{t['critical']} / {t['critical_unsignalled']} everywhere (shipped)",
                                    "0.1 / 0.3 everywhere",
                                    "0.1 / 0.3 for order_review only",
                                    "0.1 / 0.3 for order_review only, no review band there"]
    assert rows[2][4] == rows[0][4] == rows[3][4] and all(r[6].endswith(f"of {n_stream}") for r in rows)
    assert rows[2][5] == "1 (0)" and rows[3][5] == "0 (0)"  # the charger review in the band, then no band


def test_missing_data_is_a_clear_exit(tmp_path):
    with pytest.raises(SystemExit, match="needs the annotations and corpora"):
        critical_by_source.main(["--data", str(tmp_path)])

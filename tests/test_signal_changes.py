"""training/signal_changes.py: which records a change to the escalation rules changes, on data written here."""
from __future__ import annotations

import csv
import json
import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "training"))
import signal_changes  # noqa: E402

ANNOTATIONS = [("吃完拉肚子了", "critical"), ("这洗发水泡沫很多", "low"), ("物流有点慢", "medium")]
REVIEWS = [("吃了拉肚子，差评", 0), ("很好用", 1)]


def _data(tmp_path):
    (tmp_path / "annotations").mkdir()
    for split in ("train", "dev", "test"):
        rows = [{"id": f"{split}{i}", "text": t, "severity": v} for i, (t, v) in enumerate(ANNOTATIONS)]
        (tmp_path / "annotations" / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    for folder in ("corpora", "splits"):
        (tmp_path / folder).mkdir()
    for fname in ("online_shopping_10_cats", "waimai_10k", "chnsenticorp_htl_all"):
        with open(tmp_path / "corpora" / f"{fname}.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([["id", "label", "review"]] + [[f"{fname[:4]}-{i}", lab, t]
                                                                   for i, (t, lab) in enumerate(REVIEWS)])
        with open(tmp_path / "splits" / f"{fname}.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([["id", "split"]] + [[f"{fname[:4]}-{i}", "dev"] for i in range(len(REVIEWS))])
    return tmp_path


def test_save_then_compare_lists_what_a_rule_change_changes(tmp_path, capsys, monkeypatch):
    data, saved = _data(tmp_path), tmp_path / "before.json"
    assert signal_changes.main(["--save", str(saved), "--data-dir", str(data)]) == 0
    before = json.loads(saved.read_text(encoding="utf-8"))
    assert before["fired"]["ann:dev:dev0"] == ["health or safety risk"] and before["fired"]["ann:dev:dev2"] == []
    assert before["severity"]["ann:dev:dev0"] == "critical" and before["severity"]["ann:dev:dev2"] != "critical"
    assert len(before["fired"]) == len(before["severity"]) == 3 * 3 + 3 * 2  # every annotation record and review
    capsys.readouterr()

    signal_changes.main(["--compare", str(saved), "--data-dir", str(data)])  # nothing changed
    assert capsys.readouterr().out == "changed 0 {}\ncritical before -> after {}\n"

    real = signal_changes.escalation_signals  # a change: the health rule no longer fires on 拉肚子 ...
    monkeypatch.setattr(signal_changes, "escalation_signals",
                        lambda norm: [] if "拉肚子" in norm else real(norm))
    real_decide = signal_changes.decide  # ... and the decisions no longer call the annotations' 拉肚子 critical
    monkeypatch.setattr(signal_changes, "decide", lambda rows, model=None: [
        "high" if k.startswith("ann:") and s == "critical" else s for (k, *_), s in zip(rows, real_decide(rows))])
    signal_changes.main(["--compare", str(saved), "--data-dir", str(data)])
    lines = capsys.readouterr().out.splitlines()
    assert "ann:train critical lost ['health or safety risk'] gained [] | 吃完拉肚子了" in lines
    assert "corpus:shopping:dev 0 lost ['health or safety risk'] gained [] | 吃了拉肚子，差评" in lines
    assert ("changed 6 {'ann:dev': 1, 'ann:test': 1, 'ann:train': 1, 'corpus:food_delivery:dev': 1, "
            "'corpus:hotel:dev': 1, 'corpus:shopping:dev': 1}") in lines
    assert "ann:dev critical severity critical -> high | 吃完拉肚子了" in lines
    assert lines[-1] == "critical before -> after {'ann:dev': '1 -> 0', 'ann:test': '1 -> 0', 'ann:train': '1 -> 0'}"


def test_compare_refuses_a_file_saved_on_other_data(tmp_path):
    saved = tmp_path / "before.json"
    saved.write_text(json.dumps({"fired": {"ann:train:other": []}, "severity": {}}), encoding="utf-8")
    with pytest.raises(SystemExit, match="not in the saved file"):
        signal_changes.main(["--compare", str(saved), "--data-dir", str(_data(tmp_path))])

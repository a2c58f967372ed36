"""What a change to the escalation rules (``tasks/severity.py``) changes on the data: which annotation records and
corpus reviews gain or lose a fired rule, and whose severity the shipped model's decisions change. Run it once
before the change to save both, once after to compare (each rule of this kind is measured so: rules AZ to BH,
2026-12-07):

    python training/signal_changes.py --save before.json        # at the commit before the change
    python training/signal_changes.py --compare before.json     # with the change

``--compare`` prints every record whose fired rules differ (its gold severity, or the corpus's binary label), what it
lost and gained, and the first 110 characters of its text, then the count per part of the data; then every record
whose decided severity differs, and per part how many are decided ``critical`` before and after. Annotation records
are decided with their own ``channel``; ``--model`` names another model directory.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Optional

from feedback_nlp import FeedbackAnalyzer
from feedback_nlp.labelled_data import CORPORA, load_annotations, load_corpus
from feedback_nlp.tasks.severity import escalation_signals
from feedback_nlp.text import normalize

SPLITS = ("train", "dev", "test")


def records(data_dir=None) -> list[tuple[str, str, str, Optional[str]]]:
    """``(key, gold, text, channel)`` of every annotation record and corpus review; the key names where it comes
    from."""
    out = []
    for split in SPLITS:
        out += [(f"ann:{split}:{r['id']}", r["severity"], r["text"], r.get("channel"))
                for r in load_annotations(split, data_dir)]
    for name in CORPORA:  # one read of each corpus
        out += [(f"corpus:{name}:{r['split']}:{r['id']}", str(r["label"]), r["text"], None)
                for r in load_corpus(name, data_dir=data_dir) if r["split"] in SPLITS]
    return out


def fired(texts: list[str]) -> list[list[str]]:
    """The reasons of the rules that fire on each text, in rule order."""
    return [[r.reason for r in escalation_signals(normalize(t))] for t in texts]


def decide(rows, model=None) -> list[str]:
    """The severity the model's decisions give each record (annotation records with their channel)."""
    return [r.severity for r in FeedbackAnalyzer.load(model).analyze_batch([t for _, _, t, _ in rows],
                                                                          channels=[c for *_, c in rows])]


def snapshot(rows, model=None) -> dict:
    """What ``--save`` writes: each record's fired rules and decided severity, by key."""
    keys = [k for k, *_ in rows]
    return {"fired": dict(zip(keys, fired([t for _, _, t, _ in rows]))),
            "severity": dict(zip(keys, decide(rows, model)))}


def _part(key: str) -> str:
    return key.rsplit(":", 1)[0]


def compare(before: dict, rows, model=None, out=None) -> Counter:
    """Print each record whose fired rules, then each whose decided severity, differ from ``before``
    (:func:`snapshot`); return the count of fired-rule changes per ``ann:SPLIT`` / ``corpus:NAME:SPLIT``. A record
    missing from ``before`` (other data) is an error, not a change."""
    out = out or sys.stdout
    missing = [k for k, *_ in rows if k not in before["fired"]]
    if missing:
        raise SystemExit(f"{len(missing)} records are not in the saved file (first: {missing[0]}): "
                         "save and compare on the same data")
    now = snapshot(rows, model)
    counts: Counter = Counter()
    for key, gold, text, _ in rows:
        was, is_ = before["fired"][key], now["fired"][key]
        if was != is_:
            counts[_part(key)] += 1
            print(_part(key), gold, "lost", sorted(set(was) - set(is_)), "gained", sorted(set(is_) - set(was)), "|",
                  text[:110].replace("\n", " "), file=out)
    print("changed", sum(counts.values()), dict(sorted(counts.items())), file=out)
    critical: dict[str, list[int]] = {}
    for key, gold, text, _ in rows:
        was, is_ = before["severity"][key], now["severity"][key]
        tally = critical.setdefault(_part(key), [0, 0])
        tally[0] += was == "critical"
        tally[1] += is_ == "critical"
        if was != is_:
            print(_part(key), gold, "severity", was, "->", is_, "|", text[:110].replace("\n", " "), file=out)
    print("critical before -> after", {p: f"{a} -> {b}" for p, (a, b) in sorted(critical.items()) if a != b},
          file=out)
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", metavar="FILE", help="write the fired rules of every record here")
    what.add_argument("--compare", metavar="FILE", help="print the records whose fired rules differ from FILE's")
    ap.add_argument("--data-dir", default=None,
                    help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("--model", default=None, help="model directory whose decisions are compared (default: shipped)")
    args = ap.parse_args(argv)
    rows = records(args.data_dir)
    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            json.dump(snapshot(rows, args.model), f, ensure_ascii=False)
        print(f"saved the fired rules and severities of {len(rows)} records to {args.save}")
    else:
        with open(args.compare, encoding="utf-8") as f:
            compare(json.load(f), rows, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())

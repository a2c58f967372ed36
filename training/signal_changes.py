"""What a change to the escalation rules (``tasks/severity.py``) changes on the data: which annotation records and
corpus reviews gain or lose a fired rule. Run it once before the change to save the fired rules, once after to
compare (each rule of this kind is measured so: rules AZ to BE, 2026-12-07):

    python training/signal_changes.py --save before.json        # at the commit before the change
    python training/signal_changes.py --compare before.json     # with the change

``--compare`` prints every record whose fired rules differ (its gold severity, or the corpus's binary label), what it
lost and gained, and the first 110 characters of its text, then the count per part of the data.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from feedback_nlp.labelled_data import CORPORA, load_annotations, load_corpus
from feedback_nlp.tasks.severity import escalation_signals
from feedback_nlp.text import normalize

SPLITS = ("train", "dev", "test")


def records(data_dir=None) -> list[tuple[str, str, str]]:
    """``(key, gold, text)`` of every annotation record and corpus review; the key names where it comes from."""
    out = []
    for split in SPLITS:
        out += [(f"ann:{split}:{r['id']}", r["severity"], r["text"]) for r in load_annotations(split, data_dir)]
    for name in CORPORA:
        for split in SPLITS:
            out += [(f"corpus:{name}:{split}:{r.get('id', i)}", str(r["label"]), r["text"])
                    for i, r in enumerate(load_corpus(name, split, data_dir))]
    return out


def fired(texts: list[str]) -> list[list[str]]:
    """The reasons of the rules that fire on each text, in rule order."""
    return [[r.reason for r in escalation_signals(normalize(t))] for t in texts]


def compare(before: dict[str, list[str]], rows: list[tuple[str, str, str]], out=None) -> Counter:
    """Print each record whose fired rules differ from ``before``; return the count per ``ann:SPLIT`` /
    ``corpus:NAME:SPLIT``. A record missing from ``before`` (other data) is an error, not a change."""
    out = out or sys.stdout
    missing = [k for k, _, _ in rows if k not in before]
    if missing:
        raise SystemExit(f"{len(missing)} records are not in the saved file (first: {missing[0]}): "
                         "save and compare on the same data")
    counts: Counter = Counter()
    for (key, gold, text), now in zip(rows, fired([t for _, _, t in rows])):
        was = before[key]
        if was != now:
            part = key.rsplit(":", 1)[0]
            counts[part] += 1
            print(part, gold, "lost", sorted(set(was) - set(now)), "gained", sorted(set(now) - set(was)), "|",
                  text[:110].replace("\n", " "), file=out)
    print("changed", sum(counts.values()), dict(sorted(counts.items())), file=out)
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", metavar="FILE", help="write the fired rules of every record here")
    what.add_argument("--compare", metavar="FILE", help="print the records whose fired rules differ from FILE's")
    ap.add_argument("--data-dir", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    args = ap.parse_args(argv)
    rows = records(args.data_dir)
    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            json.dump(dict(zip((k for k, _, _ in rows), fired([t for _, _, t in rows]))), f, ensure_ascii=False)
        print(f"saved the fired rules of {len(rows)} records to {args.save}")
    else:
        with open(args.compare, encoding="utf-8") as f:
            compare(json.load(f), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

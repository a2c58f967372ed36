"""How often does a review corpus's binary label disagree with the codebook's reading of the text?

    python training/corpus_label_audit.py [--data ../shared/data] [--split test] [--model DIR ...] [--show-errors hotel]
                                          [--write DIR]

The corpora's labels come from their sources (the hotel corpus's, for one, follows the
reviewer's rating), while the annotations give the same reviews a codebook sentiment read from
the text. For every corpus row that is also an annotation record (same id), this script
cross-tabulates corpus label against codebook sentiment, over all annotation splits (nothing is
trained or chosen here). From the rates per corpus label it estimates, for the chosen corpus
split, the binary accuracy of a model that always agrees with the codebook:

- ``ceiling``: every contradiction lost (label 1 read negative, label 0 read positive), every
  neutral text counted right;
- ``midpoint``: the same, with neutral texts counted half right (a coin flip for the codebook).

The annotated reviews are not a random sample of each corpus (they lean to complaints and to
borderline texts), so these are estimates, not bounds. With ``--model``, each model's binary
accuracy on the split is shown beside them (``P(positive) > P(negative)``). With ``--write``, the
estimates go into ``DIR/corpus-label-audit.json``, which ``training/train_baseline.py`` cites in the
model card's gaps.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))

SENTIMENTS = ("negative", "neutral", "positive")


def cross_tab(corpus_rows: list[dict], annotations: list[dict]) -> dict[int, Counter]:
    """Corpus label -> codebook sentiment counts, over the rows present in both."""
    label_of = {r["id"]: r["label"] for r in corpus_rows}
    tab: dict[int, Counter] = {0: Counter(), 1: Counter()}
    for a in annotations:
        if a["id"] in label_of and a.get("sentiment") in SENTIMENTS:
            tab[label_of[a["id"]]][a["sentiment"]] += 1
    return tab


def agreement_estimate(tab: dict[int, Counter], positive_share: float) -> dict:
    """Expected binary accuracy of a codebook-faithful model on a split with this share of label 1."""
    rate = {y: {s: tab[y][s] / max(1, sum(tab[y].values())) for s in SENTIMENTS} for y in (0, 1)}
    weight = {1: positive_share, 0: 1.0 - positive_share}
    contradiction = weight[1] * rate[1]["negative"] + weight[0] * rate[0]["positive"]
    neutral = weight[1] * rate[1]["neutral"] + weight[0] * rate[0]["neutral"]
    return {"contradiction": round(contradiction, 4), "neutral": round(neutral, 4),
            "ceiling": round(1 - contradiction, 4), "midpoint": round(1 - contradiction - neutral / 2, 4)}


def show_errors(path: str, rows: list[dict], score) -> None:
    """Print (to stderr) the rows whose sign of ``score`` (P(positive) - P(negative)) disagrees with the label."""
    wrong = [(r, s) for r, s in zip(rows, score) if (s > 0) != (r["label"] == 1)]
    print(f"{path}: {len(wrong)} of {len(rows)} wrong", file=sys.stderr)
    for r, s in wrong:
        print(f"{r['id']}\tlabel {r['label']}\tscore {s:+.2f}\t{r['text']}", file=sys.stderr)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("--split", default="test", choices=("train", "dev", "test"))
    ap.add_argument("--model", action="append", default=[], help="model directory to score beside the estimate")
    ap.add_argument("--show-errors", choices=("shopping", "food_delivery", "hotel"), default=None,
                    help="with --model: print each model's wrong reviews of this corpus's split, for reading")
    ap.add_argument("--write", type=Path, default=None, help="model directory to write corpus-label-audit.json into")
    args = ap.parse_args(argv)

    from feedback_nlp.labelled_data import CORPORA, load_annotations, load_corpus, shared_data_dir
    from train_baseline import head_sign_scores, sign_accuracy

    d = shared_data_dir(args.data)
    annotations = [a for s in ("train", "dev", "test") for a in load_annotations(s, d)]
    corp, out = {}, {}
    for name in CORPORA:
        rows = load_corpus(name, data_dir=d)
        split_rows = [r for r in rows if r["split"] == args.split]
        corp[name] = {args.split: split_rows}
        tab = cross_tab(rows, annotations)
        share = sum(r["label"] for r in split_rows) / max(1, len(split_rows))
        out[name] = {"annotated": {str(y): dict(tab[y]) for y in (0, 1)}, "split_rows": len(split_rows),
                     "split_positive_share": round(share, 4), **agreement_estimate(tab, share)}
    if args.model:
        from feedback_nlp.pipeline import _load_model

        for path in args.model:
            model = _load_model(path)
            for name in CORPORA:
                rows = corp[name][args.split]
                score = head_sign_scores(model, [r["text"] for r in rows])  # once, for the figure and the list
                out[name].setdefault("models", {})[path] = sign_accuracy(score, rows)
                if name == args.show_errors:
                    show_errors(path, rows, score)
    command = "python training/corpus_label_audit.py" + (f" --split {args.split}" if args.split != "test" else "")
    report = {"command": command, "split": args.split, "corpora": out}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.write:
        if args.model:
            ap.error("--write keeps the estimates only: leave out --model")
        (args.write / "corpus-label-audit.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                                                            encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

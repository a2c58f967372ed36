"""Build an ensemble of task models on ../shared/data: the members' weights and the
thresholds are chosen on dev, test is reported, and the directory is saved.

    python training/build_ensemble.py --member DIR_A --member DIR_B --tasks issue_types [sentiment ...] \\
        -o OUT [--data ../shared/data] [--grid 0 0.1 ... 1]

Members are model directories (n-gram, transformer) or hub ids, two or more; the usual pair is a
fine-tuned transformer and the shipped n-gram model (``models/feedback-zh-ngram``). With more
than two, every mix of grid weights summing to 1 is tried (``ensemble.weight_mixes``).
Sentiment's weight is chosen by 3-way accuracy on the dev annotations plus the mean binary
accuracy on the corpora's dev splits; the other tasks by the library's criterion
(:meth:`feedback_nlp.ensemble.EnsembleModel.fit`). Per task the card gets the dev score of
every grid point, dev and test metrics
(:func:`feedback_nlp.train.evaluate_head`), the members' own test metrics at their own
thresholds, and for sentiment the binary accuracy on the three review corpora. Members that dev
gives weight 0 in every task are left out of the directory (``EnsembleModel.without_unused``; the
card's ``candidates`` lists every member tried). Use it
next to the default model: ``FeedbackAnalyzer.load(tasks={"issue_types": OUT})`` or
``feedback-nlp score ... --task-model issue_types=OUT``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "training"))

from feedback_nlp.pipeline import REQUIRED_TASKS  # noqa: E402
from train_transformer import summary  # noqa: E402  (one summary of a split's metrics)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--member", action="append", required=True, help="model directory or hub id (give two or more)")
    ap.add_argument("--tasks", nargs="+", required=True, choices=REQUIRED_TASKS)
    ap.add_argument("-o", "--output", required=True, type=Path)
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("--grid", type=float, nargs="+", default=None,
                    help="weights to try: the first member's (two members), each member's (more)")
    ap.add_argument("--cv", type=int, default=0, metavar="FOLDS",
                    help="also put cross-validated dev metrics on the card: each fold decided by weights and "
                         "thresholds chosen on the other folds (EnsembleModel.cross_validate; default: off)")
    ap.add_argument("--min-critical-recall", type=float, default=0.90,
                    help="severity: the dev recall floor of critical while thresholds are chosen")
    args = ap.parse_args(argv)
    if len(args.member) < 2:
        ap.error("give two or more --member")
    if args.cv and args.cv < 2:
        ap.error("--cv: give 2 or more folds (0: off)")

    from feedback_nlp.ensemble import DEFAULT_GRID, EnsembleModel, dev_score
    from feedback_nlp.labelled_data import shared_data_dir
    from feedback_nlp.pipeline import _load_model
    from feedback_nlp.train import evaluate_head
    from train_baseline import build_sets, head_binary_accuracy, sentiment_criterion

    t0 = time.time()
    _, dev, test, corp, _ = build_sets(shared_data_dir(args.data))
    members = [_load_model(m) for m in args.member]
    command = "python training/build_ensemble.py " + " ".join(sys.argv[1:] if argv is None else argv)
    ens = EnsembleModel(members, {t: [1.0] * len(members) for t in args.tasks}, member_paths=args.member,
                        card={"name": args.output.name, "command": command,
                              "description": f"weighted mean of {len(members)} task models' probabilities "
                                             "(soft voting); weights and thresholds chosen on dev"})
    dev_corpora = {name: {"dev": splits["dev"]} for name, splits in corp.items()}

    def score(model, task, m):
        """Sentiment: 3-way accuracy on the annotations + mean binary accuracy on the corpora's dev
        splits (the issue's targets are both); other tasks: the library's criterion."""
        if task == "sentiment":
            return sentiment_criterion(m["accuracy"], head_binary_accuracy(model, dev_corpora, "dev"))
        return dev_score(model.heads[task], m)

    dev_sets, grid = {t: dev[t] for t in args.tasks}, args.grid or DEFAULT_GRID
    ens.fit(dev_sets, grid=grid, score=score, min_critical_recall=args.min_critical_recall)
    cv = ens.cross_validate(dev_sets, folds=args.cv, grid=grid, score=score,
                            min_critical_recall=args.min_critical_recall) if args.cv else {}
    tasks = {}
    for t in args.tasks:
        entry = {"metrics": {s: evaluate_head(ens, t, sets[t]) for s, sets in (("dev", dev), ("test", test))},
                 "members_test": {p: summary(evaluate_head(m, t, test[t])) for p, m in zip(args.member, members)}}
        if t == "sentiment":
            entry["binary_accuracy"] = {s: head_binary_accuracy(ens, corp, s) for s in ("dev", "test")}
            entry["members_binary_accuracy_test"] = {p: head_binary_accuracy(m, corp, "test")
                                                     for p, m in zip(args.member, members)}
        if t in cv:
            entry["metrics"]["dev_cross_validated"] = cv[t]
        tasks[t] = entry
        print(t, json.dumps({"weights": ens.card["ensemble_fit"][t]["weights"],
                             "dev": summary(entry["metrics"]["dev"]), "test": summary(entry["metrics"]["test"]),
                             **({"dev_cross_validated": summary(cv[t])} if t in cv else {}),
                             "members_test": entry["members_test"],
                             **({"binary_test": entry["binary_accuracy"]["test"]} if t == "sentiment" else {})},
                            ensure_ascii=False), flush=True)
    ens.card["tasks"] = tasks
    ens.card["seconds"] = round(time.time() - t0, 1)
    ens = ens.without_unused()  # members dev gave weight 0 in every task are not written (the card lists them)
    ens.save_pretrained(args.output)
    left_out = ens.card.get("left_out")
    print(f"wrote {args.output} ({ens.card['seconds']}s)" + (f"; left out (weight 0): {', '.join(left_out)}"
                                                             if left_out else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

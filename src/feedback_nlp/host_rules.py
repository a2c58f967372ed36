"""The readable rules of the decision stage, written out for hosts in other languages.

The decision stage (:mod:`feedback_nlp.decisions`) weighs evidence that comes from regular
expressions: the escalation rules of :mod:`~feedback_nlp.tasks.severity`, the text evidence
of :mod:`~feedback_nlp.tasks.evidence`, the spam signals that sharpen a spam type to ``ad``
the illness rule that puts ``product_quality`` first, and the bare-verdict and no-words rules of
:mod:`~feedback_nlp.tasks.verdict` (with the emoji lists of
:mod:`~feedback_nlp.tasks.sentiment`). A host that loads the exported ONNX
graph (``examples/node/score.js``) needs the same patterns; :func:`write_decision_rules`
writes them to ``decision_rules.json`` beside the graph, so this module stays their only
source. Patterns are translated to JavaScript (``new RegExp(pattern, "u")``) where Python's
``re`` means something else: ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are Unicode-aware in
Python and ASCII (or a different space set) in JavaScript.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

#: Python's ``\\s`` on str (``str.isspace()``), as class contents.
_PY_SPACE = r"\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: Python's ``\\w`` on str (letters, numbers of every kind, underscore), as class contents.
_PY_WORD = r"\p{L}\p{N}_"
_IN_CLASS = {"d": r"\p{Nd}", "w": _PY_WORD, "s": _PY_SPACE}
_OUTSIDE = {"d": r"\p{Nd}", "w": f"[{_PY_WORD}]", "s": f"[{_PY_SPACE}]",
            "b": f"(?:(?<=[{_PY_WORD}])(?![{_PY_WORD}])|(?<![{_PY_WORD}])(?=[{_PY_WORD}]))"}
#: Escapes with no translation here: a rule that uses one must be written without it.
_UNSUPPORTED = set("DWSBAZ")

FILE_NAME = "decision_rules.json"
FORMAT_VERSION = 1


def js_pattern(pattern: str | re.Pattern) -> str:
    """The JavaScript source (for the ``u`` flag) of a Python pattern with the same matches
    on normalised text. Raises ValueError on a construct it does not translate."""
    src = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    if isinstance(pattern, re.Pattern) and pattern.flags & ~re.UNICODE:
        raise ValueError(f"pattern {src!r}: flags are not translated")
    if "(?P" in src:
        raise ValueError(f"pattern {src!r}: named groups are not translated")
    out, i, in_class = [], 0, False
    while i < len(src):
        c = src[i]
        if c == "\\" and i + 1 < len(src):
            e = src[i + 1]
            if e in _UNSUPPORTED:
                raise ValueError(f"pattern {src!r}: \\{e} is not translated")
            table = _IN_CLASS if in_class else _OUTSIDE
            out.append(table.get(e, "\\" + e))
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            if src[i + 1:i + 2] == "^":  # a leading ] or ^] is literal in Python; none of ours has one
                out.append("^")
                i += 1
        elif c == "]" and in_class:
            in_class = False
            out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def python_patterns() -> dict:
    """The decision stage's patterns as Python compiled them, by the names the file uses:
    ``rule:<reason>`` (escalation rules), ``negation`` (what a negated match of a negatable rule follows,
    :func:`~feedback_nlp.tasks.severity.negated`), ``illness``, ``platform_penalty``
    (:func:`~feedback_nlp.tasks.severity.names_platform_penalty`), ``text:<name>`` (text evidence; its letter
    runs ``[^\\W\\d_]`` and dropped symbols ``[^\\w:：]`` are spelled with Unicode properties in the
    host), ``spam:<name>`` (the spam signals that turn a flagged text's type into ``ad``, and ``spam:padding``,
    :func:`~feedback_nlp.tasks.review_form.unpadded`, and ``spam:liked`` and ``spam:book``,
    :func:`~feedback_nlp.tasks.review_form.is_review_form`) and
    ``verdict:<name>`` (:func:`~feedback_nlp.tasks.verdict.is_bare_verdict`,
    :func:`~feedback_nlp.tasks.threat.is_bare_threat`, :func:`~feedback_nlp.tasks.chat.is_bare_chat_phrase`,
    :func:`~feedback_nlp.tasks.rating.rating_side`, :func:`~feedback_nlp.tasks.question.is_bare_question`,
    :func:`~feedback_nlp.tasks.placeholder.is_placeholder`, :func:`~feedback_nlp.tasks.negated.negated_side`),
    ``no_words:word``
    (:func:`~feedback_nlp.tasks.verdict.has_words`), ``merchant:<name>``
    (:func:`~feedback_nlp.tasks.merchant.is_merchant_card`), ``notice:<name>``
    (:func:`~feedback_nlp.tasks.notice.is_posted_notice`), ``reported:<name>``
    (:func:`~feedback_nlp.tasks.reported_ad.is_reported_ad`) and ``insult:<name>``
    (:func:`~feedback_nlp.tasks.insult.insults_commenter`)."""
    from . import text
    from .tasks import (chat, evidence, insult, merchant, negated, notice, placeholder, question, rating,
                        reported_ad, review_form, spam, threat, verdict)
    from .tasks.issue_types import ILLNESS
    from .tasks.severity import ESCALATION_RULES, NEGATED, PLATFORM_PENALTY, WORRY

    out = {f"rule:{r.reason}": r.pattern for r in ESCALATION_RULES}
    out["negation"] = NEGATED
    out["worry"] = WORRY
    out["illness"] = ILLNESS
    out["platform_penalty"] = PLATFORM_PENALTY
    for name, attr in (("digits7", "_DIGITS_7"), ("cn_digits7", "_CN_DIGITS_7"), ("chat_id", "_CHAT_ID"),
                       ("add_id", "_ADD_ID"), ("chat_mention", "_CHAT_MENTION"), ("link", "_LINK"), ("dm", "_DM"),
                       ("solicit", "_SOLICIT"), ("cjk_run", "_CJK_RUN")):
        out[f"text:{name}"] = getattr(evidence, attr)
    out.update({"spam:link": spam._LINK, "spam:contact": spam._CONTACT, "spam:solicit": spam._SOLICIT,
                "spam:padding": review_form.PADDING, "spam:liked": review_form.RECIPIENT_LIKED,
                "spam:book": review_form.NAMES_BOOK})
    out.update({"verdict:verdict": verdict._VERDICT, "verdict:phrases": verdict._PHRASES,
                "verdict:not_letter": text.NOT_LETTER, "verdict:threat": threat._THREAT,
                "verdict:threat_phrases": threat._THREAT_PHRASES, "verdict:chat": chat._CHAT,
                "verdict:chat_words": chat._CHAT_WORDS, "verdict:rating": rating._RATING,
                "verdict:rating_filler": rating._RATING_FILLER, "verdict:rating_remnant": rating.RATING_REMNANT,
                "verdict:question_end": question._QUESTION_END, "verdict:question_ask": question._QUESTION_ASK,
                "verdict:question_not": question._QUESTION_NOT, "verdict:placeholder": placeholder._PLACEHOLDER,
                "verdict:negated_clause": negated._NEGATED_CLAUSE, "verdict:negated_approval": negated._APPROVAL_CLAUSE,
                "verdict:negated_bad_aspect": negated._BAD_ASPECT, "verdict:negated_softened": negated._SOFTENED,
                "verdict:negated_stop": negated._NEGATED_STOP, "verdict:negated_break": negated._CLAUSE_BREAK})
    out["no_words:word"] = verdict._WORD
    out.update({"merchant:ask": merchant._ASK, "merchant:reward": merchant._REWARD,
                "merchant:offer": merchant._OFFER, "merchant:buyer_asks": merchant._BUYER_ASKS,
                "merchant:screenshot": merchant._SCREENSHOT, "merchant:shop_voice": merchant._SHOP_VOICE,
                "merchant:buyer_voice": merchant._BUYER_VOICE, "notice:tag": notice._TAG,
                "notice:reader": notice._READER, "notice:call": notice._CALL,
                "notice:buyer_voice": notice._BUYER_VOICE, "reported:quoted": reported_ad.QUOTED_AFTER_VERB,
                "reported:ad_words": reported_ad._AD_WORDS, "reported:evidence_link": reported_ad.EVIDENCE_LINK,
                "insult:commenter": insult.COMMENTER, "insult:insult": insult.INSULT,
                "insult:service_party": insult.SERVICE_PARTY})
    return out


def decision_rules() -> dict:
    """Every pattern of :func:`python_patterns`, translated (see :func:`js_pattern`), in the file's layout."""
    from .tasks import chat, negated, placeholder, question, rating, sentiment, verdict
    from .tasks.severity import ESCALATION_RULES, NEGATABLE, NEGATION_WINDOW, UNNEGATED, WORRIED, WORRY_WINDOW

    py = {name: js_pattern(p) for name, p in python_patterns().items()}
    return {
        "format_version": FORMAT_VERSION,
        "flags": "u",
        "escalation_rules": [{"reason": r.reason, "minimum": r.minimum, "pattern": py[f"rule:{r.reason}"],
                              "negatable": r.reason in NEGATABLE, "worried": r.reason in WORRIED}
                             for r in ESCALATION_RULES],
        "negation": py["negation"], "negation_window": NEGATION_WINDOW, "unnegated": list(UNNEGATED),
        "worry": py["worry"], "worry_window": WORRY_WINDOW,
        "illness": py["illness"],
        "platform_penalty": py["platform_penalty"],
        "text_evidence": {k[5:]: v for k, v in py.items() if k.startswith("text:")},
        "spam_signals": {k[5:]: v for k, v in py.items() if k.startswith("spam:")},
        "bare_verdict": {"max_chars": verdict.MAX_CHARS, "chat_max_chars": chat.CHAT_MAX_CHARS,
                         "chat_max_repetition": chat.CHAT_MAX_REPETITION,
                         "rating_max_chars": rating.RATING_MAX_CHARS, "rating_sides": rating.RATING_SIDES,
                         "question_max_chars": question.QUESTION_MAX_CHARS,
                         "placeholder_max_chars": placeholder.PLACEHOLDER_MAX_CHARS,
                         "negated_max_chars": negated.NEGATED_MAX_CHARS,
                         **{k[8:]: v for k, v in py.items() if k.startswith("verdict:")}},
        "no_words": {"word": py["no_words:word"], "emoji_positive": sentiment.EMOJI_POSITIVE,
                     "emoji_negative": sentiment.EMOJI_NEGATIVE, "emoji_confidence": sentiment.EMOJI_CONFIDENCE},
        "merchant_card": {k[9:]: v for k, v in py.items() if k.startswith("merchant:")},
        "posted_notice": {k[7:]: v for k, v in py.items() if k.startswith("notice:")},
        "reported_ad": {k[9:]: v for k, v in py.items() if k.startswith("reported:")},
        "commenter_abuse": {k[7:]: v for k, v in py.items() if k.startswith("insult:")},
    }


def write_decision_rules(model_dir: str | Path) -> Path:
    """Write ``decision_rules.json`` into ``model_dir`` and return its path."""
    out = Path(model_dir) / FILE_NAME
    out.write_text(json.dumps(decision_rules(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out

"""Operating points a user moves without retraining: for every record, or for one channel's.

``{"severity.critical": 0.7}`` (or ``{"severity": {"critical": 0.7}}``) moves a head's point;
``{"severity.critical@order_review": 0.1}`` moves it for records of channel ``order_review``
only (a review feed and a ticket queue need different critical points). Every key is checked
against the points the head has, every value must be a number in the point's range: a probability
in [0, 1], or for severity's expected-level cuts (``ev_*``) in [0, 3]. A probability point of 1 turns it
off in practice: a probability is exactly 1 only when rounding saturates (a logit above about 17 in float32).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .tasks.severity import BAND_NOT_CHINESE, CRITICAL_NOT_CHINESE, CRITICAL_PENALTY

__all__ = ["CHANNEL_SEP", "DEFAULT_POINTS", "apply_thresholds", "channel_points", "checked_point", "point_range"]

#: Separates an operating point's key from the channel it is for: ``severity.critical@order_review``.
CHANNEL_SEP = "@"
#: Points every head of a task takes, with the value used when its card has none
#: (``pipeline.FeedbackAnalyzer``): the repetition under which a text the spam decision calls
#: ``flood`` is not spam (``tasks.spam.decide_spam``), how close to the spam point a score goes to
#: review, whether a spam record that reads as a complaint goes to review (0 turns it off), whether what a
#: poster advertises is an ad: a shop's own review-for-reward card (``tasks.merchant``) or a notice sending
#: readers to a contact channel (``tasks.notice``; 0 turns both off), whether the review forms the spam head
#: misreads are reviews: a flagged text with padding ("不错。。。。。。") takes the spam reading of the text without it
#: (``tasks.review_form.unpadded``), and one saying that whom it was for liked it ("女朋友很喜欢") or naming the book it
#: reviews ("这本书…", ``tasks.review_form.is_review_form``) is not irrelevant or abuse (0 turns them off), whether the
#: texts that name no problem are decided by their rules (0 turns them off): a bare verdict ("差评！",
#: ``tasks.verdict``: no issue type, low), a bare threat ("我要投诉", ``tasks.threat``: other, high) and a
#: bare chat phrase ("收到", ``tasks.chat``) or star rating ("5星", ``tasks.rating``: not spam, no issue type,
#: low), whether a bare question ("怎么取消订单？", ``tasks.question``: not spam, no issue type, low, neutral) is
#: decided by its rule (1 turns it on: for chat channels, ``issue_types.bare_question@cs_chat``; in reviews such
#: questions are mostly rhetorical complaints), the sentiment / severity confidence under which a record goes to
#: review, and the P(critical) point for a text that is not Chinese, or that names a platform's penalty on an account
#: (``tasks.severity.names_platform_penalty``), and on which no critical signal fired (1: never critical on the heads
#: alone, ``tasks.severity.decide_severity_combined``), whether a book review that reads positive fires no
#: escalation signal, its matches being its story's (``tasks.review_form.names_book``; 0 turns it off), whether an
#: ad a buyer quotes or a link given as evidence is a report, not an ad (``tasks.reported_ad``; 0 turns it off),
#: whether an insult of other commenters ("楼上那个…智障一个", ``tasks.insult``) the spam decision kept is abuse (0 turns
#: it off), and whether the critical review band lifts a text that is not Chinese and fired no critical signal to
#: ``high`` (1 turns it on; ``tasks.severity.decide_severity_combined``).
DEFAULT_POINTS = {"spam": {"flood_repetition": 0.5, "review_margin": 0.15, "review_complaints": 1.0,
                           "posted_ad": 1.0, "review_forms": 1.0,
                           "reported_ads": 1.0, "commenter_abuse": 1.0},
                  "issue_types": {"bare_verdict": 1.0, "bare_question": 0.0},
                  "sentiment": {"review": 0.5},
                  "severity": {"review": 0.4, "critical_not_chinese": CRITICAL_NOT_CHINESE,
                               "critical_penalty": CRITICAL_PENALTY, "book_story": 1.0,
                               "band_not_chinese": BAND_NOT_CHINESE}}
#: Points that are not probabilities: severity's cuts on the expected level (low=0 .. critical=3).
_LEVEL_CUTS = ("ev_medium", "ev_high", "ev_critical")


def point_range(name: str) -> tuple[float, float]:
    """The values point ``name`` can take: ``(0, 3)`` for an expected-level cut, else ``(0, 1)``.

    Checked because a point outside its range is silent: ``severity.critical=70`` (meant as 70%)
    would never call anything critical.
    """
    return (0.0, 3.0) if name in _LEVEL_CUTS else (0.0, 1.0)


def checked_point(models: Mapping[str, Any], task: str, name: str, value: Any, shown: str) -> float:
    """``value`` as a finite float, after checking that ``task`` has the operating point ``name``."""
    if task not in models:
        raise ValueError(f"threshold {shown}: unknown task {task!r} (tasks: {', '.join(models)})")
    known = {*models[task].heads[task].thresholds, *DEFAULT_POINTS.get(task, {})}
    if name not in known:
        raise ValueError(f"threshold {shown}: {task} has no operating point {name!r} "
                         + (f"(it has: {', '.join(sorted(known))})" if known else
                            "(it has none: its decision is the most probable label)"))
    if isinstance(value, bool):  # True would read as 1, which turns a point off
        raise ValueError(f"threshold {shown}: {value!r} is not a number")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"threshold {shown}: {value!r} is not a number") from None
    if not np.isfinite(value):
        raise ValueError(f"threshold {shown}: {value!r} is not a finite number")
    low, high = point_range(name)
    if not low <= value <= high:
        hint = " (a probability, not a percentage; 1 turns the point off)" if high == 1.0 and value > high else ""
        raise ValueError(f"threshold {shown}: {value:g} is outside [{low:g}, {high:g}]{hint}")
    return value


def _split_key(key: Any) -> tuple[str, str]:
    task, dot, name = str(key).partition(".")
    if not dot or not name:
        raise ValueError(f"threshold {key!r}: use TASK.KEY or TASK.KEY@CHANNEL, e.g. severity.critical")
    return task, name


def apply_thresholds(models: Mapping[str, Any], overrides: Mapping[str, Any]
                     ) -> dict[str, dict[str, dict[str, float]]]:
    """Set operating points on the loaded heads: ``{"task.key": value}`` or ``{"task": {"key": value}}``.

    A key ending in ``@CHANNEL`` (``"severity.critical@order_review"``) is the point for records of that
    channel only: the heads keep theirs, and the returned ``{channel: {task: {key: value}}}`` holds it
    (what :class:`FeedbackAnalyzer` takes as ``channel_thresholds``). All or nothing: every key and
    value is checked before any head is changed.
    """
    if not isinstance(overrides, Mapping):
        raise TypeError(f"thresholds must be a mapping such as {{'severity.critical': 0.1}}, got "
                        f"{type(overrides).__name__}")
    flat: dict[tuple[str, str], Any] = {}
    for key, value in overrides.items():
        pairs = ([((key, k), v) for k, v in value.items()] if isinstance(value, Mapping)
                 else [(_split_key(key), value)])
        for pair, v in pairs:
            if pair in flat:  # {"severity.critical": 0, "severity": {"critical": 1}}: which one was meant?
                raise ValueError(f"threshold {pair[0]}.{pair[1]} is given twice")
            flat[pair] = v
    per_channel: dict[str, dict[str, dict[str, float]]] = {}
    everywhere: dict[str, dict[str, float]] = {}
    for (task, key), value in flat.items():
        name, at, channel = str(key).partition(CHANNEL_SEP)
        if at and (not channel or CHANNEL_SEP in channel):  # "critical@@x" is a typo, not a channel "@x"
            raise ValueError(f"threshold {task}.{key}: name one channel after {CHANNEL_SEP!r}, e.g. "
                             f"{task}.{name}{CHANNEL_SEP}order_review")
        value = checked_point(models, task, name, value, f"{task}.{key}")
        target = per_channel.setdefault(channel, {}) if at else everywhere
        target.setdefault(task, {})[name] = value
    for task, points in everywhere.items():  # only now: a bad key above leaves every head as it was
        head = models[task].heads[task]
        head.thresholds = {**head.thresholds, **points}
    return per_channel


def channel_points(models: Mapping[str, Any], per_channel: Mapping[str, Mapping[str, Mapping[str, Any]]]
                   ) -> dict[str, dict[str, dict[str, float]]]:
    """``{channel: {task: the head's points with the channel's on top}}`` from ``{channel: {task:
    {key: value}}}``, each key and value checked (:func:`checked_point`)."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for channel, tasks in per_channel.items():
        points = out[str(channel)] = {}
        for task, keys in tasks.items():
            checked = {k: checked_point(models, task, k, v, f"{task}.{k}{CHANNEL_SEP}{channel}")
                       for k, v in keys.items()}
            points[task] = {**models[task].heads[task].thresholds, **checked}
    return out

"""Recurring spam: a campaign of similar posts, each below the per-record spam point, is
counted as spam rather than reported as a recurring problem."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from ..result import field_of
from ..text import normalize
from .clusterer import ProblemClusterer


#: The quiet posts of a cluster (raising nothing) are recurring spam when there are at least
#: this many (the flood rule's group size) ...
SPAM_GROUP_MIN = 3
#: ... and their mean spam score reaches this (the spam head rates them more likely spam than
#: not, on average) ...
SPAM_GROUP_MEAN_SCORE = 0.5
#: ... or at least this share of them carry the codebook's ad evidence (a link or contact ID
#: together with a solicitation such as 点击链接 / 加微信 / 免费领).
SPAM_GROUP_AD_SHARE = 0.5


def recurring_spam(labels: Sequence[Optional[int]], results: Sequence[Any], texts: Sequence[str],
                   min_group: int = SPAM_GROUP_MIN, min_mean_score: float = SPAM_GROUP_MEAN_SCORE,
                   min_ad_share: float = SPAM_GROUP_AD_SHARE) -> list[int]:
    """Positions of posts that are recurring spam, not part of a recurring problem.

    Each post of a promotion campaign ("点击 http://t.cn/… 领取优惠券" with a new link
    every time) may stay below the per-record spam threshold, which is set high so that
    real complaints are never thrown away; many similar posts together are stronger
    evidence. Per cluster, the *quiet* posts are those that raise no issue type, no high
    or critical severity and are Chinese text (other languages get unreliable spam
    scores and go to review instead, :func:`feedback_nlp.text.is_not_chinese`). They
    are spam when there are at least ``min_group`` of them and either their mean
    ``spam_score`` is at least ``min_mean_score`` or at least ``min_ad_share`` of them
    show ad evidence (:func:`feedback_nlp.tasks.spam.spam_signals`). Posts that raise a
    problem are never returned.
    """
    from ..tasks.spam import spam_signals
    from ..text import is_not_chinese

    quiet: dict[int, list[int]] = {}
    for i, lab in enumerate(labels):
        r = results[i]
        if lab is None or field_of(r, "issue_types") or field_of(r, "severity") in ("high", "critical"):
            continue
        if is_not_chinese(normalize(texts[i])):
            continue
        quiet.setdefault(lab, []).append(i)
    out: list[int] = []
    for idx in quiet.values():
        if len(idx) < min_group:
            continue
        mean = sum(float(field_of(results[i], "spam_score", 0.0) or 0.0) for i in idx) / len(idx)
        if mean < min_mean_score:
            signals = [spam_signals(normalize(texts[i])) for i in idx]
            if sum((s.has_link or s.has_contact) and s.solicits for s in signals) < min_ad_share * len(idx):
                continue
        out.extend(idx)
    return sorted(out)


def _as_spam(result: Any) -> Any:
    """A copy of a result (FeedbackResult or dict) with ``is_spam`` set."""
    if isinstance(result, Mapping):
        return {**result, "is_spam": True}
    import dataclasses

    return dataclasses.replace(result, is_spam=True)


def fit_without_recurring_spam(clusterer: ProblemClusterer, texts: Sequence[str], results: Sequence[Any],
                               times: Optional[Sequence[Any]] = None) -> tuple[list[Optional[int]], list[int]]:
    """Cluster, find :func:`recurring_spam`, and when there is some, cluster again with those
    posts counted as spam (so keywords, sizes and examples describe real problems only).

    Returns ``(labels, spam positions)``; ``clusterer.get_cluster_info()`` describes the
    final fit.
    """
    labels = clusterer.fit_predict(texts, results=results, times=times)
    spam = recurring_spam(labels, results, texts)
    if spam:
        marked = list(results)
        for i in spam:
            marked[i] = _as_spam(results[i])
        labels = clusterer.fit_predict(texts, results=marked, times=times)
    return labels, spam

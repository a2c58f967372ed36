"""Cluster summaries: keywords, label, size, share, cohesion, representatives, mixes, counts."""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

import numpy as np

from ..keywords import KeywordExtractor
from ..result import field_of
from ..text import mask_pii
from ..trends import parse_time, period_start

__all__ = ["describe_clusters"]


def _mix(values: Iterable[Any]) -> dict:
    c = Counter(v for v in values if v is not None)
    total = sum(c.values())
    return {k: {"count": v, "share": round(v / total, 4)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))}


def describe_clusters(cl, texts, norms, idx, X, final, results, times) -> list[dict]:
    """One dict per cluster of a fitted ``ProblemClusterer`` ``cl`` (see ``get_cluster_info``)."""
    k = len(cl.centroids_)
    if k == 0:
        return []
    kx = KeywordExtractor(hmm=False)
    sims = np.einsum("ij,ij->i", X, cl.centroids_[np.maximum(final, 0)])
    members: list[np.ndarray] = []
    kw_texts: list[str] = []
    kw_groups: list[int] = []
    # Members per cluster via one sort (not one scan per cluster).
    order = np.argsort(final, kind="stable")
    sf = final[order]
    bounds = np.searchsorted(sf, np.arange(k + 1))
    # Bound the jieba work: at most ~keyword_budget texts over all clusters.
    per = max(3, min(cl.keyword_sample, cl.keyword_budget // max(1, k)))
    for c in range(k):
        mem = order[bounds[c]:bounds[c + 1]]
        mem = mem[np.argsort(-sims[mem], kind="stable")]  # closest to the centroid first
        members.append(mem)
        for j in mem[:per]:
            kw_texts.append(norms[idx[j]])
            kw_groups.append(c)
    toks = [kx.tokenize(t, normalized=True) for t in kw_texts]
    kw = kx.extract_by_group(kw_texts, kw_groups, top_k=cl.n_keywords, min_df=2, tokens=toks)
    kw1 = None
    info = []
    for c in range(k):
        mem = members[c]
        words = kw.get(c) or []
        if not words:  # tiny clusters: no word in two texts; take single-text words
            if kw1 is None:
                kw1 = kx.extract_by_group(kw_texts, kw_groups, top_k=cl.n_keywords, tokens=toks)
            words = kw1.get(c) or []
        reps, rep_rows, seen = [], [], set()
        for j in mem:
            t = norms[idx[j]]
            if t in seen:
                continue
            seen.add(t)
            reps.append(mask_pii(texts[idx[j]]))
            rep_rows.append(int(idx[j]))
            if len(reps) >= cl.n_representatives:
                break
        d: dict[str, Any] = {
            "cluster_id": c,
            "label": " / ".join(w for w, _ in words[:3]) or (norms[idx[mem[0]]][:12] if len(mem) else ""),
            "keywords": [w for w, _ in words],
            "keyword_scores": [s for _, s in words],
            "size": int(len(mem)),
            "share": round(len(mem) / max(1, cl.n_eligible_), 6),
            "cohesion": round(float(np.mean(sims[mem])), 4) if len(mem) else 0.0,
            "representatives": reps,
            "representative_indices": rep_rows,  # their positions among the texts given to fit (unmasked there)
        }
        if results is not None:
            rs = [results[idx[j]] for j in mem]
            d["issue_type_mix"] = _mix(t for r in rs for t in (field_of(r, "issue_types") or []))
            d["primary_issue_mix"] = _mix(field_of(r, "primary_issue") for r in rs)
            d["severity_mix"] = _mix(field_of(r, "severity") for r in rs)
            d["sentiment_mix"] = _mix(field_of(r, "sentiment") for r in rs)
        if times is not None:
            ts = [parse_time(times[idx[j]]) for j in mem]
            ts = [t for t in ts if t is not None]
            if ts:
                d["first_seen"] = min(ts).isoformat()
                d["last_seen"] = max(ts).isoformat()
                per = Counter(period_start(t, cl.freq).isoformat() for t in ts)
                d["freq"] = cl.freq.upper()
                d["counts"] = dict(sorted(per.items()))
            else:
                d["first_seen"] = d["last_seen"] = None
                d["counts"] = {}
        info.append(d)
    return info

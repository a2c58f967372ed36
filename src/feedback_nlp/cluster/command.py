"""``feedback-nlp cluster``: read records, analyse, cluster, write records and the summary."""
from __future__ import annotations

import json
from typing import Optional

from .clusterer import ProblemClusterer
from .spam import fit_without_recurring_spam

__all__ = ["run_cluster_command"]


def run_cluster_command(input_path: str, output_path: str, summary_path: Optional[str] = None,
                        time_field: Optional[str] = None, min_size: int = 5, text_field: str = "text",
                        id_field: str = "id", model: Optional[str] = None, threshold: Optional[float] = None,
                        seed: int = 0, all_sentiments: bool = False, fmt: Optional[str] = None,
                        analyzer=None, encoder=None, encoding: str = "auto", n_jobs: Optional[int] = 1,
                        recentre: Optional[int] = None, similarity: str = "auto") -> dict:
    """``feedback-nlp cluster``: read records, analyse them, cluster, write outputs.

    Output (``output_path``, JSONL/CSV by extension): one record per input row,
    in order: every result field, ``cluster_id`` (null when not clustered)
    and ``cluster_label``, plus ``error`` for malformed rows (which are not
    clustered). ``summary_path``: ``clusters.json`` with the settings, counts
    and :meth:`ProblemClusterer.get_cluster_info`. ``encoder``: as in
    :class:`ProblemClusterer` (None: the default encoder), as are ``recentre`` and ``similarity``; ``n_jobs``:
    processes for the analysis (:func:`~feedback_nlp.parallel.analyze_in_processes`) and the encoding. Returns the
    summary dict (with ``error_rows``, the first malformed row numbers, and the input ``encoding``). A
    ``time_field`` that no readable record has raises ``InputFormatError``.
    """
    from ..encoders.processes import resolve_n_jobs
    from ..io import ReadTally, open_writer, read_records, record_channel, error_record, ERROR_FIELD
    from ..parallel import analyze_in_processes
    from ..pipeline import FeedbackAnalyzer

    params = dict(min_size=min_size, seed=seed, encoder=encoder, n_jobs=n_jobs, recentre=recentre,
                  similarity=similarity)
    if threshold is not None:
        params["threshold"] = threshold
    if all_sentiments:
        params["include_sentiments"] = None
    cl = ProblemClusterer(**params)  # bad settings fail here, before any reading
    rows = []
    tally = ReadTally()
    with read_records(input_path, text_field=text_field, id_field=id_field, fmt=fmt, encoding=encoding) as reader:
        for rec in reader:
            tally.add(rec)
            t = None
            if rec.ok and time_field:
                t = rec.fields.get(time_field)
            rows.append((rec, t))
    tally.require_field(time_field)
    bad_times = tally.unreadable_times([t for rec, t in rows if rec.ok], time_field)
    fa = analyzer if analyzer is not None else FeedbackAnalyzer.load(model)
    ok_pos = [i for i, (rec, _) in enumerate(rows) if rec.ok]
    texts = [rows[i][0].text for i in ok_pos]
    results = analyze_in_processes(fa, texts, ids=[rows[i][0].id for i in ok_pos],
                                   channels=[record_channel(rows[i][0]) for i in ok_pos],
                                   workers=resolve_n_jobs(n_jobs)) if texts else []
    times = [rows[i][1] for i in ok_pos] if time_field else None
    labels, spam = fit_without_recurring_spam(cl, texts, results, times) if texts else ([], [])
    info = cl.get_cluster_info() if texts else []
    label_of = {c["cluster_id"]: c["label"] for c in info}
    out_of = {pos: (r, lab) for pos, r, lab in zip(ok_pos, results, labels)}
    fieldnames = [*fa.output_fields, ERROR_FIELD, "cluster_id", "cluster_label"]
    with open_writer(output_path, fieldnames=fieldnames) as w:
        for i, (rec, _) in enumerate(rows):
            if i in out_of:
                r, lab = out_of[i]
                d = r.to_dict()
                d["cluster_id"] = lab
                d["cluster_label"] = label_of.get(lab) if lab is not None else None
            else:
                d = error_record(rec, fieldnames)
            w.write(d)
    summary = {
        "n_records": len(rows),
        "n_errors": len(rows) - len(ok_pos),
        "error_rows": tally.error_rows,
        "encoding": reader.encoding,
        "n_eligible": getattr(cl, "n_eligible_", 0),
        "n_clustered": sum(1 for l in labels if l is not None),
        "n_clusters": len(info),
        "n_recurring_spam": len(spam),
        "unreadable_times": bad_times,
        "settings": {"min_size": min_size, "encoder": getattr(getattr(cl, "encoder_", None), "name", None),
                     "similarity": getattr(cl, "similarity_", similarity),
                     "threshold": getattr(cl, "threshold_", cl.threshold),
                     "min_cosine": round(cl.min_cosine_, 6) if getattr(cl, "similarity_", None) == "snn" else None,
                     "recentre": recentre, "seed": seed,
                     "include_sentiments": list(cl.include_sentiments) if cl.include_sentiments else None,
                     "drop_spam": cl.drop_spam, "time_field": time_field},
        "clusters": info,
    }
    if summary_path:
        with open(summary_path, "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=2)
            f.write("\n")
    return summary

"""A self-contained HTML report: issue mix, sentiment and severity over time,
recurring problems with examples, alerts, spam share.

One file, inline CSS and inline SVG drawn here in Python: no scripts, fonts,
images or URLs, so it opens offline and can be mailed or archived as is.
Every displayed text goes through :func:`feedback_nlp.text.mask_pii` (unless
``mask=False``), and web addresses in texts are always shown as ``[URL]``.
Each chart is an ``<svg class="chart" data-chart="NAME">``.
"""
from __future__ import annotations

import html
import math
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping, Optional, Sequence

from .result import field_of
from .tasks.issue_types import ISSUE_TYPE_NAMES
from .text import mask_pii
from .trends import Alert, count_series, detect_spikes, parse_time, period_start, trend_window

__all__ = ["render_report", "run_report_command", "trend_frame"]

ISSUE_LABELS = ISSUE_TYPE_NAMES
SENTIMENTS = ("negative", "neutral", "positive")
SEVERITIES = ("low", "medium", "high", "critical")
COLORS = {
    "negative": "#d6604d", "neutral": "#bababa", "positive": "#4dac26",
    "low": "#9ecae1", "medium": "#fdae6b", "high": "#e6550d", "critical": "#a50f15",
    "spam": "#8073ac", "ok": "#4393c3", "bar": "#4393c3",
}
#: ``spam_type`` in the report of posts counted as spam because their recurring group is spam
#: (:func:`feedback_nlp.cluster.recurring_spam`), not by the per-record decision.
RECURRING_SPAM = "recurring group"
_URL = re.compile(r"(?:https?://|www\.)[!-~]*", re.IGNORECASE)
_SCHEME = re.compile(r"https?:?/*", re.IGNORECASE)

_CSS = """
body{font-family:-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:24px auto;max-width:1100px;color:#222;background:#fff;line-height:1.45}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:13px}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:140px}
.card b{display:block;font-size:22px}.card span{color:#666;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eee;padding:6px 8px;
text-align:left;vertical-align:top}th{background:#f6f6f6}ul.ex{margin:0;padding-left:18px;color:#444}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;
height:10px;margin-right:4px;vertical-align:middle}.alert{color:#a50f15}.kw{color:#555;font-size:12px}
svg.chart{display:block;margin:6px 0 4px}svg text{font-size:11px;fill:#333}.none{color:#888;font-style:italic}
"""


# --------------------------------------------------------------------------- helpers


def _display(text: Any, mask: bool, limit: int = 160) -> str:
    """Text for display: PII masked, URLs replaced, cut, HTML-escaped."""
    s = "" if text is None else str(text)
    if mask:
        s = mask_pii(s)
    s = _URL.sub("[URL]", s)
    s = _SCHEME.sub("[URL]", s)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return html.escape(s)


def _esc(s: Any) -> str:
    return _SCHEME.sub("[URL]", html.escape("" if s is None else str(s)))


def _legend(cats: Sequence[str], names: Optional[Mapping[str, str]] = None) -> str:
    items = "".join(f'<span><i style="background:{COLORS.get(c, "#999")}"></i>{_esc((names or {}).get(c, c))}</span>'
                    for c in cats)
    return f'<div class="legend">{items}</div>'


#: Chart text size in px (``svg text`` in the CSS); label widths are estimated from it.
FONT_PX = 11
#: Widest label column of a bar chart; longer labels are cut with "…" (full text in a tooltip).
MAX_LABEL_PX = 420


def text_width(s: str, font_px: float = FONT_PX) -> float:
    """A generous estimate of the rendered width of ``s`` in px: wide (CJK, full-width)
    characters 1 em, others 0.7 em (wider than the average Latin glyph in sans-serif fonts,
    so an estimate never falls short and labels are not clipped)."""
    return sum(font_px if unicodedata.east_asian_width(ch) in ("W", "F") else 0.7 * font_px for ch in s)


def _fit_label(s: str, max_px: float) -> str:
    if text_width(s) <= max_px:
        return s
    while s and text_width(s + "…") > max_px:
        s = s[:-1]
    return s + "…"


def _hbar(data: Sequence[tuple[str, float]], name: str, bar_width: int = 470, color: str = COLORS["bar"],
          value_fmt=lambda v: f"{v:g}") -> str:
    """Horizontal bar chart: one rect per (label, value).

    The label column is as wide as the longest label (estimated with :func:`text_width`,
    at most :data:`MAX_LABEL_PX`), so no label runs off the left edge."""
    row, pad, gap = 22, 60, 6
    label_w = math.ceil(min(max([text_width(str(lab)) for lab, _ in data] + [40]), MAX_LABEL_PX)) + 2 * gap
    width = label_w + bar_width
    h = max(1, len(data)) * row + 10
    vmax = max([v for _, v in data] + [1e-9])
    parts = [f'<svg class="chart" data-chart="{name}" width="{width}" '
             f'height="{h}" viewBox="0 0 {width} {h}" role="img">']
    for i, (lab, v) in enumerate(data):
        y = 5 + i * row
        w = (width - label_w - pad) * (v / vmax) if vmax > 0 else 0
        shown = _fit_label(str(lab), label_w - 2 * gap)
        tip = f"<title>{_esc(lab)}</title>" if shown != str(lab) else ""
        parts.append(f'<text x="{label_w - gap}" y="{y + 14}" text-anchor="end">{tip}{_esc(shown)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 8}" fill="{color}">'
                     f'<title>{_esc(lab)}: {value_fmt(v)}</title></rect>')
        parts.append(f'<text x="{label_w + max(w, 1) + 4:.1f}" y="{y + 14}">{value_fmt(v)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _stacked(periods: Sequence[str], series: Mapping[str, Sequence[int]], cats: Sequence[str], name: str,
             width: int = 1000, height: int = 220) -> str:
    """Stacked vertical bars, one bar per period, one rect per non-zero category count."""
    left, bottom, top = 40, 30, 10
    n = max(1, len(periods))
    totals = [sum(series[c][i] for c in cats if c in series) for i in range(len(periods))]
    vmax = max(totals + [1])
    plot_w, plot_h = width - left - 10, height - bottom - top
    bw = plot_w / n
    parts = [f'<svg class="chart" data-chart="{name}" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img">',
             f'<path d="M{left} {top} V{top + plot_h} H{left + plot_w}" stroke="#999" fill="none"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{vmax}</text>',
             f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>']
    for i, p in enumerate(periods):
        x = left + i * bw
        y = top + plot_h
        for c in cats:
            v = series.get(c, [0] * len(periods))[i]
            if v <= 0:
                continue
            hh = plot_h * v / vmax
            y -= hh
            parts.append(f'<rect x="{x + 0.1 * bw:.2f}" y="{y:.2f}" width="{max(0.8 * bw, 0.5):.2f}" '
                         f'height="{hh:.2f}" fill="{COLORS.get(c, "#999")}"><title>{_esc(p)} {_esc(c)}: {v}'
                         f'</title></rect>')
    # A few period labels along the axis.
    step = max(1, len(periods) // 8)
    for i in range(0, len(periods), step):
        parts.append(f'<text x="{left + (i + 0.5) * bw:.1f}" y="{height - 10}" text-anchor="middle">'
                     f'{_esc(periods[i])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _spark(counts: Mapping[str, int], name: str, width: int = 160, height: int = 30) -> str:
    """A small line of a cluster's counts per period (class chart, data-chart=name)."""
    keys = sorted(counts)
    if not keys:
        return ""
    vals = [counts[k] for k in keys]
    vmax = max(vals + [1])
    n = len(vals)
    pts = [(2 + (width - 4) * (i / max(1, n - 1)), height - 2 - (height - 4) * v / vmax) for i, v in enumerate(vals)]
    d = "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in pts)
    return (f'<svg class="chart" data-chart="{name}" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}"><path d="{d}" stroke="{COLORS["negative"]}" '
            f'fill="none" stroke-width="1.5"/><title>{_esc(keys[0])} … {_esc(keys[-1])}, max {vmax}</title></svg>')


def _times_of(records: Sequence[Any], time_field: str) -> list[Optional[datetime]]:
    return [parse_time(field_of(r, time_field)) for r in records]


def trend_frame(times: Iterable[Optional[datetime]], freq: Optional[str] = None
                ) -> tuple[str, Optional[tuple[date, date]], int]:
    """The period of the time charts and alerts (``freq``, else weekly when the trend spans more than 90
    days), the trend's first and last period (:func:`~feedback_nlp.trends.trend_window`: at most
    :data:`~feedback_nlp.trends.MAX_PERIODS` of them) and how many of ``times`` fall outside it. The span is
    taken on the daily window, so that one far-off time does not make the charts weekly."""
    ok = [t for t in times if t is not None]
    days = trend_window(ok, "D")
    f = (freq or ("W" if days and (days[1] - days[0]).days > 90 else "D")).upper()
    window = trend_window(ok, f)
    n_out = sum(1 for t in ok if not window[0] <= period_start(t, f) <= window[1]) if window else 0
    return f, window, n_out


# --------------------------------------------------------------------------- report
def render_report(records: Sequence[Mapping[str, Any]], clusters: Sequence[Mapping[str, Any]] = (),
                  alerts: Iterable[Alert | Mapping[str, Any]] = (), title: str = "Feedback report",
                  mask: bool = True, time_field: str = "time", text_field: str = "text", freq: Optional[str] = None,
                  max_clusters: int = 15, n_examples: int = 3, generated_at: Optional[str] = None,
                  n_malformed: int = 0) -> str:
    """Render one self-contained HTML page (returned as a string).

    ``records``: one dict per record with the result fields (``is_spam``,
    ``issue_types``, ``sentiment``, ``severity``; FeedbackResult.to_dict()
    plus ``text``), optionally ``cluster_id`` and a timestamp under
    ``time_field``. ``clusters``: ``ProblemClusterer.get_cluster_info()``.
    ``alerts``: :class:`~feedback_nlp.trends.Alert` objects or their dicts.
    ``freq``: ``"D"`` or ``"W"`` for the time charts (default: weekly when the
    data spans more than 90 days). The time charts span at most
    :data:`~feedback_nlp.trends.MAX_PERIODS` periods (:func:`trend_frame`); records dated outside are
    left out of them, and counted in a note. ``generated_at`` fixes the timestamp shown
    (for reproducible output). ``n_malformed``: input rows that could not be read,
    shown next to the record count (a reader of the page should know what is missing).
    """
    records = list(records)
    n = len(records)
    spam = [bool(field_of(r, "is_spam", False)) for r in records]
    n_spam = sum(spam)
    valid = [r for r, s in zip(records, spam) if not s]
    issue_counts = Counter(t for r in valid for t in (field_of(r, "issue_types") or []))
    sent_counts = Counter(field_of(r, "sentiment") for r in valid if field_of(r, "sentiment"))
    sev_counts = Counter(field_of(r, "severity") for r in valid if field_of(r, "severity"))
    times = _times_of(records, time_field)
    f, window, n_out = trend_frame(times, freq)
    timed = [(t, r) for t, r, s in zip(times, records, spam)
             if t is not None and not s and window[0] <= period_start(t, f) <= window[1]]
    when = generated_at or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    out = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
           f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{_esc(title)}</h1>", f'<div class="meta">Generated {_esc(when)} · {n} records'
           + (f" · {n_malformed} malformed input row{'s' if n_malformed != 1 else ''} skipped" if n_malformed else "")
           + (" · texts PII-masked" if mask else "")
           + (f" · {n_out} record{'s' if n_out != 1 else ''} dated outside {window[0]} – {window[1]} left out of "
              "the time charts and alerts" if n_out else "") + "</div>"]
    neg = sent_counts.get("negative", 0)
    crit = sev_counts.get("critical", 0) + sev_counts.get("high", 0)
    alert_list = [a.to_dict() if isinstance(a, Alert) else dict(a) for a in alerts]
    cards = [(n, "records"), (f"{(n_spam / n if n else 0):.1%}", "spam share"),
             (f"{(neg / len(valid) if valid else 0):.1%}", "negative (non-spam)"), (crit, "high or critical"),
             (len(clusters), "recurring problems"), (len(alert_list), "alerts")]
    out.append('<div class="cards">' + "".join(f"<div class=\"card\"><b>{_esc(v)}</b><span>{_esc(k)}</span></div>"
                                                for v, k in cards) + "</div>")

    # Alerts first: they are what needs action.
    out.append("<h2>Alerts</h2>")
    if alert_list:
        rows = "".join(
            f"<tr><td>{_esc(a.get('key'))}</td><td>{_esc(a.get('period_start'))} – {_esc(a.get('period_end'))}</td>"
            f"<td>{_esc(a.get('observed'))}</td><td>{_esc(a.get('expected'))}</td>"
            f"<td>{float(a.get('p_value', 0)):.1e}</td><td class=\"alert\">{_esc(a.get('reason'))}</td></tr>"
            for a in alert_list)
        out.append("<table><tr><th>key</th><th>period</th><th>observed</th><th>expected</th><th>p</th>"
                   f"<th>reason</th></tr>{rows}</table>")
    else:
        out.append('<p class="none">No spikes above baseline.</p>')

    # Issue-type mix.
    out.append("<h2>Issue types</h2>")
    if issue_counts:
        data = [(f"{ISSUE_LABELS.get(k, k)} ({k})", v) for k, v in issue_counts.most_common()]
        out.append(_hbar(data, "issue_types"))
    else:
        out.append('<p class="none">No issues raised.</p>')
        out.append(_hbar([("(none)", 0)], "issue_types"))

    # Sentiment and severity, over time when there are times.
    if timed:
        periods_d = count_series([t for t, _ in timed], ["all"] * len(timed), freq=f, window=window)["all"]
        periods = [p.isoformat() for p, _ in periods_d]
        pos = {p: i for i, p in enumerate(periods)}
        for field, cats, nm in (("sentiment", SENTIMENTS, "sentiment_over_time"),
                                ("severity", SEVERITIES, "severity_over_time")):
            series = {c: [0] * len(periods) for c in cats}
            for t, r in timed:
                v = field_of(r, field)
                if v in series:
                    series[v][pos[period_start(t, f).isoformat()]] += 1
            out.append(f"<h2>{field.capitalize()} per {'day' if f == 'D' else 'week'}</h2>")
            out.append(_legend(cats))
            out.append(_stacked(periods, series, cats, nm))
    else:
        out.append("<h2>Sentiment</h2>" + _legend(SENTIMENTS))
        out.append(_hbar([(c, sent_counts.get(c, 0)) for c in SENTIMENTS], "sentiment"))
        out.append("<h2>Severity</h2>")
        out.append(_hbar([(c, sev_counts.get(c, 0)) for c in SEVERITIES], "severity"))

    # Spam share.
    out.append("<h2>Spam</h2>")
    spam_types = Counter(field_of(r, "spam_type") or "unspecified" for r, s in zip(records, spam) if s)
    out.append(_hbar([("not spam", n - n_spam), ("spam", n_spam)] + [(f"spam: {k}", v) for k, v in
                                                                     spam_types.most_common()], "spam",
                     color=COLORS["spam"]))

    # Recurring problems.
    out.append("<h2>Top recurring problems</h2>")
    texts_by_cluster: dict[Any, list[str]] = defaultdict(list)
    for r in records:
        cid = field_of(r, "cluster_id")
        if cid is not None:
            texts_by_cluster[cid].append(field_of(r, text_field) or "")
    if clusters:
        shown = list(clusters)[:max_clusters]
        out.append(_hbar([(c.get("label") or f"#{c.get('cluster_id')}", c.get("size", 0)) for c in shown],
                         "top_problems", color=COLORS["negative"]))
        rows = []
        for c in shown:
            rows_ = c.get("representative_indices")
            if not mask and rows_ and all(0 <= i < n for i in rows_):  # the representatives come PII-masked
                ex = [field_of(records[i], text_field) or "" for i in rows_][:n_examples]
            else:
                ex = list(c.get("representatives") or texts_by_cluster.get(c.get("cluster_id"), []))[:n_examples]
            exs = "".join(f"<li>{_display(t, mask)}</li>" for t in ex)
            mix = c.get("primary_issue_mix") or c.get("issue_type_mix") or {}
            mix_s = ", ".join(f"{_esc(k)} {v['share']:.0%}" for k, v in list(mix.items())[:3]) if mix else ""
            sev = c.get("severity_mix") or {}
            sev_s = ", ".join(f"{_esc(k)} {v['share']:.0%}" for k, v in sev.items()) if sev else ""
            seen = (f"{_esc((c.get('first_seen') or '')[:10])} – {_esc((c.get('last_seen') or '')[:10])}"
                    if c.get("first_seen") else "")
            spark = _spark(c.get("counts") or {}, f"cluster_{c.get('cluster_id')}_trend")
            rows.append(f"<tr><td>{_esc(c.get('cluster_id'))}</td><td><b>{_esc(c.get('label'))}</b><br>"
                        f"<span class=\"kw\">{_esc(' · '.join(c.get('keywords') or []))}</span></td>"
                        f"<td>{_esc(c.get('size'))}<br><span class=\"kw\">{float(c.get('share', 0)):.1%}</span></td>"
                        f"<td>{mix_s}<br><span class=\"kw\">{sev_s}</span></td><td>{seen}{spark}</td>"
                        f"<td><ul class=\"ex\">{exs}</ul></td></tr>")
        out.append("<table><tr><th>#</th><th>problem</th><th>size</th><th>issue / severity mix</th>"
                   "<th>seen</th><th>examples</th></tr>" + "".join(rows) + "</table>")
    else:
        out.append('<p class="none">No recurring problems found.</p>')

    recurring = sum(1 for r in records if field_of(r, "spam_type") == RECURRING_SPAM)
    out.append('<p class="meta">Counts exclude spam except in the spam chart.'
               + (f" Spam includes {recurring} similar posts that raise no problem and that the spam model rates "
                  "as likely spam on average, or most of which carry ad evidence (a link or contact with a "
                  f"solicitation): &quot;spam: {RECURRING_SPAM}&quot;." if recurring else "")
               + " Alerts: Poisson test of each period's count against the trailing median of the same key, "
               "Bonferroni-corrected.</p>")
    out.append("</body></html>")
    return "\n".join(out)


# --------------------------------------------------------------------------- command
def run_report_command(input_path: str, output_path: str, time_field: Optional[str] = None, text_field: str = "text",
                       id_field: str = "id", model: Optional[str] = None, title: Optional[str] = None,
                       min_size: int = 5, freq: Optional[str] = None, alpha: float = 0.001, mask: bool = True,
                       fmt: Optional[str] = None, analyzer=None, encoder=None, encoding: str = "auto",
                       n_jobs: Optional[int] = 1, threshold: Optional[float] = None,
                       recentre: Optional[int] = None, similarity: str = "auto") -> dict:
    """``feedback-nlp report``: read records, analyse, cluster, detect spikes, write HTML.

    Spikes are tested per issue type and per cluster (when ``time_field`` is
    given). Spam counts the per-record decisions, posts repeated across the input that
    raise nothing (``detect_floods``) and the posts of recurring groups that are spam
    (:func:`feedback_nlp.cluster.recurring_spam`); none of them is a recurring problem.
    Malformed rows are counted and skipped (``n_errors``, first row numbers in
    ``error_rows``). A ``time_field`` that no readable record has raises
    ``InputFormatError``. ``encoder``, ``similarity``, ``threshold`` and ``recentre``: as in
    :class:`~feedback_nlp.cluster.ProblemClusterer` (None: the defaults); ``n_jobs``: processes for the
    analysis (:func:`~feedback_nlp.parallel.analyze_in_processes`) and the encoding. Returns a small
    summary (counts, clusters, alerts as dicts). The trends and alerts span at most
    :data:`~feedback_nlp.trends.MAX_PERIODS` periods (:func:`trend_frame`): records dated outside are still
    analysed, clustered and counted, but left out of them (``n_out_of_range``; ``trend_window``: the first and
    last period). Bad settings (``alpha`` outside (0, 1), ``freq``, the clusterer's) raise ValueError before
    any reading.
    """
    from .cluster import ProblemClusterer, fit_without_recurring_spam
    from .encoders.processes import resolve_n_jobs
    from .io import ReadTally, read_records, record_channel
    from .parallel import analyze_in_processes
    from .pipeline import FeedbackAnalyzer

    if not 0 < alpha < 1:  # NaN too
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if freq is not None and str(freq).upper() not in ("D", "W"):
        raise ValueError(f"freq must be 'D' or 'W', got {freq!r}")
    cl = ProblemClusterer(min_size=min_size, freq=(freq or "D"), encoder=encoder, n_jobs=n_jobs, threshold=threshold,
                          recentre=recentre, similarity=similarity)  # bad settings fail here, before any reading
    texts, ids, raw_times, channels = [], [], [], []
    tally = ReadTally()
    with read_records(input_path, text_field=text_field, id_field=id_field, fmt=fmt, encoding=encoding) as reader:
        for rec in reader:
            tally.add(rec)
            if not rec.ok:
                continue
            texts.append(rec.text)
            ids.append(rec.id)
            raw_times.append(rec.fields.get(time_field) if time_field else None)
            channels.append(record_channel(rec))
    tally.require_field(time_field)
    bad_times = tally.unreadable_times(raw_times, time_field)
    n_err = tally.n_errors
    fa = analyzer if analyzer is not None else FeedbackAnalyzer.load(model)
    # Posts copied across the period that raise nothing are flood spam (codebook), as `score --detect-floods`.
    results = analyze_in_processes(fa, texts, ids=ids, channels=channels, workers=resolve_n_jobs(n_jobs),
                                   detect_floods=True) if texts else []
    times = raw_times if time_field else None
    # Recurring spam (a campaign of similar posts each below the per-record threshold) is
    # counted as spam, not shown as a recurring problem.
    labels, spam = fit_without_recurring_spam(cl, texts, results, times) if texts else ([], [])
    clusters = cl.get_cluster_info() if texts else []
    records = [r.to_dict() for r in results]
    for i in spam:
        records[i].update(is_spam=True, spam_type=RECURRING_SPAM, route=None)
    for d, t, lab, tm in zip(records, texts, labels, raw_times):
        d["text"] = t
        d["cluster_id"] = lab
        d["time"] = tm
    alerts: list[Alert] = []
    window, n_out = None, 0
    if time_field and records:
        # The same period and window as the charts of render_report (from the same times).
        f, window, n_out = trend_frame([parse_time(tm) for tm in raw_times], freq)
        issue_keys = [None if d["is_spam"] else (d["issue_types"] or None) for d in records]
        alerts = detect_spikes(count_series(raw_times, issue_keys, freq=f, window=window), alpha=alpha, freq=f)
        label_of = {c["cluster_id"]: c["label"] for c in clusters}
        ckeys = [f"problem #{lab} {label_of.get(lab, '')}".strip() if lab is not None else None for lab in labels]
        alerts += detect_spikes(count_series(raw_times, ckeys, freq=f, window=window), alpha=alpha, freq=f)
        alerts.sort(key=lambda a: a.p_value)
    page = render_report(records, clusters, alerts, title=title or f"Feedback report: {input_path}", mask=mask,
                         time_field="time", freq=freq, n_malformed=n_err)
    with open(output_path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return {"n_records": len(texts) + n_err, "n_errors": n_err, "error_rows": tally.error_rows,
            "encoding": reader.encoding, "n_clusters": len(clusters),
            "n_alerts": len(alerts), "alerts": [a.to_dict() for a in alerts], "output": output_path,
            "n_out_of_range": n_out, "unreadable_times": bad_times,
            "trend_window": [d.isoformat() for d in window] if window else None}

"""Spike detection on count series: "logistics complaints jumped on 2024-03-05".

Records with a timestamp and a key (a cluster id, an issue type, a product
category...) are bucketed per day or week (:func:`count_series`); then each
key's count in each period is compared with that key's own baseline
(:func:`detect_spikes`).

A trend spans at most :data:`MAX_PERIODS` periods (:func:`trend_window`): when the times span more, the
``MAX_PERIODS`` consecutive periods that hold the most records are kept and the records outside them (a
typo'd year, a 0001-01-01 or 9999-12-31 placeholder) are left out of the series, so one far-off timestamp
cannot stretch a series over centuries of empty days.

Method
------
For period t of a key, the baseline is the **trailing median** of the key's
counts over the previous ``baseline_window`` periods (missing periods count as
0; at least ``min_history`` of them must exist). The median ignores earlier
spikes, unlike a mean. The expected count is ``max(median, floor)`` with a
small ``floor`` (default 0.5) so that a key that was quiet is not alarmed by
its first two records. Under "no change" the count is taken as Poisson with
that mean, and the one-sided tail probability

    p = P(X >= observed | Poisson(expected))

is computed exactly (log-space series, no scipy). An alert is raised when

* ``observed >= min_count``,
* ``observed >= min_ratio * expected``, and
* ``p < alpha / m`` where ``m`` is the number of (key, period) tests in the
  call (Bonferroni), unless ``correction="none"``.

So ``alpha`` is the family-wise false-alarm rate per call of
:func:`detect_spikes` under a steady Poisson process: with the default
``alpha=0.001`` and e.g. 200 days x 10 keys, each test runs at 5e-7.

Counts over-dispersed relative to Poisson (weekly cycles, campaigns) make a
plain Poisson test too eager; ``dispersion`` > 1 widens the test (the
variance is taken as ``dispersion * expected``, a quasi-Poisson scaling
applied by testing ``observed / dispersion`` against ``expected /
dispersion``). :func:`estimate_dispersion` estimates it from the series.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Hashable, Iterable, Mapping, Optional, Sequence

__all__ = ["Alert", "MAX_PERIODS", "count_series", "detect_spikes", "estimate_dispersion", "parse_time",
           "period_start", "period_label", "poisson_sf", "trend_window"]

#: Most periods a trend spans (:func:`trend_window`): about ten years of days, seventy of weeks.
MAX_PERIODS = 3660


# --------------------------------------------------------------------------- time helpers
def parse_time(value: Any) -> Optional[datetime]:
    """A datetime from a datetime, a date, an ISO-8601 string (``Z`` accepted) or a
    Unix timestamp in seconds; None for None, empty or unparseable values.

    Timezone-aware values are converted to UTC and made naive, so that records
    from different offsets land in consistent days (None when that falls outside the datetime range).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            return None
        try:
            dt = datetime.fromtimestamp(float(value), timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if s.endswith(("Z", "z")):
            s = s[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            try:
                dt = datetime.fromisoformat(s.replace("/", "-"))
            except ValueError:
                return None
    else:
        return None
    if dt.tzinfo is not None:
        try:
            dt = (dt - dt.utcoffset()).replace(tzinfo=None)
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before datetime.min in UTC
            return None
    return dt


def period_start(dt: datetime | date, freq: str = "D") -> date:
    """The first day of the period holding ``dt``: the day (``"D"``) or the Monday of
    its ISO week (``"W"``)."""
    d = dt.date() if isinstance(dt, datetime) else dt
    f = freq.upper()
    if f == "D":
        return d
    if f == "W":
        return d - timedelta(days=d.weekday())
    raise ValueError(f"freq must be 'D' or 'W', got {freq!r}")


def _step(freq: str) -> timedelta:
    return timedelta(days=7 if freq.upper() == "W" else 1)


def period_label(start: date, freq: str = "D") -> str:
    """``2024-03-05`` for a day, ``2024-W10`` style is avoided: weeks are labelled by
    their Monday, ``week of 2024-03-04``."""
    return start.isoformat() if freq.upper() == "D" else f"week of {start.isoformat()}"


def trend_window(times: Iterable[Any], freq: str = "D",
                 max_periods: Optional[int] = MAX_PERIODS) -> Optional[tuple[date, date]]:
    """The first and last period start of a trend of ``times`` (parsed with :func:`parse_time`; None when
    none parses): every period seen when they span at most ``max_periods`` periods (None: no bound), else
    the ``max_periods`` consecutive periods holding the most times (ties: the latest), bounded by the
    times inside. Times outside are out of range for the trend."""
    step = _step(freq).days
    ords = sorted(period_start(dt, freq).toordinal() for dt in map(parse_time, times) if dt is not None)
    if not ords:
        return None
    span = (max_periods - 1) * step if max_periods is not None else None
    if span is not None and span < 0:
        raise ValueError(f"max_periods must be None or >= 1, got {max_periods}")
    if span is None or ords[-1] - ords[0] <= span:
        return date.fromordinal(ords[0]), date.fromordinal(ords[-1])
    best, i = (0, 0, 0), 0
    for j, o in enumerate(ords):  # the window ending at each time: two pointers over the sorted ordinals
        while o - ords[i] > span:
            i += 1
        if j - i + 1 >= best[0]:
            best = (j - i + 1, i, j)
    return date.fromordinal(ords[best[1]]), date.fromordinal(ords[best[2]])


def count_series(times: Sequence[Any], keys: Sequence[Hashable | Iterable[Hashable]], freq: str = "D",
                 fill: bool = True, max_periods: Optional[int] = MAX_PERIODS,
                 window: Optional[tuple[date, date]] = None) -> dict[Hashable, list[tuple[date, int]]]:
    """Count records per key and period.

    ``times[i]`` is parsed with :func:`parse_time`; ``keys[i]`` is one key, a
    list/tuple/set of keys (a record with two issue types counts for both) or
    None (skipped). Records without a usable time are skipped. With ``fill``,
    every key's series covers the full range of periods seen in the data,
    zeros included (a spike test needs the quiet periods too). Periods are
    ``datetime.date`` objects (the period start), sorted.

    The series span at most ``max_periods`` periods: records outside
    ``window`` (first and last period start; default :func:`trend_window` of
    all ``times``, keyed or not) are skipped too, as out of range.
    """
    if len(times) != len(keys):
        raise ValueError(f"{len(times)} times but {len(keys)} keys")
    if window is None:
        window = trend_window(times, freq, max_periods)
    if window is None:
        return {}
    lo, hi = period_start(window[0], freq), period_start(window[1], freq)
    counts: dict[Hashable, Counter] = defaultdict(Counter)
    first: Optional[date] = None
    last: Optional[date] = None
    for t, k in zip(times, keys):
        dt = parse_time(t)
        if dt is None or k is None:
            continue
        p = period_start(dt, freq)
        if not lo <= p <= hi:
            continue
        first = p if first is None or p < first else first
        last = p if last is None or p > last else last
        ks = k if isinstance(k, (list, tuple, set, frozenset)) else (k,)
        for kk in ks:
            if kk is not None:
                counts[kk][p] += 1
    out: dict[Hashable, list[tuple[date, int]]] = {}
    if first is None or last is None:
        return out
    # By ordinals: adding a step to the last period could overflow (9999-12-31).
    periods = [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1, _step(freq).days)]
    for k in sorted(counts, key=lambda x: (str(type(x)), str(x))):
        c = counts[k]
        out[k] = [(p, c.get(p, 0)) for p in periods] if fill else sorted(c.items())
    return out


# --------------------------------------------------------------------------- statistics
def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu), accurate in the far tail (no scipy)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    # For k well above mu sum the upper tail directly (terms fall geometrically);
    # otherwise 1 - P(X <= k - 1).
    if k > mu:
        log_term = -mu + k * math.log(mu) - math.lgamma(k + 1)
        total, term, i = 0.0, 1.0, k
        while True:
            total += term
            i += 1
            term *= mu / i
            if term < 1e-17 * total or i > k + 10_000:
                break
        return min(1.0, math.exp(log_term + math.log(total)))
    cdf, term = 0.0, math.exp(-mu)
    for i in range(k):
        cdf += term
        term *= mu / (i + 1)
    return max(0.0, min(1.0, 1.0 - cdf))


def _median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return float(s[n // 2]) if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def estimate_dispersion(series: Mapping[Hashable, Sequence[tuple[Any, int]]]) -> float:
    """Variance / mean of the counts of each key, pooled (median over keys), at least 1."""
    ratios = []
    for pts in series.values():
        xs = [c for _, c in pts]
        if len(xs) < 3:
            continue
        m = sum(xs) / len(xs)
        if m <= 0:
            continue
        v = sum((x - m) ** 2 for x in xs) / (len(xs) - 1)
        ratios.append(v / m)
    return max(1.0, _median(ratios)) if ratios else 1.0


@dataclass
class Alert:
    """One period in which a key's count rose above its own baseline."""

    key: Any
    period_start: str
    period_end: str
    observed: int
    expected: float
    p_value: float
    z: float
    reason: str

    def to_dict(self) -> dict:
        d = asdict(self)
        d["period"] = {"start": self.period_start, "end": self.period_end}
        return d


def _to_date(p: Any) -> Optional[date]:
    if isinstance(p, datetime):
        return p.date()
    if isinstance(p, date):
        return p
    dt = parse_time(p)
    return dt.date() if dt is not None else None


def _fmt_p(p: float) -> str:
    if p == 0.0:
        return "p<1e-300"
    if p < 1e-3:
        return f"p={p:.0e}"
    return f"p={p:.3g}"


def detect_spikes(series: Mapping[Hashable, Sequence[tuple[Any, int]]], alpha: float = 0.001,
                  min_count: int = 5, baseline_window: int = 28, min_history: int = 7,
                  min_ratio: float = 1.5, floor: float = 0.5, freq: str = "D", correction: str = "bonferroni",
                  dispersion: float = 1.0, noun: str = "complaints",
                  since: Any = None) -> list[Alert]:
    """Periods where a key's count rises above its trailing-median baseline.

    ``series`` maps key -> [(period, count), ...]; periods are dates, datetimes
    or ISO strings (the output of :func:`count_series` fits). Periods missing
    from a key's list count as 0 for its baseline. ``freq`` (``"D"``/``"W"``)
    sets the period length, used for the baseline window and the period end.
    ``since``: only periods on or after this date are tested (they still use
    earlier periods as baseline) — e.g. "alert on yesterday only".
    See the module docstring for the test. Alerts are sorted by p-value,
    then key and period. Any dates work (0001-01-01 to 9999-12-31; the last
    week's end is cut at 9999-12-31), and the work grows with the periods that
    have a count, not with the span between them.
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    if correction not in ("bonferroni", "none"):
        raise ValueError("correction must be 'bonferroni' or 'none'")
    if dispersion < 1:
        raise ValueError("dispersion must be >= 1")
    if min_history < 1 or baseline_window < 1:  # the baseline is a median of at least one period
        raise ValueError(f"min_history and baseline_window must be >= 1, got {min_history} and {baseline_window}")
    step = _step(freq).days
    since_d = _to_date(since) if since is not None else None
    top = date.max.toordinal()
    # Periods as ordinals (date arithmetic overflows at 0001-01-01 and 9999-12-31). Only periods with a count
    # can alert, so only those are tested; the quiet ones are counted in m, which keeps the work bounded by
    # the records, not by the span between the first and last period.
    tests: list[tuple[Any, int, int, float]] = []
    n_tests = 0
    for key, pts in series.items():
        counts: dict[int, int] = {}
        for p, c in pts:
            d = _to_date(p)
            if d is None:
                continue
            o = d.toordinal()
            counts[o] = counts.get(o, 0) + int(c)
        if not counts:
            continue
        first, last = min(counts), max(counts)
        if baseline_window < min_history:
            continue  # no period has enough history
        # Period k (first + k * step) is tested when k >= min_history and it is on or after since.
        k_lo = max(min_history, 0)
        if since_d is not None:
            k_lo = max(k_lo, -(-(since_d.toordinal() - first) // step))
        k_hi = (last - first) // step
        n_tests += max(0, k_hi - k_lo + 1)
        for t, obs in counts.items():
            k, off = divmod(t - first, step)
            if off or k < k_lo or obs <= 0 or obs < min_count:
                continue
            hist = [counts.get(t - i * step, 0) for i in range(1, min(baseline_window, k) + 1)]
            tests.append((key, t, obs, max(_median(hist), floor)))
    # m = every (key, period) with enough history, whatever its count (a data-
    # independent family size keeps the Bonferroni bound valid).
    m = max(1, n_tests) if correction == "bonferroni" else 1
    level = alpha / m
    alerts: list[Alert] = []
    for key, t, obs, exp in tests:
        if obs < min_ratio * exp:
            continue
        p = poisson_sf(int(math.floor(obs / dispersion)), exp / dispersion) if dispersion > 1 else poisson_sf(obs, exp)
        if p >= level:
            continue
        z = (obs - exp) / math.sqrt(dispersion * exp)
        start, end = date.fromordinal(t), date.fromordinal(min(t + step - 1, top))
        when = start.isoformat() if step == 1 else f"the week of {start.isoformat()}"
        reason = f"{key}: {obs} {noun} on {when} vs {exp:.1f} expected ({_fmt_p(p)})"
        alerts.append(Alert(key=key, period_start=start.isoformat(), period_end=end.isoformat(), observed=obs,
                            expected=round(exp, 3), p_value=p, z=round(z, 3), reason=reason))
    alerts.sort(key=lambda a: (a.p_value, str(a.key), a.period_start))
    return alerts

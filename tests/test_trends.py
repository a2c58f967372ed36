"""Spike detection on count series."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from feedback_nlp.trends import (MAX_PERIODS, Alert, count_series, detect_spikes, parse_time, period_start,
                                 poisson_sf, trend_window)

D0 = dt.date(2024, 1, 1)


def _series(counts, start=D0, step=1):
    return [(start + dt.timedelta(days=i * step), int(c)) for i, c in enumerate(counts)]


def test_poisson_sf_matches_known_values():
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(1, 2.0) == pytest.approx(1 - np.exp(-2.0))
    # P(X >= 3 | mu=3) = 1 - e^-3 (1 + 3 + 4.5)
    assert poisson_sf(3, 3.0) == pytest.approx(1 - np.exp(-3.0) * 8.5)
    assert 0 < poisson_sf(42, 8.1) < 1e-15  # far tail stays positive and tiny


@pytest.mark.parametrize("seed", range(6))
def test_steady_poisson_noise_gives_no_alerts(seed):
    rng = np.random.default_rng(seed)
    series = {k: _series(rng.poisson(10, 200)) for k in ("logistics", "product_quality", "payment")}
    assert detect_spikes(series, alpha=0.001, min_count=5) == []


def test_false_alarm_rate_is_controlled():
    # 40 series x 200 days at rate 10: with alpha=0.05 per call, few calls alert.
    fired = 0
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        series = {k: _series(rng.poisson(10, 200)) for k in range(40)}
        fired += bool(detect_spikes(series, alpha=0.05))
    assert fired <= 3


def test_planted_spikes_are_detected():
    rng = np.random.default_rng(7)
    a = rng.poisson(10, 200)
    b = rng.poisson(3, 200)
    a[120] = 42
    b[150:152] = [20, 18]
    alerts = detect_spikes({"logistics": _series(a), "payment": _series(b), "quiet": _series(rng.poisson(2, 200))})
    got = {(al.key, al.period_start) for al in alerts}
    assert ("logistics", (D0 + dt.timedelta(days=120)).isoformat()) in got
    assert ("payment", (D0 + dt.timedelta(days=150)).isoformat()) in got
    assert all(al.key != "quiet" for al in alerts)
    top = alerts[0]
    assert isinstance(top, Alert)
    assert top.observed >= 18 and top.expected < top.observed and top.p_value < 1e-6 and top.z > 3
    d = top.to_dict()
    assert set(d) >= {"key", "period", "observed", "expected", "p_value", "z", "reason"}
    assert d["period"]["start"] == top.period_start
    assert "expected" in top.reason and top.key in top.reason


def test_min_count_and_history_rules():
    # A rise from 0 to 3 is below min_count; a key with too little history is not tested.
    s = {"a": _series([0] * 30 + [3]), "b": _series([1, 1, 30])}
    assert detect_spikes(s, min_count=5) == []
    s2 = {"a": _series([0] * 30 + [12])}
    assert len(detect_spikes(s2, min_count=5)) == 1
    # Missing periods count as zeros for the baseline.
    sparse = {"x": [(D0, 1), (D0 + dt.timedelta(days=40), 15)]}
    assert len(detect_spikes(sparse)) == 1


def test_weekly_series_and_since():
    rng = np.random.default_rng(3)
    c = rng.poisson(30, 60)
    c[50] = 90
    c[20] = 90
    s = {"k": _series(c, start=dt.date(2024, 1, 1), step=7)}
    alerts = detect_spikes(s, freq="W")
    assert {a.period_start for a in alerts} >= {(dt.date(2024, 1, 1) + dt.timedelta(days=350)).isoformat()}
    assert alerts[0].period_end == (dt.date.fromisoformat(alerts[0].period_start) + dt.timedelta(days=6)).isoformat()
    later = detect_spikes(s, freq="W", since=dt.date(2024, 1, 1) + dt.timedelta(days=300))
    assert [a.period_start for a in later] == [(dt.date(2024, 1, 1) + dt.timedelta(days=350)).isoformat()]


def test_count_series_buckets_and_fills():
    times = ["2024-03-04T10:00:00", "2024-03-04 23:59", "2024-03-06", dt.datetime(2024, 3, 6, 8), None, "bad",
             "2024-03-05T01:00:00+08:00"]
    keys = ["a", ["a", "b"], "a", "b", "a", "a", "b"]
    s = count_series(times, keys, freq="D")
    assert s["a"] == [(dt.date(2024, 3, 4), 2), (dt.date(2024, 3, 5), 0), (dt.date(2024, 3, 6), 1)]
    # +08:00 01:00 is 2024-03-04 17:00 UTC.
    assert s["b"] == [(dt.date(2024, 3, 4), 2), (dt.date(2024, 3, 5), 0), (dt.date(2024, 3, 6), 1)]
    w = count_series(times, keys, freq="W")
    assert w["a"] == [(dt.date(2024, 3, 4), 3)]
    with pytest.raises(ValueError):
        count_series(["2024-01-01"], [])


def test_time_helpers():
    assert parse_time("2024-03-05T12:00:00Z") == dt.datetime(2024, 3, 5, 12)
    assert parse_time("2024/03/05") == dt.datetime(2024, 3, 5)
    assert parse_time("") is None and parse_time(object()) is None
    assert period_start(dt.date(2024, 3, 7), "W") == dt.date(2024, 3, 4)
    with pytest.raises(ValueError):
        period_start(dt.date(2024, 3, 7), "M")


def test_count_series_feeds_detect_spikes():
    rng = np.random.default_rng(11)
    times, keys = [], []
    for day in range(90):
        n = rng.poisson(6) + (40 if day == 80 else 0)
        for _ in range(n):
            times.append((dt.datetime(2024, 1, 1) + dt.timedelta(days=day, hours=int(rng.integers(24)))).isoformat())
            keys.append("logistics")
    alerts = detect_spikes(count_series(times, keys))
    assert [a.period_start for a in alerts] == [(dt.date(2024, 1, 1) + dt.timedelta(days=80)).isoformat()]
    assert "logistics:" in alerts[0].reason


def test_count_series_and_detect_spikes_work_at_the_ends_of_the_date_range():
    assert count_series(["9999-12-31"], ["a"]) == {"a": [(dt.date(9999, 12, 31), 1)]}
    assert count_series(["9999-12-31"], ["a"], freq="W") == {"a": [(dt.date(9999, 12, 27), 1)]}
    assert count_series(["0001-01-01"], ["a"]) == {"a": [(dt.date(1, 1, 1), 1)]}
    assert parse_time("0001-01-01T00:00+01:00") is None  # before datetime.min once in UTC
    quiet = [(dt.date(1, 1, 1) + dt.timedelta(days=i), 1) for i in range(10)]
    assert detect_spikes({"a": quiet + [(dt.date(9999, 12, 31), 1)]}) == []
    last = dt.date(9999, 12, 27)
    weeks = [(last - dt.timedelta(weeks=i), 1) for i in range(10, 0, -1)] + [(last, 30)]
    alerts = detect_spikes({"a": weeks}, freq="W")
    assert [(a.period_start, a.period_end) for a in alerts] == [("9999-12-27", "9999-12-31")]  # the week is cut


@pytest.mark.parametrize("far", ["0100-01-01", "9000-01-01", "0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("freq", ["D", "W"])
def test_one_far_off_time_is_left_out_of_a_bounded_series(far, freq):
    times = [far] + ["2024-01-02"] * 6
    s = count_series(times, ["a"] * 7, freq=freq)
    assert len(s["a"]) == 1 and s["a"][0][1] == 6  # one period, not every day or week in between
    assert trend_window(times, freq) == (period_start(dt.date(2024, 1, 2), freq),) * 2


def test_trend_window_keeps_the_busiest_stretch_of_max_periods():
    times = [f"2024-01-{d:02d}" for d in (1, 2, 3, 10, 11, 12, 13)]
    assert trend_window(times, max_periods=5) == (dt.date(2024, 1, 10), dt.date(2024, 1, 13))
    assert trend_window(times[:6], max_periods=3) == (dt.date(2024, 1, 10), dt.date(2024, 1, 12))  # ties: latest
    assert trend_window(times, max_periods=None) == (dt.date(2024, 1, 1), dt.date(2024, 1, 13))
    assert trend_window(["bad", None]) is None
    s = count_series(times, ["a"] * 7, max_periods=5)
    assert [p.day for p, _ in s["a"]] == [10, 11, 12, 13]
    window = (dt.date(2024, 1, 2), dt.date(2024, 1, 3))
    assert count_series(times, ["a"] * 7, window=window) == {"a": [(dt.date(2024, 1, 2), 1), (dt.date(2024, 1, 3), 1)]}
    long = [(dt.datetime(2010, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(0, 6000, 3)]
    periods = count_series(long, ["a"] * len(long))["a"]
    assert MAX_PERIODS - 3 < len(periods) <= MAX_PERIODS and periods[-1][0] == dt.date(2010, 1, 1) + dt.timedelta(5997)


def test_spike_settings_without_a_baseline_are_refused():
    # min_history 0 had taken the median of no period
    for kw in ({"min_history": 0}, {"min_history": -1}, {"baseline_window": 0}):
        with pytest.raises(ValueError, match="min_history and baseline_window must be >= 1"):
            detect_spikes({"a": [(dt.date(2024, 1, d), 1) for d in range(1, 10)]}, **kw)


def test_unix_timestamps_are_read_as_utc():
    assert parse_time(0) == dt.datetime(1970, 1, 1)
    assert parse_time(1700000000) == dt.datetime(2023, 11, 14, 22, 13, 20)
    assert parse_time(1e20) is None

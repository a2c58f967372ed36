"""HTML report: self-contained, charts drawn, PII masked; the report command; Chromium rendering."""
from __future__ import annotations

import html
import json
import random
import re
import shutil
import subprocess
import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import pytest

from feedback_nlp.cluster import ProblemClusterer
from feedback_nlp.report import render_report, run_report_command
from feedback_nlp.trends import count_series, detect_spikes

REPO = Path(__file__).resolve().parents[1]

# Written example feedback: (text, issue_types, sentiment, severity, is_spam).
EXAMPLES = [
    ("外卖送了两个小时才到，饭都凉了", ["logistics"], "negative", "medium", False),
    ("送餐太慢，等了一个半小时", ["logistics"], "negative", "medium", False),
    ("配送超时一个多小时，太慢了", ["logistics"], "negative", "medium", False),
    ("退款申请半个月还没到账，电话13812345678", ["after_sales", "payment"], "negative", "high", False),
    ("退货后退款一直不到账，催了好几次", ["after_sales"], "negative", "high", False),
    ("退款显示成功但是钱没到账，订单号202403051234567", ["payment"], "negative", "high", False),
    ("充电器插上就发烫，烫手，怕着火", ["product_quality"], "negative", "critical", False),
    ("充电头充电时特别烫，有安全隐患", ["product_quality"], "negative", "critical", False),
    ("充电器发热严重，摸着烫手", ["product_quality"], "negative", "high", False),
    ("质量很好，物流也快，好评", [], "positive", "low", False),
    ("请问这款有没有黑色的？", [], "neutral", "low", False),
    ("加微信 abc123 领优惠券，兼职刷单日结 http://spam.example.com", [], "neutral", "low", True),
]


def example_records(n_days: int = 40, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    recs = []
    start = dt.datetime(2024, 3, 1, 9)
    for day in range(n_days):
        k = rng.randint(3, 7) + (25 if day == n_days - 5 else 0)
        for j in range(k):
            base = EXAMPLES[rng.randrange(len(EXAMPLES))] if day != n_days - 5 or j < k - 25 else EXAMPLES[6 + j % 3]
            text, issues, sent, sev, spam = base
            recs.append({"id": f"r{len(recs)}", "text": text, "is_spam": spam, "spam_type": "ad" if spam else None,
                         "issue_types": issues, "primary_issue": issues[0] if issues else None, "sentiment": sent,
                         "severity": sev, "time": (start + dt.timedelta(days=day, hours=rng.randint(0, 12))).isoformat()})
    return recs


def build(records, **kw):
    cl = ProblemClusterer(min_size=3)
    labels = cl.fit_predict([r["text"] for r in records], results=records, times=[r.get("time") for r in records])
    for r, lab in zip(records, labels):
        r["cluster_id"] = lab
    clusters = cl.get_cluster_info()
    alerts = []
    if records and records[0].get("time"):
        keys = [None if r["is_spam"] else (r["issue_types"] or None) for r in records]
        alerts = detect_spikes(count_series([r["time"] for r in records], keys))
    return render_report(records, clusters, alerts, generated_at="2024-04-10 00:00 UTC", **kw), clusters, alerts


class _Checker(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "input", "link"}
    SVG_LEAF = {"rect", "path", "circle", "line"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.charts, self.current = [], [], {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "chart" in (a.get("class") or "").split():
            self.current = a.get("data-chart")
            self.charts[self.current] = 0
        if tag in ("rect", "path") and self.current is not None:
            self.charts[self.current] += 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag in ("rect", "path") and self.current is not None:
            self.charts[self.current] += 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()
        if tag == "svg":
            self.current = None


def check_html(page: str) -> dict:
    assert page.startswith("<!DOCTYPE html>")
    c = _Checker()
    c.feed(page)
    c.close()
    assert not c.errors, c.errors[:5]
    assert c.stack == [], c.stack
    low = page.lower()
    assert "http" not in low and "<script" not in low and "url(" not in low and "@import" not in low
    assert "src=" not in low and "href=" not in low
    return c.charts


def test_report_with_times_has_all_sections_and_charts():
    records = example_records()
    page, clusters, alerts = build(records, title="示例反馈报告")
    charts = check_html(page)
    for name in ("issue_types", "sentiment_over_time", "severity_over_time", "spam", "top_problems"):
        assert charts.get(name, 0) > 0, (name, charts)
    assert clusters and alerts
    assert "示例反馈报告" in page and "Alerts" in page and "Top recurring problems" in page
    assert any(k.startswith("cluster_") for k in charts)  # per-problem sparklines
    # PII masked everywhere.
    assert "13812345678" not in page and "202403051234567" not in page
    # spam is counted, not shown: the share card equals the records' spam share, the ad text is absent
    share = sum(r["is_spam"] for r in records) / len(records)
    assert _card(page, "spam share") == f"{share:.1%}" and share > 0
    assert "abc123" not in page and "刷单" not in page


def test_report_without_times_uses_overall_counts():
    records = [dict(r, time=None) for r in example_records(10)]
    page, _, _ = build(records)
    charts = check_html(page)
    assert charts["sentiment"] > 0 and charts["severity"] > 0 and charts["issue_types"] > 0
    assert "sentiment_over_time" not in charts


def test_report_handles_empty_and_unmasked_input():
    page = render_report([], [], [], title="empty")
    charts = check_html(page)
    assert "issue_types" in charts and "No recurring problems" in page
    records = [{"text": "退款没到账 13812345678", "is_spam": False, "issue_types": ["payment"],
                "sentiment": "negative", "severity": "high", "cluster_id": 0}]
    clusters = [{"cluster_id": 0, "label": "退款 / 到账", "keywords": ["退款"], "size": 1, "share": 1.0,
                 "representatives": ["退款没到账 13812345678 <b>x</b>"]}]
    masked = render_report(records, clusters, [])
    assert "13812345678" not in masked and "<b>x</b>" not in masked
    assert "13812345678" in render_report(records, clusters, [], mask=False)


def _analyzer_or_skip():
    from feedback_nlp.pipeline import FeedbackAnalyzer

    try:
        return FeedbackAnalyzer.load()
    except Exception as e:  # the shipped model may not be there yet
        pytest.skip(f"shipped model not loadable: {e}")


def test_run_report_command(tmp_path):
    fa = _analyzer_or_skip()
    inp = tmp_path / "in.jsonl"
    with open(inp, "w", encoding="utf-8") as f:
        for r in example_records(30):
            f.write(json.dumps({"id": r["id"], "text": r["text"], "created_at": r["time"]}, ensure_ascii=False) + "\n")
        f.write("not json\n")
    out = tmp_path / "report.html"
    summary = run_report_command(str(inp), str(out), time_field="created_at", analyzer=fa, min_size=3)
    assert summary["n_errors"] == 1 and summary["n_records"] > 100
    assert "1 malformed input row skipped" in out.read_text(encoding="utf-8")
    charts = check_html(out.read_text(encoding="utf-8"))
    assert charts["issue_types"] > 0 and charts["sentiment_over_time"] > 0


def test_run_report_command_without_masking_shows_the_texts_as_written(tmp_path):
    # the clusters' representatives come PII-masked: --no-mask had still shown [PHONE] under a header saying raw
    fa = _analyzer_or_skip()
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": i, "text": f"快递太慢了，一直联系不上，电话1381234567{i % 10}"},
                                      ensure_ascii=False) + "\n" for i in range(8)), encoding="utf-8")
    pages = {}
    for mask in (True, False):
        run_report_command(str(inp), str(tmp_path / f"{mask}.html"), analyzer=fa, min_size=3, mask=mask)
        pages[mask] = (tmp_path / f"{mask}.html").read_text(encoding="utf-8")
    assert "[PHONE]" in pages[True] and "138123456" not in pages[True]
    assert "[PHONE]" not in pages[False] and "138123456" in pages[False]


def test_run_report_command_passes_the_similarity_settings(tmp_path):
    fa = _analyzer_or_skip()
    inp = tmp_path / "in.jsonl"
    with open(inp, "w", encoding="utf-8") as f:
        for r in example_records(20):
            f.write(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n")
    out = tmp_path / "report.html"
    kw = dict(analyzer=fa, min_size=3, encoder="ngram")
    assert run_report_command(str(inp), str(out), **kw)["n_clusters"] >= 1
    assert run_report_command(str(inp), str(out), threshold=1.01, **kw)["n_clusters"] == 0  # nothing is that similar
    assert run_report_command(str(inp), str(out), threshold=0.2, recentre=0, similarity="cosine",
                              **kw)["n_clusters"] >= 1
    with pytest.raises(ValueError, match="threshold"):
        run_report_command(str(inp), str(out), recentre=0, similarity="cosine", **kw)
    with pytest.raises(ValueError, match="cosine"):
        run_report_command(str(inp), str(out), threshold=0.2, recentre=0, similarity="snn", **kw)


def test_run_cluster_command(tmp_path):
    fa = _analyzer_or_skip()
    from feedback_nlp.cluster import run_cluster_command

    inp = tmp_path / "in.jsonl"
    recs = example_records(20)
    with open(inp, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps({"id": r["id"], "text": r["text"], "created_at": r["time"]}, ensure_ascii=False) + "\n")
        f.write("{}\n")
    out, summ = tmp_path / "out.jsonl", tmp_path / "clusters.json"
    summary = run_cluster_command(str(inp), str(out), summary_path=str(summ), time_field="created_at", min_size=3,
                                  analyzer=fa)
    lines = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(recs) + 1
    assert all("cluster_id" in l for l in lines)
    assert lines[-1]["error"] and lines[-1]["cluster_id"] is None
    data = json.loads(summ.read_text(encoding="utf-8"))
    assert data["n_clusters"] == summary["n_clusters"] >= 1
    assert data["clusters"][0]["first_seen"] and data["clusters"][0]["counts"]
    ids = {l["cluster_id"] for l in lines} - {None}
    assert ids == {c["cluster_id"] for c in data["clusters"]}


# ------------------------------------------------------------------ Chromium
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


def render_png(html_path: Path, png: Path, tmp: Path, size: str = "1200,2000") -> subprocess.CompletedProcess:
    exe = _chromium()
    args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp / 'profile'}", "--hide-scrollbars", f"--screenshot={png}",
            f"--window-size={size}", html_path.resolve().as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def _png_is_not_blank(png: Path) -> bool:
    import struct
    import zlib

    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, _, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    # Count distinct byte values over the image: a blank page has ~1-2.
    return len(set(raw[:: max(1, len(raw) // 200_000)])) > 8 and width > 0 and height > 0


def test_report_renders_in_chromium(tmp_path):
    if _chromium() is None:
        pytest.skip("chromium is not installed")
    page, _, _ = build(example_records(), title="示例反馈报告 (written example data)")
    html_path = tmp_path / "report.html"
    html_path.write_text(page, encoding="utf-8")
    png = tmp_path / "shot.png"
    proc = render_png(html_path, png, tmp_path)
    assert png.is_file() and png.stat().st_size > 10_000, proc.stderr[-2000:]
    assert _png_is_not_blank(png)
    dom = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", html_path.resolve().as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert len(re.findall(r'<svg class="chart"', dom)) >= 5
    assert len(re.findall(r"<rect ", dom)) > 20


# ------------------------------------------------------------------ spam share, filler words, label widths
AD_TEMPLATES = ["点击 http://t.cn/{} 领取优惠券", "限时秒杀，点击链接 http://{}.cn 立即抢购",
                "点击下方链接领取88元现金红包 http://hb.cn/{}"]
COMPLAINTS = ["快递十天都没到，客服也不回消息", "送餐太慢了，饭都凉了", "退款申请半个月还没到账",
              "充电器插上就发烫，烫手", "衣服颜色和图片不一样，申请退货一直没人处理", "付款扣了两次钱，订单还显示未支付"]
FILLER = ["", "，尽快处理", "，再也不买了", "，赶紧回去看看"]


def ad_campaign_file(path: Path, seed: int = 0) -> tuple[Path, float]:
    """Complaints (with filler endings) and an ad campaign whose posts each carry a new link;
    returns the file and the share of ads."""
    rng = random.Random(seed)
    rows = []
    for i in range(120):
        if i % 4 == 0:
            code = "".join(rng.choice("abcdefgh123") for _ in range(5))
            text = AD_TEMPLATES[(i // 4) % len(AD_TEMPLATES)].format(code)
        else:
            text = COMPLAINTS[i % len(COMPLAINTS)] + FILLER[(i // 3) % len(FILLER)]
        rows.append({"id": i, "text": text, "created_at": f"2026-10-{1 + i % 28:02d}"})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path, sum("http" in r["text"] for r in rows) / len(rows)


def _card(page: str, name: str) -> str:
    return re.search(r"<b>([^<]*)</b><span>" + re.escape(name) + "</span>", page).group(1)


def test_report_counts_an_ad_campaign_as_spam_not_as_a_recurring_problem(tmp_path):
    fa = _analyzer_or_skip()
    inp, ad_share = ad_campaign_file(tmp_path / "in.jsonl")
    out = tmp_path / "r.html"
    run_report_command(str(inp), str(out), time_field="created_at", analyzer=fa, min_size=3)
    page = out.read_text(encoding="utf-8")
    assert _card(page, "spam share") == f"{ad_share:.1%}"
    problems = page[page.index("Top recurring problems"):]
    for ad_word in ("[URL]", "cn", "点击", "优惠券", "红包", "秒杀"):
        assert ad_word not in problems.split("<p class=\"meta\">")[0], ad_word
    assert _card(page, "recurring problems") != "0"


def test_cluster_labels_leave_out_filler_words(tmp_path):
    fa = _analyzer_or_skip()
    from feedback_nlp.cluster import run_cluster_command

    inp, _ = ad_campaign_file(tmp_path / "in.jsonl")
    summary = run_cluster_command(str(inp), str(tmp_path / "out.jsonl"), min_size=3, analyzer=fa)
    assert summary["clusters"]
    for c in summary["clusters"]:
        words = set(c["keywords"]) | set(c["label"].split(" / "))
        assert not words & {"再也", "尽快", "回去", "赶紧", "http", "cn", "点击"}, c["label"]


LONG_LABELS = [("价格促销与平台规则 (pricing_promotion)", 30), ("功能建议与使用体验 (app_experience)", 20),
               ("账号安全与隐私 (account_security)", 10), ("WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW mmmm", 5)]


def _label_overflow(svg_html: str) -> list[str]:
    """Right-aligned labels whose estimated left edge falls before the chart's left edge."""
    from feedback_nlp.report import text_width

    bad = []
    for x, body in re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="end">(?:<title>.*?</title>)?([^<]*)</text>',
                              svg_html):
        if float(x) - text_width(html.unescape(body)) < 0:
            bad.append(body)
    return bad


def test_bar_chart_labels_fit_their_column():
    from feedback_nlp.report import _hbar

    svg = _hbar(LONG_LABELS, "issue_types")
    assert _label_overflow(svg) == []
    assert ">价格促销与平台规则 (pricing_promotion)</text>" in svg  # shown whole, not cut
    very_long = _hbar([("很长的标签" * 40, 1)], "x")
    assert _label_overflow(very_long) == [] and "…" in very_long and "<title>" in very_long


MEASURE_JS = """<script>
addEventListener('load', () => {
  const clipped = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5)) clipped.push(t.textContent);
    }
  }
  document.body.setAttribute('data-clipped', JSON.stringify(clipped));
});
</script>"""


def test_chart_labels_are_not_clipped_in_chromium(tmp_path):
    """Measured in the browser: every chart text lies inside its SVG box."""
    if _chromium() is None:
        pytest.skip("chromium is not installed")
    records = example_records()
    for r in records[:30]:
        r["issue_types"] = ["pricing_promotion", "app_experience", "account_security"]
    page, _, _ = build(records, title="labels")
    html_path = tmp_path / "measure.html"
    html_path.write_text(page.replace("</body>", MEASURE_JS + "</body>"), encoding="utf-8")
    dom = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile3'}", "--virtual-time-budget=5000", "--dump-dom",
                          html_path.resolve().as_uri()], capture_output=True, text=True, timeout=120).stdout
    m = re.search(r'data-clipped="([^"]*)"', dom)
    assert m, dom[-2000:]
    clipped = json.loads(html.unescape(m.group(1)))
    assert ">价格促销与平台规则 (pricing_promotion)</text>" in page and clipped == [], clipped


def _dated(times: list[str]) -> list[dict]:
    return [{"id": i, "text": "快递十天都没到", "is_spam": False, "issue_types": ["logistics"], "sentiment": "negative",
             "severity": "medium", "time": t} for i, t in enumerate(times)]


def test_one_far_off_time_leaves_the_time_charts_daily_and_one_period_long():
    page = render_report(_dated(["0100-01-01"] + ["2024-01-02"] * 6), generated_at="x")
    charts = check_html(page)
    assert charts["sentiment_over_time"] == 2  # the axis and one bar: one day, not 700,000 days or 100,000 weeks
    assert "Sentiment per day" in page
    assert "7 records" in page and "1 record dated outside 2024-01-02 – 2024-01-02 left out of the time" in page


@pytest.mark.parametrize("times", [["9999-12-31"], ["0001-01-01", "2024-01-01"], ["0001-01-01T00:00+01:00"]])
def test_report_renders_times_at_the_ends_of_the_date_range(times):
    check_html(render_report(_dated(times), generated_at="x"))


@pytest.mark.parametrize("far", ["0100-01-01", "9000-01-01", "9999-12-31", "0001-01-01"])
def test_run_report_command_leaves_a_far_off_time_out_of_the_trends_only(tmp_path, far):
    fa = _analyzer_or_skip()
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": i, "text": f"快递十天都没到，客服也不回消息{i}",
                                       "time": far if i == 0 else "2024-01-02"}, ensure_ascii=False) + "\n"
                           for i in range(7)), encoding="utf-8")
    out = tmp_path / "r.html"
    summary = run_report_command(str(inp), str(out), time_field="time", analyzer=fa, min_size=3)
    assert summary["n_records"] == 7 and summary["n_errors"] == 0  # still analysed and counted
    assert summary["n_out_of_range"] == 1 and summary["trend_window"] == ["2024-01-02", "2024-01-02"]
    assert check_html(out.read_text(encoding="utf-8"))["sentiment_over_time"] == 2  # one period


@pytest.mark.parametrize("kw, match", [(dict(alpha=2), "alpha"), (dict(alpha=0), "alpha"), (dict(alpha=-1), "alpha"),
                                       (dict(alpha=float("nan")), "alpha"), (dict(freq="M"), "freq"),
                                       (dict(min_size=-5), "min_size"), (dict(threshold=float("nan")), "threshold")])
def test_run_report_command_refuses_bad_settings_before_reading(tmp_path, kw, match):
    # The input does not exist: the settings are checked first, with or without a time field.
    with pytest.raises(ValueError, match=match):
        run_report_command(str(tmp_path / "missing.jsonl"), str(tmp_path / "r.html"), **kw)
    assert not (tmp_path / "r.html").exists()

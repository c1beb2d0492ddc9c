"""The HTML report's structure: the headline period, statuses against targets, topic labels, human units.

Every expected value is worked out by hand from the small files below.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

from cxkpi.render import units
from cxkpi.render.svg import line_chart, nice_ticks

from .conftest import ROOT

SURVEYS = (
    "Responded At,Survey,Score\n"
    # NPS September: 10, 10, 0 → (2 − 1) / 3 = 33.33; October: 10, 9, 0, 7 → (2 − 1) / 4 = 25.00
    "2025-09-02,NPS,10\n2025-09-03,NPS,10\n2025-09-04,NPS,0\n"
    "2025-10-02,NPS,10\n2025-10-03,NPS,9\n2025-10-04,NPS,0\n2025-10-05,NPS,7\n"
)
TICKETS = (
    "Ticket ID,Created At,First Response At,Topic\n"
    # September: two bug tickets answered after 60 min each
    "1,2025-09-01 09:00,2025-09-01 10:00,bug\n2,2025-09-02 09:00,2025-09-02 10:00,bug\n"
    # October: FRT 30, 90 and 300 min → median 90 min = 1h 30m, mean (30 + 90 + 300) / 3 = 140 min = 2h 20m
    # topics: billing 2 of 3 (66.7 %), bug 1 of 3 (33.3 %)
    "3,2025-10-01 09:00,2025-10-01 09:30,billing\n4,2025-10-02 09:00,2025-10-02 10:30,billing\n"
    "5,2025-10-03 09:00,2025-10-03 14:00,bug\n"
)


@pytest.fixture
def report_html(run_cli, write, tmp_path):
    write("surveys.csv", SURVEYS)
    write("tickets.csv", TICKETS)
    cfg = write("cfg.yaml", """
timezone: Europe/Berlin
sources:
  surveys: {file: surveys.csv}
  tickets: {file: tickets.csv}
report:
  kpis: [nps, frt, topics]
kpis:
  nps: {target: 40, warn: 20, alert: 0}
""")

    def run(*extra: str) -> tuple[str, dict]:
        out = tmp_path / "r.html"
        code, _, err = run_cli("report", "-c", cfg, "--output", out, "-q", *extra)
        assert code == 0, err
        code, js, err = run_cli("report", "-c", cfg, "-f", "json", "-q", *extra)
        assert code == 0, err
        return out.read_text(encoding="utf-8"), json.loads(js)

    return run


def _card(page: str, kpi: str) -> str:
    m = re.search(r'<div class="card [^"]*" data-status="[^"]*" data-kpi="%s">.*?</div></div>' % kpi, page)
    if not m:  # a card ends after its last line; take up to the next card
        start = page.index(f'data-kpi="{kpi}"')
        m = re.match(r".*?(?=<div class=\"card |</div><h3>|</div><h2>)", page[start:], re.S)
        return m.group(0)
    return m.group(0)


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def test_header_names_the_period_the_comparison_and_the_data_range(report_html):
    page, data = report_html("--period", "month", "--compare", "previous")
    assert 'data-period="2025-10"' in page
    header = _text(page[page.index("<header>"):page.index("</header>")])
    assert "October 2025 compared with September 2025" in header
    # data from the first row (2 Sep survey / 1 Sep ticket) to the last (5 Oct survey)
    assert "data 1 Sep 2025 – 5 Oct 2025" in header
    # October ends on the 31st, the data on the 5th: the headline month is partial and says so
    assert "(partial: the data ends 5 Oct 2025)" in header
    assert "generated" in header and ("CET" in header or "CEST" in header)  # the config's zone, not +00:00
    assert (data["headline_period"], data["compare_period"]) == ("2025-10", "2025-09")


def test_a_value_below_its_target_is_below_target_never_ok_or_green(report_html):
    page, data = report_html("--period", "month", "--compare", "previous")
    nps = {k["kpi"]: k for k in data["kpis"]}["nps"]
    # October NPS 25 < target 40 but not < warn 20 → below target
    assert nps["value"] == 25.0 and nps["status"] == "below target"
    card = _card(page, "nps")
    assert 'class="card below-target"' in card and ">below target</span>" in card
    assert "on-target" not in card and ">ok<" not in card.lower()
    # the n beside the value is October's (4 answers), not all periods' (7)
    assert "n = 4 · October 2025" in _text(card)
    assert "target ≥ 40 points · warn < 20 points · alert < 0 points" in _text(card)
    # the change: 25.00 − 33.33 = −8.33 vs September 2025
    assert "▼ -8.33 vs September 2025" in _text(card)
    assert 'class="legend"' in page and "worse than its target, within the warn limit" in page
    assert "1 of 1 KPIs with a target needs attention" in _text(page)


def test_no_target_means_no_status_colour(report_html):
    page, _ = report_html("--period", "month")
    card = _card(page, "frt")
    assert 'class="card none" data-status="none"' in card and "badge" not in card


def test_durations_are_hours_and_minutes_and_the_median_is_the_headline(report_html):
    page, data = report_html("--period", "month", "--compare", "previous")
    frt = {k["kpi"]: k for k in data["kpis"]}["frt"]
    assert frt["value"] == pytest.approx(140.0) and frt["unit"] == "min"   # JSON keeps minutes (the mean)
    card = _text(_card(page, "frt"))
    assert "1h 30m median" in card                 # median of 30, 90, 300
    assert "headline: the median; mean 2h 20m" in card
    # mean change: 140 − 60 = +80 min = +1h 20m (worse: lower is better)
    assert "mean ▲ +1h 20m vs September 2025" in card
    assert "299.92" not in page and "140.00" not in page


def test_topic_labels_show_with_period_and_no_all_row(report_html):
    page, _ = report_html("--period", "month")
    chart = page[page.index('<svg class="chart bar-chart"'):]
    chart = chart[:chart.index("</svg>")]
    labels = re.findall(r'text-anchor="end" class="axis">([^<]*)<title>', chart)
    assert labels == ["billing", "bug"]            # October: billing 2 tickets, bug 1
    assert "Top topics, October 2025 (tickets)" in chart
    assert "(all)" not in chart and "2025-09" not in labels
    assert "2 · 66.7 %" in chart and "1 · 33.3 %" in chart
    card = _text(_card(page, "topics"))
    assert "billing top topic" in card and "October 2025: 66.7 % of tickets (2)" in card
    assert "n = 3 · October 2025" in card          # October's 3 tickets, not all 5


def test_data_quality_used_never_exceeds_rows(run_cli):
    code, out, err = run_cli("report", "-c", ROOT / "config.example.yaml", "-p", "month", "-f", "json", "-q")
    assert code == 0, err
    q = json.loads(out)["data_quality"]
    assert all(v["used"] == v["rows"] - v["skipped"] for v in q.values())
    # churn counts customer-months (n) over 900 subscription rows: n may exceed rows, used may not
    assert q["churn"]["rows"] == 900 and q["churn"]["used"] == 898 and q["churn"]["n"] > 900


# --- the formatting helpers, by hand ---------------------------------------------

@pytest.mark.parametrize("minutes, text", [
    (0.586919, "35s"),      # 35.2 s
    (44.34, "44m"),
    (299.92, "5h 0m"),      # 4 h 59.92 m rounds to 5 h 0 m, never "4h 60m"
    (298.0, "4h 58m"),
    (2657.8, "1d 20h"),     # 44.3 h → 44 h = 1 d 20 h
    (3120.0, "2d 4h"),      # 52 h
    (-646.39, "-10h 46m"),
    (None, "–"),
])
def test_fmt_duration(minutes, text):
    assert units.fmt_duration(minutes, "min") == text


def test_money_shows_the_configured_currency_never_the_word():
    assert units.fmt_unit_value(638.303497, "currency", "EUR") == ("638.30", "EUR")
    assert units.fmt_unit_value(638.303497, "currency", None) == ("638.30", "")
    assert units.period_name("2025-10", "month") == "October 2025"
    assert units.period_name("2025-Q3", "quarter") == "Q3 2025"
    assert str(units.period_end("2025-02", "month")) == "2025-02-28"
    assert str(units.period_end("2025-W44", "week")) == "2025-11-02"   # ISO week 44: Mon 27 Oct – Sun 2 Nov


def test_currency_in_the_config_is_validated(run_cli, write):
    code, _, err = run_cli("report", "-c", write("c.yaml", "currency: euro\n"))
    assert code == 2 and "currency: expected a currency code such as EUR" in err


def test_example_report_shows_eur_and_no_currency_word(run_cli, tmp_path):
    out = tmp_path / "r.html"
    code, _, err = run_cli("report", "-c", ROOT / "config.example.yaml", "-p", "month", "--compare", "previous",
                           "-o", out, "-q")
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert "<small>EUR</small>" in _card(page, "clv") and "currency" not in _text(_card(page, "clv"))
    # no target: no badge, the reference benchmark as text
    ces = _card(page, "ces")
    assert "badge" not in ces and "no target · reference: 5 or more on a 7-point scale is good" in _text(ces)
    assert "@media (max-width:480px)" in page and 'class="scroll"' in page


def test_ticks_are_round_and_distinct_and_rates_start_at_zero():
    ticks, decimals = nice_ticks(0.52, 0.61)     # the review's chat wait 0.6 / 0.6 / 0.5
    labels = [f"{t:.{decimals}f}" for t in ticks]
    assert labels == ["0.52", "0.54", "0.56", "0.58", "0.60", "0.62"]
    svg = line_chart([("2025-09", 2.0), ("2025-10", 3.0)], "churn", zero=True, target=36.1)
    axis = re.findall(r'text-anchor="end" class="axis">([^<]*)</text>', svg)
    assert axis == ["0", "10", "20", "30", "40"]  # from 0, and up to 40 so the target 36.1 is inside
    assert 'class="target"' in svg and len(set(axis)) == len(axis)


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="chromium is not installed")
def test_no_horizontal_overflow_at_420px(report_html, tmp_path):
    page, _ = report_html("--period", "month", "--compare", "previous")
    # headless Chromium keeps a window at least 500 px wide, so the report goes into a 420 px iframe
    outer = tmp_path / "outer.html"
    outer.write_text('<!doctype html><html><body style="margin:0"><iframe id="f" style="border:0" width="420" '
                     f'height="2000" srcdoc="{html.escape(page, quote=True)}"></iframe><script>'
                     'document.getElementById("f").addEventListener("load",function(){'
                     'var d=this.contentDocument.documentElement;document.body.setAttribute("data-sw",'
                     'd.scrollWidth+" "+d.clientWidth+" "+this.contentWindow.innerWidth)});</script></body></html>',
                     encoding="utf-8")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    dom = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=800,2000",
                          "--virtual-time-budget=5000", "--dump-dom", outer.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    m = re.search(r'data-sw="(\d+) (\d+) (\d+)"', dom)
    assert m, dom[-500:]
    scroll_w, client_w, inner_w = map(int, m.groups())
    assert inner_w == 420 and scroll_w <= client_w


def _png_bands(png: bytes, bands: int) -> tuple[int, int, list[float]]:
    """(width, height, share of changing bytes in each horizontal band) of a PNG. Filtered scanlines
    of a blank (one-colour) region are zeros, so a low share means nothing is drawn there."""
    import struct
    import zlib

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * channels
    shares = []
    for b in range(bands):
        rows = range(b * height // bands, (b + 1) * height // bands)
        changing = sum(sum(1 for x in raw[r * stride + 1:(r + 1) * stride] if x) for r in rows[::8])
        shares.append(changing / max(1, len(rows[::8]) * (stride - 1)))
    return width, height, shares


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="chromium is not installed")
def test_screenshots_at_1400px_show_content_top_to_bottom(run_cli, tmp_path):
    """The README's report rendered by headless Chromium at 1400 px: every quarter of the first 2,400 px
    holds drawn content (header, cards, charts), none is a blank page."""
    f = tmp_path / "r.html"
    code, _, err = run_cli("report", "-c", str(ROOT / "config.example.yaml"), "--period", "month", "--compare",
                           "previous", "-o", str(f), "-q")
    assert code == 0, err
    shot = tmp_path / "r.png"
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1400,2400", "--virtual-time-budget=5000", f"--screenshot={shot}", f.as_uri()],
                   capture_output=True, timeout=120)
    width, height, shares = _png_bands(shot.read_bytes(), 4)
    assert (width, height) == (1400, 2400)
    assert all(s > 0.01 for s in shares), shares

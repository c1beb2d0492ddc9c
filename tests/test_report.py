"""cxkpi report: thresholds, comparison with significance, outputs, cron behaviour."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import zlib

import pytest

from cxkpi.compare import Thresholds, nps_difference, status, two_proportions

from .conftest import ROOT


# --- thresholds -------------------------------------------------------------

@pytest.mark.parametrize("value, higher, t, expected", [
    (85, True, Thresholds(80, 75, 70), "on target"),
    (80, True, Thresholds(80, 75, 70), "on target"),   # meeting the target exactly is on target
    (77, True, Thresholds(80, 75, 70), "below target"),  # 77 < 80 but not < 75: never "ok" or green
    (74, True, Thresholds(80, 75, 70), "warn"),
    (69.9, True, Thresholds(80, 75, 70), "alert"),
    (30, False, Thresholds(60, 90, 120), "on target"),  # minutes: lower is better, thresholds are ceilings
    (75, False, Thresholds(60, 90, 120), "below target"),  # 75 > 60 (worse) but not > 90
    (95, False, Thresholds(60, 90, 120), "warn"),
    (121, False, Thresholds(60, 90, 120), "alert"),
    (79, True, Thresholds(target=80), "below target"),  # only a target: missing it is below target
    (34.69, True, Thresholds(40, 30, 20), "below target"),  # the review's NPS: 34.69 < 40, ≥ 30
    (50, True, Thresholds(warn=30), "none"),         # no target and no limit crossed: no status
    (50, True, Thresholds(), "none"),
    (None, True, Thresholds(80, 75, 70), "none"),
])
def test_status_in_both_directions(value, higher, t, expected):
    assert status(value, higher, t) == expected


# --- significance, by hand ------------------------------------------------------

def test_two_proportion_test_by_hand():
    # 80/100 vs 60/100: pooled p = 0.7; se = sqrt(0.7 × 0.3 × (1/100 + 1/100)) = 0.0648074
    # z = 0.2 / 0.0648074 = 3.0861; two-sided p = erfc(3.0861 / √2) = 0.002028
    s = two_proportions(80, 100, 60, 100)
    assert s.z == pytest.approx(3.0861, abs=1e-4)
    assert s.p_value == pytest.approx(0.002028, abs=1e-5)
    assert s.significant
    assert not two_proportions(52, 100, 50, 100).significant


def test_nps_difference_test_by_hand():
    # current p=.5 d=.2 (NPS 30), previous p=.3 d=.3 (NPS 0), n=100 each
    # var1 = .5 + .2 − .3² = .61; var2 = .3 + .3 − 0 = .60; se = sqrt(.0061 + .0060) = .11
    # z = .30 / .11 = 2.7273; p = erfc(2.7273/√2) = 0.006386
    s = nps_difference(50, 20, 100, 30, 30, 100)
    assert s.z == pytest.approx(2.7273, abs=1e-4)
    assert s.p_value == pytest.approx(math.erfc(2.727273 / math.sqrt(2)), abs=1e-6)
    assert s.significant


# --- the command ---------------------------------------------------------------

SURVEYS = (
    "Responded At,Survey,Score\n"
    # April CSAT: 5,5,4,2 → 3 of 4 = 75 %; May CSAT: 5,1,2,2 → 1 of 4 = 25 %
    "2025-04-02,CSAT,5\n2025-04-03,CSAT,5\n2025-04-04,CSAT,4\n2025-04-05,CSAT,2\n"
    "2025-05-02,CSAT,5\n2025-05-03,CSAT,1\n2025-05-04,CSAT,2\n2025-05-05,CSAT,2\n"
    # NPS April: 10,10,0 → 33.33; May: 9,0,0 → −33.33
    "2025-04-02,NPS,10\n2025-04-03,NPS,10\n2025-04-04,NPS,0\n"
    "2025-05-02,NPS,9\n2025-05-03,NPS,0\n2025-05-04,NPS,0\n"
)


@pytest.fixture
def cfg(write):
    data = write("surveys.csv", SURVEYS)

    def make(extra: str = "") -> str:
        return str(write("cfg.yaml", f"""
sources:
  surveys: {{file: {data.name}}}
kpis:
  nps: {{alert: 0, warn: 20}}
  csat: {{target: 80, warn: 70, alert: 50}}
{extra}
"""))
    return make


def test_report_statuses_breaches_and_comparison(run_cli, cfg):
    code, out, err = run_cli("report", "--config", cfg(), "--period", "month", "--compare", "previous", "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    kpis = {k["kpi"]: k for k in data["kpis"]}
    # May (latest month): CSAT 25 % < alert 50 → alert; NPS −33.33 < alert 0 → alert
    assert kpis["csat"]["value"] == 25.0 and kpis["csat"]["status"] == "alert"
    assert kpis["nps"]["value"] == pytest.approx(-33.333333) and kpis["nps"]["status"] == "alert"
    c = kpis["csat"]["comparison"]
    assert (c["current_period"], c["previous_period"], c["previous"], c["change"]) == ("2025-05", "2025-04", 75.0, -50.0)
    # 1/4 vs 3/4: pooled .5; se = sqrt(.25 × .5) = .353553; z = −.5 / .353553 = −1.4142; p = .1573 → not significant
    assert c["significance"]["z"] == pytest.approx(-1.414214, abs=1e-5)
    assert c["significance"]["significant"] is False
    assert {b["kpi"] for b in data["breaches"]} == {"csat", "nps"}
    assert kpis["ces"]["reference"] == "5 or more on a 7-point scale is good" or "ces" in data["not_computed"]


def test_fail_on_breach_exit_codes(run_cli, cfg):
    code, _, _ = run_cli("report", "-c", cfg(), "-p", "month", "-f", "json", "-q")
    assert code == 0
    code, _, err = run_cli("report", "-c", cfg(), "-p", "month", "-f", "json", "-q", "--fail-on-breach")
    assert code == 3 and "alert threshold crossed: nps, csat" in err
    # whole range: CSAT 4 of 8 = 50 % (not below alert 50 → warn), NPS (3 − 3)/6 = 0 (not below 0 → warn)
    code, out, _ = run_cli("report", "-c", cfg(), "-f", "json", "-q", "--fail-on-breach")
    assert code == 0
    assert {k["kpi"]: k["status"] for k in json.loads(out)["kpis"]}["csat"] == "warn"


def test_report_json_validates_against_schema(run_cli):
    jsonschema = pytest.importorskip("jsonschema")
    code, out, _ = run_cli("report", "-c", ROOT / "config.example.yaml", "-p", "month", "--compare", "previous",
                           "-f", "json", "-q")
    assert code == 0
    data = json.loads(out)
    jsonschema.validate(data, json.loads((ROOT / "docs" / "report.schema.json").read_text()))
    result_schema = json.loads((ROOT / "docs" / "result.schema.json").read_text())
    for k in data["kpis"]:
        if k["result"]:
            jsonschema.validate(k["result"], result_schema)


def test_missing_source_aborts_or_continues(run_cli, write):
    good = write("s.csv", SURVEYS)
    path = write("c.yaml", f"sources:\n  surveys: {{file: {good.name}}}\n  tickets: {{file: gone.csv}}\n")
    code, _, err = run_cli("report", "-c", path, "-f", "json")
    assert code == 2 and "sources.tickets.file: no such file 'gone.csv'" in err
    good.unlink()
    # a source that disappears after validation: abort (default) or continue and mark it failed
    path = write("c2.yaml", "sources:\n  surveys: {file: s.csv}\n")
    good = write("s.csv", SURVEYS)
    good.write_bytes(b"\x00\x01\x02" * 100)
    code, _, err = run_cli("report", "-c", path, "-f", "json")
    assert code == 1 and "binary" in err
    code, out, err = run_cli("report", "-c", path, "-f", "json", "--on-source-error", "continue")
    assert code == 1
    data = json.loads(out)
    assert "surveys" in data["failed_sources"] and data["kpis"][0]["status"] == "failed"


def test_xlsx_reopened_with_charts_and_values(run_cli, cfg, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "kpis.xlsx"
    code, _, err = run_cli("report", "-c", cfg(), "-p", "month", "-o", target, "-q")
    assert code == 0, err
    wb = load_workbook(target)
    assert wb.sheetnames[:3] == ["Summary", "nps", "csat"]
    summary = {row[0]: row for row in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["csat"][3] == 25.0 and summary["csat"][6] == "alert"
    assert wb["Summary"].freeze_panes == "A2"
    csat = wb["csat"]
    assert len(csat._charts) == 1  # a native line chart of the monthly trend
    rows = list(csat.iter_rows(min_row=1, max_row=4, values_only=True))
    assert rows[0][:2] == ("period", "value (%)")  # the unit stands in the header
    assert rows[1][:2] == ("(all)", 50.0) and rows[2][:2] == ("2025-04", 75.0) and rows[3][:2] == ("2025-05", 25.0)


def test_output_replaced_atomically(run_cli, cfg, tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("previous report")
    import cxkpi.render.html as html

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(html, "render", boom)
    code, _, err = run_cli("report", "-c", cfg(), "-o", target, "-q")
    assert code == 1 and "disk on fire" in err
    assert target.read_text() == "previous report"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


# --- the HTML in a real browser --------------------------------------------------

def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _png_is_blank(png: bytes) -> bool:
    """Decode the IDAT stream and check whether every byte is the same (a blank page)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind = png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw[1:2000])) <= 2 and len(set(raw)) <= 3


@pytest.mark.skipif(not _chromium() and not os.environ.get("CI"), reason="chromium not installed (CI installs it)")
def test_html_report_loads_in_chromium_with_charts(run_cli, tmp_path):
    browser = _chromium()
    assert browser, "CI must install chromium (see .ci/run)"
    target = tmp_path / "report.html"
    code, _, err = run_cli("report", "-c", ROOT / "config.example.yaml", "-p", "month", "--compare", "previous",
                           "-o", target, "-q")
    assert code == 0, err
    html = target.read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run([browser, *flags, "--dump-dom", target.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-ready="1"' in dom.stdout
    body = dom.stdout.split("<body", 1)[1].split(">", 1)[0]
    assert "data-errors" not in body  # the page's error hook counts uncaught errors on <body>
    assert "Uncaught" not in dom.stderr
    charts = int(dom.stdout.split('data-charts="')[1].split('"')[0])
    assert charts >= 5  # a trend per KPI plus the score distributions
    assert dom.stdout.count("<polyline") >= 4
    shot = tmp_path / "shot.png"
    run = subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=1200,1600", target.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    assert not _png_is_blank(shot.read_bytes())


def test_trend_is_periods_only_and_the_dashboard_stays_readable():
    """A KPI with its own group key (themes, topics) has many groups per period: none of them is its
    trend or its latest value. A long trend is cut to the last 24 periods in the terminal."""
    from cxkpi.config import load_config
    from cxkpi.render.dashboard import SPARK_WIDTH, render
    from cxkpi.report import build_report

    rep = build_report(load_config(ROOT / "config.example.yaml"), period="month")
    entries = {e.kpi: e for e in rep.entries}
    for kpi in ("themes", "topics"):
        assert entries[kpi].trend == () and entries[kpi].headline == entries[kpi].result.value
    assert len(entries["turnover"].trend) > SPARK_WIDTH
    text = render(rep, width=120)
    assert "│  KPI" in text and "target / reference" in text  # the columns are not squeezed away
    assert all(len(line) <= 120 for line in text.splitlines())


def test_trend_comes_from_the_same_pass_as_the_by_groups():
    """With --by and --period the report takes its trend from one compute() (Request.trend), not a
    second run without --by; the trend equals the by-less run's period groups."""
    import pandas as pd

    from cxkpi.engine import Request, compute
    from cxkpi.registry import get_kpi

    from .conftest import frame

    # 4 answers: Jan web 10, Jan email 0, Feb web 9, Feb email 5 -> Jan NPS (1 promoter, 1 detractor) = 0,
    # Feb (1 promoter, 1 detractor) = 0; n 2 each
    df = frame(score=[10, 0, 9, 5], channel=["web", "email", "web", "email"],
               responded_at=pd.to_datetime(["2025-01-05", "2025-01-06", "2025-02-05", "2025-02-06"]))
    spec = get_kpi("nps")
    both = compute(spec, df, Request(by=("channel",), period="month", trend=True))
    alone = compute(spec, df, Request(period="month"))
    assert [(g.key, g.value, g.n) for g in both.trend] == [(g.key, g.value, g.n) for g in alone.groups] == [
        ({"period": "2025-01"}, 0.0, 2), ({"period": "2025-02"}, 0.0, 2)]
    assert {tuple(g.key.values()) for g in both.groups} == {
        ("web", "2025-01"), ("email", "2025-01"), ("web", "2025-02"), ("email", "2025-02")}
    assert compute(spec, df, Request(by=("channel",), period="month")).trend is None


def test_a_kpi_that_needs_a_setting_the_config_lacks_is_not_computed(tmp_path):
    """A tickets-only config with no SLA target and no support cost: the report lists sla and
    cost-per-resolution as not computed (exit 0) instead of stopping; asked for by name, it stops."""
    from cxkpi.config import load_config
    from cxkpi.errors import MissingSettingError
    from cxkpi.report import build_report

    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"sources:\n  tickets:\n    file: {ROOT / 'sample_data' / 'tickets.csv'}\n", encoding="utf-8")
    rep = build_report(load_config(str(cfg)))
    assert rep.not_computed["sla"].startswith("sla needs a target: --frt-target 60m")
    assert rep.not_computed["cost-per-resolution"].startswith("cost-per-resolution needs the support cost")
    assert "frt" in [e.kpi for e in rep.entries]
    cfg.write_text(f"sources:\n  tickets:\n    file: {ROOT / 'sample_data' / 'tickets.csv'}\n"
                   "report:\n  kpis: [sla]\n", encoding="utf-8")
    with pytest.raises(MissingSettingError, match="sla needs a target"):
        build_report(load_config(str(cfg)))


def test_compare_with_no_data_in_the_compared_period_says_so(run_cli, tmp_path):
    """sample_data starts in 2025 (surveys): same-last-year for 2025-10 is 2024-10, which no survey has."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"sources:\n  surveys:\n    file: {ROOT / 'sample_data' / 'surveys.csv'}\n"
                   "report:\n  kpis: [nps, csat]\n", encoding="utf-8")
    code, out, err = run_cli("report", "-c", str(cfg), "--period", "month", "--compare", "same-last-year",
                             "-f", "json")
    assert code == 0, err
    assert "--compare same-last-year: no data for 2024-10 in 2 of 2 KPIs (nps, csat): their change is empty" in err
    code, out, err = run_cli("report", "-c", str(cfg), "--period", "month", "--compare", "previous", "-f", "json")
    assert code == 0 and "no data for" not in err


def test_a_kpi_whose_data_cannot_give_the_period_is_not_computed(run_cli):
    """config.example.yaml's cost table is per month: --period week computes the other KPIs and lists
    cost-per-resolution as not computed (exit 0); the single command still stops (exit 2)."""
    cfg = ROOT / "config.example.yaml"
    code, out, err = run_cli("report", "-c", str(cfg), "--period", "week", "-f", "json", "-q")
    assert code == 0, err
    rep = json.loads(out)
    assert rep["not_computed"]["cost-per-resolution"] == (
        "the cost table gives a cost per month: use --period month or a longer period (--period week)")
    assert "cost-per-resolution" not in [k["kpi"] for k in rep["kpis"]] and len(rep["kpis"]) >= 20
    code, out, err = run_cli("cost-per-resolution", str(ROOT / "sample_data" / "tickets.csv"), "-c", str(cfg),
                             "--period", "week")
    assert code == 2 and "the cost table gives a cost per month" in err


def test_sources_that_share_a_file_read_it_once(tmp_path, monkeypatch):
    """tickets and surveys both read one helpdesk export: one pass over the file reads the columns both
    need (the header once too), and the numbers equal those of a report where each file is separate."""
    import cxkpi.io.load as load
    from cxkpi.config import load_config
    from cxkpi.report import build_report

    export = tmp_path / "export.csv"
    # 4 tickets; FRT 30, 60, 90 min -> mean 60; CSAT answers 5, 2, 4 -> 2 of 3 satisfied = 66.67 %
    export.write_text("Ticket ID,Created At,First Response At,Channel,Satisfaction\n"
                      "1,2025-01-01 10:00,2025-01-01 10:30,email,5\n"
                      "2,2025-01-01 11:00,2025-01-01 12:00,chat,2\n"
                      "3,2025-01-02 09:00,2025-01-02 10:30,email,4\n"
                      "4,2025-01-02 09:00,,chat,\n", encoding="utf-8")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(export.read_bytes())
    body = ("  tickets:\n    file: {t}\n  surveys:\n    file: {s}\n    columns: {{score: Satisfaction, "
            "responded_at: Created At}}\nreport:\n  kpis: [frt, csat]\n")
    shared = tmp_path / "shared.yaml"
    shared.write_text("sources:\n" + body.format(t=export, s=export), encoding="utf-8")
    apart = tmp_path / "apart.yaml"
    apart.write_text("sources:\n" + body.format(t=export, s=copy), encoding="utf-8")

    reads = []
    real = load.read_table
    monkeypatch.setattr(load, "read_table", lambda src, label, opts, columns=None:
                        reads.append((label, columns)) or real(src, label, opts, columns=columns))
    one = build_report(load_config(str(shared)))
    data_reads = [c for label, c in reads if c]
    assert data_reads == [["Created At", "First Response At", "Satisfaction"]], reads
    assert len([c for label, c in reads if c == []]) == 1
    reads.clear()
    two = build_report(load_config(str(apart)))
    assert len([c for label, c in reads if c]) == 2
    got = {e.kpi: (round(e.result.value, 2), e.result.n) for e in one.entries}
    assert got == {e.kpi: (round(e.result.value, 2), e.result.n) for e in two.entries} == {
        "frt": (60.0, 3), "csat": (66.67, 3)}


def test_planning_a_shared_read_never_touches_a_pipe(tmp_path):
    """read_plan (the report's look at a shared file's header) leaves a FIFO alone: its one reading
    belongs to the source's load, which still gets every byte (it read as empty before)."""
    import threading

    from cxkpi.io.load import ReadCache, load_source, read_plan

    fifo = tmp_path / "answers.fifo"
    os.mkfifo(fifo)
    cache = ReadCache()
    read_plan(fifo, "surveys", ["score"], None, [], cache)  # returns at once: no writer is needed
    writer = threading.Thread(target=lambda: fifo.write_text("score\n9\n10\n3\n", encoding="utf-8"))
    writer.start()
    data = load_source(fifo, "surveys", ["score"], cache=cache)
    writer.join(timeout=10)
    assert data.frame["score"].tolist() == ["9", "10", "3"]  # answers stay text until the KPI reads them

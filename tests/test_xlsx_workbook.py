"""The XLSX workbook reopened with openpyxl: number formats and units, widths, frozen panes, charts labelled by
their labels (also with --period), no legends on one-series charts, print setup, status words as in the JSON.

The data is small enough to check by hand; every expected number is worked out in a comment.
"""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from cxkpi.compare import STATUSES

# September: 2 tickets, October: 4. First response (minutes): Sep 30, 120; Oct 60, 240, 15, 300.
TICKETS = """ticket_id,created_at,first_response_at,resolved_at,status,topic
1,2025-09-01 09:00,2025-09-01 09:30,2025-09-01 12:00,solved,billing
2,2025-09-02 09:00,2025-09-02 11:00,2025-09-03 09:00,solved,login
3,2025-10-01 09:00,2025-10-01 10:00,2025-10-01 15:00,solved,billing
4,2025-10-02 09:00,2025-10-02 13:00,2025-10-03 09:00,solved,billing
5,2025-10-03 09:00,2025-10-03 09:15,2025-10-03 10:00,solved,login
6,2025-10-04 09:00,2025-10-04 14:00,,open,shipping
"""
# CSAT 1-5, satisfied = 4 or 5: Sep 5,5,4,2 -> 3/4 = 75 %; Oct 5,4,1,2 -> 2/4 = 50 % (< alert 60: alert)
SURVEYS = """response_id,responded_at,score
1,2025-09-05,5
2,2025-09-06,5
3,2025-09-07,4
4,2025-09-08,2
5,2025-10-05,5
6,2025-10-06,4
7,2025-10-07,1
8,2025-10-08,2
"""
CONFIG = """currency: EUR
sources:
  tickets: {file: tickets.csv}
  surveys: {file: surveys.csv}
kpis:
  csat: {scale: 1-5, target: 80, warn: 70, alert: 60}
  sla: {frt_target: 60m}
  cost-per-resolution: {costs: {2025-09: 200, 2025-10: 300}}
"""


@pytest.fixture
def report(run_cli, write, tmp_path):
    """(workbook, JSON) of the same monthly report."""
    write("tickets.csv", TICKETS)
    write("surveys.csv", SURVEYS)
    cfg = write("cfg.yaml", CONFIG)
    out = tmp_path / "r.xlsx"
    code, _, err = run_cli("report", "-c", cfg, "-p", "month", "--compare", "previous", "-o", out, "-q")
    assert code == 0, err
    code, js, err = run_cli("report", "-c", cfg, "-p", "month", "--compare", "previous", "-f", "json", "-q")
    assert code == 0, err
    return load_workbook(out), json.loads(js)


def _summary(wb) -> dict:
    ws = wb["Summary"]
    header = [c.value for c in ws[1]]
    return {row[0].value: {h: c for h, c in zip(header, row)}
            for row in ws.iter_rows(min_row=2) if row[0].value and row[1].value}


def _column(ws, name: str) -> int:
    return [c.value for c in ws[1]].index(name) + 1


def _row(ws, key: str) -> int:
    return next(c.row for c in ws["A"] if c.value == key)


def _ref_values(ws, ref) -> list:
    """The cells a chart's reference points at (``'topics'!$P$2:$P$4``)."""
    f = (ref.numRef or ref.strRef).f
    min_col, min_row, max_col, max_row = range_boundaries(f.split("!")[1].replace("$", ""))
    return [ws.cell(row=r, column=min_col).value for r in range(min_row, max_row + 1)]


def test_summary_values_match_the_json(report):
    wb, data = report
    rows = _summary(wb)
    for k in data["kpis"]:
        row = rows[k["kpi"]]
        # the same number (the JSON's, unrounded), period, n of that period and status word
        assert row["Value"].value == pytest.approx(k["value"]), k["kpi"]
        assert (row["Period"].value, row["n"].value, row["Status"].value) == (k["period"], k["n"], k["status"])
    # hand-checked: CSAT October 2/4 = 50 %; FRT October mean (60 + 240 + 15 + 300) / 4 = 153.75 min;
    # cost per resolution October 300 EUR / 3 resolved (tickets 3, 4, 5) = 100 EUR
    assert rows["csat"]["Value"].value == 50.0 and rows["csat"]["Unit"].value == "%"
    assert rows["frt"]["Value"].value == 153.75 and rows["frt"]["Unit"].value == "min"
    assert rows["cost-per-resolution"]["Value"].value == 100.0 and rows["cost-per-resolution"]["Unit"].value == "EUR"
    # CSAT change 50 − 75 = −25 vs September
    assert rows["csat"]["Change"].value == -25.0 and rows["csat"]["Compared with"].value == "2025-09"


def test_percent_duration_and_money_formats(report):
    wb, _ = report
    rows = _summary(wb)
    # numbers stay in the KPI's unit (50, not Excel's 0.5; minutes, not days); the unit stands beside them
    assert rows["csat"]["Value"].number_format == "#,##0.0"
    assert rows["frt"]["Value"].number_format == "#,##0.0"
    assert rows["cost-per-resolution"]["Value"].number_format == "#,##0.00"
    assert rows["csat"]["Target"].value == 80 and rows["csat"]["Target"].number_format == "#,##0.0"
    csat = wb["csat"]
    col = _column(csat, "value (%)")
    cell = csat.cell(row=_row(csat, "2025-10"), column=col)
    assert (cell.value, cell.number_format) == (50.0, "#,##0.0")
    frt = wb["frt"]
    cell = frt.cell(row=_row(frt, "2025-10"), column=_column(frt, "value (min)"))
    assert (cell.value, cell.number_format) == (153.75, "#,##0.0")
    # October median of 15, 60, 240, 300 = (60 + 240) / 2 = 150 min, in the duration's unit too
    cell = frt.cell(row=_row(frt, "2025-10"), column=_column(frt, "median (min)"))
    assert (cell.value, cell.number_format) == (150.0, "#,##0.0")
    money = wb["cost-per-resolution"]
    row = _row(money, "2025-10")
    assert money.cell(row=row, column=_column(money, "value (EUR)")).value == 100.0
    assert money.cell(row=row, column=_column(money, "unit")).value == "EUR"  # never the word "currency"
    assert not any(c.value == "currency" for ws in wb.worksheets for r in ws.iter_rows() for c in r)


def test_headline_text_as_the_html_card(report):
    wb, _ = report
    rows = _summary(wb)
    # FRT headlines the median: 150 min = 2h 30m; mean 153.75 min rounds to 154 min = 2h 34m
    assert rows["frt"]["Headline"].value.startswith("2h 30m median — headline: the median; mean 2h 34m")
    # topics: October billing 2 of 4 tickets = 50.0 %
    assert rows["topics"]["Headline"].value.startswith("top topic: billing — October 2025: 50.0 % of tickets (2)")


def test_frozen_panes_widths_and_print_setup(report):
    wb, _ = report
    assert wb["Summary"].freeze_panes == "A2"
    assert wb["frt"].freeze_panes == "B2"      # under the header, right of the period column
    assert wb["topics"].freeze_panes == "C2"   # right of period and topic
    for ws in wb.worksheets:
        for cell in ws[1]:
            if cell.value is None:
                continue
            width = ws.column_dimensions[cell.column_letter].width
            assert width >= min(len(str(cell.value)), 50), (ws.title, cell.value, width)
            assert width <= 52
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
    # a value wider than its header widens the column: "Customer Satisfaction" is 21 characters
    assert wb["Summary"].column_dimensions["B"].width >= 21


def test_top_topics_chart_labelled_by_topic_with_period(report):
    wb, _ = report
    ws = wb["topics"]
    assert len(ws._charts) == 1
    chart = ws._charts[0]
    (series,) = chart.series
    # October: billing 2 tickets (50 %), login 1 (25 %), shipping 1 (25 %): labels, not periods, no "(all)"
    assert _ref_values(ws, series.cat) == ["billing", "login", "shipping"]
    assert _ref_values(ws, series.val) == [50.0, 25.0, 25.0]
    assert chart.legend is None


def test_single_series_charts_have_no_legend(report):
    wb, _ = report
    charts = [(ws.title, c) for ws in wb.worksheets for c in ws._charts]
    assert len(charts) >= 5  # nps, csat, frt, … trends and the topics bars
    for title, c in charts:
        # one data series; a KPI with a target adds its dashed target line (no legend: the title names it)
        dashed = [x for x in c.series[1:] if x.graphicalProperties.line.dashStyle == "dash"]
        assert len(c.series) - len(dashed) == 1 and len(dashed) <= 1 and c.legend is None, title
    frt = wb["frt"]._charts[0]
    # the trend: September mean (30 + 120) / 2 = 75 min = 1.25 h, October 153.75 min = 2.5625 h (over 120 min: hours)
    assert _ref_values(wb["frt"], frt.series[0].val) == [1.25, 2.5625]
    assert _ref_values(wb["frt"], frt.series[0].cat) == ["2025-09", "2025-10"]


def test_status_cells_are_the_json_words_coloured_only_with_a_target(report):
    wb, data = report
    rows = _summary(wb)
    for k in data["kpis"]:
        cell = rows[k["kpi"]]["Status"]
        assert isinstance(cell.value, str) and cell.value in STATUSES
    assert rows["csat"]["Status"].value == "alert"  # 50 < alert 60
    assert rows["csat"]["Status"].fill.fgColor.rgb.endswith("FEE2E2")
    assert rows["nps"]["Status"].value == "none"  # no target: no colour
    assert rows["nps"]["Status"].fill.fill_type is None


def test_kpi_command_breakdown_chart_labels(run_cli, write, tmp_path):
    """``cxkpi frt … --by topic -o x.xlsx``: bars labelled by topic, without the "(all)" row."""
    data = write("tickets.csv", TICKETS)
    out = tmp_path / "x.xlsx"
    code, _, err = run_cli("frt", data, "--by", "topic", "-o", out)
    assert code == 0, err
    ws = load_workbook(out)["frt"]
    (chart,) = ws._charts
    # means: shipping 300; billing (30 + 60 + 240) / 3 = 110; login (120 + 15) / 2 = 67.5 — largest first
    assert _ref_values(ws, chart.series[0].cat) == ["shipping", "billing", "login"]
    assert _ref_values(ws, chart.series[0].val) == [300.0, 110.0, 67.5]
    assert chart.legend is None
    assert [c.value for c in ws["A"]][:2] == ["topic", "(all)"]  # the data table itself is unchanged


def test_kpi_command_trend_names_the_period_and_scales_durations(run_cli, write, tmp_path):
    """``cxkpi frt … --period month -o x.xlsx``: the labels say month; a trend of minutes past 2 hours reads
    in hours (as the HTML trends do) while the data table keeps minutes."""
    data = write("tickets.csv", TICKETS)
    out = tmp_path / "x.xlsx"
    code, _, err = run_cli("frt", data, "--period", "month", "-o", out)
    assert code == 0, err
    wb = load_workbook(out)
    ws = wb["frt"]
    (chart,) = ws._charts
    assert chart.title.tx.rich.p[0].r[0].t == "First response time by month (hours)"
    # September mean 75 min = 1.25 h; October 153.75 min = 2.5625 h (the largest, 153.75 min, is over 120)
    assert _ref_values(ws, chart.series[0].val) == [1.25, 2.5625]
    assert ws.cell(row=_row(ws, "2025-10"), column=_column(ws, "value (min)")).value == 153.75
    # the headline names the month: the whole range's median of 15, 30, 60, 120, 240, 300 = (60 + 120) / 2 = 90 min
    assert _summary(wb)["frt"]["Headline"].value.startswith("1h 30m median")


def test_trend_title_carries_the_target(report):
    wb, _ = report
    (chart,) = wb["csat"]._charts
    assert chart.title.tx.rich.p[0].r[0].t == "Customer Satisfaction by month (%) · target ≥ 80"
    # the trend's values are the JSON trend's: September 75, October 50
    assert _ref_values(wb["csat"], chart.series[0].val) == [75.0, 50.0]


def test_negative_headline_is_text_with_a_minus_sign(report):
    wb, _ = report
    # NPS: all 8 scores are 1-5, detractors: 0 % − 100 % = −100; a minus sign, so no "'" is added before it
    assert _summary(wb)["nps"]["Headline"].value == "−100.00 points"
    assert _summary(wb)["nps"]["Value"].value == -100.0


def test_summary_names_the_report_period_and_prints_it_in_the_page_header(run_cli, tmp_path):
    """Under the Summary: the report's title, the headline period and what it is compared with, the data's
    dates and the generation time, as the HTML header says them; a title's '&' and '=' stay text."""
    from openpyxl import load_workbook

    from .conftest import ROOT

    cfg = tmp_path / "c.yaml"
    cfg.write_text((ROOT / "config.example.yaml").read_text(encoding="utf-8")
                   .replace("sample_data/", str(ROOT / "sample_data") + "/")
                   .replace("  title: Support KPIs (sample data)", '  title: "=Q&A KPIs"', 1), encoding="utf-8")
    out = tmp_path / "r.xlsx"
    code, _, err = run_cli("report", "-c", str(cfg), "--period", "month", "--compare", "previous", "-o", str(out), "-q")
    assert code == 0, err
    ws = load_workbook(out)["Summary"]
    block = {r[0]: r[1] for r in ws.iter_rows(min_row=ws.max_row - 3, values_only=True)}
    assert block["Report"] == "'=Q&A KPIs"
    assert block["Headlines"] == "October 2025 compared with September 2025"
    assert block["Data"].endswith("– 31 Oct 2025")
    assert block["Generated"][:2].strip().isdigit()
    assert ws.oddHeader.center.text == "=Q&&A KPIs · October 2025 compared with September 2025"


def test_a_trend_with_a_target_draws_it_as_a_dashed_line(run_cli, tmp_path):
    """config.example.yaml sets an NPS target of 40: the nps trend chart has the trend and a dashed red
    target series of 40 in every period, and still no legend (the title names the target)."""
    from openpyxl import load_workbook

    from .conftest import ROOT

    out = tmp_path / "r.xlsx"
    code, _, err = run_cli("report", "-c", str(ROOT / "config.example.yaml"), "--period", "month", "-o", str(out), "-q")
    assert code == 0, err
    ws = load_workbook(out)["nps"]
    chart = ws._charts[0]
    assert chart.legend is None and len(chart.series) == 2
    target = chart.series[1]
    assert target.graphicalProperties.line.dashStyle == "dash"
    col = target.val.numRef.f.split("!")[1].split(":")[0].strip("$").rstrip("0123456789").strip("$")
    values = [c.value for c in ws[col][1:] if c.value is not None]
    assert values and set(values) == {40}
    assert "target ≥ 40" in chart.title.tx.rich.p[0].r[0].t

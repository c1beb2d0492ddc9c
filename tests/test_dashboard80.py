"""The terminal dashboard and KPI tables at 80 and 120 columns: nothing longer than the width, no
number cut (``1,5…``, ``+0…``), the title names the periods, the change coloured by direction."""

import re
import subprocess
import sys
from dataclasses import replace

import pytest

from cxkpi.compare import Significance
from cxkpi.config import load_config
from cxkpi.render.dashboard import change_style, columns_for, render
from cxkpi.report import Comparison, build_report

from .conftest import ROOT, SAMPLE

NUMBER_CUT = re.compile(r"[\d+\-−][\d,.]*…(?!\d)")  # a number rich had to cut: 1,5… or +0… (not a range −1…1)


@pytest.fixture(scope="module")
def sample_report():
    return build_report(load_config(ROOT / "config.example.yaml"), period="month", compare="previous")


@pytest.mark.parametrize("width", [80, 120])
def test_dashboard_fits_and_cuts_no_number(sample_report, width):
    text = render(sample_report, width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert not NUMBER_CUT.search(text), NUMBER_CUT.search(text)
    # the sample's numbers in full: Articles viewed per visit n 1,511 (was "1,5…" at 80), churn change +0.46
    assert "1,511" in text and "+0.46" in text
    # the title names the headline and the compared period (the sample's data ends in October 2025)
    assert lines[0] == "Support KPIs (sample data) · October 2025 vs September 2025"
    # FRT headlines its median as a duration (38m in October 2025, as the HTML card), the mean (299.92 min
    # = 4 h 59.92 min, shown rounded as 5h 0m) stands under the title, and the change is the mean's
    assert re.search(r"First response time\s+│\s+38m │ median ", text)
    assert "mean 5h 0m · p90" in text and "mean -1h 15m" in text


def test_columns_dropped_in_order(sample_report):
    """120 columns: every column; 100: the trend goes first; 80: then the reference text."""
    text120, text100, text80 = (render(sample_report, width=w) for w in (120, 100, 80))
    assert "trend" in text120 and "target / reference" in text120
    assert "trend" not in text100 and "reference" in text100
    assert "trend" not in text80 and "target / reference" not in text80
    # at 80 the target or benchmark stands under the KPI's title instead: NPS target 40 (sample config)
    lines = text80.splitlines()
    nps = next(i for i, line in enumerate(lines) if "Net Promoter" in line)
    kpi_cell = " ".join(line.split("│")[1].strip() for line in lines[nps:nps + 4])
    assert "Net Promoter Score target ≥ 40 points" in kpi_cell, kpi_cell
    rr = next(i for i, line in enumerate(lines) if "Survey response" in line)
    kpi_cell = " ".join(line.split("│")[1].strip() for line in lines[rr:rr + 4])
    assert "25–50% of customers" in kpi_cell, kpi_cell  # response rate's benchmark (no target set)
    for text in (text120, text100, text80):  # KPI, value, status, change and n always stay
        assert all(h in text for h in ("KPI", "value", "status", "change", " n "))


def test_no_status_word_without_target(sample_report):
    """'none' (no target) is an empty status cell; NPS (target 40 in the sample config) keeps its word."""
    text = render(sample_report, width=120)
    assert " none " not in text
    nps = next(line for line in text.splitlines() if "Net Promoter Score" in line)
    assert "below target" in nps  # NPS 34.69 < target 40


def _entry(sample_report, kpi):
    return next(e for e in sample_report.entries if e.kpi == kpi)


def _with_change(entry, current, previous, significant):
    sig = Significance("z", 1.0, 0.01 if significant else 0.5, significant)
    return replace(entry, comparison=Comparison("previous", "2025-10", "2025-09", current, previous, 10, 10, sig))


def test_change_colour_by_direction_and_significance(sample_report):
    csat = _entry(sample_report, "csat")     # higher is better
    frt = _entry(sample_report, "frt")       # lower is better
    assert csat.higher_is_better is True and frt.higher_is_better is False
    assert change_style(_with_change(csat, 80.0, 70.0, True)) == "green"     # +10 points, up is better
    assert change_style(_with_change(csat, 70.0, 80.0, True)) == "red"
    assert change_style(_with_change(frt, 60.0, 90.0, True)) == "green"      # 30 min faster
    assert change_style(_with_change(frt, 90.0, 60.0, False)) == "red dim"   # slower, not significant


def test_change_colour_reaches_the_terminal(sample_report):
    """With colours forced the change cell carries an SGR colour: CSAT +10 significant is green (32)."""
    csat = _with_change(_entry(sample_report, "csat"), 80.0, 70.0, True)
    rep = replace(sample_report, entries=[csat])
    out = render(rep, color=True, width=120)
    assert re.search(r"\x1b\[[0-9;]*32m\+10\.00 \*", out), out


def test_columns_for_drops_trend_then_reference():
    from rich.text import Text

    row = {"KPI": Text("Net Promoter Score"), "value": Text("34.69"), "unit": Text("points"),
           "status": Text("below target"), "target / reference": Text("target ≥ 40 points"),
           "change": Text("+1.36 (ns)"), "trend": Text("▁▂▄▄▇█"), "n": Text("98")}
    # need: KPI 12, value 5, unit 6, status 12, reference 12, change 10, trend 6, n 2 (header "n" 1)
    # = 65 + 3 × 8 − 1 + 4 (panel) = 92 for all eight columns
    assert "trend" in columns_for([row], 92)
    assert columns_for([row], 91) == ["KPI", "value", "unit", "status", "target / reference", "change", "n"]
    # without trend: 92 − 6 − 3 = 83; without the reference as well: 83 − 12 − 3 = 68
    assert "target / reference" in columns_for([row], 83)
    assert columns_for([row], 82) == ["KPI", "value", "unit", "status", "change", "n"]


def _cli(args, columns):
    env = {"COLUMNS": str(columns), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "cxkpi", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_clv_at_80_columns_is_a_field_value_table():
    """clv's single row has 12 breakdown fields: at 80 columns a vertical table, every number whole."""
    proc = _cli(["clv", str(SAMPLE / "orders.csv")], 80)
    assert proc.returncode == 0, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    assert not NUMBER_CUT.search(proc.stdout)
    assert re.search(r"│ revenue\s+│ 413,532\.01 │", proc.stdout)
    assert "(currency)" not in proc.stdout  # no currency configured: no "currency" word


def test_report_cli_at_80_columns_and_no_progress_when_stderr_is_not_a_tty():
    proc = _cli(["report", "--config", "config.example.yaml", "--period", "month", "--compare", "previous"], 80)
    assert proc.returncode == 0, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    assert not NUMBER_CUT.search(proc.stdout)
    assert "reading " not in proc.stderr  # stderr is a pipe here: no progress lines in a cron mail


def test_output_gives_a_one_line_summary_on_stderr(tmp_path):
    """The sample config: NPS 34.69 < target 40 is the one KPI below target; no warn/alert limits are set.
    (The KPI count grows with the registry: 24 when this was written.)"""
    out = tmp_path / "report.html"
    proc = _cli(["report", "--config", "config.example.yaml", "--period", "month", "--compare", "previous",
                 "--output", str(out)], 80)
    assert proc.returncode == 0, proc.stderr
    # stderr is a pipe (cron): one line, the skipped rows counted in it (the HTML's data quality names them)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert re.fullmatch(rf"wrote {re.escape(str(out))}: \d+ KPIs, 1 below target, 0 warn, 0 alerts, "
                        r"\d+ KPIs have skipped rows", lines[0]), proc.stderr
    assert "reading " not in proc.stderr


def test_no_period_says_all_data_and_the_status_legend_is_there():
    rep = build_report(load_config(ROOT / "config.example.yaml"))
    text = render(rep, width=80)
    assert text.splitlines()[0].startswith("Support KPIs (sample data) · all data")
    assert max(len(line) for line in text.splitlines()) <= 80
    # NPS over all data 28.16 is below its target 40 and past warn in the sample config: a status word
    assert "status: below target = worse than the target;" in text


def test_top_topic_name_from_the_data_is_text_in_the_dashboard(tmp_path):
    """The top topic's name goes under the KPI title: markup stays literal, an escape is shown as \\x1b."""
    hostile = "[bold]billing[/bold] \x1b[2J"
    rows = ["ticket_id,created_at,topic"]
    # October 2025: 3 tickets of the hostile topic, 1 of 'login' -> top topic share 3 / 4 = 75.0 %
    for i, topic in enumerate([hostile, hostile, hostile, "login"]):
        rows.append(f'T{i},2025-10-0{i + 1} 09:00:00,"{topic}"')
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("report:\n  kpis: [topics]\nsources:\n  tickets: {file: t.csv}\n",
                                     encoding="utf-8")
    rep = build_report(load_config(tmp_path / "c.yaml"), period="month")
    text = render(rep, width=80)
    assert "\x1b" not in text
    assert "[bold]billing[/bold]" in text and "\\x1b[2J" in text
    assert re.search(r"Top topics\s+│\s+75\.0 │ % of", text), text


def test_narrower_than_any_table_each_kpi_is_lines(sample_report):
    """At 40 columns not even KPI | value | status | change fits: each KPI is its title and a line."""
    text = render(sample_report, width=40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert not NUMBER_CUT.search(text)
    assert "┃" not in text  # no table
    assert "1,511" in text and "34.69 points · below target" in text  # kb's n; NPS 34.69 < target 40

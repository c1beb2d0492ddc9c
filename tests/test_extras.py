"""A KPI whose optional extra is missing never takes the report down (issue: the README's first command on a plain install)."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import ROOT, SAMPLE

CONFIG = ROOT / "config.example.yaml"
HINT = 'pip install ".[text]"'  # tests run from a source checkout, so the hint names the checkout's extra


@pytest.fixture
def no_vader(monkeypatch):
    """As on a plain install: importing vaderSentiment fails."""
    monkeypatch.setitem(sys.modules, "vaderSentiment", None)
    monkeypatch.setitem(sys.modules, "vaderSentiment.vaderSentiment", None)


def test_readme_first_command_without_text_extra(run_cli, no_vader):
    code, out, err = run_cli("report", "--config", CONFIG, "--period", "month", "--compare", "previous")
    assert code == 0, err
    assert "sentiment" in out and HINT in out  # the dashboard lists it as not computed with the way out


def test_report_json_marks_sentiment_not_computed(run_cli, no_vader):
    code, out, err = run_cli("report", "--config", CONFIG, "--period", "month", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["not_computed"]["sentiment"] == (
        f"sentiment needs the optional text extra: {HINT} (installs vaderSentiment)")
    computed = {k["kpi"] for k in doc["kpis"]}
    assert "sentiment" not in computed and {"nps", "csat", "frt"} <= computed  # everything else still stands


@pytest.mark.parametrize("fmt, needle", [("markdown", "- sentiment: sentiment needs the optional text extra"),
                                         ("csv", "sentiment,,,,,,,,not computed")])
def test_other_formats_say_not_computed(run_cli, no_vader, fmt, needle):
    code, out, err = run_cli("report", "--config", CONFIG, "--format", fmt)
    assert code == 0, err
    assert needle in out


def test_xlsx_summary_row(run_cli, no_vader, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "r.xlsx"
    code, _, err = run_cli("report", "--config", CONFIG, "--output", path)
    assert code == 0, err
    rows = [r for r in load_workbook(path)["Summary"].iter_rows(values_only=True) if r[0] == "sentiment"]
    assert rows and rows[0][6] == "not computed" and HINT in rows[0][15]


def test_single_kpi_command_still_fails_with_hint(run_cli, no_vader):
    code, _, err = run_cli("sentiment", SAMPLE / "surveys.csv", "--config", CONFIG)
    assert code == 1
    assert err.strip().startswith("cxkpi: error:") and HINT in err


def test_installed_copy_names_the_package(monkeypatch, tmp_path):
    from cxkpi.text import sentiment

    monkeypatch.setattr(sentiment, "__file__", str(tmp_path / "site-packages" / "cxkpi" / "text" / "sentiment.py"))
    monkeypatch.chdir(tmp_path)  # not in the checkout either
    assert sentiment.install_command() == 'pip install "cxkpi[text]"'

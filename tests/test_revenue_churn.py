"""Revenue (MRR) churn (cxkpi revenue-churn, cxkpi/kpis/value.py): every expected value by hand."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from cxkpi.engine import compute

from .conftest import cli as run_cli

T = pd.Timestamp




def by_period(result):
    return {g.key["period"]: g for g in result.groups}


# The docs/business.md worked example: four customers in January, their MRR changes in February.
#   A 100 → 100 (flat), B 200 → 300 (expansion +100), C 300 → 150 (contraction −150), D 400 → ended (churn)
#   E joins in February at 50 (new MRR, not in starting MRR)
CHANGES = """\
customer_id,changed_at,ended_at,mrr
A,2025-01-10,,100
B,2025-01-15,,200
B,2025-02-10,,300
C,2025-01-20,,300
C,2025-02-05,,150
D,2025-01-05,2025-02-20,400
E,2025-02-12,,50
"""

# the same customers as subscriptions that end and restart on the day of the change (no changed_at column)
SPELLS = pd.DataFrame(
    [
        ("A", "2025-01-10", None, 100.0),
        ("B", "2025-01-15", "2025-02-10", 200.0),
        ("B", "2025-02-10", None, 300.0),
        ("C", "2025-01-20", "2025-02-05", 300.0),
        ("C", "2025-02-05", None, 150.0),
        ("D", "2025-01-05", "2025-02-20", 400.0),
        ("E", "2025-02-12", None, 50.0),
    ],
    columns=["customer_id", "started_at", "ended_at", "mrr"],
).assign(started_at=lambda d: pd.to_datetime(d.started_at), ended_at=lambda d: pd.to_datetime(d.ended_at))


def _check_february(feb):
    # starting MRR (active on Feb 1): A 100 + B 200 + C 300 + D 400 = 1,000
    # churned: D 400; contraction: C 300 − 150 = 150; expansion: B 300 − 200 = 100; new: E 50
    # ending: A 100 + B 300 + C 150 + E 50 = 600 = 1,000 − 400 − 150 + 100 + 50
    b = feb.breakdown
    assert (b["starting_mrr"], b["churned_mrr"], b["contraction_mrr"], b["expansion_mrr"], b["new_mrr"],
            b["ending_mrr"]) == (1000.0, 400.0, 150.0, 100.0, 50.0, 600.0)
    # gross = (400 + 150) / 1,000 = 55%; net = (400 + 150 − 100) / 1,000 = 45%
    assert feb.value == pytest.approx(55.0)
    assert b["net_mrr_churn_pct"] == pytest.approx(45.0)
    assert feb.n == 4 and b["churned_customers"] == 1


def test_worked_example_from_the_docs_changed_at_rows(tmp_path):
    path = tmp_path / "mrr.csv"
    path.write_text(CHANGES, encoding="utf-8")
    from cxkpi.api import compute_file

    r = compute_file("revenue-churn", str(path), period="month")
    _check_february(by_period(r)["2025-02"])


def test_worked_example_as_subscriptions_that_end_and_restart():
    r = compute("revenue-churn", SPELLS, period="month", since=T("2025-02-01"), until=T("2025-03-01"))
    months = by_period(r)
    assert list(months) == ["2025-02"]
    _check_february(months["2025-02"])
    # customer churn of the same file counts only D: 1 of 4 = 25% (a plan change is not churn)
    churn = by_period(compute("churn", SPELLS.drop(columns="mrr"), period="month",
                              since=T("2025-02-01"), until=T("2025-03-01")))["2025-02"]
    assert churn.value == pytest.approx(25.0) and churn.breakdown["lost"] == 1


def test_period_starting_with_no_mrr_is_null_with_a_note_never_zero():
    r = compute("revenue-churn", SPELLS, period="month")
    jan = by_period(r)["2025-01"]
    # nobody is active on Jan 1 (the first start is Jan 5): starting MRR 0 -> no rate
    assert jan.value is None and jan.n == 0
    assert math.isnan(jan.breakdown["net_mrr_churn_pct"])  # null in JSON (checked in the CLI test)
    assert jan.breakdown["note"] == "no MRR at the start of the period"
    # January's new MRR: A 100 + B 200 + C 300 + D 400 = 1,000
    assert jan.breakdown["new_mrr"] == 1000.0
    # pooled over Jan + Feb: (0 + 400 + 150) / (0 + 1,000) = 55%
    assert r.value == pytest.approx(55.0)


def test_net_mrr_churn_is_negative_when_expansion_outweighs_losses():
    frame = SPELLS.copy()
    frame.loc[2, "mrr"] = 800.0  # B goes 200 → 800: expansion 600
    feb = by_period(compute("revenue-churn", frame, period="month", since=T("2025-02-01"),
                            until=T("2025-03-01")))["2025-02"]
    # gross (400 + 150) / 1,000 = 55%; net (400 + 150 − 600) / 1,000 = −5%
    assert feb.value == pytest.approx(55.0)
    assert feb.breakdown["net_mrr_churn_pct"] == pytest.approx(-5.0)


def test_customer_who_leaves_and_comes_back_in_the_period_is_churn_then_new():
    frame = pd.DataFrame({
        "customer_id": ["A", "A", "B"],
        "started_at": pd.to_datetime(["2024-12-01", "2025-01-20", "2024-12-01"]),
        "ended_at": pd.to_datetime(["2025-01-10", None, None]),
        "mrr": [100.0, 120.0, 50.0],
    })
    jan = by_period(compute("revenue-churn", frame, period="month", since=T("2025-01-01"),
                            until=T("2025-02-01")))["2025-01"]
    # start A 100 + B 50 = 150; A's subscription ends Jan 10 (a gap, as `cxkpi churn` counts it lost):
    # churned 100, A's restart at 120 is new MRR; gross 100 / 150 = 66.67%
    assert (jan.breakdown["starting_mrr"], jan.breakdown["churned_mrr"], jan.breakdown["new_mrr"],
            jan.breakdown["expansion_mrr"], jan.breakdown["ending_mrr"]) == (150.0, 100.0, 120.0, 0.0, 170.0)
    assert jan.value == pytest.approx(100 * 100 / 150)


def test_bad_rows_are_skipped_with_their_reason():
    frame = SPELLS.copy()
    frame.loc[0, "mrr"] = -5.0
    frame.loc[4, "mrr"] = None
    r = compute("revenue-churn", frame, period="month")
    assert r.skipped.counts == {"mrr is negative": 1, "no mrr": 1}


def test_cli_run_with_json_and_table(tmp_path, capsys, monkeypatch):
    path = tmp_path / "mrr.csv"
    path.write_text(CHANGES, encoding="utf-8")
    code, out, err = run_cli(["revenue-churn", str(path), "--period", "month", "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    groups = {g["key"]["period"]: g for g in doc["groups"]}
    assert groups["2025-01"]["value"] is None and groups["2025-01"]["breakdown"]["net_mrr_churn_pct"] is None
    assert groups["2025-01"]["breakdown"]["note"] == "no MRR at the start of the period"
    assert groups["2025-02"]["value"] == pytest.approx(55.0)
    assert groups["2025-02"]["breakdown"]["net_mrr_churn_pct"] == pytest.approx(45.0)
    assert "changed_at" in err  # how the rows were read is said on stderr, not mixed into stdout
    monkeypatch.setenv("COLUMNS", "250")
    code, out, err = run_cli(["revenue-churn", "sample_data/subscriptions.csv", "--period", "quarter"], capsys)
    assert code == 0, err
    assert "2025-Q3" in out and "Traceback" not in err


def test_cli_missing_mrr_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "subs.csv"
    path.write_text("customer_id,started_at,ended_at\nA,2025-01-01,\n", encoding="utf-8")
    code, out, err = run_cli(["revenue-churn", str(path)], capsys)
    assert code != 0 and out == ""
    assert "mrr" in err and "Traceback" not in err


def test_documented_in_business_md():
    from pathlib import Path

    doc = Path(__file__).resolve().parent.parent.joinpath("docs", "business.md").read_text(encoding="utf-8")
    assert "`cxkpi revenue-churn" in doc


def test_effective_date_headers_and_currency_amounts_map_themselves(tmp_path, capsys):
    path = tmp_path / "billing.csv"
    path.write_text("Account ID,Effective Date,Cancelled At,MRR\n"
                    "A,2025-01-10,,$100\nB,2025-01-15,,$200\nB,2025-02-10,,$300\n"
                    "C,2025-01-20,,300\nC,2025-02-05,,150\nD,2025-01-05,2025-02-20,400\nX,,,10\n", encoding="utf-8")
    code, out, err = run_cli(["revenue-churn", str(path), "--since", "2025-02-01", "--until", "2025-03-01",
                              "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    # February as in the worked example without E: start 1,000; churned 400, contraction 150, expansion 100
    # gross (400 + 150) / 1,000 = 55%, net (400 + 150 − 100) / 1,000 = 45%; ending 100 + 300 + 150 = 550
    assert doc["value"] == pytest.approx(55.0)
    assert doc["breakdown"]["net_mrr_churn_pct"] == pytest.approx(45.0)
    assert doc["breakdown"]["ending_mrr"] == pytest.approx(550.0)
    assert doc["skipped"]["reasons"]["no changed_at"]["count"] == 1  # X has no date
    assert "(started_at when blank)" not in err  # the file has no started_at


def test_mrr_movements_with_previous_mrr_and_a_zero_for_a_cancellation(tmp_path):
    # one row per change: B, C and D were paying before the file starts (previous_mrr); D's MRR goes
    # to 0 on Feb 20 (cancelled) and D comes back on Mar 5 at 80
    path = tmp_path / "moves.csv"
    path.write_text("customer_id,changed_at,previous_mrr,mrr\nB,2025-02-10,200,300\nC,2025-02-05,300,150\n"
                    "D,2025-02-20,400,0\nE,2025-02-12,0,50\nA,2025-01-10,0,100\nD,2025-03-05,0,80\n",
                    encoding="utf-8")
    from cxkpi.api import compute_file

    months = by_period(compute_file("revenue-churn", str(path), period="month"))
    assert list(months) == ["2025-01", "2025-02", "2025-03"]  # the seeds of previous_mrr add no period
    jan, feb, mar = months["2025-01"], months["2025-02"], months["2025-03"]
    # Jan 1: B 200 + C 300 + D 400 = 900 (from previous_mrr); A new at 100; nothing lost: 0%
    assert (jan.breakdown["starting_mrr"], jan.breakdown["new_mrr"], jan.value) == (900.0, 100.0, 0.0)
    _check_february(feb)  # the worked example again: 55% gross, 45% net
    # Mar 1: A 100 + B 300 + C 150 + E 50 = 600; D back at 80 (new after a gap): ending 680, 0% churn
    assert (mar.breakdown["starting_mrr"], mar.breakdown["new_mrr"], mar.breakdown["ending_mrr"],
            mar.value) == (600.0, 80.0, 680.0, 0.0)

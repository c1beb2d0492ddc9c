"""Business KPIs (cxkpi/kpis/lifecycle.py, workforce.py, value.py, knowledge.py; their period flows in
cxkpi/reduce/flows.py): every expected value is worked out by hand in a comment."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cxkpi.api import compute_file
from cxkpi.config import validate
from cxkpi.engine import compute
from cxkpi.errors import ConfigError, MissingColumnsError, UsageError
from cxkpi.io.values import money
from cxkpi.kpis.lifecycle import parse_margin, parse_months
from cxkpi.kpis.value import parse_cost_table

from .conftest import cli as run_cli

T = pd.Timestamp




def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return str(path)


def by_period(result):
    return {g.key["period"]: g for g in result.groups}


# ------------------------------------------------------------------ churn / retention: subscriptions
# Twelve customers, three months (Jan–Mar 2025). A customer is present at the start of [s, e) when
# started_at < s and (no ended_at or ended_at >= s); rows of one customer that touch are one spell.
TWELVE = pd.DataFrame(
    [
        ("C01", "2024-11-01", None),          # there all along
        ("C02", "2024-11-15", "2025-01-20"),  # lost in Jan
        ("C03", "2024-12-01", "2025-02-10"),  # lost in Feb
        ("C04", "2024-12-20", "2025-03-05"),  # lost in Mar
        ("C05", "2024-10-01", "2025-01-31"),  # lost in Jan ...
        ("C05", "2025-03-10", None),          # ... and comes back in Mar (new)
        ("C06", "2025-01-05", None),          # new in Jan
        ("C07", "2025-01-10", "2025-01-25"),  # joins and leaves inside Jan
        ("C08", "2025-02-01", None),          # starts on Feb 1 00:00: new in Feb, not there at its start
        ("C09", "2024-12-31", "2025-02-01"),  # ends on Feb 1 00:00: there at Feb's start, lost in Feb
        ("C10", "2024-09-01", "2024-12-15"),  # gone before the window ...
        ("C10", "2025-02-15", None),          # ... back in Feb (new)
        ("C11", "2024-12-01", "2025-01-01"),  # ends on Jan 1 00:00: there at Jan's start, lost in Jan
        ("C12", "2024-06-01", "2025-01-15"),  # plan change: the next row starts the day this one ends,
        ("C12", "2025-01-15", None),          # so one continuous spell: neither lost nor new
    ],
    columns=["customer_id", "started_at", "ended_at"],
).assign(started_at=lambda d: pd.to_datetime(d.started_at), ended_at=lambda d: pd.to_datetime(d.ended_at))
Q1 = dict(period="month", since=T("2025-01-01"), until=T("2025-04-01"))


def test_churn_twelve_customers_three_months():
    r = compute("churn", TWELVE, **Q1)
    months = by_period(r)
    assert list(months) == ["2025-01", "2025-02", "2025-03"]
    jan, feb, mar = months["2025-01"], months["2025-02"], months["2025-03"]
    # Jan start: C01 C02 C03 C04 C05 C09 C11 C12 = 8; new C06 C07 = 2; lost C02 C05 C11 = 3;
    # C07 joined and left; end = 8 + 2 - 3 - 1 = 6 (C01 C03 C04 C06 C09 C12). Churn 3/8 = 37.5%.
    assert jan.breakdown == {"start": 8, "new": 2, "lost": 3, "new_and_lost": 1, "end": 6, "note": ""}
    assert jan.value == pytest.approx(37.5) and jan.n == 8
    # Feb start 6; new C08 C10 = 2; lost C03 C09 = 2; end 6 (C01 C04 C06 C08 C10 C12). 2/6 = 33.33%.
    assert (feb.breakdown["start"], feb.breakdown["new"], feb.breakdown["lost"], feb.breakdown["end"]) == (6, 2, 2, 6)
    assert feb.value == pytest.approx(100 * 2 / 6)
    # Mar start 6; new C05 (comes back) = 1; lost C04 = 1; end 6. 1/6 = 16.67%.
    assert (mar.breakdown["start"], mar.breakdown["new"], mar.breakdown["lost"], mar.breakdown["end"]) == (6, 1, 1, 6)
    assert mar.value == pytest.approx(100 / 6)
    # the data ends on 2025-03-10, so March is only partly covered
    assert mar.breakdown["note"] == "data ends 2025-03-10"
    # "all": per month, pooled: (3 + 2 + 1) / (8 + 6 + 6) = 30%; flow 8 at the start of Jan, 6 at the end of Mar
    assert r.value == pytest.approx(30.0) and r.n == 20
    assert (r.breakdown["start"], r.breakdown["new"], r.breakdown["lost"], r.breakdown["end"]) == (8, 5, 6, 6)
    assert r.breakdown["periods"] == 3 and r.breakdown["note"] == "per month, pooled over 3"


def test_retention_twelve_customers_three_months_and_end_over_start():
    months = by_period(compute("retention", TWELVE, **Q1))
    # (end - new still there at the end) / start: Jan (6 - (2 - 1)) / 8 = 62.5%; Feb (6 - 2) / 6; Mar (6 - 1) / 6
    assert months["2025-01"].value == pytest.approx(62.5)
    assert months["2025-02"].value == pytest.approx(100 * 4 / 6)
    assert months["2025-03"].value == pytest.approx(100 * 5 / 6)
    variant = by_period(compute("retention", TWELVE, settings={"variant": "end-over-start"}, **Q1))
    # end / start: Jan 6/8 = 75%, Feb 6/6 = 100%, Mar 6/6 = 100%
    assert [g.value for g in variant.values()] == pytest.approx([75.0, 100.0, 100.0])


def test_customer_who_starts_and_ends_inside_one_period():
    frame = pd.DataFrame({
        "customer_id": ["A", "B"],
        "started_at": pd.to_datetime(["2024-12-01", "2025-01-10"]),
        "ended_at": pd.to_datetime([None, "2025-01-25"]),
    })
    jan = by_period(compute("churn", frame, period="month", since=T("2025-01-01"), until=T("2025-02-01")))["2025-01"]
    # A is there at the start and at the end; B joins and leaves in January: not lost (was not there at
    # the start), counted in new and in new_and_lost. Churn 0/1 = 0%, retention (1 - (1 - 1)) / 1 = 100%.
    assert jan.value == 0.0
    assert (jan.breakdown["start"], jan.breakdown["new"], jan.breakdown["lost"],
            jan.breakdown["new_and_lost"], jan.breakdown["end"]) == (1, 1, 0, 1, 1)
    ret = by_period(compute("retention", frame, period="month", since=T("2025-01-01"), until=T("2025-02-01")))
    assert ret["2025-01"].value == 100.0


def test_period_with_zero_customers_at_start_is_null_with_a_note():
    frame = pd.DataFrame({
        "customer_id": ["A", "B", "C"],
        "started_at": pd.to_datetime(["2025-01-05", "2025-01-06", "2025-01-07"]),
        "ended_at": pd.to_datetime([None, "2025-02-10", None]),
    })
    r = compute("churn", frame, period="month")
    months = by_period(r)
    # January: nobody before Jan 1 -> no rate; February: 3 at the start, B lost -> 33.33%
    assert months["2025-01"].value is None and months["2025-01"].n == 0
    assert months["2025-01"].breakdown["note"] == "no customers at start"
    assert months["2025-02"].value == pytest.approx(100 / 3)
    assert r.value == pytest.approx(100 / 3)  # pooled: 1 / (0 + 3)


def test_end_before_start_is_skipped_with_its_reason():
    frame = pd.DataFrame({
        "customer_id": ["A", "B", "C"],
        "started_at": pd.to_datetime(["2024-12-01", "2024-12-01", "2025-01-20"]),
        "ended_at": pd.to_datetime(["2025-01-15", None, "2025-01-10"]),  # C ends before it starts
    })
    r = compute("churn", frame, period="month", since=T("2025-01-01"), until=T("2025-02-01"))
    assert r.skipped.counts == {"ended_at before started_at": 1}
    # A and B at the start of January, A lost: 1/2 = 50%
    assert by_period(r)["2025-01"].value == pytest.approx(50.0)


def test_churn_by_plan_counts_a_plan_change_as_leaving_the_plan():
    frame = pd.DataFrame({
        "customer_id": ["A", "A", "B"],
        "plan": ["Basic", "Pro", "Basic"],
        "started_at": pd.to_datetime(["2024-12-01", "2025-01-15", "2024-12-01"]),
        "ended_at": pd.to_datetime(["2025-01-15", None, None]),
    })
    r = compute("churn", frame, period="month", by=("plan",), since=T("2025-01-01"), until=T("2025-02-01"))
    groups = {g.key["plan"]: g for g in r.groups}
    # Basic: A and B at the start, A moved to Pro -> 1/2 lost from the plan; Pro: nobody at the start, A new
    assert groups["Basic"].value == pytest.approx(50.0)
    assert groups["Pro"].value is None and groups["Pro"].breakdown["new"] == 1
    # the business as a whole lost nobody: A's two rows touch, so they are one spell
    assert r.value == 0.0


def _spells_by_brute_force(frame):
    """Each customer's rows merged into continuous spells, the slow obvious way."""
    far = T("2200-01-01")
    spells = []
    for _, rows in frame.groupby("customer_id"):
        intervals = sorted((s, e if pd.notna(e) else far) for s, e in zip(rows.started_at, rows.ended_at))
        cur_s, cur_e = intervals[0]
        for s, e in intervals[1:]:
            if s <= cur_e:
                cur_e = max(cur_e, e)
            else:
                spells.append((cur_s, cur_e))
                cur_s, cur_e = s, e
        spells.append((cur_s, cur_e))
    return spells


def test_subscription_counts_match_a_brute_force_count():
    rng = np.random.default_rng(5)
    n = 600
    start = T("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    end = pd.Series(start + pd.to_timedelta(rng.integers(0, 150, n), unit="D")).where(rng.random(n) < 0.6)
    frame = pd.DataFrame({"customer_id": rng.integers(0, 150, n).astype(str), "started_at": start, "ended_at": end})
    r = compute("churn", frame, period="month", since=T("2024-03-01"), until=T("2024-11-01"))
    spells = _spells_by_brute_force(frame)
    got = {g.key["period"]: g.breakdown for g in r.groups}
    bounds = pd.date_range("2024-03-01", "2024-11-01", freq="MS")
    for b0, b1 in zip(bounds[:-1], bounds[1:]):
        expected = (
            sum(1 for s, e in spells if s < b0 <= e),                 # start
            sum(1 for s, e in spells if b0 <= s < b1),                # new
            sum(1 for s, e in spells if s < b0 and b0 <= e < b1),     # lost
            sum(1 for s, e in spells if b0 <= s < b1 and e < b1),     # new and lost
            sum(1 for s, e in spells if s < b1 <= e),                 # end
        )
        b = got[b0.strftime("%Y-%m")]
        assert (b["start"], b["new"], b["lost"], b["new_and_lost"], b["end"]) == expected, b0


def test_orders_counts_match_a_brute_force_count():
    rng = np.random.default_rng(3)
    n = 3000
    frame = pd.DataFrame({"customer_id": rng.integers(0, 400, n).astype(str),
                          "order_at": T("2024-01-01") + pd.to_timedelta(rng.integers(0, 300 * 86400, n), unit="s")})
    r = compute("churn", frame, period="month")
    month = frame.order_at.dt.to_period("M")
    active = {p: set(frame.customer_id[month == p]) for p in sorted(month.unique())}
    periods = sorted(active)
    got = {g.key["period"]: g.breakdown for g in r.groups}
    for before, now in zip(periods, periods[1:]):
        b = got[str(now)]
        assert (b["start"], b["lost"], b["end"]) == (len(active[before]), len(active[before] - active[now]),
                                                      len(active[now])), now


# ------------------------------------------------------------------ churn: orders model
ORDERS = pd.DataFrame(
    [("A", "2025-01-03"), ("A", "2025-02-03"), ("A", "2025-03-03"), ("A", "2025-03-20"),
     ("B", "2025-01-10"), ("B", "2025-03-11"),
     ("C", "2025-02-14"),
     ("D", "2025-01-30"),
     ("E", "2025-03-30")],
    columns=["customer_id", "order_at"],
).assign(order_at=lambda d: pd.to_datetime(d.order_at))


def test_orders_model_churn_per_month():
    r = compute("churn", ORDERS, period="month")
    assert r.source == "orders"
    m = by_period(r)
    # Jan: first month of data, nobody "active in the previous month" -> no rate
    assert m["2025-01"].value is None and m["2025-01"].breakdown["end"] == 3  # A B D
    # Feb: start = Jan's actives A B D = 3; A ordered again; B and D did not -> lost 2; C is new. 2/3
    feb = m["2025-02"].breakdown
    assert (feb["start"], feb["new"], feb["returning"], feb["lost"], feb["end"]) == (3, 1, 0, 2, 2)
    assert m["2025-02"].value == pytest.approx(100 * 2 / 3)
    # Mar: start = A C; A stays, C lost -> 1/2; new = B (came back: returning) and E (first order)
    mar = m["2025-03"].breakdown
    assert (mar["start"], mar["new"], mar["returning"], mar["lost"], mar["end"]) == (2, 2, 1, 1, 3)
    assert m["2025-03"].value == pytest.approx(50.0)
    # pooled per month: (2 + 1) / (0 + 3 + 2) = 60%; retention = 100 - churn in this model
    assert r.value == pytest.approx(60.0)
    assert compute("retention", ORDERS, period="month").value == pytest.approx(40.0)


def test_orders_model_since_uses_the_month_before_the_window():
    # --since 2025-03-01: March's start still comes from February's orders (A, C), so churn is 1/2
    r = compute("churn", ORDERS, period="month", since=T("2025-03-01"))
    assert list(by_period(r)) == ["2025-03"]
    assert r.value == pytest.approx(50.0)


# ------------------------------------------------------------------ churn: CRM snapshot
SNAPSHOT = """
Customer ID,Segment,Churn,Tenure Months,Monthly Charges
1,A,Yes,2,$10.00
2,A,No,10,$20.00
3,A,No,12,$30.00
4,A,Yes,4,$40.00
5,B,No,24,$50.00
6,B,No,30,$60.00
7,B,Yes,6,$70.00
8,B,No,18,$80.00
9,B,No,20,$90.00
10,B,No,22,$100.00
"""


def test_snapshot_churn_ten_rows_by_segment(tmp_path, capsys):
    path = write(tmp_path, "crm.csv", SNAPSHOT)
    code, out, err = run_cli(["churn", path, "--status-column", "Churn", "--by", "Segment", "--format", "json"], capsys)
    assert code == 0, err
    r = json.loads(out)
    assert r["source"] == "customers"
    # 3 churned of 10 = 30%; tenure churned (2 + 4 + 6) / 3 = 4, retained (10+12+24+30+18+20+22) / 7 = 136/7
    assert r["value"] == pytest.approx(30.0) and r["n"] == 10
    assert r["breakdown"]["tenure_churned"] == pytest.approx(4.0)
    assert r["breakdown"]["tenure_retained"] == pytest.approx(136 / 7, abs=1e-6)
    # monthly revenue at risk: 10 + 40 + 70 = 120 of 550 = 21.82%
    assert r["breakdown"]["revenue_at_risk"] == pytest.approx(120.0)
    assert r["breakdown"]["revenue_at_risk_pct"] == pytest.approx(100 * 120 / 550, abs=1e-5)
    groups = {g["key"]["segment"]: g for g in r["groups"]}
    # A: 2 of 4 = 50%, tenure churned (2 + 4) / 2 = 3, retained (10 + 12) / 2 = 11, at risk 50 of 100
    assert groups["A"]["value"] == pytest.approx(50.0)
    assert (groups["A"]["breakdown"]["tenure_churned"], groups["A"]["breakdown"]["tenure_retained"]) == (3.0, 11.0)
    assert groups["A"]["breakdown"]["revenue_at_risk"] == pytest.approx(50.0)
    # B: 1 of 6 = 16.67%, tenure churned 6, retained (24 + 30 + 18 + 20 + 22) / 5 = 22.8; 70 of 450
    assert groups["B"]["value"] == pytest.approx(100 / 6, abs=1e-5)
    assert groups["B"]["breakdown"]["tenure_retained"] == pytest.approx(22.8)
    assert groups["B"]["breakdown"]["revenue_at_risk_pct"] == pytest.approx(100 * 70 / 450, abs=1e-5)


def test_snapshot_active_cancelled_words_and_custom_values(tmp_path):
    path = write(tmp_path, "crm.csv", """
account,status
a1,active
a2,Cancelled
a3,ACTIVE
a4,paused
a5,
""")
    r = compute_file("churn", path, source="customers")
    # a4 "paused" is not a known word and a5 is blank: both skipped; 1 of 3 cancelled = 33.33%
    assert r.value == pytest.approx(100 / 3)
    assert r.skipped.counts == {"no status": 1,
                                "status is neither a churned nor an active value (see --churned-values)": 1}
    custom = compute_file("churn", path, settings={"churned_values": "cancelled,paused"})
    # churned = cancelled or paused, every other status retained: 2 of 4
    assert custom.value == pytest.approx(50.0) and custom.n == 4


def test_snapshot_refuses_a_period(tmp_path, capsys):
    path = write(tmp_path, "crm.csv", SNAPSHOT)
    code, _, err = run_cli(["churn", path, "--period", "month"], capsys)
    assert code == 2
    assert "point-in-time snapshot" in err and "Traceback" not in err


def test_churn_help_explains_snapshot_and_retention_help_the_variant(capsys):
    code, out, _ = run_cli(["churn", "--help"], capsys)
    assert code == 0 and "point-in-time" in out and "--status-column" in out and "--source" in out
    code, out, _ = run_cli(["retention", "--help"], capsys)
    assert code == 0 and "end-over-start" in out and "overstates" in out


# ------------------------------------------------------------------ source detection
def test_same_command_reads_subscriptions_orders_and_snapshot(tmp_path):
    subs = write(tmp_path, "subs.csv", """
Customer ID,Plan,Started At,Ended At,MRR
C1,Basic,2024-12-01,,10
C2,Basic,2024-12-01,2025-01-15,10
""")
    orders = write(tmp_path, "orders.csv", """
Order ID,Customer ID,Order At,Amount
O1,C1,2024-12-05,10
O2,C2,2024-12-06,10
O3,C1,2025-01-07,10
""")
    # subscriptions: C1, C2 at the start of January, C2 lost -> 50%
    r = compute_file("churn", subs, period="month", since="2025-01-01")
    assert r.source == "subscriptions" and by_period(r)["2025-01"].value == pytest.approx(50.0)
    # orders: C1, C2 ordered in December, only C1 in January -> 50%
    r = compute_file("churn", orders, period="month", since="2025-01-01")
    assert r.source == "orders" and by_period(r)["2025-01"].value == pytest.approx(50.0)


def test_forced_source_and_a_file_that_fits_none(tmp_path, capsys):
    path = write(tmp_path, "x.csv", """
Ticket ID,Created At
T1,2025-01-01
""")
    with pytest.raises(MissingColumnsError) as e:
        compute_file("churn", path)
    assert "subscriptions" in str(e.value) and "'started_at' + 'ended_at'" in str(e.value)
    orders = write(tmp_path, "orders.csv", """
Customer ID,Order At,Amount
C1,2025-01-07,10
""")
    code, _, err = run_cli(["churn", orders, "--source", "subscriptions"], capsys)
    assert code == 2 and "needs column" in err and "Traceback" not in err


def test_config_source_must_be_one_the_kpi_reads():
    cfg = validate({"kpis": {"churn": {"source": "customers"}}})
    r = compute_file("churn", "sample_data/crm_snapshot.csv", config=cfg)
    assert r.source == "customers" and r.value == pytest.approx(20.0)  # 100 of 500 rows say Yes
    with pytest.raises(ConfigError, match="kpis.churn.source: expected one of subscriptions, orders, customers"):
        validate({"kpis": {"churn": {"source": "tickets"}}})


def test_sample_files_and_config_agree(capsys):
    # the sample data loads without a config (headers such as "Customer ID" normalise) and with it
    plain = compute_file("churn", "sample_data/subscriptions.csv", period="month")
    from cxkpi.config import load_config

    configured = compute_file("churn", "sample_data/subscriptions.csv", config=load_config("config.example.yaml"),
                              period="month")
    assert plain.source == configured.source == "subscriptions"
    assert plain.value == pytest.approx(configured.value)
    assert plain.skipped.counts == {"ended_at before started_at": 2}  # the two broken rows of the sample
    for kpi, file in [("churn", "orders"), ("clv", "orders"), ("clv", "subscriptions"), ("turnover", "agents"),
                      ("kb", "kb"), ("churn", "crm_snapshot")]:
        r = compute_file(kpi, f"sample_data/{file}.csv")
        assert r.value is not None and r.n > 0, (kpi, file)


# ------------------------------------------------------------------ CLV
def test_clv_orders_model_spec_example(tmp_path):
    # 4 orders of 40, 60, 50, 50 -> AOV 200 / 4 = 50; 2 customers over January (1 Jan to 1 Feb = 1 month)
    # -> 4 / 2 / 1 = 2 orders per customer per month; lifespan 36 months -> 50 x 2 x 36 = 3,600
    path = write(tmp_path, "orders.csv", """
Customer ID,Order At,Amount
A,2025-01-01 09:00,$40.00
A,2025-01-20 12:00,60
B,2025-01-05 10:00,"50,00 €"
B,2025-01-31 10:00,$50
""")
    r = compute_file("clv", path, settings={"lifespan": 36.0})
    assert r.value == pytest.approx(3600.0)
    b = r.breakdown
    assert (b["aov"], b["frequency"], b["months"], b["lifespan_months"]) == pytest.approx((50.0, 2.0, 1.0, 36.0))
    assert (b["orders"], b["customers"]) == (4, 2)
    # the CLI parses "3y" and a 40% margin: 3,600 x 0.4 = 1,440
    r = compute_file("clv", path, settings={"lifespan": parse_months("3y"), "margin": parse_margin("40%")})
    assert r.value == pytest.approx(1440.0)


def test_clv_saas_model_spec_example():
    # 100 accounts at 100 a month since 1 Dec; 2 leave in January, 2 new join -> January churn 2 / 100 = 2%;
    # at the end (1 Feb) 100 accounts, MRR 10,000 -> ARPA 100; CLV = 100 / 0.02 = 5,000
    ids = [f"A{i:03d}" for i in range(102)]
    starts = ["2024-12-01"] * 100 + ["2025-01-10"] * 2
    ends = ["2025-01-15"] * 2 + [None] * 100
    frame = pd.DataFrame({"customer_id": ids, "started_at": pd.to_datetime(starts),
                          "ended_at": pd.to_datetime(ends), "mrr": 100.0})
    r = compute("clv", frame)
    assert r.source == "subscriptions"
    assert r.value == pytest.approx(5000.0)
    b = r.breakdown
    assert (b["accounts"], b["mrr"], b["arpa"], b["monthly_churn_pct"]) == pytest.approx((100, 10000.0, 100.0, 2.0))
    assert b["lifespan_months"] == pytest.approx(50.0)  # 1 / 0.02
    # a given margin multiplies: 5,000 x 0.5
    assert compute("clv", frame, settings={"margin": 0.5}).value == pytest.approx(2500.0)


def test_clv_orders_lifespan_from_measured_churn_and_no_churn_note():
    # ORDERS: pooled monthly churn 60% (see test_orders_model_churn_per_month) -> lifespan 1 / 0.6 months;
    # 9 orders of 10 -> AOV 10; 5 customers over 3 Jan .. 30 Mar = 2 + 28/31 months
    frame = ORDERS.assign(amount=10.0)
    r = compute("clv", frame)
    months = 2 + 28 / 31  # 3 Jan 00:00 -> 3 Mar 00:00 = 2 months, then 28 of March's 31 days to 31 Mar 00:00
    assert r.breakdown["months"] == pytest.approx(months)
    expected = 10 * (9 / 5 / months) * (1 / 0.6)
    assert r.value == pytest.approx(expected)
    steady = pd.DataFrame({"customer_id": ["A", "A"], "order_at": pd.to_datetime(["2025-01-05", "2025-02-05"]),
                           "amount": [10.0, 10.0]})
    r = compute("clv", steady)
    # nobody lost -> churn 0 -> the lifespan is unbounded: no value, and a note saying to pass --lifespan
    assert r.value is None and "give --lifespan" in r.breakdown["note"]


def test_clv_by_segment():
    frame = pd.DataFrame({
        "customer_id": ["A", "A", "B"], "region": ["EU", "EU", "NA"],
        "order_at": pd.to_datetime(["2025-01-01", "2025-01-31", "2025-01-15"]), "amount": [30.0, 10.0, 100.0],
    })
    r = compute("clv", frame, by=("region",), settings={"lifespan": 12.0})
    g = {x.key["region"]: x for x in r.groups}
    # window 1 Jan .. 1 Feb = 1 month. EU: AOV 20, 2 orders / 1 customer / 1 month -> 20 x 2 x 12 = 480
    # NA: AOV 100, 1 order -> 100 x 1 x 12 = 1,200
    assert g["EU"].value == pytest.approx(480.0)
    assert g["NA"].value == pytest.approx(1200.0)


def test_money_kind_reads_currency_symbols_and_separators():
    parsed, bad = money(pd.Series(["$1,234.50", "1.234,50 €", "EUR 12", "(12.00)", "12,5", "abc", None]))
    assert parsed.tolist()[:5] == [1234.5, 1234.5, 12.0, -12.0, 12.5]
    assert math.isnan(parsed.iloc[5]) and math.isnan(parsed.iloc[6])
    assert bad.tolist() == ["abc"]


# ------------------------------------------------------------------ employee turnover
ROSTER = pd.DataFrame(
    [
        ("a1", "2023-01-01", None),
        ("a2", "2023-06-01", "2025-02-15"),  # leaves mid-quarter
        ("a3", "2024-03-01", None),
        ("a4", "2024-05-01", None),
        ("a5", "2025-01-20", None),          # hired mid-quarter
        ("a6", "2025-02-01", "2025-03-15"),  # hired and gone inside the quarter
        ("a7", "2022-01-01", "2024-12-31"),  # left before the quarter
    ],
    columns=["agent", "hired_at", "left_at"],
).assign(hired_at=lambda d: pd.to_datetime(d.hired_at), left_at=lambda d: pd.to_datetime(d.left_at))


def test_turnover_with_hires_and_leavers_mid_period():
    r = compute("turnover", ROSTER, period="quarter", since=T("2025-01-01"), until=T("2025-04-01"))
    q1 = by_period(r)["2025-Q1"]
    # start (1 Jan): a1 a2 a3 a4 = 4; end (1 Apr): a1 a3 a4 a5 = 4; separations a2 + a6 = 2
    # average headcount (4 + 4) / 2 = 4 -> 2 / 4 = 50%
    assert q1.value == pytest.approx(50.0)
    b = q1.breakdown
    assert (b["start"], b["hires"], b["separations"], b["end"], b["average_headcount"]) == (4, 2, 2, 4, 4.0)
    monthly = by_period(compute("turnover", ROSTER, period="month", since=T("2025-01-01"), until=T("2025-04-01")))
    # Jan: 4 -> 5 (a5), 0 left: 0%. Feb: 5 -> 5 (a6 in, a2 out): 1 / 5 = 20%. Mar: 5 -> 4 (a6 out): 1 / 4.5
    assert [g.value for g in monthly.values()] == pytest.approx([0.0, 20.0, 100 / 4.5])


def test_turnover_pooled_total_and_left_before_hired():
    frame = pd.concat([ROSTER, pd.DataFrame({"agent": ["bad"], "hired_at": [T("2025-02-01")],
                                             "left_at": [T("2025-01-01")]})], ignore_index=True)
    r = compute("turnover", frame, period="month", since=T("2025-01-01"), until=T("2025-04-01"))
    # pooled per month: (0 + 1 + 1) / (4.5 + 5 + 4.5) = 2 / 14
    assert r.value == pytest.approx(100 * 2 / 14)
    assert r.skipped.counts == {"left_at before hired_at": 1}


# ------------------------------------------------------------------ cost per resolution
TICKETS = """
Ticket ID,Created At,Resolved At,Cost
T1,2025-01-02,2025-01-03,"$1,234.50"
T2,2025-01-04,2025-01-05,"1.234,50 €"
T3,2025-01-06,2025-01-09,
T4,2025-01-10,2025-01-20,10
T5,2025-02-11,,31
T6,2025-03-01,2025-03-02,5
T7,2025-03-03,2025-03-04,5
"""
TICKETS_NO_COST = """
Ticket ID,Created At,Resolved At
T1,2025-01-02,2025-01-03
T2,2025-02-11,
"""


def test_cost_per_resolution_period_without_resolutions(tmp_path):
    path = write(tmp_path, "tickets.csv", TICKETS)
    r = compute_file("cost-per-resolution", path, period="month", settings={"cost": 1000.0})
    m = by_period(r)
    # Jan: 4 resolved -> 1000 / 4 = 250; Feb: none resolved -> no value, note; Mar: 2 -> 500
    assert m["2025-01"].value == pytest.approx(250.0)
    assert m["2025-02"].value is None and m["2025-02"].breakdown["note"] == "no resolutions"
    assert m["2025-03"].value == pytest.approx(500.0)
    # all: 3 months x 1000 / 6 resolutions = 500; T5 is unresolved: not counted, not "skipped"
    assert r.value == pytest.approx(500.0) and r.breakdown["cost"] == 3000.0 and r.n == 6
    assert r.skipped.total == 0 and "1 unresolved tickets not counted" in r.notes
    # without --period the cost covers the whole range: 1000 / 6
    assert compute_file("cost-per-resolution", path, settings={"cost": 1000.0}).value == pytest.approx(1000 / 6)


def test_cost_per_resolution_cost_table_from_config(tmp_path):
    path = write(tmp_path, "tickets.csv", TICKETS)
    cfg = validate({"kpis": {"cost-per-resolution": {"costs": {"2025-01": 800, "2025-02": 900, "2025-03": "1,200"}}}})
    r = compute_file("cost-per-resolution", path, config=cfg, period="month")
    m = by_period(r)
    # Jan 800 / 4 = 200; Feb 900 / 0 -> none; Mar 1200 / 2 = 600; all 2900 / 6
    assert m["2025-01"].value == pytest.approx(200.0)
    assert m["2025-02"].value is None and m["2025-02"].breakdown["note"] == "no resolutions"
    assert m["2025-03"].value == pytest.approx(600.0)
    assert r.value == pytest.approx(2900 / 6)
    quarter = compute_file("cost-per-resolution", path, config=cfg, period="quarter")
    assert by_period(quarter)["2025-Q1"].value == pytest.approx(2900 / 6)  # the three months add up
    with pytest.raises(UsageError, match="cost per month"):
        compute_file("cost-per-resolution", path, config=cfg, period="week")


def test_cost_table_with_a_gap_counts_only_priced_resolutions(tmp_path):
    path = write(tmp_path, "tickets.csv", TICKETS)
    cfg = validate({"kpis": {"cost-per-resolution": {"costs": {"2025-01": 800, "2025-03": 1200}}}})
    m = by_period(compute_file("cost-per-resolution", path, config=cfg, period="month"))
    # Jan 800 / 4 = 200; Feb has no cost in the table; Mar 1200 / 2 = 600
    assert m["2025-01"].value == pytest.approx(200.0) and m["2025-03"].value == pytest.approx(600.0)
    assert m["2025-02"].value is None and m["2025-02"].breakdown["note"] == "no cost given for this period"
    q1 = by_period(compute_file("cost-per-resolution", path, config=cfg, period="quarter"))["2025-Q1"]
    # the quarter: (800 + 1200) / (4 + 2), priced for 2 of its 3 months
    assert q1.value == pytest.approx(2000 / 6) and q1.breakdown["note"].startswith("cost for 2 of 3 months")


def test_cost_per_resolution_cost_column_with_currency_amounts(tmp_path):
    path = write(tmp_path, "tickets.csv", TICKETS)
    r = compute_file("cost-per-resolution", path, period="month", since="2025-01-01", until="2025-02-01")
    jan = by_period(r)["2025-01"]
    # Jan costs: 1234.50 + 1234.50 + 0 (blank) + 10 = 2479 over 4 resolutions = 619.75
    assert jan.value == pytest.approx(619.75) and jan.breakdown["cost"] == pytest.approx(2479.0)
    assert "1 tickets with no cost counted as 0" in r.notes
    feb = by_period(compute_file("cost-per-resolution", path, period="month"))["2025-02"]
    # T5 is unresolved: its cost 31 is dated by created_at (February), which has no resolution
    assert feb.value is None and feb.breakdown["cost"] == 31.0 and feb.breakdown["note"] == "no resolutions"


def test_cost_per_resolution_clear_errors(tmp_path, capsys):
    path = write(tmp_path, "tickets.csv", TICKETS_NO_COST)
    code, _, err = run_cli(["cost-per-resolution", path], capsys)
    assert code == 2 and "needs the support cost" in err
    code, _, err = run_cli(["cost-per-resolution", path, "--cost", "1000", "--by", "ticket_id"], capsys)
    assert code == 2 and "cannot be split between groups" in err
    code, _, err = run_cli(["cost-per-resolution", path, "--cost", "lots"], capsys)
    assert code == 2 and "--cost 'lots'" in err


def test_cost_table_and_setting_parsers():
    table = parse_cost_table({"2025-05": 40000, "2025-06": "41,000"})
    assert list(table.values()) == [40000.0, 41000.0]
    with pytest.raises(ValueError, match="mixes"):
        parse_cost_table({"2025-05": 1, "2025-Q3": 2})
    with pytest.raises(ConfigError, match="kpis.cost-per-resolution.costs"):
        validate({"kpis": {"cost-per-resolution": {"costs": {"May": 1}}}})
    assert parse_months("36m") == 36 and parse_months("3y") == 36 and parse_months(18) == 18
    with pytest.raises(ValueError):
        parse_months("forever")
    assert parse_margin("0.4") == 0.4 and parse_margin("40%") == 0.4
    with pytest.raises(ValueError):
        parse_margin(40)


# ------------------------------------------------------------------ articles per visit
def test_articles_per_visit_rows_counts_and_visit_ids(tmp_path):
    per_visit = pd.DataFrame({"visit_id": ["v1", "v2", "v3"], "article_views": [1.0, 2.0, 6.0]})
    r = compute("kb", per_visit)
    # 9 views / 3 visits = 3
    assert r.value == pytest.approx(3.0) and r.n == 3 and r.interval is not None
    counts = pd.DataFrame({"visits": [10.0, 5.0, 0.0, 2.0], "article_views": [25.0, 5.0, 3.0, -1.0]})
    r = compute("kb", counts)
    # rows 3 (views without a visit) and 4 (negative) skipped: (25 + 5) / (10 + 5) = 2
    # n is the 2 rows used (the result's n is always rows); the 15 visits are in the breakdown
    assert r.value == pytest.approx(2.0) and r.n == 2 and r.breakdown["visits"] == 15
    assert r.skipped.counts == {"article views with 0 visits": 1, "article_views is negative": 1}
    path = write(tmp_path, "kb.csv", """
Visit ID,Visited At,Article Views
v1,2025-05-05 10:00,1
v1,2025-05-05 10:05,2
v2,2025-05-12 09:00,1
""")
    weeks = by_period(compute_file("kb", path, period="week"))
    # v1 has two rows (3 views, one visit) in ISO week 19; v2 one view in week 20
    assert weeks["2025-W19"].value == pytest.approx(3.0) and weeks["2025-W20"].value == pytest.approx(1.0)


# ------------------------------------------------------------------ common properties
BUSINESS_FRAMES = {
    "churn": TWELVE, "retention": TWELVE, "turnover": ROSTER, "clv": ORDERS.assign(amount=12.5),
    "kb": pd.DataFrame({"article_views": [1.0, 3.0, 2.0],
                        "visited_at": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-02-02"])}),
    "cost-per-resolution": pd.DataFrame({"resolved_at": pd.to_datetime(["2025-01-02", "2025-02-03", None]),
                                         "cost": [5.0, 7.0, 1.0], "created_at": pd.to_datetime(["2025-01-01"] * 3)}),
}


@pytest.mark.parametrize("name", sorted(BUSINESS_FRAMES))
def test_row_order_does_not_change_the_result(name):
    frame = BUSINESS_FRAMES[name]
    shuffled = frame.sample(frac=1.0, random_state=7)
    a = compute(name, frame, period="month")
    b = compute(name, shuffled, period="month")
    assert a.value == pytest.approx(b.value, nan_ok=True)
    assert [g.value for g in a.groups] == pytest.approx([g.value for g in b.groups], nan_ok=True)


@pytest.mark.parametrize("name", sorted(BUSINESS_FRAMES))
def test_empty_frame_gives_an_empty_result(name):
    empty = BUSINESS_FRAMES[name].iloc[:0]
    r = compute(name, empty, period="month")
    assert r.value is None and r.n == 0 and r.groups == ()


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_every_format_renders_business_results(fmt, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")  # a narrow table abbreviates cells
    code, out, err = run_cli(["churn", "sample_data/subscriptions.csv", "--by", "plan", "--period", "quarter",
                              "--format", fmt], capsys)
    assert code == 0, err
    assert "Enterprise" in out


def test_every_business_kpi_is_documented():
    from pathlib import Path

    doc = Path(__file__).resolve().parent.parent.joinpath("docs", "business.md").read_text(encoding="utf-8")
    for name in BUSINESS_FRAMES:
        assert f"`cxkpi {name}" in doc, name

"""Workload KPIs (volume, peak, topics): expected values worked out by hand in comments."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cxkpi.engine import compute
from cxkpi.errors import UsageError
from cxkpi.kpis.workload import peak_mask
from cxkpi.render import OutputFormat, render

ROOT = Path(__file__).resolve().parent.parent


def frame(rows: list[dict], times=()) -> pd.DataFrame:
    """Rows as the loader gives them: timestamps parsed, index = spreadsheet row (header = 1)."""
    df = pd.DataFrame(rows)
    for col in times:
        df[col] = pd.to_datetime(df[col])
    df.index = range(2, len(df) + 2)
    return df


# ------------------------------------------------------------------------------------------ volume
# ISO weeks: W23 = Mon 2025-06-02 .. Sun 06-08, W24 = 06-09 .. 06-15, W25 = 06-16 .. 06-22
def tickets_3_weeks() -> pd.DataFrame:
    return frame([
        dict(channel="email", created_at="2025-06-02 10:00", resolved_at="2025-06-03 10:00"),  # t1: W23 / W23
        dict(channel="email", created_at="2025-06-03 10:00", resolved_at="2025-06-10 10:00"),  # t2: W23 / W24
        dict(channel="chat", created_at="2025-06-04 10:00", resolved_at=None),                 # t3: W23 / open
        dict(channel="chat", created_at="2025-06-08 23:00", resolved_at="2025-06-09 01:00"),   # t4: W23 / W24
        dict(channel="email", created_at="2025-06-10 10:00", resolved_at="2025-06-17 10:00"),  # t5: W24 / W25
        dict(channel="chat", created_at="2025-06-11 10:00", resolved_at="2025-06-12 10:00"),   # t6: W24 / W24
        dict(channel="chat", created_at="2025-06-17 10:00", resolved_at=None),                 # t7: W25 / open
        dict(channel="chat", created_at="2025-06-18 10:00", resolved_at="2025-06-05 10:00"),   # t8: bad
        dict(channel="chat", created_at=None, resolved_at="2025-06-05 10:00"),                 # t9: no created
    ], ("created_at", "resolved_at"))


def by_period(result) -> dict:
    return {g.key["period"]: (g.breakdown["created"], g.breakdown["resolved"], g.breakdown["backlog"])
            for g in result.groups}


def test_volume_and_backlog_over_three_weeks():
    r = compute("volume", tickets_3_weeks(), period="week")
    # W23: created t1-t4 = 4, resolved t1 = 1 -> backlog 0 + 4 - 1 = 3
    # W24: created t5, t6 = 2, resolved t2, t4, t6 = 3 -> 3 + 2 - 3 = 2
    # W25: created t7 = 1, resolved t5 = 1 -> 2 + 1 - 1 = 2 (open: t3, t7)
    assert by_period(r) == {"2025-W23": (4, 1, 3), "2025-W24": (2, 3, 2), "2025-W25": (1, 1, 2)}
    assert [g.value for g in r.groups] == [4, 2, 1]  # the headline is tickets created
    # total: created 7, resolved 5, backlog 2
    assert (r.value, r.breakdown["resolved"], r.breakdown["backlog"]) == (7, 5, 2)
    assert r.skipped.counts == {"no created_at": 1, "resolved_at before created_at": 1}
    assert r.rows == 9


def test_volume_since_carries_the_opening_backlog():
    r = compute("volume", tickets_3_weeks(), period="week", since=pd.Timestamp("2025-06-09"))
    # open at Mon 06-09 00:00: t2 (resolved 06-10), t3 (open), t4 (resolved 06-09 01:00) -> 3
    # W24: 3 + 2 created - 3 resolved = 2; W25: 2 + 1 - 1 = 2
    assert by_period(r) == {"2025-W24": (2, 3, 2), "2025-W25": (1, 1, 2)}
    assert r.groups[0].breakdown["backlog_start"] == 3
    assert (r.breakdown["backlog_start"], r.value, r.breakdown["resolved"], r.breakdown["backlog"]) == (3, 3, 4, 2)


def test_volume_by_channel_per_week():
    r = compute("volume", tickets_3_weeks(), period="week", by=("channel",))
    got = {(g.key["channel"], g.key["period"]): (g.breakdown["created"], g.breakdown["resolved"],
                                                 g.breakdown["backlog"]) for g in r.groups}
    # email: W23 c2 (t1, t2) r1 (t1) -> 1; W24 c1 (t5) r1 (t2) -> 1; W25 c0 r1 (t5) -> 0
    # chat:  W23 c2 (t3, t4) r0 -> 2; W24 c1 (t6) r2 (t4, t6) -> 1; W25 c1 (t7) r0 -> 2
    assert got == {
        ("email", "2025-W23"): (2, 1, 1), ("email", "2025-W24"): (1, 1, 1), ("email", "2025-W25"): (0, 1, 0),
        ("chat", "2025-W23"): (2, 0, 2), ("chat", "2025-W24"): (1, 2, 1), ("chat", "2025-W25"): (1, 0, 2),
    }


def test_volume_fills_an_empty_week_and_carries_the_backlog():
    df = frame([
        dict(created_at="2025-06-02 10:00", resolved_at=None),
        dict(created_at="2025-06-03 10:00", resolved_at="2025-06-20 10:00"),
        dict(created_at="2025-06-18 10:00", resolved_at=None),
    ], ("created_at", "resolved_at"))
    r = compute("volume", df, period="week")
    # W23: 2 created -> 2; W24: nothing -> still 2; W25: 1 created, 1 resolved -> 2
    assert by_period(r) == {"2025-W23": (2, 0, 2), "2025-W24": (0, 0, 2), "2025-W25": (1, 1, 2)}


def test_volume_without_period_is_one_row():
    r = compute("volume", tickets_3_weeks())
    assert (r.value, r.n, r.breakdown["resolved"], r.breakdown["backlog"]) == (7, 7, 5, 2)
    assert r.groups == ()


# ------------------------------------------------------------------------------------------ peak
def small_peak_table() -> pd.DataFrame:
    return frame([
        dict(channel="web", created_at="2025-06-02 09:15", first_response_at="2025-06-02 09:25"),  # Mon 09 peak, 10
        dict(channel="web", created_at="2025-06-02 09:45", first_response_at="2025-06-02 10:05"),  # Mon 09 peak, 20
        dict(channel="mail", created_at="2025-06-02 12:00", first_response_at="2025-06-02 13:00"),  # Mon 12 off, 60
        dict(channel="mail", created_at="2025-06-03 11:59", first_response_at="2025-06-03 12:29"),  # Tue 11 peak, 30
        dict(channel="web", created_at="2025-06-07 10:00", first_response_at="2025-06-07 12:00"),  # Sat 10 off, 120
        dict(channel="mail", created_at="2025-06-08 23:30", first_response_at=None),  # Sun 23 off, unanswered
    ], ("created_at", "first_response_at"))


def test_peak_share_and_frt_peak_vs_offpeak():
    r = compute("peak", small_peak_table(), settings={"peak_hours": "Mon-Fri 09:00-12:00"})
    # peak: Mon 09:15, Mon 09:45, Tue 11:59 -> 3 of 6 = 50 % (12:00 itself is off-peak)
    assert r.value == pytest.approx(50)
    assert r.n == 6
    b = r.breakdown
    assert (b["peak"], b["offpeak"]) == (3, 3)
    # 5 days x 3 h = 15 of 168 hours = 8.928571 %
    assert b["peak_hours_pct"] == pytest.approx(100 * 15 / 168)
    # (3 / 15 h) / (3 / 153 h) = 10.2 tickets per peak hour for each off-peak one
    assert b["peak_load_ratio"] == pytest.approx(10.2)
    # median FRT: peak 10, 20, 30 -> 20 min; off-peak 60, 120 (unanswered not averaged) -> 90 min
    assert (b["frt_median_peak"], b["frt_median_offpeak"]) == pytest.approx((20, 90))
    assert b["busiest"] == "Mon 09:00"


def test_peak_heat_table_counts():
    r = compute("peak", small_peak_table(), settings={"peak_hours": "Mon-Fri 09:00-12:00"})
    heat = r.extra["heatmap"]
    counts = np.array(heat["counts"])
    assert counts.shape == (7, 24)
    expected = np.zeros((7, 24), dtype=int)
    expected[0, 9] = 2   # Mon 09:15, 09:45
    expected[0, 12] = 1  # Mon 12:00
    expected[1, 11] = 1  # Tue 11:59
    expected[5, 10] = 1  # Sat 10:00
    expected[6, 23] = 1  # Sun 23:30
    assert (counts == expected).all()
    assert heat["frt_median"][0][9] == pytest.approx(15)  # (10 + 20) / 2
    assert heat["frt_median"][6][23] is None  # unanswered only
    peak = np.array(heat["peak"])
    assert peak[0, 9:12].all() and not peak[0, 12] and not peak[5, 10] and peak.sum() == 15
    assert json.loads(render([r], OutputFormat.json))["heatmap"]["counts"][0][9] == 2


def test_peak_heat_table_renders_in_table_and_markdown():
    r = compute("peak", small_peak_table(), settings={"peak_hours": "Mon-Fri 09:00-12:00"})
    text = render([r], OutputFormat.table, width=140)
    assert "tickets by weekday × hour" in text
    mon = next(line for line in text.splitlines() if line.startswith("Mon "))
    # Mon row: hours 00..23 then the total; 2 tickets at 09, 1 at 12, 3 in all
    cells = ["0"] * 24
    cells[9], cells[12] = "2", "1"
    assert mon.split() == ["Mon", *cells, "3"]
    narrow = render([r], OutputFormat.table, width=80)  # two 12-hour halves
    assert sum(line.startswith("Mon ") for line in narrow.splitlines()) == 2
    md = render([r], OutputFormat.markdown)
    assert "| Mon | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | **2** | **0** | **0** | 1 |" in md


def test_peak_hours_may_cross_midnight():
    mask = peak_mask("Fri 22:00-02:00")
    # Fri 22:00 .. Sat 02:00 = 4 h; minute of week: Fri = day 4
    assert mask.sum() == 240
    assert mask[4 * 1440 + 22 * 60] and mask[5 * 1440 + 60] and not mask[5 * 1440 + 120]
    assert peak_mask("Sun 23:00-01:00")[0]  # wraps into Monday 00:00 of the week
    with pytest.raises(UsageError, match="unknown day"):
        peak_mask("Mon-Fry 09:00-12:00")


def test_peak_by_channel_and_invalid_frt_is_skipped():
    df = pd.concat([small_peak_table(), frame([
        dict(channel="web", created_at="2025-06-02 10:00", first_response_at="2025-06-02 09:00"),
    ], ("created_at", "first_response_at")).set_axis([8])])
    r = compute("peak", df, by=("channel",), settings={"peak_hours": "Mon-Fri 09:00-12:00"})
    # the same reason as the frt KPI gives (one computation serves both)
    assert r.skipped.counts == {"first_response_at before created_at (negative duration)": 1}
    groups = {g.key["channel"]: g for g in r.groups}
    # web: Mon 09:15, Mon 09:45 peak, Sat 10:00 off -> 2 / 3; mail: Tue 11:59 peak of 3 -> 1 / 3
    assert groups["web"].value == pytest.approx(200 / 3)
    assert groups["mail"].value == pytest.approx(100 / 3)


# ------------------------------------------------------------------------------------------ topics
def tagged() -> pd.DataFrame:
    return frame([
        # a: two tags; FRT 10, ART 100, satisfied (5)
        dict(channel="mail", tags="billing, refund", created_at="2025-06-02 09:00", first_response_at="2025-06-02 09:10",
             resolved_at="2025-06-02 10:40", satisfaction="5"),
        # b: FRT 20, unresolved, not satisfied (2)
        dict(channel="mail", tags="billing", created_at="2025-06-02 09:00", first_response_at="2025-06-02 09:20",
             resolved_at=None, satisfaction="2"),
        # c: billing twice counts once; FRT 60, ART 300, satisfied (4)
        dict(channel="chat", tags="refund,billing,billing", created_at="2025-06-02 09:00",
             first_response_at="2025-06-02 10:00", resolved_at="2025-06-02 14:00", satisfaction="4"),
        # d: no tags; FRT 40, no survey
        dict(channel="chat", tags=None, created_at="2025-06-02 09:00", first_response_at="2025-06-02 09:40",
             resolved_at=None, satisfaction=None),
        # e: trailing separator; FRT 50, not satisfied (3)
        dict(channel="chat", tags="login,", created_at="2025-06-02 09:00", first_response_at="2025-06-02 09:50",
             resolved_at=None, satisfaction="3"),
    ], ("created_at", "first_response_at", "resolved_at"))


def groups_by(result, key="tag") -> dict:
    return {g.key[key]: g for g in result.groups}


def test_tag_list_counts_once_per_tag():
    r = compute("topics", tagged(), settings={"count_by": "tags"})
    g = groups_by(r)
    # billing: a, b, c = 3 of 5 tickets = 60 %; refund: a, c = 40 %; login: e; (missing): d
    assert {k: v.n for k, v in g.items()} == {"billing": 3, "refund": 2, "(missing)": 1, "login": 1}
    assert g["billing"].value == pytest.approx(60)
    assert g["refund"].value == pytest.approx(40)
    # highest first, ties by name
    assert [grp.key["tag"] for grp in r.groups] == ["billing", "refund", "(missing)", "login"]
    # the total counts each ticket once: 5 tickets, 4 distinct labels
    assert (r.n, r.breakdown["topics"]) == (5, 4)
    assert r.group_by == ("tag",)


def test_topics_kpis_beside_each_tag():
    r = compute("topics", tagged(), settings={"count_by": "tags"})
    g = groups_by(r)
    # FRT mean: billing (10 + 20 + 60) / 3 = 30; refund (10 + 60) / 2 = 35; login 50
    assert g["billing"].breakdown["frt_mean"] == pytest.approx(30)
    assert g["refund"].breakdown["frt_mean"] == pytest.approx(35)
    assert g["login"].breakdown["frt_mean"] == pytest.approx(50)
    # ART: billing (100 + 300) / 2 = 200 (b unresolved)
    assert g["billing"].breakdown["art_mean"] == pytest.approx(200)
    # CSAT (4-5 satisfied on 1-5): billing a 5, b 2, c 4 -> 2 / 3; refund a, c -> 100 %; login 3 -> 0 %
    assert g["billing"].breakdown["csat_pct"] == pytest.approx(200 / 3)
    assert g["refund"].breakdown["csat_pct"] == pytest.approx(100)
    assert g["login"].breakdown["csat_pct"] == pytest.approx(0)
    assert g["(missing)"].breakdown["csat_n"] == 0
    # total, each ticket once: FRT (10 + 20 + 60 + 40 + 50) / 5 = 36; CSAT a, c of a, b, c, e = 50 %
    assert r.breakdown["frt_mean"] == pytest.approx(36)
    assert r.breakdown["csat_pct"] == pytest.approx(50)
    # hours: billing FRT 30 min = 0.5 h
    hours = groups_by(compute("topics", tagged(), settings={"count_by": "tags", "unit": "h"}))
    assert hours["billing"].breakdown["frt_mean"] == pytest.approx(0.5)


def test_topics_top_folds_the_rest_into_other():
    r = compute("topics", tagged(), settings={"count_by": "tags", "top": 1})
    g = groups_by(r)
    # billing kept (3); (other) = tickets with any other label: a (refund), c (refund), d, e -> 4 = 80 %
    assert {k: v.n for k, v in g.items()} == {"billing": 3, "(other)": 4}
    assert g["(other)"].value == pytest.approx(80)
    assert [grp.key["tag"] for grp in r.groups] == ["billing", "(other)"]


def test_topics_by_channel_share_within_the_channel():
    r = compute("topics", tagged(), by=("channel",), settings={"count_by": "tags"})
    got = {(grp.key["channel"], grp.key["tag"]): (grp.n, round(grp.value, 4)) for grp in r.groups}
    # mail (a, b): billing 2 of 2 = 100 %, refund 1 of 2 = 50 %
    # chat (c, d, e): billing 1 of 3, refund 1 of 3, login 1 of 3, (missing) 1 of 3
    third = round(100 / 3, 4)
    assert got == {("mail", "billing"): (2, 100.0), ("mail", "refund"): (1, 50.0),
                   ("chat", "(missing)"): (1, third), ("chat", "billing"): (1, third),
                   ("chat", "login"): (1, third), ("chat", "refund"): (1, third)}


def test_topics_from_the_topic_column():
    df = frame([dict(topic=t) for t in ("billing", "login", "billing", None, "billing", "login")])
    r = compute("topics", df)
    # billing 3 / 6 = 50 %, login 2 / 6, (missing) 1 / 6
    assert [(g.key["topic"], g.n) for g in r.groups] == [("billing", 3), ("login", 2), ("(missing)", 1)]
    assert r.groups[0].value == pytest.approx(50)
    assert "no satisfaction column on tickets: CSAT per topic is empty" in r.notes


def test_topics_invalid_durations_are_skipped():
    df = tagged()
    df.loc[3, "resolved_at"] = pd.Timestamp("2025-06-01 09:00")  # ticket b resolved before created
    r = compute("topics", df, settings={"count_by": "tags"})
    # the same reason as the resolution KPI gives (one computation serves both)
    assert r.skipped.counts == {"resolved_at before created_at (negative duration)": 1}
    assert groups_by(r)["billing"].n == 2


# ------------------------------------------------------------------------------------------ CLI
@pytest.fixture
def run(run_cli, monkeypatch):
    """run(*args) with the sample config -> (returncode, stdout, stderr) of the CLI in-process, from the repo
    root: a process per call only re-proved what test_cli's real-process test proves (exit code, clean stdout)."""
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(ROOT)

    def _run(*args: str) -> SimpleNamespace:
        code, out, err = run_cli(*args, "--config", "config.example.yaml")
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return _run


@pytest.fixture(scope="module")
def raw_tickets() -> pd.DataFrame:
    raw = pd.read_csv(ROOT / "sample_data/tickets.csv")
    created = pd.to_datetime(raw["Created At"], errors="coerce")
    resolved = pd.to_datetime(raw["Resolved At"])
    first = pd.to_datetime(raw["First Response At"])
    return raw.assign(created=created, resolved=resolved, first=first)


def test_cli_volume_by_month_matches_pandas(raw_tickets, run):
    t = raw_tickets
    ok = t["created"].notna() & ~(t["resolved"] < t["created"])
    created = t.loc[ok, "created"].dt.strftime("%Y-%m").value_counts()
    resolved = t.loc[ok, "resolved"].dropna().dt.strftime("%Y-%m").value_counts()
    p = run("volume", "--period", "month", "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    backlog = 0
    for g in out["groups"]:
        month = g["key"]["period"]
        c, r = int(created.get(month, 0)), int(resolved.get(month, 0))
        backlog += c - r
        assert (g["breakdown"]["created"], g["breakdown"]["resolved"], g["breakdown"]["backlog"]) == (c, r, backlog)
    assert backlog == int((ok & t["resolved"].isna()).sum())  # the final backlog = tickets still open


def test_cli_peak_heat_table_matches_pandas(raw_tickets, run):
    t = raw_tickets
    ok = t["created"].notna() & ~(t["first"] < t["created"])
    expected = pd.crosstab(t.loc[ok, "created"].dt.day_of_week, t.loc[ok, "created"].dt.hour)
    p = run("peak", "--peak-hours", "Mon-Fri 09:00-12:00", "--format", "json")
    assert p.returncode == 0, p.stderr
    counts = np.array(json.loads(p.stdout)["heatmap"]["counts"])
    assert (counts == expected.reindex(index=range(7), columns=range(24), fill_value=0).to_numpy()).all()
    table = run("peak", "--by", "channel", "--period", "month")
    assert table.returncode == 0 and "tickets by weekday × hour" in table.stdout


def test_cli_topics_by_tag_matches_pandas(raw_tickets, run):
    t = raw_tickets
    ok = t["created"].notna() & ~(t["first"] < t["created"]) & ~(t["resolved"] < t["created"])
    tags = t.loc[ok, "Tags"].str.split(",").explode().str.strip()
    tags = tags.reset_index().drop_duplicates()["Tags"].value_counts()
    p = run("topics", "--count-by", "tags", "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert {g["key"]["tag"]: g["n"] for g in out["groups"]} == tags.to_dict()
    assert out["groups"][0]["key"]["tag"] == tags.index[0]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
@pytest.mark.parametrize("kpi", ["volume", "peak", "topics"])
def test_cli_every_format_with_by_period_where(kpi, fmt, run):
    p = run(kpi, "--by", "priority", "--period", "month", "--where", "channel=email", "--format", fmt)
    assert p.returncode == 0, p.stderr
    assert "urgent" in p.stdout

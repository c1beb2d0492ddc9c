"""Contact-center KPIs (aht, aht-tickets, chat): expected values worked out by hand in comments."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cxkpi.engine import compute

ROOT = Path(__file__).resolve().parent.parent
T = pd.Timestamp


def frame(rows: list[dict], times=()) -> pd.DataFrame:
    """Rows as the loader gives them: timestamps parsed, index = spreadsheet row (header = 1)."""
    df = pd.DataFrame(rows)
    for col in times:
        df[col] = pd.to_datetime(df[col])
    df.index = range(2, len(df) + 2)
    return df


CALL_TIMES = ("queued_at", "answered_at", "ended_at")


def calls(hold_wrap: bool = True, talk: bool = True) -> pd.DataFrame:
    rows = [
        # c1: talk 240 + hold 60 + wrap 30 = 330 s; ASA 20 s
        dict(agent="ana", queued_at="2025-06-02 10:00:00", answered_at="2025-06-02 10:00:20",
             ended_at="2025-06-02 10:05:20", talk_seconds=240, hold_seconds=60, wrap_seconds=30),
        # c2: 180 + 0 + 60 = 240 s; ASA 40 s
        dict(agent="ben", queued_at="2025-06-02 10:01:00", answered_at="2025-06-02 10:01:40",
             ended_at="2025-06-02 10:04:40", talk_seconds=180, hold_seconds=0, wrap_seconds=60),
        # c3: queued, never answered -> abandoned
        dict(agent=None, queued_at="2025-06-02 10:02:00", answered_at=None, ended_at=None,
             talk_seconds=None, hold_seconds=None, wrap_seconds=None),
        # c4: no talk_seconds: connected 10:03:30 -> 10:09:30 = 360 s including 30 s hold,
        #     talk = 360 - 30 = 330; handle = 330 + 30 + 90 = 450 s (= connected + wrap); ASA 30 s
        dict(agent="ana", queued_at="2025-06-02 10:03:00", answered_at="2025-06-02 10:03:30",
             ended_at="2025-06-02 10:09:30", talk_seconds=None, hold_seconds=30, wrap_seconds=90),
        # c5: talk 70, empty hold (= 0), wrap 20 -> 90 s; ASA 10:04:00 -> 10:05:10 = 70 s
        dict(agent="ben", queued_at="2025-06-02 10:04:00", answered_at="2025-06-02 10:05:10",
             ended_at="2025-06-02 10:06:20", talk_seconds=70, hold_seconds=None, wrap_seconds=20),
    ]
    df = frame(rows, CALL_TIMES)
    if not hold_wrap:
        df = df.drop(columns=["hold_seconds", "wrap_seconds"])
    if not talk:
        df = df.drop(columns=["talk_seconds"])
    return df.astype({c: "float64" for c in df.columns if c.endswith("_seconds")})


def test_aht_with_hold_and_wrap_in_seconds():
    r = compute("aht", calls(), settings={"unit": "s"})
    # handles 330, 240, 450, 90 -> mean 1110 / 4 = 277.5 s
    assert r.value == pytest.approx(277.5)
    # the abandoned call counts in abandoned % (offered 5) but is outside AHT's rows: 4 handled
    assert r.n == 4 and r.rows == 4 and r.breakdown["offered"] == 5 and r.unit == "s"
    b = r.breakdown
    # sorted 90, 240, 330, 450: median (240 + 330) / 2 = 285; p90 at 0.9 * 3 = 2.7 -> 330 + 0.7 * 120 = 414
    assert b["median"] == pytest.approx(285)
    assert b["p90"] == pytest.approx(414)
    # talk (240 + 180 + 330 + 70) / 4 = 205; hold (60 + 0 + 30 + 0) / 4 = 22.5; wrap (30 + 60 + 90 + 20) / 4 = 50
    assert (b["talk_mean"], b["hold_mean"], b["wrap_mean"]) == pytest.approx((205, 22.5, 50))
    assert r.skipped.total == 0
    assert any("1 answered calls without talk_seconds" in n for n in r.notes)
    assert any("empty hold_seconds: counted as 0" in n for n in r.notes)


def test_aht_default_unit_is_minutes():
    r = compute("aht", calls())
    assert r.unit == "min"
    assert r.value == pytest.approx(277.5 / 60)  # 4.625 min


def test_aht_without_hold_and_wrap_columns_counts_them_as_zero():
    r = compute("aht", calls(hold_wrap=False), settings={"unit": "s"})
    # talk only: 240, 180, c4 connected 360 (no hold known), 70 -> (240 + 180 + 360 + 70) / 4 = 212.5
    assert r.value == pytest.approx(212.5)
    assert r.n == 4
    assert "hold_seconds not mapped: hold counted as 0" in r.notes
    assert "wrap_seconds not mapped: wrap counted as 0" in r.notes


def test_aht_from_timestamps_only_is_ended_minus_answered_plus_wrap():
    r = compute("aht", calls(talk=False), settings={"unit": "s"})
    # connected + wrap: c1 300 + 30 = 330, c2 180 + 60 = 240, c4 360 + 90 = 450, c5 70 + 20 = 90 -> 277.5
    assert r.value == pytest.approx(277.5)
    assert r.breakdown["talk_mean"] == pytest.approx(205)  # talk = connected - hold, as before
    assert any(n.startswith("talk_seconds not mapped") for n in r.notes)


def test_asa_and_abandonment():
    r = compute("aht", calls(), settings={"unit": "s"})
    b = r.breakdown
    # ASA over the 4 answered calls: 20, 40, 30, 70 -> mean 40, median 35
    assert b["asa_mean"] == pytest.approx(40)
    assert b["asa_median"] == pytest.approx(35)
    # 5 calls offered, 1 never answered -> 20 %
    assert (b["offered"], b["abandoned"]) == (5, 1)
    assert b["abandoned_pct"] == pytest.approx(20)


def test_aht_by_agent():
    r = compute("aht", calls(), by=("agent",), settings={"unit": "s"})
    groups = {g.key["agent"]: g for g in r.groups}
    # ana: c1 330 + c4 450 -> 390; ben: c2 240 + c5 90 -> 165; the abandoned call has no agent
    assert groups["ana"].value == pytest.approx(390)
    assert groups["ben"].value == pytest.approx(165)
    assert groups["(missing)"].n == 0
    assert groups["(missing)"].breakdown["abandoned_pct"] == pytest.approx(100)


def test_aht_invalid_rows_are_skipped_with_reasons():
    df = pd.concat([calls(), frame([
        # ended before answered
        dict(agent="ana", queued_at="2025-06-02 11:00:00", answered_at="2025-06-02 11:00:10",
             ended_at="2025-06-02 10:59:00", talk_seconds=None, hold_seconds=0, wrap_seconds=10),
        # answered before queued
        dict(agent="ana", queued_at="2025-06-02 11:00:00", answered_at="2025-06-02 10:59:50",
             ended_at="2025-06-02 11:05:00", talk_seconds=300, hold_seconds=0, wrap_seconds=10),
        # negative talk
        dict(agent="ben", queued_at="2025-06-02 11:00:00", answered_at="2025-06-02 11:00:10",
             ended_at="2025-06-02 11:05:00", talk_seconds=-5, hold_seconds=0, wrap_seconds=10),
        # hold longer than the whole connected time (60 s)
        dict(agent="ben", queued_at="2025-06-02 11:00:00", answered_at="2025-06-02 11:00:10",
             ended_at="2025-06-02 11:01:10", talk_seconds=None, hold_seconds=90, wrap_seconds=10),
    ], CALL_TIMES).set_axis(range(7, 11))]).astype({"talk_seconds": "float64", "hold_seconds": "float64",
                                                    "wrap_seconds": "float64"})
    r = compute("aht", df, settings={"unit": "s"})
    assert r.value == pytest.approx(277.5)  # unchanged: the four bad rows are not averaged
    assert r.rows == 8  # 9 rows less the abandoned call, which only abandoned % uses
    assert r.skipped.counts == {
        "ended_at before answered_at": 1,
        "answered_at before queued_at": 1,
        "talk_seconds is negative": 1,
        "hold_seconds longer than ended_at − answered_at": 1,
    }
    assert r.skipped.rows["ended_at before answered_at"] == (7,)


def test_aht_empty_selection():
    r = compute("aht", calls().iloc[:0])
    assert r.value is None and r.n == 0


# ---------------------------------------------------------------- tickets' handle_seconds
def test_aht_tickets_from_handle_seconds():
    df = frame([dict(handle_seconds=v) for v in (300, 600, -5, np.nan, 900)]).astype("float64")
    r = compute("aht-tickets", df)
    # 300, 600, 900 s -> mean 600 s = 10 min; -5 and the empty cell are skipped
    assert r.value == pytest.approx(10)
    assert r.n == 3
    assert r.skipped.counts == {"handle_seconds is negative": 1, "no handle_seconds": 1}
    assert compute("aht-tickets", df, settings={"stat": "median", "unit": "s"}).value == pytest.approx(600)


# ---------------------------------------------------------------- chats
CHAT_TIMES = ("requested_at", "accepted_at", "ended_at")


def chats() -> pd.DataFrame:
    return frame([
        # wait 30 s, duration 600 s
        dict(channel="web", requested_at="2025-06-02 09:00:00", accepted_at="2025-06-02 09:00:30",
             ended_at="2025-06-02 09:10:30"),
        # wait 90 s, duration 300 s
        dict(channel="web", requested_at="2025-06-02 09:01:00", accepted_at="2025-06-02 09:02:30",
             ended_at="2025-06-02 09:07:30"),
        # never accepted -> missed
        dict(channel="app", requested_at="2025-06-02 09:02:00", accepted_at=None, ended_at=None),
        # wait 45 s, still running (no duration)
        dict(channel="app", requested_at="2025-06-02 09:03:00", accepted_at="2025-06-02 09:03:45",
             ended_at=None),
        # accepted before requested -> skipped
        dict(channel="web", requested_at="2025-06-02 09:04:00", accepted_at="2025-06-02 09:03:00",
             ended_at="2025-06-02 09:08:00"),
        # ended before accepted -> skipped
        dict(channel="app", requested_at="2025-06-02 09:05:00", accepted_at="2025-06-02 09:05:10",
             ended_at="2025-06-02 09:05:00"),
    ], CHAT_TIMES)


def test_chat_wait_duration_and_missed():
    r = compute("chat", chats(), settings={"unit": "s"})
    # wait 30, 90, 45 -> mean 55 s (headline), median 45 s
    assert r.value == pytest.approx(55)
    # the missed chat counts in missed % but is outside the wait time's rows: 6 − 1 = 5
    assert r.n == 3 and r.rows == 5
    b = r.breakdown
    assert b["median"] == pytest.approx(45)
    # duration 600, 300 -> mean 450 s
    assert b["duration_mean"] == pytest.approx(450)
    # 4 usable requests, 1 never accepted -> 25 %
    assert (b["requested"], b["missed"]) == (4, 1)
    assert b["missed_pct"] == pytest.approx(25)
    assert r.skipped.counts == {"accepted_at before requested_at": 1, "ended_at before accepted_at": 1}
    assert r.skipped.rows["accepted_at before requested_at"] == (6,)


def test_chat_by_channel_and_minutes():
    r = compute("chat", chats(), by=("channel",))
    assert r.unit == "min"
    groups = {g.key["channel"]: g for g in r.groups}
    # web: waits 30, 90 -> 60 s = 1 min, none missed; app: wait 45 s = 0.75 min, 1 of 2 missed
    assert groups["web"].value == pytest.approx(1.0)
    assert groups["app"].value == pytest.approx(0.75)
    assert groups["app"].breakdown["missed_pct"] == pytest.approx(50)
    assert groups["web"].skipped.counts == {"accepted_at before requested_at": 1}


# ---------------------------------------------------------------- CLI on the sample exports
@pytest.fixture
def run(run_cli, monkeypatch):
    """run(*args) -> (returncode, stdout, stderr) of the CLI in-process, from the repo root: a process per
    call only re-proved what test_cli's real-process test proves (exit code, clean stdout)."""
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that table cells are not cut
    monkeypatch.chdir(ROOT)

    def _run(*args: str) -> SimpleNamespace:
        code, out, err = run_cli(*args)
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return _run


def test_cli_aht_on_sample_calls_matches_an_independent_pandas_computation(run):
    raw = pd.read_csv(ROOT / "sample_data/calls.csv")
    answered = raw["Answered At"].notna()
    expected = (raw["Talk Seconds"] + raw["Hold Seconds"] + raw["Wrap Seconds"])[answered].mean()
    asa = (pd.to_datetime(raw["Answered At"]) - pd.to_datetime(raw["Queued At"])).dt.total_seconds().mean()
    p = run("aht", "--config", "config.example.yaml", "--unit", "s", "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["value"] == pytest.approx(expected)
    assert out["n"] == int(answered.sum())
    assert out["breakdown"]["asa_mean"] == pytest.approx(asa)
    assert out["breakdown"]["abandoned"] == int((~answered).sum())


def test_cli_chat_on_sample_chats_every_format(run):
    raw = pd.read_csv(ROOT / "sample_data/chats.csv")
    missed = int(raw["Accepted At"].isna().sum())
    for fmt in ("table", "json", "csv", "markdown"):
        p = run("chat", "--config", "config.example.yaml", "--by", "channel", "--period", "month",
                "--format", fmt)
        assert p.returncode == 0, p.stderr
        assert "web" in p.stdout
    p = run("chat", "--config", "config.example.yaml", "--format", "json")
    assert json.loads(p.stdout)["breakdown"]["missed"] == missed


def test_cli_aht_tickets_reports_negative_handle_rows(run):
    p = run("aht-tickets", "--config", "config.example.yaml", "--format", "json")
    assert p.returncode == 0, p.stderr
    raw = pd.read_csv(ROOT / "sample_data/tickets.csv")
    negative = int((raw["Handle Seconds"] < 0).sum())
    assert json.loads(p.stdout)["skipped"]["reasons"]["handle_seconds is negative"]["count"] == negative

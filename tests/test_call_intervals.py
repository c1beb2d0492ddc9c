"""aht on a phone system's pre-aggregated report (source call_intervals): every value worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cxkpi.cli.app import main
from cxkpi.engine import compute
from cxkpi.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "call_report_daily.csv"


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    out, err = capsys.readouterr()
    return e.value.code, out, err


def day_report() -> pd.DataFrame:
    # the rows of sample_data/call_report_daily.csv (ASA, AHT in seconds)
    # day        offered answered abandoned  ASA  AHT  in SL
    # Mon 05-05    120     110       10       30  300    96
    # Tue 05-06     80      76        4       15  360    72
    # Wed 05-07    150     130       20       60  330    98
    # Thu 05-08    100      95        5       20  280    88
    # Fri 05-09     50      49        1       10  420    48
    out = pd.DataFrame({
        "interval_start": pd.to_datetime(["2025-05-05", "2025-05-06", "2025-05-07", "2025-05-08", "2025-05-09"]),
        "calls_offered": [120.0, 80, 150, 100, 50],
        "calls_answered": [110.0, 76, 130, 95, 49],
        "calls_abandoned": [10.0, 4, 20, 5, 1],
        "asa_seconds": [30.0, 15, 60, 20, 10],
        "aht_seconds": [300.0, 360, 330, 280, 420],
        "answered_in_sl": [96.0, 72, 98, 88, 48],
    })
    out.index = pd.RangeIndex(2, 7)
    return out


def test_day_report_pools_counts_and_weights_averages():
    r = compute("aht", day_report(), settings={"unit": "s"})
    assert r.source == "call_intervals" and r.rows == 5
    b = r.breakdown
    # abandonment = Σ abandoned / Σ offered = (10+4+20+5+1) / (120+80+150+100+50) = 40 / 500 = 8 %
    # (the average of the daily rates would be (8.33 + 5 + 13.33 + 5 + 2) / 5 = 6.73 %: wrong)
    assert (b["offered"], b["abandoned"], b["abandoned_pct"]) == (500, 40, 8)
    # AHT = Σ aht × answered / Σ answered = (300·110 + 360·76 + 330·130 + 280·95 + 420·49) / 460
    #     = (33000 + 27360 + 42900 + 26600 + 20580) / 460 = 150440 / 460 = 327.04 s (mean of the AHTs: 338)
    assert r.value == pytest.approx(150440 / 460) and r.n == 460
    # ASA = (30·110 + 15·76 + 60·130 + 20·95 + 10·49) / 460 = (3300 + 1140 + 7800 + 1900 + 490) / 460
    #     = 14630 / 460 = 31.80 s (mean of the ASAs: 27)
    assert b["asa_mean"] == pytest.approx(14630 / 460)
    # service level = Σ answered within SL / Σ offered = (96+72+98+88+48) / 500 = 402 / 500 = 80.4 %
    assert (b["in_service_level"], b["service_level_pct"]) == (402, pytest.approx(80.4))
    assert (b["answered"], b["intervals"]) == (460, 5)
    assert "median" not in b and "p90" not in b  # an export of averages has none
    # default unit minutes: 150440 / 460 / 60 = 5.4507 min
    assert compute("aht", day_report()).value == pytest.approx(150440 / 460 / 60)


def test_groups_pool_their_own_rows():
    f = day_report().assign(queue=["A", "A", "B", "B", "B"])
    g = {x.key["queue"]: x for x in compute("aht", f, by=("queue",), settings={"unit": "s"}).groups}
    # A: (300·110 + 360·76) / 186 = 60360 / 186 = 324.52; abandoned (10+4) / (120+80) = 7 %
    assert g["A"].value == pytest.approx(60360 / 186) and g["A"].breakdown["abandoned_pct"] == 7
    # B: (42900 + 26600 + 20580) / (130+95+49) = 90080 / 274 = 328.76; (20+5+1) / 300 = 8.67 %
    assert g["B"].value == pytest.approx(90080 / 274)
    assert g["B"].breakdown["abandoned_pct"] == pytest.approx(100 * 26 / 300)


def test_bad_rows_are_skipped_with_reasons_and_a_row_without_aht_adds_no_weight():
    f = day_report()
    f.loc[3, "calls_answered"] = 90.0       # Tue: 90 answered of 80 offered -> skipped
    f.loc[4, "aht_seconds"] = float("nan")  # Wed: no AHT -> in abandonment, not in AHT
    f.loc[5, "asa_seconds"] = -1.0          # Thu: negative ASA -> skipped
    r = compute("aht", f, settings={"unit": "s"})
    assert r.skipped.counts == {"calls_answered greater than calls_offered": 1, "asa_seconds is negative": 1}
    # AHT over Mon and Fri: (33000 + 20580) / (110 + 49) = 53580 / 159 = 336.98; n = 159 answered calls
    assert r.value == pytest.approx(53580 / 159) and r.n == 159
    # abandonment over Mon, Wed, Fri: (10 + 20 + 1) / (120 + 150 + 50) = 31 / 320 = 9.69 %
    assert r.breakdown["abandoned_pct"] == pytest.approx(100 * 31 / 320)
    assert any("1 rows with answered calls but no AHT: not in AHT" in n for n in r.notes)


def test_median_needs_one_row_per_call():
    with pytest.raises(UsageError, match="median and p90 need one row per call"):
        compute("aht", day_report(), settings={"stat": "median"})


def test_counts_only_give_abandonment_and_no_aht():
    f = day_report()[["interval_start", "calls_offered", "calls_abandoned"]]
    r = compute("aht", f)
    # no answered and no AHT: AHT absent (null, n = 0), abandonment still 40 / 500 = 8 %
    assert r.value is None and r.n == 0 and r.breakdown["abandoned_pct"] == 8
    assert any("aht_seconds not mapped" in n for n in r.notes)


def test_sample_day_report_from_the_cli(capsys):
    code, out, _ = run_cli(["aht", str(SAMPLE), "--unit", "s", "-f", "json", "-q"], capsys)
    assert code == 0
    d = json.loads(out)
    # the same five days as day_report(): 150440 / 460 s, 8 % abandoned, 80.4 % service level
    assert d["source"] == "call_intervals" and d["value"] == pytest.approx(150440 / 460, abs=1e-5)
    assert d["breakdown"]["abandoned_pct"] == 8 and d["breakdown"]["service_level_pct"] == 80.4


def test_fifteen_minute_intervals_under_other_header_spellings(tmp_path, capsys):
    # four 15-minute rows over two days, headers as other phone systems spell them; ASA and AHT as HH:MM:SS
    csv = tmp_path / "intervals.csv"
    csv.write_text("Interval,Offered,Calls Handled,Abandoned Calls,Avg Speed of Answer,Avg Handle Time\n"
                   "2025-05-05 09:00,10,8,2,00:00:20,00:04:00\n"
                   "2025-05-05 09:15,12,12,0,00:00:10,00:05:00\n"
                   "2025-05-06 09:00,6,4,2,00:01:00,00:06:00\n"
                   "2025-05-06 09:15,2,2,0,00:00:05,00:03:00\n")
    code, out, _ = run_cli(["aht", str(csv), "--unit", "s", "--period", "day", "-f", "json", "-q"], capsys)
    assert code == 0
    d = json.loads(out)
    days = {g["key"]["period"]: g for g in d["groups"]}
    # 05-05: AHT (240·8 + 300·12) / 20 = 5520 / 20 = 276 s; abandoned 2 / 22 = 9.09 %; ASA (160 + 120) / 20 = 14
    assert days["2025-05-05"]["value"] == 276 and days["2025-05-05"]["breakdown"]["asa_mean"] == 14
    assert days["2025-05-05"]["breakdown"]["abandoned_pct"] == pytest.approx(100 * 2 / 22, abs=1e-5)
    # 05-06: (360·4 + 180·2) / 6 = 1800 / 6 = 300 s; abandoned 2 / 8 = 25 %
    assert days["2025-05-06"]["value"] == 300 and days["2025-05-06"]["breakdown"]["abandoned_pct"] == 25
    # all: (5520 + 1800) / 26 = 281.54 s; abandoned 4 / 30 = 13.33 %
    assert d["value"] == pytest.approx(7320 / 26, abs=1e-5) and d["n"] == 26


def test_a_call_log_is_still_read_one_row_per_call(capsys):
    code, out, _ = run_cli(["aht", str(ROOT / "sample_data" / "calls.csv"), "-f", "json", "-q"], capsys)
    assert code == 0 and json.loads(out)["source"] == "calls"

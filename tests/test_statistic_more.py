"""More KPI statistics (cxkpi.reduce.statistic): the contact-center shapes, and their streamed files.

Expected values are worked out by hand in the comments; each statistic is added in several batch
splits (``_frames`` checks every split gives the frames of one batch).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cxkpi.partials import Partials
from cxkpi.reduce import statistic

from .test_statistic import _frames

NAN = np.nan


def _empty_total(stat, values: pd.DataFrame, settings: dict) -> pd.DataFrame:
    acc = Partials(stat, settings)
    acc.add(SimpleNamespace(values=values.iloc[:0], group_keys=[]))
    return acc.frames([])[0]


def test_duration_summary_of_ticket_handle_times():
    # team a: 10, 20, 60 min and one ticket without a handle time; b: 5 min. --stat p90 --unit h
    values = pd.DataFrame({"handle": [10.0, NAN, 20.0, 5.0, 60.0], "team": ["a", "a", "a", "b", "a"]})
    total, groups = _frames(statistic.duration_summary("handle"), values, ["team"], {"stat": "p90", "unit": "h"},
                            splits=(None, [1], [2, 4], [1, 2, 3, 4]))
    assert list(total.columns) == ["value", "n", "mean", "median", "p90"]
    # a: n 3, mean 30 min = 0.5 h, median 20 min; p90 rank 0.9 × 2 = 1.8 → 20 + 0.8 × 40 = 52 min
    a = groups.loc["a"]
    assert a["n"] == 3 and a["mean"] == pytest.approx(0.5) and a["median"] == pytest.approx(20 / 60)
    assert a["p90"] == pytest.approx(52 / 60) and a["value"] == a["p90"]
    # total: 5, 10, 20, 60 → p90 rank 2.7 → 20 + 0.7 × 40 = 48 min
    assert total.iloc[0]["n"] == 4 and total.iloc[0]["value"] == pytest.approx(48 / 60)
    empty = _empty_total(statistic.duration_summary("handle"), values, {})
    assert list(empty.columns) == ["value", "n", "mean", "median", "p90"]
    assert empty["n"].dtype == np.int64 and empty.iloc[0]["n"] == 0 and np.isnan(empty.iloc[0]["value"])


def _calls() -> pd.DataFrame:
    # agent a: two answered calls (handle 4 and 8 min) and one abandoned; agent b: one answered call
    # (6 min) whose fate the export cannot tell apart (abandoned NaN: no queued_at, no flag)
    return pd.DataFrame({
        "handle": [4.0, NAN, 8.0, 6.0], "talk": [3.0, NAN, 6.0, 5.0], "hold": [0.5, NAN, 1.0, 0.0],
        "wrap": [0.5, NAN, 1.0, 1.0], "asa": [1.0, NAN, 3.0, 2.0], "abandoned": [0.0, 1.0, 0.0, NAN],
        "agent": ["a", "a", "a", "b"],
    })


def test_handle_times_of_calls_with_abandonment_known_and_unknown():
    total, groups = _frames(statistic.handle_times(), _calls(), ["agent"], {"stat": "median"},
                            splits=(None, [1], [2], [1, 3]))
    cols = ["value", "n", "mean", "median", "p90", "talk_mean", "hold_mean", "wrap_mean", "asa_mean",
            "asa_median", "offered", "abandoned", "abandoned_pct"]
    assert list(total.columns) == cols and list(groups.columns) == cols
    a = groups.loc["a"]
    # a: handles 4, 8 → n 2, mean = median 6, p90 4 + 0.9 × 4 = 7.6; talk (3 + 6) / 2 = 4.5,
    # hold (0.5 + 1) / 2 = 0.75, wrap 0.75; asa 1, 3 → 2; 3 calls offered, 1 abandoned = 33.3 %
    assert (a["n"], a["mean"], a["median"], a["value"], a["talk_mean"], a["hold_mean"], a["wrap_mean"]) == \
        (2, 6.0, 6.0, 6.0, 4.5, 0.75, 0.75)
    assert a["p90"] == pytest.approx(7.6) and (a["asa_mean"], a["asa_median"]) == (2.0, 2.0)
    assert (a["offered"], a["abandoned"]) == (3, 1) and a["abandoned_pct"] == pytest.approx(100 / 3)
    # b: no call of known fate: offered, abandoned and the rate are absent (NaN), never 0
    assert np.isnan(groups.loc["b", "offered"]) and np.isnan(groups.loc["b", "abandoned_pct"])
    assert groups["offered"].dtype == np.float64  # as pandas' where made it: one group had none
    t = total.iloc[0]
    # total: handles 4, 6, 8 → mean = median 6, p90 rank 1.8 → 6 + 0.8 × 2 = 7.6; 3 known calls, 1 abandoned
    assert (t["n"], t["median"], t["offered"], t["abandoned"]) == (3, 6.0, 3, 1.0)
    assert t["p90"] == pytest.approx(7.6) and t["abandoned_pct"] == pytest.approx(100 / 3)
    assert total["offered"].dtype == np.int64 and total["n"].dtype == np.int64


def test_handle_times_empty_total_counts_zero():
    empty = _empty_total(statistic.handle_times(), _calls(), {})
    assert list(empty.columns)[:2] == ["value", "n"] and len(empty.columns) == 13
    row = empty.iloc[0]
    assert (row["n"], row["offered"], row["abandoned"]) == (0, 0, 0)
    assert empty[["n", "offered", "abandoned"]].dtypes.tolist() == [np.int64] * 3
    assert np.isnan(row["value"]) and np.isnan(row["abandoned_pct"])


def _intervals() -> pd.DataFrame:
    # a phone system's daily report, as aht's measure turns it into sums: day 1 offered 120, answered 110,
    # abandoned 10, ASA 30 s, AHT 300 s, 96 within the service level; day 2: 80, 76, 4, 15 s, 360 s, 72.
    # handle_w = AHT in minutes × answered (5 × 110 = 550, 6 × 76 = 456), asa_w likewise (0.5 × 110 = 55,
    # 0.25 × 76 = 19); a third day of another queue has counts but no AHT or ASA (no weight)
    return pd.DataFrame({
        "handle_w": [550.0, 456.0, NAN], "w_handle": [110.0, 76.0, NAN], "asa_w": [55.0, 19.0, NAN],
        "w_asa": [110.0, 76.0, NAN], "offered": [120.0, 80.0, 50.0], "abandoned": [10.0, 4.0, 5.0],
        "answered": [110.0, 76.0, 45.0], "in_sl": [96.0, 72.0, NAN], "sl_offered": [120.0, 80.0, NAN],
        "queue": ["support", "support", "sales"],
    })


def test_handle_times_pools_pre_aggregated_rows():
    total, groups = _frames(statistic.handle_times(), _intervals(), ["queue"], {"unit": "s"},
                            splits=(None, [1], [2], [1, 2]))
    cols = ["value", "n", "mean", "asa_mean", "offered", "abandoned", "abandoned_pct", "answered",
            "in_service_level", "service_level_pct", "intervals"]
    assert list(total.columns) == cols
    s = groups.loc["support"]
    # AHT = (550 + 456) / (110 + 76) = 1006 / 186 min × 60 = 324.52 s; ASA = 74 / 186 min × 60 = 23.87 s;
    # abandoned 14 / 200 = 7 %; service level 168 / 200 = 84 %; n = 186 answered calls behind the AHT
    assert s["value"] == pytest.approx(1006 / 186 * 60) and s["asa_mean"] == pytest.approx(74 / 186 * 60)
    assert (s["n"], s["offered"], s["abandoned"], s["intervals"]) == (186, 200, 14, 2)
    assert s["abandoned_pct"] == pytest.approx(7.0) and s["service_level_pct"] == pytest.approx(84.0)
    # sales: no AHT weight → n 0, AHT absent; abandoned 5 / 50 = 10 %; no service-level count → absent
    sales = groups.loc["sales"]
    assert sales["n"] == 0 and np.isnan(sales["value"]) and sales["abandoned_pct"] == pytest.approx(10.0)
    assert np.isnan(sales["service_level_pct"])
    t = total.iloc[0]
    # total: AHT as support's (the only weight); abandoned (10 + 4 + 5) / 250 = 7.6 %; 3 intervals
    assert t["value"] == pytest.approx(1006 / 186 * 60) and t["abandoned_pct"] == pytest.approx(7.6)
    assert t["intervals"] == 3 and t["answered"] == 231  # 110 + 76 + 45
    empty = _empty_total(statistic.handle_times(), _intervals(), {})
    assert list(empty.columns) == cols and (empty.iloc[0]["n"], empty.iloc[0]["intervals"]) == (0, 0)


def test_chat_waits_and_missed_share():
    # channel a: waits 1 and 3 min (durations 10, 20) and one missed chat; b: one chat, wait 2, no end
    values = pd.DataFrame({"wait": [1.0, NAN, 3.0, 2.0], "duration": [10.0, NAN, 20.0, NAN],
                           "missed": [False, True, False, False], "channel": ["a", "a", "a", "b"]})
    total, groups = _frames(statistic.chat_waits(), values, ["channel"], {}, splits=(None, [1], [2], [1, 3]))
    assert list(total.columns) == ["value", "n", "mean", "median", "p90", "duration_mean", "duration_median",
                                   "duration_p90", "requested", "missed", "missed_pct"]
    a = groups.loc["a"]
    # a: wait mean = median 2, p90 1 + 0.9 × 2 = 2.8; duration mean 15, p90 10 + 0.9 × 10 = 19;
    # 3 requested, 1 missed = 33.3 %
    assert (a["n"], a["value"], a["median"], a["duration_mean"], a["requested"], a["missed"]) == (2, 2, 2, 15, 3, 1)
    assert a["p90"] == pytest.approx(2.8) and a["duration_p90"] == pytest.approx(19)
    assert a["missed_pct"] == pytest.approx(100 / 3)
    assert groups.loc["b", "missed_pct"] == 0 and np.isnan(groups.loc["b", "duration_mean"])
    t = total.iloc[0]
    # total: waits 1, 3, 2 → p90 rank 1.8 → 2 + 0.8 × 1 = 2.8; 1 missed of 4 requested = 25 %
    assert (t["n"], t["requested"], t["missed"], t["missed_pct"]) == (3, 4, 1, 25.0)
    assert t["p90"] == pytest.approx(2.8)
    assert groups[["n", "requested", "missed"]].dtypes.tolist() == [np.int64] * 3
    empty = _empty_total(statistic.chat_waits(), values, {})
    assert (empty.iloc[0]["requested"], empty.iloc[0]["missed"]) == (0, 0) and np.isnan(empty.iloc[0]["value"])


# --------------------------------------------------------------------------- streamed files

def test_a_streamed_chat_file_adds_its_missed_chats_up(tmp_path, run_cli, monkeypatch):
    import cxkpi.io.load as load

    # 400 chats requested at 09:00; chat i is accepted i % 10 minutes later, except every 8th (missed)
    lines = ["chat_id,requested_at,accepted_at,channel"]
    for i in range(400):
        accepted = "" if i % 8 == 0 else f"2025-03-01 09:{i % 10:02d}:00"
        lines.append(f"C{i},2025-03-01 09:00:00,{accepted},{'web' if i % 2 else 'app'}")
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")  # ~45 rows a batch
    monkeypatch.setattr(load, "_concat", lambda *a: pytest.fail("the rows were joined: not streamed"))
    code, out, err = run_cli("chat", tmp_path / "c.csv", "--by", "channel", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    # 400 / 8 = 50 missed (12.5 %), said in one note though every batch has some
    assert data["breakdown"]["missed"] == 50 and data["breakdown"]["missed_pct"] == pytest.approx(12.5)
    assert "50 chats never accepted are not in the wait time; see missed %" in data["notes"]
    # accepted: per 40 rows (lcm of 8 and 10) i % 10 sums 180, less the missed i % 40 in 0, 8, 16, 24, 32
    # (i % 10 = 0, 8, 6, 4, 2: 20) = 160 over 35 chats; 10 such runs: 1600 / 350
    assert data["n"] == 350 and data["value"] == pytest.approx(1600 / 350)


def test_response_rate_over_invitation_rows_and_over_a_sent_count():
    from cxkpi.registry import get_kpi

    stat = get_kpi("response-rate").statistic
    # 7 invitations: channel a answered 1 of 3, b 3 of 4 → a 33.3 %, b 75 %, all 4 of 7 = 57.142857 %
    values = pd.DataFrame({"responded": [True, False, True, True, False, False, True],
                           "channel": ["a", "a", "b", "b", "b", "a", "b"]})
    splits = (None, [1], [3, 5], [1, 2, 4, 6])
    total, groups = _frames(stat, values, ["channel"], {"sent": None}, splits=splits)
    assert list(total.columns) == ["invitations", "responses", "value", "low", "high", "n"]
    assert total.iloc[0]["n"] == 7 and total.iloc[0]["responses"] == 4
    assert total.iloc[0]["value"] == pytest.approx(400 / 7)
    assert groups.loc["a", "value"] == pytest.approx(100 / 3) and groups.loc["b", "value"] == pytest.approx(75.0)
    # --sent 10: the total is 4 of the 10 invitations sent (40 %); a group still shows its own rows
    total, groups = _frames(stat, values, ["channel"], {"sent": 10}, splits=splits)
    assert total.iloc[0]["n"] == total.iloc[0]["invitations"] == 10 and total.iloc[0]["value"] == pytest.approx(40.0)
    assert groups.loc["b", "n"] == 4 and groups.loc["b", "value"] == pytest.approx(75.0)
    # --sent 3 with 4 responses: no rate over 100 %
    from cxkpi.errors import UsageError

    with pytest.raises(UsageError, match="4 responses but --sent is 3"):
        _frames(stat, values, ["channel"], {"sent": 3}, splits=(None,))

"""Values that were silently wrong: impossible dates, non-finite numbers, XLSX trailing rows,
per-group skips with --period, non-finite thresholds."""

from __future__ import annotations

import json

import pandas as pd

from cxkpi.io.values import _strptime, timestamps


# --- impossible calendar dates ------------------------------------------------------------------

def test_impossible_day_is_unreadable_not_rolled_over():
    s = pd.Series(["2025-01-05 10:00"] * 5 + ["2025-02-30 10:00", "2025-04-31 09:00", "2025-02-29 08:00",
                                              "2024-02-29 08:00", "2025-03-01 08:00"], dtype="string")
    parsed, bad = timestamps(s, "created_at")
    # Feb 30, Apr 31 and Feb 29 of 2025 do not exist (Arrow read them as Mar 2, May 1, Mar 1);
    # Feb 29 of the leap year 2024 and a real March 1 stay
    assert list(bad.index) == [5, 6, 7]
    assert parsed.isna().tolist() == [False] * 5 + [True, True, True, False, False]
    assert parsed[8] == pd.Timestamp("2024-02-29 08:00")
    assert parsed[9] == pd.Timestamp("2025-03-01 08:00")


def test_impossible_day_day_first_and_unpadded():
    s = pd.Series(["31.04.2025", "1.5.2025", "30.02.2025 10:00"], dtype="string")
    got = _strptime(s[:2], "%d.%m.%Y")
    assert got.isna().tolist() == [True, False]  # April has 30 days; 1 May is real
    assert got[1] == pd.Timestamp("2025-05-01")
    assert _strptime(s[2:], "%d.%m.%Y %H:%M").isna().all()


def test_frt_skips_ticket_on_february_30(run_cli, write):
    # three tickets; the one created on 2025-02-30 is unreadable → n 2, skipped 1;
    # mean of the other two: (30 + 60) / 2 = 45 minutes (it read 36.67 with the rolled-over day counted)
    path = write("t.csv", "ticket_id,created_at,first_response_at,channel\n"
                          "1,2025-01-10 10:00,2025-01-10 10:30,email\n"
                          "2,2025-01-11 09:00,2025-01-11 10:00,email\n"
                          "3,2025-02-30 10:00,2025-02-30 10:20,chat\n")
    code, out, err = run_cli("frt", path, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["n"] == 2
    assert result["value"] == 45.0
    assert result["skipped"]["total"] == 1
    assert result["skipped"]["reasons"] == {"created_at: unreadable value": {"count": 1, "rows": [4]}}


# --- non-finite and out-of-range numbers ------------------------------------------------------------

def test_parsers_refuse_inf_and_huge_numbers_with_a_reason():
    from cxkpi.io.values import durations, money, numbers, reasons

    s = pd.Series(["12", "inf", "-inf", "1e308", "nan", "x", "2e15", "1000000000000000"])
    for parse in (numbers, money, durations):
        parsed, bad = parse(s)
        # 12 and exactly 1e15 are read; "nan" is a missing token (not counted as unreadable)
        assert parsed.tolist()[0] == 12.0 and parsed.tolist()[7] == 1e15, parse.__name__
        assert parsed[1:7].isna().all(), parse.__name__
        assert bad.tolist() == ["inf", "-inf", "1e308", "x", "2e15"], parse.__name__
        assert reasons(bad).tolist() == ["not a finite number"] * 3 + ["unreadable value", "not a finite number"]
    # money no longer strips the exponent's letter: "1e3" is a thousand, not 13
    assert money(pd.Series(["1e3"]))[0].tolist() == [1000.0]


def test_numeric_columns_refuse_inf_too():
    import numpy as np

    from cxkpi.io.values import durations, numbers, reasons

    parsed, bad = numbers(pd.Series([1.0, np.inf, np.nan, -1e300]))
    assert parsed.isna().tolist() == [False, True, True, True]  # NaN stays missing, not unreadable
    assert list(bad.index) == [1, 3] and reasons(bad).tolist() == ["not a finite number"] * 2
    # 1e14 days = 1.44e17 minutes, beyond 1e15 once in minutes
    parsed, bad = durations(pd.Series([2.0, 1e14]), "d")
    assert parsed.tolist()[0] == 2880.0 and list(bad.index) == [1]


def test_frt_skips_an_infinite_duration(run_cli, write):
    # minutes 30, 60, inf: the inf row is skipped with its reason → mean (30 + 60) / 2 = 45 (it read inf)
    path = write("t.csv", "ticket_id,created_at,first_response_minutes\n"
                          "1,2025-01-10 10:00,30\n2,2025-01-11 09:00,60\n3,2025-01-12 10:00,inf\n")
    code, out, err = run_cli("frt", path, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["n"], result["value"]) == (2, 45.0)
    assert result["skipped"]["reasons"] == {"first_response_minutes: not a finite number": {"count": 1, "rows": [4]}}


def test_frt_values_whose_sum_overflows_are_skipped(run_cli, write):
    # 1e308 + 1e308 overflows to inf; both rows are beyond 1e15 and skipped → the mean is the one
    # readable value, 30
    path = write("t.csv", "ticket_id,created_at,first_response_minutes\n"
                          "1,2025-01-10 10:00,30\n2,2025-01-11 09:00,1e308\n3,2025-01-12 10:00,1e308\n")
    code, out, err = run_cli("frt", path, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["n"], result["value"]) == (1, 30.0)
    assert result["skipped"]["reasons"]["first_response_minutes: not a finite number"]["count"] == 2


# --- XLSX trailing rows ---------------------------------------------------------------------------

def test_xlsx_keeps_a_trailing_row_whose_read_columns_are_empty(run_cli, write, tmp_path):
    import openpyxl

    # responses 10 and 5, then a row with an id and no score: NPS reads score only, so the last row's
    # read columns are empty, yet it is a sheet row. Both files: rows 3, n 2, skipped 1 (empty score),
    # NPS = 100 × (1 promoter − 1 detractor) / 2 = 0
    rows = [("response_id", "score"), (1, 10), (2, 5), (3, None)]
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    xlsx = tmp_path / "s.xlsx"
    wb.save(xlsx)
    csv = write("s.csv", "response_id,score\n1,10\n2,5\n3,\n")
    got = []
    for path in (csv, xlsx):
        code, out, err = run_cli("nps", path, "--format", "json")
        assert code == 0, err
        r = json.loads(out)
        got.append((r["rows"], r["n"], r["value"], r["skipped"]["total"]))
    assert got == [(3, 2, 0.0, 1), (3, 2, 0.0, 1)]


def test_xlsx_still_drops_blank_sheet_rows_at_the_end(tmp_path):
    import openpyxl

    from cxkpi.io.load import LoadOptions
    from cxkpi.io.read import read_table

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in [("response_id", "score"), (1, 10), (2, 5)]:
        ws.append(r)
    ws.cell(row=9, column=1).value = None  # touched but empty cells below the data
    ws.cell(row=9, column=2).number_format = "0.00"
    wb.save(tmp_path / "s.xlsx")
    table = read_table(tmp_path / "s.xlsx", "s.xlsx", LoadOptions(), columns=["score"])
    assert list(table.frame.index) == [2, 3]  # two data rows (sheet rows 2 and 3), the blank ones are gone


# --- per-group skipped with --period --------------------------------------------------------------

NEGATIVE_FRT = ("ticket_id,created_at,first_response_at,channel\n"
                "1,2025-01-10 10:00,2025-01-10 10:30,email\n"   # row 2: 30 min
                "2,2025-01-11 09:00,2025-01-11 08:00,email\n"   # row 3: negative, email / 2025-01
                "3,2025-01-12 10:00,2025-01-12 10:20,chat\n"    # row 4: 20 min
                "4,2025-02-03 10:00,2025-02-03 11:00,email\n"   # row 5: 60 min
                "5,2025-02-04 10:00,2025-02-04 09:00,chat\n"    # row 6: negative, chat / 2025-02
                "6,,2025-02-04 09:00,chat\n")                   # row 7: no created_at, so no period


def _groups_of(out: str) -> dict:
    return {tuple(g["key"].values()): (g["n"], g["value"], g["skipped"]["total"]) for g in json.loads(out)["groups"]}


def test_skipped_rows_counted_in_their_group_and_period(run_cli, write):
    path = write("t.csv", NEGATIVE_FRT)
    code, out, err = run_cli("frt", path, "--by", "channel", "--period", "month", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["skipped"]["total"] == 3  # rows 3, 6, 7
    # the negative email ticket of January is skipped in email / 2025-01 (it read 0 there);
    # chat / 2025-02 has no measured ticket (row 6 was its only one), so it has no group row
    assert _groups_of(out) == {("chat", "2025-01"): (1, 20.0, 0),
                               ("email", "2025-01"): (1, 30.0, 1),
                               ("email", "2025-02"): (1, 60.0, 0)}


def test_skipped_rows_counted_in_their_period(run_cli, write):
    path = write("t.csv", NEGATIVE_FRT)
    code, out, err = run_cli("frt", path, "--period", "month", "--format", "json")
    assert code == 0, err
    # 2025-01: rows 2 and 4 → (30 + 20) / 2 = 25, row 3 skipped; 2025-02: row 5 → 60, row 6 skipped;
    # row 7 has no time: in the total's 3 only
    assert _groups_of(out) == {("2025-01",): (2, 25.0, 1), ("2025-02",): (1, 60.0, 1)}


# --- non-finite thresholds in the config ----------------------------------------------------------

def test_nan_and_infinite_thresholds_are_config_errors(write):
    import pytest

    from cxkpi.config import load_config
    from cxkpi.errors import ConfigError

    path = write("c.yaml", "kpis:\n  nps:\n    target: 40\n    warn: .nan\n    alert: -.inf\n"
                           "  sla:\n    frt_target: .inf\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    # a NaN alert compares false with every value, so it would never fire; each key is named, in file order
    assert str(exc.value).endswith("3 problems: kpis.nps.warn: expected a finite number, got .nan; "
                                   "kpis.nps.alert: expected a finite number, got -.inf; "
                                   "kpis.sla.frt_target: expected a finite number, got .inf")
    assert load_config(write("ok.yaml", "kpis:\n  nps:\n    target: 40\n    alert: -10.5\n")).kpis["nps"]["alert"] == -10.5


def test_report_with_a_nan_alert_exits_2_naming_the_key(run_cli, write):
    write("s.csv", "response_id,score\n1,10\n2,5\n")
    config = write("c.yaml", "sources:\n  surveys:\n    file: s.csv\nkpis:\n  nps:\n    alert: .nan\n")
    code, out, err = run_cli("report", "--config", config)
    assert code == 2 and out == ""
    assert "kpis.nps.alert: expected a finite number, got .nan" in err and len(err.strip().splitlines()) == 1


def test_a_time_on_the_last_day_python_holds_read_in_a_zone_west_of_utc_is_unreadable(tmp_path, run_cli):
    # 9999-12-31 23:00 in New York is 10000-01-01 04:00 UTC, beyond what a datetime holds: the row is
    # skipped as unreadable (as a year 10000 is), not a crash; T2 answers in 10 minutes
    (tmp_path / "t.csv").write_text("ticket_id,created_at,first_response_at\n"
                                    "T1,9999-12-31 23:00:00,9999-12-31 23:30:00\n"
                                    "T2,2025-01-01 09:00:00,2025-01-01 09:10:00\n", encoding="utf-8")
    code, out, err = run_cli("frt", tmp_path / "t.csv", "--timezone", "America/New_York", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["n"] == 1 and data["value"] == 10.0
    assert data["skipped"]["reasons"]["created_at: unreadable value"] == {"count": 1, "rows": [2]}

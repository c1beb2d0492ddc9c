"""Loading: encodings, delimiters, dates, numbers, and what only gets read."""

from __future__ import annotations

import pandas as pd
import pytest

from cxkpi.errors import InputError
from cxkpi.io import LoadOptions, load_source
from cxkpi.io import sniff, values


def test_detect_encoding():
    assert sniff.detect_encoding("a,b\n1,2".encode("utf-8-sig")) == "utf-8-sig"
    assert sniff.detect_encoding("a,b\n".encode("utf-16")) == "utf-16"
    assert sniff.detect_encoding("Score,Agent\n1,x\n".encode("utf-16-le")) == "utf-16-le"
    assert sniff.detect_encoding("Score,Agent\né".encode("utf-8")) == "utf-8"
    assert sniff.detect_encoding("Score;Agent\né€".encode("cp1252")) == "cp1252"


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_sniff_delimiter(delim):
    text = delim.join(["a", "b, with comma", "c"]).replace("b, with comma", '"b, with comma"') + "\n"
    text += delim.join(["1", "2", "3"]) + "\n"
    assert sniff.sniff_delimiter(text) == delim


def test_only_mapped_columns_are_read(write):
    path = write("t.csv", "Score,Secret,Channel\n10,x,a\n")
    ds = load_source(path, "surveys", ["score"], LoadOptions())
    assert list(ds.frame.columns) == ["score"]
    assert ds.frame.index.tolist() == [2]  # spreadsheet row numbers


def test_ragged_rows_are_counted_not_fatal(write):
    path = write("r.csv", "Score,Channel\n10,a\n9,b,extra\n0,c\n")
    ds = load_source(path, "surveys", ["score"], LoadOptions())
    assert len(ds.frame) == 2
    (reason, rows), = ds.bad_rows.items()
    assert "3 fields" in reason and len(rows) == 1


@pytest.mark.parametrize("text, expected", [
    ("2025-03-14 09:05:00", "2025-03-14 09:05:00"),
    ("2025-03-14T09:05:00", "2025-03-14 09:05:00"),
    ("2025-03-14", "2025-03-14 00:00:00"),
    ("14/03/2025 09:05", "2025-03-14 09:05:00"),
    ("03/14/2025 9:05 AM", "2025-03-14 09:05:00"),
    ("14.03.2025 09:05", "2025-03-14 09:05:00"),
])
def test_date_formats(text, expected):
    parsed, bad = values.timestamps(pd.Series([text, None]), "d")
    assert str(parsed.iloc[0]) == expected and bad.empty and pd.isna(parsed.iloc[1])


def test_day_first_detected_from_a_day_above_12():
    parsed, _ = values.timestamps(pd.Series(["03/04/2025", "25/04/2025"]), "d")
    assert parsed.dt.month.tolist() == [4, 4]


def test_ambiguous_dates_ask_for_dayfirst():
    with pytest.raises(InputError, match="dayfirst"):
        values.timestamps(pd.Series(["03/04/2025", "05/06/2025"]), "created")
    parsed, _ = values.timestamps(pd.Series(["03/04/2025"]), "d", dayfirst=True)
    assert (parsed.dt.day.iloc[0], parsed.dt.month.iloc[0]) == (3, 4)
    parsed, _ = values.timestamps(pd.Series(["03/04/2025"]), "d", dayfirst=False)
    assert (parsed.dt.day.iloc[0], parsed.dt.month.iloc[0]) == (4, 3)


def test_time_zones():
    # zoned input converted to the configured zone: 08:00Z = 09:00 in Berlin (CET, winter)
    parsed, _ = values.timestamps(pd.Series(["2025-01-10T08:00:00Z"]), "t", timezone="Europe/Berlin")
    assert str(parsed.iloc[0]) == "2025-01-10 09:00:00+01:00"
    # naive input is read in the configured zone
    parsed, _ = values.timestamps(pd.Series(["2025-07-10 08:00:00"]), "t", timezone="Europe/Berlin")
    assert str(parsed.iloc[0]) == "2025-07-10 08:00:00+02:00"
    # a column mixing both: the naive one read in the zone, then all in the zone
    parsed, bad = values.timestamps(pd.Series(["2025-01-10T08:00:00+00:00", "2025-01-10 08:00:00"]), "t",
                                    timezone="Europe/Berlin")
    assert [str(x) for x in parsed] == ["2025-01-10 09:00:00+01:00", "2025-01-10 08:00:00+01:00"]


def test_unparseable_dates_are_reported_not_dropped():
    parsed, bad = values.timestamps(pd.Series(["2025-01-01 10:00:00", "not a date", "", None]), "t")
    assert bad.tolist() == ["not a date"]
    assert parsed.isna().tolist() == [False, True, True, True]


@pytest.mark.parametrize("text, expected", [
    ("49.90", 49.90), ("$1,234.50", 1234.50), ("1.234,50 €", 1234.50), ("EUR 12", 12.0),
    ("1,234", 1234.0), ("12,5", 12.5), ("(12.00)", -12.0), ("-3", -3.0),
])
def test_money(text, expected):
    parsed, bad = values.money(pd.Series([text]))
    assert parsed.iloc[0] == pytest.approx(expected) and bad.empty


@pytest.mark.parametrize("text, unit, minutes", [
    ("90", "min", 90.0), ("1.5", "h", 90.0), ("01:30:00", "min", 90.0), ("1:30", "min", 90.0),
    ("1d 2h 3m", "min", 1440 + 120 + 3), ("PT1H30M", "min", 90.0), ("45s", "min", 0.75), ("3600", "s", 60.0),
])
def test_durations(text, unit, minutes):
    parsed, bad = values.durations(pd.Series([text]), unit)
    assert parsed.iloc[0] == pytest.approx(minutes) and bad.empty


def test_missing_tokens():
    assert values.text(pd.Series(["N/A", "-", " ", "null", "ok"])).isna().tolist() == [True, True, True, True, False]


def test_binary_file_is_refused(write):
    with pytest.raises(InputError, match="binary"):
        load_source(write("b.csv", bytes(range(256)) * 10), "surveys", ["score"])


def test_streamed_read_with_progress_gives_the_same_frame(write, monkeypatch):
    from cxkpi.io import read

    rows = "".join(f"{i % 11},{'ab'[i % 2]}\n" for i in range(5000))
    path = write("big.csv", "Score,Channel\n" + rows)
    plain = load_source(path, "surveys", ["score", "channel"], LoadOptions())
    monkeypatch.setattr(read, "PROGRESS_BYTES", 0)
    streamed = load_source(path, "surveys", ["score", "channel"], LoadOptions(progress=True))
    pd.testing.assert_frame_equal(plain.frame, streamed.frame)


def test_numbers_fast_path_agrees_with_the_careful_path():
    """Plain numbers go through one Arrow regex + cast; the rest through the careful path. The two
    give the same floats: 1 234 and 1.234,5 as people write them, 1e3 and +3 as programs do."""
    import numpy as np

    from cxkpi.io.values import _written_numbers, numbers

    cells = ["1", " 2 ", "1,234", "1.234,5", "12,5", "1 234", "1'234", "abc", None, "", "-5", "+3", "1e3",
             "inf", "1e308", "n/a", "-1.234,5", "1.", ".5", "0.1", "-0.25", "007"]
    parsed, bad = numbers(pd.Series(cells, dtype="string"))
    assert parsed.tolist()[:7] == [1.0, 2.0, 1234.0, 1234.5, 12.5, 1234.0, 1234.0]
    assert parsed.tolist()[10:13] == [-5.0, 3.0, 1000.0]
    assert parsed.tolist()[16:] == [-1234.5, 1.0, 0.5, 0.1, -0.25, 7.0]
    assert list(bad) == ["abc", "inf", "1e308"]
    rng = np.random.default_rng(7)
    plain = pd.Series([repr(float(v)) for v in rng.normal(0, 1e6, 5000)], dtype="string")
    fast, _ = numbers(plain)
    assert np.array_equal(fast.to_numpy(), _written_numbers(plain).to_numpy())

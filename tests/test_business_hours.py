"""Tests for cxkpi.kpis.business_hours (expected values worked out by hand in comments)."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

import numpy as np
import pandas as pd
import pytest

from cxkpi.kpis.business_hours import Schedule, ScheduleError, business_minutes

OFFICE = "Mon-Fri 09:00-17:00"


def bm(starts, ends, schedule):
    """business_minutes on naive (or already-typed) values, as a list."""
    s = pd.Series(pd.to_datetime(pd.Series(starts, dtype=object)))
    e = pd.Series(pd.to_datetime(pd.Series(ends, dtype=object)))
    return business_minutes(s, e, schedule).tolist()


def one(start, end, schedule):
    return bm([start], [end], schedule)[0]


# ----------------------------------------------------------------- basics
def test_friday_evening_to_monday_morning_is_60():
    # Fri 2025-06-06 16:30 -> 17:00 = 30; weekend closed; Mon 09:00 -> 09:30 = 30
    assert one("2025-06-06 16:30", "2025-06-09 09:30", Schedule.parse(OFFICE)) == 60


def test_public_holiday_in_between_is_skipped():
    # DE: Fri 2025-10-03 is German Unity Day.
    # Thu 16:00 -> 17:00 = 60; Fri holiday = 0; weekend = 0; Mon 09:00 -> 10:00 = 60
    sched = Schedule.parse(OFFICE, timezone="Europe/Berlin", holidays="DE")
    assert one("2025-10-02 16:00", "2025-10-06 10:00", sched) == 120
    # without holidays the Friday counts: 60 + 480 + 60
    assert one("2025-10-02 16:00", "2025-10-06 10:00", Schedule.parse(OFFICE, "Europe/Berlin")) == 600


def test_subdivision_holiday():
    # 2025-06-19 (Thu) is Corpus Christi: a holiday in Bavaria (DE-BY), not in Berlin (DE-BE)
    by = Schedule.parse(OFFICE, "Europe/Berlin", holidays="DE-BY")
    be = Schedule.parse(OFFICE, "Europe/Berlin", holidays="de-be")
    assert one("2025-06-19 10:00", "2025-06-19 12:00", by) == 0
    assert one("2025-06-19 10:00", "2025-06-19 12:00", be) == 120
    assert be.holidays_country == "DE" and be.holidays_subdiv == "BE"


def test_weekend_only_is_zero():
    # Sat 2025-06-07 10:00 -> Sun 2025-06-08 18:00: nothing open
    assert one("2025-06-07 10:00", "2025-06-08 18:00", Schedule.parse(OFFICE)) == 0


def test_both_inside_same_day():
    # Tue 10:15 -> 14:45 = 4h30 = 270
    assert one("2025-06-10 10:15", "2025-06-10 14:45", Schedule.parse(OFFICE)) == 270


def test_outside_hours_counts_from_next_opening_and_to_last_closing():
    sched = Schedule.parse(OFFICE)
    assert one("2025-06-10 07:00", "2025-06-10 10:00", sched) == 60  # from 09:00
    assert one("2025-06-10 16:00", "2025-06-10 20:00", sched) == 60  # up to 17:00
    assert one("2025-06-10 18:00", "2025-06-11 09:45", sched) == 45  # next opening Wed 09:00
    assert one("2025-06-10 18:00", "2025-06-11 08:00", sched) == 0  # closed all along


def test_exact_not_rounded():
    sched = Schedule.parse(OFFICE)
    # 30 seconds = 0.5 min; 09:00 -> 09:00:01.5 = 0.025 min
    assert one("2025-06-10 08:59:00", "2025-06-10 09:00:30", sched) == 0.5
    assert one("2025-06-10 09:00:00", "2025-06-10 09:00:01.5", sched) == pytest.approx(0.025, abs=1e-12)


# ------------------------------------------------------------- time zones
def test_dst_spring_forward_counts_real_time():
    # 24/7 Berlin: 01:30 CET (00:30Z) -> 03:30 CEST (01:30Z) = 60 real minutes
    sched = Schedule.parse("24/7", "Europe/Berlin")
    assert one("2025-03-30 01:30", "2025-03-30 03:30", sched) == 60
    # nonexistent naive 02:30 shifts forward to 03:00 CEST: 03:00 -> 04:00 = 60
    assert one("2025-03-30 02:30", "2025-03-30 04:00", sched) == 60


def test_dst_fall_back_counts_real_time():
    # 24/7 Berlin: 01:30 CEST (23:30Z) -> 03:30 CET (02:30Z) = 180 real minutes
    sched = Schedule.parse("24/7", "Europe/Berlin")
    assert one("2025-10-26 01:30", "2025-10-26 03:30", sched) == 180
    # ambiguous naive 02:30 takes the first occurrence (CEST, 00:30Z): 01:30 -> 02:30 = 60
    assert one("2025-10-26 01:30", "2025-10-26 02:30", sched) == 60


def test_range_0200_0300_on_dst_nights():
    # "Sun 02:00-03:00" in Berlin; count the whole Sunday
    sched = Schedule.parse("Sun 02:00-03:00", "Europe/Berlin")
    # spring forward: 02:00 does not exist -> shifted to 03:00 -> empty range
    assert one("2025-03-30 00:00", "2025-03-30 23:59", sched) == 0
    # fall back: 02:00 CEST (00:00Z) .. 03:00 CET (02:00Z) = 120
    assert one("2025-10-26 00:00", "2025-10-26 23:59", sched) == 120
    # an ordinary Sunday: 60
    assert one("2025-10-19 00:00", "2025-10-19 23:59", sched) == 60


def test_tz_aware_utc_input_is_converted():
    sched = Schedule.parse(OFFICE, "Europe/Berlin")
    start = pd.Series(pd.to_datetime(["2025-06-10 06:00", "2025-01-14 07:00"]).tz_localize("UTC"))
    end = pd.Series(pd.to_datetime(["2025-06-10 08:00", "2025-01-14 09:00"]).tz_localize("UTC"))
    # summer: 06:00Z = 08:00 CEST -> 08:00Z = 10:00 CEST: 09:00-10:00 = 60
    # winter: 07:00Z = 08:00 CET  -> 09:00Z = 10:00 CET:  09:00-10:00 = 60
    assert business_minutes(start, end, sched).tolist() == [60, 60]
    # any zone: 03:00 New York (EDT) = 09:00 Berlin (CEST) -> 05:00 NY = 11:00 Berlin: 120
    ny = pd.Series([pd.Timestamp("2025-06-10 03:00", tz="America/New_York")])
    ny_end = pd.Series([pd.Timestamp("2025-06-10 05:00", tz="America/New_York")])
    assert business_minutes(ny, ny_end, sched).tolist() == [120]


def test_object_and_string_columns():
    sched = Schedule.parse(OFFICE, "Europe/Berlin")
    # object column of Timestamps in different zones, and of naive Timestamps
    start = pd.Series(
        [pd.Timestamp("2025-06-10 07:00", tz="UTC"), pd.Timestamp("2025-06-10 09:00", tz="Europe/Berlin")],
        dtype=object,
    )
    end = pd.Series([pd.Timestamp("2025-06-10 10:00"), pd.Timestamp("2025-06-10 11:00")], dtype=object)
    # 07:00Z = 09:00 Berlin -> 10:00 = 60; 09:00 -> 11:00 = 120
    assert business_minutes(start, end, sched).tolist() == [60, 120]
    s = pd.Series(["2025-06-06 16:30", "2025-06-10 10:00"])
    e = pd.Series(["2025-06-09 09:30", "2025-06-10 10:30"])
    assert business_minutes(s, e, sched).tolist() == [60, 30]


# --------------------------------------------------------- schedule shapes
def test_split_shift():
    # 11:30 -> 12:00 = 30, lunch closed, 13:00 -> 13:30 = 30
    sched = Schedule.parse("Mon-Fri 09:00-12:00,13:00-17:00")
    assert sched.ranges[0] == ((540, 720), (780, 1020))
    assert one("2025-06-10 11:30", "2025-06-10 13:30", sched) == 60


def test_night_shift_crosses_midnight():
    sched = Schedule.parse("Mon-Sun 22:00-06:00")
    assert sched.ranges[0] == ((1320, 1800),)
    # Tue 21:00 -> Wed 07:00: 22:00 -> 06:00 = 480
    assert one("2025-06-10 21:00", "2025-06-11 07:00", sched) == 480
    # Wed 05:00 -> 23:00: 05:00-06:00 (Tue's shift) + 22:00-23:00 = 120
    assert one("2025-06-11 05:00", "2025-06-11 23:00", sched) == 120


def test_night_shift_belongs_to_the_day_it_starts():
    sched = Schedule.parse("Fri 22:00-06:00")
    # Sat 01:00 -> 05:00 is inside Friday's shift = 240
    assert one("2025-06-14 01:00", "2025-06-14 05:00", sched) == 240
    # Sun 22:00 -> Mon 06:00: no Sunday shift = 0
    assert one("2025-06-15 22:00", "2025-06-16 06:00", sched) == 0
    # closing Friday 2025-06-13 closes the whole shift, Saturday morning included
    closed = Schedule.parse("Fri 22:00-06:00", closed_dates=["2025-06-13"])
    assert one("2025-06-14 01:00", "2025-06-14 05:00", closed) == 0


def test_end_at_2400():
    sched = Schedule.parse("Mon-Fri 18:00-24:00")
    assert sched.ranges[1] == ((1080, 1440),)
    # Tue 23:00 -> 24:00 = 60, Wed 18:00 -> 19:00 = 60
    assert one("2025-06-10 23:00", "2025-06-11 19:00", sched) == 120


def test_closed_dates():
    sched = Schedule.parse(OFFICE, closed_dates=[dt.date(2025, 6, 10), "2025-06-12"])
    assert sched.closed_dates == frozenset({dt.date(2025, 6, 10), dt.date(2025, 6, 12)})
    # Mon 16:00 -> 17:00 = 60; Tue closed; Wed 09:00 -> 10:00 = 60
    assert one("2025-06-09 16:00", "2025-06-11 10:00", sched) == 120


def test_overlapping_ranges_are_not_double_counted():
    sched = Schedule.parse("Mon-Fri 09:00-17:00; Mon 12:00-20:00")
    # Mon 08:00 -> 21:00: union 09:00-20:00 = 660
    assert one("2025-06-09 08:00", "2025-06-09 21:00", sched) == 660


def test_direct_construction():
    sched = Schedule(ranges={0: ((540, 1020),)}, timezone="Europe/Berlin")
    assert one("2025-06-09 08:00", "2025-06-09 10:00", sched) == 60
    empty = Schedule(ranges={})
    assert one("2025-06-09 08:00", "2025-06-09 10:00", empty) == 0


# ------------------------------------------------------- missing / skipped
def test_end_before_start_and_missing_are_nan():
    sched = Schedule.parse(OFFICE)
    res = bm(
        ["2025-06-10 12:00", None, "2025-06-10 10:00", "2025-06-10 10:00"],
        ["2025-06-10 11:00", "2025-06-10 11:00", None, "2025-06-10 10:00"],
        sched,
    )
    assert math.isnan(res[0])  # end < start
    assert math.isnan(res[1]) and math.isnan(res[2])  # missing
    assert res[3] == 0  # same instant


def test_all_missing_and_empty_and_index():
    sched = Schedule.parse(OFFICE)
    nat = pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]")
    assert business_minutes(nat, nat, sched).isna().all()
    e = pd.Series([], dtype="datetime64[ns]")
    out = business_minutes(e, e, sched)
    assert len(out) == 0 and out.dtype == np.float64
    idx = pd.Index([10, 20])
    s = pd.Series(pd.to_datetime(["2025-06-10 10:00", "2025-06-10 11:00"]), index=idx)
    out = business_minutes(s, s + pd.Timedelta(hours=1), sched)
    assert out.index.equals(idx) and out.tolist() == [60, 60]


# ---------------------------------------------------------------- parsing
def test_parse_variants():
    assert Schedule.parse("24/7").ranges == {d: ((0, 1440),) for d in range(7)}
    s = Schedule.parse("monday,WEDNESDAY, Fri 09:00-17:00")
    assert set(s.ranges) == {0, 2, 4}
    s = Schedule.parse("Mon-Fri 09:00-12:00, 13:00-17:00; Sat 10:00-14:00")
    assert s.ranges[5] == ((600, 840),) and s.ranges[4] == ((540, 720), (780, 1020))
    assert Schedule.parse("Sat 10:00-14:00").ranges == {5: ((600, 840),)}
    assert set(Schedule.parse("Mon-Sun 08:00-20:00").ranges) == set(range(7))
    assert set(Schedule.parse("Fri-Mon 08:00-20:00").ranges) == {4, 5, 6, 0}


@pytest.mark.parametrize(
    "text",
    ["Mon-Fri 09:00-17:00", "Mon,Wed,Fri 09:00-12:00,13:00-17:00; Sat 10:00-14:00", "24/7", "Mon-Sun 22:00-06:00"],
)
def test_describe_round_trips(text):
    sched = Schedule.parse(text)
    hours = sched.describe().rsplit(" ", 1)[0]
    assert Schedule.parse(hours).ranges == sched.ranges


def test_describe():
    sched = Schedule.parse(OFFICE, "Europe/Berlin", "DE-BY", ["2025-12-24", "2025-12-31"])
    assert sched.describe() == "Mon-Fri 09:00-17:00 Europe/Berlin, holidays DE-BY, 2 closed dates"
    assert Schedule.parse("24/7").describe() == "24/7 UTC"
    assert Schedule.parse("Sat 10:00-14:00", closed_dates=["2025-01-04"]).describe() == (
        "Sat 10:00-14:00 UTC, 1 closed date"
    )


def test_schedule_error_unknown_day():
    with pytest.raises(ScheduleError) as exc:
        Schedule.parse("Mon-Fry 09:00-17:00")
    assert str(exc.value) == (
        'invalid business hours "Mon-Fry 09:00-17:00": unknown day "Fry" (expected e.g. "Mon-Fri 09:00-17:00")'
    )


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty schedule"),
        ("Mon-Fri", "has no time range"),
        ("09:00-17:00", "has no days"),
        ("Mon-Fri 9-17", 'bad time "9"'),
        ("Mon-Fri 09:00-25:00", 'bad time "25:00"'),
        ("Mon-Fri 09:00-09:00", "is empty"),
        ("Mon-Fri 24:00-06:00", "cannot start at 24:00"),
        ("Mon-Fri 09:00", "bad time range"),
    ],
)
def test_schedule_error_bad_text(text, fragment):
    with pytest.raises(ScheduleError) as exc:
        Schedule.parse(text)
    msg = str(exc.value)
    assert fragment in msg and msg.startswith("invalid business hours") and "\n" not in msg
    assert 'expected e.g. "Mon-Fri 09:00-17:00"' in msg


def test_schedule_error_bad_zone_and_country():
    with pytest.raises(ScheduleError, match=r'unknown time zone "Europe/Berln" \(expected an IANA name'):
        Schedule.parse(OFFICE, timezone="Europe/Berln")
    with pytest.raises(ScheduleError, match=r'unknown holiday country "XX" \(expected an ISO country code'):
        Schedule.parse(OFFICE, holidays="XX")
    with pytest.raises(ScheduleError, match=r'unknown holiday subdivision "ZZ" for DE'):
        Schedule.parse(OFFICE, holidays="DE-ZZ")
    assert issubclass(ScheduleError, ValueError)


# ------------------------------------------------- brute-force reference
def _open_minute(local_day: dt.date, minute: int, ranges, closed) -> bool:
    """Is wall minute `minute` of `local_day` open? (own ranges, or yesterday's past-midnight ranges)."""
    if local_day not in closed:
        for a, b in ranges.get(local_day.weekday(), ()):
            if a <= minute < b:
                return True
    prev = local_day - dt.timedelta(days=1)
    if prev not in closed:
        for a, b in ranges.get(prev.weekday(), ()):
            if a <= minute + 1440 < b:
                return True
    return False


def _brute_force(starts_utc, ends_utc, sched, t0_utc, n_minutes):
    """Count open minutes one UTC minute at a time (inputs are whole UTC minutes)."""
    tz = zoneinfo.ZoneInfo(sched.timezone)
    closed = set(sched.closed_dates)
    if sched.holidays_country:
        import holidays

        closed |= set(holidays.country_holidays(sched.holidays_country, years=[t0_utc.year]).keys())
    is_open = np.zeros(n_minutes, dtype=np.int64)
    for k in range(n_minutes):
        local = (t0_utc + dt.timedelta(minutes=k)).astimezone(tz)
        is_open[k] = _open_minute(local.date(), local.hour * 60 + local.minute, sched.ranges, closed)
    cum = np.concatenate([[0], np.cumsum(is_open)])
    return [int(cum[e] - cum[s]) if e >= s else math.nan for s, e in zip(starts_utc, ends_utc)]


@pytest.mark.parametrize(
    "text, tz, holidays, closed",
    [
        # naive UTC schedule with holidays (Good Friday 18 Apr, Easter Monday 21 Apr) and a closed date
        ("Mon-Fri 09:00-12:00,12:30-17:45; Sat 10:00-14:00; Sun 22:00-02:30", "UTC", "DE", ["2025-04-09"]),
        # Berlin across the spring DST change; boundaries away from 02:00-03:00 so wall minutes are unambiguous
        ("Mon-Fri 08:00-18:00; Sat 21:00-04:00", "Europe/Berlin", None, ["2025-04-02"]),
    ],
)
def test_matches_brute_force_on_random_rows(text, tz, holidays, closed):
    sched = Schedule.parse(text, tz, holidays=holidays, closed_dates=closed)
    t0 = dt.datetime(2025, 3, 20, tzinfo=dt.timezone.utc)
    n_minutes = 40 * 1440
    rng = np.random.default_rng(42)
    n = 3000
    s_min = rng.integers(0, n_minutes, n)
    e_min = np.clip(s_min + rng.integers(-600, 12 * 1440, n), 0, n_minutes)
    expected = _brute_force(s_min, e_min, sched, t0, n_minutes)

    base = pd.Timestamp(t0)
    start = pd.Series(base + pd.to_timedelta(s_min, unit="min"))
    end = pd.Series(base + pd.to_timedelta(e_min, unit="min"))
    if tz == "UTC":  # naive input read in the schedule zone
        start, end = start.dt.tz_localize(None), end.dt.tz_localize(None)
    got = business_minutes(start, end, sched).to_numpy()
    np.testing.assert_array_equal(got, np.array(expected, dtype=float))
    assert np.isnan(got).sum() == (e_min < s_min).sum() > 0

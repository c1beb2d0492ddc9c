"""Calendars beyond the week: special dates, one schedule per team, schedule changes (docs/business-hours.md).

Every expected value is worked out by hand in a comment. Dates used: 2025-12-24 is a Wednesday (not a
German public holiday), 12-25 / 12-26 are DE holidays, 12-27 a Saturday, 2026-01-01 a DE holiday;
2025-07-04 (Fri) is a US holiday; 2025-10-03 (Fri) a DE holiday. Berlin is UTC+2 in summer, UTC+1 in
winter; New York UTC-4 in summer.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxkpi.config import load_config
from cxkpi.engine import compute
from cxkpi.errors import ConfigError, MissingColumnsError, UsageError
from cxkpi.kpis.business_hours import Calendar, RowSchedules, Schedule, ScheduleError, business_minutes
from cxkpi.kpis.tickets import calendar_from, parse_schedules, parse_special_hours

from .conftest import cli as run_cli
from .conftest import frame

OFFICE = "Mon-Fri 09:00-17:00"
XMAS_EVE = {"2025-12-24": "09:00-13:00"}


def one(start: str, end: str, schedule) -> float:
    s = pd.Series(pd.to_datetime([start]))
    e = pd.Series(pd.to_datetime([end]))
    return float(business_minutes(s, e, schedule).iloc[0])


def berlin(special=None, closed=()) -> Schedule:
    return Schedule.parse(OFFICE, timezone="Europe/Berlin", holidays="DE", closed_dates=closed, special=special)


# ------------------------------------------------------------------ special dates
def test_christmas_eve_short_day_then_holidays_then_saturday():
    # Wed 12-24 12:00 -> 13:00 (special 09:00-13:00) = 60; Thu 12-25 and Fri 12-26 DE holidays = 0;
    # Sat 12-27 until 10:00 = 0 (weekend) -> 60
    assert one("2025-12-24 12:00", "2025-12-27 10:00", berlin(XMAS_EVE)) == 60
    # without the special date the 24th is a normal Wednesday: 12:00 -> 17:00 = 300
    assert one("2025-12-24 12:00", "2025-12-27 10:00", berlin()) == 300


def test_special_saturday_opening():
    # as above (60 on the 24th), plus a special Saturday 12-27 10:00-14:00: answered 12:30 -> 150 more = 210
    sched = berlin({**XMAS_EVE, "2025-12-27": "10:00-14:00"})
    assert one("2025-12-24 12:00", "2025-12-27 12:30", sched) == 210


def test_special_hours_override_a_holiday():
    # Fri 12-26 is a DE holiday but opens 10:00-12:00 as a special date: 60 (24th) + 120 (26th) = 180
    sched = berlin({**XMAS_EVE, "2025-12-26": "10:00-12:00"})
    assert one("2025-12-24 12:00", "2025-12-27 10:00", sched) == 180


def test_special_closed_weekday_and_split_ranges():
    # Tue 12-30 16:00 -> 17:00 = 60; Wed 12-31 special closed = 0; Thu 01-01 holiday = 0;
    # Fri 01-02 09:00 -> 10:00 = 60 -> 120 (a normal Wednesday would add 480)
    sched = berlin(parse_special_hours("2025-12-31=closed"))
    assert one("2025-12-30 16:00", "2026-01-02 10:00", sched) == 120
    # two ranges on one date: 12-31 09:00-11:00,14:00-15:00 = 120 + 60 -> 60 + 180 + 60 = 300
    sched = berlin(parse_special_hours("2025-12-31=09:00-11:00,14:00-15:00"))
    assert one("2025-12-30 16:00", "2026-01-02 10:00", sched) == 300


def test_special_range_crossing_midnight_belongs_to_its_date():
    # Sat 12-27 22:00-02:00 (special, weekend otherwise closed): Sat 21:00 -> Sun 01:00 counts 22:00-01:00 = 180
    sched = Schedule.parse(OFFICE, special={"2025-12-27": "22:00-02:00"})
    assert one("2025-12-27 21:00", "2025-12-28 01:00", sched) == 180


def test_special_hours_text_forms():
    got = parse_special_hours("2025-12-27=09:00-12:00,13:00-15:00; 2025-12-31=closed,2025-12-24=09:00-13:00")
    assert got == {"2025-12-24": "09:00-13:00", "2025-12-27": "09:00-12:00,13:00-15:00", "2025-12-31": "closed"}
    assert parse_special_hours(got) == got  # the parsed form reads back the same (it is echoed in JSON)


@pytest.mark.parametrize("value, message", [
    ("2025-12-24=25:00-26:00", 'bad time "25:00"'),
    ("2025-12-24=09:00-13:00,12:00-14:00", "09:00-13:00 and 12:00-14:00 overlap"),
    ("2025-02-30=closed", 'invalid date "2025-02-30"'),
    ("09:00-13:00", "expected DATE=HOURS"),
    ("2025-12-24=09:00-13:00,2025-12-24=closed", "2025-12-24 given twice"),
])
def test_bad_special_hours_are_one_line_errors(value, message):
    with pytest.raises(ScheduleError, match=message) as e:
        parse_special_hours(value)
    assert "\n" not in str(e.value)


def test_a_date_both_closed_and_special_is_refused():
    with pytest.raises(ScheduleError, match="2025-12-24 is both a closed date and has special hours; keep one"):
        berlin(XMAS_EVE, closed=["2025-12-24"])


# ------------------------------------------------------------------ schedule changes
def test_change_at_midnight_splits_the_interval():
    # Mon 06-30 16:00 -> 17:00 under v1 (09-17) = 60; Tue 07-01 08:00 -> 09:00 under v2 (08-18) = 60 -> 120
    cal = Calendar(((None, Schedule.parse(OFFICE)), ("2025-07-01", Schedule.parse("Mon-Fri 08:00-18:00"))))
    assert one("2025-06-30 16:00", "2025-07-01 09:00", cal) == 120
    # the same ticket a week earlier sees v1 only: 60 + 0 (Tue opens 09:00) = 60
    assert one("2025-06-23 16:00", "2025-06-24 09:00", cal) == 60


def test_change_mid_day():
    # Wed 07-02 10:00 -> 14:00; v2 from 12:00 opens 13:00-20:00: v1 10-12 = 120, v2 13-14 = 60 -> 180
    # (v1 alone would give 240, v2 alone 60)
    cal = Calendar(((None, Schedule.parse(OFFICE)), ("2025-07-02 12:00", Schedule.parse("Mon-Fri 13:00-20:00"))))
    assert one("2025-07-02 10:00", "2025-07-02 14:00", cal) == 180


def test_change_of_zone_counts_each_side_in_its_own_zone():
    # v1 Berlin 09-17, v2 New York 09-17 from 07-01 00:00 New York (= 04:00 UTC). Ticket 06-30 14:00 UTC
    # (16:00 Berlin) -> 07-01 14:00 UTC (10:00 New York): v1 16:00-17:00 Berlin = 60; v2 New York 07-01
    # 09:00-10:00 = 60 -> 120 (New York's 06-30 hours, 13:00-21:00 UTC, are before the change: not counted)
    cal = Calendar(((None, Schedule.parse(OFFICE, "Europe/Berlin")),
                    ("2025-07-01", Schedule.parse(OFFICE, "America/New_York"))))
    s = pd.Series(pd.to_datetime(["2025-06-30 14:00"]).tz_localize("UTC"))
    e = pd.Series(pd.to_datetime(["2025-07-01 14:00"]).tz_localize("UTC"))
    assert business_minutes(s, e, cal).tolist() == [120]


def test_dst_changes_in_a_named_schedules_zone_with_utc_timestamps():
    # Berlin "Mon-Sun 01:00-05:00", timestamps in UTC, each schedule of its own row (RowSchedules).
    # Sun 2025-03-30 clocks go 02:00 -> 03:00: open 01:00 CET (00:00 UTC) to 05:00 CEST (03:00 UTC) = 180
    # Sun 2025-10-26 clocks go 03:00 -> 02:00: open 01:00 CEST (23:00 UTC on the 25th) to 05:00 CET
    # (04:00 UTC) = 300. Both tickets run from the evening before to 06:00 UTC and so cover the whole day.
    night = calendar_from("Night", [{"hours": "Mon-Sun 01:00-05:00", "timezone": "Europe/Berlin"}], "UTC")
    s = pd.Series(pd.to_datetime(["2025-03-29 23:00", "2025-10-25 22:00"]).tz_localize("UTC"))
    e = pd.Series(pd.to_datetime(["2025-03-30 06:00", "2025-10-26 06:00"]).tz_localize("UTC"))
    rows = RowSchedules((night,), pd.Series([0, 0]), "UTC")
    assert business_minutes(s, e, rows).tolist() == [180, 300]


def test_a_change_mid_interval_cuts_it_and_ignores_the_new_hours_before_it():
    # v2 08:00-18:00 from 07-01; v3 from Wed 07-02 12:00 "08:00-10:00,14:00-16:00". Ticket 07-02 07:00 ->
    # 17:00: v2 08:00-12:00 = 240 (cut at noon), v3 14:00-16:00 = 120 -> 360; v3's 08:00-10:00 that morning
    # is before its change (not counted, else 480)
    cal = calendar_from("Tech", [{"hours": OFFICE}, {"from": "2025-07-01", "hours": "Mon-Fri 08:00-18:00"},
                                 {"from": "2025-07-02 12:00", "hours": "Mon-Fri 08:00-10:00,14:00-16:00"}], "UTC")
    assert one("2025-07-02 07:00", "2025-07-02 17:00", cal) == 360


def test_later_versions_keep_what_they_do_not_set():
    # v2 (08-18 from 07-01) keeps v1's Berlin zone and DE holidays: Thu 10-02 17:00 -> 18:00 = 60;
    # Fri 10-03 German Unity Day = 0; Mon 10-06 08:00 -> 09:00 = 60 -> 120
    versions = parse_schedules({"EU": [{"hours": OFFICE, "timezone": "Europe/Berlin", "holidays": "DE"},
                                       {"from": "2025-07-01", "hours": "Mon-Fri 08:00-18:00"}]})["EU"]
    cal = calendar_from("EU", versions, "UTC")
    assert cal.versions[1][1].timezone == "Europe/Berlin" and cal.versions[1][1].holidays_country == "DE"
    assert one("2025-10-02 17:00", "2025-10-06 09:00", cal) == 120


@pytest.mark.parametrize("spec, message", [
    ([{"hours": OFFICE}, {"from": "2025-09-01"}, {"from": "2025-07-01"}], "from 2025-07-01 is not after 2025-09-01"),
    ([{"hours": OFFICE}, {"from": "2025-07-01"}, {"from": "2025-07-01"}], "is not after"),
    ([{"hours": OFFICE}, {"hours": "Mon 08:00-12:00"}], "every version after the first needs from"),
    ({"hours": OFFICE, "from": "2025-07-01"}, "the first version is in force from the start"),
    ([{"hours": OFFICE}, {"from": "soon"}], r"EU\[1\].from: expected a date"),
    ({"hours": "Mon-Fri 09:00-25:00"}, r'EU.hours: .*bad time "25:00"'),
    ({"hours": OFFICE, "special": {"2025-12-24": "09:00-13:00,12:00-14:00"}}, "overlap"),
    ({"hours": OFFICE, "timezone": "Mars/Olympus"}, 'unknown time zone "Mars/Olympus"'),
    ({"hours": OFFICE, "holiday": "DE"}, "EU.holiday: unknown key"),
])
def test_bad_schedules_are_one_line_errors(spec, message):
    with pytest.raises(ValueError, match=message) as e:
        parse_schedules({"EU": spec})
    assert "\n" not in str(e.value)


# ------------------------------------------------------------------ one schedule per team
TEAMS = {"Support EU": {"hours": OFFICE, "timezone": "Europe/Berlin", "holidays": "DE"},
         "Support US": {"hours": OFFICE, "timezone": "America/New_York", "holidays": "US"}}


def team_tickets(teams=("Support EU", "support us ", "Sales")) -> pd.DataFrame:
    # every ticket: Thu 2025-07-03 14:00 UTC -> Mon 2025-07-07 14:00 UTC
    n = len(teams)
    return frame(created_at=pd.to_datetime(["2025-07-03 14:00"] * n).tz_localize("UTC"),
                 first_response_at=pd.to_datetime(["2025-07-07 14:00"] * n).tz_localize("UTC"),
                 team=list(teams))


def test_two_teams_on_two_schedules_and_a_default():
    # Support EU (Berlin, UTC+2): Thu 16:00 -> 17:00 = 60; Fri 480; Mon 09:00 -> 16:00 = 420 -> 960
    # Support US (New York, UTC-4; "support us " matches ignoring case and spaces): Thu 10:00 -> 17:00 = 420;
    #   Fri 07-04 US holiday = 0; Mon 09:00 -> 10:00 = 60 -> 480
    # Sales -> the default (business_hours, in the timestamps' zone UTC): Thu 14-17 = 180; Fri 480; Mon 09-14
    #   = 300 -> 960
    settings = {"business_hours": OFFICE, "schedule_by": "team", "schedules": TEAMS, "stat": "mean"}
    r = compute("frt", team_tickets(), settings=settings, by=["team"])
    got = {g.key["team"]: g.value for g in r.groups}
    assert got == {"Support EU": 960, "support us ": 480, "Sales": 960}
    assert any("1 ticket used the default schedule" in n and "'Sales' (1)" in n for n in r.notes)
    assert any(n.startswith("business hours by team: Support EU:") for n in r.notes)


def test_default_can_name_one_of_the_schedules():
    # Sales uses Support US: 480 (as worked out above); mean of 960, 480, 480 = 640
    settings = {"default_schedule": "support us", "schedule_by": "team", "schedules": TEAMS}
    assert compute("frt", team_tickets(), settings={**settings, "stat": "mean"}).value == 640


def test_unmatched_team_without_a_default_is_an_error_naming_it():
    settings = {"schedule_by": "team", "schedules": TEAMS}
    with pytest.raises(UsageError, match=r"1 ticket match no schedule: 'Sales' \(1\); add them under "
                                         r"business_hours.schedules, or set business_hours.default"):
        compute("frt", team_tickets(), settings=settings)
    with pytest.raises(MissingColumnsError, match="business_hours.schedule_by: no column 'queue'"):
        compute("frt", team_tickets(), settings={**settings, "schedule_by": "queue"})
    with pytest.raises(UsageError, match="business_hours.default: unknown schedule 'Support APAC'"):
        compute("frt", team_tickets(), settings={**settings, "default_schedule": "Support APAC"})
    with pytest.raises(UsageError, match="business_hours.schedule_by needs the schedules it picks from"):
        compute("frt", team_tickets(), settings={"business_hours": OFFICE, "schedule_by": "team"})


def test_rows_of_each_schedule_agree_with_that_schedule_alone():
    # RowSchedules computes each calendar's rows together: the same minutes as each calendar on its own
    rng = np.random.default_rng(7)
    start = pd.Series(pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 200 * 1440, 300), "min"))
    end = start + pd.to_timedelta(rng.integers(0, 20 * 1440, 300), "min")
    cals = (calendar_from("EU", parse_schedules(TEAMS)["Support EU"], "UTC"),
            Calendar(((None, Schedule.parse(OFFICE, "America/New_York", "US")),
                      ("2025-09-01 12:00", Schedule.parse("Mon-Sat 08:00-20:00", "America/New_York", "US")))))
    codes = pd.Series(rng.integers(0, 2, 300), index=start.index)
    got = business_minutes(start, end, RowSchedules(cals, codes))
    for k, cal in enumerate(cals):
        rows = codes == k
        assert got[rows].tolist() == business_minutes(start[rows], end[rows], cal).tolist()


def test_sla_waiting_clock_uses_each_tickets_schedule():
    # unanswered, as of Mon 07-07 14:00 UTC: EU has waited 960, US 480 business minutes (as above);
    # target 8h = 480: US is still within it (pending), EU is breached -> 0 of 1 judged met = 0 %
    settings = {"schedule_by": "team", "schedules": TEAMS, "frt_target": 480.0, "as_of": "2025-07-07 14:00+00:00"}
    f = team_tickets(("Support EU", "Support US"))
    f["first_response_at"] = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns, UTC]")
    r = compute("sla", f, settings=settings)
    assert (r.value, r.breakdown["breached"], r.breakdown["pending"]) == (0, 1, 1)


# ------------------------------------------------------------------ config and the CLI
def test_config_checks_the_calendar_keys(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("business_hours:\n  schedule_by: team\n  default: Nope\n  special: {2025-12-24: '25:00-26:00'}\n"
                   "  schedules:\n    EU: {hours: 'Mon-Fri 09:00-17:00', tz: Europe/Berlin}\n")
    with pytest.raises(ConfigError) as e:
        load_config(cfg)
    problems = "\n".join(e.value.problems)
    assert "business_hours.special: special hours for 2025-12-24" in problems
    assert "business_hours.schedules: EU.tz: unknown key" in problems
    cfg.write_text("business_hours:\n  schedule_by: team\n  default: Nope\n"
                   "  schedules:\n    EU: {hours: 'Mon-Fri 09:00-17:00'}\n")
    with pytest.raises(ConfigError, match="business_hours.default: unknown schedule 'Nope'"):
        load_config(cfg)
    cfg.write_text("business_hours:\n  schedule_by: team\n")
    with pytest.raises(ConfigError, match="business_hours.schedule_by: needs business_hours.schedules"):
        load_config(cfg)


def test_frt_cli_with_teams_special_dates_and_a_change(tmp_path, capsys):
    csv = tmp_path / "t.csv"
    csv.write_text("Ticket ID,Created At,First Response At,Team\n"
                   "1,2025-12-24 12:00,2025-12-27 10:00,Berlin\n"
                   "2,2025-06-30 16:00,2025-07-01 09:00,Lisbon\n"
                   "3,2025-06-30 16:00,2025-07-01 09:00,Berlin\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "timezone: Europe/Berlin\n"
        f"sources:\n  tickets:\n    file: {csv.name}\n"
        "business_hours:\n"
        "  schedule_by: team\n"
        "  default: Berlin\n"
        "  schedules:\n"
        "    Berlin: {hours: 'Mon-Fri 09:00-17:00', timezone: Europe/Berlin, holidays: DE,\n"
        "             special: {2025-12-24: '09:00-13:00'}}\n"
        "    Lisbon:\n"
        "      - {hours: 'Mon-Fri 09:00-17:00', timezone: Europe/Lisbon}\n"
        "      - {from: 2025-07-01, hours: 'Mon-Fri 08:00-18:00'}\n")
    # timestamps are Berlin time (timezone:). Ticket 1 (Berlin): 60, as in the first test above.
    # Ticket 2 (Lisbon, one hour behind Berlin): 06-30 16:00 Berlin = 15:00 Lisbon -> 17:00 = 120 (v1);
    #   07-01 09:00 Berlin = 08:00 Lisbon: v2 opens 08:00 -> 0 -> 120
    # Ticket 3 (Berlin): 06-30 16:00 -> 17:00 = 60; 07-01 09:00 = opening -> 60
    code, out, err = run_cli(["frt", "--config", str(cfg), "--by", "team", "-f", "json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    got = {g["key"]["team"]: g["breakdown"]["mean"] for g in d["groups"]}
    assert got == {"Berlin": 60, "Lisbon": 120}  # Berlin: mean of 60 and 60
    assert d["settings"]["schedules"]["Lisbon"][1] == {"from": "2025-07-01", "hours": "Mon-Fri 08:00-18:00"}
    # an error in the config: one line, exit 2, naming the setting
    cfg.write_text(cfg.read_text().replace("'Mon-Fri 08:00-18:00'", "'Mon-Fri 08:00-25:00'"))
    code, out, err = run_cli(["frt", "--config", str(cfg)], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "business_hours.schedules: Lisbon[1].hours: invalid business hours" in err and '"25:00"' in err


def test_special_hours_flag(tmp_path, capsys):
    csv = tmp_path / "t.csv"
    csv.write_text("Ticket ID,Created At,First Response At\n1,2025-12-24 12:00,2025-12-27 10:00\n")
    base = ["frt", str(csv), "--timezone", "Europe/Berlin", "--business-hours", OFFICE, "--holidays", "DE",
            "-f", "json", "-q"]
    # 60 with the special date (first test above); 300 without it
    code, out, _ = run_cli(base + ["--special-hours", "2025-12-24=09:00-13:00"], capsys)
    assert code == 0 and json.loads(out)["value"] == 60
    code, out, _ = run_cli(base, capsys)
    assert json.loads(out)["value"] == 300
    code, _, err = run_cli(base + ["--special-hours", "2025-12-24=09:00-25:00"], capsys)
    assert code == 2 and err.startswith("cxkpi: error: --special-hours") and '"25:00"' in err


def test_top_level_holidays_without_the_default_schedule_are_an_error_not_ignored():
    settings = {"default_schedule": "Support EU", "schedule_by": "team", "schedules": TEAMS, "holidays": "DE"}
    with pytest.raises(UsageError, match="--holidays, --closed and --special-hours apply to business_hours.schedule"):
        compute("frt", team_tickets(), settings=settings)


def test_the_documented_sample_runs(capsys):
    # docs/business-hours.md's example: Onboarding has no schedule of its own, so its tickets (those with a
    # readable created_at, the rows the KPI measures) are the ones the note counts on the default
    from .conftest import SAMPLE

    code, out, err = run_cli(["frt", "--config", str(SAMPLE / "calendars.yaml"), "--by", "team", "-f", "json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    raw = pd.read_csv(SAMPLE / "tickets.csv")
    onboarding = int((pd.to_datetime(raw["Created At"], errors="coerce").notna() & (raw["Team"] == "Onboarding")).sum())
    assert f"{onboarding} tickets used the default schedule" in " ".join(d["notes"])
    assert {g["key"]["team"] for g in d["groups"]} == {"Billing", "Onboarding", "Technical"}


def test_row_schedules_with_repeated_row_labels():
    # two files read together may repeat row numbers: codes go by position when the index is the same one.
    # EU 960 and US 480 business minutes, worked out in test_two_teams_on_two_schedules_and_a_default
    index = pd.Index([2, 2])
    start = pd.Series(pd.to_datetime(["2025-07-03 14:00"] * 2).tz_localize("UTC"), index=index)
    end = pd.Series(pd.to_datetime(["2025-07-07 14:00"] * 2).tz_localize("UTC"), index=index)
    named = parse_schedules(TEAMS)
    cals = tuple(calendar_from(n, v, "UTC") for n, v in named.items())
    got = business_minutes(start, end, RowSchedules(cals, pd.Series([0, 1], index=index)))
    assert got.tolist() == [960, 480]

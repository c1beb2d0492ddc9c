"""Elapsed *business* minutes between two timestamp columns.

Time is counted as real elapsed time in the schedule's zone (DST nights are
60 minutes shorter or longer), so every open interval is localised to UTC
first. The computation is vectorised: the open intervals of every local date
the data touches are merged once into a sorted array with cumulative open
time, and each timestamp is looked up with ``searchsorted`` -- the result is
``open_before(end) - open_before(start)``, exact to the nanosecond.

Calendars beyond the week (docs/business-hours.md): a ``Schedule`` may carry
special hours for given dates (Christmas Eve 09:00-13:00, a Saturday opening),
which override its weekly hours and holidays for that date; a ``Calendar`` is a
schedule that changes at given instants (its intervals are cut at each change,
so time on either side counts by the version in force); ``RowSchedules`` gives
each row its own calendar (by team, priority...) and computes each calendar's
rows together, one vectorised pass per calendar.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import UsageError

__all__ = ["Calendar", "RowSchedules", "Schedule", "ScheduleError", "business_minutes", "format_spans", "parse_special"]

MINUTES_PER_DAY = 1440
_NS_PER_MINUTE = 60_000_000_000
_EXAMPLE = 'expected e.g. "Mon-Fri 09:00-17:00"'

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_ALIASES = {
    "mon": 0, "monday": 0,
    "tue": 1, "tues": 1, "tuesday": 1,
    "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


class ScheduleError(UsageError, ValueError):
    """A business-hours schedule, time zone or holiday country could not be understood."""


@dataclass(frozen=True)
class Schedule:
    """Weekly opening hours in a time zone, less public holidays and listed dates.

    ``ranges`` maps weekday (0=Mon..6=Sun) to ``(start_minute, end_minute)``
    pairs in minutes after local midnight. ``end_minute`` may exceed 1440 for a
    range that crosses midnight; such a range belongs to the day it starts
    (including for holidays and closed dates).
    """

    ranges: dict[int, tuple[tuple[int, int], ...]]
    timezone: str = "UTC"
    holidays_country: str | None = None
    holidays_subdiv: str | None = None
    closed_dates: frozenset[datetime.date] = field(default_factory=frozenset)
    # date -> its own ranges (empty: closed that day), in place of the weekly hours and holidays
    special: dict[datetime.date, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranges", _check_ranges(self.ranges))
        object.__setattr__(self, "timezone", _check_timezone(self.timezone))
        if self.holidays_country is None and self.holidays_subdiv is not None:
            raise ScheduleError(
                f'holiday subdivision "{self.holidays_subdiv}" given without a country '
                '(expected e.g. "DE-BY")'
            )
        if self.holidays_country is not None:
            country, subdiv = _check_holidays(self.holidays_country, self.holidays_subdiv)
            object.__setattr__(self, "holidays_country", country)
            object.__setattr__(self, "holidays_subdiv", subdiv)
        object.__setattr__(self, "closed_dates", _to_dates(self.closed_dates))
        special = parse_special(self.special)
        both = sorted(d for d, rs in special.items() if rs and d in self.closed_dates)
        if both:
            raise ScheduleError(f"{both[0].isoformat()} is both a closed date and has special hours; "
                                "keep one (special hours override holidays, not closed dates)")
        object.__setattr__(self, "special", special)

    def __hash__(self) -> int:  # ranges is a dict, so hash a frozen view of it
        return hash((tuple(self.ranges.items()), self.timezone, self.holidays_country,
                     self.holidays_subdiv, self.closed_dates, tuple(sorted(self.special.items()))))

    # ------------------------------------------------------------------ parse
    @classmethod
    def parse(
        cls,
        text: str,
        timezone: str = "UTC",
        holidays: str | None = None,
        closed_dates: Iterable[datetime.date | str] = (),
        special=None,
    ) -> Schedule:
        """Parse e.g. ``"Mon-Fri 09:00-12:00,13:00-17:00; Sat 10:00-14:00"`` or ``"24/7"``.

        ``holidays`` is a country code with optional subdivision (``"DE"``,
        ``"DE-BY"``, ``"US-CA"``). A day named in several clauses gets the union
        of their ranges. ``special``: see ``parse_special``.
        """
        ranges = _parse_ranges(text)
        country = subdiv = None
        if holidays is not None and str(holidays).strip():
            country, _, subdiv = str(holidays).strip().partition("-")
            subdiv = subdiv or None
        return cls(
            ranges=ranges,
            timezone=timezone,
            holidays_country=country,
            holidays_subdiv=subdiv,
            closed_dates=closed_dates,
            special=special or {},
        )

    # --------------------------------------------------------------- describe
    def describe(self) -> str:
        """One line, e.g. ``"Mon-Fri 09:00-17:00 Europe/Berlin, holidays DE-BY, 2 closed dates"``."""
        hours = _format_ranges(self.ranges)
        parts = [f"{hours} {self.timezone}"]
        if self.holidays_country:
            code = self.holidays_country
            if self.holidays_subdiv:
                code += f"-{self.holidays_subdiv}"
            parts.append(f"holidays {code}")
        if self.closed_dates:
            n = len(self.closed_dates)
            parts.append(f"{n} closed date{'s' if n != 1 else ''}")
        if self.special:
            n = len(self.special)
            parts.append(f"{n} date{'s' if n != 1 else ''} with special hours")
        return ", ".join(parts)

    # -------------------------------------------------------------- intervals
    def _closed_days(self, first: datetime.date, last: datetime.date) -> np.ndarray:
        """Holidays, closed and special dates between ``first`` and ``last`` as datetime64[D]: days whose
        weekly hours do not apply (a special date gets its own ranges in ``_open_intervals``)."""
        days = set(self.closed_dates) | set(self.special)
        if self.holidays_country:
            import holidays as _holidays  # here: ~70 ms to import, and most runs keep no holiday calendar

            cal = _holidays.country_holidays(
                self.holidays_country,
                subdiv=self.holidays_subdiv,
                years=range(first.year, last.year + 1),
            )
            days.update(cal.keys())
        return np.array(sorted(days), dtype="datetime64[D]")

    def _open_intervals(self, first: datetime.date, last: datetime.date) -> tuple[np.ndarray, np.ndarray]:
        """Merged, sorted open intervals (UTC int64 ns) of the local dates first..last."""
        dates = pd.date_range(first, last, freq="D")
        days = dates.values.astype("datetime64[D]")
        open_day = ~np.isin(days, self._closed_days(first, last))
        weekday = dates.day_of_week.values
        wall_start, wall_end = [], []
        for wd, day_ranges in self.ranges.items():
            sel = dates[(weekday == wd) & open_day]
            if not len(sel):
                continue
            for a, b in day_ranges:
                wall_start.append(sel + pd.Timedelta(minutes=a))
                wall_end.append(sel + pd.Timedelta(minutes=b))
        for day, day_ranges in self.special.items():  # a handful of dates from the config, not rows
            if first <= day <= last:
                for a, b in day_ranges:
                    wall_start.append(pd.DatetimeIndex([pd.Timestamp(day) + pd.Timedelta(minutes=a)]))
                    wall_end.append(pd.DatetimeIndex([pd.Timestamp(day) + pd.Timedelta(minutes=b)]))
        if not wall_start:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        starts = _localize_wall(_concat(wall_start), self.timezone, earliest=True)
        ends = _localize_wall(_concat(wall_end), self.timezone, earliest=False)
        ends = np.maximum(ends, starts)
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], ends[order]
        # merge overlapping / touching intervals
        reach = np.maximum.accumulate(ends)
        new = np.ones(len(starts), dtype=bool)
        new[1:] = starts[1:] > reach[:-1]
        idx = np.flatnonzero(new)
        return starts[idx], np.maximum.reduceat(ends, idx)


    def _span(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Open intervals (UTC ns) covering the instants lo..hi."""
        margin = max(1, math.ceil(max(_max_end(self.ranges), _max_end(self.special)) / MINUTES_PER_DAY))
        first = pd.Timestamp(int(lo), tz="UTC").tz_convert(self.timezone).date()
        last = pd.Timestamp(int(hi), tz="UTC").tz_convert(self.timezone).date()
        return self._open_intervals(first - datetime.timedelta(days=margin), last + datetime.timedelta(days=1))


@dataclass(frozen=True)
class Calendar:
    """A schedule that changes: ``versions`` are ``(from, Schedule)`` pairs in order, the first with
    ``from`` None (in force from the start), each later one from its ``from`` -- a naive date and time,
    wall-clock in that version's zone -- until the next one's. Time across a change counts by the
    version in force at each instant (dbt_zendesk's schedule history).
    """

    versions: tuple[tuple[datetime.datetime | None, Schedule], ...]
    name: str = ""

    def __post_init__(self) -> None:
        versions = tuple((None if f is None else pd.Timestamp(f).to_pydatetime(), s) for f, s in self.versions)
        if not versions:
            raise ScheduleError(f"{self._who()}has no versions (expected at least one schedule)")
        if versions[0][0] is not None:
            raise ScheduleError(f"{self._who()}the first version is in force from the start; give from only "
                                "to the later versions")
        if any(f is None for f, _ in versions[1:]):
            raise ScheduleError(f"{self._who()}every version after the first needs from (e.g. from: 2025-07-01)")
        object.__setattr__(self, "versions", versions)
        cuts = self.changes_ns()
        for (f0, _), (f1, _), c0, c1 in zip(versions[1:], versions[2:], cuts, cuts[1:]):
            if c1 <= c0:
                raise ScheduleError(f"{self._who()}versions out of order: from {_fmt_from(f1)} is not after "
                                    f"{_fmt_from(f0)} (list them oldest first)")

    def _who(self) -> str:
        return f'schedule "{self.name}": ' if self.name else ""

    @property
    def timezone(self) -> str:
        return self.versions[0][1].timezone

    def changes_ns(self) -> list[int]:
        """The change instants (UTC ns), one per version after the first."""
        out = []
        for f, s in self.versions[1:]:
            ts = pd.Timestamp(f)
            if s.timezone != "UTC":
                ts = ts.tz_localize(s.timezone, ambiguous=True, nonexistent="shift_forward")
            out.append(int(ts.as_unit("ns").value))
        return out

    def describe(self) -> str:
        """E.g. ``"Mon-Fri 09:00-17:00 UTC; from 2025-07-01: Mon-Fri 08:00-18:00 UTC"``."""
        head = self.versions[0][1].describe()
        rest = [f"from {_fmt_from(f)}: {s.describe()}" for f, s in self.versions[1:]]
        return "; ".join([head] + rest)

    def _span(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Each version's open intervals cut to the time it is in force, in order."""
        bounds = [np.iinfo(np.int64).min] + self.changes_ns() + [np.iinfo(np.int64).max]
        starts, ends = [], []
        for (_, sched), since, until in zip(self.versions, bounds, bounds[1:]):
            a, b = max(lo, since), min(hi, until)
            if a >= b:
                continue
            s, e = sched._span(a, b)
            s, e = np.maximum(s, since), np.minimum(e, until)
            keep = e > s
            starts.append(s[keep])
            ends.append(e[keep])
        if not starts:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(starts), np.concatenate(ends)


@dataclass(frozen=True, eq=False)
class RowSchedules:
    """Each row's own schedule: ``codes`` (by row index) picks one of ``calendars``; naive timestamps
    are wall-clock times in ``timezone`` (one zone for the export, whatever zone each schedule keeps)."""

    calendars: tuple[Schedule | Calendar, ...]
    codes: pd.Series
    timezone: str = "UTC"


def business_minutes(start: pd.Series, end: pd.Series, schedule: Schedule | Calendar | RowSchedules) -> pd.Series:
    """float64 minutes; NaN where start or end is missing or end < start (caller counts those as skipped).

    ``start`` and ``end`` are matched by position and may be tz-aware (any
    zone), naive (wall-clock times in the schedule's zone; nonexistent times
    shift forward, ambiguous ones take the first occurrence) or object columns
    of timestamps / strings. The result carries ``start``'s index. With
    ``RowSchedules`` the rows of each calendar are computed together.
    """
    start = start if isinstance(start, pd.Series) else pd.Series(start)
    end = end if isinstance(end, pd.Series) else pd.Series(end, index=start.index)
    if len(start) != len(end):
        raise ValueError(f"start and end differ in length ({len(start)} vs {len(end)})")
    if isinstance(schedule, RowSchedules):
        calendars, tz = schedule.calendars, _check_timezone(schedule.timezone)
        codes = schedule.codes
        if not codes.index.equals(start.index):  # equal (the usual case) also allows repeated row labels
            codes = codes.reindex(start.index)
        if codes.isna().any():
            raise ValueError("RowSchedules.codes does not cover every row of start")
        codes = codes.to_numpy(dtype=np.int64)
    else:
        calendars, tz = (schedule,), schedule.timezone
        codes = np.zeros(len(start), dtype=np.int64)
    t0, ok0 = _to_utc_ns(start, tz)
    t1, ok1 = _to_utc_ns(end, tz)
    valid = ok0 & ok1 & (t1 >= t0)
    out = np.full(len(start), np.nan)
    for k, cal in enumerate(calendars):
        rows = valid & (codes == k)
        if rows.any():
            out[rows] = _minutes(t0[rows], t1[rows], cal)
    return pd.Series(out, index=start.index, name="business_minutes", dtype="float64")


def _minutes(a: np.ndarray, b: np.ndarray, calendar: Schedule | Calendar) -> np.ndarray:
    """Open minutes between each a and b (UTC ns, a <= b) on one calendar."""
    starts, ends = calendar._span(int(a.min()), int(b.max()))
    if not len(starts):
        return np.zeros(len(a))
    lengths = ends - starts
    cum = np.zeros(len(starts), dtype=np.int64)
    np.cumsum(lengths[:-1], out=cum[1:])
    return (_open_before(b, starts, lengths, cum) - _open_before(a, starts, lengths, cum)) / _NS_PER_MINUTE


def parse_special(value) -> dict[datetime.date, tuple[tuple[int, int], ...]]:
    """Opening hours for given dates: ``{"2025-12-24": "09:00-13:00", "2025-12-31": "closed"}``, or the
    flag's text ``"2025-12-24=09:00-13:00,2025-12-31=closed"`` (a piece without ``DATE=`` is one more range
    of the date before: ``2025-12-27=09:00-12:00,13:00-15:00``). Ranges of one date may not overlap."""
    if value is None:
        return {}
    if isinstance(value, str):
        pairs = []
        for piece in re.split(r"[;,]", value):
            piece = piece.strip()
            if not piece:
                continue
            day, eq, hours = piece.partition("=")
            if eq:
                pairs.append([day.strip(), hours.strip()])
            elif pairs and _TIME_RE.match(piece.split("-")[0].strip() or "x"):
                pairs[-1][1] += "," + piece
            else:
                raise ScheduleError(f'special hours "{piece}": expected DATE=HOURS, e.g. '
                                    '2025-12-24=09:00-13:00 or 2025-12-31=closed')
        items = pairs
    elif isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = []
        for item in value:
            items.extend(parse_special(item).items() if isinstance(item, str) else [tuple(item)])
    else:
        raise ScheduleError(f"special hours: expected a mapping of date to hours, e.g. "
                            f'{{"2025-12-24": "09:00-13:00", "2025-12-31": closed}}, got {value!r}')
    out: dict[datetime.date, tuple[tuple[int, int], ...]] = {}
    for day, hours in items:
        date = _special_date(day)
        if date in out:
            raise ScheduleError(f"special hours: {date.isoformat()} given twice; keep one")
        out[date] = _special_ranges(date, hours)
    return dict(sorted(out.items()))


def _special_date(day) -> datetime.date:
    if isinstance(day, datetime.datetime):
        return day.date()
    if isinstance(day, datetime.date):
        return day
    text = str(day).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ScheduleError(f'special hours: invalid date "{day}" (expected YYYY-MM-DD)') from None


# a special-hours day written as one of these is closed all day (this parser's own grammar)
_CLOSED_WORDS = {"closed", "off", "none", "no", "false", "0"}


def _special_ranges(date: datetime.date, hours) -> tuple[tuple[int, int], ...]:
    def fail(reason: str) -> ScheduleError:
        return ScheduleError(f'special hours for {date.isoformat()} "{raw}": {reason} '
                             '(expected e.g. "09:00-13:00", "09:00-12:00,13:00-15:00" or "closed")')

    if isinstance(hours, (list, tuple)) and all(isinstance(h, (list, tuple)) for h in hours):
        raw = repr(hours)  # already minute pairs (a Schedule built from parsed values)
        spans = sorted(_check_ranges({0: hours}).get(0, ()))
    else:
        if isinstance(hours, (list, tuple)):
            hours = ",".join(str(h) for h in hours)
        raw = "closed" if hours is None or hours is False else str(hours)
        if raw.strip().lower() in _CLOSED_WORDS:
            return ()
        spans = sorted(_parse_span(s.strip(), fail) for s in raw.replace("\u2013", "-").split(","))
    for (a0, b0), (a1, b1) in zip(spans, spans[1:]):
        if a1 < b0:
            raise fail(f"{_fmt_span(a0, b0)} and {_fmt_span(a1, b1)} overlap (merge them into one range)")
    return tuple(spans)


def _fmt_from(f: datetime.datetime) -> str:
    return f.strftime("%Y-%m-%d") if (f.hour, f.minute, f.second) == (0, 0, 0) else f.strftime("%Y-%m-%d %H:%M")


def format_spans(spans: tuple[tuple[int, int], ...]) -> str:
    """A date's special ranges as written: ``"09:00-12:00,13:00-15:00"``, or ``"closed"``."""
    return ",".join(_fmt_span(a, b) for a, b in spans) or "closed"


def _fmt_span(a: int, b: int) -> str:
    return f"{_fmt_minute(a)}-{_fmt_minute(b if b <= MINUTES_PER_DAY else b - MINUTES_PER_DAY)}"


# ---------------------------------------------------------------- internals
def _open_before(t: np.ndarray, starts: np.ndarray, lengths: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Open time (ns) from the first interval up to each instant in ``t``."""
    i = np.searchsorted(starts, t, side="right") - 1
    j = np.maximum(i, 0)
    res = cum[j] + np.clip(t - starts[j], 0, lengths[j])
    return np.where(i >= 0, res, 0)


def _to_utc_ns(s: pd.Series, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """UTC nanoseconds since the epoch (int64) and a not-missing mask."""
    if not isinstance(s.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(s.dtype):
        try:
            s = pd.to_datetime(s)
        except (ValueError, TypeError):
            s = _mixed_to_utc(s, tz)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    elif tz != "UTC":
        s = s.dt.tz_localize(
            tz, ambiguous=np.ones(len(s), dtype=bool), nonexistent="shift_forward"
        ).dt.tz_convert("UTC").dt.tz_localize(None)
    ok = s.notna().to_numpy()
    ns = s.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return ns, ok


def _mixed_to_utc(s: pd.Series, tz: str) -> pd.Series:
    """Object column mixing zones (or naive and aware values): convert each part to UTC."""
    # per-element inspection is only needed for this rare input; the maths stays vectorised
    values = s.map(lambda v: pd.Timestamp(v) if v is not None and not pd.isna(v) else pd.NaT)
    aware = values.map(lambda v: v is not pd.NaT and v.tzinfo is not None).astype(bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    if aware.any():
        out[aware] = pd.to_datetime(values[aware], utc=True)
    naive = ~aware & values.notna()
    if naive.any():
        local = pd.to_datetime(values[naive].astype("datetime64[ns]"))
        out[naive] = local.dt.tz_localize(
            tz, ambiguous=np.ones(int(naive.sum()), dtype=bool), nonexistent="shift_forward"
        ).dt.tz_convert("UTC")
    return out


def _localize_wall(wall: pd.DatetimeIndex, tz: str, *, earliest: bool) -> np.ndarray:
    """Wall times -> UTC int64 ns; nonexistent shift forward, ambiguous earliest/latest."""
    if tz != "UTC":
        wall = wall.tz_localize(
            tz, ambiguous=np.full(len(wall), earliest), nonexistent="shift_forward"
        ).tz_convert("UTC").tz_localize(None)
    return wall.as_unit("ns").asi8.copy()


def _concat(parts: list[pd.DatetimeIndex]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.concatenate([p.values.astype("datetime64[ns]") for p in parts]))


def _max_end(ranges: dict[int, tuple[tuple[int, int], ...]]) -> int:
    return max((b for rs in ranges.values() for _, b in rs), default=0)


def _check_ranges(ranges) -> dict[int, tuple[tuple[int, int], ...]]:
    try:
        items = dict(ranges).items()
    except (TypeError, ValueError):
        raise ScheduleError("schedule ranges must map weekday 0-6 to (start_minute, end_minute) pairs") from None
    out: dict[int, tuple[tuple[int, int], ...]] = {}
    for wd, rs in items:
        if not isinstance(wd, (int, np.integer)) or not 0 <= wd <= 6:
            raise ScheduleError(f"invalid weekday {wd!r} (expected 0=Mon .. 6=Sun)")
        pairs = []
        for pair in rs:
            try:
                a, b = (int(x) for x in pair)
            except (TypeError, ValueError):
                raise ScheduleError(f"invalid range {pair!r} (expected (start_minute, end_minute))") from None
            if not (0 <= a < MINUTES_PER_DAY and a < b <= a + MINUTES_PER_DAY):
                raise ScheduleError(
                    f"invalid range {pair!r} for {_DAY_NAMES[wd]} (expected 0 <= start < 1440 "
                    "and start < end <= start + 1440 minutes)"
                )
            pairs.append((a, b))
        if pairs:
            out[int(wd)] = tuple(sorted(set(pairs)))
    return dict(sorted(out.items()))


def _check_timezone(tz) -> str:
    name = str(tz).strip() if tz is not None else ""
    if name.upper() in ("UTC", "Z"):
        return "UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ScheduleError(
            f'unknown time zone "{tz}" (expected an IANA name such as "Europe/Berlin", '
            '"America/New_York" or "UTC")'
        ) from None
    return name


@functools.lru_cache(maxsize=1)
def _supported_countries() -> dict[str, list[str]]:
    """The holidays package's country -> subdivisions table (slow to build: ~0.2 s; asked once per process)."""
    import holidays as _holidays

    return _holidays.list_supported_countries()


def _check_holidays(country: str, subdiv: str | None) -> tuple[str, str | None]:
    code = str(country).strip().upper()
    supported = _supported_countries()
    if code not in supported:
        raise ScheduleError(
            f'unknown holiday country "{country}" (expected an ISO country code with optional '
            'subdivision, e.g. "DE", "DE-BY" or "US-CA")'
        )
    if subdiv is None:
        return code, None
    wanted = str(subdiv).strip()
    match = next((s for s in supported[code] if s.upper() == wanted.upper()), None)
    if match is None:
        known = ", ".join(supported[code][:12]) or "none"
        raise ScheduleError(
            f'unknown holiday subdivision "{subdiv}" for {code} (expected one of: {known})'
        )
    return code, match


def _to_dates(values) -> frozenset[datetime.date]:
    if values is None:
        return frozenset()
    if isinstance(values, (str, datetime.date)):
        values = [values]
    out = set()
    for v in values:
        if isinstance(v, datetime.datetime):
            out.add(v.date())
        elif isinstance(v, datetime.date):
            out.add(v)
        else:
            try:
                out.add(pd.Timestamp(v).date())
            except (ValueError, TypeError):
                raise ScheduleError(f'invalid closed date "{v}" (expected YYYY-MM-DD)') from None
    return frozenset(out)


def _parse_ranges(text: str) -> dict[int, tuple[tuple[int, int], ...]]:
    raw = "" if text is None else str(text)

    def fail(reason: str) -> ScheduleError:
        return ScheduleError(f'invalid business hours "{raw}": {reason} ({_EXAMPLE})')

    norm = raw.replace("\u2013", "-").replace("\u2014", "-").strip()
    if not norm:
        raise fail("empty schedule")
    if norm.replace(" ", "") == "24/7":
        return {d: ((0, MINUTES_PER_DAY),) for d in range(7)}
    ranges: dict[int, list[tuple[int, int]]] = {}
    for clause in norm.split(";"):
        clause = clause.strip()
        if not clause:
            continue
        m = re.match(r"^([^\d]*?)\s*:?\s*(\d.*)?$", clause)
        days_txt, ranges_txt = (m.group(1), m.group(2)) if m else (clause, None)
        if not days_txt.strip():
            raise fail(f'"{clause}" has no days')
        if not ranges_txt:
            raise fail(f'"{clause}" has no time range')
        days = _parse_days(days_txt, fail)
        spans = [_parse_span(s.strip(), fail) for s in ranges_txt.split(",")]
        for d in days:
            ranges.setdefault(d, []).extend(spans)
    if not ranges:
        raise fail("empty schedule")
    return {d: tuple(rs) for d, rs in ranges.items()}


def _parse_days(text: str, fail) -> list[int]:
    days: list[int] = []
    for item in re.sub(r"\s*([,-])\s*", r"\1", text.strip()).split(","):
        ends = item.split("-")
        if len(ends) > 2 or not all(ends):
            raise fail(f'invalid days "{item}"')
        idx = []
        for name in ends:
            if name.lower() not in _DAY_ALIASES:
                raise fail(f'unknown day "{name}"')
            idx.append(_DAY_ALIASES[name.lower()])
        a, b = idx[0], idx[-1]
        days.extend((a + k) % 7 for k in range((b - a) % 7 + 1))  # Fri-Mon wraps over the weekend
    return days


def _parse_span(text: str, fail) -> tuple[int, int]:
    parts = [p.strip() for p in text.split("-")]
    if len(parts) != 2:
        raise fail(f'bad time range "{text}" (need HH:MM-HH:MM)')
    a, b = (_parse_time(p, text, fail) for p in parts)
    if a == MINUTES_PER_DAY:
        raise fail(f'range "{text}" cannot start at 24:00')
    if b == a:
        raise fail(f'range "{text}" is empty')
    if b < a:  # crosses midnight; counted to the day it starts
        b += MINUTES_PER_DAY
    return a, b


def _parse_time(text: str, span: str, fail) -> int:
    m = _TIME_RE.match(text)
    if not m:
        raise fail(f'bad time "{text}" in "{span}" (need HH:MM)')
    h, mi = int(m.group(1)), int(m.group(2))
    if mi > 59 or h > 24 or (h == 24 and mi):
        raise fail(f'bad time "{text}" in "{span}" (00:00-24:00)')
    return h * 60 + mi


def _format_ranges(ranges: dict[int, tuple[tuple[int, int], ...]]) -> str:
    if not ranges:
        return "closed"
    if set(ranges) == set(range(7)) and all(rs == ((0, MINUTES_PER_DAY),) for rs in ranges.values()):
        return "24/7"
    groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for d in sorted(ranges):
        groups.setdefault(ranges[d], []).append(d)
    clauses = []
    for rs, days in groups.items():
        runs: list[list[int]] = []
        for d in days:
            if runs and d == runs[-1][-1] + 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        day_txt = ",".join(
            _DAY_NAMES[r[0]] if len(r) == 1 else f"{_DAY_NAMES[r[0]]}-{_DAY_NAMES[r[-1]]}" for r in runs
        )
        spans = ",".join(f"{_fmt_minute(a)}-{_fmt_minute(b if b <= MINUTES_PER_DAY else b - MINUTES_PER_DAY)}" for a, b in rs)
        clauses.append(f"{day_txt} {spans}")
    return "; ".join(clauses)


def _fmt_minute(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"

"""Elapsed *business* minutes between two timestamp columns.

Time is counted as real elapsed time in the schedule's zone (DST nights are
60 minutes shorter or longer), so every open interval is localised to UTC
first. The computation is vectorised: the open intervals of every local date
the data touches are merged once into a sorted array with cumulative open
time, and each timestamp is looked up with ``searchsorted`` -- the result is
``open_before(end) - open_before(start)``, exact to the nanosecond.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

import holidays as _holidays
import numpy as np
import pandas as pd

from ..errors import UsageError

__all__ = ["Schedule", "ScheduleError", "business_minutes"]

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

    def __hash__(self) -> int:  # ranges is a dict, so hash a frozen view of it
        return hash((tuple(self.ranges.items()), self.timezone, self.holidays_country,
                     self.holidays_subdiv, self.closed_dates))

    # ------------------------------------------------------------------ parse
    @classmethod
    def parse(
        cls,
        text: str,
        timezone: str = "UTC",
        holidays: str | None = None,
        closed_dates: Iterable[datetime.date | str] = (),
    ) -> Schedule:
        """Parse e.g. ``"Mon-Fri 09:00-12:00,13:00-17:00; Sat 10:00-14:00"`` or ``"24/7"``.

        ``holidays`` is a country code with optional subdivision (``"DE"``,
        ``"DE-BY"``, ``"US-CA"``). A day named in several clauses gets the union
        of their ranges.
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
        return ", ".join(parts)

    # -------------------------------------------------------------- intervals
    def _closed_days(self, first: datetime.date, last: datetime.date) -> np.ndarray:
        """Holidays and closed dates between ``first`` and ``last`` as datetime64[D]."""
        days = set(self.closed_dates)
        if self.holidays_country:
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


def business_minutes(start: pd.Series, end: pd.Series, schedule: Schedule) -> pd.Series:
    """float64 minutes; NaN where start or end is missing or end < start (caller counts those as skipped).

    ``start`` and ``end`` are matched by position and may be tz-aware (any
    zone), naive (wall-clock times in the schedule's zone; nonexistent times
    shift forward, ambiguous ones take the first occurrence) or object columns
    of timestamps / strings. The result carries ``start``'s index.
    """
    start = start if isinstance(start, pd.Series) else pd.Series(start)
    end = end if isinstance(end, pd.Series) else pd.Series(end, index=start.index)
    if len(start) != len(end):
        raise ValueError(f"start and end differ in length ({len(start)} vs {len(end)})")
    t0, ok0 = _to_utc_ns(start, schedule.timezone)
    t1, ok1 = _to_utc_ns(end, schedule.timezone)
    valid = ok0 & ok1 & (t1 >= t0)
    out = np.full(len(start), np.nan)
    if valid.any():
        a, b = t0[valid], t1[valid]
        tz = schedule.timezone
        margin = max(1, math.ceil(_max_end(schedule.ranges) / MINUTES_PER_DAY))
        lo = pd.Timestamp(int(a.min()), tz="UTC").tz_convert(tz).date()
        hi = pd.Timestamp(int(b.max()), tz="UTC").tz_convert(tz).date()
        starts, ends = schedule._open_intervals(
            lo - datetime.timedelta(days=margin), hi + datetime.timedelta(days=1)
        )
        if len(starts):
            lengths = ends - starts
            cum = np.zeros(len(starts), dtype=np.int64)
            np.cumsum(lengths[:-1], out=cum[1:])
            out[valid] = (_open_before(b, starts, lengths, cum) - _open_before(a, starts, lengths, cum)) / _NS_PER_MINUTE
        else:
            out[valid] = 0.0
    return pd.Series(out, index=start.index, name="business_minutes", dtype="float64")


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

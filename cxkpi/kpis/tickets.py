"""Ticket timing and quality KPIs: FRT, resolution time, FCR, reopen rate, SLA attainment.

Formulas: docs/helpdesk.md; shared conventions: docs/conventions.md. Conventions of every KPI here:

- A duration comes from two timestamps (``created_at`` → ``first_response_at`` /
  ``resolved_at``), or from the export's own minutes column when the timestamps
  are not mapped. With business hours (``--business-hours``, or the config's
  top-level ``business_hours:`` block) only open time counts
  (``business_hours.business_minutes``).
- Tickets outside a KPI's population by definition (not answered yet, not
  resolved yet, within their SLA window) are neither averaged nor skipped: they
  are ``Measured.excluded`` and counted per group in the breakdown
  (``unanswered``, ``open``, ``pending``, ``no_answer``).
- An end before its start is a skipped row with its reason, never clipped to 0.
"""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd

from ..errors import InputError, MissingColumnsError, MissingSettingError, UsageError
from ..io.columns import norm
from ..io.values import durations as parse_durations
from ..periods import _period_start
from ..render.safe import one_line
from ..notes import Counted
from ..registry import Context, Measured, Param, kpi
from ..stats import wilson_interval
from ..vocabulary import BUSINESS_HOURS_EXPORT, BUSINESS_HOURS_OFF, MISSING_TOKENS, NO_WORDS, YES_WORDS
from . import aggregate
from ..reduce import statistic
from .aggregate import grouped
from .business_hours import Calendar, RowSchedules, Schedule, business_minutes, format_spans, parse_special
from .elapsed import minutes_between

OFF = BUSINESS_HOURS_OFF
RESOLVED_STATUSES = "solved,closed,resolved,done,completed"
FCR_YES = YES_WORDS | {"resolved", "first contact", "one contact"}
FCR_NO = NO_WORDS | {"not resolved", "unresolved", "no, more contacts"}
METRICS = {"frt": ("first_response_at", "first_response_minutes", "first response"),
           "resolution": ("resolved_at", "resolution_minutes", "resolution")}


# ------------------------------------------------------------------ parsing
def parse_minutes(value) -> float:
    """A duration target in minutes: ``"60m"``, ``"4h"``, ``"1d"``, ``"1h30m"``, ``"90"`` (= minutes)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 60m, 4h, 1d or 90 (minutes), got {value!r}")
    if isinstance(value, (int, float)):
        minutes = float(value)
    else:
        parsed, _ = parse_durations(pd.Series([str(value)], dtype="string"), "min")
        minutes = float(parsed.iloc[0]) if parsed.notna().iloc[0] else float("nan")
    if np.isnan(minutes):
        raise ValueError(f"expected a duration such as 60m, 4h, 1d or 90 (minutes), got {value!r}")
    if minutes < 0:
        raise ValueError(f"a target cannot be negative, got {value!r}")
    return minutes


def parse_targets(value) -> dict[str, dict[str, float]]:
    """``{urgent: {frt: 15m, resolution: 4h}, ...}`` → ``{"urgent": {"frt": 15.0, "resolution": 240.0}}``."""
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of priority to targets, e.g. {urgent: {frt: 15m, resolution: 4h}}")
    out: dict[str, dict[str, float]] = {}
    for priority, block in value.items():
        if not isinstance(block, dict):
            raise ValueError(f"{priority}: expected a mapping such as {{frt: 15m, resolution: 4h}}, got {block!r}")
        targets: dict[str, float] = {}
        for metric, target in block.items():
            key = str(metric).strip().lower().replace("-", "_")
            key = {"first_response": "frt", "art": "resolution", "resolution_time": "resolution"}.get(key, key)
            if key not in METRICS:
                raise ValueError(f"{priority}.{metric}: unknown target (expected frt or resolution)")
            try:
                targets[key] = parse_minutes(target)
            except ValueError as e:
                raise ValueError(f"{priority}.{metric}: {e}") from None
        out[_norm_priority(priority)] = targets
    return out


def parse_schedule(value) -> str:
    """Check a weekly schedule (``"Mon-Fri 09:00-17:00"``) or ``off``; keep the text."""
    text = str(value).strip()
    if text.lower() in BUSINESS_HOURS_EXPORT:
        return "export"
    if text.lower() not in OFF:
        Schedule.parse(text)  # raises ScheduleError (a ValueError) with the reason
    return text


def parse_holidays(value) -> str:
    text = str(value).strip()
    if text and text.lower() not in OFF:
        Schedule.parse("24/7", holidays=text)
    return text


def parse_dates(value) -> tuple[str, ...]:
    """Closed dates: a list (YAML) or ``"2025-12-24,2025-12-31"`` → ISO strings."""
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    out = []
    for item in items:
        if isinstance(item, datetime.date):
            out.append(item.isoformat()[:10])
            continue
        text = str(item).strip()
        if not text:
            continue
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(f"invalid closed date {text!r} (expected YYYY-MM-DD)")
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"invalid closed date {text!r} (expected YYYY-MM-DD)") from None
        out.append(text)
    return tuple(sorted(set(out)))


def parse_special_hours(value) -> dict[str, str]:
    """Hours for given dates (``--special-hours 2025-12-24=09:00-13:00,2025-12-31=closed`` or the config's
    ``special:`` mapping) → ``{"2025-12-24": "09:00-13:00", "2025-12-31": "closed"}``."""
    return {day.isoformat(): format_spans(spans) for day, spans in parse_special(value).items()}


SCHEDULE_KEYS = ("hours", "timezone", "holidays", "closed", "special", "from")


def parse_schedules(value) -> dict[str, list[dict]]:
    """Named schedules (``business_hours.schedules``): ``{Support EU: {hours: "Mon-Fri 09:00-17:00",
    timezone: Europe/Berlin, holidays: DE}}``; a list of such mappings is one schedule's history, each
    later one with ``from:`` and keeping what it does not set from the one before. Checked by building
    every schedule; returned as plain text lists (echoed in JSON)."""
    if not isinstance(value, dict) or not value:
        raise ValueError('expected a mapping of schedule name to its hours, e.g. {Support EU: {hours: '
                         '"Mon-Fri 09:00-17:00", timezone: Europe/Berlin, holidays: DE}}')
    out: dict[str, list[dict]] = {}
    seen: dict[str, str] = {}
    for name, spec in value.items():
        label = str(name).strip()
        key = _schedule_key(label)
        if not key:
            raise ValueError("a schedule name is empty")
        if key in seen:
            raise ValueError(f'"{label}" and "{seen[key]}" are one name (matched ignoring case); keep one')
        seen[key] = label
        versions = spec if isinstance(spec, list) else [spec]
        normal = []
        for i, v in enumerate(versions):
            where = label + (f"[{i}]" if isinstance(spec, list) else "")
            normal.append(_schedule_version(v, where, first=i == 0))
        try:
            calendar_from("", normal, "UTC")
        except ValueError as e:
            raise ValueError(f"{label}: {e}") from None
        out[label] = normal
    return out


def _schedule_version(v, where: str, first: bool) -> dict:
    if not isinstance(v, dict):
        raise ValueError(f'{where}: expected a mapping such as {{hours: "Mon-Fri 09:00-17:00", '
                         f"timezone: Europe/Berlin}}, got {v!r}")
    v = dict(v)
    if "schedule" in v:  # the top-level block's word for it
        if "hours" in v:
            raise ValueError(f"{where}: hours and schedule both given; keep hours")
        v["hours"] = v.pop("schedule")
    for k in v:
        if k not in SCHEDULE_KEYS:
            raise ValueError(f"{where}.{k}: unknown key (expected {', '.join(SCHEDULE_KEYS)})")
    out: dict = {}
    if v.get("from") is not None:
        out["from"] = _effective(v["from"], where)
    if v.get("hours") is None:
        if first:
            raise ValueError(f'{where}.hours: missing (e.g. hours: "Mon-Fri 09:00-17:00")')
    else:
        try:
            out["hours"] = parse_schedule(v["hours"])
        except ValueError as e:
            raise ValueError(f"{where}.hours: {e}") from None
        if out["hours"].lower() in OFF | {"export"}:
            raise ValueError(f'{where}.hours: expected weekly hours such as "Mon-Fri 09:00-17:00" '
                             '(a day closed all week: leave it out of the hours)')
    for k, check in (("timezone", lambda x: Schedule.parse("24/7", timezone=x) and str(x)),
                     ("holidays", parse_holidays), ("closed", parse_dates), ("special", parse_special_hours)):
        if v.get(k) is not None:
            try:
                out[k] = check(v[k])
            except ValueError as e:
                raise ValueError(f"{where}.{k}: {e}") from None
    if "closed" in out:
        out["closed"] = list(out["closed"])
    return out


def _effective(value, where: str) -> str:
    """``from: 2025-07-01`` (or ``2025-07-01 12:00``): wall-clock time in that version's zone."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT or ts.tzinfo is not None or isinstance(value, (int, float)):
        raise ValueError(f"{where}.from: expected a date such as 2025-07-01 (or 2025-07-01 12:00, in the "
                         f"schedule's zone), got {value!r}")
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")


def calendar_from(name: str, versions: list[dict], zone: str) -> Calendar:
    """A named schedule's Calendar; a version keeps what it does not set from the one before, and a
    schedule without a timezone keeps ``zone`` (the zone the timestamps are read in)."""
    built, current = [], {"timezone": zone}
    for v in versions:
        current = {**current, **{k: x for k, x in v.items() if k != "from"}}
        built.append((v.get("from"), Schedule.parse(current["hours"], timezone=current["timezone"],
                                                   holidays=current.get("holidays"),
                                                   closed_dates=current.get("closed") or (),
                                                   special=current.get("special"))))
    return Calendar(tuple(built), name=name)


def _schedule_key(name) -> str:
    return str(name).strip().casefold()


def parse_timestamp(value) -> str:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValueError(f"expected a date and time such as 2025-06-30 18:00, got {value!r}") from None
    if ts is pd.NaT:
        raise ValueError(f"expected a date and time such as 2025-06-30 18:00, got {value!r}")
    return ts.isoformat()


def _norm_priority(p) -> str:
    return str(p).strip().lower()


# ------------------------------------------------------------------ params
BUSINESS_PARAMS = (
    Param("business_hours", str, None,
          "Count only open time, e.g. 'Mon-Fri 09:00-17:00' or 'Mon-Fri 08:00-12:00,13:00-17:00; Sat 10:00-14:00'; "
          "'off' for calendar time. Default: the config's business_hours.schedule, else calendar time.",
          parse=parse_schedule),
    Param("holidays", str, None,
          "Public holidays closed for business hours: country[-subdivision], e.g. DE, DE-BY, US-CA.",
          parse=parse_holidays),
    Param("closed", list, None, "Extra closed dates for business hours, e.g. 2025-12-24,2025-12-31 (or a YAML list).",
          parse=parse_dates),
    Param("business_timezone", str, None,
          "Zone of the business-hours schedule (config only; default: the zone timestamps are read in, "
          "i.e. --timezone / the config's timezone).", cli=False),
    Param("special_hours", dict, None,
          "Opening hours for given dates, in place of the weekly hours and holidays: "
          "2025-12-24=09:00-13:00,2025-12-31=closed (config: business_hours.special).",
          parse=parse_special_hours),
    Param("schedule_by", str, None,
          "The column that picks each ticket's schedule among business_hours.schedules, e.g. team "
          "(config only: business_hours.schedule_by).", cli=False),
    Param("schedules", dict, None,
          "Named schedules for schedule_by, e.g. {Support EU: {hours: 'Mon-Fri 09:00-17:00', timezone: "
          "Europe/Berlin, holidays: DE}}; a list of versions with from: for a change (config only).",
          cli=False, parse=parse_schedules),
    Param("default_schedule", str, None,
          "The schedule (one of business_hours.schedules) of tickets whose schedule_by value has none "
          "(config only: business_hours.default; else business_hours.schedule is the default).", cli=False),
)
DURATION_PARAMS = (
    Param("unit", str, "min", "Unit of the durations shown.", choices=("s", "min", "h", "d")),
    Param("stat", str, "mean", "Which statistic is the headline value.", choices=("mean", "median", "p90")),
)
RESOLVED_PARAM = Param(
    "resolved_status", str, RESOLVED_STATUSES,
    "Statuses meaning resolved, comma-separated; used only when neither resolved_at nor resolution_minutes is mapped.")


# ------------------------------------------------------------ business time
def schedule_for(frame: pd.DataFrame | pd.Series | None, settings: dict,
                 notes: list[str]) -> Schedule | RowSchedules | None:
    """The business-hours schedule the settings ask for, in the right zone; None = calendar time.

    ``frame`` is the tickets (or just their ``created_at``): with ``schedules`` and ``schedule_by`` each
    ticket gets its own schedule by that column, so the frame is needed to pick them.
    """
    column = frame if isinstance(frame, pd.Series) or frame is None else frame.get("created_at")
    frame = frame if isinstance(frame, pd.DataFrame) else None
    text = settings.get("business_hours")
    named = settings.get("schedules")
    extras = [f for f in ("holidays", "closed", "special_hours") if settings.get(f)]
    if _exports_business(settings):
        ignored = extras + (["schedules"] if named else [])
        if ignored:
            notes.append(f"{' and '.join(_setting(f) for f in ignored)} not applied: --business-hours export "
                         "uses the export's own business-time columns")
        return None
    if text is not None and str(text).strip().lower() in OFF:
        return None
    if named:
        return _row_schedules(frame, column, settings, notes)
    for key, need in (("schedule_by", "the schedules it picks from"), ("default_schedule", "the schedule it names")):
        if settings.get(key):
            raise UsageError(f"business_hours.{'default' if key == 'default_schedule' else key} needs {need}: "
                             "add business_hours.schedules (see docs/business-hours.md), or drop it")
    if text is None:
        if extras:
            flags = " and ".join(_setting(f) for f in extras)
            verb = "needs" if len(extras) == 1 else "need"
            raise UsageError(f"{flags} {verb} business hours: add --business-hours \"Mon-Fri 09:00-17:00\" "
                             "(or business_hours.schedule in the config)")
        return None
    schedule = _main_schedule(text, column, settings, notes)
    notes.append(f"business hours: {schedule.describe()}")
    return schedule


def _setting(name: str) -> str:
    return "business_hours.schedules" if name == "schedules" else "--" + name.replace("_", "-")


def _data_zone(column) -> str | None:
    tz = getattr(getattr(column, "dtype", None), "tz", None)
    return str(tz) if tz is not None else None


def _main_schedule(text, column, settings: dict, notes: list[str]) -> Schedule:
    """The schedule of ``business_hours`` / ``holidays`` / ``closed`` / ``special_hours`` (the top-level one)."""
    zone = settings.get("business_timezone")
    if not zone:
        zone = _data_zone(column)
        if zone is None:
            zone = "UTC"
            notes.append("timestamps carry no time zone: business hours use their wall-clock time "
                         "(set --timezone for exact counts over DST changes)")
    holidays = settings.get("holidays")
    holidays = None if holidays is None or str(holidays).strip().lower() in OFF else holidays
    return Schedule.parse(str(text), timezone=str(zone), holidays=holidays,
                          closed_dates=settings.get("closed") or (), special=settings.get("special_hours"))


def _row_schedules(frame: pd.DataFrame | None, column, settings: dict, notes: list[str]) -> RowSchedules:
    """Each ticket's schedule by ``schedule_by`` (one vectorised lookup), the default for the others."""
    named = parse_schedules(settings["schedules"])
    text, by, default = settings.get("business_hours"), settings.get("schedule_by"), settings.get("default_schedule")
    data_zone = _data_zone(column)
    read_zone = data_zone or settings.get("business_timezone") or "UTC"
    if data_zone is None:
        notes.append(f"timestamps carry no time zone: read as wall-clock time in {read_zone} "
                     "(set --timezone for exact counts across the schedules' zones)")
    zone = settings.get("business_timezone") or read_zone
    calendars = [calendar_from(name, versions, zone) for name, versions in named.items()]
    names = list(named)
    keys = {_schedule_key(n): i for i, n in enumerate(names)}
    fallback, fallback_name = None, None
    if text is None and (settings.get("holidays") or settings.get("closed") or settings.get("special_hours")):
        raise UsageError("--holidays, --closed and --special-hours apply to business_hours.schedule (the default "
                         "schedule): add it, or set them per schedule under business_hours.schedules")
    if text is not None:
        fallback, fallback_name = _main_schedule(text, column, settings, []), "business_hours.schedule"
        if default:
            notes.append(f"business_hours.default ({one_line(default)}) not used: business_hours.schedule "
                         f"(or --business-hours) \"{one_line(text)}\" is the default schedule")
    elif default:
        if _schedule_key(default) not in keys:
            raise UsageError(f"business_hours.default: unknown schedule {one_line(repr(default))} "
                             f"(expected one of business_hours.schedules: {', '.join(map(one_line, names))})")
        fallback_name = names[keys[_schedule_key(default)]]
        fallback = calendars[keys[_schedule_key(default)]]
    index = frame.index if frame is not None else (column.index if column is not None else pd.RangeIndex(0))
    if not by:
        if fallback is None:
            raise UsageError("business_hours.schedules needs schedule_by (the column that picks a ticket's "
                             "schedule, e.g. schedule_by: team) or a default (business_hours.default: NAME)")
        notes.append(f"business hours: {fallback_name}: {fallback.describe()} (all tickets: no schedule_by)")
        return RowSchedules((fallback,), pd.Series(0, index=index, dtype="int64"), read_zone)
    col = norm(by)
    if frame is None or col not in frame.columns:
        raise MissingColumnsError(f"business_hours.schedule_by: no column {one_line(repr(by))} in the data "
                                  "(map it under the source's columns:, or drop schedule_by)")
    values = frame[col].astype("string").str.strip().str.casefold()
    codes = values.map(keys).astype("float64")
    unmatched = codes.isna()
    if unmatched.any():
        missed = frame[col].astype("string").str.strip()[unmatched].fillna("(empty)").value_counts()
        shown = ", ".join(f"{one_line(repr(str(v)[:40]))} ({n})" for v, n in missed.head(3).items())
        more = f" and {len(missed) - 3} more" if len(missed) > 3 else ""
        if fallback is None:
            raise UsageError(f"business_hours.schedule_by {one_line(by)}: {_tickets(int(unmatched.sum()))} "
                             f"match no schedule: {shown}{more}; add them under business_hours.schedules, or "
                             "set business_hours.default: NAME (or business_hours.schedule) for the others")
        notes.append(f"{_tickets(int(unmatched.sum()))} used the default schedule ({fallback_name}: "
                     f"{fallback.describe()}): {one_line(by)} {shown}{more} "
                     f"{'has no schedule of its own' if len(missed) == 1 else 'have no schedule of their own'}")
        codes = codes.fillna(len(calendars))
        calendars.append(fallback)
    codes = codes.astype("int64")
    counts = np.bincount(codes.to_numpy(), minlength=len(calendars))
    listed = "; ".join(f"{one_line(n)}: {c.describe()} ({_tickets(k)})"
                       for n, c, k in zip(names, calendars, counts) if k)
    notes.append(f"business hours by {one_line(by)}: {listed or 'no ticket matched a named schedule'}")
    return RowSchedules(tuple(calendars), codes, read_zone)


def _exports_business(settings: dict) -> bool:
    return str(settings.get("business_hours")).strip().lower() in BUSINESS_HOURS_EXPORT


def _wants_business(settings: dict) -> bool:
    text = settings.get("business_hours")
    if text is not None and str(text).strip().lower() in OFF:
        return False
    return text is not None or bool(settings.get("schedules"))


def elapsed_minutes(start: pd.Series, end: pd.Series, schedule: Schedule | RowSchedules | None) -> pd.Series:
    """end − start in minutes (business minutes with a schedule); NaN where either is missing."""
    if schedule is not None:
        return business_minutes(start, end, schedule)
    return minutes_between(start, end)


def _timed(frame: pd.DataFrame, metric: str) -> bool:
    at, _, _ = METRICS[metric]
    return "created_at" in frame.columns and at in frame.columns


class Durations:
    """One duration metric of every row: minutes where done, which rows are not done yet, which are bad."""

    def __init__(self, frame: pd.DataFrame, metric: str, schedule: Schedule | RowSchedules | None, notes: list[str],
                 business: bool = False, exported: bool = False):
        at, minutes_col, what = METRICS[metric]
        self.metric = metric
        reasons = pd.Series(pd.NA, index=frame.index, dtype="object")
        if exported and minutes_col not in frame.columns:
            raise UsageError(f"--business-hours export: the {what} needs the export's own business-time column "
                             f"({minutes_col}; a preset such as zendesk maps it); or give a schedule such as "
                             "--business-hours \"Mon-Fri 09:00-17:00\"")
        if _timed(frame, metric) and not exported:
            start, end = frame["created_at"], frame[at]
            no_start = start.isna() & end.notna()
            reasons[no_start] = f"no created_at to time the {what}"
            negative = start.notna() & end.notna() & (end < start)
            reasons[negative] = f"{at} before created_at (negative duration)"
            minutes = elapsed_minutes(start, end, schedule).where(~negative & ~no_start)
            self.pending = end.isna() & ~no_start
            if minutes_col in frame.columns:
                notes.append(f"{what} timed from created_at and {at}; {minutes_col} not used")
        elif minutes_col in frame.columns:
            minutes = frame[minutes_col].astype("float64")
            negative = minutes < 0
            reasons[negative.fillna(False)] = f"negative {minutes_col}"
            minutes = minutes.where(~negative)
            self.pending = frame[minutes_col].isna()
            if exported:
                notes.append(f"{what} in business time as the export computed it ({minutes_col}, the tool's own "
                             "schedule)")
            elif business:
                notes.append(f"business hours not applied to {what}: the export's {minutes_col} is used as "
                             f"exported (map created_at and {at} to count business time)")
        else:
            raise MissingColumnsError(f"{metric} needs columns 'created_at' + '{at}', or '{minutes_col}'")
        self.minutes = minutes.astype("float64")
        self.skipped = reasons.dropna().astype("object")


def ticket_minutes(frame: pd.DataFrame, settings: dict, notes: list[str], metric: str) -> tuple[pd.Series, pd.Series]:
    """``metric`` ("frt" or "resolution") of every ticket exactly as the `frt` / `resolution` KPIs count it:
    business minutes when the settings carry a schedule (``business_hours``, ``holidays``, ``closed``),
    the export's own business-time column with ``--business-hours export``, else calendar minutes.

    Returns ``(minutes, skipped reasons)``; minutes are NaN where the ticket is not answered / resolved yet,
    or where the metric's columns are not mapped (a KPI that only shows it beside its own value, such as
    `topics` or `peak`, then shows it empty).
    """
    _, minutes_col, what = METRICS[metric]
    exported = _exports_business(settings)
    timed = _timed(frame, metric)
    if not (timed or minutes_col in frame.columns) or (exported and minutes_col not in frame.columns):
        if exported and timed:
            notes.append(f"{what} left empty: --business-hours export needs the export's own {minutes_col}")
        return pd.Series(np.nan, index=frame.index, dtype="float64"), pd.Series(dtype="object")
    schedule = schedule_for(frame, settings, notes) if timed else None
    d = Durations(frame, metric, schedule, notes, business=_wants_business(settings), exported=exported)
    return d.minutes, d.skipped


# ------------------------------------------------------------ FRT and ART
def _duration_kpi(frame: pd.DataFrame, settings: dict, metric: str, pending_label: str) -> Measured:
    notes: list[str] = []
    schedule = schedule_for(frame, settings, notes) if _timed(frame, metric) else None
    d = Durations(frame, metric, schedule, notes, business=_wants_business(settings),
                  exported=_exports_business(settings))
    keep = frame.index.difference(d.skipped.index)
    values = pd.DataFrame({"minutes": d.minutes.loc[keep], pending_label: d.pending.loc[keep].astype(bool)})
    pending = int(values[pending_label].sum())
    if pending:
        what = "unanswered" if metric == "frt" else "open (unresolved)"
        notes.append(_counted(pending, what, f" not averaged (breakdown: {pending_label})"))
    return Measured(values, d.skipped, notes, excluded=pending)


@kpi(
    name="frt",
    headline="median",
    title="First response time",
    source="tickets",
    needs=("created_at+first_response_at|first_response_minutes",),
    unit="min",
    higher_is_better=False,
    formula="first_response_at − created_at (or first_response_minutes), mean / median / p90 over answered "
            "tickets; unanswered counted apart",
    statistic=statistic.durations("unanswered"),
    params=DURATION_PARAMS + BUSINESS_PARAMS,
    example='cxkpi frt sample_data/tickets.csv --by channel --business-hours "Mon-Fri 09:00-17:00" --holidays DE',
)
def frt(frame: pd.DataFrame, settings: dict) -> Measured:
    """Time to the first agent response. Tickets not answered yet are counted as `unanswered`, not averaged."""
    return _duration_kpi(frame, settings, "frt", "unanswered")


@kpi(
    name="resolution",
    headline="median",
    title="Resolution time (ART)",
    source="tickets",
    needs=("created_at+resolved_at|resolution_minutes",),
    unit="min",
    higher_is_better=False,
    formula="resolved_at − created_at (or resolution_minutes), mean / median / p90 over resolved tickets; "
            "open tickets counted apart",
    statistic=statistic.durations("open"),
    params=DURATION_PARAMS + BUSINESS_PARAMS,
    example="cxkpi resolution sample_data/tickets.csv --unit h --stat median --period month",
)
def resolution(frame: pd.DataFrame, settings: dict) -> Measured:
    """Time from creation to resolution. Tickets not resolved yet are counted as `open`, not averaged."""
    return _duration_kpi(frame, settings, "resolution", "open")


# ------------------------------------------------------- resolved population
def resolved_mask(frame: pd.DataFrame, settings: dict, notes: list[str]) -> pd.Series:
    """Which tickets are resolved: resolved_at (or resolution_minutes) present, else a resolved status."""
    for col in ("resolved_at", "resolution_minutes"):
        if col in frame.columns:
            return frame[col].notna()
    if "status" in frame.columns:
        statuses = {s.strip().lower() for s in str(settings.get("resolved_status") or RESOLVED_STATUSES).split(",")}
        notes.append(f"resolved = status in {', '.join(sorted(statuses))}")
        status = frame["status"].astype("string").str.strip().str.lower()
        return status.isin(statuses).fillna(False).astype(bool)
    raise MissingColumnsError("needs 'resolved_at', 'resolution_minutes' or 'status' to tell resolved tickets")


def _counts(frame: pd.DataFrame, column: str, rows: pd.Series, reasons: pd.Series, minimum: float = 0) -> pd.Series:
    """A count column on the rows that need it; missing or below ``minimum`` is a skip reason."""
    value = frame[column].astype("float64")
    reasons[rows & value.isna() & reasons.isna()] = f"no {column} on a resolved ticket"
    reasons[rows & (value < minimum).fillna(False) & reasons.isna()] = (
        f"{column} below {minimum:g}" if minimum else f"negative {column}")
    return value


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str, hint: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(frame.columns)
        raise MissingColumnsError(f"{what} needs column {' and '.join(map(repr, missing))} ({hint}); have: {have}")


def _fcr_answers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(1.0 yes / 0.0 no / NaN no answer, True where a present answer is not yes/no)."""
    t = raw.astype("string").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    t = t.mask(t.isin(MISSING_TOKENS))  # the one list of the words that mean "no value" (#n/a, (blank), …)
    yes, no = t.isin(FCR_YES).fillna(False), t.isin(FCR_NO).fillna(False)
    answer = pd.Series(np.nan, index=raw.index).mask(yes, 1.0).mask(no, 0.0)
    return answer, (t.notna() & ~yes & ~no).astype(bool)


@kpi(
    name="fcr",
    title="First contact resolution",
    source="tickets",
    needs=("resolved_at|resolution_minutes|status",),
    optional=("agent_replies", "reopens", "contacts", "fcr_answer"),
    unit="%",
    higher_is_better=True,
    formula="100 × resolved tickets resolved in one contact / resolved tickets; one-touch: agent_replies ≤ 1 "
            "and reopens = 0; one-reply: agent_replies = 1, reopens ignored (dbt_zendesk's one-touch); "
            "contacts: contacts = 1; survey: fcr_answer = yes (over answered)",
    statistic=statistic.resolved_share("first_contact", ("open", "no_answer")),
    params=(
        Param("rule", str, "one-touch",
              "one-touch: agent_replies ≤ 1 and reopens = 0; one-reply: exactly one agent reply, reopens "
              "ignored (dbt_zendesk's one-touch); contacts: contacts = 1; "
              "survey: the ticket's yes/no fcr_answer column.",
              choices=("one-touch", "one-reply", "contacts", "survey")),
        RESOLVED_PARAM,
    ),
    benchmark="each 1-point rise in FCR goes with about a 1-point rise in CSAT",
    example="cxkpi fcr sample_data/tickets.csv --rule one-touch --by channel",
    significance=("proportion", "first_contact"),
)
def fcr(frame: pd.DataFrame, settings: dict) -> Measured:
    """Percent of resolved tickets resolved in one contact; open tickets are counted apart, not in the denominator."""
    notes: list[str] = []
    rule = settings.get("rule") or "one-touch"
    resolved = resolved_mask(frame, settings, notes)
    reasons = pd.Series(pd.NA, index=frame.index, dtype="object")
    no_answer = pd.Series(False, index=frame.index)
    if rule == "one-touch":
        _require(frame, ("agent_replies", "reopens"), "fcr --rule one-touch",
                 "or use --rule one-reply (no reopens needed) / contacts / survey")
        replies = _counts(frame, "agent_replies", resolved, reasons)
        reopens = _counts(frame, "reopens", resolved, reasons)
        hit = ((replies <= 1) & (reopens == 0)).astype("float64")
    elif rule == "one-reply":  # dbt_zendesk's is_one_touch_resolution: a solve with 0 replies is not one
        _require(frame, ("agent_replies",), "fcr --rule one-reply", "or use --rule contacts / survey")
        replies = _counts(frame, "agent_replies", resolved, reasons)
        hit = (replies == 1).astype("float64")
    elif rule == "contacts":
        _require(frame, ("contacts",), "fcr --rule contacts", "or use --rule one-touch / one-reply / survey")
        contacts = _counts(frame, "contacts", resolved, reasons, minimum=1)
        hit = (contacts == 1).astype("float64")
    elif rule == "survey":
        _require(frame, ("fcr_answer",), "fcr --rule survey",
                 "the ticket's yes/no answer to 'Resolved on first contact?'; map it with --map fcr_answer=HEADER")
        answer, unreadable = _fcr_answers(frame["fcr_answer"])
        reasons[resolved & unreadable] = "fcr_answer is not a yes/no answer"
        no_answer = resolved & answer.isna() & ~unreadable
        hit = answer
    else:
        raise UsageError(f"--rule {rule!r}: expected one-touch, one-reply, contacts or survey")
    skipped = reasons.dropna().astype("object")
    keep = frame.index.difference(skipped.index)
    open_ = ~resolved
    values = pd.DataFrame({
        "first_contact": hit.where(resolved & ~no_answer).loc[keep],
        "open": open_.loc[keep].astype(bool),
        "no_answer": no_answer.loc[keep].astype(bool),
    })
    excluded = int(values["open"].sum() + values["no_answer"].sum())
    if values["open"].any():
        notes.append(_counted(values["open"].sum(), "open", " not in the denominator (breakdown: open)"))
    if values["no_answer"].any():
        notes.append(_counted(values["no_answer"].sum(), "resolved", " without an fcr_answer not counted "
                              "(breakdown: no_answer)"))
    notes.append({"one-touch": "rule one-touch: agent_replies ≤ 1 and reopens = 0",
                  "one-reply": "rule one-reply: agent_replies = 1, reopens not checked (dbt_zendesk's one-touch)",
                  "contacts": "rule contacts: contacts = 1",
                  "survey": "rule survey: share of yes among resolved tickets with an fcr_answer"}[rule])
    return Measured(values, skipped, notes, excluded=excluded)


@kpi(
    name="reopens",
    title="Reopen rate",
    source="tickets",
    needs=("reopens", "resolved_at|resolution_minutes|status"),
    unit="%",
    higher_is_better=False,
    formula="100 × resolved tickets with reopens ≥ 1 / resolved tickets",
    statistic=statistic.resolved_share("reopened", ("open",)),
    params=(RESOLVED_PARAM,),
    example="cxkpi reopens sample_data/tickets.csv --by topic",
    significance=("proportion", "reopened"),
)
def reopens(frame: pd.DataFrame, settings: dict) -> Measured:
    """Percent of resolved tickets reopened at least once; open tickets are counted apart."""
    notes: list[str] = []
    resolved = resolved_mask(frame, settings, notes)
    reasons = pd.Series(pd.NA, index=frame.index, dtype="object")
    count = _counts(frame, "reopens", resolved, reasons)
    skipped = reasons.dropna().astype("object")
    keep = frame.index.difference(skipped.index)
    values = pd.DataFrame({"reopened": (count >= 1).astype("float64").where(resolved).loc[keep],
                           "open": (~resolved).loc[keep].astype(bool)})
    excluded = int(values["open"].sum())
    if excluded:
        notes.append(_counted(excluded, "open", " not in the denominator (breakdown: open)"))
    return Measured(values, skipped, notes, excluded=excluded)


# ---------------------------------------------------------------------- SLA
# a ticket's own due instant per metric: judged against it instead of a target when the row has one
DUE = {"frt": "first_response_due_at", "resolution": "due_at"}


def _sla_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    # by_due_date / by_target only when the export has due-date columns (values then carry `by_due`)
    dues = "by_due" in values.columns
    labels = ["met", "breached", "pending", *(["by_due_date", "by_target"] if dues else []), "frt_met_pct",
              "frt_breached", "resolution_met_pct", "resolution_breached"]
    if values.empty and not keys:
        return pd.DataFrame([{"value": np.nan, "n": 0, **{k: (np.nan if k.endswith("pct") else 0) for k in labels}}])
    counts = ("met", "breached", "pending", *(["by_due"] if dues else []), "frt_met", "frt_breached",
              "resolution_met", "resolution_breached")
    frame = values.assign(**{f"_{c}": values[c].astype("int64") for c in counts})
    g = grouped(frame, keys)
    out = g.agg(**{("by_due_date" if c == "by_due" else c): (f"_{c}", "sum") for c in counts})
    if dues:  # every ticket kept is met, breached or pending: judged by a due date on any metric, or by targets
        out["by_target"] = out["met"] + out["breached"] + out["pending"] - out["by_due_date"]
    out["n"] = out["met"] + out["breached"]
    out["value"] = 100 * out["met"] / out["n"].where(out["n"] > 0)
    out["low"], out["high"] = wilson_interval(out["met"], out["n"])
    for m in METRICS:
        decided = out[f"{m}_met"] + out[f"{m}_breached"]
        out[f"{m}_met_pct"] = 100 * out[f"{m}_met"] / decided.where(decided > 0)
    return out[["value", "n", "low", "high", *labels]]


def _targets(frame: pd.DataFrame, settings: dict) -> dict[str, pd.Series]:
    """Per row target minutes for each metric (NaN = no target for the row's priority)."""
    default = {m: settings.get(f"{m}_target") for m in METRICS}
    table = settings.get("targets") or {}
    if table and "priority" not in frame.columns:
        raise MissingColumnsError("sla: per-priority targets (kpis.sla.targets) need a 'priority' column; "
                                  "map it, or use --frt-target / --resolution-target for every ticket")
    out = {}
    for m in METRICS:
        base = np.nan if default[m] is None else float(default[m])
        series = pd.Series(base, index=frame.index, dtype="float64")
        if table:
            lookup = {p: t[m] for p, t in table.items() if m in t}
            prio = frame["priority"].astype("string").str.strip().str.lower()
            specific = prio.map(lookup).astype("float64")
            series = specific.fillna(series) if lookup else series
            # a priority listed in `targets` without this metric has no target for it
            listed_without = prio.isin([p for p, t in table.items() if m not in t]).fillna(False).astype(bool)
            series = series.mask(listed_without & specific.isna())
        out[m] = series
    return out


def _as_of(frame: pd.DataFrame, settings: dict, notes: list[str]) -> pd.Timestamp | None:
    """The instant open/unanswered tickets are judged at: --as-of, else the latest timestamp in the export.

    Due dates are not events (they lie in the future by design), so they never set the default.
    """
    cols = [c for c in ("created_at", "first_response_at", "resolved_at") if c in frame.columns]
    zoned = [c for c in (*cols, *DUE.values()) if c in frame.columns]
    tz = getattr(frame[zoned[0]].dtype, "tz", None) if zoned else None
    if settings.get("as_of"):
        ts = pd.Timestamp(settings["as_of"])
        if tz is not None and ts.tzinfo is None:
            ts = ts.tz_localize(tz)
        elif tz is None and ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        elif tz is not None:
            ts = ts.tz_convert(tz)
        return ts
    latest = [frame[c].max() for c in cols]
    latest = [t for t in latest if t is not None and not pd.isna(t)]
    if not latest:
        return None
    ts = max(latest)
    notes.append(f"open and unanswered tickets judged as of {ts} (the latest timestamp in the data; set --as-of)")
    return ts


def _same_zone(a: pd.Series, b: pd.Series) -> None:
    if isinstance(a.dtype, pd.DatetimeTZDtype) != isinstance(b.dtype, pd.DatetimeTZDtype):
        raise InputError(f"{a.name!r} and {b.name!r}: one has a time zone and the other has not; "
                         "set `timezone:` in the config (or --tz) so both are read in the same zone")


def _event_at(frame: pd.DataFrame, metric: str, notes: list[str], exported: bool) -> pd.Series | None:
    """The instant of the first response (resolution): its timestamp, else created_at + the export's minutes."""
    at, minutes_col, what = METRICS[metric]
    if at in frame.columns:
        return frame[at].rename(at)
    if "created_at" in frame.columns and minutes_col in frame.columns and not exported:
        notes.append(f"{what} instant for due dates = created_at + {minutes_col} (calendar time; map {at} "
                     "if the export's minutes are business time)")
        return (frame["created_at"] + pd.to_timedelta(frame[minutes_col].astype("float64"), unit="min")).rename(at)
    return None


class _DueJudgement:
    """One metric of every row judged against the row's own due date (rows without one: all False)."""

    def __init__(self, frame: pd.DataFrame, metric: str, due: pd.Series, as_of: pd.Timestamp | None,
                 notes: list[str], reasons: pd.Series, exported: bool):
        at, minutes_col, what = METRICS[metric]
        idx = frame.index
        self.has = due.notna()
        event = _event_at(frame, metric, notes, exported)
        if event is None:
            raise MissingColumnsError(f"sla: {DUE[metric]} needs '{at}' (or 'created_at' + '{minutes_col}') to tell "
                                      f"when the {what} came; map it, or leave {DUE[metric]} unmapped")
        _same_zone(event, due)
        self.silent = pd.Series(False, index=idx)
        if metric == "frt":  # a solve with no reply counts as the reply, as for the targets
            solved = _event_at(frame, "resolution", [], exported)
            if solved is not None:
                _same_zone(solved, due)
                self.silent = event.isna() & solved.notna()
                event = event.where(~self.silent, solved)
        # a due date written without a time of day (every value at midnight) is due by the end of that day
        dated = due.dropna()
        date_only = not dated.empty and bool((dated == dated.dt.normalize()).all())
        end = due + pd.Timedelta(days=1) if date_only else due
        if date_only:
            notes.append(f"{DUE[metric]} has dates without a time: due by the end of that day")

        def late(t):
            return (t >= end) if date_only else (t > end)

        self.reasons = reasons
        if "created_at" in frame.columns:
            _same_zone(frame["created_at"], event)
            bad = self.has & (event < frame["created_at"]).fillna(False).astype(bool) & self.reasons.isna()
            source = "resolved_at" if metric == "frt" else at
            self.reasons = self.reasons.mask(bad & self.silent, f"{source} before created_at (negative duration)")
            self.reasons = self.reasons.mask(bad & ~self.silent, f"{at} before created_at (negative duration)")
        done = self.has & event.notna()
        waiting = self.has & event.isna()
        if as_of is None:
            state = "unanswered" if metric == "frt" else "open"
            self.reasons = self.reasons.mask(waiting & self.reasons.isna(),
                                             f"{state} with a due date and no timestamp to judge it at (set --as-of)")
            overdue = pd.Series(False, index=idx)
        else:
            overdue = waiting & late(pd.Series(as_of, index=idx)).fillna(False).astype(bool)
        self.met = done & ~late(event).fillna(False).astype(bool)
        self.late_done = done & late(event).fillna(False).astype(bool)
        self.overdue = overdue
        self.pending = waiting & ~overdue & (as_of is not None)
        until = event.where(done, as_of if as_of is not None else pd.NaT)
        self.over = ((until - end).dt.total_seconds() / 60).where(self.late_done | self.overdue)
        self.minutes = minutes_between(frame["created_at"], until.rename(at)) if "created_at" in frame.columns \
            else pd.Series(np.nan, index=idx)
        self.due = due


@kpi(
    name="sla",
    title="SLA attainment",
    source="tickets",
    needs=("created_at+first_response_at|first_response_minutes|created_at+resolved_at|resolution_minutes|"
           "first_response_due_at+first_response_at|due_at+resolved_at",),
    optional=("created_at", "first_response_at", "first_response_minutes", "resolved_at", "resolution_minutes",
              "first_response_due_at", "due_at", "priority", "ticket_id"),
    unit="%",
    higher_is_better=True,
    formula="100 × tickets within every target (FRT ≤ frt target, ART ≤ resolution target; or responded / "
            "resolved at or before the row's own first_response_due_at / due_at) / tickets decided; "
            "unanswered or open past a target or due date = breached, not yet past = pending",
    aggregate=_sla_aggregate,
    params=(
        Param("frt_target", float, None, "First-response target for every ticket, e.g. 60m, 4h, 1d or 90 (minutes).",
              parse=parse_minutes),
        Param("resolution_target", float, None, "Resolution target for every ticket, e.g. 24h, 3d.",
              parse=parse_minutes),
        Param("targets", dict, None, "Per-priority targets (config only): {urgent: {frt: 15m, resolution: 4h}, ...}; "
              "they replace the flat targets for the priorities listed.", parse=parse_targets, cli=False),
        Param("as_of", str, None, "Judge open and unanswered tickets at this instant "
              "(default: the latest timestamp in the data).", parse=parse_timestamp),
        Param("top", int, 10, "How many of the worst breaches to list (JSON: offenders)."),
    ) + BUSINESS_PARAMS,
    example="cxkpi sla sample_data/tickets.csv --frt-target 60m --resolution-target 24h --by priority",
    significance=("proportion", "met"),
)
def sla(frame: pd.DataFrame, settings: dict) -> Measured:
    """Percent of tickets that met every SLA target that applies to them.

    A ticket is judged on each metric with a target for its priority: met when
    the response (resolution) came within the target, breached when it came
    later or has not come and the target has passed; while neither, the ticket
    is `pending` and left out of the denominator. A row with its own due date
    (``first_response_due_at``, ``due_at``: Freshdesk's "First response due by",
    "Due by Time") is judged against it for that metric instead: met at or
    before the due instant, breached after it or when still waiting past it.
    """
    notes: list[str] = []
    due_cols = {m: frame[c] for m, c in DUE.items() if c in frame.columns}
    if settings.get("frt_target") is None and settings.get("resolution_target") is None \
            and not settings.get("targets") and not due_cols:
        raise MissingSettingError("sla needs a target: --frt-target 60m and/or --resolution-target 24h, "
                         "per-priority kpis.sla.targets in the config, or due-date columns (due_at, "
                         "first_response_due_at)")
    targets = _targets(frame, settings)
    by_due = {m: (due_cols[m].notna() if m in due_cols else pd.Series(False, index=frame.index)) for m in METRICS}
    for m in METRICS:  # a row's own due date replaces the target for that metric
        targets[m] = targets[m].where(~by_due[m])
    active = [m for m in METRICS if targets[m].notna().any()]  # none: every row is skipped with its reason
    timed = "created_at" in frame.columns
    exported = _exports_business(settings)
    schedule = schedule_for(frame, settings, notes) if timed else None
    as_of = _as_of(frame, settings, notes) if timed or due_cols else None
    reasons = pd.Series(pd.NA, index=frame.index, dtype="object")
    no_target = targets["frt"].isna() & targets["resolution"].isna() & ~by_due["frt"] & ~by_due["resolution"]
    lead = "no due date and " if due_cols else ""
    if "priority" in frame.columns:
        prio = frame["priority"].astype("string").str.strip()
        reasons = reasons.mask(no_target & prio.notna(), lead + "no SLA target for priority " + prio.str.lower())
        reasons = reasons.mask(no_target & prio.isna(), "no due date, no priority and no default SLA target"
                               if due_cols else "no priority and no default SLA target")
    else:
        reasons[no_target] = f"{lead}no SLA target"
    cols: dict[str, pd.Series] = {}
    offenders = []
    false = pd.Series(False, index=frame.index)
    state_met = pd.Series(True, index=frame.index)
    any_breach = false.copy()
    any_pending = false.copy()
    for m in METRICS:
        cols[f"{m}_met"], cols[f"{m}_breached"] = false, false
        if m in due_cols and by_due[m].any():
            j = _DueJudgement(frame, m, due_cols[m], as_of, notes, reasons, exported)
            reasons = j.reasons
            cols[f"{m}_met"], cols[f"{m}_breached"] = j.met, j.late_done | j.overdue
            state_met &= ~j.has | j.met
            any_breach |= j.late_done | j.overdue
            any_pending |= j.pending
            offenders.append(pd.DataFrame({
                "metric": m,
                "state": np.select([j.late_done & j.silent, j.late_done],
                                   ["closed unanswered", "answered" if m == "frt" else "resolved"],
                                   "unanswered" if m == "frt" else "open"),
                "minutes": j.minutes, "target_minutes": np.nan, "due_at": j.due.astype("string"),
                "over_by_minutes": j.over,
            }).dropna(subset=["over_by_minutes"]))
        if m not in active:
            continue
        target = targets[m]
        has = target.notna()
        at, minutes_col, what = METRICS[m]
        if not (_timed(frame, m) or minutes_col in frame.columns):
            raise MissingColumnsError(f"sla: a {m} target needs columns 'created_at' + '{at}', or '{minutes_col}'")
        d = Durations(frame, m, schedule, notes, business=_wants_business(settings), exported=exported)
        reasons = reasons.mask(has & reasons.isna(), d.skipped.reindex(frame.index))
        done, actual, waiting = d.minutes.notna(), d.minutes, d.pending
        silent = pd.Series(False, index=frame.index)
        if m == "frt":
            # a ticket resolved without any response: its FRT clock stops at the resolution
            closed = pd.Series(np.nan, index=frame.index)
            if timed and "resolved_at" in frame.columns and not exported:
                closed = elapsed_minutes(frame["created_at"], frame["resolved_at"], schedule)
                bad = d.pending & (frame["resolved_at"] < frame["created_at"]).fillna(False).astype(bool)
                reasons = reasons.mask(has & bad & reasons.isna(), "resolved_at before created_at (negative duration)")
            elif "resolution_minutes" in frame.columns:
                closed = frame["resolution_minutes"].astype("float64").where(lambda x: x >= 0)
            silent = d.pending & closed.notna()
            actual, done, waiting = actual.fillna(closed.where(silent)), done | silent, waiting & ~silent
        # still waiting: the clock runs to --as-of
        waited = pd.Series(np.nan, index=frame.index)
        if timed and as_of is not None and waiting.any() and not exported:
            waited = elapsed_minutes(frame["created_at"], pd.Series(as_of, index=frame.index), schedule).where(waiting)
        no_clock = has & waiting & waited.isna() & reasons.isna()
        state = "unanswered" if m == "frt" else "open"
        reasons[no_clock] = (f"{state}: the export's business time stops at the {what}, so an open clock cannot be "
                             "judged (give --business-hours a schedule)" if exported
                             else f"{state} and no created_at to judge the {what} target")
        met = has & done & (actual <= target)
        late_done = has & done & (actual > target)
        late_waiting = has & waiting & (waited > target)
        pending = has & waiting & (waited <= target)
        cols[f"{m}_met"] = cols[f"{m}_met"] | met
        cols[f"{m}_breached"] = cols[f"{m}_breached"] | late_done | late_waiting
        state_met &= ~has | met
        any_breach |= late_done | late_waiting
        any_pending |= pending
        actual = actual.where(done, waited)
        over = (actual - target).where(late_done | late_waiting)
        offenders.append(pd.DataFrame({
            "metric": m,
            "state": np.select([late_done & silent, late_done], ["closed unanswered", "answered" if m == "frt" else
                                                                  "resolved"], "unanswered" if m == "frt" else "open"),
            "minutes": actual, "target_minutes": target, "over_by_minutes": over,
        }).dropna(subset=["over_by_minutes"]))
    skipped = reasons.dropna().astype("object")
    keep = frame.index.difference(skipped.index)
    breached = any_breach
    pending = ~breached & any_pending
    met = ~breached & ~pending & state_met
    values = pd.DataFrame({"met": met, "breached": breached, "pending": pending,
                           **({"by_due": by_due["frt"] | by_due["resolution"]} if due_cols else {}),
                           **{k: v.astype(bool) for k, v in cols.items()}}).loc[keep]
    excluded = int(values["pending"].sum())
    if excluded:
        within = "within a target or before their due date" if due_cols else "within a target"
        notes.append(f"{_tickets(excluded)} still {within}, not counted yet: pending tickets are not in the "
                     "denominator (breakdown: pending)")
    if due_cols:
        judged = int(values["by_due"].sum())
        notes.append(f"{_tickets(judged)} judged by their own due date, {_tickets(len(values) - judged)} by the "
                     "targets (breakdown: by_due_date, by_target)")
        notes.append("an unanswered (open) ticket past its target or due date counts as breached")
    else:
        notes.append("an unanswered (open) ticket past its target counts as breached")
    measured = Measured(values, skipped, notes, excluded=excluded)
    measured.extra = {"offenders": _offenders(frame, offenders, keep, settings)}
    if measured.extra["offenders"]:
        worst = measured.extra["offenders"][:3]
        shown = ", ".join(f"{o.get('ticket_id') or 'row ' + str(o['row'])} ({o['metric']} "
                          f"+{_human(o['over_by_minutes'], schedule is not None and o.get('due_at') is None)})"
                          for o in worst)
        notes.append(f"worst breaches: {shown} (all in --format json: offenders)")
    return measured


def _offenders(frame: pd.DataFrame, parts: list[pd.DataFrame], keep: pd.Index, settings: dict) -> list[dict]:
    top = int(settings.get("top") if settings.get("top") is not None else 10)
    if not parts or top <= 0:
        return []
    table = pd.concat(parts)
    table = table[table.index.isin(keep)]
    if table.empty:
        return []
    table = table.sort_values("over_by_minutes", ascending=False, kind="stable").head(top)
    out = table.assign(row=table.index.astype("int64"))
    if "ticket_id" in frame.columns:
        out["ticket_id"] = frame["ticket_id"].reindex(out.index).astype("string")
    if "priority" in frame.columns:
        out["priority"] = frame["priority"].reindex(out.index).astype("string")
    order = [c for c in ("ticket_id", "row", "priority", "metric", "state", "minutes", "target_minutes",
                         "due_at", "over_by_minutes") if c in out.columns]
    records = out[order].astype(object).where(out[order].notna(), None).to_dict("records")
    for r in records:
        for k in ("minutes", "target_minutes", "over_by_minutes"):
            r[k] = None if r[k] is None else round(float(r[k]), 2)
        if "due_at" in r and r["due_at"] is None:
            del r["due_at"]
    return records


def _counted(count, adjective: str, rest: str) -> Counted:
    """'3 open tickets' + ``rest`` as a note that adds up over batches (``rest``: our own words)."""
    rest = rest.replace("{", "{{").replace("}", "}}")
    return Counted("{n} " + (adjective + " " if adjective else "") + "{tickets}" + rest, count,
                   tickets=("ticket", "tickets"))


def _tickets(count, adjective: str = "") -> str:
    count = int(count)
    word = "ticket" if count == 1 else "tickets"
    return f"{count} {adjective + ' ' if adjective else ''}{word}"


def _human(minutes: float, business: bool = False) -> str:
    if business:  # a business day is not 24 h, so business time stays in hours
        return f"{minutes / 60:.1f} business h" if minutes >= 120 else f"{minutes:.0f} business min"
    if minutes >= 2 * 1440:
        return f"{minutes / 1440:.1f} d"
    if minutes >= 120:
        return f"{minutes / 60:.1f} h"
    return f"{minutes:.0f} min"


# ------------------------------------------------------------ wait times
# Zendesk's status-based metrics (dbt_zendesk computes them from ticket_field_history the same way):
# requester wait = time in new / open / on-hold, agent wait = time in pending
WAITS = {"requester-wait": ("requester_wait_minutes", "new,open,hold,on-hold,on hold", "requester wait"),
         "agent-wait": ("agent_wait_minutes", "pending", "agent wait")}
AS_OF_SPELLS = Param("as_of", str, None, "Status history: the ticket's last status runs until this instant "
                     "(default: the latest changed_at in the data).", parse=parse_timestamp)


def _wait_params(kpi_name: str) -> tuple[Param, ...]:
    _, statuses, what = WAITS[kpi_name]
    return (Param("statuses", str, statuses, f"Status history: the statuses that count as {what} time, "
                  "comma-separated (case and spacing ignored)."), AS_OF_SPELLS) + DURATION_PARAMS + BUSINESS_PARAMS


def _wait_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    """Durations of tickets placed by ``_at`` (created_at, or a history's first change): a ticket is
    selected and put in a period whole, never cut at --since/--until (the KPI is periodic)."""
    at = values["_at"]
    timed = ctx.since is not None or ctx.until is not None or "period" in keys
    if timed and len(at) and at.isna().all():  # else every ticket would silently fall out of the window
        raise MissingColumnsError("--period / --since / --until place each ticket by its created_at, and this "
                                  "file has none; map it with --map created_at=HEADER (or in the config)")
    if ctx.since is not None or ctx.until is not None:
        keep = at.notna()
        if ctx.since is not None:
            keep &= at >= ctx.since
        if ctx.until is not None:
            keep &= at < ctx.until
        values = values[keep.fillna(False).to_numpy(dtype=bool)]
    if "period" in keys:
        values = values[values["_at"].notna().to_numpy()]
        values = values.assign(period=_period_start(values["_at"], ctx.period))
    labels = [c for c in ("open", "empty") if c in values.columns]
    out = aggregate.durations(values, keys, ctx)
    if values.empty and not keys:
        for label in labels:
            out[label] = 0
        return out
    for label in labels:
        out[label] = grouped(values, keys)[label].sum().astype("int64")
    return out


def _wait_kpi(frame: pd.DataFrame, settings: dict, kpi_name: str) -> Measured:
    column, _, _ = WAITS[kpi_name]
    if column not in frame.columns and {"ticket_id", "status", "changed_at"} <= set(frame.columns):
        return _wait_from_spells(frame, settings, kpi_name)
    return _wait_from_export(frame, settings, kpi_name)


def _no_time(index: pd.Index, like: pd.Series | None) -> pd.Series:
    dtype = like.dtype if like is not None else "datetime64[ns]"
    return pd.Series(pd.NaT, index=index).astype(dtype)


def _wait_from_export(frame: pd.DataFrame, settings: dict, kpi_name: str) -> Measured:
    """The export's own minutes per ticket (Zendesk's "Requester wait time in minutes"); empty = not recorded."""
    column, _, what = WAITS[kpi_name]
    notes: list[str] = []
    minutes = frame[column].astype("float64")
    negative = (minutes < 0).fillna(False).astype(bool)
    skipped = pd.Series(f"negative {column}", index=frame.index[negative.to_numpy()], dtype="object")
    if _exports_business(settings):
        notes.append(f"{what} in business time as the export computed it ({column}, the tool's own schedule)")
    elif _wants_business(settings):
        notes.append(f"business hours not applied to {what}: the export's {column} is used as exported "
                     "(a status history, source ticket_events, is counted in business time)")
    keep = frame.index.difference(skipped.index)
    created = frame["created_at"] if "created_at" in frame.columns else None
    at = created.loc[keep] if created is not None else _no_time(keep, None)
    values = pd.DataFrame({"minutes": minutes.loc[keep], "empty": minutes.loc[keep].isna(), "_at": at})
    empty = int(values["empty"].sum())
    if empty:
        notes.append(f"{_tickets(empty)} with an empty {column} not averaged (a tool records the metric once "
                     "the statuses it needs have occurred; breakdown: empty)")
    if created is not None and values["_at"].isna().any():
        notes.append(f"{_tickets(values['_at'].isna().sum())} without created_at: left out whenever --period / "
                     "--since / --until place tickets in time")
    return Measured(values, skipped, notes, excluded=empty)


def _spells_as_of(changed: pd.Series, settings: dict, notes: list[str]) -> pd.Timestamp | None:
    tz = getattr(changed.dtype, "tz", None)
    if settings.get("as_of"):
        ts = pd.Timestamp(settings["as_of"])
        if tz is not None:
            return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)
        return ts.tz_localize(None) if ts.tzinfo is not None else ts
    latest = changed.max()
    if pd.isna(latest):
        return None
    notes.append(f"a ticket's last status runs until {latest} (the latest changed_at in the data; set --as-of)")
    return latest


def _wait_from_spells(frame: pd.DataFrame, settings: dict, kpi_name: str) -> Measured:
    """Sum of the ticket's spells in the counted statuses; a spell lasts until the ticket's next change."""
    _, default, what = WAITS[kpi_name]
    notes: list[str] = []
    if _exports_business(settings):
        raise UsageError("--business-hours export: a status history (ticket_events) has no business-time "
                         "column of its own; give a schedule such as --business-hours \"Mon-Fri 09:00-17:00\"")

    def words(text: pd.Series) -> pd.Series:
        """Lower case, one space for runs of spaces / - / _; on the distinct values only (a few statuses)."""
        codes, uniques = pd.factorize(text)
        clean = pd.Series(uniques, dtype="string").str.strip().str.lower().str.replace(r"[\s_-]+", " ", regex=True)
        out = clean.to_numpy(dtype=object, na_value=pd.NA)[codes]
        out[codes < 0] = pd.NA
        return pd.Series(out, index=text.index, dtype="string")

    counted = set(words(pd.Series(str(settings.get("statuses") or default).split(","), dtype="string")).dropna())
    counted.discard("")
    resolved = set(words(pd.Series(RESOLVED_STATUSES.split(","), dtype="string")))
    tid = frame["ticket_id"].astype("string").str.strip().replace("", pd.NA)
    status = words(frame["status"].astype("string")).replace("", pd.NA)
    changed = frame["changed_at"]
    reasons = pd.Series(pd.NA, index=frame.index, dtype="object")
    reasons[tid.isna().to_numpy()] = "no ticket_id"
    reasons[(reasons.isna() & changed.isna()).to_numpy()] = "no changed_at"
    reasons[(reasons.isna() & status.isna()).to_numpy()] = "no status"
    # one unusable change leaves the ticket's spells unknown: the whole ticket is skipped
    broken = tid[reasons.notna() & tid.notna()].unique()
    reasons[(reasons.isna() & tid.isin(broken)).to_numpy()] = \
        "another status change of this ticket has no changed_at or no status"
    skipped = reasons.dropna().astype("object")
    _gaps(frame.index, notes)
    as_of = _spells_as_of(changed, settings, notes)
    # the history as of then: later changes have not happened yet (a ticket created later does not exist)
    later = (changed > as_of).fillna(False).astype(bool) if as_of is not None else pd.Series(False, index=frame.index)
    later &= reasons.isna()
    if later.any():
        notes.append(f"{int(later.sum())} status changes after --as-of {as_of} not counted (the history as of then)")
    keep = frame.index.difference(skipped.index).difference(frame.index[later.to_numpy()])
    # sort by ticket, then time (a stable sort on integer codes: ties keep the file's order); a ticket's
    # changes are then contiguous, so each spell ends at the next row unless the ticket changes there
    codes = pd.factorize(tid.loc[keep])[0]
    instants = changed.loc[keep]
    order = np.lexsort((pd.DatetimeIndex(instants).asi8, codes))
    spells = pd.DataFrame({"status": status.loc[keep], "start": instants}).iloc[order]
    codes = codes[order]
    last = np.append(codes[1:] != codes[:-1], True) if len(codes) else np.zeros(0, dtype=bool)
    first = np.insert(last[:-1], 0, True) if len(codes) else np.zeros(0, dtype=bool)
    end = spells["start"].shift(-1)
    end[last] = as_of
    # a spell's schedule follows its row (business_hours.schedule_by: team picks each change's team)
    schedule = schedule_for(frame.loc[spells.index].rename(columns={"changed_at": "created_at"}), settings, notes)
    minutes = elapsed_minutes(spells["start"], end.rename("changed_at"), schedule)
    minutes = minutes.where(spells["status"].isin(counted).to_numpy(), 0.0).to_numpy(dtype="float64")
    values = pd.DataFrame({
        "minutes": np.add.reduceat(minutes, np.flatnonzero(first)) if len(minutes) else minutes,
        "open": ~spells["status"][last].isin(resolved).to_numpy(dtype=bool),
    }, index=spells.index[first])
    values["_at"] = spells["start"][first]  # the first change's row labels are the index: aligned as they are
    shown = ", ".join(sorted(counted))
    seen = sorted(set(spells["status"].dropna().unique()) - counted)
    notes.append(f"{what} = time in {shown} (--statuses); each status lasts until the ticket's next change"
                 + (f"; not counted: {', '.join(seen)}" if seen else ""))
    notes.append(f"n counts tickets ({len(spells)} status changes); --by and --period use each ticket's first change")
    running = int(values["open"].sum())
    if running:
        notes.append(f"{_tickets(running, 'open')} (last status not {'/'.join(sorted(resolved))}): the last "
                     "status counted up to the as-of instant, as still running (breakdown: open)")
    return Measured(values, skipped, notes, excluded=int(later.sum()))


def _gaps(index: pd.Index, notes: list[str]) -> None:
    """Rows of the history that did not reach the spells (unreadable, ragged, or left out by --where):
    the status before each runs on to the ticket's next change, which the reader must know."""
    if not len(index):
        return
    rows = np.sort(index.to_numpy())
    step = np.diff(rows)
    at = np.flatnonzero(step > 1)  # after rows[at] come step[at] − 1 missing rows
    total = int((step[at] - 1).sum())
    if total:
        first = [r for a in at[:5] for r in range(rows[a] + 1, rows[a + 1])[:5]][:5]
        shown = ", ".join(map(str, first)) + (f" … ({total} in all)" if total > len(first) else "")
        rows_word = "row" if total == 1 else "rows"
        notes.append(f"status history {rows_word} {shown} not used (skipped, or left out by --where): a ticket with "
                     "an unreadable change is skipped whole, but a change left out by --where (or a line that could "
                     "not be read) lets the status before it run on to the ticket's next one; fix the rows, or "
                     "refuse the file with --strict")


@kpi(
    name="requester-wait",
    headline="median",
    title="Requester wait time",
    source=("tickets", "ticket_events"),
    needs=("requester_wait_minutes|ticket_id+status+changed_at",),
    optional=("created_at",),
    unit="min",
    higher_is_better=False,
    formula="per ticket: requester_wait_minutes (Zendesk's requester wait time), or from a status history the "
            "time in new / open / on-hold (each status lasts until the ticket's next change, the last until "
            "--as-of); mean / median / p90 over tickets",
    aggregate=_wait_aggregate,
    params=_wait_params("requester-wait"),
    periodic=True,
    whole=("ticket_events", "ticket_id"),
    example="cxkpi requester-wait sample_data/ticket_events.csv --stat median --unit h",
)
def requester_wait(frame: pd.DataFrame, settings: dict) -> Measured:
    """How long the requester waited on the team: time the ticket sat in new, open or on-hold.

    Read from the export's own minutes (Zendesk: "Requester wait time in minutes", its business-hours
    twin with --business-hours export) or computed from a status history (source ticket_events), as
    dbt_zendesk does. A ticket is placed in a period by its creation (or first change), whole.
    """
    return _wait_kpi(frame, settings, "requester-wait")


@kpi(
    name="agent-wait",
    headline="median",
    title="Agent wait time",
    source=("tickets", "ticket_events"),
    needs=("agent_wait_minutes|ticket_id+status+changed_at",),
    optional=("created_at",),
    unit="min",
    higher_is_better=None,
    formula="per ticket: agent_wait_minutes (Zendesk's agent wait time), or from a status history the time in "
            "pending (each status lasts until the ticket's next change, the last until --as-of); mean / median "
            "/ p90 over tickets",
    aggregate=_wait_aggregate,
    params=_wait_params("agent-wait"),
    periodic=True,
    whole=("ticket_events", "ticket_id"),
    example="cxkpi agent-wait sample_data/ticket_events.csv --by team",
)
def agent_wait(frame: pd.DataFrame, settings: dict) -> Measured:
    """How long the team waited on the requester: time the ticket sat in pending.

    Read from the export's own minutes (Zendesk: "Agent wait time in minutes") or computed from a
    status history (source ticket_events). Long agent wait is the customer's time, not the team's.
    """
    return _wait_kpi(frame, settings, "agent-wait")

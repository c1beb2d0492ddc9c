"""Human units for the report: durations as ``4h 58m``, money with the configured currency, named periods.

JSON keeps plain numbers in the KPI's unit; only the human-readable layouts use these.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math

from .text import fmt_value

# minutes in one of each duration unit a KPI can declare (engine.DURATION_UNITS)
_MINUTES = {"s": 1 / 60, "min": 1.0, "h": 60.0, "d": 1440.0}
MONEY_UNITS = {"currency"}
# units that can go below zero or have no natural zero: a trend's value axis is not pinned at 0
FREE_AXIS = ("points", "score", "compound (−1…1)")


def is_duration(unit: str | None) -> bool:
    return unit in _MINUTES


def is_missing(v) -> bool:
    """No number to show: None, NaN or an infinity."""
    return v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v)))


def fmt_duration(value, unit: str = "min") -> str:
    """A duration in its two largest units: ``45s``, ``12m``, ``4h 58m``, ``2d 4h``; rounded, never ``0h 60m``.

    Negative values (a change) keep their sign: ``-1h 5m``.
    """
    if is_missing(value):
        return "–"
    seconds = round(abs(float(value)) * _MINUTES[unit] * 60)
    sign = "-" if value < 0 and seconds else ""
    if seconds < 60:
        return f"{sign}{seconds}s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{sign}{minutes}m"
    if minutes < 1440:
        h, m = divmod(minutes, 60)
        return f"{sign}{h}h {m}m"
    hours = round(minutes / 60)
    d, h = divmod(hours, 24)
    return f"{sign}{d}d {h}h"


def duration_scale(values: list[float], unit: str) -> tuple[float, str]:
    """(divisor, axis word) so a duration trend reads in minutes, hours or days."""
    top = max((abs(v) for v in values), default=0) * _MINUTES[unit]
    if top < 120:
        return 1 / _MINUTES[unit], "minutes"
    if top < 72 * 60:
        return 60 / _MINUTES[unit], "hours"
    return 1440 / _MINUTES[unit], "days"


def fmt_money(value, currency: str | None, digits: int = 2) -> str:
    """``1,234.50 EUR``; with no currency configured just the number (never the word "currency")."""
    text = fmt_value(value, digits)
    return f"{text} {currency}" if currency and text != "–" else text


def fmt_unit_value(value, unit: str | None, currency: str | None = None) -> tuple[str, str]:
    """(number text, unit text) for a headline: durations carry their unit inside the number."""
    if is_duration(unit):
        return fmt_duration(value, unit), ""
    if unit in MONEY_UNITS:
        return fmt_value(value), (currency or "")
    if unit == "tickets" and isinstance(value, float) and value.is_integer():
        return f"{int(value):,}", unit
    return fmt_value(value), "" if unit in (None, "", "score") else unit


def fmt_change(value, unit: str | None, currency: str | None = None) -> str:
    """A signed change in the KPI's unit: ``+1.36``, ``-1h 5m``, ``+12 tickets``, ``+3.10 EUR``."""
    if is_missing(value):
        return "–"
    sign = "+" if value > 0 else ""
    if is_duration(unit):
        return sign + fmt_duration(value, unit)
    if unit == "tickets" and float(value).is_integer():
        return f"{sign}{int(value):,}"
    text = sign + fmt_value(float(value))
    if unit in MONEY_UNITS and currency:
        text += f" {currency}"
    return text


def period_name(label: str | None, period: str | None) -> str | None:
    """``2025-10`` by month → ``October 2025``; ``2025-Q3`` → ``Q3 2025``; ``2025-W40`` → ``week 40 2025 (29 Sep–5 Oct)``."""
    if not label:
        return None
    try:
        if period == "month":
            y, m = label.split("-")
            return f"{calendar.month_name[int(m)]} {int(y)}"
        if period == "quarter":
            y, q = label.split("-Q")
            return f"Q{int(q)} {int(y)}"
        if period == "week":
            y, w = label.split("-W")
            start = dt.date.fromisocalendar(int(y), int(w), 1)
            end = start + dt.timedelta(days=6)
            return f"week {int(w)} {int(y)} ({start.day} {start:%b}–{end.day} {end:%b})"
        if period == "day":
            d = dt.date.fromisoformat(label)
            return f"{d.day} {calendar.month_name[d.month]} {d.year}"
    except (ValueError, IndexError):
        return label
    return label


def period_end(label: str | None, period: str | None) -> dt.date | None:
    """The last day of a period label (``2025-10`` by month → 2025-10-31); None when it can't be read."""
    if not label:
        return None
    try:
        if period == "day":
            return dt.date.fromisoformat(label)
        if period == "week":
            y, w = label.split("-W")
            return dt.date.fromisocalendar(int(y), int(w), 7)
        if period == "month":
            y, m = map(int, label.split("-"))
            return dt.date(y, m, calendar.monthrange(y, m)[1])
        if period == "quarter":
            y, q = label.split("-Q")
            m = 3 * int(q)
            return dt.date(int(y), m, calendar.monthrange(int(y), m)[1])
        if period == "year":
            return dt.date(int(label), 12, 31)
    except (ValueError, IndexError):
        return None
    return None


def fmt_date(value: str | None) -> str:
    """``2025-05-01`` → ``1 May 2025``."""
    if not value:
        return "–"
    try:
        d = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{d.day} {calendar.month_abbr[d.month]} {d.year}"


def local_time(iso: str, timezone: str | None) -> str:
    """An ISO timestamp shown in ``timezone`` (the config's), e.g. ``3 Dec 2026 09:43 CET``."""
    try:
        t = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if timezone:
        try:
            from zoneinfo import ZoneInfo

            t = t.astimezone(ZoneInfo(timezone))
        except Exception:  # noqa: BLE001 - an unknown zone keeps the stored (UTC) time
            pass
    return f"{t.day} {calendar.month_abbr[t.month]} {t.year} {t:%H:%M} {t.tzname() or ''}".rstrip()


def unit_label(unit: str | None, currency: str | None = None) -> str:
    """The unit as a header or a unit cell shows it: the currency code for money (``EUR``; "" when none is
    configured, never the word "currency"), "" for no unit, else the KPI's declared unit (``min``, ``%``)."""
    if unit in MONEY_UNITS:
        return currency or ""
    return unit or ""


def excel_format(unit: str | None, value=None) -> str:
    """An Excel number format for a number in ``unit``: the digits only, the unit stands in the header (or the
    Unit column); durations stay numbers in their declared unit (``299.9`` in a ``value (min)`` column),
    percentages stay 0-100 numbers like the JSON (``82.9`` in a ``value (%)`` column, not Excel's 0.829)."""
    if is_duration(unit) or unit == "points" or (unit or "").startswith("%"):
        return "#,##0.0"
    if unit in MONEY_UNITS:
        return "#,##0.00"
    if unit == "tickets" or (isinstance(value, int) and not isinstance(value, bool)):
        return "#,##0"
    return "#,##0.00"


def excel_width(value, number_format: str = "General") -> int:
    """How many characters a cell shows: a number as its format prints it, text up to its longest line."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return 0
        digits = len(number_format.split(".")[1].rstrip('"% ')) if "." in number_format else 0
        return len(f"{value:,.{digits}f}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def period_kind(labels) -> str | None:
    """The period a set of labels are of, read from their shape: ``2025-10`` month, ``2025-Q3`` quarter,
    ``2025-W40`` week, ``2025-10-01`` day, ``2025`` year; None when they are mixed or none of these
    (a KPI command's results say "period", not which one)."""
    import re

    shapes = {"month": r"\d{4}-\d{2}", "quarter": r"\d{4}-Q[1-4]", "week": r"\d{4}-W\d{2}",
              "day": r"\d{4}-\d{2}-\d{2}", "year": r"\d{4}"}
    kinds = {next((k for k, rx in shapes.items() if re.fullmatch(rx, str(label))), None) for label in labels}
    return kinds.pop() if len(kinds) == 1 else None

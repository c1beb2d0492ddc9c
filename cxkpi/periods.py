"""The one home of --period: names, pandas frequencies, period starts and labels.

A leaf (pandas only) so the KPI modules can use it without importing the engine,
which reaches them through the registry; ``cxkpi.engine`` re-exports these names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

PERIODS = ("day", "week", "month", "quarter", "year")
_PANDAS_PERIOD = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


def period_freq(period: str) -> str:
    """The pandas period frequency of a --period name (weeks are ISO: Monday to Sunday)."""
    return _PANDAS_PERIOD[period]


def _period_start(t: pd.Series, period: str) -> pd.Series:
    """Start of the period each timestamp falls in (ISO weeks start on Monday)."""
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_localize(None)  # wall-clock periods in the data's zone
    return t.dt.to_period(_PANDAS_PERIOD[period]).dt.start_time


def period_label(start: Any, period: str | None) -> str:
    ts = pd.Timestamp(start)
    if period == "day":
        return ts.strftime("%Y-%m-%d")
    if period == "week":
        iso = ts.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if period == "month":
        return ts.strftime("%Y-%m")
    if period == "quarter":
        return f"{ts.year}-Q{(ts.month - 1) // 3 + 1}"
    if period == "year":
        return str(ts.year)
    return str(start)


def label_start(label: str, period: str) -> pd.Timestamp:
    """The first day of a ``period_label`` (its inverse, for ``report --compare``)."""
    if period == "week":
        year, week = label.split("-W")
        return pd.Timestamp(dt.date.fromisocalendar(int(year), int(week), 1))
    if period == "quarter":
        year, q = label.split("-Q")
        return pd.Timestamp(int(year), 3 * (int(q) - 1) + 1, 1)
    if period == "year":
        return pd.Timestamp(int(label), 1, 1)
    return pd.Timestamp(label)

"""Row-level elapsed times between two timestamp columns (or a ready-made minutes column).

Shared by the contact-center and workload KPIs. Everything is vectorised and
returns ``(minutes, reasons)``: minutes are NaN where the end is missing (not
answered, not resolved — not an error), and ``reasons`` names every row whose
duration is invalid (end before start, negative minutes), so the KPI can skip
it with that reason instead of clipping it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError


def _is_aware(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.DatetimeTZDtype)


def minutes_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """(end − start) in float minutes; NaN where either is missing."""
    if _is_aware(start) != _is_aware(end):
        raise InputError(
            f"{start.name!r} and {end.name!r}: one has a time zone and the other has not; "
            "set `timezone:` in the config (or --tz) so both are read in the same zone"
        )
    return (end - start).dt.total_seconds().astype("float64") / 60


def negative(minutes: pd.Series, reason: str) -> pd.Series:
    """The reason for every row whose duration is below zero."""
    bad = minutes < 0
    return pd.Series(reason, index=minutes.index[bad.fillna(False).to_numpy(dtype=bool)], dtype="object")


def span(frame: pd.DataFrame, start: str, end: str, minutes_col: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Minutes from ``start`` to ``end`` — or the export's own ``minutes_col`` when ``end`` is not mapped.

    Returns ``(minutes, reasons)``; minutes is NaN where there is no end yet.
    """
    if end in frame.columns and start in frame.columns:
        m = minutes_between(frame[start], frame[end])
        return m, negative(m, f"{end} before {start}")
    if minutes_col is not None and minutes_col in frame.columns:
        m = frame[minutes_col].astype("float64")
        return m, negative(m, f"{minutes_col} is negative")
    return pd.Series(np.nan, index=frame.index, dtype="float64"), pd.Series(dtype="object")


def first_response(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """FRT minutes (first_response_at − created_at, or first_response_minutes)."""
    return span(frame, "created_at", "first_response_at", "first_response_minutes")


def resolution(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Resolution minutes (resolved_at − created_at, or resolution_minutes)."""
    return span(frame, "created_at", "resolved_at", "resolution_minutes")


def first_reason(*reasons: pd.Series) -> pd.Series:
    """One reason per row: the first listed wins when a row fails several checks."""
    parts = [r for r in reasons if len(r)]
    if not parts:
        return pd.Series(dtype="object")
    joined = pd.concat(parts)
    return joined[~joined.index.duplicated(keep="first")]


def blank(values: pd.Series) -> pd.Series:
    """True where a text-ish cell is missing or empty."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values.isna()
    return (values.isna() | (values.astype("string").str.strip() == "")).fillna(True).astype(bool)

"""Number formatting shared by the human-readable renderers."""

from __future__ import annotations

import math


def fmt_value(v, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 1000):
        return f"{int(v):,}"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def fmt_interval(interval) -> str:
    if interval is None:
        return ""
    return f"{fmt_value(interval.low)} … {fmt_value(interval.high)}"


def label(name: str) -> str:
    return name.replace("_pct", " %").replace("_", " ")

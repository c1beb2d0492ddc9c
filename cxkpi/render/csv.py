"""CSV in long form: a row per KPI total or group, with the breakdown as columns."""

from __future__ import annotations

import csv
import io

from . import tidy

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value, raw: bool = False):
    """Neutralise text that a spreadsheet would run as a formula (OWASP CSV injection)."""
    if raw or not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def render(results, raw: bool = False, **_) -> str:
    table = tidy.rows(results)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=tidy.columns(table), lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({k: ("" if v is None else safe_cell(v, raw)) for k, v in row.items()})
    return buf.getvalue()

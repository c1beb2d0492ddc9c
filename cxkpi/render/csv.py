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


def render_report(report, raw: bool = False, **_) -> str:
    """Long format for a report: one row per KPI total and group (kpi, group, period, value, n, status)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["kpi", "group", "period", "value", "unit", "n", "ci_low", "ci_high", "status"])
    for e in report.entries:
        r = e.result
        if r is None:
            writer.writerow([e.kpi, "", "", "", e.unit, "", "", "", "failed"])
            continue
        writer.writerow([r.kpi, "", "", _n(r.value), r.unit, r.n, _n(r.interval and r.interval.low),
                         _n(r.interval and r.interval.high), e.status])
        for g in r.groups:
            group = ";".join(f"{k}={v}" for k, v in g.key.items() if k != "period")
            writer.writerow([r.kpi, safe_cell(group, raw), g.key.get("period", ""), _n(g.value), r.unit, g.n,
                             _n(g.interval and g.interval.low), _n(g.interval and g.interval.high), ""])
    for kpi in report.not_computed:  # the reason is in the JSON and on the terminal; here the status says it
        writer.writerow([safe_cell(kpi, raw), "", "", "", "", "", "", "", "not computed"])
    return buf.getvalue()


def _n(v):
    return "" if v is None else v

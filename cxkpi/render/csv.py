"""CSV in long form: a row per KPI total or group, with the breakdown as columns.

Every field, the header row included, goes through ``safe.csv_line``: RFC 4180 quoting (a bare CR
too) and formula neutralisation at the start and after every embedded separator.
"""

from __future__ import annotations

from . import tidy
from .safe import csv_line


def render(results, raw: bool = False, **_) -> str:
    table = tidy.rows(results)
    cols = tidy.columns(table)
    lines = [csv_line(cols, raw)]  # group-by names and breakdown keys come from the data
    lines += [csv_line([row.get(c) for c in cols], raw) for row in table]
    return "".join(lines)


def render_report(report, raw: bool = False, **_) -> str:
    """Long format for a report: one row per KPI total and group (kpi, group, period, value, n, status)."""
    lines = [csv_line(["kpi", "group", "period", "value", "unit", "n", "ci_low", "ci_high", "status"])]
    for e in report.entries:
        r = e.result
        if r is None:
            lines.append(csv_line([e.kpi, "", "", "", e.unit, "", "", "", "failed"], raw))
            continue
        lines.append(csv_line([r.kpi, "", "", r.value, r.unit, r.n, r.interval and r.interval.low,
                               r.interval and r.interval.high, e.status], raw))
        for g in r.groups:
            group = ";".join(f"{k}={v}" for k, v in g.key.items() if k != "period")
            lines.append(csv_line([r.kpi, group, g.key.get("period", ""), g.value, r.unit, g.n,
                                   g.interval and g.interval.low, g.interval and g.interval.high, ""], raw))
    for kpi in report.not_computed:  # the reason is in the JSON and on the terminal; here the status says it
        lines.append(csv_line([kpi, "", "", "", "", "", "", "", "not computed"], raw))
    return "".join(lines)

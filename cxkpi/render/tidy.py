"""Results flattened into rows (one per total or group): shared by CSV and Markdown."""

from __future__ import annotations

from ..results import KpiResult, clean_number


def rows(results: list[KpiResult]) -> list[dict]:
    out: list[dict] = []
    key_names: list[str] = []
    for r in results:
        for k in r.group_by:
            if k not in key_names:
                key_names.append(k)
    for r in results:
        entries = [({}, r.value, r.n, r.interval, r.breakdown, r.skipped.total, r.low_sample)]
        entries += [(g.key, g.value, g.n, g.interval, g.breakdown, g.skipped.total, g.low_sample) for g in r.groups]
        for key, value, n, interval, breakdown, skipped, low in entries:
            row = {"kpi": r.kpi}
            for k in key_names:
                row[k] = key.get(k, "(all)" if r.group_by else "")
            row.update({
                "value": clean_number(value),
                "unit": r.unit,
                "n": n,
                "ci_low": clean_number(interval.low) if interval else None,
                "ci_high": clean_number(interval.high) if interval else None,
            })
            row.update({k: _cell(v) for k, v in breakdown.items()})
            row["skipped"] = skipped
            row["low_sample"] = low
            out.append(row)
    return out


def _cell(v):
    """A breakdown value as one cell: lists (e.g. example comments) joined with " | "."""
    if isinstance(v, (list, tuple)):
        return " | ".join(str(x) for x in v)
    return clean_number(v)


def columns(table: list[dict]) -> list[str]:
    cols: list[str] = []
    for row in table:
        for k in row:
            if k not in cols:
                cols.append(k)
    return cols

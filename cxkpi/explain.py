"""Explain the number: one row per item (ticket, answer, call…) with what the KPI made of it.

``rows(spec, data, request)`` runs the KPI through ``engine.compute`` itself, with its measure
step wrapped so the frame it got and what it returned are kept: filters, unreadable cells, the
measure and the period checks are the engine's own, never a copy. The per-row frame then says,
for every row the KPI looked at, whether it is counted in ``n`` (``used``), skipped (with the
very reason the KPI reports) or counted apart (``unanswered``, ``open``, ``pending``…), with the
row's measure values beside it. Before returning, the rows are checked against the KPI's own
result: used rows add up to its ``n`` and the skip reasons to its skipped counts, or it fails
instead of handing out a file that does not reconcile.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .engine import MISSING_KEY, Request, _filter, _key_column, _period_start, _time_window, compute, \
    period_label, time_column
from .errors import UsageError
from .io.dataset import Dataset
from .io.values import reasons
from .registry import Context, KpiSpec, load_all
from .results import KpiResult
from .sources import SOURCES
from .vocabulary import BUSINESS_HOURS_EXPORT, BUSINESS_HOURS_OFF

USED, SKIPPED, EXCLUDED = "used", "skipped", "excluded"
# KPIs whose measure gives a ticket once per tag or topic (Measured.keys): a row is not one item
REPEATS_ROWS = {"topics"}
# measure columns kept as 1.0 / 0.0 / NaN so a missing answer stays missing: shown as yes / no
FLAG_COLUMNS = {"first_contact", "reopened"}


def per_item(spec: KpiSpec) -> bool:
    """A KPI whose number is made of one value per row of its file (not per period, tag or theme)."""
    return not spec.periodic and spec.group_key is None and spec.name not in REPEATS_ROWS


def per_item_names() -> list[str]:
    return [s.name for s in load_all().values() if per_item(s)]


def refuse(spec: KpiSpec, why: str | None = None) -> UsageError:
    why = why or ("counts per period" if spec.periodic else "counts per theme" if spec.group_key
                  else "counts a row once per tag or topic")
    return UsageError(f"rows: {spec.name} is not per-item ({why}); per-item KPIs: {', '.join(per_item_names())}")


def rows(spec: KpiSpec, data: Dataset, request: Request) -> pd.DataFrame:
    """One row per row of ``data`` the KPI looked at (after --where/--since/--until), indexed by row
    number: keys (``row``, the source's id column, the --by columns, ``period``), then
    ``<kpi>_status``, ``<kpi>_skipped`` (the reason), ``<kpi>_value`` (the row alone through the KPI's
    aggregate, in its unit) and the measure's own columns as ``<kpi>_<column>``."""
    if not per_item(spec):
        raise refuse(spec)
    seen: dict = {}

    def measure(frame: pd.DataFrame, settings: dict):
        measured = spec.measure(frame, settings)
        seen.update(frame=frame, settings=settings, measured=measured, before=measured.values.index.copy())
        return measured

    if any(p.name == "top" for p in spec.params):  # a KPI listing its worst rows (SLA offenders): all of them
        request = replace(request, settings={**request.settings, "top": 2 * len(data.frame) + 1})
    result = compute(replace(spec, measure=measure), data, request)
    frame, settings, measured = seen["frame"], seen["settings"], seen["measured"]
    if measured.keys or measured.values.index.has_duplicates:
        raise refuse(spec)
    tcol = time_column(spec, data.source)
    values = measured.values
    skipped = _skip_reasons(spec, data, request, settings, frame, tcol, seen["before"], values, measured.skipped)

    ctx = Context(settings=settings, period=request.period, time_column=tcol)
    per_row = spec.aggregate(values.assign(_item=values.index), ["_item"], ctx)
    per_row = per_row.reindex(values.index)
    n = per_row["n"].fillna(0)
    _reconcile(result, skipped, int(n.sum()))

    index = frame.index.union(skipped.index).sort_values()
    out = pd.DataFrame(index=index)
    out.index.name = None
    out["row"] = index.astype("int64")
    keys = ["row"]
    ids = [c for c, kind in SOURCES[data.source].columns.items() if kind == "id" and c in data.frame.columns][:1]
    for c in ids:
        out[c] = data.frame[c].reindex(index).astype("string")
        keys.append(c)
    for k in request.by:
        if k in spec.dimensions:
            col = values[k].reindex(index).astype("string")
        else:
            col = _key_column(data.frame[k].reindex(index)).astype("string")
        out[k] = col
        keys.append(k)
    if request.period and tcol in data.frame.columns:
        starts = _period_start(data.frame[tcol].reindex(index), request.period)
        out["period"] = pd.Series([None if pd.isna(s) else period_label(s, request.period) for s in starts],
                                  index=index, dtype="string")
        keys.append("period")

    name = spec.name
    status = pd.Series(EXCLUDED, index=index, dtype="object")
    status[values.index] = _apart(values, per_row)
    status[n[n > 0].index] = USED
    status[skipped.index] = SKIPPED
    out[f"{name}_status"] = status.astype("string")
    out[f"{name}_skipped"] = skipped.reindex(index).astype("string")
    out[f"{name}_value"] = pd.to_numeric(per_row["value"], errors="coerce").reindex(index).astype("float64")
    if not n.isin([0, 1]).all():  # n counts something other than rows (an interval report: answered calls)
        out[f"{name}_n"] = n.reindex(index)
    business = _business(spec, settings)
    timed = [c for c in values.columns if pd.api.types.is_float_dtype(values[c]) and c not in FLAG_COLUMNS]
    calendar = _calendar(spec, frame, settings, values) if business == "schedule" and timed else None
    for col in values.columns:
        if col in request.by:
            continue
        series = values[col]
        if pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series):
            series = series.astype("Int64")  # a weekday stays 3, not 3.0, beside the rows it has none for
        series = series.reindex(index)
        if col in timed and business:
            if calendar is not None and col in calendar.columns:
                out[f"{name}_{col}"] = calendar[col].reindex(index)
            out[f"{name}_business_{col}"] = series
            continue
        out[f"{name}_{col}"] = _flag(series) if col in FLAG_COLUMNS or values[col].dtype == bool else series
    for metric, over in _overs(measured.extra.get("offenders"), index).items():
        out[f"{name}_{metric}_over_by_minutes"] = over
    # what the KPI said (pandas deep-copies attrs on every step, so no result object with its lists here)
    out.attrs.update(keys=keys, ids=len(ids), time_column=tcol if "period" in keys else None, kpi=name,
                     notes=list(result.notes), rows=result.rows, skipped=dict(result.skipped.counts))
    return out


def _skip_reasons(spec, data, request, settings, frame, tcol, before, values, measured_skipped) -> pd.Series:
    """Every skipped row with the reason ``compute`` gave it, in its order: an unreadable cell (the first
    used column), the measure's own reasons, no time to place the row, a line that could not be read."""
    parts = []
    kept, _ = _filter(data.frame, spec, request, settings, data)
    if not spec.periodic:
        kept = _time_window(kept, tcol, request)
    dropped = kept.index.difference(frame.index)
    if len(dropped):
        used = spec.used_columns(kept.columns) + [c for c in request.by
                                                  if c not in spec.all_columns() and c not in spec.dimensions]
        if request.period and tcol:
            used.append(tcol)
        left = dropped
        for col in dict.fromkeys(used):
            bad = data.invalid.get(col)
            if bad is None or bad.empty or not len(left):
                continue
            hit = left.intersection(bad.index)
            if len(hit):
                why = reasons(bad)
                parts.append((col + ": " + why[~why.index.duplicated()].reindex(hit)).rename(None))
                left = left.difference(hit)
    no_time = before.difference(values.index)
    if len(no_time):
        parts.append(pd.Series(f"no {tcol} to place the row in a period", index=no_time))
    if len(measured_skipped):
        parts.append(measured_skipped)
    for reason, numbers in data.bad_rows.items():
        if numbers:
            parts.append(pd.Series(reason, index=pd.Index(numbers, dtype="int64")))
    if not parts:
        return pd.Series(dtype="object")
    out = pd.concat(parts).astype("object")
    return out[~out.index.duplicated(keep="first")]


def _reconcile(result: KpiResult, skipped: pd.Series, n: int) -> None:
    """The rows must add up to the KPI's own numbers; a file that does not is never written."""
    counts = {str(k): int(v) for k, v in skipped.value_counts().items()}
    if counts != dict(result.skipped.counts) or n != result.n:
        raise RuntimeError(f"rows: {result.kpi}: the rows do not add up to the KPI (n {n} vs {result.n}; "
                           f"skipped {counts} vs {dict(result.skipped.counts)})")


def _apart(values: pd.DataFrame, per_row: pd.DataFrame) -> pd.Series:
    """Why a measured row is not in ``n``: the first true flag that the KPI also counts in its breakdown
    (``unanswered``, ``open``, ``no_answer``, ``pending``), else ``not counted``."""
    flags = [c for c in values.columns if values[c].dtype == bool and c in per_row.columns and c not in ("n",)]
    out = pd.Series("not counted", index=values.index, dtype="object")
    for c in reversed(flags):
        out = out.mask(values[c].fillna(False).astype(bool), c)
    return out


def _flag(series: pd.Series) -> pd.Series:
    return series.astype("float64").map({1.0: True, 0.0: False}).astype("boolean") \
        if not series.dtype == bool else series.astype("boolean")


def _business(spec: KpiSpec, settings: dict) -> str | None:
    """"schedule" when the KPI counts business minutes by a schedule, "export" for the export's own."""
    if not any(p.name == "business_hours" for p in spec.params):
        return None
    text = settings.get("business_hours")
    if text is None or str(text).strip().lower() in BUSINESS_HOURS_OFF:
        return None
    return "export" if str(text).strip().lower() in BUSINESS_HOURS_EXPORT else "schedule"


def _calendar(spec: KpiSpec, frame: pd.DataFrame, settings: dict, values: pd.DataFrame) -> pd.DataFrame:
    """The same measure in calendar time (business hours off), for the durations beside the business ones."""
    calendar = spec.measure(frame, {**settings, "business_hours": "off"}).values
    floats = [c for c in calendar.columns if pd.api.types.is_float_dtype(calendar[c]) and c not in FLAG_COLUMNS]
    return calendar[floats].reindex(values.index)


def _overs(offenders, index: pd.Index) -> dict[str, pd.Series]:
    """Minutes past the target (or due date) per metric, from the KPI's list of its breaches."""
    if not offenders:
        return {}
    table = pd.DataFrame(offenders)
    out = {}
    for metric, sub in table.groupby("metric", sort=True):
        over = pd.Series(sub["over_by_minutes"].to_numpy(dtype="float64"), index=sub["row"].to_numpy())
        out[str(metric)] = over[~over.index.duplicated()].reindex(index)
    return out


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The per-KPI frames of one file side by side on their row number; keys once, in front.

    When the KPIs place rows in periods by different time columns (``created_at``, ``responded_at``),
    each KPI's period stays its own, as ``<kpi>_period``."""
    if not frames:
        return pd.DataFrame()
    meta = [dict(f.attrs) for f in frames]
    frames = [f.copy(deep=False) for f in frames]
    for f, m in zip(frames, meta):  # only the names are needed here
        f.attrs = {"keys": list(m["keys"]), "ids": m.get("ids", 0), "time_column": m.get("time_column"),
                   "kpi": m["kpi"]}
    times = {f.attrs.get("time_column") for f in frames if f.attrs.get("time_column")}
    if len(times) > 1:
        frames = [f.rename(columns={"period": f"{f.attrs['kpi']}_period"}) if "period" in f.columns else f
                  for f in frames]
        for f in frames:
            if f"{f.attrs['kpi']}_period" in f.columns:
                f.attrs["keys"] = [k if k != "period" else f"{f.attrs['kpi']}_period" for k in f.attrs["keys"]]
    keys: list[str] = []
    for f in frames:
        keys += [k for k in f.attrs["keys"] if k not in keys]
    ids = {k for f in frames for k in f.attrs["keys"][1:f.attrs.get("ids", 0) + 1]}
    # row, the id columns, the --by columns, the period(s)
    keys.sort(key=lambda k: (k != "row", k not in ids, k == "period" or k.endswith("_period")))
    index = frames[0].index
    for f in frames[1:]:
        index = index.union(f.index)
    index = index.sort_values()
    key_frame = pd.DataFrame(index=index)
    for k in keys:
        col = None
        for f in frames:
            if k in f.columns:
                col = f[k].reindex(index) if col is None else col.combine_first(f[k].reindex(index))
        key_frame[k] = col
    parts = [key_frame] + [f.drop(columns=[k for k in f.attrs["keys"] if k in f.columns]).reindex(index)
                           for f in frames]
    out = pd.concat(parts, axis=1)
    out["row"] = out["row"].astype("int64")
    out.attrs = {"keys": keys}
    return out


__all__ = ["rows", "combine", "per_item", "per_item_names", "MISSING_KEY", "USED", "SKIPPED", "EXCLUDED"]

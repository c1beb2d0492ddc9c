"""Knowledge-base KPI: articles viewed per visit (docs/business.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..reduce import flows
from ..registry import Context, Measured, kpi
from ..stats import mean_interval
from .aggregate import grouped


def _kb_measure(frame: pd.DataFrame, settings: dict) -> Measured:
    skips = flows.Skips(frame.index)
    views = frame["article_views"].astype("float64")
    skips.drop(views.isna(), "no article_views")
    skips.drop(views < 0, "article_views is negative")
    values = pd.DataFrame({"views": views}, index=frame.index)
    if "visits" in frame.columns:
        visits = frame["visits"].astype("float64")
        skips.drop(visits.isna(), "no visits count")
        skips.drop(visits < 0, "visits is negative")
        skips.drop((visits == 0) & (views > 0), "article views with 0 visits")
        values["visits"] = visits
        note = "visits from the `visits` count of each row"
    elif "visit_id" in frame.columns:
        ids = frame["visit_id"].astype("string").str.strip()
        skips.drop(ids.isna() | (ids == ""), "no visit_id")
        values["visit"] = ids
        note = "visits = distinct visit_id"
    else:
        note = "each row is one visit"
    return Measured(values[skips.ok], skips.skipped, [note])


def _kb_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    if values.empty and not keys:
        return pd.DataFrame([{"value": np.nan, "n": 0, "views": 0, "visits": 0}])
    if "visit" in values.columns:  # several rows may belong to one visit
        per_visit = values.groupby([*keys, "visit"], observed=True, sort=False)["views"].sum().reset_index()
        frame = per_visit.assign(visits=1.0)
    elif "visits" in values.columns:
        frame = values
    else:
        frame = values.assign(visits=1.0)
    g = grouped(frame, keys)
    out = g.agg(views=("views", "sum"), visits=("visits", "sum"))
    out["value"] = out["views"] / out["visits"].where(out["visits"] > 0)
    out["n"] = grouped(values, keys).size().reindex(out.index).astype("int64")  # rows used; visits beside it
    for col in ("views", "visits"):
        if (out[col] % 1 == 0).all():
            out[col] = out[col].astype("int64")
    if "visits" not in values.columns:  # one number per visit: interval of the mean
        stats = g["views"].agg(["mean", "std", "count"])
        out["low"], out["high"] = mean_interval(stats["mean"], stats["std"], stats["count"])
    return out


@kpi(
    name="kb",
    title="Articles viewed per visit",
    source="kb",
    needs=("article_views",),
    optional=("visits", "visit_id"),
    unit="articles",
    higher_is_better=None,
    formula="total article views / visits",
    aggregate=_kb_aggregate,
    example="cxkpi kb sample_data/kb.csv --period week",
)
def kb(frame: pd.DataFrame, settings: dict) -> Measured:
    """Knowledge-base article views per visit. One row per visit (article_views each), rows
    with a `visits` count, or several rows per visit_id (their views are added up)."""
    return _kb_measure(frame, settings)

"""Shared group-level aggregators: one vectorised ``groupby().agg`` per call.

Each takes the row-level ``values`` frame, the key columns and the context,
and returns one row per group with ``value``, ``n`` and the breakdown. With
no keys they return a single row (the total).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.values import unit_factor
from ..registry import Context
from ..stats import mean_interval, nps_interval, wilson_interval


def grouped(values: pd.DataFrame, keys: list[str]):
    if keys:
        return values.groupby(keys, observed=True, sort=True)
    return values.groupby(np.zeros(len(values), dtype="int8"))


def _empty_total(columns: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"value": np.nan, "n": 0, **columns}])


def proportion(values: pd.DataFrame, keys: list[str], ctx: Context, hit: str = "hit", label: str = "hits") -> pd.DataFrame:
    """Percent of rows where ``hit`` is true, with a Wilson interval."""
    if values.empty and not keys:
        return _empty_total({label: 0})
    g = grouped(values.assign(_hit=values[hit].astype("int64")), keys)
    out = g["_hit"].agg(n="count", hits="sum").rename(columns={"hits": label})
    out["value"] = 100 * out[label] / out["n"]
    out["low"], out["high"] = wilson_interval(out[label], out["n"])
    return out


def nps(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    if values.empty and not keys:
        return _empty_total({"promoters": 0, "passives": 0, "detractors": 0})
    frame = values.assign(_p=values["promoter"].astype("int64"), _d=values["detractor"].astype("int64"))
    out = grouped(frame, keys).agg(n=("_p", "size"), promoters=("_p", "sum"), detractors=("_d", "sum"))
    out["passives"] = out["n"] - out["promoters"] - out["detractors"]
    for name in ("promoters", "passives", "detractors"):
        out[f"{name}_pct"] = 100 * out[name] / out["n"]
    out["value"] = out["promoters_pct"] - out["detractors_pct"]
    # 95% interval: wald, or the nps KPI's --interval adjusted-wald (cxkpi.stats.nps_interval)
    out["low"], out["high"] = nps_interval(out["promoters"], out["detractors"], out["n"],
                                           method=ctx.settings.get("interval") or "wald")
    return out[["value", "n", "low", "high", "promoters", "passives", "detractors",
                "promoters_pct", "passives_pct", "detractors_pct"]]


def share_and_mean(values: pd.DataFrame, keys: list[str], ctx: Context, flag: str, flag_label: str,
                   headline: str, bottom: str | None = None) -> pd.DataFrame:
    """CSAT/CES: percent of rows with ``flag`` (Wilson) and the mean score.

    ``headline`` picks which is the KPI's ``value``: "share" or "mean". ``bottom`` names a flag
    column of the lowest answers: its count and percent are added, and ``happiness`` = percent
    ``flag`` − percent ``bottom`` (Help Scout's score on a 3-point scale).
    """
    if values.empty and not keys:
        empty = {flag_label: 0, "share": np.nan, "mean": np.nan}
        if bottom:
            empty.update({bottom: 0, f"{flag_label}_pct": np.nan, f"{bottom}_pct": np.nan, "happiness": np.nan})
        return _empty_total(empty)
    frame = values.assign(_f=values[flag].astype("int64"))
    extra = {}
    if bottom:
        frame["_b"] = values[bottom].astype("int64")
        extra = {"bottom": ("_b", "sum")}
    out = grouped(frame, keys).agg(n=("_f", "size"), hits=("_f", "sum"), mean=("score", "mean"),
                                   std=("score", "std"), **extra)
    out["share"] = 100 * out["hits"] / out["n"]
    if bottom:
        out[f"{bottom}_pct"] = 100 * out["bottom"] / out["n"]
        out["happiness"] = out["share"] - out[f"{bottom}_pct"]
        out = out.rename(columns={"bottom": bottom})
    if headline == "share":
        out["value"] = out["share"]
        out["low"], out["high"] = wilson_interval(out["hits"], out["n"])
    else:
        out["value"] = out["mean"]
        out["low"], out["high"] = mean_interval(out["mean"], out["std"], out["n"])
    out = out.rename(columns={"hits": flag_label, "share": f"{flag_label}_pct"})
    return out.drop(columns=["std"])


def durations(values: pd.DataFrame, keys: list[str], ctx: Context, column: str = "minutes") -> pd.DataFrame:
    """Mean, median, p90 of a duration in minutes, converted to the requested unit."""
    stat = ctx.settings.get("stat", "mean")
    factor = 1 / unit_factor(ctx.settings.get("unit") or "min")
    if values.empty and not keys:
        return _empty_total({"mean": np.nan, "median": np.nan, "p90": np.nan})
    g = grouped(values, keys)[column]
    out = pd.DataFrame({
        "n": g.count(),
        "mean": g.mean() * factor,
        "median": g.median() * factor,
        "p90": g.quantile(0.9) * factor,
    })
    out["value"] = out[stat]
    return out

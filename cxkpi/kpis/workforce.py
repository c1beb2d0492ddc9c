"""Workforce KPI: employee turnover, separations over average headcount per period (docs/business.md).

The roster is counted as subscriptions are, with the period flows of ``cxkpi.reduce.flows``: an
agent is on it from hired_at until left_at, and an agent's rows that overlap or touch are one spell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..reduce import flows
from ..registry import Context, Measured, kpi


def _turnover_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    by, per_period = flows.split_keys(keys)
    names = ["start", "hires", "separations", "end", "average_headcount"]
    flow = flows.period_flow(values, by, ctx, ctx.period or flows.DEFAULT_PERIOD) if not values.empty else None
    if flow is None:
        return flows.empty(by, per_period, {k: 0 for k in names})
    starts = flow.starts
    frame = flow.frame(by)
    frame["separations"] = frame["lost"] + frame["new_and_lost"]
    frame["hires"] = frame["new"]
    frame["average_headcount"] = (frame["start"] + frame["end"]) / 2
    frame["_people"] = frame["start"] + frame["new"]
    unit = ctx.period or flows.DEFAULT_PERIOD
    if not per_period:
        pooled = flows.pool(frame, by, ["separations", "hires", "average_headcount"])
        out = pd.DataFrame(index=pooled.index)
        avg = pooled["average_headcount"]
        out["value"] = 100 * pooled["separations"] / avg.where(avg > 0)
        out["n"] = flows.per_group(flow.people, flow.keys_index, by, out.index).astype("int64")
        out["start"] = pooled["first_start"]
        out["hires"] = pooled["hires"]
        out["separations"] = pooled["separations"]
        out["end"] = pooled["last_end"]
        out["average_headcount"] = avg / pooled["periods"]
        out["periods"] = pooled["periods"]
        out["note"] = np.where(avg > 0, f"per {unit}, pooled over {len(starts)}", "no headcount in any period")
        return out
    avg = frame["average_headcount"]
    out = pd.DataFrame(index=frame.index)
    out["value"] = 100 * frame["separations"] / avg.where(avg > 0)
    out["n"] = frame["_people"].astype("int64")
    for name in names:
        out[name] = frame[name]
    out["note"] = flows.coverage_note(flows.note_where(avg == 0, "no headcount", frame.index), flow)
    return out


@kpi(
    name="turnover",
    title="Employee turnover rate",
    source="agents",
    needs=("hired_at+left_at",),
    optional=("agent",),
    unit="%",
    higher_is_better=False,
    formula="100 × agents who left in the period / average headcount (mean of headcount at start and end)",
    aggregate=_turnover_aggregate,
    example="cxkpi turnover sample_data/agents.csv --period quarter",
    periodic=True,
)
def turnover(frame: pd.DataFrame, settings: dict) -> Measured:
    """Separations over average headcount, per period (a month by default). Headcount at the
    start of [s, e): hired before s and not left before s; at the end: the same at e.
    Separations: agents whose left_at falls in the period, including those hired in it.
    The "all" row pools the periods: Σ separations / Σ average headcount."""
    values, skips = flows.spans(frame, "hired_at", "left_at", "agent")
    return Measured(values[skips.ok], skips.skipped)

"""Contact-center KPIs: average handle time (calls and tickets), speed of answer,
abandonment, chat wait / duration / missed chats (docs/workload.md; conventions in docs/conventions.md).

``aht`` reads a call log (one row per call) or a phone system's report of pre-aggregated rows
(``call_intervals``: one row per day or 15-minute interval). Such rows are pooled, never averaged:
abandonment = Σ abandoned / Σ offered, AHT and ASA = Σ(average × answered) / Σ answered.

Durations are measured in minutes at row level and converted to ``--unit``
(default ``min``, as for every duration KPI in the spec; ``--unit s`` gives
the seconds contact centers usually quote) by the aggregators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..io.values import unit_factor
from ..registry import Context, Measured, Param, kpi
from .aggregate import grouped
from .elapsed import first_reason, minutes_between, negative

UNIT = Param("unit", str, "min", "Unit of the durations: s, min, h or d.", choices=("s", "min", "h", "d"))
STAT = Param("stat", str, "mean", "Which statistic is the headline value: mean, median or p90.",
             choices=("mean", "median", "p90"))


def _factor(ctx: Context) -> float:
    """Multiply minutes by this to get ``--unit``."""
    return 1 / unit_factor(ctx.settings.get("unit") or "min")


def _duration_stats(g, column: str, factor: float, prefix: str = "") -> dict[str, pd.Series]:
    col = g[column]
    return {
        f"{prefix}mean": col.mean() * factor,
        f"{prefix}median": col.median() * factor,
        f"{prefix}p90": col.quantile(0.9) * factor,
    }


def _empty(columns: list[str]) -> pd.DataFrame:
    """The total of an empty selection: no value, n = 0, counts 0, statistics NaN."""
    row = {c: (0 if c in {"n", "offered", "abandoned", "requested", "missed"} else np.nan) for c in columns}
    return pd.DataFrame([row])


def _seconds(frame: pd.DataFrame, name: str) -> pd.Series | None:
    return frame[name].astype("float64") if name in frame.columns else None


# ---------------------------------------------------------------- calls: AHT, ASA, abandonment
_AHT_COLUMNS = ["value", "n", "mean", "median", "p90", "talk_mean", "hold_mean", "wrap_mean",
                "asa_mean", "asa_median", "offered", "abandoned", "abandoned_pct"]


def _aht_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    if "w_handle" in values.columns:
        return _intervals_aggregate(values, keys, ctx)
    if values.empty and not keys:
        return _empty(_AHT_COLUMNS)
    f = _factor(ctx)
    # abandoned is NaN on calls whose fate the export cannot tell (no queued_at, no flag):
    # those calls are not offered-and-known, so the rate is null rather than 0 %
    g = grouped(values.assign(abandoned=values["abandoned"].astype("float64")), keys)
    out = pd.DataFrame({
        "n": g["handle"].count(),
        **_duration_stats(g, "handle", f),
        "talk_mean": g["talk"].mean() * f,
        "hold_mean": g["hold"].mean() * f,
        "wrap_mean": g["wrap"].mean() * f,
        "asa_mean": g["asa"].mean() * f,
        "asa_median": g["asa"].median() * f,
        "offered": g["abandoned"].count(),
        "abandoned": g["abandoned"].sum(min_count=1),
    })
    out["offered"] = out["offered"].where(out["offered"] > 0)
    out["abandoned_pct"] = 100 * out["abandoned"] / out["offered"]
    out["value"] = out[ctx.settings.get("stat") or "mean"]
    return out[_AHT_COLUMNS]


# ------------------------------------------------ call_intervals: one row per day / 15-minute interval
# what an export of averages can tell: no median, p90, talk / hold / wrap split (those need one row per call)
_INTERVAL_COLUMNS = ["value", "n", "mean", "asa_mean", "offered", "abandoned", "abandoned_pct", "answered",
                     "in_service_level", "service_level_pct", "intervals"]
_INTERVAL_COUNTS = ("calls_offered", "calls_answered", "calls_abandoned", "answered_in_sl")


def _intervals_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    """Pool pre-aggregated rows: sums of counts, averages weighted by answered calls (never a mean of means)."""
    if values.empty and not keys:
        row = {c: np.nan for c in _INTERVAL_COLUMNS}
        row.update(n=0, offered=0, abandoned=0, intervals=0, answered=0, in_service_level=0)
        return pd.DataFrame([row])
    f = _factor(ctx)
    g = grouped(values, keys)

    def total(col):
        return g[col].sum(min_count=1)

    n = total("w_handle")
    waited = total("w_asa")
    offered = total("offered")
    sl_base = total("sl_offered")
    out = pd.DataFrame({
        # n = the answered calls behind the AHT (its weight), not the number of rows (that is `intervals`)
        "n": n.fillna(0),
        "mean": total("handle_w") / n.where(n > 0) * f,
        "asa_mean": total("asa_w") / waited.where(waited > 0) * f,
        "offered": offered.where(offered > 0),
        "abandoned": total("abandoned"),
        "intervals": g["offered"].size(),
        "answered": total("answered"),
        "in_service_level": total("in_sl"),
    })
    out["abandoned_pct"] = 100 * out["abandoned"] / out["offered"]
    out["service_level_pct"] = 100 * out["in_service_level"] / sl_base.where(sl_base > 0)
    out["value"] = out["mean"]
    return out[_INTERVAL_COLUMNS]


def _aht_intervals(frame: pd.DataFrame, settings: dict) -> Measured:
    """AHT, ASA, abandonment and service level of pre-aggregated rows (``call_intervals``)."""
    stat = settings.get("stat") or "mean"
    if stat != "mean":
        raise UsageError(f"aht --stat {stat}: a report of pre-aggregated rows (one per day or interval) holds "
                         "averages only; median and p90 need one row per call (use --stat mean)")
    idx = frame.index
    nan = pd.Series(np.nan, index=idx, dtype="float64")

    def col(name):
        return frame[name].astype("float64") if name in frame.columns else nan

    offered, answered, abandoned = col("calls_offered"), col("calls_answered"), col("calls_abandoned")
    aht, asa, in_sl = col("aht_seconds"), col("asa_seconds"), col("answered_in_sl")
    reasons = [negative(col(c), f"{c} is negative") for c in _INTERVAL_COUNTS if c in frame.columns]
    reasons += [negative(aht, "aht_seconds is negative"), negative(asa, "asa_seconds is negative")]
    for part, name in ((answered, "calls_answered"), (abandoned, "calls_abandoned"), (in_sl, "answered_in_sl")):
        over = (part > offered).fillna(False).astype(bool)
        reasons.append(pd.Series(f"{name} greater than calls_offered", index=idx[over.to_numpy()], dtype="object"))
    nothing = offered.isna() & answered.isna() & abandoned.isna()
    reasons.append(pd.Series("no calls_offered, calls_answered or calls_abandoned", index=idx[nothing.to_numpy()],
                             dtype="object"))
    skipped = first_reason(*reasons)

    notes = ["pre-aggregated rows: AHT and ASA are averages weighted by answered calls "
             "(Σ aht × answered / Σ answered), abandoned % = Σ abandoned / Σ offered; n = answered calls"]
    for name, what in (("aht_seconds", "AHT"), ("asa_seconds", "ASA")):
        if name not in frame.columns:
            notes.append(f"{name} not mapped: {what} not computed")
    if "calls_answered" not in frame.columns:
        notes.append("calls_answered not mapped: AHT and ASA cannot be weighted, so they are not computed")
    if "calls_offered" not in frame.columns or "calls_abandoned" not in frame.columns:
        notes.append("abandoned % not computed: needs calls_offered and calls_abandoned")
    if "answered_in_sl" in frame.columns:
        notes.append("service level % = Σ answered_in_sl / Σ calls_offered (at the phone system's own threshold)")
    no_aht = int(((answered > 0) & aht.isna()).drop(skipped.index).sum())
    if "aht_seconds" in frame.columns and no_aht:
        notes.append(f"{no_aht} rows with answered calls but no AHT: not in AHT")
    # an average counts with its answered calls as weight; a row without the average adds no weight
    w_handle = answered.where(aht.notna())
    w_asa = answered.where(asa.notna())
    known = offered.notna() & abandoned.notna()  # abandonment only where both counts are there
    values = pd.DataFrame({
        "handle_w": aht / 60 * w_handle, "w_handle": w_handle,
        "asa_w": asa / 60 * w_asa, "w_asa": w_asa,
        "offered": offered.where(known), "abandoned": abandoned.where(known),
        "answered": answered,
        "in_sl": in_sl.where(offered.notna()), "sl_offered": offered.where(in_sl.notna()),
    }, index=idx).drop(index=skipped.index)
    return Measured(values, skipped, notes)


@kpi(
    name="aht",
    title="Average handle time (calls)",
    source=("calls", "call_intervals"),
    needs=("talk_seconds|answered_at+ended_at|calls_answered+aht_seconds|calls_answered+asa_seconds|"
           "calls_offered+calls_abandoned",),
    optional=("queued_at", "answered_at", "ended_at", "talk_seconds", "hold_seconds", "wrap_seconds",
              "wait_seconds", "abandoned", "calls_offered", "calls_answered", "calls_abandoned", "aht_seconds",
              "asa_seconds", "answered_in_sl"),
    unit="min",
    higher_is_better=False,
    formula="mean of talk + hold + wrap per answered call (ended_at − answered_at + wrap when talk_seconds is "
            "missing); ASA = answered_at − queued_at (or wait_seconds); abandoned % = calls never answered "
            "(or flagged abandoned) / calls offered. Pre-aggregated rows (a day or interval report): "
            "AHT = Σ(aht × answered) / Σ answered, ASA likewise, abandoned % = Σ abandoned / Σ offered, "
            "service level % = Σ answered_in_sl / Σ offered",
    aggregate=_aht_aggregate,
    params=(UNIT, STAT),
    example="cxkpi aht sample_data/calls.csv --by agent --unit s",
)
def aht(frame: pd.DataFrame, settings: dict) -> Measured:
    """Handle time of every answered call, with speed of answer and abandonment beside it.

    A call is answered when it has an ``answered_at`` or a ``talk_seconds``;
    every other call in the export was offered and abandoned. Hold and wrap
    columns are optional: a missing column (or an empty cell on an answered
    call) counts as 0 seconds, and a note says so. Without talk_seconds the
    talk is ended_at − answered_at − hold (the connected time includes hold).

    A phone system's report of one row per day or interval (``call_intervals``:
    offered, answered, abandoned, ASA, AHT, answered within the service level)
    is pooled: sums of the counts and averages weighted by answered calls.
    """
    have = set(frame.columns)
    per_call = "talk_seconds" in have or {"answered_at", "ended_at"} <= have
    if not per_call and {"calls_offered", "calls_answered", "calls_abandoned"} & have:
        return _aht_intervals(frame, settings)
    idx = frame.index
    notes: list[str] = []
    nan = pd.Series(np.nan, index=idx, dtype="float64")
    talk_s = _seconds(frame, "talk_seconds")
    answered = pd.Series(False, index=idx)
    if "answered_at" in frame.columns:
        answered |= frame["answered_at"].notna()
    if talk_s is not None:
        answered |= talk_s.notna()
    flagged = frame["abandoned"].astype("boolean") if "abandoned" in frame.columns else None
    if flagged is not None:
        answered = (~flagged).fillna(answered).astype(bool)

    reasons: list[pd.Series] = []
    connected = nan
    if "answered_at" in frame.columns and "ended_at" in frame.columns:
        connected = minutes_between(frame["answered_at"], frame["ended_at"]) * 60
        reasons.append(negative(connected, "ended_at before answered_at"))
    asa = nan
    if "queued_at" in frame.columns and "answered_at" in frame.columns:
        asa = minutes_between(frame["queued_at"], frame["answered_at"])
        reasons.append(negative(asa, "answered_at before queued_at"))
    elif "wait_seconds" in frame.columns:
        wait = _seconds(frame, "wait_seconds")
        reasons.append(negative(wait, "wait_seconds is negative"))
        asa = (wait / 60).where(answered)

    parts = {}
    for name in ("hold", "wrap"):
        col = _seconds(frame, f"{name}_seconds")
        if col is None:
            notes.append(f"{name}_seconds not mapped: {name} counted as 0")
            parts[name] = pd.Series(0.0, index=idx)
            continue
        reasons.append(negative(col, f"{name}_seconds is negative"))
        empty = answered & col.isna()
        if empty.any():
            notes.append(f"{int(empty.sum())} answered calls with an empty {name}_seconds: counted as 0")
        parts[name] = col.fillna(0.0)

    # without talk_seconds the connected time (ended_at − answered_at) holds talk and hold:
    # talk = connected − hold, so handle = connected + wrap, as the spec defines it
    derived = answered & connected.notna()
    if talk_s is None:
        notes.append("talk_seconds not mapped: talk = ended_at − answered_at − hold")
    else:
        reasons.insert(0, negative(talk_s, "talk_seconds is negative"))
        derived &= talk_s.isna()
        if derived.any():
            notes.append(f"{int(derived.sum())} answered calls without talk_seconds: "
                         "talk = ended_at − answered_at − hold")
    from_times = (connected - parts["hold"]).where(derived)
    reasons.append(negative(from_times, "hold_seconds longer than ended_at − answered_at"))
    talk = from_times if talk_s is None else talk_s.fillna(from_times)

    # with neither queued_at nor an abandoned flag the export lists answered calls only:
    # abandonment cannot be told, so it is null with a note, never 0 %
    knowable = "queued_at" in frame.columns or flagged is not None
    if not knowable:
        notes.append("abandoned % not computed: needs queued_at or an abandoned column")
    unknown = ~answered
    if "queued_at" in frame.columns:
        unknown &= frame["queued_at"].isna()
    if flagged is not None:
        unknown &= flagged.isna().to_numpy()
    reasons.append(pd.Series("no queued_at and no answer", index=idx[unknown.to_numpy()], dtype="object"))
    no_talk = answered & talk.isna()
    reasons.append(pd.Series("answered call without talk_seconds or ended_at", index=idx[no_talk.to_numpy()],
                             dtype="object"))
    skipped = first_reason(*reasons)

    handle = (talk + parts["hold"] + parts["wrap"]).where(answered)
    values = pd.DataFrame({
        "handle": handle / 60,
        "talk": talk.where(answered) / 60,
        "hold": parts["hold"].where(answered) / 60,
        "wrap": parts["wrap"].where(answered) / 60,
        "asa": asa,
        "abandoned": (~answered).astype("float64") if knowable else nan,
    }, index=idx).drop(index=skipped.index)
    # abandoned calls count for abandonment %, not for handle time: outside AHT's n, like
    # unanswered survey invitations, so n + skipped = rows still holds
    unhandled = int(values["handle"].isna().sum())
    if unhandled:
        notes.append(f"{unhandled} calls with no handle time (abandoned) are not in AHT; see abandoned %")
    return Measured(values, skipped, notes, excluded=unhandled)


# ---------------------------------------------------------------- tickets: handle_seconds
_TICKET_AHT_COLUMNS = ["value", "n", "mean", "median", "p90"]


def _ticket_aht_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    if values.empty and not keys:
        return _empty(_TICKET_AHT_COLUMNS)
    g = grouped(values, keys)
    out = pd.DataFrame({"n": g["handle"].count(), **_duration_stats(g, "handle", _factor(ctx))})
    out["value"] = out[ctx.settings.get("stat") or "mean"]
    return out[_TICKET_AHT_COLUMNS]


@kpi(
    name="aht-tickets",
    title="Average handle time (tickets)",
    source="tickets",
    needs=("handle_seconds",),
    unit="min",
    higher_is_better=False,
    formula="mean of the ticket's handle_seconds (agent working time) over tickets that have one",
    aggregate=_ticket_aht_aggregate,
    params=(UNIT, STAT),
    example="cxkpi aht-tickets sample_data/tickets.csv --by channel",
)
def aht_tickets(frame: pd.DataFrame, settings: dict) -> Measured:
    """Handle time from the helpdesk's own per-ticket handle_seconds (e-mail, web, chat work)."""
    handle = frame["handle_seconds"].astype("float64")
    skipped = first_reason(
        negative(handle, "handle_seconds is negative"),
        pd.Series("no handle_seconds", index=frame.index[handle.isna().to_numpy()], dtype="object"),
    )
    values = pd.DataFrame({"handle": handle / 60}, index=frame.index).drop(index=skipped.index)
    return Measured(values, skipped)


# ---------------------------------------------------------------- chats: wait, duration, missed
_CHAT_COLUMNS = ["value", "n", "mean", "median", "p90", "duration_mean", "duration_median", "duration_p90",
                 "requested", "missed", "missed_pct"]


def _chat_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    if values.empty and not keys:
        return _empty(_CHAT_COLUMNS)
    f = _factor(ctx)
    g = grouped(values.assign(missed=values["missed"].astype("int64")), keys)
    out = pd.DataFrame({
        "n": g["wait"].count(),
        **_duration_stats(g, "wait", f),
        **_duration_stats(g, "duration", f, prefix="duration_"),
        "requested": g["missed"].size(),
        "missed": g["missed"].sum(),
    })
    out["missed_pct"] = 100 * out["missed"] / out["requested"]
    out["value"] = out[ctx.settings.get("stat") or "mean"]
    return out[_CHAT_COLUMNS]


@kpi(
    name="chat",
    title="Chat wait time",
    source="chats",
    needs=("requested_at", "accepted_at"),
    optional=("ended_at",),
    unit="min",
    higher_is_better=False,
    formula="wait = accepted_at − requested_at (headline: mean over accepted chats); duration = ended_at − "
            "accepted_at; missed % = requested chats never accepted / chats requested",
    aggregate=_chat_aggregate,
    params=(UNIT, STAT),
    example="cxkpi chat sample_data/chats.csv --by channel --unit s",
)
def chat(frame: pd.DataFrame, settings: dict) -> Measured:
    """Wait before an agent accepts a chat, the chat's duration, and the share of chats nobody accepted.

    Every row is a requested chat; one without ``accepted_at`` is missed.
    """
    idx = frame.index
    accepted = frame["accepted_at"].notna()
    wait = minutes_between(frame["requested_at"], frame["accepted_at"])
    reasons = [negative(wait, "accepted_at before requested_at")]
    duration = pd.Series(np.nan, index=idx, dtype="float64")
    if "ended_at" in frame.columns:
        duration = minutes_between(frame["accepted_at"], frame["ended_at"])
        reasons.append(negative(duration, "ended_at before accepted_at"))
    nothing = frame["requested_at"].isna() & ~accepted
    reasons.append(pd.Series("no requested_at or accepted_at", index=idx[nothing.to_numpy()], dtype="object"))
    skipped = first_reason(*reasons)
    values = pd.DataFrame({"wait": wait, "duration": duration, "missed": ~accepted}, index=idx)
    values = values.drop(index=skipped.index)
    # missed chats count for missed %, not for wait time (outside n, so n + skipped = rows holds)
    unwaited = int(values["wait"].isna().sum())
    notes = [f"{unwaited} chats never accepted are not in the wait time; see missed %"] if unwaited else []
    return Measured(values, skipped, notes, excluded=unwaited)

"""Contact-center KPIs: average handle time (calls and tickets), speed of answer,
abandonment, chat wait / duration / missed chats (docs/workload.md; conventions in docs/conventions.md).

Durations are measured in minutes at row level and converted to ``--unit``
(default ``min``, as for every duration KPI in the spec; ``--unit s`` gives
the seconds contact centers usually quote) by the aggregators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


@kpi(
    name="aht",
    title="Average handle time (calls)",
    source="calls",
    needs=("talk_seconds|answered_at+ended_at",),
    optional=("queued_at", "answered_at", "ended_at", "talk_seconds", "hold_seconds", "wrap_seconds",
              "wait_seconds", "abandoned"),
    unit="min",
    higher_is_better=False,
    formula="mean of talk + hold + wrap per answered call (ended_at − answered_at + wrap when talk_seconds is "
            "missing); ASA = answered_at − queued_at (or wait_seconds); abandoned % = calls never answered "
            "(or flagged abandoned) / calls offered",
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
    """
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

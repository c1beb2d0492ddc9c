"""Contact-center KPIs: average handle time (calls and tickets), speed of answer,
abandonment, chat wait / duration / missed chats (docs/workload.md; conventions in docs/conventions.md).

``aht`` reads a call log (one row per call) or a phone system's report of pre-aggregated rows
(``call_intervals``: one row per day or 15-minute interval). Such rows are pooled, never averaged:
abandonment = Σ abandoned / Σ offered, AHT and ASA = Σ(average × answered) / Σ answered.

Durations are measured in minutes at row level and converted to ``--unit``
(default ``min``, as for every duration KPI in the spec; ``--unit s`` gives
the seconds contact centers usually quote) by the KPIs' statistics (cxkpi/reduce/statistic.py:
``handle_times``, ``duration_summary``, ``chat_waits``), which the engine aggregates batch by batch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..notes import Counted
from ..reduce import statistic
from ..registry import Measured, Param, kpi
from .elapsed import first_reason, minutes_between, negative

UNIT = Param("unit", str, "min", "Unit of the durations: s, min, h or d.", choices=("s", "min", "h", "d"))
STAT = Param("stat", str, "mean", "Which statistic is the headline value: mean, median or p90.",
             choices=("mean", "median", "p90"))


def _seconds(frame: pd.DataFrame, name: str) -> pd.Series | None:
    return frame[name].astype("float64") if name in frame.columns else None


# ------------------------------------------------ call_intervals: one row per day / 15-minute interval
# what an export of averages can tell: no median, p90, talk / hold / wrap split (those need one row per call)
_INTERVAL_COUNTS = ("calls_offered", "calls_answered", "calls_abandoned", "answered_in_sl")


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
        notes.append(Counted("{n} rows with answered calls but no AHT: not in AHT", no_aht))
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
    statistic=statistic.handle_times(),
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
            notes.append(Counted("{n} answered calls with an empty " + name + "_seconds: counted as 0",
                                 int(empty.sum())))
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
            notes.append(Counted("{n} answered calls without talk_seconds: talk = ended_at − answered_at − hold",
                                 int(derived.sum())))
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
        notes.append(Counted("{n} calls with no handle time (abandoned) are not in AHT; see abandoned %", unhandled))
    return Measured(values, skipped, notes, excluded=unhandled)


# ---------------------------------------------------------------- tickets: handle_seconds
@kpi(
    name="aht-tickets",
    title="Average handle time (tickets)",
    source="tickets",
    needs=("handle_seconds",),
    unit="min",
    higher_is_better=False,
    formula="mean of the ticket's handle_seconds (agent working time) over tickets that have one",
    statistic=statistic.duration_summary("handle"),
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
    statistic=statistic.chat_waits(),
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
    notes = [Counted("{n} chats never accepted are not in the wait time; see missed %", unwaited)] if unwaited else []
    return Measured(values, skipped, notes, excluded=unwaited)

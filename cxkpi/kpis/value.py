"""Money KPIs: revenue (MRR) churn and cost per resolution, with the parsers of the amounts and
cost tables they take (docs/business.md).

Both are ``periodic`` and count over the period grid of ``cxkpi.reduce.flows``; revenue churn
follows each customer's MRR through the same spells `cxkpi churn` counts.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from ..errors import MissingSettingError, PeriodError, UsageError
from ..io.values import money
from ..periods import period_freq, period_label
from ..reduce import flows
from ..registry import Context, Measured, Param, kpi


# ---------------------------------------------------------------- settings parsers
def parse_amount(value) -> float:
    """An amount of money: 42000, "42,000", "€42.000,00"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        x = float(value)
    else:
        parsed, _ = money(pd.Series([str(value)]))
        x = float(parsed.iloc[0])
    if not np.isfinite(x) or x < 0:
        raise ValueError(f"{value!r}: expected an amount of money of 0 or more, e.g. 42000")
    return x


_PERIOD_NAMES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def _cost_period(key) -> pd.Period:
    if isinstance(key, dt.date):
        return pd.Period(key, "D")
    text = str(key).strip()
    if re.fullmatch(r"\d{4}", text):
        return pd.Period(text, "Y")
    m = re.fullmatch(r"(\d{4})-?Q([1-4])", text, flags=re.IGNORECASE)
    if m:
        return pd.Period(f"{m.group(1)}Q{m.group(2)}", "Q")
    m = re.fullmatch(r"(\d{4})-W(\d{1,2})", text, flags=re.IGNORECASE)
    if m:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return pd.Period(monday, period_freq("week"))
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return pd.Period(text, "M")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return pd.Period(text, "D")
    raise ValueError(f"{key!r}: expected a period such as 2025-05, 2025-Q2, 2025-W19, 2025-05-01 or 2025")


def parse_cost_table(value) -> dict[pd.Period, float]:
    """``{2025-05: 40000, 2025-06: 41000}`` -> {Period: amount}; every key the same length of period."""
    if not isinstance(value, dict) or not value:
        raise ValueError("expected a mapping of period to cost, e.g. {2025-05: 40000, 2025-06: 41000}")
    table: dict[pd.Period, float] = {}
    for key, amount in value.items():
        try:
            table[_cost_period(key)] = parse_amount(amount)
        except ValueError as e:
            raise ValueError(f"{key}: {e}") from None
    kinds = {_freq_name(p) for p in table}
    if len(kinds) > 1:
        raise ValueError(f"mixes lengths of period ({', '.join(sorted(kinds))}); give every cost per month, "
                         "or every cost per quarter, …")
    return dict(sorted(table.items()))


def _freq_name(p: pd.Period) -> str:
    return _PERIOD_NAMES.get(p.freqstr[0], p.freqstr)


# ---------------------------------------------------------------- revenue (MRR) churn
def _mrr_measure(frame: pd.DataFrame, settings: dict) -> Measured:
    """Each row becomes a span [start, end) of one customer at one MRR.

    Two shapes: rows with started_at / ended_at (a plan change = one row ends, the next starts
    the same day; overlapping rows of a customer add up), or rows with ``changed_at`` (the MRR
    in force from that date, started_at when blank, until the customer's next row; the last
    row lasts until its ended_at, empty = still active)."""
    changes = "changed_at" in frame.columns
    first = "started_at" if "started_at" in frame.columns else "changed_at"
    skips = flows.Skips(frame.index)
    begin = flows.naive(frame[first])
    if changes and first == "started_at":
        begin = flows.naive(frame["changed_at"]).fillna(begin)
    finish = (flows.naive(frame["ended_at"]) if "ended_at" in frame.columns
              else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"))
    skips.drop(begin.isna(), f"no {'changed_at or started_at' if changes and first == 'started_at' else first}")
    who = flows.person_codes(frame, "customer_id", skips)
    mrr = frame["mrr"].astype("float64")
    skips.drop(mrr.isna(), "no mrr")
    skips.drop(mrr < 0, "mrr is negative")
    skips.drop(finish < begin, "ended_at before started_at" if not changes else "ended_at before changed_at")
    values = pd.DataFrame({"who": who, "start": begin, "end": finish, "mrr": mrr}, index=frame.index)
    previous = None
    if changes and "previous_mrr" in frame.columns and "customer_id" in frame.columns:
        previous = frame["previous_mrr"].astype("float64")
        skips.drop(previous < 0, "previous_mrr is negative")
    values = values[skips.ok]
    notes = []
    if previous is not None:
        # a customer's first change says what they paid before it: that MRR runs from before the data
        # (a seed row, flagged so it does not stretch the range of periods) until the change
        heads = values.sort_values("start", kind="stable").groupby("who", sort=False).head(1)
        before = previous.reindex(heads.index)
        heads = heads[(before > 0).to_numpy()]
        seeds = heads.assign(end=heads["start"], start=_SEED, mrr=before[before > 0].to_numpy())
        values = pd.concat([values.assign(seed=False), seeds.assign(seed=True)])
        notes.append(f"previous_mrr of a customer's first change: the MRR paid before it ({len(seeds):,} "
                     f"customer{'s' if len(seeds) != 1 else ''} already paying when the file starts)")
    if changes:
        # a row lasts until the same customer's next row (or its own ended_at, if earlier)
        values = values.sort_values(["who", "start"], kind="stable")
        nxt = values.groupby("who", sort=False)["start"].shift(-1)
        values["end"] = values["end"].where(values["end"].notna() & ~(values["end"] > nxt), nxt)
        # an MRR of 0 from a date is a cancellation (a churn movement): the row before it ends there, and the
        # zero row lasts no time (a later row is a restart after a gap: churn, then new)
        zero = values["mrr"].to_numpy() == 0
        values.loc[zero, "end"] = values.loc[zero, "start"]
        values = values.sort_index(kind="stable")
        notes.append("MRR changes: each row's mrr is in force from changed_at"
                     + (" (started_at when blank)" if first == "started_at" else "")
                     + " until the customer's next row; the last row until its ended_at; mrr 0 = cancelled then")
    else:
        notes.append("each row is a subscription at its mrr from started_at until ended_at; a customer's rows "
                     "that touch are one subscription (a plan change), their MRR compared period to period")
    if "customer_id" not in frame.columns:
        notes.append("no customer_id: each row is one customer, so no expansion or contraction can be seen")
    return Measured(values, skips.skipped, notes)


_SEED = pd.Timestamp("1900-01-01")  # "before the data" for an MRR known only from previous_mrr
_MRR_FLOWS = ["starting_mrr", "churned_mrr", "contraction_mrr", "expansion_mrr", "new_mrr"]  # add up over periods
_MRR_FIELDS = [*_MRR_FLOWS, "ending_mrr", "net_mrr_churn_pct", "churned_customers"]


def _mrr_rates(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    base = frame["starting_mrr"].where(frame["starting_mrr"] > 0)
    gross = 100 * (frame["churned_mrr"] + frame["contraction_mrr"]) / base
    net = 100 * (frame["churned_mrr"] + frame["contraction_mrr"] - frame["expansion_mrr"]) / base
    return gross, net


def _mrr_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    by, per_period = flows.split_keys(keys)
    empty = flows.empty(by, per_period, {k: np.nan for k in _MRR_FIELDS})
    if values.empty:
        return empty
    real = values[~values["seed"].to_numpy(dtype=bool)] if "seed" in values.columns else values
    lo, hi = flows.window(real, ["start", "end"])
    bounds = flows.period_bounds(lo, hi, ctx, ctx.period or flows.DEFAULT_PERIOD)
    if bounds is None:
        return empty
    row_codes, keys_index = flows.group_codes(values, by)
    groups = 1 if keys_index is None else len(keys_index)
    periods = len(bounds) - 1
    who = values["who"].to_numpy()
    # one dense id per (group, customer): a customer who moves group (plan) leaves one and joins the other
    pid, uniq = pd.factorize(flows.person_key(row_codes, who))
    width = int(who.max()) + 1
    pid_group = (uniq // width).astype(np.int64)
    people = len(uniq)
    start = flows.to_ns(values["start"])
    end = np.where(values["end"].isna().to_numpy(), flows.OPEN, flows.to_ns(values["end"]))
    mrr = values["mrr"].to_numpy(dtype="float64")
    spell_pid, spell_start, spell_end = flows.merge_spells(
        pd.DataFrame({"who": np.zeros(len(values), dtype=np.int64), "start": values["start"].to_numpy(),
                      "end": values["end"].to_numpy()}), pid.astype(np.int64))
    t = flows.index_ns(bounds)

    def level(j: int) -> np.ndarray:  # each customer's MRR at bound j (started before it, not ended before it)
        live = (start < t[j]) & (end >= t[j])
        return np.bincount(pid[live], weights=mrr[live], minlength=people)

    out = {k: np.zeros((groups, periods)) for k in [*_MRR_FIELDS, "customers_at_start"] if k != "net_mrr_churn_pct"}
    at_start = level(0)
    for j in range(periods):
        at_end = level(j + 1)
        present = (spell_start < t[j]) & (spell_end >= t[j])
        was = np.zeros(people, dtype=bool)
        was[spell_pid[present]] = True
        gone = np.zeros(people, dtype=bool)
        gone[spell_pid[present & (spell_end < t[j + 1])]] = True
        stayed = was & ~gone
        delta = np.where(stayed, at_end - at_start, 0.0)
        new = np.where(~was | gone, at_end, 0.0)  # new customers, and churned ones who came back
        for name, weights in (("starting_mrr", at_start), ("churned_mrr", np.where(gone, at_start, 0.0)),
                              ("contraction_mrr", np.maximum(-delta, 0.0)), ("expansion_mrr", np.maximum(delta, 0.0)),
                              ("new_mrr", new), ("ending_mrr", at_end),
                              ("customers_at_start", was.astype("float64")),
                              ("churned_customers", gone.astype("float64"))):
            out[name][:, j] = np.bincount(pid_group, weights=weights, minlength=groups)
        at_start = at_end
    frame = flows.long_frame(out, keys_index, by, bounds[:-1])
    money_cols = [*_MRR_FLOWS, "ending_mrr"]
    frame[money_cols] = frame[money_cols].round(6)  # sums of cents: no 1e-13 residue
    unit = ctx.period or flows.DEFAULT_PERIOD
    if not per_period:
        g = frame.groupby(level=by, sort=True) if by else frame.groupby(np.zeros(len(frame), dtype="int8"))
        pooled = g[[*_MRR_FLOWS, "customers_at_start", "churned_customers"]].sum()
        gross, net = _mrr_rates(pooled)
        res = pd.DataFrame(index=pooled.index)
        res["value"] = gross
        res["n"] = pooled["customers_at_start"].astype("int64")
        for name in _MRR_FLOWS:
            res[name] = pooled[name]  # Σ over the periods: the pooled rate is these sums' ratio
        res["ending_mrr"] = g["ending_mrr"].last()
        res["net_mrr_churn_pct"] = net
        res["churned_customers"] = pooled["churned_customers"].astype("int64")
        res["periods"] = g.size()
        res["note"] = np.where(pooled["starting_mrr"] > 0,
                               f"per {unit}, pooled over {periods}: MRR columns are sums over the {unit}s (ending: of the last)",
                               f"no MRR at the start of any {unit}")
        if not by:
            res = res.reset_index(drop=True)
        return res
    gross, net = _mrr_rates(frame)
    res = pd.DataFrame(index=frame.index)
    res["value"] = gross
    res["n"] = frame["customers_at_start"].astype("int64")
    for name in _MRR_FIELDS:
        res[name] = net if name == "net_mrr_churn_pct" else frame[name]
    res["churned_customers"] = res["churned_customers"].astype("int64")
    res["note"] = flows.coverage_note(flows.note_where(frame["starting_mrr"] <= 0, "no MRR at the start of the period",
                                       frame.index), bounds, hi)
    return res


@kpi(
    name="revenue-churn",
    title="Revenue (MRR) churn rate",
    source="subscriptions",
    needs=("started_at+mrr|changed_at+mrr",),
    optional=("customer_id", "ended_at", "changed_at", "previous_mrr"),
    unit="%",
    higher_is_better=False,
    formula="gross: 100 × (churned MRR + contraction) / MRR at the start of the period; net: 100 × (churned "
            "MRR + contraction − expansion) / MRR at the start (per --period, a month by default)",
    aggregate=_mrr_aggregate,
    example="cxkpi revenue-churn sample_data/subscriptions.csv --period month",
    periodic=True,
)
def revenue_churn(frame: pd.DataFrame, settings: dict) -> Measured:
    """Gross MRR churn (the value) and net MRR churn (breakdown: net_mrr_churn_pct, negative when
    expansion outweighs what was lost) per period, beside customer churn. Starting MRR: the MRR
    of the customers active at the start of the period (as in `cxkpi churn`); churned MRR: the
    starting MRR of those whose subscription ended in the period; contraction / expansion: the
    fall / rise of the MRR of the others from the start to the end of the period; new MRR: of
    customers who started (or came back) in it. MRR changes are read from several rows per
    customer: rows that end and restart the same day (started_at / ended_at), or rows with a
    changed_at date (the MRR in force from then until the customer's next row; an mrr of 0 is a
    cancellation; previous_mrr on a customer's first change is what they paid before it). A period that
    starts with no MRR shows no value and the note "no MRR at the start of the period"."""
    return _mrr_measure(frame, settings)


# ---------------------------------------------------------------- cost per resolution
def _cpr_measure(frame: pd.DataFrame, settings: dict) -> Measured:
    skips = flows.Skips(frame.index)
    resolved_at = flows.naive(frame["resolved_at"])
    created = flows.naive(frame["created_at"]) if "created_at" in frame.columns else None
    if created is not None:
        skips.drop(resolved_at < created, "resolved_at before created_at")
    notes: list[str] = []
    mode = _cost_mode(frame, settings)
    if mode == "column":
        at = resolved_at.fillna(created) if created is not None else resolved_at
        skips.drop(at.isna(), "no resolved_at or created_at to date its cost")
        cost = frame["cost"].astype("float64")
        blank = int((cost.isna() & skips.ok).sum())
        if blank:
            notes.append(f"{blank} tickets with no cost counted as 0")
        notes.append("cost from the `cost` column, dated by resolved_at (created_at for unresolved tickets)")
        values = pd.DataFrame({"at": at, "resolved": resolved_at.notna(), "cost": cost.fillna(0.0)},
                              index=frame.index)
        return Measured(values[skips.ok], skips.skipped, notes)
    unresolved = resolved_at.isna() & skips.ok
    values = pd.DataFrame({"at": resolved_at, "resolved": True}, index=frame.index)[skips.ok & ~unresolved]
    if unresolved.any():
        notes.append(f"{int(unresolved.sum())} unresolved tickets not counted")
    if mode == "table":
        table = settings["costs"]
        outside = int((~_priced(values["at"], table)).sum())
        notes.append(f"cost from the config's cost table ({_label(min(table))} … {_label(max(table))})")
        if outside:
            notes.append(f"{outside} resolutions in periods the cost table gives no cost for not counted")
    else:
        notes.append(f"cost {settings['cost']:,.2f} from --cost (per --period; for the whole range without it)")
    return Measured(values, skips.skipped, notes, excluded=int(unresolved.sum()))


def _label(p: pd.Period) -> str:
    return period_label(p.start_time, _freq_name(p))


def _cost_mode(frame_or_values: pd.DataFrame, settings: dict) -> str:
    if settings.get("cost") is not None:
        return "flat"
    if settings.get("costs"):
        return "table"
    if "cost" in frame_or_values.columns:
        return "column"
    raise MissingSettingError("cost-per-resolution needs the support cost: --cost AMOUNT, a cost table in the config "
                     "(kpis.cost-per-resolution.costs: {2025-05: 40000, …}) or a `cost` column")


def _cpr_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    by, per_period = flows.split_keys(keys)
    mode = "column" if "cost" in values.columns else _cost_mode(values, ctx.settings)
    if by and mode != "column":
        raise UsageError("cost-per-resolution --by needs each ticket's cost (a `cost` column): a total cost "
                         "(--cost or the config's cost table) cannot be split between groups")
    if mode == "table":
        return _cpr_table(values, ctx, per_period)
    empty = flows.empty(by, per_period, {"cost": np.nan, "resolutions": 0})
    if values.empty:
        return empty
    lo, hi = flows.window(values, ["at"])
    if ctx.period:  # one unit per period; --cost is the cost of each
        bounds = flows.period_bounds(lo, hi, ctx, ctx.period)
    else:  # one unit: the whole range (--cost is its cost)
        bounds = pd.DatetimeIndex([flows.naive_ts(ctx.since) if ctx.since is not None else lo,
                                   flows.naive_ts(ctx.until) if ctx.until is not None else hi + pd.Timedelta(1, "ns")])
        bounds = bounds if bounds[0] < bounds[1] else None
    if bounds is None:
        return empty
    codes, keys_index = flows.group_codes(values, by)
    groups = 1 if keys_index is None else len(keys_index)
    width = len(bounds) - 1
    slots = flows.slot_of(bounds, flows.to_ns(values["at"]))
    inside = (slots >= 0) & (slots < width)
    res = values["resolved"].to_numpy(dtype=bool) & inside
    resolutions = flows.grid_count(codes[res], slots[res], groups, width)
    if mode == "column":
        cost = flows.grid_count(codes[inside], slots[inside], groups, width, weights=values["cost"].to_numpy()[inside])
    else:
        cost = np.full((groups, width), float(ctx.settings["cost"]))
    frame = flows.long_frame({"cost": cost, "resolutions": resolutions}, keys_index, by, bounds[:-1])
    if not per_period:
        frame = frame.groupby(level=by, sort=True).sum() if by else frame.sum().to_frame().T
        return _cpr_finish(frame)
    out = _cpr_finish(frame)
    out["note"] = flows.coverage_note(out["note"], bounds, hi)
    return out


def _cpr_finish(frame: pd.DataFrame, note: str | None = None) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    res = frame["resolutions"]
    out["value"] = frame["cost"] / res.where(res > 0)
    out["n"] = res.astype("int64")
    out["cost"] = frame["cost"]
    out["resolutions"] = res.astype("int64")
    text = flows.note_where(res == 0, "no resolutions", frame.index)
    text = text.mask(frame["cost"].isna() & (res > 0), "no cost given for this period")
    if note:
        text = text.mask(text == "", note)
    out["note"] = text
    return out


def _priced(at: pd.Series, table: dict[pd.Period, float]) -> np.ndarray:
    """Which times fall in a period of the cost table."""
    freq = next(iter(table)).freq
    starts = flows.index_ns(pd.DatetimeIndex([p.start_time for p in table]))
    own = at.dt.to_period(freq).dt.start_time
    return np.isin(flows.to_ns(own), starts)


def _cpr_table(values: pd.DataFrame, ctx: Context, per_period: bool) -> pd.DataFrame:
    """Cost from the config's table: only resolutions in a period that has a cost are counted."""
    table: dict[pd.Period, float] = ctx.settings["costs"]
    first = next(iter(table))
    gran = _freq_name(first)
    order = ["day", "week", "month", "quarter", "year"]
    period = ctx.period or gran
    if ctx.period and (order.index(period) < order.index(gran) or (gran == "week" and period != "week")):
        raise PeriodError(f"the cost table gives a cost per {gran}: use --period {gran}"
                         + ("" if gran == "week" else " or a longer period"))
    since = flows.naive_ts(ctx.since) if ctx.since is not None else pd.Timestamp.min
    until = flows.naive_ts(ctx.until) if ctx.until is not None else pd.Timestamp.max
    entries = {p: a for p, a in table.items() if since <= p.start_time < until}
    empty = flows.empty([], per_period, {"cost": np.nan, "resolutions": 0})
    if not entries:
        return empty
    starts = pd.DatetimeIndex([p.start_time for p in entries])
    bounds = flows.period_bounds(starts.min(), max((p + 1).start_time for p in entries) - pd.Timedelta(1, "ns"),
                     Context(settings={}), period)
    width = len(bounds) - 1
    slot = flows.slot_of(bounds, flows.index_ns(starts))
    cost = np.bincount(slot, weights=np.array(list(entries.values()), dtype="float64"), minlength=width)
    given = np.bincount(slot, minlength=width)
    expected = np.array([len(pd.period_range(a, b - pd.Timedelta(1, "ns"), freq=first.freq))
                         for a, b in zip(bounds[:-1], bounds[1:])])
    at = values["at"]
    counted = _priced(at, entries) & (at >= since).to_numpy() & (at < until).to_numpy()
    res_slot = flows.slot_of(bounds, flows.to_ns(at[counted]))
    resolutions = np.bincount(res_slot[(res_slot >= 0) & (res_slot < width)], minlength=width)
    frame = pd.DataFrame({"cost": np.where(given > 0, cost, np.nan), "resolutions": resolutions},
                         index=pd.Index(bounds[:-1], name="period"))
    if not per_period:
        total = pd.DataFrame({"cost": [cost.sum()], "resolutions": [resolutions.sum()]})
        return _cpr_finish(total)
    out = _cpr_finish(frame)
    partial = (given > 0) & (given < expected)
    part_note = [f"cost for {g} of {e} {gran}s" if p else "" for g, e, p in zip(given, expected, partial)]
    out["note"] = np.where(given == 0, "no cost given for this period",
                           np.where(partial & (out["note"] == ""), part_note, out["note"]))
    if not at.empty:
        out["note"] = flows.coverage_note(out["note"], bounds, at.max())
    return out


@kpi(
    name="cost-per-resolution",
    title="Cost per resolution",
    source="tickets",
    needs=("resolved_at",),
    optional=("created_at", "cost"),
    unit="currency",
    higher_is_better=False,
    formula="support cost of the period / tickets resolved in the period (resolved_at in it)",
    aggregate=_cpr_aggregate,
    params=(
        Param("cost", float, None, "Support cost: of each period with --period (e.g. 42000 a month), of the "
              "whole date range without it.", parse=parse_amount),
        Param("costs", dict, None, "Cost per period (config only): {2025-05: 40000, 2025-06: 41000}.",
              parse=parse_cost_table, cli=False),
    ),
    example="cxkpi cost-per-resolution sample_data/tickets.csv --cost 42000 --period month",
    time_column="resolved_at",
    periodic=True,
)
def cost_per_resolution(frame: pd.DataFrame, settings: dict) -> Measured:
    """Support cost over tickets resolved (resolved_at in the period). The cost comes from
    --cost (the cost of each period with --period, of the whole date range without it),
    else the config's cost table (kpis.cost-per-resolution.costs, one amount per month,
    quarter, … — --period must be that length or longer), else a per-ticket `cost` column
    (dated by resolved_at, or created_at for unresolved tickets; the only mode that works
    with --by). A period with no resolved tickets shows no value and the note "no
    resolutions"."""
    return _cpr_measure(frame, settings)

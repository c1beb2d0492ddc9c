"""Customer lifecycle KPIs: churn, retention and customer lifetime value (docs/business.md; shared
conventions in docs/conventions.md).

Churn and retention are rates *per period*: ``--period`` is the unit the rate is over (a month
when omitted). They and CLV are ``periodic`` (they window themselves): the measure step returns
one row per subscription or order (or a CRM snapshot's customer), and the aggregate counts, for
every period [start, end), who was there at its start, who came, who went and who was there at
its end, with the period flows of ``cxkpi.reduce.flows`` (which states the counting conventions).
CLV lives here because its lifespan is 1 / the monthly churn of the same flows.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..reduce import flows
from ..registry import Context, Measured, Param, kpi
from ..stats import wilson_interval
from ..vocabulary import ACTIVE_WORDS, CHURNED_WORDS
from .aggregate import grouped

_NOTE_EMPTY_START = "no customers at start"



# ---------------------------------------------------------------- settings parsers
def parse_months(value) -> float:
    """A lifespan in months: 36, "36m", "3y", "1.5 years", "52w", "90d"."""
    if isinstance(value, bool):
        raise ValueError("expected a lifespan such as 36m or 3y")
    if isinstance(value, (int, float)):
        months = float(value)
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(m|mo|mos|months?|y|yr|yrs|years?|w|wk|wks|weeks?|d|days?)?\s*",
                         str(value).lower())
        if not m:
            raise ValueError(f"{value!r}: expected a lifespan such as 36m, 3y, 52w or 90d")
        n, unit = float(m.group(1)), (m.group(2) or "m")[0]
        months = n * {"m": 1.0, "y": 12.0, "w": 7 * 12 / 365.2425, "d": 12 / 365.2425}[unit]
    if not months > 0:
        raise ValueError(f"{value!r}: a lifespan must be more than 0")
    return months


def parse_margin(value) -> float:
    """Gross margin as a fraction: 0.4 or "40%"."""
    text = str(value).strip()
    try:
        x = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"{value!r}: expected a fraction such as 0.4 or a percent such as 40%") from None
    if not 0 < x <= 1:
        raise ValueError(f"{value!r}: expected a fraction between 0 and 1 (e.g. 0.4) or a percent (40%)")
    return x



# ---------------------------------------------------------------- churn and retention
def _snapshot(frame: pd.DataFrame, settings: dict) -> Measured:
    skips = flows.Skips(frame.index)
    raw = frame["status"].astype("string").str.strip().str.lower()
    skips.drop(raw.isna() | (raw == ""), "no status")
    custom = settings.get("churned_values")
    if custom:
        words = {w.strip().lower() for w in str(custom).split(",") if w.strip()}
        churned = raw.isin(words).fillna(False).astype(bool)
        rule = f"churned = status in {sorted(words)}; any other status = retained"
    else:
        churned = raw.isin(CHURNED_WORDS).fillna(False).astype(bool)
        known = churned | raw.isin(ACTIVE_WORDS).fillna(False).astype(bool)
        skips.drop(~known, "status is neither a churned nor an active value (see --churned-values)")
        rule = "churned = yes/true/1/churned/cancelled/inactive…, retained = no/false/0/active…"
    if "customer_id" in frame.columns:
        ids = frame["customer_id"].astype("string").str.strip()
        skips.drop(ids.duplicated() & ids.notna(), "customer_id repeated (a snapshot has one row per customer)")
    values = pd.DataFrame({"churned": churned}, index=frame.index)
    for src, dst in (("tenure_months", "tenure"), ("monthly_revenue", "revenue")):
        if src in frame.columns:
            values[dst] = pd.to_numeric(frame[src], errors="coerce")
    if "tenure" in values:
        skips.drop(values["tenure"] < 0, "tenure_months is negative")
    notes = [f"point-in-time churn from a status snapshot (no dates): {rule}"]
    return Measured(values[skips.ok], skips.skipped, notes)


def _lifecycle(frame: pd.DataFrame, settings: dict) -> Measured:
    if "started_at" in frame.columns:
        values, skips = flows.spans(frame, "started_at", "ended_at", "customer_id")
        who = "customer_id" if "customer_id" in frame.columns else None
        notes = ["subscriptions: a customer is active from started_at until ended_at"
                 + ("" if who else "; no customer_id, so each row counts as one customer")]
        return Measured(values[skips.ok], skips.skipped, notes)
    if "order_at" in frame.columns:
        skips = flows.Skips(frame.index)
        at = flows.naive(frame["order_at"])
        skips.drop(at.isna(), "no order_at")
        who = flows.person_codes(frame, "customer_id", skips)
        values = pd.DataFrame({"who": who, "at": at}, index=frame.index)
        notes = ["orders: a customer is active in a period when they ordered in it; lost = active in the "
                 "previous period and not in this one"]
        return Measured(values[skips.ok], skips.skipped, notes)
    return _snapshot(frame, settings)


def _snapshot_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context, headline: str) -> pd.DataFrame:
    if "period" in keys or ctx.period or ctx.since is not None or ctx.until is not None:
        raise UsageError("a status column is a point-in-time snapshot with no dates: its churn is not per "
                         "period; drop --period/--since/--until")
    if values.empty and not keys:
        return pd.DataFrame([{"value": np.nan, "n": 0, "churned": 0, "retained": 0}])
    frame = values.assign(_c=values["churned"].astype("int64"))
    g = grouped(frame, keys)
    out = g.agg(n=("_c", "size"), churned=("_c", "sum"))
    out["retained"] = out["n"] - out["churned"]
    hits = out["churned"] if headline == "churn" else out["retained"]
    out["value"] = 100 * hits / out["n"]
    out["low"], out["high"] = wilson_interval(hits, out["n"])
    out[("retention_pct" if headline == "churn" else "churn_pct")] = 100 - out["value"]
    if "tenure" in values:
        out["tenure_churned"] = _mean_where(frame, keys, "tenure", True)
        out["tenure_retained"] = _mean_where(frame, keys, "tenure", False)
    if "revenue" in values:
        at_risk = frame["revenue"].where(frame["churned"], 0.0)
        out["revenue_at_risk"] = grouped(frame.assign(_r=at_risk), keys)["_r"].sum()
        out["revenue_total"] = g["revenue"].sum()
        total = out["revenue_total"]
        out["revenue_at_risk_pct"] = 100 * out["revenue_at_risk"] / total.where(total != 0)
    return out


def _mean_where(frame: pd.DataFrame, keys: list[str], column: str, flag: bool) -> pd.Series:
    """Mean of ``column`` over the rows whose ``churned`` equals ``flag``, per group (NaN if none)."""
    return grouped(frame.assign(_x=frame[column].where(frame["churned"] == flag)), keys)["_x"].mean()


def _lifecycle_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context, headline: str) -> pd.DataFrame:
    if "churned" in values.columns:
        return _snapshot_aggregate(values, keys, ctx, headline)
    by, per_period = flows.split_keys(keys)
    variant = ctx.settings.get("variant") or "standard"
    orders = "at" in values.columns
    names = (["start", "new", "returning", "lost", "end"] if orders
             else ["start", "new", "lost", "new_and_lost", "end"])
    flow = flows.period_flow(values, by, ctx, ctx.period or flows.DEFAULT_PERIOD) if not values.empty else None
    if flow is None:
        return flows.empty(by, per_period, {k: 0 for k in names})
    starts = flow.starts
    frame = flow.frame(by)
    if not orders:
        frame["returning"] = 0
        kept_new = frame["new"] - frame["new_and_lost"]
    else:
        frame["new_and_lost"] = 0
        kept_new = frame["new"]
    frame["_kept_new"] = kept_new
    if not per_period:
        pooled = flows.pool(frame, by, ["start", "new", "lost", "new_and_lost", "returning", "_kept_new", "end"])
        out = _rates(pooled["start"], pooled["lost"], pooled["end"], pooled["_kept_new"], headline, variant)
        out["start"] = pooled["first_start"]
        out["new"] = pooled["new"]
        if orders:
            out["returning"] = pooled["returning"]
        out["lost"] = pooled["lost"]
        if not orders:
            out["new_and_lost"] = pooled["new_and_lost"]
        out["end"] = pooled["last_end"]
        out["periods"] = pooled["periods"]
        unit = ctx.period or flows.DEFAULT_PERIOD
        out["note"] = np.where(pooled["start"] > 0, f"per {unit}, pooled over {len(starts)}",
                               f"no customers at the start of any {unit}")
        return out
    out = _rates(frame["start"], frame["lost"], frame["end"], frame["_kept_new"], headline, variant)
    for name in names:
        out[name] = frame[name]
    out["note"] = flows.coverage_note(flows.note_where(frame["start"] == 0, _NOTE_EMPTY_START, frame.index), flow)
    return out


def _rates(start, lost, end, kept_new, headline: str, variant: str) -> pd.DataFrame:
    denominator = start.where(start > 0)
    out = pd.DataFrame(index=start.index)
    if headline == "churn":
        out["value"] = 100 * lost / denominator
        out["low"], out["high"] = wilson_interval(lost, denominator)
    elif variant == "end-over-start":
        out["value"] = 100 * end / denominator
    else:
        retained = end - kept_new  # = start - lost
        out["value"] = 100 * retained / denominator
        out["low"], out["high"] = wilson_interval(retained, denominator)
    out["n"] = start.astype("int64")
    return out


def _churn_aggregate(values, keys, ctx):
    return _lifecycle_aggregate(values, keys, ctx, "churn")


def _retention_aggregate(values, keys, ctx):
    return _lifecycle_aggregate(values, keys, ctx, "retention")


LIFECYCLE_SOURCES = ("subscriptions", "orders", "customers")
LIFECYCLE_NEEDS = ("started_at+ended_at|customer_id+order_at|status",)
LIFECYCLE_OPTIONAL = ("customer_id", "tenure_months", "monthly_revenue")
STATUS_COLUMN = Param("status_column", str, None,
                      "CRM snapshot: the column that says whether each customer churned (e.g. Churn); "
                      "a point-in-time rate, not per period.", column="status")
CHURNED_VALUES = Param("churned_values", str, None,
                       "Snapshot: comma-separated status values that mean churned (e.g. cancelled,paused); "
                       "every other value is retained. Default: yes/true/1/churned/cancelled/inactive… "
                       "churned, no/false/0/active… retained.")
TENURE_COLUMN = Param("tenure_column", str, None,
                      "Snapshot: column with each customer's tenure in months (mean tenure of churned vs "
                      "retained).", column="tenure_months")
REVENUE_COLUMN = Param("revenue_column", str, None,
                       "Snapshot: column with each customer's monthly revenue (monthly revenue at risk).",
                       column="monthly_revenue")


@kpi(
    name="churn",
    title="Customer churn rate",
    source=LIFECYCLE_SOURCES,
    needs=LIFECYCLE_NEEDS,
    optional=LIFECYCLE_OPTIONAL,
    unit="%",
    higher_is_better=False,
    formula="100 × customers lost in the period / customers active at its start (per --period, a month "
            "by default); snapshot: 100 × churned / customers",
    aggregate=_churn_aggregate,
    params=(STATUS_COLUMN, CHURNED_VALUES, TENURE_COLUMN, REVENUE_COLUMN),
    example="cxkpi churn sample_data/subscriptions.csv --period month --by plan",
    periodic=True,
)
def churn(frame: pd.DataFrame, settings: dict) -> Measured:
    """Customers lost during each period over customers active at its start, with the counts
    (start, new, lost, end). FILE is detected as one of three kinds of export:
    subscriptions (started_at, ended_at: active from start until end; lost = active at the
    start and ended in the period), orders (customer_id, order_at: active = ordered in the
    period; lost = ordered in the previous period, not in this one) or a CRM snapshot
    (--status-column: one row per customer, no dates). A snapshot gives a point-in-time
    rate — the share of customers flagged as churned — not a rate per period; with
    --tenure-column and --revenue-column it also shows mean tenure of churned vs retained
    customers and the monthly revenue at risk. The "all" row of a periodic run is the rate
    per period pooled over all periods (Σ lost / Σ customers at start)."""
    return _lifecycle(frame, settings)


@kpi(
    name="retention",
    title="Customer retention rate",
    source=LIFECYCLE_SOURCES,
    needs=LIFECYCLE_NEEDS,
    optional=LIFECYCLE_OPTIONAL,
    unit="%",
    higher_is_better=True,
    formula="100 × (customers at end − new customers still there at end) / customers at start "
            "(per --period, a month by default)",
    aggregate=_retention_aggregate,
    params=(
        Param("variant", str, "standard",
              "standard: (end − new) / start. end-over-start: end / start with no correction for new "
              "customers — it overstates retention (every sign-up counts as retained) and can exceed 100%; "
              "use it only to compare with reports that use it.",
              choices=("standard", "end-over-start")),
        STATUS_COLUMN, CHURNED_VALUES, TENURE_COLUMN, REVENUE_COLUMN,
    ),
    example="cxkpi retention sample_data/subscriptions.csv --period month --by plan",
    periodic=True,
)
def retention(frame: pd.DataFrame, settings: dict) -> Measured:
    """Share of the customers active at the start of each period who are still active at its
    end: (end − new) / start, where new counts the customers acquired in the period who are
    still there at its end (one who joins and leaves inside the period is neither retained
    nor lost). Reads the same three kinds of export as churn; standard retention is 100 −
    churn. --variant end-over-start divides end by start with no correction for new
    customers: it overstates retention and can exceed 100%."""
    return _lifecycle(frame, settings)


# ---------------------------------------------------------------- customer lifetime value
def _times(ns: np.ndarray) -> pd.Series:
    return pd.Series(ns.astype("datetime64[ns]"))


def _months_between(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Calendar months from a to b (1 May → 1 Nov = 6; a part month counts by its days)."""
    def position(t: pd.Series) -> pd.Series:
        t = pd.Series(t)
        day = (t - t.dt.normalize()) / pd.Timedelta(days=1) + t.dt.day - 1
        return t.dt.year * 12 + t.dt.month - 1 + day / t.dt.days_in_month
    return position(b).to_numpy() - position(a).to_numpy()


def _clv_measure(frame: pd.DataFrame) -> Measured:
    if "order_at" in frame.columns:
        return _order_lines(frame)
    values, skips = flows.spans(frame, "started_at", "ended_at", "customer_id")
    skips.drop(frame["mrr"].isna(), "no mrr")
    values["mrr"] = frame["mrr"].astype("float64")
    notes = ["subscriptions (SaaS) model: CLV = ARPA (MRR / active accounts) × lifespan = ARPA / monthly churn"]
    return Measured(values[skips.ok], skips.skipped, notes)


def _order_lines(frame: pd.DataFrame) -> Measured:
    """One row per order, or per order line (Shopify, WooCommerce, UCI Online Retail).

    A line's amount is ``amount`` when mapped, else ``quantity × unit_price``. With ``order_id``
    an order is a distinct (customer, order_id); without it each row is an order. A line with a
    negative quantity or a negative amount is a return / credit: not a sale, not netted from
    revenue, counted apart (``ret``) with its reason in a note (breakdown: returns, returned_amount).
    """
    skips = flows.Skips(frame.index)
    at = flows.naive(frame["order_at"])
    skips.drop(at.isna(), "no order_at")
    who = flows.person_codes(frame, "customer_id", skips)
    quantity = frame["quantity"].astype("float64") if "quantity" in frame.columns else None
    if "amount" in frame.columns:
        amount = frame["amount"].astype("float64")
        skips.drop(amount.isna(), "no amount")
    else:
        price = frame["unit_price"].astype("float64")
        skips.drop(quantity.isna(), "no quantity")
        skips.drop(price.isna(), "no unit_price")
        amount = quantity * price
    notes = ["orders model: CLV = average order value × orders per customer per month × lifespan (months)"]
    if "amount" not in frame.columns:
        notes.append("line amount = quantity × unit_price")
    values = pd.DataFrame({"who": who, "at": at, "amount": amount}, index=frame.index)
    if "order_id" in frame.columns:
        ids = frame["order_id"].astype("string")
        skips.drop(ids.isna() | (ids.str.strip() == ""), "no order_id")
        keys = pd.DataFrame({"who": who.to_numpy(), "id": ids.fillna("").to_numpy()})
        values["order"] = keys.groupby(["who", "id"], sort=False).ngroup().to_numpy().astype("int64")
    by_quantity = (quantity < 0).fillna(False) if quantity is not None else pd.Series(False, index=frame.index)
    by_amount = (amount < 0).fillna(False) & ~by_quantity
    values["ret"] = (by_quantity | by_amount).astype(bool)
    values = values[skips.ok]
    returns = int(values["ret"].sum())
    if "order" in values.columns:
        sold = values.loc[~values["ret"], "order"]
        lines, orders = len(sold), sold.nunique()
        notes.append(f"orders = distinct order_id per customer, not rows: {lines:,} sales line"
                     f"{'s' if lines != 1 else ''} in {orders:,} order{'s' if orders != 1 else ''}")
    if returns:
        why = [f"{int(m[skips.ok].sum()):,} with {label}" for m, label in
               ((by_quantity, "a negative quantity"), (by_amount, "a negative amount")) if m[skips.ok].any()]
        notes.append(f"{returns:,} return / credit line{'s' if returns != 1 else ''} in the file ({', '.join(why)}) counted "
                     "apart, not netted: revenue and AOV are of sales lines only (breakdown: returns, "
                     "returned_amount)")
    return Measured(values, skips.skipped, notes, excluded=returns)


def _unit_months(starts: pd.DatetimeIndex, ends: pd.DatetimeIndex, months: pd.DatetimeIndex) -> list[np.ndarray]:
    """For each reporting unit, the months whose churn is pooled into it: the months that start
    inside it, or (a week or a day) the month it starts in."""
    mstarts = flows.index_ns(months)
    out = []
    for s, e in zip(flows.index_ns(starts), flows.index_ns(ends)):
        inside = np.flatnonzero((mstarts >= s) & (mstarts < e))
        if not len(inside):
            inside = np.array([max(0, np.searchsorted(mstarts, s, side="right") - 1)])
        out.append(inside)
    return out


def _clv_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    by, per_period = flows.split_keys(keys)
    orders = "at" in values.columns
    cols = (["orders", "customers", "orders_per_customer", "aov", "frequency", "months",
             "monthly_churn_pct", "lifespan_months", "margin", "revenue", "returns", "returned_amount"] if orders else
            ["accounts", "mrr", "arpa", "monthly_churn_pct", "lifespan_months", "margin"])
    if values.empty:
        return flows.empty(by, per_period, {c: np.nan for c in cols})
    lifespan = ctx.settings.get("lifespan")
    margin = ctx.settings.get("margin")
    # monthly churn per group and month, over the window
    monthly = flows.period_flow(values, by, ctx, "month")
    if monthly is None:
        return flows.empty(by, per_period, {c: np.nan for c in cols})
    arrays, keys_index, months = monthly.arrays, monthly.keys_index, monthly.starts
    month_end = monthly.bounds
    window_lo = flows.naive_ts(ctx.since) if ctx.since is not None else None
    window_hi = flows.naive_ts(ctx.until) if ctx.until is not None else None
    if per_period:
        lo, hi = flows.window(values, ["at"] if orders else ["start", "end"])
        unit_bounds = flows.period_bounds(lo, hi, ctx, ctx.period)
        u_starts, u_ends = unit_bounds[:-1], unit_bounds[1:]
    else:
        u_starts = pd.DatetimeIndex([month_end[0]])
        u_ends = pd.DatetimeIndex([month_end[-1]])
    pools = _unit_months(u_starts, u_ends, months)
    groups = arrays["start"].shape[0]
    lost = np.stack([arrays["lost"][:, m].sum(axis=1) for m in pools], axis=1)
    start = np.stack([arrays["start"][:, m].sum(axis=1) for m in pools], axis=1)
    frame = flows.long_frame({"_lost": lost, "_start": start}, keys_index, by, u_starts)

    if orders:
        t = values["at"]
        lo_day = window_lo if window_lo is not None else t.min().normalize()
        hi_day = window_hi if window_hi is not None else t.max().normalize() + pd.Timedelta(days=1)
        inside = (t >= lo_day) & (t < hi_day)
        used = values[inside]
        unit = flows.slot_of(pd.DatetimeIndex(np.r_[flows.index_ns(u_starts), flows.index_ns(u_ends)[-1:]]),
                             flows.to_ns(used["at"]))
        codes, _ = _codes_like(used, by, keys_index)
        width = len(u_starts)
        ok = (unit >= 0) & (unit < width) & (codes >= 0)
        ret = used["ret"].to_numpy(dtype=bool) if "ret" in used.columns else np.zeros(len(used), dtype=bool)
        amount = used["amount"].to_numpy()
        sale = ok & ~ret
        back = ok & ret
        n_lines = flows.grid_count(codes[sale], unit[sale], groups, width)
        if "order" in used.columns:  # order lines: an order is a distinct (customer, order_id)
            distinct = pd.DataFrame({"g": codes[sale], "u": unit[sale],
                                     "o": used["order"].to_numpy()[sale]}).drop_duplicates()
            n_orders = flows.grid_count(distinct["g"].to_numpy(), distinct["u"].to_numpy(), groups, width)
        else:
            n_orders = n_lines
        revenue = flows.grid_count(codes[sale], unit[sale], groups, width, weights=amount[sale])
        frame["returns"] = flows.grid_count(codes[back], unit[back], groups, width).reshape(-1)
        frame["returned_amount"] = flows.grid_count(codes[back], unit[back], groups, width,
                                          weights=np.abs(amount[back])).reshape(-1)
        pairs = pd.DataFrame({"g": codes[sale], "u": unit[sale], "who": used["who"].to_numpy()[sale]}).drop_duplicates()
        n_customers = flows.grid_count(pairs["g"].to_numpy(), pairs["u"].to_numpy(), groups, width)
        frame["orders"] = n_orders.reshape(-1)
        frame["customers"] = n_customers.reshape(-1)
        frame["revenue"] = revenue.reshape(-1)
        # the part of each unit the data covers, in calendar months
        covered_lo = np.maximum(np.tile(flows.index_ns(u_starts), groups), pd.Timestamp(lo_day).value)
        covered_hi = np.minimum(np.tile(flows.index_ns(u_ends), groups), pd.Timestamp(hi_day).value)
        frame["months"] = np.maximum(_months_between(_times(covered_lo), _times(covered_hi)), 0)
        frame["aov"] = frame["revenue"] / frame["orders"].where(frame["orders"] > 0)
        frame["orders_per_customer"] = frame["orders"] / frame["customers"].where(frame["customers"] > 0)
        frame["frequency"] = frame["orders"] / (frame["customers"] * frame["months"]).where(
            (frame["customers"] > 0) & (frame["months"] > 0))
        per_month_value = frame["aov"] * frame["frequency"]
        frame["n"] = frame["customers"]
    else:
        mrr, accounts = _arpa_at(values, by, keys_index, u_ends)
        frame["accounts"] = accounts.reshape(-1)
        frame["mrr"] = mrr.reshape(-1)
        frame["arpa"] = frame["mrr"] / frame["accounts"].where(frame["accounts"] > 0)
        per_month_value = frame["arpa"]
        frame["n"] = frame["accounts"]
    churn = frame["_lost"] / frame["_start"].where(frame["_start"] > 0)
    frame["monthly_churn_pct"] = 100 * churn
    if lifespan is not None:
        frame["lifespan_months"] = float(lifespan)
        note = pd.Series("", index=frame.index, dtype="object")
    else:
        frame["lifespan_months"] = 1 / churn.where(churn > 0)
        note = flows.note_where(frame["_start"] == 0, "monthly churn unknown (no customers at the start of a month); "
                     "give --lifespan", frame.index)
        note = note.mask((frame["_start"] > 0) & (churn == 0), "no churn measured: lifespan unbounded; "
                                                               "give --lifespan")
    frame["margin"] = margin if margin is not None else np.nan
    frame["value"] = per_month_value * frame["lifespan_months"] * (margin if margin is not None else 1.0)
    frame["note"] = note
    frame["n"] = frame["n"].astype("int64")
    out = frame[["value", "n", *cols, "note"]]
    if not per_period:
        out = out.droplevel("period") if by else out.reset_index(drop=True)
    return out


def _codes_like(values: pd.DataFrame, by: list[str], keys_index: pd.Index | None):
    """Group codes of ``values`` against an existing key index (-1 where the key is not in it)."""
    if not by:
        return np.zeros(len(values), dtype=np.int64), keys_index
    lookup = pd.MultiIndex.from_arrays([level.astype(str) for level in flows.key_levels(keys_index, by)])
    probe = pd.MultiIndex.from_arrays([values[k].astype(str).to_numpy() for k in by])
    return lookup.get_indexer(probe).astype(np.int64), keys_index


def _arpa_at(values: pd.DataFrame, by: list[str], keys_index: pd.Index | None, instants: pd.DatetimeIndex):
    """MRR and distinct accounts active at each instant (started before it, not ended before it)."""
    codes, _ = _codes_like(values, by, keys_index)
    groups = 1 if keys_index is None else len(keys_index)
    start = flows.to_ns(values["start"])
    end = np.where(values["end"].isna().to_numpy(), flows.OPEN, flows.to_ns(values["end"]))
    mrr = np.zeros((groups, len(instants)))
    accounts = np.zeros((groups, len(instants)), dtype=np.int64)
    who = values["who"].to_numpy()
    for j, t in enumerate(flows.index_ns(instants)):  # one vectorised pass per reporting period
        live = (start < t) & (end >= t) & (codes >= 0)
        mrr[:, j] = np.bincount(codes[live], weights=values["mrr"].to_numpy()[live], minlength=groups)
        uniq = pd.DataFrame({"g": codes[live], "who": who[live]}).drop_duplicates()
        accounts[:, j] = np.bincount(uniq["g"].to_numpy(), minlength=groups)
    return mrr, accounts


@kpi(
    name="clv",
    title="Customer lifetime value",
    source=("orders", "subscriptions"),
    needs=("customer_id+order_at+amount|customer_id+order_at+quantity+unit_price|started_at+ended_at+mrr",),
    optional=("customer_id", "order_id", "quantity", "unit_price"),
    unit="currency",
    higher_is_better=True,
    formula="orders: AOV × orders per customer per month × lifespan (months); subscriptions: ARPA / monthly "
            "churn (or ARPA × lifespan); × gross margin when given",
    aggregate=_clv_aggregate,
    params=(
        Param("lifespan", float, None, "Average customer lifespan, e.g. 36m or 3y (default: 1 / measured "
              "monthly churn).", parse=parse_months),
        Param("margin", float, None, "Gross margin, e.g. 0.4 or 40%; multiplies the value.", parse=parse_margin),
    ),
    example="cxkpi clv sample_data/orders.csv --lifespan 36m --margin 0.4",
    periodic=True,
)
def clv(frame: pd.DataFrame, settings: dict) -> Measured:
    """Customer lifetime value with every factor shown. Orders export (customer_id, order_at,
    amount): average order value × purchase frequency (orders per customer per month over the
    months the data covers) × lifespan in months. A row per order line (Shopify, WooCommerce,
    UCI): with order_id an order is a distinct (customer, order_id), not a row; a line's amount
    is quantity × unit_price when there is no amount; return / credit lines (negative quantity
    or amount) are counted apart (breakdown: returns, returned_amount), not netted from revenue. Subscriptions export (started_at, ended_at,
    mrr): ARPA (MRR of the accounts active at the end / those accounts) / monthly churn.
    The lifespan is --lifespan when given, else 1 / the monthly churn measured in the data
    (churn as in `cxkpi churn`, per month). --margin multiplies both. With --period, each
    period's factors are measured inside it (a week or a day takes the churn of its month)."""
    return _clv_measure(frame)

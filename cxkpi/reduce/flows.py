"""Period flows: who was there at the start of each period, who came, who went, who was there at its end.

Why this module: churn, retention, revenue churn, CLV (its monthly churn), turnover and cost per
resolution count over a grid of periods (``--period``, a month when omitted) in their own
aggregates (they are ``periodic``), all with the same machinery: the period bounds, the slot each
time falls in, a person's spells, counts per (group × period) with ``searchsorted`` and
``bincount`` (the only loops run over periods), and the frames the counts become. The KPI modules
(``cxkpi/kpis/lifecycle.py``, ``value.py``, ``workforce.py``) declare and measure; this is the
engine side they share. It needs pandas, so ``cxkpi.reduce`` does not import it.

Conventions (the same for subscriptions and for the agent roster):
- someone is *present at the start* of [s, e) when they started before s and had not
  ended before s (``started_at < s`` and ``ended_at`` empty or ``>= s``);
- *new*: started in [s, e); *lost*: present at the start and ended in [s, e);
  *new and lost*: started and ended inside [s, e); present at the end = present at the
  start of the next period, so ``end = start + new − lost − new_and_lost``.
- rows of the same customer (or agent) that overlap or touch are one spell: a plan
  change (end and restart the same day) is not churn; a gap is (lost, then new).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..periods import period_freq

if TYPE_CHECKING:
    from ..registry import Context

DEFAULT_PERIOD = "month"
MAX_PERIODS = 100_000
OPEN = np.iinfo(np.int64).max  # "not ended yet" as nanoseconds


# ---------------------------------------------------------------- row-level helpers
def naive(t: pd.Series) -> pd.Series:
    """Wall-clock datetimes (periods follow the data's own zone, as in the engine)."""
    t = pd.to_datetime(t)
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_localize(None)
    return t.astype("datetime64[ns]")


def to_ns(t: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch of a datetime64[ns] column (NaT: the int64 minimum)."""
    return t.to_numpy(dtype="datetime64[ns]").view("int64")


def index_ns(index) -> np.ndarray:
    """Nanoseconds since the epoch of a DatetimeIndex, whatever its resolution."""
    return pd.DatetimeIndex(index).as_unit("ns").asi8


def naive_ts(ts) -> pd.Timestamp:
    """One wall-clock timestamp (``--since`` / ``--until``), as ``naive`` does for a column."""
    ts = pd.Timestamp(ts)
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


class Skips:
    """Collect the first reason each row cannot be used."""

    def __init__(self, index: pd.Index):
        self.ok = pd.Series(True, index=index)
        self.parts: list[pd.Series] = []

    def drop(self, mask: pd.Series, reason: str) -> None:
        hit = mask.fillna(False).astype(bool) & self.ok
        if hit.any():
            self.parts.append(pd.Series(reason, index=hit.index[hit.to_numpy()]))
            self.ok &= ~hit

    @property
    def skipped(self) -> pd.Series:
        return pd.concat(self.parts) if self.parts else pd.Series(dtype="object")


def person_codes(frame: pd.DataFrame, column: str | None, skips: Skips) -> pd.Series:
    """The person each row belongs to, as an integer code: one per distinct id in ``column``,
    or one per row when there is no such column (sorting integers is what keeps this fast)."""
    if column and column in frame.columns:
        ids = frame[column]
        if not pd.api.types.is_numeric_dtype(ids):
            ids = ids.astype("string")  # the loader has stripped it and made blanks missing
        codes, _ = pd.factorize(ids, use_na_sentinel=True)
        blank = (codes < 0) | (ids == "").fillna(False).to_numpy(dtype=bool)
        skips.drop(pd.Series(blank, index=frame.index), f"no {column}")
        return pd.Series(codes, index=frame.index, dtype="int64")
    return pd.Series(np.arange(len(frame), dtype="int64"), index=frame.index)


def spans(frame: pd.DataFrame, start: str, end: str, who: str | None) -> tuple[pd.DataFrame, Skips]:
    """Rows as (who, start, end) spans; an empty end is open. Skips: no start, no id, end before start."""
    skips = Skips(frame.index)
    begin = naive(frame[start])
    finish = naive(frame[end]) if end in frame.columns else pd.Series(pd.NaT, index=frame.index,
                                                                        dtype="datetime64[ns]")
    skips.drop(begin.isna(), f"no {start}")
    ids = person_codes(frame, who, skips)
    skips.drop(finish < begin, f"{end} before {start}")
    values = pd.DataFrame({"who": ids, "start": begin, "end": finish}, index=frame.index)
    return values, skips


# ---------------------------------------------------------------- periods and counting
def period_bounds(lo, hi, ctx: Context, period: str, lead: int = 0) -> pd.DatetimeIndex | None:
    """Starts of the periods from ``lo`` to ``hi`` (or --since/--until: whole periods), plus the end."""
    freq = period_freq(period)
    first = naive_ts(ctx.since) if ctx.since is not None else lo
    last = naive_ts(ctx.until) - pd.Timedelta(1, "ns") if ctx.until is not None else hi
    if first is None or last is None or pd.isna(first) or pd.isna(last) or first > last:
        return None
    p0 = pd.Timestamp(first).to_period(freq) - lead
    p1 = pd.Timestamp(last).to_period(freq)
    count = p1.ordinal - p0.ordinal + 1
    if count > MAX_PERIODS:
        raise UsageError(f"--period {period}: {p0} to {p1} is {count:,} periods; use a longer period "
                         f"or --since/--until")
    starts = pd.period_range(p0, p1, freq=freq).start_time
    return starts.append(pd.DatetimeIndex([(p1 + 1).start_time])).as_unit("ns")


def slot_of(bounds: pd.DatetimeIndex, ns: np.ndarray) -> np.ndarray:
    """Index of the period each time falls in: -1 before the first, len(bounds)-1 after the last."""
    return np.searchsorted(index_ns(bounds), ns, side="right") - 1


def group_codes(values: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.Index | None]:
    """A code per row for its ``by`` group (0 for all when there is no --by) and the groups' keys, sorted."""
    if not by:
        return np.zeros(len(values), dtype=np.int64), None
    g = values.groupby(by, observed=True, sort=True)
    return g.ngroup().to_numpy().astype(np.int64), g.size().index


def grid_count(codes: np.ndarray, slots: np.ndarray, groups: int, width: int, weights=None) -> np.ndarray:
    """Rows (or ``weights``) per (group, slot) cell: one ``bincount``, shaped groups × width."""
    flat = codes * width + slots
    return np.bincount(flat, weights=weights, minlength=groups * width).reshape(groups, width)


def key_levels(keys_index: pd.Index | None, by: list[str]) -> list[np.ndarray]:
    """The groups' keys as one array per ``by`` column."""
    return [np.asarray(keys_index.get_level_values(i)) for i in range(len(by))] if by else []


def per_group(values: np.ndarray, keys_index: pd.Index | None, by: list[str], index: pd.Index) -> np.ndarray:
    """A per-group array aligned to a frame grouped by the ``by`` levels."""
    if not by:
        return values
    levels = key_levels(keys_index, by)
    own = pd.MultiIndex.from_arrays(levels) if len(by) > 1 else pd.Index(levels[0])
    return pd.Series(values, index=own).reindex(index).to_numpy()


def long_frame(arrays: dict[str, np.ndarray], keys_index: pd.Index | None, by: list[str],
          starts: pd.DatetimeIndex) -> pd.DataFrame:
    """(group × period) arrays as a frame indexed by the ``by`` keys and ``period``."""
    groups, periods = next(iter(arrays.values())).shape
    data = {k: a.reshape(-1) for k, a in arrays.items()}
    levels = [np.repeat(level, periods) for level in key_levels(keys_index, by)]
    levels.append(np.tile(np.asarray(starts), groups))
    index = pd.MultiIndex.from_arrays(levels, names=[*by, "period"])
    return pd.DataFrame(data, index=index)


def person_key(g: np.ndarray, who: np.ndarray) -> np.ndarray:
    """One integer per (group, person)."""
    return g * (int(who.max()) + 1 if len(who) else 1) + who


def _person_runs(g: np.ndarray, who: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort rows by (group, person, time); return the order and where each person's rows begin."""
    by_time = np.argsort(t, kind="stable")
    key = person_key(g, who)
    order = by_time[np.argsort(key[by_time], kind="stable")]
    ks = key[order]
    begins = np.r_[True, ks[1:] != ks[:-1]] if len(order) else np.zeros(0, dtype=bool)
    return order, begins


def merge_spells(values: pd.DataFrame, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(group code, start, end) of each continuous spell: rows of one person (within a group) that
    overlap or touch are merged. Times in nanoseconds; an open end is ``OPEN``."""
    start = to_ns(values["start"])
    end = np.where(values["end"].isna().to_numpy(), OPEN, to_ns(values["end"]))
    order, begins = _person_runs(codes, values["who"].to_numpy(), start)
    g, s, e = codes[order], start[order], end[order]
    person = np.cumsum(begins) - 1
    reach = pd.Series(e).groupby(person).cummax().to_numpy()  # latest end so far within the person
    before = np.r_[np.iinfo(np.int64).min, reach[:-1]]
    before[begins] = np.iinfo(np.int64).min
    first = s > before  # a new spell: starts after everything earlier of the same person has ended
    heads = np.flatnonzero(first)
    ends = np.maximum.reduceat(e, heads) if len(heads) else e[:0]
    return g[heads], s[heads], ends


def _span_flow(values: pd.DataFrame, by: list[str], bounds: pd.DatetimeIndex):
    """Per (group, period): present at start, new, lost, new-and-lost, present at end."""
    row_codes, keys_index = group_codes(values, by)
    codes, spell_start, spell_end = merge_spells(values, row_codes)
    groups = 1 if keys_index is None else len(keys_index)
    periods = len(bounds) - 1
    ps = slot_of(bounds, spell_start)
    pe = slot_of(bounds, spell_end)
    # present at bound i <=> ps < i <= pe: +1 from ps+1, -1 from pe+1
    diff = grid_count(codes, ps + 1, groups, periods + 2) - grid_count(codes, pe + 1, groups, periods + 2)
    present = diff.cumsum(axis=1)[:, : periods + 1]
    inside = (ps >= 0) & (ps < periods)
    lost = (pe >= 0) & (pe < periods) & (ps < pe)
    both = inside & (pe == ps)
    seen = (ps < periods) & (pe >= 0)  # spells overlapping the window
    arrays = {
        "start": present[:, :periods],
        "new": grid_count(codes[inside], ps[inside], groups, periods),
        "lost": grid_count(codes[lost], pe[lost], groups, periods),
        "new_and_lost": grid_count(codes[both], ps[both], groups, periods),
        "end": present[:, 1:],
    }
    people = np.bincount(codes[seen], minlength=groups)
    return arrays, keys_index, people


def _order_flow(values: pd.DataFrame, by: list[str], bounds: pd.DatetimeIndex):
    """Orders model: active in a period = ordered in it. ``bounds`` starts one period early.
    Return / credit lines (``ret``) are no purchase: they make no one active."""
    codes, keys_index = group_codes(values, by)
    if "ret" in values.columns:
        sale = ~values["ret"].to_numpy(dtype=bool)
        codes, values = codes[sale], values[sale]
    groups = 1 if keys_index is None else len(keys_index)
    periods = len(bounds) - 1
    # one entry per (person, period), periods clipped to -1 (before the window) .. periods (after it),
    # sorted by person, then period
    slot = np.clip(slot_of(bounds, to_ns(values["at"])), -1, periods) + 1
    pairs = np.sort(person_key(codes, values["who"].to_numpy()) * (periods + 2) + slot)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs  # (np.unique hashes: slower)
    person, p = np.divmod(pairs, periods + 2)
    p = p - 1
    begins = np.r_[True, person[1:] != person[:-1]] if len(p) else np.zeros(0, dtype=bool)
    first = begins  # a person's earliest period with an order
    kept = np.r_[False, (person[1:] == person[:-1]) & (p[1:] == p[:-1] + 1)] if len(p) else begins
    width = int(values["who"].max()) + 1 if len(values) else 1
    g = person // width
    inside = (p >= 0) & (p < periods)
    g, p, first, kept, person = g[inside], p[inside], first[inside], kept[inside], person[inside]
    active = grid_count(g, p, groups, periods)
    retained = grid_count(g[kept], p[kept], groups, periods)[:, 1:]
    firsts = grid_count(g[first], p[first], groups, periods)[:, 1:]
    start, end = active[:, :-1], active[:, 1:]
    new = end - retained
    arrays = {"start": start, "new": new, "returning": new - firsts, "lost": start - retained, "end": end}
    people = np.bincount(g[np.r_[True, person[1:] != person[:-1]]], minlength=groups) if len(g) else np.zeros(groups)
    return arrays, keys_index, people


def window(values: pd.DataFrame, columns: list[str]):
    """(earliest of the first column, latest of any column): the span the data covers."""
    lo = values[columns[0]].min()
    ends = [values[c].max() for c in columns if c in values.columns and values[c].notna().any()]
    return lo, max(ends, default=pd.NaT)


@dataclass
class Flow:
    """Counts per (group × period) and what they were counted over."""

    arrays: dict[str, np.ndarray]
    keys_index: pd.Index | None
    people: np.ndarray  # per group: customers / agents seen in the window
    bounds: pd.DatetimeIndex  # period starts plus the end of the last
    data_end: pd.Timestamp  # the latest date in the data

    @property
    def starts(self) -> pd.DatetimeIndex:
        return self.bounds[:-1]

    def frame(self, by: list[str]) -> pd.DataFrame:
        return long_frame(self.arrays, self.keys_index, by, self.starts)

    def beyond_data(self) -> np.ndarray:
        """Per period: does it end after the day the data ends (so it is only partly covered)?"""
        return index_ns(self.bounds[1:]) > (self.data_end.normalize() + pd.Timedelta(days=1)).value


def period_flow(values: pd.DataFrame, by: list[str], ctx: Context, period: str) -> Flow | None:
    """The customer / roster flow per group and period; None when there is no period to count."""
    if "at" in values.columns:
        lo, hi = window(values, ["at"])
        bounds = period_bounds(lo, hi, ctx, period, lead=1)
        if bounds is None:
            return None
        arrays, keys_index, people = _order_flow(values, by, bounds)
        return Flow(arrays, keys_index, people, bounds[1:], hi)
    lo, hi = window(values, ["start", "end"])
    bounds = period_bounds(lo, hi, ctx, period)
    if bounds is None:
        return None
    arrays, keys_index, people = _span_flow(values, by, bounds)
    return Flow(arrays, keys_index, people, bounds, hi)


def coverage_note(note: pd.Series, flow_or_bounds, data_end: pd.Timestamp | None = None) -> pd.Series:
    """Add "data ends …" to the periods that end after the data does (their counts are partial)."""
    if isinstance(flow_or_bounds, Flow):
        beyond, data_end = flow_or_bounds.beyond_data(), flow_or_bounds.data_end
    else:
        beyond = index_ns(flow_or_bounds[1:]) > (data_end.normalize() + pd.Timedelta(days=1)).value
    if not beyond.any():
        return note
    groups = len(note) // len(beyond)
    mask = np.tile(beyond, groups)
    text = f"data ends {data_end:%Y-%m-%d}"
    joined = np.where(note.to_numpy() == "", text, note.to_numpy().astype(object) + "; " + text)
    return pd.Series(np.where(mask, joined, note.to_numpy()), index=note.index, dtype="object")


def empty(by: list[str], per_period: bool, columns: dict) -> pd.DataFrame:
    """The aggregate of no rows: one row of no value for a total, else no rows, with these columns."""
    if not by and not per_period:
        return pd.DataFrame([{"value": np.nan, "n": 0, **columns}])
    names = [*by, "period"] if per_period else by
    index = pd.MultiIndex.from_arrays([[] for _ in names], names=names)
    return pd.DataFrame({"value": [], "n": [], **{k: [] for k in columns}}, index=index)


def split_keys(keys: list[str]) -> tuple[list[str], bool]:
    """The ``by`` keys without ``period``, and whether the result is per period."""
    return [k for k in keys if k != "period"], "period" in keys


def pool(frame: pd.DataFrame, by: list[str], sums: list[str]) -> pd.DataFrame:
    """Collapse the period axis: sums of the flows, start of the first period, end of the last."""
    g = frame.groupby(level=by, sort=True) if by else frame.groupby(np.zeros(len(frame), dtype="int8"))
    out = g[sums].sum()
    out["first_start"] = g["start"].first()
    out["last_end"] = g["end"].last()
    out["periods"] = g.size()
    return out


def note_where(mask: pd.Series | np.ndarray, text: str, index) -> pd.Series:
    """A note column: ``text`` where ``mask`` holds, "" elsewhere."""
    return pd.Series(np.where(np.asarray(mask), text, ""), index=index, dtype="object")

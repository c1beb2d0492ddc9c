"""Mergeable reducers: every per-group statistic the KPIs need, computed in one pass.

Why: to stream an export in record batches (and to split it across files or
workers) the engine must never hold the rows. Each batch is reduced to a small
*partial state*, partial states are *merged* (in any order: merge is associative
and commutative), and *finalize* turns the merged state into the per-group
numbers with the same formulas as the pandas aggregates today (``cxkpi.stats``).
Totals and trends come from the same partials (``remap`` everything to group 0)
instead of a second pass. This module imports numpy only (pyarrow lazily, for
string keys); no pandas.

The contract, for every reducer ``r``::

    s = r.partial(values, groups, n_groups)   # groups: int codes 0..n_groups-1, one per row
    s = r.merge(s1, s2)                       # same result whatever the batch split or order
    s = r.remap(s, mapping, n_groups)         # new code of old group i = mapping[i] (-1: drop)
    out = r.finalize(s)                       # dict of per-group numpy arrays (length n_groups)

Groups are codes so the engine factorises its keys once per batch. Batches
with different key dictionaries are merged by remapping each state to the
global dictionary first (``remap``); we chose that over states keyed by
tuple-key dicts because it keeps every state a few numpy arrays with no
Python object per group, and because a many-to-one mapping gives the total
and coarser periods from the same partials. ``merge`` also accepts states
of different ``n_groups`` (the smaller is padded with empty groups), so a
growing global dictionary needs no remap of older states.

A state is a plain ``dict`` of numpy arrays (pyarrow tables for label keys):
picklable and small:

==============  ===============================================  ===========================
reducer         state                                            size
==============  ===============================================  ===========================
Count           n                                                8 B × groups
Sum             n, sum                                           16 B × groups
Mean            n, mean (hi + lo), M2 (Chan's parallel formula)  32 B × groups
Proportion      n, hits                                          16 B × groups
Nps             n, promoters, detractors                         24 B × groups
Ratio           n, a, b                                          24 B × groups
Quantiles       sorted distinct (group, value) pairs + counts    14 B × distinct pairs
TopK            Arrow table (group, label, count)                ~12 B + label × pairs
DistinctPairs   Arrow table of distinct (group, key)             ~4 B + key × pairs
FirstRows       n, the k smallest row numbers of each group      8 B × groups + 12 B × k × groups
==============  ===============================================  ===========================

Missing values: NaN (and Arrow nulls) in ``values`` are skipped, as pandas'
``skipna`` does; a group with no value finalizes to NaN (absent, never 0),
with ``n`` = 0.
"""

from __future__ import annotations

from functools import reduce

import numpy as np

from ..stats import mean_interval, nps_interval, wilson_interval

__all__ = ["Count", "Sum", "Mean", "Proportion", "Nps", "Ratio", "Quantiles", "TopK", "DistinctPairs", "FirstRows"]


# --------------------------------------------------------------------------- helpers

def _numeric(values) -> np.ndarray:
    """A numpy view of ``values``; Arrow arrays with nulls become float with NaN."""
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        if hasattr(values, "combine_chunks"):
            values = values.combine_chunks()
        return values.to_numpy(zero_copy_only=False)
    return np.asarray(values)


def _present(x: np.ndarray) -> np.ndarray | None:
    """Mask of rows with a value (None: every row has one)."""
    if x.dtype.kind == "f":
        mask = ~np.isnan(x)
        return None if mask.all() else mask
    return None


def _present_pairs(x: np.ndarray, groups, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The values that are present (not NaN / null) and their group codes."""
    g = _codes(groups, n_groups, len(x))
    mask = _present(x)
    return (x, g) if mask is None else (x[mask], g[mask])


def _codes(groups, n_groups: int, length: int) -> np.ndarray:
    g = np.asarray(groups)
    if g.shape != (length,):
        raise ValueError(f"groups has {g.shape} entries, values {length}")
    if g.dtype.kind not in "iu":
        raise TypeError(f"groups must be integer codes, got {g.dtype}")
    if length and (g.min() < 0 or g.max() >= n_groups):
        raise ValueError(f"group codes must lie in 0..{n_groups - 1}")
    return g.astype(np.intp, copy=False)


def _count(g: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(g, minlength=n_groups).astype(np.int64)


def _add(g: np.ndarray, w: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-group sum of ``w``: exact int64 for integers and booleans, float64 otherwise."""
    if w.dtype.kind in "biu":
        out = np.zeros(n_groups, dtype=np.int64)
        np.add.at(out, g, w.astype(np.int64, copy=False))
        return out
    return np.bincount(g, weights=w.astype(np.float64, copy=False), minlength=n_groups)


def _pad(a: np.ndarray, n: int) -> np.ndarray:
    return a if len(a) == n else np.concatenate([a, np.zeros(n - len(a), dtype=a.dtype)])


def _mapping(mapping, n_old: int, n_new: int) -> np.ndarray:
    m = np.asarray(mapping, dtype=np.intp)
    if m.shape != (n_old,):
        raise ValueError(f"mapping has {m.shape} entries for {n_old} groups")
    if n_old and m.max() >= n_new:
        raise ValueError(f"mapping sends a group to {m.max()}, beyond 0..{n_new - 1}")
    return m


def _divide(a, b) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.full(np.broadcast(a, b).shape, np.nan), where=b != 0)


class _Additive:
    """A reducer whose state is per-group sums: merge adds, remap adds into the new codes."""

    fields: tuple[str, ...] = ()

    def merge(self, a: dict, b: dict) -> dict:
        n = max(len(a["n"]), len(b["n"]))
        return {f: _pad(a[f], n) + _pad(b[f], n) for f in self.fields}

    def merge_many(self, states) -> dict:
        return reduce(self.merge, states)

    def remap(self, state: dict, mapping, n_groups: int) -> dict:
        m = _mapping(mapping, len(state["n"]), n_groups)
        keep = m >= 0
        return {f: _add(m[keep], state[f][keep], n_groups) for f in self.fields}

    def empty(self, n_groups: int) -> dict:
        return self.partial(np.zeros(0), np.zeros(0, dtype=np.int32), n_groups)


# --------------------------------------------------------------------------- O(groups) reducers

class Count(_Additive):
    """Rows per group (``values`` None) or rows with a value (NaN/null not counted)."""

    fields = ("n",)

    def partial(self, values, groups, n_groups: int) -> dict:
        if values is None:
            g = np.asarray(groups)
            return {"n": _count(_codes(g, n_groups, len(g)), n_groups)}
        _, g = _present_pairs(_numeric(values), groups, n_groups)
        return {"n": _count(g, n_groups)}

    def empty(self, n_groups: int) -> dict:
        return {"n": np.zeros(n_groups, dtype=np.int64)}

    def finalize(self, state: dict) -> dict:
        return {"value": state["n"].copy(), "n": state["n"].copy()}


class Sum(_Additive):
    """Σ values per group. Integers and booleans sum exactly in int64; floats in float64
    (merging changes the order of additions, so a float sum may differ from a one-shot
    sum in the last bits: ~1e-16 relative per addition). A group with no value is NaN."""

    fields = ("n", "sum")

    def partial(self, values, groups, n_groups: int) -> dict:
        x, g = _present_pairs(_numeric(values), groups, n_groups)
        return {"n": _count(g, n_groups), "sum": _add(g, x, n_groups)}

    def finalize(self, state: dict) -> dict:
        n, total = state["n"], state["sum"]
        value = np.where(n > 0, total, np.nan) if (n == 0).any() else total.copy()
        return {"value": value, "n": n.copy()}


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a + b as hi + lo exactly (Knuth's TwoSum)."""
    hi = a + b
    bb = hi - a
    return hi, (a - (hi - bb)) + (b - bb)


class Mean(_Additive):
    """Mean of finite values (NaN skipped) with its normal-approximation interval
    (``cxkpi.stats.mean_interval``, the sample std with ddof=1, as pandas' ``std``).

    The state is (n, mean as a double-double hi + lo, M2 = Σ(x − mean)²). Each batch uses
    a corrected two-pass; batches merge with Chan et al.'s parallel formula. Σx and Σx²
    would lose the spread of large values with a small one (epoch seconds); the lo word
    keeps the merged mean as precise as a one-shot one, so the std of values near 1e9
    with a spread of 1 merges to ~1e-14 relative. (pandas' Welford std is off by ~3e-8
    there; on realistic KPI values — minutes, scores — both agree to ~1e-14.)
    """

    fields = ("n", "mean", "lo", "m2")

    def partial(self, values, groups, n_groups: int) -> dict:
        x, g = _present_pairs(_numeric(values).astype(np.float64, copy=False), groups, n_groups)
        n = _count(g, n_groups)
        rough = _divide(np.bincount(g, weights=x, minlength=n_groups), n)
        rough[n == 0] = 0.0
        corr = _divide(np.bincount(g, weights=x - rough[g], minlength=n_groups), n)
        corr[n == 0] = 0.0
        hi, lo = _two_sum(rough, corr)
        d = (x - hi[g]) - lo[g]
        s1 = np.bincount(g, weights=d, minlength=n_groups)
        m2 = np.bincount(g, weights=d * d, minlength=n_groups) - np.where(n > 0, s1 * _divide(s1, n), 0.0)
        return {"n": n, "mean": hi, "lo": lo, "m2": np.maximum(m2, 0.0)}

    def merge(self, a: dict, b: dict) -> dict:
        size = max(len(a["n"]), len(b["n"]))
        na, ha, la, qa = (_pad(a[f], size) for f in self.fields)
        nb, hb, lb, qb = (_pad(b[f], size) for f in self.fields)
        n = na + nb
        delta = (hb - ha) + (lb - la)
        share = _divide(nb, n)
        share[n == 0] = 0.0
        hi, err = _two_sum(ha, delta * share)
        lo = la + err
        only_a, only_b = nb == 0, na == 0
        hi = np.where(only_a, ha, np.where(only_b, hb, hi))
        lo = np.where(only_a, la, np.where(only_b, lb, lo))
        m2 = qa + qb + np.where(~only_a & ~only_b, delta * delta * na * share, 0.0)
        return {"n": n, "mean": hi, "lo": lo, "m2": m2}

    def remap(self, state: dict, mapping, n_groups: int) -> dict:
        m = _mapping(mapping, len(state["n"]), n_groups)
        keep = (m >= 0) & (state["n"] > 0)
        m, n, hi, lo, m2 = (m[keep], *(state[f][keep] for f in self.fields))
        out = self.empty(n_groups)
        if len(np.unique(m)) == len(m):  # a renumbering: move the groups, change no number
            out["n"][m], out["mean"][m], out["lo"][m], out["m2"][m] = n, hi, lo, m2
            return out
        # several groups into one: offsets from one member's mean (exact when close), then Chan
        ref = np.zeros(n_groups)
        ref[m] = hi                                  # any member will do
        np.add.at(out["n"], m, n)
        offset = _divide(np.bincount(m, weights=n * ((hi - ref[m]) + lo), minlength=n_groups), out["n"])
        offset[out["n"] == 0] = 0.0
        out["mean"], out["lo"] = _two_sum(ref, offset)
        dev = (hi - out["mean"][m]) + (lo - out["lo"][m])
        out["m2"] = np.bincount(m, weights=m2 + n * dev * dev, minlength=n_groups)
        return out

    def empty(self, n_groups: int) -> dict:
        return {"n": np.zeros(n_groups, dtype=np.int64), "mean": np.zeros(n_groups), "lo": np.zeros(n_groups),
                "m2": np.zeros(n_groups)}

    def finalize(self, state: dict) -> dict:
        n = state["n"]
        mean = np.where(n > 0, state["mean"] + state["lo"], np.nan)
        std = np.sqrt(_divide(state["m2"], n - 1)) if len(n) else np.zeros(0)
        std = np.where(n > 1, std, np.nan)
        low, high = mean_interval(mean, std, n)
        return {"value": mean, "n": n.copy(), "std": std, "low": low, "high": high}


class Proportion(_Additive):
    """Percent of rows that are a hit, with the Wilson interval (``cxkpi.stats``).
    ``values``: booleans or 0/1; NaN rows are not counted."""

    fields = ("n", "hits")

    def partial(self, values, groups, n_groups: int) -> dict:
        x, g = _present_pairs(_numeric(values), groups, n_groups)
        hits = x.astype(bool, copy=False) if x.dtype.kind != "b" else x
        return {"n": _count(g, n_groups), "hits": _count(g[hits], n_groups)}

    def finalize(self, state: dict) -> dict:
        n, hits = state["n"], state["hits"]
        with np.errstate(invalid="ignore", divide="ignore"):
            value = 100 * hits / n
        low, high = wilson_interval(hits, n)
        return {"value": value, "n": n.copy(), "hits": hits.copy(), "low": low, "high": high}


class Nps(_Additive):
    """NPS = % promoters − % detractors with its interval (``cxkpi.stats.nps_interval``).
    ``values``: each answer scored +1 (promoter), 0 (passive), −1 (detractor); NaN skipped.
    ``interval``: "wald" (default) or "adjusted-wald", as the nps KPI's ``--interval``."""

    fields = ("n", "promoters", "detractors")

    def __init__(self, interval: str = "wald"):
        self.interval = interval

    def partial(self, values, groups, n_groups: int) -> dict:
        x, g = _present_pairs(_numeric(values), groups, n_groups)
        return {"n": _count(g, n_groups), "promoters": _count(g[x > 0], n_groups),
                "detractors": _count(g[x < 0], n_groups)}

    def finalize(self, state: dict) -> dict:
        n, p, d = state["n"], state["promoters"], state["detractors"]
        out = {"n": n.copy(), "promoters": p.copy(), "passives": n - p - d, "detractors": d.copy()}
        with np.errstate(invalid="ignore", divide="ignore"):
            for name in ("promoters", "passives", "detractors"):
                out[f"{name}_pct"] = 100 * out[name] / n
        out["value"] = out["promoters_pct"] - out["detractors_pct"]
        out["low"], out["high"] = nps_interval(p, d, n, method=self.interval)
        return out


class Ratio(_Additive):
    """Σa / Σb per group over the rows where both a and b have a value; NaN when Σb is 0.
    ``values`` is the pair ``(a, b)``. Sums as in ``Sum`` (exact for integers)."""

    fields = ("n", "a", "b")

    def partial(self, values, groups, n_groups: int) -> dict:
        a, b = (_numeric(v) for v in values)
        g = _codes(groups, n_groups, len(a))
        if len(b) != len(a):
            raise ValueError("a and b differ in length")
        ma, mb = _present(a), _present(b)
        if ma is not None or mb is not None:
            keep = (np.ones(len(a), bool) if ma is None else ma) & (True if mb is None else mb)
            a, b, g = a[keep], b[keep], g[keep]
        return {"n": _count(g, n_groups), "a": _add(g, a, n_groups), "b": _add(g, b, n_groups)}

    def empty(self, n_groups: int) -> dict:
        return self.partial((np.zeros(0), np.zeros(0)), np.zeros(0, dtype=np.int32), n_groups)

    def finalize(self, state: dict) -> dict:
        n = state["n"]
        value = np.where(n > 0, _divide(state["a"], state["b"]), np.nan)
        return {"value": value, "n": n.copy(), "a": state["a"].copy(), "b": state["b"].copy()}


# --------------------------------------------------------------------------- exact quantiles

def _by_group_then_value(g: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``np.lexsort((v, g))``, 3-5 times faster: sort the values, then a stable sort of the
    group codes, which numpy does as a radix sort once they fit 8 or 16 bits."""
    order = np.argsort(v)
    top = int(g.max()) if len(g) else 0
    small = np.int8 if top < 2**7 else np.int16 if top < 2**15 else g.dtype
    return order[np.argsort(g[order].astype(small, copy=False), kind="stable")]


def _compact(g: np.ndarray, v: np.ndarray, c: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort (group, value) pairs and fold equal pairs into one with their summed count."""
    order = _by_group_then_value(g, v)
    g, v = g[order], v[order]
    if len(g) == 0:
        return g.astype(np.int32), v, np.zeros(0, dtype=np.int64)
    start = np.flatnonzero(np.concatenate([[True], (g[1:] != g[:-1]) | (v[1:] != v[:-1])]))
    if c is None:
        counts = np.diff(np.append(start, len(g))).astype(np.int64)
    else:
        counts = np.add.reduceat(c[order], start).astype(np.int64)
    return g[start].astype(np.int32), v[start], counts


def _state(n_groups: int, g: np.ndarray, v: np.ndarray, c: np.ndarray) -> dict:
    """A quantile state in its compact dtypes: group codes in 16 bits when the groups fit (32 else),
    counts in 32 bits unless one reaches 2^31 (14 bytes a float64 pair instead of 20)."""
    g = g.astype(np.int16 if n_groups < 2**15 else np.int32, copy=False)
    c = c.astype(np.int32 if not len(c) or int(c.max()) < 2**31 else np.int64, copy=False)
    return {"n_groups": n_groups, "g": g, "v": v, "c": c}


def _renumbered(state: dict, table: np.ndarray, n_groups: int) -> dict:
    """A state whose groups are renumbered by ``table`` (old -> new, -1: dropped; no two old groups to
    one new): each old group's pairs are one sorted block, so the blocks are moved in the new order,
    with no sort of the pairs."""
    g = state["g"]
    ends = np.append(np.searchsorted(g, np.arange(state["n_groups"], dtype=g.dtype)), len(g))
    old = np.flatnonzero((np.diff(ends) > 0) & (table >= 0))
    old = old[np.argsort(table[old], kind="stable")]
    new = table[old]
    sizes = ends[old + 1] - ends[old]
    if len(old) and len(old) == state["n_groups"] and (new == old).all():
        return {**state, "n_groups": n_groups}
    take = [slice(ends[o], ends[o + 1]) for o in old]
    v = np.concatenate([state["v"][t] for t in take]) if take else state["v"][:0]
    c = np.concatenate([state["c"][t] for t in take]) if take else state["c"][:0]
    codes = np.repeat(new.astype(np.int64), sizes)
    return _state(n_groups, codes, v, c)


def _merge_two(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]):
    """Two sorted distinct value runs with counts as one: ``b``'s values found in ``a`` add their
    counts, the others are inserted in place. Linear in the pairs, no sort of ``a``: merging a small
    run into a large one costs the large one's copy only."""
    (va, ca), (vb, cb) = a, b
    dt = np.result_type(va.dtype, vb.dtype)  # an int run and a float run: np.insert would truncate the floats
    va, vb = va.astype(dt, copy=False), vb.astype(dt, copy=False)
    ca, cb = ca.astype(np.int64), cb.astype(np.int64, copy=False)  # a copy: ``a`` is not changed
    idx = np.searchsorted(va, vb)
    hit = idx < len(va)
    hit[hit] = va[idx[hit]] == vb[hit]
    if hit.any():
        ca[idx[hit]] += cb[hit]  # distinct values in b: no index twice
        new = ~hit
        idx, vb, cb = idx[new], vb[new], cb[new]
    return np.insert(va, idx, vb), np.insert(ca, idx, cb.astype(ca.dtype, copy=False))


def _merge_runs(runs: list) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct (values, counts) runs of one group as one run. Small runs: one stable sort of
    their concatenation (timsort merges the presorted runs). Large: the two shortest merged first,
    again and again (as Huffman codes are built), so the transient memory is about one output."""
    runs = [r for r in runs if len(r[0])]
    if len(runs) <= 1:
        return runs[0] if runs else (np.zeros(0), np.zeros(0, np.int64))
    if sum(len(r[0]) for r in runs) <= _SORT_RUNS:
        v = np.concatenate([r[0] for r in runs])
        c = np.concatenate([r[1] for r in runs]).astype(np.int64, copy=False)
        order = np.argsort(v, kind="stable")
        v, c = v[order], c[order]
        start = np.flatnonzero(np.concatenate([[True], v[1:] != v[:-1]]))
        return (v, c) if len(start) == len(v) else (v[start], np.add.reduceat(c, start))
    runs.sort(key=lambda r: len(r[0]), reverse=True)
    while len(runs) > 1:
        merged = _merge_two(runs.pop(), runs.pop())
        at = len(runs)
        while at and len(runs[at - 1][0]) < len(merged[0]):
            at -= 1
        runs.insert(at, merged)
    return runs[0]


_GROUP_LOOP = 4096  # up to this many groups merge group by group (lean); beyond, one vectorized sort
_SORT_RUNS = 1 << 20  # runs of one group up to this many pairs in all: one stable sort
_LEAN_PAIRS = 1 << 21  # quantile states over this many pairs finalize group by group (see Quantiles.finalize_mapped)
_PIECE = 1 << 20  # a run's counts are summed this many at a time: a cumsum of 8 MB, never one of the whole run
_BUCKETS = 1024  # a group of several runs is selected in about this many value ranges
_SMALL_RUN = 4096  # runs up to this many pairs are counted together (see _blocks)


def _runs_by_group(sources: list, n_groups: int) -> list[list]:
    """Each new group's runs: the slices (values, counts) of the old groups sent to it, views, no copy.
    The group bounds are searched with needles of the codes' own dtype: int64 needles made numpy copy
    the int16 codes to int64 first (8 bytes a pair)."""
    runs: list[list] = [[] for _ in range(n_groups)]
    for s, m in sources:
        g = s["g"]
        ends = np.append(np.searchsorted(g, np.arange(s["n_groups"], dtype=g.dtype)), len(g))
        for old in np.flatnonzero(np.diff(ends)):
            new = old if m is None else m[old]
            if new >= 0:
                lo, hi = ends[old], ends[old + 1]
                runs[new].append((s["v"][lo:hi], s["c"][lo:hi]))
    return runs


def _prefix(c: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``c[:p].sum()`` for each sorted position ``p`` in ``at`` (int64), a piece of ``c`` at a time."""
    out = np.zeros(len(at), np.int64)
    base = 0
    for lo in range(0, len(c), _PIECE):
        hi = min(lo + _PIECE, len(c))
        i, j = np.searchsorted(at, [lo, hi], side="right")
        if i < j:
            cum = np.cumsum(c[lo:hi], dtype=np.int64)
            out[i:j] = base + cum[at[i:j] - lo - 1]
            base += int(cum[-1])
        else:
            base += int(c[lo:hi].sum())
    return out


def _run_at(v: np.ndarray, c: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The values at 0-based ``ranks`` among the rows of one sorted run with counts (ranks < its rows),
    cumulating its counts a piece at a time."""
    out = np.empty(len(ranks), v.dtype)
    base, top = 0, int(ranks.max())
    for lo in range(0, len(c), _PIECE):
        cum = np.cumsum(c[lo:lo + _PIECE], dtype=np.int64)
        end = base + int(cum[-1])
        sel = (ranks >= base) & (ranks < end)
        if sel.any():
            out[sel] = v[lo + np.searchsorted(cum, ranks[sel] - base, side="right")]
        if end > top:
            break
        base = end
    return out


def _pivots(runs: list, dt, pairs: int) -> np.ndarray:
    """About ``_BUCKETS`` distinct values cutting the runs' pairs into ranges of about equal size: every
    8th of a sample of every step-th pair of each run, each run from another offset (golden-ratio
    steps); alike runs sampled from the same offsets gave pivots in clumps, ranges 60 times too large."""
    step = max(1, pairs // (8 * _BUCKETS))
    sample = np.sort(np.concatenate([v[int((i * 0.6180339887498949) % 1 * step)::step].astype(dt, copy=False)
                                     for i, (v, _) in enumerate(runs)]))
    return np.unique(sample[::8])


def _runs_at(runs: list, ranks: np.ndarray) -> np.ndarray:
    """The values at 0-based ``ranks`` among the rows of one group's sorted distinct runs with counts,
    as their merge would give them, without merging: the runs' values are cut into ranges at pivots
    sampled from them, each range's rows counted run by run, and only the ranges holding a rank are
    gathered and sorted (about 1/_BUCKETS of the pairs each)."""
    if len(runs) == 1:
        return _run_at(runs[0][0], runs[0][1], ranks)
    dt = np.result_type(*[v.dtype for v, _ in runs])
    pairs = sum(len(v) for v, _ in runs)
    if pairs <= _SORT_RUNS // 16:
        v = np.concatenate([v for v, _ in runs]).astype(dt, copy=False)
        c = np.concatenate([c for _, c in runs])
        order = np.argsort(v, kind="stable")
        return v[order][np.searchsorted(np.cumsum(c[order], dtype=np.int64), ranks, side="right")]
    pivots = _pivots(runs, dt, pairs)
    rows = np.zeros(len(pivots) + 1, np.int64)  # range k: values in [pivots[k - 1], pivots[k])
    for whole, v, c in _blocks(runs):
        if whole:
            rows += np.diff(_prefix(c, np.concatenate([[0], np.searchsorted(v, pivots, side="left"), [len(v)]])))
        else:  # counts summed as float64: exact below 2^53 rows
            where = np.searchsorted(pivots, v, side="right")
            rows += np.bincount(where, weights=c, minlength=len(rows)).astype(np.int64)
    cum = np.cumsum(rows)
    where = np.searchsorted(cum, ranks, side="right")
    wanted = np.unique(where)
    found: dict = {k: ([], []) for k in wanted}
    for whole, v, c in _blocks(runs):  # the wanted ranges' pairs (their bounds found again, not kept)
        for k in wanted:
            lo, hi = pivots[k - 1] if k else None, pivots[k] if k < len(pivots) else None
            if whole:
                a = 0 if lo is None else np.searchsorted(v, lo)
                b = len(v) if hi is None else np.searchsorted(v, hi)
                found[k][0].append(v[a:b])
                found[k][1].append(c[a:b])
            else:
                keep = np.ones(len(v), bool) if lo is None else v >= lo
                if hi is not None:
                    keep &= v < hi
                found[k][0].append(v[keep])
                found[k][1].append(c[keep])
    out = np.empty(len(ranks), dt)
    for k in wanted:
        v = np.concatenate(found[k][0]).astype(dt, copy=False)
        c = np.concatenate(found[k][1])
        found[k] = None
        order = np.argsort(v, kind="stable")
        sel = where == k
        base = cum[k - 1] if k else 0
        out[sel] = v[order][np.searchsorted(np.cumsum(c[order], dtype=np.int64), ranks[sel] - base, side="right")]
    return out


def _blocks(runs: list):
    """The runs as (whole, values, counts) to count by value range: a run over ``_SMALL_RUN`` pairs whole
    (sorted: its ranges are found by a search of the pivots), the smaller ones concatenated a quarter
    ``_PIECE`` of pairs at a time (each pair's range searched): thousands of runs of a few pairs each
    (an agent's month) cost a few numpy calls, not a few per run."""
    vs, cs, size = [], [], 0
    for v, c in runs:
        if len(v) > _SMALL_RUN:
            yield True, v, c
            continue
        vs.append(v)
        cs.append(c)
        size += len(v)
        if size >= max(_PIECE // 4, 1):
            yield False, np.concatenate(vs), np.concatenate(cs)
            vs, cs, size = [], [], 0
    if vs:
        yield False, np.concatenate(vs), np.concatenate(cs)


def _merge_sorted(sources: list, n_groups: int) -> dict:
    """A state from sorted states' pairs: ``sources`` are (state, group mapping or None) whose pairs
    are sorted by (group, value) and distinct; pairs sent to the same new group are merged as runs."""
    v_dtype = np.result_type(*[s["v"].dtype for s, _ in sources]) if sources else np.float64
    if n_groups > _GROUP_LOOP:
        g = np.concatenate([s["g"] if m is None else m[s["g"]] for s, m in sources])
        keep = g >= 0
        v = np.concatenate([s["v"] for s, _ in sources])[keep]
        c = np.concatenate([s["c"] for s, _ in sources])[keep]
        g = g[keep]
        order = np.argsort(v, kind="stable")  # presorted runs: timsort's merge, not a full sort
        top = int(g.max()) if len(g) else 0
        small = np.int16 if top < 2**15 else np.int32
        order = order[np.argsort(g[order].astype(small), kind="stable")]
        g, v, c = g[order], v[order], c[order]
        if len(g) == 0:
            return _state(n_groups, g, v, c)
        start = np.flatnonzero(np.concatenate([[True], (g[1:] != g[:-1]) | (v[1:] != v[:-1])]))
        return _state(n_groups, g[start], v[start], np.add.reduceat(c.astype(np.int64, copy=False), start))
    runs = _runs_by_group(sources, n_groups)
    # each group's merged run is written into arrays sized for every input pair (an upper bound), not
    # gathered and concatenated: the output then exists once, not twice (at 60M rows the state is ~0.7 GB)
    bound = sum(len(s["v"]) for s, _ in sources)
    v_out = np.empty(bound, v_dtype)
    c_out = np.empty(bound, np.int32)
    sizes = np.zeros(n_groups, np.int64)
    at = 0
    for j in range(n_groups):
        if runs[j]:
            v, c = _merge_runs(runs[j])
            runs[j] = None  # its slices are no longer needed
            if c_out.dtype == np.int32 and len(c) and int(c.max()) >= 2**31:
                c_out = c_out.astype(np.int64)  # a count past int32: widen (a copy, once)
            v_out[at:at + len(v)] = v
            c_out[at:at + len(c)] = c
            sizes[j] = len(v)
            at += len(v)
    if at < bound * 0.9:  # many pairs merged into one (whole seconds): keep only what is used, shrunk in
        # place (realloc; no view of either array exists): a copy cost 0.5 s at 18M pairs
        v_out.resize(at, refcheck=False)
        c_out.resize(at, refcheck=False)
    codes = np.arange(n_groups, dtype=np.int16 if n_groups < 2**15 else np.int32)
    return _state(n_groups, np.repeat(codes, sizes), v_out[:at], c_out[:at])


def _qname(q: float) -> str:
    return "median" if q == 0.5 else f"p{q * 100:g}"


class Quantiles:
    """Exact quantiles (default median and p90), as pandas' groupby ``median`` and
    ``quantile`` (linear interpolation) compute them, bit for bit.

    The state is a value→count histogram per group: the distinct (group, value) pairs,
    sorted, with how many rows had each (int16 group below 32,768 groups, else int32; the
    value's dtype; int32 count below 2^31, else int64: 14 bytes a pair for float64 values).
    For whole numbers such as durations in whole seconds this is bounded by groups ×
    distinct values, not rows; for continuous values nearly every row is its own pair, so
    it is the per-group sorted value array with a count beside each value (14 bytes a row
    instead of 8). Merging is exact.
    States stay sorted by (group, value), so a merge never sorts from scratch: group by group, the
    states' runs are merged (one stable sort of a few presorted runs, or two runs at a time by
    ``np.searchsorted``), and the transient memory is about one group's output, not every pair's.
    """

    def __init__(self, qs=(0.5, 0.9)):
        self.qs = tuple(float(q) for q in qs)
        if not all(0 <= q <= 1 for q in self.qs):
            raise ValueError("quantiles lie in [0, 1]")

    def partial(self, values, groups, n_groups: int) -> dict:
        x, g = _present_pairs(_numeric(values), groups, n_groups)
        if x.dtype.kind == "b":
            x = x.astype(np.int64)
        g, v, c = _compact(g, x, None)
        return _state(n_groups, g, v, c)

    def empty(self, n_groups: int) -> dict:
        return self.partial(np.zeros(0), np.zeros(0, dtype=np.int32), n_groups)

    def merge(self, a: dict, b: dict) -> dict:
        return self.merge_many([a, b])

    def merge_many(self, states) -> dict:
        states = list(states)
        n_groups = max(s["n_groups"] for s in states)
        if len(states) == 1:
            return {**states[0], "n_groups": n_groups}
        return _merge_sorted([(s, None) for s in states], n_groups)

    def remap(self, state: dict, mapping, n_groups: int) -> dict:
        table = _mapping(mapping, state["n_groups"], n_groups)
        used = table[table >= 0]
        if len(np.unique(used)) == len(used):  # a renumbering (no two groups into one)
            return _renumbered(state, table, n_groups)
        return _merge_sorted([(state, table)], n_groups)

    def finalize(self, state: dict) -> dict:
        return self.finalize_mapped([(state, None)], state["n_groups"])

    def finalize_mapped(self, sources: list, n_groups: int) -> dict:
        """``finalize`` of the state that remapping each (state, mapping or None) source and merging them
        would give (the groups in sorted order, the trend, the total), without building that state.

        Why: at 60M rows the state is ~45M pairs and the remap (a per-pair index, a sort, a gathered copy),
        a merge into one group (an output sized for every pair) and a cumsum over every pair each cost
        several times the state at the finish (83 bytes a pair at its peak). A state of few groups over
        ``_LEAN_PAIRS`` pairs is finalized group by group instead: each new group's runs are slices of the
        sources and only the values at its ranks are looked up (``_runs_at``). Smaller states and many
        groups: the vectorized remap, merge and finalize. Both give the same values, bit for bit."""
        lean = (n_groups <= _GROUP_LOOP and all(s["n_groups"] <= _GROUP_LOOP for s, _ in sources)
                and sum(len(s["v"]) for s, _ in sources) > _LEAN_PAIRS)
        if not lean:
            states = [{**s, "n_groups": n_groups} if m is None else self.remap(s, m[:s["n_groups"]], n_groups)
                      for s, m in sources]  # a batch's state may have fewer groups than the mapping
            return self._finalize_all(states[0] if len(states) == 1 else self.merge_many(states))
        runs = _runs_by_group(sources, n_groups)
        n = np.array([sum(int(c.sum()) for _, c in r) for r in runs], dtype=np.int64)
        ranks = np.stack(self._ranks(n), axis=1) if n_groups else np.zeros((0, 2 * len(self.qs)), np.int64)
        values = np.full(ranks.shape, np.nan)
        for j in np.flatnonzero(n > 0):
            values[j] = _runs_at(runs[j], ranks[j])
            runs[j] = None
        return self._finish(n, list(values.T))

    def _finalize_all(self, state: dict) -> dict:
        """``finalize`` vectorized over every group: a cumsum of every pair's count, searched at once."""
        n_groups, g, v, c = state["n_groups"], state["g"], state["v"], state["c"]
        n = np.bincount(g, weights=c, minlength=n_groups).astype(np.int64) if len(g) else np.zeros(n_groups, np.int64)
        cum = np.cumsum(c, dtype=np.int64)       # rows up to and including each pair
        before = np.concatenate([[0], np.cumsum(n)[:-1]]) if n_groups else np.zeros(0, np.int64)
        has = n > 0

        def at(rank):                            # the value of 0-based ``rank`` within each group
            out = np.full(n_groups, np.nan)
            idx = np.searchsorted(cum, (before + rank)[has], side="right")
            out[has] = v[idx]
            return out

        return self._finish(n, [at(rank) for rank in self._ranks(n)])

    def _ranks(self, n: np.ndarray) -> list[np.ndarray]:
        """The 0-based ranks each quantile reads in each group of ``n`` rows: two a quantile."""
        out = []
        for q in self.qs:
            if q == 0.5:                         # pandas' median: middle value, or mean of the two
                out += [np.maximum((n - 1) // 2, 0), n // 2]
            else:                                # pandas' quantile: val + (next − val) × frac
                idx = np.maximum((q * (n - 1).astype(np.float64)).astype(np.int64), 0)
                out += [idx, np.minimum(idx + 1, np.maximum(n - 1, 0))]
        return out

    def _finish(self, n: np.ndarray, values: list[np.ndarray]) -> dict:
        """The quantiles from the values at ``_ranks(n)`` (float64, NaN in a group with no row)."""
        has = n > 0
        out = {"n": n}
        for i, q in enumerate(self.qs):
            lower, upper = values[2 * i], values[2 * i + 1]
            if q == 0.5:
                with np.errstate(invalid="ignore"):
                    value = np.where(n % 2 == 1, lower, (lower + upper) / 2)
            else:
                frac = (q * (n - 1).astype(np.float64)) % 1
                with np.errstate(invalid="ignore"):
                    value = np.where(frac == 0, lower, lower + (upper - lower) * frac)
            out[_qname(q)] = np.where(has, value, np.nan)
        return out


# --------------------------------------------------------------------------- first rows (skip accounting)

def _first_k(g: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest rows of each group, sorted by (group, row)."""
    order = _by_group_then_value(g, rows)
    g, rows = g[order], rows[order]
    starts = np.flatnonzero(np.concatenate([[True], g[1:] != g[:-1]])) if len(g) else np.zeros(0, np.intp)
    rank = np.arange(len(g)) - np.repeat(starts, np.diff(np.append(starts, len(g))))
    keep = rank < k
    return g[keep].astype(np.int32), rows[keep]


class FirstRows:
    """How many rows each group has and the ``k`` smallest row numbers among them: the skip
    accounting's "n rows skipped for <reason>, first at rows 3, 8, 41" (group codes then
    stand for (group, reason)). ``values``: the rows' numbers (integers). ``finalize`` gives
    ``n`` and ``first``, an (n_groups × k) int64 array, ascending, padded with −1."""

    def __init__(self, k: int = 5):
        self.k = int(k)

    def partial(self, values, groups, n_groups: int) -> dict:
        rows = _numeric(values).astype(np.int64, copy=False)
        g = _codes(groups, n_groups, len(rows))
        first_g, first = _first_k(g, rows, self.k)
        return {"n": _count(g, n_groups), "g": first_g, "rows": first}

    def merge(self, a: dict, b: dict) -> dict:
        return self.merge_many([a, b])

    def merge_many(self, states) -> dict:
        states = list(states)
        size = max(len(s["n"]) for s in states)
        g, rows = _first_k(np.concatenate([s["g"] for s in states]), np.concatenate([s["rows"] for s in states]),
                           self.k)
        return {"n": sum(_pad(s["n"], size) for s in states), "g": g, "rows": rows}

    def remap(self, state: dict, mapping, n_groups: int) -> dict:
        m = _mapping(mapping, len(state["n"]), n_groups)
        keep = m >= 0
        n = _add(m[keep], state["n"][keep], n_groups)
        mg = m[state["g"]]
        g, rows = _first_k(mg[mg >= 0], state["rows"][mg >= 0], self.k)
        return {"n": n, "g": g, "rows": rows}

    def finalize(self, state: dict) -> dict:
        n, g, rows = state["n"], state["g"], state["rows"]
        first = np.full((len(n), self.k), -1, dtype=np.int64)
        if len(g):
            starts = np.searchsorted(g, np.arange(len(n)))
            first[g, np.arange(len(g)) - starts[g]] = rows
        return {"n": n.copy(), "first": first}


# --------------------------------------------------------------------------- label keys (Arrow)

def _arrow_keys(values):
    """``values`` as an Arrow array without nulls/NaN, with a mask of the rows kept."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        x = np.asarray(values)
        if x.dtype.kind == "O":
            raise TypeError("label keys: pass an Arrow array or a numeric/fixed-width numpy array, not objects")
        values = pa.array(x)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    keep = pc.is_valid(values)
    if pa.types.is_floating(values.type):
        keep = pc.and_(keep, pc.invert(pc.is_nan(values)))
    keep = keep.to_numpy(zero_copy_only=False)
    return values, (None if keep.all() else keep)


def _pairs_table(values, groups, n_groups: int):
    import pyarrow as pa

    keys, keep = _arrow_keys(values)
    g = _codes(groups, n_groups, len(keys)).astype(np.int32)
    if keep is not None:
        keys, g = keys.filter(pa.array(keep)), g[keep]
    return pa.table({"g": pa.array(g, pa.int32()), "key": keys})


def _concat(tables):
    import pyarrow as pa

    return pa.concat_tables(tables, promote_options="permissive")


def _remapped(state: dict, mapping, n_groups: int):
    """The state's Arrow table with its group codes remapped (rows of groups mapped to -1 dropped)."""
    import pyarrow as pa

    t = state["table"]
    m = _mapping(mapping, state["n_groups"], n_groups)[t.column("g").to_numpy()]
    keep = m >= 0
    return t.filter(pa.array(keep)).set_column(0, "g", pa.array(m[keep].astype(np.int32), pa.int32()))


def _distinct(t):
    """The distinct (g, key) rows, one chunk per column (a chunked table pickles its chunks' parents).
    Single-threaded: the engine parallelises over batches, and on 2 cores threads made it 3 × slower."""
    return t.group_by(["g", "key"], use_threads=False).aggregate([]).combine_chunks()


class TopK:
    """The ``k`` most frequent labels of each group, by count (ties: label ascending, as
    topics sorts today: by label, then a stable sort by count descending).

    ``values``: the labels themselves, an Arrow array (strings, dictionary) or numeric
    numpy; null/NaN labels are skipped. The state keeps every (group, label) count,
    since a top-k of partial top-ks is not the top-k: memory grows with groups ×
    distinct labels. ``finalize`` returns per-group ``n`` (labelled rows), ``distinct``
    and ``other`` (rows outside the top k), and ``top``, a long table (group, rank,
    key, count) of at most k rows per group, ordered by group then rank.
    """

    def __init__(self, k: int = 10):
        self.k = int(k)

    def partial(self, values, groups, n_groups: int) -> dict:
        t = _pairs_table(values, groups, n_groups)
        t = t.group_by(["g", "key"], use_threads=False).aggregate([([], "count_all")])
        t = t.rename_columns(["g", "key", "count"]).combine_chunks()
        return {"n_groups": n_groups, "table": t}

    def _fold(self, t, n_groups: int) -> dict:
        t = t.group_by(["g", "key"], use_threads=False).aggregate([("count", "sum")])
        t = t.rename_columns(["g", "key", "count"]).combine_chunks()
        return {"n_groups": n_groups, "table": t}

    def merge(self, a: dict, b: dict) -> dict:
        return self.merge_many([a, b])

    def merge_many(self, states) -> dict:
        states = list(states)
        return self._fold(_concat([s["table"] for s in states]), max(s["n_groups"] for s in states))

    def remap(self, state: dict, mapping, n_groups: int) -> dict:
        return self._fold(_remapped(state, mapping, n_groups), n_groups)

    def finalize(self, state: dict) -> dict:
        n_groups = state["n_groups"]
        t = state["table"].sort_by([("g", "ascending"), ("count", "descending"), ("key", "ascending")])
        g = t.column("g").to_numpy().astype(np.intp)
        count = t.column("count").to_numpy()
        n = np.zeros(n_groups, dtype=np.int64)
        np.add.at(n, g, count)
        distinct = _count(g, n_groups)
        first = np.searchsorted(g, np.arange(n_groups))
        rank = np.arange(len(g)) - first[g] if len(g) else np.zeros(0, dtype=np.intp)
        top = rank < self.k
        import pyarrow as pa
        kept = t.filter(pa.array(top))
        in_top = np.zeros(n_groups, dtype=np.int64)
        np.add.at(in_top, g[top], count[top])
        return {"n": n, "distinct": distinct, "other": n - in_top,
                "top": {"group": g[top].astype(np.int32), "rank": rank[top].astype(np.int32),
                        "key": kept.column("key").combine_chunks(), "count": count[top].astype(np.int64)}}


class DistinctPairs:
    """How many distinct keys each group has (distinct orders per customer, customers per
    period): pandas' ``groupby(...)[key].nunique()``. Null/NaN keys are skipped.

    ``values``: the keys, an Arrow array (strings, dictionary) or numeric numpy. The state
    is the set of distinct (group, key) pairs, an Arrow table: memory grows with pairs.
    ``finalize`` gives ``value`` (= distinct keys) per group; ``pairs(state)`` hands the
    pairs themselves to a later reduction (churn, CLV).
    """

    def partial(self, values, groups, n_groups: int) -> dict:
        pairs = _distinct(_pairs_table(values, groups, n_groups))
        return {"n_groups": n_groups, "table": pairs}

    def merge(self, a: dict, b: dict) -> dict:
        return self.merge_many([a, b])

    def merge_many(self, states) -> dict:
        states = list(states)
        t = _distinct(_concat([s["table"] for s in states]))
        return {"n_groups": max(s["n_groups"] for s in states), "table": t}

    def remap(self, state: dict, mapping, n_groups: int) -> dict:
        return {"n_groups": n_groups, "table": _distinct(_remapped(state, mapping, n_groups))}

    def pairs(self, state: dict):
        return state["table"]

    def finalize(self, state: dict) -> dict:
        n = _count(state["table"].column("g").to_numpy().astype(np.intp), state["n_groups"])
        return {"value": n, "n": n.copy()}

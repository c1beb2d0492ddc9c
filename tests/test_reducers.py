"""The mergeable reducers (cxkpi.reduce): partial → merge → finalize equals the one-shot result on
random data split at random batch boundaries and merged in random order, and equals what the
product computes today (the pandas aggregates in cxkpi/kpis/aggregate.py, pandas groupby and the
cxkpi.stats functions) to 1e-9."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cxkpi.kpis import aggregate
from cxkpi.reduce import Count, DistinctPairs, FirstRows, Mean, Nps, Proportion, Quantiles, Ratio, Sum, TopK
from cxkpi.stats import mean_interval

SEEDS = range(6)
GROUP_COUNTS = (1, 2, 7, 40)  # 40 groups on ~300 rows: several groups end up empty in most batches


# ----------------------------------------------------------------------------- harness

def _take(values, idx):
    if values is None:
        return None
    if isinstance(values, tuple):
        return tuple(_take(v, idx) for v in values)
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.take(pa.array(idx))
    return values[idx]


def _batches(rng, n_rows):
    """1..20 batches at random boundaries (empty batches allowed)."""
    k = int(rng.integers(1, 21))
    cuts = np.sort(rng.integers(0, n_rows + 1, size=k - 1))
    edges = np.concatenate([[0], cuts, [n_rows]])
    return [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:])]


def _merge_randomly(reducer, states, rng):
    """Merge in a random tree: pick any two states (not only neighbours), merge, repeat."""
    states = list(states)
    while len(states) > 1:
        i, j = rng.choice(len(states), size=2, replace=False)
        merged = reducer.merge(states[i], states[j])
        states = [s for t, s in enumerate(states) if t not in (i, j)] + [merged]
    return states[0]


def _close(got, want, label="", atol=1e-9):
    if isinstance(want, dict):
        assert set(got) == set(want), label
        for key in want:
            _close(got[key], want[key], f"{label}.{key}", atol)
        return
    if isinstance(want, (pa.Array, pa.ChunkedArray)):
        assert got.equals(want), label
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, label
    if want.dtype.kind in "iub":
        np.testing.assert_array_equal(got, want, err_msg=label)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=atol, equal_nan=True, err_msg=label)


def batched(reducer, values, groups, n_groups, rng):
    """finalize(merge of the partials of random batches, in random order)."""
    n_rows = len(groups)
    states = [reducer.partial(_take(values, idx), groups[idx], n_groups) for idx in _batches(rng, n_rows)]
    states = [pickle.loads(pickle.dumps(s)) for s in states]  # states cross process boundaries
    return reducer.finalize(_merge_randomly(reducer, states, rng))


def batched_with_local_codes(reducer, values, groups, n_groups, rng):
    """Each batch numbers its groups its own way (its own key dictionary, only the groups it saw);
    the caller remaps each partial to the global codes before merging."""
    states = []
    for idx in _batches(rng, len(groups)):
        seen = np.unique(groups[idx])
        local = rng.permutation(len(seen))          # local code of seen[i]
        to_local = np.full(n_groups, -1)
        to_local[seen] = local
        mapping = np.empty(len(seen), dtype=np.intp)
        mapping[local] = seen                        # local code -> global code
        s = reducer.partial(_take(values, idx), to_local[groups[idx]].astype(np.int32), len(seen))
        states.append(reducer.remap(s, mapping, n_groups))
    return reducer.finalize(_merge_randomly(reducer, states, rng))


def check(reducer, values, groups, n_groups, rng, atol=1e-9):
    """The batched, remapped and total results equal the one-shot ones; returns the one-shot result.
    ``atol``: the floating-point floor of the values' sums (values of 1e9 that cancel to 78 carry
    an error of a few ulps of 1e9 in any order of summation, one-shot or batched)."""
    one = reducer.finalize(reducer.partial(values, groups, n_groups))
    _close(batched(reducer, values, groups, n_groups, rng), one, "batched", atol)
    _close(batched_with_local_codes(reducer, values, groups, n_groups, rng), one, "remapped", atol)
    # the total from the group partials (everything to group 0) = the reducer run with one group
    total = reducer.finalize(reducer.remap(reducer.partial(values, groups, n_groups), np.zeros(n_groups, int), 1))
    _close(total, reducer.finalize(reducer.partial(values, np.zeros(len(groups), np.int32), 1)), "total", atol)
    return one


def data(seed, n_groups, n_rows=None):
    rng = np.random.default_rng(seed)
    n_rows = int(rng.integers(0, 400)) if n_rows is None else n_rows
    # skewed group sizes: some groups have one row, some none
    groups = np.minimum(rng.geometric(0.25, size=n_rows) - 1, n_groups - 1).astype(np.int32)
    return rng, n_rows, groups


def frame_for(groups, **columns):
    return pd.DataFrame({"g": groups, **columns})


def product(fn, frame, settings=None, **kwargs):
    """Today's aggregate on the rows, grouped by "g" (pandas lists the non-empty groups only)."""
    return fn(frame, ["g"], SimpleNamespace(settings=settings or {}), **kwargs)


def present(result, codes):
    """The reducer's per-group arrays restricted to the groups pandas lists (non-empty ones)."""
    return {k: np.asarray(v)[codes] for k, v in result.items() if not isinstance(v, dict)}


# ----------------------------------------------------------------------------- the reducers vs today

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
def test_proportion_matches_aggregate_proportion(seed, n_groups):
    rng, n, groups = data(seed, n_groups)
    hit = rng.random(n) < rng.random()
    got = check(Proportion(), hit, groups, n_groups, rng)
    want = product(aggregate.proportion, frame_for(groups, hit=hit))
    codes = want.index.to_numpy()
    mine = present(got, codes)
    for col, theirs in (("value", "value"), ("n", "n"), ("hits", "hits"), ("low", "low"), ("high", "high")):
        _close(mine[col], want[theirs].to_numpy(), col)
    empty = np.setdiff1d(np.arange(n_groups), codes)
    assert (got["n"][empty] == 0).all() and np.isnan(got["value"][empty]).all()  # absent, never 0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
def test_nps_matches_aggregate_nps(seed, n_groups):
    rng, n, groups = data(seed, n_groups)
    score = rng.integers(0, 11, size=n)
    sign = np.where(score >= 9, 1, np.where(score <= 6, -1, 0)).astype(np.int8)
    got = check(Nps(), sign, groups, n_groups, rng)
    want = product(aggregate.nps, frame_for(groups, promoter=sign == 1, detractor=sign == -1))
    mine = present(got, want.index.to_numpy())
    for col in want.columns:
        _close(mine[col], want[col].to_numpy(), col)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
@pytest.mark.parametrize("scale", (1.0, 1e5))  # 1e5: minutes over two months, a spread of ~1
def test_mean_matches_share_and_mean(seed, n_groups, scale):
    rng, n, groups = data(seed, n_groups)
    score = scale + rng.normal(3, 1.2, size=n).round(2)
    got = check(Mean(), score, groups, n_groups, rng)
    want = product(aggregate.share_and_mean, frame_for(groups, ok=score > scale + 3, score=score),
                   flag="ok", flag_label="ok", headline="mean")
    mine = present(got, want.index.to_numpy())
    for col in ("value", "n", "low", "high"):
        _close(mine[col], want[col].to_numpy(), col)


@pytest.mark.parametrize("seed", SEEDS)
def test_mean_of_large_values_merges_as_precisely_as_one_shot(seed):
    """Epoch-second-sized values (1e9) with a spread of ~1: against the exact rational std,
    the merged std stays within 1e-12 (pandas' own Welford std is ~3e-8 off here)."""
    from fractions import Fraction

    rng, n, groups = data(seed, 3, n_rows=200)
    x = 1e9 + rng.normal(3, 1.2, size=n).round(2)
    got = check(Mean(), x, groups, 3, rng)
    for code in np.unique(groups):
        exact = [Fraction(v) for v in x[groups == code]]
        if len(exact) < 2:
            continue
        mean = sum(exact) / len(exact)
        std = float(sum((v - mean) ** 2 for v in exact) / (len(exact) - 1)) ** 0.5
        assert got["std"][code] == pytest.approx(std, rel=1e-12)
        assert got["value"][code] == float(mean)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
def test_mean_skips_nan_like_pandas(seed, n_groups):
    """NaN rows are not values (sentiment's mean: n = scored rows, pandas mean/std skip NaN)."""
    rng, n, groups = data(seed, n_groups)
    x = rng.normal(0, 1, size=n)
    x[rng.random(n) < 0.3] = np.nan
    got = check(Mean(), x, groups, n_groups, rng)
    g = pd.Series(x).groupby(groups)
    want = pd.DataFrame({"value": g.mean(), "std": g.std(), "n": g.count()})
    want["low"], want["high"] = mean_interval(want["value"], want["std"], want["n"])
    mine = present(got, want.index.to_numpy())
    for col in want.columns:
        _close(mine[col], want[col].to_numpy(), col)


@pytest.fixture(params=("as_tuned", "pairwise", "vectorized"))
def merge_path(request, monkeypatch):
    """Each way Quantiles merges sorted states, forced on small data: group by group with one sort
    per group (as tuned for small data), group by group merging runs two at a time (large data),
    one vectorized sort over every group (many groups)."""
    from cxkpi.reduce import reducers

    if request.param == "pairwise":
        monkeypatch.setattr(reducers, "_SORT_RUNS", 0)
    elif request.param == "vectorized":
        monkeypatch.setattr(reducers, "_GROUP_LOOP", 0)
    return request.param


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
@pytest.mark.parametrize("kind", ("minutes", "whole_seconds"))
def test_quantiles_match_durations(seed, n_groups, kind, merge_path):
    """Median and p90 equal pandas' groupby median / quantile(0.9) (aggregate.durations) exactly:
    continuous minutes (every value its own pair) and whole seconds (many rows per pair)."""
    rng, n, groups = data(seed, n_groups)
    if kind == "minutes":
        x = rng.exponential(120, size=n)
    else:
        x = rng.integers(0, 50, size=n) * 60 / 60.0  # few distinct values: histogram counts > 1
    x[rng.random(n) < 0.1] = np.nan
    got = check(Quantiles((0.5, 0.9)), x, groups, n_groups, rng)
    want = product(aggregate.durations, frame_for(groups, minutes=x), {"unit": "min"})
    mine = present(got, want.index.to_numpy())
    for col in ("n", "median", "p90"):
        np.testing.assert_array_equal(mine[col], want[col].to_numpy(), err_msg=col)  # bit for bit


@pytest.mark.parametrize("seed", SEEDS)
def test_quantiles_of_integers_and_other_q(seed, merge_path):
    rng, n, groups = data(seed, 5, n_rows=300)
    x = rng.integers(-5, 3600, size=n)  # int64 whole seconds: kept as int64 keys
    qs = (0.0, 0.25, 0.5, 0.9, 0.999, 1.0)
    got = check(Quantiles(qs), x, groups, 5, rng)
    g = pd.Series(x).groupby(groups)
    codes = np.unique(groups)
    mine = present(got, codes)
    _close(mine["median"], g.median().to_numpy(), "median")
    for q, name in zip(qs, ("p0", "p25", "median", "p90", "p99.9", "p100")):
        if name != "median":
            _close(mine[name], g.quantile(q).to_numpy(), name)


def test_merge_two_runs_by_hand():
    # a = {1: 2, 3: 1, 5: 4}, b = {0: 1, 3: 2, 6: 1}: 3 is in both (1 + 2 = 3), 0 and 6 are new
    from cxkpi.reduce.reducers import _merge_runs, _merge_two

    a = (np.array([1.0, 3, 5]), np.array([2, 1, 4]))
    b = (np.array([0.0, 3, 6]), np.array([1, 2, 1]))
    v, c = _merge_two(a, b)
    assert v.tolist() == [0, 1, 3, 5, 6] and c.tolist() == [1, 2, 3, 4, 1]
    assert a[1].tolist() == [2, 1, 4]  # the input is not changed
    # four runs pairwise (threshold 0) and by one sort give the same run: {0:1, 1:2, 2:5, 3:3, 5:4, 6:1}
    runs = [a, b, (np.array([2.0]), np.array([5])), (np.zeros(0), np.zeros(0, np.int64))]
    from cxkpi.reduce import reducers
    for limit in (0, 1 << 20):
        old, reducers._SORT_RUNS = reducers._SORT_RUNS, limit
        try:
            v, c = _merge_runs(list(runs))
        finally:
            reducers._SORT_RUNS = old
        assert v.tolist() == [0, 1, 2, 3, 5, 6] and c.tolist() == [1, 2, 5, 3, 4, 1]


def test_quantiles_by_hand(merge_path):
    # group 0: 1, 2, 3, 4 → median (2 + 3) / 2 = 2.5; p90: h = 0.9 × 3 = 2.7 → 3 + 0.7 × (4 − 3) = 3.7
    # group 1: 10 (twice), 30 → median 10; p90: h = 0.9 × 2 = 1.8 → 10 + 0.8 × (30 − 10) = 26
    # group 2: no rows → NaN, n = 0
    r = Quantiles()
    a = r.partial(np.array([4.0, 10, 1]), np.array([0, 1, 0]), 3)
    b = r.partial(np.array([30.0, 3, np.nan, 10, 2]), np.array([1, 0, 0, 1, 0]), 3)
    out = r.finalize(r.merge(b, a))
    np.testing.assert_array_equal(out["n"], [4, 3, 0])
    np.testing.assert_allclose(out["median"], [2.5, 10, np.nan], equal_nan=True)
    np.testing.assert_allclose(out["p90"], [3.7, 26, np.nan], equal_nan=True)
    # the histogram holds 10 once with count 2
    merged = r.merge(a, b)
    assert len(merged["v"]) == 6 and merged["c"].tolist() == [1, 1, 1, 1, 2, 1]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
def test_count_and_sum(seed, n_groups):
    rng, n, groups = data(seed, n_groups)
    x = rng.normal(50, 30, size=n)
    x[rng.random(n) < 0.2] = np.nan
    ints = rng.integers(-1000, 1000, size=n)
    rows = check(Count(), None, groups, n_groups, rng)
    counted = check(Count(), x, groups, n_groups, rng)
    sums = check(Sum(), x, groups, n_groups, rng)
    int_sums = check(Sum(), ints, groups, n_groups, rng)
    g = pd.Series(x).groupby(groups)
    codes = g.size().index.to_numpy()
    _close(rows["n"][codes], g.size().to_numpy(), "rows")
    _close(counted["n"][codes], g.count().to_numpy(), "count")
    _close(sums["value"][codes], g.sum(min_count=1).to_numpy(), "sum")  # all-NaN group: NaN, not 0
    _close(int_sums["value"][codes], pd.Series(ints).groupby(groups).sum().to_numpy(), "int sum")
    assert int_sums["value"].dtype.kind == ("i" if (int_sums["n"] > 0).all() else "f")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
def test_ratio(seed, n_groups):
    rng, n, groups = data(seed, n_groups)
    a = rng.exponential(300, size=n)
    b = rng.integers(0, 3, size=n).astype(float)
    a[rng.random(n) < 0.1] = np.nan
    b[rng.random(n) < 0.1] = np.nan
    got = check(Ratio(), (a, b), groups, n_groups, rng)
    frame = frame_for(groups, a=a, b=b).dropna()
    s = frame.groupby("g")[["a", "b"]].sum()
    want = (s["a"] / s["b"].where(s["b"] != 0)).to_numpy()
    _close(got["value"][s.index.to_numpy()], want, "ratio")
    _close(got["n"][s.index.to_numpy()], frame.groupby("g").size().to_numpy(), "n")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
@pytest.mark.parametrize("arrow", (False, True))
def test_top_k_labels(seed, n_groups, arrow):
    rng, n, groups = data(seed, n_groups)
    words = np.array(["billing", "bug", "login", "refund", "shipping", "ux", "ça", "Zed"])
    labels = words[np.minimum(rng.geometric(0.35, size=n) - 1, len(words) - 1)]
    missing = rng.random(n) < 0.1
    keys = pa.array(labels, mask=missing) if arrow else np.where(missing, "", labels)
    if arrow:
        keys = keys.dictionary_encode()  # as the CSV reader hands strings over
    k = 3
    got = check(TopK(k), keys, groups, n_groups, rng)
    # today: per group, counts sorted by label, then a stable sort by count descending, head(k)
    frame = frame_for(groups, label=np.where(missing, None, labels) if arrow else keys).dropna()
    top = got["top"]
    for code, sub in frame.groupby("g"):
        counts = sub.groupby("label").size().sort_index().sort_values(ascending=False, kind="stable")
        mine = top["group"] == code
        assert top["key"].filter(pa.array(mine)).to_pylist() == counts.index[:k].tolist()
        assert top["count"][mine].tolist() == counts.to_numpy()[:k].tolist()
        assert got["n"][code] == counts.sum() and got["distinct"][code] == len(counts)
        assert got["other"][code] == counts.to_numpy()[k:].sum()
    assert (got["n"][np.setdiff1d(np.arange(n_groups), frame["g"].unique())] == 0).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
@pytest.mark.parametrize("kind", ("int", "str", "float_nan"))
def test_distinct_pairs(seed, n_groups, kind):
    """Distinct orders per customer: groupby(customer)[order].nunique() (NaN keys skipped)."""
    rng, n, groups = data(seed, n_groups)
    ids = rng.integers(0, 30, size=n)
    if kind == "int":
        keys, series = ids, pd.Series(ids)
    elif kind == "str":
        keys = pa.array([f"order-{i}" for i in ids])
        series = pd.Series(keys.to_pylist())
    else:
        keys = ids.astype(float)
        keys[rng.random(n) < 0.2] = np.nan
        series = pd.Series(keys)
    got = check(DistinctPairs(), keys, groups, n_groups, rng)
    want = series.groupby(groups).nunique()
    _close(got["value"][want.index.to_numpy()], want.to_numpy(), "distinct")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
def test_first_rows(seed, n_groups):
    """Skip accounting: rows per (group, reason) and the first 5 row numbers, as
    ``frame.groupby(g).row.nsmallest(5)`` gives them (row numbers shuffled across batches)."""
    rng, n, groups = data(seed, n_groups)
    rows = rng.permutation(n) + 2  # spreadsheet row numbers, in no particular order
    got = check(FirstRows(5), rows, groups, n_groups, rng)
    for code in range(n_groups):
        want = np.sort(rows[groups == code])[:5]
        assert got["n"][code] == (groups == code).sum()
        assert got["first"][code].tolist() == want.tolist() + [-1] * (5 - len(want))


@pytest.mark.parametrize("seed", SEEDS)
def test_arrow_inputs_and_nan_in_flags(seed):
    """Arrow arrays with nulls are values with NaN; a NaN flag or NPS answer is not counted."""
    rng, n, groups = data(seed, 4, n_rows=250)
    x = rng.normal(10, 2, size=n)
    x[rng.random(n) < 0.2] = np.nan
    arrow = pa.array(x, from_pandas=True)  # NaN → null
    assert arrow.null_count == np.isnan(x).sum()
    _close(check(Mean(), arrow, groups, 4, rng), Mean().finalize(Mean().partial(x, groups, 4)))
    flag = np.where(np.isnan(x), np.nan, x > 10)
    got = check(Proportion(), flag, groups, 4, rng)
    kept = ~np.isnan(x)
    _close(got, Proportion().finalize(Proportion().partial(x[kept] > 10, groups[kept], 4)))
    sign = np.where(np.isnan(x), np.nan, np.sign(x - 10))
    _close(check(Nps(), sign, groups, 4, rng), Nps().finalize(Nps().partial(sign[kept], groups[kept], 4)))


# ----------------------------------------------------------------------------- edges and promises

@pytest.mark.parametrize("reducer, values", [
    (Count(), np.zeros(0)), (Sum(), np.zeros(0)), (Mean(), np.zeros(0)), (Proportion(), np.zeros(0, bool)),
    (Nps(), np.zeros(0)), (Ratio(), (np.zeros(0), np.zeros(0))), (Quantiles(), np.zeros(0)),
    (TopK(2), np.zeros(0)), (DistinctPairs(), np.zeros(0)), (FirstRows(3), np.zeros(0, np.int64)),
])
def test_no_rows_is_absent_not_zero(reducer, values):
    out = reducer.finalize(reducer.merge(reducer.partial(values, np.zeros(0, np.int32), 2),
                                         reducer.partial(values, np.zeros(0, np.int32), 2)))
    np.testing.assert_array_equal(out["n"], [0, 0])
    for name in ("value", "median", "p90", "low", "high"):
        if name in out and not isinstance(reducer, (Count, DistinctPairs, FirstRows)):
            assert np.isnan(out[name]).all(), name


def test_mean_by_hand_merge_of_two_batches():
    # batch a: 1, 2, 3 (n 3, mean 2, M2 2); batch b: 10 (n 1, mean 10, M2 0)
    # merged: n 4, mean (6 + 10) / 4 = 4, M2 = 2 + 0 + 8² × 3 × 1 / 4 = 50, std = √(50 / 3)
    r = Mean()
    out = r.finalize(r.merge(r.partial(np.array([1.0, 2, 3]), np.zeros(3, np.int32), 1),
                             r.partial(np.array([10.0]), np.zeros(1, np.int32), 1)))
    assert out["n"].tolist() == [4] and out["value"][0] == pytest.approx(4)
    assert out["std"][0] == pytest.approx(np.sqrt(50 / 3))
    assert out["low"][0] == pytest.approx(4 - 1.959963984540054 * np.sqrt(50 / 3) / 2)


def test_merge_pads_a_state_with_fewer_groups():
    # batch a knew groups 0..1, batch b also group 2: merge works without a remap
    r = Proportion()
    a = r.partial(np.array([True, False]), np.array([0, 1]), 2)
    b = r.partial(np.array([True, True]), np.array([2, 0]), 3)
    out = r.finalize(r.merge(a, b))
    assert out["n"].tolist() == [2, 1, 1] and out["hits"].tolist() == [2, 0, 1]


def test_remap_drops_negative_codes():
    r = Count()
    s = r.partial(None, np.array([0, 1, 1, 2]), 3)
    assert r.finalize(r.remap(s, [1, -1, 0], 2))["n"].tolist() == [1, 1]  # group 1 dropped; 0 ↔ 2


def test_bad_group_codes_are_refused():
    with pytest.raises(ValueError):
        Sum().partial(np.array([1.0]), np.array([3]), 2)
    with pytest.raises(TypeError):
        Sum().partial(np.array([1.0]), np.array([0.0]), 2)


def test_import_does_not_load_pandas():
    code = "import sys, cxkpi.reduce; print('pandas' in sys.modules, 'pyarrow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


# ----------------------------------------------------------------------------- properties (hypothesis)

_value = st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.integers(-50, 50).map(float), st.just(np.nan))
_rows = st.lists(st.tuples(st.integers(0, 3), _value), max_size=60)


@hypothesis_settings(max_examples=150, deadline=None)
@given(rows=_rows, seed=st.integers(0, 2**32 - 1))
def test_property_quantiles_and_mean_any_split(rows, seed):
    """Any values (repeats, NaN, ±1e9), any split: batched = one-shot; quantiles = pandas bit for bit."""
    rng = np.random.default_rng(seed)
    groups = np.array([g for g, _ in rows], dtype=np.int32)
    x = np.array([v for _, v in rows], dtype=np.float64)
    q = check(Quantiles((0.5, 0.9)), x, groups, 4, rng)
    # a mean of values up to 1e9 that cancel (-536871069, 536870834, 0: -78.3333333) is off by a few ulps
    # of 1e9 (~1e-7) whatever the order of the sums: that is the floor for batched = one-shot
    floor = 64 * np.finfo(float).eps * float(np.nanmax(np.abs(x), initial=0.0))
    m = check(Mean(), x, groups, 4, rng, atol=max(1e-9, floor))
    g = pd.Series(x).groupby(groups)
    codes = g.count().index.to_numpy()
    np.testing.assert_array_equal(q["median"][codes], g.median().to_numpy())
    np.testing.assert_array_equal(q["p90"][codes], g.quantile(0.9).to_numpy())
    _close(m["n"][codes], g.count().to_numpy())
    # against the exact mean (math.fsum), not pandas' (its own sums round as ours do)
    exact = np.array([math.fsum(x[(groups == c) & ~np.isnan(x)]) / max(int(((groups == c) & ~np.isnan(x)).sum()), 1)
                      for c in codes])
    np.testing.assert_allclose(m["value"][codes], np.where(g.count().to_numpy() > 0, exact, np.nan),
                               rtol=1e-12, atol=max(1e-6, floor), equal_nan=True)


def test_a_mean_of_cancelling_large_values_is_within_the_floating_point_floor():
    # the example hypothesis found: exact mean -78.33333329359691 (fractions); one-shot and batched
    # are each within a few ulps of 536,871,069 of it, and of each other
    x = np.array([0.0, -536871068.9999999, 536870834.0])
    exact = math.fsum(x) / 3
    floor = 64 * np.finfo(float).eps * 536871069
    one = Mean().finalize(Mean().partial(x, np.zeros(3, np.int32), 1))["value"][0]
    parts = [Mean().partial(x[i:i + 1], np.zeros(1, np.int32), 1) for i in range(3)]
    merged = Mean().finalize(Mean().merge(Mean().merge(parts[0], parts[1]), parts[2]))["value"][0]
    assert abs(one - exact) < floor and abs(merged - exact) < floor and abs(one - merged) < floor


def test_remap_beyond_the_new_groups_is_refused():
    with pytest.raises(ValueError):
        Count().remap(Count().partial(None, np.array([0, 1]), 2), [0, 2], 2)


def test_quantile_counts_widen_before_they_overflow():
    # 2^31 − 1 rows of value 1.0 in one state and 1 more in another: the merged count is 2^31, which int32
    # cannot hold, so the state keeps int64 counts; the median of 2^31 equal values is that value
    from cxkpi.reduce.reducers import _state

    r = Quantiles((0.5,))
    big = _state(1, np.zeros(1, np.int64), np.array([1.0]), np.array([2**31 - 1]))
    assert big["c"].dtype == np.int32 and big["g"].dtype == np.int16
    one = r.partial(np.array([1.0]), np.zeros(1, np.int32), 1)
    merged = r.merge(big, one)
    assert merged["c"].dtype == np.int64 and merged["c"].tolist() == [2**31]
    out = r.finalize(merged)
    assert out["n"].tolist() == [2**31] and out["median"].tolist() == [1.0]


def test_quantile_merge_of_an_int_run_into_a_float_run_keeps_the_floats(monkeypatch):
    # Worked by hand: one group, values {1, 2} (int64, one file) and {2.5, 3.5, 10.5} (float64,
    # another): the merged run is 1, 2, 2.5, 3.5, 10.5 and the median is 2.5. The two-run merge
    # (forced by a zero sort threshold) once inserted the floats into the int run: 2, 3, 10.
    import numpy as np
    from cxkpi.reduce import reducers as r
    monkeypatch.setattr(r, "_SORT_RUNS", 0)
    q = r.Quantiles((0.5,))
    a = q.partial(np.array([1, 2], dtype=np.int64), np.zeros(2, np.int32), 1)
    b = q.partial(np.array([2.5, 3.5, 10.5]), np.zeros(3, np.int32), 1)
    s = q.merge_many([a, b])
    assert s["v"].tolist() == [1.0, 2.0, 2.5, 3.5, 10.5]
    assert s["c"].tolist() == [1, 1, 1, 1, 1]

"""The finish of a large exact-quantile state: finalized group by group without a remapped or merged copy.

Why: at 60M rows the quantile state is ~45M pairs, and the finish (groups in pandas' order, the trend's
periods, the total) once built remapped and merged copies of it. ``Quantiles.finalize_mapped`` now reads
each new group's runs in place. These tests force that path on small random data (thresholds set to 0
or tiny) and compare with pandas' groupby median / quantile, and with the vectorized path.
"""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cxkpi.partials import Partials
from cxkpi.reduce import Quantiles, reducers, statistic

QS = (0.5, 0.9, 0.0, 0.25, 1.0)


@pytest.fixture(params=("pieces", "blocks", "sort"))
def lean(request, monkeypatch):
    """The group-by-group finalize forced on small data: several runs selected in ~3 value ranges, each
    run searched whole and its counts summed 5 pairs at a time ("pieces") or runs concatenated 5 pairs
    at a time ("blocks"), or several small runs sorted at once ("sort")."""
    monkeypatch.setattr(reducers, "_LEAN_PAIRS", 0)
    if request.param != "sort":
        monkeypatch.setattr(reducers, "_PIECE", 5)
        monkeypatch.setattr(reducers, "_BUCKETS", 3)
        monkeypatch.setattr(reducers, "_SORT_RUNS", 0)
    if request.param == "pieces":
        monkeypatch.setattr(reducers, "_SMALL_RUN", 0)
    return request.param


def _values(rng, n: int, kind: str) -> np.ndarray:
    if kind == "minutes":
        return rng.exponential(60, n)  # continuous: nearly every row its own pair
    if kind == "seconds":
        return rng.integers(0, 12, n).astype(np.float64)  # few values: counts > 1, ties across groups
    return rng.integers(-5, 40, n)  # int64 values


def _state(q: Quantiles, x, g, n_groups: int, rng) -> dict:
    """A merged state of random batches (the shape the engine holds at the finish)."""
    cuts = np.sort(rng.choice(np.arange(1, len(x)), size=3, replace=False))
    parts = [q.partial(a, b, n_groups) for a, b in zip(np.split(x, cuts), np.split(g, cuts))]
    return q.merge_many(parts)


def _pandas(x, new_codes, qs) -> pd.DataFrame:
    s = pd.Series(x).groupby(new_codes)
    out = {"n": s.count()}
    for q in qs:
        out[reducers._qname(q)] = s.median() if q == 0.5 else s.quantile(q)
    return pd.DataFrame(out)


def _check(out: dict, want: pd.DataFrame, n_new: int) -> None:
    idx = want.index.to_numpy()
    empty = np.setdiff1d(np.arange(n_new), idx)
    np.testing.assert_array_equal(out["n"][idx], want["n"].to_numpy())
    assert (out["n"][empty] == 0).all()
    for col in want.columns.drop("n"):
        got = out[col][idx]
        if col == "median":
            np.testing.assert_array_equal(got, want[col].to_numpy(), err_msg=col)
        else:
            np.testing.assert_allclose(got, want[col].to_numpy(), rtol=1e-13, atol=0, err_msg=col)
        assert np.isnan(out[col][empty]).all()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ("minutes", "seconds", "ints"))
@pytest.mark.parametrize("how", ("permutation", "periods", "total", "drop"))
def test_finalize_mapped_matches_pandas_and_the_vectorized_path(seed, kind, how, lean, monkeypatch):
    rng = np.random.default_rng(seed)
    n_old, rows = 9, 400
    x = _values(rng, rows, kind)
    g = rng.integers(0, n_old, rows)
    g[g == 4] = 5  # group 4 has no row
    q = Quantiles(QS)
    state = _state(q, x, g, n_old, rng)
    if how == "permutation":
        mapping, n_new = rng.permutation(n_old), n_old
    elif how == "periods":
        mapping, n_new = np.arange(n_old) % 3, 3
    elif how == "total":
        mapping, n_new = np.zeros(n_old, np.intp), 1
    else:  # groups 1 and 7 dropped, the others into 4 groups, new group 3 gets none
        mapping, n_new = np.array([0, -1, 1, 2, 0, 1, 2, 0, -1]), 4
    new = mapping[g]
    got = q.finalize_mapped([(state, mapping)], n_new)
    _check(got, _pandas(x[new >= 0], new[new >= 0], QS), n_new)
    monkeypatch.setattr(reducers, "_LEAN_PAIRS", 1 << 40)  # the vectorized remap, merge and finalize
    want = q.finalize(q.remap(state, mapping, n_new))
    for col in want:
        np.testing.assert_array_equal(got[col], want[col], err_msg=col)  # bit for bit


@pytest.mark.parametrize("seed", range(3))
def test_the_total_from_two_sources_with_an_int_run_and_a_float_run(seed, lean):
    # the total of a grouped run: the rows in no group (their own 1-group state, floats) and every group
    # folded (ints): the values compare across dtypes as one float64 run would
    rng = np.random.default_rng(seed)
    q = Quantiles(QS)
    xi, gi = rng.integers(0, 30, 300), rng.integers(0, 6, 300)
    xf = rng.integers(0, 60, 50) / 2.0
    groups = _state(q, xi, gi, 6, rng)
    loose = q.partial(xf, np.zeros(50, np.int32), 1)
    got = q.finalize_mapped([(loose, None), (groups, np.zeros(6, np.intp))], 1)
    x = np.concatenate([xi.astype(np.float64), xf])
    _check(got, _pandas(x, np.zeros(len(x), int), QS), 1)


def test_values_at_ranks_by_hand(monkeypatch):
    # one group's runs {1: 2, 4: 1, 9: 3} and {2: 1, 4: 2}: its rows in order 1 1 2 4 4 4 9 9 9, so
    # ranks 0, 2, 3, 5, 8 are 1, 2, 4, 4, 9; by pieces of 2 pairs and 2 value ranges as by one sort
    runs = [(np.array([1.0, 4, 9]), np.array([2, 1, 3], np.int32)), (np.array([2.0, 4]), np.array([1, 2], np.int32))]
    ranks = np.array([0, 2, 3, 5, 8])
    for piece, sort_runs, small in ((2, 0, 0), (2, 0, 4096), (1 << 20, 1 << 20, 4096)):
        monkeypatch.setattr(reducers, "_PIECE", piece)
        monkeypatch.setattr(reducers, "_BUCKETS", 2)
        monkeypatch.setattr(reducers, "_SORT_RUNS", sort_runs)
        monkeypatch.setattr(reducers, "_SMALL_RUN", small)
        assert reducers._runs_at(runs, ranks).tolist() == [1, 2, 4, 4, 9]
        assert reducers._runs_at(runs[:1], np.array([0, 1, 2, 5])).tolist() == [1, 1, 4, 9]
        # the rows before positions 0, 1, 3 of the first run: 0, 2, 2 + 1 + 3 = 6
        assert reducers._prefix(runs[0][1], np.array([0, 1, 3])).tolist() == [0, 2, 6]


def _rows(rng, n: int) -> pd.DataFrame:
    minutes = rng.exponential(60, n).round(1)
    minutes[rng.random(n) < 0.1] = np.nan
    channel = rng.choice(["phone", "chat", "email"], n).astype(object)
    channel[rng.random(n) < 0.05] = None  # rows in no group: counted in the total only
    return pd.DataFrame({"channel": channel, "period": rng.choice(["2025-01", "2025-02", "2025-03", "2025-04"], n),
                         "minutes": minutes, "open": np.isnan(minutes)})


def _frames(values: pd.DataFrame, keys: list[str]):
    acc = Partials(statistic.durations("open"), {"unit": "min"})
    for part in np.array_split(np.arange(len(values)), 4):
        batch = values.iloc[part]
        batch = batch.assign(**{k: batch[k].astype("category") for k in keys})
        acc.add(SimpleNamespace(values=batch, group_keys=keys))
    return acc.frames(keys, trend=True)


@pytest.mark.parametrize("seed", range(3))
def test_frames_by_group_by_group_finalize_match_pandas_and_the_vectorized_finish(seed, lean, monkeypatch):
    rng = np.random.default_rng(seed)
    values = _rows(rng, 600)
    keys = ["channel", "period"]
    total, groups, trend = _frames(values, keys)
    measured = values.dropna(subset=["minutes"])
    by = measured.dropna(subset=["channel"]).groupby(keys)["minutes"]
    np.testing.assert_array_equal(groups["median"].to_numpy(), by.median().to_numpy())
    np.testing.assert_allclose(groups["p90"].to_numpy(), by.quantile(0.9).to_numpy(), rtol=1e-13)
    assert list(groups.index) == list(by.median().index)
    per = measured.dropna(subset=["channel"]).groupby("period")["minutes"]
    np.testing.assert_array_equal(trend["median"].to_numpy(), per.median().to_numpy())
    np.testing.assert_allclose(trend["p90"].to_numpy(), per.quantile(0.9).to_numpy(), rtol=1e-13)
    assert total["median"].iloc[0] == measured["minutes"].median()
    assert total["n"].iloc[0] == len(measured)
    monkeypatch.setattr(reducers, "_LEAN_PAIRS", 1 << 40)
    for got, want in zip((total, groups, trend), _frames(values, keys)):
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_the_finish_of_a_large_state_allocates_a_fraction_of_it():
    # 48 groups (4 channels x 12 months) of 60,000 distinct values each: 2.88M pairs, ~40 MB of state.
    # Folding them into 12 periods and into 1 total, or putting them in another order, once built a
    # remapped or merged state (83 bytes a pair at the peak); now a few MB at most.
    n_groups, each = 48, 60_000
    rng = np.random.default_rng(0)
    v = np.sort(rng.exponential(60, (n_groups, each)), axis=1).ravel()
    g = np.repeat(np.arange(n_groups), each)
    state = reducers._state(n_groups, g, v, rng.integers(1, 4, n_groups * each))
    size = sum(state[k].nbytes for k in ("g", "v", "c"))
    assert len(v) > reducers._LEAN_PAIRS
    q = Quantiles()
    for mapping, n_new in ((rng.permutation(n_groups), n_groups), (np.arange(n_groups) % 12, 12),
                           (np.zeros(n_groups, np.intp), 1)):
        tracemalloc.start()
        q.finalize_mapped([(state, mapping)], n_new)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < size / 4, (n_new, peak, size)


def test_pivots_cut_alike_runs_into_ranges_of_about_equal_size():
    # 720 runs (15 batch states x 48 groups) of ~20,000 values from one distribution: the total's runs.
    # Sampled from the same offsets in each run, the pivots came in clumps and a range held 849,028
    # pairs instead of ~14,000; a range now holds at most a few times pairs / _BUCKETS
    rng = np.random.default_rng(0)
    runs = [(np.sort(rng.exponential(600, rng.integers(19_000, 20_000))), None) for _ in range(720)]
    pairs = sum(len(v) for v, _ in runs)
    pivots = reducers._pivots(runs, np.float64, pairs)
    assert reducers._BUCKETS // 2 < len(pivots) < reducers._BUCKETS * 1.2
    sizes = sum(np.diff(np.concatenate([[0], np.searchsorted(v, pivots), [len(v)]])) for v, _ in runs)
    assert sizes.sum() == pairs
    assert sizes.max() < 3 * pairs / reducers._BUCKETS, sizes.max()


@pytest.mark.parametrize("forced", (False, True))
def test_frames_from_batch_states_that_saw_fewer_groups(forced, monkeypatch):
    # the finish reads the batch states as they are, unmerged: the first batch saw only "chat" in
    # 2025-01, the second adds "phone" and 2025-02, so their states have 1 and 4 groups.
    # chat 2025-01: 1, 2, 9 -> median 2; phone 2025-02: 4, 6 -> 5; period 2025-01: 1, 2, 3, 9 -> 2.5
    if forced:
        monkeypatch.setattr(reducers, "_LEAN_PAIRS", 0)
    acc = Partials(statistic.durations("open"), {"unit": "min"})
    batches = [(["chat", "chat"], ["2025-01", "2025-01"], [1.0, 9.0]),
               (["chat", "phone", "phone", "phone", "chat"], ["2025-01", "2025-01", "2025-02", "2025-02", "2025-02"],
                [2.0, 3.0, 4.0, 6.0, 7.0])]
    for channel, period, minutes in batches:
        rows = pd.DataFrame({"channel": pd.Categorical(channel), "period": pd.Categorical(period),
                             "minutes": minutes, "open": [0] * len(minutes)})
        acc.add(SimpleNamespace(values=rows, group_keys=["channel", "period"]))
    assert [s["q"]["n_groups"] for s in acc.groups] == [1, 4]
    total, groups, trend = acc.frames(["channel", "period"], trend=True)
    assert groups["median"].to_dict() == {("chat", "2025-01"): 2.0, ("chat", "2025-02"): 7.0,
                                          ("phone", "2025-01"): 3.0, ("phone", "2025-02"): 5.0}
    assert trend["median"].to_dict() == {"2025-01": 2.5, "2025-02": 6.0}  # 4, 6, 7 -> 6
    assert total["median"].iloc[0] == 4.0  # 1 2 3 4 6 7 9
    assert len(acc.groups) == 2  # not merged by the finish

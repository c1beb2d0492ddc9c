"""Grouping small codes by counting gives what np.unique and pandas give (random data, both paths)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxkpi.engine import _drop_unused
from cxkpi.reduce.codes import unique_codes


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("size", [1, 7, 48, 1 << 20])  # counted, and (2^20 > 4 x rows) sorted
def test_unique_codes_equals_numpy_unique(seed, size):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, size, rng.integers(1, 3000))
    want = np.unique(codes, return_index=True, return_inverse=True, return_counts=True)
    got = unique_codes(codes, size)
    for w, g in zip(want, got):
        assert np.array_equal(np.asarray(w).reshape(-1), g)


@pytest.mark.parametrize("seed", range(5))
def test_drop_unused_equals_pandas(seed):
    rng = np.random.default_rng(seed)
    cats = pd.Index(["a", "b", "c", "d", "e"])
    codes = rng.integers(-1, 5, 200)
    codes[codes == 2] = 3  # "c" unused
    col = pd.Series(pd.Categorical.from_codes(codes, categories=cats), index=np.arange(200) * 3 + 2, name="k")
    want = col.cat.remove_unused_categories()
    got = _drop_unused(col)
    pd.testing.assert_series_equal(got, want)
    assert list(got.cat.categories) == [c for c in "abde" if (codes == "abcde".index(c)).any()]

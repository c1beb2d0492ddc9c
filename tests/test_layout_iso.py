"""The ISO fast path of a fixed-layout timestamp column reads exactly the cells the digit tables read,
with the same values (random cells: bad dates, bad times, year 0, letters, other separators)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from cxkpi.io import values


def _cells(rng, n: int, odd: float) -> list:
    out = []
    for _ in range(n):
        y, mo, d = rng.integers(0, 10000), rng.integers(0, 14), rng.integers(0, 33)
        h, mi, s = rng.integers(0, 26), rng.integers(0, 62), rng.integers(0, 62)
        if rng.random() > odd:  # mostly real times, so the fast path is taken
            y, mo, d, h, mi, s = rng.integers(1, 10000), rng.integers(1, 13), rng.integers(1, 29), \
                rng.integers(0, 24), rng.integers(0, 60), rng.integers(0, 60)
        cell = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"
        roll = rng.random()
        if roll < odd / 4:
            cell = cell[:5] + "x" + cell[6:]
        elif roll < odd / 2:
            cell = cell.replace(" ", "T")
        elif roll < odd * 0.6:
            cell = None
        out.append(cell)
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("odd", [0.0, 0.02, 0.5])
def test_iso_cast_reads_what_the_digit_tables_read(seed, odd, monkeypatch):
    rng = np.random.default_rng(seed)
    raw = pa.array(_cells(rng, 2000, odd), pa.string())
    layout = values._layout("%Y-%m-%d %H:%M:%S")
    fast = values._read_layout(raw, layout)
    monkeypatch.setattr(values, "_ISO", None)  # the digit tables alone
    slow = values._read_layout(raw, layout)
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])
    assert fast[0].sum() > 0


def test_a_year_zero_or_a_day_the_month_lacks_is_left_to_the_careful_path():
    layout = values._layout("%Y-%m-%d %H:%M:%S")
    ok, micros = values._read_layout(pa.array(["0000-01-01 00:00:00", "2023-02-29 00:00:00",
                                               "2024-02-29 00:00:00"]), layout)
    assert ok.tolist() == [False, False, True]
    assert micros.tolist() == [1709164800 * 1_000_000]  # 2024-02-29 00:00:00 UTC

"""Skipped rows counted batch by batch: per group and reason, a count and the first row numbers.

Why: a streamed file must not keep a reason per skipped row (a survey export skips most of its
rows: "no answer"), yet each group still says how many rows it skipped, why, and where the first
ones are. A ``Tally`` holds (group key, reason) -> count and the ``EXAMPLE_ROWS`` smallest row
numbers; batches add to it, in any order, and give what the whole file gives.
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from .reduce.codes import unique_codes
from .results import Skipped


def _scalar(value):
    """A label as pandas' groupby gives it: a Python int or float, not a NumPy one (a Timestamp stays)."""
    return value.item() if isinstance(value, np.generic) else value


class Tally:
    """Skipped rows by group key (a tuple; ``()`` for the total) and reason."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.counts: dict[tuple, dict[str, int]] = {}
        self.rows: dict[tuple, dict[str, list[int]]] = {}

    def add(self, table: pd.DataFrame, keys: list[str]) -> None:
        """``table``: one row per skipped row, with the ``keys`` columns, ``reason`` and ``row``.

        Counted on integer codes (a survey batch skips most of its rows: no Python object per row);
        a row with a missing key is in no group, as in pandas' groupby."""
        if table.empty:
            return
        codes, uniques = [], []
        for col in [*keys, "reason"]:
            c, u = pd.factorize(table[col], sort=False)
            codes.append(c.astype(np.int64, copy=False))
            uniques.append(u)
        rows = table["row"].to_numpy()
        valid = np.logical_and.reduce([c >= 0 for c in codes])
        if not valid.all():
            codes, rows = [c[valid] for c in codes], rows[valid]
        if not len(rows):
            return
        shape = [max(len(u), 1) for u in uniques]
        combo = np.ravel_multi_index(codes, shape)
        # groups in the order they first appear (groupby(sort=False)), each with its k smallest rows
        ids, first, inverse, sizes = unique_codes(combo, int(np.prod(shape)))
        ordered = len(rows) < 2 or bool((rows[1:] > rows[:-1]).all())  # a batch's rows come in order
        by_row = np.argsort(inverse, kind="stable") if ordered else np.lexsort((rows, inverse))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        rank = np.arange(len(by_row)) - np.repeat(starts, sizes)
        head = by_row[rank < self.k]
        firsts: dict[int, list[int]] = {}
        for g, row in zip(inverse[head].tolist(), rows[head].tolist()):
            firsts.setdefault(g, []).append(int(row))
        parts = np.unravel_index(ids, [max(len(u), 1) for u in uniques])
        for g in np.argsort(first, kind="stable").tolist():
            labels = [_scalar(u[int(j[g])]) for u, j in zip(uniques, parts)]
            key, reason = tuple(labels[:-1]), str(labels[-1])
            counts = self.counts.setdefault(key, {})
            counts[reason] = counts.get(reason, 0) + int(sizes[g])
            have = self.rows.setdefault(key, {}).get(reason, [])
            self.rows[key][reason] = list(heapq.nsmallest(self.k, set(have) | set(firsts[g])))

    def add_rows(self, reason: str, rows: list[int]) -> None:
        """Rows of the total that no group holds (lines the reader could not split)."""
        counts = self.counts.setdefault((), {})
        counts[reason] = counts.get(reason, 0) + len(rows)
        have = self.rows.setdefault((), {}).get(reason, [])
        self.rows[()][reason] = list(heapq.nsmallest(self.k, set(have) | set(rows)))

    def skipped(self, key: tuple = (), by_count: bool = False) -> Skipped:
        counts = self.counts.get(key, {})
        reasons = list(counts)
        if by_count:  # a group's reasons, most rows first (as the one-read accounting lists them)
            reasons.sort(key=lambda r: -counts[r])
        return Skipped({r: counts[r] for r in reasons}, {r: tuple(sorted(self.rows[key][r])) for r in reasons})

    def groups(self) -> dict[tuple, Skipped]:
        return {key: self.skipped(key, by_count=True) for key in self.counts if key != ()}

    def first(self) -> tuple[int, str] | None:
        """The first skipped row of the file and its reason."""
        best = None
        for reason, rows in self.rows.get((), {}).items():
            if rows and (best is None or min(rows) < best[0]):
                best = (min(rows), reason)
        return best

    def total(self) -> int:
        return sum(self.counts.get((), {}).values())

    def export(self) -> list:
        return [[list(key), reason, n, self.rows[key][reason]] for key, counts in self.counts.items()
                for reason, n in counts.items()]

    def absorb(self, entries: list, offset: int = 0) -> None:
        """Add another tally's ``export`` (another file's, its row ids shifted by ``offset``)."""
        for key, reason, n, rows in entries:
            key = tuple(key)
            counts = self.counts.setdefault(key, {})
            counts[reason] = counts.get(reason, 0) + int(n)
            have = self.rows.setdefault(key, {}).get(reason, [])
            self.rows[key][reason] = list(heapq.nsmallest(self.k, set(have) | {int(r) + offset for r in rows}))

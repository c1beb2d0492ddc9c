"""Skipped rows counted batch by batch: per group and reason, a count and the first row numbers.

Why: a streamed file must not keep a reason per skipped row (a survey export skips most of its
rows: "no answer"), yet each group still says how many rows it skipped, why, and where the first
ones are. A ``Tally`` holds (group key, reason) -> count and the ``EXAMPLE_ROWS`` smallest row
numbers; batches add to it, in any order, and give what the whole file gives.
"""

from __future__ import annotations

import heapq

import pandas as pd

from .results import Skipped


class Tally:
    """Skipped rows by group key (a tuple; ``()`` for the total) and reason."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.counts: dict[tuple, dict[str, int]] = {}
        self.rows: dict[tuple, dict[str, list[int]]] = {}

    def add(self, table: pd.DataFrame, keys: list[str]) -> None:
        """``table``: one row per skipped row, with the ``keys`` columns, ``reason`` and ``row``."""
        if table.empty:
            return
        by = [*keys, "reason"]
        sizes = table.groupby(by, sort=False, observed=True).size()
        ordered = table if table["row"].is_monotonic_increasing else table.sort_values("row", kind="stable")
        firsts = ordered.groupby(by, sort=False, observed=True).head(self.k)  # a batch's rows come in order
        rows: dict[tuple, list[int]] = {}
        for *key, reason, row in firsts[[*by, "row"]].itertuples(index=False, name=None):
            rows.setdefault((tuple(key), str(reason)), []).append(int(row))
        order = []  # this batch's reasons of each group in the order they first appear
        for index, n in sizes.items():
            index = index if isinstance(index, tuple) else (index,)
            key, reason = tuple(index[:-1]), str(index[-1])
            order.append((key, reason, int(n)))
        for key, reason, n in order:
            counts = self.counts.setdefault(key, {})
            counts[reason] = counts.get(reason, 0) + n
            have = self.rows.setdefault(key, {}).get(reason, [])
            self.rows[key][reason] = list(heapq.nsmallest(self.k, set(have) | set(rows[(key, reason)])))

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

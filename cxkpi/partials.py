"""Partial states of one KPI over its groups: how the engine aggregates a declared statistic.

Why: a KPI that declares its statistic (``KpiSpec.statistic``) is aggregated from mergeable
partial states, so a file read batch by batch (or several files, or Dask workers) gives the one
read's numbers without holding its rows. Each batch numbers its groups its own way; ``Partials``
keeps one dictionary of the key tuples seen so far, sends each batch's codes to it and merges.
At the end the groups are sorted as pandas' ``groupby(sort=True)`` sorts them (labels, periods in
time order; a measure's own categories in their order) and finalized; the total is a one-group
partial of every batch, the trend the groups folded into their period (``remap``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .reduce.codes import unique_codes
from .reduce.reducers import Mean
from .reduce.statistic import TOTAL, finalize_parts, merge_states, remap_states

_FOLD = 16  # batch states merged this often: exact quantiles then sort 16 states at once, not 1 + 1


def _array(col: pd.Series) -> np.ndarray:
    """A measure column as numpy: booleans stay booleans, a missing value is NaN."""
    if col.dtype == bool or col.dtype.kind in "iuf":
        return col.to_numpy()
    return col.to_numpy(dtype="float64", na_value=np.nan)


class Partials:
    """One KPI's partial states: ``add`` each batch's measured rows (``engine.Rows``), then ``frames``."""

    def __init__(self, statistic, settings: dict, dimensions=()):
        self.stat = statistic
        self.settings = settings
        self.dimensions = set(dimensions)
        self.parts = None
        self.index: dict[tuple, int] = {}
        self.labels: list[tuple] = []
        self.orders: dict[str, dict] = {}  # a measure's own categories (nps_group): their order
        self.groups: list[dict] = []
        self.totals: list[dict] = []
        self.measured = 0

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def add(self, r) -> None:
        values = r.values
        if self.parts is None:
            self._init(tuple(values.columns), bool(r.group_keys))
        columns = {p.column: _array(values[p.column]) for p in self.parts if p.column is not None}
        self.measured += len(values)
        total = self.stat.partial(self.direct, columns, np.zeros(len(values), np.int32), 1)
        if r.group_keys:
            codes, keep = self._codes(values, r.group_keys)
            if keep is not None:  # rows in no group still count in the total
                total.update(self.stat.partial(self.folded, {k: v[~keep] for k, v in columns.items()},
                                               np.zeros(int((~keep).sum()), np.int32), 1))
                columns = {k: v[keep] for k, v in columns.items()}
            self.groups.append(self.stat.partial(self.parts, columns, codes, self.n_groups))
        self.totals.append(total)
        if len(self.groups) >= _FOLD:
            self.groups = [merge_states(self.parts, self.groups)]
        if len(self.totals) >= _FOLD:
            self.totals = [self._merge_totals()]

    def _init(self, columns: tuple[str, ...], grouped: bool) -> None:
        self.columns, self.grouped = columns, grouped
        self.parts = self.stat.parts(self.settings, columns)
        # the total of a grouped run: the groups' states folded into one (exact for counts, sums and
        # quantiles), except a mean, computed over the rows as one read computes it
        self.direct = tuple(p for p in self.parts if not grouped or isinstance(p.reducer, Mean))
        self.folded = tuple(p for p in self.parts if p not in self.direct)

    def export(self) -> dict:
        """This accumulation as plain data (one file's share of a run, for the cache or another process)."""
        if self.parts is None:
            return {"columns": None}
        return {"columns": list(self.columns), "grouped": self.grouped, "labels": list(self.labels),
                "orders": self.orders, "measured": self.measured,
                "groups": merge_states(self.parts, self.groups) if self.groups else None,
                "totals": self._merge_totals() if self.totals else {}}

    def absorb(self, e: dict) -> None:
        """Add another accumulation's ``export`` (another file): its groups renumbered into these."""
        if e["columns"] is None:
            return
        if self.parts is None:
            self._init(tuple(e["columns"]), e["grouped"])
        ids = []
        for key in e["labels"]:
            key = tuple(key)
            gid = self.index.get(key)
            if gid is None:
                gid = self.index[key] = len(self.labels)
                self.labels.append(key)
            ids.append(gid)
        for k, order in e["orders"].items():
            self.orders.setdefault(k, order)
        if e["groups"] is not None:
            mapping = np.array(ids, dtype=np.intp)
            same = len(ids) == self.n_groups and (mapping == np.arange(len(ids))).all()
            self.groups.append(e["groups"] if same else remap_states(self.parts, e["groups"], mapping, self.n_groups))
        if e["totals"]:
            self.totals.append(e["totals"])
        self.measured += e["measured"]
        if len(self.groups) >= 2:  # a file's states are large: hold one accumulation, not every file's
            self.groups = [merge_states(self.parts, self.groups)]

    def _merge_totals(self) -> dict:
        """The batches' total states, part by part (a folded part appears only in batches with rows in
        no group)."""
        out = {}
        for p in self.parts:
            each = [t for t in self.totals if p.name in t]
            if each:
                out[p.name] = merge_states((p,), each)[p.name]
        return out

    def _total_parts(self) -> dict:
        """Each part of the total finalized: ``_total_state`` finalized, but a folded part is finalized
        from the rows in no group and the groups' states as they are (``finalize_parts``): exact
        quantiles then build no merge of the batch states and no fold of every group into one."""
        total = self._merge_totals() if self.totals else {}
        out = {}
        for p in self.parts:
            if p not in self.folded:
                out[p.name] = p.reducer.finalize(total[p.name])
                continue
            sources = [([total], None)] if p.name in total else []
            if self.groups:
                sources.append((self.groups, np.zeros(self.n_groups, np.intp)))
            if not sources:
                sources = [([{p.name: p.reducer.empty(1)}], None)]
            out.update(finalize_parts((p,), sources, 1))
        return out

    def _total_state(self) -> dict:
        total = self._merge_totals() if self.totals else {}
        if self.folded:
            n = self.n_groups
            groups = merge_states(self.parts, self.groups) if self.groups else None
            for p in self.folded:
                state = p.reducer.remap(groups[p.name], np.zeros(n, np.intp), 1) if groups else \
                    p.reducer.empty(1) if hasattr(p.reducer, "empty") else None
                if p.name in total and state is not None:
                    state = merge_states((p,), [{p.name: total[p.name]}, {p.name: state}])[p.name]
                total[p.name] = state if state is not None else total[p.name]
        return total

    def _codes(self, values: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """Global group codes of the rows (a row with a missing key is in no group, as in pandas)."""
        codes, uniques = [], []
        for k in keys:
            col = values[k]
            if isinstance(col.dtype, pd.CategoricalDtype):
                c, u = col.cat.codes.to_numpy(), list(col.cat.categories)
                if k in self.dimensions and k not in self.orders:
                    self.orders[k] = {label: i for i, label in enumerate(u)}
            else:
                c, u = pd.factorize(col, sort=False)
                u = list(u)
            codes.append(c.astype(np.int64))
            uniques.append(u)
        valid = np.logical_and.reduce([c >= 0 for c in codes]) if codes else np.ones(len(values), bool)
        keep = None if valid.all() else valid
        if keep is not None:
            codes = [c[keep] for c in codes]
        sizes = [max(len(u), 1) for u in uniques]
        flat = np.ravel_multi_index(codes, sizes) if codes else np.zeros(len(values), np.int64)
        combos, _, inverse, _ = unique_codes(flat, int(np.prod(sizes)))  # counted: a batch has few groups
        ids = np.empty(len(combos), dtype=np.int32)
        for i, parts in enumerate(zip(*np.unravel_index(combos, sizes))):
            key = tuple(u[j] for u, j in zip(uniques, parts))
            gid = self.index.get(key)
            if gid is None:
                gid = self.index[key] = len(self.labels)
                self.labels.append(key)
            ids[i] = gid
        return ids[inverse.reshape(-1)], keep

    def _sort_key(self, keys: list[str]):
        orders = [self.orders.get(k) for k in keys]

        def key(labels: tuple):
            return tuple(o[v] if o is not None else v for o, v in zip(orders, labels))

        return key

    def frames(self, group_keys: list[str], trend: bool = False):
        """(total, groups, trend) frames, one row per group, as the KPI's pandas aggregate gives them."""
        total = pd.DataFrame(self.stat.finish(self._total_parts(), {**self.settings, TOTAL: True}, self.measured == 0))
        if not group_keys:
            return total, None, None
        n = self.n_groups
        sort_key = self._sort_key(group_keys)
        order = sorted(range(n), key=lambda i: sort_key(self.labels[i]))
        mapping = np.empty(n, dtype=np.intp)
        mapping[order] = np.arange(n)
        states = self.groups  # the batch states as they are: finalize_parts merges what it must
        labels = [self.labels[i] for i in order]
        groups = self._frame(states, mapping, n, labels, group_keys)
        trend_frame = None
        if trend and "period" in group_keys:
            at = group_keys.index("period")
            periods = sorted({lab[at] for lab in labels})
            where = {p: i for i, p in enumerate(periods)}
            to_period = np.array([where[self.labels[i][at]] for i in range(n)], dtype=np.intp)
            trend_frame = self._frame(states, to_period, len(periods), [(p,) for p in periods], ["period"])
        return total, groups, trend_frame

    def _frame(self, states, mapping: np.ndarray, n: int, labels: list[tuple], keys: list[str]) -> pd.DataFrame:
        if not states or n == 0:
            empty = self.stat.finalize(self.parts, self._total_state(), self.settings)
            cols = {k: np.asarray(v)[:0] for k, v in empty.items()}
            index = pd.MultiIndex.from_tuples([], names=keys) if len(keys) > 1 else pd.Index([], name=keys[0])
            return pd.DataFrame(cols, index=index)
        if len(mapping) == n and (mapping == np.arange(n)).all():
            mapping = None
        # the batches' groups in sorted order (or folded into periods), finalized without a remapped copy
        cols = self.stat.finalize_mapped(self.parts, [(states, mapping)], n, self.settings)
        if len(keys) > 1:
            index = pd.MultiIndex.from_tuples(labels, names=keys)
        else:
            index = pd.Index([lab[0] for lab in labels], name=keys[0])
        return pd.DataFrame(cols, index=index)


def aggregate_with(statistic):
    """A statistic as a pandas aggregate (``values, keys, ctx -> frame``) for the callers that group
    measured rows themselves (``cxkpi rows``: one group per row); the numbers are the engine's."""

    def aggregate(values: pd.DataFrame, keys: list[str], ctx) -> pd.DataFrame:
        from types import SimpleNamespace

        acc = Partials(statistic, ctx.settings)
        acc.add(SimpleNamespace(values=values, group_keys=list(keys)))
        total, groups, _ = acc.frames(list(keys))
        return total if not keys else groups

    aggregate.__name__ = f"aggregate of {statistic.name}"
    return aggregate

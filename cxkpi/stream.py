"""KPIs computed over a large file batch by batch: one pass, partial states, bounded memory.

Why: a 10M-row export must not be held in memory to count it. A source read lazily
(``io.load.LazyDataset``) is streamed: each batch is measured by the same row-local steps as a
whole file (``engine.measure_rows``) and folded into each KPI's partial states
(``partials.Partials``); only the groups' states, the skipped rows (with their keys, so each
group still says what it skipped) and the notes are kept. The result is the one the whole
file gives; a KPI the engine cannot stream (``engine.streamable``) reads the file whole.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .engine import EXAMPLE_ROWS, Request, Rows, _check_groups, _key_column, check, finish, measure_rows, raise_strict_at
from .io.files import Mismatch
from .io.load import NotBatchable
from .notes import merge_notes
from .partials import Partials
from .registry import WHOLE_COLUMN
from .skips import Tally


class _Run:
    """One KPI's accumulation over the batches of its source."""

    def __init__(self, spec, request: Request, data) -> None:
        self.spec, self.request = spec, request
        self.settings = check(spec, data, request)
        self.columns = data.columns
        self.answers: dict = {}
        self.partials = Partials(spec.statistic, self.settings, spec.dimensions)
        self.first: Rows | None = None
        self.tallies = (Tally(EXAMPLE_ROWS), Tally(EXAMPLE_ROWS), Tally(EXAMPLE_ROWS))  # total, groups, trend
        self.bad_rows: dict[str, list[int]] = {}
        self.rows = 0
        self.notes: list[str] = []
        self.span: list = []  # each batch's first and last time (the report's data range)

    @property
    def decides(self) -> str | None:
        """The column this KPI decides from (its answers gathered in a first pass), if the data has it."""
        col = self.spec.decides
        return col if col and col in self.columns else None

    def peek(self, batch) -> None:
        """First pass: count the answers of the ``decides`` column in the rows the measure would see."""
        col = self.decides

        def gather(frame) -> None:
            for answer, n in frame[col].value_counts(dropna=True).items():
                self.answers[answer] = self.answers.get(answer, 0) + int(n)

        measure_rows(self.spec, batch, self.request, self.settings, check_groups=False, peek=gather)

    def decided(self) -> None:
        self.settings[WHOLE_COLUMN] = self.answers

    def add(self, batch) -> None:
        r = measure_rows(self.spec, batch, self.request, self.settings, check_groups=False)
        if r.labels or r.extra:
            raise NotStreamable()
        if self.first is None:  # what the result needs of the rows: their keys and context, not the rows
            self.first = replace(r, values=r.values.iloc[:0], skipped=r.skipped.iloc[:0],
                                 source_frame=r.source_frame.iloc[:0], periods=None)
        self.partials.add(r)
        total, groups, trend = self.tallies
        if len(r.skipped):
            total.add(pd.DataFrame({"reason": r.skipped.to_numpy(), "row": r.skipped.index.to_numpy()}), [])
            virtual = [k for k in r.keys if k in self.spec.dimensions]
            if not virtual and r.keys:
                table = _keyed(r, batch, r.keys)
                if table is not None:
                    groups.add(table, r.keys)
            if self.request.trend and self.request.period and self.request.by:
                table = _keyed(r, batch, ["period"])
                if table is not None:
                    trend.add(table, ["period"])
        for reason, rows in r.bad_rows.items():
            self.bad_rows.setdefault(reason, []).extend(rows)
            total.add_rows(reason, rows)
        self.rows += r.rows
        self.notes = merge_notes(self.notes, r.notes)
        tcol = r.ctx.time_column
        if tcol and tcol in batch.frame.columns and pd.api.types.is_datetime64_any_dtype(batch.frame[tcol]):
            t = batch.frame[tcol].dropna()
            if len(t):
                self.span += [t.min(), t.max()]

    def result(self, meta):
        r = self.first
        if r is None:
            return None
        total = self.tallies[0]
        if self.request.strict and total.counts.get(()):
            row, reason = total.first()
            raise_strict_at(meta.row_label, row, reason, total.total())
        whole = Rows(values=r.values.iloc[:0], keys=r.keys, group_keys=r.group_keys, labels=r.labels,
                     skipped=pd.Series(dtype="object"), together=pd.Index([]), bad_rows=self.bad_rows,
                     rows=self.rows, notes=self.notes, extra={}, periods=None, ctx=r.ctx,
                     source_frame=r.source_frame.iloc[:0])
        if self.request.by and self.request.max_groups and self.partials.n_groups > self.request.max_groups:
            _check_groups(pd.DataFrame(self.partials.labels, columns=r.group_keys)[list(self.request.by)],
                          list(self.request.by), self.request.max_groups, meta.file)
        trend = bool(self.request.trend and self.request.period and self.request.by)
        total, groups, trend_frame = self.partials.frames(r.group_keys, trend=trend)
        result = finish(self.spec, meta, self.request, self.settings, whole, total, groups, trend_frame, extra={},
                        tallies=self.tallies)
        span = (min(self.span), max(self.span)) if self.span else None
        return result, span


def _keyed(r: Rows, batch, keys: list[str]) -> pd.DataFrame | None:
    """The skipped rows of a batch that a group can hold, with their keys (as ``engine._skipped_by_group``
    places them: a row with no period, or a key the measure made, is counted in the total only)."""
    skipped = r.skipped[r.skipped.index.isin(batch.frame.index)]
    periods = r.periods
    if "period" in keys and periods is not None:
        periods = periods[~periods.index.duplicated()]
        skipped = skipped[periods.reindex(skipped.index).notna().to_numpy()]
    if skipped.empty:
        return None
    cols = {}
    for k in keys:
        if k == "period" and periods is not None:
            cols[k] = periods.reindex(skipped.index).to_numpy()
        elif k == "period" or k not in batch.frame.columns:
            return None
        else:
            cols[k] = _key_column(batch.frame.loc[skipped.index, k]).astype(object).to_numpy()
    return pd.DataFrame({**cols, "reason": skipped.to_numpy(), "row": skipped.index.to_numpy()})


class NotStreamable(Exception):
    """A batch shows a step that needs every row (labels the measure adds, a side table)."""


def run_many(items: dict[str, list[tuple]], data: dict, collect=()) -> dict[tuple[str, str], tuple] | None:
    """Every KPI of ``items`` (source -> [(spec, request)]) over one pass of the sources' shared file
    (``data``: source -> LazyDataset of that file); the sources in ``collect`` are read whole in the
    same pass. Returns (source, kpi) -> (result, (first, last time) or None); None when the file
    cannot be streamed after all (it is then read whole)."""
    runs = {s: [_Run(spec, request, data[s]) for spec, request in pairs] for s, pairs in items.items()}
    stream = next(iter(data.values())).stream

    def sink(source: str, batch) -> None:
        for one in runs.get(source, ()):
            one.add(batch)

    deciding = {s: [one for one in each if one.decides] for s, each in runs.items()}
    deciding = {s: each for s, each in deciding.items() if each}

    def first(source: str, batch) -> None:
        for one in deciding.get(source, ()):
            one.peek(batch)

    try:
        if deciding:  # the answers of the whole column first: each batch is then read on its scale
            stream.each(first, sources=set(deciding))
            for each in deciding.values():
                for one in each:
                    one.decided()
        metas = stream.each(sink, sources=set(runs), collect=collect)
    except (NotBatchable, NotStreamable, Mismatch):
        stream.failed = True
        return None
    out = {}
    for source, each in runs.items():
        if source not in metas:  # its parse failed: its own whole read says why
            continue
        meta = metas[source]
        for one in each:
            made = one.result(meta)
            if made is not None:
                out[(source, one.spec.name)] = made
    return out


def run(items: list[tuple], data) -> list | None:
    """The KPIs of ``items`` ([(spec, request)]) over one source read lazily; None: read it whole."""
    made = run_many({data.source: items}, {data.source: data})
    if made is None or len(made) != len(items):
        return None
    return [made[(data.source, spec.name)][0] for spec, _ in items]

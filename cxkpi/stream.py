"""KPIs computed over a large file batch by batch: one pass, partial states, bounded memory.

Why: a 10M-row export must not be held in memory to count it. A source read lazily
(``io.load.LazyDataset``) is streamed: each batch is measured by the same row-local steps as a
whole file (``engine.measure_rows``) and folded into each KPI's partial states
(``partials.Partials``); only the groups' states, the skipped rows (with their keys, so each
group still says what it skipped) and the notes are kept. The result is the one the whole
file gives; a KPI the engine cannot stream (``engine.streamable``) reads the file whole.
"""

from __future__ import annotations

import pandas as pd

from .engine import Request, Rows, _check_groups, _raise_strict, check, finish, measure_rows
from .io.load import NotBatchable
from .notes import merge_notes
from .partials import Partials


class _Run:
    """One KPI's accumulation over the batches of its source."""

    def __init__(self, spec, request: Request, data) -> None:
        self.spec, self.request = spec, request
        self.settings = check(spec, data, request)
        self.partials = Partials(spec.statistic, self.settings, spec.dimensions)
        self.first: Rows | None = None
        self.skipped: list[pd.Series] = []
        self.keyed: list[pd.DataFrame] = []  # the key columns of the skipped rows
        self.periods: list[pd.Series] = []
        self.bad_rows: dict[str, list[int]] = {}
        self.rows = 0
        self.notes: list[str] = []
        self.span: list = []  # each batch's first and last time (the report's data range)

    def add(self, batch) -> None:
        r = measure_rows(self.spec, batch, self.request, self.settings, check_groups=False)
        if r.labels or r.extra:
            raise NotStreamable()
        self.first = self.first or r
        self.partials.add(r)
        if len(r.skipped):
            self.skipped.append(r.skipped)
            wanted = [k for k in r.keys if k in batch.frame.columns]
            known = r.skipped.index[r.skipped.index.isin(batch.frame.index)].unique()
            self.keyed.append(batch.frame.loc[known, wanted])
            if r.periods is not None:
                self.periods.append(r.periods)
        for reason, rows in r.bad_rows.items():
            self.bad_rows.setdefault(reason, []).extend(rows)
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
        skipped = pd.concat(self.skipped) if self.skipped else pd.Series(dtype="object")
        if self.request.strict and (len(skipped) or self.bad_rows):
            _raise_strict(meta.row_label, skipped, self.bad_rows)
        keyed = pd.concat(self.keyed) if self.keyed else r.source_frame.iloc[:0]
        periods = pd.concat(self.periods) if self.periods else None
        whole = Rows(values=r.values.iloc[:0], keys=r.keys, group_keys=r.group_keys, labels=r.labels,
                     skipped=skipped, together=pd.Index([]), bad_rows=self.bad_rows, rows=self.rows,
                     notes=self.notes, extra={}, periods=periods, ctx=r.ctx, source_frame=keyed)
        if self.request.by and self.request.max_groups and self.partials.n_groups > self.request.max_groups:
            _check_groups(pd.DataFrame(self.partials.labels, columns=r.group_keys)[list(self.request.by)],
                          list(self.request.by), self.request.max_groups, meta.file)
        trend = bool(self.request.trend and self.request.period and self.request.by)
        total, groups, trend_frame = self.partials.frames(r.group_keys, trend=trend)
        result = finish(self.spec, meta, self.request, self.settings, whole, total, groups, trend_frame, extra={})
        span = (min(self.span), max(self.span)) if self.span else None
        return result, span


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

    try:
        metas = stream.each(sink, sources=set(runs), collect=collect)
    except (NotBatchable, NotStreamable):
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

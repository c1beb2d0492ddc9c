"""Load one source: read only the mapped columns, rename to canonical, parse by kind."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataclasses import replace

from ..errors import CxkpiError, InputError, MissingColumnsError, UsageError
from ..sources import SOURCES, column_kind
from . import expr, values
from .columns import HeaderIndex, norm
from .dataset import Dataset, Lazy
from .presets import PRESET_NOTE, Preset, detect, find_candidate
from .read import NotBatchable, RawTable, batchable, header_rows, iter_csv, read_input, read_table


@dataclass
class LoadOptions:
    """How to read one file; filled from the config's source block and CLI flags."""

    sheet: str | int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    timezone: str | None = None
    dayfirst: bool | None = None
    date_format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> export header
    units: dict[str, str] = field(default_factory=dict)  # duration column -> s/min/h/d
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # column -> {label: value}
    header_rows: int | None = None  # None: one, or what the preset says
    progress: bool = False
    # presets: an explicit one, or detection from the headers when none is named
    preset: Preset | None = None
    detect: bool = False
    business: bool = False  # --business-hours export: the export's own business-time columns
    kpi: str | None = None  # the KPI this load is for (a preset may map its columns per KPI)
    data_timezone: str | None = None  # the zone an export writes zone-less times in (a preset's `timezone`)
    withheld: dict[str, str] = field(default_factory=dict)  # canonical -> why a preset column was not used
    candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical -> preset headers
    unanswered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uninvited: dict[str, tuple[str, ...]] = field(default_factory=dict)
    add: dict[str, float] = field(default_factory=dict)
    cache: str | None = None  # --cache DIR: parsed files are kept there (cxkpi.io.cache); no parsing option
    engine: str = "local"  # --engine dask: a source's files parsed by Dask workers (cxkpi.io.distributed)
    scheduler: str | None = None  # --scheduler ADDR: an existing Dask cluster; default: one started for the run


def with_preset(options: LoadOptions, preset: Preset, source: str, label: str, explicit: bool) -> LoadOptions:
    """``options`` with ``preset``'s view of ``source`` underneath: what the user set still wins."""
    view = preset.view(source)
    if view is None:
        if explicit:
            raise UsageError(f"{label}: preset {preset.name!r} has no {source} columns (it reads: "
                             f"{', '.join(preset.sources)})")
        return replace(options, detect=False)
    candidates = {**view.columns, **view.for_kpi.get(options.kpi or "", {})}
    if options.business:
        # only the export's own business-time twins: a calendar minutes column must not stand in for one
        calendar = {c for c, kind in SOURCES[source].columns.items() if kind == "duration"}
        withheld = {c: f"a {preset.tool} export has no business-time twin of {c}: give --business-hours a "
                       "schedule such as \"Mon-Fri 09:00-17:00\" instead of export"
                    for c in calendar & set(candidates) - set(view.business_columns)}
        candidates = {c: v for c, v in candidates.items() if c not in calendar} | view.business_columns
        options = replace(options, withheld=withheld)
    return replace(
        options, preset=preset, detect=False, candidates=candidates,
        labels={c: {**view.labels.get(c, {}), **options.labels.get(c, {})} for c in {*view.labels, *options.labels}},
        units={**view.units, **options.units},
        unanswered=view.unanswered, uninvited=view.uninvited, add=view.add,
        header_rows=options.header_rows or preset.header_rows,
        dayfirst=options.dayfirst if options.dayfirst is not None else preset.dayfirst,
        data_timezone=preset.timezone, date_format=options.date_format or preset.date_format,
    )


def _prepare(read: Callable[[LoadOptions], RawTable], source: str, options: LoadOptions,
             label: str) -> tuple[LoadOptions, HeaderIndex, list[str]]:
    """Read the header, detect or apply the preset, and index the header the preset says to use."""
    notes: list[str] = []
    head = read(options)
    if options.preset is not None:
        options = with_preset(options, options.preset, source, label, explicit=True)
        notes.append(f"{PRESET_NOTE}{options.preset.name}")
    elif options.detect:
        match = detect(head.headers, label)
        if match is not None and match.preset.view(source) is not None:
            options = with_preset(options, match.preset, source, label, explicit=False)
            notes.append(f"{PRESET_NOTE}{match.preset.name} (detected: {match.found} of {match.total} of its headers)")
    head, options, header_notes = header_for(read, head, options, options.preset)
    return options, HeaderIndex(head.headers, label, head.aliases), notes + header_notes


def header_for(read: Callable[[LoadOptions], RawTable], head: RawTable, options: LoadOptions,
               preset: Preset | None) -> tuple[RawTable, LoadOptions, list[str]]:
    """The header as ``preset`` says to read it (``head`` is its first row, read with ``options``).

    The user's ``header_rows`` wins over the preset's; a preset's optional header row that the file
    lacks (Qualtrics' ImportId line) is data, not a header. The loader, ``inspect`` and ``init`` all
    read a header this way, so they agree on where the data starts.
    """
    wanted = options.header_rows or (preset.header_rows if preset else None) or 1
    if wanted == 1:
        return head, options, []
    options = replace(options, header_rows=wanted)
    head = read(options)
    notes: list[str] = []
    for row, marker in sorted((preset.header_markers if preset else {}).items()):
        if row <= wanted and not any(line.startswith(marker) for lines in head.aliases.values() for line in lines):
            options = replace(options, header_rows=row - 1)
            head = read(options)
            notes.append(f"no {marker}… line in header row {row}: the file has {row - 1} header rows")
            break
    n = header_rows(options)
    if n > 1:
        rows = "row 2 is" if n == 2 else f"rows 2–{n} are"
        notes.append(f"{n} header rows: row 1 names the columns, {rows} not data")
    return head, options, notes


def _resolve(
    index: HeaderIndex, source: str, wanted: list[str], options: LoadOptions, extra: list[str]
) -> tuple[dict[str, str], list[str]]:
    """canonical name -> export header, for the columns this run needs; plus notes."""
    mapping: dict[str, str] = {}
    notes: list[str] = []
    for canonical, header in options.columns.items():
        if (canonical in wanted or canonical in extra) and expr.is_expression(header):  # =Quantity * UnitPrice
            kind = column_kind(source, canonical)
            mapping[canonical] = expr.check(header, f"columns.{canonical}", kind).bind(index, canonical)
        elif canonical in wanted or canonical in extra:
            mapping[canonical] = index.require(header, f"mapped to {canonical!r}")
    # A header the user mapped belongs to that column only: presets and synonyms fill the
    # columns still empty, from headers still free (`Date` mapped to sent_at is not responded_at too).
    claimed = set(mapping.values())  # a formula only reads its headers: `Quantity` in amount is still quantity
    for canonical in wanted:
        if canonical in mapping:
            continue
        if canonical in options.candidates:
            found = find_candidate(options.candidates[canonical], index, index.aliases, what=canonical)
            if found is not None and found in claimed:
                found = None
            if found is not None:
                mapping[canonical] = found
                if canonical == "score" and norm(found) != canonical:
                    notes.append(f"using column {found!r} as the score")
            if found is not None or not options.candidates[canonical]:
                continue  # an empty list: the preset says this export has no such column for this KPI
        found = index.auto(canonical, exclude=claimed)
        if found is not None:
            mapping[canonical] = found
            if norm(found) != canonical and canonical == "score":
                notes.append(f"using column {found!r} as the score")
    for name in extra:  # --by / --where on columns the config does not name
        if name not in mapping:
            found = find_candidate(options.candidates[name], index, index.aliases, what=name) \
                if name in options.candidates else None
            mapping[norm(name)] = found or index.require(name, "used in --by/--where")
    return mapping, notes


class ReadCache:
    """Raw reads of one file shared by the sources of one report that name it (a helpdesk export that
    holds tickets and their CSAT): each column is read once, a later source's new columns are read
    and added. Only what the file holds is kept, never parsed values; the report drops it after the
    last source that reads the file."""

    def __init__(self) -> None:
        self._tables: dict[tuple, RawTable] = {}
        self._wanted: dict[tuple, list[str]] = {}
        # a large file is read in batches once for all its sources: each source's mapping, options and
        # notes, known from the header before the first load; the Datasets made for the later sources
        self.jobs: dict[tuple, dict[str, tuple]] = {}
        self.made: dict[tuple, Dataset] = {}

    def clear(self) -> None:
        self._tables.clear()
        self._wanted.clear()
        self.jobs.clear()
        self.made.clear()

    def want(self, key: tuple, columns: list[str]) -> None:
        """Columns a later source will ask for: read with the first source's, in the same pass."""
        self._wanted[key] = list(dict.fromkeys(self._wanted.get(key, []) + list(columns)))

    def read(self, key: tuple, columns: list[str], read: Callable[[list[str]], RawTable]) -> RawTable:
        have = self._tables.get(key)
        if not columns:  # the header
            if have is None:
                have = self._tables[key] = read([])
            return RawTable(pd.DataFrame(), have.headers, aliases=have.aliases)
        data = have if have is not None and len(have.frame.columns) else None
        missing = [c for c in columns if data is None or c not in data.frame.columns]
        if missing:
            later = [c for c in self._wanted.get(key, []) if c not in missing
                     and (data is None or c not in data.frame.columns)]
            part = read(missing + later)
            if data is not None and not part.frame.index.equals(data.frame.index):  # cannot happen for one
                return read(columns)                                              # file; never mix rows
            data = part if data is None else RawTable(pd.concat([data.frame, part.frame], axis=1),
                                                      data.headers, data.bad_rows, data.aliases)
            self._tables[key] = data
        return RawTable(data.frame[columns], data.headers, data.bad_rows, data.aliases)


def read_plan(path: str | os.PathLike, source: str, wanted: list[str], options: LoadOptions | None,
              extra: list[str] | None, cache: ReadCache) -> None:
    """Tell ``cache`` which headers this source will read from ``path`` (its preset and mapping
    resolved from the header alone), so the sources that share a file read it in one pass."""
    if not os.path.isfile(path):  # a pipe is read once, by its source's load: never here
        return
    options = options or LoadOptions()
    label = str(path)
    payload = read_input(path, label, None)
    if isinstance(payload, io.BytesIO):
        return

    def read(opts: LoadOptions, columns: list[str] | None = None) -> RawTable:
        key = _cache_key(label, opts)
        return cache.read(key, [] if columns is None else columns,
                          lambda cols: read_table(payload, label, opts, columns=cols))

    options, index, preset_notes = _prepare(read, source, options, label)
    mapping, notes = _resolve(index, source, wanted, options, extra or [])
    key = _cache_key(label, options)
    cache.want(key, expr.reads(mapping))
    cache.jobs.setdefault(key, {})[source] = (mapping, options, preset_notes + notes)


def _again(payload: Path | io.BytesIO) -> Path | io.BytesIO:
    """``read_input``'s payload, to be read once more: a path as is, bytes from their start."""
    return io.BytesIO(payload.getvalue()) if isinstance(payload, io.BytesIO) else payload


def _cache_key(label: str, opts: LoadOptions) -> tuple:
    return (label, opts.encoding, opts.delimiter, opts.sheet, header_rows(opts))


def load_source(
    path: str | os.PathLike | None,
    source: str,
    wanted: list[str],
    options: LoadOptions | None = None,
    extra: list[str] | None = None,
    stdin: io.BufferedIOBase | None = None,
    cache: ReadCache | None = None,
    lazy: bool = False,
) -> Dataset:
    """Read ``path`` (``-`` = stdin) and return the canonical columns in ``wanted``
    (those the file has) plus ``extra`` dimension columns, parsed by their kind. ``lazy``: a large
    CSV comes back unread (a ``LazyDataset``), for a caller that streams it through KPI statistics."""
    options = options or LoadOptions()
    extra = extra or []
    label = "<stdin>" if str(path) == "-" else str(path)
    payload = read_input(path, label, stdin)  # stdin and pipes are read once, kept, then read like a file

    def read(opts: LoadOptions, columns: list[str] | None = None) -> RawTable:
        def fresh(cols: list[str]) -> RawTable:
            return read_table(_again(payload), label, opts, columns=cols)

        cols = [] if columns is None else columns
        if cache is None or isinstance(payload, io.BytesIO):
            return fresh(cols)
        return cache.read(_cache_key(label, opts), cols, fresh)

    options, index, preset_notes = _prepare(read, source, options, label)
    mapping, notes = _resolve(index, source, wanted, options, extra)
    if options.cache and isinstance(payload, Path) and lazy and batchable(payload, label, options.cache):
        # --cache DIR for a file to stream: the KPIs' partial states are kept per file (cxkpi.stream); a KPI
        # that needs every row still gets the parsed columns from the cache
        data = _load_body(read, payload, label, source, mapping, options, preset_notes + notes, cache, lazy)
        if isinstance(data, LazyDataset):
            data.stream.cache = options.cache
        return data
    if options.cache and isinstance(payload, Path):  # --cache DIR: this file parsed by an earlier run
        from .cache import ParsedCache

        parsed = ParsedCache(options.cache)
        key = parsed.key(payload, source, mapping, options)
        data = parsed.get(key, label)
        if data is None:
            data = _load_body(read, payload, label, source, mapping, options, preset_notes + notes, cache)
            parsed.put(key, data)
        return data
    return _load_body(read, payload, label, source, mapping, options, preset_notes + notes, cache, lazy)


def _load_body(read, payload, label: str, source: str, mapping: dict, options: LoadOptions, notes: list[str],
               cache: ReadCache | None, lazy: bool = False) -> Dataset:
    """The rows of a file whose header, preset and mapping are settled: in batches when it is large."""
    headers = expr.reads(mapping)
    if isinstance(payload, Path) and batchable(payload, label, options.cache):
        key = _cache_key(label, options)
        if cache is not None and (key, source) in cache.made:  # read with an earlier source of this file
            return cache.made.pop((key, source))
        jobs = {source: (mapping, options, notes)}
        if cache is not None:  # the other sources of this file, in the same pass
            jobs.update({s: job for s, job in cache.jobs.get(key, {}).items() if s != source})
        stream = Stream(payload, label, jobs, read)
        made = {s: LazyDataset(stream, s) for s in jobs} if lazy else stream.materialize()
        if cache is not None:
            cache.made.update({(key, s): d for s, d in made.items() if s != source})
            cache.jobs.pop(key, None)
        return made[source]
    raw = read(options, headers)
    return _canonical(raw, mapping, source, label, options, notes)


class Stream:
    """A large CSV's batched read, not done yet: ``each`` runs one pass and hands every batch of every
    source that reads the file (tickets, and surveys from its CSAT column) to a sink, so KPIs that
    declare their statistic aggregate it batch by batch and the rows are never held together;
    ``materialize`` concatenates the batches into whole Datasets for the KPIs that need every row.
    Either way the file is parsed with the one-shot read's decisions and gives its results."""

    def __init__(self, path: Path, label: str, jobs: dict[str, tuple], read) -> None:
        self.path, self.label, self.jobs, self._read = path, label, jobs, read
        self._made: dict[str, Dataset] | None = None
        self.failed = False  # a pass found the file cannot be read in batches: read it whole
        self.cache: str | None = None  # --cache DIR: partial states per file, parsed columns for the rest

    def columns(self, source: str) -> list[str]:
        return list(self.jobs[source][0])

    def headers(self, source: str) -> list[str]:
        return list(self._read(self.jobs[source][1], None).headers)

    def each(self, sink: Callable[[str, Dataset], None], sources=None, collect=(),
             handoff=None) -> dict[str, Dataset]:
        """One pass: ``sink(source, batch)`` for each batch of each source in ``sources`` (all: None);
        the sources in ``collect`` are read whole in the same pass (for the KPIs that need every row).
        Returns each streamed source's Dataset without rows, with the file's notes. ``NotBatchable``
        when the file cannot be read in batches after all (the caller falls back to a whole read). With a
        ``handoff`` (``io.parts``) and nothing to collect, a large file's later parts are read by forked
        processes and the sink's states merged."""
        collect = [s for s in collect if s in self.jobs and (self._made is None or s not in self._made)]
        wanted = {s for s in self.jobs if sources is None or s in sources} | set(collect)
        jobs = {s: j for s, j in self.jobs.items() if s in wanted}
        parts: dict[str, list[Dataset]] = {s: [] for s in collect}

        def route(source: str, batch: Dataset) -> None:
            if source in parts:
                parts[source].append(batch)
            if sources is None or source in sources:
                sink(source, _zoned_alike(batch))

        plans: dict = {}
        made = _batch_pass(self.path, self.label, jobs, route, plans, handoff=None if collect else handoff)
        if collect:
            self._made = self._made or {}
            self._made.update({s: _concat(parts.pop(s), plans[s], made[s]) for s in collect if s in made})
        return made

    def materialize(self) -> dict[str, Dataset]:
        """Each source's whole Dataset (a source whose parse failed is left out: its own read says why)."""
        if self._made is None and self.cache:
            from .cache import ParsedCache

            parsed, self._made = ParsedCache(self.cache), {}
            for s, (mapping, options, notes) in self.jobs.items():
                key = parsed.key(self.path, s, mapping, options)
                data = parsed.get(key, self.label)
                if data is None:
                    try:
                        data = _load_batches(self.path, self.label, {s: self.jobs[s]})[s]
                    except NotBatchable:
                        data = self.one_shot(s)
                    parsed.put(key, data)
                self._made[s] = data
        if self._made is None:
            try:
                self._made = _load_batches(self.path, self.label, self.jobs)
            except NotBatchable:  # a ragged row or an odd byte: the one-shot read numbers and reports it exactly
                self._made = {}
                first = next(iter(self.jobs))
                self._made[first] = self.one_shot(first)
        return self._made

    def one_shot(self, source: str) -> Dataset:
        mapping, options, notes = self.jobs[source]
        return _canonical(self._read(options, expr.reads(mapping)), mapping, source, self.label, options, notes)


def _zoned_alike(batch: Dataset) -> Dataset:
    """A time column with no time in this batch, read before its zone was known (naive NaT), in the zone
    of the batch's other times, so a KPI can subtract them (whole, ``_concat`` gives it its type)."""
    frame = batch.frame
    times = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    if not times:
        return batch
    for c in frame.columns:
        if frame[c].dtype == "datetime64[ns]" and frame[c].isna().all():
            frame[c] = pd.Series(pd.NaT, index=frame.index, dtype=frame[times[0]].dtype)
    return batch


class LazyDataset(Lazy):
    """A source of a large CSV whose rows are not read yet: ``stream`` (a ``Stream``) is streamed through
    the KPIs' statistics; touching its rows reads the file whole (``Stream.materialize``)."""

    def __init__(self, stream: Stream, source: str) -> None:  # noqa: D107  (lazy: no dataclass __init__)
        mapping, options, _ = stream.jobs[source]
        self.stream = stream
        self.source, self.file, self.mapping = source, stream.label, mapping
        self.headers = stream.headers(source)  # read from the header: a message lists them
        self.preset = options.preset.name if options.preset else None
        self.withheld = dict(options.withheld)

    def _read_whole(self) -> Dataset:
        return self.stream.materialize().get(self.source) or self.stream.one_shot(self.source)

    def _columns(self) -> list[str]:
        return self.stream.columns(self.source)


def _load_batches(path: Path, label: str, jobs: dict[str, tuple]) -> dict[str, Dataset]:
    """A large CSV read in record batches, each parsed to canonical columns and the text dropped: the
    file's text is never held whole (the typed columns are a fraction of it). ``jobs`` maps each source
    that reads this file (tickets, and surveys from its CSAT column) to its mapping, options and notes:
    one pass makes them all."""
    parts: dict[str, list[Dataset]] = {s: [] for s in jobs}
    plans: dict = {}
    made = _batch_pass(path, label, jobs, lambda source, batch: parts[source].append(batch), plans)
    return {source: _concat(parts.pop(source), plans[source], into) for source, into in made.items()}


def _batch_pass(path: Path, label: str, jobs: dict[str, tuple], sink: Callable[[str, Dataset], None],
                plans: dict | None = None, handoff=None) -> dict[str, Dataset]:
    """One pass over a large CSV: each batch parsed for each source of ``jobs`` and given to
    ``sink(source, batch)``. Each time column is parsed the way its first batch decided (``plans``), so
    the batches are the one-shot read's rows. Returns each source's Dataset without rows, with the
    file's notes (tallied over the batches); a source whose parse fails is left out (its own load says
    why), except the first, whose error is raised.

    With a ``handoff`` (``io.parts.Handoff``: the sink's states, sent and merged), the file's later
    parts are read by forked processes once the first batch has decided, and merged in file order."""
    from . import parts

    first = next(iter(jobs.values()))[1]
    headers = list(dict.fromkeys(h for mapping, _, _ in jobs.values() for h in expr.reads(mapping)))
    cuts = _cuts(path, first, handoff)
    file_headers, aliases, batches = iter_csv(path, label, first, headers, span=(cuts[0], cuts[1]))
    plans = {} if plans is None else plans
    plans.update({s: {} for s in jobs})
    tallies: dict = {s: {} for s in jobs}
    mine = next(iter(jobs))
    failed: set[str] = set()
    times = {s: [c for c in mapping if column_kind(s, c) == "time"] for s, (mapping, _, _) in jobs.items()}

    def take(frame) -> None:
        raw = RawTable(frame, file_headers, aliases=aliases)
        for source, (mapping, options, _) in jobs.items():
            if source in failed:
                continue
            try:
                batch = _canonical(raw, mapping, source, label, options, [], plans[source], tallies[source])
            except CxkpiError:
                if source == mine:
                    raise
                failed.add(source)  # another source's error is said by that source's own load
                continue
            sink(source, batch)

    counters = ("iso_read", "present")

    def part(span: tuple[int, int], wait) -> dict | None:
        """A child's share: its first batch read while the parent decides, then its part measured on the
        parent's decisions (``wait()``), its own counts from zero. None: there were no decisions."""
        read = iter(iter_csv(path, label, replace(first, progress=False), headers, span=span)[2])
        head = next(read, None)
        decided = wait()
        if decided is None:
            return None
        for s in jobs:
            plans[s] = {c: {k: v for k, v in p.items() if k not in counters} for c, p in decided["plans"][s].items()}
        failed.clear()
        failed.update(decided["failed"])
        handoff.decide(decided["handoff"])
        rows = 0
        for frame in ([] if head is None else [head]):
            take(frame)
            rows += len(frame)
        for frame in read:
            take(frame)
            rows += len(frame)
        return {"state": handoff.export(), "rows": rows, "tallies": tallies, "failed": set(failed),
                "counts": {s: {c: {k: p[k] for k in counters if k in p} for c, p in plans[s].items()} for s in jobs}}

    kids = parts.Children()
    try:
        row = 2 + header_rows(first) - 1
        told = len(cuts) <= 2
        if not told:  # at once, holding little: each child reads its first batch while this one decides
            kids.start(list(zip(cuts[1:-1], cuts[2:])), part)
        for frame in batches:
            take(frame)
            row += len(frame)
            if not told and all("kind" in plans[s].get(c, {}) for s in jobs if s not in failed for c in times[s]):
                kids.tell({"plans": plans, "failed": set(failed), "handoff": handoff.decisions()})
                told = True
        if not told:  # a time column empty in every row of the first part: its children read nothing
            kids.tell(None)
        for n, span in enumerate(zip(cuts[1:-1], cuts[2:])):
            got = kids.result(n, max(60.0, 3 * (time.monotonic() - kids.began)))
            if got is None:  # not forked, or the child could not finish: read here, rows numbered in place
                for frame in iter_csv(path, label, first, headers, span=span, first_row=row)[2]:
                    take(frame)
                    row += len(frame)
                continue
            handoff.absorb(got["state"], row - (2 + header_rows(first) - 1))
            row += got["rows"]
            failed |= got["failed"]
            for s in jobs:
                _add_tallies(tallies[s], got["tallies"][s])
                for c, counts in got["counts"][s].items():
                    for k, v in counts.items():
                        plans[s].setdefault(c, {})[k] = plans[s].get(c, {}).get(k, 0) + v
    finally:
        kids.close()
    for plan in (p for s in jobs if s not in failed for p in plans[s].values()):
        if plan.get("kind") in ("iso", "mixed") and \
                ("mixed" if plan["iso_read"] < plan["present"] * 0.5 else "iso") != plan["kind"]:
            raise NotBatchable()  # the first batch's ISO-or-mixed is not the whole file's: read it in one shot
    out = {}
    for source, (mapping, options, notes) in jobs.items():
        if source in failed:
            continue
        out[source] = Dataset(
            frame=pd.DataFrame(), source=source, file=label, headers=file_headers, mapping=mapping,
            notes=notes + _tally_notes(tallies[source], mapping),
            preset=options.preset.name if options.preset else None, withheld=dict(options.withheld))
    return out


def _cuts(path: Path, options: LoadOptions, handoff) -> list[int]:
    """Where the file is cut to be read by several processes (``io.parts.cuts``): ``[0, size]`` without
    a ``handoff``, on one core, or for a file too small to gain from it (each part at least two batches)."""
    from . import parts
    from .read import batch_bytes, plan_encoding

    size = path.stat().st_size
    if handoff is None or parts.jobs() < 2:
        return [0, size]
    # a child reads its first batch at once but measures it once the parent's first batch is read and
    # measured: about a batch after the parent, which reads that much more
    n = parts.jobs()
    return parts.cuts(path, plan_encoding(path, options), header_rows(options), 2 * batch_bytes(), n,
                      lead=batch_bytes())


def _add_tallies(into: dict, more: dict) -> None:
    """A part's note counts added to the file's (``_canonical``'s tallies)."""
    for k, v in more.items():
        if isinstance(k, tuple):  # ("dst_gap", column) -> (count, zone)
            into[k] = (into.get(k, (0, v[1]))[0] + v[0], v[1])
        else:
            into[k] = into.get(k, 0) + v


def _as_type(col: pd.Series, dtype) -> pd.Series:
    """A batch's time column in the type a later batch decided: a batch with no time at all was read
    before the column's zone was known (naive NaT cannot be cast to a zoned type)."""
    if dtype is None or col.dtype == dtype:
        return col
    if col.isna().all():
        return pd.Series(pd.NaT, index=col.index, dtype=dtype)
    return col.astype(dtype)


def _concat(parts: list[Dataset], plans: dict, into: Dataset) -> Dataset:
    """One Dataset from consecutive batches: categories united, invalid cells and their flags joined."""
    from pandas.api.types import union_categoricals

    if not parts:
        return into
    columns = list(parts[0].frame.columns)
    index = pd.Index(np.concatenate([p.frame.index.to_numpy() for p in parts]), dtype="int64")
    frame = {}
    for c in columns:  # column by column, each batch's copy dropped once joined: the peak is one column over
        cols = [p.frame[c] for p in parts]
        if any(isinstance(x.dtype, pd.CategoricalDtype) for x in cols):
            joined = union_categoricals([x.astype("category") for x in cols], sort_categories=True)
            frame[c] = pd.Series(joined, index=index)
        else:
            dtype = plans.get(c, {}).get("dtype")
            frame[c] = pd.concat([_as_type(x, dtype) for x in cols])
        del cols
        for p in parts:
            del p.frame[c]
    into.frame = pd.DataFrame(frame, index=index, copy=False)
    invalid: dict[str, pd.Series] = {}
    for c in dict.fromkeys(k for p in parts for k in p.invalid):
        bads = [p.invalid[c] for p in parts if c in p.invalid]
        joined = pd.concat(bads) if len(bads) > 1 else bads[0]
        flagged = tuple(i for b in bads for i in b.attrs.get("not_finite", ()))
        joined.attrs = {"not_finite": flagged} if flagged else {}
        invalid[c] = joined
    into.invalid = invalid
    return into




@dataclass
class SourceChoice:
    """One way to read a file: as this logical source, with its columns and options."""

    source: str
    wanted: list[str]
    options: LoadOptions
    extra: list[str] = field(default_factory=list)


def _findable(index: HeaderIndex, choice: SourceChoice) -> set[str]:
    """The wanted canonical columns the file has (mapped headers that are missing do not count)."""
    found: set[str] = set()
    for canonical in choice.wanted:
        header = choice.options.columns.get(canonical)
        if header is not None:
            if expr.findable(header, index, canonical):
                found.add(canonical)
        elif canonical in choice.options.candidates and \
                find_candidate(choice.options.candidates[canonical], index, index.aliases) is not None:
            found.add(canonical)
        elif index.auto(canonical) is not None:
            found.add(canonical)
    return found


def load_any(
    path: str | os.PathLike,
    choices: list[SourceChoice],
    viable: Callable[[str, set[str]], bool],
    none_viable: Callable[[str, list[str]], str],
    stdin: io.BufferedIOBase | None = None,
) -> Dataset:
    """Load ``path`` as the first choice whose columns satisfy ``viable(source, canonical_found)``.

    For KPIs that read any of several sources (churn: subscriptions, orders or a CRM snapshot).
    Only the header is read per choice (stdin is read once and kept). When no choice fits,
    ``none_viable(file, headers)`` gives the message of the ``MissingColumnsError``.
    """
    label = "<stdin>" if str(path) == "-" else str(path)
    payload = read_input(path, label, stdin)

    def table(options: LoadOptions, columns: list[str] | None) -> RawTable:
        return read_table(_again(payload), label, options, columns=columns)

    headers: list[str] = []
    for choice in choices:
        options, index, preset_notes = _prepare(lambda o: table(o, []), choice.source, choice.options, label)
        headers = index.headers
        choice = replace(choice, options=options)
        if not viable(choice.source, _findable(index, choice)):
            continue
        mapping, notes = _resolve(index, choice.source, choice.wanted, choice.options, choice.extra)
        raw = table(choice.options, expr.reads(mapping))
        return _canonical(raw, mapping, choice.source, label, choice.options, preset_notes + notes)
    raise MissingColumnsError(none_viable(label, headers))


def _label_mask(col: pd.Series, labels: tuple[str, ...]) -> pd.Series:
    """Rows whose cell is one of ``labels`` (case- and space-insensitive; ``""`` = an empty cell)."""
    keys = {" ".join(str(v).lower().split()) for v in labels}
    cell = values.text(col).str.lower().str.replace(r"\s+", " ", regex=True)
    hit = cell.isin(keys).fillna(False).astype(bool)
    return hit | cell.isna() if "" in keys else hit


def _canonical(raw: RawTable, mapping: dict[str, str], source: str, label: str,
               options: LoadOptions, notes: list[str], plans: dict | None = None,
               tallies: dict | None = None) -> Dataset:
    """The canonical, parsed columns of ``raw``. For one batch of a file, ``plans`` carries each time
    column's parsing decision to the next batch and ``tallies`` collects the counts behind the notes
    (daylight-saving gaps, rows never sent a survey), said once for the file by ``_tally_notes``."""
    frame = pd.DataFrame(index=raw.frame.index)
    invalid: dict[str, pd.Series] = {}
    asked_not_answered = pd.Series(False, index=frame.index)
    never_asked = pd.Series(False, index=frame.index)
    for canonical, header in mapping.items():
        col, unreadable = header.evaluate(raw.frame) if isinstance(header, expr.Computed) else (raw.frame[header], None)
        kind = column_kind(source, canonical)
        if canonical in options.unanswered or canonical in options.uninvited:
            skip_mask = _label_mask(col, options.unanswered.get(canonical, ()))
            never = _label_mask(col, options.uninvited.get(canonical, ()))
            asked_not_answered |= skip_mask
            never_asked |= never
            col = col.mask(skip_mask | never)
        if canonical in options.labels:
            col = values.label_map(col, options.labels[canonical])
        parsed, bad = _parse(col, kind, canonical, options, None if plans is None else plans.setdefault(canonical, {}))
        if parsed.attrs.get("dst_gap") and tallies is not None:
            count, zone = parsed.attrs["dst_gap"]
            before = tallies.get(("dst_gap", canonical), (0, zone))[0]
            tallies[("dst_gap", canonical)] = (before + count, zone)
        elif parsed.attrs.get("dst_gap"):
            notes = notes + [_dst_note(canonical, *parsed.attrs["dst_gap"])]
        if canonical in options.add and kind in ("number", "seconds", "duration"):
            parsed = parsed + options.add[canonical]
        frame[canonical] = parsed
        bad = bad if unreadable is None else expr.merge_bad(unreadable, bad)
        if len(bad):
            invalid[canonical] = bad
    if asked_not_answered.any() or never_asked.any():
        if tallies is not None:
            tallies["never"] = tallies.get("never", 0) + int(never_asked.sum())
            frame, _ = _survey_status(frame, asked_not_answered, never_asked, [])
        else:
            frame, notes = _survey_status(frame, asked_not_answered, never_asked, notes)
    return Dataset(frame=frame, source=source, file=label, invalid=invalid, bad_rows=raw.bad_rows,
                   headers=raw.headers, mapping=mapping, notes=notes,
                   preset=options.preset.name if options.preset else None, withheld=dict(options.withheld))


def _survey_status(frame: pd.DataFrame, asked: pd.Series, never: pd.Series,
                   notes: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Labels such as Zendesk's "Offered" (asked, no answer) and "Not Offered" (never asked).

    An unanswered row keeps its invitation but loses its response time, so NPS/CSAT leave it out
    and response-rate counts it; a never-asked row is no survey row at all and is dropped, with a
    note that says how many.
    """
    frame = frame.copy()
    if "sent_at" not in frame.columns:
        # a row per conversation or ticket, each asked for a rating: it was invited when it happened
        frame["sent_at"] = frame["responded_at"] if "responded_at" in frame.columns else pd.NaT
    if "responded_at" in frame.columns:
        frame.loc[asked | never, "responded_at"] = pd.NaT
    frame.loc[never, "sent_at"] = pd.NaT
    dropped = int(never.sum())
    if dropped:
        frame = frame.loc[~never.to_numpy()]
        notes = notes + [_never_note(dropped)]
    return frame, notes


def _never_note(dropped: int) -> str:
    rows = "row" if dropped == 1 else "rows"
    return f"{dropped} {rows} never sent a survey: not survey rows, not counted"


def _dst_note(canonical: str, count: int, zone: str) -> str:
    times = "time falls" if count == 1 else "times fall"
    return (f"{canonical}: {count} local {times} in a daylight-saving gap in {zone} (the clocks "
            "skipped that hour): skipped as unreadable, not moved")


def _tally_notes(tallies: dict, mapping: dict[str, str]) -> list[str]:
    """The notes of a batched read, in the order the one-shot read says them."""
    notes = [_dst_note(c, *tallies[("dst_gap", c)]) for c in mapping if ("dst_gap", c) in tallies]
    if tallies.get("never"):
        notes.append(_never_note(tallies["never"]))
    return notes


def _parse(col: pd.Series, kind: str, name: str, options: LoadOptions,
           plan: dict | None = None) -> tuple[pd.Series, pd.Series]:
    try:
        if kind == "time":
            return values.timestamps(col, name, options.timezone, options.dayfirst, options.date_format,
                                     naive_zone=options.data_timezone, plan=plan)
        if kind == "number":
            return values.numbers(col)
        if kind == "money":
            return values.money(col)
        if kind == "duration":
            return values.durations(col, options.units.get(name, "min"))
        if kind == "seconds":
            minutes, bad = values.durations(col, options.units.get(name, "s"))
            return minutes * 60, bad
        if kind == "flag":
            return values.flags(col)
    except InputError:
        raise
    except (ValueError, TypeError, OverflowError) as e:
        raise InputError(f"column {name!r}: cannot parse values as {kind}: {e}") from None
    if kind == "score":
        return col, col.iloc[:0]
    s = values.categories(col) if kind == "category" else values.text(col)
    return s, s.iloc[:0]

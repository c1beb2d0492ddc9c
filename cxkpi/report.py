"""``cxkpi report``: every configured KPI, each source read once, with status and comparison.

It reuses the registry, ``api`` and the engine's result objects; nothing is
computed its own way. A KPI's headline is its total, or with ``--period`` the
latest period; ``--compare`` puts another period beside it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from . import __version__
from .api import RunOptions, build_request, load_options, source_file, wanted_columns
from .compare import ALERT, BELOW_TARGET, FAILED, NONE, STATUSES, WARN, Significance, Thresholds, significance, status
from .config import Config
from .engine import Request, compute, time_column
from .errors import CxkpiError, FilesDifferError, MissingColumnsError, MissingExtraError, MissingSettingError, PeriodError, UsageError
from .io.files import FileSet, LazyFiles, load_source  # one file, or a FileSet file by file
from .io.load import LazyDataset
from .periods import label_start, period_label
from .registry import KpiSpec, load_all
from .results import KpiResult, _jsonable, clean_number
from .sources import SOURCES

REPORT_SCHEMA = "cxkpi.report/1"
# the report section of each source, from the sources table (a new source brings its own area)
AREAS = {name: src.area for name, src in SOURCES.items()}


@dataclass(frozen=True)
class Comparison:
    mode: str
    current_period: str
    previous_period: str
    current: float | None
    previous: float | None
    current_n: int
    previous_n: int
    significance: Significance | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    def to_dict(self) -> dict:
        return {"mode": self.mode, "current_period": self.current_period, "previous_period": self.previous_period,
                "current": clean_number(self.current), "previous": clean_number(self.previous),
                "change": clean_number(self.change), "current_n": self.current_n, "previous_n": self.previous_n,
                "significance": None if self.significance is None else
                {k: clean_number(v) for k, v in self.significance.to_dict().items()}}


@dataclass(frozen=True)
class Entry:
    kpi: str
    title: str
    area: str
    unit: str
    higher_is_better: bool | None
    result: KpiResult | None
    headline: float | None
    headline_period: str | None
    status: str
    thresholds: Thresholds
    reference: str | None
    trend: tuple[tuple[str, float | None, int], ...] = ()
    comparison: Comparison | None = None
    error: str | None = None
    # the n and breakdown of the headline value (the latest period's with --period, else the total's)
    n: int | None = None
    breakdown: dict = field(default_factory=dict)
    # first and last timestamp of the KPI's time column in the data read (ISO dates), if it has one
    data_from: str | None = None
    data_to: str | None = None

    def to_dict(self) -> dict:
        return {
            "kpi": self.kpi, "title": self.title, "area": self.area, "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "value": clean_number(self.headline), "period": self.headline_period, "n": self.n,
            "status": self.status,
            "target": clean_number(self.thresholds.target), "warn": clean_number(self.thresholds.warn),
            "alert": clean_number(self.thresholds.alert), "reference": self.reference,
            "trend": [{"period": p, "value": clean_number(v), "n": n} for p, v, n in self.trend],
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "data_from": self.data_from, "data_to": self.data_to,
            "error": self.error,
            "result": self.result.to_dict() if self.result else None,
        }


@dataclass
class Report:
    entries: list[Entry]
    period: str | None
    compare: str | None
    generated_at: str
    config: dict[str, Any] = field(default_factory=dict)
    failed_sources: dict[str, str] = field(default_factory=dict)
    not_computed: dict[str, str] = field(default_factory=dict)
    title: str = "Customer experience KPIs"
    timezone: str | None = None      # the config's zone: the human layouts show times in it
    currency: str | None = None      # the config's currency code for money KPIs (EUR); None: plain numbers

    @property
    def results(self) -> list[KpiResult]:
        return [e.result for e in self.entries if e.result is not None]

    @property
    def breaches(self) -> list[Entry]:
        return [e for e in self.entries if e.status in (WARN, ALERT)]

    @property
    def needs_attention(self) -> list[Entry]:
        """Every KPI worse than its target or past a limit (breaches plus "below target")."""
        return [e for e in self.entries if e.status in (BELOW_TARGET, WARN, ALERT)]

    @staticmethod
    def _most_common(values) -> str | None:
        counts: dict[str, int] = {}
        for v in values:
            if v is not None:
                counts[v] = counts.get(v, 0) + 1
        return max(counts, key=lambda k: (counts[k], k)) if counts else None

    @property
    def headline_period(self) -> str | None:
        """The period most headlines are (the latest); a KPI whose data ends earlier differs from it."""
        return self._most_common(e.headline_period for e in self.entries)

    @property
    def compare_period(self) -> str | None:
        return self._most_common(e.comparison.previous_period for e in self.entries if e.comparison)

    @property
    def data_range(self) -> tuple[str | None, str | None]:
        starts = [e.data_from for e in self.entries if e.data_from]
        ends = [e.data_to for e in self.entries if e.data_to]
        return (min(starts) if starts else None, max(ends) if ends else None)

    def data_quality(self) -> dict:
        """Per KPI: rows read, rows used (rows − skipped, so never more than rows), skipped with reasons,
        and n, what the value counts (answers, tickets, customer-months: may exceed rows)."""
        out = {}
        for r in self.results:
            out[r.kpi] = {"rows": r.rows, "used": max(r.rows - r.skipped.total, 0), "skipped": r.skipped.total,
                          "reasons": dict(r.skipped.counts), "file": r.file, "n": r.n}
        return out

    def to_dict(self) -> dict:
        return {
            "schema": REPORT_SCHEMA,
            "title": self.title,
            "generated_at": self.generated_at,
            "cxkpi_version": __version__,
            "period": self.period,
            "compare": self.compare,
            "headline_period": self.headline_period,
            "compare_period": self.compare_period,
            "data_range": {"from": self.data_range[0], "to": self.data_range[1]},
            "currency": self.currency,
            "kpis": [e.to_dict() for e in self.entries],
            "breaches": [{"kpi": e.kpi, "status": e.status, "value": clean_number(e.headline),
                          "period": e.headline_period, "warn": clean_number(e.thresholds.warn),
                          "alert": clean_number(e.thresholds.alert), "target": clean_number(e.thresholds.target)}
                         for e in self.breaches],
            "failed_sources": dict(self.failed_sources),
            "not_computed": dict(self.not_computed),
            "data_quality": self.data_quality(),
            "config": _jsonable(self.config),
        }


def _selected(config: Config, registry: dict[str, KpiSpec]) -> list[KpiSpec]:
    names = config.report.get("kpis")
    if names:
        unknown = [n for n in names if n not in registry]
        if unknown:
            raise UsageError(f"report.kpis: unknown KPI {unknown[0]!r} (see `cxkpi kpis`)")
        return [registry[n] for n in names]
    configured = set(config.sources)
    return [s for s in registry.values() if (config.kpi(s.name).get("source") or s.source) in configured]


def _previous_label(current_start: pd.Timestamp, period: str, mode: str) -> pd.Timestamp:
    if mode == "previous":
        offsets = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
                   "quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1)}
        return current_start - offsets[period]
    if mode == "same-last-year":
        return current_start - pd.DateOffset(years=1)
    raise UsageError(f"--compare {mode!r}: expected previous, same-last-year or a period such as 2025-05")


def build_report(config: Config, period: str | None = None, compare: str | None = None,
                 since: str | None = None, until: str | None = None, strict: bool = False,
                 on_error: str | None = None, progress=None, cache: str | None = None,
                 engine: str | None = None, scheduler: str | None = None) -> Report:
    registry = load_all()
    on_error = on_error or config.report.get("on_source_error", "abort")
    period = period or config.report.get("period")
    if compare and not period:
        period = "month"
    specs = _selected(config, registry)
    run = RunOptions(since=since, until=until, strict=strict, progress=progress is not None and _stderr_tty(),
                     cache=cache, engine=engine or "local", scheduler=scheduler)
    by_source: dict[str, list[tuple[KpiSpec, Request]]] = {}
    for spec in specs:
        source = config.kpi(spec.name).get("source") or spec.source
        by_source.setdefault(source, []).append((spec, build_request(spec, config, run)))

    entries: dict[str, Entry] = {}
    failed: dict[str, str] = {}
    not_computed: dict[str, str] = {}
    # a file that several sources name (tickets with their CSAT) is read once, through one cache
    readers = _shared_files(config, by_source, run)
    streamed: dict[tuple, tuple] = {}  # (source, kpi) -> (result, data range) of a file streamed in batches
    loaded: dict[str, Any] = {}  # a source loaded early, to share a folder's pass with an earlier source

    def load(source: str, items: list):
        if source in loaded:
            return loaded.pop(source)
        wanted, extra = _columns(items, source, config)
        path = source_file(config, source, run, items[0][0].name)
        if progress and _stderr_tty():  # a cron mail or a log gets no progress lines
            progress(f"reading {source}: {path}")
        shared = readers.get(source)
        return load_source(path, source, wanted, load_options(config, source, run), extra,
                           cache=shared[0] if shared else None,
                           lazy=any(_may_stream(spec, request) for spec, request in items))

    for source, items in by_source.items():
        try:
            dataset = load(source, items)
            shared = readers.get(source)
            if getattr(dataset, "stream", None) is not None and (source, None) not in streamed:
                together = {source: dataset}
                for other in [s for s in by_source if shared and s in shared[1]]:
                    # a folder that several sources name: the others' files are opened now, so one pass
                    # over each file serves them all (one file already does: its sources share a Stream)
                    if other != source and (other, None) not in streamed and isinstance(dataset, LazyFiles):
                        try:
                            loaded[other] = together[other] = load(other, by_source[other])
                        except CxkpiError:
                            continue  # its own turn in this loop says what is wrong
                streamed.update(_stream(dataset, by_source, period, together))
            if shared:
                shared[1].discard(source)
                if not shared[1]:  # the last source of this file: its raw columns go
                    shared[0].clear()
        except CxkpiError as e:
            if on_error != "continue":
                raise
            failed[source] = str(e)
            for spec, _ in items:
                entries[spec.name] = _failed_entry(spec, config, str(e))
            continue
        for spec, request in items:
            chosen = bool(config.report.get("kpis")) or spec.name in config.kpis
            missing = spec.missing(dataset.columns)
            if missing and not chosen:
                not_computed[spec.name] = f"{source} has no column {' / '.join(missing)}"
                continue
            try:
                entries[spec.name] = _joined_entry(spec, source, dataset, request, config, run, period, compare) \
                    or _topics_with_surveys(spec, dataset, request, config, run, period, compare) \
                    or _entry(spec, dataset, request, config, period, compare, streamed.get((source, spec.name)))
            except FilesDifferError as e:  # found when a folder streamed lazily is read whole: its source failed
                if on_error != "continue":
                    raise
                entries[spec.name] = _failed_entry(spec, config, str(e))
                failed.setdefault(source, str(e))
            except (MissingColumnsError, MissingSettingError) as e:
                if chosen:
                    raise
                not_computed[spec.name] = str(e)
            except PeriodError as e:  # the report's period does not fit this KPI's data: the rest stands
                not_computed[spec.name] = f"{e} (--period {period})" if period else str(e)
            except MissingExtraError as e:
                # An optional library is absent: the rest of the report still stands (exit 0).
                not_computed[spec.name] = str(e)
            except CxkpiError as e:
                if on_error != "continue":
                    raise
                entries[spec.name] = _failed_entry(spec, config, str(e))
                failed.setdefault(source, str(e))
    ordered = [entries[s.name] for s in specs if s.name in entries]
    return Report(
        entries=ordered, period=period, compare=compare,
        generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        config=config.raw, failed_sources=failed, not_computed=not_computed,
        title=config.report.get("title", "Customer experience KPIs"),
        timezone=config.timezone, currency=config.currency,
    )


def _joined_entry(spec: KpiSpec, source: str, dataset, request: Request, config: Config, run: RunOptions,
                  period: str | None, compare: str | None) -> Entry | None:
    """A KPI whose ``by:`` names another source's column (``tickets.topic``, docs/joins.md): the other
    source's column added to the source's rows (read with the join key, see ``_columns``) as
    ``cxkpi csat --by tickets.topic`` adds it (unmatched rows skipped with their reason). None when
    the KPI has no joined --by."""
    from . import join

    joins = join.plan(config, source, request.by)
    if not joins:
        return None
    request = replace(request, by=joins.by)
    spec, dataset = join.apply(joins, spec, dataset, config, run)
    return _entry(spec, dataset, request, config, period, compare)


def _topics_with_surveys(spec: KpiSpec, dataset, request: Request, config: Config, run: RunOptions,
                         period: str | None, compare: str | None) -> Entry | None:
    """Top topics with each topic's CSAT from the surveys when the tickets carry no satisfaction column
    and the config joins surveys to tickets: each ticket takes its CSAT survey's answer (a ticket
    without one has none; it still counts in its topic), read on the CSAT KPI's scale. None when this
    does not apply. Two CSAT answers for one ticket leave CSAT per topic empty, with a note."""
    from . import join
    from .api import _load

    if spec.name != "topics" or "satisfaction" in dataset.frame.columns:
        return None
    link = join.find_join(config, "tickets", "surveys")
    surveys = config.source("surveys")
    if link is None or not (surveys.get("file") or surveys.get("files")):  # files: is several exports
        return None
    key = link.key_of("tickets")
    tickets = dataset if key in dataset.frame.columns else _load(spec, config, run, request, "tickets", [key])
    csat = config.kpi("csat")
    settings = {"scale": csat.get("scale"), "satisfied_min": csat.get("satisfied_min"),
                **{k: v for k, v in request.settings.items() if v is not None}}
    try:
        side = join._load_other(config, run, "surveys", link.key_of("surveys"), ["score"])
        added, _, notes = join._join(tickets.frame[key], side, link, "tickets", "surveys", ["score"])
    except UsageError as e:  # a ticket with two CSAT answers: no CSAT per topic rather than a failed report
        note = f"CSAT per topic is empty: the surveys joined by {link.text} cannot be used ({e})"
        return _entry(spec, replace(tickets, notes=list(tickets.notes) + [note]), request, config, period, compare)
    answers = added["surveys.score"].mask(added["surveys.score"] == join.UNMATCHED)
    # an empty or unreadable answer is the CSAT KPI's skip, not a reason to drop the ticket from its topic
    from .kpis.workload import _csat

    _, unusable, _ = _csat(pd.DataFrame({"satisfaction": answers}), {**spec.defaults(), **settings})
    answers = answers.mask(answers.index.isin(unusable.index))
    answered = int(answers.notna().sum())
    note = (f"CSAT per topic from the surveys joined by {link.text}: {answered:,} of {len(answers):,} tickets "
            "have an answer")
    frame = tickets.frame.assign(satisfaction=answers)
    tickets = replace(tickets, frame=frame, notes=list(tickets.notes) + [note] + notes)
    request = replace(request, settings={**settings, "satisfaction_from": "the joined surveys"})
    return _entry(spec, tickets, request, config, period, compare)


def _shared_files(config: Config, by_source: dict, run: RunOptions) -> dict:
    """source -> (the ReadCache of its file, the sources still to read it), for files named by more
    than one source; a source whose file cannot be named here is left to the main loop's errors."""
    from .io.load import ReadCache, read_plan

    paths: dict[str, str] = {}
    users: dict = {}
    for source, items in by_source.items():
        try:
            paths[source] = path = source_file(config, source, run, items[0][0].name)
        except CxkpiError:
            continue
        if isinstance(path, FileSet):  # a folder: shared file by file
            files = tuple(os.path.realpath(p) for p in path.paths)
            if files and all(os.path.isfile(p) for p in files):
                users.setdefault(files, []).append(source)
        elif str(path) != "-" and os.path.isfile(path):  # a pipe or a device is read once, by its source
            users.setdefault(os.path.realpath(str(path)), []).append(source)
    out: dict = {}
    for name, sources in users.items():
        if len(sources) > 1:
            several = isinstance(name, tuple)
            cache, pending = (_FileCaches({f: ReadCache() for f in name}) if several else ReadCache()), set(sources)
            for source in sources:
                out[source] = (cache, pending)
                try:  # the columns every source of this file reads, known before the first read
                    wanted, extra = _columns(by_source[source], source, config)
                    options = load_options(config, source, run)
                    for f in (paths[source].paths if several else [paths[source]]):
                        read_plan(f, source, wanted, options, extra,
                                  cache[os.path.realpath(f)] if several else cache)
                except CxkpiError:
                    continue  # the main loop reports it for that source
    return out


class _FileCaches(dict):
    """A folder's ReadCache per file (realpath -> cache), cleared together after its last source."""

    def clear(self) -> None:
        for cache in self.values():
            cache.clear()
        super().clear()


def _columns(items: list, source: str, config: Config | None = None) -> tuple[list[str], list[str]]:
    """The canonical columns and the extra (--by/--where) columns a source's KPIs read, with the join
    keys of a joined ``by:`` (tickets.topic), so the one read of the source serves that KPI too."""
    from . import join

    wanted: list[str] = []
    extra: list[str] = []
    for spec, request in items:
        w, e = wanted_columns(spec, request, source)
        wanted += w
        extra += e
        if config is not None and any("." in b for b in request.by):
            try:
                wanted += join.plan(config, source, request.by).keys
            except CxkpiError:
                pass  # an undeclared join: said by that KPI's own entry, which fails alone
    return list(dict.fromkeys(wanted)), list(dict.fromkeys(extra))


def _stderr_tty() -> bool:
    import sys

    return sys.stderr.isatty()


def _failed_entry(spec: KpiSpec, config: Config, error: str) -> Entry:
    return Entry(spec.name, spec.title, AREAS[spec.source], spec.unit, spec.higher_is_better,
                 None, None, None, FAILED, Thresholds.from_block(config.kpi(spec.name)), spec.benchmark,
                 error=error)


def _may_stream(spec: KpiSpec, request: Request) -> bool:
    """Whether this KPI may be computed batch by batch (see ``engine.streamable``; not a joined by:)."""
    return spec.statistic is not None and not any("." in b for b in request.by)


def _entry_request(spec: KpiSpec, request: Request, dataset, period: str | None) -> Request:
    from .api import with_preset_settings

    request = with_preset_settings(spec, request, dataset)
    return replace(request, period=period, trend=True) if period else request


def _stream(dataset, by_source: dict, period: str | None, together: dict | None = None) -> dict:
    """The KPIs of every source of ``dataset``'s file that can be streamed, computed in one pass over it;
    the sources' other KPIs get their rows whole from the same pass. ``together``: the sources of a
    folder that several name (source -> its LazyFiles), streamed in one pass over each file; a source
    among them with a KPI that needs every row is left to its own read. Returns (source, kpi) ->
    (result, data range), and (source, None) for each source the pass served."""
    from .engine import check, streamable
    from .io.files import SharedFiles
    from .stream import run_many

    stream = dataset.stream
    shared = SharedFiles.of(together) if together and len(together) > 1 else None
    if shared is not None:
        stream, lazies = shared, dict(together)
    else:
        lazies = {s: (dataset if s == dataset.source else LazyDataset(stream, s)) for s in stream.jobs}
    items, collect = {}, []
    for source in lazies:
        for spec, request in by_source.get(source, []):
            main = _entry_request(spec, request, lazies[source], period)
            try:
                check(spec, lazies[source], main)
            except CxkpiError:
                continue  # a column it lacks: its own entry says so (not computed, or failed)
            if _may_stream(spec, request) and streamable(spec, main, lazies[source]):
                items.setdefault(source, []).append((spec, main))
            elif source not in collect:
                collect.append(source)
    served = list(lazies)
    if shared is not None:  # a folder is streamed only without whole reads (run_many): those sources read alone
        served = [s for s in items if s not in collect]
        items = {s: items[s] for s in served}
        collect = []
    if not items:
        return {}
    try:
        made = run_many(items, {s: lazies[s] for s in items} if shared is not None else lazies, collect,
                        stream=stream)
    except CxkpiError:
        return {}  # one KPI's error (NPS refusing a 1-5 survey): each KPI is computed on its own, so it fails alone
    if made is None:
        return {}
    made.update({(s, None): () for s in served})
    return made


def _entry(spec: KpiSpec, dataset, request: Request, config: Config, period: str | None,
           compare: str | None, streamed: tuple | None = None) -> Entry:
    block = config.kpi(spec.name)
    if streamed:
        result, span = streamed
    else:
        result, span = compute(spec, dataset, _entry_request(spec, request, dataset, period)), None
    trend_groups = result.trend if result.trend is not None else result.groups
    trend: list[tuple[str, float | None, int, dict, Any]] = []
    if period:
        # only groups that are a period alone: a KPI that adds its own key (a theme, a topic) has many
        # groups per period, and neither its trend nor its latest value is one of them
        for g in trend_groups:
            if set(g.key) == {"period"}:
                trend.append((g.key["period"], g.value, g.n, {**g.breakdown, "n": g.n}))
    headline, headline_period = result.value, None
    n, breakdown = result.n, {**result.breakdown, "n": result.n}
    if trend:
        headline_period, headline, n, breakdown = trend[-1]
    comparison = None
    if compare and trend:
        comparison = _compare(spec, trend, period, compare)
    thresholds = Thresholds.from_block(block)
    if streamed:
        data_from, data_to = (span[0].date().isoformat(), span[1].date().isoformat()) if span else (None, None)
    else:
        data_from, data_to = _data_range(spec, dataset)
    return Entry(
        kpi=spec.name, title=block.get("title", spec.title), area=AREAS[spec.source],
        unit=result.unit, higher_is_better=spec.higher_is_better, result=result,
        headline=headline, headline_period=headline_period,
        status=status(headline, spec.higher_is_better, thresholds), thresholds=thresholds,
        reference=None if thresholds.any else spec.benchmark,
        trend=tuple((p, v, k) for p, v, k, _ in trend), comparison=comparison,
        n=n, breakdown=breakdown, data_from=data_from, data_to=data_to,
    )


def _data_range(spec: KpiSpec, dataset) -> tuple[str | None, str | None]:
    """The first and last date in the KPI's time column (None when it has none or no readable time)."""
    tcol = time_column(spec, dataset.source)
    if not tcol or tcol not in dataset.frame.columns:
        return None, None
    t = dataset.frame[tcol]
    if not pd.api.types.is_datetime64_any_dtype(t):
        return None, None
    t = t.dropna()
    if t.empty:
        return None, None
    return t.min().date().isoformat(), t.max().date().isoformat()


def _compare(spec: KpiSpec, trend: list, period: str, mode: str) -> Comparison:
    labels = {p: (v, n, b) for p, v, n, b in trend}
    current_label = trend[-1][0]
    if mode not in ("previous", "same-last-year"):
        target = str(mode)
    else:
        start = label_start(current_label, period)
        target = period_label(_previous_label(start, period, mode), period)
    cur_v, cur_n, cur_b = labels[current_label]
    prev_v, prev_n, prev_b = labels.get(target, (None, 0, None))
    sig = significance(spec, cur_b, prev_b) if prev_b is not None else None
    return Comparison(mode, current_label, target, cur_v, prev_v, cur_n, prev_n, sig)


def report_from_results(results: list[KpiResult], title: str | None = None) -> Report:
    """Wrap a KPI command's results so the HTML/XLSX layouts can show them."""
    entries = []
    for r in results:
        period = r.group_by == ("period",)
        trend = tuple((g.key["period"], g.value, g.n) for g in r.groups) if period else ()
        entries.append(Entry(r.kpi, r.title, AREAS[r.source], r.unit, r.higher_is_better, r,
                             r.value, None, NONE, Thresholds(), r.benchmark, trend,
                             n=r.n, breakdown={**r.breakdown, "n": r.n}))
    return Report(entries=entries, period="period" if any(e.trend for e in entries) else None, compare=None,
                  generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  title=title or (results[0].title if len(results) == 1 else "cxkpi results"))


def comparison_gaps(report: Report) -> str | None:
    """A note when ``--compare`` found no data in the period it compares with (same-last-year on a
    file that starts this year): the change column is empty for a reason the user should read."""
    if not report.compare:
        return None
    missing = [e for e in report.entries if e.comparison is not None and e.comparison.previous is None]
    if not missing:
        return None
    targets = sorted({e.comparison.previous_period for e in missing})
    compared = sum(1 for e in report.entries if e.comparison is not None)
    names = ", ".join(e.kpi for e in missing[:8]) + (", …" if len(missing) > 8 else "")
    return (f"--compare {report.compare}: no data for {', '.join(targets)} in {len(missing)} of {compared} KPIs "
            f"({names}): their change is empty")


def has_alert(report: Report) -> bool:
    return any(e.status == ALERT for e in report.entries)


__all__ = ["Report", "Entry", "Comparison", "build_report", "has_alert", "NONE", "STATUSES"]

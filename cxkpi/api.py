"""Library entry points: from a file (and optional config) to result objects.

The CLI and the report call these; so can a notebook::

    import cxkpi
    result = cxkpi.compute_file("nps", "surveys.csv", by=["channel"])
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from .config import Config
from .engine import MAX_GROUPS, Request, Where, compute, time_column
from .errors import UsageError
from .io.columns import norm
from .io.files import as_source, file_set, load_any, load_source
from .io.load import LoadOptions, SourceChoice
from .io.presets import get_preset
from . import join
from .registry import KpiSpec, get_kpi
from .results import KpiResult
from .sources import SOURCES
from .vocabulary import BUSINESS_HOURS_EXPORT


@dataclass
class RunOptions:
    """Everything a KPI command can be told, already parsed; None = not given."""

    file: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    timezone: str | None = None
    dayfirst: bool | None = None
    columns: dict[str, str] = field(default_factory=dict)
    score: str | None = None
    date: str | None = None
    by: list[str] | None = None
    period: str | None = None
    since: str | None = None
    until: str | None = None
    where: list[str] = field(default_factory=list)
    min_sample: int | None = None
    strict: bool = False
    progress: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # for KPIs that read several sources: which one FILE is (default: detected)
    preset: str | None = None  # --preset NAME (``none``: no preset, no detection); default: detected
    max_groups: int | None = None  # --max-groups; default engine.MAX_GROUPS
    cache: str | None = None  # --cache DIR: parsed files kept between runs (cxkpi.io.cache)
    engine: str = "local"  # --engine dask: files parsed by Dask workers (cxkpi.io.distributed)
    scheduler: str | None = None  # --scheduler ADDR: an existing Dask cluster


def _timestamp(text: str | None, flag: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.Timestamp(text)
    except (ValueError, TypeError):
        raise UsageError(f"{flag} {text!r}: expected a date such as 2025-01-31") from None


def load_options(config: Config, source: str, run: RunOptions, spec: KpiSpec | None = None) -> LoadOptions:
    block = config.source(source)
    columns = {str(k): str(v) for k, v in (block.get("columns") or {}).items()}
    columns.update(run.columns)
    if run.score:
        columns["score"] = run.score
    if run.date:
        tcol = time_column(spec, source) if spec else SOURCES[source].main_time
        if tcol is None:
            raise UsageError(f"--date: a {source} export has no main timestamp")
        columns[tcol] = run.date
    dayfirst = run.dayfirst if run.dayfirst is not None else block.get("dayfirst", config.dayfirst)
    named = run.preset or block.get("preset") or block.get("extends")
    preset = get_preset(named) if named else None
    return LoadOptions(
        preset=preset,
        detect=named is None,
        business=export_business_hours(config, run, spec),
        kpi=spec.name if spec is not None else None,
        sheet=run.sheet if run.sheet is not None else block.get("sheet"),
        encoding=run.encoding or block.get("encoding"),
        delimiter=run.delimiter or block.get("delimiter"),
        timezone=run.timezone or block.get("timezone") or config.timezone,
        dayfirst=dayfirst,
        date_format=block.get("date_format"),
        columns=columns,
        units=dict(block.get("units") or {}),
        labels=dict(block.get("labels") or {}),
        header_rows=block.get("header_rows"),
        progress=run.progress,
        # a config's report.cache is a folder beside the config, as its sources' files are
        cache=run.cache or (config.resolve_file(config.report["cache"]) if config.report.get("cache") else None),
        engine=run.engine or "local", scheduler=run.scheduler,
    )


def export_business_hours(config: Config, run: RunOptions, spec: KpiSpec | None) -> bool:
    """``--business-hours export`` (or a bare ``--business-hours``): use the export's own business-time
    columns (Zendesk's "… within business hours") instead of a schedule of ours."""
    if spec is None or not any(p.name == "business_hours" for p in spec.params):
        return False
    value = run.settings.get("business_hours")
    if value is None:
        value = config.kpi(spec.name).get("business_hours", config.business_hours.get("schedule"))
    return str(value).strip().lower() in BUSINESS_HOURS_EXPORT


def source_file(config: Config, source: str, run: RunOptions, kpi: str) -> str:
    """The source's file; a ``FileSet`` (cxkpi/io/files.py) for a glob, a folder or ``files:``."""
    if run.file:
        return as_source(run.file)
    block = config.source(source)
    if block.get("file"):
        return as_source(config.resolve_file(block["file"]), block["file"])
    if block.get("files"):
        listed = [block["files"]] if isinstance(block["files"], str) else list(block["files"])
        return file_set([config.resolve_file(f) for f in listed], ", ".join(listed))
    raise UsageError(f"{kpi}: no input file; give FILE (or - for stdin), or set sources.{source}.file in the config")


def build_request(spec: KpiSpec, config: Config, run: RunOptions) -> Request:
    block = config.kpi(spec.name)
    names = {p.name for p in spec.params}
    # precedence: flag > kpis.<name>.<param> > a config-wide setting (e.g. the business_hours: block)
    settings = {k: v for k, v in config.shared_settings().items() if k in names}
    settings.update({k: v for k, v in block.items() if k in names})
    settings = _parsed(spec, settings)
    settings.update({k: v for k, v in run.settings.items() if v is not None})
    by = run.by if run.by else _as_list(block.get("by"))
    wheres = [Where.parse(w) for w in run.where]
    for col, val in (block.get("where") or {}).items():
        vals = val if isinstance(val, list) else [val]
        wheres.append(Where(norm(col), tuple(str(v) for v in vals)))
    wheres = [Where(norm(_own_where(spec, w.column)), w.values, w.negate, w.op) for w in wheres]
    return Request(
        by=tuple(join.joined_name(b) or norm(b) for b in by),  # tickets.topic: from a joined source
        period=run.period or block.get("period"),
        where=tuple(wheres),
        since=_timestamp(run.since, "--since"),
        until=_timestamp(run.until, "--until"),
        settings=settings,
        min_sample=run.min_sample if run.min_sample is not None else block.get("min_sample", config.min_sample),
        strict=run.strict,
        max_groups=run.max_groups if run.max_groups is not None else MAX_GROUPS,
    )


def _own_where(spec: KpiSpec, column: str) -> str:
    """``--where surveys.channel=email`` on a surveys KPI is its own column; another source's column
    (``tickets.topic``) is refused by name, not looked for as a header 'tickets_topic' of the KPI's file."""
    name = join.joined_name(column)
    if name is None:
        return column
    other, _, col = name.partition(".")
    if other in spec.sources:
        return col
    raise UsageError(f"--where {column}: a column of another source cannot filter yet, only --by joins "
                     f"(docs/joins.md); filter on a column of the {spec.source} export, or slice with --by {name}")


def _as_list(v) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


def wanted_columns(spec: KpiSpec, request: Request, source: str) -> tuple[list[str], list[str]]:
    """(canonical columns to read, other dimension columns to read) — nothing else is read."""
    known = SOURCES[source].columns
    wanted = spec.all_columns()
    if spec.alt_sources:  # a KPI reading several sources takes from each only that source's columns
        wanted = [c for c in wanted if c in known]
    tcol = time_column(spec, source)
    if tcol:
        wanted.append(tcol)
    if any(p.name == "survey" for p in spec.params):
        wanted.append("survey")
    extra = []
    # business_hours.schedule_by (a ticket's schedule by team, priority...) reads its column too
    picks = [norm(request.settings["schedule_by"])] if request.settings.get("schedule_by") else []
    for name in list(request.by) + [w.column for w in request.where] + picks:
        if "." in name:
            continue  # tickets.topic: read from its own source by join.py
        if name in spec.dimensions and name in request.by:
            continue  # virtual: made by the KPI, not read from the file
        (wanted if name in known else extra).append(name)
    return list(dict.fromkeys(wanted)), list(dict.fromkeys(extra))


def compute_file(kpi: str | KpiSpec, file: str | None = None, config: Config | None = None,
                 run: RunOptions | None = None, **kw) -> KpiResult:
    """Load the KPI's source and compute it; ``kw`` fills ``RunOptions`` fields."""
    spec = get_kpi(kpi) if isinstance(kpi, str) else kpi
    config = config or Config()
    run = run or RunOptions(**kw)
    if file is not None:
        run.file = file
    request = build_request(spec, config, run)
    run = _with_param_columns(spec, request, run)
    source = run.source or config.kpi(spec.name).get("source")
    if source is not None and spec.alt_sources and source not in spec.sources:
        raise UsageError(f"{spec.name}: --source {source!r}: expected one of {', '.join(spec.sources)}")
    joins = join.plan(config, source or spec.source, request.by)
    if source is None and spec.alt_sources and not joins:
        return _compute_any_source(spec, config, run, request)
    request = replace(request, by=joins.by)
    # a large CSV is streamed through the KPI's statistic, batch by batch (cxkpi/stream.py)
    lazy = spec.statistic is not None and not joins and not request.where
    dataset = _load(spec, config, run, request, source or spec.source, joins.keys, lazy=lazy)
    if joins:  # --by tickets.topic: the other source's column added, unmatched rows skipped with a reason
        spec, dataset = join.apply(joins, spec, dataset, config, run)
    return compute(spec, dataset, with_preset_settings(spec, request, dataset))


def with_preset_settings(spec: KpiSpec, request: Request, dataset) -> Request:
    """The preset's KPI settings (Help Scout's ratings are a 1–3 scale) under the user's own."""
    if not dataset.preset:
        return request
    view = get_preset(dataset.preset).view(dataset.source)
    defaults = (view.kpis.get(spec.name) or {}) if view else {}
    if not defaults:
        return request
    return replace(request, settings={**_parsed(spec, defaults), **request.settings})


def _parsed(spec: KpiSpec, settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as written in YAML ("60m", "1-5") turned into what the KPI takes, by each Param's parser."""
    out = dict(settings)
    for p in spec.params:
        if p.parse is not None and out.get(p.name) is not None:
            out[p.name] = p.parse(out[p.name])
    return out


def _with_param_columns(spec: KpiSpec, request: Request, run: RunOptions) -> RunOptions:
    """Settings such as ``--status-column Churn`` name the header of a canonical column."""
    mapped = {p.column: str(request.settings[p.name]) for p in spec.params
              if p.column and request.settings.get(p.name) is not None}
    if not mapped:
        return run
    return replace(run, columns={**mapped, **run.columns})


def _compute_any_source(spec: KpiSpec, config: Config, run: RunOptions, request: Request) -> KpiResult:
    """A KPI that reads any of several sources: FILE's columns decide which (``--source`` to force).

    Sources are tried in the KPI's order; those that do not know a column mapped on the command
    line (``--map``, ``--status-column``) go last. Without FILE, the first source whose file the
    config names is read.
    """
    order = list(spec.sources)
    if run.columns:
        order.sort(key=lambda s: not set(run.columns) <= set(SOURCES[s].columns))
    if not run.file:
        named = [s for s in order if config.source(s).get("file") or config.source(s).get("files")]
        if not named:
            raise UsageError(f"{spec.name}: no input file; give FILE (or - for stdin), or set "
                             f"sources.<{'|'.join(spec.sources)}>.file in the config")
        dataset = _load(spec, config, run, request, named[0])
        return compute(spec, dataset, with_preset_settings(spec, request, dataset))
    choices = []
    for source in order:
        wanted, extra = wanted_columns(spec, request, source)
        choices.append(SourceChoice(source, wanted, load_options(config, source, run, spec), extra))

    def viable(source: str, found: set[str]) -> bool:
        return not spec.missing(found & set(SOURCES[source].columns))

    def none_viable(file: str, headers: list[str]) -> str:
        wants = "; ".join(f"as {s}: {' and '.join(_alternative(spec, s))}" for s in spec.sources)
        shown = ", ".join(repr(h) for h in headers[:20]) + (f" … (+{len(headers) - 20})" if len(headers) > 20 else "")
        return (f"{file}: {spec.name} reads {' or '.join(spec.sources)} exports, and this file has the columns "
                f"of none ({wants}); map them with --map CANONICAL=HEADER or in the config; the file has: {shown}")

    dataset = load_any(as_source(run.file), choices, viable, none_viable)
    return compute(spec, dataset, with_preset_settings(spec, request, dataset))


def _load(spec: KpiSpec, config: Config, run: RunOptions, request: Request, source: str, keys: list[str] = (),
          lazy: bool = False):
    path = source_file(config, source, run, spec.name)
    wanted, extra = wanted_columns(spec, request, source)
    return load_source(path, source, wanted + [k for k in keys if k not in wanted],
                       load_options(config, source, run, spec), extra, lazy=lazy)


def _alternative(spec: KpiSpec, source: str) -> list[str]:
    """What ``spec`` needs from ``source``: the alternatives made only of that source's columns."""
    known = set(SOURCES[source].columns)
    out = []
    for alternatives in spec.requirements():
        fits = ["'" + "' + '".join(alt) + "'" for alt in alternatives if set(alt) <= known]
        out.append(" or ".join(fits) or "(nothing it has)")
    return out

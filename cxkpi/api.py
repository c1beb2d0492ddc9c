"""Library entry points: from a file (and optional config) to result objects.

The CLI and the report call these; so can a notebook::

    import cxkpi
    result = cxkpi.compute_file("nps", "surveys.csv", by=["channel"])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .config import Config
from .engine import Request, Where, compute, time_column
from .errors import UsageError
from .io.columns import norm
from .io.load import LoadOptions, load_source
from .registry import KpiSpec, get_kpi
from .results import KpiResult
from .sources import SOURCES


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
    settings: dict[str, Any] = field(default_factory=dict)


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
        tcol = time_column(spec) if spec else SOURCES[source].main_time
        columns[tcol] = run.date
    dayfirst = run.dayfirst if run.dayfirst is not None else block.get("dayfirst", config.dayfirst)
    return LoadOptions(
        sheet=run.sheet if run.sheet is not None else block.get("sheet"),
        encoding=run.encoding or block.get("encoding"),
        delimiter=run.delimiter or block.get("delimiter"),
        timezone=run.timezone or block.get("timezone") or config.timezone,
        dayfirst=dayfirst,
        date_format=block.get("date_format"),
        columns=columns,
        units=dict(block.get("units") or {}),
        labels=dict(block.get("labels") or {}),
        header_rows=int(block.get("header_rows") or 1),
    )


def source_file(config: Config, source: str, run: RunOptions, kpi: str) -> str:
    if run.file:
        return run.file
    block = config.source(source)
    if block.get("file"):
        return config.resolve_file(block["file"])
    raise UsageError(f"{kpi}: no input file; give FILE (or - for stdin), or set sources.{source}.file in the config")


def build_request(spec: KpiSpec, config: Config, run: RunOptions) -> Request:
    block = config.kpi(spec.name)
    settings = {k: v for k, v in block.items() if k in {p.name for p in spec.params}}
    for p in spec.params:
        if p.parse is not None and settings.get(p.name) is not None:
            settings[p.name] = p.parse(settings[p.name])
    settings.update({k: v for k, v in run.settings.items() if v is not None})
    by = run.by if run.by else _as_list(block.get("by"))
    wheres = [Where.parse(w) for w in run.where]
    for col, val in (block.get("where") or {}).items():
        vals = val if isinstance(val, list) else [val]
        wheres.append(Where(norm(col), tuple(str(v) for v in vals)))
    wheres = [Where(norm(w.column), w.values, w.negate) for w in wheres]
    return Request(
        by=tuple(norm(b) for b in by),
        period=run.period or block.get("period"),
        where=tuple(wheres),
        since=_timestamp(run.since, "--since"),
        until=_timestamp(run.until, "--until"),
        settings=settings,
        min_sample=run.min_sample if run.min_sample is not None else block.get("min_sample", config.min_sample),
        strict=run.strict,
    )


def _as_list(v) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


def wanted_columns(spec: KpiSpec, request: Request, source: str) -> tuple[list[str], list[str]]:
    """(canonical columns to read, other dimension columns to read) — nothing else is read."""
    known = SOURCES[source].columns
    wanted = spec.all_columns()
    tcol = time_column(spec)
    if tcol:
        wanted.append(tcol)
    if any(p.name == "survey" for p in spec.params):
        wanted.append("survey")
    extra = []
    for name in list(request.by) + [w.column for w in request.where]:
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
    source = config.kpi(spec.name).get("source") or spec.source
    request = build_request(spec, config, run)
    path = source_file(config, source, run, spec.name)
    wanted, extra = wanted_columns(spec, request, source)
    dataset = load_source(path, source, wanted, load_options(config, source, run, spec), extra)
    return compute(spec, dataset, request)

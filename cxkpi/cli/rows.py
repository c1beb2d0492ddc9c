"""``cxkpi rows FILE --kpis frt,fcr``: one row per item with what each KPI made of it (docs/rows.md).

Each KPI's source is loaded the way its own command loads it (a regular file's raw columns are
read once and shared); ``cxkpi.explain`` does the rest. Output: CSV (default, stdout), JSON Lines,
XLSX or Parquet; text cells of CSV and XLSX are neutralised like every other spreadsheet output.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Optional

import typer

from .options import COMMON, OUTPUT

FORMATS = ("csv", "json", "xlsx", "parquet")
SUFFIXES = {".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json", ".xlsx": "xlsx",
            ".parquet": "parquet"}
BINARY = ("xlsx", "parquet")
KPIS = "KPIs"


def _p(name: str, annotation, default=None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


_OWN = [
    _p("kpis", Annotated[str, typer.Option(
        "--kpis", "-k", metavar="KPI,KPI", rich_help_panel=KPIS, show_default=False,
        help="The KPIs to explain, comma-separated (per-item KPIs only: see docs/rows.md), e.g. frt,fcr,sla.")], ...),
    _p("kpi_set", Annotated[Optional[list[str]], typer.Option(
        "--set", "-s", metavar="KPI.SETTING=VALUE", rich_help_panel=KPIS,
        help="A KPI setting, as its command's flag takes it (repeatable), e.g. sla.frt-target=4h, "
             "frt.unit=h, fcr.rule=one-reply. The config's kpis: block works too.")]),
    _p("business_hours", Annotated[Optional[str], typer.Option(
        "--business-hours", rich_help_panel=KPIS,
        help="Business hours for every listed KPI that takes them, e.g. 'Mon-Fri 09:00-17:00'; 'off' for "
             "calendar time; a bare --business-hours: the export's own business-time columns.")]),
    _p("holidays", Annotated[Optional[str], typer.Option(
        "--holidays", rich_help_panel=KPIS, help="Public holidays closed for business hours, e.g. DE, US-CA.")]),
    _p("format", Annotated[Optional[str], typer.Option(
        "--format", "-f", metavar="|".join(FORMATS), rich_help_panel=OUTPUT,
        help="csv, json (JSON Lines: one object a line), xlsx or parquet (default: from --output's "
             "extension, else csv).")]),
]
_SHARED = [p for p in COMMON if p.name not in ("format", "min_sample")]


def rows_command(**kw) -> None:
    """One row per item (ticket, answer, call…) with what each KPI made of it.

    Each row: its row number in the file, its id (ticket_id, response_id…),
    its --by columns and period, then per KPI its status (used, skipped,
    or counted apart: unanswered, open, pending…), the skip reason the KPI
    reports, the row's value and the measure's own columns (minutes, yes/no
    flags, met/breached and by how much). Used rows add up to each KPI's n
    and the skip reasons to its skipped counts: the KPI's number, row by row.

    Example:

        cxkpi rows sample_data/tickets.csv -c config.example.yaml \\
            --kpis frt,resolution,fcr,sla -o per_ticket.xlsx
    """
    run_rows(**kw)


rows_command.__signature__ = inspect.Signature(_SHARED[:1] + _OWN[:4] + _SHARED[1:] + _OWN[4:])


def _fmt(output: str | None, explicit: str | None) -> str:
    from pathlib import Path

    from ..errors import UsageError

    if explicit is not None:
        if explicit.lower() not in FORMATS:
            raise UsageError(f"--format {explicit!r}: expected one of {', '.join(FORMATS)}")
        return explicit.lower()
    if output and output != "-":
        suffix = Path(output).suffix.lower()
        if suffix in SUFFIXES:
            return SUFFIXES[suffix]
        if suffix:
            raise UsageError(f"--output {output!r}: unknown extension {suffix!r} (known: "
                             f"{', '.join(SUFFIXES)}); or pass --format")
    return "csv"


def _specs(text: str):
    from ..errors import UsageError
    from ..explain import per_item, refuse
    from ..registry import get_kpi

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--kpis: expected one or more KPI names, e.g. --kpis frt,fcr")
    specs = []
    for name in names:
        spec = get_kpi(name)
        if not per_item(spec):
            raise refuse(spec)
        if spec not in specs:
            specs.append(spec)
    return specs


def _settings(specs, items: list[str], business_hours: str | None, holidays: str | None) -> dict[str, dict]:
    """KPI name -> its settings from --set and the shared flags, parsed as the KPI's own flags are."""
    from ..errors import UsageError
    from .kpi_commands import _parse_flag

    out: dict[str, dict] = {s.name: {} for s in specs}
    by_name = {s.name: s for s in specs}
    wanted = []
    for item in items:
        key, sep, value = item.partition("=")
        kpi, dot, setting = key.strip().partition(".")
        if not sep or not dot or not setting.strip():
            raise UsageError(f"--set {item!r}: expected KPI.SETTING=VALUE, e.g. sla.frt-target=4h")
        if kpi not in by_name:
            raise UsageError(f"--set {item!r}: {kpi!r} is not one of --kpis ({', '.join(by_name)})")
        wanted.append((by_name[kpi], setting.strip().replace("-", "_"), value.strip(), f"--set {item!r}"))
    for spec in specs:
        for name, value in (("business_hours", business_hours), ("holidays", holidays)):
            if value is not None and any(p.name == name for p in spec.params):
                wanted.insert(0, (spec, name, value, "--" + name.replace("_", "-")))
    for spec, name, value, flag in wanted:
        params = {p.name: p for p in spec.params}
        if name not in params:
            raise UsageError(f"{flag}: {spec.name} has no setting {name.replace('_', '-')!r} (it has: "
                             f"{', '.join(p.name.replace('_', '-') for p in spec.params) or 'none'})")
        p = params[name]
        if p.type is dict:
            raise UsageError(f"{flag}: {spec.name}'s {name} is a table: set it in the config (kpis.{spec.name}.{name})")
        if p.choices and value not in p.choices:
            raise UsageError(f"{flag}: expected one of {', '.join(p.choices)}")
        out[spec.name][name] = _parse_flag(p, value) if p.parse else _typed(p, value, flag)
    return out


def _typed(p, value: str, flag: str):
    from ..errors import UsageError

    try:
        if p.type is bool:
            low = value.lower()
            if low not in ("true", "false", "yes", "no", "1", "0", "on", "off"):
                raise ValueError
            return low in ("true", "yes", "1", "on")
        if p.type in (int, float):
            return p.type(value)
        if p.type is list:
            return [v.strip() for v in value.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{flag}: expected {'yes or no' if p.type is bool else 'a number'}, got {value!r}") from None
    return value


def run_rows(*, file, config, preset, sheet, encoding, delimiter, timezone, dayfirst, score, date, map, by,
             period, since, until, where, max_groups, format, output, strict, raw, quiet, kpis, kpi_set,
             business_hours, holidays, cache=None, engine=None, scheduler=None) -> None:
    from dataclasses import replace

    from ..api import RunOptions
    from ..config import Config, load_config
    from ..engine import PERIODS
    from ..errors import UsageError
    from .run import check_timezone, parse_map

    fmt = _fmt(output, format)  # an unknown --output extension fails before any work
    to_file = output not in (None, "-")
    if fmt in BINARY and not to_file:
        raise UsageError(f"--format {fmt} is binary: give --output FILE.{fmt}")
    if period is not None and period not in PERIODS:
        raise UsageError(f"--period {period!r}: expected one of {', '.join(PERIODS)}")
    specs = _specs(kpis)
    settings = _settings(specs, list(kpi_set or []), business_hours, holidays)
    cfg = load_config(config) if config else Config()
    check_timezone(timezone, "--timezone")
    check_timezone(cfg.timezone, f"{config}: timezone")
    from .run import check_engine

    check_engine(engine, scheduler)
    run = RunOptions(
        file=file, sheet=sheet, encoding=encoding, delimiter=delimiter, timezone=timezone, dayfirst=dayfirst,
        columns=parse_map(map), score=score, date=date, by=list(by or []), period=period, since=since,
        until=until, where=list(where or []), strict=strict, max_groups=max_groups, preset=preset, cache=cache,
        engine=engine or "local", scheduler=scheduler,
    )
    frames = _explain(specs, cfg, [replace(run, settings=settings[s.name]) for s in specs])
    from ..explain import combine

    table = combine(frames)
    _messages(frames, quiet)
    data = render(table, fmt, raw=raw)
    _emit(data, output, to_file)
    if to_file:
        from .emit import say

        say(f"wrote {output}: {len(table):,} rows × {len(table.columns)} columns", quiet)


def _explain(specs, cfg, runs) -> list:
    """Load each KPI's source as its command does (one file for all) and explain it."""
    import io
    import os
    from dataclasses import replace

    from .. import join
    from ..api import _with_param_columns, build_request, load_options, source_file, wanted_columns, \
        with_preset_settings
    from ..errors import MissingSettingError, UsageError
    from ..explain import rows
    from ..io.files import FileSet, load_source  # one file, or a FileSet (glob, folder, files:) file by file
    from ..io.load import ReadCache
    from ..io.read import read_input
    from ..sources import SOURCES

    plans = []
    for spec, run in zip(specs, runs):
        request = build_request(spec, cfg, run)
        run = _with_param_columns(spec, request, run)
        named = run.source or cfg.kpi(spec.name).get("source")
        sources = [named] if named else list(spec.sources)
        path = None
        for source in sources:  # a KPI that reads several kinds of export: the config's file, or FILE
            try:
                path = source_file(cfg, source, run, spec.name)
                break
            except UsageError:
                if source == sources[-1]:
                    raise
        plans.append((spec, run, request, sources, path if isinstance(path, FileSet) else str(path)))
    paths = {p[4] if p[4] == "-" else tuple(map(os.path.realpath, p[4].paths)) if isinstance(p[4], FileSet)
             else os.path.realpath(p[4]) for p in plans}
    if len(paths) > 1:
        shown = "; ".join(f"{spec.name} reads {path}" for spec, _, _, _, path in plans)
        raise UsageError(f"rows: the KPIs read different files ({shown}); give FILE, or run rows once per file")
    path = plans[0][4]
    cache, payload = None, None
    if path == "-" or (not isinstance(path, FileSet) and os.path.exists(path) and not os.path.isfile(path)):
        stream = read_input(path, "<stdin>" if path == "-" else path)  # stdin or a pipe: read once, kept
        payload = stream.getvalue()
    elif len(plans) > 1 and not isinstance(path, FileSet):
        cache = ReadCache()
    frames = []
    for spec, run, request, sources, _ in plans:
        dataset = None
        for source in sources:
            joins = join.plan(cfg, source, request.by)  # --by tickets.topic: as compute_file joins it
            request = replace(request, by=joins.by)
            wanted, extra = wanted_columns(spec, request, source)
            ids = [c for c, kind in SOURCES[source].columns.items() if kind == "id"]  # explain keeps the first
            wanted += [c for c in ids + joins.keys if c not in wanted]
            options = load_options(cfg, source, run, spec)
            if payload is not None:
                dataset = load_source("-", source, wanted, options, extra, stdin=io.BytesIO(payload))
                dataset.file = path if path != "-" else dataset.file
            else:
                dataset = load_source(path, source, wanted, options, extra, cache=cache)
            if not spec.missing(dataset.frame.columns):
                break
        if joins:  # the other source's column added, unmatched rows skipped with their reason
            spec, dataset = join.apply(joins, spec, dataset, cfg, run)
        try:
            frames.append(rows(spec, dataset, with_preset_settings(spec, request, dataset)))
        except MissingSettingError as e:  # its message names the KPI command's flags
            raise MissingSettingError(f"{e.message} (in rows: --set {spec.name}.SETTING=VALUE, e.g. "
                                      "sla.frt-target=60m)") from None
    return frames


def _messages(frames, quiet: bool) -> None:
    """Each KPI's notes and skipped rows on stderr, as its own command says them."""
    from .emit import say

    for f in frames:
        kpi, skipped = f.attrs["kpi"], f.attrs["skipped"]
        for note in f.attrs["notes"]:
            say(f"{kpi}: {note}", quiet)
        if skipped:
            reasons = "; ".join(f"{reason}: {c}" for reason, c in skipped.items())
            say(f"{kpi}: skipped {sum(skipped.values())} of {f.attrs['rows']} rows ({reasons})", quiet)


def _emit(data: str | bytes, output: str | None, to_file: bool) -> None:
    import sys

    from ..outputs import write_atomic

    if to_file:
        write_atomic(output, data)
        return
    if sys.stdout.isatty():  # CSV/JSON read on screen: no value may drive the terminal
        from ..render.safe import terminal_document

        data = terminal_document(data)
    sys.stdout.write(data)
    sys.stdout.flush()


# ------------------------------------------------------------------ writers
def _records(table):
    """Each row as plain Python values (None for missing; bool, int, float, str), built column by column."""
    columns = []
    for name in table.columns:
        col = table[name]
        columns.append(col.astype(object).where(col.notna(), None).tolist())
    cols = [str(c) for c in table.columns]
    for values in zip(*columns):
        yield cols, list(values)


def _yes_no(v):
    return ("yes" if v else "no") if isinstance(v, bool) else v


def render(table, fmt: str, raw: bool = False) -> str | bytes:
    """The per-row frame as CSV (text neutralised), JSON Lines, XLSX (text neutralised) or Parquet."""
    if fmt == "csv":
        from ..render.safe import csv_line

        lines = [csv_line(table.columns, raw)]
        lines += [csv_line([_yes_no(v) for v in values], raw) for _, values in _records(table)]
        return "".join(lines)
    if fmt == "json":
        import json

        from ..render.safe import json_text

        return "".join(json_text(json.dumps(dict(zip(cols, values)), ensure_ascii=False)) + "\n"
                       for cols, values in _records(table))
    if fmt == "xlsx":
        return _xlsx(table, raw)
    return _parquet(table)


def _xlsx(table, raw: bool) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from ..render.xlsx import _fits, safe_cell

    _fits("rows", len(table) + 1, len(table.columns))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("rows")
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value, font=None):
        value = safe_cell(_yes_no(value), raw)
        if not isinstance(value, str) and font is None:  # only text can turn into a formula
            return value
        c = WriteOnlyCell(ws, value=value)
        if c.data_type == "f":  # --raw: text that starts with "=" stays text, never a formula
            c.data_type = "s"
        if font is not None:
            c.font = font
        return c

    ws.append([cell(str(c), bold) for c in table.columns])
    for _, values in _records(table):
        ws.append([cell(v) for v in values])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _parquet(table) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buf)
    return buf.getvalue()


def register(app: typer.Typer) -> None:
    app.command("rows", rich_help_panel="Reports")(rows_command)


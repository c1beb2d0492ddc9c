"""Options shared by every KPI command: one spelling and one help text each.

``COMMON`` lists them as ``inspect.Parameter`` objects so the KPI commands
(generated from the registry) get identical flags.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Optional

import typer

from ..render import OutputFormat

INPUT = "Input"
SLICE = "Slicing"
OUTPUT = "Output"
KPI = "KPI settings"


def _p(name: str, annotation, default=None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


COMMON: list[inspect.Parameter] = [
    _p("file", Annotated[Optional[str], typer.Argument(
        help="CSV/TSV, XLSX or Parquet export to read; - reads stdin; a folder or a quoted glob reads several files. Optional when the config names the source's file.",
        show_default=False)]),
    _p("config", Annotated[Optional[str], typer.Option("--config", "-c", help="YAML config (sources, mappings, KPI settings).", rich_help_panel=INPUT)]),
    _p("preset", Annotated[Optional[str], typer.Option(help="Read FILE as this tool's export (see `cxkpi presets`); detected from the headers when omitted; none turns detection off.", rich_help_panel=INPUT)]),
    _p("sheet", Annotated[Optional[str], typer.Option(help="Excel sheet, by name or 0-based number.", rich_help_panel=INPUT)]),
    _p("encoding", Annotated[Optional[str], typer.Option(help="Text encoding (detected when omitted: UTF-8, UTF-16, cp1252).", rich_help_panel=INPUT)]),
    _p("delimiter", Annotated[Optional[str], typer.Option(help="Field separator (detected when omitted: , ; tab |).", rich_help_panel=INPUT)]),
    _p("timezone", Annotated[Optional[str], typer.Option("--timezone", "--tz", help="Time zone for timestamps without one, and for periods (e.g. Europe/Berlin).", rich_help_panel=INPUT)]),
    _p("dayfirst", Annotated[Optional[bool], typer.Option("--dayfirst/--monthfirst", help="Read 03/04/2025 as 3 April (dayfirst) or March 4 (monthfirst) when the data cannot tell.", show_default=False, rich_help_panel=INPUT)]),
    _p("score", Annotated[Optional[str], typer.Option(help="Column holding the score, e.g. \"How likely are you to recommend us?\".", rich_help_panel=INPUT)]),
    _p("date", Annotated[Optional[str], typer.Option(help="Column holding the main timestamp (for --period/--since/--until).", rich_help_panel=INPUT)]),
    _p("cache", Annotated[Optional[str], typer.Option(help="Keep each file's parsed columns in this folder; later runs parse only new or changed files (docs/scale.md).", rich_help_panel=INPUT)]),
    _p("engine", Annotated[Optional[str], typer.Option(help="local (default), or dask: each file of a source parsed by a Dask worker (docs/scale.md).", rich_help_panel=INPUT)]),
    _p("scheduler", Annotated[Optional[str], typer.Option(help="With --engine dask: the address of a running Dask scheduler (tcp://host:8786); default: a local cluster for the run.", rich_help_panel=INPUT)]),
    _p("map", Annotated[Optional[list[str]], typer.Option("--map", "-m", help="Map a canonical column to a header: CANONICAL=HEADER (repeatable).", rich_help_panel=INPUT)]),
    _p("by", Annotated[Optional[list[str]], typer.Option("--by", "-b", help="Group by this column (repeatable: nested groups).", rich_help_panel=SLICE)]),
    _p("period", Annotated[Optional[str], typer.Option("--period", "-p", help="Group by time: day, week, month, quarter or year.", rich_help_panel=SLICE)]),
    _p("since", Annotated[Optional[str], typer.Option(help="Only rows at or after this date (YYYY-MM-DD).", rich_help_panel=SLICE)]),
    _p("until", Annotated[Optional[str], typer.Option(help="Only rows before this date (YYYY-MM-DD).", rich_help_panel=SLICE)]),
    _p("where", Annotated[Optional[list[str]], typer.Option("--where", "-w", help="Keep rows where COLUMN=VALUE (!= not; a,b any of), COLUMN^PREFIX (!^ not), COLUMN~REGEX (!~ not), COLUMN>N (>=, <, <=; numbers or dates). Repeatable.", rich_help_panel=SLICE)]),
    _p("max_groups", Annotated[Optional[int], typer.Option("--max-groups", min=0, help="Refuse a --by that makes more groups than this (default 10,000; 0: no limit).", rich_help_panel=SLICE)]),
    _p("min_sample", Annotated[Optional[int], typer.Option(help="Flag groups with fewer answers than this as low-sample (default 30).", rich_help_panel=SLICE)]),
    _p("format", Annotated[Optional[OutputFormat], typer.Option("--format", "-f", help="Output format (default: table, or from --output's extension).", rich_help_panel=OUTPUT, case_sensitive=False)]),
    _p("output", Annotated[Optional[str], typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout.", rich_help_panel=OUTPUT)]),
    _p("strict", Annotated[bool, typer.Option("--strict", help="Fail on the first row that has to be skipped (and, exit 2, on a --where that matches no row).", rich_help_panel=OUTPUT)], False),
    _p("raw", Annotated[bool, typer.Option("--raw", help="Do not neutralise spreadsheet formulas in CSV cells.", rich_help_panel=OUTPUT)], False),
    _p("quiet", Annotated[bool, typer.Option("--quiet", "-q", help="No messages on stderr.", rich_help_panel=OUTPUT)], False),
]

COMMON_NAMES = {p.name for p in COMMON}

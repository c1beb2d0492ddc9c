"""Commands that are not KPIs: ``kpis`` (the registry as a table)."""

from __future__ import annotations

import typer

from ..render import OutputFormat


def kpis(
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", metavar="table|json|csv|markdown", help="table, json, csv or markdown."),
) -> None:
    """Every KPI cxkpi knows, with its source, needed columns and formula.

    Example:

        cxkpi kpis --format json | jq '.[].name'
    """
    import json
    import sys

    from ..registry import load_all

    if format not in (OutputFormat.table, OutputFormat.json, OutputFormat.csv, OutputFormat.markdown):
        from ..errors import UsageError

        raise UsageError(f"cxkpi kpis --format {format.value}: expected table, json, csv or markdown")
    specs = list(load_all().values())
    rows = [{"name": s.name, "title": s.title, "source": " | ".join(s.sources), "needs": list(s.needs),
             "unit": s.unit,
             "higher_is_better": s.higher_is_better, "formula": s.formula,
             "settings": [p.name for p in s.params], "headline": s.headline} for s in specs]
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    if format in (OutputFormat.csv, OutputFormat.markdown):
        cols = ["name", "title", "source", "needs", "unit", "formula"]
        if format is OutputFormat.csv:
            from ..render.safe import csv_line

            sys.stdout.write(csv_line(cols))
            for r in rows:
                sys.stdout.write(csv_line([", ".join(r[c]) if isinstance(r[c], list) else r[c] for c in cols]))
        else:
            print("| " + " | ".join(cols) + " |")
            print("|" + "|".join("---" for _ in cols) + "|")
            for r in rows:
                print("| " + " | ".join(", ".join(r[c]) if isinstance(r[c], list) else str(r[c]) for c in cols) + " |")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="cxkpi KPIs")
    for col in ("name", "title", "source", "needs", "unit", "formula"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["name"], r["title"], r["source"], ", ".join(r["needs"]), r["unit"], r["formula"])
    Console(highlight=False).print(table)




def report(
    config: str = typer.Option(..., "--config", "-c", help="YAML config naming the sources and KPIs."),
    period: str = typer.Option(None, "--period", "-p", help="day, week, month, quarter or year: trend and latest period."),
    compare: str = typer.Option(None, "--compare", help="previous, same-last-year, or a period such as 2025-05 (implies --period month)."),
    since: str = typer.Option(None, help="Only rows at or after this date (YYYY-MM-DD)."),
    until: str = typer.Option(None, help="Only rows before this date (YYYY-MM-DD)."),
    format: OutputFormat = typer.Option(None, "--format", "-f", help="table, json, csv, markdown, html or xlsx (default: from --output's extension, else table)."),
    output: str = typer.Option(None, "--output", "-o", help="Write to this file, replaced atomically (.html, .xlsx, .json, .csv, .md)."),
    fail_on_breach: bool = typer.Option(False, "--fail-on-breach", help="Exit 3 when any KPI crosses its alert threshold."),
    on_source_error: str = typer.Option(None, "--on-source-error", help="abort (default) or continue: report the other sources and mark the failed one."),
    strict: bool = typer.Option(False, "--strict", help="Fail on the first row that has to be skipped."),
    raw: bool = typer.Option(False, "--raw", help="Do not neutralise spreadsheet formulas in CSV/XLSX cells."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No messages or progress on stderr."),
    cache: str = typer.Option(None, "--cache", help="Keep each file's parsed columns in this folder; a nightly run parses only new or changed files (docs/scale.md)."),
    engine: str = typer.Option(None, "--engine", help="local (default), or dask: each file of a source parsed by a Dask worker (docs/scale.md)."),
    scheduler: str = typer.Option(None, "--scheduler", help="With --engine dask: the address of a running Dask scheduler (tcp://host:8786); default: a local cluster for the run."),
) -> None:
    """Every configured KPI from several sources in one run, with targets, alerts and comparison.

    Each source is read once; thresholds (target/warn/alert) come from the
    config's kpis block; the spec's benchmarks are shown when none are set.
    Exit codes: 0 ok, 1 a source failed, 2 config error, 3 --fail-on-breach
    and an alert threshold was crossed.

    Example:

        cxkpi report --config config.example.yaml --period month \\
            --compare previous --output report.html
    """
    from ..config import load_config
    from ..engine import PERIODS
    from ..errors import BreachError, InputError, UsageError
    from ..render import format_for
    from ..report import build_report, comparison_gaps, has_alert
    from .emit import emit, say

    fmt = format_for(output, format)
    if period is not None and period not in PERIODS:
        raise UsageError(f"--period {period!r}: expected one of {', '.join(PERIODS)}")
    if on_source_error not in (None, "abort", "continue"):
        raise UsageError(f"--on-source-error {on_source_error!r}: expected abort or continue")
    from .run import check_engine

    check_engine(engine, scheduler)
    cfg = load_config(config)
    rep = build_report(cfg, period=period, compare=compare, since=since, until=until, strict=strict,
                       on_error=on_source_error, progress=None if quiet else (lambda m: say(m)), cache=cache,
                       engine=engine, scheduler=scheduler)
    emit(rep, fmt, output, quiet=quiet, raw=raw)
    gaps = comparison_gaps(rep)
    if gaps and not quiet:
        say(gaps)
    if rep.failed_sources:
        raise InputError("source failed: " + "; ".join(f"{s}: {m}" for s, m in rep.failed_sources.items()))
    if fail_on_breach and has_alert(rep):
        names = ", ".join(e.kpi for e in rep.entries if e.status == "alert")
        raise BreachError(f"alert threshold crossed: {names}")


NAMES = ("report", "kpis", "presets", "inspect", "init", "rows")  # the commands that are not KPIs


def register(app: typer.Typer, only: str | None = None) -> None:
    """The commands that are not KPIs (``only``: that one alone)."""
    from . import init, inspect, presets, rows

    each = {"report": lambda: app.command("report", rich_help_panel="Reports")(report),
            "kpis": lambda: app.command("kpis", rich_help_panel="Information")(kpis),
            "presets": lambda: presets.register(app), "inspect": lambda: inspect.register(app),
            "init": lambda: init.register(app), "rows": lambda: rows.register(app)}
    for name in NAMES if only is None else (only,):
        each[name]()

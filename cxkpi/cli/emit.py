"""Getting results to the user: data on stdout or a file, messages on stderr."""

from __future__ import annotations

import os
import sys

from ..outputs import write_atomic
from ..render import BINARY, OutputFormat, format_for, render


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str, quiet: bool = False) -> None:
    """A message on stderr: one line, never markup, and control characters from file names,
    headers or values shown escaped (``\\x1b``, a line break as ``\\n``), never sent to the terminal
    (nor a forged second "cxkpi: error:" line in a cron log)."""
    if not quiet:
        from ..render.safe import one_line

        stderr_console().print(one_line(message), markup=False, emoji=False)


def summary(report) -> str:
    """One line for a cron log: ``22 KPIs, 1 below target, 0 warn, 0 alerts`` (and failed sources)."""
    from ..compare import ALERT, BELOW_TARGET, WARN

    count = {s: sum(e.status == s for e in report.entries) for s in (BELOW_TARGET, WARN, ALERT)}
    kpis = len(report.entries)
    line = (f"{kpis} KPI{'' if kpis == 1 else 's'}, {count[BELOW_TARGET]} below target, {count[WARN]} warn, "
            f"{count[ALERT]} alert{'' if count[ALERT] == 1 else 's'}")
    skipped = [r for r in report.results if r.skipped.total]
    if skipped:
        # not a sum of rows: one bad row can be skipped by several KPIs of the same source
        line += f", {len(skipped)} KPI{' has' if len(skipped) == 1 else 's have'} skipped rows"
    failed = len(report.failed_sources)
    if failed:
        line += f", {failed} source{'' if failed == 1 else 's'} failed"
    return line


def emit(obj, fmt: OutputFormat | None, output: str | None, quiet: bool = False, raw: bool = False) -> None:
    """Write results (a list of KpiResult) or a Report to stdout or ``output``."""
    from ..report import Report

    fmt = format_for(output, fmt)
    to_file = output not in (None, "-")
    if fmt is OutputFormat.table and not to_file and sys.stdout.isatty():
        from rich.console import Console

        console = Console(highlight=False)
        if isinstance(obj, Report):
            from ..render.dashboard import renderable as report_view

            console.print(report_view(obj, width=console.width))
        else:
            from ..render.table import renderable

            for i, r in enumerate(obj):
                if i:
                    console.print()
                console.print(renderable(r, width=console.width))
        return
    if fmt in BINARY and not to_file:
        from ..errors import UsageError

        if sys.stdout.isatty():
            raise UsageError(f"--format {fmt.value} is binary: give --output FILE.{fmt.value}")
    data = render(obj, fmt, raw=raw, color=False, width=int(os.environ.get("COLUMNS", "120") or 120))
    if to_file:
        write_atomic(output, data)
        say(f"wrote {output}" + (f": {summary(obj)}" if isinstance(obj, Report) else ""), quiet)
    elif isinstance(data, bytes):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        if sys.stdout.isatty():  # CSV/Markdown/JSON read on screen: no value may drive the terminal
            from ..render.safe import terminal_document

            data = terminal_document(data)
        sys.stdout.write(data)
        sys.stdout.flush()
    results = obj.results if isinstance(obj, Report) else obj
    # a report written to a file for cron: the summary line counts the skipped rows (the file's data
    # quality lists them); on a terminal each KPI's skipped rows are named as well
    if fmt is not OutputFormat.table and not (isinstance(obj, Report) and to_file and not sys.stderr.isatty()):
        for r in results:
            if r.skipped.total:
                reasons = "; ".join(f"{reason}: {c}" for reason, c in r.skipped.counts.items())
                say(f"{r.kpi}: skipped {r.skipped.total} of {r.rows} rows ({reasons})", quiet)

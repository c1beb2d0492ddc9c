"""``cxkpi init FILE…``: a commented starter config for the exports, ready for ``cxkpi report``."""

from __future__ import annotations

from typing import Optional

import typer


def init(
    files: list[str] = typer.Argument(..., help="The exports (CSV, TSV or XLSX), one source each.",
                                      show_default=False, metavar="FILE"),
    output: Optional[str] = typer.Option(None, "--output", "-o",
                                         help="Write the config to this file (atomically) instead of stdout; "
                                              "file paths in it are then relative to its folder."),
    force: bool = typer.Option(False, "--force", help="Replace --output if it exists."),
    timezone: Optional[str] = typer.Option(None, "--timezone", "--tz",
                                           help="Time zone for timestamps without one, and for periods "
                                                "(e.g. Europe/Berlin); written as the config's timezone."),
    sheet: Optional[str] = typer.Option(None, help="Excel sheet, by name or 0-based number (for XLSX files)."),
    preset: Optional[str] = typer.Option(None, help="Read every file as this tool's export (see `cxkpi presets`); "
                                                    "detected per file when omitted; none turns detection off."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No messages on stderr."),
) -> None:
    """A commented YAML config for these exports: a source per file and its mapping.

    Columns it could not place are listed as comments; the answer scales it
    saw (NPS 0–10, CSAT 1–5, CES 1–7, yes/no) become kpis: blocks;
    report.kpis lists the KPIs the files feed on their own, and settings
    only you know (SLA targets, support costs, business hours) are left as
    commented hints. The config passes validation and runs unchanged with
    `cxkpi report`. Without --output, its file paths are relative to the
    current folder: save it there.

    Example:

        cxkpi init tickets.csv surveys.xlsx > cxkpi.yaml
        cxkpi report --config cxkpi.yaml
    """
    import os
    import sys
    from pathlib import Path

    from ..errors import UsageError
    from ..config.starter import plan
    from ..config.yaml_out import check, render
    from .emit import say

    if output not in (None, "-") and os.path.lexists(output) and not force:
        raise UsageError(f"--output {output!r}: already exists; pass --force to replace it")
    to_file = output not in (None, "-")
    starter = plan(files, output=output if to_file else None, timezone=timezone, sheet=sheet, preset=preset)
    text = render(starter)
    check(text, Path(output) if to_file else Path.cwd() / "cxkpi.yaml")
    for p in starter.sources:
        if p.active:
            read = f"preset {p.preset}" if p.preset not in (None, "none") else \
                f"{len(p.block.get('columns') or {})} columns mapped"
            say(f"{p.given}: {p.source} ({read}; {len(p.unplaced)} not placed)", quiet)
    for message in starter.messages:
        say(message, quiet)
    left_out = ", ".join(starter.not_in_report)
    say(f"report.kpis: {len(starter.report_kpis)} KPIs" + (f"; left out: {left_out} (see the comments)"
                                                         if left_out else ""), quiet)
    if to_file:
        from ..outputs import write_atomic

        write_atomic(output, text)
        say(f"wrote {output}; run: cxkpi report --config {output}", quiet)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()


def register(app: typer.Typer) -> None:
    app.command("init", rich_help_panel="Information")(init)

"""Getting results to the user: data on stdout or a file, messages on stderr."""

from __future__ import annotations

import os
import sys

from ..outputs import write_atomic
from ..render import OutputFormat, format_for, render


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str, quiet: bool = False) -> None:
    if not quiet:
        stderr_console().print(message, markup=False)


def emit(results: list, fmt: OutputFormat | None, output: str | None, quiet: bool = False, raw: bool = False) -> None:
    fmt = format_for(output, fmt)
    to_file = output not in (None, "-")
    if fmt is OutputFormat.table and not to_file and sys.stdout.isatty():
        from rich.console import Console

        from ..render.table import renderable

        console = Console(highlight=False)
        for i, r in enumerate(results):
            if i:
                console.print()
            console.print(renderable(r))
        return
    text = render(results, fmt, raw=raw, color=False, width=int(os.environ.get("COLUMNS", "120") or 120))
    if to_file:
        write_atomic(output, text)
        say(f"wrote {output}", quiet)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if fmt is not OutputFormat.table:
        for r in results:
            if r.skipped.total:
                reasons = "; ".join(f"{reason}: {c}" for reason, c in r.skipped.counts.items())
                say(f"{r.kpi}: skipped {r.skipped.total} of {r.rows} rows ({reasons})", quiet)

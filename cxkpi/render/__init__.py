"""Renderers: pure functions from result objects to text (or a file, for xlsx).

``OutputFormat`` is the one list of formats: Typer's choices, the
``--output`` extension lookup and the dispatch table all come from it.
"""

from __future__ import annotations

from enum import Enum
from importlib import import_module
from pathlib import Path

from ..errors import UsageError


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


EXTENSIONS = {".json": OutputFormat.json, ".csv": OutputFormat.csv, ".md": OutputFormat.markdown,
              ".markdown": OutputFormat.markdown, ".txt": OutputFormat.table}


def format_for(output: str | None, explicit: OutputFormat | None) -> OutputFormat:
    if explicit is not None:
        return explicit
    if output and output != "-":
        suffix = Path(output).suffix.lower()
        if suffix in EXTENSIONS:
            return EXTENSIONS[suffix]
        if suffix:
            known = ", ".join(sorted(EXTENSIONS))
            raise UsageError(f"--output {output!r}: unknown extension {suffix!r} (known: {known}); or pass --format")
    return OutputFormat.table


def render(results, fmt: OutputFormat, **options) -> str:
    module = import_module(f".{fmt.value}", __name__)
    return module.render(results, **options)

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
    html = "html"
    xlsx = "xlsx"


EXTENSIONS = {".json": OutputFormat.json, ".csv": OutputFormat.csv, ".md": OutputFormat.markdown,
              ".markdown": OutputFormat.markdown, ".txt": OutputFormat.table, ".html": OutputFormat.html,
              ".htm": OutputFormat.html, ".xlsx": OutputFormat.xlsx}
BINARY = {OutputFormat.xlsx}
# a report (several KPIs, statuses, comparison) uses these modules where they differ
_REPORT_MODULES = {OutputFormat.table: "dashboard"}


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


def render(obj, fmt: OutputFormat, **options) -> str | bytes:
    """``obj`` is a list of ``KpiResult`` (a KPI command) or a ``Report``.

    HTML and XLSX are report layouts: a KPI command's results are wrapped in a
    report first, so there is one HTML and one XLSX renderer.
    """
    from ..report import Report, report_from_results

    if not isinstance(obj, Report) and fmt in (OutputFormat.html, OutputFormat.xlsx):
        obj = report_from_results(obj)
    if isinstance(obj, Report):
        module = import_module(f".{_REPORT_MODULES.get(fmt, fmt.value)}", __name__)
        return getattr(module, "render_report", module.render)(obj, **options)
    module = import_module(f".{fmt.value}", __name__)
    return module.render(obj, **options)

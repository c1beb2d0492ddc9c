"""The report in the terminal: a panel per area, status colours, change and a sparkline."""

from __future__ import annotations

import io
import math

from .safe import term_cell, term_text
from .text import fmt_value

_STATUS_STYLE = {"on target": "green", "below target": "dark_orange", "warn": "yellow", "alert": "bold red",
                 "failed": "bold red", "none": "dim"}
_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 24  # the last 24 periods: a longer line would squeeze every other column


def sparkline(values: list[float | None]) -> str:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if len(vals) < 2:
        return ""
    lo, hi = min(vals), max(vals)
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(" ")
        else:
            out.append(_BLOCKS[int((v - lo) / (hi - lo) * (len(_BLOCKS) - 1)) if hi > lo else 3])
    return "".join(out)


def renderable(report):
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    areas: dict[str, list] = {}
    for e in report.entries:
        areas.setdefault(e.area, []).append(e)
    panels = []
    for area, items in areas.items():
        t = Table(expand=True, show_edge=False)
        for col, just in (("KPI", "left"), ("value", "right"), ("unit", "left"), ("status", "left"),
                          ("target / reference", "left"), ("change", "right"), ("trend", "left"), ("n", "right")):
            t.add_column(col, justify=just, no_wrap=col in ("value", "trend", "status"))
        for e in items:
            change = ""
            if e.comparison and e.comparison.change is not None:
                change = f"{e.comparison.change:+,.2f}"
                sig = e.comparison.significance
                if sig is not None and sig.p_value is not None:
                    change += " *" if sig.significant else " (ns)"
            ref = f"target {fmt_value(e.thresholds.target)}" if e.thresholds.target is not None else (e.reference or "")
            if e.error:
                ref = e.error
            # every cell and title as Text: a str is parsed as rich markup, and titles, units,
            # references and error messages (file names, headers, values) come from configs and data
            cells = [e.title, fmt_value(e.headline), e.unit, Text(e.status, style=_STATUS_STYLE.get(e.status, "")),
                     ref, change, sparkline([v for _, v, _ in e.trend][-SPARK_WIDTH:]),
                     fmt_value(e.trend[-1][2] if e.trend else e.result.n) if e.result else ""]
            t.add_row(*(term_cell(c) for c in cells))
        panels.append(Panel(t, title=term_text(area), title_align="left"))
    footer = []
    period = f" · latest {report.period}" if report.period else ""
    footer.append(term_text(f"{report.title}{period} · generated {report.generated_at}", style="dim"))
    if report.compare:
        footer.append(Text("change: * significant at 95%, (ns) not significant", style="dim"))
    for b in report.breaches:
        footer.append(term_text(f"{b.status.upper()}: {b.title} = {fmt_value(b.headline)}",
                                style=_STATUS_STYLE[b.status]))
    for s, msg in report.failed_sources.items():
        footer.append(term_text(f"FAILED source {s}: {msg}", style="bold red"))
    for k, msg in report.not_computed.items():
        footer.append(term_text(f"not computed: {k} ({msg})", style="dim"))
    return Group(*panels, *footer)


def render(report, color: bool = False, width: int = 120, **_) -> str:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="auto" if color else None, highlight=False)
    console.print(renderable(report))
    return buf.getvalue()

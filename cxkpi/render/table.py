"""The terminal view: a rich table per KPI, skipped rows and notes underneath."""

from __future__ import annotations

import io

from .safe import term_cell, term_text
from .text import fmt_interval, fmt_value, label


def renderable(result):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    if "theme" in result.group_by:  # cxkpi themes: its own layout of the same result
        from .themes import renderable as themes_view

        return themes_view(result)
    unit = f" ({result.unit})" if result.unit else ""
    # title, caption and headers as Text: a str there is parsed as rich markup
    table = Table(title=term_text(f"{result.title} — {result.kpi}"),
                  caption=term_text(result.file) if result.file else None, title_justify="left",
                  caption_justify="left", show_edge=True)
    for k in result.group_by:
        table.add_column(term_text(k), style="cyan")
    table.add_column(term_text(f"value{unit}"), justify="right", style="bold")
    table.add_column("95% CI", justify="right", no_wrap=True)
    table.add_column("n", justify="right")
    keys = list(result.breakdown)
    for g in result.groups:
        keys += [k for k in g.breakdown if k not in keys]
    for k in keys:
        table.add_column(term_text(label(k)), justify="right")
    table.add_column("", style="yellow")

    def add(key_cells, value, interval, n, breakdown, low, style=None):
        cells = key_cells + [fmt_value(value), fmt_interval(interval), fmt_value(n)]
        cells += [term_cell(fmt_value(breakdown.get(k))) for k in keys]  # a breakdown may hold a value from the data
        cells.append("low n" if low else "")
        table.add_row(*cells, style=style)

    total_keys = ["all"] + [""] * (len(result.group_by) - 1) if result.group_by else []
    add(total_keys, result.value, result.interval, result.n, result.breakdown, result.low_sample,
        style="bold" if result.groups else None)
    if result.groups:
        table.add_section()
    for g in result.groups:
        add([term_text(g.key.get(k, "")) for k in result.group_by], g.value, g.interval, g.n, g.breakdown, g.low_sample)

    lines = []
    if result.skipped.total:
        lines.append(Text(f"Skipped {result.skipped.total:,} of {result.rows:,} rows:", style="yellow"))
        for reason, count in result.skipped.counts.items():
            rows = ", ".join(str(r) for r in result.skipped.rows.get(reason, ()))
            lines.append(term_text(f"  {count:>6,}  {reason}" + (f"  (rows {rows}…)" if rows else "")))
    for note in result.notes:
        lines.append(term_text(f"Note: {note}", style="dim"))
    if result.benchmark:
        lines.append(term_text(f"Reference: {result.benchmark}", style="dim"))
    extra = []
    if result.extra.get("heatmap"):
        from .heatmap import renderable as heat_table

        extra = [Text(""), heat_table(result.extra["heatmap"])]
    return Group(table, *lines, *extra)


def render(results, color: bool = False, width: int = 120, **_) -> str:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="auto" if color else None, highlight=False)
    for i, r in enumerate(results):
        if i:
            console.print()
        console.print(renderable(r))
    return buf.getvalue()

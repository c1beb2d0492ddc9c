"""The terminal view: a rich table per KPI, skipped rows and notes underneath."""

from __future__ import annotations

import io

from ..results import RowRef
from .safe import term_cell, term_text
from .text import fmt_interval, fmt_value, label
from .units import unit_label


def _too_wide(headers: list[str], cells: list[str], width: int | None) -> bool:
    """Whether one row of these cells, in a table with borders, needs more than ``width`` columns."""
    if width is None:
        return False
    need = sum(max(len(h), len(c)) for h, c in zip(headers, cells)) + 3 * len(headers) + 1
    return need > width


def renderable(result, width: int | None = None):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    if "theme" in result.group_by:  # cxkpi themes: its own layout of the same result
        from .themes import renderable as themes_view

        return themes_view(result)
    unit = unit_label(result.unit)
    unit = f" ({unit})" if unit else ""  # money without a configured currency: no "(currency)"
    # title, caption and headers as Text: a str there is parsed as rich markup
    table = Table(title=term_text(f"{result.title} — {result.kpi}"),
                  caption=term_text(result.file) if result.file else None, title_justify="left",
                  caption_justify="left", show_edge=True)
    keys = list(result.breakdown)
    for g in result.groups:
        keys += [k for k in g.breakdown if k not in keys]
    headers = [f"value{unit}", "95% CI", "n"] + [label(k) for k in keys] + [""]
    cells = [fmt_value(result.value), fmt_interval(result.interval), fmt_value(result.n)]
    cells += [fmt_value(result.breakdown.get(k)) for k in keys] + ["low n" if result.low_sample else ""]
    if not result.groups and _too_wide(headers, cells, width):
        # one row too wide for the terminal (clv's 12 fields): a "field | value" table, nothing cut
        table.add_column("field", style="cyan", overflow="fold")
        table.add_column("value", justify="right", no_wrap=True)
        for i, (h, c) in enumerate(zip(headers, cells)):
            if c or i == 0:  # an empty field (no CI, a blank note) is left out; the value always stays
                table.add_row(term_text(h or "note"), term_cell(c, style="bold" if i == 0 else ""))
        return Group(table, *_notes(result))
    total_keys = ["all"] + [""] * (len(result.group_by) - 1) if result.group_by else []
    rows = [(total_keys, result.value, result.interval, result.n, result.breakdown, result.low_sample)]
    rows += [([g.key.get(k, "") for k in result.group_by], g.value, g.interval, g.n, g.breakdown, g.low_sample)
             for g in result.groups]
    # numbers never wrap nor get cut: breakdown columns that do not fit the width are left out (and named)
    shown, left_out = list(keys), []
    if width is not None:
        def need(col_cells, header):
            return max(len(header), *(len(c) for c in col_cells))

        fixed = sum(min(16, need([str(r[0][i]) for r in rows], k)) for i, k in enumerate(result.group_by))
        fixed += need([fmt_value(r[1]) for r in rows], f"value{unit}") + need([fmt_interval(r[2]) for r in rows], "95% CI")
        fixed += need([fmt_value(r[3]) for r in rows], "n") + (5 if any(r[5] for r in rows) else 0)
        widths = {k: need([fmt_value(r[4].get(k)) for r in rows], label(k)) for k in keys}

        def total():
            return fixed + sum(widths[k] for k in shown) + 3 * (len(result.group_by) + 4 + len(shown)) + 1

        while shown and total() > width:
            left_out.insert(0, shown.pop())
    for k in result.group_by:
        table.add_column(term_text(k), style="cyan", overflow="fold")
    table.add_column(term_text(f"value{unit}"), justify="right", style="bold", no_wrap=True)
    table.add_column("95% CI", justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    for k in shown:
        table.add_column(term_text(label(k)), justify="right", no_wrap=True)
    table.add_column("", style="yellow", no_wrap=True)

    for i, (key_cells, value, interval, n, breakdown, low) in enumerate(rows):
        cells = [term_text(k) for k in key_cells] + [fmt_value(value), fmt_interval(interval), fmt_value(n)]
        cells += [term_cell(fmt_value(breakdown.get(k))) for k in shown]  # a breakdown may hold a value from the data
        cells.append("low n" if low else "")
        table.add_row(*cells, style="bold" if i == 0 and result.groups else None)
        if i == 0 and result.groups:
            table.add_section()
    if left_out:
        note = term_text("not shown at this width: " + ", ".join(label(k) for k in left_out)
                         + " (wider terminal, or --format csv/json)", style="dim")
        return Group(table, note, *_notes(result))
    return Group(table, *_notes(result))


def _notes(result) -> list:
    from rich.text import Text

    lines = []
    if result.skipped.total:
        lines.append(Text(f"Skipped {result.skipped.total:,} of {result.rows:,} rows:", style="yellow"))
        for reason, count in result.skipped.counts.items():
            rows = _row_list(result.skipped.rows.get(reason, ()))
            lines.append(term_text(f"  {count:>6,}  {reason}" + (f"  ({rows}…)" if rows else "")))
    for note in result.notes:
        lines.append(term_text(f"Note: {note}", style="dim"))
    if result.benchmark:
        lines.append(term_text(f"Reference: {result.benchmark}", style="dim"))
    extra = []
    if result.extra.get("heatmap"):
        from .heatmap import renderable as heat_table

        extra = [Text(""), heat_table(result.extra["heatmap"])]
    return lines + extra


def _row_list(rows) -> str:
    """'rows 17, 18'; rows of a several-file source by file: 'a.csv row 17; b.csv rows 2, 9'."""
    by_file: dict = {}
    for r in rows:
        file, row = (r.file, r.row) if isinstance(r, RowRef) else (None, r)
        by_file.setdefault(file, []).append(str(row))
    return "; ".join(" ".join(x for x in (file, "row" if len(n) == 1 and file else "rows", ", ".join(n)) if x)
                     for file, n in by_file.items())


def render(results, color: bool = False, width: int = 120, **_) -> str:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="auto" if color else None, highlight=False)
    for i, r in enumerate(results):
        if i:
            console.print()
        console.print(renderable(r, width=width))
    return buf.getvalue()

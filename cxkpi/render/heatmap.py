"""The weekday × hour heat table a KPI may carry in ``KpiResult.extra["heatmap"]`` (e.g. ``peak``).

Payload: ``weekdays`` (7 labels), ``hours`` (0–23), ``counts`` (7 × 24 ints),
``peak`` (7 × 24 bools: the hour overlaps the peak hours), ``peak_hours`` (the
setting), optionally ``frt_median`` (7 × 24, None where no ticket was
answered) with ``frt_unit``, and ``show`` ("volume" or "frt": what the cells
hold). Cells are shaded from light to dark by their value; peak cells are
bold and underlined.
"""

from __future__ import annotations

import math

# YlOrRd end points: light yellow for the quietest cell, dark red for the busiest
_LOW = (255, 255, 204)
_HIGH = (189, 0, 38)


def _cells(heat: dict) -> tuple[list[list[float | None]], str]:
    if heat.get("show") == "frt" and heat.get("frt_median") is not None:
        return heat["frt_median"], f"median FRT ({heat.get('frt_unit', 'min')})"
    return heat["counts"], "tickets"


def _shade(t: float) -> str:
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(_LOW, _HIGH))
    ink = "white" if t > 0.55 else "black"
    return f"{ink} on rgb({r},{g},{b})"


def _fmt(v) -> str:
    """At most four characters, so 24 hours fit in 120 columns: 7, 123, 1.2k, 12k, 123k."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if abs(v) < 999.5:
        return f"{v:.0f}"
    if abs(v) < 9950:
        return f"{v / 1000:.1f}k"
    return f"{v / 1000:.0f}k"


class HeatTable:
    """A rich renderable: one table of 24 hours, or two of 12 when the console is too narrow."""

    def __init__(self, heat: dict):
        self.heat = heat

    def __rich_console__(self, console, options):
        grid, _ = _cells(self.heat)
        widest = max((len(_fmt(v)) for row in grid for v in row), default=1)
        needed = 4 + 24 * (max(widest, 2) + 1) + 7
        if needed <= options.max_width:
            yield _table(self.heat, range(24), title=True)
        else:
            yield _table(self.heat, range(12), title=True)
            yield _table(self.heat, range(12, 24), title=False)


def renderable(heat: dict) -> HeatTable:
    return HeatTable(heat)


def _table(heat: dict, hours, title: bool):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    grid, what = _cells(heat)
    present = [v for row in grid for v in row if v is not None and not (isinstance(v, float) and math.isnan(v))]
    top = max(present, default=0) or 1
    last = hours[-1] == 23
    from .safe import term_cell, term_text

    # the title holds a setting and the labels come from the payload: Text, never markup
    heading = f"{what} by weekday × hour — peak hours {heat.get('peak_hours')} (underlined)"
    table = Table(title=term_text(heading) if title else None,
                  title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1), pad_edge=False, show_edge=False,
                  caption="darker = more; hour = the hour the ticket was created in" if last else None,
                  caption_justify="left")
    table.add_column("", style="cyan", no_wrap=True)
    for h in hours:
        table.add_column(f"{heat['hours'][h]:02d}", justify="right", no_wrap=True)
    totals = what == "tickets" and last
    if totals:
        table.add_column("total", justify="right", style="bold", no_wrap=True)
    for day, row, peaks, counts in zip(heat["weekdays"], grid, heat["peak"], heat["counts"]):
        cells = []
        for h in hours:
            v = row[h]
            style = _shade(v / top) if v else ""
            if peaks[h]:
                style = f"{style} bold underline".strip()
            cells.append(Text(_fmt(v), style=style))
        if totals:
            cells.append(Text(f"{sum(counts):,}"))
        table.add_row(term_cell(day), *cells)
    return table


def markdown(heat: dict) -> str:
    """A pipe table: weekdays down, hours across; peak cells in bold."""
    grid, what = _cells(heat)
    hours = [f"{h:02d}" for h in heat["hours"]]
    lines = [f"### {what} by weekday × hour (peak hours {heat.get('peak_hours')} in bold)", "",
             "| | " + " | ".join(hours) + " |", "|---|" + "---:|" * len(hours)]
    for day, row, peaks in zip(heat["weekdays"], grid, heat["peak"]):
        cells = [(f"**{_fmt(v)}**" if p and _fmt(v) else _fmt(v)) for v, p in zip(row, peaks)]
        lines.append(f"| {day} | " + " | ".join(cells) + " |")
    return "\n".join(lines)

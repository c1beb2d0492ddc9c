"""The report in the terminal: a title naming the period, a panel per area, status colours, change and a sparkline.

Fits the terminal: number cells (value, change, n) never wrap nor get cut; the KPI title and the
target / reference text wrap; when the width is not enough the trend sparkline goes first, then the
reference column (its text then stands under the KPI's title), then the unit and n columns.
"""

from __future__ import annotations

import io
import math

from .headline import Ctx
from .headline import row as row_headline
from .safe import term_cell, term_text
from .text import fmt_value
from .units import fmt_change, fmt_date, fmt_unit_value, local_time, period_name

_STATUS_STYLE = {"on target": "green", "below target": "dark_orange", "warn": "yellow", "alert": "bold red",
                 "failed": "bold red", "none": "dim"}
_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 24  # the last 24 periods: a longer line would squeeze every other column

# (header, justify, wraps, min width of a wrapping column); the order they are shown in
COLUMNS = (("KPI", "left", True, 12), ("value", "right", False, 0), ("unit", "left", True, 8),
           ("status", "left", False, 0), ("target / reference", "left", True, 12), ("change", "right", False, 0),
           ("trend", "left", False, 0), ("n", "right", False, 0))
# what goes when the terminal is too narrow, first to last; KPI, value, status and change always stay
DROP_ORDER = ("trend", "target / reference", "unit", "n")
_PANEL = 4  # a panel's two borders and its padding of one each side


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


def change_style(entry) -> str:
    """Better green, worse red (by the KPI's direction), dim when the change is not significant."""
    c = entry.comparison
    if c is None or c.change is None:
        return ""
    style = ""
    if entry.higher_is_better is not None and c.change != 0:
        better = (c.change > 0) == bool(entry.higher_is_better)
        style = "green" if better else "red"
    sig = c.significance
    if sig is not None and sig.p_value is not None and not sig.significant:
        style = (style + " dim").strip()
    return style


def _change_text(entry) -> str:
    c = entry.comparison
    if c is None or c.change is None:
        return ""
    text = fmt_change(c.change, entry.unit)
    sig = c.significance
    if sig is not None and sig.p_value is not None:
        text += " *" if sig.significant else " (ns)"
    return text


def _reference(entry, currency) -> str:
    if entry.error:
        return entry.error
    t = entry.thresholds.target
    if t is not None:
        num, unit = fmt_unit_value(t, entry.unit, currency)
        sign = "≤" if entry.higher_is_better is False else "≥"
        return f"target {sign} {num}{' ' + unit if unit and unit != '%' else unit}"
    return entry.reference or ""


def _cells(entry, report) -> dict:
    from rich.text import Text

    currency = getattr(report, "currency", None)
    value, unit, line, of_what = row_headline(entry, report)  # the HTML card's, laid out for a row
    n = entry.n if entry.n is not None else (entry.trend[-1][2] if entry.trend else
                                              entry.result.n if entry.result else None)
    status = "" if entry.status == "none" else entry.status  # no target: no status word, the reference says more
    title = term_text(entry.title)
    if line:  # mean and p90 beside a median, the backlog beside the tickets created, the top topic's name
        title = Text.assemble(title, "\n", term_text(line, style="dim"))
    change = _change_text(entry)
    # every cell as Text: a str is parsed as rich markup, and titles, units, references and error
    # messages (file names, headers, values) come from configs and data
    return {"KPI": title,
            "value": term_cell(value),
            "unit": term_cell(unit),
            "status": Text(status, style=_STATUS_STYLE.get(entry.status, "")),
            "target / reference": term_cell(_reference(entry, currency)),
            "change": term_cell(of_what + change if change else "", style=change_style(entry)),
            "trend": term_cell(sparkline([v for _, v, _ in entry.trend][-SPARK_WIDTH:])),
            "n": term_cell(fmt_value(n) if n is not None else "")}


def _longest_word(text) -> int:
    return max((len(w) for w in text.plain.split()), default=0)


def columns_for(rows: list[dict], width: int) -> list[str]:
    """The columns that fit ``width``: each fixed column as wide as its widest cell, each wrapping
    column at its minimum; drop by DROP_ORDER until the table fits the panel."""
    need = {}
    for name, _, wraps, min_w in COLUMNS:
        cells = [r[name] for r in rows]
        if not any(c.plain for c in cells):
            continue  # a column with nothing in it (no trend, no comparison) is not drawn
        if name == "unit":
            need[name] = max(4, *(_longest_word(c) for c in cells))
        elif wraps:
            need[name] = max(min_w, _longest_word(term_text(name)), *(min(_longest_word(c), min_w) for c in cells))
        else:
            need[name] = max(len(name), *(c.cell_len for c in cells))
    keep = [name for name, *_ in COLUMNS if name in need]

    def total(cols):  # each column: padding 1 each side; a rule between columns
        return sum(need[c] for c in cols) + 3 * len(cols) - 1 + _PANEL

    for name in DROP_ORDER:
        if total(keep) <= width:
            break
        if name in keep:
            keep.remove(name)
    return keep if total(keep) <= width else None


def _as_lines(rows: list[dict]):
    """Too narrow for any table: each KPI as its title and one line of ``value unit · status · change · n``."""
    from rich.console import Group
    from rich.text import Text

    out = []
    for r in rows:
        out.append(Text.assemble(r["KPI"], style="bold"))
        bits = [Text.assemble(r["value"], " ", r["unit"]) if r["unit"].plain else r["value"]]
        bits += [r[k] for k in ("status", "change") if r[k].plain]
        if r["n"].plain:
            bits.append(Text.assemble("n ", r["n"]))
        if r["target / reference"].plain:
            bits.append(Text(r["target / reference"].plain, style="dim"))
        out.append(Text.assemble("  ", *[x for b in bits for x in (b, " · ")][:-1]))
    return Group(*out)


def _header_line(report) -> list:
    from rich.text import Text

    name = Ctx(report).name
    head = report.title
    current = getattr(report, "headline_period", None)
    if not report.period:
        head += " · all data (totals; --period month for the latest)"
    elif current:
        head += f" · {name(current)}"
        previous = getattr(report, "compare_period", None)
        if previous:
            head += f" vs {name(previous)}"
    lines = [term_text(head, style="bold")]
    start, end = getattr(report, "data_range", (None, None))
    meta = []
    if start or end:
        meta.append(f"data {fmt_date(start)} – {fmt_date(end)}")
    meta.append(f"generated {local_time(report.generated_at, getattr(report, 'timezone', None))}")
    lines.append(term_text(" · ".join(meta), style="dim"))
    lines.append(Text(""))
    return lines


def renderable(report, width: int = 120):
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    currency = getattr(report, "currency", None)
    areas: dict[str, list] = {}
    for e in report.entries:
        areas.setdefault(e.area, []).append(e)
    rows = {area: [_cells(e, report) for e in items] for area, items in areas.items()}
    # the same columns in every panel, chosen from all rows
    keep = columns_for([r for rs in rows.values() for r in rs], width)
    panels = []
    for area, area_rows in rows.items():
        if keep is None:  # narrower than the smallest table: lines, nothing cut
            panels.append(Panel(_as_lines(area_rows), title=term_text(area), title_align="left"))
            continue
        t = Table(expand=True, show_edge=False)
        for name, just, wraps, min_w in COLUMNS:
            if name not in keep:
                continue
            if name == "unit":  # wraps between words only: at least as wide as its longest word
                longest = max(4, *(_longest_word(r[name]) for r in area_rows))
                # narrow (the trend is gone): "% of comments" wraps to leave the KPI title the room
                t.add_column(name, justify=just, overflow="fold", min_width=longest,
                             max_width=None if "trend" in keep else max(longest, 8))
            elif wraps:
                t.add_column(name, justify=just, overflow="fold", min_width=min_w, ratio=1)
            else:
                w = max(len(name), *(r[name].cell_len for r in area_rows))
                t.add_column(name, justify=just, no_wrap=True, min_width=w)
        for r in area_rows:
            cells = dict(r)
            ref = r["target / reference"]
            if "target / reference" not in keep and ref.plain:
                # no room for the column: the target or benchmark goes under the KPI's title, dim
                cells["KPI"] = Text.assemble(r["KPI"], "\n", Text(ref.plain, style="dim"))
            t.add_row(*(cells[name] for name in keep))
        panels.append(Panel(t, title=term_text(area), title_align="left"))
    footer = []
    if report.compare:
        footer.append(Text("change: * significant at 95 %, (ns) not significant; green better, red worse",
                           style="dim"))
    if any(e.status not in ("none", "failed") for e in report.entries):
        footer.append(Text("status: below target = worse than the target; warn, alert = past a limit; "
                           "blank = no target", style="dim"))
    current = getattr(report, "headline_period", None)
    for e in report.entries:
        if current and e.headline_period and e.headline_period != current:
            footer.append(term_text(f"{e.title}: latest data is {period_name(e.headline_period, report.period)}",
                                    style="dim"))
    for b in report.breaches:
        value, unit = fmt_unit_value(b.headline, b.unit, currency)
        footer.append(term_text(f"{b.status.upper()}: {b.title} = {value}{' ' + unit if unit else ''}",
                                style=_STATUS_STYLE[b.status]))
    for s, msg in report.failed_sources.items():
        footer.append(term_text(f"FAILED source {s}: {msg}", style="bold red"))
    for k, msg in report.not_computed.items():
        footer.append(term_text(f"not computed: {k} ({msg})", style="dim"))
    return Group(*_header_line(report), *panels, *footer)


def render(report, color: bool = False, width: int = 120, **_) -> str:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="auto" if color else None, highlight=False)
    console.print(renderable(report, width=width))
    return buf.getvalue()

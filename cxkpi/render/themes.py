"""Terminal view of a result grouped by theme (``cxkpi themes``).

With no other key: one row per theme with its share, the detractors' and
promoters' shares, lift, the scores of who mentions it and an example. With one
other key of a few values (``--by nps-group``, ``--by channel``): the groups
side by side, a column each. Otherwise: one long table. JSON/CSV/Markdown use
the generic renderers; this only lays out the same result objects.
"""

from __future__ import annotations

import math

from .safe import term_cell, term_text
from .text import fmt_value

THEME = "theme"
SIDE_BY_SIDE_MAX = 6
EXAMPLE_CHARS = 48
_SCORES = (("nps", "NPS"), ("csat", "CSAT %"), ("ces", "CES"))


def _absent(v) -> bool:
    """None, or NaN (a share of no comments: a group without detractors has no detr. %)."""
    return v is None or (isinstance(v, float) and math.isnan(v))


def _pct(v) -> str:
    return "–" if _absent(v) else f"{v:.1f}"


def _lift(v) -> str:
    if _absent(v):
        return "–"
    return f"{v:.2f}" if v < 10 else f"{v:.0f}"


def _clip(text: str, width: int = EXAMPLE_CHARS) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _example(g) -> str:
    shown = list(g.breakdown.get("examples") or [])[:1]
    return f"“{_clip(str(shown[0]))}”" if shown else ""


def _footer(result, lift_line: bool):
    from rich.text import Text

    lines = []
    if result.skipped.total:
        lines.append(Text(f"Skipped {result.skipped.total:,} of {result.rows:,} rows:", style="yellow"))
        for reason, count in result.skipped.counts.items():
            lines.append(term_text(f"  {count:>6,}  {reason}"))
    b = result.breakdown
    summary = (f"{result.n:,} comments; {fmt_value(result.value, 1)}% mention a listed theme"
               f" ({b.get('detractor_comments', 0):,} from detractors, {b.get('promoter_comments', 0):,} from promoters)")
    lines.append(Text(summary, style="dim"))
    if lift_line:
        lines.append(Text("detr. % / prom. % = share of detractors' / promoters' comments mentioning the theme",
                          style="dim"))
    if lift_line:
        lines.append(Text("lift = detr. % ÷ prom. % (+0.5 smoothing): above 1 leans to detractors; "
                          "all examples in --format json/csv", style="dim"))
    for note in result.notes:
        lines.append(term_text(f"Note: {note}", style="dim"))
    return lines


def _columns(result) -> list[str]:
    keys: list[str] = []
    for g in result.groups:
        keys += [k for k in g.breakdown if k not in keys]
    return keys


def _detail(result, keys: list[str]):
    from rich.table import Table

    # title, caption, headers and cells as Text: a str is parsed as rich markup, and themes,
    # keys and examples are the customers' own words
    table = Table(title=term_text(f"{result.title} — {result.kpi}"), caption=_caption(result),
                  title_justify="left", caption_justify="left")
    for k in keys:
        table.add_column(term_text(k), style="cyan", no_wrap=True)
    if keys:
        table.add_column("comments", justify="right", no_wrap=True)
    table.add_column(THEME, style="bold", min_width=10)
    cols = _columns(result)
    compare = "lift" in cols and any(g.breakdown.get("lift") is not None for g in result.groups)
    scores = [(k, label) for k, label in _SCORES if k in cols]
    numbers = ["share %", "mentions"] + (["detr. %", "prom. %", "lift"] if compare else [])
    for label in numbers + [label for _, label in scores]:
        table.add_column(label, justify="right", no_wrap=True, min_width=len(label))
    example = not keys  # with more key columns there is no room; JSON/CSV carry every example
    if example:
        table.add_column("example", max_width=EXAMPLE_CHARS + 2)
    previous = None
    for g in result.groups:
        group = tuple(g.key.get(k) for k in keys)
        if previous is not None and group != previous:
            table.add_section()
        cells = [str(v) if v != previous_v else "" for v, previous_v in
                 zip(group, previous or (None,) * len(keys))] if keys else []
        if keys:
            cells.append("" if group == previous else f"{g.n:,}" + (" low n" if g.low_sample else ""))
        previous = group
        b = g.breakdown
        cells += [str(g.key.get(THEME)), _pct(g.value), fmt_value(b.get("mentions"))]
        if compare:
            cells += [_pct(b.get("detractors_pct")), _pct(b.get("promoters_pct")), _lift(b.get("lift"))]
        cells += [fmt_value(b.get(k), 1) for k, _ in scores]
        if example:
            cells.append(_example(g))
        table.add_row(*(term_cell(c) for c in cells))
    return table


def _caption(result):
    return term_text(result.file) if result.file else None


def _side_by_side(result, key: str, values: list):
    from rich.table import Table

    table = Table(title=term_text(f"{result.title} — {result.kpi} by {key}"), caption=_caption(result),
                  title_justify="left", caption_justify="left")
    table.add_column("#", justify="right", style="dim")
    columns = {v: [g for g in result.groups if g.key.get(key) == v] for v in values}
    for v, groups in columns.items():
        n = groups[0].n if groups else 0
        low = " low n" if groups and groups[0].low_sample else ""
        table.add_column(term_text(f"{v} ({n:,} comments{low})"), overflow="fold")
    depth = max(len(gs) for gs in columns.values())
    for i in range(depth):
        row = [str(i + 1)]
        for groups in columns.values():
            if i < len(groups):
                g = groups[i]
                row.append(f"{g.key.get(THEME)}  {_pct(g.value)}% ({fmt_value(g.breakdown.get('mentions'))})")
            else:
                row.append("")
        table.add_row(*(term_cell(c) for c in row))
    return table


def renderable(result):
    from rich.console import Group

    keys = [k for k in result.group_by if k != THEME]
    values = list(dict.fromkeys(g.key.get(keys[0]) for g in result.groups)) if len(keys) == 1 else []
    side_by_side = len(keys) == 1 and 1 < len(values) <= SIDE_BY_SIDE_MAX
    table = _side_by_side(result, keys[0], values) if side_by_side else _detail(result, keys)
    lift = not side_by_side and any(g.breakdown.get("lift") is not None for g in result.groups)
    return Group(table, *_footer(result, lift))

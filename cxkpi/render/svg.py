"""Small inline-SVG charts for the HTML report: no JavaScript, no network."""

from __future__ import annotations

import html
import math

PALETTE = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2"]


def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:,.2f}" if isinstance(v, float) else str(v)


def line_chart(points: list[tuple[str, float | None]], title: str, width: int = 520, height: int = 200,
               unit: str = "") -> str:
    """A line with a dot and tooltip per period; gaps where a value is missing."""
    vals = [v for _, v in points if v is not None and not (isinstance(v, float) and math.isnan(v))]
    pad_l, pad_r, pad_t, pad_b = 48, 30, 24, 36
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    parts = [f'<svg class="chart line-chart" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{pad_l}" y="16" class="chart-title">{_esc(title)}</text>']
    if not vals:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no data</text></svg>')
        return "".join(parts)
    lo, hi = min(vals), max(vals)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    span = hi - lo
    lo, hi = lo - span * 0.1, hi + span * 0.1
    n = len(points)

    def x(i):
        return pad_l + (inner_w * (i / (n - 1)) if n > 1 else inner_w / 2)

    def y(v):
        return pad_t + inner_h * (1 - (v - lo) / (hi - lo))

    for frac in (0, 0.5, 1):
        v = lo + (hi - lo) * frac
        parts.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
                     f'<text x="{pad_l - 4}" y="{y(v) + 4:.1f}" text-anchor="end" class="axis">{v:,.1f}</text>')
    segment: list[str] = []
    paths = []
    for i, (_, v) in enumerate(points):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            if segment:
                paths.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(v):.1f}")
    if segment:
        paths.append(segment)
    for seg in paths:
        parts.append(f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="2" points="{" ".join(seg)}"/>')
    step = max(1, math.ceil(n / 8))
    for i, (label, v) in enumerate(points):
        if v is not None and not (isinstance(v, float) and math.isnan(v)):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{PALETTE[0]}">'
                         f'<title>{_esc(label)}: {_fmt(v)}{_esc(unit)}</title></circle>')
        if i % step == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="middle" class="axis">{_esc(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(rows: list[tuple[str, list[float]]], series: list[str], title: str, width: int = 520,
                 height: int = 200) -> str:
    """100%-stacked horizontal bars (e.g. detractors / passives / promoters per period)."""
    colors = {"detractors": "#dc2626", "passives": "#a3a3a3", "promoters": "#16a34a", "dissatisfied": "#dc2626",
              "satisfied": "#16a34a"}
    bar_h = 18
    height = max(height, 40 + len(rows) * (bar_h + 6) + 20)
    pad_l = 80
    inner_w = width - pad_l - 12
    parts = [f'<svg class="chart stacked-chart" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{pad_l}" y="16" class="chart-title">{_esc(title)}</text>']
    for r, (label, values) in enumerate(rows):
        total = sum(v for v in values if v) or 1
        y = 28 + r * (bar_h + 6)
        x = pad_l
        parts.append(f'<text x="{pad_l - 6}" y="{y + 13}" text-anchor="end" class="axis">{_esc(label)}</text>')
        for name, v in zip(series, values):
            w = inner_w * (v or 0) / total
            color = colors.get(name, PALETTE[series.index(name) % len(PALETTE)])
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                         f'<title>{_esc(label)} {_esc(name)}: {_fmt(v)} ({100 * (v or 0) / total:.1f}%)</title></rect>')
            x += w
    ly = height - 8
    lx = pad_l
    for name in series:
        color = colors.get(name, PALETTE[series.index(name) % len(PALETTE)])
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="{ly}" class="axis">{_esc(name)}</text>')
        lx += 14 + 8 * len(name) + 16
    parts.append("</svg>")
    return "".join(parts)


def bars(rows: list[tuple[str, float]], title: str, width: int = 520, unit: str = "") -> str:
    """Horizontal bars, highest first as given (e.g. top topics)."""
    bar_h = 16
    height = 36 + len(rows) * (bar_h + 5)
    pad_l = 130
    inner_w = width - pad_l - 60
    top = max([v for _, v in rows if v is not None] or [1]) or 1
    parts = [f'<svg class="chart bar-chart" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{pad_l}" y="16" class="chart-title">{_esc(title)}</text>']
    for i, (label, v) in enumerate(rows):
        y = 26 + i * (bar_h + 5)
        w = inner_w * (v or 0) / top
        parts.append(f'<text x="{pad_l - 6}" y="{y + 12}" text-anchor="end" class="axis">{_esc(label)}</text>'
                     f'<rect x="{pad_l}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[0]}">'
                     f'<title>{_esc(label)}: {_fmt(v)}{_esc(unit)}</title></rect>'
                     f'<text x="{pad_l + w + 4:.1f}" y="{y + 12}" class="axis">{_fmt(v)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def heat_map(row_labels: list[str], col_labels: list[str], matrix: list[list[float]], title: str) -> str:
    """A weekday × hour grid whose cell colour follows the value."""
    cell_w, cell_h, pad_l, pad_t = 20, 18, 44, 30
    width = pad_l + cell_w * len(col_labels) + 10
    height = pad_t + cell_h * len(row_labels) + 10
    flat = [v for row in matrix for v in row if v is not None]
    top = max(flat) if flat else 1
    parts = [f'<svg class="chart heat-map" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{pad_l}" y="14" class="chart-title">{_esc(title)}</text>']
    for j, c in enumerate(col_labels):
        if j % 3 == 0:
            parts.append(f'<text x="{pad_l + j * cell_w + cell_w / 2}" y="{pad_t - 4}" text-anchor="middle" class="axis">{_esc(c)}</text>')
    for i, r in enumerate(row_labels):
        parts.append(f'<text x="{pad_l - 4}" y="{pad_t + i * cell_h + 13}" text-anchor="end" class="axis">{_esc(r)}</text>')
        for j, v in enumerate(matrix[i]):
            share = (v or 0) / top if top else 0
            color = f"rgba(37,99,235,{0.06 + 0.94 * share:.3f})"
            parts.append(f'<rect x="{pad_l + j * cell_w}" y="{pad_t + i * cell_h}" width="{cell_w - 1}" '
                         f'height="{cell_h - 1}" fill="{color}"><title>{_esc(r)} {_esc(col_labels[j])}: {_fmt(v)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)

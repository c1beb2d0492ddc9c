"""Small inline-SVG charts for the HTML report: no JavaScript, no network.

Axes use round tick values (steps of 1, 2 or 5 × 10ⁿ) with as many decimals as the step needs, so no two
ticks read the same; rate axes start at 0; a target is drawn as a dashed line and kept inside the axis.
"""

from __future__ import annotations

import html
import math
from typing import Callable

from .units import is_missing as _missing

PALETTE = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2"]
_CHAR_W = 7.2  # average width of an axis character (14 px on a phone, scaled), for spacing labels


def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v) -> str:
    if _missing(v):
        return "–"
    return f"{v:,.2f}" if isinstance(v, float) else str(v)


def nice_ticks(lo: float, hi: float, count: int = 5) -> tuple[list[float], int]:
    """Round ticks covering lo…hi (about ``count`` steps) and the decimals their labels need.

    0…36.1 → [0, 10, 20, 30, 40] with 0 decimals; 0.52…0.61 → [0.52, 0.54, …, 0.62] with 2.
    """
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    end = math.ceil(hi / step - 1e-9) * step
    ticks = []
    k = 0
    while start + k * step <= end + step * 1e-9:
        ticks.append(round(start + k * step, 10))
        k += 1
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return ticks, decimals


def _label_step(labels: list[str], inner_w: float) -> int:
    """Show every k-th x label so that none overlaps (each needs its width plus a gap)."""
    if not labels:
        return 1
    widest = max(len(str(s)) for s in labels) * _CHAR_W + 10
    per = inner_w / max(len(labels) - 1, 1)
    return max(1, math.ceil(widest / per)) if len(labels) > 1 else 1


def line_chart(points: list[tuple[str, float | None]], title: str, width: int = 520, height: int = 210,
               unit: str = "", *, target: float | None = None, zero: bool = False, axis_label: str = "",
               fmt: Callable[[float], str] | None = None, labels: list[str] | None = None) -> str:
    """A line with a dot and tooltip per period; gaps where a value is missing.

    ``zero``: the axis starts at 0 (rates, counts); ``target``: a dashed line, always inside the axis;
    ``axis_label``: the unit under the title; ``fmt``: how a value reads in a tooltip; ``labels``: the
    x labels to show (default: the points' periods).
    """
    fmt = fmt or (lambda v: f"{_fmt(v)}{unit}")
    labels = labels or [p for p, _ in points]
    vals = [v for _, v in points if not _missing(v)]
    pad_l, pad_r, pad_t, pad_b = 52, 32, 46, 30
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    parts = [f'<svg class="chart line-chart" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="12" y="17" class="chart-title">{_esc(title)}</text>']
    if axis_label:
        parts.append(f'<text x="12" y="34" class="axis unit">{_esc(axis_label)}</text>')
    if not vals:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="axis">no data</text></svg>')
        return "".join(parts)
    lo, hi = min(vals), max(vals)
    if target is not None and not _missing(target):
        lo, hi = min(lo, target), max(hi, target)
    if zero:
        lo = min(0.0, lo)
    else:
        span = (hi - lo) or abs(hi) * 0.1 or 1.0
        lo, hi = lo - span * 0.15, hi + span * 0.15
    ticks, decimals = nice_ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]
    n = len(points)

    def x(i):
        return pad_l + (inner_w * (i / (n - 1)) if n > 1 else inner_w / 2)

    def y(v):
        return pad_t + inner_h * (1 - (v - lo) / (hi - lo))

    for t in ticks:
        parts.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(t):.1f}" y2="{y(t):.1f}" class="grid"/>'
                     f'<text x="{pad_l - 6}" y="{y(t) + 4:.1f}" text-anchor="end" class="axis">{t:,.{decimals}f}</text>')
    if target is not None and not _missing(target):
        parts.append(f'<line class="target" x1="{pad_l}" x2="{width - pad_r}" y1="{y(target):.1f}" '
                     f'y2="{y(target):.1f}" stroke="#dc2626" stroke-dasharray="5 3" stroke-width="1.5">'
                     f'<title>target {_esc(fmt(target))}</title></line>'
                     f'<text x="{pad_l + 4}" y="{y(target) - 4:.1f}" class="axis target-label">'
                     f'target {_esc(fmt(target))}</text>')
    segment: list[str] = []
    paths = []
    for i, (_, v) in enumerate(points):
        if _missing(v):
            if segment:
                paths.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(v):.1f}")
    if segment:
        paths.append(segment)
    for seg in paths:
        parts.append(f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="2" points="{" ".join(seg)}"/>')
    step = _label_step(labels, inner_w)
    last = n - 1
    for i, (label, v) in enumerate(points):
        if not _missing(v):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{PALETTE[0]}">'
                         f'<title>{_esc(label)}: {_esc(fmt(v))}</title></circle>')
        # every step-th label counted back from the last one (the headline period is always labelled)
        if (last - i) % step == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 10}" text-anchor="middle" class="axis">'
                         f'{_esc(labels[i])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(rows: list[tuple[str, list[float]]], series: list[str], title: str, width: int = 520,
                 height: int = 200) -> str:
    """100%-stacked horizontal bars (e.g. detractors / passives / promoters per period), with their shares."""
    colors = {"detractors": "#dc2626", "passives": "#a3a3a3", "promoters": "#16a34a", "dissatisfied": "#dc2626",
              "satisfied": "#16a34a"}
    bar_h = 18
    height = max(height, 40 + len(rows) * (bar_h + 6) + 24)
    pad_l = 72
    inner_w = width - pad_l - 12
    parts = [f'<svg class="chart stacked-chart" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="12" y="17" class="chart-title">{_esc(title)}</text>']
    for r, (label, values) in enumerate(rows):
        total = sum(v for v in values if v) or 1
        y = 30 + r * (bar_h + 6)
        x = pad_l
        parts.append(f'<text x="{pad_l - 6}" y="{y + 13}" text-anchor="end" class="axis">{_esc(label)}</text>')
        for name, v in zip(series, values):
            share = 100 * (v or 0) / total
            w = inner_w * (v or 0) / total
            color = colors.get(name, PALETTE[series.index(name) % len(PALETTE)])
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                         f'<title>{_esc(label)} {_esc(name)}: {_fmt(v)} ({share:.1f}%)</title></rect>')
            if w >= 30:  # the share inside its segment when it fits
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + 13}" text-anchor="middle" class="seg">'
                             f'{share:.0f}%</text>')
            x += w
    ly = height - 8
    lx = pad_l
    for name in series:
        color = colors.get(name, PALETTE[series.index(name) % len(PALETTE)])
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="{ly}" class="axis">{_esc(name)}</text>')
        lx += 14 + _CHAR_W * len(name) + 16
    parts.append("</svg>")
    return "".join(parts)


def bars(rows: list[tuple[str, float]], title: str, width: int = 520, unit: str = "",
         value_text: Callable[[str, float], str] | None = None) -> str:
    """Horizontal bars, highest first as given (e.g. top topics), each labelled with its name and value."""
    bar_h = 16
    height = 40 + len(rows) * (bar_h + 5)
    longest = max((len(str(label)) for label, _ in rows), default=4)
    pad_l = int(min(max(longest * _CHAR_W + 12, 60), 170))
    inner_w = width - pad_l - 90
    top = max([v for _, v in rows if not _missing(v)] or [1]) or 1
    value_text = value_text or (lambda _label, v: f"{_fmt(v)}{unit}")
    parts = [f'<svg class="chart bar-chart" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="12" y="17" class="chart-title">{_esc(title)}</text>']
    for i, (label, v) in enumerate(rows):
        y = 30 + i * (bar_h + 5)
        w = inner_w * (v or 0) / top
        shown = str(label) if len(str(label)) * _CHAR_W <= pad_l - 10 else \
            str(label)[: max(int((pad_l - 10) / _CHAR_W) - 1, 1)] + "…"
        parts.append(f'<text x="{pad_l - 6}" y="{y + 12}" text-anchor="end" class="axis">{_esc(shown)}'
                     f'<title>{_esc(label)}</title></text>'
                     f'<rect x="{pad_l}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[0]}">'
                     f'<title>{_esc(label)}: {_esc(value_text(label, v))}</title></rect>'
                     f'<text x="{pad_l + w + 4:.1f}" y="{y + 12}" class="axis">{_esc(value_text(label, v))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def heat_map(row_labels: list[str], col_labels: list[str], matrix: list[list[float]], title: str,
             what: str = "tickets") -> str:
    """A weekday × hour grid whose cell colour follows the value, with a colour scale (0 … the busiest cell)."""
    cell_w, cell_h, pad_l, pad_t = 20, 18, 44, 48
    width = pad_l + cell_w * len(col_labels) + 10
    height = pad_t + cell_h * len(row_labels) + 44
    flat = [v for row in matrix for v in row if not _missing(v)]
    top = max(flat) if flat else 1

    def color(share: float) -> str:
        return f"rgba(37,99,235,{0.06 + 0.94 * share:.3f})"

    parts = [f'<svg class="chart heat-map" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="12" y="17" class="chart-title">{_esc(title)}</text>',
             f'<text x="12" y="31" class="axis unit">hour of day (columns) · weekday (rows)</text>']
    for j, c in enumerate(col_labels):
        if j % 3 == 0:
            parts.append(f'<text x="{pad_l + j * cell_w + cell_w / 2}" y="{pad_t - 4}" text-anchor="middle" '
                         f'class="axis">{_esc(c)}</text>')
    for i, r in enumerate(row_labels):
        parts.append(f'<text x="{pad_l - 4}" y="{pad_t + i * cell_h + 13}" text-anchor="end" class="axis">{_esc(r)}</text>')
        for j, v in enumerate(matrix[i]):
            share = (v or 0) / top if top else 0
            parts.append(f'<rect x="{pad_l + j * cell_w}" y="{pad_t + i * cell_h}" width="{cell_w - 1}" '
                         f'height="{cell_h - 1}" fill="{color(share)}"><title>{_esc(r)} {_esc(col_labels[j])}: '
                         f'{_fmt(v)} {_esc(what)}</title></rect>')
    # the scale: five swatches from 0 to the busiest cell
    ly = pad_t + cell_h * len(row_labels) + 14
    parts.append(f'<g class="heat-legend"><text x="{pad_l}" y="{ly + 11}" class="axis">0</text>')
    for k in range(5):
        parts.append(f'<rect x="{pad_l + 14 + k * 24}" y="{ly}" width="23" height="14" fill="{color(k / 4)}"/>')
    top_text = f"{top:,.0f}" if float(top).is_integer() else f"{top:,.1f}"
    parts.append(f'<text x="{pad_l + 14 + 5 * 24 + 4}" y="{ly + 11}" class="axis">{_esc(top_text)} {_esc(what)} '
                 f'per cell (busiest hour)</text></g>')
    parts.append("</svg>")
    return "".join(parts)

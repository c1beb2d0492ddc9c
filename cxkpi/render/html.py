"""The HTML report: one self-contained file (inline CSS and SVG, no network requests).

The header names the headline period (``October 2025``, compared with ``September 2025``), the data's
date range and when it was generated, in the config's time zone. Each card shows the value in a human
unit (``4h 58m``, ``638.30 EUR``), its status against the target in words and colour (no colour without
a target: the reference benchmark is shown as text instead), the n of that value, and the change.
"""

from __future__ import annotations

import html as _html
import os

from ..compare import ALERT, BELOW_TARGET, NONE, ON_TARGET, STATUS_MEANING, WARN
from . import svg
from .headline import MEDIAN, TOP_LABEL, TOP_THEME_LIFT
from .headline import Ctx as _Ctx
from .headline import card as _headline
from .headline import kind as _headline_kind
from .headline import latest_groups as _latest_groups
from .headline import topic_rows as _topic_rows
from .text import fmt_value
from .units import (FREE_AXIS, duration_scale, fmt_change, fmt_date, fmt_duration, fmt_unit_value, is_duration,
                    local_time, period_end, period_name)

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f8fafc;color:#0f172a;
line-height:1.35}
header{background:#0f172a;color:#f8fafc;padding:18px 28px}
header .in,main{max-width:1200px;margin:0 auto}
header h1{margin:0;font-size:22px}
header .period{margin:6px 0 0;font-size:17px;color:#f8fafc;font-weight:600}
header .meta{margin:4px 0 0;color:#cbd5e1;font-size:13px}
main{padding:20px 28px 40px}
h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 8px;color:#334155}
.attention{background:#fff;border:1px solid #e2e8f0;border-left:6px solid #fb923c;border-radius:8px;padding:10px 14px;
font-size:14px;margin:4px 0 8px}.attention.good{border-left-color:#16a34a}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px;border-left:6px solid #e2e8f0;
min-width:0}
.card.on-target{border-left-color:#16a34a}.card.below-target{border-left-color:#fb923c}
.card.warn{border-left-color:#f59e0b}.card.alert{border-left-color:#dc2626}
.card.failed{border-left-color:#7f1d1d;background:#fef2f2}
.card .t{font-size:13px;color:#334155;font-weight:600;display:flex;justify-content:space-between;gap:6px;
align-items:flex-start}
.card .v{font-size:26px;font-weight:650;margin:4px 0 2px;overflow-wrap:anywhere}
.card .v small{font-size:14px;font-weight:500;color:#475569;margin-left:4px}
.card .s{font-size:12px;color:#334155}
.card .m{font-size:12px;color:#64748b;margin-top:2px;overflow-wrap:anywhere}
.card .m.late{color:#9a3412;font-weight:600}
.badge{display:inline-block;padding:1px 6px;border-radius:4px;font-size:11px;white-space:nowrap;
font-weight:600;text-transform:uppercase;background:#e2e8f0;color:#334155}
.badge.on-target{background:#dcfce7;color:#166534}.badge.below-target{background:#ffedd5;color:#9a3412}
.badge.warn{background:#fef3c7;color:#92400e}.badge.alert{background:#fee2e2;color:#991b1b}
.legend{list-style:none;padding:0;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:6px 16px;font-size:12px;
color:#475569}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:14px}
.chart-box{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:4px;min-width:0}
svg.chart{display:block;width:100%;height:auto}
.chart-title{font-size:13px;font-weight:600;fill:#0f172a}.axis{font-size:11px;fill:#475569}
.seg{font-size:11px;fill:#fff;font-weight:600}.target-label{fill:#dc2626}
.grid{stroke:#e2e8f0}
.scroll{overflow-x:auto;background:#fff;border:1px solid #e2e8f0;border-radius:8px;max-width:100%}
table{border-collapse:collapse;font-size:13px;width:100%}
td,th{border-bottom:1px solid #e2e8f0;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f1f5f9;white-space:nowrap}td.num,th.num{text-align:right;white-space:nowrap}
td.reasons{font-size:12px;color:#475569;min-width:180px}
.up{color:#16a34a}.down{color:#dc2626}
footer{max-width:1200px;margin:0 auto;padding:0 28px 30px;font-size:12px;color:#64748b}
@media (max-width:480px){
header{padding:14px 14px}header h1{font-size:19px}header .period{font-size:15px}
main{padding:12px 12px 30px}footer{padding:0 12px 20px}
.cards{grid-template-columns:1fr}.charts{grid-template-columns:1fr}
.card .v{font-size:23px}
.axis,.seg{font-size:14px}.chart-title{font-size:16px}
td,th{padding:4px 6px}
}
@media print{header{background:#fff;color:#0f172a}header .meta,header .period{color:#0f172a}
.card,.chart-box{break-inside:avoid}}
"""

_SCRIPT = """
window.__cxkpiErrors=[];
window.addEventListener('error',function(e){window.__cxkpiErrors.push(String(e.message));
document.body.setAttribute('data-errors',String(window.__cxkpiErrors.length));});
document.addEventListener('DOMContentLoaded',function(){
document.body.setAttribute('data-charts',String(document.querySelectorAll('svg.chart').length));
document.body.setAttribute('data-ready','1');});
"""

def _e(x) -> str:
    return _html.escape("" if x is None else str(x), quote=True)


def _css(status: str) -> str:
    """A status as a CSS class: "below target" -> "below-target"."""
    return status.replace(" ", "-")


def _value_text(entry, value, ctx: _Ctx) -> str:
    num, unit = fmt_unit_value(value, entry.unit, ctx.currency)
    return f"{num} {unit}".strip()


def _limit_text(entry, ctx: _Ctx) -> str:
    """``target ≥ 40 · warn < 30 · alert < 20`` (≤ / > where lower is better); "" without thresholds."""
    t = entry.thresholds
    hib = entry.higher_is_better is not False
    bits = []
    if t.target is not None:
        bits.append(f"target {'≥' if hib else '≤'} {_value_text(entry, t.target, ctx)}")
    if t.warn is not None:
        bits.append(f"warn {'<' if hib else '>'} {_value_text(entry, t.warn, ctx)}")
    if t.alert is not None:
        bits.append(f"alert {'<' if hib else '>'} {_value_text(entry, t.alert, ctx)}")
    return " · ".join(bits)


def _change(entry, ctx: _Ctx, of_what: str = "") -> str:
    c = entry.comparison
    if c is None:
        return ""
    if c.change is None:
        return (f'<div class="m">no value for {_e(ctx.name(c.previous_period))} to compare with</div>'
                if c.previous_period else "")
    better = (c.change > 0) == bool(entry.higher_is_better) if entry.higher_is_better is not None else None
    css = "" if better is None or c.change == 0 else ("up" if better else "down")
    arrow = "▲" if c.change > 0 else ("▼" if c.change < 0 else "=")
    sig = ""
    if c.significance is not None and c.significance.p_value is not None:
        sig = " · significant" if c.significance.significant else " · not significant"
        sig += f" (p={c.significance.p_value:.3f})"
    return (f'<div class="m">{_e(of_what)}<span class="{css}">{arrow} {_e(fmt_change(c.change, entry.unit, ctx.currency))}'
            f'</span> vs {_e(ctx.name(c.previous_period))}{_e(sig)}</div>')


def _card(entry, ctx: _Ctx) -> str:
    if entry.error:
        return (f'<div class="card failed" data-kpi="{_e(entry.kpi)}" data-status="failed"><div class="t">'
                f'<span>{_e(entry.title)}</span><span class="badge alert">failed</span></div>'
                f'<div class="v">–</div><div class="m">{_e(entry.error)}</div></div>')
    big, unit, line, of_what = _headline(entry, ctx)
    period = ""
    if entry.headline_period:
        period = f" · {ctx.name(entry.headline_period)}"
    n = entry.n if entry.n is not None else (entry.trend[-1][2] if entry.trend else
                                            (entry.result.n if entry.result else 0))
    k = _headline_kind(entry)
    if k in (TOP_LABEL, TOP_THEME_LIFT) and entry.result is not None and not entry.headline_period:
        # the headline is the latest period's breakdown: so is its n (tickets, or comments, of that period)
        latest, groups = _latest_groups(entry.result)
        if latest and groups:
            n = sum(g.n for g in groups) if k == TOP_LABEL else max(g.n for g in groups)
            period = f" · {ctx.name(latest)}"
    late = ""
    if entry.headline_period and ctx.headline_period and entry.headline_period != ctx.headline_period:
        late = (f'<div class="m late">latest data: {_e(ctx.name(entry.headline_period))}, not '
                f'{_e(ctx.name(ctx.headline_period))}</div>')
    badge = (f'<span class="badge {_css(entry.status)}" title="{_e(STATUS_MEANING.get(entry.status, ""))}">'
             f'{_e(entry.status)}</span>' if entry.status != NONE else "")
    limits = _limit_text(entry, ctx)
    if limits:
        if of_what and entry.thresholds.any:
            limits += f" (on the {of_what.strip()})"
        ref = f'<div class="m">{_e(limits)}</div>'
    elif entry.reference:
        ref = f'<div class="m">no target · reference: {_e(entry.reference)}</div>'
    else:
        ref = ""
    return (f'<div class="card {_css(entry.status)}" data-status="{_e(entry.status)}" data-kpi="{_e(entry.kpi)}">'
            f'<div class="t"><span>{_e(entry.title)}</span>{badge}</div>'
            f'<div class="v">{_e(big)}<small>{_e(unit)}</small></div>'
            + (f'<div class="s">{_e(line)}</div>' if line else "")
            + f'<div class="m">n = {n:,}{_e(period)}</div>{late}{_change(entry, ctx, of_what)}{ref}</div>')


def _legend(entries) -> str:
    """What the status words and colours mean (only when some KPI has a target or a limit)."""
    if not any(e.thresholds.any for e in entries):
        return ""
    items = "".join(f'<li><span class="badge {_css(s)}">{_e(s)}</span> {_e(STATUS_MEANING[s])}</li>'
                    for s in (ON_TARGET, BELOW_TARGET, WARN, ALERT))
    return ('<ul class="legend" aria-label="status legend">' + items +
            '<li>no badge: no target set; the card shows the reference benchmark. "Worse" follows the KPI\'s '
            'direction (lower is better for times).</li></ul>')


def _attention(report, ctx: _Ctx) -> str:
    """The executive line: which KPIs miss their target or cross a limit."""
    judged = [e for e in report.entries if e.status not in (NONE, "failed")]
    if not judged:
        return ""
    bad = [e for e in judged if e.status in (BELOW_TARGET, WARN, ALERT)]
    if not bad:
        return (f'<p class="attention good" data-attention="0">All {len(judged)} KPIs with a target '
                f'are on target.</p>')
    items = ", ".join(f"<b>{_e(e.title)}</b> {_e(_value_text(e, e.headline, ctx))} ({_e(e.status)})" for e in bad)
    word = "needs" if len(bad) == 1 else "need"
    return (f'<p class="attention" data-attention="{len(bad)}">{len(bad)} of {len(judged)} KPIs with a target '
            f'{word} attention: {items}.</p>')


def _distribution(entry, ctx: _Ctx, periods: list[str] | None = None) -> str | None:
    r = entry.result
    if r is None:
        return None
    if r.kpi == "nps":
        series = ["detractors", "passives", "promoters"]
    elif r.kpi == "csat":
        series = ["dissatisfied", "satisfied"]
    else:
        return None

    def values(b, n):
        if r.kpi == "nps":
            return [b.get("detractors", 0), b.get("passives", 0), b.get("promoters", 0)]
        return [n - (b.get("satisfied") or 0), b.get("satisfied", 0)]

    rows = [("all", values(r.breakdown, r.n))]
    if r.group_by == ("period",):
        rows += [(g.key["period"], values(g.breakdown, g.n)) for g in r.groups
                 if not periods or g.key["period"] in periods]
    return svg.stacked_bars(rows, series, f"{r.title}: answers (share of each period)")


def _heat(entry) -> str | None:
    r = entry.result
    heat = r.extra.get("heatmap") if r else None
    if not heat:
        return None
    hours = [f"{h:02d}" if isinstance(h, int) else str(h) for h in heat["hours"]]
    return svg.heat_map(list(heat["weekdays"]), hours, heat["counts"], "Tickets by weekday × hour", "tickets")


def _topics(entry, ctx: _Ctx) -> str | None:
    rows = _topic_rows(entry)
    if not rows:
        return None
    period, _ = _latest_groups(entry.result)
    when = f", {ctx.name(period)}" if period else ""
    shares = {name: (share, tickets) for name, share, tickets in rows}
    return svg.bars([(name, tickets) for name, _, tickets in rows[:15]], f"Top topics{when} (tickets)",
                    value_text=lambda label, v: f"{int(v):,} · {shares[label][0]:.1f} %")


def _trend_periods(entries, ctx: _Ctx, last: int = 12) -> list[str]:
    """One x axis for every trend: from the first period most KPIs share to the headline period (at most
    ``last``), so a KPI with a longer history (turnover, churn) covers the same months as the others."""
    trends = [e.trend for e in entries if len(e.trend) > 1]
    if not trends:
        return []
    firsts = [t[0][0] for t in trends]
    first = max(set(firsts), key=lambda p: (firsts.count(p), p))
    labels = sorted({p for t in trends for p, _, _ in t if p >= first})
    if ctx.headline_period:
        labels = [p for p in labels if p <= ctx.headline_period]
    return labels[-last:]


def _trend(entry, periods: list[str], ctx: _Ctx) -> str | None:
    by = {p: v for p, v, _ in entry.trend}
    points = [(p, by.get(p)) for p in periods]
    if sum(v is not None for _, v in points) < 2:
        return None
    labels = [ctx.name(p) if ctx.period in ("quarter", "year") else p for p in periods]
    target = entry.thresholds.target
    zero = entry.unit not in FREE_AXIS
    if is_duration(entry.unit):
        div, word = duration_scale([v for _, v in points if v is not None], entry.unit)
        scaled = [(p, None if v is None else v / div) for p, v in points]
        return svg.line_chart(scaled, entry.title, target=None if target is None else target / div, zero=zero,
                              axis_label=f"{word} (the KPI's mean)" if _headline_kind(entry) == MEDIAN else word,
                              fmt=lambda v: fmt_duration(v * div, entry.unit), labels=labels)
    num, unit = fmt_unit_value(1.0, entry.unit, ctx.currency)
    unit_word = unit or ("points" if entry.unit == "points" else entry.unit if entry.unit != "score" else "")
    return svg.line_chart(points, entry.title, target=target, zero=zero, axis_label=unit_word,
                          fmt=lambda v: _value_text(entry, v, ctx), labels=labels)


def _header(report, ctx: _Ctx) -> str:
    tz = getattr(report, "timezone", None)
    generated = local_time(report.generated_at, tz)
    starts = [e.data_from for e in report.entries if e.data_from]
    ends = [e.data_to for e in report.entries if e.data_to]
    if ctx.headline_period:
        period = f"{ctx.name(ctx.headline_period)}"
        if ctx.compare_period:
            period += f" compared with {ctx.name(ctx.compare_period)}"
        period += f" · by {report.period}"
        last_day = period_end(ctx.headline_period, report.period)
        if ends and last_day and max(ends) < last_day.isoformat():
            period += f" (partial: the data ends {fmt_date(max(ends))})"
    elif report.period:
        period = "each headline is the total of all periods · trends by period"
    else:
        period = "all data (no --period): each headline is the total"
    meta = []
    if starts and ends:
        # the range most KPIs share; a KPI whose data reaches further back says so in its card
        common_from = max(set(starts), key=starts.count)
        meta.append(f"data {fmt_date(common_from)} – {fmt_date(max(ends))}"
                    + (f" (some sources from {fmt_date(min(starts))})" if min(starts) < common_from else ""))
    meta.append(f"generated {generated}")
    meta.append(f"cxkpi {report.to_dict()['cxkpi_version']}")
    return (f'<header><div class="in"><h1>{_e(report.title)}</h1><p class="period" data-period="'
            f'{_e(ctx.headline_period or "")}">{_e(period)}</p>'
            f'<p class="meta">{_e(" · ".join(meta))}</p></div></header>')


def render(report, **_) -> str:
    entries = report.entries
    ctx = _Ctx(report)
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(report.title)}</title>",
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{_CSS}</style>",
             f"<script>{_SCRIPT}</script></head><body>", _header(report, ctx), "<main>"]
    areas: dict[str, list] = {}
    for e in entries:
        areas.setdefault(e.area, []).append(e)
    parts.append("<h2>Summary</h2>" + _attention(report, ctx) + _legend(entries))
    for area, items in areas.items():
        parts.append(f"<h3>{_e(area)}</h3><div class=\"cards\">" + "".join(_card(e, ctx) for e in items) + "</div>")
    if report.breaches:
        parts.append("<h2>Breaches</h2><ul>" + "".join(
            f"<li><b>{_e(b.title)}</b>: {_e(_value_text(b, b.headline, ctx))} — {_e(b.status)} "
            f"({_e(_limit_text(b, ctx))})</li>" for b in report.breaches) + "</ul>")

    def box(chart):
        return f'<div class="chart-box">{chart}</div>'

    periods = _trend_periods(entries, ctx)
    trends = [t for t in (_trend(e, periods, ctx) for e in entries if len(e.trend) > 1) if t]
    if trends:
        span = f" ({ctx.short(periods[0])} – {ctx.short(periods[-1])})" if periods else ""
        parts.append(f"<h2>Trends{_e(span)}</h2><div class=\"charts\">" + "".join(map(box, trends)) + "</div>")
    dists = [d for d in (_distribution(e, ctx, periods) for e in entries) if d]
    if dists:
        parts.append("<h2>Distribution of scores</h2><div class=\"charts\">" + "".join(map(box, dists)) + "</div>")
    heats = [h for h in (_heat(e) for e in entries) if h]
    if heats:
        parts.append("<h2>Busiest hours</h2><div class=\"charts\">" + "".join(map(box, heats)) + "</div>")
    topics = [t for t in (_topics(e, ctx) for e in entries) if t]
    if topics:
        parts.append("<h2>Top topics</h2><div class=\"charts\">" + "".join(map(box, topics)) + "</div>")
    titles = {e.kpi: e.title for e in entries}
    parts.append("<h2>Data quality</h2><p class=\"legend\">rows: rows read for the KPI · used: rows − skipped · "
                 "skipped: rows that could not be used, with the reasons</p>"
                 "<div class=\"scroll\"><table><tr><th>KPI</th><th>file</th><th class=num>rows</th>"
                 "<th class=num>used</th><th class=num>skipped</th><th>reasons</th></tr>")
    for kpi, q in report.data_quality().items():
        reasons = "; ".join(f"{_e(k)}: {v:,}" for k, v in q["reasons"].items())
        file = q["file"] or ""
        parts.append(f"<tr><td>{_e(titles.get(kpi, kpi))}</td><td title=\"{_e(file)}\">{_e(os.path.basename(file))}</td>"
                     f"<td class=num>{q['rows']:,}</td><td class=num>{q['used']:,}</td>"
                     f"<td class=num>{q['skipped']:,}</td><td class=reasons>{reasons}</td></tr>")
    parts.append("</table></div>")
    if report.failed_sources:
        parts.append("<h2>Failed sources</h2><ul>" + "".join(
            f"<li><b>{_e(s)}</b>: {_e(msg)}</li>" for s, msg in report.failed_sources.items()) + "</ul>")
    if report.not_computed:
        parts.append("<h2>Not computed</h2><ul>" + "".join(
            f"<li><b>{_e(k)}</b>: {_e(msg)}</li>" for k, msg in report.not_computed.items()) + "</ul>")
    parts.append("</main></body></html>\n")
    return "".join(parts)

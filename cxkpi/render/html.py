"""The HTML report: one self-contained file (inline CSS and SVG, no network requests)."""

from __future__ import annotations

import html as _html

from . import svg
from ..compare import NONE, STATUS_MEANING
from .text import fmt_value

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f8fafc;color:#0f172a}
header{background:#0f172a;color:#f8fafc;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#cbd5e1;font-size:13px}main{padding:20px 28px;max-width:1200px}
h2{font-size:17px;margin:26px 0 10px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px;border-left:6px solid #94a3b8}
.card.on-target{border-left-color:#16a34a}.card.below-target{border-left-color:#fb923c}
.card.warn{border-left-color:#f59e0b}.card.alert{border-left-color:#dc2626}
.card.failed{border-left-color:#7f1d1d;background:#fef2f2}
.card .t{font-size:13px;color:#475569}.card .v{font-size:26px;font-weight:600;margin:4px 0}
.card .m{font-size:12px;color:#64748b}.badge{display:inline-block;padding:1px 6px;border-radius:4px;font-size:11px;
font-weight:600;text-transform:uppercase;background:#e2e8f0}.badge.on-target{background:#dcfce7;color:#166534}
.badge.below-target{background:#ffedd5;color:#9a3412}
.badge.warn{background:#fef3c7;color:#92400e}.badge.alert{background:#fee2e2;color:#991b1b}
.charts{display:flex;flex-wrap:wrap;gap:14px}.chart{background:#fff;border:1px solid #e2e8f0;border-radius:8px}
.chart-title{font-size:13px;font-weight:600;fill:#0f172a}.axis{font-size:10px;fill:#475569}
.grid{stroke:#e2e8f0}table{border-collapse:collapse;background:#fff;font-size:13px}
td,th{border:1px solid #e2e8f0;padding:4px 8px;text-align:left}th{background:#f1f5f9}td.num{text-align:right}
.up{color:#16a34a}.down{color:#dc2626}
.legend{list-style:none;padding:0;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:6px 16px;font-size:12px;color:#475569}
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


def _change(entry) -> str:
    c = entry.comparison
    if c is None or c.change is None:
        return ""
    better = (c.change > 0) == bool(entry.higher_is_better) if entry.higher_is_better is not None else None
    css = "" if better is None or c.change == 0 else ("up" if better else "down")
    arrow = "▲" if c.change > 0 else ("▼" if c.change < 0 else "=")
    sig = ""
    if c.significance is not None and c.significance.p_value is not None:
        sig = " · significant" if c.significance.significant else " · not significant"
        sig += f" (p={c.significance.p_value:.3f})"
    return (f'<div class="m"><span class="{css}">{arrow} {fmt_value(c.change)}</span> vs {_e(c.previous_period)}'
            f'{_e(sig)}</div>')


def _card(entry) -> str:
    if entry.error:
        return (f'<div class="card failed"><div class="t">{_e(entry.title)}</div><div class="v">failed</div>'
                f'<div class="m">{_e(entry.error)}</div></div>')
    unit = "" if entry.unit in ("", "score") else f" {entry.unit}"
    ref = ""
    if entry.thresholds.target is not None:
        ref = f"target {fmt_value(entry.thresholds.target)}"
    elif entry.reference:
        ref = f"reference: {entry.reference}"
    period = f" · {entry.headline_period}" if entry.headline_period else ""
    n = entry.trend[-1][2] if entry.trend else (entry.result.n if entry.result else 0)
    badge = (f'<span class="badge {_css(entry.status)}">{_e(entry.status)}</span>'
             if entry.status != NONE else "")
    return (f'<div class="card {_css(entry.status)}" data-status="{_e(entry.status)}" data-kpi="{_e(entry.kpi)}"><div class="t">{_e(entry.title)} {badge}</div>'
            f'<div class="v">{fmt_value(entry.headline)}<small>{_e(unit)}</small></div>'
            f'<div class="m">n = {n:,}{_e(period)}</div>{_change(entry)}<div class="m">{_e(ref)}</div></div>')


def _distribution(entry) -> str | None:
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
        rows += [(g.key["period"], values(g.breakdown, g.n)) for g in r.groups]
    return svg.stacked_bars(rows, series, f"{r.title}: distribution of answers")


def _heat(entry) -> str | None:
    r = entry.result
    heat = r.extra.get("heatmap") if r else None
    if not heat:
        return None
    hours = [f"{h:02d}" if isinstance(h, int) else str(h) for h in heat["hours"]]
    return svg.heat_map(list(heat["weekdays"]), hours, heat["counts"], "Tickets by weekday × hour")


def _topics(entry) -> str | None:
    r = entry.result
    if r is None or r.kpi != "topics" or not r.groups:
        return None
    key = r.group_by[0]
    rows = sorted(((str(g.key.get(key)), float(g.breakdown.get("tickets", g.n))) for g in r.groups),
                  key=lambda t: -t[1])[:15]
    return svg.bars(rows, "Top topics (tickets)")


def _legend(entries) -> str:
    """What the status words and colours mean (only when some KPI has a target or a limit)."""
    if not any(e.thresholds.any for e in entries):
        return ""
    items = "".join(f'<li><span class="badge {_css(s)}">{_e(s)}</span> {_e(STATUS_MEANING[s])}</li>'
                    for s in ("on target", "below target", "warn", "alert"))
    return ('<ul class="legend" aria-label="status legend">' + items +
            '<li>no badge: no target set; the card shows the reference benchmark. "Worse" follows the KPI\'s '
            'direction (lower is better for times).</li></ul>')


def render(report, **_) -> str:
    entries = report.entries
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(report.title)}</title>",
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{_CSS}</style>",
             f"<script>{_SCRIPT}</script></head><body>",
             f"<header><h1>{_e(report.title)}</h1><p>generated {_e(report.generated_at)} by cxkpi "
             f"{_e(report.to_dict()['cxkpi_version'])}"
             + (f" · by {_e(report.period)}" if report.period else "")
             + (f" · compared with {_e(report.compare)}" if report.compare else "") + "</p></header><main>"]
    areas: dict[str, list] = {}
    for e in entries:
        areas.setdefault(e.area, []).append(e)
    parts.append("<h2>Summary</h2>" + _legend(entries))
    for area, items in areas.items():
        parts.append(f"<h3>{_e(area)}</h3><div class=\"cards\">" + "".join(_card(e) for e in items) + "</div>")
    if report.breaches:
        parts.append("<h2>Breaches</h2><ul>" + "".join(
            f"<li><b>{_e(b.title)}</b>: {fmt_value(b.headline)} — {_e(b.status)} "
            f"(warn {fmt_value(b.thresholds.warn)}, alert {fmt_value(b.thresholds.alert)})</li>" for b in report.breaches)
            + "</ul>")
    trends = [svg.line_chart(list((p, v) for p, v, _ in e.trend), e.title, unit=f" {e.unit}")
              for e in entries if len(e.trend) > 1]
    if trends:
        parts.append("<h2>Trends</h2><div class=\"charts\">" + "".join(trends) + "</div>")
    dists = [d for d in (_distribution(e) for e in entries) if d]
    if dists:
        parts.append("<h2>Distribution of scores</h2><div class=\"charts\">" + "".join(dists) + "</div>")
    heats = [h for h in (_heat(e) for e in entries) if h]
    if heats:
        parts.append("<h2>Busiest hours</h2><div class=\"charts\">" + "".join(heats) + "</div>")
    topics = [t for t in (_topics(e) for e in entries) if t]
    if topics:
        parts.append("<h2>Top topics</h2><div class=\"charts\">" + "".join(topics) + "</div>")
    parts.append("<h2>Data quality</h2><table><tr><th>KPI</th><th>file</th><th>rows</th><th>used</th>"
                 "<th>skipped</th><th>reasons</th></tr>")
    for kpi, q in report.data_quality().items():
        reasons = "; ".join(f"{_e(k)}: {v}" for k, v in q["reasons"].items())
        parts.append(f"<tr><td>{_e(kpi)}</td><td>{_e(q['file'])}</td><td class=num>{q['rows']:,}</td>"
                     f"<td class=num>{q['used']:,}</td><td class=num>{q['skipped']:,}</td><td>{reasons}</td></tr>")
    parts.append("</table>")
    if report.failed_sources:
        parts.append("<h2>Failed sources</h2><ul>" + "".join(
            f"<li><b>{_e(s)}</b>: {_e(msg)}</li>" for s, msg in report.failed_sources.items()) + "</ul>")
    if report.not_computed:
        parts.append("<h2>Not computed</h2><ul>" + "".join(
            f"<li><b>{_e(k)}</b>: {_e(msg)}</li>" for k, msg in report.not_computed.items()) + "</ul>")
    parts.append("</main></body></html>\n")
    return "".join(parts)

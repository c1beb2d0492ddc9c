"""Markdown: a pipe table per KPI, for wikis and pull requests."""

from __future__ import annotations

from . import tidy
from .safe import markdown_cell, markdown_text
from .text import fmt_value


def _cell(v) -> str:
    """Every cell, header and heading piece goes through here: user text is never Markdown or HTML."""
    if v is None:
        return ""
    if isinstance(v, float):
        return fmt_value(v)
    return markdown_cell(v)


def _row(cells) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render(results, **_) -> str:
    parts = []
    for r in results:
        table = tidy.rows([r])
        cols = [c for c in tidy.columns(table) if c != "kpi"]
        lines = [f"## {markdown_text(r.title)} ({_cell(r.kpi)})", ""]
        lines.append(_row(cols))  # group-by names and breakdown keys come from the data
        lines.append("|" + "|".join("---" for _ in cols) + "|")
        for row in table:
            lines.append(_row(row.get(c) for c in cols))
        if r.skipped.total:
            lines.append("")
            lines.append(f"Skipped {r.skipped.total} of {r.rows} rows: "
                         + "; ".join(f"{_cell(reason)} ({c})" for reason, c in r.skipped.counts.items()))
        if r.notes:
            lines += [""] + [f"- {markdown_text(n)}" for n in r.notes]
        if r.extra.get("heatmap"):
            from .heatmap import markdown as heat_table

            lines += ["", heat_table(r.extra["heatmap"])]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def render_report(report, **_) -> str:
    lines = [f"# {markdown_text(report.title)}", "",
             f"Generated {_cell(report.generated_at)}" + (f", by {_cell(report.period)}" if report.period else ""),
             "", "| KPI | value | unit | period | status | change | n |", "|---|---|---|---|---|---|---|"]
    for e in report.entries:
        change = fmt_value(e.comparison.change) if e.comparison and e.comparison.change is not None else ""
        n = e.result.n if e.result else ""
        lines.append(f"| {_cell(e.title)} | {fmt_value(e.headline)} | {_cell(e.unit)} | {_cell(e.headline_period)} | "
                     f"{_cell(e.status)} | {change} | {n} |")
    if report.breaches:
        lines += ["", "## Breaches", ""] + [f"- **{markdown_text(b.title)}**: {fmt_value(b.headline)} ({_cell(b.status)})"
                                            for b in report.breaches]
    if report.failed_sources:
        lines += ["", "## Failed sources", ""] + [f"- {markdown_text(s)}: {markdown_cell(m)}" for s, m in report.failed_sources.items()]
    if report.not_computed:
        lines += ["", "## Not computed", ""] + [f"- {markdown_text(k)}: {markdown_cell(m)}" for k, m in report.not_computed.items()]
    return "\n".join(lines) + "\n\n" + render(report.results)

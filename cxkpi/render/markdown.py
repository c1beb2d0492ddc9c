"""Markdown: a pipe table per KPI, for wikis and pull requests."""

from __future__ import annotations

from . import tidy
from .text import fmt_value


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return fmt_value(v)
    return str(v).replace("|", "\\|").replace("\n", " ")


def render(results, **_) -> str:
    parts = []
    for r in results:
        table = tidy.rows([r])
        cols = [c for c in tidy.columns(table) if c != "kpi"]
        lines = [f"## {r.title} ({r.kpi})", ""]
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "|".join("---" for _ in cols) + "|")
        for row in table:
            lines.append("| " + " | ".join(_cell(row.get(c)) for c in cols) + " |")
        if r.skipped.total:
            lines.append("")
            lines.append(f"Skipped {r.skipped.total} of {r.rows} rows: "
                         + "; ".join(f"{reason} ({c})" for reason, c in r.skipped.counts.items()))
        if r.extra.get("heatmap"):
            from .heatmap import markdown as heat_table

            lines += ["", heat_table(r.extra["heatmap"])]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"

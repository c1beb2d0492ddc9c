"""The KPI reference page, generated from the registry (``python -m cxkpi.docs``)."""

from __future__ import annotations

from .registry import load_all
from .sources import SOURCES


def kpi_reference() -> str:
    lines = ["# KPI reference", "",
             "Generated from the registry by `python -m cxkpi.docs > docs/kpis.md`; a test fails when it is stale.", ""]
    for spec in load_all().values():
        direction = {True: "higher is better", False: "lower is better", None: "no direction"}[spec.higher_is_better]
        lines += [f"## `{spec.name}` — {spec.title}", "",
                  f"- **Formula:** {spec.formula}",
                  f"- **Source:** `{spec.source}` ({SOURCES[spec.source].description})",
                  f"- **Needs:** {', '.join('`' + n.replace('|', '` or `').replace('+', '` + `') + '`' for n in spec.needs)}",
                  f"- **Unit:** {spec.unit or '–'}; {direction}"]
        if spec.optional:
            lines.append(f"- **Uses when present:** {', '.join('`' + c + '`' for c in spec.optional)}")
        if spec.benchmark:
            lines.append(f"- **Reference:** {spec.benchmark}")
        if spec.example:
            lines.append(f"- **Example:** `{spec.example}`")
        if spec.doc:
            lines += ["", spec.doc]
        if spec.params:
            lines += ["", "| setting (config key / flag) | default | meaning |", "|---|---|---|"]
            for p in spec.params:
                flag = f" / `{p.flag}`" if p.cli else " (config only)"
                lines.append(f"| `{p.name}`{flag} | {'' if p.default is None else p.default} | {p.help} |")
        lines.append("")
    lines += ["## Canonical columns by source", ""]
    for src in SOURCES.values():
        cols = ", ".join(f"`{c}` ({k})" for c, k in src.columns.items())
        lines.append(f"- **{src.name}** — {src.description}; main time `{src.main_time}`: {cols}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(kpi_reference(), end="")

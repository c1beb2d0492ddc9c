"""Commands that are not KPIs: ``kpis`` (the registry as a table)."""

from __future__ import annotations

import typer

from ..render import OutputFormat


def kpis(
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="table, json, csv or markdown."),
) -> None:
    """Every KPI cxkpi knows, with its source, needed columns and formula.

    Example:

        cxkpi kpis --format json | jq '.[].name'
    """
    import json
    import sys

    from ..registry import load_all

    specs = list(load_all().values())
    rows = [{"name": s.name, "title": s.title, "source": " | ".join(s.sources), "needs": list(s.needs),
             "unit": s.unit,
             "higher_is_better": s.higher_is_better, "formula": s.formula,
             "settings": [p.name for p in s.params]} for s in specs]
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    if format in (OutputFormat.csv, OutputFormat.markdown):
        cols = ["name", "title", "source", "needs", "unit", "formula"]
        if format is OutputFormat.csv:
            import csv

            w = csv.writer(sys.stdout, lineterminator="\n")
            w.writerow(cols)
            for r in rows:
                w.writerow([", ".join(r[c]) if isinstance(r[c], list) else r[c] for c in cols])
        else:
            print("| " + " | ".join(cols) + " |")
            print("|" + "|".join("---" for _ in cols) + "|")
            for r in rows:
                print("| " + " | ".join(", ".join(r[c]) if isinstance(r[c], list) else str(r[c]) for c in cols) + " |")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="cxkpi KPIs")
    for col in ("name", "title", "source", "needs", "unit", "formula"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["name"], r["title"], r["source"], ", ".join(r["needs"]), r["unit"], r["formula"])
    Console(highlight=False).print(table)


def register(app: typer.Typer) -> None:
    app.command("kpis", rich_help_panel="Information")(kpis)

"""``cxkpi presets``: the shipped presets, the headers each expects, and what they map."""

from __future__ import annotations

import typer

from ..render import OutputFormat


def preset_rows(name: str | None = None) -> list[dict]:
    """Each preset as plain data (the JSON output and the docs page both use this)."""
    from ..errors import UsageError
    from ..io.presets import all_presets, get_preset

    presets = [get_preset(name)] if name else list(all_presets().values())
    if presets == [None]:
        raise UsageError(f"{name!r} is not a preset: it is how --preset turns detection off; see `cxkpi presets`")
    rows = []
    for p in presets:
        rows.append({
            "name": p.name, "tool": p.tool, "title": p.title, "description": p.description,
            "sources": list(p.sources), "header_rows": p.header_rows or 1,
            "signature": list(p.signature),
            "columns": {src: {c: list(cands) for c, cands in v.columns.items()} for src, v in p.views.items()},
            "business_columns": {src: {c: list(cands) for c, cands in v.business_columns.items()}
                                 for src, v in p.views.items() if v.business_columns},
            "labels": {src: v.labels for src, v in p.views.items() if v.labels},
            "unanswered": {src: {c: list(x) for c, x in v.unanswered.items()} for src, v in p.views.items()
                           if v.unanswered},
            "uninvited": {src: {c: list(x) for c, x in v.uninvited.items()} for src, v in p.views.items()
                          if v.uninvited},
            "units": {src: v.units for src, v in p.views.items() if v.units},
            "kpi_settings": {src: v.kpis for src, v in p.views.items() if v.kpis},
            "for_kpi": {src: {k: {c: list(x) for c, x in cols.items()} for k, cols in v.for_kpi.items()}
                        for src, v in p.views.items() if v.for_kpi},
        })
    return rows


def presets(
    name: str = typer.Argument(None, help="One preset to show in full (its column map, labels and units).",
                               show_default=False),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", metavar="table|json|markdown", help="table, json or markdown."),
) -> None:
    """The built-in presets for helpdesk and survey exports, with the headers each one expects.

    A file whose headers fit a preset is read through it without any config
    (the preset is named on stderr); --preset NAME forces one, --preset none
    turns detection off; a config source can say `extends: NAME` and override
    single columns.

    Example:

        cxkpi presets; cxkpi presets zendesk
        cxkpi frt tickets.csv --preset zendesk
    """
    import json
    import sys

    from ..errors import UsageError

    if format not in (OutputFormat.table, OutputFormat.json, OutputFormat.markdown):
        raise UsageError(f"--format {format.value}: cxkpi presets writes table, json or markdown")
    rows = preset_rows(name)
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(rows if name is None else rows[0], indent=2, ensure_ascii=False) + "\n")
        return
    if format is OutputFormat.markdown:
        sys.stdout.write(markdown(rows))
        return
    from rich.console import Console
    from rich.table import Table

    from ..render.safe import term_text

    # every cell as Text: headers such as "Name [list]", regex classes in "re:" patterns and the
    # "[with --business-hours export: …]" note are text, never rich markup (a str cell is parsed)
    console = Console(highlight=False)
    if name is None:
        table = Table(title="cxkpi presets (detected from the headers; --preset NAME to force)")
        for col in ("name", "tool", "sources", "headers it expects"):
            table.add_column(col, overflow="fold")
        for r in rows:
            rows_note = f" ({r['header_rows']} header rows)" if r["header_rows"] > 1 else ""
            table.add_row(*(term_text(c) for c in (r["name"], r["tool"] + rows_note, ", ".join(r["sources"]),
                                                    ", ".join(r["signature"]))))
        console.print(table)
        return
    r = rows[0]
    console.print(term_text(f"{r['name']} — {r['title']}", style="bold"))
    console.print(term_text(f"{r['description']}\n"))
    for src, cols in r["columns"].items():
        table = Table(title=term_text(f"{src}: canonical column ← export header (first found wins)"))
        table.add_column("canonical")
        table.add_column("export header", overflow="fold")
        for c, cands in cols.items():
            twin = r["business_columns"].get(src, {}).get(c)
            extra = f"  [with --business-hours export: {', '.join(twin)}]" if twin else ""
            table.add_row(term_text(c), term_text(" | ".join(cands) + extra))
        console.print(table)
    for key in ("for_kpi", "labels", "unanswered", "uninvited", "units", "kpi_settings"):
        if r[key]:
            console.print(term_text(f"{key}: {json.dumps(r[key], ensure_ascii=False)}"))


def markdown(rows: list[dict]) -> str:
    """The presets as a Markdown page (docs/presets.md is this output)."""
    out = ["# Presets", "",
           "Generated from `cxkpi/presets/*.yaml` by `cxkpi presets --format markdown > docs/presets.md`; "
           "a test fails when it is stale.", "",
           "A file is read through a preset when its headers contain at least 60% of the preset's "
           "signature headers and no other preset comes within 15 points; `--preset NAME` forces one, "
           "`--preset none` turns detection off. Headers match case- and space-insensitively. A list "
           "of headers is tried in order; `re:PATTERN` matches exactly one column by regular "
           "expression (on its header or, in a multi-row header, on its question text).", ""]
    for r in rows:
        out += [f"## `{r['name']}` — {r['title']}", "", r["description"], "",
                f"- **Sources:** {', '.join('`' + s + '`' for s in r['sources'])}",
                f"- **Header rows:** {r['header_rows']}",
                f"- **Signature:** {', '.join('`' + h + '`' for h in r['signature'])}", ""]
        for src, cols in r["columns"].items():
            out += [f"| {src} column | export header |", "| --- | --- |"]
            for c, cands in cols.items():
                cell = " or ".join(f"`{h}`" for h in cands).replace("|", "\\|")
                twin = r["business_columns"].get(src, {}).get(c)
                if twin:
                    cell += " (business hours: " + " or ".join(f"`{h}`" for h in twin) + ")"
                out.append(f"| `{c}` | {cell} |")
            out.append("")
        for key, label in (("for_kpi", "Per KPI (an empty list: none for that KPI)"), ("labels", "Labels"), ("unanswered", "Asked, not answered"),
                           ("uninvited", "Never asked (dropped)"), ("units", "Units"),
                           ("kpi_settings", "KPI settings")):
            for src, value in r[key].items():
                import json

                out.append(f"- **{label}** ({src}): `{json.dumps(value, ensure_ascii=False)}`")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def register(app: typer.Typer) -> None:
    app.command("presets", rich_help_panel="Information")(presets)

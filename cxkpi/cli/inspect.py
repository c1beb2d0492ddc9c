"""``cxkpi inspect FILE``: what an export holds and which KPIs it can feed, read in bounded chunks.

The work is ``cxkpi.io.profile.profile_file`` (a frozen ``Profile``); this module parses the
options, shows a progress bar on an interactive stderr, and renders the profile as a table,
JSON (schema ``cxkpi.inspect/1``), Markdown or CSV.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from ..render import OutputFormat
from .options import INPUT, OUTPUT

FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.markdown, OutputFormat.csv)


def inspect(
    file: str = typer.Argument(..., help="CSV/TSV/XLSX export to look at; - reads stdin.", show_default=False),
    sheet: Optional[str] = typer.Option(None, help="Excel sheet, by name or 0-based number.", rich_help_panel=INPUT),
    encoding: Optional[str] = typer.Option(
        None, help="Text encoding (detected when omitted: UTF-8, UTF-16, cp1252).", rich_help_panel=INPUT),
    delimiter: Optional[str] = typer.Option(
        None, help="Field separator (detected when omitted: , ; tab |).", rich_help_panel=INPUT),
    preset: Optional[str] = typer.Option(
        None, help="Read FILE as this tool's export (see `cxkpi presets`); detected from the headers when "
                   "omitted; none turns detection off.", rich_help_panel=INPUT),
    header_rows: Optional[int] = typer.Option(
        None, "--header-rows", min=1, help="Header lines above the data (default 1, or what the preset says: "
                                           "Qualtrics 3).", rich_help_panel=INPUT),
    dayfirst: Optional[bool] = typer.Option(
        None, "--dayfirst/--monthfirst", help="Read 03/04/2025 as 3 April (dayfirst) or March 4 (monthfirst) "
                                              "when the data cannot tell.", show_default=False,
        rich_help_panel=INPUT),
    max_columns: Optional[int] = typer.Option(
        None, "--max-columns", min=0, help="Profile at most this many columns (default 1,000; 0 = all).",
        rich_help_panel=INPUT),
    format: Optional[OutputFormat] = typer.Option(
        None, "--format", "-f", metavar="table|json|markdown|csv", help="table, json, markdown or csv (default: table, or from --output's extension).",
        rich_help_panel=OUTPUT, case_sensitive=False),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", help="Write to this file (atomically) instead of stdout.", rich_help_panel=OUTPUT),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No messages or progress on stderr.",
                               rich_help_panel=OUTPUT),
) -> None:
    """What an export holds, and which KPIs it can feed.

    Rows; per column its type, null %, distinct count, 3 examples and range;
    the date range; the preset that fits and how well; the canonical columns
    it fills and the KPIs that then become computable. Large files are read
    in chunks, so memory stays flat however long the file is. Types come
    from each column's first 10,000 values and the parsers the KPI commands
    use; null % counts empty cells and n/a, -, null and the like; distinct
    values are exact up to 10,000 ("10,000+" beyond).

    Example:

        cxkpi inspect tickets.csv --format json | jq .suggestion.mapping
    """
    from ..errors import UsageError
    from ..io.load import LoadOptions
    from ..io.presets import OFF, get_preset
    from ..render import format_for
    from .emit import say

    fmt = format_for(output, format)
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt.value}: inspect writes {', '.join(f.value for f in FORMATS)}")
    named = preset.strip() if preset else None
    options = LoadOptions(sheet=sheet, encoding=encoding, delimiter=delimiter, header_rows=header_rows,
                          dayfirst=dayfirst, preset=get_preset(named) if named else None,
                          detect=named is None)
    forced_off = named is not None and named.lower().replace("-", "_") in OFF
    profile = _run(file, options, max_columns, progress=not quiet and sys.stderr.isatty())
    hint_flags = _hint_flags(file, sheet, encoding, delimiter, named, dayfirst, forced_off)
    if header_rows is not None and header_rows != _preset_rows(profile):
        hint_flags += f"  (KPI commands take header_rows: {header_rows} from a config source)"
    to_file = output not in (None, "-")
    if fmt is OutputFormat.table and not to_file and sys.stdout.isatty():
        from rich.console import Console

        _print(Console(highlight=False), renderables(profile, hint_flags))
        return
    if fmt is OutputFormat.json:
        import json

        from ..render.safe import json_text

        data = json_text(json.dumps(profile.to_dict(), indent=2, ensure_ascii=False)) + "\n"  # C1 as \u009b
    elif fmt is OutputFormat.markdown:
        data = markdown(profile, hint_flags)
    elif fmt is OutputFormat.csv:
        data = csv_text(profile)
    else:
        columns = os.environ.get("COLUMNS", "")
        data = plain_table(profile, hint_flags, width=int(columns) if columns.isdigit() and int(columns) > 40 else 120)
    if to_file:
        from ..outputs import write_atomic

        write_atomic(output, data)
        say(f"wrote {output}", quiet)
    else:
        if sys.stdout.isatty():  # CSV/Markdown/JSON read on screen: no value may drive the terminal
            from ..render.safe import terminal_document

            data = terminal_document(data)
        sys.stdout.write(data)
        sys.stdout.flush()


def _run(file: str, options, max_columns: int | None, progress: bool):
    from ..io.profile import MAX_COLUMNS, profile_file

    limit = MAX_COLUMNS if max_columns is None else max_columns
    if not progress:
        return profile_file(file, options, max_columns=limit)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    from ..render.safe import escape_controls

    label = "<stdin>" if file == "-" else escape_controls(os.path.basename(file))  # a file name is data, not markup
    with Progress(TextColumn("inspecting {task.description}", markup=False), BarColumn(), TaskProgressColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        return profile_file(file, options, max_columns=limit,
                            progress=lambda done, total: bar.update(task, completed=done, total=total))


def _preset_rows(profile) -> int:
    """The header rows the KPI commands would use for this file without being told."""
    match = profile.suggestion.preset
    return (match.preset.header_rows if match else None) or 1


def _hint_flags(file, sheet, encoding, delimiter, preset, dayfirst, off) -> str:
    """The flags a KPI command needs to read FILE the way inspect did."""
    parts = [_quote(file)]
    if sheet is not None:
        parts.append(f"--sheet {_quote(sheet)}")
    if encoding:
        parts.append(f"--encoding {_quote(encoding)}")
    if delimiter:
        parts.append(f"--delimiter {_quote(delimiter)}")
    if preset:
        parts.append("--preset none" if off else f"--preset {_quote(preset)}")
    if dayfirst is not None:
        parts.append("--dayfirst" if dayfirst else "--monthfirst")
    return " ".join(parts)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(str(text))


# ------------------------------------------------------------------ renderers (pure: profile -> text)
def _number(n: int) -> str:
    return f"{n:,}"


def _distinct(c) -> str:
    return f"{c.distinct:,}+" if c.distinct_capped else f"{c.distinct:,}"


def _type(c) -> str:
    return f"{c.type}\n{c.format}" if c.format else c.type


def _range(c) -> str:
    lines = []
    if c.min is not None:
        unit = " min" if c.type == "duration" else ""
        sep = "\n" if c.type == "date/time" else " "
        lines.append(f"{_value(c.min)} …{sep}{_value(c.max)}{unit}")
    if c.invalid:
        lines.append(f"{c.invalid:,} unreadable")
        if c.invalid_examples:
            lines.append(f"e.g. {_short(c.invalid_examples[0], 16)!r}")
    return "\n".join(lines)


def _value(v) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _name(c) -> str:
    return c.name if c.name else f"(blank, column {c.position})"


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _examples(c, limit: int = 40) -> str:
    return " · ".join(_short(v, limit) for v in c.examples)


def title(p) -> str:
    where = f"sheet {p.sheet!r}" if p.kind == "xlsx" else f"{p.encoding}, delimiter {p.delimiter!r}"
    more = f", {p.header_rows} header rows" if p.header_rows > 1 else ""
    return f"{p.file}: {_number(p.rows)} rows, {_number(p.columns_total)} columns ({where}{more})"


def summary_lines(p, hint_flags: str) -> list[str]:
    """The lines under the column table: dates, preset, mapping, KPIs, what to run next."""
    s = p.suggestion
    lines: list[str] = []
    if len(p.sheets) > 1:
        others = ", ".join(repr(n) for n in p.sheets if n != p.sheet)
        lines.append(f"Other sheets: {others} (--sheet NAME)")
    if len(p.columns) < p.columns_total:
        lines.append(f"Only the first {len(p.columns):,} of {p.columns_total:,} columns are profiled "
                     "(--max-columns 0 for all).")
    if p.bad_rows:
        why = "; ".join(f"{reason}: {n:,}" for reason, n in p.bad_row_reasons.items())
        lines.append(f"Bad rows: {p.bad_rows:,} not read ({why}); every command skips and reports them.")
    dr = p.date_range
    if dr:
        lines.append(f"Date range: {dr['column']} {dr['min']} … {dr['max']}")
    for c in p.columns:
        if c.format == "ambiguous day/month":
            lines.append(f"{_name(c)}: dates such as {c.examples[0]!r} can be day-first or month-first; "
                         "pass --dayfirst or --monthfirst")
    if p.preset_mode == "off":
        lines.append("Preset: none (--preset none)")
    elif s.preset is not None:
        how = "forced with --preset" if p.preset_mode == "forced" else "detected"
        lines.append(f"Preset: {s.preset.preset.name} — {s.preset.preset.title} "
                     f"({how}; {s.preset.found} of {s.preset.total} of its headers)")
    elif s.candidates:
        near = ", ".join(f"{m.preset.name} ({m.found} of {m.total} headers)" for m in s.candidates)
        lines.append(f"Preset: none fits clearly (closest: {near}; --preset NAME to use one)")
    else:
        lines.append("Preset: none fits (headers are matched by name)")
    if s.mapping:
        lines.append(f"Reads as: {s.source} export, {len(s.mapping)} canonical columns filled (see 'maps to')")
    else:
        lines.append(f"Reads as: {s.source}? no canonical column found; map them with --map or a config")
    if s.unplaced:
        shown = ", ".join(repr(h) for h in s.unplaced[:15])
        more = f" … (+{len(s.unplaced) - 15})" if len(s.unplaced) > 15 else ""
        lines.append(f"Not mapped: {shown}{more} (usable with --by/--where)")
    if s.computable:
        lines.append("Computable KPIs: " + ", ".join(s.computable))
        if s.answers:
            lines.append(f"Score column {s.answers['column']!r}: {s.answers['seen']}")
        lines.append(f"Try: cxkpi {s.computable[0]} {hint_flags}{s.try_flags}")
    else:
        lines.append("Computable KPIs: none yet (see `cxkpi kpis` for the columns each one needs)")
    return lines


HEADERS = ("column", "type", "null %", "distinct", "range", "examples", "maps to")


def _cells(c) -> list[str]:
    null = "" if c.null_pct is None else f"{c.null_pct:g}"
    return [_name(c), _type(c), null, _distinct(c), _range(c), _examples(c), ", ".join(c.canonical)]


def renderables(p, hint_flags: str) -> list:
    """rich objects for a terminal: the title, the column table, the summary lines."""
    from rich import box
    from rich.table import Table

    from ..render.safe import term_text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for h in HEADERS:
        short = h in ("null %", "distinct")
        table.add_column(h, justify="right" if short else "left", overflow="fold",
                         no_wrap=h not in ("column", "examples"), min_width=10 if h == "examples" else None)
    for c in p.columns:
        table.add_row(*(term_text(x) for x in _cells(c)))  # names, examples, file name: controls escaped
    return [term_text(title(p), style="bold"), table, *(term_text(line) for line in summary_lines(p, hint_flags))]


def _print(console, items) -> None:
    for item in items:
        console.print(item)


def plain_table(p, hint_flags: str, width: int = 120) -> str:
    """The terminal view as plain text (no colour), for pipes and --output FILE.txt."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    _print(Console(file=buf, width=width, color_system=None, highlight=False, emoji=False, soft_wrap=False),
           renderables(p, hint_flags))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def _md(text: str) -> str:
    from ..render.safe import markdown_cell  # pipes, HTML, inline markup and controls: as in every Markdown output

    return " ".join(markdown_cell(text).split())


def markdown(p, hint_flags: str) -> str:
    out = [f"## {_md(title(p))}", "", "| " + " | ".join(HEADERS) + " |", "|" + "|".join("---" for _ in HEADERS) + "|"]
    for c in p.columns:
        out.append("| " + " | ".join(_md(x) for x in _cells(c)) + " |")
    out.append("")
    out += [f"- {_md(line)}" for line in summary_lines(p, hint_flags)]
    return "\n".join(out) + "\n"


def csv_text(p) -> str:
    """One row per column (the JSON's ``columns`` flattened); spreadsheet formulas neutralised."""
    from ..render.safe import csv_line

    fields = ["position", "name", "type", "format", "nulls", "null_pct", "distinct", "distinct_capped",
              "examples", "min", "max", "unit", "invalid", "canonical"]
    lines = [csv_line(fields)]
    for c in p.columns:
        row = c.to_dict()
        row["examples"] = " | ".join(row["examples"])
        row["canonical"] = " ".join(row["canonical"])
        lines.append(csv_line([row[f] for f in fields]))  # RFC 4180 quoting, a bare CR too
    return "".join(lines)


def register(app: typer.Typer) -> None:
    app.command("inspect", rich_help_panel="Information")(inspect)

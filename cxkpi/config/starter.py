"""``cxkpi init``: a commented starter config from the exports themselves.

Two steps, kept apart so each can be tested on its own:

- ``plan(files, ...) -> Starter``: the config as plain data (``Starter.config`` is exactly what
  ``yaml.safe_load`` of the written file gives back) plus the notes that become comments: what
  each file is (``cxkpi.io.suggest``, the same guess ``cxkpi inspect`` shows), the columns it
  could not place, the answer scales it saw, the KPIs each source feeds and the settings only a
  human can give (SLA targets, support costs, business hours).
- ``render(starter) -> str`` (``yaml_out.py``): that data as YAML with the notes as comments.

``starter_config(files, ...)`` does both. Headers are read for every file; only a survey file's
score (and survey) column is read in full, to see its answer scale. Nothing is printed here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .yaml_out import _q, render

# KPIs the data alone cannot drive: computed only once a human fills in these settings
NEEDS_HUMAN = {
    "sla": "needs its targets",
    "cost-per-resolution": "needs the support cost",
}
SCORE_KPIS = ("nps", "csat", "ces")
# dimension names that would collide with what cxkpi itself puts in a result's groups
_RESERVED = {"period", "value", "n", "group", "kpi", "rows", "all"}
# unplaced headers that are no use for --by/--where (ids, timestamps, free text, measures)
_NOT_A_DIMENSION = re.compile(
    r"(^|_)(id|ids|uuid|guid|key|number|no|at|on|date|dates|time|times|timestamp|datetime|created|updated|"
    r"modified|email|e_mail|mail|phone|url|link|ip|ip_address|address|latitude|longitude|lat|lon|lng|"
    r"comment|comments|text|note|notes|description|body|message|subject|title|feedback|reason|answer|"
    r"seconds|minutes|hours|days|duration|secs|mins|count|amount|total|price|cost|revenue|value|"
    r"score|rating|percent|pct|progress)($|_)")
_MAX_DIMENSIONS = 12


# ------------------------------------------------------------------ the plan (pure data)
@dataclass
class Scale:
    """What the answers of one survey (or the whole score column) look like."""

    label: str | None  # the survey column's value; None: the whole file
    kpi: str | None  # nps, csat or ces; None: could not tell
    scale: tuple[int, int] | None  # (low, high); None for yes/no answers or unknown
    answers: int  # answers on the scale
    seen: str  # e.g. "answers on 0–10", "yes/no answers", "no answers"
    stray: int = 0  # answers not on it (skipped by the KPI, and reported)

    @property
    def described(self) -> str:
        total = self.answers + self.stray
        return self.seen + (f" ({self.stray} of {total} off the scale, skipped)" if self.stray else "")


@dataclass
class SourcePlan:
    source: str
    file: str  # as written in the config
    given: str  # as given on the command line
    block: dict[str, Any]  # the config's sources.<source> block
    preset: str | None = None  # the preset the block names (None: columns mapped explicitly)
    preset_note: str | None = None
    preset_columns: dict[str, str] = field(default_factory=dict)  # what the preset reads (shown, not written)
    mapping: dict[str, str] = field(default_factory=dict)  # every canonical column found (preset or not)
    headers: list[str] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)  # extra columns mapped for --by/--where
    unplaced: list[str] = field(default_factory=list)
    computable: list[str] = field(default_factory=list)
    scales: list[Scale] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    active: bool = True  # False: another file already is this source; written commented out


@dataclass
class Starter:
    config: dict[str, Any]  # exactly what the rendered YAML loads as
    sources: list[SourcePlan]
    kpi_notes: dict[str, list[str]]  # kpi -> comment lines under kpis.<kpi> (commented settings)
    inline: dict[tuple, str]  # path of a key -> its end-of-line comment
    hints: list[str]  # commented-out KPI blocks only a human can fill in
    scale_notes: list[str]  # answers whose scale could not be told (comments under kpis:)
    not_in_report: dict[str, str]  # computable KPIs left out of report.kpis, and why
    relative_to: str  # "output" (paths relative to --output's folder) or "cwd"
    files: list[str]
    messages: list[str]  # what the CLI may say on stderr
    kpi_source: dict[str, str] = field(default_factory=dict)  # kpi in report.kpis -> the source it reads

    @property
    def report_kpis(self) -> list[str]:
        return list((self.config.get("report") or {}).get("kpis") or [])


def plan(files: list[str], *, output: str | None = None, timezone: str | None = None,
         sheet: str | None = None, preset: str | None = None) -> Starter:
    """The starter config for ``files`` as data. ``output``: where it will be written (paths are made
    relative to its folder), else the current folder. ``preset``: force one for every file (``none``:
    map the columns, no preset)."""
    from ..registry import load_all

    if not files:
        raise UsageError("init: give at least one export (CSV, TSV or XLSX)")
    if timezone is not None:
        _check_timezone(timezone)
    forced = _forced_preset(preset)
    base = Path(os.path.abspath(os.path.dirname(os.path.abspath(output)) if output else os.getcwd()))
    registry = load_all()

    plans: list[SourcePlan] = []
    seen: dict[str, str] = {}  # absolute path -> as given
    taken: dict[str, SourcePlan] = {}
    messages: list[str] = []
    for given in files:
        if given == "-":
            raise UsageError("init: - (stdin) cannot be named in a config; save the export to a file first")
        from ..io.read import is_stream

        if is_stream(given):  # <(…), a FIFO: read once, and a config that names it reads nothing next time
            raise UsageError(f"init: {given} is a pipe, which a config cannot name; save the export to a file first")
        absolute = os.path.abspath(given)
        if absolute in seen:
            continue
        seen[absolute] = given
        if output and os.path.abspath(output) == absolute:
            raise UsageError(f"--output {output!r} is one of the input files")
        p = _plan_file(given, base, sheet, forced)
        if not p.computable:
            p.active = False
            p.notes.insert(0, f"{given}: no KPI can be computed from these columns (the closest source is "
                              f"{p.source}); map them under columns: (docs/kpis.md) to use it")
            messages.append(f"{given}: no KPI can be computed from its columns; written as a comment")
        elif p.source in taken:
            p.active = False
            first = taken[p.source].given
            p.notes.insert(0, f"{given} is a {p.source} export too, and a source reads one file: "
                              f"{first} is used above; to use this one instead, replace that block")
            messages.append(f"{given}: another {p.source} export ({first} is sources.{p.source}); "
                            "written commented out")
        else:
            taken[p.source] = p
            if p.source == "surveys" and "score" in p.mapping:  # the answers tell the scale
                p.scales = _scales(given, p.source, p.block, timezone, p.mapping["score"])
        plans.append(p)
    if not taken:
        only = plans[0] if len(plans) == 1 else None
        if only is not None:
            shown = ", ".join(repr(h) for h in only.headers[:20])
            more = f" … (+{len(only.headers) - 20})" if len(only.headers) > 20 else ""
            raise UsageError(f"{only.given}: no column fits a KPI of any source (see docs/kpis.md for the "
                             f"canonical columns; map them in a config); the file has: {shown}{more}")
        raise UsageError("init: none of the files has columns a KPI can use: " + ", ".join(p.given for p in plans))

    config: dict[str, Any] = {}
    if timezone:
        config["timezone"] = timezone
    config["sources"] = {p.source: p.block for p in plans if p.active}

    # KPIs, in registry order: from which source, and with which settings
    kpis: dict[str, Any] = {}
    kpi_notes: dict[str, list[str]] = {}
    inline: dict[tuple, str] = {}
    report: list[str] = []
    kpi_source: dict[str, str] = {}
    not_in_report: dict[str, str] = {}
    scored = _score_kpis(taken.get("surveys"), kpis, kpi_notes, inline)
    for spec in registry.values():
        where = [s for s in spec.sources if s in taken and spec.name in taken[s].computable]
        if not where:
            continue
        if spec.name in NEEDS_HUMAN:
            not_in_report[spec.name] = NEEDS_HUMAN[spec.name]
            continue
        if spec.name in SCORE_KPIS and spec.name not in scored:
            not_in_report[spec.name] = _scored_reason(taken["surveys"])
            continue
        if spec.name == "sentiment" and not _have_sentiment():
            not_in_report[spec.name] = 'needs the text extra (pip install "cxkpi[text]")'
            continue
        source = spec.source if spec.source in where else where[0]
        settings, why = _runtime_needs(spec.name, taken[source])
        if why:
            not_in_report[spec.name] = why
            continue
        for key, (value, comment) in settings.items():
            kpis[spec.name] = {**(kpis.get(spec.name) or {}), key: value}
            inline[("kpis", spec.name, key)] = comment
        if source != spec.source:
            block = kpis.get(spec.name) or {}
            block["source"] = source
            kpis[spec.name] = block
            inline[("kpis", spec.name, "source")] = f"the {spec.source} source is not in this config"
        report.append(spec.name)
        kpi_source[spec.name] = source
    if not report:
        grouped: dict[str, list[str]] = {}
        for k, v in not_in_report.items():
            grouped.setdefault(v.replace(", see kpis:", ""), []).append(k)
        why = "; ".join(f"{', '.join(ks)}: {v}" for v, ks in grouped.items())
        raise UsageError(f"init: {', '.join(p.given for p in plans)}: nothing to report without settings only "
                         f"you can give ({why}); see `cxkpi kpis` and config.example.yaml")
    config["report"] = {"kpis": report}
    if kpis:
        config["kpis"] = kpis
    hints = _hints(taken)
    return Starter(config=config, sources=plans, kpi_notes=kpi_notes, inline=inline, hints=hints,
                   scale_notes=_scale_notes(taken.get("surveys")),
                   not_in_report=not_in_report, relative_to="output" if output else "cwd",
                   files=[p.given for p in plans], messages=messages, kpi_source=kpi_source)


def _runtime_needs(kpi: str, p: SourcePlan) -> tuple[dict[str, tuple[Any, str]], str | None]:
    """Columns a KPI needs at run time beyond its declared ones: (settings that make it work, or why not).

    fcr's default rule (one-touch) reads agent_replies and reopens; response-rate counts invitations
    from sent_at (or a count only a human knows)."""
    have = set(p.mapping)
    if kpi == "fcr" and not {"agent_replies", "reopens"} <= have:
        if "contacts" in have:
            return {"rule": ("contacts", "no agent_replies/reopens: one contact = first contact")}, None
        if "fcr_answer" in have:
            return {"rule": ("survey", "no agent_replies/reopens: the ticket's yes/no answer")}, None
        return {}, "needs agent_replies + reopens, contacts or fcr_answer"
    if kpi == "response-rate" and "sent_at" not in have:
        return {}, "needs sent_at (a row per invitation) or kpis.response-rate.sent: N"
    return {}, None


def _scored_reason(surveys: SourcePlan) -> str:
    fits = sorted({sc.kpi for sc in surveys.scales if sc.kpi})
    if fits:
        return f"the answers fit {' and '.join(fits)}"
    seen = "; ".join(f"{sc.label}: {sc.described}" if sc.label else sc.described for sc in surveys.scales)
    return f"scale unknown ({seen or 'no answers'}), see kpis:"


def _scale_notes(surveys: SourcePlan | None) -> list[str]:
    """Comment lines under ``kpis:`` for answers whose scale could not be told."""
    if surveys is None:
        return []
    out = []
    score = surveys.block.get("columns", {}).get("score") or surveys.preset_columns.get("score")
    for sc in surveys.scales:
        if sc.kpi is not None:
            continue
        where = f"{_q(score)} in the survey {_q(sc.label)}" if sc.label else _q(score)
        out.append(f"# {where}: {sc.described}; cxkpi could not tell the scale.")
        if sc.seen.startswith("answers that are words"):
            out.append("#   map the words to numbers: sources.surveys.labels: {score: {Great: 5, Okay: 3, Bad: 1}}")
        out.append("#   Then set the KPI that fits (e.g. csat: {scale: 1-10}) and add it to report.kpis.")
    return out


def _check_timezone(name: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise UsageError(f"--timezone {name!r}: unknown time zone (expected an IANA name such as "
                         "Europe/Berlin)") from None


def _forced_preset(name: str | None):
    """None: detect per file; "none": no preset; else the Preset (unknown names are a usage error)."""
    if name is None:
        return None
    from ..io.presets import get_preset

    found = get_preset(name)
    return "none" if found is None else found


def _have_sentiment() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("vaderSentiment") is not None
    except (ImportError, ValueError):
        return False


def _config_path(given: str, base: Path) -> str:
    absolute = os.path.abspath(given)
    try:
        if os.path.dirname(os.path.commonpath([absolute, str(base)])) == os.path.commonpath([absolute, str(base)]):
            return Path(absolute).as_posix()  # only the root in common: an absolute path reads better
        return Path(os.path.relpath(absolute, base)).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(absolute).as_posix()


def _read_headers(given: str, sheet: str | None, header_rows: int | None = None):
    from ..io.load import LoadOptions
    from ..io.read import existing_file, read_table

    return read_table(existing_file(given, given), given, LoadOptions(sheet=sheet, header_rows=header_rows), columns=[])


def _suggestion(headers: list[str], given: str, aliases: dict, forced):
    """``suggest``, with the preset detected (``forced`` None), forced (a Preset) or off ("none")."""
    from ..io.suggest import DETECT, suggest

    return suggest(headers, given, aliases, preset=DETECT if forced is None else None if forced == "none" else forced)


def _plan_file(given: str, base: Path, sheet: str | None, forced) -> SourcePlan:
    """What one file is, from its header alone: its source, preset and mapping."""
    from ..io.load import LoadOptions, header_for
    from ..io.presets import CLEAR
    from ..io.read import is_excel
    from ..sources import SOURCES

    table = _read_headers(given, sheet)  # a CSV ignores the sheet
    use_sheet = sheet if sheet is not None and is_excel(Path(given), given) else None
    s = _suggestion(table.headers, given, table.aliases, forced)
    preset_obj = forced if forced not in (None, "none") else (s.preset.preset if s.preset else None)
    # a multi-row header (Qualtrics' question text under its Q1, Q2), read as the loader reads it
    first = table
    table, _, _ = header_for(lambda o: _read_headers(given, use_sheet, o.header_rows), table,
                             LoadOptions(sheet=use_sheet), preset_obj)
    if table is not first:
        s = _suggestion(table.headers, given, table.aliases, preset_obj)

    block: dict[str, Any] = {"file": _config_path(given, base)}
    if use_sheet is not None:
        block["sheet"] = str(use_sheet)
    p = SourcePlan(source=s.source, file=block["file"], given=given, block=block, computable=list(s.computable),
                   mapping=dict(s.mapping), headers=list(table.headers))
    columns: dict[str, str] = {}
    if preset_obj is not None:
        block["preset"] = preset_obj.name
        p.preset = preset_obj.name
        how = "forced with --preset" if forced not in (None, "none") else \
            f"detected: {s.preset.found} of {s.preset.total} of its headers"
        p.preset_note = f"{preset_obj.title} ({how})"
        p.preset_columns = dict(s.mapping)
    else:
        columns.update(s.mapping)
        if forced == "none":
            block["preset"] = "none"
            p.preset_note = "no preset (--preset none)"
        else:
            near = [m for m in s.candidates if m.score >= CLEAR]
            if near:  # a tie between presets: the loader would refuse to choose, so say none
                block["preset"] = "none"
                p.preset_note = ("the headers fit several presets (" + ", ".join(m.describe() for m in near)
                                 + "); the columns are mapped here instead")
    if preset_obj is not None:
        for other in preset_obj.sources:
            if other != s.source:
                p.notes.append(f"the {preset_obj.name} preset also reads this file as {other}: add "
                               f"{other}: {{file: {_q(block['file'], flow=True)}, preset: {preset_obj.name}}} "
                               "under sources")
    taken = set(columns) | set(p.preset_columns) | set(SOURCES[s.source].columns)
    for header in s.unplaced:
        # with a preset, only what differs from it: its tool's extra columns stay comments
        name = None if preset_obj is not None else _dimension_name(header)
        if name is None or name in taken or len(p.dimensions) >= _MAX_DIMENSIONS:
            p.unplaced.append(header)
            continue
        columns[name] = header
        taken.add(name)
        p.dimensions.append(name)
    if columns:
        block["columns"] = columns
    return p


def _dimension_name(header: str) -> str | None:
    """The lowercase name an unplaced header gets as a --by/--where dimension (Region -> region), or
    None for headers that are ids, timestamps, free text or measures."""
    from ..io.columns import norm

    name = norm(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", header))  # StartDate -> start_date
    if not header.isascii() or not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", name) or name in _RESERVED:
        return None
    if _NOT_A_DIMENSION.search(name) or re.fullmatch(r"q\d+(_.*)?", name):
        return None
    return name


# ------------------------------------------------------------------ answer scales
def _hint(text: str | None) -> str | None:
    from ..kpis.scales import hint

    return hint(text)


def _scales(given: str, source: str, block: dict, timezone: str | None, score_header: str) -> list[Scale]:
    """Read the score (and survey) column as the report will, and see what the answers look like."""
    from ..api import RunOptions, load_options
    from . import validate
    from ..io.load import load_source

    cfg = validate({"timezone": timezone, "sources": {source: dict(block)}} if timezone else
                   {"sources": {source: dict(block)}}, None)
    opts = load_options(cfg, source, RunOptions())
    data = load_source(given, source, ["score", "survey"], opts)
    frame = data.frame
    if "score" not in frame.columns:
        return []
    if "survey" not in frame.columns:
        return [_scale_of(frame["score"], None, _hint(score_header))]
    labels = frame["survey"].astype("string").str.strip()
    out = []
    for label in sorted({v for v in labels.dropna().unique() if v}, key=str):
        rows = frame["score"][(labels == label).fillna(False).to_numpy()]
        out.append(_scale_of(rows, str(label), _hint(str(label)) or _hint(score_header)))
    return out


def _scale_of(raw, label: str | None, hint: str | None) -> Scale:
    """The answer scale of one survey, from the one detector ``cxkpi nps``/``csat``/``ces`` and ``inspect`` use."""
    from ..kpis.scales import read

    r = read(raw, hint)
    return Scale(label, r.kpi, r.scale, r.answers, r.seen, r.stray)


def _score_kpis(surveys: SourcePlan | None, kpis: dict, notes: dict[str, list[str]],
                inline: dict[tuple, str]) -> set[str]:
    """Fill kpis.nps/csat/ces from the answer scales seen; returns the score KPIs worth reporting."""
    from ..io.presets import get_preset
    from ..kpis.scales import scale_name
    from ..registry import get_kpi

    if surveys is None or not surveys.scales:
        return set()
    preset = get_preset(surveys.preset) if surveys.preset else None
    view = preset.view("surveys") if preset else None
    chosen: dict[str, Scale] = {}
    others: dict[str, list[Scale]] = {}
    for sc in surveys.scales:
        if sc.kpi is None:
            continue
        if sc.kpi not in chosen or sc.answers > chosen[sc.kpi].answers:
            if sc.kpi in chosen:
                others.setdefault(sc.kpi, []).append(chosen[sc.kpi])
            chosen[sc.kpi] = sc
        else:
            others.setdefault(sc.kpi, []).append(sc)
    for kpi in SCORE_KPIS:
        sc = chosen.get(kpi)
        if sc is None:
            continue
        spec = get_kpi(kpi)
        block: dict[str, Any] = {}
        lines: list[str] = []
        seen = f"seen: {sc.described}"
        if sc.label is not None:
            if sc.label.strip().lower() == kpi:
                lines.append(_setting("survey", _q(sc.label), f"the default: the rows labelled {kpi.upper()}"))
            else:
                block["survey"] = sc.label
                inline[("kpis", kpi, "survey")] = f"the rows of this survey ({sc.answers} answers)"
        if kpi == "nps":
            lines.append(f"# {seen}")
            lines.append(_setting("promoter_min", "9", "the default: 9 and 10 are promoters"))
            lines.append(_setting("detractor_max", "6", "the default: 0 to 6 are detractors"))
        elif sc.scale is None:  # yes/no answers
            lines.append(f"# {seen}: yes = satisfied, no scale needed")
        else:
            preset_scale = (view.kpis.get(kpi) or {}).get("scale") if view else None
            default = str(preset_scale or next(p.default for p in spec.params if p.name == "scale"))
            name = scale_name(sc.scale)
            if _same_scale(name, default):
                origin = "the preset's scale" if preset_scale else "the default"
                lines.append(_setting("scale", name, f"{origin}; {seen}"))
            else:
                block["scale"] = name
                inline[("kpis", kpi, "scale")] = seen
            lo, hi = sc.scale
            if kpi == "csat":
                top = hi - 1 if hi - lo >= 3 else hi
                lines.append(_setting("satisfied_min", f"{top:g}", "the default: the top two answers"
                                      if top == hi - 1 else "the default on a 3-point scale: the top answer"))
            else:
                easy = round(lo + (hi - lo) * 2 / 3)
                lines.append(_setting("easy_min", f"{easy:g}", "the default: the top third of the scale"))
                lines.append(_setting("higher_is_easier", "true", "false when the lowest answer means 'very easy'"))
        for other in others.get(kpi, []):
            lines.append(f"# also {other.described} in the survey {_q(other.label)}: "
                         f"survey: {_q(other.label)} reads that one instead")
        kpis[kpi] = block or None
        notes[kpi] = lines
    return set(chosen)


def _setting(key: str, value: str, comment: str) -> str:
    """A commented-out setting with its reason: ``# scale: 1-5   # the default``."""
    return f"# {key}: {value}".ljust(24) + f"  # {comment}"


def _same_scale(a: str, b: str) -> bool:
    from ..kpis.scores import parse_scale

    try:
        return parse_scale(a, "scale") == parse_scale(b, "scale")
    except UsageError:
        return False


def _hints(taken: dict[str, SourcePlan]) -> list[str]:
    """Commented-out KPI blocks for settings only a human knows (under ``kpis:``)."""
    tickets = taken.get("tickets")
    if tickets is None:
        return []
    out = []
    if "sla" in tickets.computable:
        out += ["# sla:                       # your targets; then add sla to report.kpis",
                "#   frt_target: 4h",
                "#   resolution_target: 3d",
                "#   targets: {urgent: {frt: 30m, resolution: 8h}}   # per priority, if the export has one",
                '#   business_hours: "Mon-Fri 09:00-17:00"           # count only open hours',
                "#   holidays: DE"]
    if "cost-per-resolution" in tickets.computable:
        out += ["# cost-per-resolution:       # your support cost; then add it to report.kpis",
                "#   costs: {2025-05: 40000, 2025-06: 41000}         # per month (or cost: 40000 for the whole range)"]
    return out


def starter_config(files: list[str], *, output: str | None = None, timezone: str | None = None,
                   sheet: str | None = None, preset: str | None = None) -> str:
    """The commented YAML config for ``files`` (see ``plan`` for the options)."""
    return render(plan(files, output=output, timezone=timezone, sheet=sheet, preset=preset))


__all__ = ["plan", "starter_config", "Starter", "SourcePlan", "Scale", "NEEDS_HUMAN"]

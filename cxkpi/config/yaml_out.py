"""``cxkpi init``'s writer: the plan of ``starter.plan`` as YAML, its notes as comments.

By hand rather than ``yaml.dump``, which writes no comments; ``render`` loads its own text
back and refuses it unless it gives exactly the plan's data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from .starter import SourcePlan, Starter

_PLAIN = re.compile(r"[\w./][\w .()/+-]*", re.UNICODE)  # then checked by loading it back


def _q(value: Any, flow: bool = False) -> str:
    """A YAML scalar that loads back as exactly ``value`` (strings quoted only when they must be)."""
    import yaml

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    s = str(value)
    if _PLAIN.fullmatch(s) and s == s.strip() and "  " not in s and all(ch.isprintable() for ch in s):
        try:
            probe = yaml.safe_load(f"[{s}]" if flow else f"k: {s}")
            if (probe == [s]) if flow else (probe == {"k": s}):
                return s
        except yaml.YAMLError:
            pass
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            o = ord(ch)
            out.append(f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def _line(indent: int, text: str, comment: str | None = None, column: int = 28) -> str:
    """One output line; anything unprintable (a file name with a newline) is escaped, so a comment
    stays one line. Scalars from ``_q`` are printable already and pass unchanged."""
    body = " " * indent + text
    if comment:
        body = body.ljust(column) + "  # " + comment if len(body) < column else body + "  # " + comment
    if body.isprintable():
        return body
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in body)


def _scalar_or_flow(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_q(v, flow=True) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_q(k, flow=True)}: {_q(v, flow=True)}" for k, v in value.items()) + "}"
    return _q(value)


def _mapping(data: dict, indent: int, path: tuple, inline: dict[tuple, str], out: list[str]) -> None:
    for key, value in data.items():
        here = path + (key,)
        comment = inline.get(here)
        if isinstance(value, dict) and value:
            out.append(_line(indent, f"{_q(key)}:", comment))
            _mapping(value, indent + 2, here, inline, out)
        elif value is None:
            out.append(_line(indent, f"{_q(key)}:", comment))
        else:
            out.append(_line(indent, f"{_q(key)}: {_scalar_or_flow(value)}", comment))


def _source_lines(p: SourcePlan, starter: Starter) -> list[str]:
    """One ``sources:`` block with its comments (all of it commented out for a file not used)."""
    body: list[str] = []
    inline = {("file",): p.given if p.given != p.file else None,
              ("preset",): p.preset_note}
    block = dict(p.block)
    columns = block.pop("columns", None)
    _mapping(block, 4, (), {k: v for k, v in inline.items() if v}, body)
    if p.preset_columns:
        body.append(_line(4, "# columns read through the preset (uncomment one under columns: to override it):"))
        for canonical, header in p.preset_columns.items():
            body.append(_line(4, f"#   {_q(canonical)}: {_q(header)}"))
    if columns:
        body.append(_line(4, "columns:", "canonical name: the export's header" if not p.preset else
                          "beside the preset: more columns for --by/--where"))
        for canonical, header in columns.items():
            note = "not a canonical column: for --by/--where" if canonical in p.dimensions else None
            body.append(_line(6, f"{_q(canonical)}: {_q(header)}", note))
    if p.unplaced:
        body += _wrapped(6, ["not placed (no canonical column): "
                             + _q(p.unplaced[0], flow=True)] + [_q(h, flow=True) for h in p.unplaced[1:]])
    if p.computable:
        marks = []
        for k in p.computable:
            read_from = starter.kpi_source.get(k)
            if not p.active or read_from == p.source:
                marks.append(k)
            elif read_from is not None:
                marks.append(f"{k} (read from {read_from})")
            else:
                marks.append(f"{k} ({starter.not_in_report.get(k, 'not in report.kpis')})")
        body += _wrapped(6, ["computable: " + marks[0]] + marks[1:])
    for note in p.notes:
        body.append(_line(4, f"# {note}"))
    header = _line(2, f"{_q(p.source)}:")
    if p.active:
        return [header] + body
    return ["  # " + line[2:] for line in [header] + body]


def _wrapped(indent: int, items: list[str], width: int = 100, cap: int = 200) -> list[str]:
    """``items`` as comma-separated comment lines at ``indent - 2``; continuation lines hang."""
    if len(items) > cap:
        items = items[:cap] + [f"… (+{len(items) - cap} more)"]
    lines: list[str] = []
    current = ""
    for item in items:
        piece = item if not current else current + ", " + item
        lead = indent - 2 + (2 if not lines else 4)
        if current and len(piece) + lead > width:
            lines.append(current + ",")
            current = item
        else:
            current = piece
    if current:
        lines.append(current)
    return [_line(indent - 2, ("# " if i == 0 else "#   ") + line) for i, line in enumerate(lines)]


def render(starter: Starter) -> str:
    """The plan as commented YAML; it loads back as exactly ``starter.config`` (checked)."""
    import yaml

    from .. import __version__

    cfg = starter.config
    out = _wrapped(2, [f"cxkpi config written by `cxkpi init` (cxkpi {__version__}) from: {starter.files[0]}"]
                   + starter.files[1:], cap=50)
    if starter.relative_to == "output":
        out.append("# File paths are relative to the folder this file is in.")
    else:
        out += ["# File paths are relative to the folder this file is in, and were written relative to the",
                "# folder `cxkpi init` ran in: keep this file there (or fix the paths, or use --output)."]
    out += ["# Header matching ignores case and spaces; the canonical columns of each source are listed",
            "# in docs/kpis.md; `cxkpi inspect FILE` shows how a file is read.",
            "#",
            "#   cxkpi report --config THIS_FILE",
            ""]
    if "timezone" in cfg:
        out.append(_line(0, f"timezone: {_q(cfg['timezone'])}",
                         "naive timestamps are read in this zone; periods follow it"))
    else:
        out.append(_line(0, "# timezone: Europe/Berlin", "zone of timestamps without one, and of periods "
                            "(unset: as written)"))
    out += ["# min_sample: 30              # groups with fewer answers are flagged \"low n\"", "", "sources:"]
    for p in starter.sources:
        out += _source_lines(p, starter)
        out.append("")
    out.append("report:")
    out.append(_line(2, "kpis:", "what `cxkpi report` computes; the source each reads"))
    for name in starter.report_kpis:
        out.append(_line(4, f"- {_q(name)}", starter.kpi_source.get(name)))
    left_out = [f"{k} ({why})" for k, why in starter.not_in_report.items()]
    if left_out:
        out += _wrapped(6, ["not in the list: " + left_out[0]] + left_out[1:])
    out.append("")
    kpis = cfg.get("kpis") or {}
    names = list(dict.fromkeys([*kpis, *starter.kpi_notes]))
    if names or starter.hints or starter.scale_notes:
        out.append("kpis:" if kpis else "# kpis:")
    out += [_line(2, line) for line in starter.scale_notes]
    for name in names:
        value = kpis.get(name)
        if name in kpis:
            out.append(_line(2, f"{_q(name)}:"))
            if value:
                _mapping(value, 4, ("kpis", name), starter.inline, out)
            out += [_line(4, line) for line in starter.kpi_notes.get(name, [])]
        else:
            out.append(_line(2, f"# {name}:"))
            out += [_line(4, line) for line in starter.kpi_notes.get(name, [])]
    out += [_line(2, line) for line in starter.hints]
    tickets = next((p for p in starter.sources if p.active and p.source == "tickets"), None)
    if tickets is not None and {"frt", "resolution"} & set(tickets.computable):
        out += ["",
                "# Business hours once for every KPI that takes them (frt, resolution, sla):",
                "# business_hours:",
                '#   schedule: "Mon-Fri 09:00-17:00"',
                "#   timezone: Europe/Berlin      # default: the top-level timezone",
                "#   holidays: DE                 # country[-subdivision]"]
    text = "\n".join(out).rstrip() + "\n"
    loaded = yaml.safe_load(text)
    if loaded != cfg:  # the comments must never change the data
        raise ConfigError(f"init: the written YAML does not load back as the plan ({loaded!r} != {cfg!r})")
    return text


def check(text: str, path: Path) -> None:
    """The written text passes the config validation as if it were at ``path``."""
    import yaml

    from . import validate

    validate(yaml.safe_load(text), path)


__all__ = ["render", "check"]

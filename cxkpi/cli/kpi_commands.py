"""One subcommand per registered KPI, generated from the command catalog.

The command's signature is the shared options plus one flag per KPI
``Param``; Typer reads it from ``__signature__``, so adding a KPI adds its
command, flags and help with no code here. The flags come from the catalog
(plain data generated from the registry), so building the CLI for ``--help``
imports no KPI; the command itself loads its ``KpiSpec`` when it runs.
"""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from .catalog import CommandEntry, FlagEntry
from .options import COMMON, COMMON_NAMES, INPUT, KPI


def _param_option(p: FlagEntry) -> inspect.Parameter:
    if p.type == "bool":
        decls = [f"{p.flag}/--no-{p.flag[2:]}"]
        annotation = Annotated[Optional[bool], typer.Option(*decls, help=p.help, rich_help_panel=KPI, show_default=False)]
    else:
        extra: dict[str, Any] = {}
        py_type = p.py_type
        if p.choices:
            py_type = Enum(f"{p.name}_choices", {c: c for c in p.choices}, type=str)
            extra["case_sensitive"] = False
        help_text = p.help + (f" [default: {p.default}]" if p.default is not None else "")
        annotation = Annotated[Optional[py_type], typer.Option(p.flag, help=help_text, rich_help_panel=KPI,
                                                                show_default=False, **extra)]
    return inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


def _source_option(spec: CommandEntry) -> inspect.Parameter:
    """``--source`` for a KPI that reads several kinds of export."""
    choices = Enum(f"{spec.name}_sources", {s: s for s in spec.sources}, type=str)
    help_text = (f"Which kind of export FILE is: {', '.join(spec.sources)}. "
                 "Detected from its columns when omitted (tried in that order).")
    annotation = Annotated[Optional[choices], typer.Option("--source", help=help_text, rich_help_panel=INPUT,
                                                           case_sensitive=False, show_default=False)]
    return inspect.Parameter("source", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


def make_command(spec: CommandEntry):
    params = list(spec.params)
    clash = [p.name for p in params if p.name in COMMON_NAMES or (p.name == "source" and spec.alt_sources)]
    if clash:
        raise ValueError(f"KPI {spec.name}: params {clash} clash with shared options")

    def command(**kwargs):
        from ..registry import load_all
        from .run import run_kpi_command

        kpi = load_all()[spec.name]
        parsers = {p.name: p for p in kpi.params}
        if spec.alt_sources and isinstance(kwargs.get("source"), Enum):
            kwargs["source"] = kwargs["source"].value
        kpi_settings = {p.name: kwargs.pop(p.name, None) for p in params}
        for p in params:
            if isinstance(kpi_settings[p.name], Enum):
                kpi_settings[p.name] = kpi_settings[p.name].value
            if p.parse and kpi_settings[p.name] is not None:
                kpi_settings[p.name] = _parse_flag(parsers[p.name], kpi_settings[p.name])
        run_kpi_command(kpi, kpi_settings, **kwargs)

    extra = [_source_option(spec)] if spec.alt_sources else []
    command.__signature__ = inspect.Signature(COMMON + extra + [_param_option(p) for p in params])
    command.__name__ = spec.name.replace("-", "_")
    example = spec.example or f"cxkpi {spec.name} FILE"
    command.__doc__ = (
        f"{spec.title}: {spec.formula}.\n\n{spec.doc}\n\n"
        f"Example:\n\n{fold_example(example)}"
    )
    return command


def fold_example(example: str, width: int = 70, indent: str = "    ") -> str:
    """A long example as shell lines continued with ``\\`` between options, never wrapped mid-word.

    Help is read at 80 columns; rich would otherwise wrap ``--period`` away from ``month``.
    """
    words = example.split(" ")
    parts: list[str] = []  # an option keeps its value(s): "--by channel", '--business-hours "Mon-Fri 09:00"'
    for w in words:
        if parts and not w.startswith("-") and parts[-1].startswith("-") and len(parts[-1].split(" ")) < 2 \
                or parts and parts[-1].count('"') % 2:
            parts[-1] += " " + w
        else:
            parts.append(w)
    lines, line = [], ""
    for part in parts:
        if line and len(line) + 1 + len(part) > width:
            lines.append(line + " \\")
            line = "    " + part
        else:
            line = f"{line} {part}" if line else part
    lines.append(line)
    return "\n".join(indent + l for l in lines)


def _parse_flag(p, value):
    from ..errors import UsageError

    try:
        return p.parse(value)
    except (ValueError, TypeError) as e:
        raise UsageError(f"{p.flag} {value!r}: {e}") from None


def register(app: typer.Typer, entries: list[CommandEntry]) -> None:
    for spec in entries:
        app.command(spec.name, help=None, rich_help_panel="KPIs")(make_command(spec))

"""Metavars in the ecosystem's style (``FILE``, ``N``, ``COLUMN``, ``YYYY-MM-DD``), set in one place.

Recent Typer versions print a value's Python type (``<str>``, ``<list[str]>``,
``<bool>`` even for flags) where git, ripgrep or httpie print what to type.
Rather than a ``metavar=`` on each of the ~100 options (and on every KPI
``Param``), the built Click command tree is walked once: an option's name
picks its metavar, then its type; choices show as ``a|b|c``; flags show none.
"""

from __future__ import annotations

# by parameter name (options shared by many commands and KPI settings alike)
BY_NAME = {
    "file": "FILE", "files": "FILE...", "config": "FILE", "output": "FILE", "themes": "FILE",
    "preset": "NAME", "name": "NAME", "sheet": "SHEET", "encoding": "ENCODING",
    "delimiter": "CHAR", "tags_sep": "CHAR", "timezone": "ZONE", "holidays": "COUNTRY",
    "language": "LANG",
    "score": "COLUMN", "date": "COLUMN", "by": "COLUMN", "status_column": "COLUMN",
    "tenure_column": "COLUMN", "revenue_column": "COLUMN",
    "map": "CANONICAL=HEADER", "where": "COLUMN=VALUE",
    "period": "day|week|month|quarter|year", "compare": "previous|same-last-year|PERIOD",
    "on_source_error": "abort|continue", "engine": "local|dask", "scheduler": "ADDRESS",
    "since": "YYYY-MM-DD", "until": "YYYY-MM-DD", "as_of": "YYYY-MM-DD",
    "business_hours": "SCHEDULE", "peak_hours": "HOURS",
    "frt_target": "DURATION", "resolution_target": "DURATION", "lifespan": "DURATION",
    "cost": "AMOUNT", "margin": "SHARE",
    "survey": "LABEL", "closed": "VALUES", "churned_values": "VALUES", "resolved_status": "VALUES",
}
# by Click type name, when the name is not in the table
BY_TYPE = {"int": "N", "integer": "N", "integer range": "N", "float": "NUMBER", "float range": "NUMBER",
           "str": "TEXT", "text": "TEXT"}


def metavar_for(param) -> str | None:
    """The metavar to show for one Click parameter, or None to leave it alone."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    if param.name in BY_NAME:
        return BY_NAME[param.name]
    desc = getattr(param, "type_descriptor", None)  # Typer's own parameter classes (Typer >= 0.2x)
    if desc is not None:
        choices = desc.choices if desc.is_choice else None
        kind = param.bare_type().removeprefix("list[").removesuffix("]")
    else:  # Click's classes
        choices = getattr(param.type, "choices", None)
        kind = getattr(param.type, "name", "")
    if choices:
        return "|".join(str(getattr(c, "value", c)) for c in choices)
    return BY_TYPE.get(kind, None)


def apply(command) -> None:
    """Set the metavar of every parameter (help option included) of ``command`` and its subcommands."""
    _set(command)
    for sub in getattr(command, "commands", {}).values():
        apply(sub)


def _set(command) -> None:
    params = list(command.params)
    help_option = _help_option(command)
    if help_option is not None:
        params.append(help_option)
    for p in params:
        if p.metavar is None:
            mv = metavar_for(p)
            if mv is not None:
                p.metavar = mv
        if getattr(p, "param_type_name", "") == "argument" and hasattr(p, "display_type_rich"):
            # Typer prints an argument's type beside its name (``FILE <str>``): the name says it
            p.display_type_rich = lambda ctx: None
        if hasattr(p, "_get_number_range_help_str"):
            # ``N [x>=1]``: the bound is still enforced; the help text says what the number means
            p._get_number_range_help_str = lambda: None


def _help_option(command):
    """The help option, which Click creates lazily and caches on the command."""
    get = getattr(command, "get_help_option", None)
    if get is None:
        return None
    ctx_type = type(command).context_class if hasattr(type(command), "context_class") else None
    if ctx_type is None:
        return None
    try:
        return get(ctx_type(command, help_option_names=["-h", "--help"]))
    except Exception:  # noqa: BLE001 - cosmetic only; never stop the CLI over a metavar
        return None

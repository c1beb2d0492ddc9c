"""The KPI registry: every KPI is declared once, here-shaped, next to its formula.

Modelled on scikit-learn's scorer table: ``@kpi(...)`` registers a pure
function and returns it unchanged, so it stays unit-testable. Subcommands,
``cxkpi kpis``, the report and the docs are generated from ``REGISTRY``;
nothing else keeps a list of KPIs.

A KPI has two vectorised halves:
- ``measure(frame, settings) -> Measured``: row level. Turns the columns it
  needs into measure columns and names every row it cannot use (``skipped``).
- ``aggregate(values, by, ctx) -> DataFrame``: group level, one row per group
  (index = the ``by`` columns; a single row when ``by`` is empty) with at least
  ``value`` and ``n``; ``low``/``high`` give the interval, other columns become
  the breakdown. Shared aggregators live in ``cxkpi.kpis.aggregate``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .errors import UnknownKpiError, closest


@dataclass(frozen=True)
class Param:
    """A KPI setting: a YAML key under ``kpis.<name>`` and a CLI flag of the subcommand."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    parse: Callable[[Any], Any] | None = None  # e.g. "60m" -> 60.0 minutes
    cli: bool = True
    # the value is an export header to read as this canonical column (e.g. --status-column Churn)
    column: str | None = None
    # the value is a file path: in a config it resolves from the config's folder, as sources.*.file does
    path: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass
class Measured:
    """Row-level output of a KPI's measure step."""

    values: pd.DataFrame
    skipped: pd.Series = field(default_factory=lambda: pd.Series(dtype="object"))
    notes: list[str] = field(default_factory=list)
    # rows outside the KPI's population by definition (e.g. unanswered invitations): not errors,
    # not skipped, not counted in ``rows``; the engine says how many in a note
    excluded: int = 0
    # label columns of ``values`` that the engine adds as group keys after --by and period
    # (e.g. "topic", or "tag" for a ticket counted once per tag, so ``values`` may repeat a row)
    keys: list[str] = field(default_factory=list)
    # KPI-specific JSON fields for the whole result (e.g. the SLA's worst offenders): KpiResult.extra
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    settings: dict[str, Any]
    period: str | None = None
    time_column: str | None = None
    # --since/--until for periodic KPIs, which window their own rows (aligned to the data's zone)
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None


@dataclass(frozen=True)
class KpiSpec:
    name: str
    title: str
    source: str
    needs: tuple[str, ...]
    unit: str
    higher_is_better: bool | None
    formula: str
    measure: Callable[[pd.DataFrame, dict], Measured]
    aggregate: Callable[[pd.DataFrame, list[str], Context], pd.DataFrame]
    params: tuple[Param, ...] = ()
    optional: tuple[str, ...] = ()
    benchmark: str | None = None
    example: str | None = None
    doc: str = ""
    time_column: str | None = None  # overrides the source's main timestamp for --period/--since
    # period-aware KPIs (churn, volume) receive the period and do their own windowing
    periodic: bool = False
    # ``extra(values, ctx) -> dict``: a payload beside the total (e.g. a weekday × hour table),
    # stored in ``KpiResult.extra`` and merged into the JSON
    extra: Callable[[pd.DataFrame, Context], dict] | None = None
    # other logical sources the KPI can read (the file's columns pick one; see ``source_for``)
    alt_sources: tuple[str, ...] = ()
    # (source, column): rows of that source sharing the column's value stand or fall together (a status
    # history's ticket_id: one change lost to an unreadable cell leaves the ticket's spells unknown)
    whole: tuple[str, str] | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source, *self.alt_sources)

    def source_for(self, columns) -> str | None:
        """The first of ``sources`` whose own canonical columns among ``columns`` meet ``needs``."""
        from .sources import SOURCES

        have = set(columns)
        for name in self.sources:
            known = SOURCES[name].columns if name in SOURCES else have
            if not self.missing(have & set(known)):
                return name
        return None
    # virtual --by dimensions: columns of ``measure``'s values, not of the file (e.g. "nps_group")
    dimensions: tuple[str, ...] = ()
    # a key the aggregate adds to every group (e.g. "theme"): the groups call gets ``keys + [group_key]``
    # (also with no --by), and each result group carries it in its key
    group_key: str | None = None
    # how ``report --compare`` tests a change: ("proportion", "<breakdown count field>") for a
    # pooled two-proportion z-test over ``n``, ("nps",) for the NPS difference test, None for no test
    significance: tuple[str, ...] | None = None
    # the headline statistic and how the report shows it: one of ``HEADLINE_KINDS``, None for the value
    headline: str | None = None
    # the mergeable reducers the measure columns feed (cxkpi.reduce.statistic): the engine aggregates
    # from partial states (batch by batch, file by file) instead of calling ``aggregate``
    statistic: Any = None
    # a column the measure reads whole to decide how to read it (the answer scale of a survey, yes/no
    # or numbers): a file streamed in batches has that column's answers gathered first, and each
    # batch's measure gets them in ``settings[WHOLE_COLUMN]`` ({answer: count}) to decide from
    decides: str | None = None
    # ``decision(answers, settings)``: what the whole column decides (a hashable summary: yes/no, the
    # scale's note); a streamed file's cached partial states stay valid while it is the same
    decision: Callable | None = None

    def requirements(self) -> list[list[tuple[str, ...]]]:
        """``needs`` as alternatives: "a|b+c" means a, or both b and c."""
        return [[tuple(alt.split("+")) for alt in need.split("|")] for need in self.needs]

    def missing(self, columns) -> list[str]:
        have = set(columns)
        return [
            need
            for need, alternatives in zip(self.needs, self.requirements())
            if not any(all(c in have for c in alt) for alt in alternatives)
        ]

    def used_columns(self, columns) -> list[str]:
        """The needed and optional columns present in ``columns``."""
        have = set(columns)
        wanted: list[str] = []
        for alternatives in self.requirements():
            for alt in alternatives:
                wanted.extend(c for c in alt if c in have)
        wanted.extend(c for c in self.optional if c in have)
        return list(dict.fromkeys(wanted))

    def all_columns(self) -> list[str]:
        cols: list[str] = []
        for alternatives in self.requirements():
            for alt in alternatives:
                cols.extend(alt)
        cols.extend(self.optional)
        return list(dict.fromkeys(cols))

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


REGISTRY: dict[str, KpiSpec] = {}
# the setting that carries a ``decides`` column's whole answers ({answer: count}) into the measure of one
# batch of a streamed file; not a user setting (never echoed)
WHOLE_COLUMN = "_whole_column"
# how a report shows a KPI's headline (cxkpi.render.headline); None: the KPI's value
HEADLINE_KINDS = ("median", "created-resolved-backlog", "net-positive", "top-label", "top-theme-lift")


def kpi(
    *,
    name: str,
    title: str,
    source: str | tuple[str, ...],
    needs: tuple[str, ...],
    unit: str,
    higher_is_better: bool | None,
    formula: str,
    aggregate: Callable | None = None,
    params: tuple[Param, ...] = (),
    optional: tuple[str, ...] = (),
    benchmark: str | None = None,
    example: str | None = None,
    time_column: str | None = None,
    periodic: bool = False,
    extra: Callable | None = None,
    dimensions: tuple[str, ...] = (),
    group_key: str | None = None,
    significance: tuple[str, ...] | None = None,
    headline: str | None = None,
    whole: tuple[str, str] | None = None,
    statistic: Any = None,
    decides: str | None = None,
    decision: Callable | None = None,
):
    """Register ``measure`` under ``name``; a duplicate name fails at import.

    ``source`` may be a tuple: the KPI reads any of these sources (the first is the default) and
    ``needs`` lists one alternative per source ("started_at+ended_at|customer_id+order_at"); the
    loader takes the first source whose columns the file has, unless ``--source`` says which.
    """
    sources = (source,) if isinstance(source, str) else tuple(source)
    if headline is not None and headline not in HEADLINE_KINDS:
        raise ValueError(f"KPI {name!r}: headline {headline!r} is not one of {', '.join(HEADLINE_KINDS)}")

    if aggregate is None and statistic is None:
        raise ValueError(f"KPI {name!r}: declare its statistic (or an aggregate)")

    def decorate(measure):
        if name in REGISTRY:
            raise ValueError(f"KPI {name!r} is registered twice")
        grouped = aggregate
        if grouped is None:  # the engine aggregates the statistic; this view serves `cxkpi rows`
            from .partials import aggregate_with

            grouped = aggregate_with(statistic)
        REGISTRY[name] = KpiSpec(
            name=name,
            title=title,
            source=sources[0],
            needs=tuple(needs),
            unit=unit,
            higher_is_better=higher_is_better,
            formula=formula,
            measure=measure,
            aggregate=grouped,
            params=tuple(params),
            optional=tuple(optional),
            benchmark=benchmark,
            example=example,
            doc=inspect.cleandoc(measure.__doc__ or ""),
            time_column=time_column,
            periodic=periodic,
            extra=extra,
            alt_sources=sources[1:],
            dimensions=tuple(dimensions),
            group_key=group_key,
            significance=significance,
            headline=headline,
            whole=whole,
            statistic=statistic,
            decides=decides,
            decision=decision,
        )
        return measure

    return decorate


def load_all() -> dict[str, KpiSpec]:
    """Import the KPI modules (which fill the registry) and return it."""
    from . import kpis  # noqa: F401  (import fills REGISTRY)

    return REGISTRY


def get_kpi(name: str) -> KpiSpec:
    registry = load_all()
    key = name.lower().replace("_", "-")
    if key in registry:
        return registry[key]
    hint = closest(key, registry)
    suffix = f"; did you mean {hint!r}?" if hint else ""
    raise UnknownKpiError(f"unknown KPI {name!r}{suffix} (see `cxkpi kpis`)")


def kpi_names() -> list[str]:
    return list(load_all())

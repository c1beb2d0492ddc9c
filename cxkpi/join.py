"""Joins across sources: ``--by tickets.topic`` on a surveys KPI (docs/joins.md).

The config declares keys between sources (``joins: [surveys.ticket_id -> tickets.ticket_id]``).
A KPI's ``--by OTHER.COLUMN`` then reads the other source (its key and the named columns
only), looks each KPI row up by key (compared as stripped text) and adds the column, named
``OTHER.COLUMN``, to the KPI's frame. Each KPI row finds at most one row of the other side:
a key repeated there is an error naming the duplicates, so a number is never counted twice.
KPI rows that find none are skipped with their reason ("a survey for an unknown ticket",
"no survey for this ticket"); the other side's unmatched rows are counted in a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import MissingColumnsError, UsageError, closest
from .io.columns import norm
from .sources import SOURCES

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .io.dataset import Dataset
    from .registry import KpiSpec

# satisfied / neutral / dissatisfied from a survey's CSAT answer (docs/joins.md)
CSAT_GROUP = "csat_group"
CSAT_GROUPS = ("satisfied", "neutral", "dissatisfied")
# what one row of each source is called in a skip reason ("a survey for an unknown ticket")
NOUNS = {"tickets": "ticket", "surveys": "survey", "chats": "chat", "calls": "call",
         "call_intervals": "call interval", "orders": "order", "subscriptions": "subscription",
         "agents": "agent", "customers": "customer", "kb": "knowledge-base visit"}
_ARROW = re.compile(r"\s*(?:->|→)\s*")
SHOWN_DUPLICATES = 3
# the joined value of a KPI row that found no row on the other side: such a row is skipped with its
# reason, and this keeps it out of the "(missing)" group's skipped count (a match with a blank value)
UNMATCHED = "(unmatched)"


@dataclass(frozen=True)
class Join:
    """``many.many_key -> one.one_key``: many rows of ``many`` point at one row of ``one``."""

    many: str
    many_key: str
    one: str
    one_key: str

    @property
    def text(self) -> str:
        return f"{self.many}.{self.many_key} -> {self.one}.{self.one_key}"

    def key_of(self, source: str) -> str:
        return self.many_key if source == self.many else self.one_key


def parse_join(text: Any, columns: dict[str, set[str]] | None = None) -> Join:
    """``"surveys.ticket_id -> tickets.ticket_id"`` as a Join; ValueError says what is wrong.

    ``columns``: source -> the columns the config maps for it (beside the canonical ones)."""
    if not isinstance(text, str):
        raise ValueError(f"expected SOURCE.COLUMN -> SOURCE.COLUMN, e.g. surveys.ticket_id -> tickets.ticket_id, "
                         f"got {text!r}")
    sides = _ARROW.split(text.strip())
    if len(sides) != 2 or not all(sides):
        raise ValueError(f"{text!r}: expected SOURCE.COLUMN -> SOURCE.COLUMN with one arrow, e.g. "
                         "surveys.ticket_id -> tickets.ticket_id")
    parts = []
    for side in sides:
        source, dot, column = side.partition(".")
        source, column = source.strip(), column.strip()
        if not dot or not source or not column:
            raise ValueError(f"{text!r}: {side!r} is not SOURCE.COLUMN (e.g. tickets.ticket_id)")
        if source not in SOURCES:
            hint = closest(source, SOURCES)
            raise ValueError(f"{text!r}: unknown source {source!r}" + (f" (did you mean {hint!r}?)" if hint else
                                                                       f" (expected one of {', '.join(SOURCES)})"))
        known = set(SOURCES[source].columns) | set((columns or {}).get(source, ()))
        if norm(column) not in known:
            hint = closest(norm(column), known)
            raise ValueError(f"{text!r}: {source} has no column {column!r}" +
                             (f" (did you mean {hint!r}?)" if hint else "") +
                             f"; a key is a canonical column (docs/kpis.md) or one mapped under sources.{source}.columns")
        parts.append((source, norm(column)))
    (many, many_key), (one, one_key) = parts
    if many == one:
        raise ValueError(f"{text!r}: both sides are {many}; a join links two sources")
    return Join(many, many_key, one, one_key)


def joined_name(text: str) -> str | None:
    """``tickets.Topic`` -> ``tickets.topic`` when the part before the dot names a source, else None
    (the ``--by`` is a column of the KPI's own file)."""
    source, dot, column = str(text).strip().partition(".")
    if not dot or source.strip().lower() not in SOURCES or not column.strip():
        return None
    return f"{source.strip().lower()}.{norm(column)}"


@dataclass
class Plan:
    """What one KPI run joins: per other source, its join and the columns asked of it."""

    source: str
    wanted: dict[str, tuple[Join, list[str]]] = field(default_factory=dict)
    by: tuple[str, ...] = ()  # the request's --by, the KPI's own source's prefix taken off

    @property
    def keys(self) -> list[str]:
        """The KPI source's key columns to read beside its own."""
        return list(dict.fromkeys(j.key_of(self.source) for j, _ in self.wanted.values()))

    def __bool__(self) -> bool:
        return bool(self.wanted)


def plan(config: "Config", source: str, by: tuple[str, ...]) -> Plan:
    """The joins a ``--by`` list needs; a dotted name with no declared join is a usage error."""
    out = Plan(source)
    names = []
    for name in by:
        other, dot, column = name.partition(".")
        if not dot:
            names.append(name)
            continue
        if other == source:  # --by surveys.channel on a surveys KPI: its own column
            names.append(column)
            continue
        join = find_join(config, source, other)
        if join is None and config.path is None:
            raise UsageError(f"--by {name}: a column of another source needs a config (-c FILE) that declares "
                             f"how the sources join, e.g. `joins: [{_example(source, other)}]` (docs/joins.md)")
        if join is None:
            raise UsageError(f"--by {name}: the config declares no join between {source} and {other}; add one "
                             f"under joins:, e.g. `- {_example(source, other)}` (docs/joins.md)")
        _, columns = out.wanted.setdefault(other, (join, []))
        columns.append(column)
        names.append(name)
    out.by = tuple(names)
    return out


def find_join(config: "Config", source: str, other: str) -> Join | None:
    for join in config.joins:
        if {join.many, join.one} == {source, other}:
            return join
    return None


def _example(source: str, other: str) -> str:
    shared = [c for c in SOURCES[source].columns if c in SOURCES[other].columns and c.endswith(("_id", "agent"))]
    key = shared[0] if shared else "KEY"
    # the "one" side is the source the key names (tickets for ticket_id, agents for agent)
    if key in (NOUNS.get(source), f"{NOUNS.get(source)}_id"):
        source, other = other, source
    return f"{source}.{key} -> {other}.{key}"


def apply(plan: Plan, spec: "KpiSpec", dataset: "Dataset", config: "Config", run) -> tuple["KpiSpec", "Dataset"]:
    """``dataset`` with each joined column added, and ``spec`` with its unmatched rows skipped."""
    frame = dataset.frame
    reasons = pd.Series(dtype="object")
    notes: list[str] = []
    for other, (join, columns) in plan.wanted.items():
        key = join.key_of(plan.source)
        if key not in frame.columns:
            header = config.source(plan.source).get("columns", {}).get(key)
            raise MissingColumnsError(
                f"{dataset.file}: --by {other}.{columns[0]}: joins on {key!r} ({join.text}), which the file "
                + (f"does not have (mapped to {header!r})" if header else "does not have")
                + f"; map it under sources.{plan.source}.columns or with --map {key}=HEADER")
        side = _load_other(config, run, other, join.key_of(other), columns)
        added, unmatched, note = _join(frame[key], side, join, plan.source, other, columns)
        frame = frame.assign(**added)
        reasons = pd.concat([reasons, unmatched[~unmatched.index.isin(reasons.index)]])
        notes.extend([n for n in side.notes if n.startswith("joins: ")] + note)  # _csat_rows's notes too
    dataset = replace(dataset, frame=frame, notes=list(dataset.notes) + notes)
    return skipping(spec, reasons), dataset


def key_text(values: pd.Series) -> pd.Series:
    """Keys compared as stripped text; ``1001.0`` (a number cell of a workbook) is ``1001``; blank is missing."""
    s = values.astype("string").str.strip()
    s = s.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return s.mask(s == "")


def _join(left_key: pd.Series, side: "Dataset", join: Join, source: str, other: str,
          columns: list[str]) -> tuple[dict[str, pd.Series], pd.Series, list[str]]:
    """(joined columns, skip reason per unmatched KPI row, notes about the other side)."""
    key = join.key_of(other)
    right = key_text(side.frame[key])
    dup = right.notna() & right.duplicated(keep=False)
    if dup.any():
        raise UsageError(_duplicates(right[dup], side.file, join, other))
    for c in columns:
        if c not in side.frame.columns:
            raise MissingColumnsError(f"{side.file}: --by {other}.{c}: no such column (have: "
                                      f"{', '.join(x for x in side.frame.columns if x != CSAT_GROUP)})")
    # positions in a hash index of the other side's keys (object arrays: pandas' Arrow-string isin
    # and map loop in Python, 30 s on 500k keys)
    present = right.notna().to_numpy()
    index = pd.Index(right.to_numpy(dtype=object, na_value=None)[present])
    left = key_text(left_key)
    left_keys = left.to_numpy(dtype=object, na_value=None)
    pos = index.get_indexer(left_keys)
    found = pd.Series(pos >= 0, index=left.index)
    taken = pos[pos >= 0]
    added = {}
    for c in columns:
        values = pd.Series(UNMATCHED, index=left.index, dtype="object")
        values[found.to_numpy()] = side.frame[c].to_numpy(dtype=object)[present][taken]
        added[f"{other}.{c}"] = values
    noun, other_noun = NOUNS.get(source, source), NOUNS.get(other, other)
    forward = source == join.many  # the KPI's rows are the many side: each points at one other row
    why = f"a {noun} for an unknown {other_noun}" if forward else f"no {other_noun} for this {noun}"
    reasons = pd.Series(why, index=left.index[(~found & left.notna()).to_numpy()], dtype="object")
    blank = left.index[left.isna().to_numpy()]
    reasons = pd.concat([reasons, pd.Series(f"{join.key_of(source)} is empty: no {other_noun} to join", index=blank,
                                            dtype="object")]).sort_index()
    hit = np.zeros(len(index), dtype=bool)
    hit[taken] = True
    lonely_rows = right.index[present][~hit]
    notes = []
    if len(lonely_rows):
        n = len(lonely_rows)
        rows = ", ".join(str(int(r)) for r in lonely_rows[:5]) + (" …" if n > 5 else "")
        what = (f"with no {noun}" if forward else f"for an unknown {noun}")
        notes.append(f"joins: {n} of {len(index)} {_plural(other_noun, len(index))} {what} in {side.file} "
                     f"(row{'s' if n > 1 else ''} {rows}); not part of this KPI")
    blank_rows = right.index[~present]
    if len(blank_rows):  # counted apart from the "n of N" above, which are the rows with a key
        n = len(blank_rows)
        rows = ", ".join(str(int(r)) for r in blank_rows[:5]) + (" …" if n > 5 else "")
        notes.append(f"joins: {n} {_plural(other_noun, n)} with an empty {key} in {side.file} "
                     f"(row{'s' if n > 1 else ''} {rows}); not part of this KPI")
    return added, reasons, notes


def _plural(noun: str, n: int) -> str:
    return noun if n == 1 else noun + "s"


def _duplicates(dups: pd.Series, file: str, join: Join, other: str) -> str:
    """'tickets.csv: ticket_id 'T1' is on rows 3, 9; …' for the first duplicated keys."""
    parts = []
    groups = dups.groupby(dups, sort=False)
    for value, rows in list(groups.groups.items())[:SHOWN_DUPLICATES]:
        shown = ", ".join(str(int(r)) for r in sorted(rows)[:5])
        parts.append(f"{str(value)[:60]!r} on rows {shown}")
    more = groups.ngroups - len(parts)
    extra = f" (and {more} more duplicated key{'s' if more > 1 else ''})" if more > 0 else ""
    return (f"{file}: {join.key_of(other)} is not unique: {'; '.join(parts)}{extra}; each row joined from "
            f"{other} ({join.text}) must be found once, so remove or merge the duplicated {other} rows")


def _load_other(config: "Config", run, other: str, key: str, columns: list[str]) -> "Dataset":
    """The other source, read for its key and the asked columns only (CSAT rows for ``csat_group``)."""
    from .api import RunOptions, load_options, source_file
    from .io.files import load_source  # one file, or a FileSet file by file

    block = config.source(other)
    if not block.get("file") and not block.get("files"):
        raise UsageError(f"--by {other}.{columns[0]}: sources.{other}.file is not set in the config; "
                         "a joined source is read from its file there")
    # file:, a glob or folder in file:, or files: — read as the source's own KPI command reads it
    path = source_file(config, other, RunOptions(), f"--by {other}.{columns[0]}")
    # --cache applies to the joined source's file too (a nightly run parses only new or changed files)
    options = load_options(config, other, RunOptions(timezone=run.timezone, progress=run.progress,
                                                     cache=getattr(run, "cache", None)))
    known = SOURCES[other].columns
    plain = [c for c in columns if not (other == "surveys" and c == CSAT_GROUP)]
    wanted = [key] + [c for c in plain if c in known]
    extra = [c for c in plain if c not in known]
    csat = None
    if other == "surveys":
        csat = _csat_request(config)
        w, e = csat[1]
        wanted, extra = wanted + w, extra + e
    side = load_source(path, other, list(dict.fromkeys(wanted)), options, list(dict.fromkeys(extra)))
    if key not in side.frame.columns:
        raise MissingColumnsError(f"{side.file}: joins on {key!r}, which the file does not have; map it under "
                                  f"sources.{other}.columns")
    if csat is not None:
        side = _csat_rows(side, csat[0], CSAT_GROUP in columns)
    return side


def _csat_request(config: "Config"):
    """The csat KPI as the config sets it (scale, satisfied_min, where): the surveys a ticket's CSAT is from."""
    from .api import RunOptions, build_request, wanted_columns
    from .registry import get_kpi

    spec = get_kpi("csat")
    request = build_request(spec, config, RunOptions())
    return (spec, request), wanted_columns(spec, request, "surveys")


def _csat_rows(side: "Dataset", csat, grouped: bool) -> "Dataset":
    """The CSAT survey's rows (kpis.csat.where, the survey column), with ``csat_group`` when asked."""
    from .api import with_preset_settings
    from .engine import _filter

    spec, request = csat
    request = with_preset_settings(spec, request, side)
    settings = {**spec.defaults(), **{k: v for k, v in request.settings.items() if v is not None}}
    frame, notes = _filter(side.frame, spec, request, settings, side)
    notes = [f"joins: surveys: {n}" for n in notes]
    if grouped:
        frame = frame.assign(**{CSAT_GROUP: csat_groups(frame, spec, settings)})
        notes += _ungrouped_note(spec.measure(frame, settings).skipped, len(frame), settings)
    return replace(side, frame=frame, notes=list(side.notes) + notes)


def _ungrouped_note(skipped: pd.Series, total: int, settings: dict) -> list[str]:
    """Surveys whose answer gives no group (blank, off the scale): their tickets land in "(missing)", so say
    how many and why — many off-scale answers mean the scale is not the survey's (a 0–10 survey read as 1–5)."""
    if skipped.empty:
        return []
    counts = skipped.value_counts()
    why = "; ".join(f"{reason}: {int(c)}" for reason, c in counts.items())
    hint = (f"; if the survey's scale is not {settings.get('scale')}, set kpis.csat.scale to it"
            if any("outside" in str(r) for r in counts.index) else "")
    return [f"joins: {len(skipped)} of {total} surveys have no {CSAT_GROUP} ({why}): their tickets are in "
            f"(missing){hint}"]


def csat_groups(frame: pd.DataFrame, spec: "KpiSpec", settings: dict) -> pd.Series:
    """satisfied (score ≥ satisfied_min, as CSAT counts it), dissatisfied (score ≤ the mirror of
    satisfied_min: low + high − satisfied_min, 1–2 on 1–5), neutral between; missing when the
    survey has no readable answer."""
    from .kpis.scores import parse_scale, yes_no

    measured = spec.measure(frame, settings)
    score = measured.values["score"]
    if yes_no(frame["score"])[0] is not None:
        lo, hi, satisfied_min = 0.0, 1.0, 1.0
    else:
        lo, hi = parse_scale(settings["scale"], "scale")
        satisfied_min = settings.get("satisfied_min")
        if satisfied_min is None:
            satisfied_min = hi - 1 if hi - lo >= 3 else hi
    group = pd.Series(CSAT_GROUPS[1], index=score.index, dtype="object")
    group[(score <= lo + hi - satisfied_min).to_numpy()] = CSAT_GROUPS[2]
    group[measured.values["satisfied"].to_numpy().astype(bool)] = CSAT_GROUPS[0]
    return group.reindex(frame.index)


def skipping(spec: "KpiSpec", reasons: pd.Series) -> "KpiSpec":
    """``spec`` whose measure step skips the unmatched rows that reach it (after --where and the
    time window, so a row filtered out is not counted as skipped), each with its reason."""
    if reasons.empty:
        return spec
    base = spec.measure

    def measure(frame: pd.DataFrame, settings: dict):
        hit = frame.index.isin(reasons.index)
        measured = base(frame[~hit], settings)
        if hit.any():
            measured.skipped = pd.concat([measured.skipped.astype("object"),
                                          reasons.reindex(frame.index[hit])])
        return measured

    return replace(spec, measure=measure)

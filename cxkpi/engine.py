"""The one engine every front end uses: filter, slice, measure, aggregate.

``compute`` is pure: a ``Dataset`` (or a plain DataFrame with canonical
columns) and a ``Request`` in, a ``KpiResult`` out. It never prints. Each
step is vectorised; the only Python loop runs over result groups to build
the result objects.
"""

from __future__ import annotations

import re
import weakref

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .errors import MissingColumnsError, ScaleError, StrictError, UsageError
from .io.dataset import Dataset
from .io.values import numbers, reasons, timestamps
from .partials import Partials
from .periods import PERIODS, _PANDAS_PERIOD, _period_start, period_freq, period_label  # noqa: F401  (re-exported)
from .registry import Context, KpiSpec, get_kpi
from .results import GroupResult, Interval, KpiResult, RowRef, Skipped
from .sources import SOURCES
from .vocabulary import MISSING_KEY

EXAMPLE_ROWS = 5


# --where operators, longest first at a position: equality (a,b = any of), prefix, regex, comparisons
WHERE_OPS = ("!=", "!^", "!~", ">=", "<=", "=", "^", "~", ">", "<")
_COMPARE = {">": "gt", ">=": "ge", "<": "lt", "<=": "le"}


@dataclass(frozen=True)
class Where:
    """One ``--where`` filter: ``COL=a,b`` (any of), ``COL!=a``, ``COL^PREFIX`` / ``COL!^PREFIX``,
    ``COL~REGEX`` / ``COL!~REGEX`` (case-insensitive), ``COL>N`` ``>=`` ``<`` ``<=`` (numbers, or dates
    on a time column). No expression is evaluated: a value is data."""

    column: str
    values: tuple[str, ...]
    negate: bool = False
    op: str = "="  # "=", "^", "~" (negate flips them) or a comparison

    @classmethod
    def parse(cls, text: str) -> "Where":
        found = [(text.find(op), -len(op), op) for op in WHERE_OPS if op in text]
        if not found:
            raise UsageError(f"--where {text!r}: expected COLUMN=VALUE, COLUMN!=VALUE (several values: a,b), "
                             "COLUMN^PREFIX, COLUMN~REGEX or COLUMN>NUMBER (>=, <, <=)")
        pos, _, op = min(found)
        col, val = text[:pos].strip(), text[pos + len(op):]
        if not col:
            raise UsageError(f"--where {text!r}: the column name is empty")
        negate = op.startswith("!")
        base = op[1:] if negate else op
        if base in _COMPARE:
            if not val.strip():
                raise UsageError(f"--where {text!r}: expected a number or a date after {op}")
            return cls(col, (val.strip(),), False, base)
        if base in ("^", "~"):
            if val == "":
                raise UsageError(f"--where {text!r}: expected a {'prefix' if base == '^' else 'pattern'} after {op}")
            if base == "~":
                try:
                    re.compile(val)
                except re.error as e:
                    raise UsageError(f"--where {text!r}: not a regular expression: {e}") from None
            return cls(col, (val,), negate, base)
        vals = tuple(v.strip() for v in val.split(",") if v.strip() != "") or ("",)
        return cls(col, vals, negate, "=")

    @property
    def text(self) -> str:
        op = ("!" if self.negate else "") + self.op
        return f"{self.column}{op}{','.join(self.values)}"

    def mask(self, column: pd.Series, file: str) -> pd.Series:
        """True where the row is kept."""
        if self.op in _COMPARE:
            hit = self._compare(column, file)
        else:
            col = column.astype("string").str.strip()
            if self.op == "^":
                hit = col.str.lower().str.startswith(self.values[0].lower())
            elif self.op == "~":
                hit = col.str.contains(self.values[0], case=False, regex=True)
            else:
                hit = col.str.lower().isin([v.lower() for v in self.values])
            hit = hit.fillna(False).astype(bool)
            if self.negate:
                hit = ~hit
        return hit

    def _compare(self, column: pd.Series, file: str) -> pd.Series:
        raw = self.values[0]
        value = numbers(pd.Series([raw]))[0].iloc[0]
        if not pd.api.types.is_datetime64_any_dtype(column) and not pd.isna(value):
            bound, left = float(value), numbers(column)[0]
        else:  # a time column, or a date after the operator: compare as times
            try:
                bound = pd.Timestamp(raw.strip())
            except (ValueError, TypeError):
                bound = None
            if bound is None or pd.isna(bound):
                raise UsageError(f"{file}: --where {self.text}: expected a number or a date such as 2025-01-31 "
                                 f"after {self.op}")
            left = column if pd.api.types.is_datetime64_any_dtype(column) else timestamps(column, self.column)[0]
            if not pd.api.types.is_datetime64_any_dtype(left):
                raise UsageError(f"{file}: --where {self.text}: {self.column!r} holds no dates to compare with")
            bound = _align(bound, left)
        # a row whose value is missing or unreadable matches no comparison
        return getattr(left, _COMPARE[self.op])(bound).fillna(False).astype(bool)


MAX_GROUPS = 10_000  # a table of more groups than this is not a report; --max-groups raises it


@dataclass(frozen=True)
class Request:
    by: tuple[str, ...] = ()
    period: str | None = None
    where: tuple[Where, ...] = ()
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    min_sample: int = 30
    strict: bool = False
    max_groups: int = MAX_GROUPS  # --by with more distinct groups is refused (0: no limit)
    # also aggregate the same measured rows by period alone (the report's trend beside its --by
    # groups): one measure pass instead of a second compute() without --by
    trend: bool = False


def time_column(spec: KpiSpec, source: str | None = None) -> str | None:
    """The column --period/--since/--until use: the KPI's own, else the source's main timestamp."""
    source = source or spec.source
    if spec.time_column and (source == spec.source or spec.time_column in SOURCES[source].columns):
        return spec.time_column
    return SOURCES[source].main_time


def compute(kpi: str | KpiSpec, data: Dataset | pd.DataFrame, request: Request | None = None, **kw) -> KpiResult:
    """Compute one KPI. ``kw`` may set any ``Request`` field for notebook use. A large file read lazily
    (``Dataset.stream``) is aggregated batch by batch when the KPI declares its statistic."""
    spec = get_kpi(kpi) if isinstance(kpi, str) else kpi
    request = request or Request(**kw)
    if isinstance(data, pd.DataFrame):
        source = spec.source_for(data.columns) or spec.source
        data = Dataset(frame=data, source=source, file="<frame>", headers=list(data.columns))
    stream = getattr(data, "stream", None)
    if stream is not None and not stream.failed and streamable(spec, request, data):
        from .stream import run

        result = run([(spec, request)], data)
        if result is not None:
            return result[0]
    settings = check(spec, data, request)
    r = measure_rows(spec, data, request, settings)
    if request.strict and (len(r.skipped) or r.bad_rows):
        _raise_strict(data.row_label, r.skipped, r.bad_rows, secondary=r.together)
    if r.labels or spec.group_key or spec.statistic is None:
        total = spec.aggregate(r.values, [], r.ctx)
        groups_frame = spec.aggregate(r.values, r.group_keys, r.ctx) if r.group_keys else None
        trend_frame = None
        if request.trend and request.period and request.by and not r.labels and not spec.group_key:
            trend_frame = spec.aggregate(r.values, ["period"], r.ctx)
    else:
        acc = Partials(spec.statistic, settings, spec.dimensions)
        acc.add(r)
        total, groups_frame, trend_frame = acc.frames(r.group_keys, trend=request.trend and request.period
                                                      and request.by)
    return finish(spec, data, request, settings, r, total, groups_frame, trend_frame,
                  extra={**(spec.extra(r.values, r.ctx) if spec.extra is not None else {}), **r.extra})


def streamable(spec: KpiSpec, request: Request, data: Dataset) -> bool:
    """Whether the KPI can be aggregated batch by batch: a declared statistic, no step that needs
    every row at once (its own windowing, a status history, a side table, a --where that must say
    when nothing matched, the pick of one survey out of several)."""
    return (spec.statistic is not None and not spec.periodic and spec.whole is None and spec.extra is None
            and spec.group_key is None and not request.where and "survey" not in data.columns)


def check(spec: KpiSpec, data: Dataset, request: Request) -> dict:
    """The request checked against the data's columns (nothing read yet); the KPI's settings."""
    if request.period is not None and request.period not in PERIODS:
        raise UsageError(f"--period {request.period!r}: expected one of {', '.join(PERIODS)}")
    settings = {**spec.defaults(), **{k: v for k, v in request.settings.items() if v is not None}}
    columns = data.columns
    missing = spec.missing(columns)
    if missing:
        raise MissingColumnsError(_missing_message(spec, missing, data))
    for name in request.by:
        if name not in columns and name not in spec.dimensions:
            raise MissingColumnsError(f"{data.file}: --by {name!r}: no such column (have: {', '.join(columns)})")
    return settings


@dataclass
class Rows:
    """The rows of one batch (or a whole file) measured and keyed: what aggregation reads.

    ``values``: the measure's columns plus the key columns (``keys``: --by, the period, the labels
    the measure adds); ``skipped``: reason per skipped row; ``rows``: rows the KPI considered."""

    values: pd.DataFrame
    keys: list[str]
    group_keys: list[str]
    labels: list[str]
    skipped: pd.Series
    together: pd.Index
    bad_rows: dict
    rows: int
    notes: list[str]
    extra: dict
    periods: pd.Series | None
    ctx: Context
    source_frame: pd.DataFrame


def measure_rows(spec: KpiSpec, data: Dataset, request: Request, settings: dict, check_groups: bool = True,
                 peek=None) -> Rows | None:
    """Filter, window, drop unreadable cells, measure and key the rows of ``data``: row-local steps only,
    so a file's batches give together what the whole file gives. ``peek(frame)``: instead of measuring,
    hand over the rows the measure would see (a streamed file's first pass gathers the answers its
    ``decides`` column holds, so the scale is decided from the whole file)."""
    frame = data.frame
    skipped_parts: list[pd.Series] = []
    frame, notes = _filter(frame, spec, request, settings, data)
    tcol = time_column(spec, data.source)
    needs_time = bool(request.period or request.since is not None or request.until is not None) \
        and not spec.periodic and tcol in frame.columns
    if not spec.periodic:  # periodic KPIs window themselves (Context.since/until)
        frame = _time_window(frame, tcol, request)
    rows = len(frame)

    used = spec.used_columns(frame.columns) + [c for c in request.by
                                               if c not in spec.all_columns() and c not in spec.dimensions]
    if request.period and tcol:
        used.append(tcol)
    whole = spec.whole[1] if spec.whole and spec.whole[0] == data.source and spec.whole[1] in frame.columns else None
    lost, together = [], pd.Series(dtype="object")
    for col in dict.fromkeys(used):
        bad = data.invalid.get(col)
        if bad is None or bad.empty:
            continue
        hit = frame.index.intersection(bad.index)
        if len(hit):
            why = reasons(bad)  # "unreadable value", or "not a finite number" for inf and 1e400
            skipped_parts.append((col + ": " + why[~why.index.duplicated()].reindex(hit)).rename(None))
            if whole:
                lost.append(frame.loc[hit, whole])
            frame = frame.drop(index=hit)
    if lost:
        frame, together = _drop_whole(frame, whole, pd.concat(lost))
        skipped_parts.append(together)

    if peek is not None:
        peek(frame)
        return None
    try:
        measured = spec.measure(frame, settings)
    except ScaleError as e:  # answers on another KPI's scale: name the file and the column
        header = data.mapping.get("score", "score")
        raise ScaleError(f"{data.file}: column {header!r}: {spec.name}: {e.message}") from None
    notes.extend(measured.notes)
    rows -= measured.excluded
    if needs_time:
        # rows the KPI uses but that have no time cannot be placed in a period or window
        no_time = measured.values.index[frame[tcol].reindex(measured.values.index).isna().to_numpy()]
        if len(no_time):
            skipped_parts.append(pd.Series(f"no {tcol} to place the row in a period", index=no_time))
            measured.values = measured.values.drop(index=no_time)
    if len(measured.skipped):
        skipped_parts.append(measured.skipped)
    skipped = pd.concat(skipped_parts) if skipped_parts else pd.Series(dtype="object")
    bad_rows = data.bad_rows
    rows += sum(len(v) for v in bad_rows.values())

    keys = list(request.by)
    labels = [k for k in measured.keys if k not in keys]
    values = measured.values
    source_frame = data.frame
    for k in keys:
        if k in spec.dimensions:  # made by the measure step; keeps its own category order
            col = values[k] if isinstance(values[k].dtype, pd.CategoricalDtype) else _key_column(values[k])
            values = values.assign(**{k: col})
        else:
            # the batch's labels, then only the ones these rows use (as _key_column of these rows gives them)
            col = _of_rows(source_frame, ("key", k), lambda: _key_column(source_frame[k]), values.index)
            values = values.assign(**{k: _drop_unused(col)})
    if check_groups:
        _check_groups(values, list(request.by), request.max_groups, data.file)
    if request.period and tcol and not spec.periodic:
        keys.append("period")
        values = values.assign(period=_of_rows(source_frame, ("period", tcol, request.period),
                                               lambda: _period_start(source_frame[tcol], request.period),
                                               values.index))
    since, until = _window(request, frame, tcol) if spec.periodic else (None, None)
    ctx = Context(settings=settings, period=request.period, time_column=tcol, since=since, until=until)
    if spec.periodic and request.period:
        keys.append("period")
    keys.extend(labels)
    group_keys = keys + [spec.group_key] if spec.group_key else keys
    # a skipped row is counted in its group when its keys can be read: its period from its time
    periods = (_of_rows(source_frame, ("period", tcol, request.period),
                        lambda: _period_start(source_frame[tcol], request.period), skipped.index)
               if request.period and tcol in source_frame.columns and not spec.periodic and len(skipped)
               else None)
    return Rows(values, keys, group_keys, labels, skipped, together.index, bad_rows, rows, notes,
                dict(measured.extra), periods, ctx, source_frame)


def finish(spec: KpiSpec, data: Dataset, request: Request, settings: dict, r: Rows, total: pd.DataFrame,
           groups_frame: pd.DataFrame | None, trend_frame: pd.DataFrame | None, extra: dict,
           tallies: tuple | None = None) -> KpiResult:
    """The result from the aggregated frames (total, groups, trend: one row per group) and the rows'
    accounting (skipped rows with their keys, notes). ``tallies``: a streamed file's skipped rows
    already counted (``skips.Tally`` of the total, the groups and the trend)."""
    total_row = _first_record(total)
    skipped_total = tallies[0].skipped() if tallies else _skipped(r.skipped, r.bad_rows)
    groups = ()
    keys, group_keys = r.keys, r.group_keys
    if groups_frame is not None:
        virtual = [k for k in keys if k in spec.dimensions]
        groups = _groups(groups_frame, group_keys, request, r.skipped, r.source_frame,
                         skipped_keys=[] if virtual else keys, skipped_periods=r.periods,
                         by_group=tallies[1].groups() if tallies else None)
    trend = None
    if request.trend and request.period and request.by:
        trend = ()
        if trend_frame is not None:  # else no group is a period alone (a KPI adding its own labels)
            trend = _groups(trend_frame, ["period"], request, r.skipped, r.source_frame, skipped_keys=["period"],
                            skipped_periods=r.periods, by_group=tallies[2].groups() if tallies else None)
    n_total = int(total_row.get("n", 0) or 0)
    return _file_rows(data, KpiResult(
        kpi=spec.name,
        title=spec.title,
        source=data.source,
        unit=_unit(spec, settings),
        higher_is_better=spec.higher_is_better,
        value=_num(total_row.get("value")),
        n=n_total,
        rows=r.rows,
        interval=_interval(total_row),
        breakdown=_breakdown(total_row),
        skipped=skipped_total,
        group_by=tuple(group_keys),
        groups=groups,
        low_sample=n_total < request.min_sample,
        settings={k: v for k, v in settings.items() if _echo(v) and not k.startswith("_")},
        notes=tuple(dict.fromkeys(list(r.notes) + list(data.notes))),
        benchmark=spec.benchmark,
        file=data.file,
        extra=extra,
        trend=trend,
    ))


def _drop_whole(frame: pd.DataFrame, column: str, lost: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """The rows sharing ``column`` with a row dropped for an unreadable cell (KpiSpec.whole), skipped too."""
    def key(s: pd.Series) -> pd.Series:
        return s.astype("string").str.strip().replace("", pd.NA)

    ids = key(lost).dropna().unique()
    hit = frame.index[key(frame[column]).isin(ids).fillna(False).to_numpy(dtype=bool)]
    reason = pd.Series(f"another row of this {column} has an unreadable value", index=hit, dtype="object")
    return frame.drop(index=hit), reason


def _file_rows(data: Dataset, result: KpiResult) -> KpiResult:
    """A several-file source: each skipped row id as (file, row) and the files read; one file: as is."""
    if not data.parts:
        return result

    def named(s: Skipped) -> Skipped:
        return Skipped(s.counts, {k: tuple(RowRef(*data.row_at(r)) for r in v) for k, v in s.rows.items()})

    def each(groups):
        return tuple(replace(g, skipped=named(g.skipped)) for g in groups)

    return result.with_(skipped=named(result.skipped), groups=each(result.groups),
                        trend=None if result.trend is None else each(result.trend),
                        files=tuple(file for _, _, file in data.parts))


def _check_groups(values: pd.DataFrame, by: list[str], limit: int, file: str) -> None:
    """Refuse a --by with more distinct groups than ``limit``, before one group is computed."""
    if not by or not limit or len(values) <= limit:
        return
    n = values.groupby(by, observed=True, dropna=False, sort=False).ngroups
    if n > limit:
        raise UsageError(f"{file}: --by {', '.join(by)} makes {n:,} groups, over the limit of {limit:,}; group by a "
                         "column with fewer distinct values, or raise --max-groups (0: no limit)")


def _window(request: Request, frame: pd.DataFrame, tcol: str | None):
    """--since/--until aligned to the zone of the time column, for KPIs that window themselves."""
    if tcol is None or tcol not in frame.columns:
        return request.since, request.until
    t = frame[tcol]
    return (None if request.since is None else _align(request.since, t),
            None if request.until is None else _align(request.until, t))


def _first_record(stats: pd.DataFrame) -> pd.Series:
    """The single total row, keeping each column's type (counts stay integers)."""
    if not len(stats):
        return pd.Series({"value": np.nan, "n": 0}, dtype=object)
    return pd.Series(stats.reset_index(drop=True).to_dict("records")[0], dtype=object)


def _echo(v: Any) -> bool:
    return v is not None and not callable(v)


DURATION_UNITS = {"s", "min", "h", "d"}


def _unit(spec: KpiSpec, settings: dict) -> str:
    """A ``unit`` setting renames the unit of duration KPIs only (a % KPI may show times in a breakdown)."""
    if spec.unit in DURATION_UNITS:
        return settings.get("unit") or spec.unit
    return spec.unit


def _missing_message(spec: KpiSpec, missing: list[str], data: Dataset) -> str:
    # "created_at+first_response_at|first_response_minutes" -> 'created_at' + 'first_response_at' or
    # 'first_response_minutes' (repr of the joined text gave "created_at' + '…' or '…minutes")
    wants = " and ".join(" or ".join(" + ".join(repr(c) for c in alt.split("+")) for alt in m.split("|"))
                         for m in missing)
    shown = ", ".join(repr(h) for h in data.headers[:20])
    more = f" … (+{len(data.headers) - 20})" if len(data.headers) > 20 else ""
    flag = " (map it with --score COL)" if "score" in missing else " (map it with --map CANONICAL=HEADER or in the config)"
    message = f"{data.file}: {spec.name} needs column {wants}{flag}; the file has: {shown}{more}"
    why = [data.withheld[c] for need in missing for c in re.split(r"[|+]", need) if c in data.withheld]
    if why:
        return f"{message}; {'; '.join(dict.fromkeys(why))}"
    if data.preset:
        return f"{message}; read through preset {data.preset}, which has no header for it"
    from .io.presets import weak_hint

    hint = weak_hint(data.headers)
    return f"{message}; {hint}" if hint else message


def _filter(frame: pd.DataFrame, spec: KpiSpec, request: Request, settings: dict, data: Dataset):
    notes: list[str] = []
    for w in request.where:
        if w.column not in frame.columns:
            raise MissingColumnsError(f"{data.file}: --where {w.column!r}: no such column (have: {', '.join(frame.columns)})")
        kept = frame[w.mask(frame[w.column], data.file).to_numpy()]
        if len(frame) and not len(kept):  # a typo (channel=emial) must not pass for "n 0"
            message = _no_match(w, frame[w.column], len(frame))
            if request.strict:
                raise UsageError(f"{data.file}: {message}")
            notes.append(message)
        frame = kept
    if "survey" in settings and "survey" in frame.columns:
        frame, note = _survey_rows(frame, spec.name, settings.get("survey"))
        if note:
            notes.append(note)
    return frame, notes


WHERE_NOTE = "--where "  # notes about a filter: said on stderr even when the table shows them
_SHOWN_VALUES = 10


def _no_match(w: Where, column: pd.Series, rows: int) -> str:
    """'--where channel=emial: no row matched (of 500); 'channel' has 'email', 'chat' (closest first)'."""
    import difflib

    text = column.astype("string").str.strip()
    counts = text[text.notna() & (text != "")].value_counts().head(10_000)  # an id column: its most common
    wanted = [v.lower() for v in w.values]

    def closeness(value: str) -> float:
        return max(difflib.SequenceMatcher(None, v, value.lower()).ratio() for v in wanted)

    ranked = sorted(counts.index, key=lambda v: (-closeness(v), -int(counts[v]), v))
    shown = ", ".join(repr(str(v)) for v in ranked[:_SHOWN_VALUES])
    more = f" … (+{len(ranked) - _SHOWN_VALUES} more)" if len(ranked) > _SHOWN_VALUES else ""
    has = f"has {shown}{more} (closest first)" if ranked else "is empty in every row"
    return f"{WHERE_NOTE}{w.text}: no row matched (of {rows}); {w.column!r} {has}"


def _survey_rows(frame: pd.DataFrame, kpi: str, wanted: str | None):
    """Pick this KPI's rows from a file that holds several surveys."""
    if wanted is not None and str(wanted).lower() == "all":
        return frame, None
    col = frame["survey"].astype("string").str.strip().str.lower()
    target = (wanted or kpi).lower()
    hit = (col == target).fillna(False).astype(bool)
    if wanted is None and (not hit.any() or hit.all()):
        return frame, None
    return frame[hit], f"used the {int(hit.sum())} rows whose survey is {target.upper() if wanted is None else wanted!r}"


def _time_window(frame: pd.DataFrame, tcol: str | None, request: Request) -> pd.DataFrame:
    if tcol is None or tcol not in frame.columns or (request.since is None and request.until is None):
        return frame
    t = frame[tcol]
    keep = t.isna()  # kept so the engine can report them as unplaceable, not silently dropped
    inside = pd.Series(True, index=frame.index)
    if request.since is not None:
        inside &= t >= _align(request.since, t)
    if request.until is not None:
        inside &= t < _align(request.until, t)
    return frame[keep | inside]


def _align(ts: pd.Timestamp, col: pd.Series) -> pd.Timestamp:
    tz = getattr(col.dt, "tz", None)
    if tz is not None and ts.tzinfo is None:
        return ts.tz_localize(tz)
    if tz is None and ts.tzinfo is not None:
        return ts.tz_localize(None)
    return ts


_SHARED: dict = {}  # id(frame) -> (a weak reference to it, {what: column}): see _of_rows


def _of_rows(frame: pd.DataFrame, what: tuple, make, index: pd.Index) -> pd.Series:
    """``make()`` (a column computed from every row of ``frame``: its group labels, its periods) at
    ``index``, computed once per frame: the KPIs of a report measure the same batch one after the other,
    and FRT, resolution and FCR all put ``created_at`` in months (at 1M rows 0.26 s of 4 s)."""
    have = _SHARED.get(id(frame))
    if have is None or have[0]() is not frame:
        # the entry goes with its frame (a batch is dropped once measured): a pass over a large file
        # holds the labels and periods of the batch being measured, not those of the last 64
        have = _SHARED[id(frame)] = (weakref.ref(frame, lambda ref, key=id(frame): _forget(key, ref)), {})
    cols = have[1]
    if what not in cols:
        cols[what] = make()
    col = cols[what]
    return col if col.index.equals(index) else col.reindex(index)


def _forget(key: int, ref) -> None:
    """A frame of ``_SHARED`` is gone: its columns go too (unless the id holds a newer frame's entry)."""
    have = _SHARED.get(key)
    if have is not None and have[0] is ref:
        del _SHARED[key]


def _drop_unused(col: pd.Series) -> pd.Series:
    """``col.cat.remove_unused_categories()`` by counting the codes (pandas sorts them)."""
    cat = col.cat
    codes = cat.codes.to_numpy()
    used = np.bincount(codes[codes >= 0], minlength=len(cat.categories)) > 0
    if used.all():
        return col
    table = np.full(len(used) + 1, -1, dtype=codes.dtype)  # a missing value's code -1 reads the last
    table[:-1][used] = np.arange(int(used.sum()))
    new = pd.Categorical.from_codes(table[codes], categories=cat.categories[used], ordered=cat.ordered)
    return pd.Series(new, index=col.index, name=col.name)


def _key_column(col: pd.Series) -> pd.Series:
    """Group labels as a sorted categorical, a missing value as "(missing)"."""
    if isinstance(col.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(col.cat.categories):
        # the loader's text categories: relabel the codes, no string per row (0.15 s a call at 1M rows)
        cats = col.cat.categories
        wanted = sorted(set(cats) | {MISSING_KEY}) if col.isna().any() else sorted(cats)
        out = col.cat.set_categories(pd.Index(wanted, dtype=cats.dtype))
        if col.isna().any():
            out = out.fillna(MISSING_KEY)
        return _drop_unused(out)
    s = col.astype("string").fillna(MISSING_KEY)
    return s.astype("category")


def _num(x: Any) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


_RESERVED = {"value", "n", "low", "high"}


def _interval(row: pd.Series) -> Interval | None:
    low, high = _num(row.get("low")), _num(row.get("high"))
    if low is None or high is None:
        return None
    return Interval(low, high)


def _breakdown(row: pd.Series) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _RESERVED}


def _skipped(skipped: pd.Series, bad_rows: dict[str, list[int]]) -> Skipped:
    counts: dict[str, int] = {}
    rows: dict[str, tuple[int, ...]] = {}
    if len(skipped):
        for reason, idx in skipped.groupby(skipped, sort=False).groups.items():
            ordered = np.sort(np.asarray(idx))
            counts[str(reason)] = int(len(ordered))
            rows[str(reason)] = tuple(int(i) for i in ordered[:EXAMPLE_ROWS])
    for reason, numbers in bad_rows.items():
        counts[reason] = counts.get(reason, 0) + len(numbers)
        rows[reason] = tuple(sorted(numbers)[:EXAMPLE_ROWS])
    return Skipped(counts, rows)


def _raise_strict(where, skipped: pd.Series, bad_rows: dict[str, list[int]], secondary=()) -> None:
    """``where(row)``: 'file row N' (Dataset.row_label). ``secondary``: rows skipped only with another's
    (KpiSpec.whole), named only when nothing else is: the user is sent to the cell to fix."""
    candidates = []
    primary = skipped[~skipped.index.isin(secondary)] if len(secondary) else skipped
    if len(primary):
        first = primary.index.min()
        reason = primary[primary.index == first].iloc[0]
        candidates.append((int(first), str(reason)))
    for reason, numbers in bad_rows.items():
        if numbers:
            candidates.append((min(numbers), reason))
    row, reason = min(candidates)
    total = len(skipped) + sum(len(v) for v in bad_rows.values())
    raise_strict_at(where, row, reason, total)


def raise_strict_at(where, row: int, reason: str, total: int) -> None:
    raise StrictError(f"{where(row)}: {reason} (--strict; {total} unusable row{'s' if total != 1 else ''} in all)")


def _groups(stats: pd.DataFrame, keys: list[str], request: Request, skipped: pd.Series,
            source_frame: pd.DataFrame, skipped_keys: list[str] | None = None,
            skipped_periods: pd.Series | None = None, by_group: dict | None = None) -> tuple[GroupResult, ...]:
    """``skipped_keys``: the leading keys skipped rows can be placed by (file columns; default all);
    ``skipped_periods``: the period start of each skipped row (NaT: no readable time); ``by_group``:
    the skipped rows already counted by those keys (a streamed file)."""
    skipped_keys = keys if skipped_keys is None else skipped_keys
    if by_group is not None:
        skipped_by_group = by_group if skipped_keys else {}
    else:
        skipped_by_group = _skipped_by_group(skipped, skipped_keys, request, source_frame,
                                             skipped_periods) if skipped_keys else {}
    out = []
    stats = stats.reset_index()
    for record in stats.to_dict("records"):
        key_values = tuple(record.pop(k) for k in keys)
        key = {k: (period_label(v, request.period) if k == "period" else v) for k, v in zip(keys, key_values)}
        row = pd.Series(record, dtype=object)
        n = int(row.get("n", 0) or 0)
        out.append(GroupResult(
            key=key,
            value=_num(row.get("value")),
            n=n,
            interval=_interval(row),
            breakdown=_breakdown(row),
            skipped=skipped_by_group.get(key_values[:len(skipped_keys)], Skipped()),
            low_sample=n < request.min_sample,
        ))
    return tuple(out)


def _skipped_by_group(skipped: pd.Series, keys: list[str], request: Request, frame: pd.DataFrame,
                      periods: pd.Series | None = None) -> dict:
    if not len(skipped):
        return {}
    known = skipped[skipped.index.isin(frame.index)]
    if "period" in keys and periods is not None:
        periods = periods[~periods.index.duplicated()]
        # a row skipped for its time (unreadable, none) has no period: counted in the total only
        known = known[periods.reindex(known.index).notna().to_numpy()]
    if known.empty:
        return {}
    parts = {}
    for k in keys:
        if k == "period" and periods is not None:
            parts[k] = periods.reindex(known.index)
        elif k == "period" or k not in frame.columns:
            # no label for a skipped row (a tag the KPI derived, a period the KPI makes itself);
            # counted in the total only
            return {}
        else:
            parts[k] = _key_column(frame.loc[known.index, k])
    parts["reason"] = known
    table = pd.DataFrame(parts)
    out: dict = {}
    for group_key, sub in table.groupby(keys, observed=True, sort=False):
        group_key = group_key if isinstance(group_key, tuple) else (group_key,)
        counts = sub["reason"].value_counts()
        reason, rows = sub["reason"].to_numpy(), sub.index.to_numpy()
        out[group_key] = Skipped({str(r): int(c) for r, c in counts.items()},
                                 {str(r): tuple(int(i) for i in _smallest(rows[reason == r], EXAMPLE_ROWS))
                                  for r in counts.index})
    return out


def _smallest(rows: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` smallest row numbers in order, without sorting them all."""
    if len(rows) > k:
        rows = np.partition(rows, k - 1)[:k]
    return np.sort(rows)

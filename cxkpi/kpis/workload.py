"""Workload KPIs on tickets: volume and backlog per period, busiest hours
(weekday × hour, peak vs off-peak), and top topics or tags with their KPIs
(docs/workload.md; shared conventions in docs/conventions.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..io.values import unit_factor
from ..periods import _PANDAS_PERIOD, _period_start
from ..registry import Context, Measured, Param, kpi
from ..stats import wilson_interval
from ..vocabulary import MISSING_KEY
from . import elapsed
from .aggregate import grouped
from .business_hours import Schedule, ScheduleError
from .scores import numeric_scores, parse_scale, yes_no
from .tickets import BUSINESS_PARAMS, ticket_minutes

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_WEEK = 7 * 1440
UNIT = Param("unit", str, "min", "Unit of FRT and resolution times: s, min, h or d.", choices=("s", "min", "h", "d"))
DEFAULT_PEAK = "Mon-Fri 09:00-12:00"


def _no_created(frame: pd.DataFrame) -> pd.Series:
    missing = frame["created_at"].isna()
    return pd.Series("no created_at", index=frame.index[missing.to_numpy()], dtype="object")


# ------------------------------------------------------------------------------------------ volume
_VOLUME_COLUMNS = ["value", "n", "created", "resolved", "net", "backlog_start", "backlog"]


def _in_window(t: pd.Series, ctx: Context) -> pd.Series:
    keep = t.notna()
    if ctx.since is not None:
        keep &= t >= ctx.since
    if ctx.until is not None:
        keep &= t < ctx.until
    return keep.fillna(False).astype(bool)


def _volume_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    by = [k for k in keys if k != "period"]
    created, resolved = values["created_at"], values["resolved_at"]
    flags = pd.DataFrame({
        "created": _in_window(created, ctx).astype("int64"),
        "resolved": _in_window(resolved, ctx).astype("int64"),
        # open when the window starts: created before it and not resolved before it
        "backlog_start": ((created < ctx.since) & ~(resolved < ctx.since)).astype("int64")
        if ctx.since is not None else 0,
    }, index=values.index)
    for k in by:
        flags[k] = values[k]
    if "period" not in keys:
        if values.empty and not by:
            out = pd.DataFrame([{c: 0 for c in _VOLUME_COLUMNS}])
            out["value"] = out["value"].astype("float64")
            return out
        out = grouped(flags, by)[["created", "resolved", "backlog_start"]].sum()
        return _volume_columns(out, out["backlog_start"] + out["created"] - out["resolved"])

    # created counts by created_at's period, resolved by resolved_at's, then every period from the
    # first to the last (empty ones too, so the backlog carries over) for every --by group
    period = ctx.period
    made = flags[flags["created"] == 1].assign(period=_period_start(created[flags["created"] == 1], period))
    done = flags[flags["resolved"] == 1].assign(period=_period_start(resolved[flags["resolved"] == 1], period))
    counts = pd.concat([
        made.groupby(by + ["period"], observed=True)["created"].sum(),
        done.groupby(by + ["period"], observed=True)["resolved"].sum(),
    ], axis=1).fillna(0).astype("int64")
    opening = (grouped(flags, by)["backlog_start"].sum() if by else
               pd.Series([int(flags["backlog_start"].sum())]))
    starts = counts.index.get_level_values("period")
    if not len(starts):
        return pd.DataFrame(columns=_VOLUME_COLUMNS, index=pd.MultiIndex.from_arrays(
            [[]] * len(keys), names=keys) if len(keys) > 1 else pd.Index([], name=keys[0]))
    freq = _PANDAS_PERIOD[period]
    all_periods = pd.period_range(starts.min().to_period(freq), starts.max().to_period(freq), freq=freq).start_time
    if by:
        groups = opening.index if len(by) > 1 else pd.MultiIndex.from_arrays([opening.index], names=by)
        full = pd.MultiIndex.from_tuples([(*g, p) for g in groups for p in all_periods], names=by + ["period"])
    else:
        full = pd.Index(all_periods, name="period")
    counts = counts.reindex(full, fill_value=0)
    net = counts["created"] - counts["resolved"]
    if by:
        cum = net.groupby(level=by, observed=True).cumsum()
        start = opening.reindex(counts.index.droplevel("period")).to_numpy()
    else:
        cum = net.cumsum()
        start = int(opening.iloc[0])
    counts["backlog_start"] = cum - net + start
    return _volume_columns(counts, cum + start)


def _volume_columns(out: pd.DataFrame, backlog: pd.Series) -> pd.DataFrame:
    out = out.copy()
    out["net"] = out["created"] - out["resolved"]
    out["backlog"] = backlog
    out["n"] = out["created"]
    out["value"] = out["created"].astype("float64")
    return out[_VOLUME_COLUMNS]


@kpi(
    name="volume",
    headline="created-resolved-backlog",
    title="Ticket volume and backlog",
    source="tickets",
    needs=("created_at",),
    optional=("resolved_at", "resolution_minutes"),
    unit="tickets",
    higher_is_better=None,
    formula="tickets created (by created_at) and resolved (by resolved_at) per period; backlog = tickets open "
            "at the window's start + cumulative (created − resolved)",
    aggregate=_volume_aggregate,
    periodic=True,
    example="cxkpi volume sample_data/tickets.csv --period week",
)
def volume(frame: pd.DataFrame, settings: dict) -> Measured:
    """How many tickets came in and how many were resolved, and the open backlog at each period's end.

    Created counts fall in created_at's period, resolved counts in
    resolved_at's (or created_at + resolution_minutes). Without --since the
    backlog starts at 0 with the first ticket of the export.
    """
    notes = []
    minutes, reasons = elapsed.resolution(frame)
    if "resolved_at" in frame.columns:
        resolved = frame["resolved_at"]
    elif "resolution_minutes" in frame.columns:
        resolved = frame["created_at"] + pd.to_timedelta(minutes, unit="min")
        notes.append("resolved time = created_at + resolution_minutes")
    else:
        resolved = pd.Series(pd.NaT, index=frame.index, dtype=frame["created_at"].dtype)
        notes.append("no resolved_at or resolution_minutes mapped: resolved counts are 0, backlog = created")
    skipped = elapsed.first_reason(_no_created(frame), reasons)
    values = pd.DataFrame({"created_at": frame["created_at"], "resolved_at": resolved}, index=frame.index)
    return Measured(values.drop(index=skipped.index), skipped, notes)


# ------------------------------------------------------------------------------------------ peak
def peak_mask(text: str) -> np.ndarray:
    """Boolean array over the 10,080 minutes of a week (Mon 00:00 first): True inside peak hours.

    ``text`` uses the business-hours syntax ("Mon-Fri 09:00-12:00; Sat 10:00-12:00");
    a range may cross midnight (it then runs into the next day).
    """
    try:
        ranges = _peak_ranges(text)
    except ValueError as e:
        raise UsageError(f'peak hours "{text}": {e}') from None
    mask = np.zeros(MINUTES_PER_WEEK, dtype=bool)
    for day, spans in ranges.items():
        for a, b in spans:
            mask[(day * 1440 + np.arange(a, b)) % MINUTES_PER_WEEK] = True
    return mask


def _peak_ranges(text: str) -> dict[int, tuple[tuple[int, int], ...]]:
    """The business-hours parser's ranges; ValueError with the reason alone on bad input."""
    try:
        return Schedule.parse(text).ranges
    except ScheduleError as e:
        raise ValueError(str(e).partition('": ')[2] or str(e)) from None


def _check_peak_hours(text) -> str:
    """``parse`` of the peak_hours setting: validates it when the flag or config is read."""
    text = str(text)
    _peak_ranges(text)
    return text


def _peak_setting(settings: dict) -> str:
    return str(settings.get("peak_hours") or DEFAULT_PEAK)


def _peak_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    mask = peak_mask(_peak_setting(ctx.settings))
    peak_hours_pct = 100 * mask.mean()
    factor = 1 / unit_factor(ctx.settings.get("unit") or "min")
    cols = ["value", "n", "low", "high", "peak", "offpeak", "peak_hours_pct", "peak_load_ratio",
            "frt_median_peak", "frt_median_offpeak", "busiest"]
    if values.empty and not keys:
        return pd.DataFrame([{c: (0 if c in {"n", "peak", "offpeak"} else np.nan) for c in cols}])
    group = keys or ["_all"]  # the total is one group
    frame = values.assign(_peak=values["peak"].astype("int64"), _all=0)
    out = frame.groupby(group, observed=True)["_peak"].agg(n="size", peak="sum")
    out["offpeak"] = out["n"] - out["peak"]
    out["value"] = 100 * out["peak"] / out["n"]
    out["low"], out["high"] = wilson_interval(out["peak"], out["n"])
    out["peak_hours_pct"] = peak_hours_pct
    # tickets per peak hour ÷ tickets per off-peak hour, over the hours of the week
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (out["peak"] / peak_hours_pct) / (out["offpeak"] / (100 - peak_hours_pct))
    out["peak_load_ratio"] = ratio.replace([np.inf, -np.inf], np.nan)
    frt = frame.groupby(group + ["peak"], observed=True)["frt"].median().mul(factor).unstack("peak")
    for flag, name in ((True, "frt_median_peak"), (False, "frt_median_offpeak")):
        out[name] = frt[flag].reindex(out.index) if flag in frt.columns else np.nan
    # the busiest weekday-hour of each group (a loop over groups, not rows)
    top = frame.groupby(group + ["weekday", "hour"], observed=True).size().groupby(level=group, observed=True).idxmax()
    out["busiest"] = pd.Series([f"{WEEKDAYS[k[-2]]} {k[-1]:02d}:00" for k in top], index=top.index, dtype="object")
    out = out[cols]
    return out.reset_index(drop=True) if not keys else out


def _peak_extra(values: pd.DataFrame, ctx: Context) -> dict:
    """The weekday × hour table of the whole selection: ticket counts and median FRT per cell."""
    mask = peak_mask(_peak_setting(ctx.settings))
    cells = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    counts = values.groupby(["weekday", "hour"]).size().reindex(cells, fill_value=0)
    hour_peak = mask.reshape(7, 24, 60).any(axis=2)
    heat = {
        "peak_hours": _peak_setting(ctx.settings),
        "weekdays": list(WEEKDAYS),
        "hours": list(range(24)),
        "counts": counts.to_numpy().reshape(7, 24).tolist(),
        "peak": hour_peak.tolist(),
    }
    if values["frt"].notna().any():
        factor = 1 / unit_factor(ctx.settings.get("unit") or "min")
        frt = (values.groupby(["weekday", "hour"])["frt"].median() * factor).reindex(cells)
        heat["frt_median"] = [[None if np.isnan(v) else float(v) for v in row]
                              for row in frt.to_numpy().reshape(7, 24)]
        heat["frt_unit"] = ctx.settings.get("unit") or "min"
    heat["show"] = "frt" if ctx.settings.get("heat") == "frt" and "frt_median" in heat else "volume"
    return {"heatmap": heat}


@kpi(
    name="peak",
    title="Busiest hours: peak vs off-peak",
    source="tickets",
    needs=("created_at",),
    optional=("first_response_at", "first_response_minutes"),
    unit="%",
    higher_is_better=None,
    formula="share of tickets created inside the peak hours (weekday × hour of created_at); beside it the "
            "median FRT in and outside peak hours and a weekday × hour heat table",
    aggregate=_peak_aggregate,
    extra=_peak_extra,
    params=(
        Param("peak_hours", str, DEFAULT_PEAK, 'Peak hours, e.g. "Mon-Fri 09:00-12:00; Sat 10:00-12:00" '
                                               "(in the data's time zone).", parse=_check_peak_hours),
        UNIT,
        Param("heat", str, "volume", "What the heat table's cells show: ticket volume or median FRT.",
              choices=("volume", "frt")),
    ) + BUSINESS_PARAMS,
    example='cxkpi peak sample_data/tickets.csv --peak-hours "Mon-Fri 09:00-12:00"',
)
def peak(frame: pd.DataFrame, settings: dict) -> Measured:
    """When tickets arrive: the share created in the peak hours, and whether they wait longer then.

    Weekday and hour are read from created_at in the data's time zone (the
    config's ``timezone`` for exports without one).
    """
    mask = peak_mask(_peak_setting(settings))  # a bad --peak-hours fails before any work
    created = frame["created_at"]
    notes: list[str] = []
    # the same FRT as the frt KPI (business minutes with business hours)
    frt, reasons = ticket_minutes(frame, settings, notes, "frt")
    skipped = elapsed.first_reason(_no_created(frame), reasons)
    weekday = created.dt.day_of_week
    hour = created.dt.hour
    minute_of_week = (weekday * 1440 + hour * 60 + created.dt.minute).fillna(0).astype("int64")
    values = pd.DataFrame({
        "weekday": weekday,
        "hour": hour,
        "peak": mask[minute_of_week.to_numpy()],
        "frt": frt,
    }, index=frame.index).drop(index=skipped.index)
    values = values.astype({"weekday": "int64", "hour": "int64"})
    if "first_response_at" not in frame.columns and "first_response_minutes" not in frame.columns:
        notes.append("no first_response_at mapped: FRT columns are empty")
    return Measured(values, skipped, notes)


# ------------------------------------------------------------------------------------------ topics
def _topic_field(frame: pd.DataFrame, settings: dict) -> str:
    wanted = settings.get("count_by")
    if wanted in (None, "auto"):
        return "topic" if "topic" in frame.columns else "tags"
    if wanted not in frame.columns:
        raise UsageError(f"--count-by {wanted}: the column {wanted!r} is not mapped")
    return wanted


def _labels(frame: pd.DataFrame, field: str, sep: str) -> pd.Series:
    """One label per ticket (topic), or one row per distinct tag of each ticket (index repeats)."""
    raw = frame[field].astype("string").str.strip()
    if field == "topic":
        return raw.fillna(MISSING_KEY).replace("", MISSING_KEY)
    tags = raw.str.split(sep, regex=False).explode().str.strip()
    tags = tags.fillna(MISSING_KEY).replace("", MISSING_KEY)
    # a ticket counts once per tag: drop repeats of the same tag, and the "(missing)" filler
    # of a ticket that has real tags too (e.g. a trailing separator)
    pairs = pd.DataFrame({"row": tags.index, "tag": tags.to_numpy()}).drop_duplicates()
    has_real = pairs.loc[pairs["tag"] != MISSING_KEY, "row"].unique()
    pairs = pairs[~((pairs["tag"] == MISSING_KEY) & pairs["row"].isin(has_real))]
    return pd.Series(pairs["tag"].to_numpy(), index=pd.Index(pairs["row"].to_numpy(), name=frame.index.name),
                     dtype="string")


def _csat(frame: pd.DataFrame, settings: dict) -> tuple[pd.Series, pd.Series, str]:
    """(1.0 satisfied / 0.0 not / NaN no survey, reasons for unreadable answers, rule description)."""
    raw = frame["satisfaction"]
    present = ~elapsed.blank(raw.astype("string"))
    answers = raw[present]
    score, reasons = yes_no(answers)
    if score is not None:
        satisfied, rule = score >= 1, "yes = satisfied"
    else:
        lo, hi = parse_scale(settings.get("scale") or "1-5", "--scale")
        score, reasons = numeric_scores(answers, lo, hi)
        threshold = settings.get("satisfied_min")
        if threshold is None:
            threshold = hi - 1 if hi - lo >= 3 else hi
        satisfied, rule = score >= threshold, f"satisfaction ≥ {threshold:g} on {lo:g}–{hi:g}"
    out = pd.Series(np.nan, index=frame.index, dtype="float64")
    out[satisfied.index] = satisfied.astype("float64")
    return out, ("satisfaction: " + reasons.astype("string")).astype("object"), rule


OTHER = "(other)"


def _fold_top(values: pd.DataFrame, label: str, keys: list[str], top: int) -> pd.DataFrame:
    """Keep the ``top`` largest labels (over the whole selection) and relabel the rest (other);
    a ticket with several small tags counts once in (other)."""
    counts = values.groupby(label, observed=True).size().sort_index().sort_values(ascending=False, kind="stable")
    relabelled = values[label].where(values[label].isin(counts.index[:top]), OTHER)
    values = values.assign(**{label: relabelled})
    repeat = values.reset_index(names="_row").duplicated(subset=["_row", *keys]).to_numpy()
    return values[~repeat]


def _topics_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    label_col = next((c for c in ("topic", "tag") if c in values.columns), "topic")
    label = label_col if label_col in keys else None
    stat = ctx.settings.get("stat") or "mean"
    factor = 1 / unit_factor(ctx.settings.get("unit") or "min")
    frt_col, art_col = f"frt_{stat}", f"art_{stat}"
    if label is None:
        # the total: each ticket once, however many tags it has (but every distinct label counted)
        distinct = grouped(values, keys)[label_col].nunique()
        values = values[~values.index.duplicated(keep="first")]
        if values.empty and not keys:
            return pd.DataFrame([{"value": np.nan, "n": 0, "topics": 0, frt_col: np.nan, art_col: np.nan,
                                  "csat_pct": np.nan, "csat_n": 0}])
    elif ctx.settings.get("top"):
        values = _fold_top(values, label, keys, int(ctx.settings["top"]))
    g = grouped(values, keys)
    how = (lambda s: s.quantile(0.9)) if stat == "p90" else stat
    out = pd.DataFrame({
        "n": g.size(),
        frt_col: g["frt"].agg(how) * factor,
        art_col: g["art"].agg(how) * factor,
        "csat_pct": g["satisfied"].mean() * 100,
        "csat_n": g["satisfied"].count(),
    })
    if label is None:
        out.insert(1, "topics", distinct)
        out.insert(0, "value", np.where(out["n"] > 0, 100.0, np.nan))
        return out
    # share of the tickets of the enclosing group (--by / period), each ticket counted once
    outer = [k for k in keys if k != label]
    if outer:
        tickets = values.reset_index(names="_row").groupby(outer, observed=True)["_row"].nunique()
        denominator = tickets.reindex(out.index.droplevel(label)).to_numpy()
    else:
        denominator = values.index.nunique()
    out["value"] = 100 * out["n"] / denominator
    out["low"], out["high"] = wilson_interval(out["n"], denominator)
    # highest first within each enclosing group; (other) last
    out = out.reset_index()
    out["_other"] = out[label] == OTHER
    out = out.sort_values(outer + ["_other", "n", label], ascending=[True] * len(outer) + [True, False, True],
                          kind="stable").set_index(keys)
    return out[["value", "n", "low", "high", frt_col, art_col, "csat_pct", "csat_n"]]


@kpi(
    name="topics",
    headline="top-label",
    title="Top topics",
    source="tickets",
    needs=("topic|tags",),
    optional=("topic", "tags", "created_at", "first_response_at", "first_response_minutes", "resolved_at",
              "resolution_minutes", "satisfaction"),
    unit="%",
    higher_is_better=None,
    formula="tickets per topic (or per tag: a ticket counts once for each tag) / tickets × 100, highest first, "
            "with FRT, resolution time and CSAT of each topic",
    aggregate=_topics_aggregate,
    params=(
        Param("count_by", str, "auto", "Count by the topic column or by the tags list (auto: topic when mapped).",
              choices=("auto", "topic", "tags")),
        Param("tags_sep", str, ",", "Separator of the tags list."),
        Param("top", int, None, "Show the N largest topics and fold the rest into (other)."),
        UNIT,
        Param("stat", str, "mean", "Statistic of FRT and resolution time per topic: mean, median or p90.",
              choices=("mean", "median", "p90")),
        Param("scale", str, "1-5", "Scale of the tickets' satisfaction column, e.g. 1-5 (yes/no is detected)."),
        Param("satisfied_min", float, None, "Lowest satisfied score (default: the top two of the scale)."),
    ) + BUSINESS_PARAMS,
    example="cxkpi topics sample_data/tickets.csv --count-by tags --top 10",
)
def topics(frame: pd.DataFrame, settings: dict) -> Measured:
    """What customers contact you about: count and share per topic, with each topic's FRT, ART and CSAT.

    With ``--count-by tags`` a ticket tagged "billing,refund" counts once for
    billing and once for refund, so shares add up to more than 100%.
    """
    field = _topic_field(frame, settings)
    sep = settings.get("tags_sep") or ","
    notes: list[str] = []
    # the same FRT and resolution time as the frt / resolution KPIs (business minutes with business hours)
    frt, frt_bad = ticket_minutes(frame, settings, notes, "frt")
    art, art_bad = ticket_minutes(frame, settings, notes, "resolution")
    satisfied = pd.Series(np.nan, index=frame.index, dtype="float64")
    csat_bad = pd.Series(dtype="object")
    if "satisfaction" in frame.columns:
        satisfied, csat_bad, rule = _csat(frame, settings)
        where = settings.get("satisfaction_from") or "the tickets' satisfaction column"
        notes.append(f"CSAT from {where} ({rule})")
    else:
        notes.append("no satisfaction column on tickets: CSAT per topic is empty")
    skipped = elapsed.first_reason(frt_bad, art_bad, csat_bad)
    kept = frame.drop(index=skipped.index)
    label = "topic" if field == "topic" else "tag"
    labels = _labels(kept, field, sep)
    measures = pd.DataFrame({"frt": frt, "art": art, "satisfied": satisfied}).loc[labels.index]
    values = measures.assign(**{label: labels.to_numpy()})[[label, "frt", "art", "satisfied"]]
    if field == "tags":
        notes.append(f"counted per tag (separator {sep!r}): a ticket counts once for each of its tags, "
                     "so shares add up to more than 100%")
    return Measured(values, skipped, notes, keys=[label])

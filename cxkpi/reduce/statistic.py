"""A KPI's statistic: which mergeable reducers its measure columns feed, and how their results
become the KPI's numbers.

Why: a KPI that declares its statistic is aggregated by the engine from partial states (one batch
at a time, one file at a time, on Dask workers) instead of by its own pandas ``aggregate``; the
numbers are the same (``cxkpi.reduce.reducers`` follows pandas' formulas), the rows never need to
be held together. A ``Statistic`` is data: ``parts`` says which reducer reads which measure column,
``finish`` turns the finalized parts into the KPI's result columns (``value``, ``n``, ``low``,
``high`` and the breakdown, in the order the report shows them). No pandas here.

The shapes below are the ones the KPIs share (durations, a share of resolved tickets, a share
with a mean score, NPS); a KPI picks one with its own column names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..stats import mean_interval, nps_interval, wilson_interval
from .reducers import Count, Mean, Quantiles, Sum


TOTAL = "(the total)"  # a settings key the engine sets when ``finish`` makes the run's total, not a group's


@dataclass(frozen=True)
class Part:
    """One reducer over one measure column (``column`` None: the rows themselves)."""

    name: str
    reducer: object
    column: str | None = None


@dataclass(frozen=True)
class Statistic:
    """``parts(settings, columns)``: the reducers for a run (settings and the measure's columns may
    change them: a 3-point CSAT scale adds the bottom-answer count). ``finish(out, settings, empty)``:
    ``out`` maps each part's name to its finalized arrays; returns the result columns in order.
    ``empty`` is True for the total of a run with no measured row (the columns a KPI shows then);
    ``settings[TOTAL]`` is True when the columns are the run's total (response-rate's ``--sent`` count
    is the total's invitations, not a group's)."""

    parts: Callable[[dict, tuple[str, ...]], tuple[Part, ...]]
    finish: Callable[[dict, dict, bool], dict[str, np.ndarray]]
    name: str = ""

    def partial(self, parts: tuple[Part, ...], columns: dict, groups: np.ndarray, n_groups: int) -> dict:
        """Each part's partial state of one batch (``columns``: measure column name -> numpy array)."""
        return {p.name: p.reducer.partial(None if p.column is None else columns[p.column], groups, n_groups)
                for p in parts}

    def finalize(self, parts: tuple[Part, ...], states: dict, settings: dict, empty: bool = False) -> dict:
        return self.finish({p.name: p.reducer.finalize(states[p.name]) for p in parts}, settings, empty)

    def finalize_mapped(self, parts: tuple[Part, ...], sources: list, n_groups: int, settings: dict,
                        empty: bool = False) -> dict:
        """``finalize`` of the states that ``finalize_parts`` describes (groups renumbered or folded)."""
        return self.finish(finalize_parts(parts, sources, n_groups), settings, empty)


def merge_states(parts: tuple[Part, ...], states: list[dict]) -> dict:
    """The states of several batches (or files) as one: ``merge_many`` where a reducer has it (one sort
    for exact quantiles instead of one per pair)."""
    if len(states) == 1:
        return states[0]
    out = {}
    for p in parts:
        each = [s[p.name] for s in states]
        many = getattr(p.reducer, "merge_many", None)
        if many is not None:
            out[p.name] = many(each)
        else:
            merged = each[0]
            for s in each[1:]:
                merged = p.reducer.merge(merged, s)
            out[p.name] = merged
    return out


def remap_states(parts: tuple[Part, ...], states: dict, mapping: np.ndarray, n_groups: int) -> dict:
    """States over new group codes (``mapping[old] = new``; many-to-one folds groups: the trend)."""
    return {p.name: p.reducer.remap(states[p.name], mapping, n_groups) for p in parts}


def finalize_parts(parts: tuple[Part, ...], sources: list, n_groups: int) -> dict:
    """Each part finalized over new group codes. ``sources`` are (list of states, mapping or None): the
    result is what merging each source's states, remapping them, merging the sources in order and
    finalizing gives. A reducer with ``finalize_mapped`` (exact quantiles) reads the states as they are
    instead: the merged and the remapped state are each as large as the run's own at its finish."""
    out = {}
    for p in parts:
        direct = getattr(p.reducer, "finalize_mapped", None)
        if direct is not None:
            out[p.name] = direct([(s[p.name], m) for states, m in sources for s in states], n_groups)
            continue
        each = []
        for states, m in sources:
            merged = merge_states((p,), states)[p.name]
            each.append({p.name: merged if m is None else p.reducer.remap(merged, m, n_groups)})
        out[p.name] = p.reducer.finalize(merge_states((p,), each)[p.name])
    return out


def _counts(x) -> np.ndarray:
    """A per-group sum of booleans as int64 (a group with none: 0)."""
    return np.nan_to_num(np.asarray(x, dtype=np.float64)).astype(np.int64)


def _share(hits, n) -> np.ndarray:
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, 100 * np.asarray(hits, dtype=np.float64) / n, np.nan)


# --------------------------------------------------------------------------- shapes the KPIs share

def durations(pending: str, column: str = "minutes") -> Statistic:
    """Mean, median and p90 of a duration in minutes (shown in the ``unit`` setting), ``stat`` picks the
    value; ``pending`` counts the rows waiting apart (unanswered, open), never averaged."""

    def parts(settings: dict, columns) -> tuple[Part, ...]:
        return (Part("mean", Mean(), column), Part("q", Quantiles((0.5, 0.9)), column),
                Part("pending", Sum(), pending))

    def finish(out: dict, settings: dict, empty: bool) -> dict:
        from ..io.values import unit_factor  # the one table of units (the engine has pandas loaded)

        factor = 1 / unit_factor(settings.get("unit") or "min")
        mean, q = out["mean"], out["q"]
        cols = {"n": mean["n"], "mean": mean["value"] * factor, "median": q["median"] * factor,
                "p90": q["p90"] * factor}
        cols["value"] = cols[settings.get("stat", "mean")]
        if empty:
            cols = {"value": cols["value"], "n": cols["n"], "mean": cols["mean"], "median": cols["median"],
                    "p90": cols["p90"]}
        cols[pending] = _counts(out["pending"]["value"])
        return cols

    return Statistic(parts, finish, f"durations ({pending} apart)")


def resolved_share(flag: str, apart: tuple[str, ...]) -> Statistic:
    """Percent of resolved tickets with ``flag`` (Wilson interval); ``apart`` are counts beside it (open,
    no_answer: resolved without an answer, which only the survey rule has)."""

    def labels(settings: dict) -> tuple[str, ...]:
        out = (flag, "resolved", *apart)
        if "no_answer" in apart and settings.get("rule") != "survey":
            out = tuple(c for c in out if c != "no_answer")
        return out

    def parts(settings: dict, columns) -> tuple[Part, ...]:
        return (Part("n", Count(), flag), Part("hits", Sum(), flag), *(Part(c, Sum(), c) for c in apart))

    def finish(out: dict, settings: dict, empty: bool) -> dict:
        n = out["n"]["n"]
        if empty:
            return {"value": np.full(len(n), np.nan), "n": n, **{k: np.zeros(len(n), np.int64) for k in labels(settings)}}
        hits = _counts(out["hits"]["value"])
        extra = {c: _counts(out[c]["value"]) for c in apart}
        counts = {flag: hits, **extra, "resolved": n + (extra["no_answer"] if "no_answer" in extra else 0)}
        low, high = wilson_interval(hits, n)
        return {"value": _share(hits, n), "n": n, "low": low, "high": high,
                **{k: counts[k] for k in labels(settings)}}

    return Statistic(parts, finish, f"share of {flag}")


def share_and_mean(flag: str, headline: str, bottom: str | None = None) -> Statistic:
    """CSAT/CES: percent of answers with ``flag`` (Wilson) and the mean score; ``headline`` is "share"
    or "mean". ``bottom``: a flag of the lowest answers, when the measure gives it (a 3-point scale):
    its count, percent and happiness = percent ``flag`` − percent ``bottom`` (Help Scout's score)."""

    def parts(settings: dict, columns) -> tuple[Part, ...]:
        out = (Part("rows", Count()), Part("hits", Sum(), flag), Part("score", Mean(), "score"))
        return out + ((Part("bottom", Sum(), bottom),) if bottom and bottom in columns else ())

    def finish(out: dict, settings: dict, empty: bool) -> dict:
        n = out["rows"]["n"]
        with_bottom = "bottom" in out
        if empty:
            cols = {"value": np.full(len(n), np.nan), "n": n, flag: np.zeros(len(n), np.int64),
                    "share": np.full(len(n), np.nan), "mean": np.full(len(n), np.nan)}
            if with_bottom:
                cols.update({bottom: np.zeros(len(n), np.int64), f"{flag}_pct": np.full(len(n), np.nan),
                             f"{bottom}_pct": np.full(len(n), np.nan), "happiness": np.full(len(n), np.nan)})
            return cols
        hits, mean, std = _counts(out["hits"]["value"]), out["score"]["value"], out["score"]["std"]
        cols = {"n": n, flag: hits, "mean": mean}
        if with_bottom:
            cols[bottom] = _counts(out["bottom"]["value"])
        cols[f"{flag}_pct"] = _share(hits, n)
        if with_bottom:
            cols[f"{bottom}_pct"] = _share(cols[bottom], n)
            cols["happiness"] = cols[f"{flag}_pct"] - cols[f"{bottom}_pct"]
        if headline == "share":
            cols["value"] = cols[f"{flag}_pct"]
            cols["low"], cols["high"] = wilson_interval(hits, n)
        else:
            cols["value"] = mean
            cols["low"], cols["high"] = mean_interval(mean, std, n)
        return cols

    return Statistic(parts, finish, f"share {flag} and mean score")


def net_promoter() -> Statistic:
    """NPS: percent promoters − percent detractors, with its interval (``interval`` setting)."""

    def parts(settings: dict, columns) -> tuple[Part, ...]:
        return (Part("rows", Count()), Part("promoters", Sum(), "promoter"), Part("detractors", Sum(), "detractor"))

    def finish(out: dict, settings: dict, empty: bool) -> dict:
        n = out["rows"]["n"]
        p, d = _counts(out["promoters"]["value"]), _counts(out["detractors"]["value"])
        passives = n - p - d
        if empty:
            return {"value": np.full(len(n), np.nan), "n": n, "promoters": p, "passives": passives, "detractors": d}
        pcts = {f"{k}_pct": _share(v, n) for k, v in (("promoters", p), ("passives", passives), ("detractors", d))}
        value = pcts["promoters_pct"] - pcts["detractors_pct"]
        low, high = nps_interval(p, d, n, method=settings.get("interval") or "wald")
        return {"value": value, "n": n, "low": low, "high": high, "promoters": p, "passives": passives,
                "detractors": d, **pcts}

    return Statistic(parts, finish, "net promoter score")


def proportion(hit: str, label: str) -> Statistic:
    """Percent of rows where ``hit`` is true (Wilson interval); ``label`` names the count of hits."""

    def parts(settings: dict, columns) -> tuple[Part, ...]:
        return (Part("n", Count(), hit), Part("hits", Sum(), hit))

    def finish(out: dict, settings: dict, empty: bool) -> dict:
        n, hits = out["n"]["n"], _counts(out["hits"]["value"])
        if empty:
            return {"value": np.full(len(n), np.nan), "n": n, label: hits}
        low, high = wilson_interval(hits, n)
        return {"n": n, label: hits, "value": _share(hits, n), "low": low, "high": high}

    return Statistic(parts, finish, f"share of {hit}")


# --------------------------------------------------------------------------- contact-center shapes

def _factor(settings: dict) -> float:
    """Multiply minutes by this to get the ``unit`` setting."""
    from ..io.values import unit_factor  # the one table of units (the engine has pandas loaded)

    return 1 / unit_factor(settings.get("unit") or "min")


def _duration_parts(name: str, column: str, qs=(0.5, 0.9)) -> tuple[Part, ...]:
    return (Part(name, Mean(), column), Part(f"{name}_q", Quantiles(qs), column))


def _duration_columns(out: dict, name: str, factor: float, prefix: str = "") -> dict:
    """``mean``, ``median``, ``p90`` of part ``name`` (as ``_duration_parts`` made it) in the unit."""
    q = out[f"{name}_q"]
    return {f"{prefix}mean": out[name]["value"] * factor, f"{prefix}median": q["median"] * factor,
            f"{prefix}p90": q["p90"] * factor}


def _nan(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def _positive(x) -> np.ndarray:
    """``x`` where it is above 0, else NaN (a denominator of nothing is no number)."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, np.nan)


def _ratio(a, b) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(a, dtype=np.float64) / np.asarray(b, dtype=np.float64)


def duration_summary(column: str) -> Statistic:
    """Mean, median and p90 of one duration in minutes (shown in ``unit``; ``stat`` picks the value),
    nothing counted apart: aht-tickets' handle_seconds."""

    def parts(settings: dict, columns) -> tuple[Part, ...]:
        return _duration_parts("d", column)

    def finish(out: dict, settings: dict, empty: bool) -> dict:
        stats = _duration_columns(out, "d", _factor(settings))
        return {"value": stats[settings.get("stat") or "mean"], "n": out["d"]["n"], **stats}

    return Statistic(parts, finish, f"durations of {column}")


def handle_times() -> Statistic:
    """aht: handle time of answered calls (mean, median, p90; talk, hold, wrap means), speed of answer
    and abandonment. ``abandoned`` is NaN where the export cannot tell a call's fate: such a call is not
    offered-and-known, so ``offered`` counts the known ones and the rate is NaN, never 0 %, when none is.
    Pre-aggregated rows (the measure gives ``w_handle``) are pooled: every figure a ratio of sums."""

    def parts(settings: dict, columns) -> tuple[Part, ...]:
        if "w_handle" in columns:
            return (Part("rows", Count()), *(Part(c, Sum(), c) for c in _POOLED))
        return (*_duration_parts("handle", "handle"), *(Part(c, Mean(), c) for c in ("talk", "hold", "wrap")),
                *_duration_parts("asa", "asa", (0.5,)), Part("abandoned", Sum(), "abandoned"))

    def finish(out: dict, settings: dict, empty: bool) -> dict:
        if "rows" in out:
            return _pooled_calls(out, settings, empty)
        f = _factor(settings)
        n = out["handle"]["n"]
        if empty:
            zero = np.zeros(len(n), np.int64)
            return {"value": _nan(len(n)), "n": n, **{c: _nan(len(n)) for c in (
                "mean", "median", "p90", "talk_mean", "hold_mean", "wrap_mean", "asa_mean", "asa_median")},
                "offered": zero, "abandoned": zero.copy(), "abandoned_pct": _nan(len(n))}
        cols = {"n": n, **_duration_columns(out, "handle", f),
                **{f"{c}_mean": out[c]["value"] * f for c in ("talk", "hold", "wrap")},
                "asa_mean": out["asa"]["value"] * f, "asa_median": out["asa_q"]["median"] * f}
        known = out["abandoned"]["n"]
        # pandas' Series.where keeps int64 when no count is 0, else NaN in float64: as the aggregate did
        offered = known if (known > 0).all() else _positive(known)
        abandoned = out["abandoned"]["value"]
        return {"value": cols[settings.get("stat") or "mean"], **cols, "offered": offered,
                "abandoned": np.asarray(abandoned, dtype=np.float64),
                "abandoned_pct": _ratio(100 * abandoned, offered)}

    return Statistic(parts, finish, "handle times of calls")


# the measure's columns of pre-aggregated call rows (aht on call_intervals), each summed
_POOLED = ("handle_w", "w_handle", "asa_w", "w_asa", "offered", "abandoned", "answered", "in_sl", "sl_offered")


def _pooled_calls(out: dict, settings: dict, empty: bool) -> dict:
    """AHT and ASA of pre-aggregated rows weighted by answered calls (Σ aht × answered / Σ answered, never
    a mean of means), abandoned % = Σ abandoned / Σ offered, service level % = Σ in_sl / Σ offered;
    n = the answered calls behind the AHT, ``intervals`` the rows."""
    rows = out["rows"]["n"]
    total = {c: out[c]["value"] for c in _POOLED}  # NaN where no row had the column
    if empty:
        zero = np.zeros(len(rows), np.int64)
        return {"value": _nan(len(rows)), "n": zero, "mean": _nan(len(rows)), "asa_mean": _nan(len(rows)),
                "offered": zero.copy(), "abandoned": zero.copy(), "abandoned_pct": _nan(len(rows)),
                "answered": zero.copy(), "in_service_level": zero.copy(), "service_level_pct": _nan(len(rows)),
                "intervals": rows}
    f = _factor(settings)
    mean = _ratio(total["handle_w"], _positive(total["w_handle"])) * f
    offered = _positive(total["offered"])
    return {"value": mean, "n": np.nan_to_num(np.asarray(total["w_handle"], dtype=np.float64)), "mean": mean,
            "asa_mean": _ratio(total["asa_w"], _positive(total["w_asa"])) * f, "offered": offered,
            "abandoned": total["abandoned"], "abandoned_pct": _ratio(100 * total["abandoned"], offered),
            "answered": total["answered"], "in_service_level": total["in_sl"],
            "service_level_pct": _ratio(100 * total["in_sl"], _positive(total["sl_offered"])), "intervals": rows}


def chat_waits() -> Statistic:
    """chat: wait before an agent accepts (mean, median, p90 over accepted chats), the chat's duration,
    and missed % = chats never accepted / chats requested (every row is a request)."""

    def parts(settings: dict, columns) -> tuple[Part, ...]:
        return (*_duration_parts("wait", "wait"), *_duration_parts("duration", "duration"),
                Part("requested", Count()), Part("missed", Sum(), "missed"))

    def finish(out: dict, settings: dict, empty: bool) -> dict:
        n, requested = out["wait"]["n"], out["requested"]["n"]
        missed = _counts(out["missed"]["value"])
        if empty:
            return {"value": _nan(len(n)), "n": n, **{c: _nan(len(n)) for c in (
                "mean", "median", "p90", "duration_mean", "duration_median", "duration_p90")},
                "requested": requested, "missed": missed, "missed_pct": _nan(len(n))}
        f = _factor(settings)
        cols = {"n": n, **_duration_columns(out, "wait", f), **_duration_columns(out, "duration", f, "duration_")}
        return {"value": cols[settings.get("stat") or "mean"], **cols, "requested": requested, "missed": missed,
                "missed_pct": _ratio(100 * missed, requested)}

    return Statistic(parts, finish, "chat waits and missed chats")

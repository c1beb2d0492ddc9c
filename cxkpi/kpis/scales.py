"""The one answer-scale detector: what scale a survey's score column is on, and so which KPI it feeds.

``cxkpi nps`` / ``csat`` / ``ces``, ``cxkpi inspect``, ``cxkpi init`` and the theme KPIs all ask
this module, so they can never disagree about a column: answers on 1–5 are CSAT, 1–7 CES, 0–10
NPS. A scale *fits* when at least ``SHARE`` of the numeric answers are whole numbers on it (exports
carry a few stray values, a 12 or a 7.5, that the KPI skips and reports; they must not change the
scale); the narrowest usual scale that fits wins.

Input is either the raw column (a ``pd.Series``) or the counts of its distinct values (a mapping
value -> count, as ``inspect``'s profile keeps them), so a file of millions of rows costs no more
than its distinct answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from ..errors import ScaleError

SHARE = 0.95  # share of the numeric answers a scale must hold to be taken as the column's scale
MIN_ANSWERS = 10  # below this, NPS on answers that all fit 1–5 is computed with a note, not refused
# the usual scales, narrowest first; 1–10 only when a label or header names the KPI (a 0–10 NPS
# survey where nobody answered 0 looks like 1–10)
USUAL = ((1, 5), (1, 7), (0, 10))
WITH_HINT = ((1, 5), (1, 7), (1, 10), (0, 10))
KPI_OF = {(1, 5): "csat", (1, 7): "ces", (0, 10): "nps"}
NAMES = {(0, 10): "0-10", (1, 5): "1-5", (1, 7): "1-7", (1, 10): "1-10"}


def scale_name(scale: tuple[int, int]) -> str:
    """``(1, 5)`` -> ``"1-5"``, as --scale takes it."""
    return NAMES.get(scale, f"{scale[0]}-{scale[1]}")


@dataclass(frozen=True)
class Fit:
    """A scale that holds ``inside`` of the ``total`` numeric answers (``others``: not numbers)."""

    low: int
    high: int
    inside: int
    total: int
    others: int = 0

    @property
    def name(self) -> str:  # "1-5", as --scale takes it
        return scale_name((self.low, self.high))

    @property
    def shown(self) -> str:  # "1–5", as messages print it
        return f"{self.low}–{self.high}"

    @property
    def kpi(self) -> str | None:
        return KPI_OF.get((self.low, self.high))

    @property
    def stray(self) -> int:
        return self.total + self.others - self.inside


@dataclass(frozen=True)
class Reading:
    """What a score column looks like: the KPI it feeds (None: cannot tell) and on what scale."""

    kpi: str | None
    scale: tuple[int, int] | None  # None for yes/no answers or unknown
    answers: int  # answers on the scale
    seen: str  # e.g. "answers on 0–10", "yes/no answers", "no answers"
    stray: int = 0  # answers not on it (skipped by the KPI, and reported)


def hint(text: str | None) -> str | None:
    """The KPI a survey label or a header names ("How likely are you to recommend…" -> nps)."""
    t = (text or "").lower()
    if re.search(r"\bnps\b|recommend|promoter|net promoter", t):
        return "nps"
    if re.search(r"\bces\b|effort|easy|\beas(e|ier)\b", t):
        return "ces"
    if re.search(r"\bcsat\b|satisf|happ", t):
        return "csat"
    return None


def _counts(values) -> pd.Series:
    """Counts of the distinct present answers, indexed by the answer as text (stripped)."""
    from ..io.values import text

    if isinstance(values, Mapping):
        counts = pd.Series(list(values.values()), index=pd.Index(list(values.keys()), dtype="object"),
                           dtype="int64")
    else:
        series = pd.Series(values)
        if pd.api.types.is_float_dtype(series):
            whole = series.dropna()
            if len(whole) and bool((whole % 1 == 0).all()):
                series = series.astype("Int64")  # 5 not 5.0
        counts = series.value_counts(dropna=True)
    if counts.empty:
        return counts
    keys = text(pd.Series(counts.index, dtype="object").astype("string"))
    counts = pd.Series(counts.to_numpy(), index=keys.to_numpy(dtype=object))
    counts = counts[keys.notna().to_numpy()]
    return counts.groupby(level=0, sort=False).sum() if len(counts) else counts


def _numbers(keys: pd.Index) -> pd.Series:
    from .scores import answer_numbers

    return answer_numbers(pd.Series(keys, dtype="string"))


def fit_scale(values, *, candidates=USUAL, share: float = SHARE) -> Fit | None:
    """The narrowest of ``candidates`` holding ``share`` of the numeric answers, else None."""
    counts = _counts(values)
    return _fit(counts, _numbers(counts.index), candidates, share)


def _fit(counts: pd.Series, numbers: pd.Series, candidates, share: float) -> Fit | None:
    weights = pd.Series(counts.to_numpy(), index=numbers.index)
    others = int(weights[numbers.isna()].sum())
    weights, numbers = weights[numbers.notna()], numbers.dropna()
    total = int(weights.sum())
    if not total:
        return None
    whole = numbers == numbers.round()
    for lo, hi in candidates:
        inside = int(weights[whole & (numbers >= lo) & (numbers <= hi)].sum())
        if inside >= share * total:  # words ("n/a", "-") are skipped whatever the scale
            return Fit(lo, hi, inside, total, others)
    return None


def read(values, kpi_hint: str | None = None) -> Reading:
    """Yes/no, verbal (Very satisfied …) or numeric answers, and the KPI they feed.

    ``kpi_hint``: the KPI a survey label or the header names. An NPS hint still reads answers
    that all fit 1–5 as CSAT, as ``cxkpi nps`` refuses them (with ``MIN_ANSWERS`` or more).
    """
    from .scores import is_yes_no
    from .surveys import CES_LABELS, CSAT_LABELS

    counts = _counts(values)
    present = int(counts.sum()) if len(counts) else 0
    if not present:
        return Reading(None, None, 0, "no answers")
    lower = pd.Index([str(k).lower() for k in counts.index])
    if is_yes_no(lower):
        return Reading("csat", None, present, "yes/no answers")
    numbers = _numbers(counts.index)
    words = [" ".join(w.split()) for w, n in zip(lower, numbers) if pd.isna(n)]
    word_count = int(counts.to_numpy()[numbers.isna().to_numpy()].sum())
    if word_count > present / 2:
        if all(w in CSAT_LABELS for w in words):
            return Reading("csat", (1, 5), present, "verbal answers (Very satisfied … )")
        if all(w in CES_LABELS for w in words):
            return Reading("ces", (1, 7), present, "verbal answers (Very easy … )")
        return Reading(None, None, present, "answers that are words, not numbers")
    if numbers.notna().sum() == 0:
        return Reading(None, None, present, "answers that are not numbers")
    candidates = {"nps": ((1, 5), (0, 10)), None: USUAL}.get(kpi_hint, WITH_HINT)
    fit = _fit(counts, numbers, candidates, SHARE)
    if fit is None:
        good = numbers.dropna()
        return Reading(None, None, int(counts.to_numpy()[numbers.notna().to_numpy()].sum()),
                       f"answers {good.min():g}–{good.max():g}, not on a 1–5, 1–7 or 0–10 scale")
    seen = f"answers on {fit.shown}"
    if kpi_hint == "nps":
        if (fit.low, fit.high) == (1, 5) and fit.total >= MIN_ANSWERS:
            return Reading("csat", (1, 5), fit.inside, f"{seen}, not NPS's 0–10", fit.stray)
        fit = _fit(counts, numbers, ((0, 10),), SHARE) or fit
        seen = f"answers on {fit.shown}"
    kpi = kpi_hint or fit.kpi
    return Reading(kpi, (0, 10) if kpi == "nps" else (fit.low, fit.high), fit.inside, seen, fit.stray)


def check_nps(score: pd.Series, insisted: bool) -> list[str]:
    """Refuse (ScaleError) NPS on answers that fit 1–5; fewer than ``MIN_ANSWERS`` get a note.

    ``score``: the numbers NPS would count (0–10, whole). ``insisted``: ``--scale 0-10``.
    """
    if insisted or not len(score):  # a Series, or the whole column's {score: count}
        return []
    fit = fit_scale(score, candidates=((1, 5),))
    if fit is None:
        return []
    most = f"all {fit.total}" if fit.inside == fit.total else f"{fit.inside} of {fit.total}"
    if fit.total < MIN_ANSWERS:
        return [f"{most} answers are 1–5: if this is a 1–5 survey, use `cxkpi csat` "
                "(NPS counts 0–6 as detractors)"]
    raise ScaleError(f"{most} answers are on a 1–5 scale, and NPS (0–10) counts 0–6 as detractors; "
                     "use `cxkpi csat` for a 1–5 survey, or --scale 0-10 (in a config: kpis.nps.scale: 0-10) "
                     "if the survey really is 0–10")


def scale_note(raw: pd.Series, low: float, high: float) -> list[str]:
    """A note when the answers do not fit the scale a KPI was given but fit another usual one.
    ``raw``: the answers, or the whole column's answers (answer -> count), which each batch of a file
    asks about: their note is worked out once."""
    if isinstance(raw, Mapping):
        return list(_note_of_answers(tuple(raw.items()), low, high))
    return _scale_note(raw, low, high)


@lru_cache(maxsize=8)
def _note_of_answers(answers: tuple, low: float, high: float) -> tuple[str, ...]:
    return tuple(_scale_note(dict(answers), low, high))


def _scale_note(raw, low: float, high: float) -> list[str]:
    if fit_scale(raw, candidates=((low, high),)) is not None:
        return []
    fit = fit_scale(raw, candidates=WITH_HINT)
    if fit is None:
        return []
    nps = " (an NPS survey? `cxkpi nps`)" if fit.kpi == "nps" else ""
    return [f"the answers fit a {fit.shown} scale, not {low:g}–{high:g}: --scale {fit.name} to read them "
            f"on it{nps}"]

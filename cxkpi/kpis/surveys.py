"""Survey KPIs: NPS, CSAT, CES and survey response rate (docs/surveys.md)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from ..errors import MissingColumnsError, ScaleError, UsageError
from ..notes import Counted
from ..registry import WHOLE_COLUMN, Measured, Param, kpi
from ..stats import NPS_INTERVALS
from ..reduce import statistic
from .scales import check_nps, scale_note
from .scores import numeric_scores, parse_scale, yes_no

SURVEY = Param("survey", str, None,
               "Which rows of the `survey` column to use; default: rows labelled like the KPI (e.g. NPS), "
               "or every row when no such label exists; 'all' for every row.")

LABELS = Param("labels", dict, None, "Map answer labels to scores (config only).", cli=False)

# Verbal answers most CSAT tools export, on the 1–5 scale.
CSAT_LABELS = {
    "very satisfied": 5, "satisfied": 4, "neutral": 3, "neither satisfied nor dissatisfied": 3,
    "dissatisfied": 2, "unsatisfied": 2, "very dissatisfied": 1, "very unsatisfied": 1,
}
CES_LABELS = {
    "very easy": 7, "easy": 6, "somewhat easy": 5, "neither easy nor difficult": 4, "neutral": 4,
    "somewhat difficult": 3, "difficult": 2, "very difficult": 1,
}


def _answers(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop invitation rows that were never answered (no score and no response time).

    Only for files with a row per invitation (``sent_at`` mapped): there an empty
    score means "not answered", which response-rate counts; it is not a bad row.
    A row with a response time but no score is still skipped as "no answer".
    """
    if "sent_at" not in frame.columns:
        return frame, 0
    blank = frame["score"].isna() | (frame["score"].astype("string").str.strip() == "").fillna(False)
    if "responded_at" in frame.columns:
        blank &= frame["responded_at"].isna()
    return frame[~blank], int(blank.sum())


def _whole_column(settings: dict) -> dict | None:
    """The answers of the whole file with their counts, when the engine streams it in batches
    (``WHOLE_COLUMN``): the scale is decided from them, not from one batch."""
    return settings.get(WHOLE_COLUMN)


def _nps_scores(seen: dict, settings: dict) -> dict:
    """The whole column's answers as NPS scores with their counts ({score: count})."""
    numbers, _ = numeric_scores(pd.Series(list(seen), dtype="object"), 0, 10, settings.get("labels"))
    counts, scored = list(seen.values()), {}
    for i, number in numbers.items():
        scored[number] = scored.get(number, 0) + counts[i]
    return scored


def _nps_decision(seen: dict, settings: dict) -> tuple:
    """What the whole column decides for NPS (its note, or the refusal of a 1–5 survey): files whose
    answers leave it unchanged keep their cached partial states (cxkpi.stream_cache)."""
    try:
        return ("read", tuple(check_nps(_nps_scores(seen, settings), insisted=settings.get("scale") == "0-10")))
    except ScaleError as e:
        return ("refused", e.message)


def _scale_decision(yes_no_too: bool):
    def decide(seen: dict, _settings: dict) -> tuple:
        if yes_no_too and yes_no(pd.Series([], dtype="object"), seen)[0] is not None:
            return ("yes/no",)
        lo, hi = parse_scale(_settings["scale"], "--scale")
        return ("scale", lo, hi, tuple(scale_note(seen, lo, hi)))

    return decide


def _with_unanswered(measured: Measured, unanswered: int) -> Measured:
    if unanswered:
        measured.excluded = unanswered
        measured.notes.append(Counted("{n} unanswered invitations not counted (see response-rate)", unanswered))
    return measured


@kpi(
    name="nps",
    title="Net Promoter Score",
    source="surveys",
    needs=("score",),
    optional=("sent_at", "responded_at"),
    unit="points",
    higher_is_better=True,
    formula="100 × (promoters − detractors) / answers; promoters 9–10, detractors 0–6",
    statistic=statistic.net_promoter(),
    decision=lambda seen, settings: _nps_decision(seen, settings),
    decides="score",  # the answers' scale (yes/no or numbers, 1–5 or 0–10) is read from the whole column
    params=(
        Param("promoter_min", int, 9, "Lowest score that counts as a promoter."),
        Param("detractor_max", int, 6, "Highest score that counts as a detractor."),
        Param("scale", str, "auto", "auto: refuse answers that all fit a 1–5 scale (a CSAT survey; "
                                    "10 or more answers); 0-10 to read them as NPS anyway.",
              choices=("auto", "0-10")),
        Param("interval", str, "wald", "95% interval: wald (NPS ± z·√(var/n)); adjusted-wald adds 3 answers "
                                       "(¾ promoter, ¾ detractor) first (Rocks 2016), better below ~30 answers "
                                       "(docs/surveys.md).", choices=NPS_INTERVALS),
        SURVEY,
        LABELS,
    ),
    benchmark="73 a goal; 43 average",
    example="cxkpi nps sample_data/surveys.csv --by channel",
    significance=("nps",),
)
def nps(frame: pd.DataFrame, settings: dict) -> Measured:
    """Share of promoters minus share of detractors among 0–10 answers."""
    frame, unanswered = _answers(frame)
    if not 0 <= settings["detractor_max"] < settings["promoter_min"] <= 10:
        raise UsageError("NPS thresholds: expected 0 ≤ detractor_max < promoter_min ≤ 10")
    score, skipped = numeric_scores(frame["score"], 0, 10, settings.get("labels"))
    seen = _whole_column(settings)  # a file streamed in batches: its whole column's answers decide
    scored = score if seen is None else _nps_scores(seen, settings)
    notes = check_nps(scored, insisted=settings.get("scale") == "0-10")  # 1–5 answers are CSAT's
    if (settings.get("interval") or "wald") == "adjusted-wald":
        notes.append("interval adjusted-wald: n + 3, promoters + ¾, detractors + ¾ (Rocks 2016)")
    values = pd.DataFrame({"promoter": score >= settings["promoter_min"],
                           "detractor": score <= settings["detractor_max"]}, index=score.index)
    return _with_unanswered(Measured(values, skipped, notes), unanswered)


@kpi(
    name="csat",
    title="Customer Satisfaction",
    source="surveys",
    needs=("score",),
    optional=("sent_at", "responded_at"),
    unit="%",
    higher_is_better=True,
    formula="100 × answers ≥ satisfied_min / answers (1–5: 4 and 5); yes/no: yes = satisfied",
    # a 3-point scale carries an "unhappy" flag: Help Scout's happiness score beside CSAT
    statistic=statistic.share_and_mean("satisfied", "share", bottom="unhappy"),
    decision=_scale_decision(yes_no_too=True),
    decides="score",  # the answers' scale (yes/no or numbers, 1–5 or 0–10) is read from the whole column
    params=(
        Param("scale", str, "1-5", "Answer scale, e.g. 1-5, 1-7, 1-10, 1-3."),
        Param("satisfied_min", float, None, "Lowest satisfied score (default: the top two of the scale)."),
        SURVEY,
        LABELS,
    ),
    benchmark="80% gold standard; 74.4% average; 70% minimum",
    example="cxkpi csat sample_data/surveys.csv --by channel --period month",
    significance=("proportion", "satisfied"),
)
def csat(frame: pd.DataFrame, settings: dict) -> Measured:
    """Percent of satisfied answers, with the mean rating beside it."""
    frame, unanswered = _answers(frame)
    notes: list[str] = []
    three_point = False
    seen = _whole_column(settings)
    score, skipped = yes_no(frame["score"], seen)
    if score is not None:
        satisfied_min = 1.0
        notes.append("yes/no answers: yes = satisfied")
    else:
        lo, hi = parse_scale(settings["scale"], "--scale")
        labels = settings.get("labels") or (CSAT_LABELS if hi == 5 and lo == 1 else None)
        score, skipped = numeric_scores(frame["score"], lo, hi, labels)
        notes += scale_note(frame["score"] if seen is None else seen, lo, hi)
        satisfied_min = settings.get("satisfied_min")
        if satisfied_min is None:
            satisfied_min = hi - 1 if hi - lo >= 3 else hi
        three_point = hi - lo == 2
    values = pd.DataFrame({"score": score, "satisfied": score >= satisfied_min}, index=score.index)
    if three_point:
        # three answers (Great / Okay / Not Good): happiness = % top − % bottom, as Help Scout reports it
        values["unhappy"] = score <= hi - 2
        notes.append("3-point scale: happiness = % top answers − % bottom answers (breakdown: happiness)")
    return _with_unanswered(Measured(values, skipped, notes), unanswered)


@kpi(
    name="ces",
    title="Customer Effort Score",
    source="surveys",
    needs=("score",),
    optional=("sent_at", "responded_at"),
    unit="score",
    higher_is_better=True,
    formula="mean score (1–7 by default) and percent easy = answers ≥ easy_min",
    statistic=statistic.share_and_mean("easy", "mean"),
    decision=_scale_decision(yes_no_too=False),
    decides="score",  # the answers' scale (yes/no or numbers, 1–5 or 0–10) is read from the whole column
    params=(
        Param("scale", str, "1-7", "Answer scale, 1-7 by default; 1-5 allowed."),
        Param("easy_min", float, None, "Lowest 'easy' score (default 5 on 1–7, 4 on 1–5)."),
        Param("higher_is_easier", bool, True, "False when the survey puts 'very easy' at the low end; the scale is reversed first."),
        SURVEY,
        LABELS,
    ),
    benchmark="5 or more on a 7-point scale is good",
    example="cxkpi ces sample_data/surveys.csv --format json",
)
def ces(frame: pd.DataFrame, settings: dict) -> Measured:
    """Mean effort score (higher = easier) and the share of easy answers."""
    frame, unanswered = _answers(frame)
    lo, hi = parse_scale(settings["scale"], "--scale")
    labels = settings.get("labels") or (CES_LABELS if (lo, hi) == (1, 7) else None)
    score, skipped = numeric_scores(frame["score"], lo, hi, labels)
    seen = _whole_column(settings)
    notes = scale_note(frame["score"] if seen is None else seen, lo, hi)
    if not settings.get("higher_is_easier", True):
        score = lo + hi - score
        notes.append("scale reversed (higher_is_easier: false)")
    easy_min = settings.get("easy_min")
    if easy_min is None:
        easy_min = round(lo + (hi - lo) * 2 / 3)
    values = pd.DataFrame({"score": score, "easy": score >= easy_min}, index=score.index)
    return _with_unanswered(Measured(values, skipped, notes), unanswered)


def _response_rate() -> statistic.Statistic:
    """Responses over invitations (``statistic.proportion``, Wilson interval); with a ``sent`` count,
    the total's invitations are that count (the groups show their own rows: a file of responses only
    has no invitation rows)."""
    share = statistic.proportion("responded", "responses")

    def finish(out: dict, settings: dict, empty: bool) -> dict:
        sent = settings.get("sent") if settings.get(statistic.TOTAL) else None
        if sent:
            responses = int(np.nan_to_num(out["hits"]["value"][0])) if len(out["hits"]["value"]) else 0
            if responses > sent:  # a rate over 100 % is no rate: the count is wrong
                raise UsageError(f"response-rate: the file has {responses:,} responses but --sent is {sent:,} "
                                 "invitations, and a response rate cannot pass 100 %; give the invitations sent "
                                 "to the people in this file (after --since, --until and --where), or map sent_at "
                                 "to count them from invitation rows")
            out = {**out, "n": {**out["n"], "n": np.full(len(out["n"]["n"]), sent, dtype=np.int64)}}
            empty = False
        cols = share.finish(out, settings, empty)
        n = cols["n"]
        if empty:
            return {"value": cols["value"], "invitations": n, "responses": cols["responses"], "n": n}
        return {"invitations": n, "responses": cols["responses"], "value": cols["value"], "low": cols["low"],
                "high": cols["high"], "n": n}

    return statistic.Statistic(share.parts, finish, "share of responded")


@kpi(
    name="response-rate",
    title="Survey response rate",
    source="surveys",
    needs=("sent_at|score|responded_at",),
    optional=("score", "responded_at", "sent_at"),
    unit="%",
    higher_is_better=True,
    formula="100 × responses / invitations sent (rows with sent_at, or the configured `sent` count)",
    statistic=_response_rate(),
    params=(
        Param("sent", int, None, "Invitations sent, when the file holds only responses."),
        Param("survey", str, "all", SURVEY.help.replace("default: rows labelled like the KPI (e.g. NPS), "
                                                      "or every row when no such label exists; ", "default ")),
    ),
    benchmark="25–50% of customers",
    time_column="sent_at",
    example="cxkpi response-rate sample_data/surveys.csv --by survey",
    significance=("proportion", "responses"),
)
def response_rate(frame: pd.DataFrame, settings: dict) -> Measured:
    """Responses over invitations: a row with a score (or a response time) answered."""
    responded = pd.Series(False, index=frame.index)
    for col in ("score", "responded_at"):
        if col in frame.columns:
            responded |= frame[col].notna() & (frame[col].astype("string").str.strip() != "").fillna(False)
    notes = []
    if settings.get("sent"):
        notes.append(f"invitations from the configured count ({settings['sent']}); groups show responses only")
        invited = frame
    elif "sent_at" in frame.columns:
        invited = frame[frame["sent_at"].notna() | responded]
    else:
        raise MissingColumnsError("response-rate needs invitation rows with `sent_at` (map it) or a `sent` count (--sent N)")
    return Measured(pd.DataFrame({"responded": responded.loc[invited.index]}), notes=notes)

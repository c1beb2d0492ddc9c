"""Turn a raw survey score column into numbers on a known scale, vectorised.

Every unusable answer gets one of a few fixed reasons so skipped rows can be
counted by reason: no answer, not a number, outside the scale, not whole.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..io.values import _plain_numbers, label_key, text
from ..vocabulary import NO_WORDS, YES_WORDS

NO_ANSWER = "no answer (empty score)"
YES = YES_WORDS | {"satisfied", "good"}
NO = NO_WORDS | {"unsatisfied", "dissatisfied", "bad"}


def parse_scale(text_: str | tuple | list, what: str) -> tuple[float, float]:
    """"1-5" / "0–10" / [1, 5] -> (1.0, 5.0)."""
    if isinstance(text_, (list, tuple)) and len(text_) == 2:
        lo, hi = text_
    else:
        m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|\.\.|to)\s*(-?\d+(?:\.\d+)?)\s*", str(text_))
        if not m:
            raise UsageError(f"{what} {text_!r}: expected a scale such as 1-5")
        lo, hi = m.groups()
    lo, hi = float(lo), float(hi)
    if not lo < hi:
        raise UsageError(f"{what} {text_!r}: the low end must be below the high end")
    return lo, hi


def numeric_scores(raw: pd.Series, lo: float, hi: float, labels: dict | None = None,
                   whole: bool = True) -> tuple[pd.Series, pd.Series]:
    """(scores of usable rows, reasons of skipped rows), both indexed like ``raw``."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw) and not labels:
        present = raw.notna()
        number = raw.astype("float64")
    else:
        present, number = _scores_from_text(raw, labels)
    reasons = pd.Series(pd.NA, index=raw.index, dtype="object")
    reasons[~present] = NO_ANSWER
    reasons[present & number.isna()] = "score is not a number (or not in the label map)"
    out_of_scale = present & number.notna() & ((number < lo) | (number > hi))
    reasons[out_of_scale] = f"score outside the {lo:g}–{hi:g} scale"
    if whole:
        fractional = present & number.notna() & ~out_of_scale & (np.floor(number) != number)
        reasons[fractional] = "score is not a whole number"
    skipped = reasons.dropna()
    return number.drop(index=skipped.index), skipped


def _as_float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _scores_from_text(raw: pd.Series, labels: dict | None) -> tuple[pd.Series, pd.Series]:
    """(present, number) of a column of answers: a label from the map ("Very satisfied") first, looked
    up once per distinct answer; else the answer as a number (a decimal comma allowed), the plain ones
    through Arrow and only the odd ones through pandas, so no Python object per row."""
    number = pd.Series(np.nan, index=raw.index, dtype="float64")
    labelled = np.zeros(len(raw), dtype=bool)
    if labels:
        lookup = {label_key(k): _as_float(v) for k, v in labels.items()}
        codes, uniques = pd.factorize(raw.astype("string"))  # each distinct answer normalised once
        table = np.array([lookup.get(label_key(u), np.nan) for u in uniques] + [np.nan], dtype="float64")
        found = table[codes]  # code -1 (a missing answer) reads the trailing NaN
        labelled = ~np.isnan(found)
        number[labelled] = found[labelled]
    t = text(raw.astype("string"))
    present = t.notna() | labelled
    rest = (t.notna() & ~labelled).to_numpy(dtype=bool)
    if rest.any():
        number[rest] = answer_numbers(t[rest]).to_numpy()
    return present, number


def answer_numbers(t: pd.Series) -> pd.Series:
    """Answers (stripped text) as numbers, a decimal comma allowed, NaN where none: the plain ones
    through Arrow, only the odd ones through pandas."""
    written = t.str.replace(",", ".", regex=False)
    parsed = _plain_numbers(written)
    odd = (written.notna() & parsed.isna()).to_numpy(dtype=bool)
    if odd.any():
        parsed[odd] = pd.to_numeric(written[odd], errors="coerce").astype("float64").to_numpy()
    return parsed


def is_yes_no(answers: pd.Series | pd.Index) -> bool:
    """Present answers (stripped, lower case) that are all yes/no words, not only bare 1s and 0s."""
    return (len(answers) > 0 and bool(answers.isin(list(YES | NO)).all())
            and bool(answers.isin(list(YES - {"1"} | NO - {"0"})).any()))


def yes_no(raw: pd.Series, seen=None) -> tuple[pd.Series | None, pd.Series]:
    """(1.0/0.0 scores, reasons) when the column is a yes/no answer, else (None, empty). ``seen``: the
    whole column's answers (answer -> count) when ``raw`` is one batch of it: they decide."""
    t = text(raw.astype("string")).str.lower()
    answers = t.dropna() if seen is None else text(pd.Series(list(seen), dtype="string")).str.lower().dropna()
    if not is_yes_no(answers):
        return None, pd.Series(dtype="object")
    score = t.isin(YES).astype("float64")
    reasons = pd.Series(NO_ANSWER, index=t.index[t.isna()], dtype="object")
    return score.drop(index=reasons.index), reasons

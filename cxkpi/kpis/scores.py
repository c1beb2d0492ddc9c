"""Turn a raw survey score column into numbers on a known scale, vectorised.

Every unusable answer gets one of a few fixed reasons so skipped rows can be
counted by reason: no answer, not a number, outside the scale, not whole.
"""

from __future__ import annotations

import re
from functools import lru_cache

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
    # each row's reason as a small code, then the skipped rows' texts: no object per usable row
    here, value = np.asarray(present, dtype=bool), number.to_numpy(dtype="float64")
    missing = np.isnan(value)
    code = np.where(~here, 1, np.where(missing, 2, 0)).astype(np.int8)
    out_of_scale = here & ~missing & ((value < lo) | (value > hi))
    code[out_of_scale] = 3
    if whole:
        code[here & ~missing & ~out_of_scale & (np.floor(value) != value)] = 4
    bad = code > 0
    texts = np.array([None, NO_ANSWER, "score is not a number (or not in the label map)",
                      f"score outside the {lo:g}–{hi:g} scale", "score is not a whole number"], dtype=object)
    skipped = pd.Series(texts[code[bad]], index=raw.index[bad], dtype="object")
    kept = number[~bad] if raw.index.is_unique else number.drop(index=skipped.index)
    return kept, skipped


def _as_float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _scores_from_text(raw: pd.Series, labels: dict | None) -> tuple[pd.Series, pd.Series]:
    """(present, number) of a column of answers: a label from the map ("Very satisfied") first, else the
    answer as a number (a decimal comma allowed). Each distinct answer is read once (a survey column
    holds a handful) and the rows take their answer's reading, so no text is cleaned per row."""
    codes, uniques = pd.factorize(raw.astype("string"))  # code -1: a missing answer (the trailing slot)
    distinct = pd.Series(uniques, dtype="string")
    number = np.full(len(distinct) + 1, np.nan, dtype="float64")
    labelled = np.zeros(len(distinct) + 1, dtype=bool)
    if labels:
        lookup = {label_key(k): _as_float(v) for k, v in labels.items()}
        found = np.array([lookup.get(label_key(u), np.nan) for u in distinct], dtype="float64")
        labelled[:-1] = ~np.isnan(found)
        number[:-1][labelled[:-1]] = found[labelled[:-1]]
    t = text(distinct)
    written = np.append(t.notna().to_numpy(dtype=bool), False)
    rest = written & ~labelled
    if rest.any():
        number[rest] = answer_numbers(t[rest[:-1]]).to_numpy()
    return (pd.Series((written | labelled)[codes], index=raw.index),
            pd.Series(number[codes], index=raw.index))


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


@lru_cache(maxsize=8)
def _yes_no_seen(answers: tuple) -> bool:
    """Whether a whole column's distinct answers are yes/no: asked by each of a file's batches."""
    return is_yes_no(text(pd.Series(list(answers), dtype="string")).str.lower().dropna())


def yes_no(raw: pd.Series, seen=None) -> tuple[pd.Series | None, pd.Series]:
    """(1.0/0.0 scores, reasons) when the column is a yes/no answer, else (None, empty). ``seen``: the
    whole column's answers (answer -> count) when ``raw`` is one batch of it: they decide."""
    if seen is not None and not _yes_no_seen(tuple(seen)):  # a batch of a column of numbers: no text cleaned
        return None, pd.Series(dtype="object")
    t = text(raw.astype("string")).str.lower()
    if seen is None and not is_yes_no(t.dropna()):
        return None, pd.Series(dtype="object")
    score = t.isin(YES).astype("float64")
    reasons = pd.Series(NO_ANSWER, index=t.index[t.isna()], dtype="object")
    return score.drop(index=reasons.index), reasons

"""Turn a raw survey score column into numbers on a known scale, vectorised.

Every unusable answer gets one of a few fixed reasons so skipped rows can be
counted by reason: no answer, not a number, outside the scale, not whole.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..io.values import label_map, text

NO_ANSWER = "no answer (empty score)"
YES = {"yes", "y", "true", "1", "satisfied", "good", "ja", "oui", "si", "sí"}
NO = {"no", "n", "false", "0", "unsatisfied", "dissatisfied", "bad", "nein", "non"}


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
    mapped = label_map(raw, labels)
    if pd.api.types.is_numeric_dtype(mapped) and not pd.api.types.is_bool_dtype(mapped):
        present = mapped.notna()
        number = mapped.astype("float64")
    else:
        t = text(mapped.astype("object").where(mapped.notna(), None).astype("string"))
        present = t.notna()
        number = pd.to_numeric(t.str.replace(",", ".", regex=False), errors="coerce").astype("float64")
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


def yes_no(raw: pd.Series) -> tuple[pd.Series | None, pd.Series]:
    """(1.0/0.0 scores, reasons) when the column is a yes/no answer, else (None, empty)."""
    t = text(raw.astype("string")).str.lower()
    present = t.dropna()
    if present.empty or not present.isin(YES | NO).all() or not present.isin(YES - {"1"} | NO - {"0"}).any():
        return None, pd.Series(dtype="object")
    score = t.isin(YES).astype("float64")
    reasons = pd.Series(NO_ANSWER, index=t.index[t.isna()], dtype="object")
    return score.drop(index=reasons.index), reasons

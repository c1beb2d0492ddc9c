"""Sentiment of a comment with VADER (the optional ``cxkpi[text]`` extra).

VADER (``vaderSentiment`` on PyPI, MIT) is a lexicon-and-rules analyser
built for short social-media text: no model download, no network, English
only. Its ``compound`` score runs from −1 (most negative) to +1; the VADER
authors' conventional cut-offs are ≥ 0.05 positive and ≤ −0.05 negative.

VADER scores one text at a time, so this is the one per-comment Python loop in
cxkpi; it runs over *distinct* comment texts only (survey comments repeat a lot).
"""

from __future__ import annotations

import pandas as pd

from ..errors import MissingExtraError

SUPPORTED = frozenset({"en"})  # VADER's lexicon and rules are English
LIBRARY = "VADER"
INSTALL_HINT = 'sentiment needs the optional text extra: pip install "cxkpi[text]" (installs vaderSentiment)'


def analyzer():
    """A VADER analyser, or a one-line error saying how to install it."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        raise MissingExtraError(INSTALL_HINT) from None
    return SentimentIntensityAnalyzer()


def compound(texts: pd.Series, engine=None) -> pd.Series:
    """VADER compound score per text (same index); each distinct text is scored once."""
    engine = engine or analyzer()
    if texts.empty:
        return pd.Series(dtype="float64", index=texts.index)
    distinct = pd.unique(texts.astype("string").to_numpy(dtype=object))
    scores = {t: engine.polarity_scores(t)["compound"] for t in distinct}
    return texts.astype("string").map(scores).astype("float64")

"""Sentiment of a comment with VADER (the optional ``cxkpi[text]`` extra).

VADER (``vaderSentiment`` on PyPI, MIT) is a lexicon-and-rules analyser
built for short social-media text: no model download, no network, English
only. Its ``compound`` score runs from −1 (most negative) to +1; the VADER
authors' conventional cut-offs are ≥ 0.05 positive and ≤ −0.05 negative.

VADER scores one text at a time, so this is the one per-comment Python loop in
cxkpi; it runs over *distinct* comment texts only (survey comments repeat a lot).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import MissingExtraError

SUPPORTED = frozenset({"en"})  # VADER's lexicon and rules are English
LIBRARY = "VADER"


def install_command(extra: str = "text") -> str:
    """The pip line that adds an extra: ``".[text]"`` in a source checkout, ``"cxkpi[text]"`` from an install."""
    here = (Path(__file__).resolve().parents[2], Path.cwd())  # an editable install, or `pip install .` run here
    checkout = any(_is_checkout(p / "pyproject.toml") for p in here)
    return f'pip install ".[{extra}]"' if checkout else f'pip install "cxkpi[{extra}]"'


def _is_checkout(pyproject: Path) -> bool:
    try:
        return pyproject.is_file() and 'name = "cxkpi"' in pyproject.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install_hint() -> str:
    return f"sentiment needs the optional text extra: {install_command()} (installs vaderSentiment)"


def analyzer():
    """A VADER analyser, or a one-line error saying how to install it."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        raise MissingExtraError(install_hint()) from None
    return SentimentIntensityAnalyzer()


def compound(texts: pd.Series, engine=None) -> pd.Series:
    """VADER compound score per text (same index); each distinct text is scored once."""
    engine = engine or analyzer()
    if texts.empty:
        return pd.Series(dtype="float64", index=texts.index)
    distinct = pd.unique(texts.astype("string").to_numpy(dtype=object))
    scores = {t: engine.polarity_scores(t)["compound"] for t in distinct}
    return texts.astype("string").map(scores).astype("float64")

"""Confidence intervals and significance tests, vectorised over groups.

All functions accept scalars or numpy arrays, so the engine can compute the
interval of every group in one call.
"""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(hits, n, z: float = Z95):
    """Wilson score interval for a proportion, as percentages (low, high).

    Better than the normal approximation near 0% and 100% and for small n,
    which is exactly where CSAT of a small team lives.
    """
    hits = np.asarray(hits, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # A percentage interval never leaves [0, 100] (rounding can nudge it past).
    return np.clip(100 * (centre - half), 0, 100), np.clip(100 * (centre + half), 0, 100)


NPS_INTERVALS = ("wald", "adjusted-wald")


def nps_interval(promoters, detractors, n, z: float = Z95, method: str = "wald"):
    """NPS ± margin with each answer scored +1/0/−1 (variance = p + d − (p − d)²; docs/surveys.md).

    ``method="adjusted-wald"`` is ``nps_adjusted_wald_interval`` (Rocks 2016).
    """
    if method == "adjusted-wald":
        return nps_adjusted_wald_interval(promoters, detractors, n, z)
    if method != "wald":
        raise ValueError(f"NPS interval {method!r}: expected one of {', '.join(NPS_INTERVALS)}")
    promoters = np.asarray(promoters, dtype="float64")
    detractors = np.asarray(detractors, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = promoters / n
        d = detractors / n
        variance = p + d - (p - d) ** 2
        margin = z * 100 * np.sqrt(variance / n)
        nps = 100 * (p - d)
    # NPS lives in [-100, 100]; a normal margin near the ends would leave it.
    return np.clip(nps - margin, -100, 100), np.clip(nps + margin, -100, 100)


def nps_adjusted_wald_interval(promoters, detractors, n, z: float = Z95):
    """Adjusted-Wald NPS interval (Rocks 2016, *The American Statistician*; MeasuringU), as points.

    Add 3 answers (¾ promoter, ¾ detractor, 1½ passive): n' = n + 3,
    p' = (promoters + ¾) / n', d' = (detractors + ¾) / n'; the interval is
    NPS' = p' − d' ± z·√((p' + d' − (p' − d')²) / n'), centred on the adjusted
    NPS' (the headline NPS stays the observed one). No answers (n = 0): NaN,
    not the interval of the three pseudo-answers alone.
    """
    # the Wald interval of the adjusted counts (n = 0 stays NaN through n' = NaN)
    n = np.asarray(n, dtype="float64")
    return nps_interval(np.asarray(promoters, dtype="float64") + 0.75,
                        np.asarray(detractors, dtype="float64") + 0.75, np.where(n > 0, n + 3, np.nan), z)


def mean_interval(mean, std, n, z: float = Z95):
    """Normal-approximation interval of a mean (used for CES and rating means)."""
    mean = np.asarray(mean, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = z * np.asarray(std, dtype="float64") / np.sqrt(np.asarray(n, dtype="float64"))
    return mean - margin, mean + margin

"""Targets, alert thresholds and period-over-period comparison with significance.

Status is direction-aware: for a KPI where higher is better, ``target``, ``warn``
and ``alert`` are floors; where lower is better they are ceilings. The words
(``STATUSES``) are the same in the terminal, HTML, XLSX and JSON: a value worse
than its target is "below target" (or warn/alert past those limits), never "on
target"; with no target and no limit crossed there is no status ("none"). The two-sample
tests tell a team whether a change is larger than noise at 95%:
CSAT (and other proportions) with a pooled two-proportion z-test, NPS with a
z-test on the difference of means of the +1/0/−1 variable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

ON_TARGET, BELOW_TARGET, WARN, ALERT, NONE, FAILED = "on target", "below target", "warn", "alert", "none", "failed"
OK = ON_TARGET  # the old name of "meets its target"
STATUSES = (ON_TARGET, BELOW_TARGET, WARN, ALERT, NONE, FAILED)
# what each status means, for legends ("worse" follows higher_is_better)
STATUS_MEANING = {
    ON_TARGET: "meets or beats its target",
    BELOW_TARGET: "worse than its target, within the warn limit",
    WARN: "past the warn limit",
    ALERT: "past the alert limit",
    NONE: "no target set: compare with the reference",
    FAILED: "could not be computed",
}


@dataclass(frozen=True)
class Thresholds:
    target: float | None = None
    warn: float | None = None
    alert: float | None = None

    @classmethod
    def from_block(cls, block: dict[str, Any]) -> "Thresholds":
        return cls(block.get("target"), block.get("warn"), block.get("alert"))

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.target, self.warn, self.alert))


def status(value: float | None, higher_is_better: bool | None, t: Thresholds) -> str:
    """alert / warn (a limit crossed), below target / on target; "none" when there is no value, no
    direction, or no target and no limit crossed (only warn/alert set and neither crossed)."""
    if value is None or not t.any or higher_is_better is None:
        return NONE

    def worse(limit: float) -> bool:
        return value < limit if higher_is_better else value > limit

    if t.alert is not None and worse(t.alert):
        return ALERT
    if t.warn is not None and worse(t.warn):
        return WARN
    if t.target is None:
        return NONE
    return BELOW_TARGET if worse(t.target) else ON_TARGET


def _normal_p(z: float) -> float:
    """Two-sided p-value of a standard normal z."""
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass(frozen=True)
class Significance:
    test: str
    z: float | None
    p_value: float | None
    significant: bool

    def to_dict(self) -> dict:
        return {"test": self.test, "z": self.z, "p_value": self.p_value, "significant": self.significant}


def two_proportions(hits1: float, n1: float, hits2: float, n2: float) -> Significance:
    """Pooled two-proportion z-test (current vs previous)."""
    if not n1 or not n2:
        return Significance("two-proportion z-test", None, None, False)
    p1, p2 = hits1 / n1, hits2 / n2
    pooled = (hits1 + hits2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return Significance("two-proportion z-test", None, None, False)
    z = (p1 - p2) / se
    p = _normal_p(z)
    return Significance("two-proportion z-test", z, p, p < 0.05)


def nps_difference(prom1: float, det1: float, n1: float, prom2: float, det2: float, n2: float) -> Significance:
    """z-test on the difference of two NPS (each answer +1/0/−1; variance p + d − (p − d)²)."""
    if not n1 or not n2:
        return Significance("NPS difference z-test", None, None, False)
    p1, d1, p2, d2 = prom1 / n1, det1 / n1, prom2 / n2, det2 / n2
    var1 = p1 + d1 - (p1 - d1) ** 2
    var2 = p2 + d2 - (p2 - d2) ** 2
    se = math.sqrt(var1 / n1 + var2 / n2)
    if se == 0:
        return Significance("NPS difference z-test", None, None, False)
    z = ((p1 - d1) - (p2 - d2)) / se
    p = _normal_p(z)
    return Significance("NPS difference z-test", z, p, p < 0.05)


def significance(spec, current: dict, previous: dict) -> Significance | None:
    """The test ``spec`` declares (``KpiSpec.significance``) run on two groups' breakdowns.

    None when the KPI declares no test or a breakdown lacks the counts the test reads.
    """
    test = getattr(spec, "significance", None)
    if not test:
        return None
    try:
        if test[0] == "nps":
            return nps_difference(current["promoters"], current["detractors"], current["n"],
                                  previous["promoters"], previous["detractors"], previous["n"])
        if test[0] == "proportion":
            field = test[1]
            return two_proportions(current[field], current["n"], previous[field], previous["n"])
    except KeyError:
        return None
    raise ValueError(f"KPI {spec.name!r} declares an unknown significance test {test!r}")

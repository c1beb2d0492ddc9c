"""Result objects: what every KPI returns and every renderer consumes.

They are frozen plain data. ``to_dict`` *is* the JSON schema (documented in
the README, ``schema`` field versioned), so JSON output is a direct
serialisation and never a second rendering path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

SCHEMA = "cxkpi.result/1"


def clean_number(x: Any) -> Any:
    """JSON-safe scalar: numpy types to Python, NaN/inf to None, floats rounded to 6 places."""
    if x is None:
        return None
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        try:
            x = x.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(x, bool):
        return x
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return None
        return round(x, 6)
    if isinstance(x, (int, str)):
        return x
    return str(x)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    level: float = 0.95

    def to_dict(self) -> dict:
        return {"low": clean_number(self.low), "high": clean_number(self.high), "level": self.level}


@dataclass(frozen=True, order=True)
class RowRef:
    """A row of one file of a several-file source (a glob, a folder): a row number alone names no file."""

    file: str
    row: int

    def to_dict(self) -> dict:
        return {"file": self.file, "row": self.row}

    def __str__(self) -> str:
        return f"{self.file} row {self.row}"


@dataclass(frozen=True)
class Skipped:
    """Rows that could not be used, by reason, with the first few row numbers of each
    (a ``RowRef`` each when the source is several files)."""

    counts: dict[str, int] = field(default_factory=dict)
    rows: dict[str, tuple[int | RowRef, ...]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "reasons": {
                reason: {"count": count, "rows": [r.to_dict() if isinstance(r, RowRef) else r
                                                  for r in self.rows.get(reason, ())]}
                for reason, count in self.counts.items()
            },
        }


@dataclass(frozen=True)
class GroupResult:
    key: dict[str, Any]
    value: float | None
    n: int
    interval: Interval | None = None
    breakdown: dict[str, Any] = field(default_factory=dict)
    skipped: Skipped = field(default_factory=Skipped)
    low_sample: bool = False
    status: str | None = None

    def to_dict(self) -> dict:
        return {
            "key": {k: clean_number(v) for k, v in self.key.items()},
            "value": clean_number(self.value),
            "n": int(self.n),
            "interval": self.interval.to_dict() if self.interval else None,
            "breakdown": {k: _jsonable(v) for k, v in self.breakdown.items()},
            "skipped": self.skipped.to_dict(),
            "low_sample": self.low_sample,
        }


@dataclass(frozen=True)
class KpiResult:
    kpi: str
    title: str
    source: str
    unit: str
    higher_is_better: bool | None
    value: float | None
    n: int
    rows: int
    interval: Interval | None = None
    breakdown: dict[str, Any] = field(default_factory=dict)
    skipped: Skipped = field(default_factory=Skipped)
    group_by: tuple[str, ...] = ()
    groups: tuple[GroupResult, ...] = ()
    low_sample: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    benchmark: str | None = None
    file: str | None = None
    files: tuple[str, ...] | None = None  # a several-file source: the files read (``file`` is the glob/folder)
    extra: dict[str, Any] = field(default_factory=dict)
    # groups by period alone, when the request asked for them beside --by (Request.trend); not in JSON
    trend: tuple[GroupResult, ...] | None = None

    def with_(self, **changes) -> "KpiResult":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "kpi": self.kpi,
            "title": self.title,
            "source": self.source,
            "file": self.file,
            **({"files": list(self.files)} if self.files is not None else {}),
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "value": clean_number(self.value),
            "n": int(self.n),
            "rows": int(self.rows),
            "interval": self.interval.to_dict() if self.interval else None,
            "breakdown": {k: _jsonable(v) for k, v in self.breakdown.items()},
            "skipped": self.skipped.to_dict(),
            "low_sample": self.low_sample,
            "group_by": list(self.group_by),
            "groups": [g.to_dict() for g in self.groups],
            "settings": {k: _jsonable(v) for k, v in self.settings.items()},
            "notes": list(self.notes),
            "benchmark": self.benchmark,
            **{k: _jsonable(v) for k, v in self.extra.items()},
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_jsonable(x) for x in v]
    return clean_number(v)

"""Checks run over every registered KPI at once (after scikit-learn's test_common).

A KPI added to the registry is covered here without a line of test code; a
KPI that cannot meet a check goes into a named exemption set with a reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxkpi.engine import compute
from cxkpi.errors import MissingColumnsError
from cxkpi.registry import load_all
from cxkpi.sources import column_kind

SPECS = load_all()
NAMES = sorted(SPECS)

# KPIs whose value depends on more than per-row data (windows over time) are
# checked for order invariance but not for used + skipped = rows.
ACCOUNTING_EXEMPT = {name for name, spec in SPECS.items() if spec.periodic}
# KPIs that cannot run on defaults alone, with the settings a user must give
REQUIRED_SETTINGS = {"sla": {"frt_target": 60.0}}


def run(spec, df, **kw):
    return compute(spec, df, settings=REQUIRED_SETTINGS.get(spec.name, {}), **kw)


def synthetic(spec, rows: int = 40, seed: int = 0) -> pd.DataFrame:
    """A plausible frame with every column the KPI can use, built from the column kinds."""
    rng = np.random.default_rng(seed)
    base = pd.Timestamp("2025-01-06 08:00") + pd.to_timedelta(np.arange(rows) * 7, unit="h")
    data: dict[str, object] = {}
    # start-like timestamps first, so every end comes after its start
    starts = ("created", "queued", "requested", "sent", "started", "hired", "order", "visited")
    columns = sorted(spec.all_columns(), key=lambda c: not c.startswith(starts))
    for position, col in enumerate(columns):
        kind = column_kind(spec.source, col)
        if kind == "time":
            data[col] = base + pd.to_timedelta(position * 45 + rng.integers(0, 30, rows), unit="min")
        elif kind == "score":
            data[col] = rng.integers(0, 11, rows)
        elif kind in ("number", "money", "duration", "seconds"):
            data[col] = rng.integers(0, 5, rows).astype("float64")
        elif kind == "flag":
            data[col] = pd.array(rng.random(rows) < 0.2, dtype="boolean")
        else:
            data[col] = rng.choice(["a", "b", "c"], rows)
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(2, 2 + rows)
    return frame


@pytest.mark.parametrize("name", NAMES)
def test_declares_docs_and_formula(name):
    spec = SPECS[name]
    assert spec.doc, f"{name}: the measure function needs a docstring"
    assert spec.formula and spec.title and spec.unit is not None
    assert spec.example and spec.example.startswith(f"cxkpi {name}")


@pytest.mark.parametrize("name", NAMES)
def test_row_order_does_not_matter(name):
    spec = SPECS[name]
    df = synthetic(spec)
    a = run(spec, df)
    b = run(spec, df.sample(frac=1, random_state=1))
    assert a.n == b.n
    assert a.value == pytest.approx(b.value, nan_ok=True)
    assert a.skipped.counts == b.skipped.counts


@pytest.mark.parametrize("name", NAMES)
def test_extra_columns_are_ignored(name):
    spec = SPECS[name]
    df = synthetic(spec)
    wide = df.assign(unrelated_text="zzz", unrelated_number=1.5)
    assert run(spec, wide).value == pytest.approx(run(spec, df).value, nan_ok=True)


@pytest.mark.parametrize("name", NAMES)
def test_empty_frame_gives_an_empty_result(name):
    spec = SPECS[name]
    result = run(spec, synthetic(spec).iloc[:0])
    assert result.n == 0


@pytest.mark.parametrize("name", NAMES)
def test_missing_needed_column_raises(name):
    spec = SPECS[name]
    first_need = spec.requirements()[0]
    drop = {c for alternative in first_need for c in alternative}
    df = synthetic(spec).drop(columns=[c for c in drop if c in spec.all_columns()], errors="ignore")
    with pytest.raises(MissingColumnsError):
        run(spec, df)


@pytest.mark.parametrize("name", sorted(set(NAMES) - ACCOUNTING_EXEMPT))
def test_used_plus_skipped_equals_rows(name):
    spec = SPECS[name]
    result = run(spec, synthetic(spec))
    assert result.n + result.skipped.total == result.rows


def test_duplicate_names_fail_at_import():
    from cxkpi.registry import kpi

    with pytest.raises(ValueError, match="registered twice"):
        kpi(name="nps", title="x", source="surveys", needs=("score",), unit="", higher_is_better=True,
            formula="x", aggregate=lambda *a: None)(lambda frame, settings: None)

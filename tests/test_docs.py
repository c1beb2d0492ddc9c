"""Docs that cannot drift: the KPI page and the JSON schema are checked against the code."""

from __future__ import annotations

import json

import pytest

from cxkpi.docs import kpi_reference
from cxkpi.engine import compute
from cxkpi.registry import load_all

from .conftest import ROOT
from .test_registry_common import run, synthetic


def test_kpi_reference_is_up_to_date():
    assert (ROOT / "docs" / "kpis.md").read_text() == kpi_reference(), \
        "docs/kpis.md is stale: run `python -m cxkpi.docs > docs/kpis.md`"


def test_every_kpi_is_documented_and_in_the_schema():
    text = (ROOT / "docs" / "kpis.md").read_text()
    schema = json.loads((ROOT / "docs" / "result.schema.json").read_text())
    for name, spec in load_all().items():
        assert f"## `{name}`" in text
        assert spec.source in schema["properties"]["source"]["enum"]


@pytest.mark.parametrize("name", sorted(load_all()))
def test_json_output_validates_against_the_documented_schema(name):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "result.schema.json").read_text())
    spec = load_all()[name]
    df = synthetic(spec)
    df["segment"] = ["x", "y"] * (len(df) // 2)  # a --by dimension, so groups are validated too
    result = run(spec, df, by=("segment",))
    assert result.groups or spec.group_key  # themes finds no phrases in random text
    jsonschema.validate(json.loads(json.dumps(result.to_dict())), schema)


def test_readme_documents_exit_codes_and_commands():
    readme = (ROOT / "README.md").read_text()
    for fragment in ("pip install", "pytest", "Errors and exit codes", "| 0 |", "| 1 |", "| 2 |", "| 3 |", "cxkpi.result/1"):
        assert fragment in readme

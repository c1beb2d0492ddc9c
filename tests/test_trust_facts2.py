"""Facts kept in one place (issue 13, item 7): the JSON schemas come from the registry and the
sources table, one FRT computation serves `frt` and `topics`, every config path resolves from the
config's folder, and the docs the product cites are in the repository."""

from __future__ import annotations

import json

import pytest

from cxkpi.docs import GENERATED, report_schema, result_schema
from cxkpi.registry import load_all
from cxkpi.report import AREAS
from cxkpi.sources import SOURCES

from .conftest import ROOT

# a CRM snapshot: one row per customer, no dates, so churn reads it as the `customers` source
CRM = "customer_id,Churn\nc1,No\nc2,Yes\nc3,No\nc4,No\n"


@pytest.mark.parametrize("name", ["result.schema.json", "report.schema.json", "kpis.md"])
def test_checked_in_docs_equal_the_generated_ones(name):
    assert (ROOT / "docs" / name).read_text(encoding="utf-8") == GENERATED[name](), \
        f"docs/{name} is stale: run `python -m cxkpi.docs {name} > docs/{name}`"


def test_schema_enums_come_from_the_registry_and_the_sources_table():
    props = result_schema()["properties"]
    registry = load_all()
    assert props["kpi"]["enum"] == list(registry)
    read = {s for spec in registry.values() for s in spec.sources}
    assert read <= set(SOURCES)  # every source a KPI reads is in the table (so it has an area)
    assert set(props["source"]["enum"]) == read and "customers" in props["source"]["enum"]
    assert {spec.unit for spec in registry.values()} <= set(props["unit"]["enum"])
    area = report_schema()["properties"]["kpis"]["items"]["properties"]["area"]["enum"]
    assert set(area) == {"Surveys", "Helpdesk", "Business"}
    assert AREAS == {name: src.area for name, src in SOURCES.items()} and AREAS["customers"] == "Business"


def test_churn_on_a_crm_snapshot_validates_against_the_result_schema(run_cli, write):
    jsonschema = pytest.importorskip("jsonschema")
    path = write("crm.csv", CRM)
    code, out, err = run_cli("churn", path, "--status-column", "Churn", "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    # 1 churned (c2) of 4 customers = 25 %
    assert (r["source"], r["value"], r["n"]) == ("customers", 25.0, 4)
    jsonschema.validate(r, json.loads((ROOT / "docs" / "result.schema.json").read_text()))
    # the per-KPI rule is live: a churn result claiming to come from tickets is refused
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**r, "source": "tickets"}, result_schema())


def test_report_on_a_crm_snapshot_puts_churn_under_business(run_cli, write):
    jsonschema = pytest.importorskip("jsonschema")
    write("crm.csv", CRM)
    cfg = write("c.yaml", "sources:\n  customers: {file: crm.csv}\nkpis:\n  churn: {source: customers, "
                          "status_column: Churn}\n")
    code, out, err = run_cli("report", "-c", cfg, "-f", "json", "-q")
    assert code == 0, err
    data = json.loads(out)
    jsonschema.validate(data, json.loads((ROOT / "docs" / "report.schema.json").read_text()))
    churn = {k["kpi"]: k for k in data["kpis"]}["churn"]
    assert (churn["area"], churn["value"], churn["result"]["source"]) == ("Business", 25.0, "customers")


# ---------------------------------------------------------------- (c) one FRT for frt, topics and peak
# Mon-Fri 09:00-17:00. t1: Fri 2025-06-06 16:00 → Mon 06-09 10:00 = Fri 16-17 (60) + Mon 9-10 (60) = 120 business
# minutes (calendar 66 h = 3960). t2: Tue 06-10 08:00 → 09:30, the clock starts at 09:00 = 30 business minutes
# (calendar 90). Business mean (120 + 30) / 2 = 75 = the median of two; calendar mean (3960 + 90) / 2 = 2025.
TWO_TICKETS = ("ticket_id,created_at,first_response_at,topic\n"
               "t1,2025-06-06 16:00,2025-06-09 10:00,billing\n"
               "t2,2025-06-10 08:00,2025-06-10 09:30,billing\n")


def _json(run_cli, *args):
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_topics_frt_mean_is_the_frt_in_business_minutes(run_cli, write):
    path = write("t.csv", TWO_TICKETS)
    cfg = write("c.yaml", 'business_hours:\n  schedule: "Mon-Fri 09:00-17:00"\n')
    frt = _json(run_cli, "frt", path, "-c", cfg)
    topics = _json(run_cli, "topics", path, "-c", cfg)
    peak = _json(run_cli, "peak", path, "-c", cfg)
    assert frt["value"] == 75.0
    assert topics["breakdown"]["frt_mean"] == 75.0 == frt["value"]
    assert [g["breakdown"]["frt_mean"] for g in topics["groups"]] == [75.0]  # the one topic, billing
    assert peak["breakdown"]["frt_median_offpeak"] == 75.0  # both created outside Mon-Fri 09-12
    for r in (frt, topics, peak):
        assert "business hours: Mon-Fri 09:00-17:00 UTC" in r["notes"]


def test_without_business_hours_both_are_calendar_minutes(run_cli, write):
    path = write("t.csv", TWO_TICKETS)
    assert _json(run_cli, "frt", path)["value"] == 2025.0
    assert _json(run_cli, "topics", path)["breakdown"]["frt_mean"] == 2025.0
    # a flag works on topics as on frt
    flagged = _json(run_cli, "topics", path, "--business-hours", "Mon-Fri 09:00-17:00")
    assert flagged["breakdown"]["frt_mean"] == 75.0


# ---------------------------------------------------------------- (d) config paths from the config's folder
def _themes_project(tmp_path):
    project = tmp_path / "project"
    (project / "dicts").mkdir(parents=True)
    (project / "s.csv").write_text("score,comment\n2,Refund please\n10,Great and quick\n9,quick!\n"
                                   "3,rude and no refund\n", encoding="utf-8")
    (project / "dicts" / "t.yaml").write_text("refund: [refund*]\nquick: [quick*, fast]\n", encoding="utf-8")
    cfg = project / "cx.yaml"
    cfg.write_text("sources:\n  surveys: {file: s.csv}\nkpis:\n  themes: {themes: dicts/t.yaml}\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return cfg, elsewhere


def test_themes_dictionary_in_the_config_resolves_from_the_config_folder(run_cli, tmp_path, monkeypatch):
    cfg, elsewhere = _themes_project(tmp_path)
    monkeypatch.chdir(elsewhere)  # neither s.csv nor dicts/t.yaml is here
    r = _json(run_cli, "themes", "-c", cfg)
    mentions = {g["key"]["theme"]: g["breakdown"]["mentions"] for g in r["groups"]}
    # refund*: "Refund please", "rude and no refund" = 2; quick*: "Great and quick", "quick!" = 2; none left over
    assert mentions["refund"] == 2 and mentions["quick"] == 2
    assert sum(mentions.values()) == 4


def test_a_missing_themes_dictionary_names_the_path_it_looked_at(run_cli, tmp_path, monkeypatch):
    cfg, elsewhere = _themes_project(tmp_path)
    (cfg.parent / "dicts" / "t.yaml").unlink()
    (elsewhere / "dicts").mkdir()
    (elsewhere / "dicts" / "t.yaml").write_text("other: [x]\n", encoding="utf-8")  # not this one (cwd)
    monkeypatch.chdir(elsewhere)
    code, out, err = run_cli("themes", "-c", cfg, "--format", "json")
    assert code != 0 and out == ""
    assert str(cfg.parent / "dicts" / "t.yaml") in err and "no such theme dictionary file" in err
    assert len(err.strip().splitlines()) == 1


def test_the_report_echoes_the_config_as_written(tmp_path):
    from cxkpi.config import load_config

    cfg, _ = _themes_project(tmp_path)
    config = load_config(cfg)
    assert config.kpi("themes")["themes"] == str(cfg.parent / "dicts" / "t.yaml")
    assert config.raw["kpis"]["themes"]["themes"] == "dicts/t.yaml"


# ---------------------------------------------------------------- (e) the docs the product cites are in the repo
MISSING_SPEC = "KPI_" + "SPEC"  # spelled in two parts so this file does not mention it


def _tracked_files():
    import subprocess

    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
        return [ROOT / p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.SubprocessError):  # not a git checkout (an unpacked sdist)
        return [p for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]


def test_no_tracked_file_cites_a_spec_outside_the_repository():
    files = _tracked_files()
    assert any(p.name == "README.md" for p in files)
    citing = [str(p.relative_to(ROOT)) for p in files
              if p.is_file() and MISSING_SPEC.encode() in p.read_bytes()]
    assert citing == []


def test_every_docs_page_the_product_cites_exists():
    import re

    cited = set()
    for p in [*(ROOT / "cxkpi").rglob("*.py"), *(ROOT / "docs").glob("*.md"), ROOT / "README.md"]:
        text = p.read_text(encoding="utf-8")
        cited |= set(re.findall(r"docs/([\w.-]+\.(?:md|json))", text))
        if p.parent.name == "docs":
            cited |= set(re.findall(r"\]\(([\w.-]+\.md)(?:#[\w-]*)?\)", text))
    assert {"conventions.md", "surveys.md", "helpdesk.md", "workload.md", "business.md"} <= cited
    assert sorted(c for c in cited if not (ROOT / "docs" / c).is_file()) == []

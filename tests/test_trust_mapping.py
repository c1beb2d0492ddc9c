"""A header the user maps belongs to that column only (issue 13 §3): synonyms and presets fill the rest."""

from __future__ import annotations

import json

import pytest


def test_mapped_sent_at_is_not_also_responded_at(run_cli, write):
    # 2 invitations (Date = sent_at), 1 answered: 1/2 = 50 %. Before, `Date` was also taken
    # as responded_at by synonym, so both rows looked answered: 100 %.
    path = write("rr.csv", "Date,Score\n2025-01-01 10:00,9\n2025-01-02 10:00,\n")
    code, out, err = run_cli("response-rate", path, "--map", "sent_at=Date", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["value"], doc["n"], doc["skipped"]["total"]) == (50.0, 2, 0)


def test_mapped_fcr_answer_is_not_also_resolved_at(run_cli, write):
    # Resolved (Y/N) is the fcr_answer; the tickets are resolved by Status. 3 solved, 2 Y: 2/3 = 66.666667.
    # Before, `Resolved` was also read as resolved_at: every row skipped as an unreadable date, exit 0.
    path = write("fcr.csv", "Ticket,Created,Status,Resolved\nT1,2025-01-01 10:00,solved,Y\n"
                            "T2,2025-01-01 11:00,solved,N\nT3,2025-01-02 09:00,solved,Y\n")
    code, out, err = run_cli("fcr", path, "--rule", "survey", "--map", "fcr_answer=Resolved", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["skipped"]["total"] == 0
    assert round(doc["value"], 6) == 66.666667 and doc["n"] == 3


def test_without_a_status_the_mapped_answer_column_is_not_a_resolution_time(run_cli, write):
    path = write("fcr.csv", "Ticket,Created,Resolved\nT1,2025-01-01 10:00,Y\nT2,2025-01-01 11:00,N\n")
    code, _, err = run_cli("fcr", path, "--rule", "survey", "--map", "fcr_answer=Resolved")
    assert code != 0 and err.startswith("cxkpi: error:") and "resolved_at" in err


def test_headers_equal_after_unicode_normalisation_are_duplicates(run_cli, write):
    nfc, nfd = "Caf\u00e9", "Cafe\u0301"  # the same word, composed and decomposed
    path = write("dupe.csv", f"Score,{nfc},{nfd}\n9,a,b\n")
    code, _, err = run_cli("nps", path)
    assert code != 0 and "duplicate column names in the header" in err and "Caf" in err


@pytest.mark.parametrize("text, line, first, key", [
    ("kpis:\n  nps: {target: 40}\nkpis:\n  csat: {target: 80}\n", 3, 1, "kpis"),
    ("sources:\n  surveys:\n    file: a.csv\n    file: b.csv\n", 4, 3, "file"),
    ("kpis: {nps: {target: 40, target: 50}}\n", 1, 1, "target"),
])
def test_duplicate_yaml_keys_are_a_config_error(run_cli, write, text, line, first, key):
    cfg = write("dup.yaml", text)
    code, _, err = run_cli("nps", "--config", cfg)
    assert code == 2
    assert f"line {line}: duplicate key {key!r} (first at line {first})" in err

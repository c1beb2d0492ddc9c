"""Issue 13 §7: facts kept once. A KPI declares its own significance test."""

import json
import math

import pytest

from cxkpi.registry import load_all

# FCR one-touch: April 4 resolved tickets, all one-touch → 4/4; May 4 resolved, 1 one-touch → 1/4
TICKETS = (
    "Ticket ID,Created At,Resolved At,Agent Replies,Reopens\n"
    "1,2025-04-01 09:00,2025-04-01 10:00,1,0\n2,2025-04-02 09:00,2025-04-02 10:00,1,0\n"
    "3,2025-04-03 09:00,2025-04-03 10:00,0,0\n4,2025-04-04 09:00,2025-04-04 10:00,1,0\n"
    "5,2025-05-01 09:00,2025-05-01 10:00,1,0\n6,2025-05-02 09:00,2025-05-02 10:00,3,0\n"
    "7,2025-05-03 09:00,2025-05-03 10:00,2,1\n8,2025-05-04 09:00,2025-05-04 10:00,4,0\n"
)


def test_every_proportion_kpi_declares_a_test_on_a_field_it_writes():
    reg = load_all()
    assert reg["fcr"].significance == ("proportion", "first_contact")
    assert reg["nps"].significance == ("nps",)


def test_report_compare_tests_fcr_change(run_cli, write):
    data = write("tickets.csv", TICKETS)
    cfg = write("cfg.yaml", f"sources:\n  tickets: {{file: {data.name}}}\nkpis:\n  fcr: {{rule: one-touch}}\n"
                       "report:\n  kpis: [fcr]\n")
    code, out, err = run_cli("report", "--config", str(cfg), "--period", "month", "--compare", "previous",
                             "-f", "json")
    assert code == 0, err
    fcr = {k["kpi"]: k for k in json.loads(out)["kpis"]}["fcr"]
    c = fcr["comparison"]
    assert (c["current"], c["previous"]) == (25.0, 100.0)
    # 1/4 vs 4/4: pooled p = 5/8 = .625; se = sqrt(.625 × .375 × (1/4 + 1/4)) = sqrt(.1171875) = .342327
    # z = (.25 − 1) / .342327 = −2.19089; p = erfc(2.19089 / √2) = 0.028459 < .05 → significant
    assert c["significance"]["test"] == "two-proportion z-test"
    assert c["significance"]["z"] == pytest.approx(-2.190890, abs=1e-5)
    assert c["significance"]["p_value"] == pytest.approx(math.erfc(2.190890 / math.sqrt(2)), abs=1e-6)
    assert c["significance"]["p_value"] == pytest.approx(0.028459, abs=1e-5)
    assert c["significance"]["significant"] is True


def test_sources_file_and_files_together_is_a_config_error(run_cli, write):
    # sources.*.files is a list of files or globs (docs/scale.md); with file: beside it the config is
    # ambiguous, and names that match nothing are said too: one config error, exit 2
    data = write("tickets.csv", TICKETS)
    cfg = write("cfg.yaml", f"sources:\n  tickets: {{file: {data.name}, files: [a.csv, b.csv]}}\n")
    code, out, err = run_cli("report", "--config", str(cfg))
    assert code == 2
    assert "sources.tickets: set file or files, not both" in err
    assert "sources.tickets.files[0]: no such file or folder 'a.csv'" in err

"""The command line as a user meets it: formats, inputs, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from .conftest import ROOT, SAMPLE

SURVEY = (
    "Response ID,Survey,Responded At,Score,Channel\n"
    "1,NPS,2025-05-01 10:00:00,10,email\n"
    "2,NPS,2025-05-02 10:00:00,10,chat\n"
    "3,NPS,2025-06-01 10:00:00,9,email\n"
    "4,NPS,2025-06-03 10:00:00,8,chat\n"
    "5,NPS,2025-06-04 10:00:00,7,email\n"
    "6,NPS,2025-06-05 10:00:00,6,chat\n"
    "7,NPS,2025-06-06 10:00:00,0,email\n"
)
# NPS over all seven: (3 − 2) / 7 = 14.2857


def test_json_is_the_result_schema(run_cli, write):
    code, out, err = run_cli("nps", write("s.csv", SURVEY), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "cxkpi.result/1"
    assert data["kpi"] == "nps" and data["n"] == 7
    assert data["value"] == pytest.approx(14.285714)
    assert data["breakdown"]["detractors"] == 2


def test_every_format(run_cli, write):
    path = write("s.csv", SURVEY)
    code, out, _ = run_cli("nps", path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows[0]["kpi"] == "nps" and float(rows[0]["value"]) == pytest.approx(14.285714)
    code, out, _ = run_cli("nps", path, "--format", "markdown")
    assert code == 0 and out.startswith("## Net Promoter Score (nps)") and "| 14.29 |" in out
    code, out, _ = run_cli("nps", path, "--format", "table")
    assert code == 0 and "Net Promoter Score" in out and "14.29" in out and "\x1b[" not in out


def test_by_and_period_in_csv(run_cli, write):
    code, out, _ = run_cli("nps", write("s.csv", SURVEY), "--by", "channel", "--period", "month", "-f", "csv")
    rows = {(r["channel"], r["period"]): r for r in csv.DictReader(io.StringIO(out))}
    # email/May: 10 → 100; email/June: 9, 7, 0 → (1 − 1)/3 = 0; chat/June: 8, 6 → −50
    assert float(rows[("email", "2025-05")]["value"]) == 100.0
    assert float(rows[("email", "2025-06")]["value"]) == 0.0
    assert float(rows[("chat", "2025-06")]["value"]) == -50.0
    assert rows[("(all)", "(all)")]["n"] == "7"


def test_stdin_and_output_file(run_cli, tmp_path):
    target = tmp_path / "nps.csv"
    code, out, err = run_cli("nps", "-", "--format", "csv", "--output", target, stdin=SURVEY.encode())
    assert code == 0 and out == ""
    assert "wrote" in err
    assert float(next(csv.DictReader(target.open()))["value"]) == pytest.approx(14.285714)
    assert not list(tmp_path.glob(".nps.csv.*"))  # no temp file left behind


def test_output_extension_picks_the_format(run_cli, write, tmp_path):
    code, _, _ = run_cli("nps", write("s.csv", SURVEY), "-o", tmp_path / "r.json")
    assert code == 0 and json.loads((tmp_path / "r.json").read_text())["n"] == 7


def test_latin1_semicolon_file(run_cli, write):
    text = "Kanal;Note;Kommentar\nE-Mail;10;très bien\nTéléphone;0;schlecht\nE-Mail;9;prima\n"
    path = write("latin.csv", text, encoding="latin-1")
    code, out, _ = run_cli("nps", path, "--score", "Note", "--by", "Kanal", "-f", "json")
    data = json.loads(out)
    # promoters 10, 9; detractor 0 → (2 − 1) / 3 = 33.33
    assert code == 0 and data["value"] == pytest.approx(33.333333)
    assert {g["key"]["kanal"] for g in data["groups"]} == {"E-Mail", "Téléphone"}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_encodings(run_cli, write, encoding):
    path = write("enc.csv", "Score\tAgent\n10\tRenée\n0\tJosé\n9\tZoë\n", encoding=encoding)
    code, out, err = run_cli("nps", path, "-f", "json", "--by", "agent")
    assert code == 0, err
    data = json.loads(out)
    assert data["value"] == pytest.approx(33.333333)
    assert {g["key"]["agent"] for g in data["groups"]} == {"Renée", "José", "Zoë"}


def test_xlsx_sheet_by_name_and_question_header(run_cli, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Summary"
    wb.active.append(["nothing here"])
    ws = wb.create_sheet("Responses")
    question = "How likely are you to recommend us?"
    ws.append(["Submitted", question, "Region"])
    import datetime as dt

    for day, score, region in [(1, 10, "EU"), (2, 3, "EU"), (3, 9, "US"), (4, 8, "US")]:
        ws.append([dt.datetime(2025, 3, day, 9, 0), score, region])
    path = tmp_path / "survey.xlsx"
    wb.save(path)
    code, out, err = run_cli("nps", path, "--sheet", "Responses", "--score", question, "--by", "Region", "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    # 10, 9 promoters; 3 detractor; 8 passive → (2 − 1) / 4 = 25
    assert data["value"] == 25.0
    assert {g["key"]["region"]: g["value"] for g in data["groups"]} == {"EU": 0.0, "US": 50.0}
    code, _, err = run_cli("nps", path, "--sheet", "Nope", "--score", question)
    assert code == 1 and "no sheet 'Nope'" in err and "'Responses'" in err


def test_strict_names_the_first_bad_row(run_cli, write):
    path = write("s.csv", "Score\n10\neleven\n9\n")
    code, out, err = run_cli("nps", path)
    assert code == 0
    code, out, err = run_cli("nps", path, "--strict")
    assert code == 1
    assert err.strip() == ("cxkpi: error: " + str(path) + " row 3: score is not a number (or not in the label map) "
                           "(--strict; 1 unusable row in all)")


@pytest.mark.parametrize("args, code, fragment", [
    (["nps", "missing.csv"], 1, "missing.csv: no such file"),
    (["nps", "{s}", "--score", "Rating"], 2, "no column 'Rating'"),
    (["nps", "{s}", "--period", "fortnight"], 2, "--period 'fortnight'"),
    (["nps", "{s}", "--by", "region"], 2, "no column 'region'"),
    (["nps", "{s}", "--where", "channel"], 2, "expected COLUMN=VALUE"),
    (["nps", "{s}", "--since", "yesterday-ish"], 2, "--since"),
    (["nps", "{s}", "--bogus"], 2, "No such option"),
    (["npz", "{s}"], 2, "No such command"),
    (["nps", "{s}", "--config", "nope.yaml"], 2, "no such config file"),
    (["nps", "{empty}"], 1, "empty"),
    (["nps", "{dir}"], 1, "is a directory"),
    (["nps", "{s}", "-o", "out.pdf"], 2, "unknown extension"),
])
def test_errors_are_one_line_with_the_documented_exit_code(run_cli, write, tmp_path, args, code, fragment):
    (tmp_path / "no_exports").mkdir()  # a folder is a source of several files: one with none is the error
    paths = {"s": write("s.csv", SURVEY), "empty": write("e.csv", ""), "dir": tmp_path / "no_exports"}
    got, out, err = run_cli(*[a.format(**paths) for a in args])
    assert got == code
    assert fragment in err
    if code == 1 or "error:" in err:
        assert err.startswith("cxkpi: error:") and err.count("\n") == 1


def test_missing_score_column_suggests_the_flag(run_cli, write):
    code, _, err = run_cli("nps", write("s.csv", "Channel,Comment\nemail,hi\n"))
    assert code == 2
    assert "needs column 'score'" in err and "--score" in err and "'Channel'" in err


def test_config_drives_file_mapping_and_settings(run_cli, write, tmp_path):
    data = write("answers.csv", "When,Q1,Kind\n2025-01-01,5,CSAT\n2025-01-02,3,CSAT\n2025-01-03,4,CSAT\n2025-01-03,10,NPS\n")
    cfg = write("c.yaml", f"""
sources:
  surveys:
    file: {data.name}
    columns: {{responded_at: When, score: Q1, survey: Kind}}
kpis:
  csat: {{satisfied_min: 5}}
""")
    code, out, err = run_cli("csat", "--config", cfg, "-f", "json")
    # CSAT rows only: 5, 3, 4; satisfied_min 5 → 1 of 3 = 33.33 %
    assert code == 0, err
    assert json.loads(out)["value"] == pytest.approx(33.333333)


def test_kpis_lists_the_registry(run_cli):
    from cxkpi.registry import kpi_names

    code, out, _ = run_cli("kpis", "--format", "json")
    assert code == 0
    assert [k["name"] for k in json.loads(out)] == kpi_names()
    assert all(k["formula"] for k in json.loads(out))


def test_every_kpi_command_has_help_with_an_example(run_cli):
    from cxkpi.registry import kpi_names

    for name in kpi_names():
        code, out, _ = run_cli(name, "--help")
        assert code == 0 and "Example" in out and f"cxkpi {name}" in out


def test_sample_data_runs_as_the_readme_says(run_cli):
    code, out, err = run_cli("nps", SAMPLE / "surveys.csv", "-f", "json")
    assert code == 0
    data = json.loads(out)
    # 1,422 NPS invitations in the sample; 901 never answered; 521 answered of which 6 unusable
    assert data["n"] + data["skipped"]["total"] == data["rows"] == 521


def test_installed_entry_point_pipes_json():
    """The real console script in a subprocess: stdout is clean JSON, messages go to stderr."""
    proc = subprocess.run([sys.executable, "-m", "cxkpi", "ces", str(SAMPLE / "surveys.csv"), "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["kpi"] == "ces"
    assert "ces:" in proc.stderr


def test_debug_is_taken_after_the_command_too(run_cli):
    # the internal-error line says "run with --debug"; a user adds it at the end of the command line
    code, out, err = run_cli("nps", SAMPLE / "surveys.csv", "--format", "json", "--debug")
    assert code == 0 and "No such option" not in err and json.loads(out)["kpi"] == "nps"

"""``cxkpi rows``: one row per item, and the rows add up to the KPI (issue #18 part 2)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from cxkpi.engine import Request, compute
from cxkpi.errors import MissingExtraError
from cxkpi.explain import REPEATS_ROWS, per_item, per_item_names, rows
from cxkpi.io.dataset import Dataset
from cxkpi.registry import load_all

from .conftest import ROOT, SAMPLE
from .test_registry_common import REQUIRED_SETTINGS, synthetic

CONFIG = str(ROOT / "config.example.yaml")
TICKETS = str(SAMPLE / "tickets.csv")
SURVEYS = str(SAMPLE / "surveys.csv")


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""], dtype=str)


def _result(run_cli, *args) -> dict:
    code, out, err = run_cli(*args, "--format", "json", "-q")
    assert code == 0, err
    return json.loads(out)


APPROX = 1e-6  # the KPI's JSON rounds its value to 6 decimals


def _reasons(table: pd.DataFrame, kpi: str) -> dict:
    return {str(k): int(v) for k, v in table[f"{kpi}_skipped"].dropna().value_counts().items()}


# ---------------------------------------------------------------- reconciliation on the sample data
def test_rows_reconcile_with_each_kpi_on_the_sample_tickets(run_cli):
    code, out, err = run_cli("rows", TICKETS, "-c", CONFIG, "--kpis", "frt,resolution,fcr,sla", "-q")
    assert code == 0, err
    table = _csv(out)
    assert table["row"].is_unique
    for kpi in ("frt", "resolution", "fcr", "sla"):
        result = _result(run_cli, kpi, TICKETS, "-c", CONFIG)
        used = table[table[f"{kpi}_status"] == "used"]
        assert len(used) == result["n"], kpi
        assert _reasons(table, kpi) == {r: v["count"] for r, v in result["skipped"]["reasons"].items()}, kpi
        assert (table[f"{kpi}_status"] == "skipped").sum() == result["skipped"]["total"]
        if kpi in ("frt", "resolution"):  # the config sets no business hours for them: calendar minutes
            assert used[f"{kpi}_minutes"].astype(float).mean() == pytest.approx(result["value"], abs=APPROX)
            apart = "unanswered" if kpi == "frt" else "open"
            assert (table[f"{kpi}_status"] == apart).sum() == result["breakdown"][apart]
    fcr = _result(run_cli, "fcr", TICKETS, "-c", CONFIG)
    used = table[table["fcr_status"] == "used"]
    assert 100 * (used["fcr_first_contact"] == "yes").mean() == pytest.approx(fcr["value"], abs=APPROX)
    assert (table["fcr_status"] == "open").sum() == fcr["breakdown"]["open"]
    sla = _result(run_cli, "sla", TICKETS, "-c", CONFIG)
    used = table[table["sla_status"] == "used"]
    assert 100 * (used["sla_met"] == "yes").mean() == pytest.approx(sla["value"], abs=APPROX)
    assert (table["sla_status"] == "pending").sum() == sla["breakdown"]["pending"]
    breached = used[used["sla_breached"] == "yes"]
    # every breach says by how much, on the metric it breached
    over = breached[["sla_frt_over_by_minutes", "sla_resolution_over_by_minutes"]].astype(float)
    assert over.notna().any(axis=1).all() and (over.fillna(1) > 0).all().all()


def test_rows_reconcile_with_csat_on_the_sample_surveys(run_cli):
    code, out, err = run_cli("rows", SURVEYS, "-c", CONFIG, "--kpis", "csat", "-q")
    assert code == 0, err
    table = _csv(out)
    csat = _result(run_cli, "csat", SURVEYS, "-c", CONFIG)
    used = table[table["csat_status"] == "used"]
    assert len(used) == csat["n"]
    assert 100 * (used["csat_satisfied"] == "yes").mean() == pytest.approx(csat["value"], abs=APPROX)
    assert used["csat_score"].astype(float).mean() == pytest.approx(csat["breakdown"]["mean"], abs=APPROX)
    assert _reasons(table, "csat") == {r: v["count"] for r, v in csat["skipped"]["reasons"].items()}
    # --where survey=CSAT (the config's): only CSAT rows; unanswered invitations are counted apart
    assert len(table) == (pd.read_csv(SURVEYS)["Survey"] == "CSAT").sum()
    assert (table["csat_status"] == "excluded").sum() + csat["rows"] == len(table)


def test_rows_reconcile_for_one_group_with_by_channel(run_cli):
    code, out, err = run_cli("rows", TICKETS, "-c", CONFIG, "--kpis", "frt,fcr", "--by", "channel", "-q")
    assert code == 0, err
    table = _csv(out)
    for kpi in ("frt", "fcr"):
        result = _result(run_cli, kpi, TICKETS, "-c", CONFIG, "--by", "channel")
        group = next(g for g in result["groups"] if g["key"] == {"channel": "email"})
        mine = table[table["channel"] == "email"]
        used = mine[mine[f"{kpi}_status"] == "used"]
        assert len(used) == group["n"]
        value = used["frt_minutes"].astype(float).mean() if kpi == "frt" else \
            100 * (used["fcr_first_contact"] == "yes").mean()
        assert value == pytest.approx(group["value"], abs=APPROX)
        assert _reasons(mine, kpi) == {r: v["count"] for r, v in group["skipped"]["reasons"].items()}


# ---------------------------------------------------------------- six tickets, worked by hand
SIX = (
    "Ticket ID,Created At,First Response At,Resolved At,Channel,Agent Replies,Reopens\n"
    "T1,2025-05-05 09:00,2025-05-05 09:30,2025-05-05 11:00,email,1,0\n"     # row 2
    "T2,2025-05-05 10:00,2025-05-05 11:00,2025-05-06 10:00,chat,3,0\n"      # row 3
    "T3,2025-05-05 12:00,,,email,0,0\n"                                     # row 4
    "T4,2025-05-05 12:00,2025-05-05 11:00,2025-05-05 13:00,chat,1,1\n"      # row 5
    "T5,not a date,2025-05-05 14:00,2025-05-05 15:00,email,1,0\n"           # row 6
    "=1+2,2025-05-06 09:00,2025-05-06 09:15,2025-05-06 09:45,@cmd,1,0\n"    # row 7
)


@pytest.fixture
def six(tmp_path):
    path = tmp_path / "six.csv"
    path.write_text(SIX)
    return path


def test_six_tickets_worked_by_hand(run_cli, six):
    code, out, err = run_cli("rows", six, "--kpis", "frt,resolution,fcr,sla", "--set", "sla.frt-target=45m")
    assert code == 0, err
    t = _csv(out).set_index("row")
    assert list(t.index) == ["2", "3", "4", "5", "6", "7"]
    # FRT: 30 (row 2), 60 (row 3), 15 (row 7) minutes -> n 3, mean 105 / 3 = 35; row 4 has no response
    # yet; row 5 answered before it was created; row 6's created_at cannot be read
    assert list(t["frt_status"]) == ["used", "used", "unanswered", "skipped", "skipped", "used"]
    assert t.loc["5", "frt_skipped"] == "first_response_at before created_at (negative duration)"
    assert t.loc["6", "frt_skipped"] == "created_at: unreadable value"
    assert t["frt_minutes"].dropna().astype(float).tolist() == [30.0, 60.0, 15.0]
    assert t["frt_minutes"].dropna().astype(float).mean() == 35.0
    # resolution: 120 (2), 1440 (3: 10:00 to 10:00 the next day), 60 (5), 45 (7) -> n 4; row 4 open
    assert list(t["resolution_status"]) == ["used", "used", "open", "used", "skipped", "used"]
    assert t["resolution_minutes"].dropna().astype(float).tolist() == [120.0, 1440.0, 60.0, 45.0]
    # FCR one-touch (agent_replies <= 1 and reopens = 0) over resolved tickets: yes 2, 6, 7; no 3 (3 replies),
    # 5 (reopened); row 4 open. fcr reads no created_at, so row 6's bad date does not skip it: 3 / 5 = 60 %
    assert list(t["fcr_status"]) == ["used", "used", "open", "used", "used", "used"]
    assert list(t["fcr_first_contact"].fillna("")) == ["yes", "no", "", "no", "yes", "yes"]
    assert list(t["fcr_value"].fillna("").map(lambda v: v and float(v))) == [100.0, 0.0, "", 0.0, 100.0, 100.0]
    # SLA, FRT target 45 min: met 2 (30) and 7 (15); breached 3 (60: by 15) and 4 (unanswered; judged at the
    # latest timestamp, row 3's 2025-05-06 10:00: waited 22 h = 1320 min, by 1275); 5 and 6 skipped as for FRT
    assert list(t["sla_status"]) == ["used", "used", "used", "skipped", "skipped", "used"]
    assert list(t["sla_met"].fillna("")) == ["yes", "no", "no", "", "", "yes"]
    assert list(t["sla_breached"].fillna("")) == ["no", "yes", "yes", "", "", "no"]
    assert t.loc["3", "sla_frt_over_by_minutes"] == "15.0" and t.loc["4", "sla_frt_over_by_minutes"] == "1275.0"
    assert t["sla_frt_over_by_minutes"].notna().sum() == 2
    # untrusted text: the id and the channel of row 7 would run as formulas in a spreadsheet
    assert t.loc["7", "ticket_id"] == "'=1+2"
    # the KPIs themselves agree: FRT mean 35 over 3, SLA 2 of 4 = 50 %, FCR 60 % over 5
    frt = _result(run_cli, "frt", six)
    assert (frt["value"], frt["n"]) == (35.0, 3)
    sla = _result(run_cli, "sla", six, "--frt-target", "45m")
    assert (sla["value"], sla["n"]) == (50.0, 4)
    fcr = _result(run_cli, "fcr", six)
    assert (fcr["value"], fcr["n"]) == (60.0, 5)


def test_by_period_and_where_apply_as_for_the_kpi(run_cli, six):
    code, out, err = run_cli("rows", six, "--kpis", "frt", "--by", "channel", "--period", "day",
                             "--where", "channel=email")
    assert code == 0, err
    t = _csv(out)
    # channel=email keeps rows 2, 4 and 6 (T1, T3, T5); row 6's date is unreadable, so its period is empty
    assert list(t["row"]) == ["2", "4", "6"]
    assert list(t["channel"]) == ["email"] * 3
    assert list(t["period"].fillna("")) == ["2025-05-05", "2025-05-05", ""]
    assert list(t.columns[:4]) == ["row", "ticket_id", "channel", "period"]
    code, out, err = run_cli("rows", six, "--kpis", "frt", "--since", "2025-05-06")
    # created on or after 2025-05-06: row 7 only, plus row 6, whose unreadable created_at cannot be windowed
    assert list(_csv(out)["row"]) == ["6", "7"]


def test_business_minutes_beside_calendar_minutes(run_cli, tmp_path):
    path = tmp_path / "t.csv"
    # created Friday 16:00, answered Monday 10:00: calendar 3 days − 6 h = 66 h = 3960 min;
    # Mon–Fri 09:00–17:00: Friday 16–17 (60) + Monday 09–10 (60) = 120 business minutes
    path.write_text("ticket_id,created_at,first_response_at\nA,2025-05-09 16:00,2025-05-12 10:00\n")
    code, out, err = run_cli("rows", path, "--kpis", "frt", "--business-hours", "Mon-Fri 09:00-17:00",
                             "-f", "json")
    assert code == 0, err
    line = json.loads(out.splitlines()[0])
    assert (line["frt_minutes"], line["frt_business_minutes"], line["frt_value"]) == (3960.0, 120.0, 120.0)
    assert len(out.splitlines()) == 1  # JSON Lines: one object a line


def test_xlsx_output_keeps_formula_text_as_text(run_cli, six, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    target = tmp_path / "per_ticket.xlsx"
    code, _, err = run_cli("rows", six, "--kpis", "frt,fcr", "-o", target)
    assert code == 0, err
    ws = openpyxl.load_workbook(target).active
    rows_ = list(ws.iter_rows(values_only=True))
    header = rows_[0]
    last = dict(zip(header, rows_[-1]))  # row 7
    assert last["row"] == 7 and last["ticket_id"] == "'=1+2" and last["frt_minutes"] == 15
    assert last["fcr_first_contact"] == "yes"
    raw = tmp_path / "raw.xlsx"
    code, _, err = run_cli("rows", six, "--kpis", "frt", "-o", raw, "--raw")
    assert code == 0, err
    cell = openpyxl.load_workbook(raw).active.cell(row=7, column=2)  # header + rows 2..7: T6's id
    assert cell.value == "=1+2" and cell.data_type == "s"  # as typed, and still text, never a formula


def test_parquet_output_reads_back(run_cli, six, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "per_ticket.parquet"
    code, _, err = run_cli("rows", six, "--kpis", "frt,fcr", "-o", target)
    assert code == 0, err
    data = pq.read_table(target).to_pydict()
    assert data["row"] == [2, 3, 4, 5, 6, 7]
    assert data["frt_minutes"] == [30.0, 60.0, None, None, None, 15.0]
    assert data["fcr_first_contact"] == [True, False, None, False, True, True]
    assert data["ticket_id"][-1] == "=1+2"  # Parquet is data for programs: the value as it was


def test_refuses_kpis_that_are_not_per_item(run_cli, six):
    for kpi, why in (("topics", "once per tag or topic"), ("volume", "per period")):
        code, out, err = run_cli("rows", six, "--kpis", f"frt,{kpi}")
        assert code == 2 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and f"{kpi} is not per-item" in lines[0] and why in lines[0]
        assert "per-item KPIs: nps, csat" in lines[0] and "topics," not in lines[0]


def test_one_file_per_run_and_never_over_an_input(run_cli, six):
    code, _, err = run_cli("rows", "--kpis", "csat,frt", "-c", CONFIG)
    assert code == 2 and "read different files" in err
    before = six.read_bytes()
    code, _, err = run_cli("rows", six, "--kpis", "frt", "-o", six.with_suffix(".csv"))
    assert code == 2 and "a file this run reads" in err
    assert six.read_bytes() == before
    code, _, err = run_cli("rows", six, "--kpis", "frt", "-f", "xlsx")
    assert code == 2 and "give --output" in err


def test_rows_help_imports_no_dataframe_library():
    code = ("import sys\nfrom cxkpi.cli.app import main\ntry:\n    main(['rows', '--help'])\n"
            "except SystemExit:\n    pass\n"
            "print('LOADED', [m for m in ('pandas', 'cxkpi.engine') if m in sys.modules])\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert "cxkpi rows sample_data/tickets.csv" in run.stdout
    assert "LOADED []" in run.stdout


# ---------------------------------------------------------------- every per-item KPI adds up
def test_the_per_item_list_matches_what_the_measures_do():
    for name, spec in load_all().items():
        if spec.periodic or spec.group_key:
            assert not per_item(spec)
            continue
        try:
            measured = spec.measure(synthetic(spec), {**spec.defaults(), **REQUIRED_SETTINGS.get(name, {})})
        except MissingExtraError:
            continue
        repeats = bool(measured.keys) or measured.values.index.has_duplicates
        assert repeats == (name in REPEATS_ROWS), name
    assert "frt" in per_item_names() and "topics" not in per_item_names()


@pytest.mark.parametrize("name", [n for n in sorted(load_all()) if per_item(load_all()[n])])
def test_every_per_item_kpi_reconciles_on_synthetic_data(name):
    spec = load_all()[name]
    frame = synthetic(spec)
    data = Dataset(frame=frame, source=spec.source_for(frame.columns) or spec.source, file="<frame>",
                   headers=list(frame.columns))
    request = Request(settings=REQUIRED_SETTINGS.get(name, {}))
    try:
        table = rows(spec, data, request)
    except MissingExtraError:
        pytest.skip("optional library missing")
    result = compute(spec, data, request)
    status = table[f"{name}_status"]
    weight = table[f"{name}_n"] if f"{name}_n" in table.columns else (status == "used").astype(int)
    assert weight.sum() == result.n
    assert (status == "skipped").sum() == result.skipped.total
    assert set(status.dropna()) <= {"used", "skipped", "excluded", "not counted", "unanswered", "open",
                                    "no_answer", "pending"} | set(table.columns), set(status)


def test_the_examples_in_docs_rows_run(run_cli, tmp_path, monkeypatch):
    import shlex
    import shutil

    shutil.copytree(SAMPLE, tmp_path / "sample_data")
    shutil.copy(CONFIG, tmp_path / "config.example.yaml")
    monkeypatch.chdir(tmp_path)
    lines = [l.split(" | ")[0] for l in (ROOT / "docs" / "rows.md").read_text().splitlines()
             if l.startswith("cxkpi rows ")]
    assert len(lines) >= 4
    for line in lines:
        code, out, err = run_cli(*shlex.split(line)[1:], "-q")
        assert code == 0, (line, err)
    # the reconciliation recipe's numbers: cxkpi frt's n and mean, cxkpi fcr's share
    t = pd.read_csv(tmp_path / "per_ticket.csv")
    used = t[t.frt_status == "used"]
    frt = _result(run_cli, "frt", "-c", "config.example.yaml")
    assert (len(used), round(used.frt_minutes.mean(), 2)) == (frt["n"], round(frt["value"], 2)) == (5800, 364.23)


def test_by_a_joined_column_reconciles_as_the_kpi(run_cli, tmp_path):
    config = tmp_path / "joins.yaml"
    config.write_text(
        "sources:\n"
        f"  surveys:\n    file: {SAMPLE / 'ticket_surveys.csv'}\n"
        "    columns: {response_id: Response ID, ticket_id: Ticket ID, responded_at: Responded At, score: Score}\n"
        f"  tickets:\n    file: {TICKETS}\n"
        "joins:\n  - surveys.ticket_id -> tickets.ticket_id\n")
    code, out, err = run_cli("rows", "-c", config, "--kpis", "csat", "--by", "tickets.topic", "-q")
    assert code == 0, err
    table = _csv(out)
    csat = _result(run_cli, "csat", "-c", config, "--by", "tickets.topic")
    assert (table["csat_status"] == "used").sum() == csat["n"]
    assert _reasons(table, "csat") == {r: v["count"] for r, v in csat["skipped"]["reasons"].items()}
    assert "a survey for an unknown ticket" in _reasons(table, "csat")
    group = csat["groups"][0]
    mine = table[(table["tickets.topic"] == group["key"]["tickets.topic"]) & (table["csat_status"] == "used")]
    assert len(mine) == group["n"]


def test_set_gives_a_kpi_setting_or_says_what_it_takes(run_cli, six):
    code, out, err = run_cli("rows", six, "--kpis", "frt", "--set", "frt.unit=h", "-f", "json")
    assert code == 0, err
    # row 2: 30 minutes = 0.5 h as the KPI's value; the measure column stays in minutes
    first = json.loads(out.splitlines()[0])
    assert (first["frt_value"], first["frt_minutes"]) == (0.5, 30.0)
    code, _, err = run_cli("rows", six, "--kpis", "frt", "--set", "frt.bogus=1")
    assert code == 2 and "frt has no setting 'bogus'" in err
    code, _, err = run_cli("rows", six, "--kpis", "frt", "--set", "fcr.rule=contacts")
    assert code == 2 and "'fcr' is not one of --kpis" in err


def test_rows_of_a_folder_of_exports(run_cli, six, tmp_path):
    # SIX split into two files of a folder: the rows are SIX's, row numbers running on from file to file
    # (rows 2–4 in a.csv, 5–7 in b.csv), so FRT's statuses are test_six_tickets_worked_by_hand's
    header, *lines = SIX.splitlines(keepends=True)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text(header + "".join(lines[:3]))
    (folder / "b.csv").write_text(header + "".join(lines[3:]))
    code, out, err = run_cli("rows", folder, "--kpis", "frt")
    assert code == 0, err
    t = _csv(out).set_index("row")
    assert list(t.index) == ["2", "3", "4", "5", "6", "7"]
    assert list(t["frt_status"]) == ["used", "used", "unanswered", "skipped", "skipped", "used"]
    # and one of the folder's files is an input: never written over
    code, _, err = run_cli("rows", folder, "--kpis", "frt", "-o", folder / "b.csv")
    assert code == 2 and "a file this run reads" in err
    assert (folder / "b.csv").read_text() == header + "".join(lines[3:])

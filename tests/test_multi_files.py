"""Several files per source (issue #16 part 1): a glob, a folder or a config's `files:` list is one source."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxkpi.io.files import FILES_NOTE
from cxkpi.registry import load_all

from .conftest import SAMPLE

# sample file -> the column its rows are split by: tickets and surveys by half month (six months of
# data, so 12 files: 2025-05-a = 1st-15th, 2025-05-b = 16th-31st); the other sources in 12 runs of rows
SPLIT_BY = {"tickets": "Created At", "surveys": "Sent At"}
OTHERS = ("calls", "chats", "kb", "orders", "subscriptions", "agents", "ticket_events")


def _read(name: str) -> pd.DataFrame:
    """The sample file's cells as written (no type guessing, empty cells stay empty)."""
    return pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)


def _split(name: str) -> list[tuple[str, pd.DataFrame]]:
    data = _read(name)
    if name in SPLIT_BY:
        t = pd.to_datetime(data[SPLIT_BY[name]], errors="coerce")
        key = t.dt.strftime("%Y-%m") + np.where(t.dt.day <= 15, "-a", "-b")
        key = key.where(t.notna()).ffill().bfill()  # a row with an unreadable time stays beside its neighbour
        return [(f"{name}-{k}.csv", part) for k, part in data.groupby(key, sort=True)]
    chunks = np.array_split(np.arange(len(data)), 12)
    return [(f"{name}-{i + 1:02d}.csv", data.iloc[c]) for i, c in enumerate(chunks)]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """source -> (folder of 12 files, the one file of their rows in sorted name order).

    Every other file has its columns in reverse order and an extra column, as a tool's export
    changes from one month to the next: the mapping is found in each file's own header.
    """
    root = tmp_path_factory.mktemp("monthly")
    out = {}
    for name in (*SPLIT_BY, *OTHERS):
        folder = root / name
        folder.mkdir()
        parts = _split(name)
        assert len(parts) == 12, [n for n, _ in parts]
        for i, (file, part) in enumerate(parts):
            if i % 2:
                part = part[part.columns[::-1]].assign(**{"Export Batch": str(i)})
            part.to_csv(folder / file, index=False)
        whole = pd.concat([part for _, part in sorted(parts, key=lambda p: p[0])])
        single = root / f"{name}-all.csv"
        whole.to_csv(single, index=False)
        out[name] = (folder, single)
    return out


def _comparable(result: dict) -> dict:
    """The result without what names files or rows: file, files, skipped row numbers, the files note."""
    result = {k: v for k, v in result.items() if k not in ("file", "files")}
    result["notes"] = [n for n in result["notes"] if not n.startswith(FILES_NOTE)]

    def counts(skipped: dict) -> dict:
        return {"total": skipped["total"], "reasons": {r: v["count"] for r, v in skipped["reasons"].items()}}

    result["skipped"] = counts(result["skipped"])
    result["groups"] = [{**g, "skipped": counts(g["skipped"])} for g in result["groups"]]
    return result


KPIS = sorted(load_all())
# what a KPI needs beyond its file; --period month: a total and groups, each with its skipped rows
SETTINGS = {"sla": ["--frt-target", "60m", "--resolution-target", "24h"], "cost-per-resolution": ["--cost", "42000"]}


@pytest.mark.parametrize("kpi", KPIS)
def test_a_folder_of_12_files_gives_the_concatenated_files_result(run_cli, folders, kpi, monkeypatch):
    """The folder read whole is the concatenated file's result, and the folder streamed is the folder read
    whole: one test, so the folder's whole read (the reference of both) runs once."""
    args = ["--period", "month", *SETTINGS.get(kpi, []), "-f", "json", "-q"]
    monkeypatch.delenv("CXKPI_BATCH_BYTES", raising=False)
    # the first of the KPI's sources whose sample file it computes from (requester-wait: ticket_events)
    for source in [s for s in load_all()[kpi].sources if s in folders]:
        folder, single = folders[source]
        code, out_one, err = run_cli(kpi, single, *args)
        if code == 0:
            break
    assert code == 0, err
    code, out_many, err = run_cli(kpi, folder, *args)
    assert code == 0, err
    one, many = json.loads(out_one), json.loads(out_many)
    assert one["n"] > 0  # not vacuous: the sample data gives this KPI a value
    assert many["file"] == str(folder) and len(many["files"]) == 12 and "files" not in one
    assert _comparable(many) == _comparable(one)
    assert f"{FILES_NOTE}12 files, " in " ".join(many["notes"])
    # the rows listed as skipped are named by a file of the folder and a row of a data line
    for reason in many["skipped"]["reasons"].values():
        assert all(r["file"] in many["files"] and r["row"] >= 2 for r in reason["rows"])
    # batches of 4 KB make each monthly sample file a stream of batches: a KPI with a statistic is
    # aggregated file by file and batch by batch (io.files.FilesStream); every number, skipped row
    # (file and row) and note must be the concatenated files' own (the folder's whole read above)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "4096")
    code, streamed, err = run_cli(kpi, folder, *args)
    assert code == 0, err
    assert json.loads(streamed) == json.loads(out_many)


def _two_months(tmp_path):
    """Two files, the second with its columns in another order and an extra column."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "tickets-2025-05.csv").write_text(
        "Ticket ID,Created At,First Response At\n"
        "A1,2025-05-01 09:00,2025-05-01 09:30\n"       # row 2: 30 minutes
        "A2,not a date,2025-05-01 10:00\n")            # row 3: created_at unreadable
    (folder / "tickets-2025-06.csv").write_text(
        "First Response At,Region,Ticket ID,Created At\n"
        "2025-06-01 09:10,EU,B1,2025-06-01 09:00\n"    # row 2: 10 minutes
        "2025-06-01 08:00,EU,B2,2025-06-01 09:00\n"    # row 3: responded before created
        "2025-06-01 09:20,EU,B3,garbage\n")            # row 4: created_at unreadable
    return folder


def test_skipped_rows_name_their_file_and_row(run_cli, tmp_path):
    folder = _two_months(tmp_path)
    may, june = str(folder / "tickets-2025-05.csv"), str(folder / "tickets-2025-06.csv")
    code, out, err = run_cli("frt", folder, "-f", "json", "-q")
    assert code == 0, err
    result = json.loads(out)
    assert result["files"] == [may, june]
    assert result["n"] == 2 and result["value"] == 20.0  # (30 + 10) / 2 minutes
    reasons = result["skipped"]["reasons"]
    assert reasons["created_at: unreadable value"] == {
        "count": 2, "rows": [{"file": may, "row": 3}, {"file": june, "row": 4}]}
    assert reasons["first_response_at before created_at (negative duration)"] == {
        "count": 1, "rows": [{"file": june, "row": 3}]}
    code, out, err = run_cli("frt", folder)
    assert code == 0, err
    text = " ".join(out.split())  # the table wraps long lines
    assert f"({may} row 3; {june} row 4…)" in text
    assert f"({june} row 3…)" in text
    assert "read 2 files, 5 rows" in text


def test_strict_names_the_file_and_row(run_cli, tmp_path):
    folder = _two_months(tmp_path)
    code, _out, err = run_cli("frt", folder, "--strict")
    assert code == 1
    # the first unusable row in reading order: May's row 3; 3 rows in all (2 unreadable, 1 negative)
    assert f"{folder / 'tickets-2025-05.csv'} row 3: created_at: unreadable value (--strict; 3 unusable rows in all)" \
        in err


def test_a_quoted_glob_is_one_source_read_in_name_order(run_cli, tmp_path):
    folder = _two_months(tmp_path)
    (folder / "notes.txt").write_text("not an export")
    pattern = str(folder / "tickets-*.csv")
    code, out, err = run_cli("frt", pattern, "--period", "month", "-f", "json", "-q")
    assert code == 0, err
    result = json.loads(out)
    assert result["file"] == pattern
    assert result["files"] == [str(folder / "tickets-2025-05.csv"), str(folder / "tickets-2025-06.csv")]
    # May: A1 30 min (A2 has no readable time); June: B1 10 min
    assert [(g["key"]["period"], g["value"], g["n"]) for g in result["groups"]] == [("2025-05", 30.0, 1),
                                                                                     ("2025-06", 10.0, 1)]


def test_a_glob_matching_nothing_is_a_one_line_error(run_cli, tmp_path):
    pattern = str(tmp_path / "exports" / "tickets-2026-*.csv")
    code, out, err = run_cli("frt", pattern)
    assert code == 1 and out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"cxkpi: error: {pattern}: no file matches this pattern")


def test_a_file_missing_a_mapped_column_is_an_error_naming_it(run_cli, tmp_path):
    folder = _two_months(tmp_path)
    (folder / "tickets-2025-07.csv").write_text("Ticket ID,Created At\nC1,2025-07-01 09:00\n")
    code, _out, err = run_cli("frt", folder)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"cxkpi: error: {folder / 'tickets-2025-07.csv'}: no column for 'first_response_at' "
                               f"({folder / 'tickets-2025-05.csv'} has it as 'First Response At')")


def test_one_file_keeps_its_result_shape(run_cli, tmp_path):
    folder = _two_months(tmp_path)
    code, out, err = run_cli("frt", folder / "tickets-2025-06.csv", "-f", "json", "-q")
    assert code == 0, err
    result = json.loads(out)
    assert "files" not in result and result["file"] == str(folder / "tickets-2025-06.csv")
    assert result["skipped"]["reasons"]["created_at: unreadable value"]["rows"] == [4]


def _config(tmp_path, files: str, extra: str = "") -> str:
    (tmp_path / "archive").mkdir()
    (tmp_path / "exports").mkdir()
    (tmp_path / "archive" / "tickets-2025-04.csv").write_text(
        "Ticket ID,Created At,First Response At\nZ1,2025-04-30 09:00,2025-04-30 10:00\n")  # 60 minutes
    (tmp_path / "exports" / "tickets-2025-05.csv").write_text(
        "Created At,First Response At,Ticket ID\n2025-05-02 09:00,2025-05-02 09:20,A1\n")  # 20 minutes
    cfg = tmp_path / "cxkpi.yaml"
    cfg.write_text(f"sources:\n  tickets:\n    files: {files}\n{extra}")
    return str(cfg)


def test_files_in_the_config_are_read_from_the_configs_folder(run_cli, tmp_path, monkeypatch):
    cfg = _config(tmp_path, "[exports/*.csv, archive/*.csv]")
    monkeypatch.chdir(tmp_path / "exports")  # not the config's folder
    code, out, err = run_cli("frt", "-c", cfg, "-f", "json", "-q")
    assert code == 0, err
    result = json.loads(out)
    assert result["file"] == "exports/*.csv, archive/*.csv"
    # sorted name order: archive/ before exports/
    assert result["files"] == [str(tmp_path / "archive" / "tickets-2025-04.csv"),
                               str(tmp_path / "exports" / "tickets-2025-05.csv")]
    assert result["n"] == 2 and result["value"] == 40.0  # (60 + 20) / 2


def test_a_report_reads_a_sources_files(run_cli, tmp_path):
    cfg = _config(tmp_path, "[exports/*.csv, archive/*.csv]", "kpis:\n  frt: {}\n")
    code, out, err = run_cli("report", "-c", cfg, "-f", "json", "-q")
    assert code == 0, err
    entry = next(k for k in json.loads(out)["kpis"] if k["kpi"] == "frt")
    assert entry["result"]["value"] == 40.0 and len(entry["result"]["files"]) == 2


def test_a_report_marks_a_source_with_a_bad_file_failed_when_told_to_continue(run_cli, tmp_path):
    cfg = _config(tmp_path, "[exports/*.csv, archive/*.csv]",
                  "kpis:\n  frt: {}\nreport:\n  on_source_error: continue\n")
    (tmp_path / "exports" / "tickets-2025-06.csv").write_text("Ticket ID,Created At\nB1,2025-06-01 09:00\n")
    code, out, err = run_cli("report", "-c", cfg, "-f", "json", "-q")
    assert code == 1 and "source failed: tickets: " in err  # the report is written, the exit says a source failed
    failed = json.loads(out)["failed_sources"]
    assert list(failed) == ["tickets"] and "tickets-2025-06.csv: no column for 'first_response_at'" in failed["tickets"]


@pytest.mark.parametrize("files, problem", [
    ("[]", "sources.tickets.files: the list is empty"),
    ("[missing/]", "sources.tickets.files[0]: no such file or folder 'missing/'"),
    ("[3]", "sources.tickets.files[0]: expected a file, a folder or a glob"),
])
def test_config_files_are_checked(run_cli, tmp_path, files, problem):
    cfg = _config(tmp_path, files)
    code, _out, err = run_cli("frt", "-c", cfg)
    assert code == 2 and problem in err


def test_a_file_whose_time_column_is_empty_joins_zoned_files(run_cli, tmp_path):
    # the newest month has no first response yet: its empty column has no zone, so it does not
    # disagree with the UTC times of the month before (it was "holds times without a time zone")
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "t-2025-03.csv").write_text("ticket_id,created_at,first_response_at\n"
                                          "T1,2025-03-01T09:00:00Z,2025-03-01T09:10:00Z\n"
                                          "T2,2025-03-01T09:00:00Z,2025-03-01T09:20:00Z\n", encoding="utf-8")
    (folder / "t-2025-04.csv").write_text("ticket_id,created_at,first_response_at\n"
                                          "T3,2025-04-01T09:00:00Z,\nT4,2025-04-01T09:00:00Z,\n", encoding="utf-8")
    code, out, err = run_cli("frt", folder, "-f", "json", "-q")
    assert code == 0, err
    result = json.loads(out)
    # 10 and 20 minutes answered (mean 15); T3 and T4 unanswered
    assert result["n"] == 2 and result["value"] == pytest.approx(15.0)
    assert result["breakdown"]["unanswered"] == 2


def test_a_folder_is_streamed_without_joining_its_files(run_cli, folders, monkeypatch):
    import cxkpi.io.files as files

    folder, _ = folders["tickets"]
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "4096")
    monkeypatch.setattr(files, "concat", lambda *a: pytest.fail("the files were concatenated: not streamed"))
    code, out, err = run_cli("frt", folder, "--period", "month", "-f", "json", "-q")
    assert code == 0, err
    assert len(json.loads(out)["files"]) == 12

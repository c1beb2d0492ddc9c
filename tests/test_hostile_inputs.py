"""Hostile inputs, second round (issue 14, classes 5-9): the reader chosen by content, workbook bounds
checked before expansion, pipes and special paths, --max-groups, dates and zones.

Every error is one line naming the file and the way out, with the exit code docs/errors.md gives.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
sys.path.insert(0, str(ROOT / "scripts"))
import make_corpus  # noqa: E402

OK = b"Response ID,Responded At,Channel,Score\n1,2025-01-01 10:00,web,10\n2,2025-01-02 10:00,web,9\n" \
     b"3,2025-01-03 10:00,web,7\n4,2025-01-04 10:00,web,3\n"
# OK: promoters 10, 9; passive 7; detractor 3 -> (2 - 1) / 4 = 25 points


def _error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("cxkpi: error: "), err
    return lines[0]


def _json(out: str) -> dict:
    return json.loads(out)


# --- class 5: the reader is chosen by the content -------------------------------------------------

@pytest.mark.parametrize("name, message", [
    ("legacy_97_2003.xls", "legacy_97_2003.xls: a legacy Excel 97-2003 .xls workbook, which cxkpi does not read; "
                           "open it in Excel or LibreOffice and save it as .xlsx or CSV"),
    ("legacy_named.xlsx", "legacy_named.xlsx: a legacy Excel 97-2003 .xls workbook"),
    ("encrypted_workbook.xlsx", "encrypted_workbook.xlsx: an encrypted (password-protected) workbook, which cxkpi "
                                "cannot read; remove the password in Excel (File > Info > Protect Workbook) and save "
                                "it as .xlsx or CSV"),
    ("binary_workbook.xlsb", "binary_workbook.xlsb: a binary Excel workbook (.xlsb), which cxkpi does not read; "
                             "open it in Excel and save it as .xlsx or CSV"),
    ("opendocument.ods", "opendocument.ods: an OpenDocument spreadsheet (.ods), which cxkpi does not read; save it "
                         "as .xlsx or CSV (LibreOffice: File > Save As)"),
    ("html_doctype.xlsx", "html_doctype.xlsx: an HTML/XML page, not a CSV or .xlsx file"),
])
def test_formats_cxkpi_does_not_read_each_have_their_message(run_cli, name, message):
    code, out, err = run_cli("nps", str(CORPUS / name))
    assert code == 1 and out == ""
    assert message in _error(err), err


def test_an_ole2_file_that_is_no_workbook(run_cli, tmp_path):
    p = tmp_path / "letter.doc"
    p.write_bytes(make_corpus._ole2(["WordDocument"]))
    code, _out, err = run_cli("nps", str(p))
    assert code == 1 and "letter.doc: a legacy Office (OLE2) file, not a workbook cxkpi reads" in _error(err)


def test_an_opendocument_text_is_not_a_spreadsheet(run_cli, tmp_path):
    p = tmp_path / "notes.xlsx"
    p.write_bytes(make_corpus._rezip(make_corpus._xlsx([["Score"], [9]]), {
        "mimetype": b"application/vnd.oasis.opendocument.text", "xl/workbook.xml": None}))
    code, _out, err = run_cli("nps", str(p))
    assert code == 1 and "notes.xlsx: an OpenDocument file (application/vnd.oasis.opendocument.text), " \
                         "not a spreadsheet" in _error(err)


@pytest.mark.parametrize("name", ["xlsx_named.csv", "xlsx_no_extension", "chart_sheet_first.xlsx"])
def test_a_workbook_is_read_whatever_its_name(run_cli, name):
    # weird.xlsx's rows: scores 9, "ten", 10, 42 -> 9 and 10 are promoters, n = 2, NPS = 100; "ten" (row 3)
    # is not a number and 42 is off the scale: 2 skipped
    code, out, err = run_cli("nps", str(CORPUS / name), "--format", "json")
    assert code == 0, err
    result = _json(out)
    assert (result["n"], result["value"], result["skipped"]["total"]) == (2, 100.0, 2)


def test_inspect_reads_a_workbook_with_no_extension(run_cli):
    code, out, err = run_cli("inspect", str(CORPUS / "xlsx_no_extension"))
    assert code == 0, err
    assert "Score" in out


def test_a_chart_sheet_named_by_sheet_is_refused(run_cli):
    code, _out, err = run_cli("nps", str(CORPUS / "chart_sheet_first.xlsx"), "--sheet", "Chart")
    assert code == 1
    assert _error(err).endswith("chart_sheet_first.xlsx: sheet 'Chart' is a chart, not a sheet of cells "
                                "(sheets of cells: 'Data')")


# --- class 5/7: workbook bounds before expansion ---------------------------------------------------

def test_declared_dimension_over_excels_limit(run_cli):
    code, _out, err = run_cli("nps", str(CORPUS / "xlsx_dimension_6m_rows.xlsx"))
    assert code == 1
    assert _error(err).endswith("xlsx_dimension_6m_rows.xlsx: sheet 'Sheet1' declares 6,000,000 rows x 4 columns, "
                                "over Excel's limit of 1,048,576 x 16,384 (not a workbook Excel wrote); "
                                "export it as CSV")


def test_declared_uncompressed_size_over_the_limit(run_cli):
    # sharedStrings.xml declares 5 << 29 bytes = 2,684,354,560 = 2,560.0 MB, over 2,048 MB; the file is a few KB
    assert (CORPUS / "xlsx_declares_2_5_gib.xlsx").stat().st_size < 10_000
    code, _out, err = run_cli("nps", str(CORPUS / "xlsx_declares_2_5_gib.xlsx"))
    assert code == 1
    assert "the workbook expands to 2,560.0 MB, over the 2,048 MB input limit (a zip bomb?; raise " \
           "CXKPI_MAX_FILE_MB if it is real)" in _error(err)


def test_an_honest_zip_bomb_is_refused_by_its_declared_size(run_cli, tmp_path, monkeypatch):
    # one 3 MiB string deflates to a few KB; with a 1 MB limit the declared 3 MiB + the other parts is over it
    p = tmp_path / "bomb.xlsx"
    p.write_bytes(make_corpus._entity_free_strings(make_corpus._xlsx([["Score"], [9]]), "9" * (3 << 20)))
    assert p.stat().st_size < 50_000
    monkeypatch.setenv("CXKPI_MAX_FILE_MB", "1")
    code, _out, err = run_cli("nps", str(p))
    assert code == 1 and "the workbook expands to 3.0 MB, over the 1 MB input limit" in _error(err), err


def test_a_shared_string_over_the_cell_cap_before_any_row(run_cli):
    code, _out, err = run_cli("nps", str(CORPUS / "xlsx_shared_string_2mb.xlsx"))
    assert code == 1
    assert "the workbook holds a text of 2,097,152 characters, over the cell limit of 1,048,576 (raise " \
           "CXKPI_MAX_CELL_CHARS if it is real)" in _error(err)


def test_more_rows_than_declared_stop_at_the_row_limit(run_cli, tmp_path, monkeypatch):
    """A sheet that hides its size (no dimension) stops at Excel's row limit, lowered here to 4."""
    from cxkpi.io import read

    monkeypatch.setattr(read, "EXCEL_MAX_ROWS", 4)
    p = tmp_path / "long.xlsx"
    p.write_bytes(make_corpus._xlsx([["Score"], [9], [9], [9], [9]]))  # header + 4 rows = 5 rows > 4
    code, _out, err = run_cli("nps", str(p))
    assert code == 1
    assert "long.xlsx: sheet 'Sheet1' declares 5 rows x 1 columns, over Excel's limit of 4" in _error(err)
    p.write_bytes(make_corpus._rezip(p.read_bytes(), {"xl/worksheets/sheet1.xml": zipfile.ZipFile(p).read(
        "xl/worksheets/sheet1.xml").replace(b'<dimension ref="A1:A5" />', b"")}))
    code, _out, err = run_cli("nps", str(p))
    assert code == 1
    assert "long.xlsx: sheet 'Sheet1' has more than 4 rows, Excel's limit (not a workbook Excel wrote)" in _error(err)


# --- class 7: CSV caps ---------------------------------------------------------------------------

def test_a_cell_longer_than_a_read_block_gets_the_cell_cap_message(run_cli, tmp_path):
    """33 MiB in one cell: longer than two of pyarrow's 16 MiB blocks (its message was "straddling object")."""
    p = tmp_path / "cell33.csv"
    p.write_bytes(b"Score,Channel\n9,web\n" + b"9" * (33 << 20) + b",web\n10,web\n")
    code, _out, err = run_cli("nps", str(p))
    assert code == 1
    assert _error(err).startswith(f"cxkpi: error: {p} line 3: a field of more than 1,048,576 characters"), err


def test_a_raised_cell_cap_reads_a_cell_longer_than_a_block(run_cli, tmp_path, monkeypatch):
    p = tmp_path / "cell33.csv"
    p.write_bytes(b"Score,Channel\n9,web\n" + b"9" * (33 << 20) + b",web\n10,web\n")
    monkeypatch.setenv("CXKPI_MAX_CELL_CHARS", str(40 << 20))
    code, out, err = run_cli("nps", str(p), "--format", "json")
    assert code == 0, err
    result = _json(out)
    # 9 and 10 are promoters (n = 2, NPS 100); the 33 MiB number is off the scale: 1 skipped
    assert (result["n"], result["value"], result["skipped"]["total"]) == (2, 100.0, 1)


def test_a_header_row_wider_than_a_mebibyte(run_cli, tmp_path):
    p = tmp_path / "wide.csv"
    p.write_bytes((",".join(f"c{i}" for i in range(200_000)) + "\n").encode())
    code, _out, err = run_cli("nps", str(p))
    assert code == 1
    assert "wide.csv: the header row is longer than 1 MiB (no line end in it; more than " in _error(err)


# --- class 6: pipes and special paths ------------------------------------------------------------

def _feed(fifo: Path, data: bytes) -> threading.Thread:
    def write():
        with open(fifo, "wb") as f:
            f.write(data)

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("payload", ["csv", "xlsx"])
def test_a_fifo_is_read_once(run_cli, tmp_path, payload):
    fifo = tmp_path / "export"
    os.mkfifo(fifo)
    data = OK if payload == "csv" else (CORPUS / "weird.xlsx").read_bytes()
    writer = _feed(fifo, data)
    code, out, err = run_cli("nps", str(fifo), "--format", "json")
    writer.join(5)
    assert code == 0, err
    result = _json(out)
    # csv: 25 points over 4 (see OK); xlsx: weird.xlsx, 100 over 2
    assert (result["n"], result["value"]) == ((4, 25.0) if payload == "csv" else (2, 100.0))


def test_a_fifo_for_a_kpi_that_tries_several_sources(run_cli, tmp_path):
    fifo = tmp_path / "orders"
    os.mkfifo(fifo)
    writer = _feed(fifo, b"Customer ID,Order Date,Amount\nc1,2025-01-01,10\nc1,2025-02-01,20\nc2,2025-01-05,5\n")
    code, out, err = run_cli("clv", str(fifo), "--format", "json")
    writer.join(5)
    assert "Traceback" not in err and "internal error" not in err
    assert code in (0, 2), err  # read (a value or a missing setting), never "the file is empty"
    assert "the file is empty" not in err


def test_inspect_a_fifo(run_cli, tmp_path):
    fifo = tmp_path / "export"
    os.mkfifo(fifo)
    writer = _feed(fifo, OK)
    code, out, err = run_cli("inspect", str(fifo))
    writer.join(5)
    assert code == 0, err
    assert "Score" in out and "4" in out


def test_init_refuses_a_pipe(run_cli, tmp_path):
    fifo = tmp_path / "export"
    os.mkfifo(fifo)
    code, _out, err = run_cli("init", str(fifo))
    assert code == 2
    assert _error(err).endswith(f"init: {fifo} is a pipe, which a config cannot name; save the export to a file first")


def _cli(*args: str, stdin: bytes | None = None, shell: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if shell is not None:
        return subprocess.run(["bash", "-c", shell], capture_output=True, timeout=60, env=env, cwd=ROOT)
    return subprocess.run([sys.executable, "-m", "cxkpi", *args], input=stdin, capture_output=True, timeout=60,
                          env=env, cwd=ROOT)


def test_dev_stdin_and_dash_read_a_pipe_once():
    for name in ("-", "/dev/stdin"):
        for data, expected in ((OK, (4, 25.0)), ((CORPUS / "weird.xlsx").read_bytes(), (2, 100.0))):
            proc = _cli("nps", name, "--format", "json", stdin=data)
            assert proc.returncode == 0, proc.stderr
            result = json.loads(proc.stdout)
            assert (result["n"], result["value"]) == expected, name


def test_process_substitution():
    proc = _cli(shell=f'"{sys.executable}" -m cxkpi nps <(cat tests/corpus/weird.xlsx) --format json')
    assert proc.returncode == 0, proc.stderr
    assert (json.loads(proc.stdout)["n"], json.loads(proc.stdout)["value"]) == (2, 100.0)
    proc = _cli(shell=f'"{sys.executable}" -m cxkpi inspect <(cat tests/corpus/ok.csv)')
    assert proc.returncode == 0, proc.stderr


def test_symlink_loop(run_cli, tmp_path):
    (tmp_path / "a.csv").symlink_to("b.csv")
    (tmp_path / "b.csv").symlink_to("a.csv")
    for command in ("nps", "inspect", "init"):
        code, _out, err = run_cli(command, str(tmp_path / "a.csv"))
        assert code == 1
        assert _error(err).endswith(f"{tmp_path / 'a.csv'}: a symbolic link loop (the links point back to each "
                                    "other); give the real file"), (command, err)


def test_dangling_symlink(run_cli, tmp_path):
    (tmp_path / "a.csv").symlink_to("gone.csv")
    code, _out, err = run_cli("nps", str(tmp_path / "a.csv"))
    assert code == 1 and _error(err).endswith("a.csv: no such file (a symbolic link to a missing file)")


def test_name_too_long(run_cli, tmp_path):
    path = tmp_path / ("x" * 300 + ".csv")  # 304 bytes in one name: over 255
    code, _out, err = run_cli("nps", str(path))
    assert code == 1
    line = _error(err)
    assert "…: the file name is too long (" in line and "a name may have at most 255, a path 4,096); rename the " \
           "file" in line
    assert len(line) < 250  # the name is cut, the line stays readable


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_not_a_file(run_cli, device):
    code, _out, err = run_cli("nps", device)
    assert code == 1
    assert _error(err).endswith(f"{device}: a device, not a file (a terminal, a disk, /dev/null…); give the export's "
                                "path, or pipe it in with - (cxkpi nps - < export.csv)")


def test_a_path_through_a_file(run_cli, tmp_path):
    (tmp_path / "export.csv").write_bytes(OK)
    code, _out, err = run_cli("nps", str(tmp_path / "export.csv" / "x"))
    assert code == 1 and _error(err).endswith("export.csv/x: a part of the path is a file, not a folder")


def test_a_directory_without_exports_is_refused(run_cli, tmp_path):
    # a folder is a source of several files (docs/scale.md); one with none of them in it is an error
    (tmp_path / "notes.md").write_text("not an export")
    code, _out, err = run_cli("nps", str(tmp_path))
    assert code == 1 and _error(err).startswith(f"cxkpi: error: {tmp_path}: is a directory with no CSV, TSV, XLSX or Parquet file")


# --- class 7: --by on a column with one value per row --------------------------------------------

def test_max_groups_refuses_with_the_cardinality_and_the_limit(run_cli):
    code, out, err = run_cli("nps", str(CORPUS / "groups_25_channels.csv"), "--by", "channel", "--max-groups", "10")
    assert code == 2 and out == ""
    assert _error(err) == (f"cxkpi: error: {CORPUS / 'groups_25_channels.csv'}: --by channel makes 25 groups, over "
                           "the limit of 10; group by a column with fewer distinct values, or raise --max-groups "
                           "(0: no limit)")


def test_max_groups_counts_combinations(run_cli, tmp_path):
    # 3 channels x 4 regions, every pair present: 12 groups; 11 is too few, 12 is enough
    rows = "".join(f"{i},ch{i % 3},r{i % 4},9\n" for i in range(12))
    p = tmp_path / "pairs.csv"
    p.write_text("Response ID,Channel,Region,Score\n" + rows)
    code, _out, err = run_cli("nps", str(p), "--by", "channel", "--by", "region", "--max-groups", "11")
    assert code == 2 and "--by channel, region makes 12 groups, over the limit of 11" in _error(err)
    code, out, err = run_cli("nps", str(p), "--by", "channel", "--by", "region", "--max-groups", "12",
                             "--format", "json")
    assert code == 0, err
    assert len(_json(out)["groups"]) == 12


def test_max_groups_default_is_ten_thousand(run_cli, tmp_path):
    p = tmp_path / "ids.csv"
    p.write_text("Response ID,Channel,Score\n" + "".join(f"{i},c{i},9\n" for i in range(10_001)))
    code, _out, err = run_cli("nps", str(p), "--by", "channel")
    assert code == 2 and "--by channel makes 10,001 groups, over the limit of 10,000" in _error(err)


def test_max_groups_zero_is_no_limit(run_cli):
    code, out, err = run_cli("nps", str(CORPUS / "groups_25_channels.csv"), "--by", "channel", "--max-groups", "0",
                             "--format", "json")
    assert code == 0, err
    result = _json(out)
    # 25 rows, each score 10 in its own channel: 25 groups of NPS 100
    assert (result["n"], result["value"], len(result["groups"])) == (25, 100.0, 25)


# --- class 8: dates and zones --------------------------------------------------------------------

def test_year_zero_with_period_is_an_unreadable_date(run_cli):
    code, out, err = run_cli("nps", str(CORPUS / "dates_year_zero.csv"), "--period", "month", "--format", "json")
    assert code == 0, err
    result = _json(out)
    # row 2 is year 0: skipped; rows 3 (10, promoter) and 4 (3, detractor): NPS (1 - 1) / 2 = 0
    assert (result["n"], result["value"]) == (2, 0.0)
    assert result["skipped"]["reasons"]["responded_at: unreadable value"] == {"count": 1, "rows": [2]}
    assert [g["key"]["period"] for g in result["groups"]] == ["2025-01"]


def test_an_unknown_timezone_is_an_error_without_a_time_column(run_cli):
    code, out, err = run_cli("nps", str(CORPUS / "single_column.csv"), "--timezone", "Mars/Olympus")
    assert code == 2 and out == ""
    assert _error(err) == ("cxkpi: error: --timezone 'Mars/Olympus': unknown time zone (expected an IANA name such "
                           "as Europe/Berlin or UTC)")


def test_an_unknown_timezone_in_the_config(run_cli, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("timezone: Europe/Berlinn\n")
    code, _out, err = run_cli("nps", str(CORPUS / "single_column.csv"), "--config", str(cfg))
    assert code == 2 and f"{cfg}: timezone 'Europe/Berlinn': unknown time zone" in _error(err)


def test_a_local_time_in_a_dst_gap_is_skipped_with_a_note(run_cli):
    code, out, err = run_cli("nps", str(CORPUS / "dates_dst_gap.csv"), "--timezone", "Europe/Berlin",
                             "--period", "day", "--format", "json")
    assert code == 0, err
    result = _json(out)
    # row 2, 2025-03-30 02:30, never happened in Berlin: skipped, not moved to 03:30. Rows 3 (10) and 4 (3)
    # remain: NPS 0 over 2, one group per day (03-30 and 10-26)
    assert (result["n"], result["value"]) == (2, 0.0)
    assert result["skipped"]["reasons"]["responded_at: unreadable value"] == {"count": 1, "rows": [2]}
    assert "responded_at: 1 local time falls in a daylight-saving gap in Europe/Berlin (the clocks skipped that " \
           "hour): skipped as unreadable, not moved" in result["notes"]
    days = {g["key"]["period"]: g["n"] for g in result["groups"]}
    assert days == {"2025-03-30": 1, "2025-10-26": 1}


def test_without_a_timezone_no_time_is_in_a_gap(run_cli):
    code, out, err = run_cli("nps", str(CORPUS / "dates_dst_gap.csv"), "--format", "json")
    assert code == 0, err
    result = _json(out)
    # zone-less times without --timezone are taken as they are: 9, 10, 3 -> (2 - 1) / 3 = 33.33
    assert result["n"] == 3 and abs(result["value"] - 100 / 3) < 1e-5  # JSON keeps 6 decimals
    assert not any("daylight-saving" in n for n in result["notes"])


# --- class 9: a cause the user can act on is a one-line error, not an internal error ---------------

@pytest.mark.parametrize("command", ["nps", "inspect"])
@pytest.mark.parametrize("encoding", ["bogus", "base64"])
def test_an_unknown_encoding(run_cli, command, encoding):
    code, _out, err = run_cli(command, str(CORPUS / "ok.csv"), "--encoding", encoding)
    assert code == 2
    assert _error(err) == (f"cxkpi: error: --encoding {encoding!r} (or the config's encoding:): unknown text "
                           "encoding (e.g. utf-8, cp1252, utf-16, latin-1)")


@pytest.mark.parametrize("delimiter", ["ab", '"', ";;"])
def test_a_delimiter_that_is_not_one_character(run_cli, delimiter):
    code, _out, err = run_cli("nps", str(CORPUS / "ok.csv"), "--delimiter", delimiter)
    assert code == 2
    assert _error(err) == (f"cxkpi: error: --delimiter {delimiter!r}: expected one character other than a quote or "
                           "a line end (e.g. , ; | or tab)")


def test_delimiter_tab_by_name(run_cli, tmp_path):
    p = tmp_path / "t.tsv"
    p.write_bytes(OK.replace(b",", b"\t"))
    code, out, err = run_cli("nps", str(p), "--delimiter", "tab", "--format", "json")
    assert code == 0, err
    assert _json(out)["n"] == 4  # as OK: 25 points over 4


@pytest.mark.parametrize("command", ["nps", "inspect"])
def test_cells_past_the_last_column_without_a_dimension(run_cli, command):
    code, _out, err = run_cli(command, str(CORPUS / "xlsx_header_beyond_xfd.xlsx"))
    assert code == 1
    assert _error(err).endswith("xlsx_header_beyond_xfd.xlsx: sheet 'Sheet1' has cells in column 16,385, beyond "
                                "Excel's limit of 16,384 (not a workbook Excel wrote); export it as CSV")
    code, _out, err = run_cli(command, str(CORPUS / "xlsx_cell_beyond_zzz.xlsx"))
    assert code == 1  # a data row's cell AAAA2: met while the rows stream, after the header was read
    assert "xlsx_cell_beyond_zzz.xlsx: not a readable .xlsx workbook (ValueError: 'AAAA' is not a valid column " \
           "name" in _error(err)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="Linux /proc")
def test_a_file_that_fails_to_read(run_cli):
    """/proc/self/mem exists and is a regular file, but reading it at offset 0 fails with EIO."""
    for command in ("nps", "inspect"):
        code, _out, err = run_cli(command, "/proc/self/mem")
        assert code == 1 and _error(err).endswith("/proc/self/mem: cannot read (Input/output error)"), err


def test_a_fifo_blocks_like_cat_until_its_writer_comes(tmp_path):
    """No writer yet: cxkpi waits (as cat does), then reads what the late writer sends."""
    fifo = tmp_path / "late"
    os.mkfifo(fifo)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "cxkpi", "nps", str(fifo), "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        with open(fifo, "wb") as f:  # blocks until cxkpi has opened its end
            f.write(OK)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert (json.loads(out)["n"], json.loads(out)["value"]) == (4, 25.0)

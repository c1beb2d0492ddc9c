"""``cxkpi inspect``: hand-computed profiles of small exports, chunked reading, and the CLI's promises."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cxkpi.io.load import LoadOptions
from cxkpi.io.presets import get_preset
from cxkpi.io.profile import profile_file

# 8 tickets. Hand-computed:
#   First Response At: blank (T2), "-" (T5) and "N/A" (T7) are missing -> 3 nulls of 8 = 37.5 %;
#     5 timestamps, min 2025-02-28 09:00:00 (T4), max 2025-03-07 11:00:00 (T8)
#   Created At: min 2025-02-27 17:45:00 (T4), max 2025-03-08 10:00:00 (T8), one "not a date" (T6)
#   Status: solved, open, closed (first-seen order) -> 3 distinct of 8 -> category
#   Agent Replies: whole numbers 0..4 -> integer; Score: 4.5 makes it a number, min 1, max 5
TICKETS = (
    "Ticket ID,Created At,First Response At,Status,Channel,Agent Replies,Score\n"
    "T1,2025-03-01 09:00:00,2025-03-01 09:30:00,solved,email,2,4.5\n"
    "T2,2025-03-02 10:00:00,,open,web,0,\n"
    "T3,2025-03-05 08:15:00,2025-03-05 08:20:00,solved,email,1,n/a\n"
    "T4,2025-02-27 17:45:00,2025-02-28 09:00:00,closed,phone,3,3\n"
    "T5,2025-03-04 12:00:00,-,solved,email,1,5\n"
    "T6,not a date,2025-03-06 10:00:00,open,web,4,1\n"
    "T7,2025-03-07 09:00:00,N/A,solved,email,2,2\n"
    "T8,2025-03-08 10:00:00,2025-03-07 11:00:00,closed,web,0,4\n"
)

ZENDESK_HEADER = ("Id,Requester,Assignee,Group,Via,Created at,Updated at,Solved at,Satisfaction Score,"
                  "First reply time in minutes,Full resolution time in minutes,Replies,Reopens,"
                  "Agent wait time in minutes,Requester wait time in minutes")
ZENDESK = (ZENDESK_HEADER + "\n"
           "1,Ann,Bob,Tier 1,email,2025-03-03 09:00:00,2025-03-04 10:00:00,2025-03-03 11:00:00,Good,30,120,1,0,10,5\n"
           "2,Cy,Bob,Tier 2,web,2025-03-14 16:30:00,2025-03-18 10:00:00,,Offered,960,,3,1,100,30\n")


def _json(run_cli, *args, stdin=None) -> dict:
    code, out, err = run_cli("inspect", *args, "--format", "json", stdin=stdin)
    assert code == 0, err
    return json.loads(out)


def _col(profile: dict, name: str) -> dict:
    return next(c for c in profile["columns"] if c["name"] == name)


def test_ticket_profile_by_hand(run_cli, write):
    p = _json(run_cli, write("t.csv", TICKETS))
    assert p["schema"] == "cxkpi.inspect/1"
    assert (p["rows"], p["bad_rows"], p["header_rows"], p["encoding"], p["delimiter"]) == (8, 0, 1, "utf-8", ",")
    types = {c["name"]: c["type"] for c in p["columns"]}
    assert types == {"Ticket ID": "text", "Created At": "date/time", "First Response At": "date/time",
                     "Status": "category", "Channel": "category", "Agent Replies": "integer", "Score": "number"}
    fra = _col(p, "First Response At")
    assert (fra["nulls"], fra["null_pct"], fra["distinct"], fra["distinct_capped"]) == (3, 37.5, 5, False)
    assert (fra["min"], fra["max"], fra["format"]) == ("2025-02-28 09:00:00", "2025-03-07 11:00:00", "%Y-%m-%d %H:%M:%S")
    created = _col(p, "Created At")
    assert (created["min"], created["max"], created["invalid"]) == ("2025-02-27 17:45:00", "2025-03-08 10:00:00", 1)
    assert created["invalid_examples"] == ["not a date"] and created["nulls"] == 0
    status = _col(p, "Status")
    assert status["examples"] == ["solved", "open", "closed"] and status["distinct"] == 3
    assert _col(p, "Ticket ID")["distinct"] == 8 and _col(p, "Ticket ID")["examples"] == ["T1", "T2", "T3"]
    replies = _col(p, "Agent Replies")
    assert (replies["min"], replies["max"], replies["distinct"]) == (0, 4, 5)
    score = _col(p, "Score")  # blank and n/a are missing
    assert (score["nulls"], score["null_pct"], score["min"], score["max"]) == (2, 25.0, 1, 5)
    # the main timestamp of the suggested source (tickets: created_at) is the date range
    assert p["date_range"] == {"column": "Created At", "min": "2025-02-27 17:45:00", "max": "2025-03-08 10:00:00"}
    s = p["suggestion"]
    assert s["source"] == "tickets" and s["preset"] is None
    assert s["mapping"]["created_at"] == "Created At" and s["mapping"]["first_response_at"] == "First Response At"
    assert "frt" in s["computable_kpis"] and "volume" in s["computable_kpis"]
    assert fra["canonical"] == ["first_response_at"]


def test_table_output_is_plain_and_says_what_to_run(run_cli, write):
    code, out, err = run_cli("inspect", write("t.csv", TICKETS))
    assert code == 0 and err == ""
    assert "\x1b[" not in out
    assert "8 rows, 7 columns" in out and "37.5" in out
    assert "Date range: Created At 2025-02-27 17:45:00 … 2025-03-08 10:00:00" in out
    assert "Computable KPIs: frt," in out and "Try: cxkpi frt " in out


def test_zendesk_header_is_detected(run_cli, write):
    p = _json(run_cli, write("zendesk_tickets.csv", ZENDESK))
    s = p["suggestion"]
    assert p["preset_mode"] == "detected"
    assert s["preset"] == {"name": "zendesk", "found": 15, "of": 15, "score": 1.0}
    assert s["source"] == "tickets"
    assert s["mapping"]["first_response_minutes"] == "First reply time in minutes"
    assert s["mapping"]["team"] == "Group"
    assert "frt" in s["computable_kpis"]
    assert _col(p, "First reply time in minutes")["type"] == "integer"
    solved = _col(p, "Solved at")
    assert (solved["nulls"], solved["null_pct"]) == (1, 50.0)


def test_preset_forced_and_off(run_cli, write):
    path = write("t.csv", TICKETS)
    p = _json(run_cli, path, "--preset", "zendesk")
    assert p["preset_mode"] == "forced" and p["suggestion"]["preset"]["name"] == "zendesk"
    assert p["suggestion"]["preset"]["found"] == 1  # of its 15 signature headers only "Created at"
    p = _json(run_cli, write("z.csv", ZENDESK), "--preset", "none")
    assert p["preset_mode"] == "off" and p["suggestion"]["preset"] is None
    code, _out, err = run_cli("inspect", path, "--preset", "zendeks")
    assert code == 2 and "did you mean 'zendesk'" in err


def test_multi_row_header_from_the_preset(run_cli, write):
    """Qualtrics: three header rows (names, question text, ImportId); data from row 4."""
    sig = ("StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,ResponseId,"
           "RecipientLastName,RecipientFirstName,RecipientEmail,ExternalReference,LocationLatitude,"
           "LocationLongitude,DistributionChannel,UserLanguage")
    width = len(sig.split(","))
    text = (sig + ",Q1\n"
            + ",".join(["x"] * width) + ",How likely are you to recommend us?\n"
            + ",".join(['"{""ImportId"":""a""}"'] * (width + 1)) + "\n"
            + "2025-05-01 10:00:00,,,,,,,2025-05-01 10:05:00,R_1" + "," * (width - 9) + ",9\n"
            + "2025-05-02 10:00:00,,,,,,,2025-05-03 11:00:00,R_2" + "," * (width - 9) + ",3\n")
    p = _json(run_cli, write("q.csv", text))
    assert (p["header_rows"], p["rows"]) == (3, 2)
    assert p["suggestion"]["preset"]["name"] == "qualtrics"
    assert p["suggestion"]["mapping"]["score"] == "Q1"
    assert p["suggestion"]["mapping"]["responded_at"] == "RecordedDate"
    assert _col(p, "Q1")["type"] == "integer" and _col(p, "Q1")["min"] == 3
    assert p["date_range"] == {"column": "RecordedDate", "min": "2025-05-01 10:05:00", "max": "2025-05-03 11:00:00"}
    # --header-rows overrides: read as one header row, the question text becomes a data row
    p = _json(run_cli, write("q.csv", text), "--header-rows", "1")
    assert (p["header_rows"], p["rows"]) == (1, 4)


def test_a_quoted_newline_in_the_header(run_cli, write):
    p = _json(run_cli, write("h.csv", '"Ticket\nID",Channel\nT1,web\nT2,email\n'))
    assert p["rows"] == 2 and [c["name"] for c in p["columns"]] == ["Ticket\nID", "Channel"]
    assert _col(p, "Channel")["examples"] == ["web", "email"]
    # a second header line that is shorter than the first is skipped, not a bad row
    p = _json(run_cli, write("h2.csv", "ID,Channel,Score\nthe id,where\n1,web,9\n2,chat,7\n"), "--header-rows", "2")
    assert (p["rows"], p["bad_rows"], p["header_rows"]) == (2, 0, 2)
    assert _col(p, "Score")["min"] == 7


def test_xlsx_typed_cells_and_sheet(run_cli, tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "About"
    wb.active.append(["exported by", "someone"])
    ws = wb.create_sheet("Responses")
    ws.append(["Response ID", "Responded At", "Score", "Comment"])
    ws.append([1, datetime(2025, 4, 2, 9, 30), 9, "great"])
    ws.append([2, datetime(2025, 3, 30, 8, 0), 10, None])
    ws.append([3, None, 6, "slow"])
    ws.append([4, datetime(2025, 4, 5, 17, 0), None, "n/a"])
    path = tmp_path / "survey.xlsx"
    wb.save(path)
    p = _json(run_cli, path, "--sheet", "Responses")
    assert (p["kind"], p["sheet"], p["sheets"], p["rows"]) == ("xlsx", "Responses", ["About", "Responses"], 4)
    assert p["encoding"] is None and p["delimiter"] is None
    responded = _col(p, "Responded At")
    assert (responded["type"], responded["nulls"], responded["null_pct"]) == ("date/time", 1, 25.0)
    assert (responded["min"], responded["max"]) == ("2025-03-30 08:00:00", "2025-04-05 17:00:00")
    score = _col(p, "Score")
    assert (score["type"], score["nulls"], score["min"], score["max"], score["examples"]) == \
        ("integer", 1, 6, 10, ["9", "10", "6"])
    assert _col(p, "Comment")["nulls"] == 2  # None and "n/a"
    assert "nps" in p["suggestion"]["computable_kpis"]
    # the first sheet is the default, and a wrong one is a one-line error
    assert _json(run_cli, path)["sheet"] == "About"
    code, _out, err = run_cli("inspect", path, "--sheet", "Nope")
    assert code == 1 and "no sheet 'Nope'" in err


def test_stdin(run_cli):
    p = _json(run_cli, "-", stdin=TICKETS.encode())
    assert p["file"] == "<stdin>" and p["rows"] == 8
    assert _col(p, "First Response At")["nulls"] == 3


def test_ragged_rows_are_counted_not_read(run_cli, write):
    text = ("Response ID,Responded At,Channel,Score\n1,2025-01-02 10:00,web,9\n2,2025-01-03 10:00,web,10,x,y\n"
            "3,2025-01-04 10:00\n4,2025-01-05 10:00,chat,7\n")
    p = _json(run_cli, write("r.csv", text))
    assert (p["rows"], p["bad_rows"]) == (2, 2)
    assert p["bad_row_reasons"] == {"row has 6 fields, the header has 4": 1, "row has 2 fields, the header has 4": 1}
    assert _col(p, "Score")["min"] == 7 and _col(p, "Score")["max"] == 9
    code, out, _ = run_cli("inspect", write("r.csv", text))
    assert "Bad rows: 2 not read" in out


def test_ambiguous_dates_are_shown_not_fatal(run_cli, write):
    text = "Responded At,Score\n03/04/2025,9\n05/06/2025,7\n01/02/2025,8\n"
    p = _json(run_cli, write("d.csv", text))
    col = _col(p, "Responded At")
    assert (col["type"], col["format"], col["min"]) == ("date/time", "ambiguous day/month", None)
    code, out, _ = run_cli("inspect", write("d.csv", text))
    assert code == 0 and "--dayfirst or --monthfirst" in out
    col = _col(_json(run_cli, write("d.csv", text), "--dayfirst"), "Responded At")
    assert (col["format"], col["min"], col["max"]) == ("%d/%m/%Y", "2025-02-01", "2025-06-05")


def test_types_money_duration_flags_empty(run_cli, write):
    text = ("Amount,Talk Time,Abandoned,Notes,Cost\n"
            "\"$1,234.50\",00:05:30,yes,,\"12,50\"\n"
            "$20.00,01:00:00,no,,\"3,25\"\n"
            "(5.00),00:00:45,no,,\"1,00\"\n")
    p = _json(run_cli, write("m.csv", text))
    amount, talk, flag, notes, cost = (_col(p, n) for n in ("Amount", "Talk Time", "Abandoned", "Notes", "Cost"))
    assert (amount["type"], amount["min"], amount["max"]) == ("money", -5, 1234.5)
    assert (talk["type"], talk["format"], talk["unit"], talk["min"], talk["max"]) == \
        ("duration", "HH:MM:SS", "min", 0.75, 60.0)
    assert flag["type"] == "yes/no" and flag["distinct"] == 2
    assert (notes["type"], notes["null_pct"], notes["distinct"]) == ("empty", 100.0, 0)
    assert (cost["type"], cost["format"], cost["min"], cost["max"]) == ("number", "decimal comma", 1, 12.5)


def test_chunked_read_equals_one_chunk(tmp_path):
    """1,000-byte blocks (~70 batches; each column's type decided in the second) give the one-block profile."""
    lines = ["Ticket ID,Created At,Channel,Replies,Note"]
    for i in range(1500):
        created = "" if i % 10 == 3 else f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:00:00"
        lines.append(f"T{i:05d},{created},{('web', 'email', 'chat')[i % 3]},{i % 7},{'n/a' if i % 4 else 'x' + str(i)}")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls: list[int] = []
    kwargs = dict(sample_size=40, distinct_cap=100)
    small = profile_file(path, LoadOptions(detect=True), block_size=1000, progress=lambda d, t: calls.append(d),
                         **kwargs)
    whole = profile_file(path, LoadOptions(detect=True), **kwargs)
    assert len(calls) > 50 and small.block_size == 1000
    assert small.to_dict() == whole.to_dict()
    tiny = profile_file(path, LoadOptions(detect=True), block_size=16, **kwargs)  # rows longer than a block:
    assert tiny.block_size > 16 and tiny.to_dict() == whole.to_dict()  # read again with bigger blocks
    p = whole.to_dict()
    assert p["rows"] == 1500
    created = _col(p, "Created At")
    assert (created["nulls"], created["type"]) == (150, "date/time")
    assert (created["min"], created["max"]) == ("2025-01-01 00:00:00", "2025-12-28 23:00:00")
    assert _col(p, "Ticket ID")["distinct"] == 100 and _col(p, "Ticket ID")["distinct_capped"] is True
    assert _col(p, "Channel")["distinct"] == 3 and _col(p, "Replies")["max"] == 6
    assert _col(p, "Note")["nulls"] == 1125  # 3 of every 4 are n/a


def test_chunked_xlsx_equals_one_batch(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Call ID", "Talk Seconds", "Agent"])
    for i in range(95):
        ws.append([f"C{i}", None if i % 5 == 0 else i * 10, f"agent {i % 4}"])
    path = tmp_path / "calls.xlsx"
    wb.save(path)
    small = profile_file(path, batch_rows=7, sample_size=10)
    whole = profile_file(path, sample_size=10)
    assert small.to_dict() == whole.to_dict()
    talk = _col(whole.to_dict(), "Talk Seconds")
    assert (whole.rows, talk["nulls"], talk["min"], talk["max"]) == (95, 19, 10, 940)


def test_invalid_utf8_after_the_sniffed_sample_is_read_as_cp1252(tmp_path):
    body = "".join(f"{i},plain\n" for i in range(110_000))  # > 1 MiB before the first non-UTF-8 byte
    path = tmp_path / "late.csv"
    path.write_bytes(("ID,Name\n" + body).encode() + "999,café\n".encode("cp1252"))
    p = profile_file(path, block_size=1 << 16)
    assert p.encoding == "cp1252" and p.rows == 110_001
    assert next(c for c in p.columns if c.name == "Name").distinct == 2


def test_outputs_markdown_csv_and_file(run_cli, write, tmp_path):
    path = write("t.csv", "Channel,Note\nweb,=1+2\nemail,ok\n")
    code, out, _ = run_cli("inspect", path, "--format", "markdown")
    assert code == 0 and out.startswith("## ") and "| column | type |" in out
    code, out, _ = run_cli("inspect", path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["Channel", "Note"] and rows[1]["examples"] == "'=1+2 | ok"
    target = tmp_path / "profile.json"
    code, out, err = run_cli("inspect", path, "--output", str(target))
    assert code == 0 and out == "" and "wrote" in err
    assert json.loads(target.read_text())["rows"] == 2
    code, _out, err = run_cli("inspect", path, "--format", "html")
    assert code == 2 and err.startswith("cxkpi: error:")


@pytest.mark.parametrize("name, content, message", [
    ("missing.csv", None, "missing.csv: no such file"),
    ("empty.csv", "", "the file is empty"),
    ("dupes.csv", "Score,Score\n1,2\n", "duplicate column names in the header: 'Score'"),
    ("open_quote.csv", 'Score,Channel\n1,"web\n2,email\n', "unterminated quote"),
])
def test_errors_are_one_line(run_cli, write, tmp_path, name, content, message):
    path = tmp_path / name if content is None else write(name, content)
    code, out, err = run_cli("inspect", path)
    assert code == 1 and out == ""
    assert err.startswith("cxkpi: error:") and err.count("\n") == 1 and message in err, err


def test_library_result_is_frozen_and_complete(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(TICKETS, encoding="utf-8")
    p = profile_file(path, LoadOptions(preset=get_preset("zendesk")))
    with pytest.raises(AttributeError):
        p.rows = 1  # type: ignore[misc]
    d = p.to_dict()
    assert set(d["columns"][0]) >= {"name", "type", "nulls", "null_pct", "distinct", "distinct_capped",
                                    "examples", "min", "max", "format"}
    assert set(d) >= {"schema", "file", "rows", "bad_rows", "header_rows", "encoding", "delimiter", "columns",
                      "date_range", "suggestion"}
    json.dumps(d)  # plain data only


def test_help_has_an_example(run_cli):
    code, out, _ = run_cli("inspect", "--help")
    assert code == 0 and "Example:" in out and "--header-rows" in out

"""Untrusted text reaching a terminal: never rich markup, never a control sequence.

Agent names, comments, tags, headers and file names are typed by strangers. Each
command's terminal view must show ``[bold]x[/bold]``, ``[/x]`` and
``[link=http://evil]y[/link]`` literally (a stray ``[/x]`` used to raise
MarkupError and kill the command), and ESC / CSI / OSC / BEL / backspace / CR
as ``\\x1b``-style escapes, never as the raw bytes a terminal would obey. The
last tests run the real CLI in a pseudo-terminal with colours forced: the only
escape sequences there are rich's own SGR colours, no OSC 8 link from the data.
"""

from __future__ import annotations

import csv
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from cxkpi.render.safe import escape_controls, one_line, term_cell

from .conftest import ROOT

CORPUS = Path(__file__).resolve().parent / "corpus"

MARKUP = ["[bold]x[/bold]", "[/x]", "[link=http://evil]y[/link]", "[conceal]z[/conceal]"]
CONTROLS = ["\x1b]8;;http://e\x07z", "\x1b[2J", "\x9b31m", "a\x08b", "c\rd"]
HOSTILE = MARKUP + CONTROLS
# what each control value must look like on screen
ESCAPED = ["\\x1b]8;;http://e\\x07z", "\\x1b[2J", "\\x9b31m", "a\\x08b", "c\\x0dd"]

# any C0 control but tab and newline, DEL, any C1 control (U+0080-U+009F, e.g. CSI U+009B)
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SGR = re.compile(r"\x1b\[[0-9;]*m")
# what rich's live progress bar (inspect, on an interactive stderr) writes around its line:
# hide/show the cursor, CR + erase the line, cursor up. None of them comes from the data.
LIVE = re.compile(r"\x1b\[\?25[lh]|\r?\x1b\[2K|\x1b\[1A")


@pytest.fixture(autouse=True)
def _wide(monkeypatch):
    """Wide enough that no hostile value is cut with an ellipsis (the checks look for whole strings)."""
    monkeypatch.setenv("COLUMNS", "250")


def assert_safe(text: str) -> None:
    """No control character a terminal would act on (rich's SGR colours aside, see the pty tests),
    and no lone surrogate (an undecodable file-name byte would go out raw, or fail to encode)."""
    hits = RAW.findall(text) + re.findall("[\ud800-\udfff\u202a-\u202e\u2066-\u2069]", text)
    assert not hits, f"raw controls {hits!r} in {text!r}"


# --- fixtures: exports whose values hold every hostile string -----------------------------------

def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def tickets(tmp_path) -> Path:
    """Each hostile string as agent, team, topic and tag of 3 tickets (FRT 30 min each)."""
    header = ["Ticket ID", "Created At", "First Response At", "Resolved At", "Agent", "Team", "Topic", "Tags"]
    rows = []
    for i, h in enumerate(HOSTILE * 3):
        day = f"2025-05-{i % 6 + 1:02d}"
        rows.append([f"T{i}", f"{day} 09:00", f"{day} 09:30", f"{day} 12:00", h, h, h, h])
    return _write_csv(tmp_path / "tickets.csv", header, rows)


@pytest.fixture
def surveys(tmp_path) -> Path:
    """Each hostile string as channel and agent of 3 answers, inside every comment too."""
    header = ["Response ID", "Responded At", "Score", "Comment", "Channel", "Agent"]
    rows = []
    for i, h in enumerate(HOSTILE * 3):
        rows.append([f"R{i}", f"2025-05-{i % 6 + 1:02d} 09:00", [9, 10, 3, 5, 8, 0][i % 6], f"billing refund {h}", h, h])
    return _write_csv(tmp_path / "surveys.csv", header, rows)


def _check_markup_and_escapes(out: str, wanted=MARKUP, escaped=ESCAPED) -> None:
    assert_safe(out)
    for m in wanted:
        assert m in out, (m, out)
    for e in escaped:
        assert e in out, (e, out)


# --- the helpers ---------------------------------------------------------------------------------

def test_escape_controls_covers_c0_c1_and_undecodable_name_bytes():
    # ESC -> \x1b, BEL -> \x07, CSI (U+009B) -> \x9b, backspace -> \x08, CR -> \x0d; tab/newline kept
    assert escape_controls("\x1b[2J\x07\x9b\x08\r\t\n") == "\\x1b[2J\\x07\\x9b\\x08\\x0d\t\n"
    # a file name byte that is not UTF-8 (0x9b) arrives as the lone surrogate U+DC9B: shown as \x9b
    assert escape_controls(os.fsdecode(b"raw\x9b.csv")) == "raw\\x9b.csv"


def test_bidi_overrides_are_shown_not_obeyed():
    # RLO (U+202E) would show "gpj.exe" reversed; isolates (U+2066-U+2069) likewise. RLM (U+200F),
    # which right-to-left text needs and which reorders nothing, is kept.
    assert escape_controls("a\u202egnp.exe \u2066x\u2069 \u200f") == "a\\u202egnp.exe \\u2066x\\u2069 \u200f"


def test_one_line_keeps_an_error_on_one_line():
    assert one_line("a\nb\tc\x1b[2J") == "a\\nb\\tc\\x1b[2J"


def test_term_cell_is_text_and_leaves_text_alone():
    from rich.text import Text

    t = Text("x", style="bold")
    assert term_cell(t) is t
    assert term_cell("[/x]\x1b").plain == "[/x]\\x1b"
    assert term_cell(None).plain == ""


# --- every terminal view, through the CLI (stdout not a tty: the same renderables, no colour) ----

@pytest.mark.parametrize("args", [
    ["frt", "{tickets}", "--by", "agent"],
    ["frt", "{tickets}", "--by", "agent", "--by", "team"],
    ["topics", "{tickets}"],
    ["topics", "{tickets}", "--count-by", "tags"],
    ["peak", "{tickets}", "--by", "team"],
    ["nps", "{surveys}", "--by", "channel"],
    ["themes", "{surveys}", "--by", "agent", "--by", "channel"],  # the long table, one row per key
], ids=lambda a: " ".join(a))
def test_tables_show_markup_literally_and_controls_escaped(run_cli, tickets, surveys, args):
    args = [a.format(tickets=tickets, surveys=surveys) for a in args]
    code, out, err = run_cli(*args)
    assert code == 0, err
    _check_markup_and_escapes(out)
    assert_safe(err)


def test_themes_examples_and_side_by_side_columns(run_cli, surveys):
    # no key: one row per theme with an example comment (each comment holds a hostile string)
    code, out, err = run_cli("themes", str(surveys))
    assert code == 0, err
    assert_safe(out)
    assert "“billing refund " in out  # the example column is there
    assert "[link=http://evil]y[/link]" in out or "[bold]x[/bold]" in out or "\\x1b" in out, out
    # one key of 9 values (more than 6): the long table; of 9 values side by side needs <= 6, so
    # --by channel on a 6-value file puts each channel value into a column header
    few = surveys.parent / "six.csv"
    rows = list(csv.reader(open(surveys, encoding="utf-8")))
    keep = {"[bold]x[/bold]", "[/x]", "[link=http://evil]y[/link]", "\x1b]8;;http://e\x07z", "\x1b[2J", "\x9b31m"}
    _write_csv(few, rows[0], [r for r in rows[1:] if r[4] in keep])
    code, out, err = run_cli("themes", str(few), "--by", "channel")
    assert code == 0, err
    # side by side: "VALUE (3 comments low n)" headers; rich may fold a long header over two lines
    flat = re.sub(r"\s+", "", out)
    for v in ["[bold]x[/bold]", "[/x]", "\\x1b[2J", "\\x9b31m"]:
        assert re.sub(r"\s+", "", v) + "(3comments" in flat, (v, out)
    assert_safe(out)


def test_inspect_shows_headers_values_and_file_name_escaped(run_cli, tmp_path):
    name = "export [bold]b[link=x] \x1b]0;title\x07 \x9b2J.csv"  # a file name cannot hold "/"
    path = _write_csv(tmp_path / name, ["Score", "[/x] \x1b[2J", "[link=http://evil]y[/link]"],
                      [[9, c, m] for c, m in zip(CONTROLS, MARKUP * 2)])
    code, out, err = run_cli("inspect", str(path))
    assert code == 0, err
    # the first 3 examples of each column: the controls escaped, the markup literal
    _check_markup_and_escapes(out, wanted=MARKUP[:3], escaped=ESCAPED[:3])
    assert "[/x] \\x1b[2J" in out  # the header
    assert "export [bold]b[link=x] \\x1b]0;title\\x07 \\x9b2J.csv" in out  # the title line: the file name
    assert_safe(err)


def test_caption_and_messages_escape_the_file_name(run_cli, tmp_path, surveys):
    name = "s [bold]x[link=y] \x1b[2J.csv"
    path = tmp_path / name
    path.write_bytes(surveys.read_bytes())
    code, out, err = run_cli("nps", str(path), "--by", "agent")
    assert code == 0, err
    assert "s [bold]x[link=y] \\x1b[2J.csv" in out  # the caption under the table
    assert_safe(out)
    code, out, err = run_cli("nps", str(path), "--format", "json", "--output", str(tmp_path / "o [bold]\x1b[2J.json"))
    assert code == 0, err
    assert "wrote " in err and "o [bold]\\x1b[2J.json" in err  # the "wrote FILE" message
    assert_safe(err)


def test_error_line_is_one_escaped_line(run_cli, tmp_path):
    missing = tmp_path / "no\nsuch \x1b[2J\r[bold].csv"
    code, out, err = run_cli("nps", str(missing))
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("cxkpi: error:"), err
    assert "no\\nsuch \\x1b[2J\\x0d[bold].csv" in err
    assert_safe(err)


def test_report_dashboard_with_markup_titles_and_a_failed_source(run_cli, tmp_path):
    """The corpus config: report title and KPI title with markup and escapes, tickets source failing
    with a header that holds both; on_source_error: continue still draws the dashboard."""
    for name in ("cfg_term_report.yaml", "term_markup_values.csv", "term_duplicate_markup_header.csv"):
        (tmp_path / name).write_bytes((CORPUS / name).read_bytes())
    code, out, err = run_cli("report", "--config", str(tmp_path / "cfg_term_report.yaml"))
    # the surveys panel is drawn; the failed tickets source gives exit 1 and one error line
    assert code == 1, err
    assert "[bold]NPS[/bold] [/x] \\x1b]8;;http://e\\x07" in out  # the KPI title cell
    assert "25.00" in out  # NPS of term_markup_values.csv: 100 x (2 - 1) / 4
    assert "[/x] Weekly \\x1b[2J [link=http://evil]y[/link]" in out  # the footer: the report title
    assert "FAILED source tickets:" in out and "'[/x]\\x1b[2J'" in out
    assert_safe(out)
    errors = [line for line in err.splitlines() if line.startswith("cxkpi: error:")]
    assert len(errors) == 1 and errors[0].startswith("cxkpi: error: source failed: tickets: "), err
    assert errors[0].endswith("term_duplicate_markup_header.csv: duplicate column names in the header: "
                              "'[/x]\\x1b[2J'"), err
    assert_safe(err)


@pytest.mark.parametrize("args", [
    ["nps", "term_markup_values.csv", "--by", "channel"],
    ["nps", "term_control_values.csv", "--by", "agent"],
    ["themes", "term_control_values.csv"],
    ["inspect", "term_hostile_headers.csv"],
    ["topics", "term_ticket_values.csv"],
    ["peak", "term_ticket_values.csv", "--by", "agent"],
    ["nps", "term_xlsx_values.xlsx", "--by", "channel"],  # CSI U+009B is legal XML: a workbook can carry it
    ["inspect", "term_xlsx_values.xlsx"],  # the sheet name holds CSI and RLO too
], ids=lambda a: " ".join(a))
def test_corpus_terminal_cases_render_safely(run_cli, args):
    code, out, err = run_cli(args[0], str(CORPUS / args[1]), *args[2:])
    assert code == 0, err
    assert_safe(out)
    assert_safe(err)
    assert "[/x]" in out or "\\x1b" in out or "\\x9b" in out, out


# --- through a real pseudo-terminal, colours forced ----------------------------------------------

def _pty_run(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI with stdout and stderr each on its own pty, as at a terminal; the bytes written to each."""
    import pty

    env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm-256color", FORCE_COLOR="1", COLUMNS="250",
               LINES="50")
    env.pop("NO_COLOR", None)
    (out_m, out_s), (err_m, err_s) = pty.openpty(), pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "cxkpi", *args], stdin=subprocess.DEVNULL, stdout=out_s,
                            stderr=err_s, cwd=ROOT, env=env)
    os.close(out_s)
    os.close(err_s)
    chunks: dict[int, list[bytes]] = {out_m: [], err_m: []}
    open_fds = [out_m, err_m]
    while open_fds:
        ready, _, _ = select.select(open_fds, [], [], 60)
        if not ready:
            proc.kill()
            break
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its end
                data = b""
            if data:
                chunks[fd].append(data)
            else:
                open_fds.remove(fd)
                os.close(fd)
    code = proc.wait(timeout=60)
    return code, *(b"".join(chunks[fd]).decode("utf-8", "replace") for fd in (out_m, err_m))


@pytest.mark.parametrize("args", [
    ["themes", "{surveys}", "--by", "agent", "--by", "channel"],
    ["frt", "{tickets}", "--by", "agent"],
    ["inspect", "{corpus}/term_hostile_headers.csv"],  # headers with [/x] and ESC
    ["report", "--config", "{report}"],
], ids=lambda a: a[0])
def test_pty_output_holds_only_rich_colour_sequences(tickets, surveys, tmp_path, args):
    for name in ("cfg_term_report.yaml", "term_markup_values.csv", "term_duplicate_markup_header.csv"):
        (tmp_path / name).write_bytes((CORPUS / name).read_bytes())
    args = [a.format(tickets=tickets, surveys=surveys, report=tmp_path / "cfg_term_report.yaml", corpus=CORPUS)
            for a in args]
    code, out, err = _pty_run(args)
    assert code in (0, 1), (out, err)  # report: the tickets source fails (exit 1), the dashboard is drawn
    assert SGR.search(out), "colours were not forced: the test would prove nothing"
    for raw in (out, err):
        assert "\x1b]8;" not in raw  # no OSC 8 hyperlink from [link=…] or from a raw OSC in the data
    text = SGR.sub("", out).replace("\r\n", "\n")  # the pty turns \n into \r\n
    assert "\x1b" not in text, [text[m.start():m.start() + 12] for m in re.finditer("\x1b", text)][:5]
    assert_safe(text)
    assert "[/x]" in text and "\\x1b" in text
    # stderr: messages, the error line, inspect's progress bar (its own cursor codes, and CRs)
    text = LIVE.sub("", SGR.sub("", err).replace("\r\n", "\n")).replace("\r", "")
    assert "\x1b" not in text, [text[m.start():m.start() + 12] for m in re.finditer("\x1b", text)][:5]
    assert_safe(text)


# --- our own text with brackets is not markup either ---------------------------------------------

def test_presets_show_the_business_hours_twin_and_bracketed_headers(run_cli):
    """`cxkpi presets zendesk` notes each minute column's business-hours twin in brackets; as a str
    cell rich took "[with --business-hours export: …]" for a style tag and showed nothing."""
    code, out, err = run_cli("presets", "zendesk")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "[with --business-hours export: First reply time in minutes within business hours]" in flat, out
    assert_safe(out)


def test_themes_long_table_shows_absent_shares_as_a_dash(run_cli, surveys):
    """--by channel --by agent: each group is 3 answers. The "[/x]" group (HOSTILE[1]) is rows
    i = 1, 10, 19, scores [9, 10, 3, 5, 8, 0][i % 6] = 10, 8, 10: 2 promoters, 1 passive, no
    detractor. detr. % = 0 / 0 detractor comments -> absent ("–", it printed "nan"); prom. % =
    2 / 2 = 100.0; lift needs both -> "–"; NPS = 100 x (2 - 0) / 3 = 66.7."""
    code, out, err = run_cli("themes", str(surveys), "--by", "channel", "--by", "agent")
    assert code == 0, err
    assert "nan" not in out
    row = next(line for line in out.splitlines() if line.startswith("│ [/x] "))
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    # channel, agent, comments, theme, share %, mentions, detr. %, prom. %, lift, NPS
    assert cells[6:] == ["–", "100.0", "–", "66.7"], cells


# --- JSON on a terminal, and file names that are not UTF-8 ---------------------------------------

def test_json_writes_c1_controls_as_escapes_and_keeps_the_values(run_cli):
    """json.dumps escapes U+0000-U+001F only; CSI U+009B went out raw. Now "\\u009b": same value."""
    import json

    code, out, err = run_cli("nps", str(CORPUS / "term_control_values.csv"), "--by", "channel", "--format", "json")
    assert code == 0, err
    assert_safe(out)
    assert "\\u009b31m" in out
    keys = {g["key"]["channel"] for g in json.loads(out)["groups"]}
    assert keys == set(CONTROLS), keys  # the values themselves are unchanged for a JSON reader
    code, out, err = run_cli("inspect", str(CORPUS / "term_hostile_headers.csv"), "--format", "json")
    assert code == 0, err
    assert_safe(out)
    names = [c["name"] for c in json.loads(out)["columns"]]
    assert "\x9b31m [bold]h" in names and "[/x] \x1b[2J" in names, names


def test_a_file_name_that_is_not_utf8_is_read_and_shown_escaped(run_cli, tmp_path, surveys):
    """The byte 0x9b (CSI in 8-bit terminals) in a file name: os.fsdecode makes it U+DC9B, which
    pyarrow could not encode (UnicodeEncodeError: an internal error) and rich would print raw."""
    path = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/raw\x9b\x1b[2J.csv"))
    path.write_bytes(surveys.read_bytes())
    code, out, err = run_cli("nps", str(path), "--by", "channel")
    assert code == 0, err
    assert "raw\\x9b\\x1b[2J.csv" in out  # the caption
    assert_safe(out)
    code, out, err = run_cli("inspect", str(path))
    assert code == 0, err
    assert "raw\\x9b\\x1b[2J.csv: 27 rows" in out  # 9 hostile strings x 3 answers
    assert_safe(out)
    code, out, err = run_cli("nps", str(tmp_path / os.fsdecode(b"gone\x9b.csv")))
    assert code == 1 and "gone\\x9b.csv: no such file" in err, err
    assert_safe(err)


@pytest.mark.parametrize("args", [
    ["nps", "{corpus}/term_control_values.csv", "--by", "channel", "--format", "csv"],
    ["nps", "{corpus}/term_control_values.csv", "--by", "channel", "--format", "markdown"],
    ["inspect", "{corpus}/term_control_values.csv", "--format", "csv"],
], ids=lambda a: f"{a[0]} {a[-1]}")
def test_text_formats_on_a_terminal_escape_controls(args):
    """CSV/Markdown on a tty: the controls are shown escaped (a pipe or file still gets the exact
    value, see below); the pty turns each \\n into \\r\\n, so CRs are only checked inside lines."""
    args = [a.format(corpus=CORPUS) for a in args]
    code, out, err = _pty_run(args)
    assert code == 0, err
    text = out.replace("\r\n", "\n")
    assert "\x1b" not in SGR.sub("", text)
    assert_safe(SGR.sub("", text))
    assert re.search(r"\\+x1b\\?\[2J", text), text  # Markdown also escapes the backslash and the bracket


def test_csv_to_a_pipe_keeps_the_exact_value():
    """Not a terminal: the CSV is data and keeps ESC (a spreadsheet or script gets the real value)."""
    proc = subprocess.run([sys.executable, "-m", "cxkpi", "nps", str(CORPUS / "term_control_values.csv"), "--by",
                           "channel", "--format", "csv"], capture_output=True, cwd=ROOT, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    assert b"\x1b[2J" in proc.stdout


def test_missing_column_message_quotes_each_alternative(run_cli):
    """frt needs created_at + first_response_at, or first_response_minutes; the message quoted the
    whole phrase once ("created_at' + 'first_response_at' or 'first_response_minutes")."""
    code, _out, err = run_cli("frt", str(CORPUS / "term_markup_values.csv"))
    assert code == 2
    assert "frt needs column 'created_at' + 'first_response_at' or 'first_response_minutes' (map it" in err, err
    assert err.count("\n") == 1 and "'[/x]'" not in err  # one line; the headers are listed, not values


def test_a_message_stays_one_line_whatever_the_file_name(run_cli, tmp_path):
    """A folder named "a<LF>cxkpi: error: forged": the "wrote FILE" message cannot forge a second line."""
    folder = tmp_path / "a\ncxkpi: error: forged"
    folder.mkdir()
    code, _out, err = run_cli("nps", str(CORPUS / "ok.csv"), "--format", "json", "--output", str(folder / "o.json"))
    assert code == 0, err
    assert err.count("\n") == 1 and "a\\ncxkpi: error: forged/o.json" in err, err
    assert not any(line.startswith("cxkpi: error:") for line in err.splitlines()), err

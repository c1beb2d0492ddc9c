"""Untrusted text in CSV, Markdown and XLSX outputs, second round: exact bytes and cells.

The corpus files ``out_csv_*``, ``out_md_*`` and ``out_xlsx_*`` (scripts/make_corpus.py, declared in
tests/corpus/expected.csv) are run through the real CLI here and each output is checked the way a
spreadsheet, a Markdown renderer or Excel would read it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from cxkpi.render.safe import FORMULA_START, csv_field, csv_line, formula_safe

CORPUS = Path(__file__).resolve().parent / "corpus"
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _case_args(prefix: str) -> list[tuple[str, list[str]]]:
    """(file, args) of the corpus rows for one output class, straight from expected.csv."""
    with open(CORPUS / "expected.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["file"].startswith(prefix)]
    assert len(rows) >= 3, rows  # a few variants per class, not one string
    return [(r["file"], r["args"].split()) for r in rows]


# --- CSV -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("-5", "-5"), ("-0.25", "-0.25"), ("+3", "+3"), ("1e5", "1e5"), ("-1e-3", "-1e-3"),  # numbers stay
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+44 20", "'+44 20"), ("-cmd", "'-cmd"), ("-inf", "'-inf"),
    ("\x00x", "'\x00x"), ("\uff1dcmd", "'\uff1dcmd"), (" =1", "' =1"),
    ("a;=cmd", "a;'=cmd"),              # a semicolon locale splits there: the second cell is neutralised
    ("x\r=cmd", "x\r'=cmd"),            # a bare CR starts a new row in a spreadsheet
    ("x\r\n@a", "x\r\n'@a"),            # CRLF is one break, one quote
    ("\t=x", "'\t'=x"),                 # leading tab (OWASP) and the cell after it
    ("-5;=x", "-5;'=x"),                # the number stays, the formula after it does not
    ("a;-5;b", "a;-5;b"), ("well-known", "well-known"), ("a,b", "a,b"), ("", ""),
])
def test_formula_safe(value, expected):
    assert formula_safe(value) == expected


def test_formula_safe_leaves_non_text_and_xlsx_mode_checks_the_start_only():
    assert formula_safe(-5.0) == -5.0 and formula_safe(None) is None
    assert formula_safe("a;=cmd", split=False) == "a;=cmd"  # one XLSX cell is never split
    assert formula_safe("-5;=x", split=False) == "'-5;=x"    # as one cell it is not a number


def test_csv_line_exact_bytes():
    # CR quoted like LF; quotes doubled; ";" quoted; None empty; numbers as Python writes them
    assert csv_line(["kpi", "a\rb", "=x", -5, None, 'q"t', 1.5, "x;y", True]) == \
        'kpi,"a\rb",\'=x,-5,,"q""t",1.5,"x;y",True\n'
    assert csv_field("web\r=HYPERLINK(\"u\")") == '"web\r\'=HYPERLINK(""u"")"'
    # --raw keeps the text but never the broken quoting
    assert csv_line(["=x", "a\rb"], raw=True) == '=x,"a\rb"\n'


def _no_cell_starts_a_formula(text: str) -> None:
    """The worst spreadsheet: it splits at every comma, semicolon, tab and line break, quotes ignored."""
    for cell in re.split(r"[,;\t\r\n]", text):
        cell = cell.lstrip(' "')
        assert not cell.startswith(FORMULA_START) or NUMBER.fullmatch(cell.rstrip('"')), repr(cell)


def _rfc4180_rows(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len({len(r) for r in rows}) == 1, rows  # a strict reader: every row as wide as the header
    return rows


@pytest.mark.parametrize("name, args", _case_args("out_csv_"))
def test_corpus_csv_output_is_data(run_cli, name, args):
    code, out, err = run_cli("nps", CORPUS / name, *args, "--format", "csv")
    assert code == 0, err
    _no_cell_starts_a_formula(out)
    rows = _rfc4180_rows(out)
    assert rows[0][:3] == ["kpi", rows[0][1], "value"] and rows[1][1] == "(all)"
    # the raw output quotes just the same: a strict reader still sees one row per group
    code, raw, err = run_cli("nps", CORPUS / name, *args, "--format", "csv", "--raw")
    assert code == 0 and len(_rfc4180_rows(raw)) == len(rows)


def test_corpus_csv_exact_cells(run_cli):
    _, out, _ = run_cli("nps", CORPUS / "out_csv_bare_cr.csv", "--by", "channel", "--format", "csv")
    keys = [r[1] for r in _rfc4180_rows(out)[2:]]
    assert keys == ["chat\n'+1+2", "mail\r\n'@SUM(A1)", "sms\r'-2+3", "web\r'=HYPERLINK(\"http://x\")"]
    assert 'nps,"web\r\'=HYPERLINK(""http://x"")",100.0,points,1,' in out  # the bytes a spreadsheet gets
    _, out, _ = run_cli("nps", CORPUS / "out_csv_separators.csv", "--by", "channel", "--format", "csv")
    keys = [r[1] for r in _rfc4180_rows(out)[2:]]
    assert keys == ["-0.25", "-5", "a;'=cmd()", "b\t'-cmd", "c,'@x", "d;;'+1+2", "e;-7"]
    assert "\nnps,-5,0.0,points,1," in out  # a real number as a group value: untouched and unquoted
    _, out, _ = run_cli("nps", CORPUS / "out_csv_formula_header.csv", "--by", "=Region;+cmd", "--format", "csv")
    keys = [r[1] for r in _rfc4180_rows(out)[2:]]
    # the reader trims " =cmd" and "\t=x"; the full-width equals sign is neutralised like "="
    assert keys == ["'=cmd", "'=x", 'say "=1"', "'\uff1dcmd"]


def _report_config(tmp_path: Path, source: Path, by: str = "channel") -> Path:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"sources:\n  surveys:\n    file: {source}\nkpis:\n  nps:\n    by: {by}\n"
                   "  csat:\n    title: '=HYPERLINK(\"http://x\")'\n", encoding="utf-8")
    return cfg


def test_report_csv_groups_are_quoted_and_neutralised(run_cli, tmp_path):
    cfg = _report_config(tmp_path, CORPUS / "out_csv_bare_cr.csv")
    code, out, err = run_cli("report", "--config", cfg, "--format", "csv", "--quiet")
    assert code == 0, err
    _no_cell_starts_a_formula(out)
    rows = _rfc4180_rows(out)
    groups = [r[1] for r in rows if r[0] == "nps" and r[1]]
    # "channel=" + value joined: the value's own CR is quoted, the segment after it neutralised
    assert groups == ["channel=chat\n'+1+2", "channel=mail\r\n'@SUM(A1)", "channel=sms\r'-2+3",
                      "channel=web\r'=HYPERLINK(\"http://x\")"]


def test_inspect_and_kpis_csv_quote_a_bare_cr(run_cli):
    code, out, err = run_cli("inspect", CORPUS / "out_csv_bare_cr.csv", "--format", "csv")
    assert code == 0, err
    _no_cell_starts_a_formula(out)
    rows = _rfc4180_rows(out)
    assert rows[0][:2] == ["position", "name"] and len(rows) == 5  # header + the file's 4 columns
    code, out, err = run_cli("kpis", "--format", "csv")
    assert code == 0, err
    rows = _rfc4180_rows(out)
    assert rows[0] == ["name", "title", "source", "needs", "unit", "formula"] and len(rows) > 10


# --- Markdown --------------------------------------------------------------------------------

def _gfm(text: str) -> str:
    """Markdown as a wiki shows it: CommonMark + GFM tables, raw HTML allowed (markdown-it, via rich)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


def _channels(name: str) -> list[str]:
    with open(CORPUS / name, newline="", encoding="utf-8") as f:
        return [r["Channel"] for r in csv.DictReader(f)]


def _first_cells(page: str) -> list[str]:
    """The first cell of each body row, as the reader sees it; every row as wide as the header."""
    import html

    width = page.count("<th>")
    out = []
    for row in re.findall(r"<tr>\n(.*?)</tr>", page, flags=re.S)[1:]:
        cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        assert len(cells) == width, row  # no value added or ended a cell
        assert "<" not in cells[0], cells[0]  # no tag at all: no <img>, <script>, <em>, <code>, <a>
        out.append(html.unescape(cells[0]))
    return out


@pytest.mark.parametrize("name, args", _case_args("out_md_"))
def test_corpus_markdown_values_are_text(run_cli, name, args):
    code, out, err = run_cli("nps", CORPUS / name, *args, "--format", "markdown")
    assert code == 0, err
    page = _gfm(out)
    expected = sorted(" ".join(v.replace("\r\n", "\n").replace("\r", "\n").split("\n")) for v in _channels(name))
    assert sorted(_first_cells(page)[1:]) == expected  # the row after (all): each value, shown literally
    assert page.count("<table>") == 1 and "<h1>" not in page and page.count("<h2>") == 1


def test_markdown_cell_exact_text():
    from cxkpi.render.safe import markdown_cell, markdown_text

    assert markdown_cell("a\\|b") == "a\\\\\\|b"  # backslash doubled, pipe escaped: 3 before the pipe
    assert markdown_cell("x\r\n| y") == "x \\| y"
    assert markdown_cell("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert markdown_cell("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert markdown_cell("ci_low _i_") == "ci_low \\_i\\_"  # intraword "_" opens nothing: left as it is
    assert markdown_cell("\x1b]0;t\x07") == "\\\\x1b\\]0;t\\\\x07"  # shown as \x1b, never sent
    assert markdown_text("# heading") == "\\# heading" and markdown_text("1. x") == "1\\. x"
    assert markdown_text("- y") == "\\- y" and markdown_text("2025-01") == "2025-01"


def test_report_markdown_failed_source_title_and_breach_are_text(run_cli, tmp_path):
    bad = tmp_path / "x<img src=x onerror=alert(1)>|y.csv"  # an empty export with a hostile name
    bad.write_bytes(b"")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        f"report:\n  title: '<script>alert(1)</script> | # KPIs'\n"
        f"sources:\n  surveys:\n    file: {CORPUS / 'out_md_html.csv'}\n  tickets:\n    file: '{bad}'\n"
        "kpis:\n  nps:\n    by: channel\n    title: '**NPS** <b>|</b>'\n    target: 90\n    alert: 50\n"
        "  fcr: {}\n", encoding="utf-8")
    code, out, err = run_cli("report", "--config", cfg, "--format", "markdown", "--on-source-error", "continue",
                             "--quiet")
    assert code == 1, err  # the tickets source failed; the report is still written
    page = _gfm(out)
    assert "<script" not in page and "<img" not in page and "<b>" not in page and "<strong>NPS" not in page
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; | # KPIs</h1>" in page
    failed = out.split("## Failed sources", 1)[1].split("\n\n")[1]
    assert failed.startswith("- tickets: ") and "x&lt;img src=x onerror=alert(1)&gt;\\|y.csv" in failed
    summary = re.findall(r"<tr>\n<td>(.*?)</td>", page)
    assert "**NPS** &lt;b&gt;|&lt;/b&gt;" in summary  # the title cell: literal, the row not split


def test_inspect_markdown_header_and_examples_are_text(run_cli, write):
    path = write("i.csv", "Chan<img src=x onerror=1>|x,Note\nweb,<script>a|b</script>\n")
    code, out, err = run_cli("inspect", path, "--format", "markdown")
    assert code == 0, err
    assert "| Chan&lt;img src=x onerror=1&gt;\\|x | text |" in out
    assert "| &lt;script&gt;a\\|b&lt;/script&gt; |" in out
    page = _gfm(out)
    assert "<img" not in page and "<script" not in page
    assert [len(re.findall("<td>", r)) for r in re.findall(r"<tr>\n(.*?)</tr>", page, flags=re.S)[1:]] == [7, 7]


# --- XLSX ------------------------------------------------------------------------------------

def _workbook_opens(path: Path):
    """What Excel needs to open the file without "repairing" it: every XML part well-formed, valid
    sheet names, no cell over 32,767 characters, no formula. Returns the workbook (values)."""
    import zipfile
    import xml.etree.ElementTree as ET

    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                ET.fromstring(z.read(name))  # raises on a BEL, NUL or VT written raw
    wb = load_workbook(path)
    for ws in wb.worksheets:
        assert 1 <= len(ws.title.encode("utf-16-le")) // 2 <= 31 and not re.search(r"[\[\]:*?/\\\x00-\x1f]", ws.title)
        assert not ws.title.startswith("'") and not ws.title.endswith("'")
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                assert not isinstance(c.value, str) or len(c.value) <= 32_767
    return wb


def _column_a(wb, sheet: str = "nps") -> list:
    return [c.value for c in wb[sheet]["A"]]


@pytest.mark.parametrize("name, args", _case_args("out_xlsx_"))
def test_corpus_xlsx_writes_a_workbook_excel_opens(run_cli, tmp_path, name, args):
    out = tmp_path / "r.xlsx"
    code, _, err = run_cli("nps", CORPUS / name, *args, "-o", out)
    assert code == 0, err
    wb = _workbook_opens(out)
    keys = _column_a(wb)[2:]
    assert len(keys) == len(_channels(name))  # one row per group: none lost, none split
    assert not any(isinstance(k, str) and k.startswith(("=", "+", "-@", "@")) for k in keys), keys
    code, _, err = run_cli("nps", CORPUS / name, *args, "-o", out, "--raw")  # --raw: text as typed, still text
    assert code == 0, err
    _workbook_opens(out)


def test_corpus_xlsx_exact_cells(run_cli, tmp_path):
    out = tmp_path / "r.xlsx"
    run_cli("nps", CORPUS / "out_xlsx_controls.csv", "--by", "channel", "-o", out)
    # sorted group keys; each forbidden character shown as its escape (the reader trims none of them here)
    assert _column_a(_workbook_opens(out)) == ["channel", "(all)", "bell\\x07!", "esc\\x1b[31mred",
                                               "nonchar\\ufffex", "us\\x1fx", "vt\\x0bff\\x0cx"]
    run_cli("nps", CORPUS / "out_xlsx_formulas.csv", "--by", "channel", "-o", out)
    assert _column_a(_workbook_opens(out))[2:] == ["'+cmd", "-5", "'-x", "'=1+1", "'=HYPERLINK(\"http://x\",\"y\")",
                                                   "'@SUM(A1)"]
    run_cli("nps", CORPUS / "out_xlsx_formulas.csv", "--by", "channel", "-o", out, "--raw")
    assert _column_a(_workbook_opens(out))[2:] == ["+cmd", "-5", "-x", "=1+1", "=HYPERLINK(\"http://x\",\"y\")",
                                                   "@SUM(A1)"]  # as typed, and still strings (checked above)
    run_cli("nps", CORPUS / "out_xlsx_long_cell.csv", "--by", "channel", "-o", out)
    long = _column_a(_workbook_opens(out))[2]
    # "'" + "=" + 33,000 x is 33,002 characters: cut to 32,767 with the mark at the end
    assert len(long) == 32_767 and long.startswith("'=xxx") and long.endswith("x… [truncated]")


def test_xlsx_report_titles_and_sheet_names(run_cli, tmp_path):
    """A config title with BEL/NUL and a formula reaches the summary and both chart titles."""
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"sources:\n  surveys:\n    file: {CORPUS / 'out_xlsx_formulas.csv'}\n"
                   'kpis:\n  nps:\n    by: channel\n    title: "=NPS\\x07\\x00 [x]"\n', encoding="utf-8")
    for extra in ([], ["--period", "day"]):  # a bar chart by group, then a line chart by day
        out = tmp_path / "r.xlsx"
        code, _, err = run_cli("report", "--config", cfg, "-o", out, "--quiet", *extra)
        assert code == 0, err
        wb = _workbook_opens(out)
        assert wb["Summary"]["B2"].value == "'=NPS\\x07\\x00 [x]"
        charts = wb["nps"]._charts  # openpyxl reads charts back when the XML is valid
        assert len(charts) == 1


def test_xlsx_safe_cell_and_sheet_name_exact():
    from cxkpi.render.xlsx import _sheet_name, safe_cell

    assert safe_cell("\x00=x") == "'\\x00=x"       # NUL at the start (OWASP): neutralised, then shown
    assert safe_cell("a;=cmd") == "a;=cmd"          # one cell is never split: nothing to neutralise
    assert safe_cell("-0.25") == "-0.25" and safe_cell(float("nan")) is None and safe_cell(-3.5) == -3.5
    assert safe_cell("lone\ud800") == "lone\\ud800"  # a lone surrogate cannot be encoded: shown
    used = {"summary"}
    names = [_sheet_name(n, used) for n in ["a\x07b", "His[tory]", "History", "Summary", "'q'", "x" * 40, "x" * 40,
                                            "\U0001f600" * 20, ""]]
    # 31 UTF-16 units: 31 x, then 29 x + "-2"; 15 emoji are 30 units (a 16th would make 32)
    assert names == ["a-x07b", "His-tory-", "History-kpi", "Summary-2", "q", "x" * 31, "x" * 29 + "-2",
                     "\U0001f600" * 15, "kpi"]


def test_xlsx_over_excels_rows_is_a_usage_error(run_cli, tmp_path, monkeypatch):
    """A sheet Excel cannot open is refused with the way out (a real 1,048,577-group file is too slow
    for a test: the limit is lowered instead). out_xlsx_formulas by channel: header + (all) + 6 groups = 8 rows."""
    import cxkpi.render.xlsx as xlsx

    monkeypatch.setattr(xlsx, "ROW_MAX", 7)
    out = tmp_path / "r.xlsx"
    code, _, err = run_cli("nps", CORPUS / "out_xlsx_formulas.csv", "--by", "channel", "-o", out)
    assert code == 2 and "the nps sheet would need 8 rows" in err and "--format csv" in err, err
    assert not out.exists()
    monkeypatch.setattr(xlsx, "ROW_MAX", 8)
    code, _, err = run_cli("nps", CORPUS / "out_xlsx_formulas.csv", "--by", "channel", "-o", out)
    assert code == 0 and out.exists(), err

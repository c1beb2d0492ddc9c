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

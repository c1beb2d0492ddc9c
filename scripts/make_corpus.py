"""Write the hostile-input corpus to tests/corpus/ (fixed seed: the same bytes every run).

Each file is a bad input a 2 a.m. cron job may meet. Its expected outcome
(exit code and message fragment, or skipped-row count and reason) is in
``tests/corpus/expected.csv``, which ``tests/test_corpus.py`` reads; the
error classes are documented in docs/errors.md.

Files too big to keep in git (a 5 MB cell, a 100,000-column header, a
config over the size limit) are made at test time by ``build_big(folder)``.

    python scripts/make_corpus.py            # rewrite tests/corpus/
"""

from __future__ import annotations

import io
import random
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "corpus"
SEED = 20250814

H = "Response ID,Responded At,Channel,Score"


def _rows(scores: list[str], channel: str = "web") -> str:
    return "".join(f"{i},2025-01-{(i % 28) + 1:02d} 10:00,{channel},{s}\n" for i, s in enumerate(scores, start=1))


def _xlsx(rows: list[list], sheet: str = "Sheet1") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    return _stable(wb)


def _stable(wb) -> bytes:
    """The workbook's bytes, the same every run."""
    import datetime as dt

    wb.properties.created = wb.properties.modified = dt.datetime(2025, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    # same bytes every run: fixed zip entry times (openpyxl stamps "now")
    src, out = zipfile.ZipFile(buf), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here too
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0)), body,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _rezip(good: bytes, change: dict[str, bytes | None], sizes: dict[str, int] | None = None) -> bytes:
    """``good`` with members replaced, added (``change``) or dropped (``None``); ``sizes`` forges the
    uncompressed size a member's central-directory entry declares (what a zip bomb lies about)."""
    src, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename in change:
                continue
            z.writestr(info, src.read(info.filename))
        for name, body in change.items():
            if body is not None:
                z.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), body, compress_type=zipfile.ZIP_DEFLATED)
    data = bytearray(out.getvalue())
    for name, size in (sizes or {}).items():
        at = 0  # central directory entries start with PK\1\2
        while True:
            at = data.find(b"PK\x01\x02", at)
            if at < 0:
                break
            n = int.from_bytes(data[at + 28:at + 30], "little")
            if data[at + 46:at + 46 + n] == name.encode():
                data[at + 24:at + 28] = size.to_bytes(4, "little")
            at += 46
    return bytes(data)


def _ole2(streams: list[str]) -> bytes:
    """A minimal OLE2 compound file: header, then one directory sector naming ``streams``
    (a legacy .xls has "Workbook", a password-protected .xlsx "EncryptionInfo" and "EncryptedPackage")."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:26], header[26:28], header[28:30] = (0x3E).to_bytes(2, "little"), (3).to_bytes(2, "little"), b"\xfe\xff"
    header[30:32] = (9).to_bytes(2, "little")  # 512-byte sectors; the directory is sector 0
    sector = bytearray(512)
    for i, name in enumerate(["Root Entry", *streams]):
        raw = (name + "\0").encode("utf-16-le")
        sector[i * 128:i * 128 + len(raw)] = raw
        sector[i * 128 + 64:i * 128 + 66] = len(raw).to_bytes(2, "little")
    return bytes(header + sector)


def _chart_first(rows: list[list]) -> bytes:
    """A workbook whose first sheet is a chart sheet, the cells on the second."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    for r in rows:
        ws.append(r)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=1, max_row=len(rows)))
    wb.create_chartsheet("Chart", 0).add_chart(chart)
    return _stable(wb)


def _entity_bomb(good: bytes) -> bytes:
    """A workbook whose sharedStrings.xml declares nested entities (billion laughs, kept tiny here)."""
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
            b'<si><t>&b;</t></si></sst>')
    src, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            z.writestr(info, body)
        z.writestr(zipfile.ZipInfo("xl/sharedStrings.xml", date_time=(2025, 1, 1, 0, 0, 0)), bomb)
    return out.getvalue()


def _entity_free_strings(good: bytes, text: str) -> bytes:
    """``good`` with a sharedStrings part holding one string, ``text``, used by cell A2."""
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           f"<si><t>{text}</t></si></sst>").encode()
    z = zipfile.ZipFile(io.BytesIO(good))
    rels = z.read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    types = z.read("[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    sheet = re.sub(rb'<c r="A2"[^>]*>.*?</c>', b'<c r="A2" t="s"><v>0</v></c>', z.read("xl/worksheets/sheet1.xml"))
    return _rezip(good, {"xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types,
                         "xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": sst})


def data_files() -> dict[str, bytes]:
    rng = random.Random(SEED)
    ok = H + "\n" + _rows(["10", "9", "7", "3"])
    f: dict[str, bytes] = {}
    # --- file level: nothing usable -------------------------------------------------------------
    f["empty.csv"] = b""
    f["whitespace_only.csv"] = b"\n \n\t\n"
    f["bom_only.csv"] = b"\xef\xbb\xbf"
    f["header_only.csv"] = (H + "\n").encode()
    f["binary.csv"] = bytes(rng.randrange(256) for _ in range(4096))
    f["png_named_csv.csv"] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(512))
    f["nul_in_text.csv"] = (H + "\n1,2025-01-01,web,9\x00\n").encode()
    f["gzip_named_csv.csv"] = b"\x1f\x8b\x08\x00" + bytes(rng.randrange(256) for _ in range(256))
    # --- encodings ------------------------------------------------------------------------------
    f["utf16le_no_bom.csv"] = ok.encode("utf-16-le")
    f["utf16be_no_bom.csv"] = ok.encode("utf-16-be")
    f["cp1252_stray_utf8.csv"] = (H + "\n").encode() + "1,2025-01-01,café,9\n".encode("cp1252") \
        + "2,2025-01-02,caf".encode() + "é".encode("utf-8") + b",10\n" + "3,2025-01-03,na\xefve,2\n".encode("latin-1")
    f["latin1_holes.csv"] = (H + "\n1,2025-01-01,x\x81y,9\n2,2025-01-02,web,5\n").encode("latin-1")
    f["utf8_bom.csv"] = ok.encode("utf-8-sig")
    # --- quoting and shape ----------------------------------------------------------------------
    f["unterminated_quote.csv"] = (H + '\n1,"2025-01-01 10:00,web,9\n2,2025-01-02 10:00,web,10\n').encode()
    f["unterminated_quote_last.csv"] = (H + '\n1,2025-01-01 10:00,web,9\n2,2025-01-02 10:00,"web,10\n').encode()
    f["quote_in_unquoted.csv"] = (H + '\n1,2025-01-01 10:00,we"b,9\n2,2025-01-02 10:00,web,10\n').encode()
    f["ragged_long.csv"] = (H + "\n" + _rows(["9", "10"]) + "3,2025-01-03 10:00,web,8,extra,more\n").encode()
    f["ragged_short.csv"] = (H + "\n" + _rows(["9", "10"]) + "3,2025-01-03 10:00\n4\n").encode()
    f["duplicate_headers.csv"] = b"Response ID,Score,Channel,Score\n1,9,web,10\n"
    f["duplicate_headers_normalised.csv"] = b"Response ID,Score, score ,Channel\n1,9,10,web\n"
    f["blank_header.csv"] = b"Response ID,,Channel,Score\n1,x,web,9\n2,y,web,10\n"
    f["all_blank_headers.csv"] = b",,,\n1,2,3,4\n"
    f["trailing_delimiter.csv"] = (H + ",\n" + "".join(line + ",\n" for line in _rows(["9", "1"]).splitlines())).encode()
    f["cr_only_newlines.csv"] = ok.replace("\n", "\r").encode()
    f["single_column.csv"] = b"Score\n9\n10\n0\n"
    f["zero_width_header.csv"] = ("Response ID,Responded At,Channel,\u200bScore\n" + _rows(["9", "2"])).encode()
    f["missing_score_column.csv"] = b"Response ID,Responded At,Channel\n1,2025-01-01,web\n"
    f["embedded_newlines.csv"] = (H + '\n1,2025-01-01 10:00,"we\nb",9\n2,2025-01-02 10:00,web,0\n').encode()
    # --- scores ---------------------------------------------------------------------------------
    f["scores_out_of_range.csv"] = (H + "\n" + _rows(["10", "11", "9", "99", "0"])).encode()
    f["scores_negative.csv"] = (H + "\n" + _rows(["-1", "9", "-10", "8"])).encode()
    f["scores_fractional.csv"] = (H + "\n" + _rows(["9.5", "10", "7.25", "3"])).encode()
    f["scores_non_numeric.csv"] = (H + "\n" + _rows(["great", "10", "ten", "9", "1O"])).encode()
    f["scores_huge.csv"] = (H + "\n" + _rows(["1e308", "inf", "-inf", "9" * 400, "nan", "10"])).encode()
    f["scores_nan_markers.csv"] = (H + "\n" + _rows(["NaN", "N/A", "-", "", "null", "10", "9"])).encode()
    f["labels_not_in_map.csv"] = (H + "\n" + _rows(["Very satisfied", "Satisfied", "Kinda ok", "Meh", "Dissatisfied"])).encode()
    f["formula_channels.csv"] = (H + "\n" + _rows(["9"], "=HYPERLINK(\"http://x\")") + "2,2025-01-02 10:00,+1-2,10\n"
                                 "3,2025-01-03 10:00,@SUM(A1),3\n4,2025-01-04 10:00,-cmd,8\n").encode()
    # --- dates ----------------------------------------------------------------------------------
    f["three_date_formats.csv"] = (H + "\n1,2025-01-03 10:00,web,9\n2,03/01/2025 11:00,web,10\n"
                                   "3,Jan 3 2025,web,2\n4,2025-02-10 09:00,web,8\n").encode()
    f["mixed_zoned_timestamps.csv"] = (H + "\n1,2025-01-03T10:00:00Z,web,9\n2,2025-01-03 23:30,web,10\n"
                                       "3,2025-01-04T01:00:00+02:00,web,2\n").encode()
    f["dates_garbage.csv"] = (H + "\n1,yesterday,web,9\n2,2025-13-45 10:00,web,10\n3,2025-01-05 10:00,web,2\n").encode()
    # --- durations (tickets) --------------------------------------------------------------------
    th = "Ticket ID,Created At,First Response At,Resolved At,Resolution Minutes,Channel\n"
    f["durations_negative.csv"] = (th + "1,2025-01-01 10:00,2025-01-01 10:30,2025-01-01 12:00,120,web\n"
                                   "2,2025-01-01 10:00,2025-01-01 09:00,2025-01-01 08:00,-120,web\n"
                                   "3,2025-01-02 10:00,2025-01-02 10:10,2025-01-02 11:00,60,web\n").encode()
    f["durations_impossible.csv"] = (th + "1,2025-01-01 10:00,2025-01-01 10:30,2025-01-01 12:00,120,web\n"
                                     "2,2025-01-01 10:00,soon,never,forever,web\n"
                                     "3,2025-01-02 10:00,2025-01-02 10:10,2125-01-02 11:00,52596000000000,web\n").encode()
    # --- excel ----------------------------------------------------------------------------------
    good_rows = [["Response ID", "Responded At", "Channel", "Score"], [1, "2025-01-01", "web", 9],
                 [2, "2025-01-02", "web", "ten"], [3, "2025-01-03", "web", 10], [4, "2025-01-04", "web", 42]]
    f["weird.xlsx"] = _xlsx(good_rows)
    f["csv_named.xlsx"] = ok.encode()
    f["corrupt_zip.xlsx"] = b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(2048))
    f["truncated.xlsx"] = _xlsx(good_rows)[:1500]
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(zipfile.ZipInfo("hello.txt", date_time=(2025, 1, 1, 0, 0, 0)), "not a workbook")
    f["zip_not_workbook.xlsx"] = z.getvalue()
    f["empty_workbook.xlsx"] = _xlsx([])
    f["xlsx_header_only.xlsx"] = _xlsx([good_rows[0]])
    f["xlsx_duplicate_headers.xlsx"] = _xlsx([["Score", "Score"], [1, 2]])
    f["xlsx_entity_bomb.xlsx"] = _entity_bomb(_xlsx([["Score"], [9]]))
    f["html_named.xlsx"] = b"<html><body><table><tr><td>Score</td></tr></table></body></html>"
    f.update(hostile_outputs())
    f.update(terminal_text())
    f.update(hostile_inputs(good_rows))
    return f


def _q(value: str) -> str:
    """One CSV field quoted (the corpus' hostile values hold commas, quotes and line breaks)."""
    return '"' + value.replace('"', '""') + '"'


def _channels(channels: list[str], scores: list[str], header: str = H) -> bytes:
    return (header + "\n" + "".join(f"{i},2025-01-{i:02d} 10:00,{_q(c)},{s}\n"
                                      for i, (c, s) in enumerate(zip(channels, scores), start=1))).encode()


def hostile_outputs() -> dict[str, bytes]:
    """Untrusted text that must reach CSV, Markdown and XLSX outputs as data (tests/test_hostile_outputs2.py)."""
    f: dict[str, bytes] = {}
    # --- CSV output: a line break or separator inside a value, then a formula -----------------
    f["out_csv_bare_cr.csv"] = _channels(
        ["web\r=HYPERLINK(\"http://x\")", "mail\r\n@SUM(A1)", "chat\n+1+2", "sms\r-2+3"], ["9", "10", "3", "8"])
    f["out_csv_separators.csv"] = _channels(
        ["a;=cmd()", "b\t-cmd", "c,@x", "d;;+1+2", "-5", "-0.25", "e;-7"], ["10", "9", "0", "6", "7", "8", "10"])
    f["out_csv_formula_header.csv"] = _channels(
        ['say "=1"', "\uff1dcmd", " =cmd", "\t=x"], ["10", "0", "9", "5"],
        header="Response ID,Responded At,=Region;+cmd,Score")
    # --- Markdown output: a value that would end the cell or row, raw HTML, inline markup ------
    f["out_md_table_break.csv"] = _channels(
        ["a|b", "a\\|b", "x\r\n| y | z", "line\rbreak", "tail\\"], ["10", "9", "8", "3", "0"])
    f["out_md_html.csv"] = _channels(
        ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "<a href=javascript:alert(1)>x</a>",
         "&lt;b&gt;", "<!-- hidden -->"], ["10", "10", "9", "7", "0"])
    f["out_md_markup.csv"] = _channels(
        ["[x](javascript:alert(1))", "![i](http://x/i.png)", "**bold**", "`code`", "# heading", "~~s~~"],
        ["10", "9", "6", "5", "8", "7"])
    # --- XLSX output: characters XML forbids, formulas, a cell over Excel's 32,767 characters -----
    f["out_xlsx_controls.csv"] = _channels(
        ["bell\x07!", "vt\x0bff\x0cx", "esc\x1b[31mred", "us\x1fx", "nonchar\ufffex"],
        ["10", "9", "8", "3", "10"])
    f["out_xlsx_formulas.csv"] = _channels(
        ["=HYPERLINK(\"http://x\",\"y\")", "=1+1", "+cmd", "@SUM(A1)", "-x", "-5"], ["10", "9", "6", "5", "8", "10"])
    f["out_xlsx_long_cell.csv"] = _channels(["=" + "x" * 33_000, "short"], ["10", "0"])
    return f


def terminal_text() -> dict[str, bytes]:
    """Untrusted text that must reach the terminal as data (tests/test_terminal_safety.py)."""
    f: dict[str, bytes] = {}
    # --- untrusted text in the terminal: rich markup and control sequences are data ----------
    # shown literally / escaped (\\x1b) in every table, never parsed, never sent to the terminal.
    # nps: scores 10, 9, 7, 3 -> 2 promoters, 1 detractor: 100 x (2 - 1) / 4 = 25;
    #      10, 9, 9, 8, 0 -> 100 x (3 - 1) / 5 = 40; headers file 10, 10, 10, 1 -> 100 x (3 - 1) / 4 = 50.
    # themes: every comment says "billing refund" -> 100 % of 4 (5) comments.
    # frt (tickets): 30, 10, 20 minutes -> median 20 over 3; topics: 3 tickets, 3 topics, 100 % covered.
    th = "Response ID,Responded At,Channel,Agent,Score,Comment\n"
    f["term_markup_values.csv"] = (th + "".join(
        f"{i},2025-01-0{i} 10:00,{v},{v},{score},{comment}\n" for i, (v, score, comment) in enumerate([
            ("[bold]x[/bold]", 10, "billing refund [bold]x[/bold]"), ("[/x]", 9, "billing refund [/x] late"),
            ("[link=http://evil]y[/link]", 7, "billing refund [link=http://evil]y[/link]"),
            ("[conceal]z[/conceal]", 3, "billing refund [conceal]secret[/conceal]")], start=1))).encode()
    f["term_control_values.csv"] = (th + "".join(
        f'{i},2025-01-0{i} 10:00,"{v}","{v}",{score},"{comment}"\n' for i, (v, score, comment) in enumerate([
            ("\x1b]8;;http://e\x07z", 10, "billing refund \x1b]8;;http://e\x07link\x1b]8;;\x07"),
            ("\x1b[2J", 9, "billing refund \x1b[2J\x1b[H"), ("\x9b31m", 9, "billing refund \x9b31m"),
            ("a\x08b", 8, "billing refund back\x08\x08"), ("c\rd", 0, "billing refund \x1b]0;pwned\x07")], start=1))).encode()
    f["term_hostile_headers.csv"] = ("Response ID,[/x] \x1b[2J,Score,[link=http://evil]y[/link],\x9b31m [bold]h\n"
                                     + "".join(f"{i},a{i},{s},b,c\n" for i, s in enumerate([10, 10, 10, 1], start=1))
                                     ).encode()
    f["term_duplicate_markup_header.csv"] = "Score,[/x]\x1b[2J,[/x]\x1b[2J\n9,a,b\n".encode()
    f["term_ticket_values.csv"] = ("Ticket ID,Created At,First Response At,Resolved At,Agent,Topic,Tags\n"
                                   '1,2025-01-01 10:00,2025-01-01 10:30,2025-01-01 12:00,[/x],[bold]billing[/bold],'
                                   '"[/x],\x1b[2J"\n'
                                   "2,2025-01-02 10:00,2025-01-02 10:10,2025-01-02 11:00,\x1b]8;;http://e\x07z,[/x],"
                                   "\x9b31m\n"
                                   "3,2025-01-03 10:00,2025-01-03 10:20,2025-01-03 13:00,[link=http://evil]y[/link],"
                                   "\x1b[2J,[conceal]t[/conceal]\n").encode()
    # a workbook: XML allows the C1 controls (CSI U+009B) and brackets in a cell.
    # nps: 9, 10, 3, 8 -> 2 promoters, 1 detractor: 100 x (2 - 1) / 4 = 25
    f["term_xlsx_values.xlsx"] = _xlsx([["Response ID", "Channel", "Score"], [1, "[/x]", 9], [2, "\x9b31m", 10],
                                        [3, "[link=http://evil]y[/link]", 3], [4, "[bold]x[/bold]\x9b2J", 8]],
                                       sheet="Sheet \u009b2J \u202e")
    return f


def hostile_inputs(good_rows: list[list]) -> dict[str, bytes]:
    """Files the reader must recognise by their content, and workbooks over the bounds (test_hostile_inputs.py)."""
    f: dict[str, bytes] = {}
    # --- workbooks chosen by content, not by name (issue 14, class 5) ---------------------------
    f["legacy_97_2003.xls"] = _ole2(["Workbook", "\x05SummaryInformation"])
    f["legacy_named.xlsx"] = _ole2(["Book"])
    f["encrypted_workbook.xlsx"] = _ole2(["\x06DataSpaces", "EncryptionInfo", "EncryptedPackage"])
    f["binary_workbook.xlsb"] = _rezip(_xlsx(good_rows), {"xl/workbook.xml": None, "xl/workbook.bin": b"\x83\x01\x00"})
    f["opendocument.ods"] = _rezip(_xlsx(good_rows), {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                                      "xl/workbook.xml": None, "content.xml": b"<office:document-content/>"})
    f["html_doctype.xlsx"] = b"\xef\xbb\xbf\r\n  <!DOCTYPE html><html><body><table><tr><td>Score</td></tr></table></body></html>"
    f["xlsx_named.csv"] = _xlsx(good_rows)
    f["xlsx_no_extension"] = _xlsx(good_rows)
    f["chart_sheet_first.xlsx"] = _chart_first(good_rows)
    # --- workbook bounds, checked before anything is expanded (class 7) ------------------------
    sheet = zipfile.ZipFile(io.BytesIO(_xlsx(good_rows))).read("xl/worksheets/sheet1.xml")
    f["xlsx_dimension_6m_rows.xlsx"] = _rezip(_xlsx(good_rows), {
        "xl/worksheets/sheet1.xml": sheet.replace(b'<dimension ref="A1:D5"', b'<dimension ref="A1:D6000000"')})
    f["xlsx_dimension_wide.xlsx"] = _rezip(_xlsx(good_rows), {
        "xl/worksheets/sheet1.xml": sheet.replace(b'<dimension ref="A1:D5"', b'<dimension ref="A1:ZZZ5"')})
    f["xlsx_declares_2_5_gib.xlsx"] = _rezip(_entity_free_strings(_xlsx([["Score"], [9]]), "x" * 64),
                                             {}, sizes={"xl/sharedStrings.xml": 5 << 29})
    f["xlsx_shared_string_2mb.xlsx"] = _entity_free_strings(_xlsx([["Score"], [9]]), "9" * (2 << 20))
    # no <dimension>: the size shows only as the cells stream (a cell past Excel's last column XFD; one
    # past openpyxl's last column ZZZ)
    small = zipfile.ZipFile(io.BytesIO(_xlsx([["Score"], [9]]))).read("xl/worksheets/sheet1.xml")
    small = re.sub(rb'<dimension ref="[^"]*" />', b"", small)
    f["xlsx_header_beyond_xfd.xlsx"] = _rezip(_xlsx([["Score"], [9]]), {"xl/worksheets/sheet1.xml": small.replace(
        b"<is><t>Score</t></is></c>", b'<is><t>Score</t></is></c><c r="XFE1" t="inlineStr"><is><t>x</t></is></c>')})
    f["xlsx_cell_beyond_zzz.xlsx"] = _rezip(_xlsx([["Score"], [9]]), {"xl/worksheets/sheet1.xml": small.replace(
        b"<v>9</v></c>", b'<v>9</v></c><c r="AAAA2" t="n"><v>1</v></c>')})
    # --- resource bounds: a --by with one group per row (class 7) -------------------------------
    f["groups_25_channels.csv"] = (H + "\n" + "".join(f"{i},2025-01-{i:02d} 10:00,ch{i},10\n"
                                                      for i in range(1, 26))).encode()
    # --- dates and zones (class 8) --------------------------------------------------------------
    f["dates_year_zero.csv"] = (H + "\n1,0000-01-01 10:00,web,9\n2,2025-01-02 10:00,web,10\n"
                                "3,2025-01-03 10:00,web,3\n").encode()
    # 2025-03-30 02:30 does not exist in Europe/Berlin (clocks went 02:00 -> 03:00)
    f["dates_dst_gap.csv"] = (H + "\n1,2025-03-30 02:30,web,9\n2,2025-03-30 03:30,web,10\n"
                              "3,2025-10-26 02:30,web,3\n").encode()
    return f


def config_files() -> dict[str, bytes]:
    c: dict[str, bytes] = {}
    c["cfg_unknown_keys.yaml"] = b"sources:\n  surveys:\n    file: ok.csv\n    colums: {score: Score}\nkpis:\n  nps:\n    promotor_min: 9\nbogus: 1\n"
    c["cfg_wrong_types.yaml"] = b"min_sample: many\nsources:\n  surveys:\n    file: ok.csv\n    dayfirst: maybe\n    header_rows: two\nkpis:\n  nps:\n    promoter_min: high\n"
    c["cfg_missing_source_file.yaml"] = b"sources:\n  surveys:\n    file: does_not_exist.csv\nkpis:\n  nps: {}\n"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
        prev = name
    lines.append(f"kpis: {{nps: {{title: *{prev}}}}}")
    c["cfg_anchor_bomb.yaml"] = ("\n".join(lines) + "\n").encode()
    c["cfg_python_object.yaml"] = b"kpis: !!python/object/apply:os.system ['echo pwned']\n"
    c["cfg_python_name.yaml"] = b"sources: !!python/name:os.system\n"
    c["cfg_not_mapping.yaml"] = b"- nps\n- csat\n"
    c["cfg_syntax_error.yaml"] = b"sources:\n  surveys:\n    file: [ok.csv\nkpis: {\n"
    c["cfg_binary.yaml"] = b"\xff\xfe\x00k\x00p\x00i\x00s"
    c["cfg_unknown_kpi.yaml"] = b"sources:\n  surveys:\n    file: ok.csv\nkpis:\n  npss: {}\n"
    c["cfg_unknown_source.yaml"] = b"sources:\n  survey:\n    file: ok.csv\n"
    c["cfg_deep_nesting.yaml"] = b"kpis: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    c["cfg_tabs.yaml"] = b"sources:\n\tsurveys:\n\t\tfile: ok.csv\n"
    c["cfg_source_is_dir.yaml"] = b"sources:\n  surveys:\n    file: a_directory.csv\nkpis:\n  nps: {}\n"
    # the report dashboard with markup and escapes in its titles and a failed source whose error holds them
    c["cfg_term_report.yaml"] = (b'report:\n  title: "[/x] Weekly \\e[2J [link=http://evil]y[/link]"\n'
                                 b"  on_source_error: continue\n  kpis: [nps, frt]\n"
                                 b'kpis:\n  nps: {title: "[bold]NPS[/bold] [/x] \\e]8;;http://e\\a"}\n'
                                 b"sources:\n  surveys: {file: term_markup_values.csv}\n"
                                 b"  tickets: {file: term_duplicate_markup_header.csv}\n")
    return c


# Cases decided by the loader every command shares (content sniffing, workbook bounds, special paths):
# the every-command matrix runs them through one command per loader path (tests/test_corpus.py).
LOADER_CASES = {
    "legacy_97_2003.xls", "legacy_named.xlsx", "encrypted_workbook.xlsx", "binary_workbook.xlsb", "opendocument.ods",
    "html_doctype.xlsx", "xlsx_named.csv", "xlsx_no_extension", "chart_sheet_first.xlsx",
    "xlsx_dimension_6m_rows.xlsx", "xlsx_dimension_wide.xlsx", "xlsx_declares_2_5_gib.xlsx",
    "xlsx_shared_string_2mb.xlsx", "xlsx_header_beyond_xfd.xlsx", "xlsx_cell_beyond_zzz.xlsx", "symlink_loop.csv",
    "header_wider_than_1mib.csv",
}
# a name longer than a file system allows (ENAMETOOLONG): never written, only given
LONG_NAME = "name_too_long_" + "x" * 250 + ".csv"
LOADER_CASES.add(LONG_NAME)


def build_big(folder: Path) -> dict[str, Path]:
    """The large cases, written into ``folder`` at test time (they stay out of git)."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    p = folder / "symlink_loop.csv"  # symlink_loop.csv -> symlink_loop_b.csv -> symlink_loop.csv (ELOOP)
    if not p.is_symlink():
        p.symlink_to("symlink_loop_b.csv")
        (folder / "symlink_loop_b.csv").symlink_to("symlink_loop.csv")
    out[p.name] = p
    p = folder / "header_wider_than_1mib.csv"  # no line end in the first MiB: a header of 190,000+ columns
    p.write_bytes((",".join(f"col{i}" for i in range(190_000)) + "\n1\n").encode())
    out[p.name] = p
    p = folder / "cell_5mb.csv"
    p.write_bytes((H + "\n1,2025-01-01 10:00,web,9\n2,2025-01-02 10:00,web," + "9" * (5 << 20) + "\n"
                   "3,2025-01-03 10:00,web,2\n").encode())
    out[p.name] = p
    p = folder / "quote_5mb.csv"  # an unclosed quote swallowing the rest of a 5 MB file
    p.write_bytes((H + '\n1,2025-01-01 10:00,"web,9\n' + "2,2025-01-02 10:00,web,10\n" * 220_000).encode())
    out[p.name] = p
    p = folder / "columns_100k.csv"
    p.write_bytes((",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("1" for _ in range(100_000)) + "\n").encode())
    out[p.name] = p
    p = folder / "cfg_too_big.yaml"
    p.write_bytes(b"# padding\n" * 120_000 + b"kpis: {}\n")
    out[p.name] = p
    return out


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, data in {**data_files(), **config_files()}.items():
        (out / name).write_bytes(data)
    (out / "ok.csv").write_bytes((H + "\n" + _rows(["10", "9", "7", "3"])).encode())
    d = out / "a_directory.csv"
    d.mkdir(exist_ok=True)
    (d / ".keep").write_bytes(b"")
    print(f"wrote {len(data_files()) + len(config_files())} corpus files to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""The Excel workbook: a summary sheet with status colours, a sheet per KPI with native charts.

Returns the file's bytes so the caller writes it atomically like every other output.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re

from . import tidy
from .safe import formula_safe, xml_cell

CELL_MAX = 32_767  # Excel's limit a cell: longer text makes Excel "repair" (drop) the sheet
SHEET_NAME_MAX = 31  # Excel counts UTF-16 code units
ROW_MAX, COL_MAX = 1_048_576, 16_384  # Excel's sheet size: a row past it and Excel refuses the file
TRUNCATED = "… [truncated]"


def safe_cell(value, raw: bool = False):
    """A value Excel shows as written: never a formula, never a writer crash, never a corrupt file.

    Text starting with ``= + - @`` tab CR gets a leading ``'`` (unless ``raw``; either way it is
    stored as a string, see ``_as_text``); XML-forbidden characters are shown as ``\\x07``; text
    over Excel's 32,767 characters is cut with a visible mark; NaN/inf become empty cells and a
    zoned time becomes its ISO text (openpyxl refuses both).
    """
    if isinstance(value, str):
        s = xml_cell(value if raw else formula_safe(value, split=False))
        return s if len(s) <= CELL_MAX else s[:CELL_MAX - len(TRUNCATED)] + TRUNCATED
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dt.datetime, dt.time)) and value.tzinfo is not None:
        return value.isoformat()
    return value


def _label(text) -> str:
    """A chart or axis title: drawn, never a formula, so only the XML-forbidden characters matter."""
    return xml_cell(str(text))[:255]


def _as_text(row) -> None:
    """openpyxl turns any string starting with "=" into a formula: written with --raw, it stays text."""
    for cell in row:
        if cell.data_type == "f":
            cell.data_type = "s"


def _append(ws, values, raw: bool) -> None:
    ws.append([safe_cell(v, raw) for v in values])
    _as_text(ws[ws.max_row])


_FILL = {"on target": "DCFCE7", "below target": "FFEDD5", "warn": "FEF3C7", "alert": "FEE2E2", "failed": "FECACA"}
_RESERVED = {"history"}  # Excel keeps this sheet name for itself


def _utf16_cut(s: str, units: int) -> str:
    out, n = [], 0
    for ch in s:
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > units:
            break
        out.append(ch)
    return "".join(out)


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel's rules: no control characters, none of []:*?/\\, no ' at either end, 31 units, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "-", xml_cell(str(name))).strip().strip("'")
    base = _utf16_cut(base, SHEET_NAME_MAX).rstrip("'") or "kpi"
    if base.lower() in _RESERVED:
        base += "-kpi"
    candidate, i = base, 2
    while candidate.lower() in used:
        candidate = f"{_utf16_cut(base, SHEET_NAME_MAX - 1 - len(str(i))).rstrip(chr(39))}-{i}"
        i += 1
    used.add(candidate.lower())
    return candidate


def _fits(kpi: str, rows: int, cols: int) -> None:
    if rows > ROW_MAX or cols > COL_MAX:
        from ..errors import UsageError

        raise UsageError(f"XLSX output: the {kpi} sheet would need {rows:,} rows × {cols:,} columns, over Excel's "
                         f"{ROW_MAX:,} × {COL_MAX:,}; use --format csv, or fewer --by columns or a coarser --period")


def render(report, raw: bool = False, **_) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    used = {"summary"}
    header = ["KPI", "Title", "Area", "Value", "Unit", "Period", "Status", "Target", "Warn", "Alert", "Change",
              "Previous", "Significant", "n", "Skipped", "Reference / error"]
    _append(ws, header, raw)
    for e in report.entries:
        c = e.comparison
        _append(ws, (  # titles and errors can carry user text: every cell
            e.kpi, e.title, e.area, e.headline, e.unit, e.headline_period, e.status, e.thresholds.target,
            e.thresholds.warn, e.thresholds.alert, c.change if c else None, c.previous if c else None,
            (c.significance.significant if c and c.significance else None),
            e.result.n if e.result else None, e.result.skipped.total if e.result else None,
            e.error or e.reference or ""), raw)
        row = ws.max_row
        if e.status in _FILL:
            ws.cell(row=row, column=7).fill = PatternFill("solid", fgColor=_FILL[e.status])
        for col in (4, 8, 9, 10, 11, 12):
            ws.cell(row=row, column=col).number_format = "#,##0.00"
    for kpi, why in report.not_computed.items():
        _append(ws, (kpi, "", "", None, "", "", "not computed", None, None, None,
                     None, None, None, None, None, why), raw)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for i, width in enumerate([16, 28, 11, 11, 8, 10, 8, 8, 8, 8, 9, 9, 11, 8, 8, 40], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width

    for e in report.entries:
        if e.result is None:
            continue
        sheet = wb.create_sheet(_sheet_name(e.kpi, used))
        rows = tidy.rows([e.result])
        cols = [c for c in tidy.columns(rows) if c != "kpi"]
        _fits(e.kpi, len(rows) + 1 + (len(e.trend) + 3 if len(e.trend) > 1 else 0), len(cols))
        _append(sheet, cols, raw)  # group-by names and breakdown keys come from the data
        for r in rows:
            _append(sheet, [r.get(c) for c in cols], raw)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        value_col = cols.index("value") + 1
        for row in sheet.iter_rows(min_row=2, min_col=value_col, max_col=len(cols)):
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "#,##0.00"
        if len(e.trend) > 1:
            start = sheet.max_row + 3
            sheet.cell(row=start, column=1, value="period")
            _as_text([sheet.cell(row=start, column=2, value=safe_cell(f"{e.kpi} ({e.unit})", raw))])
            for i, (p, v, _n) in enumerate(e.trend, start=1):
                _as_text([sheet.cell(row=start + i, column=1, value=safe_cell(p, raw))])
                sheet.cell(row=start + i, column=2, value=safe_cell(v)).number_format = "#,##0.00"
            chart = LineChart()
            chart.title = _label(f"{e.title} by {report.period}")
            chart.y_axis.title = _label(e.unit)
            data = Reference(sheet, min_col=2, min_row=start, max_row=start + len(e.trend))
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=start + 1, max_row=start + len(e.trend)))
            sheet.add_chart(chart, f"{get_column_letter(len(cols) + 2)}2")
        elif len(rows) > 1:
            chart = BarChart()
            chart.title = _label(e.title)
            data = Reference(sheet, min_col=value_col, min_row=1, max_row=len(rows) + 1)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(rows) + 1))
            sheet.add_chart(chart, f"{get_column_letter(len(cols) + 2)}2")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

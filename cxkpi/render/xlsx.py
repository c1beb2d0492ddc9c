"""The Excel workbook: a summary sheet with status colours, a sheet per KPI with native charts.

Returns the file's bytes so the caller writes it atomically like every other output.
"""

from __future__ import annotations

import io
import re

from . import tidy
from .csv import safe_cell as _csv_safe
from .safe import xml_cell


def safe_cell(value, raw: bool = False):
    """Formula-neutralised and with XML-forbidden characters replaced (never a writer crash)."""
    return xml_cell(_csv_safe(value, raw))

_FILL = {"ok": "DCFCE7", "warn": "FEF3C7", "alert": "FEE2E2", "failed": "FECACA"}


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "kpi"
    candidate, i = base, 2
    while candidate.lower() in used:
        candidate = f"{base[:28]}-{i}"
        i += 1
    used.add(candidate.lower())
    return candidate


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
    ws.append(header)
    for e in report.entries:
        c = e.comparison
        ws.append([safe_cell(v, raw) for v in (  # titles and errors can carry user text: every cell
            e.kpi, e.title, e.area, e.headline, e.unit, e.headline_period, e.status, e.thresholds.target,
            e.thresholds.warn, e.thresholds.alert, c.change if c else None, c.previous if c else None,
            (c.significance.significant if c and c.significance else None),
            e.result.n if e.result else None, e.result.skipped.total if e.result else None,
            e.error or e.reference or "")])
        row = ws.max_row
        if e.status in _FILL:
            ws.cell(row=row, column=7).fill = PatternFill("solid", fgColor=_FILL[e.status])
        for col in (4, 8, 9, 10, 11, 12):
            ws.cell(row=row, column=col).number_format = "#,##0.00"
    for kpi, why in report.not_computed.items():
        ws.append([safe_cell(v, raw) for v in (kpi, "", "", None, "", "", "not computed", None, None, None,
                                                None, None, None, None, None, why)])
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
        sheet.append(cols)
        for r in rows:
            sheet.append([safe_cell(r.get(c), raw) for c in cols])
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
            sheet.cell(row=start, column=2, value=f"{e.kpi} ({e.unit})")
            for i, (p, v, _n) in enumerate(e.trend, start=1):
                sheet.cell(row=start + i, column=1, value=safe_cell(p, raw))
                sheet.cell(row=start + i, column=2, value=v).number_format = "#,##0.00"
            chart = LineChart()
            chart.title = f"{e.title} by {report.period}"
            chart.y_axis.title = e.unit
            data = Reference(sheet, min_col=2, min_row=start, max_row=start + len(e.trend))
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=start + 1, max_row=start + len(e.trend)))
            sheet.add_chart(chart, f"{get_column_letter(len(cols) + 2)}2")
        elif len(rows) > 1:
            chart = BarChart()
            chart.title = e.title
            data = Reference(sheet, min_col=value_col, min_row=1, max_row=len(rows) + 1)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(rows) + 1))
            sheet.add_chart(chart, f"{get_column_letter(len(cols) + 2)}2")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

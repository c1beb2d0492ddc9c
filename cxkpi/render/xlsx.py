"""The Excel workbook: a summary sheet with status colours, a sheet per KPI with native charts.

Returns the file's bytes so the caller writes it atomically like every other output.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re

from . import tidy
from ..compare import ALERT, BELOW_TARGET, NONE, ON_TARGET, STATUS_MEANING, WARN
from .headline import Ctx, label_key, latest_groups, topic_rows
from .headline import text as headline_text
from .safe import formula_safe, xml_cell
from .units import FREE_AXIS, duration_scale, excel_format, excel_width, is_duration, period_kind, unit_label

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


_STAT = ("mean", "median", "p90", "p50", "p95", "p99")
WIDTH_MIN, WIDTH_MAX = 6, 50  # column widths in characters: fit header and values, within these bounds


def _column_unit(col: str, unit: str | None) -> str | None:
    """The unit of a KPI sheet's column: value and its interval in the KPI's unit, ``*_pct`` in %, a
    duration KPI's mean/median/p90 (also ``talk_mean``…) in its unit; None for counts and other numbers."""
    if col in ("value", "ci_low", "ci_high"):
        return unit
    if col.endswith("_pct"):
        return "%"
    if is_duration(unit) and (col in _STAT or col.endswith(tuple("_" + s for s in _STAT))):
        return unit
    return None


def _header(col: str, unit: str | None, currency: str | None) -> str:
    label = unit_label(unit, currency)
    return f"{col} ({label})" if label else col


def _fit_columns(ws, max_col: int | None = None) -> None:
    """Each column as wide as its header and values (bounded), from what each cell shows."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            w = excel_width(cell.value, cell.number_format)
            widths[cell.column] = max(widths.get(cell.column, 0), w)
    for col, w in widths.items():
        if max_col is None or col <= max_col:
            ws.column_dimensions[get_column_letter(col)].width = max(WIDTH_MIN, min(WIDTH_MAX, w + 2))


def _report_block(ws, report, period: str, raw: bool) -> None:
    """Under the Summary (and in its printed header): the report's title, which period the headlines
    are and what they are compared with, the data's dates and when the workbook was made, as the HTML
    report's header says them."""
    from openpyxl.styles import Font

    from .units import fmt_date, local_time, period_name

    latest, previous = getattr(report, "headline_period", None), getattr(report, "compare_period", None)
    when = period_name(latest, period) if latest else None
    if when and previous:
        when += f" compared with {period_name(previous, period)}"
    first, last = getattr(report, "data_range", (None, None))
    lines = [("Report", report.title),
             ("Headlines", when or "all data (no --period): each headline is the total"),
             ("Data", f"{fmt_date(first)} – {fmt_date(last)}" if first and last else None),
             ("Generated", local_time(report.generated_at, getattr(report, "timezone", None)))]
    ws.append([])
    for name, value in lines:
        if value is not None:
            _append(ws, (name, value), raw)  # a title is user text: the same cell safety as every cell
            ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    # the printed page's header: "&" starts a header code in Excel, so a title's "&" is doubled
    ws.oddHeader.center.text = xml_cell(f"{report.title} · {when}" if when else report.title).replace("&", "&&")


def _print_setup(ws) -> None:
    """Printed, each sheet fits one page wide (as many pages long as it needs), landscape, header repeated."""
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "1:1"


def _one_series(chart, unit_text: str, number_format: str, from_zero: bool) -> None:
    """A single-series chart: no legend (the title names the series), axes shown, the unit on the value axis."""
    from openpyxl.chart.data_source import AxDataSource, StrRef

    chart.legend = None
    for series in chart.series:  # the categories are text (periods, labels): a string reference, not numbers
        if series.cat is not None and series.cat.numRef is not None:
            series.cat = AxDataSource(strRef=StrRef(f=series.cat.numRef.f))
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.title = _label(unit_text) if unit_text else None
    chart.y_axis.numFmt = number_format
    if from_zero:
        chart.y_axis.scaling.min = 0


def _label_rows(entry):
    """(label column, latest period, [(label, value, n)]) of a labelled breakdown (topics, --by channel…) for
    its latest period, without the "(all)" row; most first (topics: most tickets first, as in the HTML)."""
    result = entry.result
    key = label_key(result)
    if key is None:
        return None, None, []
    period, groups = latest_groups(result)
    if result.kpi == "topics":
        return key, period, topic_rows(entry)
    rows = [(str(g.key.get(key)), g.value, g.n) for g in groups]
    rows.sort(key=lambda t: (t[1] is None, -(t[1] or 0), t[0]))
    return key, period, rows


def render(report, raw: bool = False, **_) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from .text import fmt_value

    ctx = Ctx(report)
    if ctx.period not in ("day", "week", "month", "quarter", "year"):  # a KPI command's "period": which one?
        ctx.period = period_kind({p for e in report.entries for p, _, _ in e.trend}
                                 | {g.key["period"] for e in report.entries if e.result for g in e.result.groups
                                    if "period" in g.key and g.key["period"] not in ("(all)", None)})
    by = ctx.period or report.period or "period"
    currency = ctx.currency
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    used = {"summary"}
    header = ["KPI", "Title", "Area", "Value", "Unit", "Period", "Status", "Target", "Warn", "Alert", "Change",
              "Previous", "Significant", "n", "Skipped", "Reference / error", "Headline", "Compared with"]
    _append(ws, header, raw)
    for e in report.entries:
        c = e.comparison
        n = e.n if e.n is not None else (e.result.n if e.result else None)  # the n of the headline's period
        _append(ws, (  # titles and errors can carry user text: every cell
            e.kpi, e.title, e.area, e.headline, unit_label(e.unit, currency), e.headline_period, e.status,
            e.thresholds.target, e.thresholds.warn, e.thresholds.alert, c.change if c else None,
            c.previous if c else None, (c.significance.significant if c and c.significance else None),
            n, e.result.skipped.total if e.result else None, e.error or e.reference or "",
            "" if e.error or e.result is None else headline_text(e, ctx),
            c.previous_period if c else None), raw)
        row = ws.max_row
        if e.status in _FILL:  # "none" (no target): no colour
            ws.cell(row=row, column=7).fill = PatternFill("solid", fgColor=_FILL[e.status])
        for col in (4, 8, 9, 10, 11, 12):
            ws.cell(row=row, column=col).number_format = excel_format(e.unit)
        ws.cell(row=row, column=14).number_format = "#,##0"
        ws.cell(row=row, column=15).number_format = "#,##0"
    for kpi, why in report.not_computed.items():
        _append(ws, (kpi, "", "", None, "", "", "not computed", None, None, None,
                     None, None, None, None, None, why, "", None), raw)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    _fit_columns(ws)
    for row in ws.iter_rows(min_row=2, min_col=16, max_col=17):  # reference and headline wrap in their width
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = ws.max_row
    if any(e.thresholds.any for e in report.entries):  # what the status words mean, as in the HTML legend
        ws.cell(row=last + 2, column=1, value="Status").font = Font(bold=True)
        ws.cell(row=last + 2, column=2, value="meaning").font = Font(bold=True)
        for i, s in enumerate((ON_TARGET, BELOW_TARGET, WARN, ALERT, NONE), start=last + 3):
            ws.cell(row=i, column=1, value=s).fill = (PatternFill("solid", fgColor=_FILL[s]) if s in _FILL
                                                      else PatternFill())
            ws.cell(row=i, column=2, value=STATUS_MEANING[s]
                    + ("; worse follows the KPI's direction (lower is better for times)" if s == BELOW_TARGET else ""))
    _report_block(ws, report, by, raw)
    _print_setup(ws)

    for e in report.entries:
        if e.result is None:
            continue
        sheet = wb.create_sheet(_sheet_name(e.kpi, used))
        rows = tidy.rows([e.result])
        cols = [c for c in tidy.columns(rows) if c != "kpi"]
        units = {c: _column_unit(c, e.unit) for c in cols}
        key, period, labelled = _label_rows(e)
        trend = len(e.trend) if len(e.trend) > 1 else 0
        labels = len(labelled) if len(labelled) > 1 else 0
        # the chart tables stand right of the data: a header row each, 2 (trend) and 3 (labels) columns
        _fits(e.kpi, 1 + max(len(rows), trend, labels), len(cols) + (3 if trend else 0) + (4 if labels else 0))
        _append(sheet, [_header(c, units[c], currency) for c in cols], raw)  # group keys come from the data
        for r in rows:  # the unit column names the currency (EUR), never the word "currency"
            _append(sheet, [unit_label(r.get(c), currency) if c == "unit" else r.get(c) for c in cols], raw)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=False)
        keys = cols[:cols.index("value")]
        sheet.freeze_panes = f"{get_column_letter(len(keys) + 1)}2"  # under the header, right of the keys
        value_col = cols.index("value") + 1
        for row in sheet.iter_rows(min_row=2, min_col=value_col, max_col=len(cols)):
            for cell in row:
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    cell.number_format = excel_format(units[cols[cell.column - 1]], cell.value)
        col = len(cols) + 2  # chart tables stand right of the data, so columns A… hold only the data
        anchor_row = 2
        number_format = excel_format(e.unit)
        unit_text = unit_label(e.unit, currency)
        from_zero = e.unit not in FREE_AXIS
        if trend:
            div, axis_unit = 1.0, unit_text
            if is_duration(e.unit):  # minutes, hours or days as the values need (as in the HTML trends)
                div, axis_unit = duration_scale([v for _, v, _ in e.trend if v is not None], e.unit)
            sheet.cell(row=1, column=col, value=by).font = Font(bold=True)
            _as_text([sheet.cell(row=1, column=col + 1, value=safe_cell(
                f"{e.kpi} ({axis_unit})" if axis_unit else e.kpi, raw))])
            sheet.cell(row=1, column=col + 1).font = Font(bold=True)
            for i, (p, v, _n) in enumerate(e.trend, start=2):
                _as_text([sheet.cell(row=i, column=col, value=safe_cell(p, raw))])
                sheet.cell(row=i, column=col + 1, value=safe_cell(None if v is None else v / div)
                           ).number_format = number_format
            target = e.thresholds.target
            goal = ""
            if target is not None and e.higher_is_better is not None:
                t = target / div
                goal = f" · target {'≥' if e.higher_is_better else '≤'} {fmt_value(t, 0 if float(t).is_integer() else 2)}"
            chart = LineChart()
            chart.title = _label(f"{e.title} by {by}" + (f" ({axis_unit})" if axis_unit else "") + goal)
            chart.add_data(Reference(sheet, min_col=col + 1, min_row=1, max_row=1 + len(e.trend)),
                           titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=col, min_row=2, max_row=1 + len(e.trend)))
            if goal:  # the target as a dashed line across the trend (the title names it: no legend needed)
                sheet.cell(row=1, column=col + 2, value="target").font = Font(bold=True)
                for i in range(2, 2 + len(e.trend)):
                    sheet.cell(row=i, column=col + 2, value=t).number_format = number_format
                chart.add_data(Reference(sheet, min_col=col + 2, min_row=1, max_row=1 + len(e.trend)),
                               titles_from_data=True)
                line = chart.series[-1]
                line.graphicalProperties.line.solidFill = "DC2626"
                line.graphicalProperties.line.dashStyle = "dash"
                line.marker.symbol = "none"
                line.smooth = False
            _one_series(chart, axis_unit, number_format, from_zero)
            chart.x_axis.title = _label(by)
            sheet.add_chart(chart, f"{get_column_letter(col + 6)}{anchor_row}")
            anchor_row += 16
            col += 3
        if labels:  # a breakdown by label (topics, --by channel) for the latest period: its labels
            what = "tickets" if e.kpi == "topics" else "n"
            _as_text([sheet.cell(row=1, column=col, value=safe_cell(key, raw)),
                      sheet.cell(row=1, column=col + 1, value=safe_cell(_header("value", e.unit, currency), raw)),
                      sheet.cell(row=1, column=col + 2, value=what)])
            for j in range(3):
                sheet.cell(row=1, column=col + j).font = Font(bold=True)
            for i, (name, v, count) in enumerate(labelled, start=2):
                _as_text([sheet.cell(row=i, column=col, value=safe_cell(name, raw))])
                sheet.cell(row=i, column=col + 1, value=safe_cell(v)).number_format = number_format
                sheet.cell(row=i, column=col + 2, value=count).number_format = "#,##0"
            shown = min(len(labelled), 15)
            chart = BarChart()
            chart.type = "bar"  # horizontal: long labels stay readable
            when = f", {ctx.name(period)}" if period else ""
            chart.title = _label(f"{e.title}{'' if e.kpi == 'topics' else ' by ' + str(key)}{when}" + (f" ({unit_text})" if unit_text else ""))
            chart.add_data(Reference(sheet, min_col=col + 1, min_row=1, max_row=1 + shown), titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=col, min_row=2, max_row=1 + shown))
            _one_series(chart, unit_text, number_format, True)
            chart.x_axis.scaling.orientation = "maxMin"  # the largest first, at the top
            chart.height = max(7.5, 0.6 * shown + 2)
            sheet.add_chart(chart, f"{get_column_letter(col + 4)}{anchor_row}")
        _fit_columns(sheet)
        _print_setup(sheet)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

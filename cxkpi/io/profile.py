"""What is in an export, read in bounded chunks: the library half of ``cxkpi inspect``.

``profile_file(path, options)`` streams a CSV/TSV (pyarrow record batches of
``block_size`` bytes) or a workbook sheet (openpyxl read-only, ``batch_rows``
rows at a time) and returns a frozen ``Profile``: the row count, per column its
type, nulls, distinct count, examples and range, and the ``Suggestion`` of
``io.suggest`` (source, preset, mapping, computable KPIs). Memory does not grow
with the file: per column it keeps counters, at most ``distinct_cap`` distinct
values, and until the column's type is decided a sample of at most
``sample_size`` values plus one chunk.

A column's type is decided on its first ``sample_size`` non-missing values with
the parsers the loader uses (``io.values``), so "date/time, %d/%m/%Y" here is
what ``cxkpi nps`` will parse; min/max and the count of unparseable values are
then taken over the whole file with the format found on the sample.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from . import sniff, values
from .load import LoadOptions, header_for
from .read import (check_cells, excel_column, existing_file, header_rows, is_excel, is_stream, max_cell_chars,
                   odd_quotes, read_table, scan_records)
from .suggest import Suggestion, by_answers, suggest

SCHEMA = "cxkpi.inspect/1"
# bytes of CSV per record batch. pyarrow's streaming reader reads about a dozen blocks ahead, so the
# peak is ~30 blocks; 4 MiB keeps it flat near 350 MB (1M and 3M rows alike) at 16 MiB's speed.
BLOCK_BYTES = 4 << 20
BATCH_ROWS = 10_000  # workbook rows per batch
SAMPLE_SIZE = 10_000  # non-missing values per column that decide its type
DISTINCT_CAP = 10_000  # exact distinct counts up to this, then "10,000+"
MAX_COLUMNS = 1_000  # columns profiled (all headers still count for the suggestion)
EXAMPLES = 3
EXAMPLE_CHARS = 200
PARSE_SHARE = 0.8  # share of the sample a parser (or a shape test) must read for the column to get its type

TYPES = ("empty", "integer", "number", "money", "date/time", "duration", "yes/no", "category", "text")
AMBIGUOUS = "ambiguous day/month"

_CURRENCY = r"[$€£¥₹₩₽¢]"
_NUM_SEP = r"[-+]?(?:\d{1,3}(?:[,.'\u00a0 ]\d{3})+|\d+)(?:[.,]\d+)?"
_MONEY_RE = rf"^\(?\s*[-+]?\s*(?:{_CURRENCY}\s*|[A-Z]{{3}}\s+)?{_NUM_SEP}(?:\s*{_CURRENCY}|\s+[A-Z]{{3}})?\s*\)?$"
_MONEY_MARK = rf"{_CURRENCY}|^\(|\)$|^[A-Z]{{3}}\s|\s[A-Z]{{3}}$"


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    position: int  # 1-based
    type: str  # one of TYPES
    nulls: int  # empty cells and the usual missing tokens (n/a, -, null, ...)
    null_pct: float | None  # None when the file has no rows
    distinct: int  # exact below the cap; the cap itself when capped
    distinct_capped: bool
    examples: tuple[str, ...]
    min: Any = None  # numbers (durations in minutes) or date/time text
    max: Any = None
    format: str | None = None  # strptime format, "ISO 8601", AMBIGUOUS, "decimal comma", "HH:MM:SS", ...
    invalid: int = 0  # present values the type's parser cannot read
    invalid_examples: tuple[str, ...] = ()
    unit: str | None = None  # "min" for durations
    canonical: tuple[str, ...] = ()  # canonical columns the suggestion maps to this header

    def to_dict(self) -> dict:
        return {
            "name": self.name, "position": self.position, "type": self.type, "nulls": self.nulls,
            "null_pct": self.null_pct, "distinct": self.distinct, "distinct_capped": self.distinct_capped,
            "examples": list(self.examples), "min": self.min, "max": self.max, "format": self.format,
            "unit": self.unit, "invalid": self.invalid, "invalid_examples": list(self.invalid_examples),
            "canonical": list(self.canonical),
        }


@dataclass(frozen=True)
class Profile:
    file: str
    kind: str  # "csv" or "xlsx"
    rows: int  # data rows read (ragged rows are not among them)
    bad_rows: int
    bad_row_reasons: dict[str, int]
    header_rows: int
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: tuple[str, ...]  # every sheet of a workbook, () for CSV
    columns: tuple[ColumnProfile, ...]
    columns_total: int
    suggestion: Suggestion
    preset_mode: str  # "detected" (or none detected), "forced", "off"
    block_size: int

    @property
    def date_range(self) -> dict | None:
        """The main timestamp of the suggested source if the file has it, else the first date column."""
        from ..sources import SOURCES

        dated = [c for c in self.columns if c.type == "date/time" and c.min is not None]
        if not dated:
            return None
        main = SOURCES[self.suggestion.source].main_time if self.suggestion.source in SOURCES else None
        header = self.suggestion.mapping.get(main) if main else None
        pick = next((c for c in dated if c.name == header), dated[0])
        return {"column": pick.name, "min": pick.min, "max": pick.max}

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA, "file": self.file, "kind": self.kind, "sheet": self.sheet,
            "sheets": list(self.sheets), "rows": self.rows,
            "bad_rows": self.bad_rows, "bad_row_reasons": dict(self.bad_row_reasons),
            "header_rows": self.header_rows, "encoding": self.encoding, "delimiter": self.delimiter,
            "columns_total": self.columns_total, "columns_profiled": len(self.columns),
            "columns": [c.to_dict() for c in self.columns],
            "date_range": self.date_range,
            "preset_mode": self.preset_mode,
            "suggestion": self.suggestion.to_dict(),
        }


# ------------------------------------------------------------------ entry point
def profile_file(
    path: str | os.PathLike,
    options: LoadOptions | None = None,
    *,
    stdin: io.BufferedIOBase | None = None,
    block_size: int = BLOCK_BYTES,
    batch_rows: int = BATCH_ROWS,
    sample_size: int = SAMPLE_SIZE,
    distinct_cap: int = DISTINCT_CAP,
    max_columns: int | None = MAX_COLUMNS,
    progress: Callable[[int, int], None] | None = None,
) -> Profile:
    """Profile ``path`` (``-`` = stdin, spooled to a temporary file so memory stays bounded).

    ``options``: sheet, encoding, delimiter, header_rows, dayfirst; ``preset`` forces a preset,
    ``detect`` turns header detection on (None options: detection on). ``progress(done, total)`` is
    called after each chunk (bytes for CSV, rows for a workbook).
    """
    options = options if options is not None else LoadOptions(detect=True)
    if block_size < 1 or batch_rows < 1 or sample_size < 1 or distinct_cap < 1:
        raise ValueError("block_size, batch_rows, sample_size and distinct_cap must be positive")
    label = "<stdin>" if str(path) == "-" else str(path)
    p = None if str(path) == "-" else existing_file(path, label, cap=False)  # streamed: no size cap
    pipe = p is not None and is_stream(p)  # a FIFO, <(…): read once
    if p is None or pipe:
        with tempfile.TemporaryDirectory(prefix="cxkpi-inspect-") as folder:
            spooled = Path(folder) / "stdin"
            with open(spooled, "wb") as f, (open(path, "rb") if pipe else nullcontext(stdin or sys.stdin.buffer)) as src:
                shutil.copyfileobj(src, f, 1 << 20)
            return _profile(spooled, label, options, block_size, batch_rows, sample_size, distinct_cap,
                            max_columns, progress)
    return _profile(p, label, options, block_size, batch_rows, sample_size, distinct_cap, max_columns, progress)


def _profile(path: Path, label: str, options: LoadOptions, block_size: int, batch_rows: int, sample_size: int,
             distinct_cap: int, max_columns: int | None, progress) -> Profile:
    excel = is_excel(path, label)
    explicit_encoding = options.encoding is not None
    while True:
        head, suggestion, mode, options = _header_and_suggestion(path, label, options)
        n_header = header_rows(options)
        total = len(head.headers)
        width = total if not max_columns or max_columns <= 0 else min(total, max_columns)
        score = suggestion.mapping.get("score")
        stats = [_Column(h, i + 1, sample_size, distinct_cap, options.dayfirst, count=h == score)
                 for i, h in enumerate(head.headers[:width])]
        if excel:
            sheet, sheets, rows = _scan_excel(path, label, options, stats, total, n_header, batch_rows, progress)
            kind, encoding, delimiter, bad = "xlsx", None, None, {}
            break
        kind, sheet, sheets = "csv", None, ()
        encoding, delimiter = _sniff(path, options)
        try:
            rows, bad = _scan_csv(path, label, encoding, delimiter, stats, total, n_header, block_size, progress,
                                  retry_cp1252=not explicit_encoding and encoding.startswith("utf-8"))
            break
        except _Retry as again:  # invalid UTF-8 in a later chunk (read as cp1252, as the loader does),
            if again.encoding:  # or a record longer than a block
                options = replace(options, encoding=again.encoding)
            else:
                block_size *= 4
    canonical: dict[str, list[str]] = {}
    for c, h in suggestion.mapping.items():
        canonical.setdefault(h, []).append(c)
    columns = tuple(s.result(rows, tuple(canonical.get(s.name, ()))) for s in stats)
    counted = next((s for s in stats if s.counts is not None), None)
    suggestion = by_answers(suggestion, counted.counts if counted else None)  # the KPI the answers fit
    return Profile(file=label, kind=kind, rows=rows, bad_rows=sum(bad.values()), bad_row_reasons=bad,
                   header_rows=n_header, encoding=encoding, delimiter=delimiter, sheet=sheet, sheets=sheets,
                   columns=columns,
                   columns_total=total, suggestion=suggestion, preset_mode=mode, block_size=block_size)


class _Retry(Exception):
    def __init__(self, encoding: str | None = None):
        super().__init__(encoding or "bigger block")
        self.encoding = encoding


# ------------------------------------------------------------------ header, preset, suggestion
def _header_and_suggestion(path: Path, label: str, options: LoadOptions):
    """(header, suggestion, preset mode, options with the header rows the preset names).

    As the loader does: the preset is detected on the header as first read; when it names more
    header rows (Qualtrics: 3) the header is read again and mapped through that preset.
    """
    head = read_table(path, label, options, [])
    if options.preset is not None:
        mode, suggestion = "forced", suggest(head.headers, label, head.aliases, preset=options.preset)
    elif options.detect:
        mode, suggestion = "detected", suggest(head.headers, label, head.aliases)
    else:
        mode, suggestion = "off", suggest(head.headers, label, head.aliases, preset=None)
    match = suggestion.preset
    first = head
    head, options, _ = header_for(lambda o: read_table(path, label, o, []), head, options,
                                  match.preset if match else None)
    if head is not first:
        suggestion = suggest(head.headers, label, head.aliases, preset=match.preset if match else None)
    return head, suggestion, mode, options


# ------------------------------------------------------------------ CSV
def _sniff(path: Path, options: LoadOptions) -> tuple[str, str]:
    """Encoding and delimiter exactly as ``read._read_csv`` finds them."""
    with open(path, "rb") as f:
        head = f.read(sniff.SAMPLE_BYTES)
    encoding = options.encoding or sniff.detect_encoding(head)
    delimiter = options.delimiter or sniff.sniff_delimiter(sniff.decode_sample(head, encoding))
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    return encoding, delimiter


def _scan_csv(path: Path, label: str, encoding: str, delimiter: str, stats: list[_Column], total: int,
              n_header: int, block_size: int, progress, retry_cp1252: bool) -> tuple[int, dict[str, int]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if odd_quotes(path):  # an unclosed quote: the loader's own scan names its line (or lets stray quotes be)
        scan_records(path, encoding, delimiter, label)
    bad: dict[str, int] = {}

    def on_invalid(row) -> str:
        reason = f"row has {row.actual_columns} fields, the header has {row.expected_columns}"
        bad[reason] = bad.get(reason, 0) + 1
        return "skip"

    pa_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
    names = [f"f{i}" for i in range(total)]  # by position: blank or repeated-once-normalised headers are fine
    # the header block is skipped as parsed records (a header cell may hold a quoted newline)
    read_opts = pacsv.ReadOptions(encoding=pa_encoding, block_size=block_size, column_names=names,
                                  skip_rows_after_names=n_header)
    parse_opts = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid)
    convert_opts = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                        strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True)
    strings = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
    size = path.stat().st_size
    limit = max_cell_chars()
    rows = 0
    try:
        with open(path, "rb") as raw:
            reader = pacsv.open_csv(raw, read_options=read_opts, parse_options=parse_opts, convert_options=convert_opts)
            for batch in reader:
                if batch.num_rows:
                    for s in stats:
                        arr = batch.column(s.position - 1)
                        _check_cell_length(arr, s.name, label, limit, 1 + n_header + rows)
                        s.add(arr.to_pandas(types_mapper=strings.get))
                    rows += batch.num_rows
                if progress is not None:
                    progress(min(raw.tell(), size), size)
    except pa.ArrowInvalid as e:
        msg = str(e).split("\n")[0]
        if "UTF8" in msg or "utf8" in msg.lower():
            if retry_cp1252:
                raise _Retry("cp1252") from None
            raise InputError(f"{label}: not valid {encoding} text; pass --encoding (e.g. cp1252 or utf-16)") from None
        if "straddl" in msg and block_size < (1 << 30):
            raise _Retry() from None
        raise InputError(f"{label}: cannot parse CSV: {msg}") from None
    for s in stats:
        s.finish()
    return rows, bad


def _check_cell_length(arr, name: str, label: str, limit: int, first_row: int) -> None:
    """The loader's cell cap (an unclosed quote that swallowed the file, usually), per chunk."""
    import numpy as np
    import pyarrow.compute as pc

    lengths = pc.utf8_length(arr)
    longest = pc.max(lengths).as_py()
    if longest is not None and longest > limit:
        at = int(np.flatnonzero(lengths.fill_null(0).to_numpy(zero_copy_only=False) > limit)[0])
        raise InputError(f"{label} row {first_row + at}: column {name!r} has a cell of {longest:,} characters, "
                         f"over the limit of {limit:,} (an unclosed quote?; raise CXKPI_MAX_CELL_CHARS "
                         "if it is real)")


# ------------------------------------------------------------------ XLSX
def _scan_excel(path: Path, label: str, options: LoadOptions, stats: list[_Column], total: int, n_header: int,
                batch_rows: int, progress) -> tuple[str, tuple[str, ...], int]:
    from openpyxl import load_workbook

    handle = open(path, "rb")  # a file object: openpyxl would judge a path by its extension
    try:  # read_table has opened it once already
        wb = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        handle.close()
        raise InputError(f"{label}: not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
    try:
        names = wb.sheetnames
        sheet = options.sheet
        if sheet is None:
            ws = wb.worksheets[0]  # read_table has said so when there is none (only chart sheets)
        elif sheet in names:
            ws = wb[sheet]
        else:
            ws = wb[names[int(sheet)]]
        size = ws.max_row or 0
        it = ws.iter_rows(values_only=True)
        for _ in range(n_header):
            next(it, None)
        rows = 0
        blank = 0  # trailing all-empty rows are not rows (the loader drops them) unless data follows
        while True:
            block = list(islice(it, batch_rows))
            if not block:
                break
            cells = [tuple(r[:total]) + (None,) * (total - len(r)) if len(r) < total else tuple(r[:total])
                     for r in block]
            frame = pd.DataFrame(cells, columns=range(total), dtype=object)
            filled = frame.notna().any(axis=1).to_numpy()
            if not filled.any():
                blank += len(frame)
                continue
            last = int(filled.nonzero()[0][-1])
            if blank:  # the empty rows before this batch's data were real (empty) rows
                for s in stats:
                    s.add_nulls(blank)
                rows += blank
            frame = frame.iloc[: last + 1]
            blank = len(block) - (last + 1)
            first = 1 + n_header + rows + 1
            frame.index = pd.RangeIndex(first, first + len(frame))
            for s in stats:
                col = excel_column(frame[s.position - 1])
                check_cells(pd.DataFrame({s.name: col}), label)
                s.add(col)
            rows += len(frame)
            if progress is not None and size:
                progress(min(rows + n_header, size), size)
        title = ws.title
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as e:  # met as the rows stream (a cell past ZZZ)
        raise InputError(f"{label}: not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
    finally:
        wb.close()
        handle.close()
    for s in stats:
        s.finish()
    return title, tuple(names), rows


# ------------------------------------------------------------------ one column
class _Column:
    """Running statistics of one column; its type is decided once its sample is full (or at the end)."""

    def __init__(self, name: str, position: int, sample_size: int, distinct_cap: int, dayfirst: bool | None,
                 count: bool = False):
        self.name, self.position = name, position
        # rows per distinct value, for the score column only (the answer scale); None past the cap
        self.counts: dict | None = {} if count else None
        self.sample_size, self.cap, self.dayfirst = sample_size, distinct_cap, dayfirst
        self.nulls = 0
        self.seen: set | None = set()
        self.examples: list[str] = []
        self.pending: list[pd.Series] | None = []  # present values until the type is decided
        self.pending_n = 0
        self.kind: str | None = None
        self.fmt: str | None = None
        self.unit: str | None = None
        self.min = self.max = None
        self.invalid = 0
        self.invalid_examples: list[str] = []

    # -- feeding
    def add_nulls(self, n: int) -> None:
        self.nulls += n

    def add(self, col: pd.Series) -> None:
        typed = not (isinstance(col.dtype, pd.StringDtype) or col.dtype == object)
        if typed and col.dtype.kind == "f":
            whole = col.dropna()
            if len(whole) and bool((whole % 1 == 0).all()):
                col = col.astype("Int64")  # 5 not 5.0 in the examples
        clean = values.text(col)
        present = clean.notna()
        n_present = int(present.sum())
        self.nulls += len(col) - n_present
        if not n_present:
            return
        shown = clean[present]
        self._distinct(shown)
        if self.counts is not None:
            for v, n in shown.value_counts().items():
                self.counts[v] = self.counts.get(v, 0) + int(n)
            if len(self.counts) > self.cap:
                self.counts = None
        if len(self.examples) < EXAMPLES:
            for v in shown.iloc[:1000].drop_duplicates().head(EXAMPLES):
                if v not in self.examples and len(self.examples) < EXAMPLES:
                    self.examples.append(v if len(v) <= EXAMPLE_CHARS else v[:EXAMPLE_CHARS - 1] + "…")
        data = col[present] if typed else shown
        if self.pending is None:
            self._measure(data)
            return
        self.pending.append(data)
        self.pending_n += n_present
        if self.pending_n >= self.sample_size:
            self._decide()

    def _distinct(self, shown: pd.Series) -> None:
        if self.seen is None:
            return
        self.seen.update(shown.unique())
        if len(self.seen) > self.cap:
            self.seen = None

    def finish(self) -> None:
        if self.pending is not None:
            self._decide()

    # -- type
    def _decide(self) -> None:
        pieces, self.pending = self.pending, None
        if not pieces:
            self.kind = "empty"
            return
        self.kind, self.fmt, self.unit = classify(pieces, self.name, self.sample_size, self.dayfirst)
        for piece in pieces:
            self._measure(piece)

    def _measure(self, data: pd.Series) -> None:
        """min/max and unparseable values of present values, with the parser of the decided type."""
        parsed, bad = _parse(data, self.kind, self.fmt, self.name, self.dayfirst)
        if parsed is None:
            if bad is _AMBIGUOUS_NOW:
                self.fmt = AMBIGUOUS
                self.min = self.max = None
            return
        if len(bad):
            self.invalid += len(bad)
            for v in bad.astype("string").head(EXAMPLES):
                if len(self.invalid_examples) < EXAMPLES and v not in self.invalid_examples:
                    self.invalid_examples.append(v[:EXAMPLE_CHARS])
        if self.kind in ("yes/no",) or self.fmt == AMBIGUOUS:
            return
        good = parsed.dropna()
        if good.empty:
            return
        lo, hi = good.min(), good.max()
        if self.kind == "date/time":
            lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
            self.min = lo if self.min is None else min(*_same_zone(self.min, lo))
            self.max = hi if self.max is None else max(*_same_zone(self.max, hi))
        else:
            self.min = lo if self.min is None else min(self.min, lo)
            self.max = hi if self.max is None else max(self.max, hi)

    # -- result
    def result(self, rows: int, canonical: tuple[str, ...]) -> ColumnProfile:
        kind = self.kind or "empty"
        distinct = self.cap if self.seen is None else len(self.seen)
        present = rows - self.nulls
        if kind == "text" and self.seen is not None and present and (
                distinct <= 0.05 * present or (distinct <= 20 and distinct <= 0.5 * present)):
            kind = "category"
        return ColumnProfile(
            name=self.name, position=self.position, type=kind, nulls=self.nulls,
            null_pct=round(100 * self.nulls / rows, 2) if rows else None,
            distinct=distinct, distinct_capped=self.seen is None, examples=tuple(self.examples),
            min=_shown(self.min, kind, self.fmt), max=_shown(self.max, kind, self.fmt), format=self.fmt,
            invalid=self.invalid, invalid_examples=tuple(self.invalid_examples), unit=self.unit,
            canonical=canonical,
        )


_AMBIGUOUS_NOW = object()


def _same_zone(a: pd.Timestamp, b: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Zoned and zone-less timestamps compared in UTC (zone-less ones read as UTC, as the loader does)."""
    if (a.tzinfo is None) != (b.tzinfo is None):
        a = a.tz_localize("UTC") if a.tzinfo is None else a
        b = b.tz_localize("UTC") if b.tzinfo is None else b
    return a, b


def _shown(value, kind: str, fmt: str | None):
    if value is None:
        return None
    if kind == "date/time":
        ts = pd.Timestamp(value)
        if fmt and "%H" not in fmt and "%I" not in fmt and ts == ts.normalize():
            return ts.date().isoformat()
        if ts.tzinfo is not None:
            return ts.isoformat()
        return ts.isoformat(sep=" ")
    number = float(value)
    if kind == "duration":
        return round(number, 4)
    return int(number) if number.is_integer() else round(number, 4)


def classify(pieces: list[pd.Series], name: str, sample_size: int,
             dayfirst: bool | None = None) -> tuple[str, str | None, str | None]:
    """(type, format, unit) of a column from its first present values (text, or workbook-typed cells)."""
    kinds = {"number" if pd.api.types.is_numeric_dtype(p) and not pd.api.types.is_bool_dtype(p)
             else "datetime" if pd.api.types.is_datetime64_any_dtype(p) else "text" for p in pieces}
    if kinds == {"number"}:
        whole = all(bool((p.dropna() % 1 == 0).all()) for p in pieces)
        return ("integer" if whole else "number"), None, None
    if kinds == {"datetime"}:
        return "date/time", "Excel date", None
    texts = [p if isinstance(p.dtype, pd.StringDtype) else values.text(p) for p in pieces]  # CSV: already clean
    sample = texts[0] if len(texts) == 1 else pd.concat(texts, ignore_index=True)
    sample = sample.dropna().head(sample_size).astype(pd.StringDtype("pyarrow"))
    return classify_text(sample, name, dayfirst)


def classify_text(sample: pd.Series, name: str, dayfirst: bool | None = None) -> tuple[str, str | None, str | None]:
    """(type, format, unit) from present, stripped text values.

    Each parser of ``io.values`` is tried in turn and must read ``PARSE_SHARE`` of the sample;
    a cheap shape test first keeps the slow ones (durations, dates) off ordinary text.
    """
    if sample.empty:
        return "empty", None, None
    plain = _arrow_floats(sample)
    if plain is not None:  # every value a plain number
        return ("integer" if bool((plain % 1 == 0).all()) else "number"), None, None
    nums, _ = values.numbers(sample)  # also 1,234 / 1.234,5 / 12,5
    share = float(nums.notna().mean())
    if _share(sample.str.match(_MONEY_RE)) >= PARSE_SHARE and \
            sample.str.contains(_MONEY_MARK, regex=True).fillna(False).any():  # $12.50, 1.234,50 €, (12.00)
        amounts, _ = values.money(sample)
        got = float(amounts.notna().mean())
        if got >= PARSE_SHARE and got > share:
            return "money", None, None
    if share >= PARSE_SHARE:
        whole = bool((nums.dropna() % 1 == 0).all())
        comma = sample.str.contains(r"^-?[\d.\s']*,\d{1,2}$|^-?\d+,\d{4,}$", regex=True).fillna(False).any()
        grouped = sample.str.contains(r"\d[.,'\s\u00a0]\d{3}(?:\D|$)", regex=True).fillna(False).any()
        note = "decimal comma" if comma else "thousands separators" if grouped else None
        return ("integer" if whole else "number"), note, None
    if _share(sample.str.lower().isin(values.FLAG_TRUE | values.FLAG_FALSE)) >= PARSE_SHARE:
        return "yes/no", None, None
    if _share(sample.str.fullmatch(_DURATION_SHAPE)) >= PARSE_SHARE:
        minutes, _ = values.durations(sample)
        if float(minutes.notna().mean()) >= PARSE_SHARE:
            colon = _share(sample.str.contains(":", regex=False)) >= 0.5
            iso = _share(sample.str.upper().str.startswith("P")) >= 0.5
            return "duration", ("HH:MM:SS" if colon else "ISO 8601 (PT…)" if iso else "1d 2h 3m"), "min"
    if _share(sample.str.match(_DATE_SHAPE)) >= PARSE_SHARE:
        return _classify_dates(sample, name, dayfirst)
    return "text", None, None


def _share(mask: pd.Series) -> float:
    return float(mask.fillna(False).astype(bool).mean()) if len(mask) else 0.0


_DURATION_SHAPE = r"(?i)-?[\d:.,\s]*\d[\d:.,\s]*|p?t?(?:\s*\d+(?:[.,]\d+)?\s*[a-z]{1,7})+"
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_SHAPE = (rf"(?i)^(?:[a-z]{{3,9}},?\s+)?(?:\d{{1,4}}([-/.])\d{{1,2}}\1\d{{1,4}}(?:$|[\sT,])"
               rf"|{_MONTHS}\s+\d|\d{{1,2}}\.?\s+{_MONTHS})")


def _classify_dates(sample: pd.Series, name: str, dayfirst: bool | None):
    """Values shaped like dates are dates; the format the loader would pick, or AMBIGUOUS.

    Values the format cannot read are not a reason for another type: they are counted as
    unreadable over the whole file, as every command will skip them.
    """
    head = sample.drop_duplicates().head(500)
    try:
        fmt = values.detect_date_format(head, name, dayfirst)
    except InputError:
        return "date/time", AMBIGUOUS, None
    if fmt is not None:
        return "date/time", fmt, None
    if head.str.contains(values._ZONE_RE, regex=True).fillna(False).any():
        return "date/time", "ISO 8601 with offset", None
    iso = pd.to_datetime(head, format="ISO8601", errors="coerce").notna().mean() >= 0.5
    return "date/time", ("ISO 8601" if iso else "mixed"), None


def _parse(data: pd.Series, kind: str, fmt: str | None, name: str, dayfirst: bool | None):
    """(parsed, bad) with the loader's parser for ``kind``; (None, ...) for types without one."""
    try:
        if kind in ("integer", "number"):
            return _fast_numbers(data)
        if kind == "money":
            return values.money(data)
        if kind == "duration":
            return values.durations(data, "min")
        if kind == "date/time":
            if fmt == AMBIGUOUS:
                return None, None
            return values.timestamps(data, name, None, dayfirst, None if fmt in _NOT_STRPTIME else fmt)
        if kind == "yes/no":
            return values.flags(data)
    except InputError:
        return None, _AMBIGUOUS_NOW  # a later chunk cannot tell day from month either
    except (ValueError, TypeError, OverflowError):
        return None, None
    return None, None


_NOT_STRPTIME = {None, "ISO 8601", "ISO 8601 with offset", "mixed", "Excel date"}


def _arrow_floats(data: pd.Series) -> pd.Series | None:
    """Floats through Arrow's cast when every value is a plain number (the usual case), else None."""
    if not (isinstance(data.dtype, pd.StringDtype) and data.dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        cast = pc.cast(pa.array(data.array), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return None
    return pd.Series(cast.to_numpy(zero_copy_only=False), index=data.index)


def _fast_numbers(data: pd.Series):
    """``values.numbers``, skipped when Arrow's cast reads every value (same numbers, much faster)."""
    plain = _arrow_floats(data)
    if plain is not None:
        return plain, data.iloc[:0]
    return values.numbers(data)

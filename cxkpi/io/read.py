"""Raw reading of CSV/TSV (pyarrow) and XLSX (openpyxl, read-only).

Only the requested columns are converted; every value arrives as text (or
as the typed cell of a workbook), so the parsers in ``values`` decide what is
valid and can count what is not. Lines with the wrong number of fields are
not fatal: they are recorded in ``bad_rows`` with their row number.
"""

from __future__ import annotations

import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from . import sniff

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PROGRESS_BYTES = 50 << 20  # files this large get a progress bar on an interactive stderr


@contextmanager
def _arrow_source(stream):
    """What pyarrow reads: the path itself, or an open file when the name is not UTF-8 (a byte such
    as 0x9b arrives as a surrogate that pyarrow cannot encode: UnicodeEncodeError, an internal error)."""
    if not isinstance(stream, Path):
        yield stream
        return
    try:
        str(stream).encode("utf-8")
    except UnicodeEncodeError:
        with open(stream, "rb") as f:
            yield f
        return
    yield str(stream)


def _read_with_progress(path: Path, label: str, read_opts, parse_opts, convert_opts):
    """Stream the file in blocks so a progress bar (on stderr) can follow the bytes read."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    size = path.stat().st_size
    with open(path, "rb") as raw:
        reader = pacsv.open_csv(raw, read_options=read_opts, parse_options=parse_opts, convert_options=convert_opts)
        batches = []
        bar, task = _progress(label, size)
        try:
            for batch in reader:
                batches.append(batch)
                bar.update(task, completed=min(raw.tell(), size))
        finally:
            bar.stop()
        return pa.Table.from_batches(batches, schema=reader.schema)


@dataclass
class RawTable:
    frame: pd.DataFrame
    headers: list[str]
    bad_rows: dict[str, list[int]] = field(default_factory=dict)
    # header -> the other lines of a multi-row header (Qualtrics' question text under its Q1, Q2 ids)
    aliases: dict[str, list[str]] = field(default_factory=dict)


def header_rows(options) -> int:
    return max(1, int(getattr(options, "header_rows", None) or 1))


def compose_headers(block: list[list[str]]) -> tuple[list[str], dict[str, list[str]]]:
    """One header per column from a multi-row header block, plus each column's other lines.

    The first line names the column. A blank first-line cell continues the question to its left
    (SurveyMonkey writes a multiple-choice question once, its options on the second line), so the
    group becomes "Question - Option" for each of its columns. A column blank on every line is
    called "(column N)" so it can still be named.
    """
    width = max(len(r) for r in block)
    rows = [[(r[i].strip() if i < len(r) else "") for i in range(width)] for r in block]
    first, rest = rows[0], rows[1:]
    headers: list[str] = []
    owner = None
    for i, h in enumerate(first):
        sub = next((r[i] for r in rest if r[i]), "")
        continues = not h and owner is not None
        nxt_blank = i + 1 < width and not first[i + 1]
        if h:
            owner = h
        if continues or (h and nxt_blank and sub):
            name = f"{owner} - {sub}" if sub else owner
        else:
            name = h or f"(column {i + 1})"
        headers.append(name)
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):  # a group may repeat an option text: number the repeats
        seen[h] = seen.get(h, 0) + 1
        if seen[h] > 1:
            headers[i] = f"{h} ({seen[h]})"
    # a column is still found by its first-line text where composing changed it ("Which channel?")
    aliases = {h: [t for t in [first[i], *(r[i] for r in rest)] if t and t != h] for i, h in enumerate(headers)}
    return headers, {h: list(dict.fromkeys(a)) for h, a in aliases.items() if a}


EXCEL_MAX_ROWS = 1_048_576  # Excel's own sheet limits: no workbook Excel wrote is larger
EXCEL_MAX_COLUMNS = 16_384
SAVE_AS = "open it in Excel or LibreOffice and save it as .xlsx or CSV"


def is_excel(source, label: str) -> bool:
    """The content decides, not the name: a workbook named ``.csv`` is read as a workbook, an
    ``.xlsx`` that is really CSV text as CSV. Formats cxkpi does not read (legacy ``.xls``,
    encrypted workbooks, ``.xlsb``, OpenDocument, HTML pages) each get their own message."""
    head = _head_bytes(source)[:1024]
    kind = sniff.container(head)
    if kind == "zip":
        _check_zip(source, label)
        return True
    if kind == "ole2":
        streams = sniff.ole2_streams(lambda at, n: _bytes_at(source, at, n))
        if streams & {"EncryptionInfo", "EncryptedPackage"}:
            raise InputError(f"{label}: an encrypted (password-protected) workbook, which cxkpi cannot read; "
                             f"remove the password in Excel (File > Info > Protect Workbook) and save it as .xlsx or CSV")
        if streams & {"Workbook", "Book"} or not streams:
            raise InputError(f"{label}: a legacy Excel 97-2003 .xls workbook, which cxkpi does not read; {SAVE_AS}")
        raise InputError(f"{label}: a legacy Office (OLE2) file, not a workbook cxkpi reads; {SAVE_AS}")
    if kind == "html":
        raise InputError(f"{label}: an HTML/XML page, not a CSV or .xlsx file (some tools save web tables as "
                         ".xls); open it in a spreadsheet and save it as .xlsx or CSV")
    if isinstance(source, Path) and source.suffix.lower() in EXCEL_SUFFIXES and b"\x00" in head:
        raise InputError(f"{label}: not a readable .xlsx workbook (not a zip archive)")
    return False


def _bytes_at(source, at: int, n: int) -> bytes:
    if isinstance(source, Path):
        with open(source, "rb") as f:
            f.seek(at)
            return f.read(n)
    return source.getvalue()[at:at + n]


def _open_binary(source):
    return open(source, "rb") if isinstance(source, Path) else io.BytesIO(source.getvalue())


def _check_zip(source, label: str) -> None:
    """A zip is an .xlsx unless it says otherwise (.xlsb, OpenDocument), and it may not expand past the
    input limit: the sizes its directory declares are checked before anything is decompressed (zipfile
    never inflates a member past its declared size)."""
    with _open_binary(source) as f:
        try:
            z = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise InputError(f"{label}: not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
        with z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if "xl/workbook.bin" in names:
                raise InputError(f"{label}: a binary Excel workbook (.xlsb), which cxkpi does not read; "
                                 "open it in Excel and save it as .xlsx or CSV")
            if "mimetype" in names and "xl/workbook.xml" not in names:
                try:
                    with z.open("mimetype") as m:
                        mime = m.read(128).decode("ascii", errors="replace").strip()
                except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
                    mime = ""
                if mime == "application/vnd.oasis.opendocument.spreadsheet":
                    raise InputError(f"{label}: an OpenDocument spreadsheet (.ods), which cxkpi does not read; "
                                     "save it as .xlsx or CSV (LibreOffice: File > Save As)")
                if mime.startswith("application/vnd.oasis.opendocument"):
                    raise InputError(f"{label}: an OpenDocument file ({mime[:80]}), not a spreadsheet")
            total, limit = sum(i.file_size for i in infos), max_file_bytes()
            if total > limit:
                raise InputError(f"{label}: the workbook expands to {total / (1 << 20):,.1f} MB, over the "
                                 f"{limit >> 20:,} MB input limit (a zip bomb?; raise CXKPI_MAX_FILE_MB if it is real)")


def read_table(source: Path | io.BytesIO, label: str, options, columns: list[str] | None) -> RawTable:
    """``columns=None`` reads every column, ``[]`` only the header."""
    check_text_options(options)
    try:
        if sniff.container(_head_bytes(source)[:8]) == "parquet":
            return _read_parquet(source, label, columns)
        if is_excel(source, label):
            return _read_excel(source, label, options, columns)
        return _read_csv(source, label, options, columns)
    except PermissionError:
        raise InputError(f"{label}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{label}: is a directory, expected a CSV or XLSX file") from None
    except OSError as e:  # EIO, a file gone while read, a stale network mount: the cause, in one line
        raise InputError(f"{label}: cannot read ({e.strerror or type(e).__name__})") from None


def _read_parquet(source, label: str, columns: list[str] | None) -> RawTable:
    """Parquet (by its PAR1 magic): only the mapped columns are read, typed as stored — timestamps,
    numbers and strings go to the same parsers as a CSV's text, which take typed columns as they are."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    handle = _open_binary(source)
    try:
        try:
            pf = pq.ParquetFile(handle)
        except (pa.ArrowException, OSError, ValueError) as e:
            raise InputError(f"{label}: not a readable Parquet file ({str(e).splitlines()[0]})") from None
        headers = [str(h) for h in pf.schema_arrow.names]
        _check_headers(headers, label)
        if columns == []:
            return RawTable(pd.DataFrame(), headers)
        wanted = headers if columns is None else list(dict.fromkeys(columns))
        try:
            table = pf.read(columns=wanted)
        except (pa.ArrowException, OSError, ValueError) as e:
            raise InputError(f"{label}: cannot read Parquet: {str(e).splitlines()[0]}") from None
    finally:
        handle.close()
    # dictionary-encoded strings would become categoricals; nested values are shown as text
    table = pa.table({name: (col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col)
                      for name, col in zip(table.column_names, table.columns)})
    frame = table.to_pandas()
    frame.index = pd.RangeIndex(2, 2 + len(frame))  # row 1 is the header, as in a CSV or a sheet
    check_cells(frame, label)
    return RawTable(frame, headers)


def check_text_options(options) -> None:
    """``--encoding`` and ``--delimiter`` as a one-line usage error, before a byte is read."""
    import codecs

    from ..errors import UsageError

    encoding = getattr(options, "encoding", None)
    if encoding:
        try:
            text = getattr(codecs.lookup(encoding), "_is_text_encoding", True)  # base64, rot13: not text
        except LookupError:
            text = False
        if not text:
            raise UsageError(f"--encoding {encoding!r} (or the config's encoding:): unknown text encoding (e.g. "
                             "utf-8, cp1252, utf-16, latin-1)")
    delimiter = getattr(options, "delimiter", None)
    if delimiter is not None and delimiter not in ("\\t", "tab") and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise UsageError(f"--delimiter {delimiter!r}: expected one character other than a quote or a line end "
                         "(e.g. , ; | or tab)")


def _head_bytes(source) -> bytes:
    if isinstance(source, Path):
        try:
            with open(source, "rb") as f:
                return f.read(sniff.SAMPLE_BYTES)
        except (PermissionError, IsADirectoryError):
            raise
        except OSError as e:  # is_excel is the first read, for inspect too
            raise InputError(f"{source}: cannot read ({e.strerror or type(e).__name__})") from None
    return source.getvalue()[: sniff.SAMPLE_BYTES]


@dataclass
class _CsvPlan:
    """How pyarrow reads one CSV: its header and the options, shared by the one-shot and batched reads."""

    headers: list[str]
    aliases: dict[str, list[str]]
    encoding: str
    delimiter: str
    skip: int
    read_opts: object = None
    parse_opts: object = None
    convert_opts: object = None
    bad: list = field(default_factory=list)


def _csv_plan(source, label: str, options, columns: list[str] | None, block: int) -> _CsvPlan:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    head = _head_bytes(source)
    encoding = options.encoding or sniff.detect_encoding(head)
    text = sniff.decode_sample(head, encoding)
    if not text.strip(" \t\r\n\ufeff"):
        raise InputError(f"{label}: the file is empty (expected a header row and data)")
    if "\x00" in text:
        raise InputError(f"{label}: looks like a binary file, not CSV (NUL bytes); pass --encoding if it is text")
    if len(head) >= sniff.SAMPLE_BYTES and "\n" not in text and "\r" not in text:
        raise InputError(f"{label}: the header row is longer than {sniff.SAMPLE_BYTES >> 20} MiB (no line end in it; more "
                         f"than {max(text.count(d) for d in sniff.DELIMITERS) + 1:,} columns), the limit for a header "
                         "row; not an export cxkpi can read")
    delimiter = options.delimiter or sniff.sniff_delimiter(text)
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    skip = header_rows(options) - 1

    aliases: dict[str, list[str]] = {}
    if skip:
        headers, aliases = compose_headers(_header_block(text, delimiter, label, skip + 1))
    else:
        headers = _header(text, delimiter, label)
    _check_headers(headers, label)
    plan = _CsvPlan(headers, aliases, encoding, delimiter, skip)
    if columns == []:
        return plan

    wanted = headers if columns is None else columns
    bad = plan.bad

    def on_invalid(row) -> str:
        bad.append((row.number, f"row has {row.actual_columns} fields, the header has {row.expected_columns}"))
        return "skip"

    pa_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
    if skip:  # a multi-row header: our composed names, the header lines skipped
        # skip_rows_after_names counts parsed records (skip_rows counts lines, and a question text may
        # hold a quoted newline)
        plan.read_opts = pacsv.ReadOptions(encoding=pa_encoding, block_size=block, column_names=headers,
                                           skip_rows_after_names=skip + 1)
    else:
        plan.read_opts = pacsv.ReadOptions(encoding=pa_encoding, block_size=block)
    plan.parse_opts = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid)
    plan.convert_opts = pacsv.ConvertOptions(
        include_columns=list(dict.fromkeys(wanted)),
        column_types={c: pa.string() for c in wanted},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
    )
    return plan


def _read_csv(source, label: str, options, columns: list[str] | None, block: int = 1 << 24) -> RawTable:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    plan = _csv_plan(source, label, options, columns, block)
    headers, aliases, encoding, delimiter, skip = plan.headers, plan.aliases, plan.encoding, plan.delimiter, plan.skip
    if columns == []:
        return RawTable(pd.DataFrame(), headers, aliases=aliases)
    read_opts, parse_opts, convert_opts, bad = plan.read_opts, plan.parse_opts, plan.convert_opts, plan.bad
    stream = source if isinstance(source, Path) else io.BytesIO(source.getvalue())
    try:
        if isinstance(stream, Path) and options.progress and stream.stat().st_size >= PROGRESS_BYTES:
            table = _read_with_progress(stream, label, read_opts, parse_opts, convert_opts)
        else:
            with _arrow_source(stream) as target:
                table = pacsv.read_csv(target, read_options=read_opts, parse_options=parse_opts,
                                       convert_options=convert_opts)
    except pa.ArrowInvalid as e:
        msg = str(e).split("\n")[0]
        if "UTF8" in msg or "utf8" in msg.lower():
            if options.encoding is None and encoding.startswith("utf-8"):
                retry = type(options)(**{**options.__dict__, "encoding": "cp1252"})
                return _read_csv(source, label, retry, columns, block)
            raise InputError(f"{label}: not valid {encoding} text; pass --encoding (e.g. cp1252 or utf-16)") from None
        if "straddling" in msg and read_opts.block_size < (1 << 30):
            # a field longer than a read block: over the cell cap it is the cap's message (with its line),
            # under a raised cap it is read with blocks large enough to hold it
            scan_records(source, encoding, delimiter, label)
            return _read_csv(source, label, options, columns, block=min(1 << 30, 4 * max_cell_chars() + (1 << 24)))
        raise InputError(f"{label}: cannot parse CSV: {msg}") from None
    frame = table.to_pandas()
    first_row = 2 + skip  # spreadsheet row number of the first data row (header = row 1)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    bad_rows: dict[str, list[int]] = {}
    if bad or odd_quotes(source):
        # rare path: pyarrow cannot number records once quoted newlines are allowed, so scan the
        # file once to find an unclosed quote and the real row numbers of good and bad records
        scan = scan_records(source, encoding, delimiter, label)
        width = len(headers)
        good = [i + 1 for i, n in enumerate(scan) if i > skip and n == width]
        if len(good) == len(frame):
            frame.index = pd.Index(good, dtype="int64")
        for i, n in enumerate(scan):
            if i > skip and n != width:
                bad_rows.setdefault(f"row has {n} fields, the header has {width}", []).append(i + 1)
        if sum(len(v) for v in bad_rows.values()) != len(bad):  # the scan and pyarrow disagree: keep counts
            bad_rows = {}
            for number, reason in bad:
                bad_rows.setdefault(reason, []).append(-1)
    check_cells(frame, label)
    return RawTable(frame, headers, bad_rows, aliases)


_PER_BATCH = 4  # reader blocks in one batch


class NotBatchable(Exception):
    """The file needs the one-shot read (a ragged row, an odd quote, a non-UTF-8 byte): start over."""


def batch_bytes() -> int:
    """Files larger than this are read in record batches of about this size (``CXKPI_BATCH_BYTES``;
    default 16 MiB: a batch's text and parsed copies stay near 200 MB whatever the file's size)."""
    return max(1024, _env_int("CXKPI_BATCH_BYTES", 16 << 20))


def batchable(source, label: str, cache=None) -> bool:
    """A CSV file on disk, larger than one batch, with an even number of quotes: the rows are numbered
    as pyarrow reads them, so batches keep the row numbers of the one-shot read. The quotes are counted
    once a run (with the content hash), and with ``--cache DIR`` kept for the next run with it."""
    if not isinstance(source, Path):
        return False
    try:
        st = source.stat()
        if st.st_size <= batch_bytes():
            return False
        head = _head_bytes(source)[:8]
    except OSError:
        return False
    if sniff.container(head) != "text":
        return False
    from .cache import file_facts

    try:
        return not file_facts(source, st, cache)["odd"]
    except OSError:
        return False


class _Span(io.RawIOBase):
    """The file's header lines, then its bytes from ``start`` to ``end``: a part of a file read on its
    own (``io.parts``) reads like a file, with the file's header."""

    def __init__(self, raw, head: bytes, start: int, end: int) -> None:  # noqa: D107
        self.raw, self.head, self.left = raw, head, end - start
        raw.seek(start)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.head:
            n = min(len(b), len(self.head))
            b[:n], self.head = self.head[:n], self.head[n:]
            return n
        if self.left <= 0:
            return 0
        n = self.raw.readinto(memoryview(b)[: min(len(b), self.left)])
        self.left -= n or 0
        return n or 0


def iter_csv(source: Path, label: str, options, columns: list[str], span: tuple[int, int] | None = None,
             first_row: int | None = None):
    """``(headers, aliases, batches)``: the mapped columns of a CSV in record batches of about
    ``batch_bytes()`` each, as text frames indexed by spreadsheet row (header = row 1), each checked
    like the one-shot read. A ragged row or a decoding error raises ``NotBatchable`` (the caller reads
    the file in one shot, which reports them exactly).

    ``span``: only the records from byte ``start`` (a record's first byte) to ``end``, numbered from
    ``first_row`` (default: the first data row's number)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    # pyarrow's streaming reader decodes about 30 blocks ahead: 16 MiB blocks held 600 MB at 10M rows. A
    # large file is read in quarter blocks, four to a batch (150 MB ahead). A file under ~12 batches is
    # held ahead whole either way, and there the four-chunk batches cost more than they save (~60 MB at 1M).
    per = _PER_BATCH if source.stat().st_size > 12 * batch_bytes() else 1
    plan = _csv_plan(source, label, options, columns, max(1024, batch_bytes() // per))

    def batches():
        row = 2 + plan.skip if first_row is None else first_row
        size = source.stat().st_size
        start, end = span or (0, size)
        bar = _progress(label, end - start) if options.progress and end - start >= PROGRESS_BYTES else None
        try:
            with open(source, "rb") as raw, ThreadPoolExecutor(1) as ahead:
                text = raw
                if start or end < size:
                    head = b"" if not start else header_lines(raw, plan.skip + 1)
                    text = _Span(raw, head, start, end)
                try:
                    reader = pacsv.open_csv(text, read_options=plan.read_opts, parse_options=plan.parse_opts,
                                            convert_options=plan.convert_opts)

                    def read_next():
                        """The next batch (up to ``per`` blocks) and how many ragged rows were met up to it
                        (None at the end)."""
                        blocks = []
                        while len(blocks) < per:
                            try:
                                blocks.append(reader.read_next_batch())
                            except StopIteration:
                                break
                        return (blocks, len(plan.bad)) if blocks else None

                    # the next batch is read (pyarrow, without the GIL) while the caller parses this one
                    pending = ahead.submit(read_next)
                    while (got := pending.result()) is not None:
                        pending = ahead.submit(read_next)
                        batch, bad = got
                        if bad:
                            raise NotBatchable()
                        frame = pa.Table.from_batches(batch).to_pandas()
                        frame.index = pd.RangeIndex(row, row + len(frame))
                        row += len(frame)
                        check_cells(frame, label)
                        if bar is not None:
                            bar[0].update(bar[1], completed=min(raw.tell() - start, end - start))
                        yield frame
                except pa.ArrowInvalid:
                    raise NotBatchable() from None
                if plan.bad:
                    raise NotBatchable()
        finally:
            if bar is not None:
                bar[0].stop()

    return plan.headers, plan.aliases, batches()


def plan_encoding(source: Path, options) -> str:
    """The encoding a CSV is read in: the one asked for, else the one its first bytes show."""
    return options.encoding or sniff.detect_encoding(_head_bytes(source))


def header_lines(raw, lines: int) -> bytes:
    """A file's first ``lines`` lines (its header), read from its start."""
    raw.seek(0)
    return b"".join(raw.readline() for _ in range(lines))


def _progress(label: str, size: int):
    """A started progress bar on stderr over ``size`` bytes and its task; the label is a file name: data,
    never markup or a control sequence. The caller stops it."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from ..render.safe import escape_controls

    bar = Progress(TextColumn("reading {task.description}", markup=False), BarColumn(), DownloadColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    bar.start()
    return bar, bar.add_task(escape_controls(label), total=size)


def max_cell_chars() -> int:
    """Cells longer than this are refused (``CXKPI_MAX_CELL_CHARS``; default 1,048,576)."""
    return _env_int("CXKPI_MAX_CELL_CHARS", 1 << 20)


def existing_file(path, label: str, cap: bool = True) -> Path:
    """``path`` as a readable file, or the one-line error a user sees (missing, a folder, a device, a
    symlink loop, a name too long, over the size cap). A FIFO (``<(…)``, ``/dev/stdin`` on a pipe) is
    returned too: ``read_input`` reads it once.

    ``cap=False`` for readers that stream (inspect), whose memory does not grow with the file.
    """
    import errno
    import os
    import stat

    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        dangling = os.path.islink(p)
        raise InputError(f"{label}: no such file" + (" (a symbolic link to a missing file)" if dangling else "")) from None
    except PermissionError:
        raise InputError(f"{label}: permission denied") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise InputError(f"{label}: a symbolic link loop (the links point back to each other); give the real "
                             "file") from None
        if e.errno == errno.ENAMETOOLONG:
            short = label if len(label) <= 60 else label[:60] + "…"
            raise InputError(f"{short}: the file name is too long ({len(os.fsencode(str(p))):,} bytes; a name may have "
                             "at most 255, a path 4,096); rename the file") from None
        if e.errno == errno.ENOTDIR:
            raise InputError(f"{label}: a part of the path is a file, not a folder") from None
        raise InputError(f"{label}: cannot read ({e.strerror or type(e).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{label}: is a directory, expected a CSV or XLSX file")
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        raise InputError(f"{label}: a device, not a file (a terminal, a disk, /dev/null…); give the export's path, "
                         "or pipe it in with - (cxkpi nps - < export.csv)")
    if stat.S_ISSOCK(st.st_mode):
        raise InputError(f"{label}: a socket, not a file; give the export's path, or pipe it in with -")
    from ..outputs import remember_input

    remember_input(p)
    limit = max_file_bytes()
    if cap and stat.S_ISREG(st.st_mode) and st.st_size > limit:
        raise InputError(f"{label}: {st.st_size / (1 << 20):,.1f} MB is over the {limit >> 20:,} MB input limit "
                         "(raise CXKPI_MAX_FILE_MB if the machine has the memory, or split the file)")
    return p


def is_stream(path) -> bool:
    """A FIFO (a named pipe, ``<(…)``, ``/dev/stdin`` on a pipe): readable once, not seekable."""
    import os
    import stat

    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


def read_input(path, label: str, stdin=None) -> Path | io.BytesIO:
    """What ``read_table`` reads, however often: a regular file by its path; ``-`` (stdin), a FIFO,
    ``/dev/stdin`` or ``<(…)`` read once into memory, up to the input limit. A pipe with no writer
    yet blocks, as ``cat`` does, until one opens it and closes it."""
    import sys

    if str(path) == "-":
        return io.BytesIO(read_stream(stdin or sys.stdin.buffer, label))
    p = existing_file(path, label)
    if not is_stream(p):
        return p
    with open(p, "rb") as f:
        return io.BytesIO(read_stream(f, label))


def read_stream(stream, label: str) -> bytes:
    limit = max_file_bytes()
    try:
        data = stream.read(limit + 1)
    except OSError as e:
        raise InputError(f"{label}: cannot read ({e.strerror or type(e).__name__})") from None
    if len(data) > limit:
        raise InputError(f"{label}: more than the {limit >> 20:,} MB input limit (raise CXKPI_MAX_FILE_MB)")
    return data


def max_file_bytes() -> int:
    """Input files larger than this are refused before reading (``CXKPI_MAX_FILE_MB``; default 2048)."""
    return _env_int("CXKPI_MAX_FILE_MB", 2048) * (1 << 20)


def _env_int(name: str, default: int) -> int:
    import os

    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise InputError(f"{name}={value!r}: expected a whole number") from None


def check_cells(frame: pd.DataFrame, label: str) -> None:
    """Refuse a text cell over the cap: usually an unclosed quote that swallowed the file."""
    limit = max_cell_chars()
    for col in frame.columns:
        s = frame[col]
        if _all_short(s, limit):
            continue
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            lengths = s.astype("string").str.len()
            over = lengths[lengths > limit]
            if len(over):
                row = over.index[0]
                raise InputError(f"{label} row {row}: column {col!r} has a cell of {int(over.iloc[0]):,} characters, "
                                 f"over the limit of {limit:,} (an unclosed quote?; raise CXKPI_MAX_CELL_CHARS "
                                 "if it is real)")


def _all_short(col: pd.Series, limit: int) -> bool:
    """True when an Arrow text column has no cell of more than ``limit`` bytes, so none of more than
    ``limit`` characters: the usual column is cleared without counting characters."""
    from .values import arrow_strings

    raw = arrow_strings(col)
    if raw is None or len(raw) == 0 or raw.null_count == len(raw):
        return False
    import pyarrow.compute as pc

    longest = pc.max(pc.binary_length(raw)).as_py()
    return longest is not None and longest <= limit


def odd_quotes(source) -> bool:
    """Whether the text holds an odd number of quotes (an unclosed one): a file's count is read once a
    run, with its content hash (``cache.file_facts``), whoever asks."""
    if isinstance(source, Path):
        from .cache import file_facts

        return file_facts(source, source.stat())["odd"]
    return source.getvalue().count(b'"') % 2 == 1


def scan_records(source, encoding: str, delimiter: str, label: str) -> list[int]:
    """Field count of every non-blank record (header first); an unclosed quote is an error.

    Strict first (it reports an unclosed quote at the end of the file); a file with
    stray quotes such as ``"x"y`` is rescanned leniently, as pyarrow reads it.
    """
    try:
        return _scan(source, encoding, delimiter, label, strict=True)
    except _Stray:
        return _scan(source, encoding, delimiter, label, strict=False)


class _Stray(Exception):
    pass


def _scan(source, encoding: str, delimiter: str, label: str, strict: bool) -> list[int]:
    import csv

    csv.field_size_limit(max_cell_chars() + 1)
    stream = (open(source, encoding=encoding, errors="replace", newline="") if isinstance(source, Path)
              else io.TextIOWrapper(io.BytesIO(source.getvalue()), encoding=encoding, errors="replace", newline=""))
    widths: list[int] = []
    with stream:
        reader = csv.reader(stream, delimiter=delimiter, strict=strict)
        start = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                if "unexpected end of data" in str(e):
                    raise InputError(f"{label} line {reader.line_num}: unterminated quote (started line {start})") from None
                if "field limit" in str(e):
                    raise InputError(f"{label} line {start}: a field of more than {max_cell_chars():,} characters "
                                     "(an unclosed quote?; raise CXKPI_MAX_CELL_CHARS if it is real)") from None
                if strict:
                    raise _Stray() from None
                raise InputError(f"{label} line {reader.line_num}: cannot parse CSV: {e}") from None
            if record:
                widths.append(len(record))
            start = reader.line_num + 1
    return widths


def _header(text: str, delimiter: str, label: str) -> list[str]:
    import csv

    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)  # \r-only files too
    try:
        first = next(reader)
    except (StopIteration, csv.Error) as e:
        raise InputError(f"{label}: cannot read the header row ({e})") from None
    return [h.strip() for h in first]


def _header_block(text: str, delimiter: str, label: str, rows: int) -> list[list[str]]:
    import csv

    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)
    block: list[list[str]] = []
    try:
        for _ in range(rows):
            block.append(next(reader))
    except StopIteration:
        raise InputError(f"{label}: expected {rows} header rows, the file has {len(block)} rows") from None
    except csv.Error as e:
        raise InputError(f"{label}: cannot read the header rows ({e})") from None
    return block


def _check_headers(headers: list[str], label: str) -> None:
    blanks = [i + 1 for i, h in enumerate(headers) if not h]
    if blanks and len(blanks) == len(headers):
        raise InputError(f"{label}: the header row is empty")
    import unicodedata

    seen: dict[str, int] = {}
    for h in headers:
        if h:  # `Café` typed as NFC and as NFD looks the same to a user: one name
            key = unicodedata.normalize("NFC", h)
            seen[key] = seen.get(key, 0) + 1
    dupes = [h for h, c in seen.items() if c > 1]
    if dupes:
        raise InputError(f"{label}: duplicate column names in the header: {', '.join(map(repr, dupes))}")


def _defused_errors() -> tuple:
    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is a dependency
        return ()
    return (DefusedXmlException,)


def _read_excel(source, label: str, options, columns: list[str] | None) -> RawTable:
    from openpyxl import load_workbook

    handle = _open_binary(source)  # a file object: openpyxl would judge a path by its extension
    try:
        wb = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, *_defused_errors()) as e:
        handle.close()
        raise _unreadable(e, label) from None
    try:
        return _read_sheet(wb, label, options, columns)
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, *_defused_errors()) as e:
        # met while the rows stream: a member cut short or failing its CRC, a cell beyond column ZZZ
        raise _unreadable(e, label) from None
    finally:
        wb.close()
        handle.close()


def _unreadable(e: Exception, label: str) -> InputError:
    cause = e if isinstance(e, _defused_errors()) else (e.__cause__ or e.__context__)
    if isinstance(cause, _defused_errors()):  # openpyxl may wrap the parser's error in a ValueError
        from ..errors import UnsafeInputError

        return UnsafeInputError(f"{label}: unsafe workbook: XML entity declarations are refused "
                                f"({type(cause).__name__})")
    return InputError(f"{label}: not a readable .xlsx workbook ({type(e).__name__}: {e})")


def _read_sheet(wb, label: str, options, columns: list[str] | None) -> RawTable:
    names = wb.sheetnames
    if not names:
        raise InputError(f"{label}: the workbook has no sheets")
    sheet = options.sheet
    if sheet is None:  # the first worksheet: a chart sheet before it has no cells
        if not wb.worksheets:
            raise InputError(f"{label}: the workbook has only chart sheets ({', '.join(map(repr, names))}), "
                             "no sheet of cells")
        ws = wb.worksheets[0]
    elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
        i = int(sheet)
        if not 0 <= i < len(names):
            raise InputError(f"{label}: no sheet number {i} (sheets: {', '.join(map(repr, names))}; numbers start at 0)")
        ws = wb[names[i]]
    elif sheet in names:
        ws = wb[sheet]
    else:
        raise InputError(f"{label}: no sheet {sheet!r}; the workbook has: {', '.join(map(repr, names))}")
    if not hasattr(ws, "iter_rows"):
        cells = [w.title for w in wb.worksheets]
        raise InputError(f"{label}: sheet {ws.title!r} is a chart, not a sheet of cells"
                         + (f" (sheets of cells: {', '.join(map(repr, cells))})" if cells else ""))
    _check_bounds(ws, label)
    rows = ws.iter_rows(values_only=True)
    header_row = next(rows, None)
    if header_row is None:
        raise InputError(f"{label}: sheet {ws.title!r} is empty")
    if len(header_row) > EXCEL_MAX_COLUMNS:
        raise InputError(f"{label}: sheet {ws.title!r} has cells in column {len(header_row):,}, beyond Excel's "
                         f"limit of {EXCEL_MAX_COLUMNS:,} (not a workbook Excel wrote); export it as CSV")
    block = [[("" if h is None else str(h)).strip() for h in header_row]]
    for _ in range(header_rows(options) - 1):
        line = next(rows, None)
        if line is None:
            raise InputError(f"{label}: expected {header_rows(options)} header rows, sheet {ws.title!r} has "
                             f"{len(block)} rows")
        block.append([("" if v is None else str(v)).strip() for v in line])
    width = max((i + 1 for r in block for i, v in enumerate(r) if v), default=0)  # blank on every line: gone
    block = [(r + [""] * width)[:width] for r in block]
    aliases: dict[str, list[str]] = {}
    if len(block) > 1:
        headers, aliases = compose_headers(block)
    else:
        headers = block[0]
    _check_headers(headers, label)
    if columns == []:
        return RawTable(pd.DataFrame(), headers, aliases=aliases)
    wanted = headers if columns is None else columns
    positions = [headers.index(c) for c in wanted]
    data = []
    room = EXCEL_MAX_ROWS - header_rows(options)
    filled = 0  # rows up to the last one with any cell: trailing blank sheet rows are no data
    for r in rows:
        if len(data) >= room:  # the declared dimension said less (or nothing): stop here
            raise InputError(f"{label}: sheet {ws.title!r} has more than {EXCEL_MAX_ROWS:,} rows, Excel's limit "
                             "(not a workbook Excel wrote); export it as CSV")
        data.append([r[i] if i < len(r) else None for i in positions])
        if r.count(None) != len(r):  # decided on the whole sheet row, not the columns read, as a CSV has it
            filled = len(data)
    del data[filled:]
    frame = pd.DataFrame(data, columns=wanted, dtype=object)
    first_row = 1 + header_rows(options)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    for c in frame.columns:
        frame[c] = excel_column(frame[c])
    check_cells(frame, label)
    return RawTable(frame, headers, aliases=aliases)


def _check_bounds(ws, label: str) -> None:
    """Before a row is expanded: the sheet's declared size within Excel's limits, no shared text over the
    cell cap (openpyxl holds the shared strings in memory, bounded by the input limit on the zip)."""
    rows, cols = ws.max_row or 0, ws.max_column or 0
    if rows > EXCEL_MAX_ROWS or cols > EXCEL_MAX_COLUMNS:
        raise InputError(f"{label}: sheet {ws.title!r} declares {rows:,} rows x {cols:,} columns, over Excel's limit "
                         f"of {EXCEL_MAX_ROWS:,} x {EXCEL_MAX_COLUMNS:,} (not a workbook Excel wrote); export it as CSV")
    limit = max_cell_chars()
    longest = max((len(t) for t in getattr(ws, "_shared_strings", None) or () if isinstance(t, str)), default=0)
    if longest > limit:
        raise InputError(f"{label}: the workbook holds a text of {longest:,} characters, over the cell limit of "
                         f"{limit:,} (raise CXKPI_MAX_CELL_CHARS if it is real)")


def excel_column(col: pd.Series) -> pd.Series:
    """Typed workbook cells: keep all-number and all-date columns typed, else text."""
    present = col.dropna()
    if present.empty:
        return col.astype("string")
    kind = pd.api.types.infer_dtype(present, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return pd.to_numeric(col, errors="coerce")
    if kind in ("datetime", "datetime64", "date"):
        return pd.to_datetime(col, errors="coerce")
    return col.astype("string")

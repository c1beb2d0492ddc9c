"""Several files as one source: a glob, a folder or a config's ``files:`` list.

Monthly exports stay monthly files: each is read by ``load.load_source`` as if it were the only one
(its own header decides where the mapped columns are, so column order and extra columns may differ),
and the parts are concatenated into one ``Dataset``. Row ids stay unique and still name a file's
row: a file's rows get an offset (the rows of the files before it), kept in ``Dataset.parts``.
"""

from __future__ import annotations

import glob
import io
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import FilesDifferError, InputError, MissingColumnsError
from . import load
from .dataset import Dataset, Lazy

GLOB_CHARS = "*?["
SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".parquet")  # what a folder contributes
FILES_NOTE = "read "  # "read 12 files, 48,000 rows"


class FileSet(str):
    """A source given as several files: the text as given (a glob, a folder, a list) is the string, so
    it names the source in messages and results; ``paths`` are the files it matched, in reading order."""

    paths: tuple[str, ...]

    def __new__(cls, label: str, paths) -> "FileSet":
        obj = super().__new__(cls, label)
        obj.paths = tuple(paths)
        return obj


def is_several(value: str | os.PathLike) -> bool:
    """A folder, or a glob that is not itself the name of a file."""
    value = str(value)
    if value == "-":
        return False
    return os.path.isdir(value) or (any(ch in value for ch in GLOB_CHARS) and not os.path.lexists(value))


def as_source(value: str | os.PathLike, label: str | None = None):
    """``value`` as given when it names one file (or stdin); a ``FileSet`` for a glob or a folder."""
    return file_set([str(value)], label) if is_several(value) else value


def file_set(values: list[str], label: str | None = None) -> FileSet:
    """The files that ``values`` (globs, folders, files) name, each once, in sorted name order."""
    label = label if label is not None else ", ".join(values)
    found: dict[str, str] = {}
    for value in values:
        for path in _expand(value):
            found.setdefault(os.path.realpath(path), path)
    return FileSet(label, sorted(found.values()))


def _expand(value: str) -> list[str]:
    if value != "-" and os.path.isdir(value):
        names = [str(Path(value) / name) for name in os.listdir(value)
                 if name.lower().endswith(SUFFIXES) and not name.startswith((".", "~$"))]
        files = [p for p in names if os.path.isfile(p)]
        if not files:
            raise InputError(f"{value}: is a directory with no CSV, TSV, XLSX or Parquet file in it (a folder is "
                             "read file by file; for other names give a quoted glob such as 'exports/*.txt')")
        return files
    if is_several(value):
        files = [p for p in glob.glob(os.path.expanduser(value), recursive=True) if os.path.isfile(p)]
        if not files:
            raise InputError(f"{value}: no file matches this pattern (quote it so the shell passes it as it is; "
                             "check the folder and the name)")
        return files
    return [value]  # one file: its own load says when it is missing


def load_source(path, source: str, wanted: list[str], options: load.LoadOptions | None = None,
                extra: list[str] | None = None, stdin: io.BufferedIOBase | None = None,
                cache: load.ReadCache | None = None, lazy: bool = False) -> Dataset:
    """``load.load_source``; a ``FileSet`` is loaded file by file with the same options, then concatenated.

    With ``options.engine == "dask"`` each file is a task on a Dask worker (cxkpi/io/distributed.py).
    ``cache``: for a ``FileSet`` that several sources name, a ReadCache per file (realpath -> cache),
    so each file's ``load.Stream`` serves them all."""
    caches = cache if isinstance(cache, dict) else {}
    if lazy and options is not None and options.engine == "dask" and isinstance(path, FileSet) and \
            any(load.batchable(Path(p), p, options.cache) for p in path.paths if os.path.isfile(p)):
        # large files: each file's KPI partial states are computed on a worker (cxkpi.stream), only the
        # headers are read here
        from . import distributed

        local = replace(options, engine="local")
        parts = [load.load_source(p, source, wanted, local, extra, cache=caches.get(os.path.realpath(p)), lazy=True)
                 for p in path.paths]
        # a KPI that needs every row: the files parsed on the workers, as without streaming
        files = LazyFiles(parts, str(path), read_whole=lambda: load_source(path, source, wanted, options, extra))
        files.stream.remote = (source, wanted, replace(distributed.quiet_options(options), engine="local"),
                               extra, options.scheduler, options.progress)
        return files
    if options is not None and options.engine == "dask" and str(path) != "-":
        from functools import partial

        from . import distributed

        task = partial(load.load_source, source=source, wanted=wanted, options=distributed.quiet_options(options),
                       extra=extra)
        several = isinstance(path, FileSet)
        parts = distributed.map_files(task, list(path.paths) if several else [path], options.scheduler,
                                      options.progress)
        return concat(parts, str(path)) if several else parts[0]
    if not isinstance(path, FileSet):
        return load.load_source(path, source, wanted, options, extra, stdin=stdin, cache=cache, lazy=lazy)
    parts = [load.load_source(p, source, wanted, options, extra, cache=caches.get(os.path.realpath(p)), lazy=lazy)
             for p in path.paths]
    if lazy and any(isinstance(p, load.LazyDataset) for p in parts):
        return LazyFiles(parts, str(path))
    return concat(parts, str(path))


class FilesStream:
    """The files of a source, one after the other, as one stream of batches (``load.Stream``'s
    interface): a large file batch by batch, a small one as one batch. Row ids are offset as
    ``concat`` offsets them, and time columns are put in the first file's zone, so the KPIs see the
    rows the concatenated files would give them. A file whose columns or zone do not match the
    others is left to ``concat``, which says what is wrong (``Mismatch``)."""

    def __init__(self, parts: list, label: str, source: str) -> None:
        self.parts, self.label = parts, label
        self.jobs = {source: None}
        self.failed = False
        self.remote = None  # --engine dask: (source, wanted, options, extra, scheduler, progress) for workers
        self.zones: dict[str, object] = {}

    def passes(self) -> list:
        """What each file is read through: a large file's ``load.Stream``, a small file's Dataset."""
        return [getattr(p, "stream", None) or p for p in self.parts]

    def align(self, batch: Dataset) -> Dataset:
        """``batch`` with its times in the zone this source's first file set (its own row ids: a file's
        pieces are shifted when they are merged)."""
        changed = {}
        for c in batch.frame.columns:
            col = batch.frame[c]
            if not pd.api.types.is_datetime64_any_dtype(col):
                continue
            tz = getattr(col.dtype, "tz", None)
            if not col.notna().any():
                if c in self.zones and self.zones[c] is not None and tz is None:
                    changed[c] = pd.Series(pd.NaT, index=col.index, dtype=pd.DatetimeTZDtype(tz=self.zones[c]))
                continue
            have = self.zones.setdefault(c, tz)
            if (have is None) != (tz is None):
                raise Mismatch()  # zoned and naive times in different files: concat explains
            if tz is not None and str(tz) != str(have):
                changed[c] = col.dt.tz_convert(have)
        return replace(batch, frame=batch.frame.assign(**changed)) if changed else batch


class SharedFiles(FilesStream):
    """The files that several sources name (tickets and their CSAT answers in one folder of monthly
    exports), streamed as one: each file is read once for all of them, as one file already is (its
    sources share a ``load.Stream``). Each source keeps its own ``FilesStream`` for its zones and its
    failure flag."""

    def __init__(self, streams: dict[str, FilesStream], parts: list) -> None:  # noqa: D107
        first = next(iter(streams.values()))
        self.streams, self._passes = streams, parts
        self.parts, self.label = first.parts, first.label
        self.jobs = {s: None for s in streams}
        self.remote = None

    @classmethod
    def of(cls, sources: dict) -> "SharedFiles | None":
        """source -> LazyFiles of the same files, as one stream (for Dask too: one task a file for
        every source); None when their large files were not opened as one read (their ``load.Stream``
        objects differ) or not all of them are for Dask."""
        streams = {s: d.stream for s, d in sources.items() if isinstance(getattr(d, "stream", None), FilesStream)}
        if len(streams) != len(sources) or len({st.remote is None for st in streams.values()}) != 1:
            return None
        each = [st.parts for st in streams.values()]
        if len({len(p) for p in each}) != 1:
            return None
        passes = []
        for i, first in enumerate(each[0]):
            lazy = [getattr(p[i], "stream", None) for p in each]
            if all(st is not None for st in lazy):
                if any(st is not lazy[0] for st in lazy):
                    return None
                passes.append(lazy[0])
            elif any(st is not None for st in lazy):
                return None
            else:  # a small file, parsed whole for each source
                passes.append(_Parsed({s: p[i] for s, p in zip(streams, each)}))
        shared = cls(streams, passes)
        remotes = [st.remote for st in streams.values()]
        if remotes[0] is not None:  # --engine dask: a worker reads each file once for every source
            shared.remote = ({s: r[:4] for s, r in zip(streams, remotes)}, *remotes[0][4:])
        return shared

    def passes(self) -> list:
        return list(self._passes)

    @property
    def failed(self) -> bool:
        return any(st.failed for st in self.streams.values())

    @failed.setter
    def failed(self, value: bool) -> None:
        for st in self.streams.values():
            st.failed = value

    @property
    def zones(self) -> dict:
        """Every source's zones (a piece's cache key holds them): (source, column) -> zone."""
        return _Zones(self.streams)

    @zones.setter
    def zones(self, value: dict) -> None:
        for st in self.streams.values():
            st.zones = dict(value)

    def align(self, batch: Dataset) -> Dataset:
        return self.streams[batch.source].align(batch)


class _Zones:
    """A live view of several sources' zones, as ``FilesStream.zones`` is of one."""

    def __init__(self, streams: dict) -> None:  # noqa: D107
        self._streams = streams

    def items(self):
        return [((s, c), z) for s, st in self._streams.items() for c, z in st.zones.items()]


class _Parsed:
    """A small file of a folder that several sources read, parsed whole for each: one batch a source."""

    def __init__(self, datasets: dict) -> None:  # noqa: D107
        self.datasets = datasets

    def each(self, sink, sources=None, collect=(), handoff=None) -> dict:  # noqa: D102  (load.Stream.each)
        for s, data in self.datasets.items():
            if sources is None or s in sources:
                sink(s, data)
        return {s: d for s, d in self.datasets.items() if sources is None or s in sources}


class Mismatch(Exception):
    """The files cannot be streamed as one (columns or zones differ): ``concat`` says why."""


class LazyFiles(Lazy):
    """A source of several files, not read yet: streamed file by file (``FilesStream``) by a KPI that
    declares its statistic; touching its rows concatenates the files (``concat``), or with ``--engine
    dask`` has the workers parse them (``read_whole``)."""

    def __init__(self, parts: list, label: str, read_whole=None) -> None:  # noqa: D107  (lazy)
        first = parts[0]
        self._parts, self._read = parts, read_whole
        self.stream = FilesStream(parts, label, first.source)
        self.source, self.file, self.mapping = first.source, label, first.mapping
        self.headers = list(first.headers)
        self.preset, self.withheld = first.preset, dict(first.withheld)

    def _read_whole(self) -> Dataset:
        return self._read() if self._read is not None else concat(self._parts, self.file)

    def _columns(self) -> list[str]:
        return list(dict.fromkeys(c for p in self._parts for c in p.columns))


def load_any(path, choices: list[load.SourceChoice], viable, none_viable,
             stdin: io.BufferedIOBase | None = None) -> Dataset:
    """``load.load_any``; for a ``FileSet`` every file must read as the same source (``--engine dask``:
    each file a task, as in ``load_source``)."""
    options = choices[0].options if choices else None
    if options is not None and options.engine == "dask" and str(path) != "-":
        from functools import partial

        from . import distributed

        task = partial(load.load_any, choices=[replace(c, options=distributed.quiet_options(c.options))
                                               for c in choices], viable=viable, none_viable=none_viable)
        parts = distributed.map_files(task, list(path.paths) if isinstance(path, FileSet) else [path],
                                      options.scheduler, options.progress)
        if not isinstance(path, FileSet):
            return parts[0]
    elif not isinstance(path, FileSet):
        return load.load_any(path, choices, viable, none_viable, stdin=stdin)
    else:
        parts = [load.load_any(p, choices, viable, none_viable) for p in path.paths]
    for part in parts[1:]:
        if part.source != parts[0].source:
            raise MissingColumnsError(f"{part.file}: reads as {part.source}, but {parts[0].file} as {parts[0].source}; "
                                      f"every file of {path} must be the same kind of export (give --source)")
    return concat(parts, str(path))


def concat(parts: list[Dataset], label: str) -> Dataset:
    """One Dataset of ``parts`` (one per file, in order): the same columns in each, row ids offset."""
    first = parts[0]
    _check_columns(parts, label)
    # each file's rows follow the last row of the file before: with one header row each, a row id is the
    # row's number in the files put one after the other, as in the single file of all their rows
    firsts, offsets, last = [], [], 0
    for i, part in enumerate(parts):
        ids = [*part.frame.index, *(r for s in part.invalid.values() for r in s.index),
               *(r for rows in part.bad_rows.values() for r in rows)]
        low, high = (min(ids), max(ids)) if ids else (1, 0)
        offset = 0 if i == 0 else last + 1 - low  # the first file keeps its own row numbers
        firsts.append(offset + low if i else 0)
        offsets.append(offset)
        last = max(last, offset + high)
    frames = [p.frame.set_axis(p.frame.index + o) for p, o in zip(parts, offsets)]
    frame = _concat_frames(frames, parts, label)
    invalid: dict[str, list[pd.Series]] = {}
    bad_rows: dict[str, list[int]] = {}
    for part, o in zip(parts, offsets):
        for col, bad in part.invalid.items():
            invalid.setdefault(col, []).append(bad.set_axis(bad.index + o))
        for reason, rows in part.bad_rows.items():
            bad_rows.setdefault(reason, []).extend(r + o for r in rows)
    data = Dataset(
        frame=frame, source=first.source, file=label,
        invalid={col: pd.concat(s) for col, s in invalid.items()}, bad_rows=bad_rows,
        headers=list(dict.fromkeys(h for p in parts for h in p.headers)),
        mapping={k: v for p in reversed(parts) for k, v in p.mapping.items()},  # the first file's wins
        notes=list(dict.fromkeys(n for p in parts for n in p.notes)),
        preset=first.preset, withheld={k: v for p in reversed(parts) for k, v in p.withheld.items()},
        parts=tuple(zip(firsts, offsets, (p.file for p in parts))),
    )
    files = "file" if len(parts) == 1 else "files"
    data.notes.append(f"{FILES_NOTE}{len(parts):,} {files}, {data.rows:,} rows")
    return data


def _check_columns(parts: list[Dataset], label: str) -> None:
    """Every file maps the same columns: a month without one would silently count as missing values."""
    every = list(dict.fromkeys(c for p in parts for c in p.frame.columns))
    for part in parts:
        lacking = [c for c in every if c not in part.frame.columns]
        if lacking:
            other = next(p for p in parts if lacking[0] in p.frame.columns)
            header = other.mapping.get(lacking[0], lacking[0])
            shown = ", ".join(repr(h) for h in part.headers[:20]) + \
                (f" … (+{len(part.headers) - 20})" if len(part.headers) > 20 else "")
            raise FilesDifferError(
                f"{part.file}: no column for {lacking[0]!r} ({other.file} has it as {header!r}); every file of "
                f"{label} needs the same columns: add it, map it (--map {lacking[0]}=HEADER, or columns: in the config) "
                f"or leave the file out; the file has: {shown}")


def _concat_frames(frames: list[pd.DataFrame], parts: list[Dataset], label: str) -> pd.DataFrame:
    """Concatenate column by column, so each keeps the type one file of all the rows would have had."""
    kept = [(f, p) for f, p in zip(frames, parts) if len(f)] or [(frames[0], parts[0])]
    columns = {}
    for col in frames[0].columns:
        pieces = [f[col] for f, _ in kept]
        if any(isinstance(s.dtype, pd.CategoricalDtype) for s in pieces):
            columns[col] = pd.concat([s.astype("string") for s in pieces]).astype("category")
            continue
        # a file whose column is empty (no ticket resolved yet this month) has no zone to disagree with
        timed = [(s, p) for s, (_, p) in zip(pieces, kept) if pd.api.types.is_datetime64_any_dtype(s) and s.notna().any()]
        zoned = next((p for s, p in timed if getattr(s.dtype, "tz", None) is not None), None)
        naive = next((p for s, p in timed if getattr(s.dtype, "tz", None) is None), None)
        if zoned is not None and naive is not None:
            raise InputError(f"{naive.file}: column {col!r} holds times without a time zone and {zoned.file} times "
                             f"with one; set the zone to read both in (--timezone, or timezone: in the config)")
        if zoned is not None:  # all zoned: in the first zone, the empty files' NaT in it too
            dtype = next(s.dtype for s, _ in timed)
            pieces = [s.dt.tz_convert(dtype.tz) if getattr(s.dtype, "tz", None) is not None
                      else pd.Series(pd.NaT, index=s.index, dtype=dtype) if pd.api.types.is_datetime64_any_dtype(s)
                      else s for s in pieces]
        columns[col] = pd.concat(pieces)
    index = pd.Index(np.concatenate([f.index.to_numpy() for f, _ in kept]), name=frames[0].index.name)
    return pd.DataFrame(columns, index=index)

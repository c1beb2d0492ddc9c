"""Load one source: read only the mapped columns, rename to canonical, parse by kind."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, MissingColumnsError
from ..sources import column_kind
from . import values
from .columns import HeaderIndex, norm
from .dataset import Dataset
from .read import RawTable, max_file_bytes, read_table


@dataclass
class LoadOptions:
    """How to read one file; filled from the config's source block and CLI flags."""

    sheet: str | int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    timezone: str | None = None
    dayfirst: bool | None = None
    date_format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> export header
    units: dict[str, str] = field(default_factory=dict)  # duration column -> s/min/h/d
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # column -> {label: value}
    header_rows: int = 1
    progress: bool = False


def _resolve(
    index: HeaderIndex, source: str, wanted: list[str], options: LoadOptions, extra: list[str]
) -> tuple[dict[str, str], list[str]]:
    """canonical name -> export header, for the columns this run needs; plus notes."""
    mapping: dict[str, str] = {}
    notes: list[str] = []
    for canonical, header in options.columns.items():
        if canonical in wanted or canonical in extra:
            mapping[canonical] = index.require(header, f"mapped to {canonical!r}")
    for canonical in wanted:
        if canonical in mapping:
            continue
        found = index.auto(canonical)
        if found is not None:
            mapping[canonical] = found
            if norm(found) != canonical and canonical == "score":
                notes.append(f"using column {found!r} as the score")
    for name in extra:  # --by / --where on columns the config does not name
        if name not in mapping:
            mapping[norm(name)] = index.require(name, "used in --by/--where")
    return mapping, notes


def load_source(
    path: str | os.PathLike | None,
    source: str,
    wanted: list[str],
    options: LoadOptions | None = None,
    extra: list[str] | None = None,
    stdin: io.BufferedIOBase | None = None,
) -> Dataset:
    """Read ``path`` (``-`` = stdin) and return the canonical columns in ``wanted``
    (those the file has) plus ``extra`` dimension columns, parsed by their kind."""
    options = options or LoadOptions()
    extra = extra or []
    label = "<stdin>" if str(path) == "-" else str(path)
    if str(path) == "-":
        limit = max_file_bytes()
        data = (stdin or sys.stdin.buffer).read(limit + 1)
        if len(data) > limit:
            raise InputError(f"{label}: more than the {limit >> 20:,} MB input limit (raise CXKPI_MAX_FILE_MB)")
        raw = read_table(io.BytesIO(data), label, options, columns=None)
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"{label}: no such file")
        if p.is_dir():
            raise InputError(f"{label}: is a directory, expected a CSV or XLSX file")
        limit = max_file_bytes()
        if p.is_file() and p.stat().st_size > limit:
            raise InputError(f"{label}: {p.stat().st_size / (1 << 20):,.1f} MB is over the {limit >> 20:,} MB input limit "
                             "(raise CXKPI_MAX_FILE_MB if the machine has the memory, or split the file)")
        raw = None
    if raw is None:
        headers = read_table(Path(path), label, options, columns=[]).headers
    else:
        headers = raw.headers
    index = HeaderIndex(headers, label)
    mapping, notes = _resolve(index, source, wanted, options, extra)
    if raw is None:
        raw = read_table(Path(path), label, options, columns=list(dict.fromkeys(mapping.values())))
    return _canonical(raw, mapping, source, label, options, notes)


@dataclass
class SourceChoice:
    """One way to read a file: as this logical source, with its columns and options."""

    source: str
    wanted: list[str]
    options: LoadOptions
    extra: list[str] = field(default_factory=list)


def _findable(index: HeaderIndex, choice: SourceChoice) -> set[str]:
    """The wanted canonical columns the file has (mapped headers that are missing do not count)."""
    found: set[str] = set()
    for canonical in choice.wanted:
        header = choice.options.columns.get(canonical)
        if header is not None:
            if index.find(header) is not None:
                found.add(canonical)
        elif index.auto(canonical) is not None:
            found.add(canonical)
    return found


def load_any(
    path: str | os.PathLike,
    choices: list[SourceChoice],
    viable: Callable[[str, set[str]], bool],
    none_viable: Callable[[str, list[str]], str],
    stdin: io.BufferedIOBase | None = None,
) -> Dataset:
    """Load ``path`` as the first choice whose columns satisfy ``viable(source, canonical_found)``.

    For KPIs that read any of several sources (churn: subscriptions, orders or a CRM snapshot).
    Only the header is read per choice (stdin is read once and kept). When no choice fits,
    ``none_viable(file, headers)`` gives the message of the ``MissingColumnsError``.
    """
    label = "<stdin>" if str(path) == "-" else str(path)
    if str(path) == "-":
        data = (stdin or sys.stdin.buffer).read()
        payload: Path | bytes = data
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"{label}: no such file")
        if p.is_dir():
            raise InputError(f"{label}: is a directory, expected a CSV or XLSX file")
        payload = p

    def table(options: LoadOptions, columns: list[str] | None) -> RawTable:
        source = io.BytesIO(payload) if isinstance(payload, bytes) else payload
        return read_table(source, label, options, columns=columns)

    headers: list[str] = []
    for choice in choices:
        headers = table(choice.options, []).headers
        index = HeaderIndex(headers, label)
        if not viable(choice.source, _findable(index, choice)):
            continue
        mapping, notes = _resolve(index, choice.source, choice.wanted, choice.options, choice.extra)
        raw = table(choice.options, list(dict.fromkeys(mapping.values())))
        return _canonical(raw, mapping, choice.source, label, choice.options, notes)
    raise MissingColumnsError(none_viable(label, headers))


def _canonical(raw: RawTable, mapping: dict[str, str], source: str, label: str,
               options: LoadOptions, notes: list[str]) -> Dataset:
    frame = pd.DataFrame(index=raw.frame.index)
    invalid: dict[str, pd.Series] = {}
    for canonical, header in mapping.items():
        col = raw.frame[header]
        kind = column_kind(source, canonical)
        if canonical in options.labels and kind != "score":
            col = values.label_map(col, options.labels[canonical])
        parsed, bad = _parse(col, kind, canonical, options)
        frame[canonical] = parsed
        if len(bad):
            invalid[canonical] = bad
    return Dataset(frame=frame, source=source, file=label, invalid=invalid, bad_rows=raw.bad_rows,
                   headers=raw.headers, mapping=mapping, notes=notes)


def _parse(col: pd.Series, kind: str, name: str, options: LoadOptions) -> tuple[pd.Series, pd.Series]:
    try:
        if kind == "time":
            return values.timestamps(col, name, options.timezone, options.dayfirst, options.date_format)
        if kind == "number":
            return values.numbers(col)
        if kind == "money":
            return values.money(col)
        if kind == "duration":
            return values.durations(col, options.units.get(name, "min"))
    except InputError:
        raise
    except (ValueError, TypeError, OverflowError) as e:
        raise InputError(f"column {name!r}: cannot parse values as {kind}: {e}") from None
    if kind == "score":
        return col, col.iloc[:0]
    s = values.text(col)
    if kind == "category":
        s = s.astype("category")
    return s, s.iloc[:0]

"""A loaded source: the canonical frame plus what could not be parsed."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Dataset:
    """``frame`` has canonical column names and an index equal to the row number
    a spreadsheet shows (header = row 1), so every skipped row can be named.

    ``invalid`` maps a column to the raw values that failed to parse (indexed by
    row); ``bad_rows`` maps a reason to row numbers of lines that could not be
    read at all (ragged rows). Both end up in every KPI's skipped accounting.

    ``parts`` is set when the source is several files (cxkpi/io/files.py): (first row id, offset, file)
    per file, in reading order; a row id is its file's offset plus the row number that file shows.
    """

    frame: pd.DataFrame
    source: str
    file: str
    invalid: dict[str, pd.Series] = field(default_factory=dict)
    bad_rows: dict[str, list[int]] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    preset: str | None = None  # the preset that mapped the columns (named or detected)
    withheld: dict[str, str] = field(default_factory=dict)  # canonical -> why the preset's column was not used
    parts: tuple[tuple[int, int, str], ...] = ()

    @property
    def columns(self) -> list[str]:
        """The canonical columns (known without reading the rows of a file read lazily)."""
        return list(self.frame.columns)

    @property
    def rows(self) -> int:
        return len(self.frame) + sum(len(v) for v in self.bad_rows.values())

    def row_at(self, row: int) -> tuple[str, int]:
        """The file a row id belongs to and its row number there."""
        if not self.parts:
            return self.file, row
        i = max(bisect.bisect_right([first for first, _, _ in self.parts], row) - 1, 0)
        _, offset, file = self.parts[i]
        return file, row - offset

    def row_label(self, row: int) -> str:
        """'tickets.csv row 17': where a user finds the row."""
        file, local = self.row_at(row)
        return f"{file} row {local}"


class Lazy(Dataset):
    """A source whose rows are not read yet: ``stream`` hands them to a KPI batch by batch (cxkpi/stream.py);
    touching ``frame`` (``invalid``, ``bad_rows``, ``notes``, ``parts``) reads them whole, once, with
    ``_read_whole``, and from then on it is an ordinary Dataset. No dataclass ``__init__``: a subclass sets
    the fields known without reading (source, file, mapping, headers, preset, withheld)."""

    _FIELDS = ("frame", "invalid", "bad_rows", "notes", "parts", "headers", "mapping")

    def _read_whole(self) -> Dataset:
        raise NotImplementedError

    def _columns(self) -> list[str]:
        raise NotImplementedError

    def __getattr__(self, name: str):
        if name in ("frame", "invalid", "bad_rows", "notes", "parts"):
            made = self._read_whole()
            for f in self._FIELDS:
                setattr(self, f, getattr(made, f))
            self.stream = None
            return getattr(self, name)
        raise AttributeError(name)

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns) if "frame" in self.__dict__ else self._columns()

    def whole(self) -> Dataset:
        return Dataset(frame=self.frame, source=self.source, file=self.file, invalid=self.invalid,
                       bad_rows=self.bad_rows, headers=self.headers, mapping=self.mapping, notes=self.notes,
                       preset=self.preset, withheld=self.withheld, parts=self.parts)

    def __reduce__(self):  # pickled (a Dask worker's result): the rows themselves
        return self.whole().__reduce__()

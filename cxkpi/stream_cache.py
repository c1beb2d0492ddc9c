"""``--cache DIR`` for streamed files: each file's share of each KPI (its partial states), kept.

Why: a nightly report over a folder that grows by one export a day should read that one file. A
streamed KPI's result is the merge of its files' pieces (``cxkpi.stream``: partial states by group,
skipped rows by group, notes, counts, with the file's own row numbers), so a piece is kept per file
and reused while nothing it depends on changes: the key holds the file's size, mtime and content
hash, the source, its mapping and load options (as the parsed-columns cache keys a file), the KPI,
every setting of the request, the answers a KPI decided its scale from, and the cxkpi version.

Entries are JSON with the numbers in a NumPy ``.npz`` beside them in one file (``allow_pickle``
off: nothing in the folder is executed), written to a temporary file and renamed, so a killed run
leaves no half entry. An entry that cannot be read is ignored and written again. A piece holding
zoned times is not kept (its periods depend on the zone of the folder's first file).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .notes import Counted
from .registry import WHOLE_COLUMN

SUFFIX = ".cxkpi-piece.npz"


class _Zoned(Exception):
    """A piece with zoned times: not kept."""


def _encode(value, arrays: dict):
    if isinstance(value, np.ndarray):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"__nd__": name}
    if isinstance(value, Counted):
        return {"__counted__": [value.template, value.n, {k: list(v) for k, v in value.plurals.items()}]}
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            raise _Zoned()
        return {"__ts__": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _encode(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _decode(value, arrays):
    if isinstance(value, dict):
        if "__nd__" in value:
            return arrays[value["__nd__"]]
        if "__counted__" in value:
            template, n, plurals = value["__counted__"]
            return Counted(template, n, **{k: tuple(v) for k, v in plurals.items()})
        if "__ts__" in value:
            return pd.Timestamp(value["__ts__"])
        return {k: _decode(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    return value


def _decided(run, answers: dict):
    """What a survey KPI's whole column decided: its own summary (a new month's answers that keep the
    scale keep every other file's pieces), else every answer with its count."""
    if run.spec.decision is not None:
        return repr(run.spec.decision(answers, run.settings))
    return sorted((str(a), n) for a, n in answers.items())


class Pieces:
    """The pieces in ``folder`` (None: no cache, every get misses). ``zones``: the zone of each time
    column set by the source's first file (several files), part of a piece's key."""

    def __init__(self, folder: str | os.PathLike | None, zones: dict | None = None) -> None:
        self.folder = Path(folder) if folder else None
        self.zones = zones
        self._files: dict = {}
        if self.folder is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError:
                self.folder = None  # a folder we cannot make costs a cold run, never this run's result

    def _file_key(self, stream, source: str) -> str:
        from .io.cache import file_key

        mapping, options, _ = stream.jobs[source]
        st = stream.path.stat()
        memo = (str(stream.path), st.st_size, st.st_mtime_ns, source)
        if memo not in self._files:
            self._files[memo] = file_key(stream.path, source, mapping, options)
        return self._files[memo]

    def key(self, stream, source: str, run, kind: str) -> str | None:
        if self.folder is None or not hasattr(stream, "path"):
            return None
        from . import __version__

        request = run.request
        settings = {k: v for k, v in run.settings.items() if k != WHOLE_COLUMN}
        answers = run.settings.get(WHOLE_COLUMN)
        text = repr([__version__, kind, self._file_key(stream, source), run.spec.name, list(request.by),
                     request.period, str(request.since), str(request.until), [w.text for w in request.where],
                     request.trend, sorted((k, repr(v)) for k, v in settings.items()),
                     None if answers is None or kind == "answers" else _decided(run, answers),
                     sorted((k, str(v)) for k, v in (self.zones.items() if self.zones is not None else ()) if v is not None)])
        return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def get(self, key: str | None) -> dict | None:  # noqa: D102
        if key is None:
            return None
        entry = self.folder / f"{key}{SUFFIX}"
        if not entry.is_file():
            return None
        try:
            arrays = _read_npz(entry)
            data = json.loads(bytes(arrays.pop("json")).decode("utf-8", "surrogateescape"))
            piece = _decode(data, arrays)
        except Exception:  # a truncated or foreign entry: computed again and rewritten
            return None
        return _restore(piece)

    def has(self, key: str | None) -> bool:  # noqa: D102
        return key is not None and self.folder is not None and (self.folder / f"{key}{SUFFIX}").is_file()

    def drop(self, key: str | None) -> None:
        """Remove an entry no run needs any more (a run reading it now finds it gone and uses the pieces)."""
        if key is not None and self.folder is not None:
            try:
                os.unlink(self.folder / f"{key}{SUFFIX}")
            except OSError:
                pass

    def put(self, key: str | None, piece: dict) -> None:
        if key is None:
            return
        arrays: dict = {}
        try:
            text = json.dumps(_encode(piece, arrays))
        except (_Zoned, TypeError, ValueError):
            return
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=self.folder)
            with os.fdopen(fd, "wb") as f:  # written straight to the file: an accumulation is not copied
                np.savez(f, json=np.frombuffer(text.encode("utf-8", "surrogateescape"), dtype=np.uint8), **arrays)
            os.replace(tmp, self.folder / f"{key}{SUFFIX}")
        except OSError:
            pass
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)


def _read_npz(entry: Path) -> dict:
    """The arrays of an ``np.savez`` file. Its members are stored uncompressed, so each is read in one
    ``readinto`` from its place in the file: ``np.load`` reads a member through the zip module a
    quarter MB at a time (0.8 s for a year's accumulation of 330 MB, against 0.15 s). Any other member
    (compressed, an object array, Fortran order) is read by ``np.load``, which refuses pickles."""
    import struct
    import zipfile

    from numpy.lib import format as npy

    out: dict = {}
    with zipfile.ZipFile(entry) as z, open(entry, "rb") as f:
        for info in z.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            f.seek(info.header_offset)
            local = f.read(30)
            if info.compress_type != zipfile.ZIP_STORED or local[:4] != b"PK\x03\x04":
                out[name] = _np_member(z, info)
                continue
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            f.seek(info.header_offset + 30 + name_len + extra_len)
            version = npy.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                out[name] = _np_member(z, info)
                continue
            read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
            if fortran or dtype.hasobject:
                out[name] = _np_member(z, info)
                continue
            array = np.empty(shape, dtype=dtype)
            if array.nbytes and f.readinto(memoryview(array.reshape(-1)).cast("B")) != array.nbytes:
                raise ValueError(f"{entry.name}: member {name} is short")
            out[name] = array
    return out


def _np_member(z, info) -> np.ndarray:
    with z.open(info) as member:
        return np.lib.format.read_array(member, allow_pickle=False)


def _restore(piece: dict) -> dict:
    """Types JSON flattened: label keys as tuples; a reducer state's integer counts as Python ints."""
    if "partials" in piece and piece["partials"].get("columns") is not None:
        p = piece["partials"]
        p["labels"] = [tuple(k) for k in p["labels"]]
        for where in ("groups", "totals"):
            states = p.get(where)
            if states:
                for state in states.values():
                    if "n_groups" in state:
                        state["n_groups"] = int(state["n_groups"])
    return piece

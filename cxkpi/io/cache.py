"""A folder of parsed sources (``--cache DIR``): a nightly run reads only the files that changed.

Reading and parsing is most of a run's time (CSV text to typed columns, every
cell checked). Each file's parsed, canonical Dataset is kept as one Arrow IPC
file, named by a digest of everything that decides it: the file's size, mtime
and content hash, the source, its column mapping and every load option, and
the cxkpi version. A folder of monthly exports that grows by one file a day
parses that one file; the others load as typed columns, so the result is the
cold run's, byte for byte (a test compares them over every KPI).

What is cached is the parsed columns, not the KPIs' partial sums: the KPIs are
computed again over all rows (fast once the text is parsed), which keeps every
statistic exact, medians included, and every KPI setting free to change
between runs without a stale entry.

Entries are written to a temporary file and renamed, so a killed run leaves no
half entry and two concurrent runs write the same bytes. An entry that cannot
be read (another version, a truncated copy) is ignored and rewritten. The
folder holds the user's own data: it is no trust boundary (nothing in it is
executed: Arrow and JSON only, no pickle).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import fields
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .dataset import Dataset

SUFFIX = ".cxkpi.arrow"
_HASH_BLOCK = 1 << 22


def _read_facts(path: Path, hashed: bool = True) -> dict:
    """The SHA-256 of the file's bytes and whether they hold an odd number of quotes (``read.batchable``
    asks), from one read. A file rewritten within the mtime's resolution still misses (the key holds the
    mtime too, so a touched file with the same bytes is parsed again, as docs/scale.md says)."""
    h = hashlib.sha256() if hashed else None  # with the CPU's SHA instructions twice BLAKE2b's speed (0.4 s a 600 MB file)
    quotes = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_HASH_BLOCK), b""):
            if h is not None:
                h.update(chunk)
            quotes += chunk.count(b'"')
    return {"hash": h.hexdigest(), "odd": quotes % 2 == 1} if h is not None else {"odd": quotes % 2 == 1}


def _stable(value):
    """``value`` with its dicts in key order: an option built from a set (a preset's label columns with
    the config's) is ordered by the process's string hashes, and its repr would miss every other run."""
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _stable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_stable(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(v) for v in value))
    return value


def _option_text(options) -> str:
    """Every load option that can change the parsed columns, as stable text."""
    skip = {"progress", "cache", "engine", "scheduler"}  # how, not what, is parsed
    parts = []
    for f in fields(options):
        if f.name in skip:
            continue
        value = getattr(options, f.name)
        if f.name == "preset":
            value = None if value is None else getattr(value, "name", str(value))
        parts.append((f.name, repr(_stable(value))))
    return repr(parts)


def _mapping_text(mapping: dict) -> str:
    return repr(sorted((k, type(v).__name__, str(v), repr(sorted(getattr(v, "headers", {}).items())))
                       for k, v in mapping.items()))


def file_key(path: Path, source: str, mapping: dict, options) -> str:
    """A digest of everything that decides a file's parsed columns: its size, mtime and bytes, the source,
    the mapping, every load option, the cxkpi version."""
    from .. import __version__

    st = path.stat()
    text = "\n".join([__version__, str(st.st_size), str(st.st_mtime_ns), _hash_of(path, st, options.cache), source,
                      _mapping_text(mapping), _option_text(options)])
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()


_FACTS: dict = {}  # this run's file facts by (path, size, mtime, ctime): two sources of one file read it once
_ALGO = "sha256"  # the content hash a note holds (a note of another one is not trusted)
_SETTLED_NS = 2_000_000_000  # a file changed this close to its hashing may change again unseen (FAT: 2 s)


def _hash_of(path: Path, st, folder=None) -> str:
    return file_facts(path, st, folder, hashed=True)["hash"]


def file_facts(path: Path, st, folder=None, hashed: bool = False) -> dict:
    """``{"hash", "odd"}`` of a file: once a run, and with a cache ``folder`` from an earlier run's note
    (without one the hash is computed only when ``hashed`` asks for it: nothing else needs it)."""
    memo = (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    have = _FACTS.get(memo)
    if have is None or (hashed and "hash" not in have):
        _FACTS[memo] = _remembered(path, st, folder) if folder else _read_facts(path, hashed)
    return _FACTS[memo]


def _remembered(path: Path, st, folder) -> dict:
    """The file's facts (content hash, quote parity), from ``folder``'s note of an earlier run when the
    file is unchanged since.

    Why: reading is the whole cost of a cached file (a 7 GB folder takes ~7 s to hash), and a nightly
    run sees the same files again. The note is trusted only if the file's device, inode, size, mtime
    and ctime are the ones noted (ctime cannot be set back by a program) and the file had settled
    before it was read (its mtime at least 2 s older, as git trusts its index: a write within the file
    system's time resolution would otherwise go unseen). Anything else reads the bytes again."""
    ident = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    note = Path(folder) / "hashes" / (hashlib.blake2b(os.fsencode(path.resolve()), digest_size=16).hexdigest() + ".json")
    try:
        seen = json.loads(note.read_text(encoding="utf-8"))
        if seen["ident"] == ident and seen["hashed_at"] - st.st_mtime_ns >= _SETTLED_NS and seen.get("algo") == _ALGO:
            return {"hash": str(seen["hash"]), "odd": bool(seen["odd"])}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    hashed_at = time.time_ns()
    facts = _read_facts(path)
    try:
        note.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(note, json.dumps({"ident": ident, "hashed_at": hashed_at, "algo": _ALGO, **facts}).encode())
    except OSError:
        pass  # a note we cannot write costs the next run a read, never this run's result
    return facts


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class ParsedCache:
    """Parsed Datasets in ``folder``, one Arrow file per (file state, source, mapping, options)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise InputError(f"--cache {folder}: not a folder")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"--cache {folder}: cannot create the folder ({e.strerror or type(e).__name__})") from None
        self.hits = 0
        self.misses = 0

    def key(self, path: Path, source: str, mapping: dict, options) -> str:
        return file_key(path, source, mapping, options)

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def get(self, key: str, label: str) -> Dataset | None:
        entry = self._entry(key)
        if not entry.is_file():
            self.misses += 1
            return None
        try:
            data = _read(entry, label)
        except Exception:  # a truncated or foreign entry: read the file again and rewrite it
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, key: str, data: Dataset) -> None:
        """Store ``data`` atomically; a Dataset Arrow cannot hold (mixed-type workbook cells) is not cached."""
        try:
            table = _table(data)
        except Exception:
            return
        import pyarrow as pa

        tmp = None
        try:  # a read-only or full folder costs the next run a parse, never this run's result
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=self.folder)
            with os.fdopen(fd, "wb") as f, pa.ipc.new_file(f, table.schema) as writer:
                writer.write_table(table)
            os.replace(tmp, self._entry(key))
        except OSError:
            pass
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)


_ROW = "__cxkpi_row__"


def _table(data: Dataset):
    import pyarrow as pa

    frame = data.frame.copy()
    frame[_ROW] = data.frame.index.to_numpy()
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    invalid = {c: {"rows": [int(i) for i in bad.index], "values": [str(v) for v in bad.to_numpy()],
                   "not_finite": [int(i) for i in bad.attrs.get("not_finite", ())]}
               for c, bad in data.invalid.items()}
    meta = {"source": data.source, "bad_rows": data.bad_rows, "headers": data.headers,
            "mapping": {k: str(v) for k, v in data.mapping.items()}, "notes": data.notes, "preset": data.preset,
            "withheld": data.withheld, "invalid": invalid}
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[b"cxkpi"] = json.dumps(meta).encode("utf-8", "surrogateescape")
    return table.replace_schema_metadata(schema_meta)


def _read(entry: Path, label: str) -> Dataset:
    import pyarrow as pa

    with pa.memory_map(str(entry)) as source:
        table = pa.ipc.open_file(source).read_all()
    meta = json.loads(table.schema.metadata[b"cxkpi"].decode("utf-8", "surrogateescape"))
    frame = table.to_pandas()
    index = pd.Index(frame.pop(_ROW).to_numpy(), dtype="int64")
    frame.index = index
    invalid = {}
    for c, bad in meta["invalid"].items():
        s = pd.Series(bad["values"], index=pd.Index(bad["rows"], dtype="int64"), dtype=object)
        s.attrs["not_finite"] = tuple(bad["not_finite"])
        invalid[c] = s
    return Dataset(frame=frame, source=meta["source"], file=label, invalid=invalid,
                   bad_rows={k: list(v) for k, v in meta["bad_rows"].items()}, headers=meta["headers"],
                   mapping=meta["mapping"], notes=meta["notes"], preset=meta["preset"], withheld=meta["withheld"])

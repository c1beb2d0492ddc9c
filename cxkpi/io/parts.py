"""One large CSV read on several cores: cut at record boundaries, each later part read by a forked
process whose partial states are handed back and merged in file order.

Why: a pass over a file is Python and numpy on one core (pyarrow's parsing alone does not fill a
second one), and the KPIs' states merge (``partials``): a part of a file merges the way another file
of a folder does, its row numbers shifted by the rows before it. The children are forked at the
start, while the parent holds little more than its imports, and each reads its first batch while the
parent's first batch makes the file's decisions (each time column's layout, a guessed answer scale);
the parent then sends them down a pipe, so every part is read on them. Anything a child cannot finish, for any reason, is read again by the
parent in its place, so errors, skipped rows and their row numbers are those of a one-process read.
Linux only (fork: a child starts with the parent's imports and state, in milliseconds).
"""

from __future__ import annotations

import codecs
import os
import pickle
import select
import signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

SOLO = False  # set in a process that must not fork (a Dask worker)
_MOST = 4  # processes by default, whatever the cores: each holds a batch's working set (~300 MB)
_SAFE = ("utf_8", "utf_8_sig", "ascii", "latin_1", "iso8859", "cp125")  # a line end is byte 0x0A alone


class Handoff(Protocol):
    """What a pass's consumer gives for its file to be read in parts: what its first batch decided
    (``decisions``, sent to each child, which ``decide``s on it before it measures a batch), what a
    child sends back (``export``), and how the parent merges it (``absorb``)."""

    def decisions(self) -> object: ...

    def decide(self, decided) -> None: ...

    def export(self) -> object: ...

    def absorb(self, state, offset: int) -> None: ...


def jobs() -> int:
    """Processes that read one large file (``CXKPI_JOBS``; default the usable cores, at most 4). One
    off the main thread: a program that calls cxkpi from a worker thread has other threads, whose locks
    a forked child would inherit held."""
    import threading

    if SOLO or not sys.platform.startswith("linux") or not hasattr(os, "fork") \
            or threading.current_thread() is not threading.main_thread():
        return 1
    raw = os.environ.get("CXKPI_JOBS", "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, _MOST))


def cuts(path: Path, encoding: str, header_lines: int, least: int, parts: int | None = None,
         lead: int = 0) -> list[int]:
    """Byte offsets ``[0, c1, …, size]`` cutting the file into up to ``parts`` runs of whole records of
    at least ``least`` bytes; ``[0, size]`` for one part. A cut is made just after a line end with no
    quote before it: before the file's first quote every line end ends a record, however the file
    quotes; after it a line end may lie inside a quoted cell, so no cut is made there. The first part
    is ``lead`` bytes longer than the others (its reader starts that much earlier), so all end together."""
    import mmap

    size = path.stat().st_size
    parts = jobs() if parts is None else parts
    name = codecs.lookup(encoding).name.replace("-", "_")
    if parts < 2 or size < 2 * least or not name.startswith(_SAFE):
        return [0, size]
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        start = 0
        for _ in range(header_lines):
            start = m.find(b"\n", start) + 1
            if start == 0:
                return [0, size]
        n = min(parts, size // least)
        lead = min(max(0, lead), size // 2)
        share = (size - lead) // n  # each later part's; the first is share + lead
        scan = min(size, lead + (n - 1) * share + (1 << 20))  # no quote is looked for past the last cut's place
        # a header line with its quotes in pairs (quoted names) holds no line end of a cell: looked past
        clean = all(line.count(b'"') % 2 == 0 for line in m[:start].split(b"\n"))
        quote = m.find(b'"', start if clean else 0, scan)
        limit = scan if quote < 0 else quote
        out = [0]
        for k in range(1, n):
            at = m.find(b"\n", max(start, lead + k * share), limit)
            if at < 0:  # past the first quote: one last cut just before it, when that leaves a part
                at = m.rfind(b"\n", start, limit)
                if at >= 0 and at + 1 - out[-1] >= least and size - at - 1 >= least:
                    out.append(at + 1)
                break
            if at + 1 - out[-1] >= least and size - at - 1 >= least:
                out.append(at + 1)
        return out + [size]


class Children:
    """The forked readers of a file's later parts: started at once (each reads its first batch while
    the parent decides), told the decisions (``tell``), their results taken in file order
    (``result``), and any still running killed on the way out (``close``)."""

    def __init__(self) -> None:  # noqa: D107
        self.kids: dict[int, tuple[int, int]] = {}  # part -> (pid, read end of its result pipe)
        self.go: dict[int, int] = {}  # part -> write end of the pipe its decisions go down
        self.began = time.monotonic()

    def start(self, spans: list[tuple[int, int]], body: Callable) -> None:
        """Fork one child per span; each runs ``body(span, wait)`` (``wait()``: the decisions ``tell``
        sends, None when there are none) and sends back its pickled result."""
        sys.stdout.flush()
        sys.stderr.flush()
        for n, span in enumerate(spans):
            r, w = os.pipe()
            gr, gw = os.pipe()
            with warnings.catch_warnings():  # 3.12 warns of fork with threads: the child uses none of them
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:  # the child: read its part, write the result, exit without the parent's cleanup
                code = 0
                try:
                    os.close(r)
                    os.close(gw)
                    for fd in [*(fd for _, fd in self.kids.values()), *self.go.values()]:
                        os.close(fd)
                    signal.signal(signal.SIGINT, signal.SIG_DFL)
                    try:
                        payload = pickle.dumps(("ok", body(span, lambda: _receive(gr))),
                                               protocol=pickle.HIGHEST_PROTOCOL)
                    except BaseException as e:  # noqa: BLE001  (the parent reads the part again and says why)
                        payload = pickle.dumps(("failed", f"{type(e).__name__}: {e}"))
                    view = memoryview(payload)
                    while view:
                        view = view[os.write(w, view):]
                except BaseException:  # noqa: BLE001
                    code = 1
                finally:
                    os._exit(code)
            os.close(w)
            os.close(gr)
            self.kids[n] = (pid, r)
            self.go[n] = gw

    def tell(self, decisions) -> None:
        """Send every child the decisions (None: there are none, the parent reads the parts itself).
        Written by a thread each: a child still reading its first batch does not hold the parent."""
        import threading

        payload = b"" if decisions is None else pickle.dumps(decisions, protocol=pickle.HIGHEST_PROTOCOL)
        for n in list(self.go):
            fd = self.go.pop(n)

            def send(fd=fd) -> None:
                try:
                    view = memoryview(payload)
                    while view:
                        view = view[os.write(fd, view):]
                except OSError:  # the child is gone: its result says so
                    pass
                finally:
                    os.close(fd)

            threading.Thread(target=send, daemon=True).start()

    def result(self, n: int, patience: float):
        """Child ``n``'s result, or None when it failed, died, or took more than ``patience`` seconds
        past now (it is then killed: the parent reads its part)."""
        if n not in self.kids:
            return None
        pid, fd = self.kids.pop(n)
        chunks, deadline = [], time.monotonic() + patience
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    _kill(pid)
                    return None
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(fd)
            _reap(pid)
        try:
            status, value = pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001  (a child killed mid-write)
            return None
        return value if status == "ok" else None

    def close(self) -> None:
        for pid, fd in self.kids.values():
            _kill(pid)
            os.close(fd)
            _reap(pid)
        self.kids.clear()
        for fd in self.go.values():
            os.close(fd)
        self.go.clear()


def _receive(fd: int):
    """What the parent sent down ``fd`` (read to its end), unpickled; None for nothing."""
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    return pickle.loads(b"".join(chunks)) if chunks else None


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass

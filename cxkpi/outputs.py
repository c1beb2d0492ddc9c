"""Writing result files the way a careful shell redirection would.

A regular file is replaced atomically (a temp file in the same folder, then
rename), so a cron job killed half-way leaves the previous report intact. A
symlink is followed and its target replaced (the link stays a link). A
device, FIFO or ``/dev/fd/N`` is written straight into: renaming a temp file
onto ``/dev/null`` as root would replace the device with a regular file. The
files this run reads (exports, the config) are never written over.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError, UsageError

_INPUTS: set[tuple[int, int]] = set()  # (device, inode) of every file this run reads


def remember_input(path: str | os.PathLike) -> None:
    """Called by every reader: ``--output`` onto this file is refused."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if stat.S_ISREG(st.st_mode):
        _INPUTS.add((st.st_dev, st.st_ino))


def forget_inputs() -> None:
    _INPUTS.clear()


class _Interrupted(BaseException):
    pass


@contextmanager
def _signals_cleanup():
    """SIGTERM and SIGHUP unwind like SIGINT, so the temp file is removed on the way out."""
    def handler(signum, _frame):
        raise _Interrupted(signum)

    old = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            old[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread: signals cannot be caught here
        pass
    try:
        yield
    except _Interrupted as e:
        raise SystemExit(128 + e.args[0]) from None
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


def _fail(path, e: OSError) -> InputError:
    why = {errno.ENOSPC: "no space left on the device", errno.EACCES: "permission denied",
           errno.EROFS: "read-only file system", errno.ENOTDIR: "a part of the path is not a folder",
           errno.ENAMETOOLONG: "file name too long", errno.EPERM: "operation not permitted"}.get(e.errno) \
        or (e.strerror or str(e)).lower()
    return InputError(f"--output {str(path)!r}: cannot write: {why} (the previous file, if any, is untouched)")


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    payload = data.encode("utf-8") if isinstance(data, str) else data
    name = str(path)
    try:
        st = os.stat(path)  # follows symlinks
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _fail(path, e) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(f"--output {name!r}: is a directory")
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:  # a device, FIFO or /dev/fd/N: like `> path` in a shell
            with open(path, "wb") as f:
                f.write(payload)
        except OSError as e:
            raise _fail(path, e) from None
        return
    if st is not None and (st.st_dev, st.st_ino) in _INPUTS:
        raise UsageError(f"--output {name!r} is a file this run reads; choose another output path")
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise InputError(f"--output {name!r}: folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise InputError(f"--output {name!r}: {str(folder)!r} is not a folder")
    with _signals_cleanup():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        except OSError as e:
            raise _fail(path, e) from None
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, (st.st_mode & 0o777) if st is not None else 0o644)
            os.replace(tmp, target)
        except BaseException as e:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if isinstance(e, OSError):
                raise _fail(path, e) from None
            raise

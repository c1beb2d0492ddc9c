"""``--engine dask``: a source's files handled by Dask workers, merged on the client.

Each file of a several-file source is one task. For a file large enough to stream, a worker
computes its KPIs' partial states (``cxkpi.stream._task``: the local engine's own code) and only
they come back; the client merges them, so a result is the local engine's. A KPI without a
statistic (or a small file) has its file parsed on a worker (``load.load_source`` with the very
arguments the local engine uses) and the parsed ``Dataset`` sent back pickled; the client
concatenates the parts in path order with ``files.concat`` and computes it. Imported only when
``--engine dask`` is given (``distributed`` is an extra).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from dataclasses import replace

from ..errors import InputError, MissingExtraError, UsageError

CONNECT_TIMEOUT = 10  # seconds to reach --scheduler before saying it did not answer

_session: dict = {}  # this run's client (and the cluster started for it): one per run, closed by close()


def install_hint() -> str:
    from ..text.sentiment import install_command

    return f"--engine dask needs the distributed extra: {install_command('distributed')}"


def require():
    """The ``distributed`` module, or a one-line error saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise MissingExtraError(install_hint()) from None
    return distributed


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def client(scheduler: str | None):
    """The run's client: connected to ``scheduler``, or to a LocalCluster of one worker per core."""
    distributed = require()
    if _session.get("client") is not None and _session.get("scheduler") == scheduler:
        return _session["client"]
    close()
    if scheduler:
        try:
            c = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise InputError(f"--scheduler {scheduler}: no Dask scheduler answered within {CONNECT_TIMEOUT} s "
                             f"({type(e).__name__}); start one (dask scheduler, then dask worker {scheduler}), "
                             "check the address, or leave out --scheduler to start a local cluster") from None
        except (ValueError, TypeError) as e:
            raise UsageError(f"--scheduler {scheduler!r}: not a scheduler address ({e}); "
                             "expected e.g. tcp://host:8786") from None
        _session.update(client=c, scheduler=scheduler)
        return c
    with warnings.catch_warnings():  # "port 8787 is already in use": another cluster's, nothing the user did
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=_cores(), threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
    c = distributed.Client(cluster, set_as_default=False)
    _session.update(client=c, cluster=cluster, scheduler=None)
    return c


def close() -> None:
    """Close the run's client, and the cluster started for it."""
    c, cluster = _session.pop("client", None), _session.pop("cluster", None)
    _session.clear()
    for thing in (c, cluster):
        if thing is not None:
            try:
                thing.close()
            except Exception:  # noqa: BLE001 - a cluster already gone is closed
                pass


def map_files(load, paths: list[str], scheduler: str | None, progress: bool, ready=None) -> list:
    """``[load(p) for p in paths]``, each call a task; in path order.

    On an error the file first in path order among the failed ones wins (as the local engine, which
    stops at it): later files are cancelled, earlier ones still finish to see whether they fail too.
    ``ready(i, result)``: called in path order as soon as every file up to ``i`` is done, and the
    result is then not kept (a folder's partial states are folded as they come, not held together).
    """
    distributed = require()
    c = client(scheduler)
    futures = c.map(load, list(paths), pure=False)
    where = {f.key: i for i, f in enumerate(futures)}
    pending = object()
    parts: list = [pending] * len(futures)
    first_error: tuple[int, BaseException] | None = None
    done = handed = 0
    try:
        for future in distributed.as_completed(futures, loop=c.loop):
            i = where[future.key]
            if future.status == "cancelled" or (first_error is not None and i > first_error[0]):
                continue
            if future.status == "error":
                first_error = (i, future.exception())
                c.cancel([f for f in futures[i + 1:] if not f.done()])
                continue
            parts[i] = future.result()
            future.release()
            done += 1
            while ready is not None and first_error is None and handed < len(parts) and parts[handed] is not pending:
                ready(handed, parts[handed])
                parts[handed] = None
                handed += 1
            if progress:
                sys.stderr.write(f"\rparsed {done} of {len(futures)} files")
                sys.stderr.flush()
    finally:
        if progress and done:
            sys.stderr.write("\n")
    if first_error is not None:
        raise first_error[1]
    return [None if p is pending else p for p in parts]


def quiet_options(options):
    """A worker draws no progress bar: its stderr is not the user's (the client reports files done)."""
    return replace(options, progress=False) if options is not None else None

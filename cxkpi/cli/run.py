"""What a KPI command does: parse → load → compute → render."""

from __future__ import annotations

import sys

from ..api import RunOptions, compute_file
from ..config import Config, load_config
from ..errors import UsageError
from ..io.presets import PRESET_NOTE
from ..engine import PERIODS, WHERE_NOTE
from ..registry import KpiSpec
from ..render import format_for
from .emit import emit, say


def parse_map(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        canonical, sep, header = item.partition("=")
        if not sep or not canonical.strip() or not header.strip():
            raise UsageError(f"--map {item!r}: expected CANONICAL=HEADER, e.g. score=\"Rating\"")
        out[canonical.strip()] = header.strip()
    return out


def check_timezone(name: str | None, what: str) -> None:
    """An IANA zone name (Europe/Berlin, UTC), or the usage error that says what was expected."""
    if name is None:
        return
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise UsageError(f"{what} {name!r}: unknown time zone (expected an IANA name such as Europe/Berlin or "
                         "UTC)") from None


ENGINES = ("local", "dask")


def check_engine(engine: str | None, scheduler: str | None) -> None:
    """Fail before any work on a bad --engine, a --scheduler without dask, or dask not installed."""
    if engine is not None and engine not in ENGINES:
        raise UsageError(f"--engine {engine!r}: expected local (the default) or dask")
    if scheduler and engine != "dask":
        raise UsageError(f"--scheduler {scheduler}: a Dask scheduler is used with --engine dask; add --engine dask")
    if engine == "dask":  # the Dask module only now: a local run never imports it
        from ..io.distributed import require

        require()


def run_kpi_command(spec: KpiSpec, kpi_settings: dict, *, file, config, preset, sheet, encoding, delimiter, timezone,
                    dayfirst, score, date, map, by, period, since, until, where, min_sample, format, output,
                    strict, raw, quiet, source=None, max_groups=None, cache=None, engine=None,
                    scheduler=None) -> None:
    format = format_for(output, format)  # an unknown --output extension fails before any work
    if period is not None and period not in PERIODS:
        raise UsageError(f"--period {period!r}: expected one of {', '.join(PERIODS)}")
    cfg = load_config(config) if config else Config()
    # checked before the file is read: a file with no time column never asks the zone, and a typo
    # would pass unseen until the day it has one
    check_timezone(timezone, "--timezone")
    check_timezone(cfg.timezone, f"{config}: timezone")
    check_engine(engine, scheduler)
    run = RunOptions(
        file=file, sheet=sheet, encoding=encoding, delimiter=delimiter, timezone=timezone, dayfirst=dayfirst,
        columns=parse_map(map), score=score, date=date, by=list(by or []), period=period, since=since,
        until=until, where=list(where or []), min_sample=min_sample, strict=strict, settings=kpi_settings,
        max_groups=max_groups,
        progress=not quiet and sys.stderr.isatty(),
        source=source, preset=preset, cache=cache, engine=engine or "local", scheduler=scheduler,
    )
    result = compute_file(spec, config=cfg, run=run)
    # which preset read the file is said first, on stderr, even when the table shows the notes too
    for note in sorted(result.notes, key=lambda n: not n.startswith(PRESET_NOTE)):
        always = note.startswith((PRESET_NOTE, WHERE_NOTE))
        say(f"{spec.name}: {note}", quiet or (format.value == "table" and output is None and not always))
    emit([result], format, output, quiet=quiet, raw=raw)

"""The YAML config: sources (file, mapping, parsing settings) and KPI settings.

Loaded with ``yaml.safe_load`` (no arbitrary tags) and validated in one pass
that collects every problem with its path (``kpis.nps.promoter_min: expected
a whole number``) before raising a single ``ConfigError``. Beside it in this package,
``cxkpi init``'s planner (``starter``) and its commented-YAML writer (``yaml_out``), which only
``init`` imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, UsageError, closest
from ..sources import SOURCES
from ..vocabulary import BUSINESS_HOURS_OFF

MAX_CONFIG_BYTES = 1 << 20
MAX_DEPTH = 64


def _flow_depth(text: str) -> int:
    """Deepest ``[``/``{`` nesting, counted cheaply before parsing (a deep one makes PyYAML recurse
    for seconds); brackets inside quoted strings may over-count, which only matters past MAX_DEPTH."""
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    steps = np.isin(codes, (0x5B, 0x7B)).astype(np.int64) - np.isin(codes, (0x5D, 0x7D)).astype(np.int64)
    return int(np.cumsum(steps).max()) if len(steps) else 0

SOURCE_KEYS = {
    "file": str, "files": (list, str), "sheet": (str, int), "encoding": str, "delimiter": str, "timezone": str,
    "dayfirst": bool, "date_format": str, "header_rows": int, "columns": dict, "units": dict, "labels": dict,
    "preset": str, "extends": str,
}
# options every KPI block accepts besides the KPI's own params
KPI_COMMON_KEYS = {"source": str, "by": (list, str), "period": str, "where": dict, "target": (int, float),
                   "warn": (int, float), "alert": (int, float), "title": str, "min_sample": int}
REPORT_KEYS = {"title": str, "kpis": list, "period": str, "on_source_error": str, "cache": str}
TOP_KEYS = {"timezone": str, "dayfirst": bool, "min_sample": int, "sources": dict, "kpis": dict,
            "report": dict, "version": int, "business_hours": dict, "currency": str, "joins": list}
# the top-level ``business_hours:`` block: key -> (type, the KPI param it sets for every KPI that has it)
BUSINESS_HOURS_KEYS = {"schedule": (str, "business_hours"), "timezone": (str, "business_timezone"),
                       "holidays": (str, "holidays"), "closed": ((list, str), "closed"),
                       "special": ((dict, str), "special_hours"), "schedule_by": (str, "schedule_by"),
                       "schedules": (dict, "schedules"), "default": (str, "default_schedule")}


@dataclass
class Config:
    path: Path | None = None
    timezone: str | None = None
    dayfirst: bool | None = None
    min_sample: int = 30
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    business_hours: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    currency: str | None = None  # shown beside money KPIs (CLV, cost per resolution); None: plain numbers
    joins: tuple = ()  # join.Join per `joins:` line: keys between sources for --by tickets.topic (docs/joins.md)

    def source(self, name: str) -> dict[str, Any]:
        return self.sources.get(name, {})

    def kpi(self, name: str) -> dict[str, Any]:
        return self.kpis.get(name, {}) or {}

    def shared_settings(self) -> dict[str, Any]:
        """KPI params set once for every KPI that has them (the ``business_hours:`` block), by param name."""
        return {param: self.business_hours[key] for key, (_, param) in BUSINESS_HOURS_KEYS.items()
                if self.business_hours.get(key) is not None}

    def resolve_file(self, value: str) -> str:
        return _from_config_folder(value, self.path)


def _type_name(t) -> str:
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false", dict: "a mapping",
             list: "a list"}
    if isinstance(t, tuple):
        return " or ".join(names.get(x, x.__name__) for x in t)
    return names.get(t, t.__name__)


def _type_ok(value: Any, t) -> bool:
    types = t if isinstance(t, tuple) else (t,)
    if isinstance(value, bool) and bool not in types:
        return False
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, types)


def _check_keys(block: dict, allowed: dict, path: str, problems: list[str]) -> None:
    for key, value in block.items():
        if key not in allowed:
            hint = closest(str(key), allowed)
            problems.append(f"{path}.{key}: unknown key" + (f" (did you mean {hint!r}?)" if hint else ""))
        elif value is not None and not _type_ok(value, allowed[key]):
            problems.append(f"{path}.{key}: expected {_type_name(allowed[key])}, got {value!r}")


class _DuplicateKey(Exception):
    pass


def _unique_keys_loader():
    """safe_load, but a key twice in one mapping is an error (YAML 1.2 says keys are unique;
    PyYAML keeps the last one silently, so a second `kpis:` block would hide the first)."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(base):
        def construct_mapping(self, node, deep=False):
            seen: dict = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    if key in seen:
                        raise _DuplicateKey(f"line {line}: duplicate key {key!r} (first at line {seen[key]}); keep one")
                    seen[key] = line
                except TypeError:  # an unhashable key: the base constructor says so
                    continue
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def load_config(path: str | Path) -> Config:
    import yaml

    p = Path(path)
    label = str(path)
    try:
        if p.is_dir():
            raise ConfigError(f"{label}: is a directory, expected a YAML file")
        data = p.read_bytes()
        from ..outputs import remember_input

        remember_input(p)
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such config file") from None
    except PermissionError:
        raise ConfigError(f"{label}: permission denied") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{label}: config larger than {MAX_CONFIG_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8-sig")
        if _flow_depth(text) > MAX_DEPTH:
            raise ConfigError(f"{label}: YAML nested too deeply (more than {MAX_DEPTH} levels)")
        raw = yaml.load(text, Loader=_unique_keys_loader())
    except _DuplicateKey as e:
        raise ConfigError(f"{label}: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: not UTF-8 text") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{label}:{where}: invalid YAML: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{label}: YAML nested too deeply") from None
    except ValueError as e:  # e.g. a date-like scalar such as 2025-13-01 fails in PyYAML's constructor
        raise ConfigError(f"{label}: invalid YAML value: {e}") from None
    return validate(raw, p)


def validate(raw: Any, path: Path | None = None) -> Config:
    from ..registry import load_all

    label = str(path) if path else None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("the config must be a mapping (key: value) at the top level", label)
    _guard_size(raw, label)
    problems: list[str] = []
    _check_keys(raw, TOP_KEYS, "config", problems)
    _check_finite(raw, problems)
    sources = raw.get("sources") or {}
    if isinstance(sources, dict):
        for name, block in sources.items():
            where = f"sources.{name}"
            if name not in SOURCES:
                hint = closest(str(name), SOURCES)
                problems.append(f"{where}: unknown source" + (f" (did you mean {hint!r}?)" if hint else
                                                            f" (expected one of {', '.join(SOURCES)})"))
                continue
            if block is None:
                continue
            if not isinstance(block, dict):
                problems.append(f"{where}: expected a mapping")
                continue
            _check_files(block, where, path, problems)
            _check_keys(block, SOURCE_KEYS, where, problems)
            _check_preset(block, name, where, problems)
            cols = block.get("columns") or {}
            if isinstance(cols, dict):
                for canonical, header in cols.items():
                    if not isinstance(header, (str, int)) or isinstance(header, bool):
                        problems.append(f"{where}.columns.{canonical}: expected the export's column header, got {header!r}")
                    else:
                        _check_formula(header, name, canonical, f"{where}.columns.{canonical}", problems)
            for key in ("file",):
                if key in block and path is not None and isinstance(block[key], str) and block[key] != "-":
                    f = Path(block[key]).expanduser()
                    f = f if f.is_absolute() else path.parent / f
                    if not any(ch in block[key] for ch in "*?[") and not f.exists():
                        problems.append(f"{where}.{key}: no such file {block[key]!r}")
                    elif f.is_dir():
                        problems.append(f"{where}.{key}: {block[key]!r} is a directory, expected a CSV or XLSX file "
                                        f"(to read every export in it: files: {block[key]})")
    _check_currency(raw.get("currency"), problems)
    joins = _check_joins(raw.get("joins"), sources, problems)
    report = raw.get("report") or {}
    if isinstance(report, dict):
        _check_keys(report, REPORT_KEYS, "report", problems)
        if report.get("on_source_error") not in (None, "abort", "continue"):
            problems.append(f"report.on_source_error: expected abort or continue, got {report['on_source_error']!r}")
    registry = load_all()
    business_hours = raw.get("business_hours") or {}
    if isinstance(business_hours, dict):
        _check_business_hours(business_hours, problems)
    kpis = raw.get("kpis") or {}
    if isinstance(kpis, dict):
        kpis = dict(kpis)  # resolved paths go into Config.kpis; the raw config (echoed in a report) stays as written
        for name, block in kpis.items():
            where = f"kpis.{name}"
            spec = registry.get(str(name))
            if spec is None:
                hint = closest(str(name), registry)
                problems.append(f"{where}: unknown KPI" + (f" (did you mean {hint!r}?)" if hint else ""))
                continue
            if block is None:
                continue
            if not isinstance(block, dict):
                problems.append(f"{where}: expected a mapping of settings")
                continue
            allowed = {**KPI_COMMON_KEYS, **{p.name: _param_type(p) for p in spec.params}}
            _check_keys(block, allowed, where, problems)
            # a path setting (kpis.themes.themes) resolves from the config's folder, as sources.*.file does
            block = kpis[name] = {k: _from_config_folder(v, path) if k in {p.name for p in spec.params if p.path}
                                  else v for k, v in block.items()}
            for p in spec.params:
                if p.name in block and block[p.name] is not None:
                    if p.choices and str(block[p.name]) not in p.choices:
                        problems.append(f"{where}.{p.name}: expected one of {', '.join(p.choices)}, got {block[p.name]!r}")
                    elif p.parse is not None:
                        try:
                            p.parse(block[p.name])
                        except Exception as e:  # noqa: BLE001 - reported with its path
                            problems.append(f"{where}.{p.name}: {e}")
            src = block.get("source")
            if src is not None and src not in SOURCES:
                problems.append(f"{where}.source: unknown source {src!r}")
            elif src is not None and spec.alt_sources and src not in spec.sources:
                problems.append(f"{where}.source: expected one of {', '.join(spec.sources)}, got {src!r}")
    if problems:
        raise ConfigError(problems, label)
    return Config(
        path=path,
        timezone=raw.get("timezone"),
        dayfirst=raw.get("dayfirst"),
        min_sample=raw.get("min_sample", 30),
        sources={k: (v or {}) for k, v in (sources or {}).items()},
        kpis={k: (v or {}) for k, v in (kpis or {}).items()},
        report=raw.get("report") or {},
        business_hours=dict(business_hours) if isinstance(business_hours, dict) else {},
        raw=raw,
        currency=raw.get("currency") or None,
        joins=joins,
    )


def _check_files(block: dict, where: str, path: Path | None, problems: list[str]) -> None:
    """``files:`` is a glob, a folder, a file or a list of them (each from the config's folder, as ``file:``);
    an entry without glob characters must exist now, a glob is expanded when the source is read."""
    files = block.get("files")
    if files is None:
        return
    if "file" in block:
        problems.append(f"{where}: set file or files, not both")
    listed = [files] if isinstance(files, str) else files if isinstance(files, list) else []
    if isinstance(files, list) and not files:
        problems.append(f"{where}.files: the list is empty; name a glob such as exports/*.csv")
    for i, entry in enumerate(listed):
        if not isinstance(entry, str) or not entry or entry == "-":
            problems.append(f"{where}.files[{i}]: expected a file, a folder or a glob such as exports/*.csv, got {entry!r}")
        elif path is not None and not any(ch in entry for ch in "*?[") \
                and not Path(_from_config_folder(entry, path)).exists():
            problems.append(f"{where}.files[{i}]: no such file or folder {entry!r}")


def _from_config_folder(value: Any, config_path: Path | None) -> Any:
    """A relative path written in the config, as a path from the config's folder (not the working directory)."""
    if not isinstance(value, str) or value == "-" or config_path is None:
        return value
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else Path(config_path).parent / p)


def _check_joins(value: Any, sources: Any, problems: list[str]) -> tuple:
    """``joins: [surveys.ticket_id -> tickets.ticket_id, …]``: each line parsed, its sources and columns
    known (canonical, or mapped under sources.<name>.columns), one join per pair of sources."""
    from ..io.columns import norm
    from ..join import parse_join

    if not isinstance(value, list):
        return ()  # absent, or a wrong type reported by _check_keys
    mapped = {name: {norm(c) for c in block["columns"]}
              for name, block in (sources.items() if isinstance(sources, dict) else ())
              if isinstance(block, dict) and isinstance(block.get("columns"), dict)}
    out, pairs = [], {}
    for i, line in enumerate(value):
        try:
            join = parse_join(line, mapped)
        except ValueError as e:
            problems.append(f"joins[{i}]: {e}")
            continue
        pair = frozenset((join.many, join.one))
        if pair in pairs:
            problems.append(f"joins[{i}]: a second join between {join.many} and {join.one} (the first is "
                            f"joins[{pairs[pair]}]); keep one")
            continue
        pairs[pair] = i
        out.append(join)
    return tuple(out)


def _check_formula(value: Any, source: str, canonical: str, where: str, problems: list[str]) -> None:
    """A computed column (``amount: =Quantity * UnitPrice``) is checked here, before any file is read."""
    from ..io.expr import check, is_expression
    from ..sources import column_kind

    if is_expression(value):
        try:
            check(value, where, column_kind(source, str(canonical)))
        except UsageError as e:
            problems.append(e.message)


def _check_currency(value: Any, problems: list[str]) -> None:
    """``currency:`` is an ISO 4217 code (EUR, USD, GBP) or one currency sign (€, $, £)."""
    import unicodedata

    if value is None or not isinstance(value, str):
        return  # a wrong type is reported by _check_keys
    ok = bool(re.fullmatch(r"[A-Z]{3}", value)) or (len(value) == 1 and unicodedata.category(value) == "Sc")
    if not ok:
        problems.append(f"currency: expected a currency code such as EUR, USD or GBP (or a sign such as €), "
                        f"got {value!r}")


def _check_preset(block: dict, source: str, where: str, problems: list[str]) -> None:
    """``preset: zendesk`` (or ``extends: zendesk``, the same, read as "these columns override it")."""
    from ..io.presets import get_preset

    named = [k for k in ("preset", "extends") if isinstance(block.get(k), str)]
    if len(named) == 2 and block["preset"] != block["extends"]:
        problems.append(f"{where}: preset {block['preset']!r} and extends {block['extends']!r} disagree; keep one")
    for key in named[:1]:
        try:
            preset = get_preset(block[key])
        except UsageError as e:
            problems.append(f"{where}.{key}: {e}")
            continue
        if preset is not None and preset.view(source) is None:
            problems.append(f"{where}.{key}: preset {preset.name!r} has no {source} columns "
                            f"(it reads: {', '.join(preset.sources)})")


def _check_business_hours(block: dict, problems: list[str]) -> None:
    """``business_hours: {schedule, timezone, holidays, closed, special, schedule_by, schedules, default}``:
    each key checked the way its KPI param is, and the keys that need each other together."""
    from ..kpis.business_hours import Schedule
    from ..kpis.tickets import _schedule_key, parse_dates, parse_schedules, parse_special_hours

    allowed = {k: t for k, (t, _) in BUSINESS_HOURS_KEYS.items()}
    _check_keys(block, allowed, "business_hours", problems)
    block = {k: v for k, v in block.items() if k in allowed and v is not None and _type_ok(v, allowed[k])}
    closed = ()
    if block.get("closed") is not None:
        try:
            closed = parse_dates(block["closed"])
        except ValueError as e:
            problems.append(f"business_hours.closed: {e}")
    special = None
    if block.get("special") is not None:
        try:
            special = parse_special_hours(block["special"])
        except ValueError as e:
            problems.append(f"business_hours.special: {e}")
    named = None
    if block.get("schedules") is not None:
        try:
            named = parse_schedules(block["schedules"])
        except ValueError as e:
            problems.append(f"business_hours.schedules: {e}")
    elif "schedules" not in block:
        for key in ("schedule_by", "default"):
            if block.get(key) is not None:
                problems.append(f"business_hours.{key}: needs business_hours.schedules (the named schedules "
                                "it picks from; see docs/business-hours.md)")
    if named is not None and block.get("default") is not None:
        if block.get("schedule") is not None:
            problems.append("business_hours.default: business_hours.schedule is already the default schedule; "
                            "keep one")
        elif _schedule_key(block["default"]) not in {_schedule_key(n) for n in named}:
            problems.append(f"business_hours.default: unknown schedule {block['default']!r} (expected one of "
                            f"business_hours.schedules: {', '.join(named)})")
    if block.get("schedule") is None:
        needs = [k for k in ("holidays", "closed", "special") if block.get(k) is not None]
        if block.get("timezone") is not None and "schedules" not in block:
            needs.append("timezone")
        if needs:
            problems.append("business_hours.schedule: missing (e.g. schedule: \"Mon-Fri 09:00-17:00\"); "
                            f"{', '.join(needs)} apply to a schedule")
        return
    text = str(block["schedule"])
    if text.strip().lower() in BUSINESS_HOURS_OFF:
        return
    checks = [("schedule", lambda: Schedule.parse(text)),
              ("timezone", lambda: Schedule.parse("24/7", timezone=block.get("timezone") or "UTC")),
              ("holidays", lambda: Schedule.parse("24/7", holidays=block.get("holidays"))),
              ("closed", lambda: Schedule.parse("24/7", closed_dates=closed)),
              ("special", lambda: Schedule.parse("24/7", closed_dates=closed, special=special))]
    for key, check in checks:
        try:
            check()
        except ValueError as e:
            problems.append(f"business_hours.{key}: {e}")


def _param_type(p):
    if p.parse is not None:
        # parsed from text or a number; a dict/list param (per-priority targets, dates) also takes its YAML shape
        return (str, int, float) + ((p.type,) if p.type in (dict, list) else ())
    if p.type is float:
        return (int, float)
    return p.type


def _check_finite(raw: dict, problems: list[str]) -> None:
    """``.nan``, ``.inf`` and ``-.inf`` are refused wherever they stand, naming the key: a NaN
    threshold compares false with every value (no alert ever fires), an infinite one always or never."""
    import math

    stack: list[tuple[str, Any]] = [(str(k), v) for k, v in reversed(raw.items())]  # popped in file order
    while stack:
        where, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            shown = ".nan" if math.isnan(item) else (".inf" if item > 0 else "-.inf")
            problems.append(f"{where}: expected a finite number, got {shown}")
        elif isinstance(item, dict):
            stack.extend((f"{where}.{k}", v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(item))))


def _guard_size(raw: Any, label: str | None, limit: int = 100_000) -> None:
    """Refuse configs that expand to huge structures (YAML alias bombs)."""
    seen = 0
    stack = [raw]
    visited: set[int] = set()
    while stack:
        item = stack.pop()
        seen += 1
        if seen > limit:
            raise ConfigError("the config expands to too many values (YAML aliases?); refusing to read it", label)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)

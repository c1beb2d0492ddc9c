"""Presets: how a known tool's export maps onto canonical columns, kept as data.

Each preset is one YAML file in ``cxkpi/presets/`` (adding a tool touches no
Python). A preset names, per logical source it can serve, the export's headers
for each canonical column (a list is tried in order; ``re:PATTERN`` matches a
header, or a line of a multi-row header, by regular expression and must match
exactly one column), the value labels and units that tool uses, and KPI
settings that fit its data (Help Scout's ratings are a 1–3 scale).

Detection scores a file's headers against each preset's ``signature`` (the
headers that tool always writes). A clear winner is used; a tie is an error
that names the candidates; a weak match never overrides anything, it only
turns a missing-column error into one that suggests ``--preset``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError, UsageError, closest
from .columns import norm

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"
CLEAR = 0.6  # share of a preset's signature headers a file must have for the preset to be used
MARGIN = 0.15  # how far ahead of the runner-up a winner must be
WEAK = 0.3  # below this a preset is not even mentioned
OFF = {"none", "off", "no", "false"}
PRESET_NOTE = "using preset "  # how a result's notes say which preset read the file
VIEW_KEYS = {"columns", "for_kpi", "business_columns", "labels", "units", "unanswered", "uninvited", "add", "kpis"}
TOP_KEYS = {"name", "title", "tool", "description", "signature", "header_rows", "header_markers", "dayfirst",
            "timezone", "date_format", "sources", "extends"}


@dataclass(frozen=True)
class View:
    """How a preset reads one logical source (a Zendesk export serves tickets and, for CSAT, surveys)."""

    source: str
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical -> candidate headers
    business_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # twins for --business-hours export
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    unanswered: dict[str, tuple[str, ...]] = field(default_factory=dict)  # labels meaning "asked, no answer"
    uninvited: dict[str, tuple[str, ...]] = field(default_factory=dict)  # labels meaning "never asked"
    add: dict[str, float] = field(default_factory=dict)  # number added after parsing (counts that start at 0)
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)  # KPI settings this tool's data needs
    # per KPI, other candidates for a column (NPS reads the "recommend" question, CSAT the "satisfied"
    # one); an empty list means the export has no such column for that KPI (a rating is no NPS)
    for_kpi: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    tool: str
    description: str
    signature: tuple[str, ...]
    views: dict[str, View]
    header_rows: int | None = None
    # header row -> how its cells start; a file without it has fewer header rows (Qualtrics' ImportId row)
    header_markers: dict[int, str] = field(default_factory=dict)
    dayfirst: bool | None = None
    timezone: str | None = None
    date_format: str | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.views)

    def view(self, source: str) -> View | None:
        return self.views.get(source)

    def headers(self) -> list[str]:
        """Every literal header the preset knows, in file order of its views (for ``cxkpi presets``)."""
        out: list[str] = []
        for v in self.views.values():
            for cands in (*v.columns.values(), *v.business_columns.values()):
                out.extend(c for c in cands if not c.startswith("re:"))
        return list(dict.fromkeys(out))


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def parse_view(source: str, block: dict, where: str) -> View:
    """A view from its YAML block (also used for a config's ``extends:`` overrides)."""
    from ..sources import SOURCES

    if source not in SOURCES:
        raise ConfigError(f"{where}: unknown source {source!r} (expected one of {', '.join(SOURCES)})")
    unknown = set(block) - VIEW_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (expected {', '.join(sorted(VIEW_KEYS))})")
    return View(
        source=source,
        columns={str(k): _as_tuple(v) for k, v in (block.get("columns") or {}).items()},
        business_columns={str(k): _as_tuple(v) for k, v in (block.get("business_columns") or {}).items()},
        labels={str(k): dict(v) for k, v in (block.get("labels") or {}).items()},
        units={str(k): str(v) for k, v in (block.get("units") or {}).items()},
        unanswered={str(k): _as_tuple(v) for k, v in (block.get("unanswered") or {}).items()},
        uninvited={str(k): _as_tuple(v) for k, v in (block.get("uninvited") or {}).items()},
        add={str(k): float(v) for k, v in (block.get("add") or {}).items()},
        kpis={str(k): dict(v or {}) for k, v in (block.get("kpis") or {}).items()},
        for_kpi={str(k): {str(c): _as_tuple(v) for c, v in (cols or {}).items()}
                 for k, cols in (block.get("for_kpi") or {}).items()},
    )


def _parse(raw: dict, where: str) -> Preset:
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    views = {str(s): parse_view(str(s), b or {}, f"{where}: sources.{s}") for s, b in (raw.get("sources") or {}).items()}
    if not views:
        raise ConfigError(f"{where}: a preset needs at least one source")
    signature = _as_tuple(raw.get("signature"))
    if not signature:
        signature = tuple(h for v in views.values() for c in v.columns.values() for h in c[:1] if not h.startswith("re:"))
    return Preset(
        name=str(raw["name"]), title=str(raw.get("title", raw["name"])), tool=str(raw.get("tool", raw["name"])),
        description=str(raw.get("description", "")).strip(), signature=tuple(dict.fromkeys(signature)),
        views=views, header_rows=raw.get("header_rows"),
        header_markers={int(k): str(v) for k, v in (raw.get("header_markers") or {}).items()},
        dayfirst=raw.get("dayfirst"),
        timezone=raw.get("timezone"), date_format=raw.get("date_format"),
    )


@cache
def all_presets() -> dict[str, Preset]:
    """Every shipped preset by name, read once per process."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~8x faster, same safe subset
    out: dict[str, Preset] = {}
    for path in sorted(PRESET_DIR.glob("*.yaml")):
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506 - a safe loader
        preset = _parse(raw, f"preset {path.name}")
        if preset.name != path.stem:
            raise ConfigError(f"preset {path.name}: name {preset.name!r} differs from the file name")
        out[preset.name] = preset
    return out


def get_preset(name: str) -> Preset | None:
    """The preset called ``name``; ``none``/``off`` gives None (no preset, no detection)."""
    key = str(name).strip().lower().replace("-", "_")
    if key in OFF:
        return None
    presets = all_presets()
    if key in presets:
        return presets[key]
    hint = closest(key, presets)
    did = f"; did you mean {hint!r}?" if hint else ""
    raise UsageError(f"unknown preset {name!r}{did} (see `cxkpi presets`: {', '.join(presets)})")


# ------------------------------------------------------------------ detection
@dataclass(frozen=True)
class Match:
    preset: Preset
    found: int
    total: int

    @property
    def score(self) -> float:
        return self.found / self.total if self.total else 0.0

    def describe(self) -> str:
        return f"{self.preset.name} ({self.found} of {self.total} of its headers)"


def score_headers(headers: list[str]) -> list[Match]:
    """Every preset with the share of its signature headers that ``headers`` has, best first."""
    have = {norm(h) for h in headers if h}
    matches = []
    for preset in all_presets().values():
        sig = {norm(h) for h in preset.signature}
        matches.append(Match(preset, len(sig & have), len(sig)))
    return sorted(matches, key=lambda m: (-m.score, m.preset.name))


def detect(headers: list[str], file: str) -> Match | None:
    """The clearly best preset for these headers, None when none fits; a tie raises ``UsageError``."""
    ranked = [m for m in score_headers(headers) if m.score >= CLEAR]
    if not ranked:
        return None
    if len(ranked) > 1 and ranked[0].score - ranked[1].score < MARGIN:
        tied = [m for m in ranked if ranked[0].score - m.score < MARGIN]
        raise UsageError(f"{file}: the headers fit several presets: {', '.join(m.describe() for m in tied)}; "
                         f"choose one with --preset {tied[0].preset.name} (or `preset:` in the config), "
                         "or --preset none to map the columns yourself")
    return ranked[0]


def weak_hint(headers: list[str]) -> str | None:
    """A suggestion for a missing-column error when the file looks a little like a known export."""
    near = [m for m in score_headers(headers) if WEAK <= m.score < CLEAR][:2]
    if not near:
        return None
    return ("it looks a little like " + " or ".join(f"a {m.preset.tool} export ({m.found} of {m.total} headers)"
                                                  for m in near)
            + f": try --preset {near[0].preset.name}, or see `cxkpi inspect FILE`")


# ------------------------------------------------------------------ header candidates
def find_candidate(candidates: tuple[str, ...], index, aliases: dict[str, list[str]] | None = None,
                   what: str | None = None) -> str | None:
    """The first candidate the file has: a header by name, or ``re:PATTERN`` matching one column
    (on its header or any line of a multi-row header).

    A pattern that matches several columns is ambiguous, never a reason to try the next one (that
    would read another question as the score): with ``what`` (the canonical column, when loading)
    it is an error naming them, without (inspect, init) nothing is found.
    """
    for cand in candidates:
        if cand.startswith("re:"):
            pattern = re.compile(cand[3:], re.IGNORECASE)
            hits = [h for h in index.headers if h and any(pattern.search(t) for t in [h, *(aliases or {}).get(h, [])])]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                if what is None:
                    return None
                flag = "--score" if what == "score" else f"--map {what}=HEADER"
                raise UsageError(f"{index.file}: {len(hits)} columns could be the {what}: "
                                 f"{', '.join(repr(h) for h in hits[:6])}; choose one with {flag}")
            continue
        found = index.find(cand)
        if found is not None:
            return found
    return None

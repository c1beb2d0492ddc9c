"""What a file probably is: its logical source, preset, mapping, and the KPIs it can feed.

Shared by ``cxkpi inspect`` (which shows it) and ``cxkpi init`` (which writes it as a
config), so the two can never disagree about a file. Headers only: no data is read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .columns import HeaderIndex
from ..errors import UsageError
from .presets import WEAK, Match, Preset, detect, find_candidate, score_headers


@dataclass(frozen=True)
class Suggestion:
    source: str
    mapping: dict[str, str]  # canonical -> the file's header
    unplaced: list[str]  # headers no canonical column took
    computable: list[str]  # KPIs whose needed columns the mapping fills
    preset: Match | None = None  # the preset that clearly fits (None: none, or a tie)
    candidates: list[Match] = field(default_factory=list)  # presets that fit a little (or tie)
    fills: dict[str, int] = field(default_factory=dict)  # source -> how many canonical columns it fills
    # what the score column's answers look like ({column, seen, kpi, scale}), when the data was read
    answers: dict | None = None
    try_flags: str = ""  # e.g. " --scale 1-10": what the first computable KPI needs for these answers

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "preset": None if self.preset is None else {"name": self.preset.preset.name,
                                                        "found": self.preset.found, "of": self.preset.total,
                                                        "score": round(self.preset.score, 4)},
            "preset_candidates": [{"name": m.preset.name, "found": m.found, "of": m.total,
                                   "score": round(m.score, 4)} for m in self.candidates],
            "mapping": dict(self.mapping),
            "unplaced": list(self.unplaced),
            "computable_kpis": list(self.computable),
            "source_fit": dict(self.fills),
            "answer_scale": None if self.answers is None else dict(self.answers),
        }


def clear_preset(headers: list[str]) -> tuple[Match | None, list[Match]]:
    """(the preset the loader's detection uses, the presets worth mentioning); a tie gives no winner."""
    near = [m for m in score_headers(headers) if m.score >= WEAK][:3]
    try:
        return detect(headers, "<headers>"), near
    except UsageError:  # a tie: the loader refuses to choose, so no winner here either
        return None, near


def map_source(index: HeaderIndex, source: str, match: Match | None) -> dict[str, str]:
    """canonical -> header for every canonical column of ``source`` the file has (preset first)."""
    from ..sources import SOURCES

    view = match.preset.view(source) if match else None
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for canonical in SOURCES[source].columns:
        found = None
        if view is not None and canonical in view.columns:
            found = find_candidate(view.columns[canonical], index, index.aliases)
        if found is None:
            found = index.auto(canonical)
        if found is not None and (found not in used or view is not None):
            mapping[canonical] = found
            used.add(found)
    if view is not None:  # dimensions a preset names beyond the canonical ones (a call log's Queue)
        for name, cands in view.columns.items():
            if name not in mapping and name not in SOURCES[source].columns:
                found = find_candidate(cands, index, index.aliases)
                if found is not None:
                    mapping[name] = found
    return mapping


def computable(source: str, mapping: dict[str, str]) -> list[str]:
    from ..registry import load_all

    return [s.name for s in load_all().values()
            if source in s.sources and not s.missing(set(mapping))]


DETECT = "detect"


def suggest(headers: list[str], file: str, aliases: dict[str, list[str]] | None = None,
            source: str | None = None, preset: Preset | str | None = DETECT) -> Suggestion:
    """The source whose KPIs this file feeds best, and the mapping that gets there.

    ``preset``: detected from the headers (default), a ``Preset`` the user forced, or None
    for no preset at all (``--preset none``).
    """
    from ..sources import SOURCES

    index = HeaderIndex(headers, file, aliases)
    if preset == DETECT:
        match, near = clear_preset(headers)
    elif preset is None:
        match, near = None, []
    else:
        match = next(m for m in score_headers(headers) if m.preset.name == preset.name)
        near = [match]
    options = [source] if source else list(SOURCES)
    if match is not None and source is None:
        options = list(match.preset.sources)
    best: tuple | None = None
    fills: dict[str, int] = {}
    for name in options:
        mapping = map_source(index, name, match)
        kpis = computable(name, mapping)
        main = SOURCES[name].main_time
        fills[name] = len(mapping)
        # most KPIs first, then most columns; a source whose main timestamp is there wins ties
        rank = (len(kpis), len(mapping), main in mapping if main else False)
        if best is None or rank > best[0]:
            best = (rank, name, mapping, kpis)
    _, name, mapping, kpis = best
    placed = set(mapping.values())
    return Suggestion(source=name, mapping=mapping, unplaced=[h for h in headers if h and h not in placed],
                      computable=kpis, preset=match, candidates=near, fills=fills)


def by_answers(s: Suggestion, counts: dict | None) -> Suggestion:
    """Put first the survey KPI the score column's answers fit (``counts``: answer -> rows).

    The same detector as ``cxkpi nps``/``csat``/``ces`` and ``init``: answers on 1–5 suggest
    ``csat`` (and drop ``nps``, which refuses them), 1–7 ``ces``, 0–10 ``nps``.
    """
    from ..kpis.scales import hint, read, scale_name
    from ..registry import get_kpi

    header = s.mapping.get("score")
    if header is None or not counts or s.source != "surveys":
        return s
    r = read(counts, hint(header))
    answers = {"column": header, "seen": r.seen, "kpi": r.kpi,
               "scale": None if r.scale is None else scale_name(r.scale)}
    kpis = list(s.computable)
    if r.kpi is None or r.kpi not in kpis:
        return replace(s, answers=answers)
    if r.kpi != "nps" and r.scale == (1, 5) and "nps" in kpis:
        kpis.remove("nps")  # `cxkpi nps` refuses answers that fit 1–5
    kpis.remove(r.kpi)
    flags = ""
    default = next((p.default for p in get_kpi(r.kpi).params if p.name == "scale"), None)
    if r.kpi != "nps" and answers["scale"] and default and answers["scale"] != default:
        flags = f" --scale {answers['scale']}"
    return replace(s, computable=[r.kpi] + kpis, answers=answers, try_flags=flags)

"""The command catalog: what the CLI needs to *show* every KPI command, without importing it.

``--version``, ``--help`` and completion must not pay for pandas, pyarrow and
the KPI modules (about 0.5 s). The catalog holds each KPI command's name,
help text and flags as plain data in ``catalog.json``, generated from the
registry (``python -m cxkpi.cli.catalog``); a test fails when it is stale,
like docs/kpis.md. Running a command imports the registry for real.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("catalog.json")
_TYPES = {"bool": bool, "int": int, "float": float, "str": str}


@dataclass(frozen=True)
class FlagEntry:
    """One ``Param`` of a KPI as the CLI shows it (``parse``: the value is parsed by the KPI)."""

    name: str
    type: str
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    parse: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def py_type(self) -> type:
        return _TYPES[self.type]


@dataclass(frozen=True)
class CommandEntry:
    """One KPI subcommand: enough for its help page and its flags."""

    name: str
    title: str
    formula: str
    doc: str
    example: str | None
    sources: tuple[str, ...]
    params: tuple[FlagEntry, ...]

    @property
    def alt_sources(self) -> bool:
        return len(self.sources) > 1


def generate() -> list[dict]:
    """The catalog as JSON-ready data, from the registry (imports every KPI)."""
    from ..registry import load_all

    out = []
    for spec in load_all().values():
        params = []
        for p in spec.params:
            if not p.cli:
                continue
            kind = next(k for k, t in _TYPES.items() if t is (str if p.parse else p.type))
            default = p.default if p.default is None or isinstance(p.default, (bool, int, float, str)) else str(p.default)
            params.append({"name": p.name, "type": kind, "default": default, "help": p.help,
                           "choices": list(p.choices) if p.choices else None, "parse": p.parse is not None})
        out.append({"name": spec.name, "title": spec.title, "formula": spec.formula, "doc": spec.doc,
                    "example": spec.example, "sources": list(spec.sources), "params": params})
    return out


def dumps(entries: list[dict]) -> str:
    return json.dumps(entries, indent=1, ensure_ascii=False) + "\n"


def load() -> list[CommandEntry]:
    """The checked-in catalog (no KPI import)."""
    data = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    return [CommandEntry(name=e["name"], title=e["title"], formula=e["formula"], doc=e["doc"],
                         example=e["example"], sources=tuple(e["sources"]),
                         params=tuple(FlagEntry(name=p["name"], type=p["type"], default=p["default"],
                                                help=p["help"],
                                                choices=tuple(p["choices"]) if p["choices"] else None,
                                                parse=p["parse"]) for p in e["params"]))
            for e in data]


if __name__ == "__main__":  # python -m cxkpi.cli.catalog  (rewrites catalog.json)
    CATALOG_PATH.write_text(dumps(generate()), encoding="utf-8")
    print(f"wrote {CATALOG_PATH}")

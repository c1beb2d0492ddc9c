"""Every error cxkpi raises on purpose, with the exit code it maps to.

The console entry point catches ``CxkpiError`` once and prints
``cxkpi: error: <message>`` on stderr, so users never see a traceback.

    CxkpiError (exit 1)
    ├── InputError            a file cannot be read or parsed           (exit 1)
    │   └── StrictError       --strict and a row had to be skipped      (exit 1)
    ├── MissingExtraError     an optional extra is not installed (e.g. cxkpi[text]) (exit 1)
    ├── UsageError            bad flag values or option combinations    (exit 2)
    │   ├── ConfigError       the YAML config is invalid (lists every problem)
    │   ├── MissingColumnsError  a KPI needs columns the file lacks
    │   ├── ScaleError        answers on another KPI's scale (nps on 1–5 answers)
    │   └── UnknownKpiError   a KPI name the registry does not know
    └── BreachError           --fail-on-breach and an alert threshold was crossed (exit 3)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_BREACH = 3


class CxkpiError(Exception):
    """Base class: a message meant for the user and the process exit code."""

    exit_code = EXIT_DATA

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(CxkpiError):
    exit_code = EXIT_DATA


class UnsafeInputError(InputError):
    """A workbook with XML entity expansion or external entities: refused, never parsed."""

    exit_code = EXIT_USAGE


class StrictError(InputError):
    pass


class MissingExtraError(CxkpiError):
    """A feature needs an optional dependency; the message says what to install."""

    exit_code = EXIT_DATA


class UsageError(CxkpiError):
    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """Raised with every problem found, each prefixed by its path in the YAML."""

    def __init__(self, problems: list[str] | str, file: str | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        where = f"{file}: " if file else ""
        if len(self.problems) == 1:
            message = f"{where}{self.problems[0]}"
        else:
            message = f"{where}{len(self.problems)} problems: " + "; ".join(self.problems)
        super().__init__(message)


class MissingColumnsError(UsageError):
    pass


class FilesDifferError(MissingColumnsError):
    """One file of a folder lacks a column the others have: that source's input is at fault (a report
    with ``on_source_error: continue`` marks the source failed), not the KPI's choice of columns."""


class PeriodError(UsageError):
    """A KPI cannot be given at the asked period (a monthly cost table under --period week): a single
    command stops; a report computes the others and lists this one as not computed, with the reason."""


class MissingSettingError(UsageError):
    """A KPI needs a setting the run did not give (an SLA target, the support cost): a single command
    stops with the way to give it; a report that did not ask for the KPI lists it as not computed."""


class ScaleError(UsageError):
    """Answers on another KPI's scale (NPS on 1–5 answers); the engine adds the file and the column."""


class UnknownKpiError(UsageError):
    pass


class BreachError(CxkpiError):
    exit_code = EXIT_BREACH


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most similar to ``name`` (case-insensitive), for "did you mean" hints."""
    pool = {c.lower(): c for c in candidates if isinstance(c, str)}
    match = difflib.get_close_matches(name.lower(), list(pool), n=1, cutoff=0.5)
    return pool[match[0]] if match else None

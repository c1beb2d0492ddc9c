"""Every command × every hostile corpus file: a one-line answer and a documented exit code.

The corpus (tests/corpus/, made by scripts/make_corpus.py with a fixed seed) and
its expected outcomes (tests/corpus/expected.csv) are read here; the commands
come from the Typer app itself, so a KPI added to the registry is covered
without touching this file. docs/errors.md documents the same outcomes (a test
below keeps the two in step).
"""

from __future__ import annotations

import csv
import functools
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = CORPUS / "expected.csv"
sys.path.insert(0, str(ROOT / "scripts"))
import make_corpus  # noqa: E402

BIG = ("cell_5mb.csv", "quote_5mb.csv", "columns_100k.csv", "cfg_too_big.yaml", "symlink_loop.csv",
       "header_wider_than_1mib.csv")
# commands that each reach the input through a different loader path: a case the loader decides
# (make_corpus.LOADER_CASES) runs through these only, so the suite's wall time stays flat
LOADER_PATHS = ("nps", "churn", "inspect", "init")
ABSENT = ("does_not_exist.csv", "cfg_does_not_exist.yaml")


def _expected() -> list[dict]:
    with open(EXPECTED, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _commands() -> dict:
    """name -> click command, straight from the app (KPI commands are generated from the registry)."""
    import typer

    from cxkpi.cli.app import _build

    group = typer.main.get_command(_build())
    return dict(group.commands)


def _kpis() -> dict:
    from cxkpi.registry import load_all

    return load_all()


def _takes_file(cmd) -> bool:
    return any(p.param_type_name == "argument" for p in cmd.params)


def _takes_config(cmd) -> bool:
    return any("--config" in getattr(p, "opts", ()) for p in cmd.params)


def _required_options(cmd) -> list[str]:
    return [p.name for p in cmd.params if p.param_type_name == "option" and p.required and "--config" not in p.opts]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """A private copy of the corpus plus the big files (made at test time, never in git)."""
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS, folder, dirs_exist_ok=True)
    make_corpus.build_big(folder)
    return folder


def _data_files() -> list[str]:
    names = {p.name for p in CORPUS.iterdir() if p.name != "expected.csv" and not p.name.startswith("cfg_")}
    return sorted(names | {b for b in BIG if not b.startswith("cfg_")} | {"does_not_exist.csv", make_corpus.LONG_NAME})


def _config_files() -> list[str]:
    names = {p.name for p in CORPUS.iterdir() if p.name.startswith("cfg_")}
    return sorted(names | {"cfg_too_big.yaml", "cfg_does_not_exist.yaml"})


def _applies(row: dict, command: str) -> bool:
    spec = _kpis().get(command)
    target = row["command"]
    if target == "*":
        return spec is not None
    if target.startswith("source:"):
        return spec is not None and spec.source == target.split(":", 1)[1]
    if target == "config:*":
        return spec is not None or command == "report"
    return target == command


def _check_one_line(code: int, err: str) -> None:
    """The promise to a cron job: no traceback, no internal error, a single error line."""
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in (0, 1, 2), (code, err)
    if code:
        lines = [line for line in err.splitlines() if line.strip()]
        if any(line.startswith("Usage:") for line in lines):
            return  # click's own usage error for a command that takes other arguments
        errors = [line for line in lines if line.startswith("cxkpi: error:")]
        assert len(errors) == 1, err


# --- part 2: the full matrix, generic promises --------------------------------------------------
#
# A file the loader refuses (binary, empty, bad encoding, a config that does not parse) fails the
# same way for every KPI of a source: that path is tested once per source, with one representative
# KPI, plus every command that is not a KPI. A file that loads reaches each command's own handling,
# so it runs under every command. (The full product would be ~1,900 runs of mostly one loader path.)

def _refused_by_the_loader() -> set[str]:
    """Files whose expected outcome for every KPI ("*" or "config:*", no extra args) is an error."""
    return {r["file"] for r in _expected() if r["command"] in ("*", "config:*") and not r["args"]
            and r["exit"] != "0"}


def _representatives(commands: dict) -> set[str]:
    """The first registered KPI of each source, and every command that is not a KPI."""
    first: dict[str, str] = {}
    for name, spec in _kpis().items():
        first.setdefault(spec.source, name)
    return set(first.values()) | {c for c in commands if c not in _kpis()}


@functools.lru_cache(maxsize=None)
def _computable(name: str) -> set[str] | None:
    """The KPIs whose columns a corpus file's header has (the product's own mapping); None when the
    header cannot be read here, so the file runs under every command. A KPI whose columns are missing
    stops at the same missing-columns check as its source's representative."""
    from cxkpi.io import sniff
    from cxkpi.io.columns import HeaderIndex
    from cxkpi.io.suggest import clear_preset, computable, map_source
    from cxkpi.sources import SOURCES

    try:
        text = (CORPUS / name).read_bytes()[:65536].decode("utf-8-sig")
        headers = next(csv.reader([text.splitlines()[0]], delimiter=sniff.sniff_delimiter(text)))
        index, match = HeaderIndex(headers, name), clear_preset(headers)[0]
        return {k for source in SOURCES for k in computable(source, map_source(index, source, match))}
    except Exception:  # noqa: BLE001 - a hostile header: no shortcut for this file
        return None


def _matrix():
    commands = _commands()
    refused, representatives = _refused_by_the_loader() | set(ABSENT), _representatives(commands)
    for name, cmd in sorted(commands.items()):
        if _takes_file(cmd) and not _required_options(cmd):
            for f in _data_files():
                if f in make_corpus.LOADER_CASES and name not in LOADER_PATHS:
                    continue
                fits = None if f in BIG else _computable(f)
                if name in representatives or (f not in refused and (fits is None or name in fits)):
                    yield pytest.param(name, f, "file", id=f"{name}-{f}")
        if _takes_config(cmd):
            for f in _config_files():
                if f not in refused or name in representatives:
                    yield pytest.param(name, f, "config", id=f"{name}-{f}")


@pytest.mark.parametrize("command, name, how", list(_matrix()))
def test_every_command_on_every_corpus_file(run_cli, corpus, command, name, how):
    path = corpus / name
    args = [command, str(path)] if how == "file" else [command, "--config", str(path)]
    code, _out, err = run_cli(*args, "--format", "json") if command in _kpis() else run_cli(*args)
    _check_one_line(code, err)
    rows = [r for r in _expected() if r["file"] == name and not r["args"] and _applies(r, command)]
    for row in rows:
        assert code == int(row["exit"]), (row, err)
        if row["message"]:
            assert row["message"] in err, (row["message"], err)
    if command in _kpis() and code == 0 and how == "file":
        result = json.loads(_out)
        spec = _kpis()[command]
        if not spec.periodic:  # row-level KPIs: used + skipped = rows
            assert result["n"] + result["skipped"]["total"] == result["rows"], result


# --- part 1: the expected-outcomes table, row by row --------------------------------------------

@pytest.mark.parametrize("row", _expected(), ids=lambda r: f"{r['file']}-{r['command']}-{r['args']}".strip("-"))
def test_expected_outcome(run_cli, corpus, row):
    commands = _commands()
    if row["command"] in ("*", "config:*") or row["command"].startswith("source:"):
        targets = [c for c in commands if _applies(row, c)]
        if row["exit"] != "0" and not row["args"]:  # a loader refusal: once per source (see part 2)
            targets = [c for c in targets if c in _representatives(commands)]
    else:
        if row["command"] not in commands:
            pytest.skip(f"command {row['command']!r} is not registered in this build")
        targets = [row["command"]]
    assert targets
    path = corpus / row["file"]
    for command in targets:
        args = [command, "--config", str(path)] if row["command"] == "config:*" else [command, str(path)]
        args += row["args"].split() if row["args"] else []
        if command in _kpis():
            args += ["--format", "json"]
        code, out, err = run_cli(*args)
        _check_one_line(code, err)
        assert code == int(row["exit"]), (command, row, err)
        if row["message"]:
            assert row["message"] in err, (command, row["message"], err)
        if code != 0:
            continue
        result = json.loads(out)
        if row["n"]:
            assert result["n"] == int(row["n"]), result
        if row["value"]:
            assert math.isclose(result["value"], float(row["value"]), abs_tol=1e-4), result
        if row["skipped"].startswith(">="):
            assert result["skipped"]["total"] >= int(row["skipped"][2:]), result
        elif row["skipped"]:
            assert result["skipped"]["total"] == int(row["skipped"]), result
        if row["reason"]:
            reasons = result["skipped"]["reasons"]
            hits = [r for r in reasons if row["reason"] in r]
            assert hits, reasons
            if row["first_row"]:
                assert min(reasons[hits[0]]["rows"]) == int(row["first_row"]), reasons
        assert result["n"] + result["skipped"]["total"] == result["rows"], result


def test_corpus_is_big_enough_and_reproducible(tmp_path):
    """At least 50 bad inputs, every one named in the table, and the script makes the same bytes."""
    files = set(_data_files()) | set(_config_files())
    assert len(files) >= 50, len(files)
    named = {r["file"] for r in _expected()}
    assert named <= files, named - files
    make_corpus.main(tmp_path)
    for p in tmp_path.iterdir():
        if p.is_file():
            assert p.read_bytes() == (CORPUS / p.name).read_bytes(), p.name
    on_disk = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    assert on_disk < 200_000, on_disk


def test_docs_errors_matches_the_table():
    """docs/errors.md lists every message fragment and exit code the corpus asserts."""
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    lines = doc.splitlines()
    for row in _expected():
        if row["message"]:
            fragment = row["message"] if row["message"] in doc else _generic(row["message"])
            hits = [line for line in lines if fragment in line and line.startswith("|")]
            assert hits, f"docs/errors.md has no table row for {fragment!r}"
            assert any(line.rstrip().endswith(f"| {row['exit']} |") for line in hits), (fragment, row["exit"])


def _generic(message: str) -> str:
    """Doc rows use FILE for a corpus file name."""
    for name in [r["file"] for r in _expected()]:
        message = message.replace(name, "FILE")
    return message


# --- hangs and crashes: a few real processes with a time limit ----------------------------------

@pytest.mark.parametrize("name", ["quote_5mb.csv", "cell_5mb.csv", "columns_100k.csv", "binary.csv",
                                  "unterminated_quote.csv", "cfg_anchor_bomb.yaml"])
def test_no_hang_in_a_real_process(corpus, name):
    path = corpus / name
    args = ["report", "--config", str(path)] if name.endswith(".yaml") else ["nps", str(path)]
    proc = subprocess.run([sys.executable, "-m", "cxkpi", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert proc.returncode in (1, 2), proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("cxkpi: error:") and proc.stderr.count("\n") == 1, proc.stderr


def test_file_size_cap_is_a_clear_error(corpus, monkeypatch, run_cli):
    """Files over CXKPI_MAX_FILE_MB fail before anything is read (no OOM kill)."""
    monkeypatch.setenv("CXKPI_MAX_FILE_MB", "1")
    code, _out, err = run_cli("nps", str(corpus / "cell_5mb.csv"))
    assert code == 1 and "over the 1 MB input limit" in err and "CXKPI_MAX_FILE_MB" in err, err


def test_stdin_size_cap(monkeypatch, run_cli):
    monkeypatch.setenv("CXKPI_MAX_FILE_MB", "1")
    code, _out, err = run_cli("nps", "-", stdin=b"Score\n" + b"9\n" * 600_000)  # 1.2 MB
    assert code == 1 and "input limit" in err, err


def test_cell_cap_is_configurable(corpus, monkeypatch, run_cli):
    """Raising CXKPI_MAX_CELL_CHARS lets a real long cell through; the score is then just not a number."""
    monkeypatch.setenv("CXKPI_MAX_CELL_CHARS", str(6 << 20))
    code, out, err = run_cli("nps", str(corpus / "cell_5mb.csv"), "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    # scores 9, <5 MB of nines>, 2: the long one is far outside 0–10 -> n=2, 1 skipped
    assert (result["n"], result["skipped"]["total"]) == (2, 1)

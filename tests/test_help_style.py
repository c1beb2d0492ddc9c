"""--help and usage errors in the style of git, ripgrep and httpie (issue #17 part 8)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from cxkpi.cli.kpi_commands import fold_example

ROOT = Path(__file__).resolve().parents[1]


def _real_help(*args: str, columns: int = 80) -> str:
    """A help page from the console script in a real process."""
    run = subprocess.run([sys.executable, "-m", "cxkpi", *args, "--help"], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns),
                                        "NO_COLOR": "1"}, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


@lru_cache(maxsize=None)
def _help(*args: str, columns: int = 80) -> str:
    """A help page rendered in-process: a process per page cost ~40 s of the suite for the same text
    (test_in_process_help_is_the_console_scripts below checks the two agree)."""
    from cxkpi.cli.app import main

    env = {"COLUMNS": str(columns), "NO_COLOR": "1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as exit_info:
            main([*args, "--help"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert exit_info.value.code in (0, None), buf.getvalue()
    return buf.getvalue()


def test_in_process_help_is_the_console_scripts():
    """The pages the tests below read in-process are the ones a real `cxkpi ... --help` prints."""
    for args in ((), ("nps",), ("inspect",)):
        assert _help(*args) == _real_help(*args), args


def _commands() -> list[str]:
    from cxkpi.cli.app import command

    return list(command().commands)


def test_every_help_page_shows_metavars_not_python_types():
    pages = {c: _help(c) for c in _commands()}
    pages["(top)"] = _help()
    for name, text in pages.items():
        assert not re.search(r"<(str|int|float|bool|list\[[a-z]+\]|int range)>", text), (name, text)
        assert "[x>=" not in text and "[x<=" not in text, name
    nps = pages["nps"]
    assert re.search(r"--since\s+YYYY-MM-DD", nps)
    assert re.search(r"--by\s+-b\s+COLUMN", nps)
    assert re.search(r"--map\s+-m\s+CANONICAL=HEADER", nps)
    assert re.search(r"--min-sample\s+N\b", nps)
    assert re.search(r"--promoter-min\s+N\b", nps)
    assert "Usage: cxkpi nps [OPTIONS] [FILE]" in nps
    assert re.search(r"--strict\s+Fail", nps)  # a flag shows no metavar at all


def test_examples_never_wrap_mid_command_at_80_columns():
    for name in _commands():
        lines = _help(name).splitlines()
        for i, line in enumerate(lines):
            if line.strip().startswith("cxkpi ") or lines[i - 1].rstrip().endswith("\\"):
                nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
                # the next line is blank, a continued option line (after a "\"), or another example
                assert line.rstrip().endswith("\\") or not nxt or nxt.startswith(("cxkpi ", "╭")), \
                    f"{name}: example wraps: {line!r} / {nxt!r}"


def test_fold_example_keeps_options_with_their_values():
    got = fold_example('cxkpi frt t.csv --by channel --business-hours "Mon-Fri 09:00-17:00" --holidays DE',
                       width=40, indent="")
    assert got.splitlines() == [
        "cxkpi frt t.csv --by channel \\",
        '    --business-hours "Mon-Fri 09:00-17:00" \\',
        "    --holidays DE",
    ]
    assert fold_example("cxkpi nps s.csv", indent="") == "cxkpi nps s.csv"


def test_dash_capital_v_prints_the_version(run_cli):
    from cxkpi import __version__

    code, out, err = run_cli("-V")
    assert (code, out) == (0, f"cxkpi {__version__}\n")


@pytest.mark.parametrize("args, message", [
    (["npz", "x.csv"], "cxkpi: error: No such command 'npz'. Did you mean 'nps'? (see `cxkpi --help`)\n"),
    (["nps", "--bogus"], "cxkpi: error: No such option: --bogus (see `cxkpi nps --help`)\n"),
    (["inspect", "x.csv", "--header-rows", "0"],
     "cxkpi: error: Invalid value for '--header-rows': Input should be greater than or equal to 1 "
     "(see `cxkpi inspect --help`)\n"),
])
def test_click_usage_errors_use_the_one_error_format(run_cli, args, message):
    code, out, err = run_cli(*args)
    assert (code, out, err) == (2, "", message)


@pytest.mark.parametrize("fmt", ["html", "xlsx"])
def test_kpis_refuses_a_format_it_cannot_write(run_cli, fmt):
    code, out, err = run_cli("kpis", "--format", fmt)
    assert (code, out) == (2, "")
    assert err == f"cxkpi: error: cxkpi kpis --format {fmt}: expected table, json, csv or markdown\n"


@pytest.mark.parametrize("command, formats", [
    ("inspect", "table|json|markdown|csv"), ("kpis", "table|json|csv|markdown"), ("presets", "table|json|markdown")])
def test_a_command_offers_only_the_formats_it_writes(command, formats):
    assert re.search(rf"--format\s+-f\s+{re.escape(formats)}\s", _help(command)), _help(command)

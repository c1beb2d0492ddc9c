"""The lazy CLI: --version, --help and completion build from the checked-in catalog, not the KPIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cxkpi.cli import catalog

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "pyarrow", "numpy", "cxkpi.registry", "cxkpi.kpis", "cxkpi.engine")


def test_catalog_matches_the_registry():
    assert catalog.CATALOG_PATH.read_text(encoding="utf-8") == catalog.dumps(catalog.generate()), \
        "cxkpi/cli/catalog.json is stale: run `python -m cxkpi.cli.catalog`"


def test_catalog_lists_every_kpi_and_its_cli_flags():
    from cxkpi.registry import load_all

    entries = {e.name: e for e in catalog.load()}
    specs = load_all()
    assert list(entries) == list(specs)
    nps = entries["nps"]
    assert [p.flag for p in nps.params] == [p.flag for p in specs["nps"].params if p.cli]
    assert nps.sources == ("surveys",)


def _loaded_after(args: list[str], env: dict | None = None) -> tuple[list[str], str]:
    code = ("import sys\nfrom cxkpi.cli.app import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=60)
    line = next(l for l in run.stderr.splitlines() if l.startswith("LOADED"))
    return eval(line[len("LOADED "):]), run.stdout  # noqa: S307 - our own repr of a list of names


def test_version_and_help_import_no_kpi_nor_dataframe_library():
    for args in (["--version"], ["--help"], ["nps", "--help"], ["report", "--help"], ["inspect", "--help"]):
        loaded, out = _loaded_after(args)
        assert loaded == [], f"cxkpi {' '.join(args)} imported {loaded}"
    loaded, out = _loaded_after(["nps", "--help"])
    assert "--promoter-min" in out and "Net Promoter Score" in out


def test_shell_completion_offers_kpi_commands_without_loading_them():
    loaded, out = _loaded_after([], env={"_CXKPI_COMPLETE": "complete_bash", "COMP_WORDS": "cxkpi np",
                                         "COMP_CWORD": "1"})
    assert out.split() == ["nps"]
    assert loaded == []


def test_a_kpi_command_still_runs_and_parses_its_flags(run_cli, tmp_path):
    f = tmp_path / "s.csv"
    # scores 10, 9, 8, 3: with --promoter-min 8 promoters are 10, 9, 8 (3), detractors 3 (1):
    # NPS = 100 × (3 − 1) / 4 = 50
    f.write_text("score\n10\n9\n8\n3\n")
    code, out, err = run_cli("nps", str(f), "--promoter-min", "8", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["value"] == 50


def test_a_command_built_alone_is_the_command_of_the_whole_tree(capsys):
    """``cxkpi nps …`` builds the nps command alone (``app._alone``): its help, options and errors are
    those of the whole tree's, for every command."""
    from cxkpi.cli import app, commands

    def helped(tree, name) -> str:
        try:
            tree.main(args=[name, "--help"], prog_name="cxkpi", standalone_mode=False)
        except SystemExit:
            pass
        return capsys.readouterr().out

    whole = app.command()
    names = [e.name for e in catalog.load()] + list(commands.NAMES)
    for name in names:
        alone = app._alone([name, "--help"])
        assert alone is not None and list(alone.commands) == [name]
        assert helped(alone, name) == helped(whole, name), name
    assert app._alone(["--help"]) is None and app._alone(["no-such-command"]) is None


def test_version_is_said_before_any_command_is_built(run_cli, monkeypatch):
    from cxkpi import __version__
    from cxkpi.cli import app

    monkeypatch.setattr(app, "command", lambda: (_ for _ in ()).throw(AssertionError("built")))
    assert run_cli("--version") == (0, f"cxkpi {__version__}\n", "")

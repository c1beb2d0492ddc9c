"""Shared test helpers: run the real CLI entry point in-process and capture its streams."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _fixed_width(monkeypatch):
    """Tables render at 120 columns unless a test says otherwise (a pytest-xdist worker has its own)."""
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """run_cli(*args, stdin=bytes|None) -> (exit_code, stdout, stderr)."""
    from cxkpi.cli.app import main

    def run(*args: str, stdin: bytes | None = None):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main([str(a) for a in args])
        out, err = capsys.readouterr()
        code = exc.value.code if isinstance(exc.value.code, int) else (0 if exc.value.code is None else 1)
        assert "Traceback" not in err, err
        return code, out, err

    return run


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    """Run the CLI in-process with a list of arguments: (exit code, stdout, stderr)."""
    from cxkpi.cli.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def frame(rows: int | None = None, **columns) -> pd.DataFrame:
    """A canonical-column frame whose index is spreadsheet row numbers (header = row 1)."""
    df = pd.DataFrame(columns)
    df.index = pd.RangeIndex(2, 2 + len(df))
    return df


@pytest.fixture
def write(tmp_path):
    """write(name, text_or_bytes, encoding='utf-8') -> Path in a temp dir."""

    def _write(name: str, content, encoding: str = "utf-8") -> Path:
        p = tmp_path / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode(encoding))
        return p

    return _write

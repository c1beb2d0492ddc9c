"""Safe outputs: formula-looking text neutralised in CSV/XLSX, files replaced atomically."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
DANGEROUS = ('=HYPERLINK("http://x")', "+1-2", "@SUM(A1)", "-cmd")


def _channels_csv(text: str) -> set[str]:
    return {row["channel"] for row in csv.DictReader(io.StringIO(text))}


def test_csv_group_keys_are_neutralised(run_cli):
    code, out, err = run_cli("nps", CORPUS / "formula_channels.csv", "--by", "channel", "--format", "csv")
    assert code == 0, err
    keys = _channels_csv(out) - {"(all)"}
    assert keys == {"'" + k for k in DANGEROUS}
    rows = list(csv.DictReader(io.StringIO(out)))
    assert all(not r["value"].startswith("'") for r in rows)  # numbers untouched (e.g. -100)
    assert any(r["value"].startswith("-") for r in rows)  # the detractor-only group: -100


def test_csv_raw_keeps_text(run_cli):
    code, out, _ = run_cli("nps", CORPUS / "formula_channels.csv", "--by", "channel", "--format", "csv", "--raw")
    assert code == 0 and _channels_csv(out) - {"(all)"} == set(DANGEROUS)


def _xlsx_texts(path: Path) -> list[str]:
    wb = load_workbook(path, read_only=True)
    texts = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    wb.close()
    return texts


def test_xlsx_cells_are_neutralised(run_cli, tmp_path):
    out = tmp_path / "r.xlsx"
    code, _, err = run_cli("nps", CORPUS / "formula_channels.csv", "--by", "channel", "-o", out)
    assert code == 0, err
    texts = _xlsx_texts(out)
    for k in DANGEROUS:
        assert "'" + k in texts and k not in texts
    assert not any(t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts)
    code, _, _ = run_cli("nps", CORPUS / "formula_channels.csv", "--by", "channel", "-o", out, "--raw")
    assert code == 0 and set(DANGEROUS) <= set(_xlsx_texts(out))


_BLOCKING_WRITER = r"""
import os, sys, time
sys.path.insert(0, {root!r})
real_fsync = os.fsync
def stuck(fd):  # the data is in the temp file; announce it and hang before the rename
    print("writing", flush=True)
    time.sleep(600)
os.fsync = stuck
from cxkpi.cli.app import main
main(["nps", {data!r}, "--by", "channel", "--format", "csv", "-o", {out!r}])
"""


def test_killed_mid_write_leaves_the_previous_file_intact(tmp_path):
    out = tmp_path / "report.csv"
    out.write_text("previous report\n")
    script = _BLOCKING_WRITER.format(root=str(ROOT), data=str(CORPUS / "formula_channels.csv"), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"  # blocked inside write_atomic
        temps = [p for p in tmp_path.iterdir() if p.name.startswith(".report.csv.")]
        assert temps and temps[0].stat().st_size > 0  # the new content really was half-way out
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert out.read_text() == "previous report\n"


def test_a_completed_write_replaces_the_file(run_cli, tmp_path):
    out = tmp_path / "report.csv"
    out.write_text("previous report\n")
    code, _, err = run_cli("nps", CORPUS / "formula_channels.csv", "--format", "csv", "-o", out)
    assert code == 0, err
    assert out.read_text().startswith("kpi,")
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]  # no temp file left behind

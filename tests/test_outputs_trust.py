"""--output onto what is already there (issue 13 §2): devices, FIFOs, symlinks, inputs, failures."""

from __future__ import annotations

import errno
import json
import os
import stat
import threading

import pytest

from tests.conftest import SAMPLE

SURVEYS = SAMPLE / "surveys.csv"


def _error_line(err: str) -> str:
    """The one error line (notes may come before it)."""
    lines = [line for line in err.splitlines() if line.startswith("cxkpi: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_dev_null_stays_a_device(run_cli):
    code, out, err = run_cli("nps", SURVEYS, "--output", "/dev/null", "--format", "json")
    assert code == 0, err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_fifo_is_written_into(run_cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    code, _, err = run_cli("nps", SURVEYS, "--output", fifo, "--format", "json")
    reader.join(10)
    assert code == 0, err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a FIFO, no temp file renamed onto it
    assert json.loads(got[0])["kpi"] == "nps"
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_symlink_target_is_replaced_and_link_stays(run_cli, tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    code, _, err = run_cli("nps", SURVEYS, "--output", link, "--format", "json")
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["kpi"] == "nps"


def test_output_onto_the_input_is_refused(run_cli, tmp_path):
    data = tmp_path / "s.csv"
    data.write_bytes(SURVEYS.read_bytes())
    before = data.read_bytes()
    code, _, err = run_cli("nps", data, "--output", data, "--format", "json")
    assert code == 2
    assert _error_line(err).endswith("is a file this run reads; choose another output path")
    assert data.read_bytes() == before


def test_output_onto_the_config_is_refused(run_cli, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"sources:\n  surveys:\n    file: {SURVEYS}\n")
    before = cfg.read_bytes()
    code, _, err = run_cli("nps", "--config", cfg, "--output", cfg, "--format", "json")
    assert code == 2 and "is a file this run reads" in err
    assert cfg.read_bytes() == before


def test_parent_is_a_file(run_cli, tmp_path):
    (tmp_path / "f").write_text("x")
    code, _, err = run_cli("nps", SURVEYS, "--output", tmp_path / "f" / "out.json")
    assert code == 1 and _error_line(err).startswith("cxkpi: error: --output")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(run_cli, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    code, _, err = run_cli("nps", SURVEYS, "--output", ro / "out.json")
    assert code == 1 and "permission denied" in err


def test_full_disk_keeps_the_old_output(run_cli, tmp_path, monkeypatch):
    out = tmp_path / "out.json"
    out.write_text("old report")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = run_cli("nps", SURVEYS, "--output", out, "--format", "json")
    assert code == 1 and "no space left on the device" in _error_line(err)
    assert out.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # the temp file is gone

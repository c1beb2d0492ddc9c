"""A large CSV read on several cores (``cxkpi.io.parts``): cut at record boundaries, the later parts
read by forked processes, their states merged. The result must be the one-process read's: values,
n, skipped rows and their row numbers, notes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxkpi.io import parts


def _tickets(path, n: int = 2000, bad=(1500, 1800), long_cell: int | None = None) -> None:
    """``n`` tickets; FRT 10 min on even rows, 20 on odd; row i is spreadsheet row i + 2, and each i in
    ``bad`` has an unreadable first response."""
    lines = ["ticket_id,created_at,first_response_at,channel,score"]
    for i in range(n):
        first = "not a time" if i in bad else f"2025-0{1 + i % 3}-03 09:{10 if i % 2 == 0 else 20}:00"
        channel = "x" * 40 if i == long_cell else ("email" if i % 4 < 2 else "chat")
        lines.append(f"T{i},2025-0{1 + i % 3}-03 09:00:00,{first},{channel},{1 + i % 5}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run(run_cli, *args) -> dict:
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    data.pop("generated_at", None)
    return data


@pytest.fixture()
def forks(monkeypatch):
    """The spans each pass handed to forked processes (``[]``: one process read it all)."""
    started = []
    real = parts.Children.start
    monkeypatch.setattr(parts.Children, "start", lambda self, spans, body: started.append(spans) or
                        real(self, spans, body))
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "4096")  # a ~100 KB file: 4 parts of at least two batches
    return started


def test_cuts_fall_after_a_line_end_and_never_after_a_quote(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 999)  # 4 + 3,996 bytes: line k (k >= 1) starts at 4k
    # halves: the first line end at or after byte 2,000 is byte 2,003, so the cut is 2,004
    assert parts.cuts(path, "utf-8", 1, 100, parts=2) == [0, 2004, 4000]
    assert parts.cuts(path, "utf-8", 1, 100, parts=4) == [0, 1004, 2004, 3004, 4000]
    assert parts.cuts(path, "utf-8", 1, 3000, parts=2) == [0, 4000]  # a part would be under 3,000 bytes
    # a lead of 400 bytes: each later part (4,000 - 400) / 2 = 1,800 bytes, the first 2,200: the line end
    # at or after byte 2,200 is 2,203
    assert parts.cuts(path, "utf-8", 1, 100, parts=2, lead=400) == [0, 2204, 4000]
    assert parts.cuts(path, "utf-16", 1, 100, parts=2) == [0, 4000]  # a line end is not one byte
    # a quote at byte 1,500 (in line 375): no cut after it; the last cut is the line end before it (1,500)
    quoted = bytearray(path.read_bytes())
    quoted[1500:1503] = b'"x"'  # line 375 becomes "x"2 (4 bytes, still one line)
    path.write_bytes(bytes(quoted))
    assert parts.cuts(path, "utf-8", 1, 100, parts=2) == [0, 1500, 4000]
    quoted[4:7] = b'"1"'  # a quote in the first data row: no cut at all
    path.write_bytes(bytes(quoted))
    assert parts.cuts(path, "utf-8", 1, 100, parts=2) == [0, 4000]
    # quoted names in the header are looked past
    path.write_bytes(b'"a","b"\n' + b"1,2\n" * 999)  # 8 + 3,996 bytes: line ends at 8 + 4k + 3
    assert parts.cuts(path, "utf-8", 1, 100, parts=2) == [0, 2004, 4004]


def test_jobs_follow_the_setting(monkeypatch):
    monkeypatch.setenv("CXKPI_JOBS", "3")
    assert parts.jobs() == 3
    monkeypatch.setenv("CXKPI_JOBS", "1")
    assert parts.jobs() == 1
    monkeypatch.setenv("CXKPI_JOBS", "lots")
    assert parts.jobs() == 1
    monkeypatch.setenv("CXKPI_JOBS", "4")
    import threading

    seen = []
    worker = threading.Thread(target=lambda: seen.append(parts.jobs()))
    worker.start()
    worker.join()
    assert seen == [1]  # off the main thread: never a fork
    monkeypatch.setattr(parts, "SOLO", True)
    assert parts.jobs() == 1


def test_four_processes_give_the_one_process_result(tmp_path, run_cli, forks, monkeypatch):
    path = tmp_path / "tickets.csv"
    _tickets(path)
    args = ["frt", path, "--by", "channel", "--period", "month"]
    monkeypatch.setenv("CXKPI_JOBS", "4")
    four = _run(run_cli, *args)
    assert len(forks) == 1 and len(forks[0]) == 3  # three children read the last three quarters
    monkeypatch.setenv("CXKPI_JOBS", "1")
    one = _run(run_cli, *args)
    assert len(forks) == 1
    assert four == one
    # by hand: 2,000 rows less rows 1,502 and 1,802 (i = 1,500 and 1,800, both even: FRT 10 min)
    assert four["n"] == 1998
    assert four["value"] == pytest.approx((998 * 10 + 1000 * 20) / 1998)
    assert four["breakdown"]["median"] == 20  # 998 tens, then 1,000 twenties: the 999th and 1,000th values are 20
    assert four["skipped"]["reasons"]["first_response_at: unreadable value"] == {"count": 2, "rows": [1502, 1802]}


def test_a_report_of_two_sources_in_parts_is_the_one_process_report(tmp_path, run_cli, forks, monkeypatch):
    path = tmp_path / "tickets.csv"
    _tickets(path)
    config = tmp_path / "cxkpi.yaml"
    config.write_text(f"""sources:
  tickets:
    file: {path}
  surveys:
    file: {path}
    columns: {{responded_at: first_response_at, score: score, channel: channel}}
report:
  kpis: [frt, csat]
kpis:
  csat: {{scale: 1-5, satisfied_min: 4, by: [channel]}}
""")
    monkeypatch.setenv("CXKPI_JOBS", "2")
    two = _run(run_cli, "report", "-c", config, "--period", "month")
    assert len(forks) == 1
    monkeypatch.setenv("CXKPI_JOBS", "1")
    assert _run(run_cli, "report", "-c", config, "--period", "month") == two
    csat = next(k for k in two["kpis"] if k["kpi"] == "csat")
    # scores 1..5 in turn; rows i = 1,500 and 1,800 have no response time (1500 % 5 = 0: score 1, 1800: 1)
    # 4s and 5s: i % 5 in (3, 4), 800 of the 2,000; of the 1,998 answers kept, 800 satisfied
    assert csat["result"]["n"] == 1998
    assert csat["result"]["value"] == pytest.approx(100 * 800 / 1998)
    assert csat["result"]["skipped"]["reasons"]["responded_at: unreadable value"] == {"count": 2, "rows": [1502, 1802]}
    # the headline is the last month, March (i % 3 == 2: 666 rows); satisfied when i % 15 is 8 or 14:
    # 133 full runs of 15 below 1,995, none in 1,995..1,999
    assert (csat["period"], csat["n"]) == ("2025-03", 666)
    assert csat["value"] == pytest.approx(100 * 266 / 666)


def test_an_error_in_a_later_part_names_the_row_the_one_process_read_names(tmp_path, run_cli, forks, monkeypatch):
    path = tmp_path / "tickets.csv"
    _tickets(path, long_cell=1700)  # row 1,702: a 40-character channel
    monkeypatch.setenv("CXKPI_MAX_CELL_CHARS", "30")
    monkeypatch.setenv("CXKPI_JOBS", "2")
    code, out, err = run_cli("frt", path, "--by", "channel")
    assert len(forks) == 1  # the child met the cell, failed, and the parent read its part again
    monkeypatch.setenv("CXKPI_JOBS", "1")
    assert run_cli("frt", path, "--by", "channel") == (code, out, err)
    assert code != 0 and "1702" in err and "Traceback" not in err


def test_a_child_that_dies_is_read_again_by_the_parent(tmp_path, run_cli, forks, monkeypatch):
    import os

    path = tmp_path / "tickets.csv"
    _tickets(path)
    monkeypatch.setenv("CXKPI_JOBS", "2")
    real = parts.Children.start

    def dying(self, spans, body):
        return real(self, spans, lambda span, wait: os._exit(3))

    monkeypatch.setattr(parts.Children, "start", dying)
    died = _run(run_cli, "frt", path, "--by", "channel")
    monkeypatch.setenv("CXKPI_JOBS", "1")
    assert died == _run(run_cli, "frt", path, "--by", "channel")
    assert died["n"] == 1998


def test_counted_notes_add_up_over_the_parts(tmp_path, run_cli, forks, monkeypatch):
    header = (Path(__file__).parent / "fixtures" / "exports" / "zendesk_tickets.csv").read_text().splitlines()[0]
    lines = [header]
    for i in range(3000):  # a Zendesk export; every 10th ticket was never offered a survey: 300 rows
        score = "Not Offered" if i % 10 == 0 else ("Good" if i % 3 else "Bad")
        lines.append(f"{i},R,A,G,email,normal,solved,,question,2025-03-0{1 + i % 9} 09:00:00,2025-03-10 10:00:00,"
                     f"2025-03-0{1 + i % 9} 11:00:00,{score},1,0,30,30,120,120,10,5,0,Pro")
    path = tmp_path / "zendesk.csv"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("CXKPI_JOBS", "3")
    code, out, err = run_cli("csat", path, "--format", "json")
    assert code == 0, err
    assert len(forks) == 1 and len(forks[0]) == 2
    monkeypatch.setenv("CXKPI_JOBS", "1")
    assert run_cli("csat", path, "--format", "json")[1:] == (out, err)
    assert "300 rows never sent a survey" in err
    # 2,700 offered: i % 3 == 0 is Bad (i = 0, 3, …: 1,000 of 3,000, of them the 100 with i % 30 == 0 not
    # offered), so 900 Bad and 1,800 Good
    data = json.loads(out)
    assert data["n"] == 2700 and data["value"] == pytest.approx(100 * 1800 / 2700)


def test_a_first_part_that_decides_nothing_leaves_every_part_to_the_parent(tmp_path, run_cli, forks, monkeypatch):
    """No first response in the first 1,500 rows (over the first part): that column's layout is not
    decided there, so the children are told nothing and the parent reads their parts in order."""
    path = tmp_path / "tickets.csv"
    lines = ["ticket_id,created_at,first_response_at"]
    for i in range(2000):
        first = "" if i < 1500 else "2025-01-03 09:30:00"
        lines.append(f"T{i},2025-01-03 09:00:00,{first}")
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("CXKPI_JOBS", "2")
    told = []
    real = parts.Children.tell
    monkeypatch.setattr(parts.Children, "tell", lambda self, decided: told.append(decided) or real(self, decided))
    two = _run(run_cli, "frt", path)
    assert len(forks) == 1 and told == [None]
    monkeypatch.setenv("CXKPI_JOBS", "1")
    assert _run(run_cli, "frt", path) == two
    # 500 answered tickets, each 30 minutes; 1,500 unanswered, counted apart
    assert (two["n"], two["value"], two["breakdown"]["unanswered"]) == (500, 30, 1500)

"""A file read in record batches gives exactly the one-shot read's results.

Files larger than ``CXKPI_BATCH_BYTES`` are read batch by batch (cxkpi.io.load._load_batches);
here batches of a few KB turn every sample export into dozens of batches, so each KPI, group,
skip reason, first row number and note is compared with the one-shot read of the same file.
"""

from __future__ import annotations

import json

import pytest

from cxkpi.io.load import load_source
from cxkpi.registry import load_all

from .conftest import ROOT

TINY = "32768"  # bytes: the 858 KB sample tickets export becomes ~26 batches
SMALL = "2048"  # the 400-row files below (~24 KB): ~12 batches


def _json(run_cli, *args) -> dict:
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    data.pop("generated_at", None)
    return data


def _both(run_cli, monkeypatch, *args, batch: str = TINY) -> tuple[dict, dict]:
    monkeypatch.delenv("CXKPI_BATCH_BYTES", raising=False)
    whole = _json(run_cli, *args)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", batch)
    batched = _json(run_cli, *args)
    return whole, batched


def test_the_report_of_every_kpi_is_the_same_batched(run_cli, monkeypatch):
    whole, batched = _both(run_cli, monkeypatch, "report", "-c", ROOT / "config.example.yaml", "--period", "month")
    assert len(whole["kpis"]) == len(load_all())  # every KPI of the registry is in the report
    assert batched == whole


@pytest.mark.parametrize("kpi", sorted(load_all()))
def test_each_kpi_by_channel_and_month_is_the_same_batched(kpi, run_cli, monkeypatch):
    from cxkpi.config import load_config

    spec = load_all()[kpi]
    config = load_config(ROOT / "config.example.yaml")
    block = config.source(config.kpi(kpi).get("source") or spec.source)
    if not block.get("file"):
        pytest.skip(f"config.example.yaml names no file for {kpi}")
    header = open(config.resolve_file(block["file"]), encoding="utf-8").readline().lower()
    args = [kpi, "-c", ROOT / "config.example.yaml", "--period", "month"]
    if "channel" in header and not spec.periodic:
        args += ["--by", "channel"]
    whole, batched = _both(run_cli, monkeypatch, *args)
    assert batched == whole


def _write(path, header: str, rows: list[str]) -> None:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_row_numbers_and_reasons_of_a_later_batch_are_exact(tmp_path, run_cli, monkeypatch):
    # 400 tickets, each line ~60 bytes: batches of 2 KB hold ~34 rows, so row 302 is in a late batch.
    rows = [f"T{i},2025-03-01 09:00:00,2025-03-01 09:{i % 60:02d}:00,email" for i in range(400)]
    rows[300] = "T300,2025-03-01 09:00:00,not a time,email"  # file row 302 (header = row 1)
    _write(tmp_path / "t.csv", "ticket_id,created_at,first_response_at,channel", rows)
    whole, batched = _both(run_cli, monkeypatch, "frt", tmp_path / "t.csv", batch=SMALL)
    assert batched == whole
    assert batched["skipped"] == {"total": 1, "reasons": {"first_response_at: unreadable value":
                                                          {"count": 1, "rows": [302]}}}
    # minutes are i % 60 for the 399 readable rows: 0..59 six times (i < 360) = 6 × 1770 = 10620, then
    # i = 360..399 → 0..39, sum 780, less the unreadable i = 300 (300 % 60 = 0): 11400 / 399
    assert batched["n"] == 399
    assert batched["value"] == pytest.approx(11400 / 399)


def test_daylight_saving_gap_counts_add_up_over_batches(tmp_path, run_cli, monkeypatch):
    # Europe/Berlin skipped 02:00-03:00 on 2025-03-30: rows 2 and 301 (first and a late batch) fall in it.
    rows = [f"T{i},2025-03-29 10:00:00,2025-03-29 10:30:00" for i in range(400)]
    rows[0] = "T0,2025-03-30 02:30:00,2025-03-30 04:00:00"
    rows[299] = "T299,2025-03-30 02:15:00,2025-03-30 05:00:00"
    _write(tmp_path / "t.csv", "ticket_id,created_at,first_response_at", rows)
    whole, batched = _both(run_cli, monkeypatch, "frt", tmp_path / "t.csv", "--timezone", "Europe/Berlin", batch=SMALL)
    assert batched == whole
    gap = [n for n in batched["notes"] if "daylight-saving gap" in n]
    assert gap == ["created_at: 2 local times fall in a daylight-saving gap in Europe/Berlin (the clocks "
                   "skipped that hour): skipped as unreadable, not moved"]
    assert batched["skipped"]["reasons"]["created_at: unreadable value"] == {"count": 2, "rows": [2, 301]}
    assert batched["n"] == 398 and batched["value"] == pytest.approx(30.0)  # every other ticket: 30 minutes


def test_a_ragged_row_falls_back_to_the_one_shot_read(tmp_path, monkeypatch):
    rows = [f"T{i},2025-03-01 09:00:00,2025-03-01 09:10:00" for i in range(400)]
    rows[350] = "T350,2025-03-01 09:00:00"  # file row 352 has 2 fields, the header 3
    _write(tmp_path / "t.csv", "ticket_id,created_at,first_response_at", rows)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", SMALL)
    data = load_source(tmp_path / "t.csv", "tickets", ["created_at", "first_response_at"])
    assert data.bad_rows == {"row has 2 fields, the header has 3": [352]}
    assert len(data.frame) == 399 and data.frame.index[-1] == 401


def test_categories_seen_in_different_batches_are_one_column(tmp_path, monkeypatch):
    # channel "chat" only in the first 100 rows, "web" only after row 300: one categorical of both
    rows = [f"T{i},2025-03-01 09:00:00,{'chat' if i < 100 else 'email' if i < 300 else 'web'}" for i in range(400)]
    _write(tmp_path / "t.csv", "ticket_id,created_at,channel", rows)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", SMALL)
    data = load_source(tmp_path / "t.csv", "tickets", ["created_at", "channel"])
    assert list(data.frame["channel"].cat.categories) == ["chat", "email", "web"]
    assert data.frame["channel"].value_counts().to_dict() == {"email": 200, "chat": 100, "web": 100}
    assert list(data.frame.index[:2]) == [2, 3] and data.frame.index[-1] == 401


def test_a_file_two_sources_read_is_batched_once_for_both(tmp_path, run_cli, monkeypatch):
    # tickets with their CSAT column: the report's tickets and surveys sources share the file, and the
    # batched read serves both in one pass, frt and csat streamed through their statistics
    rows = []
    for i in range(400):
        score = "" if i % 4 == 0 else str(1 + i % 5)
        rows.append(f"T{i},2025-0{1 + i % 3}-10 09:00:00,2025-0{1 + i % 3}-10 09:{i % 50:02d}:00,"
                    f"{'email' if i % 2 else 'chat'},{score}")
    _write(tmp_path / "t.csv", "Ticket ID,Created At,First Response At,Channel,Satisfaction", rows)
    (tmp_path / "c.yaml").write_text(
        "sources:\n"
        "  tickets:\n    file: t.csv\n    columns: {ticket_id: Ticket ID, created_at: Created At, "
        "first_response_at: First Response At, channel: Channel}\n"
        "  surveys:\n    file: t.csv\n    columns: {responded_at: First Response At, score: Satisfaction, "
        "channel: Channel}\n"
        "report:\n  kpis: [frt, csat]\n", encoding="utf-8")
    import cxkpi.io.load as load

    passes = []
    real = load._batch_pass
    monkeypatch.setattr(load, "_batch_pass", lambda *a, **k: passes.append(sorted(a[2])) or real(*a, **k))
    whole, batched = _both(run_cli, monkeypatch, "report", "-c", tmp_path / "c.yaml", batch=SMALL)
    # one pass serves both sources: csat reads each batch on the scale its first batch decides while
    # the whole column's answers are counted, and the whole column decides the same (1–5)
    assert passes == [["surveys", "tickets"]]
    assert batched == whole
    csat = next(k for k in batched["kpis"] if k["kpi"] == "csat")
    # 300 rows have a score (i % 4 != 0); in each run of 20 rows 15 do, and 6 of them score 4 or 5
    # (i % 20 in 3, 9, 13, 14, 18, 19): 20 runs × 6 = 120 satisfied / 300 = 40 %
    assert csat["n"] == 300 and csat["value"] == pytest.approx(40.0)


@pytest.mark.parametrize("answered", ["late", "early"])
def test_a_zoned_time_column_empty_for_whole_batches_is_read(tmp_path, run_cli, monkeypatch, answered):
    # first_response_at is empty in the first 200 rows ("late") or the last 200 ("early"): its empty
    # batches are naive NaT, the others UTC; they joined as a crash (astype cannot zone a naive type)
    rows = []
    for i in range(400):
        filled = i >= 200 if answered == "late" else i < 200
        rows.append(f"T{i},2025-03-01T09:00:00Z,{f'2025-03-01T09:{i % 60:02d}:00Z' if filled else ''},email")
    _write(tmp_path / "t.csv", "ticket_id,created_at,first_response_at,channel", rows)
    whole, batched = _both(run_cli, monkeypatch, "frt", tmp_path / "t.csv", batch=SMALL)
    assert batched == whole
    # minutes i % 60 over 200 rows: "late" i = 200..399 → 20..59 (sum 1580), then 0..59 twice (3540) and
    # 0..39 (780): 5900 / 200; "early" i = 0..199 → 0..59 three times (5310) and 0..19 (190): 5500 / 200
    assert batched["n"] == 200
    assert batched["value"] == pytest.approx((5900 if answered == "late" else 5500) / 200)


def test_iso_or_mixed_is_decided_over_the_whole_file_as_in_one_shot(tmp_path, run_cli, monkeypatch):
    # 1000 ISO times (with and without fractions: no single strptime format) then 3000 day-first ones.
    # One shot: ISO reads 1000 of 4000 (< half), so the column is read as mixed and every row is
    # readable. The first 32 KB batch is all ISO: alone it decided ISO and the 3000 day-first rows were
    # unreadable; the whole-file count now restarts the file in one shot.
    rows = []
    for i in range(4000):
        if i < 1000:
            t = f"2025-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00" + (".5" if i % 2 else "")
        else:
            t = f"{13 + i % 15:02d}/03/2025 {i % 24:02d}:{i % 60:02d}"
        rows.append(f"T{i},{t},email")
    _write(tmp_path / "t.csv", "ticket_id,created_at,channel", rows)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "32768")
    data = load_source(tmp_path / "t.csv", "tickets", ["created_at", "channel"])
    assert data.invalid == {} and int(data.frame["created_at"].notna().sum()) == 4000
    assert data.frame["created_at"].iloc[1000].day == 13 + 1000 % 15  # 20/03/2025: day first


def test_cells_a_late_batch_reads_the_careful_way_keep_their_rows(tmp_path, run_cli, monkeypatch):
    # A later batch reads times written exactly as "%Y-%m-%d %H:%M:%S" straight from the text; the other
    # cells go the careful way. Row 252 (i = 250) is padded with spaces: read, 250 % 60 = 10 minutes as
    # its neighbours' pattern says; row 302 (i = 300) is 30 February: unreadable, in a late 2 KB batch.
    rows = [f"T{i},2025-03-01 09:00:00,2025-03-01 09:{i % 60:02d}:00,email" for i in range(400)]
    rows[250] = "T250,2025-03-01 09:00:00, 2025-03-01 09:10:00 ,email"
    rows[300] = "T300,2025-03-01 09:00:00,2025-02-30 09:00:00,email"
    _write(tmp_path / "t.csv", "ticket_id,created_at,first_response_at,channel", rows)
    whole, batched = _both(run_cli, monkeypatch, "frt", tmp_path / "t.csv", batch=SMALL)
    assert batched == whole
    assert batched["skipped"] == {"total": 1, "reasons": {"first_response_at: unreadable value":
                                                          {"count": 1, "rows": [302]}}}
    # as in the test above: 0..59 six times (10620) and 0..39 (780) = 11400, i = 300 (0 minutes) skipped
    assert batched["n"] == 399
    assert batched["value"] == pytest.approx(11400 / 399)


def test_numbers_and_categories_of_a_late_batch_are_the_one_shot_read(tmp_path, monkeypatch):
    # agent_replies is i % 3; in late batches row 302 (i = 300) is " 2 " (read: 2), row 322 (i = 320) "two"
    # and row 342 (i = 340) "1e16" (beyond ±1e15): both unreadable, with their reasons. Channel " Chat "
    # (row 362) is "Chat" once stripped.
    rows = [f"T{i},2025-03-01 09:00:00,{i % 3},email" for i in range(400)]
    rows[300] = "T300,2025-03-01 09:00:00, 2 ,email"
    rows[320] = "T320,2025-03-01 09:00:00,two,email"
    rows[340] = "T340,2025-03-01 09:00:00,1e16,email"
    rows[360] = "T360,2025-03-01 09:00:00,0, Chat "
    _write(tmp_path / "t.csv", "ticket_id,created_at,agent_replies,channel", rows)
    from cxkpi.io.values import reasons

    wanted = ["created_at", "agent_replies", "channel"]
    whole = load_source(tmp_path / "t.csv", "tickets", wanted)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", SMALL)
    batched = load_source(tmp_path / "t.csv", "tickets", wanted)
    import pandas as pd

    pd.testing.assert_frame_equal(batched.frame, whole.frame)
    bad = batched.invalid["agent_replies"]
    assert list(bad.index) == [322, 342] and list(reasons(bad)) == ["unreadable value", "not a finite number"]
    assert batched.frame["agent_replies"][302] == 2.0
    # i % 3 over i = 0..398 is 133 runs of 0 + 1 + 2 = 399, and i = 399 adds 0; i = 300 (0) now reads 2 (+2),
    # i = 320 (320 % 3 = 2) and i = 340 (1) are unreadable (-3): 399 + 2 - 3 = 398
    assert batched.frame["agent_replies"].sum() == 398.0
    assert batched.frame["channel"].value_counts().to_dict() == {"email": 399, "Chat": 1}


@pytest.mark.parametrize("batch", [None, SMALL])
def test_a_cell_over_the_cap_in_a_late_batch_is_refused_with_its_row(tmp_path, monkeypatch, batch):
    # i = 300 is file row 302 (header = row 1), in a late 2 KB batch; its channel is 300 characters,
    # over a cap of 200: the batched read refuses it with the one-shot read's row and message
    from cxkpi.errors import InputError

    rows = [f"T{i},2025-03-01 09:00:00,email" for i in range(400)]
    rows[300] = "T300,2025-03-01 09:00:00," + "x" * 300
    _write(tmp_path / "t.csv", "ticket_id,created_at,channel", rows)
    monkeypatch.setenv("CXKPI_MAX_CELL_CHARS", "200")
    if batch:
        monkeypatch.setenv("CXKPI_BATCH_BYTES", batch)
    with pytest.raises(InputError, match=r"row 302: column 'channel' has a cell of 300 characters, over the "
                                         r"limit of 200"):
        load_source(tmp_path / "t.csv", "tickets", ["created_at", "channel"])


def test_a_batchs_shared_labels_and_periods_go_with_the_batch(tmp_path, run_cli, monkeypatch):
    # engine._of_rows keeps a batch's group labels and periods for the KPIs that measure it; once the
    # batch is dropped they go too (a pass over a large file held those of its last 64 batches)
    import gc

    import cxkpi.engine as engine

    from .test_stream_cache import _month

    _month(tmp_path / "t.csv", 1, n=600)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")  # ~33 KB: about 16 batches
    monkeypatch.setattr(engine, "_SHARED", {})
    code, out, err = run_cli("frt", tmp_path / "t.csv", "--by", "channel", "--period", "month", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["n"] == 600
    gc.collect()
    assert [k for k, (ref, _) in engine._SHARED.items() if ref() is None] == []

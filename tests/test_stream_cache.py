"""``--cache DIR`` for streamed files: each file's partial states are kept, so a folder that grows by
one export reads that export only, and the result is the cold run's."""

from __future__ import annotations

import json

import pytest


def _month(path, month: int, n: int = 300, bad: int | None = None) -> None:
    lines = ["ticket_id,created_at,first_response_at,channel,score"]
    for i in range(n):
        first = "not a time" if i == bad else f"2025-{month:02d}-03 09:{i % 60:02d}:00"
        lines.append(f"T{month}-{i},2025-{month:02d}-03 09:00:00,{first},{'email' if i % 2 else 'chat'},{1 + i % 5}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _folder(tmp_path, months=(1, 2, 3), bad: int | None = None):
    """tmp_path/exports with a 300-row file per month; month ``bad``'s row 9 has an unreadable first response."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for m in months:
        _month(folder / f"t-2025-{m:02d}.csv", m, bad=7 if m == bad else None)
    return folder


def _run(run_cli, *args) -> dict:
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    data.pop("generated_at", None)
    return data


@pytest.fixture()
def counted_passes(monkeypatch):
    """The files each pass over a file reads, in order."""
    import cxkpi.io.load as load

    passes = []
    real = load._batch_pass
    monkeypatch.setattr(load, "_batch_pass", lambda path, *a, **k: passes.append(path.name) or real(path, *a, **k))
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")  # each 300-row month (~16 KB) is streamed in batches
    return passes


def test_a_second_run_reads_no_file_and_one_new_file_is_the_only_one_read(tmp_path, run_cli, counted_passes):
    folder = _folder(tmp_path, (1, 2, 3), bad=2)
    cache = tmp_path / "cache"
    args = ["frt", folder, "--by", "channel", "--period", "month", "--cache", cache]
    cold = _run(run_cli, *args)
    assert counted_passes == ["t-2025-01.csv", "t-2025-02.csv", "t-2025-03.csv"]
    counted_passes.clear()
    warm = _run(run_cli, *args)
    assert counted_passes == []  # every file's partial states came from the cache
    assert warm == cold
    # 3 months × 300 tickets, one unreadable (file t-2025-02.csv, its row 9: header = row 1, i = 7)
    assert cold["n"] == 899
    reason = cold["skipped"]["reasons"]["first_response_at: unreadable value"]
    assert reason["rows"] == [{"file": str(folder / "t-2025-02.csv"), "row": 9}]

    _month(folder / "t-2025-04.csv", 4)
    counted_passes.clear()
    grown = _run(run_cli, *args)
    assert counted_passes == ["t-2025-04.csv"]  # only the new export is read
    counted_passes.clear()
    fresh = _run(run_cli, "frt", folder, "--by", "channel", "--period", "month")
    assert grown == fresh and grown["n"] == 1199


def test_a_changed_file_or_setting_is_read_again(tmp_path, run_cli, counted_passes):
    folder = _folder(tmp_path, (1, 2))
    cache = tmp_path / "cache"
    _run(run_cli, "frt", folder, "--cache", cache)
    _month(folder / "t-2025-02.csv", 2, n=310)  # rewritten: other bytes, another size
    counted_passes.clear()
    after = _run(run_cli, "frt", folder, "--cache", cache)
    assert counted_passes == ["t-2025-02.csv"] and after["n"] == 610
    counted_passes.clear()
    hours = _run(run_cli, "frt", folder, "--cache", cache, "--unit", "h")
    assert counted_passes == ["t-2025-01.csv", "t-2025-02.csv"]  # another setting: other partials
    assert hours["unit"] == "h"


def test_a_truncated_entry_is_computed_again(tmp_path, run_cli, counted_passes):
    folder = tmp_path / "exports"
    folder.mkdir()
    _month(folder / "t-2025-01.csv", 1)
    _month(folder / "t-2025-02.csv", 2)
    cache = tmp_path / "cache"
    cold = _run(run_cli, "frt", folder, "--cache", cache)
    for entry in cache.glob("*.cxkpi-piece.npz"):
        entry.write_bytes(entry.read_bytes()[:40])  # a killed copy
    counted_passes.clear()
    again = _run(run_cli, "frt", folder, "--cache", cache)
    assert again == cold and counted_passes == ["t-2025-01.csv", "t-2025-02.csv"]


def test_csat_decided_from_every_file_is_cached_with_its_answers(tmp_path, run_cli, counted_passes):
    # scores 1 + i % 5 on 1–5: 4 and 5 are satisfied, 2 of every 5 answers: 40 %
    folder = _folder(tmp_path, (1, 2))
    cache = tmp_path / "cache"
    (tmp_path / "c.yaml").write_text(
        f"sources:\n  surveys:\n    files: [{folder}]\n    columns: {{responded_at: first_response_at, "
        "score: score, channel: channel}\n", encoding="utf-8")
    cold = _run(run_cli, "csat", "-c", tmp_path / "c.yaml", "--cache", cache)
    assert cold["value"] == pytest.approx(40.0) and cold["n"] == 600
    counted_passes.clear()
    warm = _run(run_cli, "csat", "-c", tmp_path / "c.yaml", "--cache", cache)
    assert warm == cold and counted_passes == []
    # a third month of answers on the same 1–5 scale: the kept answers of the first two decide 1–5, the
    # new file's partial states are computed on it while its answers are counted (one pass), and the
    # whole column decides the same
    _month(folder / "t-2025-03.csv", 3)
    counted_passes.clear()
    grown = _run(run_cli, "csat", "-c", tmp_path / "c.yaml", "--cache", cache)
    assert counted_passes == ["t-2025-03.csv"]
    assert grown == _run(run_cli, "csat", "-c", tmp_path / "c.yaml") and grown["n"] == 900


def test_a_new_file_that_changes_the_decided_scale_reads_every_file_again(tmp_path, run_cli, counted_passes):
    # two months of 1–5 answers, then a month of i % 11 for i < 300 (300 = 27 × 11 + 3: residues 0, 1, 2
    # 28 times, the others 27): 600 + (28 + 28 + 27 + 27 + 27) = 737 of 900 fit 1–5, under 95 %, and
    # 900 − 28 zeros = 872 (96.9 %) fit 1–10, so csat's note now says 1–10: its decision changes, and
    # every file's partial states are computed again
    folder = tmp_path / "exports"
    folder.mkdir()
    for m, score in ((1, lambda i: 1 + i % 5), (2, lambda i: 1 + i % 5), (3, lambda i: i % 11)):
        lines = ["responded_at,score"] + [f"2025-0{m}-03 09:00:00,{score(i)}" for i in range(300)]
        if m < 3:
            (folder / f"s-2025-0{m}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            third = "\n".join(lines) + "\n"
    (tmp_path / "c.yaml").write_text(f"sources:\n  surveys:\n    files: [{folder}]\n", encoding="utf-8")
    cache = tmp_path / "cache"
    before = _run(run_cli, "csat", "-c", tmp_path / "c.yaml", "--cache", cache)
    assert not any("scale" in n for n in before["notes"])
    (folder / "s-2025-03.csv").write_text(third, encoding="utf-8")
    counted_passes.clear()
    grown = _run(run_cli, "csat", "-c", tmp_path / "c.yaml", "--cache", cache)
    # the new file read once on the scale the kept answers decide (1–5) while its answers are counted;
    # the whole column decides 1–10, so every file is read again for its partial states on it
    assert counted_passes == ["s-2025-03.csv", "s-2025-01.csv", "s-2025-02.csv", "s-2025-03.csv"]
    assert "the answers fit a 1–10 scale, not 1–5: --scale 1-10 to read them on it" in grown["notes"]
    assert grown == _run(run_cli, "csat", "-c", tmp_path / "c.yaml")


def test_a_cold_folder_reads_each_survey_file_once_after_the_first_files_answers(tmp_path, run_cli,
                                                                                counted_passes):
    # no cache: the first file's answers are counted (a pass), they decide 1–5, and each file's partial
    # states are computed on it while the other files' answers are counted: 1 + 3 passes, not 3 + 3
    # scores 1 + i % 5: 2 of 5 satisfied → 40 % of 900
    folder = _folder(tmp_path, (1, 2, 3))
    (tmp_path / "c.yaml").write_text(
        f"sources:\n  surveys:\n    files: [{folder}]\n    columns: {{responded_at: first_response_at, "
        "score: score, channel: channel}\n", encoding="utf-8")
    got = _run(run_cli, "csat", "-c", tmp_path / "c.yaml", "--by", "channel")
    assert counted_passes == ["t-2025-01.csv", "t-2025-01.csv", "t-2025-02.csv", "t-2025-03.csv"]
    assert got["value"] == pytest.approx(40.0) and got["n"] == 900


def test_a_cold_folder_whose_later_files_change_the_scale_reads_them_again(tmp_path, run_cli, counted_passes):
    # the first file alone fits 1–5 (scores 1 + i % 5); the two others hold i % 11 (0–10, each value 27 or 28
    # times in 300): 300 + 2 × (28 + 28 + 27 + 27 + 27) = 574 of 900 fit 1–5 (63.8 %, under 95 %) and all 900
    # fit 0–10, so the whole column decides otherwise than the first file: csat reads 1–5 still but notes
    # the 0–10 fit, and every file's partial states are computed again on that decision. The answers of
    # the first pass are not counted again. 4 and 5 satisfied: 120 + 2 × (27 + 27) = 228 of 574
    folder = tmp_path / "exports"
    folder.mkdir()
    rows = {1: lambda i: 1 + i % 5, 2: lambda i: i % 11, 3: lambda i: i % 11}
    whole = ["responded_at,score"]
    for m, score in rows.items():
        lines = [f"2025-0{m}-03 09:00:00,{score(i)}" for i in range(300)]
        (folder / f"s-2025-0{m}.csv").write_text("\n".join(["responded_at,score"] + lines) + "\n", encoding="utf-8")
        whole += lines
    (tmp_path / "all.csv").write_text("\n".join(whole) + "\n", encoding="utf-8")
    guessed = _run(run_cli, "csat", folder)
    assert counted_passes[:4] == ["s-2025-01.csv", "s-2025-01.csv", "s-2025-02.csv", "s-2025-03.csv"]
    assert counted_passes[4:] == ["s-2025-01.csv", "s-2025-02.csv", "s-2025-03.csv"]  # on the new decision
    one = _run(run_cli, "csat", tmp_path / "all.csv")
    for k in ("generated_at", "source", "files", "file", "data"):
        guessed.pop(k, None), one.pop(k, None)
    assert guessed["value"] == one["value"] == pytest.approx(100 * 228 / 574) and guessed["n"] == one["n"] == 574
    assert one["notes"] == [n for n in guessed["notes"] if not n.startswith("read 3 files")]
    assert any("0–10 scale" in n for n in one["notes"])


# --------------------------------------------------------------------------- a folder that several sources name

@pytest.fixture()
def passes_with_sources(monkeypatch):
    """(file, the sources parsed) of each pass over a file, in order."""
    import cxkpi.io.load as load

    passes = []
    real = load._batch_pass

    def spy(path, label, jobs, *a, **k):
        passes.append((path.name, sorted(jobs)))
        return real(path, label, jobs, *a, **k)

    monkeypatch.setattr(load, "_batch_pass", spy)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")
    return passes


def _both_sources(folder, kpis: str) -> str:
    return f"""sources:
  tickets:
    files: [{folder}/*.csv]
  surveys:
    files: [{folder}/*.csv]
    columns: {{responded_at: created_at}}
report:
  kpis: [{kpis}]
kpis:
  frt: {{by: [channel]}}
  csat: {{scale: 1-5, by: [channel]}}
"""


def _results(report: dict) -> dict:
    return {e["kpi"]: e["result"] for e in report["kpis"]}


def test_tickets_and_surveys_from_one_folder_read_each_file_once(tmp_path, run_cli, passes_with_sources):
    folder = _folder(tmp_path, (1, 2, 3), bad=2)
    both = tmp_path / "both.yaml"
    both.write_text(_both_sources(folder, "frt, csat"), encoding="utf-8")
    report = _run(run_cli, "report", "-c", both, "--period", "month")
    # the first file's answers are counted first (CSAT guesses the scale from them), then one pass over
    # each file serves both sources: 4 passes, where each source reading alone took 3 + 4
    assert passes_with_sources == [("t-2025-01.csv", ["surveys"])] + \
        [(f"t-2025-{m:02d}.csv", ["surveys", "tickets"]) for m in (1, 2, 3)]
    got = _results(report)
    # by hand: 900 tickets, one unreadable first response; score = 1 + i % 5, so 4 and 5 (i % 5 = 3, 4)
    # are 2 of every 5 answers: 360 of 900 satisfied
    assert got["frt"]["n"] == 899 and got["frt"]["rows"] == 900
    assert got["csat"]["n"] == 900 and got["csat"]["value"] == pytest.approx(40.0)
    # the same numbers as each source's KPIs computed alone (no shared pass)
    for kpi in ("frt", "csat"):
        alone = tmp_path / f"{kpi}.yaml"
        alone.write_text(_both_sources(folder, kpi), encoding="utf-8")
        passes_with_sources.clear()
        assert _results(_run(run_cli, "report", "-c", alone, "--period", "month"))[kpi] == got[kpi]
        source = "tickets" if kpi == "frt" else "surveys"
        assert passes_with_sources[-3:] == [(f"t-2025-{m:02d}.csv", [source]) for m in (1, 2, 3)]


def test_a_shared_folder_with_cache_then_one_new_file(tmp_path, run_cli, passes_with_sources):
    folder = _folder(tmp_path, (1, 2))
    both = tmp_path / "both.yaml"
    both.write_text(_both_sources(folder, "frt, csat"), encoding="utf-8")
    cache = tmp_path / "cache"
    cold = _run(run_cli, "report", "-c", both, "--cache", cache)
    assert passes_with_sources == [("t-2025-01.csv", ["surveys"])] + \
        [(f"t-2025-{m:02d}.csv", ["surveys", "tickets"]) for m in (1, 2)]
    _month(folder / "t-2025-03.csv", 3)
    passes_with_sources.clear()
    grown = _run(run_cli, "report", "-c", both, "--cache", cache)
    assert passes_with_sources == [("t-2025-03.csv", ["surveys", "tickets"])]
    assert _results(grown) == _results(_run(run_cli, "report", "-c", both))
    assert _results(grown)["frt"]["n"] == 900 and _results(cold)["frt"]["n"] == 600


def test_a_source_that_needs_every_row_reads_alone_and_the_other_still_streams(tmp_path, run_cli,
                                                                                passes_with_sources):
    folder = _folder(tmp_path, (1, 2))
    both = tmp_path / "both.yaml"
    # volume has no statistic: the tickets source is read whole, the surveys source streams alone
    both.write_text(_both_sources(folder, "frt, volume, csat"), encoding="utf-8")
    report = _run(run_cli, "report", "-c", both)
    streamed = [p for p in passes_with_sources if p[1] == ["surveys"]]
    assert streamed == [("t-2025-01.csv", ["surveys"])] + [(f"t-2025-{m:02d}.csv", ["surveys"]) for m in (1, 2)]
    got = _results(report)
    assert got["frt"]["n"] == 600 and got["csat"]["n"] == 600 and got["volume"]["value"] == 600
    for kpi in ("frt", "csat"):
        alone = tmp_path / f"{kpi}.yaml"
        alone.write_text(_both_sources(folder, kpi), encoding="utf-8")
        assert _results(_run(run_cli, "report", "-c", alone))[kpi] == got[kpi]


def test_a_streamed_folder_whose_file_lacks_a_column_names_the_file(tmp_path, run_cli, passes_with_sources):
    folder = _folder(tmp_path, (1, 2, 3))
    second = folder / "t-2025-02.csv"
    second.write_text("\n".join(",".join(line.split(",")[:4]) for line in second.read_text().splitlines()) + "\n")
    code, out, err = run_cli("csat", folder)
    assert code == 2 and out == ""
    assert f"{second}: no column for 'score'" in err and "internal error" not in err
    both = tmp_path / "both.yaml"
    both.write_text(_both_sources(folder, "frt, csat"), encoding="utf-8")
    code, _, err = run_cli("report", "-c", both)
    assert code == 2 and f"{second}: no column for 'score'" in err
    # on_source_error: continue: the surveys source failed, the tickets source's FRT stands (900 tickets)
    both.write_text(_both_sources(folder, "frt, csat").replace("report:\n", "report:\n  on_source_error: continue\n"))
    code, out, err = run_cli("report", "-c", both, "--format", "json")
    report = json.loads(out)
    assert f"{second}: no column for 'score'" in report["failed_sources"]["surveys"]
    got = {e["kpi"]: e for e in report["kpis"]}
    assert got["csat"]["status"] == "failed" and got["frt"]["result"]["n"] == 900
    assert "source failed: surveys" in err


def test_a_new_month_starts_from_the_kept_accumulation_of_the_months_before(tmp_path, run_cli, counted_passes,
                                                                              monkeypatch):
    import cxkpi.stream as stream
    from cxkpi.stream_cache import SUFFIX

    began = []
    real = stream._prefix
    monkeypatch.setattr(stream, "_prefix", lambda *a: (lambda got: began.append(got[0]) or got)(real(*a)))
    folder = _folder(tmp_path, (1, 2, 3), bad=2)
    cache = tmp_path / "cache"
    args = ["frt", folder, "--by", "channel", "--period", "month", "--cache", cache]
    _run(run_cli, *args)
    assert began == [0]  # cold: nothing kept yet
    entries = len(list(cache.glob(f"*{SUFFIX}")))  # 3 pieces and the accumulation of the 3 files
    assert entries == 4
    _month(folder / "t-2025-04.csv", 4)
    counted_passes.clear()
    began.clear()
    grown = _run(run_cli, *args)
    assert began == [3] and counted_passes == ["t-2025-04.csv"]  # the 3 months' accumulation, the new file read
    # the new file's piece is added and the 4 months' accumulation replaces the 3 months' one
    assert len(list(cache.glob(f"*{SUFFIX}"))) == entries + 1
    fresh = _run(run_cli, "frt", folder, "--by", "channel", "--period", "month")
    assert grown == fresh and grown["n"] == 1199
    # its skip still names the file and row (t-2025-02.csv, row 9) from the kept accumulation
    reason = grown["skipped"]["reasons"]["first_response_at: unreadable value"]
    assert reason["rows"] == [{"file": str(folder / "t-2025-02.csv"), "row": 9}]
    began.clear()
    assert _run(run_cli, *args) == fresh and began == [4]


def test_a_lost_accumulation_falls_back_to_the_files_pieces(tmp_path, run_cli, counted_passes):
    folder = _folder(tmp_path, (1, 2))
    cache = tmp_path / "cache"
    args = ["frt", folder, "--by", "channel", "--cache", cache]
    cold = _run(run_cli, *args)
    import numpy as np

    from cxkpi.stream_cache import SUFFIX

    for entry in cache.glob(f"*{SUFFIX}"):  # the accumulation's entry holds the files it covers
        with np.load(entry) as npz:
            if b'"files"' in bytes(npz["json"]):
                entry.write_bytes(b"truncated")
    counted_passes.clear()
    assert _run(run_cli, *args) == cold and counted_passes == []  # the pieces, not the files


def test_a_cached_rerun_reads_no_byte_of_a_settled_folder(tmp_path, run_cli, passes_with_sources, monkeypatch):
    # a file to stream has its quotes counted (an odd count is read whole) in the read that hashes it:
    # once a run for both sources, and a nightly re-run takes both from the cache's note
    import os
    import time

    from cxkpi.io import cache as parsed

    read = []
    real = parsed._read_facts
    monkeypatch.setattr(parsed, "_read_facts", lambda path: read.append(path.name) or real(path))
    monkeypatch.setattr(parsed, "_FACTS", {})
    folder = _folder(tmp_path, (1, 2))
    for m in (1, 2):
        t = time.time() - 60  # settled: written a minute before its hashing
        os.utime(folder / f"t-2025-{m:02d}.csv", (t, t))
    both = tmp_path / "both.yaml"
    both.write_text(_both_sources(folder, "frt, csat"), encoding="utf-8")
    args = ["report", "-c", both, "--cache", tmp_path / "cache"]
    cold = _run(run_cli, *args)
    assert sorted(read) == ["t-2025-01.csv", "t-2025-02.csv"]
    read.clear()
    passes_with_sources.clear()
    monkeypatch.setattr(parsed, "_FACTS", {})  # a new process
    assert _results(_run(run_cli, *args)) == _results(cold)
    assert read == [] and passes_with_sources == []


def test_a_shared_folder_with_a_small_file_parses_it_once_per_source(tmp_path, run_cli, passes_with_sources):
    # February's 5 rows are under one batch: parsed whole for each source, the other months streamed
    folder = tmp_path / "exports"
    folder.mkdir()
    for m, n in ((1, 300), (2, 5), (3, 300)):
        _month(folder / f"t-2025-{m:02d}.csv", m, n=n)
    both = tmp_path / "both.yaml"
    both.write_text(_both_sources(folder, "frt, csat"), encoding="utf-8")
    got = _results(_run(run_cli, "report", "-c", both, "--period", "month"))
    assert passes_with_sources == [("t-2025-01.csv", ["surveys"])] + \
        [(f"t-2025-{m:02d}.csv", ["surveys", "tickets"]) for m in (1, 3)]
    assert got["frt"]["n"] == got["csat"]["n"] == 605
    # 605 answers 1 + i % 5: 2 in 5 satisfied in each 300-row month (240), and of i = 0..4 one 4, one 5
    assert got["csat"]["value"] == pytest.approx(100 * 242 / 605)
    for kpi in ("frt", "csat"):
        alone = tmp_path / f"{kpi}.yaml"
        alone.write_text(_both_sources(folder, kpi), encoding="utf-8")
        assert _results(_run(run_cli, "report", "-c", alone, "--period", "month"))[kpi] == got[kpi]


def test_each_file_is_absorbed_before_the_next_is_read(tmp_path, run_cli, monkeypatch):
    # a folder's run holds its accumulation and one file's pieces: file i is folded into the KPIs'
    # accumulation (and its pieces dropped) before file i + 1 is read, also when --cache fills
    import cxkpi.io.load as load
    import cxkpi.stream as stream

    events = []
    real_pass, real_add = load._batch_pass, stream._Fold.add
    monkeypatch.setattr(load, "_batch_pass", lambda path, *a, **k: events.append(("read", path.name))
                        or real_pass(path, *a, **k))

    def add(self, i, got):
        held = [k for k in got if isinstance(k, tuple)]
        real_add(self, i, got)
        events.append(("absorbed", i, len(held), len([k for k in got if isinstance(k, tuple)])))

    monkeypatch.setattr(stream._Fold, "add", add)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")
    folder = _folder(tmp_path, (1, 2, 3))
    for extra in ([], ["--cache", tmp_path / "cache"]):
        events.clear()
        _run(run_cli, "frt", folder, "--by", "channel", *extra)
        # one piece per file (frt), gone once absorbed
        assert events == [e for m in (1, 2, 3) for e in (("read", f"t-2025-{m:02d}.csv"), ("absorbed", m - 1, 1, 0))]


def test_an_entry_is_read_member_by_member_as_numpy_wrote_it(tmp_path):
    """``_read_npz`` reads each stored member in place; what it cannot (a compressed member, Fortran
    order) goes through ``np.load``: every array comes back as written, dtype and shape included."""
    import numpy as np

    from cxkpi.stream_cache import _read_npz

    arrays = {"a": np.arange(5), "empty": np.zeros(0, np.int16), "column": np.array([1.5, 2.5]).reshape(2, 1),
              "fortran": np.asfortranarray(np.ones((2, 3))), "bytes": np.array(b"xyz"), "text": np.array("héllo"),
              "scalar": np.array(3, np.int32)}
    for save in (np.savez, np.savez_compressed):
        save(tmp_path / "x.npz", **arrays)
        got = _read_npz(tmp_path / "x.npz")
        assert sorted(got) == sorted(arrays)
        for k, v in arrays.items():
            assert got[k].dtype == v.dtype and got[k].shape == v.shape and np.array_equal(got[k], v), k

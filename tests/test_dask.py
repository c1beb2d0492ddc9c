"""--engine dask (issue #16 part 4): a source's files parsed by Dask workers give the local engine's results."""

from __future__ import annotations

import json
import socket
import sys
import warnings

import pytest

distributed = pytest.importorskip("distributed")

from cxkpi.io import distributed as engine  # noqa: E402
from cxkpi.registry import load_all  # noqa: E402

from .conftest import ROOT
from .test_multi_files import KPIS, SETTINGS, _two_months, folders  # noqa: E402,F401 - folders is a fixture


@pytest.fixture(scope="module")
def scheduler():
    """One cluster of two worker processes for the module: each command connects, none starts its own."""
    with warnings.catch_warnings():  # another cluster's port 8787
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield cluster.scheduler_address
    engine.close()
    cluster.close()


def _both(run_cli, scheduler, *args):
    """(local JSON, dask JSON) of the same command."""
    code, local, err = run_cli(*args)
    assert code == 0, err
    code, dask, err = run_cli(*args, "--engine", "dask", "--scheduler", scheduler)
    assert code == 0, err
    return json.loads(local), json.loads(dask)


@pytest.mark.parametrize("kpi", KPIS)
def test_12_monthly_files_give_the_local_engines_result(run_cli, folders, scheduler, kpi):
    args = ["--period", "month", *SETTINGS.get(kpi, []), "-f", "json", "-q"]
    # the first of the KPI's sources whose sample data it computes from (as test_multi_files picks it);
    # the run that finds it is the local result (running it again would compute the same JSON twice)
    for source in [s for s in load_all()[kpi].sources if s in folders]:
        folder, _single = folders[source]
        code, out, err = run_cli(kpi, folder, *args)
        if code == 0:
            break
    assert code == 0, err
    code, out_dask, err = run_cli(kpi, folder, *args, "--engine", "dask", "--scheduler", scheduler)
    assert code == 0, err
    local, dask = json.loads(out), json.loads(out_dask)
    assert local["n"] > 0 and len(local["files"]) == 12  # not vacuous
    assert dask == local  # the whole result: values, groups, skipped rows named by file and row, notes


def test_a_report_over_files_globs(run_cli, folders, scheduler, tmp_path):
    cfg = tmp_path / "cxkpi.yaml"
    cfg.write_text("sources:\n" + "".join(
        f"  {s}:\n    files: [{json.dumps(str(folders[s][0] / '*.csv'))}]\n" for s in ("tickets", "surveys", "calls")))
    local, dask = _both(run_cli, scheduler, "report", "-c", cfg, "--period", "month", "-f", "json", "-q")
    computed = [k["kpi"] for k in local["kpis"]]
    assert {"frt", "nps", "csat", "aht"} <= set(computed)  # not vacuous: the three sources' KPIs are there
    assert all(len(k["result"]["files"]) == 12 for k in local["kpis"])
    local.pop("generated_at", None), dask.pop("generated_at", None)
    assert dask == local


def test_a_computed_column_is_bound_on_the_worker(run_cli, scheduler, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text("Ticket,Date,Time,First Reply\nT1,2025-03-03,09:00,2025-03-03 09:30\n")
    (folder / "b.csv").write_text("Ticket,Date,Time,First Reply\nT2,2025-03-04,10:15,2025-03-04 11:15\n")
    args = ["frt", folder, "--map", 'created_at==Date + " " + Time', "--map", "first_response_at=First Reply",
            "-f", "json", "-q"]
    local, dask = _both(run_cli, scheduler, *args)
    assert dask == local and dask["value"] == 45.0  # T1 30 min, T2 60 min: (30 + 60) / 2


def test_one_file_is_one_task(run_cli, folders, scheduler):
    _folder, single = folders["tickets"]
    local, dask = _both(run_cli, scheduler, "frt", single, "-f", "json", "-q")
    assert dask == local and local["n"] > 0 and "files" not in dask


def test_the_error_is_the_first_failing_file_in_path_order(run_cli, scheduler, tmp_path):
    folder = _two_months(tmp_path)
    for name in ("tickets-2025-07.csv", "tickets-2025-08.csv"):  # both lack first_response_at
        (folder / name).write_text("Ticket ID,Created At\nC1,2025-07-01 09:00\n")
    code, _out, local = run_cli("frt", folder)
    assert code == 2 and "tickets-2025-07.csv: no column for 'first_response_at'" in local
    code, _out, dask = run_cli("frt", folder, "--engine", "dask", "--scheduler", scheduler)
    assert code == 2 and dask == local


def test_progress_counts_files_parsed(folders, scheduler, capsys):
    from cxkpi.io.files import file_set, load_source
    from cxkpi.io.load import LoadOptions

    paths = file_set([str(folders["tickets"][0])])
    data = load_source(paths, "tickets", ["created_at", "first_response_at"],
                       LoadOptions(engine="dask", scheduler=scheduler, progress=True))
    assert len(data.parts) == 12
    err = capsys.readouterr().err
    assert "parsed 1 of 12 files" in err and err.endswith("parsed 12 of 12 files\n")


def test_without_the_extra_a_one_line_error(run_cli, folders, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` raises ImportError
    code, out, err = run_cli("frt", folders["tickets"][0], "--engine", "dask")
    # tests run from a source checkout, so the hint names the checkout's extra
    assert (code, out) == (1, "")
    assert err == "cxkpi: error: --engine dask needs the distributed extra: pip install \".[distributed]\"\n"


def test_an_unreachable_scheduler_is_a_one_line_error(run_cli, folders, monkeypatch):
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", 1)
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    code, out, err = run_cli("frt", folders["tickets"][0], "--engine", "dask", "--scheduler", address)
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith(f"cxkpi: error: --scheduler {address}: no Dask scheduler answered within 1 s")
    assert "dask scheduler" in err  # the way out


@pytest.mark.parametrize("args, message", [
    (["--engine", "spark"], "--engine 'spark': expected local (the default) or dask"),
    (["--scheduler", "tcp://h:8786"], "--scheduler tcp://h:8786: a Dask scheduler is used with --engine dask"),
])
def test_bad_engine_flags(run_cli, folders, args, message):
    code, _out, err = run_cli("frt", folders["tickets"][0], *args)
    assert code == 2 and err.count("\n") == 1 and message in err
    code, _out, err = run_cli("report", "-c", ROOT / "config.example.yaml", *args)
    assert code == 2 and message in err


@pytest.mark.parametrize("kpi", ["frt", "fcr"])
def test_large_files_are_reduced_to_partials_on_the_workers(run_cli, folders, scheduler, kpi, monkeypatch):
    # batches of 4 KB make every monthly sample file one to stream: each file's partial states are
    # computed by a task on a worker (cxkpi.stream._task) and merged here; the result is the local one
    import cxkpi.stream as stream

    folder, _ = folders["tickets"]
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "4096")
    kinds = []
    real = engine.map_files
    monkeypatch.setattr(engine, "map_files", lambda task, items, *a, **k: kinds.append(
        (task is stream._task, [t[2] for t in items])) or real(task, items, *a, **k))
    local, dask = _both(run_cli, scheduler, kpi, folder, "--by", "channel", "--period", "month", "-f", "json", "-q")
    assert local["n"] > 0 and dask == local
    assert kinds == [(True, ["pieces"] * 12)]  # one task per file, for its partial states


def test_a_survey_kpi_gathers_its_answers_on_the_workers_first(run_cli, scheduler, tmp_path, monkeypatch):
    # three monthly files of 300 answers 1 + i % 5: 4 and 5 are satisfied, 2 in 5: 40 %. The first file's
    # answers decide the scale (a task), then each file's pieces are computed on it (3 tasks), the second's
    # and third's counting their answers in the same pass (the first's are known)
    import cxkpi.stream as stream

    from .test_stream_cache import _month

    folder = tmp_path / "exports"
    folder.mkdir()
    for m in (1, 2, 3):
        _month(folder / f"s-2025-{m:02d}.csv", m)
    (tmp_path / "c.yaml").write_text(
        f"sources:\n  surveys:\n    files: [{folder}]\n    columns: {{responded_at: first_response_at, "
        "score: score, channel: channel}\n", encoding="utf-8")
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")
    kinds = []
    real = engine.map_files
    monkeypatch.setattr(engine, "map_files", lambda task, items, *a, **k: kinds.append(
        (task is stream._task, [(t[2], bool(t[4])) for t in items])) or real(task, items, *a, **k))
    local, dask = _both(run_cli, scheduler, "csat", "-c", tmp_path / "c.yaml", "--by", "channel", "-f", "json", "-q")
    assert dask == local and local["value"] == pytest.approx(40.0) and local["n"] == 900
    assert kinds == [(True, [("answers", False)]), (True, [("pieces", False), ("pieces", True), ("pieces", True)])]


def test_a_folder_of_tickets_and_their_answers_is_one_task_per_file(run_cli, scheduler, tmp_path, monkeypatch):
    # tickets and surveys name the same 3 files: after the first file's answers (a task), one task per
    # file computes both sources' pieces (as the local engine reads each file once for both)
    import cxkpi.stream as stream

    from .test_stream_cache import _both_sources, _month

    folder = tmp_path / "exports"
    folder.mkdir()
    for m in (1, 2, 3):
        _month(folder / f"t-2025-{m:02d}.csv", m)
    (tmp_path / "c.yaml").write_text(_both_sources(folder, "frt, csat"), encoding="utf-8")
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")
    kinds = []
    real = engine.map_files
    monkeypatch.setattr(engine, "map_files", lambda task, items, *a, **k: kinds.append(
        [(t[2], sorted(t[1])) for t in items] if task is stream._task else "parsed") or real(task, items, *a, **k))
    local, dask = _both(run_cli, scheduler, "report", "-c", tmp_path / "c.yaml", "-f", "json")
    for report in (local, dask):
        report.pop("generated_at")
    assert dask == local and {e["kpi"]: e["result"]["n"] for e in local["kpis"]} == {"frt": 900, "csat": 900}
    both = ["surveys", "tickets"]
    assert kinds == [[("answers", both)], [("pieces", both)] * 3]


def test_a_kpi_without_a_statistic_still_has_its_files_parsed_on_the_workers(run_cli, folders, scheduler,
                                                                           monkeypatch):
    import cxkpi.io.load as load

    folder, _ = folders["tickets"]
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "4096")
    tasks = []
    real = engine.map_files
    monkeypatch.setattr(engine, "map_files", lambda task, items, *a, **k: tasks.append(
        getattr(task, "func", None) is load.load_source) or real(task, items, *a, **k))
    local, dask = _both(run_cli, scheduler, "volume", folder, "--period", "month", "-f", "json", "-q")
    assert dask == local and tasks == [True]  # volume windows its own periods: its files parsed remotely


def test_a_folder_of_tickets_and_their_answers_with_a_small_file(run_cli, scheduler, tmp_path, monkeypatch):
    # February's 5 rows are under one batch: it is parsed whole (no stream, no path of its own to hand a
    # worker), the other months are tasks; the result is the local engine's: 605 tickets and answers
    from .test_stream_cache import _both_sources, _month

    folder = tmp_path / "exports"
    folder.mkdir()
    for m, n in ((1, 300), (2, 5), (3, 300)):
        _month(folder / f"t-2025-{m:02d}.csv", m, n=n)
    (tmp_path / "c.yaml").write_text(_both_sources(folder, "frt, csat"), encoding="utf-8")
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")
    local, dask = _both(run_cli, scheduler, "report", "-c", tmp_path / "c.yaml", "-f", "json")
    local.pop("generated_at", None), dask.pop("generated_at", None)
    assert dask == local
    got = {e["kpi"]: e["result"] for e in local["kpis"]}
    assert got["frt"]["n"] == got["csat"]["n"] == 605


def test_results_are_handed_on_in_path_order_and_not_kept(scheduler):
    # a folder's partial states are folded as they arrive: ready(i, result) in path order, none returned
    got = []
    paths = [f"file-{i:02d}" for i in range(12)]
    parts = engine.map_files(str.upper, paths, scheduler, False, ready=lambda i, r: got.append((i, r)))
    assert got == [(i, p.upper()) for i, p in enumerate(paths)] and parts == [None] * 12
    assert engine.map_files(str.upper, paths[:2], scheduler, False) == ["FILE-00", "FILE-01"]

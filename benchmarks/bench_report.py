"""The ticket report, cxkpi beside DuckDB on the same generated export.

    pip install -e ".[bench]"                     # adds duckdb (a benchmark dependency only)
    python benchmarks/bench_report.py              # 100k and 1M rows, 3 alternating runs each
    python benchmarks/bench_report.py --rows 100000 1000000 10000000 --runs 3
    python benchmarks/bench_report.py --rows 100000 --files 12 1000000   # + 12 monthly files, --cache re-run
    python benchmarks/bench_report.py --rows --files 12 5000000 --keep DIR   # only the several-files case

The reference export has 14 columns (~170 bytes a row), a fixed seed, naive
``YYYY-MM-DD HH:MM:SS`` timestamps, ~3 % unanswered and ~6 % open tickets.
The report is FRT (mean and median), resolution time (mean), one-touch FCR
and CSAT (4–5 of 1–5), by channel × month plus the total. Each engine runs as
its own subprocess, alternately, so both see the same cache state; wall time
is measured around the child, CPU time and peak RSS come from its rusage
(``os.wait4``; the CPU includes the processes it forked). cxkpi reads a large
file's parts in forked processes, one a core: its memory is the larger of its
own peak RSS and the sampled peak of all its processes' PSS together, and it is
also run in one process (``CXKPI_JOBS=1``), which holds less. The numbers of both engines are compared (1e-6 relative) and
the script exits 1 when they disagree. Data lives in a temp folder that is
deleted at the end (``--keep DIR`` keeps it, and a later run with the same
``DIR`` reuses its files; generating 1M rows takes ~2 s of CPU, the several
files are written by two processes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261202
CHANNELS = np.array(["email", "web", "chat", "phone"])
TEAMS = np.array(["Billing", "Technical", "Onboarding", "Accounts"])
PRIORITIES = np.array(["low", "normal", "high", "urgent"])
TOPICS = np.array(["billing", "login", "bug", "shipping", "refund", "other"])
HEADER = ("Ticket ID,Created At,First Response At,Resolved At,Status,Channel,Agent,Team,"
          "Priority,Topic,Agent Replies,Reopens,Satisfaction,Customer ID")

CONFIG = """\
sources:
  tickets:
    file: {file}
    columns:
      ticket_id: Ticket ID
      created_at: Created At
      first_response_at: First Response At
      resolved_at: Resolved At
      status: Status
      channel: Channel
      agent_replies: Agent Replies
      reopens: Reopens
  surveys:
    file: {file}
    columns:
      responded_at: Resolved At
      score: Satisfaction
      channel: Channel
report:
  kpis: [frt, resolution, fcr, csat]
kpis:
  frt: {{by: [channel]}}
  resolution: {{by: [channel]}}
  fcr: {{by: [channel]}}
  csat: {{scale: 1-5, satisfied_min: 4, by: [channel]}}
"""

# The same definitions in SQL. FRT/resolution: minutes from created to the
# event, negative or unreadable rows skipped. FCR: resolved tickets with
# agent_replies <= 1 and reopens = 0. CSAT: share of answers 4-5 among 1-5,
# by the month of the survey's timestamp (the resolution time here).
SQL = """
CREATE VIEW t AS SELECT * FROM read_csv('{file}', header=true, timestampformat='%Y-%m-%d %H:%M:%S',
  types={{'Created At':'TIMESTAMP','First Response At':'TIMESTAMP','Resolved At':'TIMESTAMP',
          'Agent Replies':'BIGINT','Reopens':'BIGINT','Satisfaction':'BIGINT'}});
CREATE VIEW m AS SELECT "Channel" AS channel,
  strftime("Created At", '%Y-%m') AS period, strftime("Resolved At", '%Y-%m') AS rperiod,
  date_diff('second', "Created At", "First Response At") / 60.0 AS frt,
  date_diff('second', "Created At", "Resolved At") / 60.0 AS res,
  CASE WHEN "Resolved At" IS NOT NULL THEN ("Agent Replies" <= 1 AND "Reopens" = 0)::INT END AS fcr,
  "Satisfaction" AS score FROM t;
SELECT 'frt' AS kpi, channel, period, avg(frt) AS value, median(frt) AS median, count(frt) AS n
  FROM m WHERE frt >= 0 GROUP BY GROUPING SETS ((channel, period), ());
SELECT 'resolution', channel, period, avg(res), median(res), count(res)
  FROM m WHERE res >= 0 GROUP BY GROUPING SETS ((channel, period), ());
SELECT 'fcr', channel, period, 100.0 * avg(fcr), NULL, count(fcr)
  FROM m WHERE fcr IS NOT NULL GROUP BY GROUPING SETS ((channel, period), ());
SELECT 'csat', channel, rperiod, 100.0 * avg((score >= 4)::INT), NULL, count(score)
  FROM m WHERE score BETWEEN 1 AND 5 GROUP BY GROUPING SETS ((channel, rperiod), ());
"""

# The floor: pyarrow's typed read of the 7 columns the report needs, nothing computed.
FLOOR = """
import sys
import pyarrow as pa, pyarrow.csv as pc
cols = ["Created At", "First Response At", "Resolved At", "Channel", "Agent Replies", "Reopens", "Satisfaction"]
types = {"Created At": pa.timestamp("s"), "First Response At": pa.timestamp("s"), "Resolved At": pa.timestamp("s"),
         "Channel": pa.string(), "Agent Replies": pa.int64(), "Reopens": pa.int64(), "Satisfaction": pa.int64()}
t = pc.read_csv(sys.argv[1], convert_options=pc.ConvertOptions(include_columns=cols, column_types=types,
                                                                timestamp_parsers=["%Y-%m-%d %H:%M:%S"]))
print(t.num_rows)
"""

DUCK = """
import duckdb, json, sys
con = duckdb.connect()
rows = []
for stmt in sys.argv[1].split(';'):
    if stmt.strip():
        cur = con.execute(stmt)
        if stmt.strip().upper().startswith('SELECT'):
            rows += [list(r) for r in cur.fetchall()]
json.dump(rows, open(sys.argv[2], 'w'), default=str)
"""


def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _fmt(ts: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS``: a seconds timestamp cast to text (the same text as ``strftime``, which
    is 25× slower); NaT becomes a null, which the join writes as an empty cell. Built from the int64
    view, as ``pa.array`` of datetime64 takes longer than the cast."""
    seconds = pa.array(ts.astype("datetime64[s]").view(np.int64), mask=np.isnat(ts))
    return pc.cast(seconds.view(pa.timestamp("s")), pa.string())


def _pick(values: np.ndarray, rng: np.random.Generator, k: int) -> pa.Array:
    """``rng.choice(values, k)`` with the same draw (choice of an array draws its indices)."""
    return pc.take(pa.array(values), rng.choice(len(values), k))


def generate(path: Path, rows: int, seed: int = SEED, chunk: int = 1_000_000) -> None:
    """Write the reference export in chunks, so 10M rows need no 10M-row arrays of strings.

    The text is built by pyarrow's kernels (numpy's string functions took ~18 s of CPU a million
    rows); the draws and their order are those of the numpy version, so the files are the same bytes.
    It is written to ``path.part`` and renamed, so a killed run leaves no short file that
    ``--keep`` would reuse."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-01T00:00:00", "s")
    part = path.with_name(path.name + ".part")
    with open(part, "wb") as out:
        out.write((HEADER + "\n").encode())
        for base in range(0, rows, chunk):
            k = min(chunk, rows - base)
            created = start + rng.integers(0, 365 * 86400, k).astype("timedelta64[s]")
            frt = np.exp(rng.normal(np.log(7200), 1.3, k)).astype(np.int64)
            res = frt + np.exp(rng.normal(np.log(72000), 1.1, k)).astype(np.int64)
            unanswered = rng.random(k) < 0.03
            open_ = unanswered | (rng.random(k) < 0.06)
            first = np.where(unanswered, np.datetime64("NaT"), created + frt.astype("timedelta64[s]"))
            resolved = np.where(open_, np.datetime64("NaT"), created + res.astype("timedelta64[s]"))
            no_score = open_ | (rng.random(k) < 0.7)
            score = pc.if_else(pa.array(no_score), "", _text(rng.integers(1, 6, k)))
            cols = [
                pc.binary_join_element_wise("T", _text(base + np.arange(k)), ""), _fmt(created), _fmt(first),
                _fmt(resolved), pc.if_else(pa.array(open_), "open", "solved"), _pick(CHANNELS, rng, k),
                pc.binary_join_element_wise("Agent ", _text(rng.integers(1, 60, k)), ""), _pick(TEAMS, rng, k),
                _pick(PRIORITIES, rng, k), _pick(TOPICS, rng, k), _text(rng.integers(0, 5, k)),
                pc.if_else(pa.array(rng.random(k) < 0.08), "1", "0"), score,
                pc.binary_join_element_wise("C", _text(rng.integers(1, 50_000, k)), "\n", ""),
            ]
            lines = pc.binary_join_element_wise(*cols, ",", null_handling="replace", null_replacement="")
            offsets = np.frombuffer(lines.buffers()[1], np.int32, k + 1, lines.offset * 4)
            out.write(memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]])
    os.replace(part, path)


# Linux counts a forked child's inherited pages in its peak RSS (ru_maxrss), so a child forked from
# this script (numpy, the generator's arrays) would report at least this script's size. Each timed
# command is therefore forked from a fresh, tiny launcher (python -S, ~10 MB), which reports the
# child's wall time and rusage on its last stderr line.
LAUNCH = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
# the child's own processes (Dask workers): their peak RSS, sampled from /proc while the child runs
peaks = {}
def tree(root):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    kids.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(d))
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            out.append(k)
            todo.append(k)
    return out
# and the memory of the child and all its processes together (cxkpi's forked readers of a file's parts):
# the sum of their proportional set sizes (a page two processes share counts half in each), sampled
together = 0.0
def pss(p):
    try:
        with open(f"/proc/{p}/smaps_rollup") as f:
            return sum(int(l.split()[1]) for l in f if l.startswith("Pss:")) / 1024
    except OSError:
        return 0.0
while True:
    done, status, ru = os.wait4(pid, os.WNOHANG)
    if done:
        break
    kids = tree(pid)
    for p in kids:
        try:
            with open(f"/proc/{p}/status") as f:
                hwm = [int(l.split()[1]) for l in f if l.startswith("VmHWM")]
            if hwm:
                peaks[p] = max(peaks.get(p, 0), hwm[0] / 1024)
        except OSError:
            pass
    together = max(together, pss(pid) + sum(pss(p) for p in kids))
    time.sleep(0.2)
sys.stderr.write("\\n" + json.dumps([time.perf_counter() - t0, ru.ru_utime + ru.ru_stime,
                                      ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status),
                                      max(peaks.values(), default=0), together]) + "\\n")
"""


def _run(cmd: list[str], env: dict | None = None, workers: bool = False):
    """Wall seconds, CPU seconds (user + system, with the processes it forked and waited for) and peak
    memory in MB of one command: its own peak RSS, or the sampled peak of all its processes together
    (PSS) when that is larger (cxkpi reading a file's parts in forked processes). ``workers``: also the
    largest peak RSS of one of the processes it started (a Dask worker's; not in the CPU time)."""
    proc = subprocess.run([sys.executable, "-S", "-c", LAUNCH, *cmd], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=env)
    err = proc.stderr.decode(errors="replace")
    wall, cpu, rss, code, worker, together = json.loads(err.strip().splitlines()[-1])
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{err[-2000:]}")
    rss = rss if workers else max(rss, together)
    return (wall, cpu, rss, worker, together) if workers else (wall, cpu, rss)


def _cxkpi_values(report: dict) -> dict:
    """(kpi, channel, period) -> (value, median, n) from cxkpi's report JSON."""
    out = {}
    for item in report["kpis"]:
        res = item.get("result")
        if not res:
            continue
        for g in res["groups"]:
            keys = g.get("key") or {}
            out[(res["kpi"], keys.get("channel"), keys.get("period"))] = (
                g.get("value"), (g.get("breakdown") or {}).get("median"), g.get("n"))
        out[(res["kpi"], None, None)] = (res.get("value"), (res.get("breakdown") or {}).get("median"), res.get("n"))
    return out


def _duck_values(rows: list) -> dict:
    return {(k, c, p): (v, m, n) for k, c, p, v, m, n in rows}


def compare(cx: dict, duck: dict) -> list[str]:
    bad = []
    for key, (v, m, n) in duck.items():
        got = cx.get(key)
        if got is None:
            bad.append(f"{key}: missing in cxkpi")
            continue
        if got[2] != n:
            bad.append(f"{key}: n {got[2]} vs {n}")
        for a, b, what in ((got[0], v, "value"), (got[1], m, "median")):
            if b is not None and (a is None or not math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)):
                bad.append(f"{key}: {what} {a} vs {b}")
    return bad


FILES_CONFIG = CONFIG.replace("    file: {file}", "    files: [{glob}]")


def _gen_month(path: Path, rows: int, month: int) -> None:
    """One month's export: the reference generator with its own seed (file ``month`` of a year)."""
    generate(path, rows, seed=SEED + month)


def several_files(work: Path, files: int, rows: int, env: dict, engines: list[str], quick: bool = False) -> list[str]:
    """A folder of ``files`` exports of ``rows`` each, the nightly case: a cold report, a cold report
    that fills ``--cache``, one more file, and the cached re-run that parses that file only."""
    folder = work / f"months_{files}x{rows}"
    folder.mkdir(exist_ok=True)
    # a file already there (--keep) is complete: generate() renames a file into place when it is written
    todo = [(folder / f"tickets-{m + 1:02d}.csv", m) for m in range(files)]
    todo = [(p, m) for p, m in todo if not p.exists()]
    if todo:  # a file's bytes depend on its seed only, so two processes write the same files as one
        with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1, len(todo))) as pool:
            list(pool.map(_gen_month, [p for p, _ in todo], [rows] * len(todo), [m for _, m in todo]))
    cfg = work / f"files_{files}x{rows}.yaml"
    cfg.write_text(FILES_CONFIG.format(glob=str(folder / "tickets-*.csv")), encoding="utf-8")
    cache = work / f"cache_{files}x{rows}"
    shutil.rmtree(cache, ignore_errors=True)
    size_gb = sum(p.stat().st_size for p in folder.glob("tickets-*.csv")) / 1e9
    out = work / "files_out.json"
    base = [sys.executable, "-m", "cxkpi", "report", "-c", str(cfg), "--period", "month", "--format", "json",
            "--output", str(out)]
    lines = [f"| {files} files × {rows:,} rows ({size_gb:.2f} GB) | wall | of the cold run | CPU (client) "
             "| peak RSS (client) | peak RSS (a worker) | all processes together (PSS) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    walls: list[float] = []

    def row(label: str, cmd: list[str]) -> dict:
        wall, cpu, rss, worker, together = _run(cmd, env, workers=True)
        walls.append(wall)
        lines.append(f"| {label} | {wall:.1f} s | {wall / walls[0]:.3f}× | {cpu:.1f} s | {rss:.0f} MB "
                     f"| {f'{worker:.0f} MB' if worker else '–'} | {together:.0f} MB |")
        print(lines[-1], file=sys.stderr, flush=True)
        data = json.loads(out.read_text())
        data.pop("generated_at", None)
        return data

    if quick:  # the cold run fills the cache; the re-run is checked by the tests, not here
        cold = row("cold, local engine, filling --cache", base + ["--cache", str(cache)])
    else:
        cold = row("cold, local engine", base)
    for engine in engines:
        if engine != "local":
            got = row(f"cold, --engine {engine} (2 local workers)", base + ["--engine", engine])
            lines[-1] += "" if got == cold else " **results differ**"
    if not quick:
        row("cold, filling --cache", base + ["--cache", str(cache)])
    extra = folder / f"tickets-{files + 1:02d}.csv"
    _gen_month(extra, rows, files)
    try:
        warm = row("one new file, --cache", base + ["--cache", str(cache)])
        if not quick:
            again = row("one new file, no cache (the same rows)", base)
            lines[-2] += "" if warm == again else " **results differ**"
    finally:
        extra.unlink()
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000],
                    help="rows of each one-file case (default 100000 1000000); --rows alone: none")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    ap.add_argument("--files", type=int, nargs=2, metavar=("N", "ROWS"),
                    help="also the several-files case: N monthly files of ROWS rows, cold, cached, one new file")
    ap.add_argument("--engines", nargs="+", default=["local"], help="engines for --files (local, dask)")
    ap.add_argument("--quick", action="store_true",
                    help="--files: the cold local run fills the cache, no run without it after the new file "
                         "(3 runs instead of 5; for 12 x 5M rows)")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="cxkpi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    # an installed cxkpi has its bytecode compiled by pip; this checkout's is compiled here once, or a
    # PYTHONDONTWRITEBYTECODE=1 environment would time ~0.3 s of compiling the source in every run
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "cxkpi")], check=True, env=env)
    failed = False
    table = ["| rows (file) | DuckDB SQL | pyarrow typed read (floor) | cxkpi report | wall ratio | memory ratio "
             "| cxkpi in one process (CXKPI_JOBS=1) | agree |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    try:
        for rows in args.rows:
            data = work / f"tickets_{rows}.csv"
            if not data.exists():
                generate(data, rows)
            size_mb = data.stat().st_size / 1e6
            cfg = work / f"bench_{rows}.yaml"
            cfg.write_text(CONFIG.format(file=data), encoding="utf-8")
            out_cx, out_duck = work / f"cx_{rows}.json", work / f"duck_{rows}.json"
            cx_cmd = [sys.executable, "-m", "cxkpi", "report", "-c", str(cfg), "--period", "month", "--format", "json", "--output", str(out_cx)]
            duck_cmd = [sys.executable, "-c", DUCK, SQL.format(file=data), str(out_duck)]
            floor_cmd = [sys.executable, "-c", FLOOR, str(data)]
            runs: dict[str, list] = {"duck": [], "floor": [], "cx": [], "one": []}
            one_env = dict(env, CXKPI_JOBS="1")
            for _ in range(args.runs):
                runs["duck"].append(_run(duck_cmd))
                runs["floor"].append(_run(floor_cmd))
                runs["cx"].append(_run(cx_cmd, env))
                runs["one"].append(_run(cx_cmd, one_env))  # writes out_cx too: the same numbers, checked below
            bad = compare(_cxkpi_values(json.loads(out_cx.read_text())), _duck_values(json.loads(out_duck.read_text())))
            failed |= bool(bad)
            best = {k: min(v, key=lambda r: r[0]) for k, v in runs.items()}
            peak = {k: max(r[2] for r in v) for k, v in runs.items()}
            d, c, f, o = best["duck"], best["cx"], best["floor"], best["one"]
            table.append(
                f"| {rows:,} ({size_mb:.0f} MB) | {d[0]:.2f} s wall, {d[1]:.2f} s CPU / {peak['duck']:.0f} MB "
                f"| {f[0]:.2f} s wall, {f[1]:.2f} s CPU / {peak['floor']:.0f} MB "
                f"| {c[0]:.2f} s wall, {c[1]:.2f} s CPU / {peak['cx']:.0f} MB "
                f"| {c[0] / d[0]:.2f}× | {peak['cx'] / peak['duck']:.2f}× "
                f"({peak['cx'] / size_mb:.2f}× file) "
                f"| {o[0]:.2f} s wall, {o[1]:.2f} s CPU / {peak['one']:.0f} MB: {o[0] / d[0]:.2f}×, "
                f"{peak['one'] / peak['duck']:.2f}× ({peak['one'] / size_mb:.2f}× file) | {'yes' if not bad else 'NO'} |")
            for line in bad[:20]:
                print("disagree:", line, file=sys.stderr)
            print(table[-1], file=sys.stderr, flush=True)
        if args.files:
            files_table = several_files(work, args.files[0], args.files[1], env, args.engines, args.quick)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.rows:
        print("\n".join(table))
    if args.files:
        print("\n" if args.rows else "", end="")
        print("\n".join(files_table))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

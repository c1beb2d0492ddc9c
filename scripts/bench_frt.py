"""Time ``cxkpi frt`` with business hours on a generated export of 1,000,000 tickets.

    python scripts/bench_frt.py                 # 1,000,000 tickets in bench_data/ (gitignored)
    python scripts/bench_frt.py --rows 200000 --runs 3 --out /tmp/cxkpi-bench

The export is made with numpy from a fixed seed (same file every time) and
looks like the sample tickets.csv: 16 columns, naive "YYYY-MM-DD HH:MM:SS"
timestamps, ~3% unanswered, a few bad rows. Each run is the whole CLI in a
subprocess (``python -m cxkpi frt FILE --business-hours ... --holidays DE
--timezone Europe/Berlin --by channel --format json``) from this checkout;
wall time is measured around the subprocess and peak memory is that child's
max RSS (``os.wait4``'s rusage, i.e. ``RUSAGE_CHILDREN`` for one child).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SEED = 20250601
CHANNELS = np.array(["email", "web", "chat", "phone"])
PRIORITIES = np.array(["low", "normal", "high", "urgent"])
TEAMS = np.array(["Billing", "Technical", "Onboarding", "Accounts"])
TOPICS = np.array(["billing", "login", "bug", "shipping", "refund", "onboarding", "feature request", "other"])


def _fmt(ns: np.ndarray) -> np.ndarray:
    """datetime64 -> 'YYYY-MM-DD HH:MM:SS' strings ('' for NaT), vectorised."""
    out = np.datetime_as_string(ns.astype("datetime64[s]"), unit="s")
    out = np.char.replace(out, "T", " ")
    return np.where(np.isnat(ns), "", out)


def generate(path: Path, rows: int, seed: int = SEED) -> None:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "s")
    span = 365 * 24 * 3600
    created = start + rng.integers(0, span, rows).astype("timedelta64[s]")
    frt_s = np.exp(rng.normal(np.log(2 * 3600), 1.3, rows)).astype(np.int64)
    first = created + frt_s.astype("timedelta64[s]")
    res_s = frt_s + np.exp(rng.normal(np.log(20 * 3600), 1.1, rows)).astype(np.int64)
    resolved = created + res_s.astype("timedelta64[s]")
    unanswered = rng.random(rows) < 0.03
    first = np.where(unanswered, np.datetime64("NaT"), first)
    open_ = rng.random(rows) < 0.06
    resolved = np.where(open_ | unanswered, np.datetime64("NaT"), resolved)
    created_txt = _fmt(created)
    bad = rng.random(rows) < 0.0005  # a few unreadable dates and negative durations
    created_txt = np.where(bad & (rng.random(rows) < 0.5), "not a date", created_txt)
    first_txt = np.where(bad & ~unanswered & (rng.random(rows) < 0.5),
                         _fmt(created - np.timedelta64(3600, "s")), _fmt(first))
    replies = rng.integers(0, 8, rows)
    reopens = np.where(rng.random(rows) < 0.08, rng.integers(1, 4, rows), 0)
    frame = pd.DataFrame({
        "Ticket ID": np.char.add("T", np.char.zfill(np.arange(1, rows + 1).astype(str), 7)),
        "Created At": created_txt,
        "First Response At": first_txt,
        "Resolved At": _fmt(resolved),
        "Status": np.where(np.isnat(resolved), "open", "solved"),
        "Channel": CHANNELS[rng.integers(0, 4, rows)],
        "Agent": np.char.add("Agent ", rng.integers(1, 60, rows).astype(str)),
        "Team": TEAMS[rng.integers(0, 4, rows)],
        "Priority": PRIORITIES[rng.choice(4, rows, p=[0.2, 0.55, 0.18, 0.07])],
        "Topic": TOPICS[rng.integers(0, len(TOPICS), rows)],
        "Tags": "",
        "Agent Replies": replies,
        "Reopens": reopens,
        "Contacts": 1 + reopens,
        "Handle Seconds": rng.integers(60, 3600, rows),
        "Customer ID": np.char.add("C", rng.integers(1, 50_000, rows).astype(str)),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)


def run_once(args: list[str]) -> tuple[float, float, float, dict]:
    """(wall seconds, CPU seconds, peak MB, parsed JSON) of one CLI run in a fresh subprocess.

    ``os.wait4`` returns the rusage of that one child (what ``RUSAGE_CHILDREN``
    would report if it were the only child), so every run gets its own peak.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            sys.exit(f"bench: cxkpi failed ({proc.returncode}): {err.read().decode().strip()}")
        cpu = usage.ru_utime + usage.ru_stime  # less sensitive than wall time to other load on the machine
        return seconds, cpu, usage.ru_maxrss / 1024, json.loads(out.read())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench_data")
    ap.add_argument("--business-hours", default="Mon-Fri 09:00-17:00")
    ap.add_argument("--holidays", default="DE")
    ap.add_argument("--profile", action="store_true", help="also write a cProfile of one in-process run")
    opts = ap.parse_args(argv)

    path = opts.out / f"tickets_{opts.rows}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, opts.rows)
        print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    else:
        print(f"using {path} ({path.stat().st_size / 1e6:.0f} MB)")

    base = [sys.executable, "-m", "cxkpi", "frt", str(path), "--timezone", "Europe/Berlin",
            "--map", "created_at=Created At", "--map", "first_response_at=First Response At",
            "--by", "channel", "--format", "json", "--quiet"]
    cases = {
        "calendar time": base,
        "business hours": base + ["--business-hours", opts.business_hours, "--holidays", opts.holidays],
    }
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cxkpi", "--version"], cwd=ROOT, capture_output=True, check=True)
    print(f"start-up (cxkpi --version): {time.perf_counter() - t0:.2f} s")
    for name, args in cases.items():
        runs = [run_once(args) for _ in range(opts.runs)]
        times = sorted(r[0] for r in runs)
        cpu = min(r[1] for r in runs)
        peak = max(r[2] for r in runs)
        result = runs[-1][3]
        print(f"{name}: {opts.rows:,} rows, wall best {times[0]:.2f} s / median {times[len(times) // 2]:.2f} s over "
              f"{opts.runs} runs, CPU {cpu:.2f} s, peak RSS {peak:.0f} MB; "
              f"FRT mean {result['value']:.1f} min, n {result['n']:,}, "
              f"unanswered {result['breakdown']['unanswered']:,}, skipped {result['skipped']['total']:,}")
    print(f"(total children RSS high-water mark: "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB)")
    if opts.profile:
        import cProfile
        import pstats

        from cxkpi.cli.app import main as cli_main

        prof = opts.out / "frt.prof"
        args = cases["business hours"][3:] + ["--output", str(opts.out / "frt.json")]
        try:
            cProfile.runctx("cli_main(args)", globals(), {"cli_main": cli_main, "args": args}, str(prof))
        except SystemExit:
            pass
        pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()

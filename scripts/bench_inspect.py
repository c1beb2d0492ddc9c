"""Time ``cxkpi inspect`` on generated ticket exports and show that its memory does not grow with the file.

    python scripts/bench_inspect.py                          # 100,000 and 1,000,000 tickets in bench_data/
    python scripts/bench_inspect.py --rows 1000000 --runs 3 --out /tmp/cxkpi-bench

The exports are the ones ``bench_frt.py`` writes (numpy, fixed seed, 16 columns like the sample
tickets.csv, ~3% unanswered, a few unreadable dates), cached in ``--out`` (bench_data/ is
gitignored). Each run is the whole CLI in a fresh subprocess (``python -m cxkpi inspect FILE
--format json``); wall time is measured around it and peak memory is that child's max RSS
(``os.wait4``'s rusage: ``RUSAGE_CHILDREN`` for one child). ``cxkpi --version`` is measured the
same way, so the import cost can be told apart from the reading: with chunked reading the
peak should be about the same for every size. The exports are generated in a child process:
a child's max RSS includes what its parent held when it forked, so this process stays small.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_frt import generate  # noqa: E402  (same generator, same cached files)


def run_once(args: list[str]) -> tuple[float, float, float, bytes]:
    """(wall seconds, CPU seconds, peak MB, stdout) of one run in a fresh subprocess."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            sys.exit(f"bench: {' '.join(args[2:])} failed ({code}): {err.read().decode().strip()}")
        return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="100000,1000000", help="comma-separated sizes (default 100000,1000000)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench_data")
    ap.add_argument("--generate", nargs=2, metavar=("PATH", "ROWS"), help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.generate:
        generate(Path(opts.generate[0]), int(opts.generate[1]))
        return

    wall, cpu, peak, _ = run_once([sys.executable, "-m", "cxkpi", "--version"])
    print(f"start-up (cxkpi --version): wall {wall:.2f} s, peak RSS {peak:.0f} MB")
    for rows in (int(r) for r in opts.rows.split(",")):
        path = opts.out / f"tickets_{rows}.csv"
        if not path.exists():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--generate", str(path), str(rows)], check=True)
            print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        args = [sys.executable, "-m", "cxkpi", "inspect", str(path), "--format", "json", "--quiet"]
        runs = [run_once(args) for _ in range(opts.runs)]
        times = sorted(r[0] for r in runs)
        result = json.loads(runs[-1][3])
        created = next(c for c in result["columns"] if c["name"] == "Created At")
        print(f"inspect {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB): wall best {times[0]:.2f} s "
              f"over {opts.runs} run(s), CPU {min(r[1] for r in runs):.2f} s, "
              f"peak RSS {max(r[2] for r in runs):.0f} MB; rows {result['rows']:,}, "
              f"Created At {created['type']} {created['min']} … {created['max']}, "
              f"{created['invalid']:,} unreadable; Customer ID distinct "
              f"{next(c for c in result['columns'] if c['name'] == 'Customer ID')['distinct']:,}+; "
              f"computable: {', '.join(result['suggestion']['computable_kpis'])}")
    print(f"(all children: RSS high-water mark "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()

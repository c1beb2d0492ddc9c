"""Time `cxkpi themes` (and `cxkpi sentiment`, when the text extra is installed) on many comments.

    python scripts/bench_themes.py              # 100,000 comments
    python scripts/bench_themes.py --rows 20000 --keep bench_data/comments.csv

Writes a survey export of synthetic comments (fixed seed): sentences from
templates with varied slot words, a long tail of rare words (so the vocabulary
and the stemming work are realistic), some German and French comments, and
about 40% of rows without a comment. Then runs the real CLI in a subprocess
(read + compute + render, as a user would) and the library call in-process,
and prints the wall times.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's cxkpi, not an installed one

NEGATIVE = [
    "The response was {slow}.", "I waited {n} minutes on hold.", "Still no refund for my {thing}.",
    "Billing error on my {thing}, charged twice.", "I had to repeat myself to {who}.",
    "The app keeps crashing when I {action}.", "The agent was rude and didn't listen.",
    "Nobody answered my {channel} for {n} days.", "The {feature} is broken again.",
    "Too expensive for what the {feature} does.",
]
POSITIVE = [
    "Fast {reply}, thanks!", "The agent was really helpful with my {thing}.", "Very friendly {who}.",
    "Solved quickly, great service.", "Easy to {action}, no hassle.", "Great product, love the {feature}.",
    "Problem solved in {n} minutes.", "Super patient and kind {who}.",
]
NEUTRAL = ["It was ok.", "Fine overall.", "Average experience with the {feature}.", "Nothing special.",
           "Got there in the end with my {thing}."]
FOREIGN = ["Die Antwort war sehr langsam und ich musste {n} Minuten warten.", "Der Agent war nicht hilfreich.",
           "Sehr freundlich und schnell, danke!", "Le remboursement n'est pas encore arrivé.",
           "L'agent était très aimable et rapide.", "Service lent, j'ai attendu {n} minutes."]
SLOTS = {
    "slow": ["very slow", "slow", "painfully slow", "far too slow", "slow as always"],
    "thing": ["order", "invoice", "subscription", "account", "delivery", "parcel", "plan", "card", "return"],
    "who": ["every agent", "the support team", "the bot", "three people", "the manager", "the agent"],
    "action": ["log in", "pay", "check out", "upload a file", "change my plan", "open the app"],
    "channel": ["email", "ticket", "chat message", "call", "complaint"],
    "feature": ["dashboard", "mobile app", "search", "export", "calendar", "checkout", "sync", "invoice page"],
    "reply": ["reply", "response", "answer", "turnaround", "fix"],
}


def _fill(rng: np.random.Generator, templates: list[str], k: int) -> np.ndarray:
    """k sentences from templates with random slot words (vectorised per template and slot)."""
    pick = rng.integers(0, len(templates), k)
    out = np.empty(k, dtype=object)
    for t, template in enumerate(templates):  # a loop over templates, not rows
        rows = np.flatnonzero(pick == t)
        text = pd.Series(template, index=rows, dtype="string")
        for slot, words in SLOTS.items():
            if "{" + slot + "}" in template:
                text = text.str.replace("{" + slot + "}", "\x00", n=1, regex=False)
                filler = pd.Series(np.asarray(words, dtype=object)[rng.integers(0, len(words), len(rows))],
                                   index=rows, dtype="string")
                text = text.str.split("\x00", n=1).str[0] + filler + text.str.split("\x00", n=1).str[1]
        if "{n}" in template:
            nums = pd.Series(rng.integers(2, 90, len(rows)).astype(str), index=rows, dtype="string")
            text = text.str.split("{n}", n=1).str[0] + nums + text.str.split("{n}", n=1).str[1]
        out[rows] = text.to_numpy(dtype=object)
    return out


def make_export(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.choice(np.arange(11), rows, p=[.03, .02, .03, .03, .04, .06, .07, .1, .14, .2, .28])
    neg = score <= 6
    pos = score >= 9
    first = np.where(neg, _fill(rng, NEGATIVE, rows), np.where(pos, _fill(rng, POSITIVE, rows),
                                                               _fill(rng, NEUTRAL, rows)))
    second = np.where(neg, _fill(rng, NEGATIVE, rows), _fill(rng, POSITIVE, rows))
    two = rng.random(rows) < 0.3
    comment = pd.Series(first, dtype="string")
    comment[two] = comment[two] + " " + pd.Series(second, dtype="string")[two]
    # a long tail of rare words, as real comments have (product names, typos)
    tail = rng.random(rows) < 0.25
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = pd.Series(["".join(w) for w in letters[rng.integers(0, 26, (40_000, 7))]], dtype="string")
    rare = vocab.iloc[rng.integers(0, len(vocab), rows)].reset_index(drop=True)
    comment[tail] = comment[tail] + " " + rare[tail]
    foreign = rng.random(rows) < 0.05
    comment[foreign] = pd.Series(_fill(rng, FOREIGN, rows), dtype="string")[foreign]
    comment[rng.random(rows) < 0.4] = ""
    return pd.DataFrame({
        "Response ID": [f"R{i:06d}" for i in range(1, rows + 1)],
        "Survey": "NPS",
        "Responded At": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 180 * 86400, rows), unit="s"),
        "Score": score,
        "Comment": comment,
        "Channel": rng.choice(["email", "chat", "phone", "web"], rows),
    })


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cxkpi", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "120"})
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="survey rows (about 60%% have a comment)")
    parser.add_argument("--comments", type=int, default=None, help="exact number of comments (overrides --rows)")
    parser.add_argument("--keep", help="also write the export here")
    opts = parser.parse_args()
    rows = opts.rows if opts.comments is None else opts.comments
    frame = make_export(rows)
    if opts.comments is not None:  # every row commented
        refill = make_export(rows * 2, seed=8)
        refill = refill[refill["Comment"] != ""].head(rows)
        frame["Comment"] = refill["Comment"].to_numpy()
    commented = int((frame["Comment"] != "").sum())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(opts.keep) if opts.keep else Path(tmp) / "comments.csv"
        frame.to_csv(path, index=False)
        print(f"{len(frame):,} rows, {commented:,} comments, {path.stat().st_size / 1e6:.1f} MB -> {path}")

        from cxkpi.api import compute_file

        print(f"  stemmer: {'PyStemmer (C)' if _has('Stemmer') else 'snowballstemmer (pure Python)'}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for label, extra in (("themes (key phrases)", {}),
                             ("themes --by nps-group", {"by": ["nps-group"]}),
                             ("themes --themes dictionary", {"settings": {"themes": str(ROOT / "themes.example.yaml")}})):
            start = time.perf_counter()
            result = compute_file("themes", str(path), **extra)
            print(f"  in-process  {label:32s} {time.perf_counter() - start:6.2f} s  "
                  f"({len(result.groups)} theme rows)")
        cases = [
            ("cxkpi nps FILE  (for scale: load + a simple KPI)", ["nps", str(path), "-q"]),
            ("cxkpi themes FILE", ["themes", str(path), "-q"]),
            ("cxkpi themes FILE --by nps-group", ["themes", str(path), "--by", "nps-group", "-q"]),
            ("cxkpi themes FILE --by channel --period month -f json",
             ["themes", str(path), "--by", "channel", "--period", "month", "-f", "json", "-q"]),
            ("cxkpi themes FILE --themes themes.example.yaml",
             ["themes", str(path), "--themes", str(ROOT / "themes.example.yaml"), "-q"]),
        ]
        try:
            import vaderSentiment  # noqa: F401
            cases.append(("cxkpi sentiment FILE --by channel", ["sentiment", str(path), "--by", "channel", "-q"]))
        except ImportError:
            print("  (vaderSentiment not installed: sentiment not timed)")
        for label, args in cases:
            seconds, done = timed(args)
            status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.strip()[:200]}"
            print(f"  CLI         {label:55s} {seconds:6.2f} s  {status}")


if __name__ == "__main__":
    main()

"""Coverage of the two NPS intervals (``cxkpi nps --interval wald|adjusted-wald``), by simulation.

For each true answer mix (share of promoters, passives, detractors) and sample size n,
draw REPS samples of n answers (numpy multinomial, fixed seed), compute each sample's 95%
interval with ``cxkpi.stats.nps_interval`` and report the share of intervals that cover the
true NPS (nominal: 95%) and the mean width in points. Prints the Markdown table that
docs/surveys.md quotes. Run from the repository root:

    PYTHONPATH=. python3 scripts/nps_interval_coverage.py
"""

from __future__ import annotations

import numpy as np

from cxkpi.stats import nps_interval

SEED = 20261203
REPS = 20_000
SIZES = (10, 30, 100)
MIXES = (  # (promoters, passives, detractors); true NPS = 100 × (promoters − detractors)
    (0.20, 0.30, 0.50),
    (0.40, 0.40, 0.20),
    (0.60, 0.30, 0.10),
    (0.80, 0.15, 0.05),
    (0.90, 0.08, 0.02),
)


def coverage(mix, n: int, method: str, rng) -> tuple[float, float]:
    counts = rng.multinomial(n, mix, size=REPS)
    low, high = nps_interval(counts[:, 0], counts[:, 2], np.full(REPS, n), method=method)
    true = 100 * (mix[0] - mix[2])
    return 100 * float(np.mean((low <= true + 1e-9) & (true - 1e-9 <= high))), float(np.mean(high - low))


def main() -> None:
    print(f"seed {SEED}, {REPS:,} samples per cell, nominal 95%")
    print()
    print("| true mix (P / passive / D) | true NPS | n | wald coverage | adjusted-wald coverage "
          "| wald width | adjusted-wald width |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    worst = {"wald": 100.0, "adjusted-wald": 100.0}
    for mix in MIXES:
        for n in SIZES:
            # the same samples for both methods: one generator state per cell
            cells = {}
            for method in ("wald", "adjusted-wald"):
                cells[method] = coverage(mix, n, method, np.random.default_rng([SEED, int(mix[0] * 100), n]))
                worst[method] = min(worst[method], cells[method][0])
            label = " / ".join(f"{x:.2f}" for x in mix)
            print(f"| {label} | {100 * (mix[0] - mix[2]):.0f} | {n} | {cells['wald'][0]:.1f}% "
                  f"| {cells['adjusted-wald'][0]:.1f}% | {cells['wald'][1]:.1f} | {cells['adjusted-wald'][1]:.1f} |")
    print()
    print(f"lowest coverage: wald {worst['wald']:.1f}%, adjusted-wald {worst['adjusted-wald']:.1f}%")


if __name__ == "__main__":
    main()

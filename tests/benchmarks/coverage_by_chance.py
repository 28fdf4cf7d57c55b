"""How often a perfectly calibrated 80% interval covers 70-90% of one stage's
actuals in the back-tests of the README, by chance alone.

Run from the repository root::

    python tests/benchmarks/coverage_by_chance.py [--draws N] [--seed S]

The back-tests score each stage on few actuals: US by grade, origins
1992-1998, leads 1-3, data to 1999 (18 actuals: 7, 6 and 5 at leads 1-3);
Beijing stage totals, origins 2013-2018, data to 2019 (15: 6, 5, 4). An
interval that is exactly right covers each actual with probability 0.8, and
the count covered still scatters. Two error models bound what real
projections do:

- independent errors: the count is binomial (exact);
- errors that keep their sign for years, as enrolment projections' do: the
  error of a projection from origin T at lead h is the sum of the yearly
  shocks of T+1..T+h (a random walk), so overlapping origins and leads share
  shocks; its exact 80% band is ±1.2816 √h shocks. Simulated.

Printed: for each back-test, the chance that one stage lies within 70-90%,
and that all its stages do — when the stages' errors are independent of each
other (the product) and when they move together (one stage's chance).
"""
from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import binom, norm

#: (name, first origin, last origin, last year with data, stages)
BACKTESTS = (("US by grade 1992-98", 1992, 1998, 1999, 4), ("Beijing stage totals 2013-18", 2013, 2018, 2019, 3))
HORIZON = 3
LEVEL = 0.8
LOW, HIGH = 0.7, 0.9


def layout(first: int, last: int, end: int, horizon: int = HORIZON) -> list[tuple[int, int]]:
    """(origin, lead) of every actual the back-test scores."""
    return [(o, h) for o in range(first, last + 1) for h in range(1, horizon + 1) if o + h <= end]


def within_binomial(n: int) -> float:
    """P(LOW ≤ covered / n ≤ HIGH) for n independent actuals, each covered with probability LEVEL."""
    k = np.arange(n + 1)
    inside = (k >= LOW * n - 1e-9) & (k <= HIGH * n + 1e-9)
    return float(binom.pmf(k[inside], n, LEVEL).sum())


def within_random_walk(cells: list[tuple[int, int]], draws: int, rng: np.random.Generator) -> tuple[float, float]:
    """(P(LOW ≤ coverage ≤ HIGH), mean coverage) when errors are a random walk's and bands exact."""
    start = min(o for o, _ in cells)
    years = max(o + h for o, h in cells) - start
    walk = np.concatenate([np.zeros((draws, 1)), rng.standard_normal((draws, years)).cumsum(axis=1)], axis=1)
    origin = np.array([o - start for o, _ in cells])
    lead = np.array([h for _, h in cells])
    error = walk[:, origin + lead] - walk[:, origin]                       # (draws, actuals)
    covered = (np.abs(error) <= norm.ppf(0.5 + LEVEL / 2) * np.sqrt(lead)).mean(axis=1)
    return float(((covered >= LOW - 1e-9) & (covered <= HIGH + 1e-9)).mean()), float(covered.mean())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--draws", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    for name, first, last, end, stages in BACKTESTS:
        cells = layout(first, last, end)
        one_iid = within_binomial(len(cells))
        one_rw, mean = within_random_walk(cells, args.draws, rng)
        print(f"{name}: {len(cells)} actuals a stage, {stages} stages; a perfectly calibrated 80% interval "
              f"(mean coverage {mean:.3f}) lies within {LOW:.0%}-{HIGH:.0%}:\n"
              f"  one stage: {one_iid:.2f} with independent errors, {one_rw:.2f} with errors that keep their sign\n"
              f"  every stage: {one_iid ** stages:.3f} / {one_rw ** stages:.3f} (stages independent), "
              f"at most {one_iid:.2f} / {one_rw:.2f} (stages moving together)")


if __name__ == "__main__":
    main()

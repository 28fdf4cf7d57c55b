"""Benchmark: Monte Carlo enrolment paths for the default district.

Run from the repository root:  python tests/benchmarks/bench_montecarlo.py

Fits the cohort model to the default district once, then times projections
of 1,000 paths, 10 years ahead (best of five), with and without the births
simulation that feeds the youngest grade.
"""
from __future__ import annotations

import platform
import time

from forecast.births import BirthsModel
from forecast.cohort import CohortModel
from forecast.grades import GradeMap
from scenarios.inputs import read_table
from scenarios.schema import DEFAULT_DIR


def best(f, n=5):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    e = read_table(DEFAULT_DIR / "enrolment.csv", "enrolment")
    b = read_table(DEFAULT_DIR / "births.csv", "births")
    fit = CohortModel(e, b, GradeMap()).fit()
    births = BirthsModel(b).fit()
    shape = fit.project(10, paths=1000, seed=0).values.shape
    print(f"python {platform.python_version()}; paths array {shape} (1 + paths, areas, grades, years)")
    print(f"1,000 paths x 10 years, births model fitted once:   {best(lambda: fit.project(10, 1000, 0, births=births)):.3f} s")
    print(f"1,000 paths x 10 years, births model fitted each run: {best(lambda: fit.project(10, 1000, 0)):.3f} s")
    print(f"fit with its track record (4 origins x 5 areas):     {best(lambda: CohortModel(e, b, GradeMap()).fit()):.3f} s")


if __name__ == "__main__":
    main()

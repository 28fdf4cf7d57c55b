"""Benchmark: Monte Carlo enrolment paths for the default district.

Run from the repository root:  python tests/benchmarks/bench_montecarlo.py

Times (best of five) 1,000 paths, 10 years ahead: the cohort model's own
paths with and without the births simulation that feeds the youngest grade;
the run's whole projection (fit, track record, combination with no change and
the calibration of the paths on the record, ``combined_projection``); and the
fit with its track record alone.
"""
from __future__ import annotations

import platform
import time

from forecast.births import BirthsModel
from forecast.cohort import CohortModel
from forecast.combine import combined_projection, track_record
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
    model = CohortModel(e, b, GradeMap())
    fit = model.fit()
    births = BirthsModel(b).fit()
    comb = combined_projection(model, 10, paths=1000, seed=0, births=births)
    print(f"python {platform.python_version()}; paths array {comb.projection.values.shape} "
          f"(1 + paths, areas, grades, years)")
    print(f"cohort paths, 1,000 x 10 years, births model fitted once:      "
          f"{best(lambda: fit.project(10, 1000, 0, births=births)):.3f} s")
    print(f"cohort paths, 1,000 x 10 years, births model fitted each run:  {best(lambda: fit.project(10, 1000, 0)):.3f} s")
    print(f"the run's projection (fit, record, combination, calibration):  "
          f"{best(lambda: combined_projection(model, 10, paths=1000, seed=0, births=births)):.3f} s")
    print(f"fit with its track record (4 origins x 5 areas):               "
          f"{best(lambda: (model.fit(), track_record(model))):.3f} s")


if __name__ == "__main__":
    main()

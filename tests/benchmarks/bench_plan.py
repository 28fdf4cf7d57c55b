"""Benchmark: build and solve time of the staffing LP, and what the plan's
extras cost (post values, the year-by-year plan, the rule).

Run from the repository root:  python tests/benchmarks/bench_plan.py

Prints, for the default district and for a synthetic city of 100 areas (the
default's five areas repeated with scaled sizes), the model size, PuLP build
time, HiGHS solve time (hand-off of the arrays included) and solution
read-back; the default five times, with the median, since one run on a
shared machine varies by ±20%. Wall and CPU seconds: other jobs on a shared
machine slow the wall clock, not the CPU time.
"""
from __future__ import annotations

import platform
import statistics
import time

import numpy as np
import pandas as pd

from optimize.model import create_model
from optimize.problem import PlanInputs
from optimize.solution import assign_solution
from optimize.solve import solve_model
from scenarios.runner import run
from scenarios.schema import load_scenario


def default_inputs() -> tuple[PlanInputs, object]:
    r = run(load_scenario().override(forecast={"paths": 20}))
    return r.plan_inputs, r.scenario.plan


def city(inp: PlanInputs, areas: int, seed: int = 0) -> PlanInputs:
    """``areas`` areas made by repeating the default's areas, each scaled by a random size."""
    rng = np.random.default_rng(seed)
    src = inp.regions
    scale = {f"area{i:03d}": (src[i % len(src)], float(rng.uniform(0.5, 1.5))) for i in range(areas)}

    def grow(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        parts = []
        for name, (orig, k) in scale.items():
            d = df[df.region == orig].copy()
            d["region"] = name
            for c in cols:
                d[c] = d[c] * k
            parts.append(d)
        return pd.concat(parts, ignore_index=True)

    return PlanInputs(grow(inp.demand, ["demand"]), grow(inp.stock, ["headcount"]),
                      grow(inp.retention, ["weight"]), grow(inp.posts, ["posts"]), grow(inp.cap, ["cap"]),
                      inp.base_year, temporary=None if inp.temporary is None else grow(inp.temporary, ["headcount"]))


def measure(name: str, inp: PlanInputs, params) -> tuple[float, float]:
    """Build, solve and read back once; print the figures; return (wall, cpu) seconds."""
    from optimize.solve import NoPlan

    w0, c0 = time.perf_counter(), time.process_time()
    m = create_model(inp, params)
    t1 = time.perf_counter()
    try:
        info = solve_model(m)
    except NoPlan as exc:
        print(f"{name:<22} {len(m.variables):>9,} vars {len(m.rows):>8,} rows | build {t1 - w0:6.2f} s | "
              f"no plan after {time.perf_counter() - t1:.0f} s: {str(exc)[:60]}…")
        return time.perf_counter() - w0, time.process_time() - c0
    t2 = time.perf_counter()
    assign_solution(m)
    t3, c3 = time.perf_counter(), time.process_time()
    print(f"{name:<22} {len(m.variables):>9,} vars {len(m.rows):>8,} rows | "
          f"build {t1 - w0:6.2f} s  solve {t2 - t1:6.2f} s  read {t3 - t2:5.2f} s  total {t3 - w0:6.2f} s "
          f"(cpu {c3 - c0:5.2f} s) | {info.solver} {info.status}")
    return t3 - w0, c3 - c0


def extras(inp: PlanInputs, params) -> None:
    """What solve_plan adds to the LP: post values, the myopic plan, the rule."""
    from optimize.plan import solve_plan

    p = solve_plan(inp, params)
    print("solve_plan extras (s): " + ", ".join(f"{k} {v:.2f}" for k, v in p.timings.items()))


def main() -> None:
    print(f"python {platform.python_version()}, {platform.machine()}, {platform.processor() or ''}")
    inp, params = default_inputs()
    totals = [measure(f"default (5 areas) #{i + 1}", inp, params) for i in range(5)]
    wall, cpu = [t[0] for t in totals], [t[1] for t in totals]
    print(f"default end to end: median {statistics.median(wall):.2f} s wall ({statistics.median(cpu):.2f} s cpu), "
          f"best {min(wall):.2f} s of 5")
    extras(inp, params)
    measure("city (100 areas)", city(inp, 100), params)


if __name__ == "__main__":
    main()

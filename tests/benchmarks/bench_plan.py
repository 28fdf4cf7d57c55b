"""Benchmark: build and solve time of the staffing LP.

Run from the repository root:  python tests/benchmarks/bench_plan.py

Prints, for the default district and for a synthetic city of 100 areas (the
default's five areas repeated with scaled sizes), the model size, PuLP build
time, HiGHS solve time (including PuLP's hand-off) and solution read-back; the default five
times, with the median, since one run on a busy machine varies by ±20%.
"""
from __future__ import annotations

import platform
import statistics
import time

import numpy as np
import pandas as pd

from optimize.model import create_model
from optimize.problem import PlanInputs, plan_inputs
from optimize.solution import assign_duals, assign_solution
from optimize.solve import solve_model
from scenarios.runner import run
from scenarios.schema import load_scenario
from scenarios.validate import check_scenario


def default_inputs() -> tuple[PlanInputs, object]:
    s = load_scenario().override(forecast={"paths": 20})
    tables = check_scenario(s).tables
    r = run(s)
    return plan_inputs(r.demand, r.supply, tables["posts"], tables["cap"], s.base_year, s.plan_years), s.plan


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
                      inp.base_year)


def measure(name: str, inp: PlanInputs, params) -> float:
    """Build, solve and read back once; print the figures; return the total (s)."""
    t0 = time.perf_counter()
    m = create_model(inp, params)
    t1 = time.perf_counter()
    info = solve_model(m)
    t2 = time.perf_counter()
    frames = assign_solution(m)
    assign_duals(m, frames["posts"])
    t3 = time.perf_counter()
    print(f"{name:<22} {len(m.prob.variables()):>9,} vars {len(m.prob.constraints):>8,} rows | "
          f"build {t1 - t0:6.2f} s  solve {t2 - t1:6.2f} s  read {t3 - t2:5.2f} s  total {t3 - t0:6.2f} s "
          f"| {info.solver} {info.status}")
    return t3 - t0


def main() -> None:
    print(f"python {platform.python_version()}, {platform.machine()}, {platform.processor() or ''}")
    inp, params = default_inputs()
    totals = [measure(f"default (5 areas) #{i + 1}", inp, params) for i in range(5)]
    print(f"default end to end: median {statistics.median(totals):.2f} s, best {min(totals):.2f} s of 5")
    measure("city (100 areas)", city(inp, 100), params)


if __name__ == "__main__":
    main()

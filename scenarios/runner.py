"""Run a scenario: check it, read its data, forecast, plan.

    settings and inputs (``check_scenario``) → enrolment → demand and supply →
    no-action gap → plan → ``RunResult``
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from forecast.demand import demand
from forecast.enrolment import DISTRICT, project_enrolment
from forecast.gap import no_action_gap, turning_points
from forecast.peaks import peak_table
from forecast.supply import estimate_attrition, project_supply, with_history
from threadpoolctl import threadpool_limits

from optimize.plan import solve_plan
from optimize.problem import adjust_cap, plan_inputs
from optimize.solve import solver_log
from scenarios.engine import SERIAL, engine
from scenarios.result import RunResult
from scenarios.schema import Scenario
from scenarios.stochastic import stochastic_step
from scenarios.validate import check_scenario

__all__ = ["run", "RunResult", "DISTRICT"]

#: threads for numpy's BLAS and other native thread pools during a run. The
#: arrays are small (areas x grades x paths), so threads buy nothing and, on a
#: busy 2-core machine, cost a lot: the enrolment step took 0.38-0.79 s
#: (median 0.62) with OpenBLAS's 2 threads and 0.27-0.36 s (median 0.32) with
#: one, at a load average of 2.5 (8 runs each, /tmp bench in the commit message).
NUMERIC_THREADS = 1


def run(s: Scenario, progress: Callable[[str], None] | None = None, out_dir: str | Path | None = None,
        verbose: bool = False, scheduler: str | None = SERIAL) -> RunResult:
    """Run one scenario end to end. ``progress`` is an optional callable(str);
    ``out_dir``, where the run will be written, is checked with the inputs;
    ``verbose`` lets the solver print its log (quiet otherwise).
    ``scheduler``: where a stochastic plan's wait-and-see solves run
    (``scenarios.engine``: "serial", the default, in this process; None a
    local Dask cluster; or a Dask scheduler's address); the results are the
    same wherever they run. Serial by default: on a 2-core machine the
    cluster's start and the workers' imports cost more than the solves it
    shares (``staffcast run`` of the library's stochastic.toml with 20
    wait-and-see paths, best of 3: 45.8 s serial, 57.6 s on a local cluster)."""
    with threadpool_limits(limits=NUMERIC_THREADS), solver_log(verbose):
        return _run(s, progress, out_dir, scheduler)


def _run(s: Scenario, progress, out_dir, scheduler=SERIAL) -> RunResult:
    say = progress or (lambda msg: None)
    timings = {}
    t0 = time.perf_counter()
    inputs = check_scenario(s, out_dir)
    tables, gm, base, years = inputs.tables, s.grades, s.base_year, s.plan_years
    timings["read"] = time.perf_counter() - t0

    say("enrolment projection")
    t = time.perf_counter()
    enrolment = project_enrolment(tables["enrolment"], tables["births"], gm, s.forecast)
    timings["enrolment"] = time.perf_counter() - t

    say("demand and supply")
    t = time.perf_counter()
    need = demand(enrolment.central(base), gm, s.demand)
    supply_params = s.supply
    if "roster_previous" in tables:
        estimated = estimate_attrition(tables["roster_previous"], tables["roster"], base - 1, supply_params)
        supply_params = with_history(supply_params, estimated, keep=set(s.settings.get("supply", {})))
    supply = project_supply(tables["roster"], base, years[-1], supply_params)
    gap = no_action_gap(need[need.year <= years[-1]], supply)
    timings["demand_supply"] = time.perf_counter() - t

    say("staffing plan")
    t = time.perf_counter()
    plan_params = s.plan
    cap = adjust_cap(tables["cap"], plan_params.cap_change, base, plan_params.freeze_cap)
    key_supply = None
    if plan_params.key_share_floor is not None:
        roster = tables["roster"]
        key_supply = project_supply(roster[roster.key == 1], base, years[-1], supply_params)
    inputs_plan = plan_inputs(need, supply, tables["posts"], cap, base, years, key_supply)
    plan = solve_plan(inputs_plan, plan_params)
    timings["plan"] = time.perf_counter() - t
    timings["plan_build"] = plan.build_seconds
    timings["plan_solve"] = plan.info.seconds
    stochastic = None
    if plan_params.stochastic:
        say(f"stochastic plan over {plan_params.paths} paths, judged on {plan_params.eval_paths}")
        t = time.perf_counter()
        with engine(scheduler, progress=False) as e:
            stochastic = stochastic_step(inputs_plan, plan, enrolment, tables, gm, s.forecast, s.demand, plan_params,
                                         map=e.map)
        timings["stochastic"] = time.perf_counter() - t
    by_stage = enrolment.by_stage
    peaks = peak_table(by_stage[by_stage.region == DISTRICT], gm)
    return RunResult(s, enrolment.by_grade, by_stage, need, supply, gap, peaks, turning_points(gap), plan,
                     inputs.hashes, timings, enrolment.weights, tables.get("areas"),
                     tables["posts"].query("year == @base")[["region", "stage", "posts"]].reset_index(drop=True),
                     forecast_record={"weights_by_area": enrolment.region_weights,
                                      "interval_errors": enrolment.interval_errors()},
                     stochastic=stochastic)

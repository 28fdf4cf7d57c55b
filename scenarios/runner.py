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
from optimize.plan import solve_plan
from optimize.problem import adjust_cap, plan_inputs
from scenarios.result import RunResult
from scenarios.schema import Scenario
from scenarios.validate import check_scenario

__all__ = ["run", "RunResult", "DISTRICT"]


def run(s: Scenario, progress: Callable[[str], None] | None = None, out_dir: str | Path | None = None) -> RunResult:
    """Run one scenario end to end. ``progress`` is an optional callable(str);
    ``out_dir``, where the run will be written, is checked with the inputs."""
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
    inputs_for_plan = plan_inputs(need, supply, tables["posts"], cap, base, years, key_supply)
    plan = solve_plan(inputs_for_plan, plan_params)
    timings["plan"] = time.perf_counter() - t
    timings["plan_build"] = plan.build_seconds
    timings["plan_solve"] = plan.info.seconds
    by_stage = enrolment.by_stage
    peaks = peak_table(by_stage[by_stage.region == DISTRICT], gm)
    return RunResult(s, enrolment.by_grade, by_stage, need, supply, gap, peaks, turning_points(gap), plan,
                     inputs.hashes, timings, enrolment.weights, inputs_for_plan)

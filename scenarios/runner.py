"""Run a scenario: check it, read its data, forecast, plan.

    settings and inputs (``check_scenario``) → enrolment → demand and supply →
    no-action gap → plan → ``RunResult``
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

from functools import partial
from itertools import islice

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from forecast.enrolment import DISTRICT, EnrolmentForecast
from forecast.gap import turning_points
from forecast.peaks import peak_table
from optimize.city import combine_plans, concat_plans, stack_districts
from optimize.city_plan import solve_city
from optimize.model import no_cyclic_gc
from optimize.plan import Plan, solve_plan
from optimize.problem import adjust_cap
from optimize.solve import solver_log
from scenarios.district import BY_AREA, DistrictForecast, district_plan_params, forecast_district, split_districts
from scenarios.engine import SERIAL, engine
from scenarios.inputs import district_of
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
#: tables cut by area that the run still reads whole after the districts' forecasts (``RunResult``)
KEPT_WHOLE = {"posts", "areas"}


def run(s: Scenario, progress: Callable[[str], None] | None = None, out_dir: str | Path | None = None,
        verbose: bool = False, scheduler: str | None = None) -> RunResult:
    """Run one scenario end to end. ``progress`` is an optional callable(str);
    ``out_dir``, where the run will be written, is checked with the inputs;
    ``verbose`` lets the solver print its log (quiet otherwise). A data set
    of several districts runs each district as a task on Dask
    (``scheduler``: see ``scenarios.engine``).

    A stochastic plan's wait-and-see solves run on ``scheduler`` when it is
    a Dask scheduler's address, and in this process when it is None or
    "serial": the results are the same wherever they run, and on a 2-core
    machine a local cluster's start and the workers' imports cost more than
    the solves it shares (``staffcast run`` of the library's stochastic.toml
    with 20 wait-and-see paths, best of 3: 45.8 s serial, 57.6 s on a local
    cluster, measured before the merge of issue 15)."""
    with threadpool_limits(limits=NUMERIC_THREADS), solver_log(verbose):
        return _run(s, progress, out_dir, scheduler)


def _run(s: Scenario, progress, out_dir, scheduler) -> RunResult:
    say = progress or (lambda msg: None)
    timings = {}
    t0 = time.perf_counter()
    inputs = check_scenario(s, out_dir)
    tables, hashes, gm, base = dict(inputs.tables), inputs.hashes, s.grades, s.base_year
    del inputs  # ``tables`` holds the frames; a city drops its whole-data-set copies once they are cut
    plan_params = s.plan
    tables["cap"] = adjust_cap(tables["cap"], plan_params.cap_change, base, plan_params.freeze_cap)
    home = district_of(tables["enrolment"])
    names = sorted(set(home))
    timings["read"] = time.perf_counter() - t0

    apart = len(names) > 1 and not s.city.linked
    say(f"enrolment, demand, supply and staffing plan of {len(names)} districts" if apart else
        "enrolment, demand and supply" + (f" of {len(names)} districts" if len(names) > 1 else ""))
    t = time.perf_counter()
    with engine(scheduler if len(names) > 1 else SERIAL, progress=progress is not None) as e:
        if len(names) == 1:
            forecasts = [forecast_district(s, tables, names[0])]
        else:
            cut = split_districts(tables, home)
            for name in set(BY_AREA) - KEPT_WHOLE:  # each district has its own cut now
                tables.pop(name, None)
            items = ((d, cut.pop(d)) for d in names)
            sizes = [len(cut[d]["roster"]) for d in names]  # teachers' rows: the district's size
        if apart:
            f, first, area_weights, plan, share = _districts_apart(s, items, sizes, names, e)
            wall = time.perf_counter() - t
            timings["forecast"], timings["plan"] = wall * share, wall * (1 - share)
        else:
            if len(names) > 1:
                forecasts = e.map(partial(_forecast_task, s), items, sizes)
            timings["forecast"] = time.perf_counter() - t
            say("staffing plan")
            t = time.perf_counter()
            graduates = tables.get("graduates")
            units = [(f.plan_inputs, district_plan_params(plan_params, f.district, graduates)) for f in forecasts]
            plan = city_plan(units, names, s.city, e) if len(names) > 1 else _plan_task(units[0])
            timings["plan"] = time.perf_counter() - t
            f, first = _stack(forecasts, len(names) > 1), forecasts[0].enrolment
            area_weights = {k: v for fc in forecasts for k, v in fc.enrolment.region_weights.items()}
    timings["plan_build"] = plan.build_seconds
    timings["plan_solve"] = plan.info.seconds
    result = RunResult(s, f["enrolment"], f["enrolment_stage"], f["demand"], f["supply"], f["gap"], None,
                       turning_points(f["gap"]), plan, hashes, timings, first.weights, tables.get("areas"),
                       tables["posts"].query("year == @base")[["region", "stage", "posts"]].reset_index(drop=True),
                       forecast_record={"weights_by_area": area_weights,
                                        "interval_errors": first.interval_errors(),
                                        "interval_errors_own": first.interval_errors("n_own")},
                       plan_units=len(names), plan_inputs=forecasts[0].plan_inputs if len(names) == 1 else None)
    result.peaks = peak_table(result.stage_totals(), gm)
    if plan_params.stochastic:
        say(f"stochastic plan over {plan_params.paths} paths, judged on {plan_params.eval_paths}")
        t = time.perf_counter()
        one = forecasts[0]
        with engine(SERIAL if scheduler is None else scheduler, progress=False) as e:
            result.stochastic = stochastic_step(one.plan_inputs, plan, one.enrolment, tables, gm, s.forecast,
                                                s.demand, units[0][1], map=e.map)
        timings["stochastic"] = time.perf_counter() - t
    return result


def _forecast_task(s: Scenario, item) -> DistrictForecast:
    """One district's forecast (``_forecast``), as a Dask task."""
    with threadpool_limits(limits=NUMERIC_THREADS):
        return _forecast(s, item)


def _forecast(s: Scenario, item) -> DistrictForecast:
    """One district's forecast. Its Monte Carlo paths stay where it ran: the
    frames carry the intervals, and a country's paths together would not
    fit in memory."""
    district, tables = item
    f = forecast_district(s, tables, district, several=True)
    f.enrolment.projection = None
    return f


def _districts_apart(s: Scenario, items, sizes: list[int], names: list[str], e
                     ) -> tuple[dict[str, pd.DataFrame], EnrolmentForecast, dict, Plan, float]:
    """Districts with no city row between them, forecast and planned in
    tasks of ``districts_per_task`` districts running one after the other
    (``_districts_task``), so that a district's plan inputs never travel to
    this process and back: their tables stacked, the first district's
    enrolment forecast (its pooled weights and interval record), every
    area's weights, the combined plan and the share of the tasks' seconds
    that went to the forecast (for ``timings``)."""
    k = districts_per_task(len(names))
    groups = _groups(items, k)
    done = e.map(partial(_districts_task, s), groups, [sum(sizes[i:i + k]) for i in range(0, len(sizes), k)])
    spent = np.array([sec for *_, sec in done]).sum(axis=0)   # forecast, plan (s, summed over districts)
    tables = {name: pd.concat([d[0][name] for d in done], ignore_index=True) for name in done[0][0]}
    weights = {area: w for d in done for area, w in d[2].items()}
    plan = concat_plans([d[3] for d in done])
    return tables, done[0][1], weights, plan, float(spent[0] / max(spent.sum(), 1e-9))


#: at most this many tasks for districts planned apart: a country's 2,850 counties as 285 tasks of 10.
#: One task a county cost this process 40 ms a county (Dask's scheduler and client, and unpickling 20
#: small frames a county), against the 0.4 s the workers spend on it
MAX_TASKS = 300


def districts_per_task(districts: int) -> int:
    """Districts one task forecasts and plans: one each up to ``MAX_TASKS``
    districts (a city's districts are large and few), then as many as keep
    the tasks to ``MAX_TASKS``."""
    return -(-districts // MAX_TASKS)


def _groups(items, k: int):
    """``items`` in consecutive groups of ``k`` (the last may be shorter)."""
    it = iter(items)
    while group := list(islice(it, k)):
        yield group


def _districts_task(s: Scenario, group: list
                    ) -> tuple[dict[str, pd.DataFrame], EnrolmentForecast, dict, Plan, tuple[float, float]]:
    """Consecutive districts forecast and planned (``_district``) as one
    Dask task: their tables stacked with a district column, the first one's
    enrolment forecast without its frames, their areas' weights, their
    combined plan and the seconds forecast and plan took."""
    # one thread limit for the group: entering threadpoolctl's limits costs 2.7 ms. And the cyclic
    # garbage collector held: in a Dask worker its passes cost about a tenth of a county's time
    # (0.340 → 0.308 s a county, three pairs of 80 counties on two workers, in-task CPU); a group
    # leaves a few thousand cyclic objects, which the collector frees once it runs again
    with threadpool_limits(limits=NUMERIC_THREADS), no_cyclic_gc():
        done = [_district(s, item) for item in group]
    forecasts = [f for f, _, _ in done]
    first = forecasts[0].enrolment
    light = dataclasses.replace(first, by_grade=None, by_stage=None, projection=None)
    weights = {area: w for f in forecasts for area, w in f.enrolment.region_weights.items()}
    plan = combine_plans({f.district: p for f, (_, p, _) in zip(forecasts, done)})
    return _stack(forecasts, True), light, weights, plan, tuple(np.sum([sec for *_, sec in done], axis=0))


def _district(s: Scenario, item) -> tuple[DistrictForecast, Plan, tuple[float, float]]:
    """One district forecast and planned: its forecast (plan inputs let go),
    its plan and the seconds each took."""
    t = time.perf_counter()
    f = _forecast(s, item)
    t1 = time.perf_counter()
    plan = solve_plan(f.plan_inputs, district_plan_params(s.plan, f.district, item[1].get("graduates")))
    f.plan_inputs = None
    return f, plan, (t1 - t, time.perf_counter() - t1)


def _plan_task(item):
    inputs, params, *extra = item
    with threadpool_limits(limits=NUMERIC_THREADS):
        return solve_plan(inputs, params, extra_rows=extra[0] if extra else None)


def city_plan(units: list, names: list[str], city, e) -> Plan:
    """The districts' plans under the ``[city]`` rows (``optimize.city_plan``),
    combined; the city's prices, posts by district and rounds in ``plan.city``,
    its build and HiGHS time (coordination included) in the plan's."""
    sol = solve_city(units, names, city, e, _plan_task)
    plan = combine_plans(dict(zip(names, sol.plans)))
    plan.build_seconds, plan.info.seconds = sol.build_seconds, sol.solve_seconds
    plan.city = {"prices": sol.prices, "posts": sol.posts, "rounds": sol.rounds, "objective": sol.objective}
    return plan


def _stack(forecasts: list[DistrictForecast], several: bool) -> dict[str, pd.DataFrame]:
    """The districts' tables one under the other, each with a district
    column when there are several."""
    out = {}
    for name, get in (("enrolment", lambda f: f.enrolment.by_grade), ("enrolment_stage", lambda f: f.enrolment.by_stage),
                      ("demand", lambda f: f.demand), ("supply", lambda f: f.supply), ("gap", lambda f: f.gap)):
        frames = [get(f) for f in forecasts]
        out[name] = stack_districts(frames, [f.district for f in forecasts]) if several else frames[0]
    return out

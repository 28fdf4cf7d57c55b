"""A run's stochastic step (``[plan] stochastic = true``).

    the forecast's Monte Carlo paths → K of them (``plan.paths``, drawn with
    ``plan.seed``) → demand on each, by the scenario's demand method → the
    stochastic plan (``optimize.stochastic``) → both it and the central plan
    judged on ``plan.eval_paths`` fresh paths (the same forecast with another
    seed) → VSS, EVPI, shortfall quantiles and exceedance probabilities.

The paths keep the forecast's correlations across areas, grades and years
and its calibrated spread, because they are its own paths.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from forecast.demand import demand
from forecast.enrolment import EnrolmentForecast, project_enrolment
from forecast.projection import Projection
from optimize.model import cover_keys
from optimize.plan import Plan
from optimize.problem import PlanInputs, PlanParams
from optimize.stochastic import (CELL, Evaluation, StochasticPlan, demand_matrix, first_stage_cost, judge,
                                 roster_cover, solve_stochastic, wait_and_see_costs)


def eval_seed(forecast_seed: int, plan_seed: int) -> int:
    """The seed of the fresh paths: derived from both seeds, never the forecast's own."""
    seed = int(np.random.SeedSequence([forecast_seed, plan_seed, 18]).generate_state(1)[0])
    return seed if seed != forecast_seed else seed + 1


def draw_paths(proj: Projection, k: int, seed: int) -> np.ndarray:
    """K distinct Monte Carlo paths of ``proj`` (indices into its first axis,
    never 0, the central projection), drawn with ``seed``, in ascending order."""
    available = proj.values.shape[0] - 1
    if k > available:
        raise ValueError(f"the forecast has {available} paths; the stochastic plan asks for {k}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    return np.sort(rng.choice(np.arange(1, available + 1), size=k, replace=False))


def path_demand(proj: Projection, which: np.ndarray, years: list[int], gm, demand_params) -> pd.DataFrame:
    """Teachers needed on the chosen paths: path, region, stage, subject,
    year, demand (FTE), by the scenario's demand method, all paths at once
    (the path is a key of the demand functions)."""
    paths = proj.paths(by="grade")
    wanted = paths.index.get_level_values("path").isin(which) & paths.index.get_level_values("year").isin(years)
    e = paths[wanted].reset_index()
    return demand(e, gm, demand_params)


@dataclass
class StochasticResult:
    """The stochastic plan, both plans judged on fresh paths, and the
    in-sample objectives (yuan-equivalent) of both plans on the plan's own
    paths (the stochastic plan is never worse there). ``seconds``: draw,
    solve (build and HiGHS), evaluate, evpi, total."""

    plan: StochasticPlan
    evaluation: Evaluation
    in_sample_stochastic: float
    in_sample_central: float
    params: PlanParams
    seconds: dict

    def figures(self) -> dict:
        """manifest.json's ``stochastic`` block."""
        f = {"paths": self.plan.paths, "form": self.plan.form, "commit_years": self.params.commit_years,
             "seed": self.params.seed, "eval_seed": self.seconds.get("eval_seed"),
             **self.evaluation.figures(),
             "in_sample_stochastic_yuan": self.in_sample_stochastic, "in_sample_central_yuan": self.in_sample_central,
             "seconds": round(self.seconds["total"], 3),
             "seconds_by_step": {k: round(v, 3) for k, v in self.seconds.items() if k not in ("total", "eval_seed")}}
        # a figure not estimated (EVPI with plan.evpi_paths = 0) is null, not NaN: JSON has no NaN
        return {k: None if isinstance(v, float) and not np.isfinite(v) else v for k, v in f.items()}

    def decisions(self, central: Plan) -> pd.DataFrame:
        """plan_stochastic.csv: the first-stage decisions of the stochastic
        plan beside the central plan's. One row per decision and cell:
        ``posts`` (region, stage, year; posts), ``hires`` (region, stage,
        subject, certificate, year; persons), ``permanent_staff`` (region,
        stage, subject, year; FTE at the year's end); ``committed`` for the
        first ``commit_years`` (the decision now), later years provisional."""
        sp = self.plan
        keys = {"posts": ["region", "stage", "year"], "hires": ["region", "stage", "subject", "certificate", "year"],
                "permanent_staff": ["region", "stage", "subject", "year"]}
        frames = {"posts": (sp.posts, central.posts, "posts"), "hires": (sp.hires, central.hires, "teachers"),
                  "permanent_staff": (sp.staff, central.staff, "stock_end")}
        years = sorted(sp.staff.year.unique())
        committed = set(years[:self.params.commit_years])
        out = []
        for name, (a, b, col) in frames.items():
            k = keys[name]
            both = pd.concat([a.groupby(k)[col].sum().rename("stochastic"), b.groupby(k)[col].sum().rename("central")],
                             axis=1).fillna(0.0).reset_index()
            both.insert(0, "decision", name)
            out.append(both)
        cols = ["decision", "region", "stage", "subject", "certificate", "year", "committed", "stochastic", "central"]
        df = pd.concat(out, ignore_index=True)
        df["committed"] = df.year.isin(committed)
        return df.reindex(columns=cols)[cols].fillna({"subject": "", "certificate": ""})

    def risk(self) -> pd.DataFrame:
        """plan_risk.csv (see ``Evaluation.risk``)."""
        return self.evaluation.risk()


def stochastic_step(inputs: PlanInputs, central: Plan, enrolment: EnrolmentForecast, tables: dict, gm,
                    forecast_params, demand_params, params: PlanParams, map: Callable = map,
                    form: str | None = None) -> StochasticResult:
    """Draw, solve and judge (see the module docstring). ``map`` runs the
    wait-and-see solves (the engine's, or the builtin)."""
    t0 = time.perf_counter()
    seconds = {}
    years = inputs.years
    cells = cover_keys(inputs)
    which = draw_paths(enrolment.projection, params.paths, params.seed)
    sample = demand_matrix(path_demand(enrolment.projection, which, years, gm, demand_params), cells)
    seconds["draw"] = time.perf_counter() - t0

    t = time.perf_counter()
    sp = solve_stochastic(inputs, params, sample, form)
    seconds["solve"] = time.perf_counter() - t
    seconds["build"], seconds["highs"] = sp.build_seconds, sp.info.seconds

    t = time.perf_counter()
    seed = eval_seed(forecast_params.seed, params.seed)
    seconds["eval_seed"] = seed
    fresh = project_enrolment(tables["enrolment"], tables["births"], gm,
                              dataclasses.replace(forecast_params, paths=params.eval_paths, seed=seed))
    every = np.arange(1, params.eval_paths + 1)
    fresh_demand = demand_matrix(path_demand(fresh.projection, every, years, gm, demand_params), cells)
    seconds["eval_draw"] = time.perf_counter() - t
    t = time.perf_counter()
    plans = {"stochastic": sp, "central": central}
    stock = {n: p.staff.set_index(CELL).stock_end for n, p in plans.items()}
    fixed = {n: first_stage_cost(p.staff, p.moves, p.hires, params) for n, p in plans.items()}
    roster = roster_cover(inputs, cells)
    judged = {n: judge(stock[n], fixed[n], fresh_demand, cells, params, roster) for n in plans}
    in_sample = {n: float(judge(stock[n], fixed[n], sample, cells, params, roster).cost.mean()) for n in plans}
    evaluation = Evaluation(judged["stochastic"], judged["central"], params.commit_years, params.shortfall_threshold)
    seconds["evaluate"] = time.perf_counter() - t

    t = time.perf_counter()
    n = min(params.evpi_paths, params.eval_paths)
    if n:
        ws = wait_and_see_costs(inputs, params, fresh_demand[:, :n], elastic=central.info.relaxed, map=map)
        evaluation.evpi = judged["stochastic"].cost[:n] - ws
        evaluation.evpi_index = np.arange(n)
    seconds["evpi"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    return StochasticResult(sp, evaluation, in_sample["stochastic"], in_sample["central"], params, seconds)

"""Solve the staffing plan end to end, against a ladder of fair baselines.

The ladder, each rung a plan for the same district, limits and prices:

- ``rule``: what a bureau does by hand (``optimize.rule``): each year, fill
  vacancies stage by stage where the gap is largest, own-certificate hires,
  no moves;
- ``myopic``: the LP with every lever (moves, rotation, upper-certificate
  hires), solved one year at a time with no look-ahead (``optimize.myopic``);
- ``lp``: the full plan, every year at once.

``rule`` → ``myopic`` is what the levers buy, ``myopic`` → ``lp`` what
foresight buys (``Plan.value``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import pandas as pd

from optimize.model import StaffingModel, create_model, hire_price, objective_weights
from optimize.problem import PlanInputs, PlanParams
from optimize.rule import rule_plan
from optimize.solution import assign_key_teachers, assign_solution, solution_values, violations
from optimize.solve import SolveInfo, solve_hard_first

PLANS = ("rule", "myopic", "lp")
COMPARISON_COLUMNS = ["plan", "year", "shortfall", "temporary", "hires", "moves", "posts_used", "surplus", "cost",
                      "objective"]


@dataclass
class Plan:
    """A solved plan: tidy frames and how it was solved.

    staff : one row per region, stage, subject, year (see plan_staff.csv).
    posts : region, stage, year, posts, cap, filled, post_dual,
        post_value_fte, post_value_yuan, value_method, scope.
    moves : region_from, region_to, stage_from, stage_to, subject, certificate,
        year, teachers, subject_to, kind.
    hires : region, stage, subject, certificate, year, teachers.
    violations : limit, where, amount — hard limits broken to make a plan.
    key : key teachers by region and year (see ``assign_key_teachers``).
    baselines : {'rule': frames, 'myopic': frames} — each staff, hires,
        posts (and moves), the same columns as the plan's.
    post_value : region, stage, from_year, to_year, post_dual,
        post_value_fte, post_value_yuan, value_method, scope — a permanent post.
    """

    staff: pd.DataFrame
    posts: pd.DataFrame
    moves: pd.DataFrame
    hires: pd.DataFrame
    violations: pd.DataFrame
    baselines: dict
    info: SolveInfo
    build_seconds: float
    params: PlanParams
    base_posts: float
    key: pd.DataFrame
    post_value: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict = field(default_factory=dict)
    #: a city's plan: frames ``prices`` and ``posts`` and ``rounds`` (``optimize.city_plan``); empty otherwise
    city: dict = field(default_factory=dict)

    @property
    def rule(self) -> dict:
        return self.baselines["rule"]

    def frames_of(self, plan: str) -> dict:
        if plan == "lp":
            return dict(staff=self.staff, moves=self.moves, hires=self.hires, posts=self.posts)
        return self.baselines[plan]

    def comparison(self) -> pd.DataFrame:
        """Each plan of the ladder by year: shortfall, temporary cover,
        surplus (FTE), hires, moves (persons), posts used (posts), cost (cash,
        yuan) and objective (yuan-equivalent: cost plus the weights on
        shortfall, surplus and temporary cover).

        Computed once and handed out as a copy: a solved plan's frames do not
        change, and writing a run asks for it seven times (its CSVs and its
        workbook each read it and ``value()``, the manifest's summary, the
        report), 0.27 s of a default-district run's writing; a comparison's
        folder three times per scenario."""
        return self._comparison.copy()

    @cached_property
    def _comparison(self) -> pd.DataFrame:
        # not a field: dataclasses.replace and fields() ignore it, as Comparison's tables (scenarios.compare)
        w = objective_weights(self.params)
        out = []
        for name in PLANS:
            if name not in self.baselines and name != "lp":
                continue
            f = self.frames_of(name)
            g = f["staff"].groupby("year")
            df = pd.DataFrame({
                "shortfall": g.shortfall.sum(), "temporary": g.temporary.sum(), "hires": g.hires.sum(),
                "moves": g.moves_out.sum(), "posts_used": g.stock_end.sum(), "surplus": g.surplus.sum(),
            })
            df["cost"] = plan_costs(f["staff"], f.get("moves"), f["hires"], self.params).sum(axis=1)
            df["objective"] = (df.cost + w["shortfall"] * df.shortfall + w["surplus"] * df.surplus
                               + w["temporary"] * df.temporary)
            out.append(df.reset_index().assign(plan=name))
        return pd.concat(out, ignore_index=True)[COMPARISON_COLUMNS]

    def value(self) -> pd.DataFrame:
        """What the plan saves against ``rule`` over the plan years, and how
        much of it the levers buy (rule − myopic) and foresight buys
        (myopic − lp): one row per measure; levers + foresight = total."""
        c = self.comparison().groupby("plan")[["shortfall", "surplus", "temporary", "hires", "moves", "cost",
                                              "objective"]].sum()
        units = {"shortfall": "FTE-years", "surplus": "FTE-years", "temporary": "FTE-years", "hires": "persons",
                 "moves": "persons", "cost": "yuan", "objective": "yuan-equivalent"}
        c = c.reindex(list(PLANS))  # a plan solved without HiGHS has no year-by-year rung: NaN
        rows = []
        for measure, unit in units.items():
            v = c[measure]
            rows.append((measure, unit, v["rule"], v["myopic"], v["lp"], v["rule"] - v["myopic"],
                         v["myopic"] - v["lp"], v["rule"] - v["lp"]))
        return pd.DataFrame(rows, columns=["measure", "unit", "rule", "myopic", "lp", "levers", "foresight", "total"])


def plan_costs(staff: pd.DataFrame, moves: pd.DataFrame | None, hires: pd.DataFrame, p: PlanParams) -> pd.DataFrame:
    """Yuan by year (index) and item (columns salary, hiring, temporary,
    stage_moves, retraining, region_moves), priced as in the LP's objective."""
    g = staff.groupby("year")
    hire_yuan = pd.Series([hire_price(p, s, c) for s, c in zip(hires.stage, hires.certificate)],
                          index=hires.index, dtype=float) * hires.teachers
    out = pd.DataFrame({
        "salary": g.stock_end.sum() * p.salary,
        "temporary": g.temporary.sum() * p.temporary_cost,
    })
    out["hiring"] = hire_yuan.groupby(hires.year).sum().reindex(out.index, fill_value=0.0)
    for item in ("stage_moves", "retraining", "region_moves"):
        out[item] = 0.0
    if moves is not None and len(moves):
        price = {(r["stage"], r["from"], r["to"]): r["cost"] for r in p.retraining}
        kind = moves.kind
        yuan = pd.Series(0.0, index=moves.index)
        yuan[kind == "stage"] = p.stage_move_cost
        yuan[kind == "rotation"] = p.region_move_cost
        rt = kind == "retraining"
        yuan[rt] = [price[k] for k in zip(moves.stage_from[rt], moves.subject[rt], moves.subject_to[rt])]
        for item, k in (("stage_moves", "stage"), ("retraining", "retraining"), ("region_moves", "rotation")):
            sel = kind == k
            out[item] = (moves.teachers[sel] * yuan[sel]).groupby(moves.year[sel]).sum().reindex(
                out.index, fill_value=0.0)
    return out


def _build(inputs: PlanInputs, params: PlanParams, elastic: bool, extra_rows) -> StaffingModel:
    m = create_model(inputs, params, elastic=elastic)
    if extra_rows is not None:
        extra_rows(m)
    return m


def solve_plan(inputs: PlanInputs, params: PlanParams = PlanParams(), baselines: bool = True,
               value_posts: bool = True, extra_rows: Callable[[StaffingModel], None] | None = None) -> Plan:
    """Build, solve, read back, price posts and run the baselines.

    The limits are hard; only when no plan meets them all is the model
    rebuilt with elastic limits and solved again, so that the plan breaks as
    little as it must (``violations``) instead of failing. ``baselines`` and
    ``value_posts`` may be turned off where only the plan is wanted (the
    year-by-year plan and post values cost about as much as the plan).
    ``extra_rows(model)`` adds rows to the built model (a district's share
    of a city's rows, ``optimize.city_plan``); their keys end with a year."""
    timings = {}
    m, info, build = solve_hard_first(lambda elastic: _build(inputs, params, elastic, extra_rows), params.solver)
    t = time.perf_counter()
    frames = assign_solution(m)
    timings["read"] = time.perf_counter() - t
    posts, post_value = frames["posts"], pd.DataFrame()
    if value_posts and m.solved is not None:
        from optimize.value import price_posts

        t = time.perf_counter()
        posts, post_value = price_posts(m, posts)
        timings["post_values"] = time.perf_counter() - t
    base = {}
    if baselines:
        t = time.perf_counter()
        base["rule"] = rule_plan(inputs, params)
        timings["rule"] = time.perf_counter() - t
        if m.solved is not None:
            from optimize.myopic import solve_myopic

            t = time.perf_counter()
            x, _, broken = solve_myopic(m, m.solved)
            with solution_values(m, x):
                base["myopic"] = assign_solution(m)
            base["myopic"]["years_breaking_limits"] = broken
            timings["myopic"] = time.perf_counter() - t
    return Plan(frames["staff"], posts, frames["moves"], frames["hires"], violations(m), base, info, build,
                params, float(inputs.posts.posts.sum()), assign_key_teachers(m), post_value, timings)

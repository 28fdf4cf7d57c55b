"""Solve the staffing plan end to end and compare it with the greedy baseline."""
from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from optimize.greedy import greedy_plan
from optimize.model import create_model
from optimize.problem import PlanInputs, PlanParams, certificates_for
from optimize.solution import assign_duals, assign_key_teachers, assign_solution, violations
from optimize.solve import Infeasible, SolveInfo, solve_model


@dataclass
class Plan:
    """A solved plan: tidy frames and how it was solved.

    staff : one row per region, stage, subject, year (see plan_staff.csv).
    posts : region, stage, year, posts, cap, filled, post_value.
    moves : region_from, region_to, stage_from, stage_to, subject, certificate, year, teachers.
    hires : region, stage, subject, certificate, year, teachers.
    violations : limit, where, amount — hard limits broken to make a plan.
    key : key teachers by region and year (see ``assign_key_teachers``).
    greedy : the greedy baseline's staff, hires and posts frames.
    """

    staff: pd.DataFrame
    posts: pd.DataFrame
    moves: pd.DataFrame
    hires: pd.DataFrame
    violations: pd.DataFrame
    greedy: dict
    info: SolveInfo
    build_seconds: float
    params: PlanParams
    base_posts: float
    key: pd.DataFrame

    def comparison(self) -> pd.DataFrame:
        """LP vs greedy by year: shortfall, temporary, hires, posts used,
        surplus (FTE) and cost (yuan), one row per plan and year."""
        out = []
        for name, staff, moves, hires in (("lp", self.staff, self.moves, self.hires),
                                          ("greedy", self.greedy["staff"], None, self.greedy["hires"])):
            g = staff.groupby("year")
            df = pd.DataFrame({
                "shortfall": g.shortfall.sum(), "temporary": g.temporary.sum(), "hires": g.hires.sum(),
                "posts_used": g.stock_end.sum(), "surplus": g.surplus.sum(),
            })
            df["cost"] = plan_costs(staff, moves, hires, self.params).sum(axis=1)
            df["objective"] = df.cost + self.params.shortfall_weight * df.shortfall + \
                self.params.surplus_weight * df.surplus
            out.append(df.reset_index().assign(plan=name))
        cols = ["plan", "year", "shortfall", "temporary", "hires", "posts_used", "surplus", "cost", "objective"]
        return pd.concat(out, ignore_index=True)[cols]


def plan_costs(staff: pd.DataFrame, moves: pd.DataFrame | None, hires: pd.DataFrame, p: PlanParams) -> pd.DataFrame:
    """Yuan by year (index) and item (columns salary, hiring, temporary,
    stage_moves, region_moves), priced as in the LP's objective."""
    g = staff.groupby("year")
    levels = [certificates_for(s).index(c) for s, c in zip(hires.stage, hires.certificate)]
    hire_yuan = (hires.teachers * p.hire_cost * (1 + p.certificate_premium * pd.Series(levels, index=hires.index,
                                                                                         dtype=float)))
    out = pd.DataFrame({
        "salary": g.stock_end.sum() * p.salary,
        "temporary": g.temporary.sum() * p.temporary_cost,
    })
    out["hiring"] = hire_yuan.groupby(hires.year).sum().reindex(out.index, fill_value=0.0)
    out["stage_moves"] = 0.0
    out["region_moves"] = 0.0
    if moves is not None and len(moves):
        stage = moves[moves.region_from == moves.region_to].groupby("year").teachers.sum()
        region = moves[moves.region_from != moves.region_to].groupby("year").teachers.sum()
        out["stage_moves"] = stage.reindex(out.index, fill_value=0.0) * p.stage_move_cost
        out["region_moves"] = region.reindex(out.index, fill_value=0.0) * p.region_move_cost
    return out


def solve_plan(inputs: PlanInputs, params: PlanParams = PlanParams()) -> Plan:
    """Build, solve, read back, price posts and run the greedy baseline.

    The limits are hard; only when no plan meets them all is the model
    rebuilt with elastic limits and solved again, so that the plan breaks as
    little as it must (``violations``) instead of failing."""
    t0 = time.perf_counter()
    m = create_model(inputs, params)
    build = time.perf_counter() - t0
    try:
        info = solve_model(m, params.solver)
    except Infeasible:
        hard_seconds = time.perf_counter() - t0 - build
        t1 = time.perf_counter()
        m = create_model(inputs, params, elastic=True)
        build += time.perf_counter() - t1
        info = solve_model(m, params.solver)
        info.seconds += hard_seconds
    frames = assign_solution(m)
    posts = assign_duals(m, frames["posts"])
    return Plan(frames["staff"], posts, frames["moves"], frames["hires"], violations(m),
                greedy_plan(inputs, params), info, build, params, float(inputs.posts.posts.sum()),
                assign_key_teachers(m))

"""A city's plan with its ``[city]`` rows, solved jointly or decomposed.

The city rows, per plan year t (``city_use`` gives one district's part of
each, from the district's own model, built by the same ``define_*``
functions as a district plan):

- ``("graduates", c, t)``: hires of certificate c by all districts <=
  ``city.graduate_supply[c]`` (persons);
- ``("cap_total", t)``: posts of all areas of all districts <=
  ``city.cap_total`` (posts). Each area's own cap still holds: the city total
  is the commission's quota on top of the areas' physical and budgeted
  establishment, so a binding total shares fewer posts than the areas could
  hold, and an unset total leaves the districts as they are;
- ``("budget", t)``: cash cost of all districts (salaries of everyone in
  post, hires, moves, cover; yuan) <= ``city.budget``, written in
  salary-years (yuan / ``plan.salary``) so that the row is scaled like the
  headcount rows.

Two ways to the same optimum:

- ``joint``: one LP of every district's rows and columns plus the city rows
  (small cities; what the tests compare against);
- ``decompose``: each district's LP on its own, priced by the city rows'
  prices (``CityBlock``: one persistent highspy model per district, only its
  objective changes between rounds, so every round after the first is a
  warm primal simplex), coordinated by Dantzig–Wolfe
  (``optimize.coordinate.dantzig_wolfe``).

Either way the city's solution is turned into district plans the same way:
each district's share of every city row (its *allocation*: its use at the
joint optimum, or the master's convex combination of its proposals' uses) is
added to the district's own model as a row ``use <= allocation`` and the
district is solved again, with its baselines and post values, as any
district plan (``solve_plan``). This re-solve is exact for the totals and the
objective: the convex combination is feasible for the district at its
allocation, so its re-solved objective is at most the combination's, and the
allocations sum to within the city's capacities, so together the re-solved
plans keep every city row and cost at most the master's objective, which is
within ``city.tolerance`` of the joint optimum. It is chosen over reading the
convex combination of proposals as the plan because a combination of
vertices is a fractional mix of plans (moves and hires spread over two
schedules) with no basis to price posts, while the re-solve gives one vertex
plan per district with its own duals, at the cost of one more solve per
district.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import partial
from typing import Callable

import numpy as np
import pandas as pd
import pulp
import scipy.sparse as sp

from optimize.city import CityParams
from optimize.coordinate import NotCoordinated, Proposal, dantzig_wolfe
from optimize.highs import to_arrays
from optimize.model import Row, StaffingModel, create_model, expr
from optimize.problem import PlanInputs, PlanParams
from optimize.highs import LP_OPTIONS
from optimize.solve import NoPlan, highs_status

Key = tuple
#: simplex iterations a warm re-pricing may take before the district is solved cold by interior point.
#: Measured on two districts of the default data sharing a binding city total (2-core machine, loaded):
#: the first re-pricing took 8,116 primal iterations (11.7 s) against ~1 s cold; once the smoothed prices
#: settle, a round takes 0-500 iterations (under 0.2 s). An iteration count, not a time, so that the
#: choice, and the plan, are the same on any machine and scheduler
WARM_ITERATIONS = 800
#: unit and what each city row's price is in
PRICE_UNITS = {"graduates": "yuan-equivalent per graduate", "cap_total": "yuan-equivalent per post",
               "budget": "yuan-equivalent per yuan"}
USE_UNITS = {"graduates": "persons", "cap_total": "posts", "budget": "yuan"}


def budget_unit(params: PlanParams) -> float:
    """Yuan per unit of the budget row (a salary-year)."""
    return params.salary or 1.0


def city_use(m: StaffingModel, city: CityParams) -> dict[Key, tuple[list, float]]:
    """The district's use of each city row: key -> (terms, constant), the
    use being ``sum(a x) + constant``; every key for every plan year, in one
    fixed order, even where the district uses none."""
    years = m.inputs.years
    out: dict[Key, tuple[list, float]] = {}
    if city.graduate_supply:
        by: dict[Key, list] = {}
        for (r, s, j, c, t), v in m.hires.items():
            by.setdefault((c, t), []).append((v, 1.0))
        for c in city.graduate_supply:
            for t in years:
                out[("graduates", c, t)] = (by.get((c, t), []), 0.0)
    if city.cap_total is not None:
        posts: dict[int, list] = {}
        for (r, s, t), v in m.posts.items():
            posts.setdefault(t, []).append((v, 1.0))
        for t in years:
            out[("cap_total", t)] = (posts.get(t, []), 0.0)
    if city.budget is not None:
        unit = budget_unit(m.params)
        cost: dict[int, list] = {}
        for items in m.cost_terms.values():
            for v, a, y in items:
                cost.setdefault(y, []).append((v, a / unit))
        for t in years:
            out[("budget", t)] = (expr(cost.get(t, [])), m.fixed_costs[t] / unit)
    return out


def city_capacity(city: CityParams, years: list[int], params: PlanParams) -> dict[Key, float]:
    """key -> the city's amount of each row (persons, posts, salary-years)."""
    out = {}
    for c, n in (city.graduate_supply or {}).items():
        out.update({("graduates", c, t): float(n) for t in years})
    if city.cap_total is not None:
        out.update({("cap_total", t): float(city.cap_total) for t in years})
    if city.budget is not None:
        out.update({("budget", t): city.budget / budget_unit(params) for t in years})
    return out


def define_city_allocation(m: StaffingModel, city: CityParams, allocation: dict[Key, float]) -> None:
    """The district's share of each city row as a hard row of its own model:
    ``use <= allocation`` (family ``city_<row>``, keyed by the city row, so
    the key ends with its year). Hard in the plan, as every limit; elastic
    (a priced slack) only where ``solve_plan`` needs it: the year-by-year
    baseline, which cannot foresee a later year's share, breaks it as
    little as it must and says so."""
    for key, (terms, const) in city_use(m, city).items():
        m.add(f"city_{key[0]}", key, list(terms), pulp.LpConstraintLE, allocation[key] - const, elastic=True)


def city_units(units: list[tuple[PlanInputs, PlanParams]], city: CityParams) -> list[tuple[PlanInputs, PlanParams]]:
    """The districts' inputs and settings under the city rows: a certificate
    the city supplies is not also limited by the district's own supply (set
    to the city's, which the city row implies)."""
    if not city.graduate_supply:
        return units
    return [(inp, replace(par, graduate_supply={**par.graduate_supply, **city.graduate_supply}))
            for inp, par in units]


# -- joint ----------------------------------------------------------------------------------------------------

def solve_joint(units: list[tuple[PlanInputs, PlanParams]], city: CityParams):
    """One LP of every district and the city rows. Returns the allocations
    (per district, key -> use), the prices (key -> objective units per unit
    of the row, >= 0), the LP's objective (yuan-equivalent, base-year
    salaries included), build and HiGHS seconds."""
    t0 = time.perf_counter()
    for elastic in (False, True):
        models = [create_model(inp, par, elastic=elastic) for inp, par in units]
        uses = [city_use(m, city) for m in models]
        cap = city_capacity(city, units[0][0].years, units[0][1])
        rows = [r for m in models for r in m.rows]
        city_rows = []
        for i, (key, b) in enumerate(cap.items()):
            terms = [tv for u in uses for tv in u[key][0]]
            row = Row(f"city_{i}", terms, pulp.LpConstraintLE, b - sum(u[key][1] for u in uses))
            city_rows.append(row)
        hm = to_arrays([v for m in models for v in m.variables], rows + city_rows,
                       [tv for m in models for tv in m.objective])
        build = time.perf_counter() - t0
        h = hm.new_highs(LP_OPTIONS | {"time_limit": float(units[0][1].time_limit)})
        t1 = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - t1
        status = highs_status(h)
        if status != "infeasible":
            break
        if elastic:
            raise NoPlan("the districts cannot keep the [city] rows together even with their own limits relaxed: "
                         "raise city.graduate_supply, city.cap_total or city.budget")
    if status != "optimal":
        raise NoPlan(f"the joint city LP ended with status '{status}' without a proven plan; no plan is reported")
    sol = h.getSolution()
    x, dual = np.asarray(sol.col_value), np.asarray(sol.row_dual)
    n_rows = len(rows)
    prices = {key: max(0.0, -float(dual[n_rows + i])) for i, key in enumerate(cap)}
    allocations = []
    for u in uses:
        allocations.append({key: float(sum(a * x[v.index] for v, a in terms) + const)
                            for key, (terms, const) in u.items()})
    objective = float(h.getObjectiveValue()) + sum(m.fixed_salary for m in models)
    return allocations, prices, objective, build, seconds


# -- decomposed -----------------------------------------------------------------------------------------------

class CityBlock:
    """One district's LP kept in a highspy model, priced by the city rows.

    Built once; ``price(prices)`` changes only the objective (own cost plus
    each row's price times the district's use of it) and re-solves: the
    first time by interior point with crossover (the district's own plan),
    then by primal simplex from the last basis, which stays feasible when
    only costs change — unless that takes more than ``WARM_ITERATIONS``,
    when the round is solved cold by interior point."""

    def __init__(self, item):
        inputs, params, city = item
        t0 = time.perf_counter()
        self.seconds = 0.0
        for elastic in (False, True):
            m = create_model(inputs, params, elastic=elastic)
            use = city_use(m, city)
            hm = to_arrays(m.variables, m.rows, m.objective)
            h = hm.new_highs(LP_OPTIONS | {"time_limit": float(params.time_limit)})
            t = time.perf_counter()
            h.run()
            self.seconds += time.perf_counter() - t
            status = highs_status(h)
            if status != "infeasible":
                break
        if status != "optimal":
            raise NoPlan(f"a district's LP ended with status '{status}' without a proven plan")
        self.keys = list(use)
        n = len(m.variables)
        rows, cols, vals = [], [], []
        for k, key in enumerate(self.keys):
            for v, a in use[key][0]:
                rows.append(k)
                cols.append(v.index)
                vals.append(a)
        self.use = sp.csr_matrix((vals, (rows, cols)), shape=(len(self.keys), n))
        self.const = np.array([use[key][1] for key in self.keys])
        self.cost = hm.cost.copy()
        self.fixed = m.fixed_salary
        self.h = h
        self.n = n
        self.time_limit = params.time_limit
        self.build = time.perf_counter() - t0 - self.seconds
        self.rounds = 0
        self.cold_rounds = 0
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", 4)  # primal: the basis stays primal feasible when costs change
        h.setOptionValue("simplex_iteration_limit", WARM_ITERATIONS)

    def proposal(self) -> Proposal:
        x = np.asarray(self.h.getSolution().col_value)
        return Proposal(float(self.cost @ x) + self.fixed, dict(zip(self.keys, (self.use @ x + self.const).tolist())))

    def price(self, prices: dict) -> Proposal:
        """The district's best plan when each unit of city row k costs ``prices[k]``."""
        import highspy

        self.rounds += 1
        if self.rounds > 1 or any(prices.get(k, 0.0) for k in self.keys):
            p = np.array([prices.get(k, 0.0) for k in self.keys])
            self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), self.cost + self.use.T @ p)
            # HiGHS's run clock adds up over the runs of one model: each round gets the limit afresh
            self.h.setOptionValue("time_limit", float(self.time_limit) + self.h.getRunTime())
            t = time.perf_counter()
            self.h.run()
            if self.h.getModelStatus() == highspy.HighsModelStatus.kIterationLimit:
                # prices far from the last ones: a cold interior point (with crossover) beats a long warm walk
                self.h.setOptionValue("solver", "ipm")
                self.h.run()
                self.h.setOptionValue("solver", "simplex")
                self.cold_rounds += 1
            self.seconds += time.perf_counter() - t
            status = highs_status(self.h)
            if status != "optimal":
                raise NoPlan(f"a district's priced LP ended with status '{status}' without a proven plan")
        return self.proposal()

    def stats(self) -> tuple[float, float]:
        """Build and HiGHS seconds so far."""
        return self.build, self.seconds


class Serial:
    """Runs tasks in this process (an engine for ``solve_city`` without Dask)."""

    def map(self, fn, items):
        return [fn(x) for x in items]

    def blocks(self, cls, items):
        return [cls(x) for x in items]

    def call(self, blocks, method, *args):
        return [getattr(b, method)(*args) for b in blocks]


def solve_decomposed(units, city: CityParams, engine):
    """Dantzig–Wolfe over the districts (``CityBlock`` each, on ``engine``).
    Returns allocations, prices, the master's objective, build and HiGHS
    seconds summed over the districts, and the rounds."""
    blocks = engine.blocks(CityBlock, [(inp, par, city) for inp, par in units])
    cap = city_capacity(city, units[0][0].years, units[0][1])
    try:
        coord = dantzig_wolfe(lambda prices: engine.call(blocks, "price", prices), cap, city.tolerance)
    except NotCoordinated as exc:
        raise NoPlan(f"the districts' plans cannot be coordinated on the [city] rows ({exc}); if the rows "
                     f"cannot be kept (posts change at most plan.post_shift_share of the cap a year), raise "
                     f"city.graduate_supply, city.cap_total or city.budget; else raise city.tolerance") from None
    allocations = []
    for weights, props in zip(coord.weights, coord.proposals):
        allocations.append({key: float(sum(w * p.use.get(key, 0.0) for w, p in zip(weights, props))) for key in cap})
    stats = engine.call(blocks, "stats")
    return (allocations, coord.prices, coord.objective, sum(b for b, _ in stats), sum(s for _, s in stats),
            coord.rounds)


# -- the city's plan ------------------------------------------------------------------------------------------

@dataclass
class CitySolution:
    """The districts' plans under the city rows and what the rows cost.

    prices : link, certificate, year, capacity, used, price, unit — per city
        row and plan year; ``price`` in yuan-equivalent (objective weight,
        not cash) per graduate, per post or per yuan of budget; ``used`` the
        districts' allocations together (persons, posts, yuan).
    posts : district, year, cap (the areas' caps together), allocation (the
        district's share of ``city.cap_total``; NaN without one), posts,
        filled (posts).
    """

    plans: list
    prices: pd.DataFrame
    posts: pd.DataFrame
    objective: float
    rounds: int
    build_seconds: float
    solve_seconds: float


def _default_plan(item):
    from optimize.plan import solve_plan

    inputs, params, extra = item
    return solve_plan(inputs, params, extra_rows=extra)


def solve_city(units: list[tuple[PlanInputs, PlanParams]], names: list[str], city: CityParams, engine=None,
               plan_task: Callable = _default_plan) -> CitySolution:
    """Every district's plan under the city rows (``city.method``), each
    re-solved at its allocation (``plan_task((inputs, params, extra_rows))``
    mapped on ``engine``: ``.map``, ``.blocks`` and ``.call``, serial when
    None)."""
    engine = engine or Serial()
    units = city_units(units, city)
    if city.method == "joint":
        allocations, prices, objective, build, seconds = solve_joint(units, city)
        rounds = 1
    else:
        allocations, prices, objective, build, seconds, rounds = solve_decomposed(units, city, engine)
    # no row binds at the districts' own optima (the first round proved it): those plans are the city's
    own = city.method != "joint" and rounds == 1
    items = [(inp, par, None if own else partial(define_city_allocation, city=city, allocation=alloc))
             for (inp, par), alloc in zip(units, allocations)]
    plans = engine.map(plan_task, items)
    unit = budget_unit(units[0][1])
    cap = city_capacity(city, units[0][0].years, units[0][1])
    rows = []
    for key, b in cap.items():
        link, year = key[0], key[-1]
        scale = unit if link == "budget" else 1.0
        rows.append({"link": link, "certificate": key[1] if link == "graduates" else "", "year": year,
                     "capacity": b * scale, "used": sum(a[key] for a in allocations) * scale,
                     "price": prices.get(key, 0.0) / scale, "unit": PRICE_UNITS[link]})
    price_frame = pd.DataFrame(rows, columns=["link", "certificate", "year", "capacity", "used", "price", "unit"])
    return CitySolution(plans, price_frame, district_posts(plans, names, allocations, city), objective, rounds,
                        build + sum(p.build_seconds for p in plans), seconds + sum(p.info.seconds for p in plans))


def district_posts(plans: list, names: list[str], allocations: list[dict] | None = None,
                   city: CityParams | None = None) -> pd.DataFrame:
    """Posts by district and plan year: the areas' caps together, the
    district's share of the city total (NaN without one), posts allocated to
    its stages and posts filled (posts)."""
    out = []
    for i, (name, plan) in enumerate(zip(names, plans)):
        p = plan.posts
        g = p.groupby("year")
        caps = p.groupby(["region", "year"]).cap.first().groupby("year").sum()
        df = pd.DataFrame({"cap": caps, "posts": g.posts.sum(), "filled": g.filled.sum()})
        if allocations is not None and city is not None and city.cap_total is not None:
            df["allocation"] = [allocations[i][("cap_total", t)] for t in df.index]
        else:
            df["allocation"] = np.nan
        out.append(df.reset_index().assign(district=name))
    frame = pd.concat(out, ignore_index=True)
    return frame[["district", "year", "cap", "allocation", "posts", "filled"]]

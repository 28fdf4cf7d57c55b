"""The plan that holds up when the forecast is wrong: a two-stage stochastic plan.

The deterministic plan is solved for the central enrolment path. Here the
same plan is solved for ``K`` paths of the forecast's own Monte Carlo at
once (sample average approximation):

* **first stage**, one decision for every path: posts per area, stage and
  year, permanent hires by certificate, moves between stages and areas, and
  so the permanent stock of every cell (area, stage, subject, year). They are
  built by the deterministic model's own ``define_*`` functions, with every
  hard limit of that model (cap or pooled cap, post shifts, mentoring,
  graduate supply, stage-move share, retraining, rotation, key teachers);
* **second stage** (recourse), per path: temporary cover within its cap
  (``temporary_share_max`` of that path's demand, or the roster's temporary
  staff there if more, as in the deterministic plan), weighed at its cash
  and its quality weight; the shortfall left and
  the surplus, against the stock the first stage fixed. The objective is the
  first stage's cost plus the recourse's cost averaged over the paths.

Why simple recourse. Permanent staff are not dismissed and posts are set
with the budget, so the stock a plan builds is what it is committed to; what
adapts to the pupils who turn up is cover, and what is left over. Hires
after the first ``commit_years`` are first-stage here too, so the model
hedges them as if they were decided now; they are provisional (the plan is
solved again each year with a year's more data), and they make the figures
of the later years, where the forecast is widest, a cautious reading of what
waiting costs. Later hires as recourse would couple each path's years
through the stock balance, i.e. a copy of the whole multi-year model per path
(the default district: ~19,000 columns x K). Simple recourse keeps the model
linear in K, and in its compact form independent of K in rows.

Why the compact form. The expected recourse of one cell is a convex
piecewise-linear function of its stock, with breakpoints at each path's
demand D and at D − cap (below it the cover is at its cap
and the rest is short; between the two the gap is covered; above D the stock
is surplus). It is written exactly as segments: the cell's stock is the sum of
segment columns, each bounded by its length and priced at the function's
slope there; the slopes rise, so the LP fills them in order. That is one row
per cell and at most 2K + 1 bounded columns, against the extensive form's
K rows and 3K columns per cell. Measured on the default district (1,250
cells, K = 50, a 2-core machine shared with other jobs, load average 3.5-8;
``tests/benchmarks/bench_stochastic.py``): compact 142,085 columns and
12,275 rows, build 0.9 s and HiGHS 6.6 s (best of 3); extensive 204,585
columns and 74,775 rows, 2.0 s and 70.7 s; the same objective to 4e-16
(relative). With a ``budget`` the cash of each path (its
temporary cover included) must stay within it, which is not a function of
the cell's stock alone, so a budget uses the extensive form, whose per-path
rows hold it exactly.

Evaluation. With a first stage fixed, simple recourse has a closed form per
cell and path (``recourse``): the plans are judged in numpy on fresh paths,
and the value of the stochastic solution (VSS) and of perfect information
(EVPI, from a deterministic LP per path, ``wait_and_see``) come with their
standard errors over paths.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import pulp

from optimize.model import (StaffingModel, _var, cover_keys, create_model, define_costs,
                            define_graduate_supply_constraints, define_key_teacher_constraints,
                            define_mentoring_constraints, define_objective, define_post_constraints,
                            define_region_move_constraints, define_retraining_limits,
                            define_stage_move_limit_constraints, define_staff_totals,
                            define_stock_balance_constraints, define_variables, no_cyclic_gc, teaching)
from optimize.problem import PlanInputs, PlanParams, lookup
from optimize.solution import assign_solution, violations
from optimize.solve import NoPlan, SolveInfo, highs_status, solve_hard_first

CELL = ["region", "stage", "subject", "year"]
FORMS = ("compact", "extensive")
#: WS paths solved one after another in one task (a fixed chunking: the same
#: solves in the same order serially or on Dask, so the results are the same bit for bit)
WS_CHUNK = 5


# --- demand on paths ------------------------------------------------------------------------------

def demand_matrix(paths: pd.DataFrame, cells: list[tuple]) -> np.ndarray:
    """Demand on every path as a (cells, paths) array (FTE), rows in the
    order of ``cells`` ((region, stage, subject, year) tuples), columns in
    path order. ``paths``: path, region, stage, subject, year, demand (FTE),
    as ``forecast.demand.demand`` gives for enrolment with a path column; a
    cell a path lacks needs no one."""
    wide = paths.set_index(CELL + ["path"]).demand.unstack("path").sort_index(axis=1)
    index = pd.MultiIndex.from_tuples(cells, names=CELL)
    return wide.reindex(index).fillna(0.0).to_numpy(float)


# --- simple recourse ------------------------------------------------------------------------------

def cover_weight(p: PlanParams) -> float:
    """What an FTE-year of temporary cover weighs in the objective
    (yuan-equivalent): its cash cost and its quality weight."""
    return p.temporary_cost + p.temporary_quality_weight


def roster_cover(inputs: PlanInputs, cells: list[tuple]) -> np.ndarray:
    """The roster's temporary staff still under contract per cell (persons,
    ``cells`` order; zeros without a roster): cover may reach them even
    above ``temporary_share_max`` of demand, as in the deterministic plan
    (``optimize.model.temporary_limits``)."""
    if inputs.temporary is None:
        return np.zeros(len(cells))
    got = lookup(inputs.temporary, CELL, "headcount")
    return np.array([got.get(k, 0.0) for k in cells], dtype=float)


def cover_cap(demand: np.ndarray, p: PlanParams, roster: np.ndarray | None = None) -> np.ndarray:
    """Most temporary cover per cell and path (FTE), (cells, paths):
    ``temporary_share_max`` of the path's demand, or the roster's temporary
    staff there if more; none when cover weighs more than shortfall (it is
    never bought)."""
    if cover_weight(p) >= p.shortfall_weight:
        return np.zeros_like(demand)
    cap = p.temporary_share_max * demand
    return cap if roster is None else np.maximum(cap, np.asarray(roster, dtype=float)[:, None])


def recourse(stock: np.ndarray, demand: np.ndarray, p: PlanParams,
             roster: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cover, shortfall and surplus (FTE) of cells whose permanent stock is
    fixed: ``stock`` (cells,), ``demand`` (cells, paths), ``roster`` the
    roster's temporary staff per cell (``cover_cap``). The optimum of the
    deterministic LP's recourse: the gap is covered up to the cap while cover
    weighs less than shortfall, the rest is short; stock above demand is
    surplus. Returns three (cells, paths) arrays."""
    s = np.asarray(stock, dtype=float)[:, None]
    gap = np.maximum(demand - s, 0.0)
    temporary = np.minimum(gap, cover_cap(demand, p, roster))
    return temporary, gap - temporary, np.maximum(s - demand, 0.0)


def recourse_segments(demand: np.ndarray, p: PlanParams,
                      roster: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The expected recourse cost of each cell as segments of its stock.

    ``demand`` (cells, K), the paths equiprobable. The expected cost
    E[Q(S)] = (1/K) Σ_k Q(S, D_k) (objective yuan-equivalent) is convex and
    piecewise linear in the stock S, with breakpoints at D_k and
    D_k − cap_k (``cover_cap``: share·D_k, or the roster's temporary staff
    if more; never below 0). Returns (f0, cell, length, slope): E[Q(0)] per cell
    (cells,); and per segment, in order of S, its cell, length (FTE; the
    last of a cell is unbounded, inf) and slope (yuan-equivalent per FTE,
    non-decreasing within a cell). Zero-length segments are dropped.
    """
    n, K = demand.shape
    cap = np.minimum(cover_cap(demand, p, roster), demand)
    cost_t, w_short, w_surplus = cover_weight(p), p.shortfall_weight, p.surplus_weight
    f0 = (cost_t * cap + w_short * (demand - cap)).mean(axis=1)
    points = np.concatenate([demand - cap, demand], axis=1)                   # (n, 2K)
    is_demand = np.concatenate([np.zeros((n, K)), np.ones((n, K))], axis=1)
    order = np.argsort(points, axis=1, kind="stable")
    points = np.take_along_axis(points, order, axis=1)
    is_demand = np.take_along_axis(is_demand, order, axis=1)
    # paths passed at each segment's start: D - cap ≤ S (cover at most its cap) and D ≤ S (surplus)
    passed_cap = np.cumsum(1 - is_demand, axis=1)
    passed_demand = np.cumsum(is_demand, axis=1)
    starts = np.concatenate([np.zeros((n, 1)), points], axis=1)                 # (n, 2K + 1)
    ends = np.concatenate([points, np.full((n, 1), np.inf)], axis=1)
    short = K - np.concatenate([np.zeros((n, 1)), passed_cap], axis=1)          # paths still short beyond cover
    surplus = np.concatenate([np.zeros((n, 1)), passed_demand], axis=1)
    covered = K - short - surplus
    slope = (-w_short * short - cost_t * covered + w_surplus * surplus) / K
    length = ends - starts
    keep = length > 0
    cell = np.broadcast_to(np.arange(n)[:, None], keep.shape)
    return f0, cell[keep], length[keep], slope[keep]


def expected_recourse(stock: np.ndarray, demand: np.ndarray, p: PlanParams,
                      roster: np.ndarray | None = None) -> np.ndarray:
    """E[Q(S)] per cell (yuan-equivalent) by the closed form, for checks."""
    temporary, short, surplus = recourse(stock, demand, p, roster)
    return (cover_weight(p) * temporary + p.shortfall_weight * short + p.surplus_weight * surplus).mean(axis=1)


# --- the model ------------------------------------------------------------------------------------

@dataclass
class StochasticModel(StaffingModel):
    """The staffing model with cover per path. ``cells`` are the (r, s, j, t)
    cells in row order of ``demand`` (cells, K); ``roster`` the roster's
    temporary staff per cell (``roster_cover``); ``segments`` the compact
    form's (cell, column) pairs, ``cover`` the extensive form's columns;
    ``recourse_constant`` the expected recourse at zero stock
    (yuan-equivalent), a constant of the objective kept out of the LP as
    ``fixed_salary`` is and added back to the solved objective."""

    cells: list = field(default_factory=list)
    demand: np.ndarray | None = None
    roster: np.ndarray | None = None
    form: str = "compact"
    segments: list = field(default_factory=list)
    cover: dict = field(default_factory=dict)   # (k, i) -> (temporary, shortfall, surplus) vars (extensive)
    recourse_constant: float = 0.0


def define_first_stage(m: StaffingModel) -> None:
    """Every decision and hard limit of the deterministic plan but its cover
    (the demand balance and the cover cap): the deterministic model's own
    constraint families, in its order."""
    define_variables(m, cover=False)
    define_staff_totals(m)
    define_stock_balance_constraints(m)
    define_post_constraints(m)
    define_mentoring_constraints(m)
    define_graduate_supply_constraints(m)
    define_stage_move_limit_constraints(m)
    define_retraining_limits(m)
    define_region_move_constraints(m)
    define_key_teacher_constraints(m)
    define_costs(m)


def _cell_stock(m: StaffingModel) -> dict:
    """(r, s, j, t) -> (terms, persons): the permanent staff teaching in the
    cell, both layers, as the demand balance reads it (``teaching``)."""
    out = {}
    for (layer, r, s, j, t), (terms, const) in teaching(m).items():
        tt, c0 = out.get((r, s, j, t), ([], 0.0))
        out[(r, s, j, t)] = (tt + terms, c0 + const)
    return out


def define_compact_recourse(m: StochasticModel) -> list:
    """One row per cell: its stock = the sum of its segment columns
    (``recourse_segments``); returns the objective terms (segment, slope)."""
    f0, cell, length, slope = recourse_segments(m.demand, m.params, m.roster)
    stock = _cell_stock(m)
    seg_terms = [[] for _ in m.cells]
    objective = []
    for i, L, a in zip(cell.tolist(), length.tolist(), slope.tolist()):
        v = _var(m, "seg", len(m.segments), pulp.LpContinuous)
        if L != np.inf:
            v.upBound = L
        m.segments.append((i, v))
        seg_terms[i].append((v, -1.0))
        objective.append((v, a))
    for i, key in enumerate(m.cells):
        terms, const = stock.get(key, ([], 0.0))
        m.add("recourse", key, list(terms + seg_terms[i]), pulp.LpConstraintEQ, -const)
    m.recourse_constant = float(f0.sum())
    return objective


def define_extensive_recourse(m: StochasticModel) -> list:
    """Per path and cell: stock + temporary + shortfall − surplus = that
    path's demand, temporary within its cap (``cover_cap``); with a budget,
    each path's cash in each year within it, its cover included. Priced in
    the objective averaged over the paths: returns those terms."""
    par = m.params
    n, K = m.demand.shape
    stock = _cell_stock(m)
    cell_stock = []
    for i, key in enumerate(m.cells):
        v = _var(m, "cstock", i, pulp.LpContinuous)
        terms, const = stock.get(key, ([], 0.0))
        m.add("cell_stock", key, list(terms + [(v, -1.0)]), pulp.LpConstraintEQ, -const)
        cell_stock.append(v)
    cap = cover_cap(m.demand, par, m.roster)
    w_cover = cover_weight(par)
    objective = []
    for k in range(K):
        for i, key in enumerate(m.cells):
            d = float(m.demand[i, k])
            u = _var(m, f"ptemp_{k}", i, pulp.LpContinuous)
            u.upBound = float(cap[i, k])
            v = _var(m, f"pshort_{k}", i, pulp.LpContinuous)
            w = _var(m, f"psurplus_{k}", i, pulp.LpContinuous)
            m.cover[(k, i)] = (u, v, w)
            m.add("recourse", (k, *key), [(cell_stock[i], 1.0), (u, 1.0), (v, 1.0), (w, -1.0)],
                  pulp.LpConstraintEQ, d)
            objective += [(u, w_cover / K), (v, par.shortfall_weight / K), (w, par.surplus_weight / K)]
    if par.budget is not None:
        cash = {}
        for items in m.cost_terms.values():
            for v, c, y in items:
                cash.setdefault(y, []).append((v, c))
        unit = par.salary or 1.0
        year_of = [key[3] for key in m.cells]
        for t in m.inputs.years:
            total = _var(m, "cash", t, pulp.LpContinuous)
            m.add("first_stage_cash", t, list(cash.get(t, []) + [(total, -1.0)]), pulp.LpConstraintEQ, 0.0)
            for k in range(K):
                terms = [(total, 1.0)] + [(m.cover[(k, i)][0], par.temporary_cost)
                                          for i in range(n) if year_of[i] == t]
                # the base-year staff's salaries are outside the LP (fixed_costs), as in the plan's budget row
                m.add("budget_path", (k, t), terms, pulp.LpConstraintLE, par.budget - m.fixed_costs[t],
                      elastic=True, unit=unit)
    return objective


def create_stochastic_model(inputs: PlanInputs, params: PlanParams, demand: np.ndarray, form: str | None = None,
                            elastic: bool = False) -> StochasticModel:
    """Build the two-stage model over the columns of ``demand`` ((cells, K),
    FTE, rows in ``cover_keys(inputs)`` order). ``form``: 'compact' or
    'extensive' (None: compact, or extensive with a budget)."""
    form = form or ("extensive" if params.budget is not None else "compact")
    if form not in FORMS:
        raise ValueError(f"form '{form}' is not one of {FORMS}")
    if form == "compact" and params.budget is not None:
        raise ValueError("a budget binds each path's cash, cover included: use the extensive form")
    cells = cover_keys(inputs)
    if demand.shape[0] != len(cells):
        raise ValueError(f"demand has {demand.shape[0]} rows for {len(cells)} cells")
    m = StochasticModel(inputs, params, pulp.LpProblem("staffing_stochastic", pulp.LpMinimize), elastic,
                        cells=cells, demand=np.asarray(demand, dtype=float), roster=roster_cover(inputs, cells),
                        form=form)
    with no_cyclic_gc():
        define_first_stage(m)
        terms = (define_compact_recourse if form == "compact" else define_extensive_recourse)(m)
        define_objective(m)   # after the recourse: its elastic rows' slacks are priced too
        m.objective += terms
    return m


# --- solving and reading back ---------------------------------------------------------------------

@dataclass
class StochasticPlan:
    """A solved stochastic plan: its first stage as the deterministic plan's
    frames (``staff``: the stock per cell, with demand, temporary, shortfall
    and surplus the means over the plan's own paths, so both identities of
    ``optimize.testing`` hold; ``posts`` with post_value, the expected
    objective saved by one more post), how it was solved, over how many
    paths and in which form. ``objective``: first-stage cost plus the
    expected recourse over its paths (yuan-equivalent)."""

    staff: pd.DataFrame
    posts: pd.DataFrame
    moves: pd.DataFrame
    hires: pd.DataFrame
    violations: pd.DataFrame
    info: SolveInfo
    build_seconds: float
    paths: int
    form: str

    @property
    def objective(self) -> float:
        return self.info.objective

    def stock(self) -> pd.Series:
        """Permanent stock per cell (FTE), indexed region, stage, subject, year."""
        return self.staff.set_index(CELL).stock_end


def solved_model(inputs: PlanInputs, params: PlanParams, demand: np.ndarray,
                 form: str | None = None) -> tuple[StochasticModel, SolveInfo, float]:
    """Build and solve the stochastic model over the columns of ``demand``;
    as ``solve_plan``, hard limits first and elastic only when no plan meets
    them all. Returns the model, how it was solved and the build time (s).
    Raises ``NoPlan`` unless the optimum is proven."""
    m, info, build = solve_hard_first(
        lambda elastic: create_stochastic_model(inputs, params, demand, form, elastic=elastic), params.solver)
    info.objective += m.recourse_constant
    if info.lp_objective is not None:
        info.lp_objective += m.recourse_constant
    if info.bound is not None:
        info.bound += m.recourse_constant
    return m, info, build


def read_plan(m: StochasticModel, info: SolveInfo, build_seconds: float) -> StochasticPlan:
    """The solved model's first stage as tidy frames (see ``StochasticPlan``)."""
    frames = assign_solution(m)
    staff = frames["staff"]
    index = pd.MultiIndex.from_tuples(m.cells, names=CELL)
    stock = staff.set_index(CELL).stock_end.reindex(index).to_numpy()
    temporary, short, surplus = recourse(stock, m.demand, m.params, m.roster)
    mean = pd.DataFrame({"demand": m.demand.mean(axis=1), "temporary": temporary.mean(axis=1),
                         "shortfall": short.mean(axis=1), "surplus": surplus.mean(axis=1)}, index=index)
    staff = staff.set_index(CELL)
    staff[mean.columns] = mean.reindex(staff.index)
    return StochasticPlan(staff.reset_index(), post_duals(m, frames["posts"]), frames["moves"], frames["hires"],
                          violations(m), info, build_seconds, m.demand.shape[1], m.form)


def post_duals(m: StaffingModel, posts: pd.DataFrame) -> pd.DataFrame:
    """``posts`` with post_dual: the expected objective (yuan-equivalent,
    not cash) saved by one more post of that area, stage and year, as the
    duals of its occupancy row say it (NaN in integer mode or without
    duals). The deterministic plan's re-solved post values
    (``optimize.value``) are not computed for the stochastic plan."""
    occ = m.constraints.get("post_occupancy", {})
    integer = m.params.integer and any(v.cat == pulp.LpInteger for v in m.variables)

    def dual(key):
        row = occ.get(key)
        return float("nan") if integer or row is None or row.pi is None else -row.pi

    return posts.assign(post_dual=[dual(k) for k in posts[["region", "stage", "year"]].itertuples(index=False,
                                                                                                 name=None)])


def solve_stochastic(inputs: PlanInputs, params: PlanParams, demand: np.ndarray,
                     form: str | None = None) -> StochasticPlan:
    """The stochastic plan over the columns of ``demand`` ((cells, K) FTE,
    rows in ``cover_keys(inputs)`` order): ``solved_model``, then ``read_plan``."""
    return read_plan(*solved_model(inputs, params, demand, form))


# --- judging plans on paths -----------------------------------------------------------------------

def first_stage_cost(staff: pd.DataFrame, moves: pd.DataFrame, hires: pd.DataFrame, p: PlanParams) -> pd.Series:
    """Cash of a plan's first stage by year (yuan): salaries, hiring and
    moves, priced as in the LP (temporary cover is recourse)."""
    from optimize.plan import plan_costs

    c = plan_costs(staff, moves, hires, p)
    return c.drop(columns="temporary").sum(axis=1)


@dataclass
class PathCosts:
    """One plan judged on paths. ``cost``, ``cash`` (paths,): the objective
    (yuan-equivalent: cash plus the weights on shortfall and surplus) and the
    cash (yuan) over all plan years; ``cost_by_year``, ``cash_by_year`` (years, paths);
    ``shortfall``, ``temporary``, ``surplus`` (stages, years, paths) summed
    over areas and subjects (FTE); ``stages``, ``years`` their labels."""

    cost: np.ndarray
    cash: np.ndarray
    cost_by_year: np.ndarray
    cash_by_year: np.ndarray
    shortfall: np.ndarray
    temporary: np.ndarray
    surplus: np.ndarray
    stages: list
    years: list

    @property
    def shortfall_total(self) -> np.ndarray:
        """FTE-years of shortfall per path."""
        return self.shortfall.sum(axis=(0, 1))


def judge(stock: pd.Series, fixed_cost: pd.Series, demand: np.ndarray, cells: list[tuple],
          p: PlanParams, roster: np.ndarray | None = None) -> PathCosts:
    """A plan's first stage on every column of ``demand`` ((cells, paths),
    FTE): ``stock`` its permanent stock per cell (FTE, indexed region, stage,
    subject, year), ``fixed_cost`` its first-stage cash by year (yuan, the
    base-year staff's salaries included), ``roster`` the roster's temporary
    staff per cell (``roster_cover``). Vectorised: the recourse's closed form
    per cell and path; cover weighs its cash and its quality weight."""
    index = pd.MultiIndex.from_tuples(cells, names=CELL)
    s = stock.reindex(index).fillna(0.0).to_numpy(float)
    temporary, short, surplus = recourse(s, demand, p, roster)
    cell_cost = cover_weight(p) * temporary + p.shortfall_weight * short + p.surplus_weight * surplus
    years = sorted(fixed_cost.index.astype(int))
    stages = list(dict.fromkeys(k[1] for k in cells))
    yi = np.searchsorted(years, np.array([k[3] for k in cells]))
    si = np.array([stages.index(k[1]) for k in cells])
    by_year = np.zeros((len(years), demand.shape[1]))
    np.add.at(by_year, yi, cell_cost)
    by_year += fixed_cost.reindex(years).to_numpy(float)[:, None]
    cover_cash = np.zeros_like(by_year)
    np.add.at(cover_cash, yi, p.temporary_cost * temporary)

    def stage_year(x: np.ndarray) -> np.ndarray:
        out = np.zeros((len(stages), len(years), x.shape[1]))
        np.add.at(out, (si, yi), x)
        return out

    cash_by_year = cover_cash + fixed_cost.reindex(years).to_numpy(float)[:, None]
    return PathCosts(by_year.sum(axis=0), cash_by_year.sum(axis=0), by_year, cash_by_year, stage_year(short),
                     stage_year(temporary), stage_year(surplus), stages, years)


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error over paths (sample standard deviation / √n)."""
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


@dataclass
class Evaluation:
    """Both plans judged on the same fresh paths (``PathCosts`` each) and
    the figures that compare them, with standard errors over paths from
    paired differences. VSS = E[central plan's cost] − E[stochastic
    plan's]: ``vss_yuan`` in the objective's yuan-equivalent (cash plus the
    weights on shortfall and surplus), ``vss_cash_yuan`` in cash, ``vss_fte``
    in FTE-years of shortfall avoided (all plan years; ``_commit`` the same
    over the first ``commit_years``). EVPI = E[stochastic plan's cost] −
    E[wait-and-see cost] on ``evpi_paths`` of the fresh paths
    (yuan-equivalent), NaN when not estimated."""

    stochastic: PathCosts
    central: PathCosts
    commit_years: int
    threshold: float
    evpi: np.ndarray | None = None    # per path: stochastic plan's cost − wait-and-see cost
    evpi_index: np.ndarray | None = None

    @property
    def paths(self) -> int:
        return int(self.stochastic.cost.shape[0])

    def _paired(self, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
        return mean_se(a - b)

    def figures(self) -> dict:
        s, c = self.stochastic, self.central
        k = self.commit_years
        vss, vss_se = self._paired(c.cost, s.cost)
        vss_c, vss_c_se = self._paired(c.cost_by_year[:k].sum(axis=0), s.cost_by_year[:k].sum(axis=0))
        cash, cash_se = self._paired(c.cash, s.cash)
        fte, fte_se = self._paired(c.shortfall_total, s.shortfall_total)
        fte_c, fte_c_se = self._paired(c.shortfall[:, :k].sum(axis=(0, 1)), s.shortfall[:, :k].sum(axis=(0, 1)))
        evpi, evpi_se = mean_se(self.evpi) if self.evpi is not None and len(self.evpi) else (float("nan"),) * 2
        out = {
            "eval_paths": self.paths,
            "cost_stochastic_yuan": mean_se(s.cost)[0], "cost_stochastic_se_yuan": mean_se(s.cost)[1],
            "cost_central_yuan": mean_se(c.cost)[0], "cost_central_se_yuan": mean_se(c.cost)[1],
            "vss_yuan": vss, "vss_se_yuan": vss_se, "vss_cash_yuan": cash, "vss_cash_se_yuan": cash_se,
            "vss_fte": fte, "vss_se_fte": fte_se,
            "vss_commit_yuan": vss_c, "vss_commit_se_yuan": vss_c_se,
            "vss_commit_fte": fte_c, "vss_commit_se_fte": fte_c_se,
            "shortfall_stochastic_fte": float(s.shortfall_total.mean()),
            "shortfall_central_fte": float(c.shortfall_total.mean()),
            "evpi_yuan": evpi, "evpi_se_yuan": evpi_se,
            "evpi_paths": 0 if self.evpi is None else int(len(self.evpi)),
            "shortfall_threshold_fte": self.threshold,
        }
        return out

    def risk(self, quantiles: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)) -> pd.DataFrame:
        """plan_risk.csv: per plan (stochastic, central), stage and year, the
        shortfall's mean and quantiles over the fresh paths (FTE) and the
        probability that it exceeds the threshold; ``committed`` marks the
        first ``commit_years``."""
        rows = []
        for name, pc in (("stochastic", self.stochastic), ("central", self.central)):
            x = pc.shortfall                                            # (stages, years, paths)
            q = np.quantile(x, quantiles, axis=2)                        # (Q, stages, years)
            p_exceed = (x > self.threshold).mean(axis=2)
            for a, stage in enumerate(pc.stages):
                for b, year in enumerate(pc.years):
                    row = {"plan": name, "stage": stage, "year": int(year), "committed": b < self.commit_years,
                           "mean": float(x[a, b].mean())}
                    row.update({f"q{round(100 * v)}": float(q[i, a, b]) for i, v in enumerate(quantiles)})
                    row["threshold"] = self.threshold
                    row["p_exceed"] = float(p_exceed[a, b])
                    row["p_exceed_se"] = float(np.sqrt(p_exceed[a, b] * (1 - p_exceed[a, b]) / x.shape[2]))
                    rows.append(row)
        return pd.DataFrame(rows)


# --- perfect information --------------------------------------------------------------------------

def wait_and_see(task: tuple) -> list[float]:
    """The deterministic plan's optimum on each of a few paths (objective,
    yuan-equivalent): what the plan would cost knowing the path.

    ``task`` = (inputs, params, demand (cells, m), elastic). The model is
    built once, for the first path; each further path changes only the
    demand rows' right-hand sides and the cover caps of the same HiGHS model.
    Only the objective is wanted, so interior point runs without crossover
    (measured on the default district, loaded 2-core machine: 1.5 s a path
    against 3.5 s for a fresh model with crossover, and 6.3 s for dual simplex
    warm-started from the last path's basis; the objective within 3e-9 of
    the crossover's; measured before the model went to HiGHS as one matrix).
    In integer mode it is the LP relaxation's optimum, a lower bound, so
    EVPI is then an upper bound. The objective includes the base-year
    staff's salaries, as ``SolveInfo.objective`` does. Raises ``NoPlan``
    unless every solve ends optimal. One task, run on a Dask worker or here."""
    from optimize.highs import LP_OPTIONS, to_arrays

    inputs, params, demand, elastic = task
    cells = cover_keys(inputs)
    first = dataclasses.replace(inputs, demand=pd.DataFrame(cells, columns=CELL).assign(demand=demand[:, 0]))
    m = create_model(first, params, elastic=elastic)
    hm = to_arrays(m.variables, m.rows, m.objective)
    h = hm.new_highs(LP_OPTIONS | {"time_limit": float(params.time_limit), "run_crossover": "off"})
    position = {id(row): i for i, row in enumerate(m.rows)}
    balance = [m.constraints["demand_balance"][k] for k in cells]
    rows = np.array([position[id(row)] for row in balance], dtype=np.int32)
    # each balance row's right-hand side is demand less the base-year staff it counts as a constant
    at_home = demand[:, 0] - np.array([row.rhs for row in balance])
    cols = np.array([m.temporary[k].index for k in cells], dtype=np.int32)
    roster = roster_cover(inputs, cells)
    out = []
    for k in range(demand.shape[1]):
        d = demand[:, k]
        if k:
            h.changeRowsBounds(len(rows), rows, d - at_home, d - at_home)
            most = np.maximum(params.temporary_share_max * d, roster)
            h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), most)
        h.run()
        status = highs_status(h)
        if status != "optimal":
            raise NoPlan(f"a wait-and-see plan (the value of perfect information) ended with status "
                         f"'{status}'; set plan.evpi_paths = 0 to skip it")
        out.append(float(h.getInfo().objective_function_value) + m.fixed_salary)
    return out


def wait_and_see_costs(inputs: PlanInputs, params: PlanParams, demand: np.ndarray, elastic: bool = False,
                       map: Callable = map) -> np.ndarray:
    """``wait_and_see`` on every column of ``demand``, in chunks of
    ``WS_CHUNK`` paths; ``map`` runs the chunks (Dask's, from
    ``scenarios.engine``, or the builtin)."""
    chunks = [(inputs, params, demand[:, i:i + WS_CHUNK], elastic) for i in range(0, demand.shape[1], WS_CHUNK)]
    return np.array([x for part in map(wait_and_see, chunks) for x in part])

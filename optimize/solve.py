"""Solve a built model: HiGHS through highspy (the matrix handed over at
once, ``optimize.highs``); CBC (bundled with PuLP) when asked for, or when
HiGHS cannot run.

Only a proven optimum is a plan. A solve stopped by its time limit, or
ended for any other reason, raises ``NoPlan`` with what to do; its iterate
is never read back as a plan, and CBC is never tried to hide it.

Integer mode (``plan.integer``): hires, moves, retraining and rotation in
whole persons. The gap is measured on the LP's objective, which holds only
what the decisions can change: the base-year staff's salaries in every plan
year are left out (``StaffingModel.fixed_salary``), because the supply
model fixes how many of them are in post each year whatever the plan does
(moving or rotating them changes where they teach, not whether they are
paid); every other term — the plan's hires and their salaries, moves,
temporary cover and its quality weight, shortfall and surplus — moves with
the decisions. The LP relaxation is a lower bound, so a plan in whole
persons whose objective is within ``plan.integer_gap`` of it is proven
within that gap of the best plan in whole persons. Such a plan is looked
for by relax and fix over a rolling horizon, or else by rounding the LP's
plan year by year (``optimize.rounding``); when neither gets within the
gap, HiGHS's branch and bound starts from the plan found with the time
left and proves the gap against its own (higher) bound, or the solve is
refused with the best gap it could prove.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pulp

from optimize.highs import HighsModel, logging, lp_options, read_back, solver_log, to_arrays
from optimize.model import StaffingModel

__all__ = ["Infeasible", "NoPlan", "SolveInfo", "highs_status", "solve_hard_first", "solve_model", "solver_log"]

#: the default relative gap (on the decision-dependent objective) at which a plan in whole persons counts as
#: proven; a scenario sets its own with ``plan.integer_gap``
MIP_GAP = 0.005


@dataclass
class SolveInfo:
    """How a plan was solved. ``seconds``: solver time (s), both solves when
    the hard model was infeasible and was re-solved with elastic limits
    (``relaxed``); ``objective`` in yuan-equivalent, the base-year staff's
    salaries (the same in every plan, ``StaffingModel.fixed_salary``)
    included. In integer mode, ``lp_objective`` is the LP relaxation's
    objective, ``gap`` the integer plan's excess over it as a share of the
    LP's decision-dependent part (objective less ``fixed_salary``),
    ``proven`` the share of the plan's decision-dependent objective within
    which it is proven of the best plan in whole persons, ``bound`` the
    lower bound that is proven against (yuan-equivalent, ``fixed_salary``
    included: the LP relaxation's objective, or HiGHS's MIP bound), and
    ``method`` how the plan was found ('rolling horizon' or 'rounding',
    proven against the LP; 'branch and bound', against HiGHS's bound; see
    ``optimize.rounding``)."""
    solver: str
    status: str
    seconds: float
    objective: float
    relaxed: bool = False
    lp_objective: float | None = None
    gap: float | None = None
    proven: float | None = None
    method: str = "lp"
    bound: float | None = None


class Infeasible(Exception):
    """A solver proved that no plan meets every hard limit."""


class NoPlan(Exception):
    """The solver stopped without proving a plan optimal: there is no plan."""


def highs_status(h) -> str:
    """'optimal', 'infeasible', 'time limit' or another reason a HiGHS solve ended."""
    import highspy

    status = h.getModelStatus()
    s = highspy.HighsModelStatus
    if status == s.kOptimal:
        return "optimal"
    # every objective term is a cost on a non-negative variable: the model is never unbounded
    if status in (s.kInfeasible, s.kUnboundedOrInfeasible):
        return "infeasible"
    if status == s.kTimeLimit:
        return "time limit"
    return h.modelStatusToString(status)


def _time_limit_error(m: StaffingModel, name: str, what: str) -> NoPlan:
    advice = ("raise plan.time_limit, or solve the LP (plan.integer = false), whose plan is exact"
              if m.params.integer else "raise plan.time_limit")
    return NoPlan(f"the solver ({name}) stopped at its time limit of {m.params.time_limit:g} s before proving "
                  f"{what}; no plan is reported, because an unproven iterate can break the stock balance and "
                  f"the cap. To get a plan, {advice}")


def _check(m: StaffingModel, name: str, outcome: str) -> None:
    if outcome == "infeasible":
        raise Infeasible(f"{name}: no plan meets every hard limit")
    if outcome == "time limit":
        raise _time_limit_error(m, name, "the plan optimal")
    if outcome != "optimal":
        raise NoPlan(f"the solver ({name}) ended with status '{outcome}' without a proven plan; no plan is reported")


def solve_model(m: StaffingModel, solver: str = "highs") -> SolveInfo:
    """Solve in place; HiGHS unless ``solver`` is 'cbc' or highspy is not
    installed. Raises ``Infeasible`` when the solver proves there is no plan
    and ``NoPlan`` when it stops without proving one.

    With HiGHS the solved arrays stay on the model (``m.solved``, with the
    optimal basis of the LP, or of the LP with the integers fixed), for the
    year-by-year plan and the value of a post."""
    if solver not in ("highs", "cbc"):
        raise ValueError(f"solver '{solver}' is not 'highs' or 'cbc'")
    if solver == "highs":
        try:
            import highspy  # noqa: F401
        except ImportError:
            solver = "cbc"
    t0 = time.perf_counter()
    if solver == "cbc":
        info = _solve_cbc(m)
    else:
        info = _solve_highs(m, t0)
    info.seconds = time.perf_counter() - t0
    return info


def _solve_highs(m: StaffingModel, t0: float) -> SolveInfo:
    hm = to_arrays(m.variables, m.rows, m.objective)
    if m.params.integer:
        _whole_bounds(hm)
    m.solved = hm
    h = hm.new_highs(lp_options(len(hm.columns)) | {"time_limit": float(m.params.time_limit)})
    h.run()
    _check(m, "highs", highs_status(h))
    hm.highs = h
    z_lp = h.getObjectiveValue()
    if not m.params.integer or not hm.integer.any():
        read_back(hm, h)
        return SolveInfo("highs", "Optimal", 0.0, z_lp + m.fixed_salary, m.elastic)
    from optimize.rounding import round_plan

    left = m.params.time_limit - (time.perf_counter() - t0)
    gap = m.params.integer_gap
    x, z, method, proven, bound = round_plan(m, hm, h, z_lp, gap, left)
    if x is None:
        if proven is None:
            raise _time_limit_error(m, "highs", "a plan in whole persons")
        raise NoPlan(f"no plan in whole persons was proven within plan.integer_gap ({gap:.2%}) of the best one in "
                     f"{m.params.time_limit:g} s: the best found is proven within {proven:.2%} (measured on the "
                     f"decision-dependent objective, against the LP relaxation or HiGHS's bound), so no plan is "
                     f"reported. To get one, set plan.integer_gap = {proven + 0.0005:.3f}, raise plan.time_limit, "
                     f"or solve the LP (plan.integer = false), whose plan is exact")
    fixed = _fix_integers(hm, x)
    fixed.run()
    _check(m, "highs", highs_status(fixed))
    hm.highs = fixed
    read_back(hm, fixed)
    z_int = fixed.getObjectiveValue()
    return SolveInfo("highs", "Optimal", 0.0, z_int + m.fixed_salary, m.elastic, z_lp + m.fixed_salary,
                     (z_int - z_lp) / max(abs(z_lp), 1e-9), proven, method, bound + m.fixed_salary)


def _whole_bounds(hm: HighsModel) -> None:
    """Integer columns' bounds to whole numbers (a yearly limit of 11.6
    retrained teachers is 11 whole ones): the same plans in whole persons,
    and a stronger LP relaxation to prove them against. On the library's
    retraining scenario, whose limits are shares of staff (400.2 teachers,
    232 whole), it raised the LP's objective by 0.25 bn yuan-equivalent, to
    4.8 m below HiGHS's own bound; on the default district it changes
    nothing (measured 2 December 2026)."""
    ints = hm.integer
    hm.col_upper[ints] = np.floor(hm.col_upper[ints] + 1e-6)
    hm.col_lower[ints] = np.ceil(hm.col_lower[ints] - 1e-6)


def _fix_integers(hm: HighsModel, x: np.ndarray):
    """An LP of the model with every integer variable held at its value in
    ``x`` (rounded), warm-started from nothing: its basis prices posts."""
    lower, upper = hm.col_lower.copy(), hm.col_upper.copy()
    ints = np.flatnonzero(hm.integer)
    lower[ints] = upper[ints] = np.round(x[ints])
    from optimize.highs import load

    return load(hm.A, hm.cost, lower, upper, hm.row_lower, hm.row_upper, lp_options(len(hm.columns)))


def _solve_cbc(m: StaffingModel) -> SolveInfo:
    """CBC through PuLP (a MIP when integer: its gap on the decision-dependent objective)."""
    s = pulp.PULP_CBC_CMD(msg=logging(), timeLimit=m.params.time_limit,
                          gapRel=m.params.integer_gap if m.params.integer else None)
    if not s.available():
        raise NoPlan("no solver could run (highs is not installed and cbc is not available)")
    prob = m.to_pulp()
    prob.solve(s)
    if prob.status == pulp.LpStatusInfeasible:
        raise Infeasible("cbc: no plan meets every hard limit")
    if prob.status == pulp.LpStatusNotSolved or prob.sol_status == pulp.LpSolutionIntegerFeasible:
        raise _time_limit_error(m, "cbc", f"a plan in whole persons within {m.params.integer_gap:.2%} of the best "
                                          f"one" if m.params.integer else "the plan optimal")
    if not (prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal):
        raise NoPlan(f"the solver (cbc) ended with status '{pulp.LpStatus[prob.status]}' without a proven plan")
    if m.params.integer:
        # a MIP has no meaningful duals: fix the integers and re-solve the LP
        ints = [v for v in m.variables if v.cat == pulp.LpInteger]
        for v in ints:
            v.lowBound = v.upBound = round(v.varValue or 0.0)
            v.cat = pulp.LpContinuous
        try:
            prob.solve(pulp.PULP_CBC_CMD(msg=logging(), timeLimit=m.params.time_limit))
        finally:
            for v in ints:
                v.cat = pulp.LpInteger
    for row in m.rows:  # the rows carry what PuLP's constraints got
        con = prob.constraints[row.name]
        row.slack, row.pi = con.slack, con.pi
    return SolveInfo("cbc", "Optimal", 0.0, float(pulp.value(prob.objective)) + m.fixed_salary, m.elastic,
                     method="cbc")


def solve_hard_first(build, solver: str = "highs"):
    """Build (``build(elastic)`` -> model) and solve with every limit hard;
    only when the solver proves no plan meets them all, rebuild with the
    elastic slacks and solve again. Returns (model, SolveInfo, build
    seconds); the info's seconds include the failed hard solve."""
    t0 = time.perf_counter()
    m = build(False)
    build_seconds = time.perf_counter() - t0
    try:
        return m, solve_model(m, solver), build_seconds
    except Infeasible:
        hard = time.perf_counter() - t0 - build_seconds
    t1 = time.perf_counter()
    m = build(True)
    build_seconds += time.perf_counter() - t1
    info = solve_model(m, solver)
    info.seconds += hard
    return m, info, build_seconds

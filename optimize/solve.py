"""Solve a built model: HiGHS through highspy; CBC (bundled with PuLP) when
asked for, or when HiGHS cannot run.

Only a proven optimum is a plan (in integer mode: a solution proved within
HiGHS's relative gap). A solve stopped by its time limit, or ended for any
other reason, raises ``NoPlan`` with what to do; its iterate is never read
back as a plan, and CBC is never tried to hide it.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import pulp

from optimize.model import StaffingModel

#: relative gap at which a MIP's solution counts as proven
MIP_GAP = 0.005


@dataclass
class SolveInfo:
    """How a plan was solved. ``seconds``: solver time (s), both solves when
    the hard model was infeasible and was re-solved with elastic limits
    (``relaxed``); ``objective`` in yuan-equivalent."""
    solver: str
    status: str
    seconds: float
    objective: float
    relaxed: bool = False


class Infeasible(Exception):
    """A solver proved that no plan meets every hard limit."""


class NoPlan(Exception):
    """The solver stopped without proving a plan optimal: there is no plan."""


#: whether solvers print their log (``staffcast … --verbose``); off by default
_LOG: ContextVar[bool] = ContextVar("solver_log", default=False)


@contextmanager
def solver_log(on: bool = True):
    """Let the solvers print their log (banner, iterations) inside the block."""
    token = _LOG.set(on)
    try:
        yield
    finally:
        _LOG.reset(token)


@lru_cache(maxsize=2)
def _highs_class(output: bool):
    """A ``highspy.Highs`` whose output is set before its first call.

    HiGHS prints its banner ("Running HiGHS … Copyright …") on the first call
    made while ``output_flag`` is on, and highspy's constructor makes one
    (installing its callback) before PuLP can switch output off: with
    ``msg=False`` alone the banner is still printed on every solve."""
    import highspy

    class Highs(highspy.Highs):
        def enableCallbacks(self):
            self.setOptionValue("output_flag", output)  # the constructor's first call: output first
            super().enableCallbacks()

    return Highs


class _HiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface with the banner kept off unless asked for."""

    def createAndConfigureSolver(self, lp):
        lp.solverModel = _highs_class(bool(self.msg))()
        options = {"mip_rel_gap": self.gapRel, "mip_abs_gap": self.gapAbs, "threads": self.threads,
                   "time_limit": None if self.timeLimit is None else float(self.timeLimit), **self.optionsDict}
        for key, value in options.items():
            if value is not None:
                lp.solverModel.setOptionValue(key, value)


def _solver(name: str, time_limit: float, integer: bool = False):
    msg = _LOG.get()
    if name == "highs":
        # one thread: the same inputs give the same plan, bit for bit
        if integer:
            return _HiGHS(msg=msg, timeLimit=time_limit, threads=1, random_seed=0, mip_rel_gap=MIP_GAP)
        # interior point with crossover: on the district model it is ~4x faster
        # than dual simplex (2.5 s against 10 s, measured), and still gives duals
        return _HiGHS(msg=msg, timeLimit=time_limit, threads=1, random_seed=0, solver="ipm")
    if name == "cbc":
        return pulp.PULP_CBC_CMD(msg=msg, timeLimit=time_limit, gapRel=MIP_GAP if integer else None)
    raise ValueError(f"solver '{name}' is not 'highs' or 'cbc'")


def _outcome(m: StaffingModel, name: str) -> str:
    """'optimal', 'infeasible', 'time limit' or another reason the solve ended."""
    if name == "highs":
        import highspy

        status = m.prob.solverModel.getModelStatus()
        s = highspy.HighsModelStatus
        if status == s.kOptimal:
            return "optimal"
        # every objective term is a cost on a non-negative variable: the model is never unbounded
        if status in (s.kInfeasible, s.kUnboundedOrInfeasible):
            return "infeasible"
        if status == s.kTimeLimit:
            return "time limit"
        return m.prob.solverModel.modelStatusToString(status)
    if m.prob.status == pulp.LpStatusOptimal and m.prob.sol_status == pulp.LpSolutionOptimal:
        return "optimal"
    if m.prob.status == pulp.LpStatusInfeasible:
        return "infeasible"
    if m.prob.status == pulp.LpStatusNotSolved or m.prob.sol_status == pulp.LpSolutionIntegerFeasible:
        return "time limit"
    return pulp.LpStatus[m.prob.status]


def _run(m: StaffingModel, name: str, solver) -> None:
    """Solve with one solver; raise Infeasible or NoPlan unless optimal."""
    m.prob.solve(solver)
    outcome = _outcome(m, name)
    if outcome == "infeasible":
        raise Infeasible(f"{name}: no plan meets every hard limit")
    if outcome == "time limit":
        what = "a plan in whole persons within a 0.5% gap" if m.params.integer else "the plan optimal"
        advice = ("raise plan.time_limit, or solve the LP (plan.integer = false), whose plan is exact"
                  if m.params.integer else "raise plan.time_limit")
        raise NoPlan(f"the solver ({name}) stopped at its time limit of {m.params.time_limit:g} s before proving "
                     f"{what}; no plan is reported, because an unproven iterate can break the stock balance and "
                     f"the cap. To get a plan, {advice}")
    if outcome != "optimal":
        raise NoPlan(f"the solver ({name}) ended with status '{outcome}' without a proven plan; no plan is reported")


def solve_model(m: StaffingModel, solver: str = "highs") -> SolveInfo:
    """Solve in place; HiGHS unless ``solver`` is 'cbc' or HiGHS cannot run
    (not installed, or crashed). Raises ``Infeasible`` when the solver proves
    there is no plan and ``NoPlan`` when it stops without proving one.

    A MIP has no meaningful duals: its integers are then fixed at their values
    and the LP re-solved, so that posts can still be priced.
    """
    order = [solver] + (["cbc"] if solver == "highs" else [])
    last_error = None
    for name in order:
        s = _solver(name, m.params.time_limit, m.params.integer)
        if not s.available():
            last_error = f"{name} is not available"
            continue
        t0 = time.perf_counter()
        try:
            _run(m, name, s)
        except pulp.PulpSolverError as exc:  # the solver could not run: try the next one
            last_error = f"{name}: {exc}"
            continue
        if m.params.integer:
            _fix_integers_and_resolve(m, name, _solver(name, m.params.time_limit))
        seconds = time.perf_counter() - t0
        return SolveInfo(name, "Optimal", seconds, float(pulp.value(m.prob.objective)), m.elastic)
    raise NoPlan(f"no solver could run ({last_error})")


def _fix_integers_and_resolve(m: StaffingModel, name: str, solver) -> None:
    ints = [v for v in m.prob.variables() if v.cat == pulp.LpInteger]
    for v in ints:
        val = round(v.varValue or 0.0)
        v.lowBound = v.upBound = val
        v.cat = pulp.LpContinuous
    try:
        _run(m, name, solver)
    finally:
        for v in ints:
            v.cat = pulp.LpInteger

"""The staffing model handed to HiGHS (highspy) as arrays, and read back.

PuLP's own HiGHS interface adds the model a column and a row at a time and
sorts every variable by name each time it lists them (three times a
solve); passing the matrix at once takes a third of its time. The arrays
are kept (``HighsModel``): the year-by-year plan (``optimize.myopic``) and
the value of a post (``optimize.value``) solve sub-models and basis systems
of this same matrix.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pulp
import scipy.sparse as sp

INF = float("inf")
#: interior point with crossover: on the district model it is ~4x faster than
#: dual simplex (measured), and still gives duals and a basis; one thread, so
#: the same inputs give the same plan, bit for bit
LP_OPTIONS = {"threads": 1, "random_seed": 0, "solver": "ipm"}
#: below this many columns dual simplex solves the plan's LP faster than
#: interior point: a one-area county (2,917 columns) 0.045 s against 0.085 s,
#: a two-area district (7,794) 1.1 s against 0.33-0.59 s (best of 2, busy 2-core
#: machine); a country is thousands of such small LPs
SIMPLEX_BELOW = 5_000


def lp_options(columns: int) -> dict:
    """``LP_OPTIONS`` with the solver chosen by the model's size (columns)."""
    return LP_OPTIONS | ({"solver": "simplex"} if columns < SIMPLEX_BELOW else {})

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


def logging() -> bool:
    """Whether solvers print their log here (inside ``solver_log``)."""
    return _LOG.get()


@lru_cache(maxsize=2)
def highs_class(output: bool):
    """A ``highspy.Highs`` whose output is set before its first call.

    HiGHS prints its banner ("Running HiGHS … Copyright …") on the first call
    made while ``output_flag`` is on, and highspy's constructor makes one
    (installing its callback) before the caller can switch output off."""
    import highspy

    class Highs(highspy.Highs):
        def enableCallbacks(self):
            self.setOptionValue("output_flag", output)  # the constructor's first call: output first
            super().enableCallbacks()

    return Highs


@dataclass
class HighsModel:
    """A model's columns and rows as arrays (rows: lower <= A x <= upper)."""

    columns: list            # LpVariable per column
    rows: list               # LpConstraint per row
    A: sp.csr_matrix
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    integer: np.ndarray      # bool per column
    highs: object = None     # the highspy.Highs that solved it, when solved

    def new_highs(self, options: dict, integer: bool = False):
        """A highspy.Highs holding this model (as a MIP if ``integer``)."""
        return load(self.A, self.cost, self.col_lower, self.col_upper, self.row_lower, self.row_upper,
                    options, self.integer if integer else None)


def load(A: sp.csr_matrix, cost, col_lower, col_upper, row_lower, row_upper, options: dict, integer=None):
    """A highspy.Highs with the LP (or MIP) given by arrays, options set."""
    import highspy

    h = highs_class(logging())()
    for key, value in options.items():
        h.setOptionValue(key, value)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.asarray(col_lower, dtype=float)
    lp.col_upper_ = np.asarray(col_upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    if integer is not None and integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer]
    h.passModel(lp)
    return h


def to_arrays(variables: list, rows: list, objective: list) -> HighsModel:
    """The model's matrix, bounds and costs (a variable given twice in a
    row or in the objective counts with its coefficients added); sets each
    variable's ``index``."""
    for i, v in enumerate(variables):
        v.index = i
    n = len(variables)
    starts, index, value = [0], [], []
    lower, upper = np.empty(len(rows)), np.empty(len(rows))
    for k, con in enumerate(rows):
        for v, a in con.terms:
            index.append(v.index)
            value.append(a)
        starts.append(len(index))
        lower[k] = con.rhs if con.sense in (pulp.LpConstraintGE, pulp.LpConstraintEQ) else -INF
        upper[k] = con.rhs if con.sense in (pulp.LpConstraintLE, pulp.LpConstraintEQ) else INF
    A = sp.csr_matrix((np.array(value, dtype=float), np.array(index, dtype=np.int64), np.array(starts)),
                      shape=(len(rows), n))
    A.sum_duplicates()
    A.eliminate_zeros()
    cost = np.zeros(n)
    np.add.at(cost, [v.index for v, _ in objective], [a for _, a in objective])
    col_lower = np.array([-INF if v.lowBound is None else v.lowBound for v in variables], dtype=float)
    col_upper = np.array([INF if v.upBound is None else v.upBound for v in variables], dtype=float)
    integer = np.array([v.cat == pulp.LpInteger for v in variables])
    return HighsModel(variables, rows, A, cost, col_lower, col_upper, lower, upper, integer)


def read_back(hm: HighsModel, h) -> None:
    """Put the solution of ``h`` into the PuLP variables and constraints
    (varValue, dj; pi, slack), as PuLP's own interface does."""
    sol = h.getSolution()
    x, dj = np.asarray(sol.col_value), np.asarray(sol.col_dual)
    for v, xi, di in zip(hm.columns, x.tolist(), dj.tolist()):
        v.varValue, v.dj = xi, di
    act, pi = np.asarray(sol.row_value), np.asarray(sol.row_dual)
    for con, a, p in zip(hm.rows, act.tolist(), pi.tolist()):
        con.slack = con.rhs - a if con.sense == pulp.LpConstraintLE else a - con.rhs
        con.pi = p

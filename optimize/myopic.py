"""The ``myopic`` plan: the same LP, every lever, solved one year at a time.

Year t's sub-model is the full model's rows of year t over its columns of
year t, with everything of earlier years held at what the earlier steps
chose (moved to the rows' bounds) and nothing of later years: the same
``define_*`` rows, without look-ahead. So each year's stocks — the
base-year staff at home, moved and rotated, and the plan's own hires —
carry into the next exactly as in the full plan, and the difference between
``myopic`` and ``lp`` is what foresight buys.

A year that cannot meet every hard limit (a cap that falls below the
permanent staff an earlier year hired, say) is solved with the full
model's limits made elastic at ``elastic_weight``, and the breaks are
counted in the myopic plan's objective.
"""
from __future__ import annotations

import numpy as np

from optimize.highs import HighsModel, load
from optimize.model import StaffingModel, column_years, row_years

OPTIONS = {"threads": 1, "random_seed": 0, "solver": "simplex"}


def solve_myopic(m: StaffingModel, hm: HighsModel) -> tuple[np.ndarray, float, int]:
    """(column values, objective without ``fixed_salary``, years that had to
    break a limit)."""
    import highspy

    cy, ry = column_years(m), row_years(m)
    col_year = np.array([cy[v.name] for v in hm.columns])
    row_year = np.array([ry[c.name] for c in hm.rows])
    elastic = _elastic_rows(m, hm)
    A = hm.A.tocsc()
    x = np.zeros(len(hm.columns))
    broken, penalty = 0, 0.0
    for t in m.inputs.years:
        cols = np.flatnonzero(col_year == t)
        rows = np.flatnonzero(row_year == t)
        past = np.flatnonzero(col_year < t)
        sub = A[:, cols].tocsr()[rows]
        shift = (A[:, past].tocsr()[rows] @ x[past]) if len(past) else np.zeros(len(rows))
        lower, upper = hm.row_lower[rows] - shift, hm.row_upper[rows] - shift
        opts = OPTIONS | {"time_limit": float(m.params.time_limit)}
        h = load(sub, hm.cost[cols], hm.col_lower[cols], hm.col_upper[cols], lower, upper, opts)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            broken += 1
            h = _elastic_year(sub, hm, cols, rows, lower, upper, elastic, m.params.elastic_weight, opts)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                from optimize.solve import NoPlan

                raise NoPlan(f"the year-by-year plan found no plan for {t} even with elastic limits "
                             f"({h.modelStatusToString(h.getModelStatus())})")
        sol = np.asarray(h.getSolution().col_value)
        x[cols] = np.clip(sol[:len(cols)], hm.col_lower[cols], hm.col_upper[cols])
        penalty += m.params.elastic_weight * float(sol[len(cols):].sum())
    return x, float(hm.cost @ x) + penalty, broken


def _elastic_rows(m: StaffingModel, hm: HighsModel) -> dict:
    """row index -> unit, for the rows a slack may break."""
    index = {c.name: i for i, c in enumerate(hm.rows)}
    return {index[m.constraints[f][k].name]: unit for (f, k), unit in m.elastic_rows.items()}


def _elastic_year(sub, hm, cols, rows, lower, upper, elastic, weight, opts):
    """Year t's sub-model with a priced slack on each elastic row."""
    import scipy.sparse as sp

    pick = [k for k, i in enumerate(rows) if i in elastic]
    extra = []
    for k in pick:  # a slack that loosens the row's finite side(s)
        if np.isfinite(upper[k]):
            extra.append((k, -1.0))
        if np.isfinite(lower[k]):
            extra.append((k, 1.0))
    S = sp.csr_matrix((np.array([a for _, a in extra]), ([k for k, _ in extra], np.arange(len(extra)))),
                      shape=(len(rows), len(extra)))
    A = sp.hstack([sub, S]).tocsr()
    cost = np.concatenate([hm.cost[cols], np.full(len(extra), weight)])
    lo = np.concatenate([hm.col_lower[cols], np.zeros(len(extra))])
    up = np.concatenate([hm.col_upper[cols], np.full(len(extra), np.inf)])
    return load(A, cost, lo, up, lower, upper, opts)

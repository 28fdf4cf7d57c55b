"""A plan in whole persons (integer mode), proven against the LP.

The LP relaxation's objective is a lower bound on every plan in whole
persons, so a plan within ``gap`` of it is proven within ``gap`` of the
best. Three ways to such a plan, tried in turn within the time limit:

1. **Relax and fix over a rolling horizon** (``rolling_horizon``): for each
   plan year t, from the first, HiGHS's MIP solves the model of years t to
   t + ``LOOK_AHEAD`` with year t's hires, moves, retraining and rotation in
   whole persons, the earlier years' held at the whole numbers already
   chosen and the later years' fractional; year t's whole numbers are then
   fixed and the window moves on. Temporary cover, shortfall, surplus,
   stocks and posts stay continuous (FTE and posts; the persons in post are
   the supply model's expectations, fractional anyway). Rows of year t hold
   no variable of a later year, so the window is the full model's rows up to
   its last year. On the default district the whole-horizon window (every
   later year fractional) came to 0.314% above the LP's objective in 230 s; a
   look-ahead of 1 year to 0.360% in 19 s, 2 years to 0.333% in 40 s, 3
   years to 0.327% in 54 s (1-2 December 2026, a loaded 2-core machine).
2. **Rounding the LP's plan year by year** (``round_years``), when a window
   finds no plan in its share of the time: year by year, from the first,
   the LP (re-solved with the years before held at their whole numbers)
   says how many to hire and move this year; those numbers are rounded so
   that each group's total — hires of an area, stage and certificate;
   moves of an area between two stages; rotation of a stage and subject —
   is the LP's total rounded, the extra whole persons going where the LP's
   fractions are largest; rotation into areas is then made to match
   rotation out. Where that breaks a limit (a cap, a mentoring or graduate
   limit, staff at home), the LP's certificate of infeasibility (its dual
   ray) names the rows, and in each the hire or move rounded up the most is
   rounded down instead, until the year fits. On the default district it
   comes to 1.29% above the LP's objective, 115 of its 126 m yuan-equivalent
   as shortfall in areas whose cap binds.
3. **Branch and bound**: when the plan found is not within ``gap`` of the
   LP, HiGHS's MIP starts from it with the time left and proves the gap
   against its own (higher) bound.
"""
from __future__ import annotations

import time

import numpy as np

from optimize.highs import LP_OPTIONS, HighsModel, load
from optimize.model import StaffingModel, row_years


def _groups(m: StaffingModel) -> dict:
    """column -> the group whose total is rounded together."""
    g = {}
    for k, v in m.hires.items():
        g[v.index] = ("hire", k[0], k[1], k[3], k[-1])
    for k, v in m.stage_moves.items():
        g[v.index] = ("move", k[0], k[1], k[2], k[3], k[-1])
    for k, v in m.retraining.items():
        g[v.index] = ("retrain", k[0], k[1], k[2], k[3], k[-1])
    for k, v in m.rotation_out.items():
        g[v.index] = ("out",) + k[1:]
    return g


def _controlled(idx: np.ndarray, v: np.ndarray, group: dict) -> np.ndarray:
    """Round ``v`` so that each group's total is its total rounded, the
    largest fractions rounded up."""
    r = np.floor(v + 1e-7)
    by = {}
    for pos, i in enumerate(idx.tolist()):
        by.setdefault(group.get(i, ("single", i)), []).append(pos)
    for pos in by.values():
        pos = np.array(pos)
        n = int(round(v[pos].sum() - r[pos].sum()))
        if n > 0:
            up = pos[np.argsort(-(v[pos] - r[pos]), kind="stable")][:n]
            r[up] += 1
    return r


def _balance(m: StaffingModel, values: dict, lp: np.ndarray, t: int) -> None:
    """Rotation into areas to the same whole total as rotation out, per
    stage, subject and certificate, shared as the LP shares it."""
    pool = {}
    for k, v in m.rotation_out.items():
        if k[-1] == t:
            pool.setdefault(k[1:], ([], []))[0].append(v.index)
    for k, v in m.rotation_in.items():
        if k[-1] == t:
            pool.setdefault(k[1:], ([], []))[1].append(v.index)
    for outs, ins in pool.values():
        total = sum(values[i] for i in outs)
        want = np.maximum(lp[ins], 0.0)
        base = np.floor(want * total / want.sum()) if want.sum() > 0 else np.zeros(len(ins))
        if want.sum() == 0 and total > 0:
            want = np.ones(len(ins))
        left = int(round(total - base.sum()))
        for k in np.argsort(-(want - base), kind="stable")[:max(0, left)]:
            base[k] += 1
        for i, b in zip(ins, base):
            values[i] = float(b)


#: plan years a rolling-horizon window looks ahead of the year whose whole
#: numbers it fixes (measured on the default district: see the module docstring)
LOOK_AHEAD = 2
#: a window's MIP: one thread and a fixed seed, so the same inputs give the same plan when no window stops at
#: its time limit; its gap is absolute (``rolling_horizon``), the relative one off
MIP_OPTIONS = {k: v for k, v in LP_OPTIONS.items() if k != "solver"} | {"mip_rel_gap": 0.0}


def round_plan(m: StaffingModel, hm: HighsModel, h, z_lp: float, gap: float, seconds: float):
    """(column values in whole persons, decision-dependent objective, how
    found, proven gap, the lower bound it is proven against) for a plan
    proven within ``gap`` of the best; or (None, None, reason, best proven
    gap or None, None) when none is within ``seconds``.

    ``h`` holds the LP relaxation, solved (objective ``z_lp``, the base-year
    staff's salaries left out); a gap is (z - z_lp) / z, as HiGHS's MIP
    measures it against its bound. Each window of the rolling horizon may
    leave up to a quarter of ``gap`` / (plan years) of the LP's objective on
    the table."""
    deadline = time.perf_counter() + seconds
    tolerance = gap * abs(z_lp) / (4 * max(1, len(m.inputs.years)))
    found, method = rolling_horizon(m, hm, tolerance, deadline), "rolling horizon"
    if found is None:
        found, method = round_years(m, hm, h, deadline), "rounding"
    x = z = proven = None
    if found is not None:
        x, z = found
        proven = (z - z_lp) / max(abs(z), 1e-9)
        if proven <= gap:
            return x, z, method, proven, z_lp
    left = deadline - time.perf_counter()
    if left <= 1:
        return None, None, "time limit", proven, None
    return _branch_and_bound(hm, x, z, proven, gap, left)


def plan_years(m: StaffingModel, hm: HighsModel) -> tuple[np.ndarray, np.ndarray]:
    """(each column's plan year, each row's): a row's is its key's last
    element; a column's the first year of the rows that hold it (a row of
    year t holds no variable of a later year, so that is the column's own
    year wherever a row of its own year holds it), the first plan year for a
    column in no row."""
    ry = row_years(m)
    row_year = np.array([ry[c.name] for c in hm.rows], dtype=int)
    A = hm.A.tocsc()
    col_year = np.full(A.shape[1], m.inputs.years[0], dtype=int)
    held = np.flatnonzero(np.diff(A.indptr) > 0)
    if len(held):
        col_year[held] = np.minimum.reduceat(row_year[A.indices], A.indptr[held])
    return col_year, row_year


def rolling_horizon(m: StaffingModel, hm: HighsModel, tolerance: float, deadline: float):
    """(column values, decision-dependent objective) of a plan in whole
    persons found by relax and fix over a rolling horizon (module
    docstring), or None when a window finds no plan in its share of the
    time left before ``deadline`` (``time.perf_counter()`` seconds).

    ``tolerance`` (objective units, yuan-equivalent): a window's MIP stops
    once its plan is proven within it of the window's best."""
    import highspy

    years = m.inputs.years
    col_year, row_year = plan_years(m, hm)
    lower, upper = hm.col_lower.copy(), hm.col_upper.copy()
    for k, t in enumerate(years):
        left = deadline - time.perf_counter()
        if left <= 1:
            return None
        last = years[min(k + LOOK_AHEAD, len(years) - 1)]
        rows, cols = np.flatnonzero(row_year <= last), np.flatnonzero(col_year <= last)
        integer = hm.integer[cols] & (col_year[cols] == t)
        opts = MIP_OPTIONS | {"mip_abs_gap": float(tolerance), "time_limit": left / (len(years) - k)}
        mip = load(hm.A[rows][:, cols], hm.cost[cols], lower[cols], upper[cols], hm.row_lower[rows],
                   hm.row_upper[rows], opts, integer)
        mip.run()
        if mip.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
            return None
        x = np.asarray(mip.getSolution().col_value)
        lower[cols[integer]] = upper[cols[integer]] = np.round(x[integer])
    # the last window is the whole model (every column is of a plan year up to the last)
    x[hm.integer] = lower[hm.integer]
    return x, float(mip.getObjectiveValue())


def round_years(m: StaffingModel, hm: HighsModel, h, deadline: float):
    """(column values, decision-dependent objective) of the LP's plan
    rounded year by year (module docstring), or None when rounding breaks a
    limit it cannot repair or runs past ``deadline``. Leaves ``h`` with the
    integer columns fixed at the plan's values."""
    import highspy

    ok = highspy.HighsModelStatus.kOptimal
    ints = np.flatnonzero(hm.integer)
    year = np.zeros(len(hm.columns), dtype=int)
    for d in (m.hires, m.stage_moves, m.retraining, m.rotation_out, m.rotation_in):
        for k, v in d.items():
            year[v.index] = k[-1]
    group = _groups(m)
    h.setOptionValue("solver", "simplex")  # warm starts from the LP's basis
    for t in m.inputs.years:
        lp = np.asarray(h.getSolution().col_value)
        idx = ints[year[ints] == t]
        if not len(idx):
            continue
        v = np.maximum(lp[idx], 0.0)
        r = _controlled(idx, v, group)
        for attempt in range(500):
            values = dict(zip(idx.tolist(), r.tolist()))
            _balance(m, values, lp, t)
            r = np.array([values[i] for i in idx.tolist()])
            h.changeColsBounds(len(idx), idx.astype(np.int32), r, r)
            h.run()
            if h.getModelStatus() == ok:
                break
            if time.perf_counter() > deadline:
                return None
            has_ray, ray = h.getDualRay()[1:]
            rows = np.flatnonzero(np.abs(np.asarray(ray)) > 1e-9) if has_ray else np.array([], dtype=int)
            sub = hm.A[rows][:, idx].tocsr()
            down = set()
            for k in range(sub.shape[0]):
                cand = [c for c in sub.indices[sub.indptr[k]:sub.indptr[k + 1]] if r[c] > v[c] + 1e-9]
                if cand:
                    down.add(max(cand, key=lambda c: (r[c] - v[c], -c)))
            if not down:  # nothing rounded up to blame: round the whole year down
                if np.array_equal(r, np.floor(v + 1e-7)):
                    return None
                r = np.floor(v + 1e-7)
            else:
                for c in down:
                    r[c] = np.floor(v[c] + 1e-7)
        else:
            return None
    return np.asarray(h.getSolution().col_value).copy(), h.getObjectiveValue()


def _branch_and_bound(hm: HighsModel, x, z, proven, gap: float, seconds: float):
    """HiGHS's MIP from the plan found (if any), proving ``gap`` on its own
    bound (``mip_dual_bound``, at least the LP's after presolve and cuts)."""
    import highspy

    options = {k: v for k, v in LP_OPTIONS.items() if k != "solver"}
    mip = hm.new_highs(options | {"mip_rel_gap": gap, "time_limit": float(seconds)}, integer=True)
    if x is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(x)
        sol.value_valid = True
        mip.setSolution(sol)
    mip.run()
    info = mip.getInfo()
    if mip.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        return np.asarray(mip.getSolution().col_value).copy(), mip.getObjectiveValue(), "branch and bound", \
            float(info.mip_gap), float(info.mip_dual_bound)
    if info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible:
        best = float(info.mip_gap)
        proven = best if proven is None else min(proven, best)
    return None, None, "time limit", proven, None

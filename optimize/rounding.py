"""A plan in whole persons from the LP's plan (integer mode).

Year by year, from the first: the LP (re-solved with the years before held
at their whole numbers) says how many to hire and move this year; those
numbers are rounded so that each group's total — hires of an area, stage
and certificate; moves of an area between two stages; rotation of a
stage and subject — is the LP's total rounded, the extra whole persons
going where the LP's fractions are largest; rotation into areas is then
made to match rotation out. Where that breaks a limit (a cap, a mentoring
or graduate limit, staff at home), the LP's certificate of infeasibility
(its dual ray) names the rows, and in each the hire or move rounded up the
most is rounded down instead, until the year fits. The LP is then re-solved
for the years left, which take up what rounding moved.

The LP relaxation's objective is a lower bound on every plan in whole
persons, so a rounded plan within ``gap`` of it is proven within ``gap`` of
the best. When rounding is not, HiGHS's branch and bound starts from it
with the time left.
"""
from __future__ import annotations

import time

import numpy as np

from optimize.highs import LP_OPTIONS, HighsModel
from optimize.model import StaffingModel


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


def round_plan(m: StaffingModel, hm: HighsModel, h, z_lp: float, gap: float, seconds: float):
    """(column values in whole persons, decision-dependent objective, how
    found, proven gap) for a plan proven within ``gap`` of the best; or
    (None, None, reason, best proven gap or None) when none is within
    ``seconds``."""
    import highspy

    t0 = time.perf_counter()
    ok = highspy.HighsModelStatus.kOptimal
    ints = np.flatnonzero(hm.integer)
    year = np.zeros(len(hm.columns), dtype=int)
    for d in (m.hires, m.stage_moves, m.retraining, m.rotation_out, m.rotation_in):
        for k, v in d.items():
            year[v.index] = k[-1]
    group = _groups(m)
    h.setOptionValue("solver", "simplex")  # warm starts from the LP's basis
    feasible = True
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
            if time.perf_counter() - t0 > seconds:
                return None, None, "time limit", None
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
                    feasible = False
                    break
                r = np.floor(v + 1e-7)
            else:
                for c in down:
                    r[c] = np.floor(v[c] + 1e-7)
        else:
            feasible = False
        if not feasible:
            break
    if feasible:
        x = np.asarray(h.getSolution().col_value).copy()
        z = h.getObjectiveValue()
        proven = (z - z_lp) / max(abs(z), 1e-9)
        if proven <= gap:
            return x, z, "rounding", proven
    else:
        x, z, proven = None, None, None
    left = seconds - (time.perf_counter() - t0)
    if left <= 1:
        return None, None, "time limit", proven
    return _branch_and_bound(hm, x, z, proven, gap, left)


def _branch_and_bound(hm: HighsModel, x, z, proven, gap: float, seconds: float):
    """HiGHS's MIP from the rounded plan (if any), proving ``gap`` on its own bound."""
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
            float(info.mip_gap)
    if info.primal_solution_status:
        best = float(info.mip_gap)
        proven = best if proven is None else min(proven, best)
    return None, None, "time limit", proven

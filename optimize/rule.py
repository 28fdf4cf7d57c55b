"""The ``rule`` baseline: what a bureau does by hand, year by year.

Each plan year, with no look-ahead and no moves:

1. Teachers still in post: the base-year staff of each cell as the supply
   model projects them, and the rule's own hires of earlier years less
   ``new_hire_attrition``.
2. The gap of each area and stage is its demand less those teachers (FTE,
   subjects with no gap count zero). Area-stage pairs are taken in order of
   their gap as a share of their demand, largest first, across the district
   (by the gap in FTE instead, the big primary stage takes the posts first and
   the rule leaves 6,072 FTE-years short on the default district, not 3,936;
   the oldest stage first, as a bureau that knows the wave moves up might,
   3,774).
3. Each stage hires teachers certified for itself (never for a stage above),
   up to its gap, within: the area's posts under its cap that nobody holds,
   its own posts rising at most ``post_shift_share`` of the cap a year (and
   those falling vacant in it kept for it as fast as that share allows), the
   district's graduate supply for its certificate, and the mentoring limit
   (``mentor_ratio`` per experienced teacher: base-year staff, and its own
   hires after ``mentor_after_years``). Hires are shared among the stage's
   subjects in proportion to their gaps.
4. What is still uncovered gets temporary cover up to the same limit as the
   plan's (``temporary_limits``), and the rest is shortfall.

It respects every limit the LP does, so the LP could have chosen it; the
difference between the two is what moves, rotation, upper-certificate hires
and foresight buy.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.model import temporary_limits
from optimize.problem import PlanInputs, PlanParams, lookup
from optimize.solution import STAFF_COLUMNS


def rule_plan(inputs: PlanInputs, params: PlanParams) -> dict[str, pd.DataFrame]:
    """Frames staff (same columns as the LP's plan_staff), hires and posts
    (region, stage, year, posts, cap, filled)."""
    retention = inputs.rates
    dem = lookup(inputs.demand, ["region", "stage", "subject", "year"], "demand")
    cap = lookup(inputs.cap, ["region", "year"], "cap")
    temp_max = temporary_limits(inputs, params)
    cells = inputs.cells()
    subjects = {s: [j for ss, j in cells if ss == s] for s in inputs.stages}
    home = {(r, s, j, c): h for r, s, j, c, h in inputs.stock[
        ["region", "stage", "subject", "certificate", "headcount"]].itertuples(index=False, name=None) if h > 0}
    posts = lookup(inputs.posts, ["region", "stage"], "posts")
    cohorts = {}  # (r, s, j, year hired) -> the rule's hires still in post
    keep = 1 - params.new_hire_attrition
    rows, hire_rows, post_rows = [], [], []
    for t in inputs.years:
        # who is still in post, by cell, and who left (persons)
        before, after = {}, {}
        for (r, s, j, c), h in home.items():
            before[(r, s, j)] = before.get((r, s, j), 0.0) + h
            home[(r, s, j, c)] = h * retention(r, s, j, c, t)
            after[(r, s, j)] = after.get((r, s, j), 0.0) + home[(r, s, j, c)]
        for key, h in cohorts.items():
            r, s, j, u = key
            before[(r, s, j)] = before.get((r, s, j), 0.0) + h
            cohorts[key] = h * keep
            after[(r, s, j)] = after.get((r, s, j), 0.0) + cohorts[key]
        mentors = {}
        for (r, s, j), h in before.items():  # experienced: last year's staff ...
            mentors[(r, s)] = mentors.get((r, s), 0.0) + h
        for (r, s, j, u), h in cohorts.items():  # ... less the rule's hires still too new to mentor
            if u > t - params.mentor_after_years:
                mentors[(r, s)] -= h / keep
        grads = dict(params.graduate_supply)
        kept = {(r, s): sum(after.get((r, s, j), 0.0) for j in subjects[s]) for r in inputs.regions
                for s in inputs.stages}
        gap = {(r, s, j): max(0.0, dem.get((r, s, j, t), 0.0) - after.get((r, s, j), 0.0))
               for r in inputs.regions for s in inputs.stages for j in subjects[s]}
        stage_gap = {(r, s): sum(gap[(r, s, j)] for j in subjects[s]) for r, s in kept}
        need = {(r, s): sum(dem.get((r, s, j, t), 0.0) for j in subjects[s]) for r, s in kept}
        share = {k: stage_gap[k] / need[k] if need[k] > 0 else 0.0 for k in kept}
        shift = {r: params.post_shift_share * cap[(r, t)] for r in inputs.regions}
        reserved = {(r, s): max(kept[(r, s)], posts[(r, s)] - shift[r]) for r, s in kept}
        free = {r: cap[(r, t)] - sum(reserved[(r, s)] for s in inputs.stages) for r in inputs.regions}
        hired = {}
        for (r, s) in sorted(stage_gap, key=lambda k: (-share[k], k)):
            room = min(posts[(r, s)] + shift[r], reserved[(r, s)] + max(0.0, free[r])) - kept[(r, s)]
            limit = max(0.0, min(stage_gap[(r, s)], room, grads.get(s, 0.0),
                                 params.mentor_ratio * max(0.0, mentors.get((r, s), 0.0))))
            g = np.array([gap[(r, s, j)] for j in subjects[s]])
            h = g * (limit / g.sum()) if g.sum() > 0 else g * 0.0
            grads[s] = grads.get(s, 0.0) - h.sum()
            free[r] -= max(0.0, kept[(r, s)] + h.sum() - reserved[(r, s)])
            posts[(r, s)] = max(reserved[(r, s)], kept[(r, s)] + h.sum())
            for j, x in zip(subjects[s], h):
                hired[(r, s, j)] = x
                if x > 0:
                    cohorts[(r, s, j, t)] = x
                    hire_rows.append((r, s, j, s, t, x))
        for r in inputs.regions:
            for s in inputs.stages:
                filled = 0.0
                for j in subjects[s]:
                    d = dem.get((r, s, j, t), 0.0)
                    h = hired.get((r, s, j), 0.0)
                    st = after.get((r, s, j), 0.0) + h
                    filled += st
                    rest = max(0.0, d - st)
                    temp = min(rest, temp_max.get((r, s, j, t), 0.0))
                    start = before.get((r, s, j), 0.0)
                    rows.append((r, s, j, t, d, start, start - after.get((r, s, j), 0.0), h, 0.0, 0.0, st, temp,
                                 rest - temp, max(0.0, st - d)))
                post_rows.append((r, s, t, posts[(r, s)], cap[(r, t)], filled))
    staff = pd.DataFrame(rows, columns=STAFF_COLUMNS).sort_values(["region", "stage", "subject", "year"],
                                                                 ignore_index=True)
    hires = pd.DataFrame(hire_rows, columns=["region", "stage", "subject", "certificate", "year", "teachers"])
    posts_frame = pd.DataFrame(post_rows, columns=["region", "stage", "year", "posts", "cap", "filled"])
    return dict(staff=staff, hires=hires, posts=posts_frame)

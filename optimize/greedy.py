"""The year-by-year greedy baseline the LP is measured against.

Each year, in each area, every stage fills its own gap by hiring at its own
certificate level, youngest stage first, within the free posts under the same
cap, the graduate supply and the mentoring limit; the rest is temporary cover
up to its cap and then shortfall. No look-ahead, no moves.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.problem import PlanInputs, PlanParams, Retention
from optimize.solution import STAFF_COLUMNS


def greedy_plan(inputs: PlanInputs, params: PlanParams) -> dict[str, pd.DataFrame]:
    """Frames staff (same columns as the LP's plan_staff), hires and posts."""
    retention = Retention(inputs)
    dem = inputs.demand.set_index(["region", "stage", "subject", "year"])["demand"]
    cap = inputs.cap.set_index(["region", "year"])["cap"]
    cells = inputs.cells()
    existing = {(r, s, j, c): h for r, s, j, c, h in inputs.stock[
        ["region", "stage", "subject", "certificate", "headcount"]].itertuples(index=False, name=None)}
    new = {}
    rows, hire_rows = [], []
    for t in inputs.years:
        grads = dict(params.graduate_supply)
        experienced = {}
        for (r, s, j, c), h in existing.items():
            experienced[(r, s)] = experienced.get((r, s), 0.0) + h
        start = {}
        exits = {}
        for (r, s, j, c), h in list(existing.items()):
            rate = retention(r, s, j, c, t)
            existing[(r, s, j, c)] = h * rate
            start[(r, s, j)] = start.get((r, s, j), 0.0) + h
            exits[(r, s, j)] = exits.get((r, s, j), 0.0) + h * (1 - rate)
        for (r, s, j), h in list(new.items()):
            new[(r, s, j)] = h * (1 - params.new_hire_attrition)
            start[(r, s, j)] = start.get((r, s, j), 0.0) + h
            exits[(r, s, j)] = exits.get((r, s, j), 0.0) + h * params.new_hire_attrition
        for r in inputs.regions:
            staff = {(s, j): sum(v for (rr, ss, jj, c), v in existing.items() if (rr, ss, jj) == (r, s, j))
                     + new.get((r, s, j), 0.0) for s, j in cells}
            free = max(0.0, float(cap[(r, t)]) - sum(staff.values()))
            for stage in inputs.stages:
                subjects = [j for s, j in cells if s == stage]
                gaps = np.array([max(0.0, float(dem.get((r, stage, j, t), 0.0)) - staff[(stage, j)])
                                 for j in subjects])
                limit = min(free, grads.get(stage, 0.0),
                            params.mentor_ratio * experienced.get((r, stage), 0.0))
                total = gaps.sum()
                hires = gaps * min(1.0, limit / total) if total > 0 else gaps * 0
                free -= hires.sum()
                grads[stage] = grads.get(stage, 0.0) - hires.sum()
                for j, h in zip(subjects, hires):
                    new[(r, stage, j)] = new.get((r, stage, j), 0.0) + h
                    d = float(dem.get((r, stage, j, t), 0.0))
                    st = staff[(stage, j)] + h
                    rest = max(0.0, d - st)
                    temp = min(rest, params.temporary_share_max * d)
                    rows.append((r, stage, j, t, d, start.get((r, stage, j), 0.0), exits.get((r, stage, j), 0.0),
                                 h, 0.0, 0.0, st, temp, rest - temp, max(0.0, st - d)))
                    if h > 0:
                        hire_rows.append((r, stage, j, stage, t, h))
    staff = pd.DataFrame(rows, columns=STAFF_COLUMNS).sort_values(["region", "stage", "subject", "year"],
                                                                 ignore_index=True)
    posts = staff.groupby(["region", "stage", "year"], as_index=False).stock_end.sum().rename(
        columns={"stock_end": "posts"})
    hires = pd.DataFrame(hire_rows, columns=["region", "stage", "subject", "certificate", "year", "teachers"])
    return dict(staff=staff, hires=hires, posts=posts)

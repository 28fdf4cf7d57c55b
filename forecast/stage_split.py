"""Stage totals, as statistical bulletins publish them, split into grades."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.grades import GradeMap


def split_stage_totals(totals: pd.DataFrame, births: pd.DataFrame, gm: GradeMap) -> pd.DataFrame:
    """Split each stage's students into its grades in proportion to the births
    of the grades' cohorts; equally where a cohort's births are not known.
    Where ``entrants`` are given they are the stage's first grade, and the rest
    is split among the other grades.

    Parameters
    ----------
    totals : region, year, stage, students[, entrants] (persons)
    births : region, year, births (persons)

    Returns
    -------
    region, year, grade, students (persons; the grades of a stage sum to its
    total exactly).
    """
    b = births.set_index(["region", "year"])["births"]
    has_entrants = "entrants" in totals.columns
    rows = []
    for row in totals.itertuples(index=False):
        lo, hi = gm.stages[row.stage]
        grades = list(range(lo, hi + 1))
        w = np.array([b.get((row.region, gm.birth_year(g, row.year)), np.nan) for g in grades], dtype=float)
        if not np.isfinite(w).all():
            w = np.ones(len(grades))
        total = float(row.students)
        entrants = getattr(row, "entrants", np.nan) if has_entrants else np.nan
        if len(grades) > 1 and np.isfinite(entrants) and 0 < entrants <= total:
            parts = np.concatenate([[entrants], (total - entrants) * w[1:] / w[1:].sum()])
        else:
            parts = total * w / w.sum()
        rows += [(row.region, int(row.year), g, float(v)) for g, v in zip(grades, parts)]
    return pd.DataFrame(rows, columns=["region", "year", "grade", "students"])


def stages_present(totals: pd.DataFrame, gm: GradeMap) -> GradeMap:
    """The grade map restricted to the stages the totals contain."""
    keep = {s: gm.stages[s] for s in gm.stage_names if s in set(totals.stage)}
    return GradeMap(stages=keep, first_grade_age=gm.first_grade_age)

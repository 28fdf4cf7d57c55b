"""Back-testing the enrolment projection on history.

For each origin year T the model sees enrolment and births up to T only
(births after T are forecast), projects T+1..T+H, and is compared with what
happened, next to two naive baselines: persistence (the origin year's stage
total carried forward) and the births ratio (the origin year's ratio of
students to the births feeding the stage, applied to the target year's
births; births after T held at their last known value).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.cohort import CohortModel
from forecast.errors import InputError
from forecast.grades import GradeMap, stage_sums
from forecast.stage_split import split_stage_totals

COLUMNS = ["region", "stage", "origin", "year", "lead", "actual", "forecast", "lo80", "hi80", "persistence",
           "births_ratio"]


def trim_to_grades(gm: GradeMap, grades) -> GradeMap:
    """The grade map cut to the grades the data has (e.g. no 小班 in US data)."""
    have = set(int(g) for g in grades)
    keep = {}
    for stage in gm.stage_names:
        lo, hi = gm.stages[stage]
        inside = [g for g in range(lo, hi + 1) if g in have]
        if inside:
            keep[stage] = (min(inside), max(inside))
    return GradeMap(stages=keep, first_grade_age=gm.first_grade_age)


def consecutive_run(years, end: int) -> list[int]:
    """The longest run of consecutive years ending at ``end``."""
    ys = set(int(y) for y in years)
    if end not in ys:
        return []
    run = [end]
    while run[0] - 1 in ys:
        run.insert(0, run[0] - 1)
    return run


def _feeding_births(births: pd.DataFrame, gm: GradeMap, region: str, stage: str, year: int, known_to: int) -> float:
    """Births of the cohorts in a stage in a year; births after ``known_to``
    are held at the last known value; NaN when a cohort's births are missing."""
    b = births[births.region == region].set_index("year")["births"]
    b = b[b.index <= known_to]
    if b.empty:
        return np.nan
    lo, hi = gm.stages[stage]
    total = 0.0
    for g in range(lo, hi + 1):
        y = gm.birth_year(g, year)
        if y > b.index.max():
            total += float(b[b.index.max()])
        elif y in b.index:
            total += float(b[y])
        else:
            return np.nan
    return total


def backtest(births: pd.DataFrame, gm: GradeMap, origins: list[int], horizon: int,
             enrolment: pd.DataFrame | None = None, stage_totals: pd.DataFrame | None = None,
             estimator: str = "ses", paths: int = 500, seed: int = 0, alpha: float = 0.4,
             window: int = 3) -> pd.DataFrame:
    """One row per region, stage, origin and target year (see ``COLUMNS``).

    Give either ``enrolment`` by grade (region, year, grade, students) or
    ``stage_totals`` (region, year, stage, students[, entrants]).
    """
    if (enrolment is None) == (stage_totals is None):
        raise InputError("back-test: give enrolment by grade or stage totals, not both or neither")
    if stage_totals is not None:
        gm = GradeMap(stages={s: gm.stages[s] for s in gm.stage_names if s in set(stage_totals.stage)},
                      first_grade_age=gm.first_grade_age)
        complete = stage_totals.groupby(["region", "year"]).stage.nunique() == len(gm.stages)
        full_years = sorted({y for (r, y), ok in complete.items() if ok})
        actual = stage_totals[["region", "stage", "year", "students"]]
    else:
        gm = trim_to_grades(gm, enrolment.grade.unique())
        full_years = sorted(enrolment.year.unique())
        actual = stage_sums(enrolment, gm)
    act = actual.set_index(["region", "stage", "year"]).students
    rows = []
    for T in origins:
        run = consecutive_run(full_years, T)
        if len(run) < 3:
            raise InputError(f"back-test origin {T}: {len(run)} consecutive complete years of enrolment end "
                             f"there; at least 3 are needed (complete years: {full_years})")
        b_known = births[births.year <= T]
        if stage_totals is not None:
            st = stage_totals[stage_totals.year.isin(run)]
            hist = split_stage_totals(st, b_known, gm)
        else:
            hist = enrolment[enrolment.year.isin(run)]
        b_runs = []
        for region, g in b_known.groupby("region"):
            keep = consecutive_run(g.year, int(g.year.max()))
            b_runs.append(g[g.year.isin(keep)])
        b_fit = pd.concat(b_runs, ignore_index=True) if b_runs else b_known
        model = CohortModel(hist, b_fit, gm, estimator=estimator, k=window, alpha=alpha)
        proj = model.fit().project(horizon, paths=paths, seed=seed)
        fc = proj.by_stage()
        for r in fc.itertuples(index=False):
            key = (r.region, r.stage, int(r.year))
            if key not in act.index:
                continue
            base = act.get((r.region, r.stage, T), np.nan)
            feed_T = _feeding_births(births, gm, r.region, r.stage, T, T)
            feed_y = _feeding_births(births, gm, r.region, r.stage, int(r.year), T)
            rows.append((r.region, r.stage, T, int(r.year), int(r.year) - T, float(act[key]), r.students,
                         r.lo80, r.hi80, base, base / feed_T * feed_y))
    return pd.DataFrame(rows, columns=COLUMNS)


def scores(bt: pd.DataFrame) -> pd.DataFrame:
    """Per stage and lead: n, MAPE (%) of the model and of both baselines, and
    the share of actuals inside the 80% interval (%)."""
    def ape(col):
        return (bt[col] - bt.actual).abs() / bt.actual * 100

    d = bt.assign(model=ape("forecast"), persistence_=ape("persistence"), births_ratio_=ape("births_ratio"),
                  inside=((bt.actual >= bt.lo80) & (bt.actual <= bt.hi80)) * 100.0)
    out = d.groupby(["stage", "lead"]).agg(n=("actual", "size"), mape_model=("model", "mean"),
                                            mape_persistence=("persistence_", "mean"),
                                            mape_births_ratio=("births_ratio_", "mean"),
                                            coverage80=("inside", "mean"))
    return out.reset_index()

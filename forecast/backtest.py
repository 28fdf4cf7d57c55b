"""Back-testing the enrolment projection on history.

For each origin year T the model sees enrolment and births up to T only
(births after T are forecast), projects T+1..T+H — by grade with the grade
chain, stage totals with the stage flow, either weighed against no change
with intervals from its own record up to T — and is compared with what
happened, next to two naive baselines: persistence (the origin year's stage
total carried forward) and the births ratio (the origin year's ratio of
students to the births feeding the stage, applied to the target year's
births; births after T held at their last known value).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.cohort import CohortModel
from forecast.combine import MIN_YEARS, combined_projection
from forecast.errors import InputError
from forecast.grades import STAGES, GradeMap, stage_sums
from forecast.stageflow import StageFlowModel, stages_present

COLUMNS = ["region", "stage", "origin", "year", "lead", "actual", "forecast", "lo80", "hi80", "persistence",
           "births_ratio", "n_errors"]


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

    Give either ``enrolment`` by grade (region, year, grade, students: the
    grade chain, ``forecast.cohort``) or ``stage_totals`` (region, year,
    stage, students[, entrants, graduates]; NaN where not published: the
    stage flow, ``forecast.stageflow``). Either model is weighed against no
    change and its intervals calibrated on its own record inside the data up
    to each origin (``forecast.combine``); ``n_errors`` is the number of
    earlier errors each interval rests on.

    The frame's ``attrs["notes"]`` lists, one line each, the stages dropped
    at an origin for too short a history and the values a stage flow filled.
    """
    if (enrolment is None) == (stage_totals is None):
        raise InputError("back-test: give enrolment by grade or stage totals, not both or neither")
    notes: list[str] = []
    if stage_totals is not None:
        gm = stages_present(stage_totals, gm)
        actual = stage_totals.loc[stage_totals.students.notna(), ["region", "stage", "year", "students"]]
        full_years = sorted(actual.year.unique())
    else:
        gm = trim_to_grades(gm, enrolment.grade.unique())
        full_years = sorted(enrolment.year.unique())
        actual = stage_sums(enrolment, gm)
    act = actual.set_index(["region", "stage", "year"]).students
    rows = []
    last_fit = None
    for T in origins:
        b_known = births[births.year <= T]
        b_runs = []
        for region, g in b_known.groupby("region"):
            keep = consecutive_run(g.year, int(g.year.max()))
            b_runs.append(g[g.year.isin(keep)])
        b_fit = pd.concat(b_runs, ignore_index=True) if b_runs else b_known
        if stage_totals is not None:
            model = StageFlowModel(stage_totals[stage_totals.year <= T], b_fit, gm)
            if T not in set(full_years):
                raise InputError(f"back-test origin {T}: the stage totals have no year {T}")
        else:
            run = consecutive_run(full_years, T)
            if len(run) < MIN_YEARS:
                raise InputError(f"back-test origin {T}: {len(run)} consecutive complete years of enrolment end "
                                 f"there; at least {MIN_YEARS} are needed (complete years: {full_years})")
            model = CohortModel(enrolment[enrolment.year.isin(run)], b_fit, gm, estimator=estimator, k=window,
                                alpha=alpha)
        try:
            comb = combined_projection(model, horizon, paths=paths, seed=seed)
        except InputError as exc:
            raise InputError(f"back-test origin {T}: {exc}") from None
        for region, stage, n in getattr(comb.fit, "dropped", []):
            notes.append(f"origin {T}: {_where(region, act)}{stage} dropped ({n} consecutive published years up "
                         f"to {T}; at least {model.min_years} needed); the other stages are projected")
        last_fit = comb.fit
        fc = comb.projection.by_stage()
        n_err = comb.intervals.set_index(["stage", "lead"]).n
        for r in fc.itertuples(index=False):
            key = (r.region, r.stage, int(r.year))
            if key not in act.index:
                continue
            base = act.get((r.region, r.stage, T), np.nan)
            feed_T = _feeding_births(births, gm, r.region, r.stage, T, T)
            feed_y = _feeding_births(births, gm, r.region, r.stage, int(r.year), T)
            lead = int(r.year) - T
            rows.append((r.region, r.stage, T, int(r.year), lead, float(act[key]), r.students,
                         r.lo80, r.hi80, base, base / feed_T * feed_y, int(n_err.get((r.stage, lead), 0))))
    if last_fit is not None and hasattr(last_fit, "filled"):
        for f in last_fit.filled().itertuples(index=False):
            notes.append(f"{_where(f.region, act)}{f.stage} {f.column} not published in "
                         f"{_years(f.years)}: filled from the flow identity")
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs["notes"] = notes
    return out


def _where(region: str, act: pd.Series) -> str:
    """'region: ' when the data has more than one region, else ''."""
    return f"{region}: " if act.index.get_level_values(0).nunique() > 1 else ""


def _years(years: list[int]) -> str:
    return ", ".join(str(y) for y in years)


def scores(bt: pd.DataFrame) -> pd.DataFrame:
    """Per stage and lead: n, MAPE (%) of the model and of both baselines,
    the share of actuals inside the 80% interval (%) and the mean number of
    earlier errors the intervals rest on."""
    def ape(col):
        return (bt[col] - bt.actual).abs() / bt.actual * 100

    d = bt.assign(model=ape("forecast"), persistence_=ape("persistence"), births_ratio_=ape("births_ratio"),
                  inside=((bt.actual >= bt.lo80) & (bt.actual <= bt.hi80)) * 100.0)
    if "n_errors" not in d:
        d["n_errors"] = np.nan
    out = d.groupby(["stage", "lead"]).agg(n=("actual", "size"), mape_model=("model", "mean"),
                                            mape_persistence=("persistence_", "mean"),
                                            mape_births_ratio=("births_ratio_", "mean"),
                                            coverage80=("inside", "mean"), errors=("n_errors", "mean"))
    out = out.reset_index()
    order = {s: i for i, s in enumerate(STAGES)}
    return out.sort_values(["stage", "lead"], key=lambda c: c.map(order) if c.name == "stage" else c,
                           ignore_index=True)


def coverage(bt: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Share of actuals inside the 80% interval (%), and how many, pooled over
    everything or by ``by`` (e.g. "stage", "lead")."""
    inside = ((bt.actual >= bt.lo80) & (bt.actual <= bt.hi80)) * 100.0
    d = bt.assign(inside=inside)
    if by is None:
        return pd.DataFrame({"n": [len(d)], "coverage80": [d.inside.mean()]})
    return d.groupby(by).agg(n=("inside", "size"), coverage80=("inside", "mean")).reset_index()


def format_scores(bt: pd.DataFrame) -> list[str]:
    """The back-test's table as printed by ``staffcast backtest``: per stage
    and lead the MAPE of the model and both baselines, the 80% coverage and
    the errors each interval rests on; then each stage's coverage pooled over
    leads and one line with the coverage pooled over everything."""
    table = scores(bt)
    lines = ["stage      lead   n   MAPE model  persistence  births ratio   80% coverage   errors"]
    for r in table.itertuples(index=False):
        br = "n/a" if r.mape_births_ratio != r.mape_births_ratio else f"{r.mape_births_ratio:.1f}%"
        err = "" if r.errors != r.errors else f"{r.errors:.0f}"
        lines.append(f"{r.stage:<10} {r.lead:>4} {r.n:>3}   {r.mape_model:>9.1f}%  {r.mape_persistence:>10.1f}%  "
                     f"{br:>12}   {r.coverage80:>11.0f}%   {err:>6}")
    by_stage = coverage(bt, "stage").set_index("stage")
    parts = [f"{s} {by_stage.coverage80[s]:.0f}% of {by_stage.n[s]}" for s in STAGES if s in by_stage.index]
    by_lead = coverage(bt, "lead")
    total = coverage(bt).iloc[0]
    lines.append(f"80% coverage by stage: {', '.join(parts)}")
    lines.append(f"80% coverage pooled: {total.coverage80:.1f}% of {int(total.n)} actuals (leads "
                 f"{'/'.join(str(int(h)) for h in by_lead.lead)}: "
                 f"{'/'.join(f'{c:.0f}' for c in by_lead.coverage80)}%)")
    return lines

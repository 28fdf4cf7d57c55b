"""Weighing the cohort model against no change by its own track record.

A cohort model is only as good as the stability of its ratios. Where policy
moves them (admission rules for migrant children, the move from primary to
junior school, population control) the origin year carried forward
(persistence) can be the better forecast, and nothing in the births says
which world a district is in. So the projection combines the two, the way the
forecast-combination literature advises (Bates & Granger 1969; Timmermann
2006 on why equal weights are hard to beat when evidence is thin): each
stage's weight on the cohort model comes from both methods' errors in
rolling-origin projections inside the fitted history (no data after its last
year), as Bates–Granger inverse-MSE weights shrunk toward ½ as if one more
projection had scored the two equal. With no track record the weight is ½;
where the cohort model has been right in every area and year (a district
whose ratios hold) it tends to 1.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.grades import stage_sums

if TYPE_CHECKING:
    from forecast.cohort import CohortModel

#: Leads scored in the track record: the plan closes the shortfall of the next
#: 2–3 years, and short histories hold little evidence beyond that.
TRACK_LEADS = 3
#: The fewest consecutive years the cohort model fits on.
MIN_YEARS = 3


def track_record(model: "CohortModel", leads: int = TRACK_LEADS) -> pd.DataFrame:
    """Rolling-origin projections inside the model's own history.

    For each origin t with at least ``MIN_YEARS`` years up to it and a later
    year of data, the cohort model is fitted on enrolment up to t and projects
    up to ``leads`` years, never past the last year of data.

    Returns
    -------
    DataFrame
        Columns region, stage, origin, year, lead, actual, model, persistence
        (persons; persistence is the origin year's stage total).
    """
    gm = model.grade_map
    e = model.enrolment
    years = sorted(int(y) for y in e.year.unique())
    actual = stage_sums(e, gm).set_index(["region", "stage", "year"]).students
    frames = []
    for t in years[MIN_YEARS - 1:-1]:
        h = min(leads, years[-1] - t)
        inner = replace(model, enrolment=e[e.year <= t], combine=False)
        fc = inner.fit().project(h, paths=0).by_stage()[["region", "stage", "year", "students"]]
        fc = fc.rename(columns={"students": "model"}).assign(origin=t, lead=lambda d: d.year - t)
        fc["actual"] = actual.reindex(pd.MultiIndex.from_frame(fc[["region", "stage", "year"]])).to_numpy()
        fc["persistence"] = actual.reindex(pd.MultiIndex.from_arrays(
            [fc.region, fc.stage, np.full(len(fc), t)])).to_numpy()
        frames.append(fc)
    cols = ["region", "stage", "origin", "year", "lead", "actual", "model", "persistence"]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def combination_weights(track: pd.DataFrame, stages: list[str]) -> pd.DataFrame:
    """The cohort model's weight per stage.

    With ``n`` projections (area × origin) scored for a stage and mean squared
    log errors ``mse_model`` and ``mse_persistence`` over their leads, the
    Bates–Granger weight ``mse_persistence / (mse_model + mse_persistence)``
    is shrunk toward ½: ``weight = (n · bg + ½) / (n + 1)``.

    Returns
    -------
    DataFrame
        Index stage; columns n, mse_model, mse_persistence, weight (0–1).
    """
    rows = []
    for stage in stages:
        d = track[(track.stage == stage) & (track.actual > 0)]
        n = int(d[["region", "origin"]].drop_duplicates().shape[0])
        mse_m = float(np.mean(np.log(d.model / d.actual) ** 2)) if n else np.nan
        mse_p = float(np.mean(np.log(d.persistence / d.actual) ** 2)) if n else np.nan
        bg = mse_p / (mse_m + mse_p) if n and mse_m + mse_p > 0 else 0.5
        rows.append((stage, n, mse_m, mse_p, (n * bg + 0.5) / (n + 1)))
    return pd.DataFrame(rows, columns=["stage", "n", "mse_model", "mse_persistence", "weight"]).set_index("stage")

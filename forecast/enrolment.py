"""The enrolment forecast a run uses: settings, projection and its tidy tables.

``project_enrolment`` fits the cohort model, weighs it against no change by
its track record, projects ``horizon`` years with Monte Carlo paths whose
spread is calibrated on that record (``forecast.combine``,
``forecast.intervals``) and returns observed and projected pupils by grade
and by stage, the district total included.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from forecast.cohort import ESTIMATORS, CohortModel
from forecast.combine import combined_projection
from forecast.grades import GradeMap
from forecast.intervals import rests_on
from forecast.projection import Projection
from forecast.settings import NUMBER, RECORDS, setting

#: region label of district totals in enrolment_stage.csv
DISTRICT = "_district"
INTERVALS = ("lo80", "hi80", "lo95", "hi95")


@dataclass(frozen=True)
class ForecastParams:
    """How enrolment is projected (``[forecast]`` of a scenario)."""

    horizon: int = setting(10, lo=1, hi=30, unit="years", doc="years projected after the base year")
    estimator: str = setting("ses", choices=ESTIMATORS,
                             doc="how ratios are smoothed: mean of the last years, exponential smoothing, "
                                 "damped trend")
    window: int = setting(3, lo=1, hi=20, unit="years", only_with={"estimator": ("mean",)},
                          doc="years averaged by the mean estimator")
    alpha: float = setting(0.4, lo=0.01, hi=1.0, unit="weight", only_with={"estimator": ("ses", "damped")},
                           doc="smoothing weight of the newest ratio")
    paths: int = setting(1000, lo=0, hi=100_000, unit="paths", doc="Monte Carlo paths for the intervals")
    seed: int = setting(0, lo=0, hi=2**32 - 1, doc="random seed: the same seed gives the same run")
    births_factor: float = setting(1.0, lo=0.0, hi=5.0, unit="factor", doc="scales forecast (not observed) births")
    births_variant: str = setting("central", choices=("central", "low", "high"),
                                  doc="forecast births: the model's median, 10th or 90th percentile")
    entry_spread: float = setting(0.0, lo=0.0, hi=1.0, unit="share",
                                  doc="share of the youngest grade born a year before its entry age")
    adjustments: list = setting(kind=RECORDS, records={"region": str, "grade": int, "year": int, "students": NUMBER},
                                unit="persons", default_factory=list,
                                doc="pupils added by new housing or planned migration, each carried on with "
                                    "its cohort")

    def adjustment_frame(self) -> pd.DataFrame:
        """The adjustments as a frame: region, grade, year, students (persons)."""
        return pd.DataFrame(self.adjustments, columns=["region", "grade", "year", "students"])


def check_adjustments(params: ForecastParams, enrolment: pd.DataFrame, gm: GradeMap, src: str) -> list[str]:
    """Problems with the scenario's added pupils: an unknown area or grade, a
    year outside the projection, or fewer pupils than the base year has."""
    base = int(enrolment.year.max())
    regions = set(enrolment.region)
    present = enrolment[enrolment.year == base].set_index(["region", "grade"]).students
    errs = []
    for i, a in enumerate(params.adjustments):
        key = f"{src}: forecast.adjustments[{i}]"
        if a["region"] not in regions:
            errs.append(f"{key}.region '{a['region']}' is not an area in the data")
        if a["grade"] not in gm.grades:
            errs.append(f"{key}.grade {a['grade']} is not in the grade map")
        if not base < a["year"] <= base + params.horizon:
            errs.append(f"{key}.year {a['year']} is not a projected year ({base + 1}-{base + params.horizon})")
        elif a["region"] in regions and a["grade"] in gm.grades:
            have = float(present.get((a["region"], a["grade"]), 0.0))
            if a["students"] < -have:
                errs.append(f"{key}.students {a['students']:,} takes away more pupils than grade {a['grade']} "
                            f"of {a['region']} has ({have:,.0f} in {base})")
    return errs


@dataclass
class EnrolmentForecast:
    """Observed and projected enrolment (persons).

    by_grade : region, stage, grade, year, kind (observed/projected),
        students, lo80, hi80, lo95, hi95.
    by_stage : region, stage, year, kind and the same values; region
        ``DISTRICT`` is the district total, its intervals from path sums.
    weights : the cohort model's weight against no change, by stage, pooled
        over the areas.
    projection : the paths behind the intervals (central path first,
        calibrated; ``Projection.values`` is (1 + paths, areas, grades, years)).
    region_weights : {area: {stage: weight}}, each area's own weight shrunk
        toward the pooled one.
    intervals : per stage and lead, the number of earlier errors the
        interval rests on, which pool they come from and the factors applied
        to the paths' spread (``forecast.intervals.calibrate``).
    """

    by_grade: pd.DataFrame
    by_stage: pd.DataFrame
    weights: dict
    projection: Projection
    region_weights: dict = field(default_factory=dict)
    intervals: pd.DataFrame | None = None

    def central(self, from_year: int) -> pd.DataFrame:
        """Pupils on the central path from ``from_year``: region, grade, year, students."""
        g = self.by_grade
        return g[g.year >= from_year][["region", "grade", "year", "students"]]

    def interval_errors(self, col: str = "n") -> dict:
        """{stage: {lead: errors}}: how many earlier errors each stage's
        interval rests on, lead by lead (for the manifest): every stage's,
        pooled into its quantile, or (``col="n_own"``) the stage's own,
        which set its scale."""
        return {} if self.intervals is None else rests_on(self.intervals, col)


def project_enrolment(enrolment: pd.DataFrame, births: pd.DataFrame, gm: GradeMap,
                      params: ForecastParams = ForecastParams()) -> EnrolmentForecast:
    """Fit and project (see ``CohortModel`` and ``forecast.combine``) with the scenario's settings."""
    model = CohortModel(enrolment, births, gm, estimator=params.estimator, k=params.window, alpha=params.alpha,
                        entry_spread=params.entry_spread)
    comb = combined_projection(model, params.horizon, paths=params.paths, seed=params.seed,
                               births_factor=params.births_factor, adjustments=params.adjustment_frame(),
                               births_variant=params.births_variant)
    by_grade, by_stage = enrolment_frames(comb.projection)
    return EnrolmentForecast(by_grade, by_stage, comb.pooled_weights(), comb.projection, comb.region_weights(),
                             comb.intervals)


def enrolment_frames(proj: Projection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observed and projected enrolment by grade and by stage (persons)."""
    hist = proj.history()
    hist["stage"] = hist.grade.map(proj.grade_map.stage_of)
    for c in INTERVALS:
        hist[c] = hist.students
    by_grade = pd.concat([hist.assign(kind="observed"), proj.by_grade().assign(kind="projected")],
                         ignore_index=True)
    cols = ["region", "stage", "grade", "year", "kind", "students", *INTERVALS]
    by_grade = by_grade[cols].sort_values(["region", "grade", "year"], ignore_index=True)
    hist_stage = hist.groupby(["region", "stage", "year"], as_index=False).students.sum()
    for c in INTERVALS:
        hist_stage[c] = hist_stage.students
    # the district total's intervals come from path sums (quantiles do not add)
    district_hist = hist_stage.groupby(["stage", "year"], as_index=False)[
        ["students", *INTERVALS]].sum().assign(region=DISTRICT)
    by_stage = pd.concat([hist_stage.assign(kind="observed"), district_hist.assign(kind="observed"),
                          proj.by_stage().assign(kind="projected"),
                          proj.district_by_stage(DISTRICT).assign(kind="projected")], ignore_index=True)
    cols = ["region", "stage", "year", "kind", "students", *INTERVALS]
    return by_grade, by_stage[cols].sort_values(["region", "stage", "year"], ignore_index=True)

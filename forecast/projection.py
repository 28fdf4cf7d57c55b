"""Projected enrolment paths and their tidy summaries.

One container for both models: the grade chain projects grades, the stage
flow projects stage totals. Either way ``values`` holds the central path and
the Monte Carlo paths, so that the combination with no change and the
calibration of the intervals (``forecast.combine``, ``forecast.intervals``)
work on stage totals whatever the model's units.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.grades import GradeMap

#: quantiles reported for each interval
LEVELS = {"lo80": 0.10, "hi80": 0.90, "lo95": 0.025, "hi95": 0.975}


class Projection:
    """Projected enrolment: a central path and Monte Carlo paths.

    Parameters
    ----------
    regions, units : labels of axes 1 and 2 of ``values``; units are grades
        (``unit="grade"``) or stage names (``unit="stage"``).
    grade_map : GradeMap
    hist_years, hist : the observed years and pupils (regions, units, years),
        persons; NaN where a year was not observed.
    years : projected years.
    values : (1 + paths, regions, units, years), persons; index 0 on the first
        axis is the central projection (point ratios, central births); NaN
        for a region's stage that was not projected.
    added : pupils a scenario adds (new housing), the same shape as
        ``values`` and included in it, or None. The combination with no
        change leaves them whole.
    """

    def __init__(self, regions, units, grade_map: GradeMap, hist_years, hist, years, values,
                 added: np.ndarray | None = None, unit: str = "grade"):
        self.regions = list(regions)
        self.units = list(units)
        self.unit = unit
        self.grade_map = grade_map
        self.hist_years = list(hist_years)
        self.hist = hist
        self.years = [int(y) for y in years]
        self.values = values
        self.added = added

    # -- stage view, shared by the combination and the intervals ------------
    @property
    def grades(self) -> list[int]:
        if self.unit != "grade":
            raise AttributeError("a stage-flow projection has no grades")
        return self.units

    @property
    def stages(self) -> list[str]:
        """Stages projected, youngest first."""
        if self.unit == "stage":
            return list(self.units)
        return [s for s in self.grade_map.stage_names if any(self.grade_map.stage_of(g) == s for g in self.units)]

    def stage_of_unit(self) -> np.ndarray:
        """Each unit's stage, as an index into ``stages``."""
        stages = self.stages
        if self.unit == "stage":
            return np.arange(len(stages))
        return np.array([stages.index(self.grade_map.stage_of(g)) for g in self.units])

    def to_stages(self, arr: np.ndarray) -> np.ndarray:
        """Sum units into stages along axis -2: (..., U, H) -> (..., S, H)."""
        if self.unit == "stage":
            return arr
        of = self.stage_of_unit()
        return np.stack([arr[..., of == k, :].sum(axis=-2) for k in range(len(self.stages))], axis=-2)

    def stage_paths(self) -> np.ndarray:
        """Stage totals along every path, (1 + paths, regions, stages, years), persons."""
        return self.to_stages(self.values)

    def stage_added(self) -> np.ndarray | None:
        """Scenario pupils in each stage total along every path (or None)."""
        return None if self.added is None else self.to_stages(self.added)

    def stage_last(self) -> np.ndarray:
        """The origin year's stage totals, (regions, stages), persons."""
        return self.to_stages(self.hist[..., -1:])[..., 0]

    def with_stage_paths(self, new: np.ndarray) -> "Projection":
        """The same projection with its stage totals replaced by ``new``
        (1 + paths, regions, stages, years); grades are scaled with their
        stage, so they still add up to it."""
        if self.unit == "stage":
            values = new
        else:
            old = self.stage_paths()
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(old > 0, new / old, 1.0)
            values = self.values * f[:, :, self.stage_of_unit(), :]
        return Projection(self.regions, self.units, self.grade_map, self.hist_years, self.hist, self.years, values,
                          self.added, self.unit)

    def paths(self, by: str = "stage") -> pd.Series:
        """Every path as a labelled Series (persons): index path (0 is the
        central projection), region, stage (or grade with ``by="grade"``),
        year. Paths keep their order over the years; built in one step from
        the arrays, no loop over paths."""
        if by == "grade":
            arr, units, key = self.values, self.grades, "grade"
        else:
            arr, units, key = self.stage_paths(), self.stages, "stage"
        index = pd.MultiIndex.from_product([range(arr.shape[0]), self.regions, units, self.years],
                                           names=["path", "region", key, "year"])
        return pd.Series(arr.ravel(), index=index, name="students")

    # -- tidy summaries ------------------------------------------------------
    def _summarise(self, arr: np.ndarray, keys: list[str], labels: list[list]) -> pd.DataFrame:
        central = arr[0]
        sims = arr[1:]
        if len(sims):
            qs = np.quantile(sims, list(LEVELS.values()), axis=0)
        else:
            qs = np.repeat(central[None], len(LEVELS), 0)
        index = pd.MultiIndex.from_product(labels + [self.years], names=keys + ["year"])
        df = pd.DataFrame({"students": central.ravel()}, index=index)
        for name, q in zip(LEVELS, qs):
            # the central line is the point forecast and always inside its own bands
            bound = np.minimum(q, central) if name.startswith("lo") else np.maximum(q, central)
            df[name] = bound.ravel()
        return df.reset_index().dropna(subset=["students"]).reset_index(drop=True)

    def by_grade(self) -> pd.DataFrame:
        """Columns region, grade, stage, year, students, lo80, hi80, lo95, hi95 (persons)."""
        if self.unit != "grade":
            raise ValueError("a stage-flow projection has no grades; use by_stage()")
        df = self._summarise(self.values, ["region", "grade"], [self.regions, self.units])
        df.insert(2, "stage", df.grade.map(self.grade_map.stage_of))
        return df

    def by_stage(self) -> pd.DataFrame:
        """Columns region, stage, year, students, lo80, hi80, lo95, hi95 (persons);
        intervals are quantiles of path sums, not sums of quantiles."""
        return self._summarise(self.stage_paths(), ["region", "stage"], [self.regions, self.stages])

    def district_by_stage(self, name: str = "district") -> pd.DataFrame:
        """Regions summed path by path: columns region (= ``name``), stage,
        year, students, lo80, hi80, lo95, hi95 (persons); a stage some region
        does not project is left out."""
        sums = self.stage_paths().sum(axis=1)[:, None]    # NaN where a region lacks the stage
        return self._summarise(sums, ["region", "stage"], [[name], self.stages])

    def history(self) -> pd.DataFrame:
        """The observed enrolment the projection starts from: region, grade
        (or stage), year, students."""
        key = "grade" if self.unit == "grade" else "stage"
        index = pd.MultiIndex.from_product([self.regions, self.units, self.hist_years],
                                           names=["region", key, "year"])
        df = pd.DataFrame({"students": self.hist.ravel()}, index=index).reset_index()
        return df.dropna(subset=["students"]).reset_index(drop=True)

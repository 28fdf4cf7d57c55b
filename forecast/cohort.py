"""Grade-progression cohort model of enrolment with Monte Carlo intervals.

The youngest grade enters from births ``age`` years earlier (entry ratio);
every other grade is last year's grade below times a progression ratio
(repeaters and net migration live in the ratios, and the ratio across a stage
boundary is the stage transition ratio). Ratios are estimated per region and
grade from their history with one of ``ESTIMATORS``; uncertainty comes from
resampling the estimator's one-step errors of the log ratios (pooled over
regions, per grade) and from simulated births.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.births import BirthsForecast, BirthsModel
from forecast.errors import InputError
from forecast.grades import GradeMap

ESTIMATORS = ("mean", "ses", "damped")
LEVELS = {"lo80": 0.10, "hi80": 0.90, "lo95": 0.025, "hi95": 0.975}


def _smooth(r: np.ndarray, estimator: str, k: int, alpha: float, phi: float) -> tuple[np.ndarray, np.ndarray]:
    """One-step predictions of a ratio series along its last axis.

    ``r`` has shape (..., n). Returns (predictions of r[..., 1:] from the data
    before each, the forecast of the next value and its per-step trend).
    """
    n = r.shape[-1]
    preds = np.full(r.shape, np.nan)
    if estimator == "mean":
        for t in range(1, n + 1):
            window = r[..., max(0, t - k):t]
            val = window.mean(axis=-1)
            if t < n:
                preds[..., t] = val
        return preds, np.stack([val, np.zeros_like(val)], axis=-1)
    level = r[..., 0].copy()
    trend = np.zeros_like(level)
    beta = 0.2
    use_trend = estimator == "damped"
    for t in range(1, n):
        pred = level + (phi * trend if use_trend else 0.0)
        preds[..., t] = pred
        new_level = alpha * r[..., t] + (1 - alpha) * pred
        if use_trend:
            trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
    return preds, np.stack([level, trend], axis=-1)


@dataclass
class CohortModel:
    """Cohort enrolment model for one or more regions.

    Parameters
    ----------
    enrolment : DataFrame
        Columns region, year, grade, students (persons); every grade of the
        grade map in every year, consecutive years.
    births : DataFrame
        Columns region, year, births (persons), covering the birth years of the
        youngest grade over the history.
    grade_map : GradeMap
    estimator : {"mean", "ses", "damped"}
        Mean of the last ``k`` ratios; simple exponential smoothing of ratios
        with weight ``alpha`` (the NCES method); damped-trend smoothing.
    """

    enrolment: pd.DataFrame
    births: pd.DataFrame
    grade_map: GradeMap
    estimator: str = "ses"
    k: int = 3
    alpha: float = 0.4
    phi: float = 0.8

    def fit(self) -> "CohortFit":
        if self.estimator not in ESTIMATORS:
            raise InputError(f"estimator '{self.estimator}' is not one of {', '.join(ESTIMATORS)}")
        gm = self.grade_map
        grades = gm.grades
        wide = self.enrolment.pivot_table(index=["region", "grade"], columns="year", values="students",
                                          aggfunc="sum").reindex(columns=sorted(self.enrolment.year.unique()))
        regions = sorted(self.enrolment.region.unique())
        years = list(wide.columns)
        cube = np.stack([wide.xs(r, level="region").reindex(grades).to_numpy(float) for r in regions])
        births = self.births.pivot_table(index="region", columns="year", values="births").reindex(regions)
        entry_age = gm.age_of(grades[0])
        try:
            feed = births[[y - entry_age for y in years]].to_numpy(float)
        except KeyError as exc:
            raise InputError(f"births: the youngest grade needs births for years {years[0] - entry_age}-"
                             f"{years[-1] - entry_age}; missing {exc.args[0]}") from None
        # ratios, shape (regions, grades, years-1 or years)
        entry = cube[:, 0, :] / feed                              # (R, Y)
        prog = cube[:, 1:, 1:] / cube[:, :-1, :-1]                # (R, G-1, Y-1)
        ratios = np.concatenate([entry[:, None, 1:], prog], axis=1)  # (R, G, Y-1): row 0 = entry
        logr = np.log(ratios)
        preds, state = _smooth(logr, self.estimator, self.k, self.alpha, self.phi)
        resid = (logr - preds)[..., 1:]                           # one-step errors (R, G, Y-2)
        return CohortFit(self, regions, years, cube, state, resid, ratios)


class CohortFit:
    """Fitted ratios; ``project`` runs the cohort model forward."""

    def __init__(self, model: CohortModel, regions, years, cube, state, resid, ratios):
        self.model = model
        self.regions = regions
        self.years = years
        self.cube = cube
        self.state = state
        self.resid = resid
        self.ratio_history = ratios

    @property
    def grade_map(self) -> GradeMap:
        return self.model.grade_map

    def ratios(self) -> pd.DataFrame:
        """Estimated ratios for the first projected year: columns region, grade,
        kind ('entry' for the youngest grade, else 'progression'), ratio."""
        grades = self.grade_map.grades
        lvl = np.exp(self.state[..., 0])
        rows = [(r, g, "entry" if j == 0 else "progression", float(lvl[i, j]))
                for i, r in enumerate(self.regions) for j, g in enumerate(grades)]
        return pd.DataFrame(rows, columns=["region", "grade", "kind", "ratio"])

    def project(self, horizon: int, paths: int = 1000, seed: int = 0,
                births: BirthsForecast | None = None, births_factor: float | pd.Series = 1.0,
                adjustments: pd.DataFrame | None = None) -> "Projection":
        """Project ``horizon`` years past the last data year.

        ``births_factor`` scales forecast (not observed) births, per year if a
        Series indexed by year. ``adjustments`` adds pupils: columns region,
        grade, year, students (persons; new housing, planned migration).
        """
        gm = self.grade_map
        grades = gm.grades
        R, G = len(self.regions), len(grades)
        last = self.years[-1]
        out_years = np.arange(last + 1, last + horizon + 1)
        entry_age = gm.age_of(grades[0])
        rng = np.random.default_rng(seed)

        bm = births or BirthsModel(self.model.births[self.model.births.region.isin(self.regions)]).fit()
        need_last = int(out_years[-1] - entry_age)
        b_hist = self.model.births.pivot_table(index="region", columns="year", values="births").reindex(self.regions)
        b_first = int(b_hist.columns.max()) + 1
        if need_last >= b_first:
            sim = bm.simulate(need_last, paths, seed + 1)            # (P, R, Yb)
            sim_years = np.arange(int(bm.last_year.min()) + 1, need_last + 1)
            pt = bm.point(need_last).pivot_table(index="region", columns="year", values="births").reindex(self.regions)
        births_paths = np.empty((paths + 1, R, horizon))
        for h, y in enumerate(out_years):
            by = y - entry_age
            if by in b_hist.columns and not b_hist[by].isna().any():
                births_paths[:, :, h] = b_hist[by].to_numpy(float)
            else:
                f = births_factor if np.isscalar(births_factor) else float(births_factor.get(by, 1.0))
                births_paths[0, :, h] = pt[by].to_numpy(float) * f
                births_paths[1:, :, h] = sim[:, :, int(np.searchsorted(sim_years, by))] * f

        # log-ratio paths: point forecast (+ damped trend) plus resampled errors
        level, trend = self.state[..., 0], self.state[..., 1]
        phi = self.model.phi if self.model.estimator == "damped" else 0.0
        steps = np.cumsum(phi ** np.arange(1, horizon + 1))        # (H,)
        point = level[None, :, :, None] + trend[None, :, :, None] * steps  # (1, R, G, H)
        pool = self.resid.transpose(1, 0, 2).reshape(G, -1)        # per grade, pooled over regions
        pool = np.where(np.isfinite(pool), pool, 0.0)
        idx = rng.integers(0, pool.shape[1], size=(paths, R, G, horizon))
        eps = np.take_along_axis(np.broadcast_to(pool[None, None, :, :], (paths, R, G, pool.shape[1])),
                                 idx, axis=3) if pool.shape[1] else np.zeros((paths, R, G, horizon))
        logr = np.concatenate([point, point + eps], axis=0)         # path 0 is the central projection
        ratio = np.exp(logr)

        adj = np.zeros((R, G, horizon))
        if adjustments is not None and len(adjustments):
            for row in adjustments.itertuples(index=False):
                if row.region in self.regions and row.grade in grades and row.year in out_years:
                    adj[self.regions.index(row.region), grades.index(row.grade), row.year - last - 1] += row.students

        stock = np.broadcast_to(self.cube[:, :, -1], (paths + 1, R, G)).copy()
        out = np.empty((paths + 1, R, G, horizon))
        for h in range(horizon):
            new = np.empty_like(stock)
            new[:, :, 0] = births_paths[:, :, h] * ratio[:, :, 0, h]
            new[:, :, 1:] = stock[:, :, :-1] * ratio[:, :, 1:, h]
            new += adj[None, :, :, h]
            stock = np.maximum(new, 0.0)
            out[..., h] = stock
        return Projection(self.regions, grades, gm, list(self.years), self.cube, out_years, out)


class Projection:
    """Projected enrolment: a central path and Monte Carlo paths.

    ``values`` has shape (1 + paths, regions, grades, years); index 0 on the
    first axis is the central projection (point ratios, central births).
    """

    def __init__(self, regions, grades, grade_map, hist_years, hist, years, values):
        self.regions = list(regions)
        self.grades = list(grades)
        self.grade_map = grade_map
        self.hist_years = hist_years
        self.hist = hist
        self.years = [int(y) for y in years]
        self.values = values

    def _summarise(self, arr: np.ndarray, keys: list[str], labels: list[list]) -> pd.DataFrame:
        central = arr[0]
        sims = arr[1:]
        qs = np.quantile(sims, list(LEVELS.values()), axis=0) if len(sims) else np.repeat(central[None], 4, 0)
        index = pd.MultiIndex.from_product(labels + [self.years], names=keys + ["year"])
        df = pd.DataFrame({"students": central.ravel()}, index=index)
        for name, q in zip(LEVELS, qs):
            df[name] = q.ravel()
        return df.reset_index()

    def by_grade(self) -> pd.DataFrame:
        """Columns region, grade, year, students, lo80, hi80, lo95, hi95 (persons)."""
        df = self._summarise(self.values, ["region", "grade"], [self.regions, self.grades])
        df.insert(2, "stage", df.grade.map(self.grade_map.stage_of))
        return df

    def by_stage(self) -> pd.DataFrame:
        """Columns region, stage, year, students, lo80, hi80, lo95, hi95 (persons);
        intervals are quantiles of path sums, not sums of quantiles."""
        stages = self.grade_map.stage_names
        sums = np.stack([self.values[:, :, [self.grades.index(g) for g in range(*self._span(s))], :].sum(axis=2)
                         for s in stages], axis=2)
        return self._summarise(sums, ["region", "stage"], [self.regions, stages])

    def district_by_stage(self, name: str = "district") -> pd.DataFrame:
        """Regions summed path by path: columns region (= ``name``), stage,
        year, students, lo80, hi80, lo95, hi95 (persons)."""
        stages = self.grade_map.stage_names
        sums = np.stack([self.values[:, :, [self.grades.index(g) for g in range(*self._span(s))], :].sum(axis=(1, 2))
                         for s in stages], axis=1)[:, None]
        return self._summarise(sums, ["region", "stage"], [[name], stages])

    def _span(self, stage: str) -> tuple[int, int]:
        lo, hi = self.grade_map.stages[stage]
        return lo, hi + 1

    def history(self) -> pd.DataFrame:
        """The observed enrolment the projection starts from: region, grade, year, students."""
        index = pd.MultiIndex.from_product([self.regions, self.grades, self.hist_years], names=["region", "grade", "year"])
        return pd.DataFrame({"students": self.hist.ravel()}, index=index).reset_index()

"""Grade-progression cohort model of enrolment with Monte Carlo intervals.

The youngest grade enters from births ``age`` years earlier (entry ratio);
every other grade is last year's grade below times a progression ratio
(repeaters and net migration live in the ratios, and the ratio across a stage
boundary is the stage transition ratio). Ratios are estimated per region and
grade from their history with one of ``ESTIMATORS``; uncertainty comes from
resampling the estimator's one-step errors of the log ratios (pooled over
regions, per grade) and from simulated births.

This is the cohort model alone. Weighing it against no change and
calibrating its intervals on its own track record is ``forecast.combine``'s
work, which imports this module (never the other way round).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from forecast.births import BirthsForecast, birth_paths
from forecast.errors import InputError
from forecast.grades import GradeMap, stage_sums
from forecast.projection import Projection
from forecast.wide import wide_table

ESTIMATORS = ("mean", "ses", "damped")
#: a median "progression" ratio above this marks a grade that pupils enter
RESTART_RATIO = 1.5


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


def entry_feed(births: pd.DataFrame, regions: list, birth_years: list[int], spread: float) -> np.ndarray:
    """Births feeding the youngest grade, shape (regions, years); NaN where
    a birth year is missing. ``spread`` of entrants were born a year earlier."""
    b = wide_table(births, "region", "year", "births").reindex(regions)
    cols = sorted(set(birth_years) | {y - 1 for y in birth_years})
    b = b.reindex(columns=cols)
    now = b[birth_years].to_numpy(float)
    if spread <= 0:
        return now
    return (1 - spread) * now + spread * b[[y - 1 for y in birth_years]].to_numpy(float)


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
    entry_spread : float
        Share of the youngest grade born a year earlier than its entry age
        (late entrants); the entry ratio is taken to the mix of the two birth
        years.

    Notes
    -----
    When births do not cover the birth years of the youngest grade over the
    whole history, the youngest grade is projected from its own last value
    (its year-on-year ratio is smoothed like any other); ``entry_mode`` says
    which was used. A grade that follows its own level (that one, or a second
    entry point such as US kindergarten) has no cohort behind its growth, so
    its smoothed growth fades by ``phi`` a year.
    """

    enrolment: pd.DataFrame
    births: pd.DataFrame
    grade_map: GradeMap
    estimator: str = "ses"
    k: int = 3
    alpha: float = 0.4
    phi: float = 0.8
    entry_spread: float = 0.0

    @property
    def last_year(self) -> int:
        return int(self.enrolment.year.max())

    def upto(self, year: int) -> "CohortModel":
        """The same model on enrolment up to ``year`` (births as given)."""
        return replace(self, enrolment=self.enrolment[self.enrolment.year <= year])

    def stage_history(self) -> pd.DataFrame:
        """Observed pupils by stage: region, stage, year, students (persons)."""
        return stage_sums(self.enrolment, self.grade_map)

    def fit(self) -> "CohortFit":
        if self.estimator not in ESTIMATORS:
            raise InputError(f"estimator '{self.estimator}' is not one of {', '.join(ESTIMATORS)}")
        gm = self.grade_map
        grades = gm.grades
        wide = wide_table(self.enrolment, ["region", "grade"], "year", "students")
        regions = sorted(self.enrolment.region.unique())
        years = list(wide.columns)
        cube = np.stack([wide.xs(r, level="region").reindex(grades).to_numpy(float) for r in regions])
        if len(years) < 3:
            raise InputError(f"enrolment: {len(years)} consecutive years; the cohort model needs at least 3")
        feed = entry_feed(self.births, regions, [y - gm.age_of(grades[0]) for y in years], self.entry_spread)
        self.entry_mode = "births" if np.isfinite(feed).all() else "level"
        if self.entry_mode == "level":
            feed = np.concatenate([np.full((len(regions), 1), np.nan), cube[:, 0, :-1]], axis=1)
        # ratios, shape (regions, grades, years-1 or years)
        entry = cube[:, 0, :] / feed                              # (R, Y)
        prog = cube[:, 1:, 1:] / cube[:, :-1, :-1]                # (R, G-1, Y-1)
        # a grade with many more pupils than the grade below a year earlier is a
        # second entry point (US kindergarten after a small pre-K), not a cohort
        # successor: it follows its own level instead
        self.restart = np.nanmedian(prog, axis=(0, 2)) > RESTART_RATIO
        own = cube[:, 1:, 1:] / cube[:, 1:, :-1]
        prog = np.where(self.restart[None, :, None], own, prog)
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

    @property
    def stages(self) -> list[str]:
        return self.grade_map.stage_names

    def methods(self) -> pd.DataFrame:
        """How each stage is projected: region, stage, method ("cohort from
        births" or "cohort from its own level" for the youngest grade)."""
        how = "cohort from births" if self.model.entry_mode == "births" else "cohort from its own level"
        return pd.DataFrame([(r, s, how) for r in self.regions for s in self.stages],
                            columns=["region", "stage", "method"])

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
                adjustments: pd.DataFrame | None = None, births_variant: str = "central") -> "Projection":
        """Project ``horizon`` years past the last data year.

        ``births_factor`` scales forecast (not observed) births, per year if a
        Series indexed by year. ``births_variant`` sets the central path's
        forecast births: "central" (the model's median), "low" or "high" (its
        10th or 90th percentile). ``adjustments`` adds pupils: columns region,
        grade, year, students (persons; new housing, planned migration).
        """
        gm = self.grade_map
        grades = gm.grades
        R, G = len(self.regions), len(grades)
        last = self.years[-1]
        out_years = np.arange(last + 1, last + horizon + 1)
        entry_age = gm.age_of(grades[0])
        rng = np.random.default_rng(seed)

        level_entry = getattr(self.model, "entry_mode", "births") == "level"
        births_paths = np.ones((paths + 1, R, horizon))
        if not level_entry:
            births_paths = self._births_paths(out_years, entry_age, paths, seed, births, births_factor,
                                              births_variant)

        # log-ratio paths: point forecast (+ damped trend) plus errors that build
        # up the way the estimator's forecast errors do: a fresh one-step error
        # each year plus the level's drift (alpha per past error for smoothing;
        # the sampling error of a k-year mean for "mean")
        level, trend = self.state[..., 0], self.state[..., 1]
        phi = self.model.phi if self.model.estimator == "damped" else 0.0
        steps = np.cumsum(phi ** np.arange(1, horizon + 1))        # (H,)
        point = level[None, :, :, None] + trend[None, :, :, None] * steps  # (1, R, G, H)
        # a grade that follows its own level has no cohort behind its growth:
        # that growth fades by phi a year (damped trend) instead of lasting
        own = np.concatenate([[level_entry], self.model.restart])
        fade = np.where(own[:, None], self.model.phi ** np.arange(1, horizon + 1)[None, :], 1.0)  # (G, H)
        point = point * fade[None, None]
        e = _resample(rng, self.resid, paths, horizon)      # one-step errors (P, R, G, H)
        if self.model.estimator == "mean":
            drift = _resample(rng, self.resid, paths, 1) / np.sqrt(self.model.k)
            eps = e + drift
        else:
            a = self.model.alpha
            eps = e + a * (np.cumsum(e, axis=3) - e)
        logr = np.concatenate([point, point + eps], axis=0)         # path 0 is the central projection
        ratio = np.exp(logr)

        adj = np.zeros((R, G, horizon))
        if adjustments is not None and len(adjustments):
            for row in adjustments.itertuples(index=False):
                if row.region in self.regions and row.grade in grades and row.year in out_years:
                    adj[self.regions.index(row.region), grades.index(row.grade), row.year - last - 1] += row.students

        out, added = _run_cohorts(self.cube[:, :, -1], ratio, births_paths, level_entry, self.model.restart, adj)
        values = np.maximum(out + added, 0.0)
        return Projection(self.regions, grades, gm, list(self.years), self.cube, out_years, values, added=added)

    def _births_paths(self, out_years, entry_age, paths, seed, births, births_factor, variant) -> np.ndarray:
        """Births feeding the youngest grade, (1 + paths, R, horizon): observed
        where known, else forecast; path 0 is the variant's central path."""
        spread = self.model.entry_spread
        years = list(out_years - entry_age)
        if spread > 0:
            years = [years[0] - 1] + years       # one draw of both birth years keeps them consistent
        b = birth_paths(self.model.births, self.regions, years, paths, seed, births, births_factor, variant)
        if spread <= 0:
            return b
        now, before = b[..., 1:], b[..., :-1]
        return (1 - spread) * now + spread * before


def _resample(rng: np.random.Generator, values: np.ndarray, paths: int, horizon: int) -> np.ndarray:
    """Draws with replacement from ``values`` (R, K, N), shape (paths, R, K,
    horizon): for each k from its finite values over all R and N, or from all
    finite values when k has fewer than 10; zeros when there are none."""
    everything = values[np.isfinite(values)]
    R, K = values.shape[:2]
    out = np.zeros((paths, R, K, horizon))
    if everything.size == 0:
        return out
    for k in range(K):
        pool = values[:, k, :]
        pool = pool[np.isfinite(pool)]
        out[:, :, k, :] = rng.choice(pool if pool.size >= 10 else everything, size=(paths, R, horizon))
    return out


def _run_cohorts(start: np.ndarray, ratio: np.ndarray, births: np.ndarray, level_entry: bool,
                 restart: np.ndarray, adj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Carry cohorts forward along every path.

    ``start`` (R, G) is the last year's pupils, ``ratio`` (P, R, G, H) the
    entry (grade 0) and progression ratios, ``births`` (P, R, H) the births
    feeding the entry grade, ``restart`` (G-1,) grades that follow their own
    level, ``adj`` (R, G, H) pupils a scenario adds. Returns the pupils from
    the data and, apart, the added pupils as the ratios carry them on, both
    (P, R, G, H) persons.
    """
    P, H = ratio.shape[0], ratio.shape[3]
    restart = restart[None, None, :]
    stock = np.broadcast_to(start, (P, *start.shape)).copy()
    added = np.zeros_like(stock)
    out = np.empty((P, *start.shape, H))
    extra = np.empty_like(out)
    for h in range(H):
        new = np.empty_like(stock)
        new[:, :, 0] = (stock[:, :, 0] if level_entry else births[:, :, h]) * ratio[:, :, 0, h]
        new[:, :, 1:] = np.where(restart, stock[:, :, 1:], stock[:, :, :-1]) * ratio[:, :, 1:, h]
        moved = np.empty_like(added)
        moved[:, :, 0] = added[:, :, 0] * ratio[:, :, 0, h] if level_entry else 0.0
        moved[:, :, 1:] = np.where(restart, added[:, :, 1:], added[:, :, :-1]) * ratio[:, :, 1:, h]
        stock = np.maximum(new, 0.0)
        added = moved + adj[None, :, :, h]
        out[..., h] = stock
        extra[..., h] = added
    return out, extra

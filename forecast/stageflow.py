"""Stage-flow projection of stage totals, as statistical bulletins publish them.

A bulletin gives, per stage and year, the pupils in school, the entrants and
the graduates (some years blank). Splitting the totals into grades would
invent a cohort structure the data does not have, so the stage total is
projected by its own flow identity::

    students(t) = retained · students(t−1) + entrants(t) − graduates(t)

- entrants of a stage that children enter by age (preschool, primary) are
  the births at its entry age × an entry ratio, smoothed on logs (weight
  ``alpha``); entrants of a later stage are the stage below's graduates × a
  transition ratio with a robust damped trend: a Theil–Sen slope over the
  last ``trend_years`` (``scipy.stats.theilslopes``), damped by ``phi`` a
  year ahead. Without a driver (no births for those years, no stage below)
  the entrants follow their own level with the same damped trend.
- graduates are the oldest entering cohort's share of last year's pupils ×
  a survival ratio;
- retention (net migration and drop-out of continuing pupils) and survival
  are the median of the last ``robust_years`` values, so a one-year break
  (a registry clean-up) does not move later projections.

Published entrants and graduates are used where present; a blank year is
filled from the flow identity (or, when both are blank, graduates from
survival and entrants from the identity), and ``StageFlowFit.flows()`` says
which values were filled. A blank ``students`` cell is a year not
published: never filled, and a stage's history is its run of consecutive
published years ending at the origin. Each stage is fitted on its own run;
a stage with fewer than ``min_years`` there is dropped (``dropped``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import theilslopes

from forecast.births import BirthsForecast, birth_paths
from forecast.errors import InputError
from forecast.grades import GradeMap
from forecast.projection import Projection

#: stages children enter by age; later stages enter from the stage below
FROM_BIRTHS = ("preschool", "primary")
#: the fewest consecutive published years a stage is fitted on
MIN_YEARS = 3


def stages_present(totals: pd.DataFrame, gm: GradeMap) -> GradeMap:
    """The grade map restricted to the stages the totals contain."""
    keep = {s: gm.stages[s] for s in gm.stage_names if s in set(totals.stage)}
    return GradeMap(stages=keep, first_grade_age=gm.first_grade_age)


def robust_trend(years: np.ndarray, values: np.ndarray, window: int) -> tuple[float, float]:
    """Level at the last year and yearly slope of ``values``: a Theil–Sen
    slope over the last ``window`` finite values (no slope with fewer than
    3), the level the median of the values moved along that slope to the
    last year. (nan, 0) when there are no finite values."""
    ok = np.isfinite(values)
    t, v = np.asarray(years, float)[ok][-window:], np.asarray(values, float)[ok][-window:]
    if len(v) == 0:
        return np.nan, 0.0
    slope = float(theilslopes(v, t)[0]) if len(v) >= 3 else 0.0
    level = float(np.median(v + slope * (t[-1] - t)))
    return level, slope


def smoothed_level(values: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """Exponentially smoothed level of the finite positive ``values`` (on
    logs, weight ``alpha`` on the newest; nan when there are none) and its
    one-step errors on logs."""
    v = np.log(values[np.isfinite(values) & (values > 0)])
    if len(v) == 0:
        return np.nan, np.zeros(0)
    level, errors = v[0], []
    for x in v[1:]:
        errors.append(x - level)
        level += alpha * (x - level)
    return float(np.exp(level)), np.array(errors)


def trend_residuals(years: np.ndarray, values: np.ndarray, level: float, slope: float, window: int) -> np.ndarray:
    """Log deviations of the last ``window`` finite values from the fitted
    line through ``level`` at the last year with ``slope``."""
    ok = np.isfinite(values) & (values > 0)
    t, v = np.asarray(years, float)[ok][-window:], values[ok][-window:]
    if len(v) == 0:
        return np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.log(v / (level + slope * (t - t[-1])))
    return d[np.isfinite(d)]


def damped_steps(phi: float, horizon: int) -> np.ndarray:
    """Cumulative damped trend multipliers phi + phi² + … for leads 1..horizon."""
    return np.cumsum(phi ** np.arange(1, horizon + 1))


def _robust(values: np.ndarray, window: int, default: float) -> float:
    v = values[np.isfinite(values)][-window:]
    return float(np.median(v)) if len(v) else default


@dataclass
class StageFit:
    """One region's stage: its history (published and filled) and estimates.

    Arrays run over ``years`` (the stage's consecutive published years up to
    the origin). ``driver`` is "births", "below" (the stage below's
    graduates) or "own" (entrants follow their own level); ``ratio`` is
    entrants per driver unit (entrants themselves for "own");
    ``ratio_errors`` its one-step (smoothed level) or trend-line (trend)
    errors on logs.
    """

    region: str
    stage: str
    duration: int
    entry_age: int
    years: np.ndarray
    students: np.ndarray
    entrants: np.ndarray
    graduates: np.ndarray
    entrants_filled: np.ndarray
    graduates_filled: np.ndarray
    retention: float
    survival: float
    retention_history: np.ndarray
    survival_history: np.ndarray
    driver: str
    driver_history: np.ndarray
    ratio_history: np.ndarray
    ratio_level: float
    ratio_slope: float
    ratio_errors: np.ndarray
    below: str | None = None


@dataclass
class StageFlowModel:
    """Stage-flow model of stage totals for one or more regions.

    Parameters
    ----------
    totals : DataFrame
        Columns region, year, stage, students[, entrants, graduates] (persons;
        NaN where a bulletin left the cell blank).
    births : DataFrame
        Columns region, year, births (persons).
    grade_map : GradeMap
        Gives each stage's duration (its number of grades) and entry age.
    trend_years : years of the ratio's Theil–Sen trend.
    robust_years : years whose median gives retention and survival.
    phi : yearly damping of the trend.
    alpha : smoothing weight of the newest entry ratio (stages entered from
        births follow a smoothed level, as the grade chain's entry ratio does).
    min_years : fewest consecutive published years a stage is fitted on.
    """

    totals: pd.DataFrame
    births: pd.DataFrame
    grade_map: GradeMap
    trend_years: int = 5
    robust_years: int = 8
    phi: float = 0.8
    alpha: float = 0.4
    min_years: int = MIN_YEARS

    @property
    def last_year(self) -> int:
        return int(self.totals.year.max())

    def upto(self, year: int) -> "StageFlowModel":
        """The same model on totals up to ``year`` (births as given)."""
        return replace(self, totals=self.totals[self.totals.year <= year])

    def stage_history(self) -> pd.DataFrame:
        """Published pupils by stage: region, stage, year, students (persons)."""
        t = self.totals[["region", "stage", "year", "students"]]
        return t[t.students.notna()].reset_index(drop=True)

    def fit(self) -> "StageFlowFit":
        gm = self.grade_map
        t = self.totals
        for col in ("entrants", "graduates"):
            if col not in t.columns:
                t = t.assign(**{col: np.nan})
        origin = self.last_year
        births = _births_lookup(self.births)
        regions = sorted(t.region.unique())
        stages = [s for s in gm.stage_names if s in set(t.stage)]
        fits: dict[tuple[str, str], StageFit] = {}
        dropped = []
        order = gm.stage_names
        published = {key: d.set_index("year") for key, d in t[t.students.notna()].groupby(["region", "stage"])}
        empty = t.iloc[:0].set_index("year")
        for region in regions:
            for stage in stages:
                d = published.get((region, stage), empty)
                run = _run_to(d.index, origin)
                if len(run) < self.min_years:
                    dropped.append((region, stage, len(run)))
                    continue
                k = order.index(stage)
                below = fits.get((region, order[k - 1])) if k > 0 else None
                fits[(region, stage)] = self._fit_stage(region, stage, d.reindex(run), births, below)
        if not fits:
            raise InputError(f"stage totals: no stage has {self.min_years} consecutive published years up to "
                             f"{origin}")
        return StageFlowFit(self, regions, [s for s in stages if any((r, s) in fits for r in regions)], origin,
                            fits, dropped)

    def _fit_stage(self, region, stage, d: pd.DataFrame, births: dict, below: StageFit | None) -> StageFit:
        gm = self.grade_map
        lo, hi = gm.stages[stage]
        D, age = hi - lo + 1, gm.age_of(lo)
        years = d.index.to_numpy(int)
        S = d.students.to_numpy(float)
        Ep, Gp = d.entrants.to_numpy(float), d.graduates.to_numpy(float)
        n = len(years)
        cohort_births = np.array([births.get((region, int(y) - age), np.nan) for y in range(years[0] - D,
                                                                                          years[-1] + 1)])

        # retention of continuing pupils where a year's entrants and graduates are both published
        rho_t = np.full(n, np.nan)
        rho_t[1:] = (S[1:] - Ep[1:] + Gp[1:]) / S[:-1]
        rho = _robust(rho_t, self.robust_years, 1.0)

        E, G = Ep.copy(), Gp.copy()
        sig_t = np.full(n, np.nan)
        sigma = 1.0
        for _ in range(2):  # survival needs the cohort shares, which need entrants filled
            share = _oldest_shares(E, years, D, cohort_births)
            sig_t[1:] = Gp[1:] / (S[:-1] * share[:-1])
            sigma = _robust(sig_t, self.robust_years, 1.0)
            E, G = Ep.copy(), Gp.copy()
            for i in range(1, n):
                if not np.isfinite(G[i]):
                    if np.isfinite(E[i]):
                        G[i] = max(rho * S[i - 1] + E[i] - S[i], 0.0)
                    else:
                        sh = _oldest_shares(E, years, D, cohort_births)[i - 1]
                        G[i] = sigma * S[i - 1] * sh
                if not np.isfinite(E[i]):
                    E[i] = max(S[i] - rho * S[i - 1] + G[i], 0.0)

        driver, X = "own", np.ones(n)
        if stage in FROM_BIRTHS or below is None:
            b = np.array([births.get((region, int(y) - age), np.nan) for y in years])
            if np.isfinite(b).sum() >= 2:
                driver, X = "births", b
        if stage not in FROM_BIRTHS and below is not None:
            g_below = pd.Series(below.graduates, index=below.years).reindex(years).to_numpy(float)
            if np.isfinite(g_below).sum() >= 2:
                driver, X = "below", g_below
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = E / X
        ratio[~np.isfinite(ratio)] = np.nan
        if driver == "births":
            (level, resid), slope = smoothed_level(ratio, self.alpha), 0.0
        else:
            level, slope = robust_trend(years, ratio, self.trend_years)
            resid = trend_residuals(years, ratio, level, slope, self.trend_years)
        return StageFit(region, stage, D, age, years, S, E, G, np.isnan(Ep) & np.isfinite(E),
                        np.isnan(Gp) & np.isfinite(G), rho, sigma, rho_t, sig_t, driver, X, ratio, level, slope,
                        resid, below.stage if driver == "below" else None)


def _births_lookup(births: pd.DataFrame) -> dict:
    """{(region, year): births}: a plain dict, looked up per year in loops."""
    return {(r, int(y)): float(b) for r, y, b in zip(births.region, births.year, births.births)}


def _run_to(years, end: int) -> list[int]:
    ys = set(int(y) for y in years)
    run = []
    y = end
    while y in ys:
        run.insert(0, y)
        y -= 1
    return run


def _oldest_shares(E: np.ndarray, years: np.ndarray, D: int, cohort_births: np.ndarray) -> np.ndarray:
    """Share of the oldest cohort in each year's pupils: its entrants over
    the entrants of the ``D`` cohorts in school; where those are not all
    known, the same from the cohorts' births; else 1/D.

    ``cohort_births`` runs over entry years ``years[0] - D`` .. ``years[-1]``.
    """
    n = len(years)
    out = np.full(n, 1.0 / D)
    for i in range(n):
        if i - D + 1 >= 0 and np.isfinite(E[i - D + 1:i + 1]).all() and E[i - D + 1:i + 1].sum() > 0:
            c = E[i - D + 1:i + 1]
        else:
            c = cohort_births[i + 1:i + D + 1]      # entry years years[i]-D+1 .. years[i]
            if not (np.isfinite(c).all() and c.sum() > 0):
                continue
        out[i] = c[0] / c.sum()
    return out


class StageFlowFit:
    """Fitted stage flows; ``project`` runs them forward."""

    def __init__(self, model: StageFlowModel, regions, stages, origin, fits, dropped):
        self.model = model
        self.regions = regions
        self.stages = stages
        self.origin = origin
        self.fits: dict[tuple[str, str], StageFit] = fits
        #: (region, stage, years available) of stages too short to fit
        self.dropped: list[tuple[str, str, int]] = dropped

    @property
    def grade_map(self) -> GradeMap:
        return self.model.grade_map

    def methods(self) -> pd.DataFrame:
        """How each stage is projected: region, stage, method ("entrants from
        births", "entrants from <stage> graduates" or "entrants on their own
        trend")."""
        how = {"births": "entrants from births", "own": "entrants on their own trend"}
        rows = [(f.region, f.stage, how.get(f.driver, f"entrants from {f.below} graduates"))
                for f in self.fits.values()]
        return pd.DataFrame(rows, columns=["region", "stage", "method"])

    def estimates(self) -> pd.DataFrame:
        """Per region and stage: driver, ratio level and slope (per year),
        retention, survival."""
        rows = [(f.region, f.stage, f.driver, f.ratio_level, f.ratio_slope, f.retention, f.survival)
                for f in self.fits.values()]
        return pd.DataFrame(rows, columns=["region", "stage", "driver", "ratio", "ratio_slope", "retention",
                                           "survival"])

    def flows(self) -> pd.DataFrame:
        """The history the model ran on: region, stage, year, students,
        entrants, graduates (persons) and entrants_filled, graduates_filled
        (True where the bulletin left it blank and the model filled it)."""
        frames = [pd.DataFrame({"region": f.region, "stage": f.stage, "year": f.years, "students": f.students,
                                "entrants": f.entrants, "graduates": f.graduates,
                                "entrants_filled": f.entrants_filled, "graduates_filled": f.graduates_filled})
                  for f in self.fits.values()]
        return pd.concat(frames, ignore_index=True)

    def filled(self) -> pd.DataFrame:
        """Values the model filled in: region, stage, column, years (list)."""
        rows = []
        for f in self.fits.values():
            for col, mask in (("entrants", f.entrants_filled), ("graduates", f.graduates_filled)):
                if mask.any():
                    rows.append((f.region, f.stage, col, [int(y) for y in f.years[mask]]))
        return pd.DataFrame(rows, columns=["region", "stage", "column", "years"])

    def project(self, horizon: int, paths: int = 1000, seed: int = 0, births: BirthsForecast | None = None,
                births_factor: float | pd.Series = 1.0, births_variant: str = "central") -> Projection:
        """Project stage totals ``horizon`` years past the origin.

        Monte Carlo paths: each ratio follows its point forecast times
        normal errors as large as its history's errors around its level or
        trend line (robust scale, 1.4826 · MAD over the last
        ``robust_years``; pooled over stages with fewer than 3), built up
        the way a smoothed level's forecast errors are (a fresh error each
        year plus ``alpha`` of each earlier one); retention
        and survival are drawn once per path around their medians with their
        history's robust scale; births beyond the data come from the births
        model. The intervals are calibrated on the record afterwards
        (``forecast.intervals``). Returns a ``Projection`` with stage units.
        """
        m = self.model
        rng = np.random.default_rng(seed)
        R, S, H, P = len(self.regions), len(self.stages), horizon, paths
        years = np.arange(self.origin + 1, self.origin + H + 1)
        steps = damped_steps(m.phi, H)
        values = np.full((P + 1, R, S, H), np.nan)

        need = sorted({int(y) - f.entry_age for f in self.fits.values() if f.driver == "births" for y in years})
        bp = None
        if need:
            bp = birth_paths(m.births, self.regions, need, P, seed, births, births_factor, births_variant)
        a = m.alpha
        known = _births_lookup(m.births)
        pooled = _robust_sd(np.concatenate([f.ratio_errors[-m.robust_years:] for f in self.fits.values()]))

        for i, region in enumerate(self.regions):
            grads: dict[str, np.ndarray] = {}
            for k, stage in enumerate(self.stages):
                f = self.fits.get((region, stage))
                if f is None:
                    continue
                D = f.duration
                ratio = np.maximum(f.ratio_level + f.ratio_slope * steps, 0.0)       # (H,)
                # a fresh error each year plus the level's drift, as a smoothed level's errors build up
                sd = _robust_sd(f.ratio_errors[-m.robust_years:], fallback=pooled)
                e = sd * rng.standard_normal((P, H))
                eps = e + a * (np.cumsum(e, axis=1) - e)
                ratio_p = np.concatenate([ratio[None], ratio[None] * np.exp(eps)], axis=0)   # (1+P, H)
                rho = np.concatenate([[f.retention], f.retention * np.exp(
                    _robust_sd(np.log(f.retention_history[-m.robust_years:])) * rng.standard_normal(P))])
                sig = np.concatenate([[f.survival], f.survival * np.exp(
                    _robust_sd(np.log(f.survival_history[-m.robust_years:])) * rng.standard_normal(P))])
                if f.driver == "births":
                    X = bp[:, i, [need.index(int(y) - f.entry_age) for y in years]]
                elif f.driver == "below":
                    X = grads[f.below]
                else:
                    X = np.ones((P + 1, H))
                E_hist = np.broadcast_to(f.entrants, (P + 1, len(f.entrants)))
                E = np.concatenate([E_hist, np.zeros((P + 1, H))], axis=1)
                cb = np.array([known.get((region, int(y) - f.entry_age), np.nan)
                               for y in range(int(f.years[-1]) - D + 1, int(years[-1]) + 1)])
                stock = np.full(P + 1, f.students[-1])
                G_out = np.empty((P + 1, H))
                n0 = len(f.entrants)
                for h in range(H):
                    share = _share_now(E, n0 + h - 1, D, cb, h)
                    G_h = sig * stock * share
                    E_h = ratio_p[:, h] * X[:, h]
                    E[:, n0 + h] = E_h
                    stock = np.maximum(rho * stock + E_h - G_h, 0.0)
                    values[:, i, k, h] = stock
                    G_out[:, h] = G_h
                grads[stage] = G_out
        hist_years = sorted({int(y) for f in self.fits.values() for y in f.years})
        hist = np.full((R, S, len(hist_years)), np.nan)
        for f in self.fits.values():
            hist[self.regions.index(f.region), self.stages.index(f.stage),
                 [hist_years.index(int(y)) for y in f.years]] = f.students
        return Projection(self.regions, self.stages, self.grade_map, hist_years, hist, years, values, unit="stage")


def _share_now(E: np.ndarray, j: int, D: int, cohort_births: np.ndarray, h: int) -> np.ndarray:
    """Oldest cohort's share of the pupils in school at column ``j`` of
    ``E`` (1 + paths, years): from entrants where the ``D`` cohorts are all
    there, else from their births, else 1/D. ``cohort_births`` runs over
    entry years from the origin's oldest cohort on (index h .. h + D - 1)."""
    lo = j - D + 1
    if lo >= 0:
        c = E[:, lo:j + 1]
        tot = c.sum(axis=1)
        if np.isfinite(c).all() and (tot > 0).all():
            return c[:, 0] / tot
    c = cohort_births[h:h + D]
    if len(c) == D and np.isfinite(c).all() and c.sum() > 0:
        return np.full(E.shape[0], c[0] / c.sum())
    return np.full(E.shape[0], 1.0 / D)


def _robust_sd(values: np.ndarray, fallback: float = 0.0) -> float:
    """Standard deviation estimated from the median absolute deviation of the
    finite values (1.4826 · MAD), so one break year does not widen every
    path; ``fallback`` with fewer than 3 values."""
    with np.errstate(invalid="ignore"):
        v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) < 3:
        return fallback
    return float(1.4826 * np.median(np.abs(v - np.median(v))))

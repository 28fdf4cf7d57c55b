"""Intervals from the track record: conformal quantiles by hand, calibration
on simulated series with a known error distribution, what the paths keep."""
import ast
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from forecast.combine import combined_projection
from forecast.grades import GradeMap
from forecast.intervals import calibrate, conformal_quantile, weighted_conformal_quantile
from forecast.projection import Projection

GM = GradeMap(stages={"primary": (1, 6)})


def test_conformal_quantile_by_hand():
    scores = np.arange(1.0, 10.0)                       # 1..9
    assert conformal_quantile(scores, 0.8) == 8.0       # the ceil(0.8 x 10) = 8th smallest
    assert conformal_quantile(scores[:4], 0.8) == 4.0   # ceil(0.8 x 5) = 4: the largest of four
    assert np.isnan(conformal_quantile(scores[:3], 0.8))  # too few for an 80% bound
    assert np.isnan(conformal_quantile(scores, 0.95))   # ceil(0.95 x 10) = 10 > 9


def test_weighted_conformal_quantile_by_hand():
    scores = np.arange(1.0, 10.0)
    # every weight 1: the plain conformal quantile
    assert weighted_conformal_quantile(scores, np.ones(9), 0.8) == conformal_quantile(scores, 0.8)
    # four scores, the next one counting 1 at infinity: weights 1, 1, 1, 1 put 0.8 of 5 at the largest
    assert weighted_conformal_quantile(scores[:4], np.ones(4), 0.8) == 4.0
    # an older first score (weight 0.5) leaves too little weight for an 80% bound: 3.5 / 4.5 < 0.8
    assert np.isnan(weighted_conformal_quantile(scores[:4], np.array([0.5, 1, 1, 1]), 0.8))
    # old large scores count less: weights 0.1 on 9 and 8 move the 80% bound down to 7 (6.2 / 7.2 > 0.8)
    w = np.array([1, 1, 1, 1, 1, 1, 1, 0.1, 0.1])
    assert weighted_conformal_quantile(scores, w, 0.8) == 7.0


class SeriesModel:
    """What the track record needs of a toy model of a stage-total series:
    its last year, itself cut at a year, its history."""

    series: pd.DataFrame

    @property
    def last_year(self) -> int:
        return int(self.series.year.max())

    def upto(self, year):
        return replace(self, series=self.series[self.series.year <= year])

    def stage_history(self):
        return self.series


@dataclass
class RandomWalk(SeriesModel):
    """A toy model of a random walk with drift: projects the mean yearly log
    change, with Monte Carlo paths three times too narrow. It stands in for
    any model: the combination and the intervals see only its projections."""

    series: pd.DataFrame           # region, stage, year, students
    narrow: float = 3.0

    def fit(self):
        return RandomWalkFit(self)


class RandomWalkFit:
    def __init__(self, model):
        s = model.series.pivot_table(index="region", columns="year", values="students")
        self.regions, self.stages, self.years = list(s.index), ["primary"], list(s.columns)
        self.hist = s.to_numpy(float)[:, None, :]
        steps = np.diff(np.log(self.hist), axis=2)
        self.drift, self.sd = steps.mean(axis=2), steps.std(axis=2) / model.narrow

    def methods(self):
        return pd.DataFrame({"region": self.regions, "stage": "primary", "method": "random walk"})

    def project(self, horizon, paths=0, seed=0):
        rng = np.random.default_rng(seed)
        h = np.arange(1, horizon + 1)
        central = self.hist[:, :, -1:] * np.exp(self.drift[..., None] * h)
        walk = np.cumsum(rng.standard_normal((paths, *central.shape)), axis=3) * self.sd[None, ..., None]
        values = np.concatenate([central[None], central[None] * np.exp(walk)], axis=0)
        years = [self.years[-1] + k for k in h]
        return Projection(self.regions, self.stages, GM, self.years, self.hist, years, values, unit="stage")


def simulate(regions, years, sigma, rng):
    """Log pupils of a random walk: yearly changes N(0, sigma²)."""
    return np.log(1e4) + np.cumsum(sigma * rng.standard_normal((regions, years)), axis=1)


@pytest.fixture(scope="module")
def calibrated():
    """40 areas, 20 years of a random walk with yearly sd 2%: the error of a
    projection h years ahead is N(0, 0.02² h) plus what the drift estimate
    adds."""
    sigma, R, Y = 0.02, 40, 20
    rng = np.random.default_rng(0)
    log = simulate(R, Y, sigma, rng)
    series = pd.DataFrame([(f"r{i:02d}", "primary", 2000 + t, float(np.exp(log[i, t])))
                           for i in range(R) for t in range(Y)], columns=["region", "stage", "year", "students"])
    comb = combined_projection(RandomWalk(series), 3, paths=400, seed=1)
    return comb, log, sigma, rng


def test_intervals_from_the_record_cover_as_nominal_on_simulated_series(calibrated):
    comb, log, sigma, rng = calibrated
    assert (comb.intervals.pool == "record").all() and (comb.intervals.n_own >= 8 * 40).all()
    fc = comb.projection.by_stage()
    # what happens next, many times over: the same random walk from the last year
    futures = log[:, -1][None, :, None] + np.cumsum(sigma * rng.standard_normal((4000, log.shape[0], 3)), axis=2)
    actual = np.exp(futures)                                                     # (draws, regions, leads)
    get = lambda col: fc.pivot(index="region", columns="year", values=col).to_numpy()[None]  # noqa: E731
    for lo, hi, nominal in (("lo80", "hi80", 0.80), ("lo95", "hi95", 0.95)):
        inside = ((actual >= get(lo)) & (actual <= get(hi))).mean()
        assert abs(inside - nominal) < 0.05, (lo, inside)
    # the model's own paths were three times too narrow (and a no-change random walk of half the weight
    # widened them a little): the record widened them more
    assert (comb.intervals.k80 > 1.5).all()


def test_calibrated_paths_keep_their_order_over_the_years(calibrated):
    comb = calibrated[0]
    Y = comb.projection.stage_paths()
    d = np.log(Y[1:, 0, 0] / Y[0, 0, 0])           # (paths, years) of one area
    # a random walk: lead 1 and lead 3 stay correlated after rescaling
    assert spearmanr(d[:, 0], d[:, 2]).statistic > 0.4
    # the central line is the median of the paths and inside every band
    half = np.quantile(np.abs(d), 0.8, axis=0)
    assert (np.abs(np.median(d, axis=0)) < 0.1 * half).all()
    fc = comb.projection.by_stage()
    assert ((fc.lo95 <= fc.lo80) & (fc.lo80 <= fc.students) & (fc.students <= fc.hi80) & (fc.hi80 <= fc.hi95)).all()


def toy_projection(spread, P=400, H=3, seed=0):
    rng = np.random.default_rng(seed)
    central = np.full((1, 1, 1, H), 100.0)
    walk = np.cumsum(rng.standard_normal((P, 1, 1, H)), axis=3) * spread
    values = np.concatenate([central, central * np.exp(walk)], axis=0)
    return Projection(["a"], ["primary"], GM, [2020], np.full((1, 1, 1), 100.0), [2021, 2022, 2023], values,
                      unit="stage")


def record(errors):
    return pd.DataFrame([("a", "primary", 2010 + i, 1, e) for i, e in enumerate(errors)],
                        columns=["region", "stage", "origin", "lead", "error"])


def half_width(proj):
    fc = proj.by_stage()
    return float(np.log(fc.hi80.iloc[0] / fc.students.iloc[0]))


def test_the_band_follows_a_short_record_both_ways():
    proj = toy_projection(0.01)
    s80 = np.quantile(np.abs(np.log(proj.stage_paths()[1:, 0, 0, 0] / 100)), 0.8)
    wide, table = calibrate(proj, record([0.05, -0.04, 0.03, -0.06]), decay=1.0)
    # four errors of one stage and lead, each standardised by the median of the other three (its scale
    # fitted without it): 0.06 / 0.04 = 1.5 is the largest, the 4th of 4 (ceil(0.8 x 5) = 4); times the
    # scale of all four (their lower median, 0.04): 0.06
    assert table.pool.iloc[0] == "record" and table.n.iloc[0] == 4 and table.n_own.iloc[0] == 4
    assert table.k80.iloc[0] == pytest.approx(0.06 / s80, rel=0.05)
    assert half_width(wide) == pytest.approx(0.06, rel=0.05)
    # errors ten times smaller than the paths' spread: the band narrows to them (0.002 / 0.001 x 0.001)
    narrow, table = calibrate(proj, record([0.001, -0.001, 0.002, -0.002]), decay=1.0)
    assert table.k80.iloc[0] == pytest.approx(0.002 / s80, rel=0.05)
    assert half_width(narrow) == pytest.approx(0.002, rel=0.05)
    none, table = calibrate(proj, record([]))
    assert table.pool.iloc[0] == "model" and table.n.iloc[0] == 0
    assert half_width(none) == pytest.approx(s80, rel=0.1)
    # errors from long ago (their actuals 7-10 years before the origin) weigh too little for an 80% bound
    old, table = calibrate(proj, record([0.05, -0.04, 0.03, -0.06]))
    assert table.pool.iloc[0] == "model"


GM2 = GradeMap(stages={"primary": (1, 6), "senior": (7, 9)})
#: yearly sd of the two stages' random walks: one steady, one eight times as volatile
SIGMA = {"primary": 0.004, "senior": 0.03}


@dataclass
class TwoStages(SeriesModel):
    """One area, two stages, each a random walk projected by its last value;
    the model's paths have one spread for both (its error model does not
    know the stages differ), as a model's paths misstate real errors."""

    series: pd.DataFrame

    def fit(self):
        return TwoStagesFit(self)


class TwoStagesFit:
    def __init__(self, model):
        s = model.series.pivot_table(index="stage", columns="year", values="students")
        self.regions, self.stages, self.years = ["a"], ["primary", "senior"], list(s.columns)
        self.hist = s.loc[self.stages].to_numpy(float)[None]
        self.sd = np.diff(np.log(self.hist), axis=2).std()

    def methods(self):
        return pd.DataFrame({"region": "a", "stage": self.stages, "method": "last value"})

    def project(self, horizon, paths=0, seed=0):
        rng = np.random.default_rng(seed)
        central = np.repeat(self.hist[:, :, -1:], horizon, axis=2)
        walk = np.cumsum(rng.standard_normal((paths, *central.shape)), axis=3) * self.sd
        values = np.concatenate([central[None], central[None] * np.exp(walk)], axis=0)
        years = [self.years[-1] + k for k in range(1, horizon + 1)]
        return Projection(self.regions, self.stages, GM2, self.years, self.hist, years, values, unit="stage")


def test_a_steady_and_a_volatile_stage_each_cover_as_nominal():
    """One area (a national series: no areas to pool over), 20 years of two
    stages whose yearly errors differ eightfold. The chance that the next
    three years fall inside each 80% band is computed exactly (the future is
    the same random walk) and averaged over 12 independent series: each
    stage within 7 points of 80% (85% and 77%; the previous intervals, a
    stage's own errors at a lead from 10 on and else all stages' scores with
    a partially pooled scale, gave the steady stage 92%)."""
    from scipy.stats import norm

    inside = {s: [] for s in SIGMA}
    for k in range(12):
        rng = np.random.default_rng(100 + k)
        rows = []
        for stage, sd in SIGMA.items():
            log = np.log(1e4) + np.cumsum(sd * rng.standard_normal(20))
            rows += [("a", stage, 2000 + t, float(np.exp(log[t]))) for t in range(20)]
        series = pd.DataFrame(rows, columns=["region", "stage", "year", "students"])
        comb = combined_projection(TwoStages(series), 3, paths=40, seed=k)
        last = series[series.year == 2019].set_index("stage").students
        for r in comb.projection.by_stage().itertuples():
            sd = SIGMA[r.stage] * np.sqrt(r.year - 2019)
            lo, hi = np.log(r.lo80 / last[r.stage]) / sd, np.log(r.hi80 / last[r.stage]) / sd
            inside[r.stage].append(norm.cdf(hi) - norm.cdf(lo))
    for stage, p in inside.items():
        assert abs(np.mean(p) - 0.80) < 0.07, (stage, np.mean(p))


def test_the_models_do_not_import_the_combination():
    for name in ("cohort", "stageflow", "projection"):
        tree = ast.parse((Path(__file__).resolve().parents[1] / "forecast" / f"{name}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not imported & {"forecast.combine", "forecast.intervals"}, name


def test_the_default_districts_bands_hold_their_central_line_and_say_what_they_rest_on():
    from forecast.enrolment import DISTRICT, ForecastParams, project_enrolment
    from scenarios.inputs import read_table
    from scenarios.schema import DEFAULT_DIR

    e = read_table(DEFAULT_DIR / "enrolment.csv", "enrolment")
    b = read_table(DEFAULT_DIR / "births.csv", "births")
    fc = project_enrolment(e, b, GradeMap(), ForecastParams(horizon=3, paths=200))  # births known: no ETS fit
    p = fc.by_stage[fc.by_stage.kind == "projected"]
    assert len(p) == 6 * 4 * 3 and set(p.region) == {DISTRICT, *e.region.unique()}
    assert ((p.lo95 <= p.lo80) & (p.lo80 <= p.students) & (p.students <= p.hi80) & (p.hi80 <= p.hi95)).all()
    # 5 areas x 4 origins: each stage's own 20 errors at lead 1, 15 at lead 2, 10 at lead 3 set its
    # scale; the quantile pools all four stages' 180
    own, pooled = fc.interval_errors("n_own"), fc.interval_errors()
    assert set(own) == {"preschool", "primary", "junior", "senior"}
    assert all(own[s] == {1: 20, 2: 15, 3: 10} for s in own)
    assert all(pooled[s] == {1: 180, 2: 180, 3: 180} for s in pooled)
    assert set(fc.region_weights) == set(e.region) and all(0.5 < w < 1 for v in fc.region_weights.values()
                                                           for w in v.values())
    # the plan's paths: (1 + paths, areas, grades, years), the central path first, also as a labelled Series
    assert fc.projection.values.shape == (201, 5, 15, 3)
    paths = fc.projection.paths()
    assert paths.index.names == ["path", "region", "stage", "year"] and len(paths) == 201 * 5 * 4 * 3
    central = p[(p.region == "east") & (p.stage == "junior")].set_index("year").students
    lvl = paths.index.get_level_values
    first = paths[(lvl("path") == 0) & (lvl("region") == "east") & (lvl("stage") == "junior")]
    np.testing.assert_allclose(first.to_numpy(), central.to_numpy())
    np.testing.assert_allclose(fc.projection.values[0].sum(axis=(0, 1)),
                               p[p.region == DISTRICT].groupby("year").students.sum().to_numpy())

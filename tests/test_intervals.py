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
from forecast.intervals import N_CELL, calibrate, conformal_quantile
from forecast.projection import Projection

GM = GradeMap(stages={"primary": (1, 6)})


def test_conformal_quantile_by_hand():
    scores = np.arange(1.0, 10.0)                       # 1..9
    assert conformal_quantile(scores, 0.8) == 8.0       # the ceil(0.8 x 10) = 8th smallest
    assert conformal_quantile(scores[:4], 0.8) == 4.0   # ceil(0.8 x 5) = 4: the largest of four
    assert np.isnan(conformal_quantile(scores[:3], 0.8))  # too few for an 80% bound
    assert np.isnan(conformal_quantile(scores, 0.95))   # ceil(0.95 x 10) = 10 > 9


@dataclass
class RandomWalk:
    """A toy model of a random walk with drift: projects the mean yearly log
    change, with Monte Carlo paths three times too narrow. It stands in for
    any model: the combination and the intervals see only its projections."""

    series: pd.DataFrame           # region, stage, year, students
    narrow: float = 3.0

    @property
    def last_year(self) -> int:
        return int(self.series.year.max())

    def upto(self, year):
        return replace(self, series=self.series[self.series.year <= year])

    def stage_history(self):
        return self.series

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
    assert (comb.intervals.pool == "stage and lead").all() and (comb.intervals.n >= N_CELL).all()
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


def test_a_short_record_widens_at_once_and_narrows_only_as_it_grows():
    proj = toy_projection(0.01)
    s80 = np.quantile(np.abs(np.log(proj.stage_paths()[1:, 0, 0, 0] / 100)), 0.8)
    wide, table = calibrate(proj, record([0.05, -0.04, 0.03, -0.06]))
    # four errors: the largest, in path spreads, sets the factor (ceil(0.8 x 5) = 4th of 4)
    assert table.pool.iloc[0] == "all stages, scaled to the stage" and table.n.iloc[0] == 4
    assert table.k80.iloc[0] == pytest.approx(0.06 / s80, rel=0.05)
    assert half_width(wide) == pytest.approx(0.06, rel=0.05)
    narrow, table = calibrate(proj, record([0.001, -0.001, 0.002, -0.002]))
    k = 0.002 / s80
    assert table.k80.iloc[0] == pytest.approx(k ** (4 / 8), rel=0.05)        # shrunk halfway in logs
    assert half_width(narrow) > 0.002 * 1.5
    none, table = calibrate(proj, record([]))
    assert table.pool.iloc[0] == "model" and table.n.iloc[0] == 0
    assert half_width(none) == pytest.approx(s80, rel=0.1)


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
    # 5 areas x 4 origins: 20 errors at lead 1, 15 at lead 2, 10 at lead 3, in every stage
    errors = fc.interval_errors()
    assert set(errors) == {"preschool", "primary", "junior", "senior"}
    assert all(errors[s] == {1: 20, 2: 15, 3: 10} for s in errors)
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

"""The cohort model by hand, stage-total splits, intervals, reproducibility."""
import numpy as np
import pandas as pd
import pytest

from forecast.backtest import backtest, consecutive_run, scores
from forecast.cohort import CohortModel
from forecast.grades import GradeMap
from forecast.stage_split import split_stage_totals

GM3 = GradeMap(stages={"primary": (1, 3)}, first_grade_age=6)


def small():
    e = pd.DataFrame({"region": "a", "year": np.repeat([2020, 2021, 2022], 3), "grade": [1, 2, 3] * 3,
                      "students": [100, 95, 90, 110, 100, 96, 120, 108, 99]})
    b = pd.DataFrame({"region": "a", "year": [2014, 2015, 2016, 2017], "births": [100, 110, 120, 130]})
    return e, b


def test_one_year_ahead_by_hand():
    e, b = small()
    proj = CohortModel(e, b, GM3, estimator="mean", k=2).fit().project(1, paths=0)
    g = proj.by_grade().set_index("grade").students
    # grade 1 = births 2017 x entry ratio 1 (100/100, 110/110, 120/120)
    assert g[1] == pytest.approx(130)
    # grade 2 = grade 1 of 2022 x geometric mean of 100/100 and 108/110
    assert g[2] == pytest.approx(120 * np.sqrt(1.0 * 108 / 110))
    # grade 3 = grade 2 of 2022 x geometric mean of 96/95 and 99/100
    assert g[3] == pytest.approx(108 * np.sqrt(96 / 95 * 99 / 100))


def test_exponential_smoothing_weights_by_hand():
    e, b = small()
    fit = CohortModel(e, b, GM3, estimator="ses", alpha=0.4).fit()
    r = fit.ratios().set_index("grade").ratio
    # log-ratio level: start at the first ratio, then level += 0.4 (next - level)
    lv = np.log(96 / 95)
    lv = lv + 0.4 * (np.log(99 / 100) - lv)
    assert r[3] == pytest.approx(np.exp(lv))


def test_entry_spread_mixes_two_birth_years():
    e, b = small()
    b = pd.concat([pd.DataFrame({"region": "a", "year": [2013], "births": [90]}), b])
    fit = CohortModel(e, b, GM3, estimator="mean", k=1, entry_spread=0.25).fit()
    proj = fit.project(1, paths=0).by_grade().set_index("grade").students
    ratio_2022 = 120 / (0.75 * 120 + 0.25 * 110)
    assert proj[1] == pytest.approx(ratio_2022 * (0.75 * 130 + 0.25 * 120))


def test_stage_totals_split_sums_back_exactly():
    gm = GradeMap(stages={"primary": (1, 6), "junior": (7, 9)})
    totals = pd.DataFrame({"region": "a", "year": [2019, 2019], "stage": ["primary", "junior"],
                           "students": [6001.0, 3000.0], "entrants": [1100.0, np.nan]})
    births = pd.DataFrame({"region": "a", "year": range(2004, 2014), "births": np.arange(10) * 10 + 900.0})
    g = split_stage_totals(totals, births, gm)
    sums = g.assign(stage=g.grade.map(gm.stage_of)).groupby("stage").students.sum()
    assert sums["primary"] == 6001.0 and sums["junior"] == 3000.0
    by = g.set_index("grade").students
    assert by[1] == 1100.0  # entrants are grade 1
    # junior grades in proportion to the births of their cohorts (grade 7 born 2007, grade 9 2005)
    assert by[7] / by[9] == pytest.approx(births.set_index("year").births[2007] / births.set_index("year").births[2005])


def test_intervals_widen_with_lead_and_seed_fixes_everything():
    from scenarios.inputs import read_table
    from scenarios.schema import DEFAULT_DIR

    e = read_table(DEFAULT_DIR / "enrolment.csv", "enrolment")
    b = read_table(DEFAULT_DIR / "births.csv", "births")
    fit = CohortModel(e, b, GradeMap()).fit()
    a = fit.project(8, paths=400, seed=3).district_by_stage()
    again = fit.project(8, paths=400, seed=3).district_by_stage()
    pd.testing.assert_frame_equal(a, again)
    width = a.assign(w=a.hi80 - a.lo80).pivot(index="year", columns="stage", values="w")
    for stage in width.columns:
        assert width[stage].iloc[-1] > 2 * width[stage].iloc[0], stage
        assert (a.lo95 <= a.lo80).all() and (a.hi80 <= a.hi95).all()


def test_births_variants_order_the_young_stages():
    from scenarios.inputs import read_table
    from scenarios.schema import DEFAULT_DIR

    e = read_table(DEFAULT_DIR / "enrolment.csv", "enrolment")
    b = read_table(DEFAULT_DIR / "births.csv", "births")
    fit = CohortModel(e, b, GradeMap()).fit()
    pre = {v: fit.project(8, paths=200, seed=1, births_variant=v).district_by_stage().query(
        "stage == 'preschool' and year == 2032").students.iloc[0] for v in ("low", "central", "high")}
    assert pre["low"] < pre["central"] < pre["high"]


def test_backtest_uses_only_data_up_to_the_origin():
    e, b = small()
    e2 = pd.concat([e, pd.DataFrame({"region": "a", "year": 2023, "grade": [1, 2, 3], "students": [1e6, 1e6, 1e6]})])
    b2 = pd.concat([b, pd.DataFrame({"region": "a", "year": [2018], "births": [1e6]})])
    bt = backtest(b2, GM3, [2022], 1, enrolment=e2, estimator="mean", paths=50, window=2)
    clean = CohortModel(e, b, GM3, estimator="mean", k=2).fit().project(1, paths=0).by_stage()
    assert bt.forecast.iloc[0] == pytest.approx(clean.students.iloc[0])  # the 2023 jump was not seen
    assert bt.persistence.iloc[0] == pytest.approx(120 + 108 + 99)
    s = scores(bt)
    assert s.n.iloc[0] == 1


def test_consecutive_run():
    assert consecutive_run([1980, 1985, 1990, 1991, 1992, 1995], 1992) == [1990, 1991, 1992]
    assert consecutive_run([1990, 1991], 1993) == []

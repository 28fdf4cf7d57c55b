"""The cohort model by hand, its combination with no change, intervals, reproducibility."""
import numpy as np
import pandas as pd
import pytest

from forecast.backtest import backtest, consecutive_run, scores
from forecast.cohort import CohortModel
from forecast.combine import REGION_PRIOR, combination_weights, combined_projection, track_record
from forecast.grades import GradeMap

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


def four_years():
    """``small()`` and a fourth year, 2023, that the cohort model misses."""
    e, b = small()
    e = pd.concat([e, pd.DataFrame({"region": "a", "year": 2023, "grade": [1, 2, 3],
                                    "students": [126.0, 118.0, 110.0]})], ignore_index=True)
    b = pd.concat([b, pd.DataFrame({"region": "a", "year": [2018], "births": [140]})], ignore_index=True)
    return e, b


def test_track_record_and_weight_by_hand():
    e, b = four_years()
    model = CohortModel(e, b, GM3, estimator="mean", k=2)
    track = track_record(model)
    # one origin (2022, the first with three years) projects 2023 as in the hand test above
    assert track[["origin", "year", "lead"]].values.tolist() == [[2022, 2023, 1]]
    cohort = 130 + 120 * np.sqrt(108 / 110) + 108 * np.sqrt(96 / 95 * 99 / 100)
    assert track.model.iloc[0] == pytest.approx(cohort)
    assert track.persistence.iloc[0] == 120 + 108 + 99 and track.actual.iloc[0] == 354
    w = combination_weights(track, ["primary"]).set_index("stage").loc["primary"]
    mse_m, mse_p = np.log(cohort / 354) ** 2, np.log(327 / 354) ** 2
    assert w.n == 1 and w.mse_model == pytest.approx(mse_m) and w.mse_persistence == pytest.approx(mse_p)
    bg = mse_p / (mse_m + mse_p)
    pooled = (bg + 0.5) / 2                     # one projection, shrunk toward 1/2 as if one more scored them equal
    assert w.pooled == pytest.approx(pooled)
    assert w.weight == pytest.approx((bg + REGION_PRIOR * pooled) / (1 + REGION_PRIOR))


def test_projection_is_the_weighted_sum_of_cohort_and_no_change():
    e, b = four_years()
    model = CohortModel(e, b, GM3, estimator="mean", k=2)
    alone = model.fit().project(2, paths=0).by_grade()
    comb = combined_projection(model, 2, paths=0)
    both = comb.projection.by_grade()
    w = comb.weights.set_index("stage").weight["primary"]
    last = e[e.year == 2023].set_index("grade").students
    expect = w * alone.set_index(["grade", "year"]).students + (1 - w) * last.reindex(alone.grade).to_numpy()
    np.testing.assert_allclose(both.set_index(["grade", "year"]).students, expect)
    # no track record (three years): the two weigh equally
    assert combined_projection(CohortModel(*small(), GM3), 1, paths=0).weights.weight.iloc[0] == 0.5


def test_weight_tends_to_one_where_the_ratios_hold():
    births = pd.DataFrame({"region": "a", "year": range(2010, 2020), "births": [100, 130, 90, 120, 150, 80, 110,
                                                                               140, 100, 125]})
    rows = [("a", y, g, 0.9 ** (g - 1) * births.set_index("year").births[y - 5 - g]) for y in range(2018, 2025)
            for g in (1, 2, 3)]
    e = pd.DataFrame(rows, columns=["region", "year", "grade", "students"])
    w = combination_weights(track_record(CohortModel(e, births, GM3)), ["primary"]).iloc[0]
    assert w.mse_model == pytest.approx(0.0, abs=1e-20) and w.mse_persistence > 0.001
    assert w.n == 4 and w.pooled == pytest.approx((4 + 0.5) / 5)
    assert w.weight == pytest.approx((4 * 1.0 + REGION_PRIOR * 0.9) / (4 + REGION_PRIOR))


def test_scenario_pupils_are_added_whole_under_the_hedge():
    e, b = four_years()
    model = CohortModel(e, b, GM3, estimator="mean", k=2)
    base = combined_projection(model, 2, paths=0)
    assert 0 < base.weights.weight.iloc[0] < 1
    adj = pd.DataFrame({"region": "a", "grade": [2], "year": [2024], "students": [10.0]})
    more = combined_projection(model, 2, paths=0, adjustments=adj).projection.by_grade()
    base = base.projection.by_grade().set_index(["grade", "year"]).students
    more = more.set_index(["grade", "year"]).students
    ratio_3 = np.sqrt(99 / 100 * 110 / 108)  # grade 2 -> 3, mean of the last two years' log ratios
    assert (more - base)[(2, 2024)] == pytest.approx(10.0)
    assert (more - base)[(3, 2025)] == pytest.approx(10.0 * ratio_3)


def test_a_grade_without_a_cohort_behind_it_lets_its_growth_fade():
    # no births: grade 1 follows its own level, growing 10% a year in the data
    e = pd.DataFrame({"region": "a", "year": np.repeat([2020, 2021, 2022], 2), "grade": [1, 2] * 3,
                      "students": [100.0, 90.0, 110.0, 99.0, 121.0, 108.9]})
    gm = GradeMap(stages={"primary": (1, 2)})
    fit = CohortModel(e, pd.DataFrame(columns=["region", "year", "births"]), gm, estimator="mean", k=2,
                      phi=0.8).fit()
    assert fit.model.entry_mode == "level"
    g1 = fit.project(2, paths=0).by_grade().query("grade == 1").students.to_numpy()
    assert g1 == pytest.approx([121 * 1.1 ** 0.8, 121 * 1.1 ** 0.8 * 1.1 ** 0.64])


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
    # the 2023 jump was not seen; with no record yet the model and no change weigh equally
    assert bt.forecast.iloc[0] == pytest.approx(0.5 * clean.students.iloc[0] + 0.5 * (120 + 108 + 99))
    assert bt.persistence.iloc[0] == pytest.approx(120 + 108 + 99)
    s = scores(bt)
    assert s.n.iloc[0] == 1


def test_consecutive_run():
    assert consecutive_run([1980, 1985, 1990, 1991, 1992, 1995], 1992) == [1990, 1991, 1992]
    assert consecutive_run([1990, 1991], 1993) == []

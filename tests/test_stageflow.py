"""The stage-flow model of bulletin stage totals: by hand, on synthetic series
with a known trend or a one-year break, and with blank cells."""
import numpy as np
import pandas as pd
import pytest

from forecast.grades import GradeMap
from forecast.stageflow import StageFlowModel, robust_trend

GM = GradeMap(stages={"primary": (1, 2), "junior": (3, 4)}, first_grade_age=6)
BIRTHS = {2010: 90.0, 2011: 90.0, 2012: 90.0, 2013: 100.0, 2014: 110.0, 2015: 120.0, 2016: 130.0, 2017: 140.0}


def births(values=BIRTHS):
    return pd.DataFrame({"region": "a", "year": list(values), "births": list(values.values())})


def totals(rows):
    return pd.DataFrame(rows, columns=["region", "year", "stage", "students", "entrants", "graduates"])


def hand_case():
    """Primary (2 grades, entry at 6): entry ratio 1.1, retention 0.98,
    survival 0.95. Junior (2 grades): 0.8 entrants per primary graduate,
    retention and survival 1. Every value follows from the flow identity."""
    rho, sig, entry = 0.98, 0.95, 1.1
    E = {y: entry * BIRTHS[y - 6] for y in (2019, 2020, 2021)}          # 110, 121, 132
    S = {2019: 200.0}
    G = {2019: 85.0}
    share = {2019: BIRTHS[2012] / (BIRTHS[2012] + BIRTHS[2013])}        # before the data: the cohorts' births
    for y in (2020, 2021):
        G[y] = sig * S[y - 1] * share[y - 1]
        S[y] = rho * S[y - 1] + E[y] - G[y]
        share[y] = E[y - 1] / (E[y - 1] + E[y])
    Ej = {y: 0.8 * G[y] for y in (2019, 2020, 2021)}
    Sj, Gj = {2019: 150.0}, {2019: 60.0}
    share_j = {2019: BIRTHS[2010] / (BIRTHS[2010] + BIRTHS[2011])}
    for y in (2020, 2021):
        Gj[y] = Sj[y - 1] * share_j[y - 1]
        Sj[y] = Sj[y - 1] + Ej[y] - Gj[y]
        share_j[y] = Ej[y - 1] / (Ej[y - 1] + Ej[y])
    rows = [("a", y, "primary", S[y], E[y], G[y]) for y in S] + [("a", y, "junior", Sj[y], Ej[y], Gj[y]) for y in Sj]
    return totals(rows), (S, E, G, Sj, Ej, Gj)


def test_stage_flow_by_hand():
    data, (S, E, G, Sj, Ej, Gj) = hand_case()
    fit = StageFlowModel(data, births(), GM).fit()
    est = fit.estimates().set_index("stage")
    assert est.retention["primary"] == pytest.approx(0.98) and est.survival["primary"] == pytest.approx(0.95)
    assert est.ratio["primary"] == pytest.approx(1.1) and est.driver["primary"] == "births"
    assert est.ratio["junior"] == pytest.approx(0.8) and est.ratio_slope["junior"] == pytest.approx(0.0)
    assert est.driver["junior"] == "below"
    p = fit.project(2, paths=0).by_stage().set_index(["stage", "year"]).students
    # 2022: primary entrants 1.1 x births 2016; graduates 0.95 x pupils 2021 x the oldest cohort's share
    e22, g22 = 1.1 * 130, 0.95 * S[2021] * E[2020] / (E[2020] + E[2021])
    s22 = 0.98 * S[2021] + e22 - g22
    assert p["primary", 2022] == pytest.approx(s22)
    e23, g23 = 1.1 * 140, 0.95 * s22 * E[2021] / (E[2021] + e22)
    assert p["primary", 2023] == pytest.approx(0.98 * s22 + e23 - g23)
    # junior entrants are 0.8 of that year's primary graduates
    ej22, gj22 = 0.8 * g22, Sj[2021] * Ej[2020] / (Ej[2020] + Ej[2021])
    sj22 = Sj[2021] + ej22 - gj22
    assert p["junior", 2022] == pytest.approx(sj22)
    ej23, gj23 = 0.8 * g23, sj22 * Ej[2021] / (Ej[2021] + ej22)
    assert p["junior", 2023] == pytest.approx(sj22 + ej23 - gj23)


def test_blank_entrants_and_graduates_are_filled_from_the_flow_identity():
    data, (S, E, G, *_) = hand_case()
    blank = data.copy()
    mask = (blank.stage == "primary") & (blank.year == 2020)
    blank.loc[mask, ["entrants", "graduates"]] = np.nan          # 2020 not published
    fit = StageFlowModel(blank, births(), GM).fit()
    flows = fit.flows().set_index(["stage", "year"])
    # graduates from survival x the oldest cohort's share, entrants from the identity: the true values
    assert flows.graduates["primary", 2020] == pytest.approx(G[2020])
    assert flows.entrants["primary", 2020] == pytest.approx(E[2020])
    assert flows.entrants_filled["primary", 2020] and flows.graduates_filled["primary", 2020]
    assert not flows.entrants_filled["primary", 2021]
    assert fit.filled().values.tolist() == [["a", "primary", "entrants", [2020]],
                                             ["a", "primary", "graduates", [2020]]]
    full = StageFlowModel(data, births(), GM).fit().project(2, paths=0).by_stage()
    pd.testing.assert_frame_equal(fit.project(2, paths=0).by_stage(), full)


def test_a_blank_students_cell_is_a_missing_year_never_filled():
    data, _ = hand_case()
    early = totals([("a", 2018, "primary", np.nan, np.nan, np.nan)])
    fit = StageFlowModel(pd.concat([early, data], ignore_index=True), births(), GM).fit()
    assert list(fit.fits[("a", "primary")].years) == [2019, 2020, 2021]
    assert fit.flows().students.notna().all()
    short = data[~((data.stage == "junior") & (data.year == 2019))]
    fit = StageFlowModel(short, births(), GM).fit()
    assert fit.dropped == [("a", "junior", 2)] and fit.stages == ["primary"]


def trend_series(years, slope=0.02, noise=0.003):
    """Junior entrants are a transition ratio 0.60 + slope a year (plus a
    small alternating disturbance) times primary graduates."""
    rows = []
    b = {y: 1000.0 for y in range(1990, 2030)}
    s_p, s_j = 6000.0, 2400.0
    for i, y in enumerate(years):
        e_p = 1000.0
        g_p = 950.0 + 10 * (i % 3)
        ratio = 0.60 + slope * (y - years[0]) + noise * (-1) ** i
        e_j = ratio * g_p
        g_j = s_j / 3
        if i:
            s_p = s_p + e_p - g_p
            s_j = s_j + e_j - g_j
        rows += [("a", y, "primary", s_p, e_p, g_p), ("a", y, "junior", s_j, e_j, g_j)]
    gm = GradeMap(stages={"primary": (1, 6), "junior": (7, 9)})
    return totals(rows), pd.DataFrame({"region": "a", "year": list(b), "births": list(b.values())}), gm


def test_a_transition_ratio_with_a_linear_trend_is_recovered_within_ten_percent():
    data, b, gm = trend_series(list(range(2010, 2021)))
    fit = StageFlowModel(data, b, gm).fit()
    junior = fit.fits[("a", "junior")]
    assert junior.ratio_slope == pytest.approx(0.02, rel=0.10)
    assert junior.ratio_level == pytest.approx(0.60 + 0.02 * 10, rel=0.02)
    # the trend carries on, damped: entrants next year are (level + phi x slope) x primary graduates
    flat = StageFlowModel(trend_series(list(range(2010, 2021)), slope=0.0)[0], b, gm).fit()
    up, level = fit.project(3, paths=0).by_stage(), flat.project(3, paths=0).by_stage()
    assert (up[up.stage == "junior"].students.diff().dropna() > level[level.stage == "junior"].students.diff()
            .dropna().to_numpy()).all()


def test_robust_trend_of_a_line_and_of_too_few_points():
    assert robust_trend(np.arange(5), 2.0 + 0.5 * np.arange(5), 5) == pytest.approx((4.0, 0.5))
    assert robust_trend(np.arange(2), np.array([1.0, 3.0]), 5) == pytest.approx((2.0, 0.0))


def break_series(break_year):
    """Primary pupils with retention 1 every year but ``break_year`` (0.95:
    a registry clean-up), survival 0.9, entry ratio 1; published entrants
    and graduates."""
    years = list(range(2005, 2025))
    b = {y: 1000.0 + 20 * ((y * 7) % 5) for y in range(1990, 2025)}
    S, rows, E = {}, [], {}
    for y in years:
        E[y] = b[y - 6]
    s = 6000.0
    for i, y in enumerate(years):
        if i == 0:
            S[y] = s
            rows.append(("a", y, "primary", s, E[y], np.nan))
            continue
        cohorts = [E.get(c, b[c - 6]) for c in range(y - 6, y)]
        g = 0.9 * S[y - 1] * cohorts[0] / sum(cohorts)
        rho = 0.95 if y == break_year else 1.0
        S[y] = rho * S[y - 1] + E[y] - g
        rows.append(("a", y, "primary", S[y], E[y], g))
    gm = GradeMap(stages={"primary": (1, 6)})
    return totals(rows), pd.DataFrame({"region": "a", "year": list(b), "births": list(b.values())}), gm


def test_a_one_year_retention_break_does_not_move_projections_made_three_years_later():
    data, b, gm = break_series(2015)
    truth = data.set_index("year").students
    fit = StageFlowModel(data[data.year <= 2018], b[b.year <= 2018], gm).fit()
    assert fit.fits[("a", "primary")].retention == pytest.approx(1.0)       # the median of eight years
    assert np.nanmin(fit.fits[("a", "primary")].retention_history) == pytest.approx(0.95)
    p = fit.project(3, paths=0).by_stage().set_index("year").students
    np.testing.assert_allclose(p.to_numpy(), truth[[2019, 2020, 2021]].to_numpy(), rtol=1e-9)
    # a mean over the same eight years would carry the break on: 0.6% fewer pupils a year
    hist = fit.fits[("a", "primary")].retention_history
    assert np.nanmean(hist[-8:]) < 0.995


def bulletins(provinces=8, seed=0):
    """Provincial bulletins from a grade-by-grade system (not the stage
    flow's own equations): births with a trend and noise, entry per birth and
    junior entry per primary graduate drifting as random walks, senior entry
    per junior graduate rising 2 points a year, grade survival 0.995 with
    noise, a one-year loss of 3% of a stage in some provinces (a registry
    clean-up); published from 2000, junior only from 2011, a fifth of the
    entrants and graduates blank from 2008."""
    rng = np.random.default_rng(seed)
    years = np.arange(1985, 2020)
    stages = {"primary": slice(0, 6), "junior": slice(6, 9), "senior": slice(9, 12)}
    b_rows, rows = [], []
    for p in range(provinces):
        name = f"p{p:02d}"
        B = np.exp(np.log(3e5) + rng.normal(0, 0.5) + rng.normal(-0.01, 0.02) * (years - 1985)
                   + np.cumsum(rng.normal(0, 0.03, len(years))))
        b_rows += [(name, int(y), float(v)) for y, v in zip(years, B) if y >= 1990]
        entry = np.exp(np.cumsum(rng.normal(0, 0.01, len(years))))
        to_junior = np.clip(0.97 + np.cumsum(rng.normal(0, 0.005, len(years))), 0.8, 1.05)
        to_senior = np.clip(0.5 + 0.02 * (years - 2000) + rng.normal(0, 0.01, len(years)), 0.3, 0.98)
        cleanup = {int(rng.integers(2005, 2018)): rng.choice(list(stages))} if rng.random() < 0.4 else {}
        g = np.zeros(12)
        for t, y in enumerate(years):
            keep = 0.995 * np.exp(rng.normal(0, 0.003, 12))
            leave = {"primary": g[5] * keep[5], "junior": g[8] * keep[8], "senior": g[11] * keep[11]}
            new = np.concatenate([[entry[t] * B[max(t - 6, 0)]], g[0:5] * keep[0:5],
                                  [to_junior[t] * leave["primary"]], g[6:8] * keep[6:8],
                                  [to_senior[t] * leave["junior"]], g[9:11] * keep[9:11]])
            for stage, sl in stages.items():
                if cleanup.get(int(y)) == stage:
                    new[sl] *= 0.97
            g = new
            for stage, sl in stages.items():
                if y < 2000 or (stage == "junior" and y < 2011):
                    continue
                e, grads = g[sl.start], leave[stage]
                e = np.nan if y >= 2008 and rng.random() < 0.2 else e
                grads = np.nan if y >= 2008 and rng.random() < 0.2 else grads
                rows.append((name, int(y), stage, float(g[sl].sum()), e, grads))
    return pd.DataFrame(b_rows, columns=["region", "year", "births"]), totals(rows)


def test_on_synthetic_provincial_bulletins_every_stage_beats_no_change_by_a_quarter():
    from forecast.backtest import backtest, coverage, scores

    b, t = bulletins()
    bt = backtest(b, GradeMap(), [2014, 2015, 2016, 2017], 3, stage_totals=t, paths=100)
    s = scores(bt).set_index(["stage", "lead"])
    for stage in ("primary", "junior", "senior"):
        for lead in (2, 3):
            assert s.mape_model[stage, lead] < 0.75 * s.mape_persistence[stage, lead], (stage, lead)
    assert 70 <= coverage(bt).coverage80.iloc[0] <= 90
    assert any("not published" in n for n in bt.attrs["notes"])

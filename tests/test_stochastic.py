"""The stochastic plan: hand-computed cases, identities with the
deterministic plan, the out-of-sample figures, and one small run of the
default district shared by the tests that need real data."""
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from conftest import tiny_inputs, wave_inputs
from optimize import solve_plan
from optimize.model import cover_keys, create_model
from optimize.problem import PlanInputs
from optimize.solve import solve_model
from optimize.stochastic import (CELL, Evaluation, create_stochastic_model, expected_recourse, first_stage_cost,
                                 judge, recourse_segments, roster_cover, solve_stochastic, solved_model,
                                 wait_and_see_costs)
from optimize.testing import assert_moves_certified, assert_plan_identities

ONE_CELL = [("r", "primary", "math", 2025)]


def one_cell():
    """One area, stage, subject and year: 5 primary teachers who all stay, posts up to 100."""
    return tiny_inputs({("primary", 2025): 15}, {("primary", "primary"): 5}, cap=100, posts={"primary": 5},
                       years=[2025], base_year=2024)


def judged(plan, demand, cells, params, roster=None):
    stock = plan.staff.set_index(CELL).stock_end
    return judge(stock, first_stage_cost(plan.staff, plan.moves, plan.hires, params), demand, cells, params, roster)


@pytest.mark.parametrize("form", ["compact", "extensive"])
def test_two_equiprobable_paths_hire_up_to_the_need_the_cost_ratios_pick(simple_params, form):
    # Demand 10 or 20 with probability 1/2 each; 5 teachers in post, no cover.
    # A hire costs 10 + a salary of 1. Between the two needs one more teacher
    # saves half a shortfall (1/2 x 1000) and risks half a surplus (1/2 x 100):
    # hire up to 20. Objective: salary 20 + hiring 15 x 10 + 1/2 x 10 surplus x 100 = 670.
    D = np.array([[10.0, 20.0]])
    plan = solve_stochastic(one_cell(), simple_params, D, form)
    assert plan.hires.teachers.sum() == pytest.approx(15)
    assert plan.objective == pytest.approx(670, abs=1e-6)
    # with shortfall at 100 a teacher above 10 saves 1/2 x 100 and costs 11 + 1/2 x 100:
    # hire up to 10 only. Objective: 10 + 5 x 10 + 1/2 x 10 surplus x 100 = 560
    cheap = dataclasses.replace(simple_params, shortfall_weight=100)
    plan = solve_stochastic(one_cell(), cheap, D, form)
    assert plan.hires.teachers.sum() == pytest.approx(5)
    assert plan.objective == pytest.approx(560, abs=1e-6)


def test_the_central_plan_costs_more_on_the_two_paths_than_the_stochastic_plan(simple_params):
    # the central path needs 15: its plan hires 10 (cost 15 + 100). On the two
    # paths it is 5 short or 5 over: 115 + 1/2 (5 x 1000) + 1/2 (5 x 100) = 2,865,
    # against 670 for the stochastic plan: VSS = 2,195 (yuan-equivalent)
    D = np.array([[10.0, 20.0]])
    central = solve_plan(one_cell(), simple_params)
    assert central.hires.teachers.sum() == pytest.approx(10)
    sp = solve_stochastic(one_cell(), simple_params, D)
    ev = Evaluation(judged(sp, D, ONE_CELL, simple_params), judged(central, D, ONE_CELL, simple_params), 1, 0.0)
    f = ev.figures()
    assert f["cost_central_yuan"] == pytest.approx(2865) and f["cost_stochastic_yuan"] == pytest.approx(670)
    assert f["vss_yuan"] == pytest.approx(2195) and f["vss_yuan"] > 0
    # 2.5 FTE-years short on average, against none
    assert f["vss_fte"] == pytest.approx(2.5)


def test_with_cover_the_plan_stops_where_the_cover_cap_takes_over(simple_params):
    # cover up to 10% of demand weighing 5 a FTE (2 cash + 3 quality): on the 20 path the last
    # 2 FTE are covered, so a teacher beyond 18 saves only 1/2 x 5 and costs 11 + 1/2 x 100.
    # Optimum: 18 in post (13 hires): 18 + 130 + 1/2 (8 surplus x 100) + 1/2 (2 cover x 5) = 553
    p = dataclasses.replace(simple_params, temporary_share_max=0.1, temporary_cost=2, temporary_quality_weight=3)
    plan = solve_stochastic(one_cell(), p, np.array([[10.0, 20.0]]))
    assert plan.hires.teachers.sum() == pytest.approx(13)
    assert plan.objective == pytest.approx(553, abs=1e-6)
    assert plan.staff.temporary.sum() == pytest.approx(1.0)   # the mean over the two paths
    assert_plan_identities(plan.staff)


def central_column(inp: PlanInputs) -> np.ndarray:
    d = inp.demand.set_index(CELL).demand
    return d.reindex(pd.MultiIndex.from_tuples(cover_keys(inp), names=CELL)).to_numpy()[:, None]


@pytest.mark.parametrize("inputs", [one_cell, wave_inputs])
def test_identical_paths_give_exactly_the_deterministic_plan(simple_params, inputs):
    inp = inputs()
    p = dataclasses.replace(simple_params, temporary_share_max=0.1, temporary_quality_weight=0.0)
    det = solve_plan(inp, p)
    sp = solve_stochastic(inp, p, np.repeat(central_column(inp), 4, axis=1))
    assert sp.objective == pytest.approx(det.info.objective, rel=1e-9)
    pd.testing.assert_frame_equal(sp.hires, det.hires, atol=1e-7)
    cols = ["stock_end", "temporary", "shortfall", "surplus"]
    pd.testing.assert_frame_equal(sp.staff[CELL + cols], det.staff[CELL + cols], atol=1e-7)


def test_the_segments_are_the_expected_recourse_at_every_stock(simple_params):
    rng = np.random.default_rng(1)
    D = rng.uniform(0, 50, size=(3, 7))
    D[2] = 20.0                                   # a cell whose paths agree
    # cover weighs its cash and its quality weight; a roster's temporary staff may cover more than the share
    for share, roster in ((0.0, None), (0.1, None), (0.1, np.array([0.0, 8.0, 30.0]))):
        p = dataclasses.replace(simple_params, temporary_share_max=share, temporary_cost=2.0,
                                temporary_quality_weight=5.0)
        f0, cell, length, slope = recourse_segments(D, p, roster)
        for S in np.linspace(0, 60, 37):
            for i in range(3):
                L, a = length[cell == i], slope[cell == i]
                assert np.all(np.diff(a) >= 0)          # convex: the LP fills the segments in order
                start = np.concatenate([[0.0], np.cumsum(L)[:-1]])
                filled = np.clip(S - start, 0.0, L)
                assert f0[i] + a @ filled == pytest.approx(expected_recourse(np.array([S]), D[i:i + 1], p,
                                                                             None if roster is None else roster[i:i + 1])[0],
                                                           rel=1e-12, abs=1e-9)


def random_paths(inp: PlanInputs, k: int, seed: int) -> np.ndarray:
    """``k`` paths of the central demand scaled by a lognormal factor per path and year."""
    rng = np.random.default_rng(seed)
    base = central_column(inp)
    years = np.array([c[3] for c in cover_keys(inp)])
    factor = np.exp(rng.normal(0, 0.25, size=(len(inp.years), k)).cumsum(axis=0))
    return base * factor[np.searchsorted(inp.years, years)]


def test_compact_and_extensive_forms_have_the_same_optimum(simple_params):
    inp = wave_inputs()
    p = dataclasses.replace(simple_params, temporary_share_max=0.1, temporary_quality_weight=0.0)
    D = random_paths(inp, 6, seed=2)
    compact, extensive = solve_stochastic(inp, p, D, "compact"), solve_stochastic(inp, p, D, "extensive")
    assert compact.objective == pytest.approx(extensive.objective, rel=1e-9)


def test_a_budget_holds_on_every_path_cover_included(simple_params):
    inp = wave_inputs()
    p = dataclasses.replace(simple_params, temporary_share_max=0.3, temporary_cost=5.0, temporary_quality_weight=0.0)
    D = random_paths(inp, 6, seed=3)
    free = solve_stochastic(inp, p, D)
    peak = judged(free, D, cover_keys(inp), p).cash_by_year.max()
    tight = dataclasses.replace(p, budget=peak - 3.0)
    sp = solve_stochastic(inp, tight, D)
    assert sp.form == "extensive" and sp.violations.empty
    cash = judged(sp, D, cover_keys(inp), tight).cash_by_year
    assert cash.max() <= tight.budget + 1e-6
    with pytest.raises(ValueError, match="extensive"):
        create_stochastic_model(inp, tight, D, "compact")


FIRST_STAGE = ("stock", "moved", "rotated", "away", "hires", "stage_moves", "retraining", "rotation_out",
               "rotation_in", "posts", "staff", "mentors", "key", "key_out", "key_in")


def _fix_first_stage(det, sto) -> None:
    """Fix every first-stage variable of the deterministic model ``det`` at
    its value in the solved stochastic (or deterministic) model ``sto``."""
    for name in FIRST_STAGE:
        for key, v in getattr(det, name).items():
            x = max(0.0, getattr(sto, name)[key].varValue or 0.0)
            v.lowBound = v.upBound = x


def test_out_of_sample_figures_agree_with_a_direct_re_evaluation_by_the_lp(simple_params):
    # each plan's first stage fixed in the deterministic LP of a fresh path:
    # the LP's optimum is what the closed form gives for that path
    inp = wave_inputs()
    p = dataclasses.replace(simple_params, temporary_share_max=0.1, temporary_quality_weight=0.0)
    cells = cover_keys(inp)
    sample, fresh = random_paths(inp, 8, seed=4), random_paths(inp, 5, seed=5)
    m_sto, info, build = solved_model(inp, p, sample)
    m_cen = create_model(inp, p)
    solve_model(m_cen)
    from optimize.stochastic import read_plan

    sto = read_plan(m_sto, info, build)
    cen = solve_plan(inp, p)
    ev = Evaluation(judged(sto, fresh, cells, p), judged(cen, fresh, cells, p), 2, 1.0)
    direct = {}
    for name, solved in (("stochastic", m_sto), ("central", m_cen)):
        costs = []
        for k in range(fresh.shape[1]):
            d = pd.DataFrame(cells, columns=CELL).assign(demand=fresh[:, k])
            det = create_model(dataclasses.replace(inp, demand=d), p)
            _fix_first_stage(det, solved)
            costs.append(solve_model(det).objective)
        direct[name] = np.array(costs)
    assert ev.stochastic.cost == pytest.approx(direct["stochastic"], rel=1e-9)
    assert ev.central.cost == pytest.approx(direct["central"], rel=1e-9)
    assert ev.figures()["vss_yuan"] == pytest.approx((direct["central"] - direct["stochastic"]).mean(), rel=1e-9)


def test_wait_and_see_is_the_deterministic_optimum_on_each_path(simple_params):
    inp = wave_inputs()
    p = dataclasses.replace(simple_params, temporary_share_max=0.1, temporary_quality_weight=0.0)
    D = random_paths(inp, 7, seed=6)                 # two chunks: re-solves on one model
    ws = wait_and_see_costs(inp, p, D)
    for k in (0, 4, 6):
        d = pd.DataFrame(cover_keys(inp), columns=CELL).assign(demand=D[:, k])
        alone = solve_plan(dataclasses.replace(inp, demand=d), p, baselines=False, value_posts=False)
        assert ws[k] == pytest.approx(alone.info.objective, rel=1e-7)


# --- the default district, once ------------------------------------------------------------------

@pytest.fixture(scope="module")
def district():
    """The default district with a small stochastic plan: 4 plan years, 12
    paths, judged on 200 fresh paths, perfect information on 6 of them."""
    from scenarios.runner import run
    from scenarios.schema import load_scenario

    s = load_scenario().override(forecast={"paths": 100, "horizon": 4},
                                 plan={"years": 4, "stochastic": True, "paths": 12, "commit_years": 2,
                                       "eval_paths": 200, "evpi_paths": 6, "shortfall_threshold": 20.0})
    r = run(s, scheduler="serial")
    return s, r, r.plan_inputs


def test_the_district_plan_is_never_worse_than_the_central_plan_on_its_own_paths(district):
    s, r, inputs = district
    st = r.stochastic
    assert st.in_sample_stochastic <= st.in_sample_central * (1 + 1e-9)
    assert st.in_sample_stochastic == pytest.approx(st.plan.objective, rel=1e-7)
    # judged on the central path, the central plan costs what its own LP says
    cells = cover_keys(inputs)
    on_central = judged(r.plan, central_column(inputs), cells, s.plan, roster_cover(inputs, cells))
    assert on_central.cost[0] == pytest.approx(r.plan.info.objective, rel=1e-9)


def test_the_district_first_stage_keeps_every_hard_limit(district):
    from scenarios.stochastic import draw_paths, path_demand
    from optimize.stochastic import demand_matrix

    s, r, inputs = district
    p = s.plan
    proj = _projection(s)
    sample = demand_matrix(path_demand(proj, draw_paths(proj, p.paths, p.seed), inputs.years, s.grades, s.demand),
                           cover_keys(inputs))
    m, info, _ = solved_model(inputs, p, sample)
    assert not m.elastic and info.objective == pytest.approx(r.stochastic.plan.objective, rel=1e-9)
    hm = m.solved
    x = np.array([v.varValue for v in hm.columns])
    act = hm.A @ x
    tol = 1e-6 * np.maximum(1.0, np.abs(np.where(np.isfinite(hm.row_lower), hm.row_lower, hm.row_upper)))
    broken = [hm.rows[i].name for i in np.flatnonzero((act < hm.row_lower - tol) | (act > hm.row_upper + tol))]
    assert broken == []
    assert (x >= hm.col_lower - 1e-7).all() and (x <= hm.col_upper + 1e-7).all()
    sp = r.stochastic.plan
    posts = sp.posts
    caps = posts.groupby(["region", "year"]).agg(posts=("posts", "sum"), cap=("cap", "first"))
    assert (caps.posts <= caps.cap + 1e-6).all()
    assert (posts.filled <= posts.posts + 1e-6).all()
    supply = sp.hires.groupby(["certificate", "year"]).teachers.sum()
    assert all(v <= p.graduate_supply[c] + 1e-6 for (c, _), v in supply.items())
    assert_plan_identities(sp.staff)
    assert_moves_certified(sp.moves)


_PROJECTION = {}


def _projection(s):
    """The run's projection again (the same seed gives the same paths)."""
    from forecast.enrolment import project_enrolment
    from scenarios.validate import check_scenario

    if "p" not in _PROJECTION:
        t = check_scenario(s).tables
        _PROJECTION["p"] = project_enrolment(t["enrolment"], t["births"], s.grades, s.forecast).projection
    return _PROJECTION["p"]


def test_the_district_run_has_its_stochastic_tables_and_figures(district):
    from scenarios.output import manifest

    s, r, _ = district
    frames = r.frames()
    decisions = frames["plan_stochastic"]
    assert set(decisions.decision) == {"posts", "hires", "permanent_staff"}
    years = sorted(decisions.year.unique())
    assert set(decisions[decisions.committed].year) == set(years[:2])
    risk = frames["plan_risk"]
    assert set(risk.plan) == {"stochastic", "central"}
    assert ((risk.p_exceed >= 0) & (risk.p_exceed <= 1)).all()
    assert (risk.q50 <= risk.q90 + 1e-9).all() and (risk.q90 <= risk.q95 + 1e-9).all()
    block = json.loads(json.dumps(manifest(r, "en"), default=str))["stochastic"]
    for key in ("paths", "eval_paths", "vss_yuan", "vss_se_yuan", "vss_fte", "evpi_yuan", "evpi_se_yuan", "seconds"):
        assert key in block
    assert block["paths"] == 12 and block["eval_paths"] == 200
    # perfect information is worth something, and never less than nothing on a path
    ev = r.stochastic.evaluation
    assert block["evpi_yuan"] > 0
    assert (ev.evpi >= -1e-6 * np.abs(ev.stochastic.cost[:6])).all()


def test_wait_and_see_gives_the_same_figures_on_dask_as_in_one_process(simple_params):
    from distributed import LocalCluster

    from scenarios.engine import engine

    inp = wave_inputs()
    p = dataclasses.replace(simple_params, temporary_share_max=0.1, temporary_quality_weight=0.0)
    D = random_paths(inp, 12, seed=7)                # three chunks
    serial = wait_and_see_costs(inp, p, D)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with engine(cluster.scheduler_address, progress=False) as e:
            on_dask = wait_and_see_costs(inp, p, D, map=e.map)
    assert np.array_equal(serial, on_dask)


def test_the_district_pages_say_how_sure_we_are_and_compare_puts_the_plans_side_by_side(district, tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages
    from pypdf import PdfReader

    from scenarios.compare import Comparison
    from scenarios.compare_report import TEXT as COMPARE_TEXT, _robust_page
    from scenarios.report import TEXT, certainty_page, sure_cell

    s, r, _ = district
    cell = sure_cell(r)
    risk = r.stochastic.risk().set_index(["plan", "stage", "year"])
    assert cell["x"] == pytest.approx(risk.q90[("stochastic", cell["stage"], cell["year"])])
    assert cell["year"] in s.plan_years[:2]
    with PdfPages(tmp_path / "sure.pdf") as pdf:
        certainty_page(pdf, r, TEXT["en"], "en")
    text = PdfReader(tmp_path / "sure.pdf").pages[0].extract_text()
    assert "How sure are we" in text and "9 times out of 10" in text
    comp = Comparison([dataclasses.replace(r, stochastic=None), r], ["central", "robust"])
    plans = comp.plans
    assert list(plans.plan) == ["central", "stochastic"] and set(plans.scenario) == {"robust"}
    assert "comparison_stochastic" in comp.frames()
    row = plans.set_index("plan")
    assert row.vss_yuan["stochastic"] == pytest.approx(row.cost["central"] - row.cost["stochastic"], rel=1e-9)
    with PdfPages(tmp_path / "compare.pdf") as pdf:
        _robust_page(pdf, comp, COMPARE_TEXT["en"], ["Central", "Robust"], "en")
    assert "side by side" in PdfReader(tmp_path / "compare.pdf").pages[0].extract_text()

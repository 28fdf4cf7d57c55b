"""Small plans whose optimum is known by hand."""
import dataclasses

import pandas as pd
import pytest

from optimize import rule_plan, solve_plan
from optimize.testing import assert_moves_certified, assert_moves_match_staff, assert_plan_identities
from conftest import tiny_inputs, wave_inputs


def test_single_stage_hires_exactly_the_gap(simple_params):
    # 3 teachers, demand 5 in both years, nobody leaves: hire 2 in year 1.
    # objective = salary 5 x 2 years + hiring 2 x 10 = 30
    inp = tiny_inputs({("primary", 2025): 5, ("primary", 2026): 5}, {("primary", "primary"): 3},
                      cap=10, posts={"primary": 3}, years=[2025, 2026], base_year=2024)
    plan = solve_plan(inp, simple_params)
    assert plan.info.objective == pytest.approx(30, abs=1e-6)
    assert plan.hires.teachers.sum() == pytest.approx(2)
    assert plan.staff.shortfall.sum() == pytest.approx(0, abs=1e-7)
    assert_plan_identities(plan.staff)


def test_limits_stay_hard_while_a_plan_exists_even_when_breaking_one_is_cheap(simple_params):
    # 3 teachers, demand 5: mentoring (0.5 per teacher) allows 1.5 hires.
    # Breaking it by 0.5 would cost 0.5 x elastic weight 1 instead of 0.5 FTE
    # of shortfall at 1000, but a plan within every limit exists, so none is
    # broken: salary 4.5 + hiring 1.5 x 10 + shortfall 0.5 x 1000 = 519.5.
    inp = tiny_inputs({("primary", 2025): 5}, {("primary", "primary"): 3}, cap=10, posts={"primary": 3},
                      years=[2025], base_year=2024)
    plan = solve_plan(inp, dataclasses.replace(simple_params, mentor_ratio=0.5, elastic_weight=1.0))
    assert not plan.info.relaxed and plan.violations.empty
    assert plan.hires.teachers.sum() == pytest.approx(1.5)
    assert plan.info.objective == pytest.approx(519.5, abs=1e-6)


def test_peak_moving_up_is_met_by_hiring_upper_certified_teachers_early(simple_params):
    # Primary needs 12 in years 1-2 and 2 after; junior needs 2 then 12 from year 3.
    # The cap (14) allows no more teachers than the peak. Optimum: hire 10
    # junior-certified teachers into primary in year 1 and move them up in year 3:
    # salary 14 x 4 + hiring 10 x 10 x 1.05 (one level above) + moves 10 x 1 = 171,
    # no shortfall, no surplus. Senior-certified hires would cost 10 x 10 x 1.10.
    inp = wave_inputs()
    plan = solve_plan(inp, simple_params)
    assert plan.info.objective == pytest.approx(171, abs=1e-6)
    hires = plan.hires.groupby(["stage", "certificate", "year"]).teachers.sum()
    assert hires[("primary", "junior", 2025)] == pytest.approx(10)
    up = plan.moves[(plan.moves.stage_from == "primary") & (plan.moves.stage_to == "junior")]
    assert up.teachers.sum() == pytest.approx(10)
    assert set(up.year) == {2027}
    assert plan.staff.shortfall.sum() == pytest.approx(0, abs=1e-7)
    assert plan.staff.surplus.sum() == pytest.approx(0, abs=1e-7)
    assert_plan_identities(plan.staff)
    assert_moves_certified(plan.moves)

    # the rule hires primary-certified teachers, is stuck with them behind
    # the wave, and leaves junior short under the same cap
    g = rule_plan(inp, simple_params)["staff"]
    assert g[g.stage == "junior"].shortfall.sum() == pytest.approx(20)
    assert g[g.stage == "primary"].surplus.sum() == pytest.approx(20)
    lp = plan.comparison()
    total = lp.groupby("plan").objective.sum()
    assert total["rule"] > total["lp"]


def test_comparison_cost_matches_the_lp_objective(simple_params):
    inp = wave_inputs()
    plan = solve_plan(inp, simple_params)
    lp = plan.comparison().query("plan == 'lp'")
    assert lp.objective.sum() == pytest.approx(plan.info.objective, rel=1e-9)


def _two_areas(key_a: float, key_b: float):
    """Areas a and b, 100 primary math teachers each, demand 100 each, one
    plan year; a has ``key_a`` key teachers, b ``key_b``."""
    from optimize.problem import PlanInputs

    one = tiny_inputs({("primary", 2025): 100}, {("primary", "primary"): 100}, 200, {"primary": 100}, [2025], 2024)
    twice = lambda df: pd.concat([df.assign(region="a"), df.assign(region="b")], ignore_index=True)
    key = pd.DataFrame([("a", 2024, key_a), ("a", 2025, key_a), ("b", 2024, key_b), ("b", 2025, key_b)],
                       columns=["region", "year", "headcount"])
    return PlanInputs(twice(one.demand), twice(one.stock), twice(one.retention), twice(one.posts), twice(one.cap),
                      2024, key)


def test_a_key_teacher_floor_is_met_by_swapping_teachers_between_areas(simple_params):
    from dataclasses import replace

    inp = _two_areas(40, 80)
    free = solve_plan(inp, replace(simple_params, region_move_share=0.2))
    assert free.moves.empty and free.key.empty  # no floor: nobody moves
    plan = solve_plan(inp, replace(simple_params, region_move_share=0.2, key_share_floor=0.5))
    assert plan.violations.empty
    k = plan.key.set_index("region")
    # a needs 10 more key teachers; they come from b, and b gets 10 teachers back
    assert k.key_teachers["a"] == pytest.approx(50) and k.key_teachers["b"] == pytest.approx(70)
    assert k.key_in["a"] == pytest.approx(10) and k.key_out["b"] == pytest.approx(10)
    assert k.key_share["a"] == pytest.approx(0.5)
    rotated = plan.moves[plan.moves.region_from != plan.moves.region_to]
    assert set(zip(rotated.region_from, rotated.region_to)) == {("a", "b"), ("b", "a")}
    assert rotated.teachers.sum() == pytest.approx(20)
    assert_moves_match_staff(plan.staff, plan.moves)
    assert plan.staff.shortfall.sum() == pytest.approx(0, abs=1e-6)


def test_a_key_floor_above_the_district_share_is_broken_by_the_difference(simple_params):
    from dataclasses import replace

    plan = solve_plan(_two_areas(40, 80), replace(simple_params, region_move_share=0.2, key_share_floor=0.7))
    v = plan.violations[plan.violations.limit == "key_share"]
    # 0.7 x 200 experienced teachers = 140 key teachers needed; the district has 120
    assert v.amount.sum() == pytest.approx(20)
    assert plan.key.key_teachers.sum() == pytest.approx(120)


def test_the_solver_prints_nothing_unless_asked(simple_params, capfd):
    """HiGHS's banner ('Running HiGHS … Copyright') came out on every solve,
    even with PuLP's msg=False; it is written by the C library, so it is
    caught at the file descriptor."""
    from optimize.solve import solver_log

    inp = tiny_inputs({("primary", 2025): 5}, {("primary", "primary"): 3}, cap=10, posts={"primary": 3},
                      years=[2025], base_year=2024)
    solve_plan(inp, simple_params)
    out = capfd.readouterr()
    assert out.out == "" and out.err == ""
    with solver_log():
        solve_plan(inp, simple_params)
    assert "Running HiGHS" in capfd.readouterr().out


def test_integer_mode_on_a_hand_case_hires_whole_teachers(simple_params):
    """Demand 5.4 FTE, 3 in post, no temporary cover: the LP hires 2.4.
    In whole persons, 2 hires leave 0.4 short (0.4 x 1,000 + 2 x 11 = 422),
    3 leave 0.6 surplus (0.6 x 100 + 3 x 11 = 93): the plan hires 3, and the
    rounding gap to the LP (26.4) is proven closed by branch and bound."""
    from dataclasses import replace

    inp = tiny_inputs({("primary", 2025): 5.4}, {("primary", "primary"): 3}, cap=10, posts={"primary": 3},
                      years=[2025], base_year=2024)
    plan = solve_plan(inp, replace(simple_params, integer=True), baselines=False, value_posts=False)
    assert plan.hires.teachers.sum() == pytest.approx(3)
    assert plan.staff.surplus.sum() == pytest.approx(0.6)
    assert plan.staff.shortfall.sum() == pytest.approx(0)
    assert plan.info.proven <= simple_params.integer_gap


def _two_stages_under_a_cap():
    """Primary needs 5.4 FTE and junior 4.3, one teacher in post in each and
    no temporary cover; the cap of 10 posts leaves room for 8 hires."""
    return tiny_inputs({("primary", 2025): 5.4, ("junior", 2025): 4.3},
                       {("primary", "primary"): 1, ("junior", "junior"): 1}, cap=10,
                       posts={"primary": 1, "junior": 1}, years=[2025], base_year=2024)


def test_rolling_horizon_finds_the_whole_plan_that_rounding_misses(simple_params):
    """The LP hires 4.4 + 3.3 = 7.7 (7.7 x (salary 1 + hiring 10) = 84.7).
    Rounding each stage's hires (4 + 3) leaves 0.4 + 0.3 short: 7 x 11 +
    700 = 777. The cap allows 8: 5 + 3 leave 0.6 surplus in primary and 0.3
    short in junior (8 x 11 + 60 + 300 = 448); 4 + 4 leave 0.4 short and 0.7
    surplus (88 + 400 + 70 = 558). With one plan year the rolling horizon's
    one window is the whole MIP: it finds 448."""
    import time
    from dataclasses import replace

    from optimize.highs import LP_OPTIONS, to_arrays
    from optimize.model import create_model
    from optimize.rounding import rolling_horizon, round_years

    m = create_model(_two_stages_under_a_cap(), replace(simple_params, integer=True))
    hm = to_arrays(m.variables, m.rows, m.objective)
    h = hm.new_highs(LP_OPTIONS)
    h.run()
    assert h.getObjectiveValue() == pytest.approx(84.7)
    deadline = time.perf_counter() + 30
    x, z = rolling_horizon(m, hm, 1e-6, deadline)
    assert z == pytest.approx(448)
    hired = {k[1]: 0.0 for k in m.hires}
    for k, v in m.hires.items():
        hired[k[1]] += x[v.index]
    assert hired == pytest.approx({"primary": 5, "junior": 3})
    assert round_years(m, hm, h, deadline)[1] == pytest.approx(777)


def test_integer_mode_reports_the_bound_its_plan_is_proven_against(simple_params):
    """The case above through solve_plan: the plan found (448, +2 for the two
    base-year teachers' salaries) is 81% above the LP (84.7), so branch and
    bound proves it optimal, against a bound of 450 itself."""
    from dataclasses import replace

    plan = solve_plan(_two_stages_under_a_cap(), replace(simple_params, integer=True), baselines=False,
                      value_posts=False)
    assert plan.info.objective == pytest.approx(450)
    assert plan.info.lp_objective == pytest.approx(86.7)
    assert plan.info.method == "branch and bound"
    assert plan.info.bound == pytest.approx(450, rel=simple_params.integer_gap)
    assert plan.staff.shortfall.sum() == pytest.approx(0.3)
    assert plan.staff.surplus.sum() == pytest.approx(0.6)


def test_integer_mode_proves_its_plan_against_whole_limits(simple_params):
    """10 junior humanities teachers for a demand of 8, junior science needs
    2.5 and has nobody; retraining (cost 1) at most 15% of the 10, 1.5
    teachers, which is 1 whole one. The LP with the limit at 1.5 retrains
    1.5 and hires 1 (1.5 + 11 + 0.5 surplus x 100 = 62.5); with the limit at
    1 it retrains 1 and hires 1.5 (1 + 16.5 + 100 = 117.5), which is the LP
    relaxation of the same plans in whole persons and so the bound to prove
    against. Whole: retrain 1 and hire 2 (1 + 22 + 1.5 surplus x 100 = 173).
    The 10 base-year salaries (10) are added to each."""
    from dataclasses import replace

    from optimize.problem import PlanInputs

    d = pd.DataFrame([("r", "junior", "humanities", 2025, 8.0), ("r", "junior", "science", 2025, 2.5)],
                     columns=["region", "stage", "subject", "year", "demand"])
    st = pd.DataFrame([("r", "junior", "humanities", "junior", 10.0)],
                      columns=["region", "stage", "subject", "certificate", "headcount"])
    ret = st.drop(columns="headcount").assign(year=2025, rate=1.0, weight=10.0)
    inp = PlanInputs(d, st, ret, pd.DataFrame({"region": ["r"], "stage": ["junior"], "posts": [10.0]}),
                     pd.DataFrame({"region": ["r"], "year": [2025], "cap": [20.0]}), 2024)
    params = replace(simple_params, integer=True, retraining=[
        {"stage": "junior", "from": "humanities", "to": "science", "cost": 1.0, "share": 0.15}])
    plan = solve_plan(inp, params, baselines=False, value_posts=False)
    assert plan.info.lp_objective == pytest.approx(127.5)
    assert plan.info.objective == pytest.approx(183)
    assert plan.moves[plan.moves.kind == "retraining"].teachers.sum() == pytest.approx(1)
    assert plan.hires.teachers.sum() == pytest.approx(2)


def test_each_integer_column_gets_its_own_plan_year():
    """The rolling horizon fixes a year's whole numbers in that year's
    window: each column's year, read from the rows that hold it, is the
    year its key names."""
    from optimize.highs import to_arrays
    from optimize.model import column_years, create_model
    from optimize.problem import PlanParams
    from optimize.rounding import plan_years

    m = create_model(wave_inputs(), PlanParams(integer=True))
    hm = to_arrays(m.variables, m.rows, m.objective)
    col_year, row_year = plan_years(m, hm)
    named = column_years(m)
    assert hm.integer.sum() > 0
    assert [int(y) for y in col_year[hm.integer]] == [named[v.name] for v, i in zip(hm.columns, hm.integer) if i]

"""The remedies the report names, as levers: each on a small case checked
by hand. Each lever's library scenario on the default district, and the
direction it moves the plan, is in tests/test_compare.py, which runs the
whole library."""
import dataclasses

import pandas as pd
import pytest

from forecast.errors import InputError
from optimize import solve_plan
from optimize.problem import PlanInputs
from optimize.testing import assert_moves_match_staff, assert_plan_identities
from conftest import tiny_inputs



def two_areas(demand: dict, stock: dict, cap: dict, years=(2025,), stage="primary") -> PlanInputs:
    """Areas a and b, one stage, subject math. ``demand``: (area, year) ->
    FTE; ``stock``: area -> own-certified persons; ``cap``: area -> posts."""
    d = pd.DataFrame([(r, stage, "math", y, v) for (r, y), v in demand.items()],
                     columns=["region", "stage", "subject", "year", "demand"])
    st = pd.DataFrame([(r, stage, "math", stage, v) for r, v in stock.items()],
                      columns=["region", "stage", "subject", "certificate", "headcount"])
    ret = pd.DataFrame([(r, stage, "math", stage, y, 1.0, v) for r, v in stock.items() for y in years],
                       columns=["region", "stage", "subject", "certificate", "year", "rate", "weight"])
    p = pd.DataFrame([(r, stage, v) for r, v in stock.items()], columns=["region", "stage", "posts"])
    c = pd.DataFrame([(r, y, cap[r]) for r in cap for y in years], columns=["region", "year", "cap"])
    return PlanInputs(d, st, ret, p, c, years[0] - 1)


def test_a_district_pooled_cap_lets_one_area_use_anothers_free_posts(simple_params):
    # a: 10 teachers, cap 15, demand 10 (5 posts free); b: 10 teachers, cap
    # 10, demand 13. Each area's own cap leaves b 3 short; pooled, b hires 3
    # into a's free posts: salaries 23 + hiring 30 = 53, no shortfall.
    inp = two_areas({("a", 2025): 10, ("b", 2025): 13}, {"a": 10, "b": 10}, {"a": 15, "b": 10})
    apart = solve_plan(inp, simple_params)
    pooled = solve_plan(inp, dataclasses.replace(simple_params, pool_cap=True))
    assert apart.staff.shortfall.sum() == pytest.approx(3)
    assert pooled.staff.shortfall.sum() == pytest.approx(0, abs=1e-6)
    assert pooled.info.objective == pytest.approx(53)
    assert pooled.posts.groupby("region").filled.sum()["b"] == pytest.approx(13)
    assert pooled.posts[pooled.posts.year == 2025].posts.sum() <= 25 + 1e-6


def test_retraining_moves_teachers_from_a_subject_in_surplus_to_one_short(simple_params):
    # one stage, no hires: math has 10 teachers for 6 FTE, chinese 5 for 8.
    # Retraining math -> chinese (cost 2, at most 50% of math's 10 a year)
    # retrains 3: no shortfall, 1 surplus; salaries 15 + retraining 6 +
    # surplus 100 = 121. Without it chinese is 3 short and math 4 over.
    d = pd.DataFrame([("r", "junior", j, 2025, v) for j, v in (("math", 6), ("chinese", 8))],
                     columns=["region", "stage", "subject", "year", "demand"])
    st = pd.DataFrame([("r", "junior", j, "junior", v) for j, v in (("math", 10), ("chinese", 5))],
                      columns=["region", "stage", "subject", "certificate", "headcount"])
    ret = st.assign(year=2025, rate=1.0, weight=st.headcount).drop(columns="headcount")
    inp = PlanInputs(d, st, ret, pd.DataFrame([("r", "junior", 15)], columns=["region", "stage", "posts"]),
                     pd.DataFrame([("r", 2025, 15.0)], columns=["region", "year", "cap"]), 2024)
    params = dataclasses.replace(simple_params, graduate_supply={})
    without = solve_plan(inp, params)
    pair = {"stage": "junior", "from": "math", "to": "chinese", "cost": 2.0, "share": 0.5}
    plan = solve_plan(inp, dataclasses.replace(params, retraining=[pair]))
    assert without.staff.shortfall.sum() == pytest.approx(3)
    assert plan.staff.shortfall.sum() == pytest.approx(0, abs=1e-6)
    assert plan.info.objective == pytest.approx(121)
    r = plan.moves[plan.moves.kind == "retraining"]
    assert (r.subject.tolist(), r.subject_to.tolist(), r.teachers.sum()) == (["math"], ["chinese"], pytest.approx(3))
    assert_moves_match_staff(plan.staff, plan.moves)
    # at most share x the from-subject's base-year staff a year
    tight = solve_plan(inp, dataclasses.replace(params, retraining=[{**pair, "share": 0.2}]))
    assert tight.staff.shortfall.sum() == pytest.approx(1)


def test_a_yearly_limit_on_stage_moves_holds_back_the_move_up(simple_params):
    # 20 junior-certified primary teachers, primary needs 10, junior (no
    # teachers) 10, no hires: without a limit 10 move up. At most 20% of
    # primary's 20 a year: 4 move, junior is 6 short.
    inp = tiny_inputs({("primary", 2025): 10, ("junior", 2025): 10}, {("primary", "junior"): 20}, cap=30,
                      posts={"primary": 20, "junior": 0}, years=[2025], base_year=2024)
    params = dataclasses.replace(simple_params, graduate_supply={})
    assert solve_plan(inp, params).moves.teachers.sum() == pytest.approx(10)
    plan = solve_plan(inp, dataclasses.replace(params, stage_move_share=0.2))
    assert plan.moves.teachers.sum() == pytest.approx(4)
    assert plan.staff.shortfall.sum() == pytest.approx(6)


def test_two_way_rotation_brings_teachers_home_after_their_term(simple_params):
    # a has 11 teachers for 10, 10, 11 FTE; b 10 for 11, 11, 10; no hires,
    # nobody leaves; rotation up to 20% a year for a term of 2 years. a's
    # spare teacher goes to b in 2025 and comes home in 2027, when a needs
    # them and b does not.
    years = (2025, 2026, 2027)
    inp = two_areas({("a", 2025): 10, ("a", 2026): 10, ("a", 2027): 11,
                     ("b", 2025): 11, ("b", 2026): 11, ("b", 2027): 10},
                    {"a": 11, "b": 10}, {"a": 11, "b": 11}, years=years)
    params = dataclasses.replace(simple_params, graduate_supply={}, region_move_share=0.2, rotation_years=2)
    plan = solve_plan(inp, params)
    mv = plan.moves.set_index("kind")
    # 1 rotated a -> b in 2025 comes home in 2027, when a needs him and b does not
    assert (mv.loc["rotation", ["region_from", "region_to", "year", "teachers"]].tolist()
            == ["a", "b", 2025, pytest.approx(1)])
    assert (mv.loc["return", ["region_from", "region_to", "year", "teachers"]].tolist()
            == ["b", "a", 2027, pytest.approx(1)])
    assert plan.staff.shortfall.sum() == pytest.approx(0, abs=1e-6)
    # rotation costs only the move out (1), not the return: salaries 21 x 3 + 1 = 64
    assert plan.info.objective == pytest.approx(64)
    assert_moves_match_staff(plan.staff, plan.moves)
    assert_plan_identities(plan.staff)


def test_an_intake_limit_caps_how_many_teachers_an_area_takes_in(simple_params):
    # a has 5 spare teachers, b needs 5 more; b may take in at most 20% of
    # its 10 experienced teachers a year: 2 come, b is 3 short.
    inp = two_areas({("a", 2025): 5, ("b", 2025): 15}, {"a": 10, "b": 10}, {"a": 10, "b": 15})
    params = dataclasses.replace(simple_params, graduate_supply={}, region_move_share=1.0)
    assert solve_plan(inp, params).staff.shortfall.sum() == pytest.approx(0, abs=1e-6)
    plan = solve_plan(inp, dataclasses.replace(params, rotation_intake_share=0.2))
    assert plan.moves.teachers.sum() == pytest.approx(2)
    assert plan.staff.shortfall.sum() == pytest.approx(3)


def test_retraining_pairs_are_checked_with_the_key_named(tmp_path):
    from scenarios import load_scenario
    from scenarios.validate import check_scenario

    (tmp_path / "s.toml").write_text(
        'extends = "default"\n[plan]\nretraining = [{ stage = "junior", from = "maths", to = "junior", cost = -1, '
        'share = 2 }]\n', encoding="utf-8")
    with pytest.raises(InputError) as e:
        check_scenario(load_scenario(tmp_path / "s.toml"))
    text = str(e.value)
    for part in ("plan.retraining[0].from 'maths'", "plan.retraining[0].to 'junior'", "cost -1",
                 "share 2"):
        assert part in text

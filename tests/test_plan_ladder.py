"""The ladder of plans (rule, myopic, lp), what a post is worth, and
prices that do not steer the plan: small cases computed by hand, then the
default district (one run, paths 20, shared)."""

import numpy as np
import pandas as pd
import pytest

from optimize import rule_plan, solve_plan
from optimize.model import create_model
from optimize.problem import hiring_certificates
from optimize.solution import assign_solution
from optimize.solve import solve_model
from optimize.testing import assert_plan_identities
from conftest import tiny_inputs
from test_plan_small import wave_inputs


def test_the_rule_fills_the_stage_with_the_largest_gap_first(simple_params):
    # 3 free posts under the cap; primary is 4 short of 24 (17%), junior 3 of
    # 8 (38%): the rule fills junior first (3), primary gets none (the greedy
    # plan it replaces filled the youngest stage first: primary 3).
    inp = tiny_inputs({("primary", 2025): 24, ("junior", 2025): 8},
                      {("primary", "primary"): 20, ("junior", "junior"): 5},
                      cap=28, posts={"primary": 20, "junior": 5}, years=[2025], base_year=2024)
    hires = rule_plan(inp, simple_params)["hires"].groupby("stage").teachers.sum()
    assert hires.to_dict() == pytest.approx({"junior": 3})


def test_myopic_cannot_see_the_wave_coming(simple_params):
    # The wave of test_plan_small: the LP hires junior-certified teachers into
    # primary and moves them up (objective 171). Year by year, 2025 hires the
    # cheapest primary teachers (10 x 10); in 2027 the cap is full, junior is
    # 10 short and primary 10 over, two years running:
    # salaries 14 x 4 + hiring 100 + 2 x (10 x 1000 + 10 x 100) = 22,156.
    plan = solve_plan(wave_inputs(), simple_params)
    c = plan.comparison().groupby("plan").objective.sum()
    assert c["lp"] == pytest.approx(171)
    assert c["myopic"] == pytest.approx(22_156)
    assert c["rule"] == pytest.approx(22_156)
    v = plan.value().set_index("measure")
    assert v.loc["objective", "foresight"] == pytest.approx(22_156 - 171)
    assert v.loc["objective", "levers"] == pytest.approx(0, abs=1e-6)
    assert_plan_identities(plan.baselines["myopic"]["staff"])


def test_one_more_post_is_worth_a_teacher_and_costs_a_salary_and_a_hire(simple_params):
    # 3 teachers, demand 5, cap 3, one year: a fourth post is filled by a
    # hire: 1 FTE-year less shortfall for salary 1 + hiring 10 of cash; its
    # dual is what it saves in objective units, 1000 - 11.
    inp = tiny_inputs({("primary", 2025): 5}, {("primary", "primary"): 3}, cap=3, posts={"primary": 3},
                      years=[2025], base_year=2024)
    plan = solve_plan(inp, simple_params)
    p = plan.posts.iloc[0]
    assert (p.post_dual, p.post_value, p.post_value_fte, p.post_value_yuan) == pytest.approx((989, 989, 1, 11))


def test_a_post_for_one_year_is_worth_nothing_when_its_teacher_must_stay(simple_params):
    # 3 teachers, demand 5.5 in 2025-26, cap 5: 2 hires, 0.5 short each year.
    # A post added in 2025 only cannot be filled: whoever fills it stays in
    # 2026, when there is no post (a dual may still say otherwise: the plan
    # is degenerate). Added in 2026 it takes 0.5 of a hire (0.5 x (1 + 10)
    # = 5.5 yuan); added for good, 0.5 FTE-years a year for 0.5 x 10 hiring
    # + 2 x 0.5 salary = 6: it saves 994 of objective, though the duals of
    # the two years add up to 1,988.
    inp = tiny_inputs({("primary", 2025): 5.5, ("primary", 2026): 5.5}, {("primary", "primary"): 3}, cap=5,
                      posts={"primary": 3}, years=[2025, 2026], base_year=2024)
    plan = solve_plan(inp, simple_params)
    p = plan.posts.set_index("year")
    assert (p.post_value_fte[2025], p.post_value_yuan[2025]) == pytest.approx((0, 0), abs=1e-9)
    assert (p.post_value_fte[2026], p.post_value_yuan[2026]) == pytest.approx((0.5, 5.5))
    v = plan.post_value.iloc[0]
    assert (v.post_value_fte, v.post_value_yuan, v.post_value) == pytest.approx((1, 6, 1000 - 6))
    assert v.post_dual == pytest.approx(1988)


# --- the default district ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def base(default_run):
    """The default baseline, paths 20 (tests/conftest.py)."""
    return default_run


@pytest.fixture(scope="module")
def solved(base):
    """The default district's LP, solved, with its constraints (the plan keeps only frames)."""
    model = create_model(base.plan_inputs, base.scenario.plan)
    solve_model(model)
    return model


def test_the_ladder_is_ordered_and_the_decomposition_adds_up(base):
    c = base.plan.comparison()
    assert set(c.plan) == {"rule", "myopic", "lp"}
    total = c.groupby("plan").objective.sum()
    assert total["lp"] <= total["myopic"] + 1e-6 <= total["rule"] + 2e-6
    v = base.plan.value().set_index("measure")
    assert np.allclose(v.levers + v.foresight, v.total, rtol=1e-12, atol=1e-6)
    assert np.allclose(v.rule - v.lp, v.total, rtol=1e-12, atol=1e-6)
    for plan in ("rule", "myopic", "lp"):
        assert v.loc["objective", plan] == pytest.approx(total[plan])
    # the levers buy most of it, foresight a little
    assert v.loc["shortfall", "levers"] > 10 * v.loc["shortfall", "foresight"] > 0


def test_no_temporary_cover_while_posts_stand_vacant_and_a_hire_was_possible(base, solved):
    """No area-stage-year holds more than 1 FTE of cover while more than 1
    post of its stage stands vacant, unless the graduate supply of every
    certificate it may hire or its mentoring limit binds there, or a hire
    would outlast the need: the stage runs a surplus in a later plan year,
    so a teacher hired for this year's peak would be paid and counted
    surplus then, and a year of cover (150,000 yuan + a quality weight of
    300,000) costs less than a hire's salaries to the end of the plan."""
    model = solved
    f = assign_solution(model)
    staff = f["staff"].groupby(["region", "stage", "year"])
    cover = staff.temporary.sum()
    surplus = staff.surplus.sum()
    posts = f["posts"].set_index(["region", "stage", "year"])
    vacant = (posts.posts - posts.filled).reindex(cover.index)
    surplus_later = lambda r, s, t: (surplus.loc[(r, s)].loc[t + 1:] > 1e-6).any()
    grads, mentoring = model.constraints["graduate_supply"], model.constraints["mentoring"]
    binds = lambda con: con.slack is not None and abs(con.slack) < 1e-6
    rule = base.scenario.plan.hiring_certificates
    unexplained = []
    for (r, s, t) in cover[(cover > 1) & (vacant > 1)].index:
        limit = all(binds(grads[(c, t)]) for c in hiring_certificates(s, rule) if (c, t) in grads) or \
            binds(mentoring[(r, s, t)])
        if not (limit or surplus_later(r, s, t)):
            unexplained.append((r, s, t, cover[(r, s, t)], vacant[(r, s, t)]))
    assert not unexplained
    assert cover.sum() > 100  # cover is used, where posts are full


def test_post_values_are_what_re_solving_with_one_more_post_finds(base, solved):
    """For five area-stage-years (and a permanent post), post_value_fte and
    post_value_yuan equal the change in shortfall and cash found by solving
    the LP again with one more post, from the plan's optimal basis (the
    same LP as the run's, solved again: one thread, the same basis)."""
    from optimize.value import PostPricer

    model = solved
    hm = model.solved
    posts, permanent = base.plan.posts, base.plan.post_value
    binding = posts[posts.post_dual > 1].sort_values(["value_method", "post_dual"])
    picks = pd.concat([binding[binding.value_method == "basis"].iloc[[0, -1]],
                       binding[binding.value_method == "re-solve"].iloc[[0, len(binding[binding.value_method == "re-solve"]) // 2, -1]]])
    assert len(picks) == 5
    pricer = PostPricer(model, hm)  # only for its cash and shortfall weights per column
    x0 = pricer.x
    index = {c.name: i for i, c in enumerate(hm.rows)}

    def resolve(cells):
        rows = [index[model.constraints["post_occupancy"][c].name] for c in cells]
        h = hm.new_highs({"threads": 1, "solver": "simplex"})
        h.setBasis(pricer.basis)
        upper = hm.row_upper.copy()
        upper[rows] += 1
        h.changeRowsBounds(len(rows), np.array(rows, dtype=np.int32), hm.row_lower[rows], upper[rows])
        h.run()
        d = np.asarray(h.getSolution().col_value) - x0
        return -float(pricer.short @ d), float(pricer.cash @ d)

    for _, p in picks.iterrows():
        fte, yuan = resolve([(p.region, p.stage, p.year)])
        assert p.post_value_fte == pytest.approx(fte, rel=0.01, abs=1e-6)
        assert p.post_value_yuan == pytest.approx(yuan, rel=0.01, abs=1.0)
    row = permanent.sort_values("post_dual").iloc[-1]
    years = sorted(posts.year.unique())
    fte, yuan = resolve([(row.region, row.stage, t) for t in years])
    assert (row.post_value_fte, row.post_value_yuan) == pytest.approx((fte, yuan), rel=0.01, abs=1.0)


def test_post_value_says_where_the_stage_of_a_post_does_not_matter(base):
    v = base.plan.post_value
    assert set(v.scope) <= {"area", "stage", "none"}
    for region, g in v.groupby("region"):
        if (g.scope == "area").all():
            assert np.ptp(g.post_dual) <= 0.01 * g.post_dual.abs().max() + 1e-6
    posts = base.plan.posts
    assert {"post_dual", "post_value", "post_value_fte", "post_value_yuan", "post_value_temporary",
            "scope"} <= set(posts.columns)
    # where the basis holds for a whole post the dual is its value; elsewhere it can say more
    basis = posts[posts.value_method == "basis"]
    assert np.allclose(basis.post_value, basis.post_dual, rtol=1e-6, atol=1.0)

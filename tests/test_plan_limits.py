"""The plan's limits, each on a small case computed by hand: mentoring
counts a hire where it teaches in its first year, the plan's hires mentor
after ``mentor_after_years``, a moved teacher keeps the exit rate of the
cell they came from, and an emptied cell never keeps anybody at rate 1."""
import dataclasses

import pandas as pd
import pytest

from optimize import solve_plan
from optimize.problem import PlanInputs, plan_inputs
from optimize.testing import assert_plan_identities


def cells(demand: dict, stock: dict, rates: dict, cap: float, years: list[int], posts: dict | None = None):
    """One area 'r', subject 'math'. ``demand``: (stage, year) -> FTE;
    ``stock``: (stage, certificate) -> base-year persons; ``rates``:
    (stage, certificate) -> {year: retention} (1 where not given)."""
    d = pd.DataFrame([("r", s, "math", y, v) for (s, y), v in demand.items()],
                     columns=["region", "stage", "subject", "year", "demand"])
    st = pd.DataFrame([("r", s, "math", c, v) for (s, c), v in stock.items()],
                      columns=["region", "stage", "subject", "certificate", "headcount"])
    ret = pd.DataFrame([("r", s, "math", c, y, rates.get((s, c), {}).get(y, 1.0), v)
                        for (s, c), v in stock.items() for y in years],
                       columns=["region", "stage", "subject", "certificate", "year", "rate", "weight"])
    posts = posts or {s: sum(v for (ss, c), v in stock.items() if ss == s) for s, _ in demand}
    p = pd.DataFrame([("r", s, v) for s, v in posts.items()], columns=["region", "stage", "posts"])
    c = pd.DataFrame([("r", y, cap) for y in years], columns=["region", "year", "cap"])
    return PlanInputs(d, st, ret, p, c, years[0] - 1)


def short(plan, stage: str, year: int | None = None) -> float:
    s = plan.staff[plan.staff.stage == stage]
    return float((s if year is None else s[s.year == year]).shortfall.sum())


def test_mentoring_counts_a_hire_where_it_teaches_in_its_first_year(simple_params):
    # Junior has 10 teachers and needs 15; at 0.1 hires per teacher it can
    # take 1 hire. Primary (100 primary-certified teachers, who cannot move
    # up) could mentor 10. A junior-certified teacher hired into primary
    # teaches there in their first year: they cannot be moved up in it, so
    # junior gets 1 hire and stays 4 short. (Before: hired into primary and
    # moved up the same year, 4 more, and no shortfall.)
    inp = cells({("primary", 2025): 100, ("junior", 2025): 15},
                {("primary", "primary"): 100, ("junior", "junior"): 10}, {}, cap=200, years=[2025])
    plan = solve_plan(inp, dataclasses.replace(simple_params, mentor_ratio=0.1))
    assert short(plan, "junior") == pytest.approx(4)
    assert plan.hires.groupby("stage").teachers.sum().to_dict() == pytest.approx({"junior": 1})
    assert plan.moves.empty


@pytest.mark.parametrize("after, hires", [(1, [1, 1.1, 1.21]), (2, [1, 1, 1.1])])
def test_the_plans_hires_mentor_after_the_stated_years(simple_params, after, hires):
    # Junior: 10 teachers who stay, demand far above; 0.1 hires per
    # experienced teacher. Year 1: 1 hire. With mentor_after_years = 1 that
    # hire mentors in year 2: 0.1 x 11 = 1.1 hires, then 0.1 x (10 + 2.1) =
    # 1.21. With 2 years, year 2 has only the 10 (1 hire) and year 3 the
    # first hire too: 0.1 x 11 = 1.1. (Before: the plan's hires never
    # mentored, 1 a year.)
    inp = cells({("junior", y): 50 for y in (2025, 2026, 2027)}, {("junior", "junior"): 10}, {}, cap=100,
                years=[2025, 2026, 2027])
    plan = solve_plan(inp, dataclasses.replace(simple_params, mentor_ratio=0.1, mentor_after_years=after))
    assert plan.hires.groupby("year").teachers.sum().tolist() == pytest.approx(hires)


def test_a_moved_teacher_keeps_the_exit_rate_of_the_cell_they_came_from(simple_params):
    # 10 senior-certified primary teachers, half of whom leave each year;
    # 10 senior teachers who all stay. Primary needs nobody, senior 15 then
    # 30; no hires. 2025: the 5 primary teachers left move up (senior 15).
    # 2026: half of them leave, as their cell's would: senior has
    # 10 + 2.5, 17.5 short. (Before: they took senior's rate, 15 stayed.)
    inp = cells({("primary", 2025): 0, ("primary", 2026): 0, ("senior", 2025): 15, ("senior", 2026): 30},
                {("primary", "senior"): 10, ("senior", "senior"): 10},
                {("primary", "senior"): {2025: 0.5, 2026: 0.5}}, cap=100, years=[2025, 2026])
    plan = solve_plan(inp, dataclasses.replace(simple_params, graduate_supply={}))
    assert plan.moves.teachers.sum() == pytest.approx(5)
    assert short(plan, "senior", 2025) == pytest.approx(0, abs=1e-6)
    assert short(plan, "senior", 2026) == pytest.approx(17.5)
    s = plan.staff.set_index(["stage", "year"])
    assert s.exits[("senior", 2026)] == pytest.approx(2.5)
    assert_plan_identities(plan.staff)


def test_a_cell_whose_staff_have_all_gone_never_keeps_anyone_at_rate_one(simple_params):
    # Senior's 2 teachers all retire in 2025 (the cell is empty after);
    # 10 senior-certified primary teachers, half leaving each year, are the
    # only ones who can teach senior (5, 5 in 2026-27); primary needs nobody.
    # Whenever they move, half of them go each year: at most 2.5 in 2026 and
    # 1.25 in 2027, 6.25 FTE-years short. (Before: moved into the empty cell
    # in 2025, they kept its rate of 1 and nobody was short.)
    years = [2025, 2026, 2027]
    inp = cells({**{("primary", y): 0 for y in years}, ("senior", 2025): 0, ("senior", 2026): 5,
                 ("senior", 2027): 5},
                {("primary", "senior"): 10, ("senior", "senior"): 2},
                {("primary", "senior"): {y: 0.5 for y in years}, ("senior", "senior"): {2025: 0.0}},
                cap=100, years=years)
    plan = solve_plan(inp, dataclasses.replace(simple_params, graduate_supply={}))
    assert short(plan, "senior") == pytest.approx(6.25)
    assert_plan_identities(plan.staff)


def test_plan_inputs_give_an_emptied_cell_a_retention_of_zero():
    # supply: a cell with 2 teachers in 2024 and none after; the rate for
    # 2026 (from an empty 2025) is 0, not 1
    rows = [("r", "senior", "math", "senior", "permanent", y, h) for y, h in ((2024, 2), (2025, 0), (2026, 0))]
    supply = pd.DataFrame(rows, columns=["region", "stage", "subject", "certificate", "status", "year", "headcount"])
    demand = pd.DataFrame([("r", "senior", "math", y, 1.0) for y in (2025, 2026)],
                          columns=["region", "stage", "subject", "year", "demand"])
    posts = pd.DataFrame([("r", "senior", 2024, 2)], columns=["region", "stage", "year", "posts"])
    cap = pd.DataFrame([("r", y, 2.0) for y in (2025, 2026)], columns=["region", "year", "cap"])
    inp = plan_inputs(demand, supply, posts, cap, 2024, [2025, 2026])
    assert inp.retention.set_index("year").rate.to_dict() == {2025: 0.0, 2026: 0.0}

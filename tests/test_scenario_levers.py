"""Scenario levers move the results the way a planner expects."""
import pytest

from forecast.errors import InputError
from scenarios import load_scenario, run


@pytest.fixture(scope="module")
def base(default_run):
    """The default baseline, paths 20 (tests/conftest.py)."""
    return default_run


def test_new_housing_adds_pupils_that_move_up(base):
    # the enrolment forecast does not depend on the plan's years (the same
    # 10-year horizon as the baseline's): three plan years keep this run short
    extra = run(load_scenario().override(forecast={"paths": 20, "adjustments": [
        {"region": "east", "grade": 1, "year": 2027, "students": 600}]}, plan={"years": 3}))
    g = lambda r, grade, year: r.enrolment.query(f"region == 'east' and grade == {grade} and year == {year}").students.iloc[0]
    assert g(extra, 1, 2027) - g(base, 1, 2027) == pytest.approx(600)
    assert 500 < g(extra, 2, 2028) - g(base, 2, 2028) < 700
    assert g(extra, 1, 2027) - g(base, 1, 2027) > 0 and g(extra, 1, 2026) == g(base, 1, 2026)


def test_lower_births_mean_less_no_action_shortfall_later(base):
    low = run(load_scenario().override(forecast={"paths": 20, "births_factor": 0.7}))
    late = lambda r: r.gap[r.gap.year >= 2031].shortfall.sum()
    assert late(low) < late(base)


def test_more_posts_never_mean_more_shortfall(base):
    more = run(load_scenario().override(forecast={"paths": 20}, plan={"cap_change": 300}))
    assert more.plan.staff.shortfall.sum() <= base.plan.staff.shortfall.sum() + 1e-6
    assert more.plan.staff.shortfall.sum() < base.plan.staff.shortfall.sum() - 100


def test_unknown_area_in_adjustments_is_refused():
    s = load_scenario().override(forecast={"adjustments": [{"region": "mars", "grade": 1, "year": 2027,
                                                            "students": 5}]})
    with pytest.raises(InputError, match="mars"):
        run(s)


def test_plan_closes_the_shortfall_within_three_years_when_the_cap_allows():
    # six plan years: the shortfall must be closed from the third and stay closed for four more
    roomy = run(load_scenario().override(forecast={"paths": 20}, plan={"cap_change": 1000, "years": 6}))
    short = roomy.plan.staff.groupby("year").shortfall.sum()
    years = sorted(short.index)
    no_action = roomy.gap.groupby("year").shortfall.sum()
    assert no_action[years[2]] > 1000                  # there is a real gap to close
    assert short.loc[years[2]:].max() < 1.0                # closed from the third plan year on
    assert roomy.plan.violations.empty
    # and the LP beats the bureau's rule on its objective, by a wide margin
    comp = roomy.plan.comparison().groupby("plan").objective.sum()
    assert comp["lp"] < 0.95 * comp["rule"]


def test_roster_history_sets_attrition(tmp_path, base):
    import pandas as pd
    from scenarios.schema import DEFAULT_DIR

    r = pd.read_csv(DEFAULT_DIR / "roster.csv")
    # a year earlier, everyone aged 30+ was one year younger and 10% more numerous
    prev = r[r.age >= 31].assign(age=lambda d: d.age - 1, headcount=lambda d: d.headcount / 0.9)
    prev.to_csv(tmp_path / "roster_2023.csv", index=False)
    (tmp_path / "s.toml").write_text('extends = "default"\n[data]\nroster_previous = "roster_2023.csv"\n'
                                     '[forecast]\npaths = 20\nhorizon = 3\n[plan]\nyears = 3\n', encoding="utf-8")
    res = run(load_scenario(tmp_path / "s.toml"))
    assert "roster_previous" in res.input_hashes
    sup = lambda x: x.supply[(x.supply.status == "permanent") & (x.supply.year == 2026)].headcount.sum()
    assert sup(res) < sup(base) - 1000  # ~10% a year leave instead of 1-2.5%

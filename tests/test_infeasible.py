"""Impossible scenarios give a plan whose broken limits are named and sized,
and the PDF says so on its first page; they never raise."""
import pandas as pd
import pytest
from pypdf import PdfReader

from scenarios import load_scenario, run
from scenarios.report import LIMIT_ZH, write_report

QUICK = {"paths": 20, "horizon": 3}


@pytest.fixture(scope="module")
def cap_cut():
    return run(load_scenario().override(name="cap_cut", forecast=QUICK, plan={"years": 3, "cap_change": -3000}))


def test_a_cap_below_the_staff_still_in_post_is_broken_by_exactly_the_excess(cap_cut):
    v = cap_cut.plan.violations
    cap = v[v.limit == "cap"].assign(region=lambda d: d["where"].str.split("/").str[0],
                                     year=lambda d: d["where"].str.split("/").str[1].astype(int))
    first = 2025
    staff = cap_cut.plan.staff[cap_cut.plan.staff.year == first]
    retained = staff.assign(kept=staff.stock_start - staff.exits).groupby("region").kept.sum()
    caps = cap_cut.plan.posts[cap_cut.plan.posts.year == first].groupby("region").cap.first()
    excess = (retained - caps).clip(lower=0)
    assert (excess > 0).all() and excess.sum() > 2000  # staff cannot be dismissed: the cut is impossible
    assert cap_cut.plan.info.relaxed  # the hard model was proved infeasible, then solved with elastic limits
    # rotation may move the excess between areas, not remove it
    assert cap[cap.year == first].amount.sum() == pytest.approx(excess.sum(), rel=1e-5)
    assert set(cap[cap.year == first].region) == set(excess.index)
    # no one is dismissed and the identities still hold
    from optimize.testing import assert_plan_identities
    assert_plan_identities(cap_cut.plan.staff, atol=1e-4)
    assert (cap_cut.plan.staff.stock_end >= -1e-6).all()


@pytest.mark.parametrize("lang,heading", [("zh", "注意：本情景不可行"), ("en", "this scenario is infeasible")])
def test_the_pdf_says_so_on_its_first_page(cap_cut, tmp_path, lang, heading):
    write_report(cap_cut, tmp_path / "r.pdf", lang)
    text = PdfReader(tmp_path / "r.pdf").pages[0].extract_text()
    assert heading in text
    assert (LIMIT_ZH["cap"] if lang == "zh" else "cap") in text
    total = cap_cut.plan.violations.query("limit == 'cap'").amount.sum()
    assert f"{total:,.1f}" in text


def test_a_budget_below_the_salaries_of_staff_in_post_is_named_by_year():
    r = run(load_scenario().override(forecast=QUICK, plan={"years": 3, "budget": 1e9}))
    v = r.plan.violations
    budget = v[v.limit == "budget"].set_index("where").amount
    assert list(budget.index) == ["2025", "2026", "2027"]
    cost = r.plan.comparison().query("plan == 'lp'").set_index("year").cost
    assert budget.to_numpy() == pytest.approx((cost - 1e9).to_numpy(), rel=1e-6)


def test_zero_graduate_supply_means_no_hires_and_more_shortfall_not_an_error():
    zero = {"preschool": 0, "primary": 0, "junior": 0, "senior": 0}
    base = run(load_scenario().override(forecast=QUICK, plan={"years": 3}))
    none = run(load_scenario().override(forecast=QUICK, plan={"years": 3, "graduate_supply": zero}))
    assert none.plan.hires.teachers.sum() == pytest.approx(0.0, abs=1e-6)
    assert none.plan.staff.shortfall.sum() > base.plan.staff.shortfall.sum() + 100
    assert isinstance(none.plan.violations, pd.DataFrame)
    # feasible: solved with every limit hard, so nothing can be broken
    assert not none.plan.info.relaxed and none.plan.violations.empty

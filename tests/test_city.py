"""A city of districts: the ``[city]`` rows, solved jointly and decomposed."""
from __future__ import annotations

import pytest

from forecast.errors import InputError
from scenarios.schema import load_scenario
from scenarios.validate import check_scenario


def test_city_keys_are_refused_for_a_data_set_of_one_district():
    s = load_scenario().override(city={"cap_total": 100.0})
    with pytest.raises(InputError, match=r"city\.cap_total ties the districts of a city, but the data has one"):
        check_scenario(s)


# -- the city rows, joint and decomposed, on three tiny districts ---------------------------------------------

import dataclasses  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from conftest import tiny_inputs  # noqa: E402
from optimize.city import CityParams  # noqa: E402
from optimize.city_plan import Serial, solve_city  # noqa: E402
from optimize.plan import solve_plan  # noqa: E402
from optimize.problem import PlanParams  # noqa: E402
from optimize.testing import assert_plan_identities  # noqa: E402

PARAMS = PlanParams(salary=1, hire_cost=10, certificate_premium=0.05, stage_move_cost=1, region_move_cost=1,
                    temporary_cost=5, shortfall_weight=1000, surplus_weight=100, temporary_share_max=0.0,
                    post_shift_share=1.0, new_hire_attrition=0.0, mentor_ratio=10.0,
                    graduate_supply={"preschool": 1e6, "primary": 1e6, "junior": 1e6, "senior": 1e6},
                    region_move_share=0.0, elastic_weight=1e6)
NAMES = ["d0", "d1", "d2"]


def district(name: str, scale: float):
    """One area: primary needs 12 then 3, junior 2 then 12 (times ``scale``);
    2 teachers in each, cap 14 (times ``scale``)."""
    years = [2025, 2026, 2027, 2028]
    demand = {("primary", y): v * scale for y, v in zip(years, [12, 12, 3, 2])}
    demand |= {("junior", y): v * scale for y, v in zip(years, [2, 4, 12, 12])}
    inp = tiny_inputs(demand, {("primary", "primary"): 2 * scale, ("junior", "junior"): 2 * scale}, cap=14 * scale,
                      posts={"primary": 2 * scale, "junior": 2 * scale}, years=years, base_year=2024)
    frames = {f.name: getattr(inp, f.name).assign(region=name) for f in dataclasses.fields(inp)
              if isinstance(getattr(inp, f.name), pd.DataFrame) and "region" in getattr(inp, f.name).columns}
    return dataclasses.replace(inp, **frames)


UNITS = [(district(n, s), PARAMS) for n, s in zip(NAMES, [1.0, 2.0, 3.0])]
#: each link binding: the districts alone hire 30 junior graduates in 2025, hold 84 posts, spend up to 84 a year
LINKS = {"graduates": CityParams(graduate_supply={"junior": 20.0}), "cap_total": CityParams(cap_total=70.0),
         "budget": CityParams(budget=60.0)}


def plan_only(item):
    """A district's plan at its share of the city rows, without the baselines and post values (not tested here)."""
    inputs, params, extra = item
    return solve_plan(inputs, params, baselines=False, value_posts=False, extra_rows=extra)


def city(units, link, engine=None):
    return solve_city(units, NAMES, link, engine, plan_only)


@pytest.fixture(scope="module")
def alone():
    return [plan_only((inp, par, None)) for inp, par in UNITS]


class Recording(Serial):
    """A serial engine that counts the district models it builds."""

    built = 0

    def blocks(self, cls, items):
        items = list(items)
        Recording.built += len(items)
        return super().blocks(cls, items)


@pytest.fixture(scope="module", params=list(LINKS))
def solved(request):
    link = LINKS[request.param]
    Recording.built = 0
    return (request.param, link, city(UNITS, dataclasses.replace(link, method="joint")),
            city(UNITS, dataclasses.replace(link, method="decompose"), Recording()))


def test_the_decomposed_city_plan_costs_what_the_joint_lp_does_with_each_link_binding(solved, alone):
    link, city, joint, dw = solved
    free = sum(p.info.objective for p in alone)
    assert joint.objective > free * (1 + 1e-4)  # the link binds: the city costs more than its districts apart
    assert (joint.prices.price > 0).any() and (dw.prices.price > 0).any()
    assert dw.objective == pytest.approx(joint.objective, rel=1e-6)
    assert dw.rounds > 1 and joint.rounds == 1
    assert Recording.built == len(NAMES)  # each district's model built once, re-priced warm round after round
    for sol in (joint, dw):  # the districts re-solved at their shares cost the coordinated optimum, exactly
        assert sum(p.info.objective for p in sol.plans) == pytest.approx(joint.objective, rel=1e-6)
        for p in sol.plans:
            assert_plan_identities(p.staff)
            assert p.violations.empty
    # one price per row and year, the same from the master's duals as from the joint LP's
    pd.testing.assert_series_equal(dw.prices.price, joint.prices.price, rtol=1e-5, atol=1e-6)


def test_the_city_rows_hold_in_the_district_plans(solved):
    link, city, joint, dw = solved
    for sol in (joint, dw):
        if link == "graduates":
            hires = pd.concat([p.hires for p in sol.plans]).query("certificate == 'junior'")
            assert hires.groupby("year").teachers.sum().max() <= 20.0 + 1e-6
            assert sol.prices.query("year == 2025").used.iloc[0] == pytest.approx(20.0)
        elif link == "cap_total":
            by_year = sol.posts.groupby("year")
            assert (by_year.posts.sum() <= 70.0 + 1e-6).all()
            assert (by_year.allocation.sum() <= 70.0 + 1e-6).all()
            assert (sol.posts.posts <= sol.posts.allocation + 1e-6).all()
        else:
            cost = pd.concat([p.comparison().query("plan == 'lp'") for p in sol.plans]).groupby("year").cost.sum()
            assert (cost <= 60.0 + 1e-6).all() and cost.max() == pytest.approx(60.0)


def test_a_slack_city_row_leaves_each_district_its_own_plan(alone):
    # (a city supply equal to the districts' own keeps their models as they were)
    sol = city(UNITS, CityParams(cap_total=1e6, graduate_supply={"junior": 1e6}))
    assert sol.rounds == 1 and (sol.prices.price == 0).all()
    for mine, own in zip(sol.plans, alone):
        assert mine.info.objective == pytest.approx(own.info.objective, rel=1e-9)
        for name in ("staff", "hires"):
            pd.testing.assert_frame_equal(getattr(mine, name), getattr(own, name), atol=1e-6)


def test_a_dask_city_on_two_workers_equals_the_serial_one_bit_for_bit():
    from distributed import LocalCluster

    from scenarios.engine import engine

    link = LINKS["graduates"]
    serial = solve_city(UNITS, NAMES, link)  # the default task, full district plans: the workers import it
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as cluster, engine(cluster.scheduler_address, progress=False) as e:
        dask = solve_city(UNITS, NAMES, link, e)
        # tasks sent largest first come back in the items' order
        assert e.map(str, range(6), sizes=[1, 5, 3, 2, 6, 4]) == [str(k) for k in range(6)]
    assert dask.objective == serial.objective and dask.rounds == serial.rounds
    pd.testing.assert_frame_equal(dask.prices, serial.prices, check_exact=True)
    for a, b in zip(dask.plans, serial.plans):
        for name in ("staff", "hires", "posts", "moves"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert np.isfinite(dask.prices.price).all()


def test_the_run_combines_the_city_plan_with_its_prices_posts_and_rounds():
    from scenarios.engine import Engine
    from scenarios.runner import city_plan

    plan = city_plan(UNITS, NAMES, LINKS["cap_total"], Engine("serial"))
    assert set(plan.staff.district) == set(NAMES) and plan.info.status == "Optimal"
    assert plan.city["rounds"] > 1 and plan.info.seconds > 0 and plan.build_seconds > 0
    assert list(plan.city["posts"].columns) == ["district", "year", "cap", "allocation", "posts", "filled"]
    assert plan.info.objective == pytest.approx(plan.city["objective"], rel=1e-6)


def test_a_lone_district_accepts_the_city_method_a_rerun_lists():
    check_scenario(load_scenario().override(city={"method": "joint", "tolerance": 1e-6}))

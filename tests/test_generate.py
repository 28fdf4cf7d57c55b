"""Synthetic cities and countries: complete, valid scenarios of the stated sizes."""
import pandas as pd
import pytest

from scenarios.generate import BEIJING, COUNTRY_UNITS, build, city_areas, write
from scenarios.schema import DEFAULT_DIR, load_scenario
from scenarios.validate import check_scenario


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    path = write("city", tmp_path_factory.mktemp("city") / "city", seed=3)
    return path, check_scenario(load_scenario(path)).tables


def test_a_generated_city_is_a_valid_scenario_of_16_unequal_districts(city):
    path, t = city
    staff = t["roster"].groupby("district").headcount.sum()
    assert set(staff.index) == set(BEIJING) and 95 <= t["enrolment"].region.nunique() <= 105
    # district sizes follow the census populations: largest Chaoyang (the default district's size)
    assert staff.idxmax() == "chaoyang" and staff.idxmin() == "yanqing"
    default = pd.read_csv(DEFAULT_DIR / "roster.csv").headcount.sum()
    assert staff["chaoyang"] == pytest.approx(default, rel=0.02)
    assert staff["haidian"] / staff["chaoyang"] == pytest.approx(BEIJING["haidian"] / BEIJING["chaoyang"], rel=0.03)
    areas = t["enrolment"].groupby("district").region.nunique()
    assert areas.to_dict() == city_areas()
    # posts hold the permanent staff; every area's cap is its posts, frozen
    perm = t["roster"][t["roster"].status == "permanent"].groupby(["region", "stage"]).headcount.sum()
    posts = t["posts"].set_index(["region", "stage"]).posts
    assert (posts.reindex(perm.index) >= perm).all()
    # graduates in proportion to staff
    g = t["graduates"].pivot(index="district", columns="certificate", values="graduates")
    assert g.loc["chaoyang", "junior"] / g.loc["yanqing", "junior"] == pytest.approx(
        staff["chaoyang"] / staff["yanqing"], rel=0.01)


def test_generation_is_seeded_and_refuses_to_write_over_a_folder(city, tmp_path):
    path, _ = city
    from forecast.errors import InputError

    with pytest.raises(InputError, match="not an empty folder"):
        write("city", path.parent, seed=3)
    again = build("city", seed=3)
    assert again["births"].equals(pd.read_csv(path.parent / "births.csv"))


def test_country_units_are_one_area_each_with_skewed_sizes():
    t = build("country", seed=1, counties=300)
    staff = t["roster"].groupby("district").headcount.sum()
    assert len(staff) == 300 and (t["enrolment"].groupby("district").region.nunique() == 1).all()
    # a lognormal skew: mean above median, the largest units many times the median
    assert staff.mean() > 1.1 * staff.median() and staff.max() > 4 * staff.median()
    # the full country: about 16 million full-time teachers (MoE 2023) in 2,850 units
    assert 12e6 < staff.mean() * COUNTRY_UNITS < 18e6


def test_a_stochastic_plan_of_a_city_is_refused_before_any_computation(city):
    from forecast.errors import InputError

    path, _ = city
    with pytest.raises(InputError, match="plan.stochastic plans one district; the data has 16 districts"):
        check_scenario(load_scenario(path).override(plan={"stochastic": True}))


def test_several_districts_write_their_rows_and_a_city_page_and_group_into_tasks_unchanged(tmp_path, monkeypatch):
    from pypdf import PdfReader

    import scenarios.report as report
    import scenarios.runner as runner
    from scenarios.generate import scenario_text
    from scenarios.output import write_run
    from scenarios.runner import run

    for name, frame in build("country", seed=1, counties=3).items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    quick = "[forecast]\npaths = 20\nhorizon = 3\n[plan]\nyears = 3\n"
    (tmp_path / "scenario.toml").write_text(scenario_text("country", 1) + quick, encoding="utf-8")
    monkeypatch.setattr(report, "CITY_BARS", 2)
    result = run(load_scenario(tmp_path / "scenario.toml"), scheduler="serial")
    folder = write_run(result, tmp_path / "out", "en")
    # two districts a task (then one) gives the same tables, plan and record as one a task
    monkeypatch.setattr(runner, "MAX_TASKS", 2)
    assert runner.districts_per_task(3) == 2
    grouped = run(load_scenario(tmp_path / "scenario.toml"), scheduler="serial")
    for name, frame in result.frames().items():
        pd.testing.assert_frame_equal(grouped.frames()[name], frame, check_exact=True, obj=name)
    assert grouped.forecast_record == result.forecast_record
    assert (grouped.plan.info.status, grouped.plan.info.objective) == (result.plan.info.status, result.plan.info.objective)
    staff = pd.read_csv(folder / "plan_staff.csv")
    assert staff.groupby("district").region.nunique().to_dict() == {f"county-{k:04d}": 1 for k in (1, 2, 3)}
    pages = [p.extract_text() for p in PdfReader(folder / "report.pdf").pages]
    city = [t for t in pages if "City: shortfall by district" in t]
    assert len(city) == 1 and "(the 2 of 3 districts with most left)" in city[0]

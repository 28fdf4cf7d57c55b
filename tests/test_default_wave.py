"""On the default district the no-action gap shows the wave moving up."""
import pytest


@pytest.fixture(scope="module")
def result(default_run):
    """The default baseline (tests/conftest.py): its gap is the same with 20 paths as with 50."""
    return default_run


def test_each_stage_moves_the_way_the_births_say(result):
    net = result.gap.groupby(["stage", "year"]).gap.sum().unstack("year")
    base = result.scenario.settings["data"]["base_year"]
    # junior: the 2014-2017 cohorts arrive; its shortfall grows within 2-3 years
    assert net.loc["junior", base + 3] > net.loc["junior", base] + 1000
    # senior follows a few years later
    assert net.loc["senior", base + 6] > net.loc["senior", base + 3] > net.loc["senior", base]
    # primary: the small cohorts born from 2020 enter; it ends in surplus
    assert net.loc["primary", base + 4] < 0
    assert net.loc["primary", base + 6] < net.loc["primary", base + 2]
    # kindergarten empties first
    assert net.loc["preschool", base + 2] < net.loc["preschool", base]


def test_turning_points_table(result):
    t = result.turns.set_index("stage")
    assert t.loc["junior", "largest_gap_year"] >= 2028
    assert not t.loc["primary", "turns_to_surplus"] is None
    assert t.loc["primary", "turns_to_surplus"] <= 2028

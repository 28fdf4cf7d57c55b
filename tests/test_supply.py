"""Retirement under the 2025 reform, month by month, and attrition by age."""
import numpy as np
import pandas as pd
import pytest

from forecast.retirement import retirement_age_months, retirement_month, share_in_post
from forecast.supply import SupplyParams, project_supply


@pytest.mark.parametrize("born,track,age_months,when", [
    ((1964, 12), "M60", 720, (2024, 12)),       # before the reform: 60
    ((1965, 1), "M60", 721, (2025, 2)),         # first affected: +1 month
    ((1966, 5), "M60", 725, (2026, 10)),        # +5 months (Jan 1965 + 16 months, one per four)
    ((1976, 9), "M60", 756, (2039, 9)),         # 63 reached
    ((1980, 1), "M60", 756, (2043, 1)),
    ((1969, 12), "F55", 660, (2024, 12)),
    ((1971, 1), "F55", 664, (2026, 5)),         # +4 months
    ((1971, 12), "F55", 666, (2027, 6)),        # +6 months
    ((1975, 1), "F50", 601, (2025, 2)),         # one month per two months of birth date
    ((1985, 1), "F50", 660, (2040, 1)),         # 55 reached
])
def test_retirement_schedule(born, track, age_months, when):
    assert int(retirement_age_months(*born, track)) == age_months
    y, m = retirement_month(*born, track)
    assert (int(y), int(m)) == when


def test_share_in_post_spreads_birth_months():
    # A man aged 59 on 1 Sep 2024 was born Sep 1964 - Aug 1965. Those born Sep-Dec 1964
    # retire at 60 by Dec 2024; Jan-Apr 1965 at 60y1m (Feb-May 2025); May-Aug 1965 at
    # 60y2m (Jul-Oct 2025): in post on 1 Sep 2025 only those retiring after September,
    # i.e. born Aug 1965 (Oct 2025) -> 1 month of 12.
    assert share_in_post(np.array([59]), np.array(["M"]), 2024, 2025)[0] == pytest.approx(1 / 12)
    # born Sep 1964, he reaches 60 in September 2024 itself
    assert share_in_post(np.array([59]), np.array(["M"]), 2024, 2024)[0] == pytest.approx(11 / 12)
    # a woman aged 30 is nowhere near retirement
    assert share_in_post(np.array([30]), np.array(["F"]), 2024, 2034)[0] == pytest.approx(1.0)


def roster(rows):
    return pd.DataFrame(rows, columns=["region", "stage", "subject", "age", "sex", "certificate", "status", "key",
                                       "headcount"])


def test_attrition_applies_at_the_right_ages():
    params = SupplyParams(attrition_under_30=0.10, attrition_30_39=0.01, attrition_40_49=0.01, attrition_50_plus=0.01,
                          temporary_attrition=0.5)
    r = roster([("a", "primary", "math", 28, "F", "primary", "permanent", 0, 100),
                ("a", "junior", "math", 40, "F", "junior", "permanent", 0, 100),
                ("a", "senior", "math", 40, "F", "senior", "temporary", 0, 100)])
    s = project_supply(r, 2024, 2027, params).set_index(["stage", "year"]).headcount
    # aged 28 in 2024: 10% leaves in the steps into 2025 (age 28) and 2026 (age 29), 1% after
    assert s[("primary", 2025)] == pytest.approx(90)
    assert s[("primary", 2026)] == pytest.approx(81)
    assert s[("primary", 2027)] == pytest.approx(81 * 0.99)
    assert s[("junior", 2027)] == pytest.approx(100 * 0.99 ** 3)
    assert s[("senior", 2026)] == pytest.approx(25)


def test_supply_accounts_for_every_teacher():
    r = roster([("a", "senior", "math", 58, "M", "senior", "permanent", 1, 12),
                ("a", "senior", "math", 53, "F", "senior", "permanent", 0, 12)])
    s = project_supply(r, 2024, 2030, SupplyParams())
    g = s.groupby("year")[["headcount", "retired", "left"]].sum()
    flow = g.headcount.iloc[0] - g.headcount.iloc[-1]
    assert flow == pytest.approx(g.retired.sum() + g.left.sum())
    assert g.headcount.iloc[-1] == pytest.approx(0.0, abs=1e-9)  # all past statutory age by 2030


def test_base_year_supply_is_the_roster_and_retirements_follow_the_schedule():
    r = roster([("a", "senior", "math", 59, "M", "senior", "permanent", 0, 12)])
    s = project_supply(r, 2024, 2026, SupplyParams(attrition_50_plus=0.0)).set_index("year")
    assert s.headcount[2024] == pytest.approx(12)          # as observed
    # of the 11 months' births still in post in Sep 2024, 1 is in post in Sep 2025
    assert s.headcount[2025] == pytest.approx(12 * (1 / 12) / (11 / 12))
    assert s.headcount[2026] == pytest.approx(0.0)


def test_returners_come_back_and_the_flows_balance():
    r = roster([("a", "primary", "math", 30, "F", "primary", "permanent", 0, 1000)])
    p = SupplyParams(attrition_30_39=0.10, returner_rate=0.5)
    s = project_supply(r, 2024, 2027, p).set_index("year")
    assert s.left[2025] == pytest.approx(100)
    assert s.returned[2026] == pytest.approx(50)
    assert s.headcount[2026] == pytest.approx(900 - 90 + 50)
    flows = s.headcount.diff().iloc[1:] + s.retired.iloc[1:] + s.left.iloc[1:] - s.returned.iloc[1:]
    assert np.allclose(flows, 0.0)


def test_attrition_estimated_from_two_rosters():
    from forecast.supply import estimate_attrition

    before = roster([("a", "junior", "math", 35, "F", "junior", "permanent", 0, 200),
                     ("a", "junior", "math", 45, "M", "junior", "permanent", 0, 100),
                     ("a", "junior", "math", 24, "F", "junior", "permanent", 0, 50)])
    after = roster([("a", "junior", "math", 36, "F", "junior", "permanent", 0, 190),   # 5% left
                    ("a", "junior", "math", 46, "M", "junior", "permanent", 0, 98),    # 2% left
                    ("a", "junior", "math", 25, "F", "junior", "permanent", 0, 80)])   # hires: ignored
    rates = estimate_attrition(before, after, 2024, SupplyParams(attrition_under_30=0.04, attrition_30_39=0.9,
                                                                     attrition_40_49=0.9, attrition_50_plus=0.01))
    assert rates["attrition_30_39"] == pytest.approx(0.05)
    assert rates["attrition_40_49"] == pytest.approx(0.02)
    # no evidence: the given rates stand
    assert rates["attrition_under_30"] == 0.04 and rates["attrition_50_plus"] == 0.01

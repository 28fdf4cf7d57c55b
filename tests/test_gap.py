"""The no-action gap and its turning points by hand."""
import pandas as pd
import pytest

from forecast.gap import no_action_gap, turning_points


def test_gap_by_hand():
    demand = pd.DataFrame({"region": "a", "stage": "junior", "subject": "math", "year": [2025, 2026, 2027],
                           "demand": [10.0, 12.0, 9.0]})
    supply = pd.DataFrame({"region": "a", "stage": "junior", "subject": "math", "certificate": "junior",
                           "status": ["permanent"] * 3 + ["temporary"] * 3, "year": [2025, 2026, 2027] * 2,
                           "headcount": [9.0, 9.0, 9.5, 1.5, 1.0, 0.0]})
    g = no_action_gap(demand, supply).set_index("year")
    assert g.gap.tolist() == pytest.approx([-0.5, 2.0, -0.5])
    assert g.shortfall.tolist() == pytest.approx([0.0, 2.0, 0.0])
    assert g.surplus.tolist() == pytest.approx([0.5, 0.0, 0.5])
    t = turning_points(g.reset_index()).set_index("stage")
    assert t.loc["junior", "turns_to_shortfall"] == 2026
    assert t.loc["junior", "turns_to_surplus"] == 2027
    assert t.loc["junior", "largest_gap"] == pytest.approx(2.0)

"""forecast.wide.wide_table: pandas' pivot_table (sum) without its cost."""
import numpy as np
import pandas as pd

from forecast.wide import wide_table


def test_a_hand_table_sums_duplicates_sorts_labels_and_leaves_missing_cells_blank():
    long = pd.DataFrame({"region": ["b", "a", "a", "b", "a", "b"], "grade": [1, 1, 1, 2, 2, 1],
                         "year": [2021, 2020, 2020, 2021, 2021, 2020],
                         "students": [5.0, 1.0, 2.0, 7.0, np.nan, 4.0]})
    got = wide_table(long, ["region", "grade"], "year", "students")
    assert list(got.index) == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    assert list(got.columns) == [2020, 2021] and got.columns.name == "year"
    want = np.array([[3.0, np.nan], [np.nan, np.nan], [4.0, 5.0], [np.nan, 7.0]])
    np.testing.assert_array_equal(got.to_numpy(), want)   # (a, 2) had only a blank: blank, not 0


def test_it_matches_pivot_table_on_a_random_table_with_categorical_keys():
    rng = np.random.default_rng(3)
    n = 500
    long = pd.DataFrame({"region": pd.Categorical(rng.choice(["x", "y", "z"], n)), "stage": rng.choice(["p", "j"], n),
                         "year": rng.integers(2015, 2025, n), "v": rng.uniform(0, 10, n)})
    want = long.pivot_table(index=["region", "stage"], columns="year", values="v", aggfunc="sum", observed=True)
    got = wide_table(long, ["region", "stage"], "year", "v")
    assert got.index.equals(want.index) and got.columns.equals(want.columns)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-13)
    one = wide_table(long, "stage", "year", "v")
    np.testing.assert_allclose(one.to_numpy(), long.pivot_table(index="stage", columns="year", values="v",
                                                                aggfunc="sum").to_numpy(), rtol=1e-13)


def test_an_empty_table_is_an_empty_wide_table():
    got = wide_table(pd.DataFrame({"region": [], "year": [], "births": []}), "region", "year", "births")
    assert got.empty and got.index.name == "region" and got.columns.name == "year"

"""The embedded default district is internally consistent and shows the wave."""
import numpy as np
import pandas as pd
import pytest

from forecast.grades import GradeMap
from optimize.problem import may_teach
from scenarios.inputs import check_grades, read_table
from scenarios.schema import DEFAULT_DIR


@pytest.fixture(scope="module")
def tables():
    return {t: read_table(DEFAULT_DIR / f"{t}.csv", t) for t in ("births", "enrolment", "roster", "posts", "cap")}


def test_every_table_passes_the_input_checks_and_has_all_grades(tables):
    check_grades(tables["enrolment"], GradeMap().grades, "enrolment.csv")
    assert set(tables["enrolment"].region) == set(tables["births"].region) == set(tables["roster"].region)


def test_entry_cohorts_follow_births(tables):
    gm = GradeMap()
    b = tables["births"].set_index(["region", "year"]).births
    e = tables["enrolment"]
    for grade, lo, hi in ((-2, 0.70, 1.05), (1, 0.85, 1.20), (7, 0.80, 1.15)):
        rows = e[e.grade == grade]
        ratio = rows.students.to_numpy() / [b[(r, gm.birth_year(grade, y))] for r, y in zip(rows.region, rows.year)]
        assert ratio.min() > lo and ratio.max() < hi, (grade, ratio.min(), ratio.max())
        # the same area keeps nearly the same ratio from year to year (no invented jumps)
        by_area = pd.Series(ratio, index=rows.region.to_numpy()).groupby(level=0)
        assert (by_area.max() / by_area.min()).max() < 1.12


def test_district_births_show_the_wave(tables):
    total = tables["births"].groupby("year").births.sum()
    assert total[[2016, 2017]].mean() > 1.3 * total[range(2020, 2025)].mean()
    assert total.idxmax() in (2014, 2016)


def test_roster_matches_the_reported_scale(tables):
    r = tables["roster"]
    total = r.headcount.sum()
    assert 18_500 <= total <= 19_300  # the report: ~18,900 full-time teachers
    key_share = r.loc[r.key == 1, "headcount"].sum() / total
    assert key_share == pytest.approx(0.581, abs=0.01)
    assert all(may_teach(c, s) for c, s in zip(r.certificate, r.stage))
    assert (r.loc[r.key == 1, "status"] == "permanent").all()
    women = r[r.sex == "F"]
    assert women.age.max() <= 54 and r[r.sex == "M"].age.max() <= 59


def test_posts_hold_the_permanent_staff_and_caps_add_up(tables):
    r, posts, cap = tables["roster"], tables["posts"], tables["cap"]
    perm = r[r.status == "permanent"].groupby(["region", "stage"]).headcount.sum()
    p = posts.set_index(["region", "stage"]).posts
    assert (p.reindex(perm.index) >= perm).all()
    c = cap[cap.year == 2024].set_index("region").cap
    assert np.allclose(c.sort_index(), p.groupby("region").sum().sort_index())

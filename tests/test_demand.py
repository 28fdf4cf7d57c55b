"""Demand by hand on two grades, both methods, and where they agree."""
import pandas as pd
import pytest

from forecast.demand import DemandParams, class_demand, classes, ratio_demand
from forecast.grades import GradeMap
from forecast.curriculum import weekly_lessons

GM = GradeMap()


def two_grades(g1: int, n1: float, g2: int, n2: float) -> pd.DataFrame:
    return pd.DataFrame({"region": "a", "grade": [g1, g2], "year": 2025, "students": [n1, n2]})


def test_ratio_demand_by_hand():
    # grades 1 and 3: 380 and 190 pupils; primary 1:19 staff, 90% teachers
    # -> 570 / 19 * 0.9 = 27 teachers. Maths: grade 1 has 4 of 26 lessons, grade 3
    # 5 of 30; pupil-lessons 380*4 + 190*5 = 2470 of 380*26 + 190*30 = 15580.
    d = ratio_demand(two_grades(1, 380, 3, 190), GM, DemandParams())
    assert d.demand.sum() == pytest.approx(27.0)
    maths = d.set_index("subject").demand["math"]
    assert maths == pytest.approx(27.0 * 2470 / 15580)


def test_class_demand_by_hand():
    # grade 7: 101 pupils -> 3 classes of at most 50; grade 8: 100 -> 2 classes.
    # Maths 5 lessons a week per class, junior load 12: (3 + 2) * 5 / 12.
    d = class_demand(two_grades(7, 101, 8, 100), GM, DemandParams()).set_index("subject").demand
    assert d["math"] == pytest.approx(5 * 5 / 12)
    assert d.sum() == pytest.approx(5 * 34 / 12)
    # kindergarten: 26 pupils in 小班 (cap 25) -> 2 classes x 2 teachers
    k = class_demand(pd.DataFrame({"region": "a", "grade": [-2], "year": 2025, "students": [26]}), GM)
    assert k.demand.sum() == pytest.approx(4.0)


def test_classes_are_whole_and_large_enough():
    c = classes(two_grades(1, 451, 2, 450), GM)
    assert list(c.classes) == [11, 10]


def test_more_science_hours_and_course_selection_raise_demand_where_they_should():
    e = two_grades(10, 500, 11, 500)
    base = class_demand(e, GM).set_index("subject").demand
    more = class_demand(e, GM, DemandParams(extra_lessons={"senior": {"science": 2}},
                                            selection_groups={"science": 0.5})).set_index("subject").demand
    assert more["science"] == pytest.approx(base["science"] * 1.5 * 9 / 7)
    assert more.drop("science").equals(base.drop("science"))


def test_methods_agree_when_classes_are_full_and_loads_standard():
    # Full classes of 45 in primary, curriculum lessons, load 14. The staffing
    # ratio that corresponds is pupils per teacher = 45 * 14 / lessons per class.
    e = pd.DataFrame({"region": "a", "grade": range(1, 7), "year": 2025, "students": 45 * 10})
    lessons = weekly_lessons().query("1 <= grade <= 6").groupby("grade").lessons.sum().mean()
    ratio = 45 * 14 / lessons
    by_class = class_demand(e, GM).demand.sum()
    by_ratio = ratio_demand(e, GM, DemandParams(staff_ratio={**DemandParams().staff_ratio, "primary": ratio},
                                                teacher_share=1.0)).demand.sum()
    assert by_class == pytest.approx(by_ratio, rel=0.01)
    # classes of ~41 (406 pupils still make 10 classes): the class method needs as
    # many teachers as before, the ratio method 406/450 of them
    part = e.assign(students=406)
    assert class_demand(part, GM).demand.sum() == pytest.approx(by_class)
    assert ratio_demand(part, GM, DemandParams(staff_ratio={**DemandParams().staff_ratio, "primary": ratio},
                                               teacher_share=1.0)).demand.sum() == pytest.approx(by_ratio * 406 / 450)


@pytest.mark.parametrize("method", ["ratio", "class"])
def test_paths_go_through_in_one_step_as_they_would_one_by_one(method):
    # two Monte Carlo paths of two areas: the path column is a key like any other
    frames = []
    for path, scale in ((1, 1.0), (2, 1.37)):
        for region in ("a", "b"):
            e = pd.DataFrame({"region": region, "grade": [-1, 1, 3, 7, 8, 10], "year": 2025,
                              "students": [88 * scale, 380 * scale, 190 * scale, 101 * scale, 100, 333 * scale]})
            frames.append(e.assign(path=path))
    both = pd.concat(frames, ignore_index=True)
    params = DemandParams(method=method, selection_groups={"science": 0.5} if method == "class" else {})
    together = (ratio_demand if method == "ratio" else class_demand)(both, GM, params)
    assert list(together.columns) == ["path", "region", "stage", "subject", "year", "demand"]
    for path, one in both.groupby("path"):
        alone = (ratio_demand if method == "ratio" else class_demand)(one.drop(columns="path"), GM, params)
        got = together[together.path == path].drop(columns="path").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, alone)

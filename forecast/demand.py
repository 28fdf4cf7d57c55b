"""Teachers needed: the staffing-ratio standard and the class-based method.

Both take enrolment by grade (columns region, grade, year, students; persons)
and return teachers needed by region, stage, subject and year in FTE.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.curriculum import PRESCHOOL_SUBJECT, SUBJECTS, weekly_lessons
from forecast.grades import STAGES, GradeMap
from forecast.settings import STAGE_MAP, STAGE_SUBJECT_MAP, SUBJECT_MAP, setting

KEYS = ["region", "stage", "subject", "year"]


SCHOOL_STAGES = ("primary", "junior", "senior")
RATIO, CLASS = {"method": ("ratio",)}, {"method": ("class",)}


@dataclass(frozen=True)
class DemandParams:
    """Demand settings. Defaults are the national standards (DOMAIN.md):
    staffing ratios of 中央编办发〔2014〕72号 (kindergarten: the 2013 full-day
    1:7 carers-and-teachers standard), class-size caps of 45 (primary) and 50
    (secondary), the 2022 curriculum plan's lessons; teaching loads and the
    teachers' share of staff are planning assumptions.

    ``kindergarten_class_size`` (pupils per class by kindergarten grade,
    1987 standard: 小班 25, 中班 30, 大班 35) is not a scenario key.
    """

    method: str = setting("ratio", choices=("ratio", "class"),
                          doc="ratio: pupils ÷ staffing ratio; class: classes × lessons ÷ teaching load")
    staff_ratio: dict[str, float] = setting(
        kind=STAGE_MAP, keys=STAGES, lo=0.5, hi=100.0, unit="pupils per staff member", only_with=RATIO,
        doc="staffing-ratio standard per stage",
        default_factory=lambda: {"preschool": 7.0, "primary": 19.0, "junior": 13.5, "senior": 12.5})
    teacher_share: float = setting(0.9, lo=0.05, hi=1.0, unit="teachers per staff member", only_with=RATIO,
                                   doc="share of the staffing standard that teaches")
    class_size: dict[str, float] = setting(
        kind=STAGE_MAP, keys=SCHOOL_STAGES, lo=5, hi=80, unit="pupils", only_with=CLASS,
        doc="largest class per school stage", default_factory=lambda: {"primary": 45, "junior": 50, "senior": 50})
    kindergarten_class_size: dict[int, float] = field(default_factory=lambda: {-2: 25, -1: 30, 0: 35})
    load: dict[str, float] = setting(
        kind=STAGE_MAP, keys=SCHOOL_STAGES, lo=1, hi=40, unit="lessons per week", only_with=CLASS,
        doc="weekly lessons a teacher teaches, per stage",
        default_factory=lambda: {"primary": 14, "junior": 12, "senior": 11})
    kindergarten_teachers_per_class: float = setting(2.0, lo=0.5, hi=5.0, unit="teachers per class",
                                                     only_with=CLASS, doc="kindergarten teachers per class")
    extra_lessons: dict[str, dict[str, float]] = setting(
        kind=STAGE_SUBJECT_MAP, keys=(SCHOOL_STAGES, SUBJECTS), lo=-10, hi=20, unit="lessons per week per class",
        doc="lessons added to the curriculum plan, e.g. { senior = { science = 2 } }", default_factory=dict)
    selection_groups: dict[str, float] = setting(
        kind=SUBJECT_MAP, keys=SUBJECTS, lo=0.0, hi=5.0, unit="extra groups per class", only_with=CLASS,
        doc="extra senior teaching groups for course selection (走班), per subject", default_factory=dict)


def _with_stage(enrolment: pd.DataFrame, gm: GradeMap) -> pd.DataFrame:
    e = enrolment[["region", "grade", "year", "students"]].copy()
    e["stage"] = e["grade"].map(gm.stage_of)
    return e


def _lessons(params: DemandParams, gm: GradeMap) -> pd.DataFrame:
    """Weekly lessons per class by grade and subject, with policy levers applied."""
    w = weekly_lessons()
    w = w[w.grade.isin(gm.grades)].copy()
    w["stage"] = w.grade.map(gm.stage_of)
    for stage, by_subject in params.extra_lessons.items():
        for subject, extra in by_subject.items():
            w.loc[(w.stage == stage) & (w.subject == subject), "lessons"] += extra
    return w


def ratio_demand(enrolment: pd.DataFrame, gm: GradeMap, params: DemandParams = DemandParams()) -> pd.DataFrame:
    """Teachers = pupils / staff ratio x teacher share, split into subjects by
    each subject's share of the stage's pupil-lessons.

    Returns columns region, stage, subject, year, demand (FTE).
    """
    e = _with_stage(enrolment, gm)
    stage_total = e.groupby(["region", "stage", "year"], as_index=False)["students"].sum()
    stage_total["teachers"] = stage_total.students / stage_total.stage.map(params.staff_ratio) * params.teacher_share
    school = e[e.stage != "preschool"].merge(_lessons(params, gm)[["grade", "subject", "lessons"]], on="grade")
    school["pupil_lessons"] = school.students * school.lessons
    share = school.groupby(["region", "stage", "year", "subject"], as_index=False)["pupil_lessons"].sum()
    share["share"] = share.pupil_lessons / share.groupby(["region", "stage", "year"])["pupil_lessons"].transform("sum")
    pre = stage_total[stage_total.stage == "preschool"][["region", "stage", "year"]].assign(
        subject=PRESCHOOL_SUBJECT, share=1.0)
    shares = pd.concat([share[["region", "stage", "year", "subject", "share"]], pre], ignore_index=True)
    out = shares.merge(stage_total, on=["region", "stage", "year"])
    out["demand"] = out.teachers * out.share
    return out[KEYS + ["demand"]].sort_values(KEYS, ignore_index=True)


def classes(enrolment: pd.DataFrame, gm: GradeMap, params: DemandParams = DemandParams()) -> pd.DataFrame:
    """Whole classes per region, grade and year: ceil(pupils / class-size cap).

    Returns columns region, grade, stage, year, students, classes.
    """
    e = _with_stage(enrolment, gm)
    cap = np.where(e.stage == "preschool", e.grade.map(params.kindergarten_class_size),
                   e.stage.map(params.class_size))
    e["classes"] = np.ceil(np.round(e.students.to_numpy(float) / cap.astype(float), 9)).astype(int)
    return e


def class_demand(enrolment: pd.DataFrame, gm: GradeMap, params: DemandParams = DemandParams()) -> pd.DataFrame:
    """Teachers = classes x weekly lessons per class / weekly teaching load.

    Senior-secondary course selection adds teaching groups per subject
    (``selection_groups``); kindergarten needs teachers per class.
    Returns columns region, stage, subject, year, demand (FTE).
    """
    c = classes(enrolment, gm, params)
    school = c[c.stage != "preschool"].merge(_lessons(params, gm)[["grade", "subject", "lessons"]], on="grade")
    groups = school.classes * (1 + school.subject.map(params.selection_groups).fillna(0.0).where(
        school.stage == "senior", 0.0))
    school["demand"] = groups * school.lessons / school.stage.map(params.load)
    pre = c[c.stage == "preschool"].assign(subject=PRESCHOOL_SUBJECT)
    pre["demand"] = pre.classes * params.kindergarten_teachers_per_class
    both = pd.concat([school, pre], ignore_index=True)
    return both.groupby(KEYS, as_index=False)["demand"].sum().sort_values(KEYS, ignore_index=True)


def demand(enrolment: pd.DataFrame, gm: GradeMap, params: DemandParams = DemandParams()) -> pd.DataFrame:
    """Teachers needed by ``params.method``: ``ratio_demand`` or ``class_demand``."""
    if params.method == "ratio":
        return ratio_demand(enrolment, gm, params)
    if params.method == "class":
        return class_demand(enrolment, gm, params)
    raise ValueError(f"demand method '{params.method}' is not 'ratio' or 'class'")

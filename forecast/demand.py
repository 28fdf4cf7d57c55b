"""Teachers needed: the staffing-ratio standard and the class-based method.

Both take enrolment by grade (columns region, grade, year, students; persons)
and return teachers needed by region, stage, subject and year in FTE.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.curriculum import PRESCHOOL_SUBJECT, weekly_lessons
from forecast.grades import GradeMap

KEYS = ["region", "stage", "subject", "year"]


@dataclass(frozen=True)
class DemandParams:
    """Demand settings. Defaults are the national standards (DOMAIN.md).

    staff_ratio : pupils per staff member (中央编办发〔2014〕72号; kindergarten:
        full-day 1:7 carers-and-teachers standard, 2013).
    teacher_share : teachers per staff member (planning assumption).
    class_size : largest class per stage (pupils); kindergarten by grade.
    load : weekly lessons a teacher teaches, per stage.
    kindergarten_teachers_per_class : teachers per kindergarten class (2013 standard: 2).
    extra_lessons : extra weekly lessons per class, per (stage, subject),
        e.g. more science hours.
    selection_groups : extra teaching groups per class in senior secondary for
        course selection (走班), per subject, as a share of classes.
    """

    staff_ratio: dict[str, float] = field(default_factory=lambda: {
        "preschool": 7.0, "primary": 19.0, "junior": 13.5, "senior": 12.5})
    teacher_share: float = 0.9
    class_size: dict[str, float] = field(default_factory=lambda: {
        "preschool": 30, "primary": 45, "junior": 50, "senior": 50})
    kindergarten_class_size: dict[int, float] = field(default_factory=lambda: {-2: 25, -1: 30, 0: 35})
    load: dict[str, float] = field(default_factory=lambda: {"primary": 14, "junior": 12, "senior": 11})
    kindergarten_teachers_per_class: float = 2.0
    extra_lessons: dict[tuple[str, str], float] = field(default_factory=dict)
    selection_groups: dict[str, float] = field(default_factory=dict)


def _with_stage(enrolment: pd.DataFrame, gm: GradeMap) -> pd.DataFrame:
    e = enrolment[["region", "grade", "year", "students"]].copy()
    e["stage"] = e["grade"].map(gm.stage_of)
    return e


def _lessons(params: DemandParams, gm: GradeMap) -> pd.DataFrame:
    """Weekly lessons per class by grade and subject, with policy levers applied."""
    w = weekly_lessons()
    w = w[w.grade.isin(gm.grades)].copy()
    w["stage"] = w.grade.map(gm.stage_of)
    for (stage, subject), extra in params.extra_lessons.items():
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


def demand(enrolment: pd.DataFrame, gm: GradeMap, method: str, params: DemandParams = DemandParams()) -> pd.DataFrame:
    """Dispatch to ``ratio_demand`` or ``class_demand``."""
    if method == "ratio":
        return ratio_demand(enrolment, gm, params)
    if method == "class":
        return class_demand(enrolment, gm, params)
    raise ValueError(f"demand method '{method}' is not 'ratio' or 'class'")

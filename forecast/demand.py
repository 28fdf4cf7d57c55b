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
from forecast.wide import wide_table

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


def _stage_blocks(enrolment: pd.DataFrame, gm: GradeMap):
    """Pupils by grade as one matrix per stage: yields (keys, stage, grades,
    pupils, present) — ``keys`` the rows' labels ([path,] region, year),
    ``pupils`` (rows, grades of the stage; persons, 0 where absent) and
    ``present`` whether a row has any grade of the stage. An optional
    ``path`` column is carried as a key, so that Monte Carlo paths go
    through in one step."""
    keys = [k for k in ("path", "region", "year") if k in enrolment.columns]
    wide = enrolment.set_index(keys + ["grade"]).students.unstack("grade")
    labels = wide.index.to_frame(index=False)
    wide = wide[sorted(wide.columns)]
    for stage in STAGES:
        grades = [g for g in wide.columns if gm.stage_of(g) == stage]
        if not grades:
            continue
        block = wide[grades].to_numpy(dtype=float)
        present = ~np.isnan(block).all(axis=1)
        yield labels, stage, grades, np.nan_to_num(block), present


def _lesson_matrix(lessons: pd.DataFrame, grades: list[int]) -> tuple[list[str], np.ndarray]:
    """(subjects, lessons per week per class as a grades x subjects matrix)."""
    w = lessons[lessons.grade.isin(grades)]
    subjects = sorted(w.subject.unique())
    m = wide_table(w, "grade", "subject", "lessons")
    return subjects, m.reindex(index=grades, columns=subjects).fillna(0.0).to_numpy(float)


def _long(parts: list[tuple[pd.DataFrame, str, list[str], np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Stack (labels, stage, subjects, demand (rows x subjects), present) into
    the tidy frame ([path,] region, stage, subject, year, demand)."""
    frames = []
    for labels, stage, subjects, d, present in parts:
        rows = labels[present]
        n, J = len(rows), len(subjects)
        f = rows.loc[rows.index.repeat(J)].reset_index(drop=True)
        f["stage"] = stage
        f["subject"] = np.tile(np.array(subjects, dtype=object), n)
        f["demand"] = d[present].ravel()
        frames.append(f)
    keys = (["path"] if "path" in parts[0][0].columns else []) + KEYS if parts else KEYS
    if not frames:
        return pd.DataFrame(columns=keys + ["demand"])
    return pd.concat(frames, ignore_index=True)[keys + ["demand"]].sort_values(keys, ignore_index=True)


def ratio_demand(enrolment: pd.DataFrame, gm: GradeMap, params: DemandParams = DemandParams()) -> pd.DataFrame:
    """Teachers = pupils / staff ratio x teacher share, split into subjects by
    each subject's share of the stage's pupil-lessons.

    ``enrolment``: region, grade, year, students (persons), and optionally
    ``path`` (Monte Carlo paths, carried as a key). Returns columns
    [path,] region, stage, subject, year, demand (FTE).
    """
    lessons = _lessons(params, gm)
    parts = []
    for labels, stage, grades, pupils, present in _stage_blocks(enrolment, gm):
        teachers = pupils.sum(axis=1) / params.staff_ratio[stage] * params.teacher_share
        if stage == "preschool":
            parts.append((labels, stage, [PRESCHOOL_SUBJECT], teachers[:, None], present))
            continue
        subjects, L = _lesson_matrix(lessons, grades)
        pupil_lessons = pupils @ L
        with np.errstate(divide="ignore", invalid="ignore"):
            share = pupil_lessons / pupil_lessons.sum(axis=1, keepdims=True)
        parts.append((labels, stage, subjects, teachers[:, None] * share, present))
    return _long(parts)


def classes(enrolment: pd.DataFrame, gm: GradeMap, params: DemandParams = DemandParams()) -> pd.DataFrame:
    """Whole classes per region, grade and year: ceil(pupils / class-size cap).

    Returns columns region, grade, stage, year, students, classes.
    """
    e = _with_stage(enrolment, gm)
    cap = np.array([_class_cap(g, s, params) for g, s in zip(e.grade, e.stage)], dtype=float)
    e["classes"] = _whole_classes(e.students.to_numpy(float), cap).astype(int)
    return e


def _class_cap(grade: int, stage: str, params: DemandParams) -> float:
    return params.kindergarten_class_size[grade] if stage == "preschool" else params.class_size[stage]


def _whole_classes(pupils: np.ndarray, cap: np.ndarray) -> np.ndarray:
    # rounded first: 90 pupils in classes of 45 is 2 classes, not 3 by a rounding error
    return np.ceil(np.round(pupils / cap, 9))


def class_demand(enrolment: pd.DataFrame, gm: GradeMap, params: DemandParams = DemandParams()) -> pd.DataFrame:
    """Teachers = classes x weekly lessons per class / weekly teaching load.

    Senior-secondary course selection adds teaching groups per subject
    (``selection_groups``); kindergarten needs teachers per class.
    ``enrolment`` as for ``ratio_demand`` (an optional ``path`` key).
    Returns columns [path,] region, stage, subject, year, demand (FTE).
    """
    lessons = _lessons(params, gm)
    parts = []
    for labels, stage, grades, pupils, present in _stage_blocks(enrolment, gm):
        cap = np.array([_class_cap(g, stage, params) for g in grades], dtype=float)
        n_classes = _whole_classes(pupils, cap[None, :])
        if stage == "preschool":
            d = n_classes.sum(axis=1) * params.kindergarten_teachers_per_class
            parts.append((labels, stage, [PRESCHOOL_SUBJECT], d[:, None], present))
            continue
        subjects, L = _lesson_matrix(lessons, grades)
        groups = np.array([1 + (params.selection_groups.get(j, 0.0) if stage == "senior" else 0.0)
                           for j in subjects])
        parts.append((labels, stage, subjects, (n_classes @ L) * groups / params.load[stage], present))
    return _long(parts)


def demand(enrolment: pd.DataFrame, gm: GradeMap, params: DemandParams = DemandParams()) -> pd.DataFrame:
    """Teachers needed by ``params.method``: ``ratio_demand`` or ``class_demand``."""
    if params.method == "ratio":
        return ratio_demand(enrolment, gm, params)
    if params.method == "class":
        return class_demand(enrolment, gm, params)
    raise ValueError(f"demand method '{params.method}' is not 'ratio' or 'class'")

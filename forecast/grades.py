"""Grade ↔ stage ↔ age mapping. A school system is data, not code."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecast.errors import InputError
from forecast.settings import GRADE_RANGES, setting

#: Stages in order of pupils' age. Certificates follow the same order for the
#: school stages (a higher certificate qualifies for the stages below it);
#: kindergarten certificates stand apart (教师资格条例 art. 5).
STAGES = ("preschool", "primary", "junior", "senior")

STAGE_ZH = {"preschool": "学前", "primary": "小学", "junior": "初中", "senior": "高中"}


@dataclass(frozen=True)
class GradeMap:
    """Which grades make up each stage and how old pupils are in each grade.

    Parameters
    ----------
    stages : dict
        Stage name -> (first grade, last grade), inclusive. Grades -2, -1, 0 are
        the three kindergarten years (小班/中班/大班); 1-12 are school grades.
    first_grade_age : int
        Age in years at the start of the school year of pupils in grade 1.
    """

    stages: dict[str, tuple[int, int]] = setting(
        kind=GRADE_RANGES, keys=STAGES, lo=-2, hi=12, doc="-2, -1, 0: kindergarten 小班/中班/大班",
        default_factory=lambda: {"preschool": (-2, 0), "primary": (1, 6), "junior": (7, 9), "senior": (10, 12)})
    first_grade_age: int = setting(6, lo=3, hi=10, unit="years", doc="age of grade-1 pupils at the start of the "
                                                                     "school year")

    def __post_init__(self) -> None:
        if not self.stages:
            raise InputError("grade map: no stages")
        seen: dict[int, str] = {}
        for stage, (lo, hi) in self.stages.items():
            if stage not in STAGES:
                raise InputError(f"grade map: unknown stage '{stage}' (allowed: {', '.join(STAGES)})")
            if lo > hi:
                raise InputError(f"grade map: stage '{stage}' has first grade {lo} after last grade {hi}")
            for g in range(lo, hi + 1):
                if g in seen:
                    raise InputError(f"grade map: grade {g} is in both '{seen[g]}' and '{stage}'")
                seen[g] = stage
        grades = sorted(seen)
        if grades != list(range(grades[0], grades[-1] + 1)):
            raise InputError("grade map: the stages must cover a run of grades without holes")

    @property
    def grades(self) -> list[int]:
        """All grades, youngest first."""
        return sorted(g for lo, hi in self.stages.values() for g in range(lo, hi + 1))

    @property
    def stage_names(self) -> list[str]:
        """Stages present, youngest first."""
        return sorted(self.stages, key=lambda s: self.stages[s][0])

    def stage_of(self, grade: int) -> str:
        for stage, (lo, hi) in self.stages.items():
            if lo <= grade <= hi:
                return stage
        raise KeyError(grade)

    def age_of(self, grade: int) -> int:
        """Age in completed years at the start of the school year."""
        return grade - 1 + self.first_grade_age

    def birth_year(self, grade: int, year: int) -> int:
        """Birth year of the cohort in ``grade`` in school year ``year``."""
        return year - self.age_of(grade)


def stage_sums(enrolment: pd.DataFrame, gm: GradeMap) -> pd.DataFrame:
    """Pupils by stage: enrolment (region, year, grade, students) summed to
    columns region, stage, year, students (persons)."""
    e = enrolment.assign(stage=enrolment.grade.map(gm.stage_of))
    return e.groupby(["region", "stage", "year"], as_index=False).students.sum()

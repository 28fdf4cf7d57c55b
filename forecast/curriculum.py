"""Weekly lessons per class by grade and subject, and subject codes.

Grades 1-9 follow the compulsory education curriculum plan (义务教育课程方案,
2022 edition): 26 weekly lessons in grades 1-2, 30 in grades 3-6, 34 in grades
7-9, split by subject within the plan's ranges of nine-year shares. Grades
10-12 are a planning assumption (35 lessons, the general senior secondary plan
being credit-based). Kindergarten is not taught by subject: its one subject is
``general`` and its demand comes from teachers per class.
"""
from __future__ import annotations

import pandas as pd

#: Subject groups the model plans for. ``humanities`` holds morality and law,
#: history, geography and politics; ``science`` holds primary science, physics,
#: chemistry and biology; ``it_labour`` holds information technology, labour,
#: integrated practice and local/school courses.
SUBJECTS = ("chinese", "math", "english", "science", "humanities", "pe", "arts", "it_labour")
PRESCHOOL_SUBJECT = "general"

SUBJECT_ZH = {
    "chinese": "语文",
    "math": "数学",
    "english": "外语",
    "science": "科学",
    "humanities": "道法史地",
    "pe": "体育",
    "arts": "艺术",
    "it_labour": "信息劳动综合",
    "general": "幼儿园",
}

# lessons per week per class, by grade band (first grade, last grade)
_PLAN = {
    (1, 2): dict(chinese=8, math=4, english=0, science=1, humanities=2, pe=4, arts=4, it_labour=3),
    (3, 6): dict(chinese=6, math=5, english=2, science=2, humanities=2, pe=3, arts=4, it_labour=6),
    (7, 9): dict(chinese=5, math=5, english=4, science=6, humanities=6, pe=3, arts=2, it_labour=3),
    (10, 12): dict(chinese=5, math=5, english=5, science=7, humanities=7, pe=2, arts=1, it_labour=3),
}


def weekly_lessons() -> pd.DataFrame:
    """Weekly lessons per class: columns grade, subject, lessons (lessons/week)."""
    rows = [
        (g, subject, n)
        for (lo, hi), plan in _PLAN.items()
        for g in range(lo, hi + 1)
        for subject, n in plan.items()
    ]
    return pd.DataFrame(rows, columns=["grade", "subject", "lessons"])

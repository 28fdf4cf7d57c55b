"""When and how high each stage's enrolment peaks, and when the wave reaches
the next stage: the table the budget pack leads with."""
from __future__ import annotations

import pandas as pd

from forecast.grades import GradeMap


def peak_table(by_stage: pd.DataFrame, gm: GradeMap) -> pd.DataFrame:
    """District-wide peaks from enrolment by stage (columns stage, year,
    students; regions are summed). Returns one row per stage: stage,
    peak_year, peak_students, base_year, base_students, change (share of the
    base year), next_stage, next_peak_year."""
    total = by_stage.groupby(["stage", "year"]).students.sum().reset_index()
    projected = by_stage[by_stage.kind == "projected"] if "kind" in by_stage else by_stage
    base_year = int(projected.year.min()) - 1 if len(projected) else int(total.year.max())
    order = gm.stage_names
    rows = []
    for i, stage in enumerate(order):
        s = total[(total.stage == stage) & (total.year >= base_year)].set_index("year").students
        peak_year = int(s.idxmax())
        base = float(s.get(base_year, s.iloc[0]))
        nxt = order[i + 1] if i + 1 < len(order) else None
        rows.append((stage, peak_year, float(s.max()), base_year, base, float(s.max()) / base - 1, nxt))
    df = pd.DataFrame(rows, columns=["stage", "peak_year", "peak_students", "base_year", "base_students",
                                     "change", "next_stage"])
    peak_of = dict(zip(df.stage, df.peak_year))
    df["next_peak_year"] = df.next_stage.map(peak_of).astype("Int64")
    return df

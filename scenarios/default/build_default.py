"""Build the embedded default district (a Chaoyang-like district of Beijing).

Run from the repository root (it reads the real Beijing series copied into
``tests/data``)::

    python scenarios/default/build_default.py tests/data

It rewrites the CSVs in this folder. Every figure is either a real published
figure (Beijing births 2001-2019 and stage totals 2019) or an assumption listed
in ``ASSUMPTIONS`` below and in README.md beside this file. The draws are
seeded, so the output is identical on every machine.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.curriculum import PRESCHOOL_SUBJECT, SUBJECTS, weekly_lessons
from forecast.grades import GradeMap

HERE = Path(__file__).resolve().parent
SEED = 20241024  # the date of the Chaoyang report

BASE_YEAR = 2024
HISTORY = range(2018, BASE_YEAR + 1)
HORIZON_END = 2035

ASSUMPTIONS = dict(
    # Share of Beijing's births born in the district. Chosen so that the roster,
    # staffed at Beijing's 2019 pupil-teacher ratios, is the ~18,900 full-time
    # teachers the Chaoyang report gives (11,000 key teachers = 58.1%).
    district_share=0.09,
    # National births (NBS), persons: Beijing births after 2019 follow the national index.
    national_births={2019: 14.65e6, 2020: 12.00e6, 2021: 10.62e6, 2022: 9.56e6, 2023: 9.02e6, 2024: 9.54e6},
    # Planning areas: share of district births; pupils per birth relative to the
    # district (net migration); yearly growth of that factor (new housing).
    areas={
        "central": dict(share=0.24, migration=0.92, growth=-0.005),
        "north": dict(share=0.26, migration=1.00, growth=0.000),
        "northeast": dict(share=0.14, migration=1.04, growth=0.010),
        "east": dict(share=0.18, migration=1.06, growth=0.015),
        "south": dict(share=0.18, migration=1.03, growth=0.008),
    },
    preschool_enrolment_rate=0.85,  # children in kindergarten per birth
    preschool_children_per_teacher=12.0,
    progression_noise_sd=0.01,  # lognormal noise on each area x grade x year count
    staffing_factor={"preschool": 1.00, "primary": 1.03, "junior": 0.97, "senior": 1.00},
    female_share={"preschool": 0.97, "primary": 0.82, "junior": 0.72, "senior": 0.62},
    temporary_share=0.07,
    key_share=0.581,
    certificate_share={
        "preschool": {"preschool": 1.0},
        "primary": {"primary": 0.70, "junior": 0.25, "senior": 0.05},
        "junior": {"junior": 0.70, "senior": 0.30},
        "senior": {"senior": 1.0},
    },
    vacant_post_share=0.01,
)


def read_beijing(data: Path) -> tuple[pd.Series, pd.DataFrame]:
    births = pd.read_csv(data / "beijing" / "births.csv").set_index("year")["births"]
    totals = pd.read_csv(data / "beijing" / "stage_totals.csv")
    return births, totals


def beijing_births_extended(births: pd.Series) -> pd.Series:
    """Real births 2001-2019; 2020-2024 by the national index relative to 2019."""
    nat = ASSUMPTIONS["national_births"]
    extra = {y: births[2019] * nat[y] / nat[2019] for y in range(2020, BASE_YEAR + 1)}
    return pd.concat([births.astype(float), pd.Series(extra)]).rename_axis("year")


def stage_ratios(births: pd.Series, totals: pd.DataFrame, gm: GradeMap) -> dict[str, float]:
    """Pupils in each stage in 2019 per birth of the cohorts that feed it (real)."""
    t19 = totals[totals.year == 2019].set_index("stage")["students"]
    ratios = {"preschool": ASSUMPTIONS["preschool_enrolment_rate"]}
    for stage in ("primary", "junior", "senior"):
        lo, hi = gm.stages[stage]
        feeding = sum(births[gm.birth_year(g, 2019)] for g in range(lo, hi + 1))
        ratios[stage] = float(t19[stage]) / feeding
    return ratios


def pupil_teacher_ratios(totals: pd.DataFrame) -> dict[str, float]:
    t19 = totals[totals.year == 2019].set_index("stage")
    ptr = {s: float(t19.loc[s, "students"] / t19.loc[s, "teachers"]) for s in ("primary", "junior", "senior")}
    ptr["preschool"] = ASSUMPTIONS["preschool_children_per_teacher"]
    return ptr


def area_births(bj: pd.Series) -> pd.DataFrame:
    rows = []
    for area, a in ASSUMPTIONS["areas"].items():
        for year, b in bj.items():
            rows.append((area, int(year), int(round(b * ASSUMPTIONS["district_share"] * a["share"]))))
    return pd.DataFrame(rows, columns=["region", "year", "births"])


def enrolment_history(births: pd.DataFrame, ratios: dict[str, float], gm: GradeMap,
                      rng: np.random.Generator) -> pd.DataFrame:
    b = births.set_index(["region", "year"])["births"]
    rows = []
    for area, a in ASSUMPTIONS["areas"].items():
        for year in HISTORY:
            mig = a["migration"] * (1 + a["growth"]) ** (year - HISTORY[0])
            for g in gm.grades:
                mean = b[(area, gm.birth_year(g, year))] * ratios[gm.stage_of(g)] * mig
                noise = rng.lognormal(0.0, ASSUMPTIONS["progression_noise_sd"])
                rows.append((area, year, g, int(round(mean * noise))))
    return pd.DataFrame(rows, columns=["region", "year", "grade", "students"])


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    out[np.argsort(raw - out)[::-1][: total - out.sum()]] += 1
    return out


def teachers_by_subject(enrol: pd.DataFrame, ptr: dict[str, float], gm: GradeMap) -> pd.DataFrame:
    """Base-year teachers per area, stage and subject (persons)."""
    base = enrol[enrol.year == BASE_YEAR].copy()
    base["stage"] = base.grade.map(gm.stage_of)
    lessons = weekly_lessons()
    rows = []
    for (area, stage), grp in base.groupby(["region", "stage"]):
        total = int(round(grp.students.sum() / ptr[stage] * ASSUMPTIONS["staffing_factor"][stage]))
        if stage == "preschool":
            rows.append((area, stage, PRESCHOOL_SUBJECT, total))
            continue
        w = grp.merge(lessons, on="grade")
        w["load"] = w.students * w.lessons  # pupil-lessons per week
        by_subject = w.groupby("subject")["load"].sum().reindex(SUBJECTS)
        for subject, n in zip(SUBJECTS, _largest_remainder(total, by_subject.to_numpy(float))):
            rows.append((area, stage, subject, int(n)))
    return pd.DataFrame(rows, columns=["region", "stage", "subject", "teachers"])


def _age_weights(ages: np.ndarray) -> np.ndarray:
    # a teaching force with its bulk in the late 30s and a thinner older tail
    return np.exp(-0.5 * ((ages - 38.0) / 10.0) ** 2) + 0.08


def roster(counts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per distinct teacher profile with a headcount (persons)."""
    A = ASSUMPTIONS
    people = []
    for row in counts.itertuples(index=False):
        n = row.teachers
        female = rng.random(n) < A["female_share"][row.stage]
        ages = np.empty(n, dtype=int)
        # oldest age still in post in September 2024: women on the 55 track 54,
        # men 59 (the 2025 reform keeps men born in 1965 a few months longer)
        for is_f, top in ((True, 54), (False, 59)):
            idx = np.flatnonzero(female == is_f)
            grid = np.arange(22, top + 1)
            w = _age_weights(grid.astype(float))
            ages[idx] = rng.choice(grid, size=idx.size, p=w / w.sum())
        certs = list(A["certificate_share"][row.stage])
        cert = rng.choice(certs, size=n, p=list(A["certificate_share"][row.stage].values()))
        temporary = rng.random(n) < A["temporary_share"]
        people.append(pd.DataFrame({
            "region": row.region, "stage": row.stage, "subject": row.subject,
            "age": ages, "sex": np.where(female, "F", "M"), "certificate": cert,
            "status": np.where(temporary, "temporary", "permanent"),
        }))
    p = pd.concat(people, ignore_index=True)
    # key teachers (骨干) among permanent staff, more likely with experience,
    # scaled so that the district share is the reported 58.1% of all teachers
    perm = (p.status == "permanent").to_numpy()
    logit = 1 / (1 + np.exp(-(p.age.to_numpy() - 32) / 4.0))
    target = A["key_share"] * len(p)
    scale = target / (logit * perm).sum()
    prob = np.clip(logit * scale, 0, 0.98) * perm
    p["key"] = (rng.random(len(p)) < prob).astype(int)
    keys = ["region", "stage", "subject", "age", "sex", "certificate", "status", "key"]
    return p.groupby(keys).size().rename("headcount").reset_index()


def posts_and_cap(r: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    perm = r[r.status == "permanent"].groupby(["region", "stage"])["headcount"].sum()
    posts = np.ceil(perm * (1 + ASSUMPTIONS["vacant_post_share"])).astype(int)
    posts_df = posts.rename("posts").reset_index()
    posts_df.insert(2, "year", BASE_YEAR)
    cap = posts.groupby("region").sum()
    cap_df = pd.DataFrame([(reg, y, int(c)) for reg, c in cap.items() for y in range(BASE_YEAR, HORIZON_END + 1)],
                          columns=["region", "year", "cap"])
    return posts_df, cap_df


def main(data: Path) -> None:
    gm = GradeMap()
    rng = np.random.default_rng(SEED)
    bj_births, totals = read_beijing(data)
    bj = beijing_births_extended(bj_births)
    births = area_births(bj)
    ratios = stage_ratios(bj, totals, gm)
    enrol = enrolment_history(births, ratios, gm, rng)
    counts = teachers_by_subject(enrol, pupil_teacher_ratios(totals), gm)
    r = roster(counts, rng)
    posts, cap = posts_and_cap(r)
    births.to_csv(HERE / "births.csv", index=False)
    enrol.to_csv(HERE / "enrolment.csv", index=False)
    r.to_csv(HERE / "roster.csv", index=False)
    posts.to_csv(HERE / "posts.csv", index=False)
    cap.to_csv(HERE / "cap.csv", index=False)
    print("stage ratios (pupils per feeding birth, Beijing 2019):", {k: round(v, 4) for k, v in ratios.items()})
    print("pupil-teacher ratios:", {k: round(v, 3) for k, v in pupil_teacher_ratios(totals).items()})
    print("teachers:", int(r.headcount.sum()), "key share:", round(r.loc[r.key == 1, "headcount"].sum() / r.headcount.sum(), 4))
    print("roster rows:", len(r))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "tests" / "data")

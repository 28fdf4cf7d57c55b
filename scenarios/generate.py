"""Synthetic cities and countries, for benchmarks, tests and trying the scale.

``staffcast generate city --out DIR`` writes a complete scenario (DIR/scenario.toml
and its CSVs, every table with a ``district`` column): 16 districts sized like
Beijing's, about 100 planning areas. ``generate country`` writes about 2,850
county units, one planning area each, whose sizes follow a lognormal
distribution of a realistic skew. Every area is one of the embedded default
district's five areas (real Beijing births and stage ratios, see
scenarios/default/README.md), scaled to its size and perturbed: its own
trend in pupils per birth (net migration), noise on each count, its roster's
headcounts rounded to whole teachers at random. Posts are the permanent staff
plus 1% vacant; each area's cap is frozen at its posts. Graduate supply is
scaled to each district's staff (``graduates.csv``).

Sizes (assumptions, stated so that a reader can judge them):
- city: Beijing's 16 districts, resident population at the 2020 census in
  millions (rounded, Beijing Statistical Yearbook); the largest, Chaoyang, is
  the default district's size; planning areas in proportion to population,
  at least 2 a district, about 100 in all.
- country: 2,850 county-level units (China has about 2,850); teachers per
  unit lognormal with median 3,600 and sigma 0.75, so that the total is
  about 15 million full-time teachers (MoE: about 16 million in 2023) and the
  largest units have ~50,000.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import InputError
from optimize.problem import PlanParams
from scenarios.schema import DEFAULT_DIR

#: Beijing's districts: resident population, 2020 census (millions, rounded)
BEIJING = {"chaoyang": 3.45, "haidian": 3.13, "changping": 2.27, "fengtai": 2.02, "daxing": 1.99, "tongzhou": 1.84,
           "shunyi": 1.32, "fangshan": 1.31, "xicheng": 1.11, "dongcheng": 0.71, "shijingshan": 0.57,
           "miyun": 0.53, "pinggu": 0.46, "huairou": 0.44, "mentougou": 0.39, "yanqing": 0.35}
CITY_AREAS = 100
COUNTRY_UNITS = 2850
COUNTY_MEDIAN_TEACHERS, COUNTY_SIGMA = 3600.0, 0.75
NOISE_SD, TREND_SD = 0.01, 0.01  # lognormal noise on each count; yearly trend of pupils per birth


def _default_tables() -> dict[str, pd.DataFrame]:
    return {t: pd.read_csv(DEFAULT_DIR / f"{t}.csv") for t in ("births", "enrolment", "roster", "posts", "cap")}


def _round_people(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole persons with the right expectation: floor plus a coin for the rest."""
    base = np.floor(x)
    return (base + (rng.random(x.shape) < x - base)).astype(int)


def _area(src: dict[str, pd.DataFrame], template: str, scale: float, district: str, region: str,
          rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """One planning area: the default's ``template`` area scaled by ``scale``."""
    out = {}
    trend = rng.normal(0.0, TREND_SD)
    b = src["births"][src["births"].region == template].copy()
    b["births"] = np.round(b.births * scale * rng.lognormal(0.0, NOISE_SD, len(b))).astype(int)
    out["births"] = b
    e = src["enrolment"][src["enrolment"].region == template].copy()
    drift = np.exp(trend * (e.year - e.year.max()))
    e["students"] = np.round(e.students * scale * drift * rng.lognormal(0.0, NOISE_SD, len(e))).astype(int)
    out["enrolment"] = e
    r = src["roster"][src["roster"].region == template].copy()
    r["headcount"] = _round_people(r.headcount.to_numpy(float) * scale, rng)
    out["roster"] = r[r.headcount > 0]
    for name, frame in out.items():
        frame["region"] = region
        frame.insert(0, "district", district)
    return out


def _posts_and_cap(roster: pd.DataFrame, years: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    perm = roster[roster.status == "permanent"].groupby(["district", "region", "stage"]).headcount.sum()
    posts = np.ceil(perm * 1.01).astype(int).rename("posts").reset_index()
    posts.insert(3, "year", years[0])
    area = posts.groupby(["district", "region"]).posts.sum()
    cap = pd.DataFrame([(d, r, y, int(c)) for (d, r), c in area.items() for y in years],
                       columns=["district", "region", "year", "cap"])
    return posts, cap


def _graduates(roster: pd.DataFrame, default_staff: float) -> pd.DataFrame:
    """Each district's yearly graduate supply per certificate: the default
    district's supply (``PlanParams.graduate_supply``) per teacher."""
    staff = roster.groupby("district").headcount.sum()
    rows = [(d, c, round(v * n / default_staff, 1)) for d, n in staff.items()
            for c, v in PlanParams().graduate_supply.items()]
    return pd.DataFrame(rows, columns=["district", "certificate", "graduates"])


def city_areas() -> dict[str, int]:
    """Planning areas per district: in proportion to population, at least 2."""
    total = sum(BEIJING.values())
    return {d: max(2, round(CITY_AREAS * p / total)) for d, p in BEIJING.items()}


def build(kind: str, seed: int = 0, counties: int = COUNTRY_UNITS) -> dict[str, pd.DataFrame]:
    """The tables of a synthetic ``kind`` ('city' or 'country'; a country of
    ``counties`` county units)."""
    rng = np.random.default_rng(seed)
    src = _default_tables()
    templates = sorted(src["enrolment"].region.unique())
    area_staff = src["roster"].groupby("region").headcount.sum()
    default_staff = float(area_staff.sum())
    units = []  # (district, region, template, scale)
    if kind == "city":
        biggest = max(BEIJING.values())
        for d, n in city_areas().items():
            staff = default_staff * BEIJING[d] / biggest  # Chaoyang = the default district
            for k in range(n):
                t = templates[(len(units)) % len(templates)]
                units.append((d, f"{d}-{k + 1:02d}", t, staff / n / area_staff[t]))
    elif kind == "country":
        sizes = np.exp(rng.normal(math.log(COUNTY_MEDIAN_TEACHERS), COUNTY_SIGMA, counties))
        for i, staff in enumerate(sizes):
            t = templates[i % len(templates)]
            d = f"county-{i + 1:04d}"
            units.append((d, f"{d}-01", t, float(staff) / area_staff[t]))
    else:
        raise InputError(f"generate: '{kind}' is not 'city' or 'country'")
    parts = [_area(src, t, scale, d, r, rng) for d, r, t, scale in units]
    tables = {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in ("births", "enrolment", "roster")}
    years = sorted(src["cap"].year.unique())
    tables["posts"], tables["cap"] = _posts_and_cap(tables["roster"], years)
    tables["graduates"] = _graduates(tables["roster"], default_staff)
    return tables


def scenario_text(kind: str, seed: int) -> str:
    title = {"city": "合成城市：16个区 / Synthetic city: 16 districts",
             "country": f"合成全国：{COUNTRY_UNITS}个县级单位 / Synthetic country: {COUNTRY_UNITS} county units"}[kind]
    data = "".join(f'{t} = "{t}.csv"\n' for t in ("births", "enrolment", "roster", "posts", "cap", "graduates"))
    return (f'# made by `staffcast generate {kind} --seed {seed}`: synthetic data, see scenarios/generate.py\n'
            f'extends = "default"\nname = "{kind}"\ntitle = "{title}"\n\n[data]\n{data}')


def write(kind: str, out: str | Path, seed: int = 0) -> Path:
    """Write DIR/scenario.toml and its CSVs; ``out`` must be new or empty."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: exists and is not an empty folder; generate into a new folder")
    tables = build(kind, seed)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    (out / "scenario.toml").write_text(scenario_text(kind, seed), encoding="utf-8")
    return out / "scenario.toml"

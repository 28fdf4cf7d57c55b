"""What the staffing plan is solved for: inputs and parameters."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from forecast.grades import STAGES

SCHOOL = ("primary", "junior", "senior")


def certificates_for(stage: str) -> tuple[str, ...]:
    """Certificates that qualify for teaching in ``stage`` (教师资格条例 art. 5):
    the stage's own and every higher school stage; kindergarten stands alone."""
    if stage == "preschool":
        return ("preschool",)
    return SCHOOL[SCHOOL.index(stage):]


def may_teach(certificate: str, stage: str) -> bool:
    return certificate in certificates_for(stage)


HIRING_RULES = ("any", "own", "upper")


def hiring_certificates(stage: str, rule: str) -> tuple[str, ...]:
    """Certificates a stage may recruit under a recruitment policy: 'any'
    certificate valid for the stage, only the stage's 'own', or only 'upper'
    (certified for a higher stage, so they can follow the wave up; a stage
    with nothing above it recruits its own)."""
    valid = certificates_for(stage)
    if rule == "own":
        return (stage,)
    if rule == "upper":
        return valid[1:] or valid
    if rule == "any":
        return valid
    raise ValueError(f"hiring rule '{rule}' is not one of {HIRING_RULES}")


@dataclass(frozen=True)
class PlanParams:
    """Costs (yuan), weights and limits of the plan. Values are planning
    assumptions; every one can be set by scenario.

    salary : yuan per permanent teacher-year (wages and on-costs).
    hire_cost : one-off yuan per permanent hire (recruitment, induction).
    certificate_premium : extra share of hire_cost per certificate level above
        the stage hired for (graduates certified higher are scarcer).
    stage_move_cost : one-off yuan per teacher moved between stages (retraining).
    region_move_cost : one-off yuan per teacher rotated between areas.
    temporary_cost : yuan per FTE-year of temporary cover.
    shortfall_weight : objective weight per FTE-year of uncovered demand.
    surplus_weight : objective weight per FTE-year of permanent staff above
        demand (on top of their salary).
    temporary_share_max : temporary cover at most this share of demand.
    post_shift_share : posts moved between stages per area and year, at most
        this share of the area's cap.
    new_hire_attrition : yearly share of plan hires who leave.
    mentor_ratio : new hires per year at most this many per experienced
        permanent teacher in the same area and stage (导师带教).
    graduate_supply : hires per year at most this many per certificate level,
        district-wide (persons).
    region_move_share : teachers rotated out of an area per year, at most this
        share of its experienced permanent staff.
    budget : yuan per year for salaries, hires, moves and cover; None = none.
    elastic_weight : objective weight per unit by which a hard limit is broken.
    integer : hires and moves in whole persons (MIP).
    hiring_certificates : recruitment policy, see ``hiring_certificates()``.
    key_share_floor : each area's key teachers (骨干) at least this share of its
        experienced permanent staff (in post since the base year) every year,
        met by rotating key teachers between areas; None = no floor. Needs
        ``PlanInputs.key_teachers``.
    """

    salary: float = 200_000
    hire_cost: float = 30_000
    certificate_premium: float = 0.05
    stage_move_cost: float = 10_000
    region_move_cost: float = 15_000
    temporary_cost: float = 150_000
    shortfall_weight: float = 1_000_000
    surplus_weight: float = 50_000
    temporary_share_max: float = 0.05
    post_shift_share: float = 0.03
    new_hire_attrition: float = 0.04
    mentor_ratio: float = 0.10
    graduate_supply: dict[str, float] = field(default_factory=lambda: {
        "preschool": 200, "primary": 400, "junior": 500, "senior": 400})
    region_move_share: float = 0.02
    budget: float | None = None
    elastic_weight: float = 10_000_000
    integer: bool = False
    time_limit: float = 120.0
    hiring_certificates: str = "any"
    key_share_floor: float | None = None


@dataclass
class PlanInputs:
    """Everything the plan needs, as tidy frames.

    demand : region, stage, subject, year, demand (FTE), plan years only.
    stock : region, stage, subject, certificate, headcount (permanent persons
        in post in the base year).
    retention : region, stage, subject, certificate, year, rate, weight —
        ``rate`` is the share of a cell's base-year permanent staff in post in
        ``year - 1`` who are still in post in ``year`` (from the supply model:
        retirements and attrition); ``weight`` is that cell's staff in
        ``year - 1`` (persons), used to average rates over a stage.
    posts : region, stage, posts (base-year establishment quota).
    cap : region, year, cap (posts, every plan year).
    base_year : the year whose staff and posts are given.
    key_teachers : region, year, headcount — key teachers (骨干, permanent) in
        post with no action, from the base year on (persons); optional.
    """

    demand: pd.DataFrame
    stock: pd.DataFrame
    retention: pd.DataFrame
    posts: pd.DataFrame
    cap: pd.DataFrame
    base_year: int
    key_teachers: pd.DataFrame | None = None

    # cached: the model and its read-back ask for these once per variable
    @cached_property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.demand.year.unique())

    @cached_property
    def regions(self) -> list[str]:
        return sorted(self.demand.region.unique())

    @cached_property
    def stages(self) -> list[str]:
        present = set(self.demand.stage)
        return [s for s in STAGES if s in present]

    def cells(self) -> list[tuple[str, str]]:
        """(stage, subject) pairs with demand, in stage order."""
        pairs = self.demand[["stage", "subject"]].drop_duplicates()
        order = {s: i for i, s in enumerate(STAGES)}
        return sorted(map(tuple, pairs.to_numpy()), key=lambda p: (order[p[0]], p[1]))


def lookup(frame: pd.DataFrame, keys: list[str], value: str) -> dict:
    """{tuple of key values: value} for a tidy frame."""
    return dict(zip(zip(*(frame[k].tolist() for k in keys)), frame[value].to_numpy(dtype=float).tolist()))


class Retention:
    """Retention of the existing layer by (region, stage, subject, certificate,
    year). A cell with no base-year staff (teachers moved into it) takes its
    stage's staff-weighted rate in that area and year."""

    def __init__(self, inputs: PlanInputs):
        r = inputs.retention
        self.rates = lookup(r, ["region", "stage", "subject", "certificate", "year"], "rate")
        g = r.assign(kept=r.rate * r.weight).groupby(["region", "stage", "year"])
        self.stage_rates = (g.kept.sum() / g.weight.sum()).fillna(1.0).to_dict()

    def __call__(self, region: str, stage: str, subject: str, certificate: str, year: int) -> float:
        rate = self.rates.get((region, stage, subject, certificate, year))
        return rate if rate is not None else self.stage_rates.get((region, stage, year), 1.0)


def plan_inputs(demand: pd.DataFrame, supply: pd.DataFrame, posts: pd.DataFrame, cap: pd.DataFrame,
                base_year: int, years: list[int], key_supply: pd.DataFrame | None = None) -> PlanInputs:
    """Assemble the plan's inputs from the forecast's frames.

    ``supply`` is ``forecast.supply.project_supply`` output; only permanent staff
    enter the plan's stock (temporary staff are part of temporary cover).
    ``key_supply`` is the same projection for the key teachers alone.
    """
    perm = supply[supply.status == "permanent"]
    keys = ["region", "stage", "subject", "certificate"]
    wide = perm.pivot_table(index=keys, columns="year", values="headcount", aggfunc="sum").sort_index(axis=1)
    stock = wide[base_year].rename("headcount").reset_index()
    rows = []
    for t in years:
        prev, cur = wide[t - 1], wide[t]
        rate = (cur / prev).where(prev > 0, 1.0)
        rows.append(pd.DataFrame({"year": t, "rate": rate, "weight": prev}).reset_index())
    retention = pd.concat(rows, ignore_index=True)
    return PlanInputs(
        demand=demand[demand.year.isin(years)].reset_index(drop=True),
        stock=stock,
        retention=retention,
        posts=posts[posts.year == base_year][["region", "stage", "posts"]].reset_index(drop=True),
        cap=cap[cap.year.isin(years)].reset_index(drop=True),
        base_year=base_year,
        key_teachers=None if key_supply is None else key_supply[key_supply.status == "permanent"].groupby(
            ["region", "year"], as_index=False).headcount.sum(),
    )

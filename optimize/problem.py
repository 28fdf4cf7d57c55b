"""What the staffing plan is solved for: inputs and parameters."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from forecast.grades import STAGES
from forecast.settings import NUMBER, STAGE_MAP, setting

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
STOCHASTIC = {"stochastic": (True,)}


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
    """Costs (yuan), objective weights and limits of the plan. Values are
    planning assumptions; every one can be set by scenario (``[plan]``).
    Cash prices are yuan; ``shortfall_weight``, ``surplus_weight`` and
    ``elastic_weight`` are objective weights in yuan-equivalent, not cash.
    """

    years: int | None = setting(kind=int, lo=1, hi=30, unit="years",
                                doc="plan years after the base year (not set: the forecast horizon)")
    cap_change: float = setting(0.0, lo=-1e6, hi=1e6, unit="posts",
                                doc="posts added to the district cap from the first plan year, shared among "
                                    "areas in proportion to their caps")
    freeze_cap: bool = setting(False, doc="hold each area's cap at its base-year value")
    salary: float = setting(200_000.0, lo=0, hi=1e8, unit="yuan per teacher-year",
                            doc="permanent teacher's wages and on-costs")
    hire_cost: float = setting(30_000.0, lo=0, hi=1e8, unit="yuan per hire", doc="recruitment and induction")
    certificate_premium: float = setting(0.05, lo=0.0, hi=10.0, unit="share of hire_cost per level",
                                         doc="extra hiring cost per certificate level above the stage")
    stage_move_cost: float = setting(10_000.0, lo=0, hi=1e8, unit="yuan per move",
                                     doc="moving a teacher between stages (retraining)")
    region_move_cost: float = setting(15_000.0, lo=0, hi=1e8, unit="yuan per move",
                                      doc="rotating a teacher between areas")
    temporary_cost: float = setting(150_000.0, lo=0, hi=1e8, unit="yuan per FTE-year", doc="temporary cover")
    shortfall_weight: float = setting(1_000_000.0, lo=0, hi=1e10, unit="objective weight per FTE-year",
                                      doc="uncovered demand")
    surplus_weight: float = setting(50_000.0, lo=0, hi=1e10, unit="objective weight per FTE-year",
                                    doc="permanent staff above demand, on top of their salary")
    elastic_weight: float = setting(10_000_000.0, lo=0, hi=1e12, unit="objective weight per unit",
                                    doc="breaking a hard limit, used only when no plan meets them all")
    temporary_share_max: float = setting(0.05, lo=0.0, hi=1.0, unit="share of demand",
                                         doc="temporary cover at most this share of a cell's demand")
    post_shift_share: float = setting(0.03, lo=0.0, hi=1.0, unit="share of the cap per year",
                                      doc="posts moved between stages of an area per year")
    new_hire_attrition: float = setting(0.04, lo=0.0, hi=1.0, unit="share per year", doc="plan hires who leave")
    mentor_ratio: float = setting(0.10, lo=0.0, hi=10.0, unit="hires per experienced teacher",
                                  doc="new hires per year at most this many per experienced permanent teacher "
                                      "of the area and stage (导师带教)")
    graduate_supply: dict[str, float] = setting(
        kind=STAGE_MAP, keys=STAGES, lo=0, hi=1e7, unit="persons per year",
        doc="hires per certificate level per year, district-wide",
        default_factory=lambda: {"preschool": 200.0, "primary": 400.0, "junior": 500.0, "senior": 400.0})
    region_move_share: float = setting(0.02, lo=0.0, hi=1.0, unit="share of experienced staff per year",
                                       doc="teachers rotated out of an area per year")
    budget: float | None = setting(kind=NUMBER, lo=0, hi=1e13, unit="yuan per year",
                                   doc="salaries, hires, moves and cover (not set: no budget)")
    integer: bool = setting(False, doc="hires and moves in whole persons (a MIP)")
    time_limit: float = setting(120.0, lo=1, hi=86_400, unit="seconds", doc="solver time limit")
    solver: str = setting("highs", choices=("highs", "cbc"), doc="HiGHS (default) or CBC")
    hiring_certificates: str = setting("any", choices=HIRING_RULES,
                                       doc="which certificates a stage may recruit: any valid, its own, or upper")
    key_share_floor: float | None = setting(kind=NUMBER, lo=0.0, hi=1.0, unit="share of experienced staff",
                                            doc="each area's key teachers (骨干) at least this share, met by "
                                                "rotation (not set: no floor)")
    # the stochastic plan (optimize.stochastic): posts and permanent hires decided once for many
    # forecast paths, temporary cover and what is left short or surplus per path
    stochastic: bool = setting(False, doc="also plan for the forecast's uncertainty: posts and hires that hold "
                                          "up on many enrolment paths, judged on fresh paths against the plan "
                                          "for the central path")
    paths: int = setting(50, lo=2, hi=2000, unit="paths", only_with=STOCHASTIC,
                         doc="forecast paths the stochastic plan is solved over (drawn from forecast.paths)")
    commit_years: int = setting(3, lo=1, hi=30, unit="years", only_with=STOCHASTIC,
                                doc="plan years whose posts and hires are the decision now (the budget's horizon); "
                                    "later years' are provisional")
    seed: int = setting(0, lo=0, hi=2**32 - 1, only_with=STOCHASTIC,
                        doc="random seed of the paths the stochastic plan draws and is judged on")
    eval_paths: int = setting(1000, lo=100, hi=100_000, unit="paths", only_with=STOCHASTIC,
                              doc="fresh forecast paths (another seed) both plans are judged on")
    evpi_paths: int = setting(10, lo=0, hi=1000, unit="paths", only_with=STOCHASTIC,
                              doc="of those, paths planned with perfect foresight for the value of perfect "
                                  "information (0: not estimated)")
    shortfall_threshold: float = setting(100.0, lo=0, hi=1e7, unit="FTE", only_with=STOCHASTIC,
                                         doc="shortfall of a stage in a year that the planner wants to stay "
                                             "under: how likely each plan is to exceed it")


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


def adjust_cap(cap: pd.DataFrame, change: float, base: int, freeze: bool = False) -> pd.DataFrame:
    """Each area's cap (posts) by year: held at its base-year value if
    ``freeze``, then ``change`` posts added to the district cap from the first
    plan year, shared among areas in proportion to their caps."""
    cap = cap.copy()
    if freeze:
        at_base = cap[cap.year == base].set_index("region").cap
        later = cap.year > base
        cap.loc[later, "cap"] = cap.loc[later, "region"].map(at_base).to_numpy()
    if change:
        later = cap.year > base
        share = cap.cap / cap[later].groupby("year").cap.transform("sum")
        cap.loc[later, "cap"] = cap.loc[later, "cap"] + change * share[later]
    return cap


def plan_inputs(demand: pd.DataFrame, supply: pd.DataFrame, posts: pd.DataFrame, cap: pd.DataFrame,
                base_year: int, years: list[int], key_supply: pd.DataFrame | None = None) -> PlanInputs:
    """Assemble the plan's inputs from the forecast's frames.

    ``supply`` is ``forecast.supply.project_supply`` output; only permanent staff
    enter the plan's stock (temporary staff are part of temporary cover).
    ``cap`` is the cap the plan must keep (see ``adjust_cap``); ``key_supply``
    is the supply projection for the key teachers alone.
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

"""What the staffing plan is solved for: inputs and parameters."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from forecast.grades import STAGES
from forecast.settings import NUMBER, RECORDS, STAGE_MAP, setting
from forecast.wide import wide_table

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

    Cash prices are yuan (salary, hire_cost, stage_move_cost,
    region_move_cost, temporary_cost, the retraining costs); they are what
    ``plan_comparison.csv``'s ``cost`` adds up. ``shortfall_weight``,
    ``surplus_weight``, ``temporary_quality_weight`` and ``elastic_weight``
    are objective weights in yuan-equivalent, not cash: they say how much
    the plan would pay to avoid a unit of each, and they are the only
    reason a dual (``post_dual``) is not a cash figure.
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
                                     doc="moving a teacher between stages (induction into the new stage)")
    region_move_cost: float = setting(15_000.0, lo=0, hi=1e8, unit="yuan per move",
                                      doc="rotating a teacher between areas")
    temporary_cost: float = setting(150_000.0, lo=0, hi=1e8, unit="yuan per FTE-year",
                                    doc="temporary cover's cash cost (wages of 代课 staff)")
    temporary_quality_weight: float = setting(
        300_000.0, lo=0, hi=1e10, unit="objective weight per FTE-year",
        doc="temporary cover's quality cost on top of its cash cost (not cash): an FTE-year of cover weighs "
            "temporary_cost + this, between a permanent teacher's salary and an uncovered FTE-year, so the plan "
            "uses cover where a post cannot be filled in time rather than to save on salaries")
    shortfall_weight: float = setting(1_000_000.0, lo=0, hi=1e10, unit="objective weight per FTE-year",
                                      doc="uncovered demand")
    surplus_weight: float = setting(50_000.0, lo=0, hi=1e10, unit="objective weight per FTE-year",
                                    doc="permanent staff above demand, on top of their salary")
    elastic_weight: float = setting(10_000_000.0, lo=0, hi=1e12, unit="objective weight per unit",
                                    doc="breaking a hard limit, used only when no plan meets them all")
    temporary_share_max: float = setting(0.05, lo=0.0, hi=1.0, unit="share of demand",
                                         doc="temporary cover at most this share of a cell's demand, or the "
                                             "roster's temporary staff still under contract there if more (their "
                                             "contracts are kept as they run out, as the no-action baseline keeps "
                                             "them; no new cover until the cell is back under the share)")
    post_shift_share: float = setting(0.03, lo=0.0, hi=1.0, unit="share of the cap per year",
                                      doc="posts moved between stages of an area per year")
    new_hire_attrition: float = setting(0.04, lo=0.0, hi=1.0, unit="share per year", doc="plan hires who leave")
    mentor_ratio: float = setting(0.10, lo=0.0, hi=10.0, unit="hires per experienced teacher",
                                  doc="new hires per year at most this many per experienced permanent teacher "
                                      "of the area and stage they teach in in their first year (导师带教)")
    mentor_after_years: int = setting(3, lo=1, hi=40, unit="years",
                                      doc="years in post after which the plan's own hires count as experienced "
                                          "teachers (mentors); base-year staff count from the start")
    graduate_supply: dict[str, float] = setting(
        kind=STAGE_MAP, keys=STAGES, lo=0, hi=1e7, unit="persons per year",
        doc="hires per certificate level per year, district-wide",
        default_factory=lambda: {"preschool": 200.0, "primary": 400.0, "junior": 500.0, "senior": 400.0})
    region_move_share: float = setting(0.02, lo=0.0, hi=1.0, unit="share of experienced staff per year",
                                       doc="teachers rotated out of an area per year (交流轮岗)")
    rotation_years: int | None = setting(kind=int, lo=1, hi=30, unit="years",
                                         doc="a rotated teacher returns to their own area after this many years "
                                             "(two-way rotation; not set: rotation is a permanent move)")
    rotation_intake_share: float | None = setting(kind=NUMBER, lo=0.0, hi=1.0,
                                                  unit="share of experienced staff per year",
                                                  doc="teachers rotated into an area per year at most this share "
                                                      "of its experienced staff (not set: no limit)")
    stage_move_share: float | None = setting(kind=NUMBER, lo=0.0, hi=1.0, unit="share of a stage's staff per year",
                                             doc="teachers moved out of a stage of an area per year at most this "
                                                 "share of its permanent staff (not set: no limit)")
    pool_cap: bool = setting(False, doc="one establishment cap for the whole district, shared by its areas "
                                        "(区管校聘), instead of a cap per area")
    retraining: list = setting(
        kind=RECORDS, records={"stage": str, "from": str, "to": str, "cost": NUMBER, "share": NUMBER},
        unit="cost: yuan per teacher; share: of the from-subject's base-year staff per year", default_factory=list,
        doc="subject pairs within a stage whose base-year teachers may be retrained (转岗), e.g. {stage = "
            "\"junior\", from = \"humanities\", to = \"science\", cost = 20000, share = 0.05}: the cost per "
            "teacher retrained and the yearly limit as a share of the from-subject's base-year staff still in post "
            "(not set: no retraining)")
    budget: float | None = setting(kind=NUMBER, lo=0, hi=1e13, unit="yuan per year",
                                   doc="salaries, hires, moves and cover (not set: no budget)")
    integer: bool = setting(False, doc="hires, moves, retraining and rotation in whole persons (a MIP; temporary "
                                       "cover stays in FTE)")
    integer_gap: float = setting(0.005, lo=1e-6, hi=0.5, unit="share of the decision-dependent objective",
                                 only_with={"integer": (True,)},
                                 doc="a plan in whole persons is accepted when it is proven within this share of "
                                     "the best one, on the part of the objective the decisions can change (the "
                                     "base-year staff's salaries in every plan year left out)")
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


def retraining_problems(params: PlanParams, src: str) -> list[str]:
    """What is wrong with ``plan.retraining``: an unknown school stage or
    subject, a subject retrained into itself, a pair given twice, a cost
    below zero or a share outside 0-1."""
    from forecast.curriculum import SUBJECTS

    errs, seen = [], set()
    for i, r in enumerate(params.retraining):
        key = f"{src}: plan.retraining[{i}]"
        if r["stage"] not in SCHOOL:
            errs.append(f"{key}.stage '{r['stage']}' is not a school stage (allowed: {', '.join(SCHOOL)})")
        for end in ("from", "to"):
            if r[end] not in SUBJECTS:
                errs.append(f"{key}.{end} '{r[end]}' is not a subject (allowed: {', '.join(SUBJECTS)})")
        if r["from"] == r["to"]:
            errs.append(f"{key}: from and to are both '{r['from']}'")
        if (r["stage"], r["from"], r["to"]) in seen:
            errs.append(f"{key}: the pair {r['stage']} {r['from']} -> {r['to']} is given twice")
        seen.add((r["stage"], r["from"], r["to"]))
        if not r["cost"] >= 0:
            errs.append(f"{key}.cost {r['cost']!r} is below 0 (yuan per teacher retrained)")
        if not 0 <= r["share"] <= 1:
            errs.append(f"{key}.share {r['share']!r} is not between 0 and 1")
    return errs


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
    temporary : region, stage, subject, year, headcount — the roster's
        temporary staff still under contract with no action (persons), who
        may stay on as cover beyond ``temporary_share_max``; optional.
    """

    demand: pd.DataFrame
    stock: pd.DataFrame
    retention: pd.DataFrame
    posts: pd.DataFrame
    cap: pd.DataFrame
    base_year: int
    key_teachers: pd.DataFrame | None = None
    temporary: pd.DataFrame | None = None

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

    @cached_property
    def rates(self) -> "Retention":
        """The base-year staff's retention by cell and year (``Retention``):
        the build, its read-back and the rule each ask, some twice."""
        return Retention(self)

    def cells(self) -> list[tuple[str, str]]:
        """(stage, subject) pairs with demand, in stage order."""
        pairs = self.demand[["stage", "subject"]].drop_duplicates()
        order = {s: i for i, s in enumerate(STAGES)}
        return sorted(map(tuple, pairs.to_numpy()), key=lambda p: (order[p[0]], p[1]))


def lookup(frame: pd.DataFrame, keys: list[str], value: str) -> dict:
    """{tuple of key values: value} for a tidy frame."""
    return dict(zip(zip(*(frame[k].tolist() for k in keys)), frame[value].to_numpy(dtype=float).tolist()))


class Retention:
    """Retention of base-year staff by their home cell (region, stage,
    subject, certificate) and year: the share of the cell's base-year
    permanent staff in post in ``year - 1`` still in post in ``year``.

    A teacher moved to another stage or subject keeps the rate of the cell
    they came from (their own age and sex profile), so only home cells have
    rates; a home cell whose staff have all gone keeps nobody (0).

    ``pool(s, j, c, t)`` is the rate of teachers rotated between areas
    through the district pool, which does not say which area sent whom: the
    highest of the areas' rates for that stage, subject and certificate.
    Rotation takes teachers who stay, not those about to retire (rotation
    schemes exempt the last years before retirement), and the highest rate
    keeps the cell's staff in post the supply model's with those at home
    never leaving at less than nothing."""

    def __init__(self, inputs: PlanInputs):
        r = inputs.retention
        self.rates = lookup(r, ["region", "stage", "subject", "certificate", "year"], "rate")
        staffed = r[r.weight > 0]
        self.pool_rates = staffed.groupby(["stage", "subject", "certificate", "year"]).rate.max().to_dict()

    def __call__(self, region: str, stage: str, subject: str, certificate: str, year: int) -> float:
        return self.rates[(region, stage, subject, certificate, year)]

    def pool(self, stage: str, subject: str, certificate: str, year: int) -> float:
        return self.pool_rates.get((stage, subject, certificate, year), 0.0)

    def survival(self, stage: str, subject: str, certificate: str, start: int, end: int) -> float:
        """Share of pooled (rotated) teachers in post at the end of ``start``
        still in post at the end of ``end``."""
        out = 1.0
        for t in range(start + 1, end + 1):
            out *= self.pool(stage, subject, certificate, t)
        return out


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
    is the supply projection for the key teachers alone. Home cells with no
    base-year staff are left out: nobody's exits follow them.
    """
    temp = supply[(supply.status == "temporary") & supply.year.isin(years)]
    temp = temp.groupby(["region", "stage", "subject", "year"], as_index=False).headcount.sum()
    perm = supply[supply.status == "permanent"]
    keys = ["region", "stage", "subject", "certificate"]
    wide = wide_table(perm, keys, "year", "headcount")
    wide = wide[wide[base_year] > 0]
    stock = wide[base_year].rename("headcount").reset_index()
    # every plan year at once, year after year: a frame per year cost 3% of a county's run
    prev = wide[[t - 1 for t in years]].to_numpy(float).T
    cur = wide[list(years)].to_numpy(float).T
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(prev > 0, cur / prev, 0.0)  # an empty cell keeps nobody
    cells = {k: np.tile(wide.index.get_level_values(k).to_numpy(), len(years)) for k in keys}
    retention = pd.DataFrame({**cells, "year": np.repeat(np.asarray(years, dtype=np.int64), len(wide)),
                              "rate": rate.ravel(), "weight": prev.ravel()})
    return PlanInputs(
        demand=demand[demand.year.isin(years)].reset_index(drop=True),
        stock=stock,
        retention=retention,
        posts=posts[posts.year == base_year][["region", "stage", "posts"]].reset_index(drop=True),
        cap=cap[cap.year.isin(years)].reset_index(drop=True),
        base_year=base_year,
        key_teachers=None if key_supply is None else key_supply[key_supply.status == "permanent"].groupby(
            ["region", "year"], as_index=False).headcount.sum(),
        temporary=temp,
    )

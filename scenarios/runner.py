"""Run a scenario: data -> enrolment -> demand, supply, gap -> plan."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast.cohort import CohortModel, Projection
from forecast.demand import DemandParams, demand
from forecast.errors import InputError
from forecast.grades import STAGES, GradeMap
from forecast.gap import no_action_gap, turning_points
from forecast.peaks import peak_table
from forecast.supply import SupplyParams, estimate_attrition, project_supply
from optimize.plan import Plan, solve_plan
from optimize.problem import PlanParams, plan_inputs
from scenarios.inputs import check_grades, read_table
from scenarios.schema import DATA_TABLES, Scenario

#: region label of district totals in enrolment_stage.csv
DISTRICT = "_district"


@dataclass
class RunResult:
    """Everything a run computed, as tidy frames (see README for columns)."""

    scenario: Scenario
    enrolment: pd.DataFrame
    enrolment_stage: pd.DataFrame
    demand: pd.DataFrame
    supply: pd.DataFrame
    gap: pd.DataFrame
    peaks: pd.DataFrame
    turns: pd.DataFrame
    plan: Plan
    input_hashes: dict
    timings: dict = field(default_factory=dict)
    #: the cohort model's weight against no change, by stage (forecast.combine)
    forecast_weights: dict = field(default_factory=dict)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The run's tables by CSV name (without .csv)."""
        return {
            "enrolment": self.enrolment, "enrolment_stage": self.enrolment_stage, "demand": self.demand,
            "supply": self.supply, "gap": self.gap, "gap_turns": self.turns, "peaks": self.peaks,
            "plan_staff": self.plan.staff, "plan_posts": self.plan.posts, "plan_moves": self.plan.moves,
            "plan_hires": self.plan.hires, "plan_comparison": self.plan.comparison(),
            "plan_violations": self.plan.violations, "plan_key": self.plan.key,
        }

    def summary(self) -> dict:
        """The three numbers that matter, over the first three plan years:
        shortfall with no action (FTE-years), extra posts the plan uses over the
        base year at peak (posts), and the plan's cost (yuan)."""
        years = sorted(self.plan.staff.year.unique())[:3]
        gap = self.gap[self.gap.year.isin(years)]
        plan = self.plan.staff[self.plan.staff.year.isin(years)]
        comp = self.plan.comparison()
        lp = comp[(comp.plan == "lp") & comp.year.isin(years)]
        # permanent posts the plan fills plus what it leaves short, against the
        # base year's establishment: the posts it would take to close the gap
        need = plan.groupby("year").apply(lambda d: d.stock_end.sum() + d.shortfall.sum(), include_groups=False)
        base_posts = float(self.plan.base_posts)
        return {
            "years": [int(y) for y in years],
            "shortfall_no_action": float(gap.shortfall.sum()),
            "shortfall_after_plan": float(plan.shortfall.sum()),
            "posts_needed": float(max(0.0, need.max() - base_posts)),
            "hires": float(plan.hires.sum()),
            "cost": float(lp.cost.sum()),
        }


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def grade_map_of(s: Scenario) -> GradeMap:
    g = s.settings.get("grades", {})
    stages = {k: tuple(v) for k, v in g.items() if k in STAGES}
    for k, v in stages.items():
        if len(v) != 2 or not all(isinstance(x, int) for x in v):
            raise InputError(f"{s.path}: key 'grades.{k}' must be [first grade, last grade]")
    if not stages:
        return GradeMap(first_grade_age=g.get("first_grade_age", 6))
    return GradeMap(stages=stages, first_grade_age=g.get("first_grade_age", 6))


def demand_params(s: Scenario) -> DemandParams:
    d = DemandParams()
    sec = s.settings.get("demand", {})
    kw = {}
    for key in ("staff_ratio", "class_size", "load"):
        if key in sec:
            kw[key] = {**getattr(d, key), **sec[key]}
    for key in ("teacher_share", "kindergarten_teachers_per_class"):
        if key in sec:
            kw[key] = float(sec[key])
    if "selection_groups" in sec:
        kw["selection_groups"] = {k: float(v) for k, v in sec["selection_groups"].items()}
    return DemandParams(**{**d.__dict__, **kw})


def supply_params(s: Scenario, estimated: dict | None = None) -> SupplyParams:
    """Supply settings: defaults, then rates estimated from roster history
    (if any), then the scenario's explicit rates."""
    d = SupplyParams()
    sec = s.settings.get("supply", {})
    bands = {**d.attrition, **(estimated or {})}
    for key, band in (("attrition_under_30", 29), ("attrition_30_39", 39), ("attrition_40_49", 49),
                      ("attrition_50_plus", 99)):
        if key in sec:
            bands[band] = float(sec[key])
    return SupplyParams(attrition=bands, temporary_attrition=sec.get("temporary_attrition", d.temporary_attrition),
                        female_track=sec.get("female_track", d.female_track),
                        returner_rate=sec.get("returner_rate", d.returner_rate))


def plan_params(s: Scenario) -> PlanParams:
    d = PlanParams()
    sec = {k: v for k, v in s.settings.get("plan", {}).items() if k not in ("years", "cap_change", "freeze_cap", "solver")}
    if "graduate_supply" in sec:
        sec["graduate_supply"] = {**d.graduate_supply, **sec["graduate_supply"]}
    return PlanParams(**{**d.__dict__, **sec})


def load_inputs(s: Scenario, gm: GradeMap) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read and check every table the scenario names; hashes for the manifest."""
    tables, hashes, problems = {}, {}, []
    for t in DATA_TABLES:
        path = s.data_path(t)
        try:
            tables[t] = read_table(path, t)
            hashes[t] = {"path": str(path) if s.settings["data"][t] != "default" else f"default/{t}.csv",
                         "sha256": file_hash(path)}
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    check_grades(tables["enrolment"], gm.grades, str(s.data_path("enrolment")))
    _check_consistency(s, tables)
    return tables, hashes


def _check_consistency(s: Scenario, t: dict[str, pd.DataFrame]) -> None:
    base = s.settings["data"]["base_year"]
    errs = []
    regions = set(t["enrolment"].region)
    last = int(t["enrolment"].year.max())
    if last != base:
        errs.append(f"{s.data_path('enrolment')}: last year is {last} but data.base_year is {base}")
    for table in ("births", "roster", "posts", "cap"):
        have = set(t[table].region)
        if have - regions:
            errs.append(f"{s.data_path(table)}: regions {sorted(have - regions)} are not in the enrolment table")
        if table in ("births", "posts", "cap") and regions - have:
            errs.append(f"{s.data_path(table)}: no rows for regions {sorted(regions - have)}")
    years = int(s.get("plan", "years", 10))
    need = set(range(base + 1, base + years + 1))
    for region, g in t["cap"].groupby("region"):
        miss = sorted(need - set(g.year))
        if miss:
            errs.append(f"{s.data_path('cap')}: region {region} has no cap for years {miss[:5]}"
                        f"{'…' if len(miss) > 5 else ''}")
    change = float(s.get("plan", "cap_change", 0))
    later = t["cap"][t["cap"].year > base]
    smallest = later.groupby("year").cap.sum().min() if len(later) else 0.0
    if change < -smallest:
        errs.append(f"{s.path}: plan.cap_change {change:,.0f} leaves a negative cap; the district cap is "
                    f"{smallest:,.0f} posts in its smallest plan year, so the change must be at least {-smallest:,.0f}")
    if s.get("plan", "freeze_cap", False):
        lacking = sorted(regions - set(t["cap"][t["cap"].year == base].region))
        if lacking:
            errs.append(f"{s.data_path('cap')}: plan.freeze_cap holds each area's cap at the base year {base}, "
                        f"but regions {lacking} have no cap for {base}")
    if not (t["posts"].year == base).any():
        errs.append(f"{s.data_path('posts')}: no posts for the base year {base}")
    if errs:
        raise InputError("\n".join(errs))


def _cap_with_change(cap: pd.DataFrame, change: float, base: int, freeze: bool = False) -> pd.DataFrame:
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


def enrolment_frames(proj: Projection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observed and projected enrolment by grade and by stage (persons)."""
    hist = proj.history()
    hist["stage"] = hist.grade.map(proj.grade_map.stage_of)
    for c in ("lo80", "hi80", "lo95", "hi95"):
        hist[c] = hist.students
    by_grade = pd.concat([hist.assign(kind="observed"), proj.by_grade().assign(kind="projected")],
                         ignore_index=True)
    cols = ["region", "stage", "grade", "year", "kind", "students", "lo80", "hi80", "lo95", "hi95"]
    by_grade = by_grade[cols].sort_values(["region", "grade", "year"], ignore_index=True)
    hist_stage = hist.groupby(["region", "stage", "year"], as_index=False).students.sum()
    for c in ("lo80", "hi80", "lo95", "hi95"):
        hist_stage[c] = hist_stage.students
    # the district total's intervals come from path sums (quantiles do not add)
    district_hist = hist_stage.groupby(["stage", "year"], as_index=False)[
        ["students", "lo80", "hi80", "lo95", "hi95"]].sum().assign(region=DISTRICT)
    by_stage = pd.concat([hist_stage.assign(kind="observed"), district_hist.assign(kind="observed"),
                          proj.by_stage().assign(kind="projected"),
                          proj.district_by_stage(DISTRICT).assign(kind="projected")], ignore_index=True)
    cols = ["region", "stage", "year", "kind", "students", "lo80", "hi80", "lo95", "hi95"]
    return by_grade, by_stage[cols].sort_values(["region", "stage", "year"], ignore_index=True)


def _adjustments(s: Scenario, enrolment: pd.DataFrame, gm: GradeMap) -> pd.DataFrame:
    """Pupils the scenario adds (new housing, planned migration); unknown
    areas or grades are errors, not silently ignored."""
    items = s.get("forecast", "adjustments", [])
    df = pd.DataFrame(items, columns=["region", "grade", "year", "students"])
    errs = []
    for i, row in enumerate(df.itertuples(index=False)):
        if row.region not in set(enrolment.region):
            errs.append(f"{s.path}: forecast.adjustments[{i}].region '{row.region}' is not an area in the data")
        if row.grade not in gm.grades:
            errs.append(f"{s.path}: forecast.adjustments[{i}].grade {row.grade} is not in the grade map")
        if row.year <= int(enrolment.year.max()):
            errs.append(f"{s.path}: forecast.adjustments[{i}].year {row.year} is not a projected year")
    if errs:
        raise InputError("\n".join(errs))
    return df


def run(s: Scenario, progress=None) -> RunResult:
    """Run one scenario end to end. ``progress`` is an optional callable(str)."""
    say = progress or (lambda msg: None)
    timings = {}
    t0 = time.perf_counter()
    gm = grade_map_of(s)
    tables, hashes = load_inputs(s, gm)
    base = int(s.settings["data"]["base_year"])
    fc = s.settings.get("forecast", {})
    horizon = int(fc.get("horizon", 10))
    plan_years = int(s.get("plan", "years", horizon))
    if plan_years > horizon:
        raise InputError(f"{s.path}: plan.years ({plan_years}) is beyond forecast.horizon ({horizon})")
    timings["read"] = time.perf_counter() - t0

    say("enrolment projection")
    t = time.perf_counter()
    model = CohortModel(tables["enrolment"], tables["births"], gm, estimator=fc.get("estimator", "ses"),
                        k=int(fc.get("window", 3)), alpha=float(fc.get("alpha", 0.4)),
                        entry_spread=float(fc.get("entry_spread", 0.0)))
    adjustments = _adjustments(s, tables["enrolment"], gm)
    fit = model.fit()
    proj = fit.project(horizon, paths=int(fc.get("paths", 1000)), seed=int(fc.get("seed", 0)),
                               births_factor=float(fc.get("births_factor", 1.0)), adjustments=adjustments,
                               births_variant=fc.get("births_variant", "central"))
    enrol, enrol_stage = enrolment_frames(proj)
    timings["enrolment"] = time.perf_counter() - t

    say("demand and supply")
    t = time.perf_counter()
    central = enrol[enrol.year >= base][["region", "grade", "year", "students"]]
    dem = demand(central, gm, s.get("demand", "method", "ratio"), demand_params(s))
    estimated = None
    previous = s.get("data", "roster_previous")
    if previous is not None:
        before = read_table(Path(previous), "roster")
        estimated = estimate_attrition(before, tables["roster"], base - 1, supply_params(s))
        hashes["roster_previous"] = {"path": previous, "sha256": file_hash(Path(previous))}
    supply = project_supply(tables["roster"], base, base + plan_years, supply_params(s, estimated))
    gap = no_action_gap(dem[dem.year <= base + plan_years], supply)
    timings["demand_supply"] = time.perf_counter() - t

    say("staffing plan")
    t = time.perf_counter()
    years = list(range(base + 1, base + plan_years + 1))
    cap = _cap_with_change(tables["cap"], float(s.get("plan", "cap_change", 0)), base,
                           bool(s.get("plan", "freeze_cap", False)))
    key_supply = None
    if s.get("plan", "key_share_floor") is not None:
        roster = tables["roster"]
        key_supply = project_supply(roster[roster.key == 1], base, base + plan_years, supply_params(s, estimated))
    inputs = plan_inputs(dem, supply, tables["posts"], cap, base, years, key_supply)
    plan = solve_plan(inputs, plan_params(s), solver=s.get("plan", "solver", "highs"))
    timings["plan"] = time.perf_counter() - t
    timings["plan_build"] = plan.build_seconds
    timings["plan_solve"] = plan.info.seconds
    peaks = peak_table(enrol_stage[enrol_stage.region == DISTRICT], gm)
    weights = {stage: round(float(w), 4) for stage, w in fit.weights.weight.items()}
    return RunResult(s, enrol, enrol_stage, dem, supply, gap, peaks, turning_points(gap), plan, hashes, timings,
                     weights)

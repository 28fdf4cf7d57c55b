"""What a run computed, as tidy frames, and the few numbers it leads with."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from forecast.enrolment import DISTRICT
from optimize.plan import Plan
from scenarios.schema import Scenario
from scenarios.summary import summarise

if TYPE_CHECKING:
    from scenarios.stochastic import StochasticResult


def area_caps(posts: pd.DataFrame) -> pd.DataFrame:
    """One row per area and plan year: cap, posts allocated to its stages and
    posts filled (posts), from the plan's posts by area, stage and year."""
    g = posts.groupby(["region", "year"])
    return pd.DataFrame({"cap": g.cap.first(), "posts": g.posts.sum(), "filled": g.filled.sum()}).reset_index()


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
    #: display names of the areas (the optional ``areas`` input: region, name[, name_en])
    areas: pd.DataFrame | None = None
    #: the base year's establishment: region, stage, posts (the posts input at the base year)
    base_posts: pd.DataFrame | None = None
    #: each area's own weights, and how many earlier errors each stage's
    #: interval rests on, lead by lead (forecast.intervals)
    forecast_record: dict = field(default_factory=dict)
    #: the stochastic plan and both plans judged on fresh paths (``plan.stochastic``), or None
    stochastic: "StochasticResult | None" = None
    #: planning units (districts) the plan was solved as
    plan_units: int = 1
    #: what the plan was solved for (optimize.problem.PlanInputs), to re-solve it with other settings
    plan_inputs: object = None

    def stage_totals(self) -> pd.DataFrame:
        """Pupils by stage and year for the whole data set: stage, year, kind,
        students, lo80, hi80, lo95, hi95 (persons). A lone district's are its
        own ``_district`` rows (bands from path sums); a city's are its
        districts' summed, bands too — the districts' errors taken to move
        together, which is what a shared birth trend does, so the city's bands
        are an upper bound on their spread."""
        d = self.enrolment_stage[self.enrolment_stage.region == DISTRICT]
        if "district" not in d.columns:
            return d
        cols = ["students", "lo80", "hi80", "lo95", "hi95"]
        return d.groupby(["stage", "year", "kind"], as_index=False)[cols].sum().assign(region=DISTRICT)

    def area_names(self, lang: str) -> dict[str, str]:
        """Region code -> the name the report shows: ``name`` in Chinese,
        ``name_en`` (or the code) in English; the code where none is given."""
        regions = sorted(self.plan.staff.region.unique())
        if self.areas is not None and len(self.areas):  # in the areas table's order
            order = {r: i for i, r in enumerate(self.areas.region)}
            regions.sort(key=lambda r: order.get(r, len(order)))
        names = {r: r for r in regions}
        if self.areas is not None and len(self.areas):
            col = "name" if lang == "zh" or "name_en" not in self.areas else "name_en"
            given = {r: n for r, n in zip(self.areas.region, self.areas[col]) if isinstance(n, str) and n}
            names.update({r: given[r] for r in regions if r in given})
        return names

    def frames(self) -> dict[str, pd.DataFrame]:
        """The run's tables by CSV name (without .csv). ``plan_posts`` holds
        posts per area, stage and year; the area's cap, which binds the sum of
        its stages, is in ``plan_caps`` once per area and year (on every stage
        row, a sum over stages gave the cap times the number of stages)."""
        posts = self.plan.posts
        city = {f"city_{k}": self.plan.city[k] for k in ("prices", "posts") if k in self.plan.city}
        return {
            "enrolment": self.enrolment, "enrolment_stage": self.enrolment_stage, "demand": self.demand,
            "supply": self.supply, "gap": self.gap, "gap_turns": self.turns, "peaks": self.peaks,
            "plan_staff": self.plan.staff, "plan_posts": posts.drop(columns="cap"), "plan_caps": area_caps(posts),
            "plan_moves": self.plan.moves, "plan_hires": self.plan.hires, "plan_comparison": self.plan.comparison(),
            "plan_value": self.plan.value(), "post_value": self.plan.post_value,
            "plan_violations": self.plan.violations, "plan_key": self.plan.key, **city,
            **({} if self.stochastic is None else {"plan_stochastic": self.stochastic.decisions(self.plan),
                                                   "plan_risk": self.stochastic.risk()}),
        }

    def summary(self) -> dict:
        """The numbers that matter, over the first three plan years (see
        ``scenarios.summary.summarise``)."""
        return summarise(self)

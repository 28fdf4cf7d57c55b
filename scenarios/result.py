"""What a run computed, as tidy frames, and the few numbers it leads with."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from optimize.plan import Plan
from scenarios.schema import Scenario
from scenarios.summary import summarise


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
    #: what the plan was solved for (optimize.problem.PlanInputs), to re-solve it with other settings
    plan_inputs: object = None

    def frames(self) -> dict[str, pd.DataFrame]:
        """The run's tables by CSV name (without .csv)."""
        return {
            "enrolment": self.enrolment, "enrolment_stage": self.enrolment_stage, "demand": self.demand,
            "supply": self.supply, "gap": self.gap, "gap_turns": self.turns, "peaks": self.peaks,
            "plan_staff": self.plan.staff, "plan_posts": self.plan.posts, "plan_moves": self.plan.moves,
            "plan_hires": self.plan.hires, "plan_comparison": self.plan.comparison(),
            "plan_value": self.plan.value(), "post_value": self.plan.post_value,
            "plan_violations": self.plan.violations, "plan_key": self.plan.key,
        }

    def summary(self) -> dict:
        """The numbers that matter, over the first three plan years (see
        ``scenarios.summary.summarise``)."""
        return summarise(self)

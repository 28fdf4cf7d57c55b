"""The staffing plan: a multi-year LP (PuLP + HiGHS) and its baselines."""
from optimize.problem import PlanInputs, PlanParams
from optimize.plan import solve_plan, Plan
from optimize.rule import rule_plan

__all__ = ["PlanInputs", "PlanParams", "solve_plan", "Plan", "rule_plan"]

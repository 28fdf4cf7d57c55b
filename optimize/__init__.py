"""The staffing plan: a multi-year LP (PuLP + HiGHS) and a greedy baseline."""
from optimize.problem import PlanInputs, PlanParams
from optimize.plan import solve_plan, Plan
from optimize.greedy import greedy_plan

__all__ = ["PlanInputs", "PlanParams", "solve_plan", "Plan", "greedy_plan"]

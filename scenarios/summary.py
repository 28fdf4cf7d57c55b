"""The numbers a run leads with, over the first three plan years."""
from __future__ import annotations


def summarise(result) -> dict:
    """Shortfall with no action and after the plan (FTE-years), posts still
    needed beyond the scenario's own (posts), hires (persons) and the plan's
    cash cost (yuan), over the first three plan years.

    Posts still needed: the district's largest shortfall left by the plan in
    one of those years (FTE; one post per FTE). The plan has already used
    every post the scenario gives where a teacher could fill it, so this is
    what the cap lacks on top of them — a scenario with 200 more posts needs
    about 200 fewer (fewer where hiring or mentoring limits, not posts, leave
    the shortfall)."""
    years = sorted(result.plan.staff.year.unique())[:3]
    gap = result.gap[result.gap.year.isin(years)]
    plan = result.plan.staff[result.plan.staff.year.isin(years)]
    comp = result.plan.comparison()
    lp = comp[(comp.plan == "lp") & comp.year.isin(years)]
    return {
        "years": [int(y) for y in years],
        "shortfall_no_action": float(gap.shortfall.sum()),
        "shortfall_after_plan": float(plan.shortfall.sum()),
        "posts_needed": float(plan.groupby("year").shortfall.sum().max()),
        "hires": float(plan.hires.sum()),
        "cost": float(lp.cost.sum()),
    }

"""The numbers a run leads with, over the first three plan years."""
from __future__ import annotations


def summarise(result) -> dict:
    """Shortfall with no action and after the plan (FTE-years), extra posts
    the plan uses over the base year at peak (posts), hires (persons) and the
    plan's cost (yuan), over the first three plan years."""
    years = sorted(result.plan.staff.year.unique())[:3]
    gap = result.gap[result.gap.year.isin(years)]
    plan = result.plan.staff[result.plan.staff.year.isin(years)]
    comp = result.plan.comparison()
    lp = comp[(comp.plan == "lp") & comp.year.isin(years)]
    # permanent posts the plan fills plus what it leaves short, against the
    # base year's establishment: the posts it would take to close the gap
    need = plan.groupby("year").apply(lambda d: d.stock_end.sum() + d.shortfall.sum(), include_groups=False)
    base_posts = float(result.plan.base_posts)
    return {
        "years": [int(y) for y in years],
        "shortfall_no_action": float(gap.shortfall.sum()),
        "shortfall_after_plan": float(plan.shortfall.sum()),
        "posts_needed": float(max(0.0, need.max() - base_posts)),
        "hires": float(plan.hires.sum()),
        "cost": float(lp.cost.sum()),
    }

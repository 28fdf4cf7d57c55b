"""How many more posts close the gap? The baseline with 0 to 600 extra posts.

Run it with ``python -m scenarios.examples.cap_sweep [EXTRA ...]``: it prints,
for each number of extra posts, the shortfall left in the next three years
(FTE-years) and the plan's cost (yuan), and writes the budget pack of the
last one to ./runs.
"""
from __future__ import annotations

import sys

import pandas as pd

from scenarios import Scenario, load_scenario, run, write_run


def cap_sweep(extra_posts: list[int], out: str = "runs", lang: str = "en", base: Scenario | None = None) -> pd.DataFrame:
    """One row per number of extra posts over ``base`` (default: the
    embedded baseline): shortfall in the next three years and over all plan
    years (FTE-years), hires (persons), cost in the next three years (yuan)."""
    base = base or load_scenario()
    rows = []
    for extra in extra_posts:
        result = run(base.override(name=f"cap_plus_{extra}", plan={"cap_change": extra}))
        s = result.summary()
        rows.append({"extra_posts": extra, "shortfall_3y": s["shortfall_after_plan"],
                     "shortfall_all_years": result.plan.staff.shortfall.sum(),
                     "hires": result.plan.staff.hires.sum(), "cost_3y": s["cost"]})
    print(write_run(result, out, lang=lang))
    return pd.DataFrame(rows)


if __name__ == "__main__":
    steps = [int(a) for a in sys.argv[1:]] or [0, 200, 400, 600]
    table = cap_sweep(steps)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))

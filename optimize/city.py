"""A city of districts: the settings that tie them, and the split by district.

In China the district (区/县) employs the teachers (区管校聘), holds the
establishment, recruits and rotates within itself; the city sets each
district's quota and shares a labour market of graduates. So a city's plan is
one plan per district — each with its own cap, rotation pool, mentoring and
key-teacher limits — tied by at most three kinds of city-level row per plan
year (``CityParams``): the graduates of each certificate that all districts
recruit from, the city's establishment total that the plan shares among the
districts, and a city budget.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from forecast.grades import STAGES
from forecast.settings import NUMBER, STAGE_MAP, setting
from optimize.problem import PlanInputs

if TYPE_CHECKING:  # the plan imports the problem, which imports this module's settings
    from optimize.plan import Plan


@dataclass(frozen=True)
class CityParams:
    """City-level rows of a plan with several districts (``[city]``); each
    is optional: not set, the districts plan apart."""

    graduate_supply: dict[str, float] | None = setting(
        kind=STAGE_MAP, keys=STAGES, lo=0, hi=1e7, unit="persons per year",
        doc="graduates per certificate that all districts recruit from together (not set: each district's own "
            "plan.graduate_supply or graduates table)")
    cap_total: float | None = setting(kind=NUMBER, lo=0, hi=1e8, unit="posts",
                                      doc="the city's establishment total in every plan year, shared among the "
                                          "districts by the plan; each area's own cap still holds (not set: "
                                          "the areas' caps only)")
    budget: float | None = setting(kind=NUMBER, lo=0, hi=1e14, unit="yuan per year",
                                   doc="salaries, hires, moves and cover of all districts together (not set: none)")
    method: str = setting("decompose", choices=("decompose", "joint"),
                          doc="decompose: each district solved apart and the city rows coordinated exactly; "
                              "joint: one LP for the whole city (small cities)")
    tolerance: float = setting(1e-6, lo=1e-9, hi=1e-2, unit="relative gap",
                               doc="how close the decomposition's bounds must come (the joint optimum to this "
                                   "share of the objective)")

    @property
    def linked(self) -> bool:
        """Whether any city-level row ties the districts."""
        return any(v is not None for v in (self.graduate_supply, self.cap_total, self.budget))


def split_by_district(inputs: PlanInputs, district_of: pd.Series) -> dict[str, PlanInputs]:
    """One ``PlanInputs`` per district (``district_of``: region -> district),
    every frame of the inputs cut to the district's areas."""
    out = {}
    for district, regions in district_of.groupby(district_of).groups.items():
        keep = set(regions)
        parts = {}
        for f in dataclasses.fields(PlanInputs):
            value = getattr(inputs, f.name)
            if isinstance(value, pd.DataFrame) and "region" in value.columns:
                value = value[value.region.isin(keep)].reset_index(drop=True)
            parts[f.name] = value
        out[str(district)] = PlanInputs(**parts)
    return out


def stack_districts(frames: Sequence[pd.DataFrame], districts: Sequence[str]) -> pd.DataFrame:
    """The districts' frames one under the other, a ``district`` column
    first. The column is made once for all rows: adding it to each of a
    country's 2,850 frames before stacking cost 0.35 ms a frame, 20 tables
    a county."""
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "district", np.repeat(np.array(districts, dtype=object), [len(f) for f in frames]))
    return out


def _combine(values: list, districts: list[str] | None):
    """One value from the districts' values of one field: frames stacked
    with a district column (``districts`` None: frames that have one
    already, one after the other), dicts combined key by key, numbers summed."""
    first = values[0]
    if isinstance(first, pd.DataFrame):
        if districts is None:
            kept = [v for v in values if len(v.columns)]
            return pd.concat(kept, ignore_index=True) if kept else first
        kept = [(v, d) for v, d in zip(values, districts) if len(v.columns)]
        return stack_districts(*zip(*kept)) if kept else first
    if isinstance(first, dict):
        return {k: _combine([v[k] for v in values], districts) for k in first}
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return type(first)(sum(values))
    return first


def combine_plans(plans: dict[str, Plan]) -> Plan:
    """The city's plan from its districts' plans: every table with a
    ``district`` column; solver time (HiGHS's own, seconds) and objective
    (yuan-equivalent) summed; optimal only if every district's plan is."""
    return _merged(list(plans.values()), list(plans))


def concat_plans(plans: list[Plan]) -> Plan:
    """Plans of groups of districts (each from ``combine_plans``) as one, in
    their order: tables one after the other, as ``combine_plans`` sums."""
    return _merged(plans, None)


def _merged(plans: list[Plan], districts: list[str] | None) -> Plan:
    from optimize.plan import Plan
    from optimize.solve import SolveInfo

    kw = {}
    for f in dataclasses.fields(Plan):
        values = [getattr(p, f.name) for p in plans]
        if f.name == "info":
            kw[f.name] = SolveInfo(values[0].solver, "Optimal" if all(v.status == "Optimal" for v in values)
                                   else "mixed", sum(v.seconds for v in values), sum(v.objective for v in values),
                                   any(v.relaxed for v in values))
        else:
            kw[f.name] = _combine(values, districts)
    return Plan(**kw)

"""One district's forecast: enrolment, demand, supply, the no-action gap and
the plan's inputs — the unit of work a city or a country is split into.

The district (区/县) is the planning unit: its areas' enrolment is projected
together (ratio errors and combination weights pooled over its areas), its
teachers are its own. A city's districts run as independent tasks
(``scenarios.engine``), each with its own seed derived from the scenario's,
so a district's figures do not depend on which other districts ran with it.
"""
from __future__ import annotations

import copy
import hashlib
import pickle
import zlib
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np
import pandas as pd

from forecast.demand import demand
from forecast.enrolment import EnrolmentForecast, project_enrolment
from forecast.gap import no_action_gap
from forecast.supply import estimate_attrition, project_supply, with_history
from optimize.problem import PlanInputs, PlanParams, plan_inputs
from scenarios.schema import Scenario

#: tables cut by area (region) for a district; the others are whole-data-set tables
BY_AREA = ("births", "enrolment", "roster", "posts", "cap", "roster_previous", "areas")


@dataclass
class DistrictForecast:
    """What one district's data give the plan and the run's tables (persons,
    FTE): enrolment (its frames, weights and paths), demand, supply, the
    no-action gap and the plan's inputs (None once the district's own task
    has planned it: ``scenarios.runner._district``)."""

    district: str
    enrolment: EnrolmentForecast
    demand: pd.DataFrame
    supply: pd.DataFrame
    gap: pd.DataFrame
    plan_inputs: PlanInputs | None


def split_districts(tables: dict[str, pd.DataFrame], home: pd.Series) -> dict[str, dict[str, pd.DataFrame]]:
    """Every district's tables (each table cut to the district's areas), cut in one pass
    over each table: cutting a country's 5-million-row roster once per
    county took 0.07 s a county, 200 s for 2,850 of them. ``home``: region ->
    district."""
    names = sorted(set(home))
    out = {d: {} for d in names}
    for name, t in tables.items():
        if name not in BY_AREA or "region" not in t:
            for d in names:
                out[d][name] = t
            continue
        code = pd.Categorical(t.region.map(home), categories=names).codes
        order = np.argsort(code, kind="stable")
        bounds = np.searchsorted(code[order], np.arange(len(names) + 1))
        for k, d in enumerate(names):
            out[d][name] = t.iloc[order[bounds[k]:bounds[k + 1]]].reset_index(drop=True)
    return out


def district_seed(seed: int, district: str, several: bool) -> int:
    """The district's own seed: the scenario's for a lone district, else a
    stable mix of it and the district's name."""
    return seed if not several else (seed + zlib.crc32(district.encode("utf-8"))) % 2**32


#: enrolment forecasts kept for runs that share them (``shared_enrolment``), newest last, by their inputs
_KEPT: OrderedDict[bytes, EnrolmentForecast] = OrderedDict()
#: at most this many kept: the scenarios compared together have a few distinct forecasts (the library's
#: 18: four, the baseline's and those of low births, high births and new housing)
KEEP = 4
#: open ``shared_enrolment`` blocks in this process
_sharing = 0


@contextmanager
def shared_enrolment(keep: bool = False) -> Iterator[None]:
    """Within it, ``forecast_district`` projects enrolment once for each set
    of inputs — the enrolment and births tables, the grade map and the
    ``[forecast]`` settings with the district's seed, which is all that
    ``project_enrolment`` reads — and hands each run its own copy of that
    forecast: the same figures, bit for bit, as projecting again (the
    projection is seeded), in a fraction of the time (a deep copy of the
    default district's forecast, against 0.6 s to project it). For runs
    that differ only in what comes after the enrolment forecast: demand,
    supply, the plan (``scenarios.compare``).

    Up to ``KEEP`` forecasts are kept, the least recently used dropped
    first. They are let go when the outermost block ends, unless ``keep``:
    then they stay for the next block in this process (a Dask worker's next
    task of the same comparison)."""
    global _sharing
    _sharing += 1
    try:
        yield
    finally:
        _sharing -= 1
        if not _sharing and not keep:
            _KEPT.clear()


def _enrolment_key(tables: dict[str, pd.DataFrame], gm, fc) -> bytes:
    """What ``project_enrolment`` reads, as one digest: equal frames and
    settings give equal pickles (frames laid out differently in memory may
    not, which costs a second projection, never a wrong one)."""
    h = hashlib.sha256()
    for part in (tables["enrolment"], tables["births"], gm, fc):
        h.update(pickle.dumps(part, protocol=5))
    return h.digest()


def _project(tables: dict[str, pd.DataFrame], gm, fc) -> EnrolmentForecast:
    """``project_enrolment``, once per set of inputs inside ``shared_enrolment``."""
    if not _sharing:
        return project_enrolment(tables["enrolment"], tables["births"], gm, fc)
    key = _enrolment_key(tables, gm, fc)
    kept = _KEPT.get(key)
    if kept is None:
        kept = _KEPT[key] = project_enrolment(tables["enrolment"], tables["births"], gm, fc)
        while len(_KEPT) > KEEP:
            _KEPT.popitem(last=False)
    else:
        _KEPT.move_to_end(key)
    return copy.deepcopy(kept)  # never the kept one: a run may change its own forecast


def forecast_district(s: Scenario, tables: dict[str, pd.DataFrame], district: str = "district",
                      several: bool = False) -> DistrictForecast:
    """Project one district: enrolment, demand, supply, gap, plan inputs.
    ``tables["cap"]`` is the cap the plan must keep (``adjust_cap`` applied
    to the whole data set, so that a city's extra posts are shared among all
    its areas)."""
    gm, base, years = s.grades, s.base_year, s.plan_years
    fc = replace(s.forecast, seed=district_seed(s.forecast.seed, district, several))
    enrolment = _project(tables, gm, fc)
    need = demand(enrolment.central(base), gm, s.demand)
    supply_params = s.supply
    if "roster_previous" in tables:
        estimated = estimate_attrition(tables["roster_previous"], tables["roster"], base - 1, supply_params)
        supply_params = with_history(supply_params, estimated, keep=set(s.settings.get("supply", {})))
    supply = project_supply(tables["roster"], base, years[-1], supply_params)
    gap = no_action_gap(need[need.year <= years[-1]], supply)
    key_supply = None
    if s.plan.key_share_floor is not None:
        roster = tables["roster"]
        key_supply = project_supply(roster[roster.key == 1], base, years[-1], supply_params)
    inputs = plan_inputs(need, supply, tables["posts"], tables["cap"], base, years, key_supply)
    return DistrictForecast(district, enrolment, need, supply, gap, inputs)


def district_plan_params(params: PlanParams, district: str, graduates: pd.DataFrame | None) -> PlanParams:
    """The plan's settings for one district: its own graduate supply where
    the graduates table gives one (certificates it does not list keep
    ``plan.graduate_supply``)."""
    if graduates is None:
        return params
    g = graduates if "district" not in graduates.columns else graduates[graduates.district == district]
    if g.empty:
        return params
    return replace(params, graduate_supply={**params.graduate_supply,
                                            **dict(zip(g.certificate, g.graduates.astype(float)))})

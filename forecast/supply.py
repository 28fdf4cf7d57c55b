"""Teachers still in post: the roster aged year by year.

Each roster cell loses teachers to statutory retirement (``retirement``) and
to attrition (resignation, moving out of the district, death), by age band.
Temporary staff have their own attrition. Teachers keep their certificate.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from forecast.retirement import share_in_post
from forecast.settings import setting

CELL = ["region", "stage", "subject", "certificate", "status"]


#: attrition bands: scenario key -> highest age in the band (inclusive)
BANDS = {"attrition_under_30": 29, "attrition_30_39": 39, "attrition_40_49": 49, "attrition_50_plus": 99}


@dataclass(frozen=True)
class SupplyParams:
    """Yearly attrition of permanent staff by age band, of temporary staff,
    the women's retirement track, and the share of a year's leavers (not
    retirees) who return to the same cell a year later. Rates are planning
    assumptions (share of persons per year) unless estimated from a previous
    roster (``estimate_attrition``)."""

    attrition_under_30: float = setting(0.04, lo=0.0, hi=1.0, unit="share per year",
                                        doc="permanent staff under 30 who leave")
    attrition_30_39: float = setting(0.025, lo=0.0, hi=1.0, unit="share per year", doc="aged 30-39 who leave")
    attrition_40_49: float = setting(0.015, lo=0.0, hi=1.0, unit="share per year", doc="aged 40-49 who leave")
    attrition_50_plus: float = setting(0.01, lo=0.0, hi=1.0, unit="share per year",
                                       doc="aged 50 and over who leave (retirement apart)")
    temporary_attrition: float = setting(0.20, lo=0.0, hi=1.0, unit="share per year",
                                         doc="temporary staff who leave")
    female_track: str = setting("F55", choices=("F55", "F50"),
                                doc="retirement track of women teachers (most are on the 55 track)")
    returner_rate: float = setting(0.0, lo=0.0, hi=1.0, unit="share of leavers",
                                   doc="leavers who return to the same cell a year later")

    @property
    def attrition(self) -> dict[int, float]:
        """Highest age of each band (inclusive) -> yearly attrition."""
        return {upper: getattr(self, key) for key, upper in BANDS.items()}

    def rate(self, age: np.ndarray) -> np.ndarray:
        bands = sorted(self.attrition)
        idx = np.searchsorted(np.array(bands), age, side="left")
        return np.array([self.attrition[b] for b in bands])[np.minimum(idx, len(bands) - 1)]


def with_history(params: SupplyParams, estimated: dict[str, float], keep: set[str]) -> SupplyParams:
    """``params`` with the attrition rates estimated from roster history
    (``estimate_attrition``), except the keys in ``keep`` (set explicitly)."""
    return replace(params, **{k: v for k, v in estimated.items() if k not in keep})


def project_supply(roster: pd.DataFrame, base_year: int, last_year: int,
                   params: SupplyParams = SupplyParams()) -> pd.DataFrame:
    """Expected persons in post at the start of each school year.

    Parameters
    ----------
    roster : DataFrame
        Columns region, stage, subject, age, sex, certificate, status, key,
        headcount (persons), as at 1 September of ``base_year``.

    Returns
    -------
    DataFrame with columns region, stage, subject, certificate, status, year,
    headcount, retired, left, returned (persons; flows during the step into
    that year, so headcount[t] = headcount[t-1] − retired − left + returned).
    """
    r = roster.reset_index(drop=True)
    years = np.arange(base_year, last_year + 1)
    n = len(r)
    age0 = r["age"].to_numpy()
    temp = (r["status"] == "temporary").to_numpy()
    in_post = np.empty((n, len(years)))
    alive = np.ones(n)
    head = r["headcount"].to_numpy(float)
    retired = np.zeros((n, len(years)))
    left = np.zeros((n, len(years)))
    returned = np.zeros((n, len(years)))
    leavers = np.zeros(n)  # fraction of the cell that left in the previous step
    # the base year is the roster as observed: everyone in it is in post
    base_share = share_in_post(age0, r["sex"].to_numpy(), base_year, base_year, params.female_track)
    prev_share = np.ones(n)
    for j, y in enumerate(years):
        share = np.ones(n) if j == 0 else np.minimum(
            prev_share, share_in_post(age0, r["sex"].to_numpy(), base_year, int(y), params.female_track)
            / np.where(base_share > 0, base_share, 1.0))
        if j > 0:
            # statutory retirements first, then attrition among those who stay
            retired[:, j] = head * alive * (prev_share - share)
            rate = np.where(temp, params.temporary_attrition, params.rate(age0 + j - 1))
            left[:, j] = head * alive * share * rate
            back = params.returner_rate * leavers
            returned[:, j] = head * back * share
            leavers = alive * rate
            alive = alive * (1 - rate) + back
        in_post[:, j] = head * alive * share
        prev_share = share
    frames = pd.DataFrame({
        **{k: np.repeat(r[k].to_numpy(), len(years)) for k in CELL},
        "year": np.tile(years, n),
        "headcount": in_post.ravel(),
        "retired": retired.ravel(),
        "left": left.ravel(),
        "returned": returned.ravel(),
    })
    return frames.groupby(CELL + ["year"], as_index=False)[["headcount", "retired", "left", "returned"]].sum()


def estimate_attrition(roster_before: pd.DataFrame, roster_after: pd.DataFrame, year_before: int,
                       params: SupplyParams = SupplyParams(), min_age: int = 30) -> dict[int, float]:
    """Yearly attrition by age band from two rosters a year apart.

    Permanent staff aged ``a`` in the first roster who are below statutory
    age a year later should appear aged ``a + 1``; the shortfall is attrition
    (resignations, moves out of the district, deaths). Ages under ``min_age``
    are left out: new hires join there and would hide leavers. Bands with no
    teachers keep ``params``' rate.

    Returns rates by scenario key (``BANDS``: attrition_under_30, …).
    """
    before = roster_before[roster_before.status == "permanent"]
    after = roster_after[roster_after.status == "permanent"]
    share = share_in_post(before.age.to_numpy(), before.sex.to_numpy(), year_before, year_before + 1,
                          params.female_track) / np.maximum(
        share_in_post(before.age.to_numpy(), before.sex.to_numpy(), year_before, year_before,
                      params.female_track), 1e-12)
    expected = (before.headcount * np.minimum(share, 1.0)).groupby(before.age).sum()
    found = after.groupby(after.age - 1).headcount.sum().reindex(expected.index, fill_value=0.0)
    rates = {}
    lower = -1
    for key, upper in sorted(BANDS.items(), key=lambda kv: kv[1]):
        ages = [a for a in expected.index if lower < a <= upper and a >= min_age]
        exp = float(expected.loc[ages].sum()) if ages else 0.0
        rates[key] = float(np.clip(1 - found.loc[ages].sum() / exp, 0.0, 1.0)) if exp > 0 else getattr(params, key)
        lower = upper
    return rates

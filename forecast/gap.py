"""The no-action gap: teachers needed minus teachers still in post."""
from __future__ import annotations

import pandas as pd

from forecast.grades import STAGES
from forecast.wide import wide_table

GAP_KEYS = ["region", "stage", "subject", "year"]
#: FTE-years of shortfall below which a subject is not named as short
MIN_SHORT = 0.5


def no_action_gap(demand: pd.DataFrame, supply: pd.DataFrame) -> pd.DataFrame:
    """demand − staff still in post if nothing is done.

    Parameters
    ----------
    demand : region, stage, subject, year, demand (FTE)
    supply : region, stage, subject, certificate, status, year, headcount (persons)

    Returns
    -------
    One row per region, stage, subject, year: demand, permanent, temporary,
    supply, gap (demand − supply), shortfall (gap where positive), surplus
    (−gap where negative); FTE.
    """
    sup = wide_table(supply, GAP_KEYS, "status", "headcount").fillna(0.0).reindex(
        columns=["permanent", "temporary"], fill_value=0.0)
    g = demand.set_index(GAP_KEYS).join(sup, how="left").fillna({"permanent": 0.0, "temporary": 0.0})
    g["supply"] = g.permanent + g.temporary
    g["gap"] = g.demand - g.supply
    g["shortfall"] = g.gap.clip(lower=0)
    g["surplus"] = (-g.gap).clip(lower=0)
    return g.reset_index()[GAP_KEYS + ["demand", "permanent", "temporary", "supply", "gap", "shortfall", "surplus"]]


def turning_points(gap: pd.DataFrame) -> pd.DataFrame:
    """For each stage (district-wide, subjects netted), its net gap in the
    first year, and the first year it turns from surplus (or balance) to
    shortfall and from shortfall to surplus; <NA> where it does not turn.

    Also ``subject_shortfall``: the stage's cell shortfalls (area x subject x
    year) summed over all years, FTE-years — a stage can be in net surplus
    while some subjects are short — and ``shortfall_subjects``: those
    subjects, most short first (each at least ``MIN_SHORT`` FTE-years),
    separated by ", ".
    """
    net = gap.groupby(["stage", "year"]).gap.sum().unstack("year")
    short = gap.groupby("stage").shortfall.sum()
    by_subject = gap.groupby(["stage", "subject"]).shortfall.sum()
    rows = []
    for stage in [s for s in STAGES if s in net.index]:
        s = net.loc[stage]
        years = list(s.index)
        to_short = next((y for p, y in zip(years, years[1:]) if s[p] <= 0 < s[y]), None)
        to_surplus = next((y for p, y in zip(years, years[1:]) if s[p] >= 0 > s[y]), None)
        subj = by_subject.loc[stage].sort_values(ascending=False)
        names = ", ".join(subj[subj >= MIN_SHORT].index)
        rows.append((stage, float(s.iloc[0]), float(s.max()), int(s.idxmax()), to_short, to_surplus,
                     float(short[stage]), names))
    out = pd.DataFrame(rows, columns=["stage", "first_year_gap", "largest_gap", "largest_gap_year",
                                      "turns_to_shortfall", "turns_to_surplus", "subject_shortfall",
                                      "shortfall_subjects"])
    for c in ("turns_to_shortfall", "turns_to_surplus"):
        out[c] = out[c].astype("Int64")
    return out

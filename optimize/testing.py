"""Checks a plan must pass, for tests and for users' own scripts
(in the spirit of linopy.testing)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def stock_residual(staff: pd.DataFrame) -> np.ndarray:
    """stock_end - (stock_start - exits + hires + moves_in - moves_out), per row (FTE)."""
    s = staff
    return (s.stock_end - (s.stock_start - s.exits + s.hires + s.moves_in - s.moves_out)).to_numpy()


def demand_residual(staff: pd.DataFrame) -> np.ndarray:
    """stock_end + temporary + shortfall - surplus - demand, per row (FTE)."""
    s = staff
    return (s.stock_end + s.temporary + s.shortfall - s.surplus - s.demand).to_numpy()


def assert_plan_identities(staff: pd.DataFrame, atol: float = 1e-5) -> None:
    """Both identities hold on every row, and nothing is negative."""
    for name, r in (("stock balance", stock_residual(staff)), ("demand balance", demand_residual(staff))):
        worst = np.abs(r).max() if len(r) else 0.0
        assert worst <= atol * max(1.0, float(staff.demand.abs().max())), f"{name} off by {worst}"
    cols = ["stock_start", "exits", "hires", "moves_in", "moves_out", "stock_end", "temporary", "shortfall", "surplus"]
    assert (staff[cols] >= -atol).all().all(), "a plan quantity is negative"


def assert_moves_certified(moves: pd.DataFrame) -> None:
    """No teacher moves to a stage their certificate does not cover."""
    from optimize.problem import may_teach

    bad = moves[[not may_teach(c, s) for c, s in zip(moves.certificate, moves.stage_to)]]
    assert bad.empty, f"uncertified moves:\n{bad}"


def assert_moves_match_staff(staff: pd.DataFrame, moves: pd.DataFrame, atol: float = 1e-5) -> None:
    """plan_moves.csv adds up to plan_staff.csv's moves_in and moves_out on
    every region, stage, subject and year (persons; a retrained teacher
    leaves ``subject`` and arrives in ``subject_to``)."""
    keys = ["region", "stage", "subject", "year"]
    out = moves.rename(columns={"region_from": "region", "stage_from": "stage"}).groupby(keys).teachers.sum()
    arrive = moves.drop(columns="subject").rename(columns={"subject_to": "subject"}) if "subject_to" in moves \
        else moves
    inn = arrive.rename(columns={"region_to": "region", "stage_to": "stage"}).groupby(keys).teachers.sum()
    s = staff.set_index(keys)
    for name, got in (("moves_out", out), ("moves_in", inn)):
        diff = (s[name] - got.reindex(s.index, fill_value=0.0)).abs()
        assert diff.max() <= atol * max(1.0, float(s[name].abs().max())), \
            f"{name} differs from plan_moves by {diff.max()} at {diff.idxmax()}"

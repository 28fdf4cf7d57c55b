import pandas as pd
import pytest

from optimize.problem import PlanInputs, PlanParams


def tiny_inputs(demand: dict, stock: dict, cap: float, posts: dict, years: list[int], base_year: int,
                retention: float = 1.0) -> PlanInputs:
    """A one-region, one-subject plan. ``demand`` maps (stage, year) to FTE;
    ``stock`` maps (stage, certificate) to base-year persons."""
    d = pd.DataFrame([("r", s, "math", y, v) for (s, y), v in demand.items()],
                     columns=["region", "stage", "subject", "year", "demand"])
    st = pd.DataFrame([("r", s, "math", c, v) for (s, c), v in stock.items()],
                      columns=["region", "stage", "subject", "certificate", "headcount"])
    ret = pd.DataFrame([("r", s, "math", c, y, retention, v) for (s, c), v in stock.items() for y in years],
                       columns=["region", "stage", "subject", "certificate", "year", "rate", "weight"])
    p = pd.DataFrame([("r", s, v) for s, v in posts.items()], columns=["region", "stage", "posts"])
    c = pd.DataFrame([("r", y, cap) for y in years], columns=["region", "year", "cap"])
    return PlanInputs(d, st, ret, p, c, base_year)


def wave_inputs() -> PlanInputs:
    """Primary needs 12 FTE in 2025-26 and 2 after; junior 2, then 12 from
    2027; 2 teachers in post in each, cap 14."""
    years = [2025, 2026, 2027, 2028]
    demand = {("primary", y): v for y, v in zip(years, [12, 12, 2, 2])}
    demand |= {("junior", y): v for y, v in zip(years, [2, 2, 12, 12])}
    return tiny_inputs(demand, {("primary", "primary"): 2, ("junior", "junior"): 2}, cap=14,
                       posts={"primary": 2, "junior": 2}, years=years, base_year=2024)


@pytest.fixture
def simple_params() -> PlanParams:
    return PlanParams(salary=1, hire_cost=10, certificate_premium=0.05, stage_move_cost=1, region_move_cost=1, temporary_cost=5,
                      shortfall_weight=1000, surplus_weight=100, temporary_share_max=0.0, post_shift_share=1.0,
                      new_hire_attrition=0.0, mentor_ratio=10.0,
                      graduate_supply={"preschool": 1e6, "primary": 1e6, "junior": 1e6, "senior": 1e6},
                      region_move_share=0.0, elastic_weight=1e6)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The embedded default district's baseline, paths 20, shared by the
    files that read it (test_default_wave, test_plan_ladder,
    test_scenario_levers) and run once for the whole session: the first
    xdist worker that needs it runs it, the other loads it
    (``once_per_session``). The plan and the no-action gap rest on the
    point forecast, so they are those of 1,000 paths; the paths only set the
    intervals. Tests read it and never change it (nothing they call writes
    into a run's frames or plan inputs)."""
    from scenarios import load_scenario, run

    return once_per_session(tmp_path_factory, "default_run",
                            lambda: run(load_scenario().override(forecast={"paths": 20})))


def once_per_session(tmp_path_factory, name: str, compute):
    """``compute()``, once for all of this session's xdist workers: the first
    to get here computes it under a lock and leaves it pickled in the
    session's temporary folder (the parent of each worker's own), the others
    wait for it and load it. Outside xdist (or without POSIX file locks),
    simply ``compute()``."""
    import os
    import pickle

    try:
        import fcntl
    except ImportError:  # not POSIX: each process computes its own
        return compute()
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return compute()
    root = tmp_path_factory.getbasetemp().parent
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / f"{name}.pickle"
        if done.exists():
            return pickle.loads(done.read_bytes())
        value = compute()
        done.write_bytes(pickle.dumps(value, protocol=5))
        return value

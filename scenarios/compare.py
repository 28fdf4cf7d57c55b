"""Compare scenarios: what each one changes, by stage and year and in total.

``staffcast compare A.toml B.toml …`` runs each scenario; ``Comparison``
puts them side by side as tidy frames. Writing them (CSVs, the PDF and a
sub-folder per scenario) is ``scenarios.compare_report.write_comparison``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from forecast.grades import STAGES
from optimize.plan import plan_costs
from optimize.stochastic import mean_se
from scenarios.district import shared_enrolment
from scenarios.engine import SERIAL, engine
from scenarios.folders import safe_name
from scenarios.result import RunResult
from scenarios.runner import run
from scenarios.schema import Scenario

LIBRARY_DIR = Path(__file__).parent / "library"

STAGE_YEAR_COLUMNS = ["scenario", "stage", "year", "demand", "shortfall_no_action", "shortfall", "temporary",
                      "posts_used", "hires", "moves_in", "moves_out", "surplus"]


def title(result: RunResult, lang: str | None = None) -> str:
    """The scenario's title; 'zh' or 'en' picks one side of "中文 / English"."""
    t = result.scenario.title
    if lang and " / " in t:
        zh, en = t.split(" / ", 1)
        return zh if lang == "zh" else en
    return t


def by_stage_year(result: RunResult, name: str) -> pd.DataFrame:
    """One scenario's plan by stage and plan year: demand, no-action and
    remaining shortfall, temporary cover, permanent posts used, surplus (FTE);
    hires and moves between stages in and out (persons)."""
    staff, gap, moves = result.plan.staff, result.gap, result.plan.moves
    years = sorted(staff.year.unique())
    keys = ["stage", "year"]
    out = staff.groupby(keys)[["demand", "shortfall", "temporary", "hires", "surplus"]].sum()
    out["posts_used"] = staff.groupby(keys).stock_end.sum()
    out["shortfall_no_action"] = gap[gap.year.isin(years)].groupby(keys).shortfall.sum()
    stage_moves = moves[(moves.region_from == moves.region_to) & (moves.stage_from != moves.stage_to)]
    out["moves_in"] = stage_moves.groupby(["stage_to", "year"]).teachers.sum().rename_axis(keys)
    out["moves_out"] = stage_moves.groupby(["stage_from", "year"]).teachers.sum().rename_axis(keys)
    out = out.fillna(0.0).reset_index().assign(scenario=name)
    out["stage"] = pd.Categorical(out.stage, STAGES, ordered=True)
    return out.sort_values(keys, ignore_index=True)[STAGE_YEAR_COLUMNS].astype({"stage": str})


def costs_by_year(result: RunResult, name: str) -> pd.DataFrame:
    """One scenario's plan cost by year and item (yuan)."""
    p = result.plan
    c = plan_costs(p.staff, p.moves, p.hires, p.params)
    c["total"] = c.sum(axis=1)
    return c.rename_axis("year").reset_index().assign(scenario=name)[
        ["scenario", "year", "salary", "hiring", "temporary", "stage_moves", "region_moves", "total"]]


def summary_row(result: RunResult, name: str) -> dict:
    """One scenario in numbers: FTE-years of shortfall (next three years with
    no action and after the plan; all plan years after the plan), temporary
    cover (FTE-years), posts (peak posts used; post-years over the plan; extra
    posts needed), hires and moves (persons), cost (yuan), surplus in the last
    plan year (FTE) and hard limits broken."""
    s = result.summary()
    st, mv = result.plan.staff, result.plan.moves
    used = st.groupby("year").stock_end.sum()
    last = st.year.max()
    return {
        "scenario": name, "title": title(result),
        "shortfall_no_action_3y": s["shortfall_no_action"], "shortfall_3y": s["shortfall_after_plan"],
        "shortfall_all_years": float(st.shortfall.sum()), "temporary": float(st.temporary.sum()),
        "posts_peak": float(used.max()), "post_years": float(used.sum()), "posts_needed": s["posts_needed"],
        "hires": float(st.hires.sum()),
        "stage_moves": float(mv[(mv.region_from == mv.region_to)].teachers.sum()),
        "region_moves": float(mv[(mv.region_from != mv.region_to)].teachers.sum()),
        "cost": float(costs_by_year(result, name).total.sum()),
        "end_surplus": float(st[st.year == last].surplus.sum()),
        "violations": int(len(result.plan.violations)),
    }


def _figure(v) -> float:
    """A manifest figure as a number: NaN for one not estimated (null)."""
    return float("nan") if v is None else float(v)


def plan_rows(result: RunResult, name: str) -> list[dict]:
    """A stochastic run's two plans side by side, both judged on the run's
    fresh forecast paths (``plan.eval_paths``): the plan for the central
    path and the stochastic (robust) plan. Per plan: hires and post-years in
    the years decided now (``commit_years``; persons, posts); expected
    shortfall over all plan years and over the years decided now, and the
    latter's 90th percentile (FTE-years); the worst chance, over stages and
    years decided now, that a stage's shortfall in a year exceeds the
    threshold; expected objective (yuan-equivalent) and cash (yuan) with
    standard errors; on the stochastic row VSS and EVPI. None for a run
    without a stochastic plan."""
    st = result.stochastic
    if st is None:
        return []
    ev, f = st.evaluation, st.figures()
    k = ev.commit_years
    rows = []
    for label, pc, plan in (("central", ev.central, result.plan), ("stochastic", ev.stochastic, st.plan)):
        years = pc.years[:k]
        now = pc.shortfall[:, :k].sum(axis=(0, 1))
        rows.append({
            "scenario": name, "plan": label, "paths": st.plan.paths if label == "stochastic" else 1,
            "eval_paths": ev.paths, "commit_years": k,
            "hires_committed": float(plan.hires[plan.hires.year.isin(years)].teachers.sum()),
            "post_years_committed": float(plan.posts[plan.posts.year.isin(years)].posts.sum()),
            "shortfall": float(pc.shortfall_total.mean()), "shortfall_committed": float(now.mean()),
            "shortfall_committed_q90": float(np.quantile(now, 0.9)),
            "p_exceed_worst": float((pc.shortfall[:, :k] > ev.threshold).mean(axis=2).max()),
            "threshold": ev.threshold,
            "cost": mean_se(pc.cost)[0], "cost_se": mean_se(pc.cost)[1], "cash": mean_se(pc.cash)[0],
            "cash_se": mean_se(pc.cash)[1],
            **{k: _figure(f[k]) if label == "stochastic" else float("nan")
               for k in ("vss_yuan", "vss_se_yuan", "evpi_yuan", "evpi_se_yuan")},
        })
    return rows


@dataclass
class Comparison:
    """Several runs side by side. ``names`` are unique labels in run order
    (the first is the reference in the PDF's differences).

    The tables below are each computed once, on first use, and handed out
    as copies: the results do not change once compared, and writing a
    comparison reads the summary and the stage-year table four times each
    (the CSVs, then three of the PDF's pages), 0.9 s and 0.3 s a time for
    the library's 18 scenarios."""

    results: list[RunResult]
    names: list[str]

    @cached_property
    def _summary(self) -> pd.DataFrame:
        return pd.DataFrame([summary_row(r, n) for r, n in zip(self.results, self.names)])

    @cached_property
    def _stage_year(self) -> pd.DataFrame:
        return pd.concat([by_stage_year(r, n) for r, n in zip(self.results, self.names)], ignore_index=True)

    @cached_property
    def _costs(self) -> pd.DataFrame:
        return pd.concat([costs_by_year(r, n) for r, n in zip(self.results, self.names)], ignore_index=True)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per scenario (see ``summary_row``)."""
        return self._summary.copy()

    @property
    def stage_year(self) -> pd.DataFrame:
        """scenario, stage, year and the plan's numbers (see ``by_stage_year``)."""
        return self._stage_year.copy()

    @property
    def costs(self) -> pd.DataFrame:
        """scenario, year and cost by item (yuan)."""
        return self._costs.copy()

    @property
    def plans(self) -> pd.DataFrame:
        """Each stochastic run's central and stochastic plans side by side
        (see ``plan_rows``); empty when no run planned for uncertainty."""
        return pd.DataFrame([row for r, n in zip(self.results, self.names) for row in plan_rows(r, n)])

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {"comparison": self.summary, "comparison_by_stage_year": self.stage_year,
               "comparison_costs": self.costs}
        plans = self.plans
        if len(plans):
            out["comparison_stochastic"] = plans
        return out


def unique_names(results: list[RunResult]) -> list[str]:
    names: list[str] = []
    for r in results:
        base = safe_name(r.scenario.name)
        n, i = base, 2
        while n in names:
            n, i = f"{base}-{i}", i + 1
        names.append(n)
    return names


def library() -> list[Path]:
    """The ready scenarios for the default district, baseline first."""
    files = sorted(LIBRARY_DIR.glob("*.toml"))
    return sorted(files, key=lambda f: f.stem != "baseline")


def compare(scenarios: list[Scenario], progress: Callable[[str], None] | None = None,
            scheduler: str | None = None, verbose: bool = False) -> Comparison:
    """Run every scenario and put them side by side, in the order given.

    The runs are independent Dask tasks (``scenarios.engine``): on a local
    cluster sized to the machine by default, on the Dask scheduler at
    ``scheduler`` (an address), or one after another in this process
    (``scheduler="serial"``, where ``progress`` gets a line per step). Each
    run is seeded, so the results are the same wherever they ran. Scenarios
    whose enrolment forecast has the same inputs (the library's 18 have four
    distinct ones) share one projection per process
    (``scenarios.district.shared_enrolment``): the same figures as
    projecting it for each. ``verbose`` shows the solver's log."""
    if scheduler == SERIAL or len(scenarios) < 2:
        results = []
        with shared_enrolment():
            for i, s in enumerate(scenarios, 1):
                say = (lambda msg, i=i, s=s: progress(f"[{i}/{len(scenarios)}] {s.name}: {msg}")) if progress else None
                results.append(run(s, progress=say, verbose=verbose, scheduler=scheduler))
    else:
        # each run is one task; inside it, a stochastic plan's solves run one after another
        with engine(scheduler, progress=progress is not None) as e:
            results = e.map(partial(_compared_run, verbose=verbose), scenarios)
    return Comparison(results, unique_names(results))


def _compared_run(s: Scenario, verbose: bool) -> RunResult:
    """One scenario of a comparison, as a Dask task: its enrolment forecast
    projected once per worker for all the scenarios that share its inputs
    (``shared_enrolment``, kept from one task to the next)."""
    with shared_enrolment(keep=True):
        return run(s, verbose=verbose, scheduler=SERIAL)

"""Every check a scenario gets before any computation.

``staffcast validate`` and ``staffcast run`` both call ``check_scenario``:
the settings' cross-checks, every input table of the registry that the
scenario names, the rules that tie tables together, and (given an output
folder) that the folder can be written. A scenario that ``validate`` accepts
never fails for a reason it could have seen.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecast.combine import MIN_YEARS
from forecast.enrolment import check_adjustments
from forecast.errors import InputError, Problem
from forecast.grades import GradeMap
from optimize.problem import retraining_problems
from scenarios.excel import file_of
from scenarios.folders import output_problems
from scenarios.inputs import SCENARIO_TABLES, check_grades, district_of, read_table
from scenarios.schema import Scenario


@dataclass
class Inputs:
    """The tables a scenario read (by registry name) and, for the manifest,
    each one's path and SHA-256."""

    tables: dict[str, pd.DataFrame]
    hashes: dict[str, dict]


def file_hash(path: Path) -> str:
    """SHA-256 of the file behind a table path (a workbook's ``#sheet`` removed)."""
    return hashlib.sha256(file_of(path).read_bytes()).hexdigest()


def check_scenario(s: Scenario, out_dir: str | Path | None = None) -> Inputs:
    """Run every check; raise one ``InputError`` with all problems found."""
    gm = grade_map(s)
    problems = [Problem("", e) for e in _settings_problems(s)]
    inputs = read_inputs(s)
    problems += [Problem("", e) for e in _table_problems(s, gm, inputs.tables)]
    if out_dir is not None:
        problems += [Problem("", e) for e in output_problems(Path(out_dir))]
    if problems:
        raise InputError(problems)
    return inputs


def grade_map(s: Scenario) -> GradeMap:
    try:
        return s.grades
    except InputError as exc:
        raise InputError(f"{s.path}: [grades]: {exc}") from None


def _settings_problems(s: Scenario) -> list[str]:
    fc, plan = s.forecast, s.plan
    errs = []
    if plan.years is not None and plan.years > fc.horizon:
        errs.append(f"{s.path}: plan.years ({plan.years}) is beyond forecast.horizon ({fc.horizon})")
    errs += retraining_problems(plan, str(s.path))
    if plan.stochastic and plan.paths > fc.paths:
        errs.append(f"{s.path}: plan.paths ({plan.paths}) is more than the forecast's paths (forecast.paths = "
                    f"{fc.paths}); the stochastic plan draws its paths from the forecast's")
    if plan.stochastic and plan.evpi_paths > plan.eval_paths:
        errs.append(f"{s.path}: plan.evpi_paths ({plan.evpi_paths}) is more than plan.eval_paths "
                    f"({plan.eval_paths}); perfect information is judged on some of the fresh paths")
    return errs


def read_inputs(s: Scenario) -> Inputs:
    """Read every registered table the scenario names; all problems at once."""
    tables, hashes, problems = {}, {}, []
    for name in SCENARIO_TABLES:
        path = s.data_path(name)
        if path is None:
            continue
        try:
            tables[name] = read_table(path, name)
            given = s.settings["data"][name]
            hashes[name] = {"path": f"default/{name}.csv" if given == "default" else str(path),
                            "sha256": file_hash(path)}
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return Inputs(tables, hashes)


def _table_problems(s: Scenario, gm: GradeMap, t: dict[str, pd.DataFrame]) -> list[str]:
    """Rules between tables: areas, the base year, years and stages covered."""
    base = s.base_year
    path = {name: s.data_path(name) for name in t}
    enrol = t["enrolment"]
    try:
        check_grades(enrol, gm.grades, str(path["enrolment"]))
    except InputError as exc:
        return [str(p) for p in exc.problems]
    errs = []
    regions = set(enrol.region)
    years = sorted(enrol.year.unique())
    if years[-1] != base:
        errs.append(f"{path['enrolment']}: last year is {years[-1]} but data.base_year is {base}")
    if len(years) < MIN_YEARS:
        errs.append(f"{path['enrolment']}: {len(years)} years of enrolment ({years[0]}-{years[-1]}); the cohort "
                    f"model needs at least {MIN_YEARS} consecutive years")
    totals = enrol.groupby(["region", "year"]).students.sum()
    for region, empty in totals[totals <= 0].groupby(level="region"):
        ys = empty.index.get_level_values("year")
        errs.append(f"{path['enrolment']}: region {region} has no pupils in any grade in "
                    f"{', '.join(map(str, ys[:5]))}{' …' if len(ys) > 5 else ''}; an area with no pupils cannot "
                    f"be projected (remove it from every table)")
    # (the areas table only names areas: names of areas not in the data are not used, and a
    # scenario that extends the default district with other areas keeps its names table)
    for table in ("births", "roster", "posts", "cap", "roster_previous"):
        if table not in t:
            continue
        have = set(t[table].region)
        if have - regions:
            errs.append(f"{path[table]}: regions {sorted(have - regions)} are not in the enrolment table")
        if table in ("births", "posts", "cap") and regions - have:
            errs.append(f"{path[table]}: no rows for regions {sorted(regions - have)}")
    posts = t["posts"]
    at_base = set(zip(posts[posts.year == base].region, posts[posts.year == base].stage))
    lacking = [(r, st) for r in sorted(regions) for st in gm.stage_names if (r, st) not in at_base]
    if lacking:
        shown = ", ".join(f"{r}/{st}" for r, st in lacking[:6]) + (" …" if len(lacking) > 6 else "")
        errs.append(f"{path['posts']}: no posts for the base year {base} for {len(lacking)} area/stage pairs "
                    f"({shown}); a missing row is not read as zero posts")
    need = set(s.plan_years)
    missing: dict[tuple, list] = {}
    for region, g in t["cap"].groupby("region"):
        miss = tuple(sorted(need - set(g.year)))
        if miss:
            missing.setdefault(miss, []).append(region)
    for miss, where in missing.items():
        years = f"{list(miss[:5])}{'…' if len(miss) > 5 else ''}"
        errs.append(f"{path['cap']}: region {where[0]} has no cap for years {years}" if len(where) == 1 else
                    f"{path['cap']}: regions {', '.join(where)} have no cap for years {years}")
    if missing:
        errs[-1] += f" (the plan runs {min(need)}-{max(need)})"
    plan = s.plan
    later = t["cap"][t["cap"].year > base]
    smallest = later.groupby("year").cap.sum().min() if len(later) else 0.0
    if plan.cap_change < -smallest:
        errs.append(f"{s.path}: plan.cap_change {plan.cap_change:,.0f} leaves a negative cap; the district cap is "
                    f"{smallest:,.0f} posts in its smallest plan year, so the change must be at least "
                    f"{-smallest:,.0f}")
    if plan.freeze_cap:
        lacking = sorted(regions - set(t["cap"][t["cap"].year == base].region))
        if lacking:
            errs.append(f"{path['cap']}: plan.freeze_cap holds each area's cap at the base year {base}, "
                        f"but regions {lacking} have no cap for {base}")
    errs += check_adjustments(s.forecast, enrol, gm, str(s.path))
    errs += _district_problems(t, path)
    districts = sorted(set(district_of(enrol)))
    if plan.stochastic and len(districts) > 1:
        errs.append(f"{s.path}: plan.stochastic plans one district; the data has {len(districts)} districts "
                    f"({', '.join(districts[:5])}{'…' if len(districts) > 5 else ''}): run each district's data "
                    f"on its own, or set plan.stochastic = false")
    errs += _city_problems(s, t)
    return errs


def _city_problems(s: Scenario, t: dict[str, pd.DataFrame]) -> list[str]:
    """``[city]`` rows need a data set of several districts: with one, the
    plan has nothing to tie together and the key would be silently ignored.
    (``city.method`` and ``city.tolerance`` tie nothing: a rerun's manifest
    lists them for every run.)"""
    own = {k: v for k, v in s.settings.get("city", {}).items()
           if k in ("graduate_supply", "cap_total", "budget") and v is not None}
    n = district_of(t["enrolment"]).nunique()
    if not own or n > 1:
        return []
    keys = ", ".join(f"city.{k}" for k in own)
    return [f"{s.path}: {keys} {'ties' if len(own) == 1 else 'tie'} the districts of a city, but the data has one "
            f"district (the enrolment table has no district column, or one district in it); remove "
            f"{'it' if len(own) == 1 else 'them'}, or use plan.graduate_supply, the cap table and plan.budget"]


def _district_problems(t: dict[str, pd.DataFrame], path: dict) -> list[str]:
    """Every area in one district, the same in every table that names it;
    graduates only for districts that exist."""
    enrol = t["enrolment"]
    errs = []
    if "district" in enrol.columns:
        split = enrol.groupby("region").district.nunique()
        for region in split[split > 1].index[:10]:
            errs.append(f"{path['enrolment']}: region {region} is in several districts "
                        f"({', '.join(sorted(enrol[enrol.region == region].district.unique()))}); an area belongs "
                        f"to one district (name areas uniquely, e.g. '<district>-{region}')")
        if errs:
            return errs
    home = district_of(enrol)
    for table, frame in t.items():
        if table == "enrolment" or "district" not in frame.columns or "region" not in frame.columns:
            continue
        if "district" not in enrol.columns:
            errs.append(f"{path[table]}: has a district column but the enrolment table does not; the enrolment "
                        f"table says which district each area is in")
            continue
        pairs = frame[["region", "district"]].drop_duplicates()
        wrong = pairs[pairs.district.to_numpy() != home.reindex(pairs.region).to_numpy()]
        for row in wrong.head(5).itertuples(index=False):
            errs.append(f"{path[table]}: region {row.region} is in district {row.district} here but in "
                        f"{home.get(row.region)} in the enrolment table")
    grads = t.get("graduates")
    if grads is not None:
        districts = set(home)
        if "district" not in grads.columns and len(districts) > 1:
            errs.append(f"{path['graduates']}: the data has {len(districts)} districts; add a district column "
                        f"saying whose graduates each row counts")
        elif "district" in grads.columns and set(grads.district) - districts:
            errs.append(f"{path['graduates']}: districts {sorted(set(grads.district) - districts)[:5]} are not in "
                        f"the enrolment table")
    return errs

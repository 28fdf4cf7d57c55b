"""The scenario library: every scenario runs, and each moves the results the
way a planner expects; the comparison's CSVs and PDF."""
import json
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from scenarios import load_scenario
from scenarios.compare import compare, library
from scenarios.compare_report import write_comparison, write_comparison_report

NAMES = {"baseline", "births_low", "births_high", "migration_east", "cap_frozen", "cap_plus_200",
         "upper_certificate_on", "upper_certificate_off", "class_based", "class_size_40", "course_selection_wide",
         "no_temporary_cover", "key_teacher_floor", "pool_cap", "stage_moves_limited", "rotation_two_way",
         "science_hours", "retraining"}


@pytest.fixture(scope="module")
def comp():
    """The whole library but the stochastic scenario (its own tests run a
    small one: tests/test_stochastic.py), run as Dask tasks on a local
    cluster (the default). 50 paths: the plan rests on the point forecast,
    the paths only on the intervals, which these tests do not read."""
    return compare(_library())


def _library(names=None) -> list:
    return [load_scenario(f).override(forecast={"paths": 50}) for f in library()
            if (names is None and f.stem != "stochastic") or (names is not None and f.stem in names)]


def test_the_library_has_a_stochastic_scenario_over_the_baseline():
    s = load_scenario(next(f for f in library() if f.stem == "stochastic"))
    assert s.plan.stochastic and s.plan.paths == 50
    assert s.resolved()["plan"] | {"stochastic": False} == load_scenario(library()[0]).resolved()["plan"]


def test_a_dask_comparison_equals_the_serial_one_bit_for_bit(comp):
    names = ["cap_plus_200", "class_based"]
    serial = compare(_library(names), scheduler="serial")
    for r in serial.results:
        d = comp.results[comp.names.index(r.scenario.name)]
        for name, frame in r.frames().items():
            pd.testing.assert_frame_equal(frame, d.frames()[name], check_exact=True, obj=f"{r.scenario.name} {name}")
        assert r.plan.info.objective == d.plan.info.objective


def test_scenarios_compared_together_project_each_enrolment_forecast_once(monkeypatch):
    """The enrolment forecast is projected once per set of inputs, and each
    run gets its own copy, bit for bit what it projects alone."""
    import scenarios.district as district
    from scenarios import run

    projected = []
    project = district.project_enrolment
    monkeypatch.setattr(district, "project_enrolment", lambda *a: projected.append(a[3]) or project(*a))
    quick = load_scenario().override(forecast={"paths": 20, "horizon": 1}, plan={"years": 1})
    scenarios = [quick, quick.override(name="more_posts", plan={"cap_change": 100}),
                 quick.override(name="other_paths", forecast={"seed": 7})]
    together = compare(scenarios, scheduler="serial")
    assert [p.seed for p in projected] == [quick.forecast.seed, 7] and not district._KEPT  # let go at the end
    a, b, c = together.results
    assert a.enrolment is not b.enrolment and a.enrolment.equals(b.enrolment)
    assert not c.enrolment.equals(a.enrolment)
    alone = run(scenarios[1])
    assert len(projected) == 3
    for name, frame in alone.frames().items():
        pd.testing.assert_frame_equal(b.frames()[name], frame, check_exact=True, obj=name)
    assert (b.forecast_record, b.forecast_weights) == (alone.forecast_record, alone.forecast_weights)


@pytest.fixture(scope="module")
def table(comp):
    return comp.summary.set_index("scenario")


def _demand(comp, name, stage=None, region=None):
    r = comp.results[comp.names.index(name)]
    d = r.plan.staff
    if stage:
        d = d[d.stage == stage]
    if region:
        d = d[d.region == region]
    return d.demand.sum()


def test_the_library_is_complete_and_every_scenario_solves_within_its_limits(comp, table):
    assert set(comp.names) == NAMES and comp.names[0] == "baseline"
    # every limit holds, but the key-teacher floor late on (see below)
    assert (table.violations.drop("key_teacher_floor") == 0).all()
    for r in comp.results:
        assert r.plan.info.status == "Optimal"


def test_lower_births_mean_less_shortfall_and_higher_births_more(table):
    assert table.shortfall_all_years["births_low"] < table.shortfall_all_years["baseline"] \
        < table.shortfall_all_years["births_high"]
    assert table.hires["births_low"] < table.hires["baseline"] < table.hires["births_high"]


def test_a_frozen_cap_leaves_more_shortfall_or_cover_than_more_posts(table):
    gap = table.shortfall_all_years + table.temporary
    assert gap["cap_frozen"] > gap["cap_plus_200"] + 500
    assert table.posts_peak["cap_plus_200"] == pytest.approx(table.posts_peak["cap_frozen"] + 200, abs=1e-3)
    # the default district's cap data is frozen already: the same plan as the baseline
    assert table.shortfall_all_years["cap_frozen"] == pytest.approx(table.shortfall_all_years["baseline"], abs=1e-3)


def test_posts_still_needed_are_beyond_the_posts_a_scenario_adds(comp, table):
    """Page 1's "posts still needed": the largest yearly shortfall left in the
    next three years. 200 more posts leave fewer needed, by at most 200."""
    base, more = table.posts_needed["baseline"], table.posts_needed["cap_plus_200"]
    assert base - 200 - 1e-6 <= more < base - 100
    staff = comp.results[comp.names.index("baseline")].plan.staff
    years = sorted(staff.year.unique())[:3]
    assert base == pytest.approx(staff[staff.year.isin(years)].groupby("year").shortfall.sum().max())


def test_recruiting_upper_certified_teachers_uses_fewer_posts_over_the_wave(comp, table):
    assert table.post_years["upper_certificate_on"] < table.post_years["upper_certificate_off"]
    assert table.shortfall_all_years["upper_certificate_on"] <= table.shortfall_all_years["upper_certificate_off"] + 1e-3
    hires = {n: comp.results[comp.names.index(n)].plan.hires for n in ("upper_certificate_on", "upper_certificate_off")}
    on, off = hires["upper_certificate_on"], hires["upper_certificate_off"]
    assert (on[on.stage == "primary"].certificate != "primary").all()
    assert (off.certificate == off.stage).all()
    # the upper-certified follow the wave: more moves up from primary to junior
    up = lambda n: comp.results[comp.names.index(n)].plan.moves.query(
        "stage_from == 'primary' and stage_to == 'junior'").teachers.sum()
    assert up("upper_certificate_on") > up("upper_certificate_off")


def test_smaller_classes_and_wider_course_selection_need_more_teachers(comp, table):
    assert _demand(comp, "class_size_40") > 1.1 * _demand(comp, "class_based")
    assert table.shortfall_all_years["class_size_40"] > table.shortfall_all_years["class_based"] + 1000
    wide, base = "course_selection_wide", "class_based"
    assert _demand(comp, wide, "senior") > 1.05 * _demand(comp, base, "senior")
    for stage in ("preschool", "primary", "junior"):
        assert _demand(comp, wide, stage) == pytest.approx(_demand(comp, base, stage))
    assert table.shortfall_all_years[wide] > table.shortfall_all_years[base]


def test_class_based_demand_starts_where_the_staffing_ratio_does(comp):
    # the class scenario's effective loads are calibrated to the base year
    first = lambda n: comp.results[comp.names.index(n)].demand.query("year == 2024").demand.sum()
    assert first("class_based") == pytest.approx(first("baseline"), rel=0.01)


def test_new_housing_needs_more_teachers_in_its_area_only(comp, table):
    assert _demand(comp, "migration_east", region="east") > _demand(comp, "baseline", region="east") + 200
    assert _demand(comp, "migration_east", region="north") == pytest.approx(_demand(comp, "baseline", region="north"))
    assert table.shortfall_all_years["migration_east"] > table.shortfall_all_years["baseline"]


def test_a_key_teacher_floor_is_met_by_rotation_not_by_leaving_posts_empty(comp, table):
    r = comp.results[comp.names.index("key_teacher_floor")]
    key = r.plan.key
    assert len(key) == 5 * 10
    # met in every area in every year in which the district's key teachers are
    # 60% of its experienced staff; once they fall below (key teachers retire
    # sooner), the plan breaks it by the district's deficit and no more
    district = key.groupby("year")[["key_teachers", "experienced"]].sum()
    short = (0.6 * district.experienced - district.key_teachers).clip(lower=0)
    met = short[short <= 1e-6].index
    assert (key[key.year.isin(met)].key_share >= 0.6 - 1e-6).all()
    v = r.plan.violations
    assert set(v.limit) == {"key_share"}
    broken = v.assign(year=v["where"].str.split("/").str[1].astype(int)).groupby("year").amount.sum()
    assert broken.to_dict() == pytest.approx(short[short > 1e-6].to_dict(), rel=1e-4)
    assert table.region_moves["key_teacher_floor"] > 2 * table.region_moves["baseline"]
    assert table.shortfall_all_years["key_teacher_floor"] <= table.shortfall_all_years["baseline"] + 1.0
    assert comp.results[comp.names.index("baseline")].plan.key.empty


def test_without_temporary_cover_the_shortfall_grows(comp, table):
    # no new cover: only the roster's temporary staff, as their contracts run out
    r = comp.results[comp.names.index("no_temporary_cover")]
    roster = r.plan_inputs.temporary.groupby(["region", "stage", "subject", "year"]).headcount.sum()
    cover = r.plan.staff.set_index(["region", "stage", "subject", "year"]).temporary
    assert (cover <= roster.reindex(cover.index, fill_value=0.0) + 1e-6).all()
    assert table.temporary["no_temporary_cover"] < table.temporary["baseline"]
    assert table.shortfall_all_years["no_temporary_cover"] > table.shortfall_all_years["baseline"] + 1000


# --- the remedies the report names, as the library's levers (small cases by hand: test_plan_levers.py) ---

def _result(comp, name):
    return comp.results[comp.names.index(name)]


def _changes_only_the_plan(comp, name: str, base: str = "baseline") -> None:
    """The library scenario ``name`` changes ``base`` in [plan] only: the
    same inputs, the plan solved with the lever."""
    from scenarios.schema import SECTIONS

    lever, reference = _result(comp, name).scenario.settings, _result(comp, base).scenario.settings
    for section in set(SECTIONS) - {"plan"}:
        assert lever.get(section) == reference.get(section), section


def _totals(plan) -> pd.Series:
    return pd.Series({"shortfall": plan.staff.shortfall.sum(), "objective": plan.info.objective,
                      "moves": plan.moves.teachers.sum()})


def test_pooling_the_cap_never_increases_shortfall(comp):
    _changes_only_the_plan(comp, "pool_cap")
    base, pooled = _totals(_result(comp, "baseline").plan), _totals(_result(comp, "pool_cap").plan)
    assert pooled.shortfall <= base.shortfall + 1e-6
    assert pooled.objective <= base.objective + 1e-3


def test_limiting_stage_moves_costs_shortfall(comp):
    _changes_only_the_plan(comp, "stage_moves_limited")
    base, limited = _totals(_result(comp, "baseline").plan), _totals(_result(comp, "stage_moves_limited").plan)
    assert limited.objective >= base.objective - 1e-3
    assert limited.shortfall > base.shortfall + 100


def test_two_way_rotation_brings_teachers_home_within_the_intake_limit(comp):
    import dataclasses

    from optimize import solve_plan

    _changes_only_the_plan(comp, "rotation_two_way")
    r = _result(comp, "rotation_two_way")
    params, plan = r.scenario.plan, r.plan
    mv = plan.moves
    assert mv[mv.kind == "return"].teachers.sum() > 0
    # an area's intake in a year within the share of its permanent staff the year before
    intake = mv[mv.kind == "rotation"].groupby(["region_to", "year"]).teachers.sum()
    staff = plan.staff.groupby(["region", "year"]).stock_end.sum()
    first = min(plan.staff.year)
    before = r.plan_inputs.stock.groupby("region").headcount.sum()
    for (region, t), x in intake.items():
        held = before[region] if t == first else staff[(region, t - 1)]
        assert x <= params.rotation_intake_share * held + 1e-6
    # the intake limit only takes options away
    free = solve_plan(r.plan_inputs, dataclasses.replace(params, rotation_intake_share=None),
                      baselines=False, value_posts=False)
    assert plan.info.objective >= free.info.objective - 1e-3


def test_allowing_retraining_never_increases_shortfall(comp):
    _changes_only_the_plan(comp, "retraining", base="science_hours")
    hours, plan = _result(comp, "science_hours").plan, _result(comp, "retraining").plan
    assert plan.staff.shortfall.sum() <= hours.staff.shortfall.sum() + 1e-6
    assert plan.info.objective <= hours.info.objective + 1e-3
    assert plan.moves[plan.moves.kind == "retraining"].teachers.sum() > 50


def test_comparison_folder_csvs_and_pdf(comp, tmp_path):
    folder = write_comparison(comp, tmp_path, "zh")
    summary = pd.read_csv(folder / "comparison.csv")
    assert list(summary.scenario) == comp.names
    by = pd.read_csv(folder / "comparison_by_stage_year.csv")
    # the stage-year table adds up to the per-scenario totals
    totals = by.groupby("scenario", sort=False).shortfall.sum()
    assert totals.to_numpy() == pytest.approx(summary.shortfall_all_years.to_numpy(), abs=1e-3)
    costs = pd.read_csv(folder / "comparison_costs.csv").groupby("scenario", sort=False).total.sum()
    assert costs.to_numpy() == pytest.approx(summary.cost.to_numpy(), rel=1e-9)
    for name in comp.names:  # each scenario's own run, re-runnable from its manifest
        staff = pd.read_csv(folder / name / "plan_staff.csv")
        assert staff.shortfall.sum() == pytest.approx(summary.set_index("scenario").shortfall_all_years[name],
                                                      abs=1e-3)
        assert json.loads((folder / name / "manifest.json").read_text(encoding="utf-8"))["scenario"]["name"] == name
    _check_comparison_pdf(folder / "report.pdf", summary, "缺编")


def test_the_english_comparison_report(comp, tmp_path):
    """The same pages in English (the folder's tables do not depend on the language)."""
    write_comparison_report(comp, tmp_path / "report.pdf", "en")
    _check_comparison_pdf(tmp_path / "report.pdf", comp.summary, "Shortfall")


def _check_comparison_pdf(path, summary: pd.DataFrame, word: str) -> None:
    pdf = PdfReader(path)
    assert len(pdf.pages) in (8, 9)  # the changes for the 18 scenarios take two pages, three in English
    fonts = {str(f.get_object()["/BaseFont"]) for p in pdf.pages for f in p["/Resources"].get("/Font", {}).values()}
    assert any("WenQuanYi" in f for f in fonts)
    text = pdf.pages[0].extract_text()
    assert word in text
    base = summary.iloc[0]
    assert f"{base.shortfall_3y:,.0f}" in text and f"{base.hires:,.0f}" in text
    assert not re.search(r"(?<![\d.,])[-+]0(?![\d.,])", pdf.pages[1].extract_text())  # no "-0" or "+0"
    # what each scenario changes against the first, from the settings that ran
    changes = pdf.pages[2].extract_text() + pdf.pages[3].extract_text()
    assert "0 → 200" in changes and "central → high" in changes and "0.05 → 0" in changes


def test_the_example_script_sweeps_the_cap(tmp_path, capsys):
    from scenarios.examples.cap_sweep import cap_sweep

    quick = load_scenario().override(forecast={"paths": 20, "horizon": 4}, plan={"years": 4})
    table = cap_sweep([0, 400], out=str(tmp_path), base=quick).set_index("extra_posts")
    assert table.shortfall_3y[400] < table.shortfall_3y[0] - 500
    assert [p.name.endswith("cap_plus_400-en") for p in tmp_path.iterdir()] == [True]  # an English run


def test_progress_is_shown_on_a_terminal_only(monkeypatch, capsys):
    import sys

    from scenarios.cli import _progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert _progress() is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    _progress()("[2/12] births_low: staffing plan")
    assert "[2/12] births_low: staffing plan" in capsys.readouterr().err

"""The staffcast command: a run folder, its contents, and clean errors.

Most tests call ``scenarios.cli.main`` in this process (the same code the
console script runs); one run goes through the installed ``staffcast``
command from an unrelated folder, as a planner would start it."""
import contextlib
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from scenarios.cli import main
from scenarios.schema import DEFAULT_DIR

EXPECTED = {"enrolment.csv", "enrolment_stage.csv", "demand.csv", "supply.csv", "gap.csv", "gap_turns.csv", "peaks.csv",
            "plan_staff.csv", "plan_posts.csv", "plan_moves.csv", "plan_hires.csv", "plan_comparison.csv",
            "plan_value.csv", "post_value.csv",
            "plan_violations.csv", "plan_key.csv", "plan_caps.csv", "results.xlsx", "report.pdf", "manifest.json"}
QUICK = '[forecast]\npaths = 30\n'
#: three plan years (after QUICK, in its [forecast] section): a run's folder, report and tables are all
#: there, at a fraction of the ten years' solve
SHORT = 'horizon = 3\n[plan]\nyears = 3\n'


def staffcast(*args, cwd=None):
    """The installed command in a new process (exit codes, signals, any folder)."""
    exe = shutil.which("staffcast")
    cmd = [exe] if exe else [sys.executable, "-m", "scenarios.cli"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=cwd, timeout=300)


def cli(*args) -> tuple[int, str, str]:
    """``staffcast ARGS`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    proc = staffcast("run", "--out", str(out), cwd=tmp_path_factory.mktemp("elsewhere"))
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 2 and "HiGHS" not in proc.stdout + proc.stderr  # no banner
    folder = Path(proc.stdout.strip().splitlines()[-1])
    return out, folder


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    d = tmp_path_factory.mktemp("quick")
    (d / "quick.toml").write_text('extends = "default"\nname = "quick"\n' + QUICK + SHORT, encoding="utf-8")
    return d / "quick.toml"


def test_run_prints_its_new_folder_last_and_fills_it(first_run):
    out, folder = first_run
    assert folder.parent == out and folder.is_dir()
    assert {p.name for p in folder.iterdir()} == EXPECTED
    assert not [p for p in out.iterdir() if p.name.startswith(".partial")]


def test_plan_tables_hold_their_identities(first_run):
    from optimize.testing import assert_moves_match_staff, assert_plan_identities

    staff = pd.read_csv(first_run[1] / "plan_staff.csv")
    assert_plan_identities(staff, atol=1e-4)
    assert_moves_match_staff(staff, pd.read_csv(first_run[1] / "plan_moves.csv"), atol=1e-4)
    posts = pd.read_csv(first_run[1] / "plan_posts.csv")
    assert "cap" not in posts  # the area cap is not repeated on every stage row
    caps = pd.read_csv(first_run[1] / "plan_caps.csv").set_index(["region", "year"])
    by_area = posts.groupby(["region", "year"]).posts.sum()
    assert by_area.to_numpy() == pytest.approx(caps.posts.reindex(by_area.index).to_numpy())
    assert (by_area <= caps.cap.reindex(by_area.index) * (1 + 1e-6)).all()  # solver tolerance


def test_manifest_holds_every_setting_that_ran(first_run):
    m = json.loads((first_run[1] / "manifest.json").read_text(encoding="utf-8"))
    settings = m["scenario"]["settings"]
    # defaults that the baseline file does not set are recorded with the value that ran
    assert settings["plan"]["salary"] == 200_000 and settings["supply"]["female_track"] == "F55"
    assert settings["forecast"]["seed"] == 20241024 and settings["plan"]["budget"] is None
    assert "salary" not in m["scenario"]["set_in_files"].get("plan", {})


@pytest.fixture(scope="module")
def first_digest(first_run) -> dict:
    """The first run's files, before anything else runs beside them."""
    return digest(first_run[1])


@pytest.fixture(scope="module")
def english_run(first_run, first_digest, quick):
    """A second run, in English, into the first run's output folder."""
    code, stdout, err = cli("run", quick, "--lang", "en", "--out", first_run[0])
    assert code == 0, err
    assert err == ""  # no progress lines when stderr is not a terminal
    return Path(stdout.strip().splitlines()[-1])


def test_second_run_makes_a_new_folder_and_leaves_the_first_alone(first_run, first_digest, english_run):
    out, folder = first_run
    assert english_run != folder and english_run.is_dir() and english_run.parent == out
    assert digest(folder) == first_digest


def test_the_folder_name_carries_a_language_that_is_not_the_default(first_run, english_run):
    assert first_run[1].name.endswith("-baseline") and english_run.name.endswith("-quick-en")


@pytest.mark.parametrize("lang,word", [("zh", "缺编"), ("en", "Shortfall")])
def test_report_has_its_pages_an_embedded_cjk_font_and_the_csv_numbers(first_run, english_run, lang, word):
    folder = first_run[1] if lang == "zh" else english_run
    pdf = PdfReader(folder / "report.pdf")
    assert len(pdf.pages) in (12, 13)  # ten pages, then every setting on two pages (three in English's longer words)
    fonts = set()
    for page in pdf.pages:
        for f in page["/Resources"].get("/Font", {}).values():
            f = f.get_object()
            fonts.add(str(f["/BaseFont"]))
            for d in f.get("/DescendantFonts", []):
                desc = d.get_object()["/FontDescriptor"].get_object()
                # embedded, and as the TrueType its label says (not CFF data, 'OTTO'):
                # PDF readers warn of a mismatch otherwise
                assert "/FontFile2" in desc, "font not embedded as TrueType"
                assert desc["/FontFile2"].get_object().get_data()[:4] in (b"\x00\x01\x00\x00", b"true")
    assert any("WenQuanYi" in f for f in fonts), fonts
    text = pdf.pages[0].extract_text()
    assert word in text  # Chinese came through as text, not boxes
    gap = pd.read_csv(folder / "gap.csv")
    staff = pd.read_csv(folder / "plan_staff.csv")
    years = sorted(staff.year.unique())[:3]
    no_action = gap[gap.year.isin(years)].shortfall.sum()
    after = staff[staff.year.isin(years)].shortfall.sum()
    assert f"{no_action:,.0f}" in text
    assert f"{after:,.0f}" in text


def _fmt(v: float) -> str:
    return f"{0.0 if abs(v) < 0.5 else v:,.0f}"


def _line(text: str, label: str) -> str:
    """What follows ``label`` on the page's line that starts with it."""
    found = [ln[len(label):].strip() for ln in text.splitlines() if ln.startswith(label + " ")]
    assert len(found) == 1, (label, found)
    return found[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_one_numbers_are_the_csvs_numbers(first_run, english_run, lang):
    """The action table, the shortfall by stage and subject and the cash cost
    on page 1, recomputed from the run's CSVs."""
    from optimize.problem import certificates_for
    from scenarios.labels import stage_label, subject_label
    from scenarios.report import TEXT

    folder = first_run[1] if lang == "zh" else english_run
    T = TEXT[lang]
    text = PdfReader(folder / "report.pdf").pages[0].extract_text()
    staff = pd.read_csv(folder / "plan_staff.csv")
    years = sorted(staff.year.unique())[:3]
    posts = pd.read_csv(folder / "plan_posts.csv").query("year in @years")
    for stage, d in posts.groupby("stage"):
        by_year = d.groupby("year").posts.sum()
        assert _line(text, T["posts_row"].format(stage=stage_label(stage, lang))) == \
            " ".join(_fmt(by_year[y]) for y in years)
    caps = pd.read_csv(folder / "plan_caps.csv").query("year in @years").groupby("year")[["posts", "cap"]].sum()
    assert _line(text, T["cap_row"]) == " ".join(f"{_fmt(caps.posts[y])} / {_fmt(caps.cap[y])}" for y in years)
    hires = pd.read_csv(folder / "plan_hires.csv").query("year in @years")
    for stage in ("junior", "senior"):
        # a stage hiring more than one certificate level shows the total and the split by level
        d = hires[hires.stage == stage]
        certs = [c for c in certificates_for(stage) if c in set(d.certificate)]
        label = T["hires_row"].format(stage=stage_label(stage, lang))
        if len(certs) > 1:
            label += T["hires_cert"].format(certs="/".join(stage_label(c, lang) if lang == "zh" else c
                                                           for c in certs))
        by = d.groupby(["certificate", "year"]).teachers.sum()
        cells = []
        for y in years:
            split = [float(by.get((c, y), 0.0)) for c in certs]
            total = _fmt(sum(split))
            cells.append(total if len(certs) <= 1 else f"{total} ({' / '.join(_fmt(v) for v in split)})")
        assert _line(text, label) == " ".join(cells)
    moves = pd.read_csv(folder / "plan_moves.csv").query("year in @years")
    rot = moves[moves.region_from != moves.region_to].groupby("year").teachers.sum()
    assert _line(text, T["rotation_row"]) == " ".join(_fmt(rot.get(y, 0.0)) for y in years)
    temp = staff.query("year in @years").groupby("year").temporary.sum()
    assert _line(text, T["temporary_row"]) == " ".join(_fmt(temp[y]) for y in years)
    # shortfall left by stage and subject: the cells most short with no action, each with and without the plan
    gap = pd.read_csv(folder / "gap.csv").query("year in @years").groupby(["stage", "subject"]).shortfall.sum()
    left = staff.query("year in @years").groupby(["stage", "subject"]).shortfall.sum()
    top = gap.sort_values(ascending=False).head(3)
    for (stage, subject), v in top.items():
        label = f"{stage_label(stage, lang)}·{subject_label(subject, lang)}"
        assert label in text.splitlines()
        assert f" {_fmt(v)}" in text.splitlines() and f" {_fmt(left[(stage, subject)])}" in text.splitlines()
    comp = pd.read_csv(folder / "plan_comparison.csv").query("plan == 'lp' and year in @years")
    assert f"{comp.cost.sum() / 1e8:,.1f}" in text
    assert (T["feasible"] in text) and "+0%" not in text
    # posts still needed: the largest yearly shortfall left; a permanent post's worth, the range over areas
    needed = staff.query("year in @years").groupby("year").shortfall.sum().max()
    assert f"{_fmt(needed)} {T['unit_posts']}" in " ".join(text.split())
    value = pd.read_csv(folder / "post_value.csv")
    flat = "".join(text.split())
    lo, hi = value.post_value_fte.min(), value.post_value_fte.max()
    assert (f"{_fmt(lo)}–{_fmt(hi)}" if _fmt(lo) != _fmt(hi) else _fmt(lo)) in flat


def test_a_title_with_dollars_and_a_long_chinese_name_make_a_run(run_with_history):
    folder = run_with_history[1]  # its name: LONG_NAME, its title: DOLLAR_TITLE
    assert folder.is_dir() and len(folder.name.encode("utf-8")) <= 255
    assert DOLLAR_TITLE in PdfReader(folder / "report.pdf").pages[0].extract_text()


NEGATIVE_CAP = "region,year,cap\n" + "".join(f"{r},{y},{-5 if (r, y) == ('east', 2027) else 4000}\n"
                                             for r in ("central", "north", "northeast", "east", "south")
                                             for y in range(2024, 2036))
BASE = 'extends = "default"\n'

# id: (files written, what the one line of the error says); README's bad-input table lists them.
# A file named "runs" stands where the output folder would go.
SCENARIO_CASES = {
    "file_missing": ({}, "not found"),
    "not_toml": ({"s.toml": "x = ["}, "not valid TOML"),
    "unknown_key": ({"s.toml": "colour = 1\n"}, "unknown key 'colour'"),
    "wrong_type": ({"s.toml": BASE + '[plan]\ncap_change = "lots"\n'},
                   "key 'plan.cap_change' must be a number, not 'lots'"),
    "out_of_range": ({"s.toml": BASE + '[forecast]\npaths = -1\n'},
                     "key 'forecast.paths' is -1; allowed: 0 to 100000"),
    "stage_typo": ({"s.toml": BASE + '[demand]\nstaff_ratio = { primry = 13.0 }\n'},
                   "'demand.staff_ratio.primry': unknown stage (allowed: preschool, primary, junior, senior)"),
    "negative_cap": ({"s.toml": BASE + '[plan]\ncap_change = -20000\n'}, "leaves a negative cap"),
    "cap_in_data_negative": ({"s.toml": BASE + '[data]\ncap = "cap.csv"\n', "cap.csv": NEGATIVE_CAP},
                             "cap.csv, row 41, column 'cap': out of range"),
    "extends_cycle": ({"s.toml": 'extends = "t.toml"\n', "t.toml": 'extends = "s.toml"\n'},
                      "'extends' makes a cycle"),
    "data_file_missing": ({"s.toml": BASE + '[data]\nbirths = "births_2024.csv"\n'},
                          "births_2024.csv: births file not found"),
    "optional_file_missing": ({"s.toml": BASE + '[data]\nroster_previous = "roster_2023.csv"\n'},
                              "roster_2023.csv: roster_previous file not found"),
    "key_ignored_by_method": ({"s.toml": BASE + '[demand]\nclass_size = { primary = 40 }\n'},
                              "key 'demand.class_size' is used only when demand.method is 'class', and it is "
                              "'ratio'"),
    "plan_beyond_horizon": ({"s.toml": BASE + '[plan]\nyears = 11\n'},
                            "plan.years (11) is beyond forecast.horizon (10)"),
    "horizon_beyond_cap": ({"s.toml": BASE + '[forecast]\nhorizon = 12\n[plan]\nyears = 12\n'},
                           "cap.csv: regions central, east, north, northeast, south have no cap for years [2036] "
                           "(the plan runs 2025-2036)"),
    "grades_with_a_hole": ({"s.toml": BASE + '[grades]\nprimary = [1, 5]\n'},
                           "[grades]: grade map: the stages must cover a run of grades without holes"),
    "adjustment_below_present": ({"s.toml": BASE + '[forecast]\nadjustments = [{ region = "east", grade = 1, '
                                                   'year = 2026, students = -1000000 }]\n'},
                                 "forecast.adjustments[0].students -1,000,000 takes away more pupils than grade 1 "
                                 "of east has"),
    "adjustment_outside_years": ({"s.toml": BASE + '[forecast]\nadjustments = [{ region = "east", grade = 1, '
                                                   'year = 2040, students = 50 }]\n'},
                                 "forecast.adjustments[0].year 2040 is not a projected year (2025-2034)"),
    "out_is_a_file": ({"s.toml": BASE, "runs": "not a folder"}, "runs: the output folder is a file"),
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_bad_scenarios_give_one_clear_line_and_exit_2(tmp_path, case):
    files, needle = SCENARIO_CASES[case]
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    path, out = tmp_path / "s.toml", tmp_path / "runs"
    errs = {}
    for command in ("validate", "run", "compare"):
        code, _, err = cli(command, path, "--out", out)
        assert code == 2, err
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("staffcast: error: "), err
        errs[command] = err
    # validate and run share their checks: what one refuses, the other refuses with the same line
    assert errs["validate"] == errs["run"] == errs["compare"]
    assert not out.is_dir() or not any(out.iterdir())


def test_a_scenario_file_with_a_byte_order_mark_is_read(tmp_path):
    (tmp_path / "s.toml").write_bytes(b"\xef\xbb\xbf" + (BASE + '[plan]\ncap_change = 10\n').encode("utf-8"))
    code, out, err = cli("validate", tmp_path / "s.toml")
    assert code == 0, err


def test_compare_refuses_every_scenario_before_running_any(tmp_path):
    from scenarios.compare import library

    (tmp_path / "bad.toml").write_text(BASE + '[forecast]\nestimator = "arima"\n', encoding="utf-8")
    code, _, err = cli("compare", library()[0], tmp_path / "bad.toml", "--out", tmp_path / "runs")
    assert code == 2 and "allowed: mean, ses, damped" in err
    assert not (tmp_path / "runs").exists()


def test_validate_accepts_the_default_baseline():
    from scenarios.schema import DEFAULT_SCENARIO

    code, out, err = cli("validate", DEFAULT_SCENARIO)
    assert code == 0, err


def test_a_solve_stopped_by_its_time_limit_is_never_a_plan(tmp_path):
    """With a one-second limit the default LP either proves its optimum or the
    run stops with exit 1 and writes nothing; it never reports an unproven
    iterate as a plan or says the limits are met."""
    from optimize.testing import assert_plan_identities

    (tmp_path / "s.toml").write_text(BASE + QUICK + '[plan]\ntime_limit = 1\n', encoding="utf-8")
    code, out, err = cli("run", tmp_path / "s.toml", "--out", tmp_path / "runs")
    if code == 1:
        assert "time limit of 1 s" in err and "raise plan.time_limit" in err
        assert len(err.strip().splitlines()) == 1
        assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    else:  # a fast machine: the optimum was proven within the second
        assert code == 0, err
        folder = Path(out.strip().splitlines()[-1])
        assert_plan_identities(pd.read_csv(folder / "plan_staff.csv"), atol=1e-4)
        posts = pd.read_csv(folder / "plan_posts.csv")
        by_area = posts.groupby(["region", "year"]).agg(posts=("posts", "sum"), cap=("cap", "first"))
        assert (by_area.posts <= by_area.cap * (1 + 1e-6)).all()
        assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["solver"]["status"] == "Optimal"


def test_csv_text_that_excel_would_run_as_a_formula_is_written_as_text():
    from scenarios.output import excel_safe

    frame = pd.DataFrame({"region": ["=HYPERLINK(\"x\")", "+1", "-east", "@sum", "north"], "n": [-1.0, 2, 3, 4, 5]})
    safe = excel_safe(frame)
    assert safe.region.tolist() == ["'=HYPERLINK(\"x\")", "'+1", "'-east", "'@sum", "north"]
    assert safe.n.tolist() == [-1.0, 2, 3, 4, 5]  # numbers stay numbers, negative ones too
    assert frame.region.iloc[0] == "=HYPERLINK(\"x\")"  # the run's own frame is not changed
    mixed = excel_safe(pd.DataFrame({"note": ["=x", None, 3, "=x", "ok"]}, dtype=object)).note.tolist()
    assert mixed[0] == mixed[3] == "'=x" and mixed[1] is None and mixed[2] == 3 and mixed[4] == "ok"


# --- re-running from a manifest ---------------------------------------------------------------

def test_rerun_reproduces_the_csvs_bit_for_bit(run_with_history, tmp_path):
    # its attrition rates are estimated from roster_previous, not set: the rerun estimates them again
    folder = run_with_history[1]
    assert "attrition_30_39" not in _manifest(folder)["scenario"]["set_in_files"].get("supply", {})
    code, stdout, err = cli("rerun", folder / "manifest.json", "--out", tmp_path)
    assert code == 0, err
    again = Path(stdout.strip().splitlines()[-1])
    old, new = digest(folder), digest(again)
    csvs = [k for k in old if k.endswith(".csv")]
    assert len(csvs) == 17
    assert {k: old[k] for k in csvs} == {k: new[k] for k in csvs}


LONG_NAME = "编制" * 150  # 900 bytes of UTF-8: more than a file name may hold
DOLLAR_TITLE = "$5 亿元 $x$ 方案"


@pytest.fixture(scope="module")
def run_with_history(tmp_path_factory):
    """A quick run that reads the optional roster_previous table, under a
    name longer than a file name may be and a title with dollar signs: the
    rerun tests and the title test read this one run."""
    d = tmp_path_factory.mktemp("history")
    r = pd.read_csv(DEFAULT_DIR / "roster.csv")
    r[r.age >= 31].assign(age=lambda x: x.age - 1).to_csv(d / "roster_2023.csv", index=False)
    (d / "s.toml").write_text(BASE + f'name = "{LONG_NAME}"\ntitle = "{DOLLAR_TITLE}"\n'
                              '[data]\nroster_previous = "roster_2023.csv"\n[forecast]\npaths = 20\n'
                              'horizon = 3\n[plan]\nyears = 3\n', encoding="utf-8")
    code, out, err = cli("run", d / "s.toml", "--out", d / "runs")
    assert code == 0, err
    return d, Path(out.strip().splitlines()[-1])


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _rerun_case(name, folder, tmp_path):
    """Write the manifest variant ``name``; return its path."""
    m = _manifest(folder)
    bad = tmp_path / "manifest.json"
    if name == "rerun_input_changed":
        m["inputs"]["births"]["sha256"] = "0" * 64
    elif name == "rerun_missing_keys":
        del m["inputs"]
    elif name == "rerun_not_json":
        bad.write_text("{ not json", encoding="utf-8")
        return bad
    elif name == "rerun_a_folder":
        bad.mkdir()
        return bad
    bad.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    return bad


RERUN_CASES = {
    "rerun_input_changed": "input 'births' (",
    "rerun_missing_keys": "not a staffcast manifest (missing or malformed 'inputs')",
    "rerun_not_json": "not a staffcast manifest (not JSON text)",
    "rerun_a_folder": "is a folder, not a manifest.json",
}


@pytest.mark.parametrize("case", sorted(RERUN_CASES))
def test_rerun_refuses_a_bad_manifest_in_one_line(run_with_history, tmp_path, case):
    path = _rerun_case(case, run_with_history[1], tmp_path)
    code, _, err = cli("rerun", path, "--out", tmp_path / "runs")
    assert code == 2 and len(err.strip().splitlines()) == 1 and RERUN_CASES[case] in err, err
    assert not (tmp_path / "runs").exists()


def test_rerun_checks_the_optional_inputs_too(run_with_history, tmp_path):
    d, folder = run_with_history
    assert "roster_previous" in _manifest(folder)["inputs"]
    previous = d / "roster_2023.csv"
    original = previous.read_bytes()
    previous.write_bytes(original.replace(b",1\n", b",2\n", 1))
    try:
        code, _, err = cli("rerun", folder / "manifest.json", "--out", tmp_path / "runs")
    finally:
        previous.write_bytes(original)
    assert code == 2 and "input 'roster_previous'" in err and "has changed since the run" in err, err
    code, _, err = cli("rerun", folder / "manifest.json", "--out", tmp_path / "runs")
    assert code == 0, err


# --- back-test arguments --------------------------------------------------------------------

DATA = Path(__file__).parent / "data"
US = ["--births", DATA / "us" / "births.csv", "--enrolment", DATA / "us" / "enrolment_grade.csv",
      "--origins", "1994-1995"]
BACKTEST_CASES = {
    "backtest_horizon_zero": (["--horizon", "0"], "argument --horizon: --horizon is 0; allowed: 1 to 30"),
    "backtest_paths_negative": (["--horizon", "2", "--paths", "-5"], "argument --paths: --paths is -5; allowed: 20"),
    "backtest_paths_zero": (["--horizon", "2", "--paths", "0"], "argument --paths: --paths is 0; allowed: 20"),
    "backtest_origins_reversed": (["--horizon", "2", "--origins", "1998-1994"],
                                  "origins 1998-1994: the last year is before the first"),
    "backtest_out_is_an_input": (["--horizon", "2", "--out", DATA / "us" / "births.csv"],
                                 "--out is one of the back-test's own inputs"),
    "backtest_out_exists": (["--horizon", "2", "--out", "EXISTING"], "--out exists; choose a new file, or add --force"),
}


@pytest.mark.parametrize("case", sorted(BACKTEST_CASES))
def test_bad_backtest_arguments_give_one_line_and_exit_2(tmp_path, case):
    extra, needle = BACKTEST_CASES[case]
    existing = tmp_path / "old.csv"
    existing.write_text("keep me\n", encoding="utf-8")
    args = [str(existing) if a == "EXISTING" else a for a in extra]
    if "--out" not in args:
        args += ["--out", tmp_path / "bt.csv"]
    before = {p: p.read_bytes() for p in (DATA / "us").iterdir()}
    code, _, err = cli("backtest", *US, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err, err
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    assert {p: p.read_bytes() for p in (DATA / "us").iterdir()} == before


def test_backtest_replaces_an_existing_file_only_when_forced(tmp_path):
    existing = tmp_path / "bt.csv"
    existing.write_text("old\n", encoding="utf-8")
    code, out, err = cli("backtest", *US, "--horizon", "1", "--paths", "50", "--out", existing, "--force")
    assert code == 0, err
    assert pd.read_csv(existing).lead.eq(1).all()

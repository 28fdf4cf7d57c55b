"""The staffcast command: a run folder, its contents, and clean errors."""
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

EXPECTED = {"enrolment.csv", "enrolment_stage.csv", "demand.csv", "supply.csv", "gap.csv", "gap_turns.csv", "peaks.csv",
            "plan_staff.csv", "plan_posts.csv", "plan_moves.csv", "plan_hires.csv", "plan_comparison.csv",
            "plan_value.csv", "post_value.csv",
            "plan_violations.csv", "plan_key.csv", "report.pdf", "manifest.json"}


def staffcast(*args, cwd=None):
    exe = shutil.which("staffcast")
    cmd = [exe] if exe else [sys.executable, "-m", "scenarios.cli"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=cwd, timeout=300)


def digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    proc = staffcast("run", "--out", str(out), cwd=tmp_path_factory.mktemp("elsewhere"))
    assert proc.returncode == 0, proc.stderr
    folder = Path(proc.stdout.strip().splitlines()[-1])
    return out, folder


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
    by_area = posts.groupby(["region", "year"]).agg(posts=("posts", "sum"), cap=("cap", "first"))
    assert (by_area.posts <= by_area.cap * (1 + 1e-6)).all()  # solver tolerance


def test_second_run_makes_a_new_folder_and_leaves_the_first_alone(first_run):
    out, folder = first_run
    before = digest(folder)
    proc = staffcast("run", "--out", str(out), "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    second = Path(proc.stdout.strip().splitlines()[-1])
    assert second != folder and second.is_dir()
    assert digest(folder) == before


@pytest.fixture(scope="module")
def english_run(tmp_path_factory):
    proc = staffcast("run", "--lang", "en", "--out", str(tmp_path_factory.mktemp("runs_en")))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress lines when stderr is not a terminal
    return Path(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("lang,word", [("zh", "缺编"), ("en", "Shortfall")])
def test_report_has_its_pages_an_embedded_cjk_font_and_the_csv_numbers(first_run, english_run, lang, word):
    folder = first_run[1] if lang == "zh" else english_run
    pdf = PdfReader(folder / "report.pdf")
    assert len(pdf.pages) == 9
    fonts = set()
    for page in pdf.pages:
        for f in page["/Resources"].get("/Font", {}).values():
            f = f.get_object()
            fonts.add(str(f["/BaseFont"]))
            for d in f.get("/DescendantFonts", []):
                desc = d.get_object()["/FontDescriptor"].get_object()
                assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), "font not embedded"
    assert any("NotoSansCJK" in f for f in fonts), fonts
    text = pdf.pages[0].extract_text()
    assert word in text  # Chinese came through as text, not boxes
    gap = pd.read_csv(folder / "gap.csv")
    staff = pd.read_csv(folder / "plan_staff.csv")
    years = sorted(staff.year.unique())[:3]
    no_action = gap[gap.year.isin(years)].shortfall.sum()
    after = staff[staff.year.isin(years)].shortfall.sum()
    assert f"{no_action:,.0f}" in text
    assert f"{after:,.0f}" in text


NEGATIVE_CAP = "region,year,cap\n" + "".join(f"{r},{y},{-5 if (r, y) == ('east', 2027) else 4000}\n"
                                             for r in ("central", "north", "northeast", "east", "south")
                                             for y in range(2024, 2036))


# id: (files written, what the one line of the error says); README's bad-input table lists them
SCENARIO_CASES = {
    "file_missing": ({}, "not found"),
    "not_toml": ({"s.toml": "x = ["}, "not valid TOML"),
    "unknown_key": ({"s.toml": "colour = 1\n"}, "unknown key 'colour'"),
    "wrong_type": ({"s.toml": 'extends = "default"\n[plan]\ncap_change = "lots"\n'},
                   "key 'plan.cap_change' must be a number, not 'lots'"),
    "out_of_range": ({"s.toml": 'extends = "default"\n[forecast]\npaths = -1\n'},
                     "key 'forecast.paths' is -1; allowed: 0 to 100000"),
    "stage_typo": ({"s.toml": 'extends = "default"\n[demand]\nstaff_ratio = { primry = 13.0 }\n'},
                   "'demand.staff_ratio.primry': unknown stage (allowed: preschool, primary, junior, senior)"),
    "negative_cap": ({"s.toml": 'extends = "default"\n[plan]\ncap_change = -20000\n'}, "leaves a negative cap"),
    "cap_in_data_negative": ({"s.toml": 'extends = "default"\n[data]\ncap = "cap.csv"\n', "cap.csv": NEGATIVE_CAP},
                             "cap.csv, row 41, column 'cap': out of range"),
    "extends_cycle": ({"s.toml": 'extends = "t.toml"\n', "t.toml": 'extends = "s.toml"\n'},
                      "'extends' makes a cycle"),
    "data_file_missing": ({"s.toml": 'extends = "default"\n[data]\nbirths = "births_2024.csv"\n'},
                          "births_2024.csv: births file not found"),
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_bad_scenarios_give_one_clear_line_and_exit_2(tmp_path, case):
    files, needle = SCENARIO_CASES[case]
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    path = tmp_path / "s.toml"
    for command in ("run", "validate", "compare"):
        proc = staffcast(command, str(path), *(["--out", str(tmp_path / "runs")] if command != "validate" else []))
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_compare_refuses_every_scenario_before_running_any(tmp_path):
    from scenarios.compare import library

    (tmp_path / "bad.toml").write_text('extends = "default"\n[forecast]\nestimator = "arima"\n', encoding="utf-8")
    proc = staffcast("compare", str(library()[0]), str(tmp_path / "bad.toml"), "--out", str(tmp_path / "runs"))
    assert proc.returncode == 2 and "allowed: mean, ses, damped" in proc.stderr
    assert not (tmp_path / "runs").exists()


def test_validate_accepts_the_default_baseline():
    from scenarios.schema import DEFAULT_SCENARIO

    proc = staffcast("validate", str(DEFAULT_SCENARIO))
    assert proc.returncode == 0, proc.stderr


def test_rerun_reproduces_the_csvs_bit_for_bit(first_run, tmp_path):
    out, folder = first_run
    proc = staffcast("rerun", str(folder / "manifest.json"), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    again = Path(proc.stdout.strip().splitlines()[-1])
    old, new = digest(folder), digest(again)
    csvs = [k for k in old if k.endswith(".csv")]
    assert len(csvs) == 16
    assert {k: old[k] for k in csvs} == {k: new[k] for k in csvs}


def test_rerun_refuses_a_changed_input(first_run, tmp_path):
    import json

    m = json.loads((first_run[1] / "manifest.json").read_text(encoding="utf-8"))
    m["inputs"]["births"]["sha256"] = "0" * 64
    bad = tmp_path / "manifest.json"
    bad.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    proc = staffcast("rerun", str(bad), "--out", str(tmp_path / "runs"))
    assert proc.returncode == 2 and "births" in proc.stderr and "changed" in proc.stderr

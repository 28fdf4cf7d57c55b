"""Every class of bad input in the README's table, tried through the CLI: one
message per problem naming file, row, column or key, exit code 2, no
traceback. The README table and ``CASES`` list the same classes."""
import re
import shutil
from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.schema import DEFAULT_DIR

README = Path(__file__).parents[1] / "README.md"


def _lines(text):
    return text.splitlines(keepends=True)


def replace_cell(row: int, column: int, value: str):
    """Set one cell (row as a spreadsheet numbers it, header = 1)."""
    def edit(text):
        lines = _lines(text)
        cells = lines[row - 1].rstrip("\n").split(",")
        cells[column] = value
        lines[row - 1] = ",".join(cells) + "\n"
        return "".join(lines)
    return edit


def drop_rows(pattern: str):
    return lambda text: "".join(line for line in _lines(text) if not re.match(pattern, line))


def append(extra: str):
    return lambda text: text + extra


def as_workbook(sheet: str, row: int, column: int, value):
    """The table saved as a sheet of an .xlsx workbook (numbers as numbers),
    with one cell set (row as Excel numbers it, header = 1); the scenario
    then names ``file.xlsx#sheet``."""
    def edit(text):
        from openpyxl import Workbook

        book = Workbook()
        ws = book.active
        ws.title = sheet
        for i, line in enumerate(_lines(text), start=1):
            cells = [c if i == 1 else (float(c) if re.fullmatch(r"-?[0-9.]+", c) else c)
                     for c in line.rstrip("\n").split(",")]
            if i == row:
                cells[column] = value
            ws.append(cells)
        return book
    return edit


def edit_rows(pattern: str, change):
    """Apply ``change(cells)`` to every row matching ``pattern``."""
    def edit(text):
        out = []
        for line in _lines(text):
            if re.match(pattern, line):
                line = ",".join(change(line.rstrip("\n").split(","))) + "\n"
            out.append(line)
        return "".join(out)
    return edit


# id: (file, edit of its text or bytes, what the user sees)
CASES = {
    "missing_file": ("births.csv", None, "births.csv: births file not found"),
    "empty_file": ("births.csv", lambda t: "", "births.csv: the file is empty"),
    "excel_workbook": ("cap.csv", b"PK\x03\x04" + bytes(60), "cap.csv: is an Excel workbook, not a CSV file"),
    "unknown_encoding": ("births.csv", bytes(range(128, 256)) * 4, "neither UTF-8 nor GB18030 text"),
    "missing_column": ("births.csv", lambda t: t.replace("region,year,births", "region,year,born"),
                       "births.csv: missing column 'births' (the births table needs: region, year, births)"),
    "blank_cell": ("births.csv", replace_cell(3, 2, ""), "births.csv, row 3, column 'births': empty cell"),
    "text_in_number": ("enrolment.csv", replace_cell(5, 3, "n/a"),
                       "enrolment.csv, row 5, column 'students': not a number (value: 'n/a')"),
    "negative_count": ("roster.csv", replace_cell(4, 8, "-3"),
                       "roster.csv, row 4, column 'headcount': out of range (allowed: 0 to 100,000) (value: '-3')"),
    "fraction_in_whole_number": ("roster.csv", replace_cell(6, 3, "35.5"),
                                 "roster.csv, row 6, column 'age': not a whole number (value: '35.5')"),
    "age_out_of_range": ("roster.csv", replace_cell(7, 3, "17"),
                         "roster.csv, row 7, column 'age': out of range (allowed: 18 to 70)"),
    "typo_in_code": ("roster.csv", replace_cell(2, 1, "juinor"),
                     "roster.csv, row 2, column 'stage': unknown value (allowed: preschool, primary, junior, senior)"),
    "duplicate_rows": ("enrolment.csv", lambda t: t + _lines(t)[1],
                       "enrolment.csv, row 2: duplicate key (region=central, year=2018, grade=-2)"),
    "year_gap": ("births.csv", drop_rows(r"north,2010,"), "births.csv, column 'year': years missing for region=north: 2010"),
    "totals_row": ("births.csv", append("合计,2019,99999\n"),
                   "births.csv, row 122, column 'region': looks like a totals row"),
    "certificate_below_stage": ("roster.csv", replace_cell(2, 5, "primary"),
                                "roster.csv, row 2, column 'certificate': a 'primary' certificate does not "
                                "qualify for stage 'junior'"),
    "missing_grade": ("enrolment.csv", drop_rows(r"south,2024,5,"),
                      "enrolment.csv, column 'grade': region south, year 2024: missing grades [5]"),
    "grade_year_gap": ("enrolment.csv", drop_rows(r"south,2020,5,"),
                       "enrolment.csv, column 'year': years missing for region=south, grade=5: 2020"),
    "unknown_region": ("roster.csv", replace_cell(2, 0, "centre"),
                       "roster.csv: regions ['centre'] are not in the enrolment table"),
    "cap_years_missing": ("cap.csv", drop_rows(r"east,203[45],"), "cap.csv: region east has no cap for years [2034]"),
    "workbook_bad_cell": ("enrolment.csv", as_workbook("在校生", 5, 3, "n/a"),
                          "enrolment.xlsx, sheet '在校生', row 5, column 'students': not a number (value: 'n/a')"),
    "many_problems_at_once": ("roster.csv", lambda t: replace_cell(3, 4, "X")(replace_cell(9, 8, "lots")(t)),
                              "roster.csv, row 3, column 'sex': unknown value (allowed: M, F)"),
    "implausible_births": ("births.csv", replace_cell(3, 2, "1e308"),
                           "births.csv, row 3, column 'births': out of range (allowed: 0 to 30,000,000) "
                           "(value: '1e308')"),
    "implausible_pupils": ("enrolment.csv", replace_cell(5, 3, "1e308"),
                           "enrolment.csv, row 5, column 'students': out of range (allowed: 0 to 30,000,000)"),
    "implausible_headcount": ("roster.csv", replace_cell(4, 8, "1e308"),
                              "roster.csv, row 4, column 'headcount': out of range (allowed: 0 to 100,000)"),
    "births_jump": ("births.csv", replace_cell(113, 2, "3279000"),
                    "births.csv, row 113, column 'births': 3,279,000 is 1,177 times the year before (2,787 in 2015, "
                    "region=south)"),
    "posts_stage_missing": ("posts.csv", drop_rows(r"south,senior,2024,"),
                            "posts.csv: no posts for the base year 2024 for 1 area/stage pairs (south/senior); "
                            "a missing row is not read as zero posts"),
    "posts_dated_early": ("posts.csv", edit_rows(r"south,", lambda c: [c[0], c[1], "2023", c[3]]),
                          "posts.csv: no posts for the base year 2024 for 4 area/stage pairs (south/preschool, "
                          "south/primary, south/junior, south/senior)"),
    "area_without_pupils": ("enrolment.csv", edit_rows(r"south,", lambda c: c[:3] + ["0"]),
                            "enrolment.csv: region south has no pupils in any grade in 2018, 2019, 2020, 2021, "
                            "2022 …; an area with no pupils cannot be projected"),
}


@pytest.fixture
def data(tmp_path):
    for f in ("births", "enrolment", "roster", "posts", "cap"):
        shutil.copy(DEFAULT_DIR / f"{f}.csv", tmp_path / f"{f}.csv")
    (tmp_path / "s.toml").write_text(
        'extends = "default"\n[data]\nbirths = "births.csv"\nenrolment = "enrolment.csv"\nroster = "roster.csv"\n'
        'posts = "posts.csv"\ncap = "cap.csv"\n', encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_class(case, data, capsys):
    name, edit, message = CASES[case]
    path = data / name
    if edit is None:
        path.unlink()
    elif isinstance(edit, bytes):
        path.write_bytes(edit)
    elif edit.__qualname__.startswith("as_workbook"):
        book = edit(path.read_text(encoding="utf-8"))
        book.save(path.with_suffix(".xlsx"))
        toml = data / "s.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace(
            f'"{name}"', f'"{path.with_suffix(".xlsx").name}#{book.active.title}"'), encoding="utf-8")
    else:
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    errs = []
    for command in (["validate", str(data / "s.toml")], ["run", str(data / "s.toml"), "--out", str(data / "runs")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert message in err, err
        assert all(line.startswith("staffcast: error: ") for line in err.splitlines())
        errs.append(err)
    assert errs[0] == errs[1]  # validate and run share their checks: the same lines
    assert not (data / "runs").exists() or not any((data / "runs").iterdir())
    if case == "many_problems_at_once":
        assert "row 9, column 'headcount': not a number" in err


def test_blank_rows_and_a_tab_separated_utf16_export_are_read(data, capsys):
    text = (data / "births.csv").read_text(encoding="utf-8")
    lines = _lines(text)
    padded = "".join(lines[:5]) + ",,\n\n" + "".join(lines[5:]) + ",,\n"
    (data / "births.csv").write_text(padded, encoding="utf-8")
    (data / "cap.csv").write_bytes((data / "cap.csv").read_text(encoding="utf-8").replace(",", "\t")
                                   .encode("utf-16"))
    assert main(["validate", str(data / "s.toml")]) == 0, capsys.readouterr().err
    # and a problem after the blank rows keeps the row number the file shows
    bad = "".join(lines[:5]) + ",,\n\n" + lines[5].replace(lines[5].split(",")[2], "x\n") + "".join(lines[6:])
    (data / "births.csv").write_text(bad, encoding="utf-8")
    assert main(["validate", str(data / "s.toml")]) == 2
    assert "births.csv, row 8, column 'births': not a number" in capsys.readouterr().err


def test_the_readme_table_lists_exactly_these_cases():
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- bad-input table -->")[1]
    ids = set(re.findall(r"^\| `([a-z_0-9]+)` \|", table, flags=re.M))
    from test_cli import BACKTEST_CASES, RERUN_CASES, SCENARIO_CASES

    scenario_ids = {"scenario_" + k for k in SCENARIO_CASES}
    assert ids == set(CASES) | scenario_ids | set(RERUN_CASES) | set(BACKTEST_CASES)


"""Bad input tables are refused with file, row and column; nothing is dropped."""
import pandas as pd
import pytest

from forecast.errors import InputError
from scenarios.inputs import read_table
from scenarios.schema import DEFAULT_DIR

ROSTER_HEADER = "region,stage,subject,age,sex,certificate,status,key,headcount\n"


def problems(path, table):
    with pytest.raises(InputError) as exc:
        read_table(path, table)
    return exc.value.problems


def test_bad_roster_rows_are_all_named(tmp_path):
    f = tmp_path / "roster.csv"
    f.write_text(ROSTER_HEADER
                 + "a,primary,math,35,F,primary,permanent,0,3\n"
                 + "a,primary,math,75,F,primary,permanent,0,3\n"      # row 3: age
                 + "a,primary,astrology,35,F,primary,permanent,0,3\n"  # row 4: subject
                 + "a,middle,math,35,F,primary,permanent,0,3\n"        # row 5: stage
                 + "a,junior,math,35,M,junior,permanent,0,-2\n"        # row 6: headcount
                 + "a,junior,math,36,M,primary,permanent,0,1\n", encoding="utf-8")  # row 7: certificate
    got = {(p.row, p.column) for p in problems(f, "roster")}
    assert {(3, "age"), (4, "subject"), (5, "stage"), (6, "headcount")} <= got
    text = str(InputError(problems(f, "roster")))
    assert str(f) in text and "row 3" in text and "'age'" in text


def test_certificate_below_the_stage_is_refused(tmp_path):
    f = tmp_path / "roster.csv"
    f.write_text(ROSTER_HEADER + "a,junior,math,36,M,primary,permanent,0,1\n", encoding="utf-8")
    [p] = problems(f, "roster")
    assert p.row == 2 and p.column == "certificate"


@pytest.mark.parametrize("body,expect", [
    ("a,2020,100\na,2020,120\n", "duplicate key"),
    ("a,2020,100\na,2022,120\n", "years missing"),
    ("a,2020,-5\n", "out of range"),
    ("a,2020,many\n", "not a number"),
    ("a,2020,\n", "empty cell"),
])
def test_births_problems(tmp_path, body, expect):
    f = tmp_path / "births.csv"
    f.write_text("region,year,births\n" + body, encoding="utf-8")
    assert any(expect in p.message for p in problems(f, "births"))


def test_missing_column_names_the_table_contract(tmp_path):
    f = tmp_path / "births.csv"
    f.write_text("region,births\na,5\n", encoding="utf-8")
    [p] = problems(f, "births")
    assert "missing column 'year'" in p.message


def test_chinese_headers_bom_and_gb18030_are_read(tmp_path):
    text = "区域,年份,出生人口\n朝阳,2020,100\n朝阳,2021,90\n"
    for enc in ("utf-8-sig", "gb18030"):
        f = tmp_path / f"births-{enc}.csv"
        f.write_bytes(text.encode(enc))
        b = read_table(f, "births")
        assert list(b.columns) == ["region", "year", "births"]
        assert b.region.tolist() == ["朝阳", "朝阳"] and b.births.tolist() == [100.0, 90.0]


def test_default_roster_reads_whole():
    raw = pd.read_csv(DEFAULT_DIR / "roster.csv")
    assert len(read_table(DEFAULT_DIR / "roster.csv", "roster")) == len(raw)


def test_the_readme_lists_every_scenario_key_as_the_settings_declare_it():
    from pathlib import Path

    from scenarios.schema import key_list

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert readme.split("<!-- scenario keys -->")[1].strip() == key_list()


def test_a_jump_is_named_once_at_its_row_and_zero_is_not_a_jump(tmp_path):
    f = tmp_path / "births.csv"
    f.write_text("region,year,births\na,2020,2000\na,2021,2100\na,2022,2100000\na,2023,2200\n"
                 "b,2020,0\nb,2021,5000\nb,2022,5200\n", encoding="utf-8")
    [p] = problems(f, "births")  # the way back from the spike is the same mistake; b opens from zero
    assert (p.row, p.column) == (4, "births") and "1,000 times the year before (2,100 in 2021" in p.message
    f.write_text("region,year,births\na,2020,2000\na,2021,5900\na,2022,2100\n", encoding="utf-8")
    assert len(read_table(f, "births")) == 3  # under three-fold: a real change


def test_blank_cells_in_a_bulletin_are_not_published_not_zero(tmp_path):
    from forecast.errors import InputWarning

    f = tmp_path / "totals.csv"
    f.write_text("region,year,stage,students,entrants\nx,2019,primary,100,20\nx,2020,primary,,\n"
                 "x,2021,primary,110,25\n", encoding="utf-8")
    with pytest.warns(InputWarning, match="row 3, column 'students': blank cell"):
        t = read_table(f, "stage_totals")
    assert t.students.isna().tolist() == [False, True, False] and t.entrants.isna().sum() == 1

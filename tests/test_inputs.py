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

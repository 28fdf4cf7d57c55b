"""Property-based tests: random valid and corrupted inputs, and random
scenario files. Bad input is always an ``InputError`` naming where it is;
good input is read exactly; nothing else is ever raised."""
import json
import shutil
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.errors import InputError
from scenarios.cli import main
from scenarios.inputs import read_table
from scenarios.schema import DEFAULT_DIR, SECTIONS, load_scenario, scenario_keys, validate_dict

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

REGIONS = ["central", "north", "east"]
YEARS = list(range(2015, 2020))


def births_text(values=None, header="region,year,births") -> tuple[str, list]:
    rows = [(r, y, 100 + 7 * i) for i, (r, y) in enumerate((r, y) for r in REGIONS for y in YEARS)]
    if values is not None:
        rows = [(r, y, v) for (r, y, _), v in zip(rows, values)]
    return header + "\n" + "".join(f"{r},{y},{v}\n" for r, y, v in rows), rows


# --- one corrupted cell: refused exactly there, or read exactly --------------------------------

# good: any count that is no jump from its neighbours (100-205: the jump rule needs 1,000)
good_counts = st.one_of(st.integers(0, 999).map(str),
                        st.floats(0, 999, allow_nan=False).map(lambda v: f"{v:.3f}"),
                        st.integers(0, 999).map(lambda v: f"  {v} "))
bad_counts = st.one_of(st.integers(-10**9, -1).map(str), st.integers(3 * 10**7 + 1, 10**12).map(str), st.just(""),
                       st.sampled_from(["inf", "-inf", "nan", "NaN", "1e400", "1e308", "n/a", "-", "NULL", "十",
                                        "１２x", "3 4", "--5", "0x1F"]),
    st.text(alphabet=string.ascii_letters + "汉字#%", min_size=1, max_size=6))


@FUZZ
@given(row=st.integers(0, len(REGIONS) * len(YEARS) - 1), good=st.booleans(), data=st.data())
def test_a_corrupted_count_is_refused_at_its_row_and_column(tmp_path, row, good, data):
    value = data.draw(good_counts if good else bad_counts)
    text, rows = births_text()
    lines = text.splitlines(keepends=True)
    r, y, _ = rows[row]
    lines[row + 1] = f"{r},{y},{value}\n"
    path = tmp_path / "births.csv"
    path.write_text("".join(lines), encoding="utf-8")
    if good:
        df = read_table(path, "births")
        assert len(df) == len(rows)
        assert df.births.iloc[row] == pytest.approx(float(value.strip()))
    else:
        with pytest.raises(InputError) as exc:
            read_table(path, "births")
        assert any(p.row == row + 2 and p.column == "births" for p in exc.value.problems), exc.value
        assert all(p.source == str(path) for p in exc.value.problems)


# --- anything spliced into a file: InputError or a clean table, never a crash -------------------

@FUZZ
@given(at=st.integers(0, 400), junk=st.text(max_size=12), table=st.sampled_from(["births", "cap", "posts"]))
def test_junk_spliced_into_a_file_never_crashes_the_reader(tmp_path, at, junk, table):
    text = (DEFAULT_DIR / f"{table}.csv").read_text(encoding="utf-8")
    at = min(at, len(text))
    path = tmp_path / f"{table}.csv"
    path.write_text(text[:at] + junk + text[at:], encoding="utf-8")
    try:
        df = read_table(path, table)
    except InputError as exc:
        assert exc.problems and all(str(path) in str(p) for p in exc.problems)
        return
    # accepted: nothing invented, nothing blank
    assert len(df) <= text.count("\n") + junk.count("\n") + 1
    assert not df.isna().any().any()


# --- random valid tables in any accepted dress are read exactly ---------------------------------

names = st.text(alphabet=string.ascii_lowercase + "朝阳海淀东西南北区", min_size=1, max_size=6).filter(
    lambda s: s.casefold() not in {"total", "totals", "sum"})


@FUZZ
@given(regions=st.lists(names, min_size=1, max_size=3, unique=True), first=st.integers(1950, 2090),
       n=st.integers(1, 8), data=st.data(),
       header=st.sampled_from([("region", "year", "births"), ("区域", "年份", "出生人口"), ("地区", "年度", "出生数")]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_valid_births_tables_are_read_exactly(tmp_path, regions, first, n, data, header, encoding):
    years = [y for y in range(first, first + n) if y <= 2100]
    # plausible series: a level per area, then yearly changes within a factor of two
    values = []
    for _ in regions:
        level = data.draw(st.integers(1000, 10**6))
        for _ in years:
            values.append(level)
            level = max(1, round(level * data.draw(st.floats(0.5, 2.0))))
    rows = [(r, y) for r in regions for y in years]
    sep = "\t" if encoding == "utf-16" else ","
    text = sep.join(header) + "\n" + "".join(f"{r}{sep}{y}{sep}{v}\n" for (r, y), v in zip(rows, values))
    path = tmp_path / "births.csv"
    path.write_bytes(text.encode(encoding))
    df = read_table(path, "births")
    assert list(df.columns) == ["region", "year", "births"]
    assert list(zip(df.region, df.year)) == rows
    assert df.births.tolist() == [float(v) for v in values]


# --- a random corrupted cell anywhere in the default data, through the CLI ---------------------

@pytest.fixture(scope="module")
def default_copy(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    for f in ("births", "enrolment", "roster", "posts", "cap"):
        shutil.copy(DEFAULT_DIR / f"{f}.csv", d / f"{f}.csv")
    return d


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(["births", "enrolment", "roster", "posts", "cap"]), row=st.integers(1, 10**6),
       col=st.integers(0, 8), value=st.one_of(bad_counts, good_counts, st.text(max_size=6)))
def test_a_corrupted_default_table_gives_exit_0_or_2_and_names_the_file(tmp_path, default_copy, table, row, col,
                                                                          value, capsys):
    for f in default_copy.iterdir():
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = 1 + row % (len(lines) - 1)
    cells = lines[i].rstrip("\n").split(",")
    cells[col % len(cells)] = value
    lines[i] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    (tmp_path / "s.toml").write_text('extends = "default"\n[data]\n' + "".join(
        f'{t} = "{t}.csv"\n' for t in ("births", "enrolment", "roster", "posts", "cap")), encoding="utf-8")
    code = main(["validate", str(tmp_path / "s.toml")])
    err = capsys.readouterr().err
    assert code in (0, 2)
    if code == 2:
        assert err and all(line.startswith("staffcast: error: ") for line in err.splitlines())
        assert "Traceback" not in err


# --- the scenario loader on random files --------------------------------------------------------

def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(x)}" for k, x in v.items()) + "}"


KEYS = sorted(scenario_keys())
text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10)
scalars = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False),
                    text_values, st.sampled_from(["default", "ses", "class", "low", "primary", "F55", "highs"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(
                                                           ["preschool", "primary", "region", "grade", "year",
                                                            "students", "x"]), inner, max_size=3)), max_leaves=6)
scenario_dicts = st.dictionaries(st.one_of(st.sampled_from(KEYS), text_values.filter(bool)), values, max_size=6)


def to_toml(d: dict) -> str:
    tables: dict = {}
    for key, v in d.items():
        sec, _, sub = key.partition(".")
        if sub and sec in SECTIONS:
            if not isinstance(tables.get(sec), dict):
                tables[sec] = {}
            tables[sec][sub] = v
        else:
            tables[key] = v
    return "".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}\n" for k, v in tables.items())


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(d=scenario_dicts, extends=st.booleans())
def test_the_scenario_loader_accepts_or_names_the_problem(tmp_path, d, extends):
    if extends:
        d = {"extends": "default", **d}
    path = tmp_path / "fuzz.toml"
    path.write_text(to_toml(d), encoding="utf-8")
    try:
        s = load_scenario(path)
    except InputError as exc:
        assert str(path) in str(exc) or "fuzz.toml" in str(exc) or "not found" in str(exc), str(exc)
        return
    validate_dict(s.settings, "merged")  # what was accepted is valid
    assert {"births", "enrolment", "roster", "posts", "cap", "base_year"} <= set(s.settings["data"])


@FUZZ
@given(raw=st.binary(max_size=200))
def test_random_bytes_as_a_scenario_are_refused_cleanly(tmp_path, raw):
    path = tmp_path / "junk.toml"
    path.write_bytes(raw)
    try:
        load_scenario(path)
    except InputError:
        pass


# --- random valid districts through the whole pipeline ------------------------------------------

@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keep=st.lists(st.sampled_from(["central", "north", "northeast", "east", "south"]), min_size=1, max_size=5,
                     unique=True),
       scale=st.floats(0.5, 1.6), years=st.integers(2, 4), cap_change=st.integers(-500, 800))
def test_random_valid_districts_run_end_to_end_with_the_plan_identities(tmp_path, keep, scale, years, cap_change):
    from optimize.testing import assert_plan_identities
    from scenarios import run

    for f in ("births", "enrolment", "roster", "posts", "cap"):
        df = pd.read_csv(DEFAULT_DIR / f"{f}.csv")
        df = df[df.region.isin(keep)]
        if f == "enrolment":
            df["students"] = np.round(df.students * scale)
        df.to_csv(tmp_path / f"{f}.csv", index=False)
    (tmp_path / "s.toml").write_text(
        'extends = "default"\n[data]\n' + "".join(f'{t} = "{t}.csv"\n' for t in
                                                  ("births", "enrolment", "roster", "posts", "cap"))
        + f"[forecast]\nhorizon = {years}\npaths = 50\n[plan]\nyears = {years}\ncap_change = {cap_change}\n",
        encoding="utf-8")
    r = run(load_scenario(tmp_path / "s.toml"))
    assert set(r.plan.staff.region) == set(keep)
    assert_plan_identities(r.plan.staff, atol=1e-4)
    posts = r.plan.posts.groupby(["region", "year"]).agg(posts=("posts", "sum"), cap=("cap", "first"))
    broken = r.plan.violations[r.plan.violations.limit == "cap"]["where"]
    ok = posts.posts <= posts.cap * (1 + 1e-6) + 1e-6
    assert set(f"{a}/{b}" for a, b in posts.index[~ok]) <= set(broken)

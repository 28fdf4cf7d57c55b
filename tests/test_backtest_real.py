"""The back-test on the real public data copied into tests/data (see its README).

Each back-test runs once per module, in process, through ``staffcast
backtest`` (``scenarios.cli.main``), and the tests share its CSV and output.
"""
import contextlib
import io
from pathlib import Path

import pandas as pd
import pytest

from scenarios.cli import main

SHARED = Path(__file__).resolve().parent / "data"
COLUMNS = ["region", "stage", "origin", "year", "lead", "actual", "forecast", "lo80", "hi80", "persistence",
           "births_ratio", "n_errors"]
US = ["--births", str(SHARED / "us" / "births.csv"), "--enrolment", str(SHARED / "us" / "enrolment_grade.csv")]
BJ = ["--births", str(SHARED / "beijing" / "births.csv"), "--stage-totals",
      str(SHARED / "beijing" / "stage_totals.csv")]
#: MAPE (%) by stage and lead on main before the stage flow and the calibrated intervals (README, session 4)
US_BEFORE = {"primary": (0.3, 0.6, 1.1), "junior": (0.6, 1.0, 1.4), "senior": (0.4, 0.8, 1.2)}


@pytest.fixture(scope="module")
def us(tmp_path_factory):
    return _run(tmp_path_factory, US + ["--origins", "1992-1998", "--horizon", "3"])


@pytest.fixture(scope="module")
def beijing(tmp_path_factory):
    return _run(tmp_path_factory, BJ + ["--origins", "2013-2018", "--horizon", "3"])


def _run(tmp_path_factory, args):
    out = tmp_path_factory.mktemp("bt") / "bt.csv"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["backtest", *args, "--out", str(out)])
    return code, stdout.getvalue(), stderr.getvalue(), out


def mape(df, col):
    return ((df[col] - df.actual).abs() / df.actual).mean() * 100


def coverage80(df):
    return ((df.actual >= df.lo80) & (df.actual <= df.hi80)).mean()


def test_us_by_grade_no_worse_than_before_and_ahead_of_persistence(us):
    code, stdout, stderr, out = us
    assert code == 0, stderr
    bt = pd.read_csv(out)
    assert list(bt.columns) == COLUMNS
    assert stdout.strip().splitlines()[-1] == str(out)
    for stage, before in US_BEFORE.items():
        for lead in (1, 2, 3):
            d = bt[(bt.stage == stage) & (bt.lead == lead)]
            assert len(d) >= 5
            assert mape(d, "forecast") <= before[lead - 1] + 0.2, (stage, lead)
            assert mape(d, "forecast") < mape(d, "persistence"), (stage, lead)


def test_beijing_primary_and_senior_beat_persistence_at_every_lead(beijing):
    code, stdout, stderr, out = beijing
    assert code == 0, stderr
    bt = pd.read_csv(out)
    assert set(bt.stage) == {"primary", "junior", "senior"}
    assert (bt.year - bt.origin == bt.lead).all() and bt.origin.max() == 2018
    for stage in ("primary", "senior"):
        for lead in (1, 2, 3):
            d = bt[(bt.stage == stage) & (bt.lead == lead)]
            assert mape(d, "forecast") < mape(d, "persistence"), (stage, lead)
    # junior is the known miss at lead 3: the 2015-16 fall in primary-to-junior
    # transition (admission rules) is in no data up to the origins (README)


@pytest.mark.parametrize("fixture", ["us", "beijing"])
def test_pooled_coverage_and_what_each_interval_rests_on(fixture, request):
    code, stdout, _, out = request.getfixturevalue(fixture)
    bt = pd.read_csv(out)
    assert 0.7 <= coverage80(bt) <= 0.9
    # every interval says how many earlier errors it rests on; the first origin has none yet
    # in the US (three years of data), and the count grows as origins pass
    assert (bt.n_errors >= 0).all()
    first = bt[bt.origin == bt.origin.min()].n_errors
    last = bt[bt.origin == bt.origin.max()].n_errors
    assert last.min() > first.max() or fixture == "beijing"
    assert (bt.lo80 <= bt.forecast).all() and (bt.forecast <= bt.hi80).all()
    lines = stdout.splitlines()
    pooled = [line for line in lines if line.startswith("80% coverage pooled:")]
    assert len(pooled) == 1 and f"{coverage80(bt) * 100:.1f}% of {len(bt)} actuals" in pooled[0]
    stages = sorted(set(bt.stage))
    assert all(any(line.startswith(s) for line in lines) for s in stages)


def test_beijing_says_which_values_it_filled(beijing):
    _, stdout, stderr, _ = beijing
    assert "primary entrants not published in 2015, 2016, 2018: filled from the flow identity" in stdout
    assert "junior graduates not published in 2015, 2016, 2017, 2018: filled from the flow identity" in stdout
    assert "staffcast: warning:" in stderr and "column 'entrants': blank cell" in stderr


def test_a_stage_too_short_at_an_origin_is_dropped_there_alone(tmp_path):
    out = tmp_path / "bt.csv"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = main(["backtest", *BJ, "--origins", "2012-2013", "--horizon", "1", "--paths", "20", "--out",
                     str(out)])
    assert code == 0
    bt = pd.read_csv(out)
    at2012 = bt[bt.origin == 2012]
    assert set(at2012.stage) == {"primary", "senior"}           # junior has 2011-2012 only
    assert set(bt[bt.origin == 2013].stage) == {"primary", "junior", "senior"}
    notes = [line for line in stdout.getvalue().splitlines() if "dropped" in line]
    assert notes == ["origin 2012: junior dropped (2 consecutive published years up to 2012; at least 3 "
                     "needed); the other stages are projected"]


def test_a_blank_students_cell_is_a_year_not_published(tmp_path):
    lines = (SHARED / "beijing" / "stage_totals.csv").read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("Beijing,2010,senior,"))
    cells = lines[row].split(",")
    cells[3] = ""
    lines[row] = ",".join(cells)
    totals = tmp_path / "stage_totals.csv"
    totals.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, stdout, stderr = tmp_path / "bt.csv", io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["backtest", "--births", str(SHARED / "beijing" / "births.csv"), "--stage-totals", str(totals),
                     "--origins", "2012-2013", "--horizon", "1", "--paths", "20", "--out", str(out)])
    assert code == 0, stderr.getvalue()
    assert f"staffcast: warning: {totals}, row {row + 1}, column 'students': blank cell" in stderr.getvalue()
    # a missing year: senior's run restarts in 2011, too short at 2012, long enough at 2013
    assert "origin 2012: senior dropped (2 consecutive published years up to 2012" in stdout.getvalue()
    bt = pd.read_csv(out)
    assert set(bt[bt.origin == 2012].stage) == {"primary"}
    assert "senior" in set(bt[bt.origin == 2013].stage)


def test_bad_backtest_input_names_the_file_and_row(tmp_path, capsys):
    bad = tmp_path / "births.csv"
    bad.write_text("region,year,births\nBeijing,2001,lots\n", encoding="utf-8")
    code = main(["backtest", "--births", str(bad), "--stage-totals", str(SHARED / "beijing" / "stage_totals.csv"),
                 "--origins", "2013-2014", "--horizon", "2", "--out", str(tmp_path / "bt.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert str(bad) in err and "row 2" in err and "births" in err

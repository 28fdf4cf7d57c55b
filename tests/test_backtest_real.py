"""The back-test on the real public data copied into tests/data (see its README)."""
import subprocess
import sys
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parent / "data"
COLUMNS = ["region", "stage", "origin", "year", "lead", "actual", "forecast", "lo80", "hi80", "persistence",
           "births_ratio"]


def backtest(tmp_path, *args):
    out = tmp_path / "bt.csv"
    proc = subprocess.run([sys.executable, "-m", "scenarios.cli", "backtest", *args, "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    return proc, out


def mape(df, col):
    return ((df[col] - df.actual).abs() / df.actual).mean()


def coverage80(df):
    return ((df.actual >= df.lo80) & (df.actual <= df.hi80)).mean()


def test_us_by_grade_beats_persistence_in_every_stage(tmp_path):
    proc, out = backtest(tmp_path, "--births", str(SHARED / "us" / "births.csv"), "--enrolment",
                         str(SHARED / "us" / "enrolment_grade.csv"), "--origins", "1992-1998", "--horizon", "3")
    assert proc.returncode == 0, proc.stderr
    bt = pd.read_csv(out)
    assert list(bt.columns) == COLUMNS
    assert proc.stdout.strip().splitlines()[-1] == str(out)
    for stage in ("preschool", "primary", "junior", "senior"):
        for lead in (2, 3):
            d = bt[(bt.stage == stage) & (bt.lead == lead)]
            assert len(d) >= 5
            assert mape(d, "forecast") < mape(d, "persistence"), (stage, lead)
    assert 0.7 <= coverage80(bt) <= 0.9


def test_beijing_stage_totals_beat_persistence_but_for_junior_at_lead_3(tmp_path):
    proc, out = backtest(tmp_path, "--births", str(SHARED / "beijing" / "births.csv"), "--stage-totals",
                         str(SHARED / "beijing" / "stage_totals.csv"), "--origins", "2013-2018", "--horizon", "3")
    assert proc.returncode == 0, proc.stderr
    bt = pd.read_csv(out)
    assert set(bt.stage) == {"primary", "junior", "senior"}
    assert (bt.year - bt.origin == bt.lead).all() and bt.origin.max() == 2018
    for stage, lead in [("primary", 2), ("primary", 3), ("junior", 2), ("senior", 2), ("senior", 3)]:
        d = bt[(bt.stage == stage) & (bt.lead == lead)]
        assert mape(d, "forecast") < mape(d, "persistence"), (stage, lead)
    # junior at lead 3 is the known miss: the 2015-16 fall in primary-to-junior
    # transition (admission rules) is in no data up to the origins; no mix of
    # the cohort model and persistence beats persistence there (README)
    assert 0.7 <= coverage80(bt) <= 0.9


def test_bad_backtest_input_names_the_file_and_row(tmp_path):
    bad = tmp_path / "births.csv"
    bad.write_text("region,year,births\nBeijing,2001,lots\n", encoding="utf-8")
    proc, _ = backtest(tmp_path, "--births", str(bad), "--stage-totals", str(SHARED / "beijing" / "stage_totals.csv"),
                       "--origins", "2013-2014", "--horizon", "2")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert str(bad) in proc.stderr and "row 2" in proc.stderr and "births" in proc.stderr

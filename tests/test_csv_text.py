"""The column-wise CSV writer writes what ``DataFrame.to_csv`` writes, byte for byte."""
import numpy as np
import pandas as pd
import pytest

from scenarios import csv_text
from scenarios.csv_text import write_csv_text


def pandas_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, float_format="%.6f", lineterminator="\n")


def written(frame: pd.DataFrame, tmp_path) -> str:
    path = tmp_path / "t.csv"
    write_csv_text(frame, path)
    return path.read_bytes().decode("utf-8")


TRICKY = pd.DataFrame({
    "a": [1.5, -0.0, 0.0, np.nan, 1e-9, -1e-9, np.inf],
    "text, quoted": ["x,y", 'q"r', None, "", " s ", "a\nb", "普通话"],
    "mixed": [1.25, "s", None, np.nan, True, 1, pd.NA],
    "ints": np.arange(7) - 3,
    "flags": [True, False] * 3 + [True],
    "f32": np.array([0.1, 2.5, -1, 0, 0, 3, 1e6], dtype=np.float32),
    "str": pd.array(["=A1", None, "b", "b", "c", "d", "e"], dtype="str"),
})


def test_tricky_values_as_pandas_writes_them(tmp_path):
    assert written(TRICKY, tmp_path) == pandas_text(TRICKY)


def test_blocks_of_rows_join_without_a_seam(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_text, "BLOCK_ROWS", 3)
    frame = pd.concat([TRICKY] * 3, ignore_index=True)
    assert written(frame, tmp_path) == pandas_text(frame)


@pytest.mark.parametrize("frame", [
    TRICKY.iloc[:0],                                              # header only
    pd.DataFrame({"only": ["", None, "x"]}),                      # one column: '""' for an empty field
    pd.DataFrame({"day": pd.to_datetime(["2024-09-01", "2025-09-01"]), "n": [1, 2]}),  # dates: pandas'
    pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": [0.5, 1.0]}),
])
def test_edge_frames(frame, tmp_path):
    assert written(frame, tmp_path) == pandas_text(frame)


"""A table's CSV text, the bytes ``DataFrame.to_csv`` writes, made column-wise.

``to_csv`` formats and writes cell by cell through the csv module, about a
microsecond a cell: a country's tables (74 million cells) took 50–67 s.
Here every distinct value of a column is formatted once (with the comma
that follows it), each column is spread to its rows by one take on an
object array, and each row is one ``str.join`` of its fields, in blocks of
rows, so that memory stays bounded: 300 counties' 17 tables (7.8 million
cells) 4.6–5.2 s → 1.2–1.9 s, their ``supply`` (3.2 million) 1.8–2.6 s →
0.4–0.6 s (both writers three times on one run's tables). The text is the
same, byte for byte, as
``to_csv(index=False, float_format="%.6f", lineterminator="\n")`` with its
defaults otherwise (minimal quoting with ``"``, missing values empty),
which ``tests/test_csv_text.py`` holds it to.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: rows formatted and written at a time: a block of a country's supply table is about 10 MB of text
BLOCK_ROWS = 100_000
#: characters after which the csv module quotes a field (QUOTE_MINIMAL, "," as delimiter)
NEEDS_QUOTES = (",", '"', "\n", "\r")


def write_csv_text(frame: pd.DataFrame, path: Path, float_format: str = "%.6f") -> None:
    """Write ``frame`` without its index to ``path`` as UTF-8 CSV text
    (``to_csv``'s, see the module's docstring). A frame of one column, or
    with a column that is not numbers, booleans or text (dates,
    categories), is left to ``to_csv`` itself."""
    if frame.shape[1] < 2 or not all(map(_plain, frame.dtypes)):
        # one field a row: the csv module quotes an empty one ('""'), which the rows here do not
        frame.to_csv(path, index=False, float_format=float_format, lineterminator="\n")
        return
    last = frame.shape[1] - 1
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(_quoted(str(c)) for c in frame.columns) + "\n")
        for start in range(0, len(frame), BLOCK_ROWS):
            block = frame.iloc[start:start + BLOCK_ROWS]
            fields = [_fields(block.iloc[:, j], float_format, "," if j < last else "\n") for j in range(last + 1)]
            out.write("".join(map("".join, zip(*fields))))


def _fields(values: pd.Series, float_format: str, end: str) -> np.ndarray:
    """Each cell of a column as its CSV field followed by ``end`` (an object
    array of str), each distinct value formatted once."""
    if values.dtype.kind == "f":
        # distinct by bit pattern: -0.0 and 0.0 are equal but are written "-0.000000" and "0.000000"
        floats = values.to_numpy()
        codes, bits = pd.factorize(floats.view(f"i{floats.itemsize}"))
        texts = [end if x != x else float_format % x + end for x in bits.view(floats.dtype).tolist()]
    elif values.dtype.kind == "O" and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        # mixed objects cell by cell: True, 1 and 1.0 are one value to factorize but three texts
        return np.array([_field(v) + end for v in values.tolist()], dtype=object)
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        texts = [_field(u) + end for u in np.asarray(uniques, dtype=object).tolist()]
    return np.array(texts, dtype=object)[codes]


def _plain(dtype) -> bool:
    """numpy numbers, booleans and objects, and pandas' text: the dtypes whose fields are made here."""
    return (isinstance(dtype, np.dtype) and dtype.kind in "fiubO") or isinstance(dtype, pd.StringDtype)


def _field(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return _quoted(str(value))


def _quoted(text: str) -> str:
    if any(ch in text for ch in NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text

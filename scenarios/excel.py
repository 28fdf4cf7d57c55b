"""Excel workbooks in and out (openpyxl).

In: any input table may be a sheet of an ``.xlsx`` workbook — the first
sheet, or the one named after ``#`` (``data.xlsx#births``). Its cells are
turned into the same text cells a CSV gives and checked by
``scenarios.inputs.parse_table``, so a workbook gets the same validation and
messages as a CSV, with the sheet in the source and rows numbered as Excel
shows them.

Out: ``results.xlsx``, one sheet per output table, column headers in the
run's language, numbers stored as numbers, the header row frozen.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import InputError

#: file name endings read as workbooks (the macro-enabled kind too)
SUFFIXES = (".xlsx", ".xlsm")


def split_sheet(path: str | Path) -> tuple[Path, str | None]:
    """``data.xlsx#births`` -> (data.xlsx, 'births'); any other path -> (path, None).
    Only the last ``#`` after a workbook's name counts, so a ``#`` inside a
    file name is left alone."""
    text = str(path)
    head, sep, sheet = text.rpartition("#")
    if sep and head.lower().endswith(SUFFIXES):
        return Path(head), sheet or None
    return Path(text), None


def file_of(path: str | Path) -> Path:
    """The file behind a table path (``#sheet`` removed): what is hashed."""
    return split_sheet(path)[0]


def is_workbook(path: str | Path) -> bool:
    return str(split_sheet(path)[0]).lower().endswith(SUFFIXES)


def _text(value) -> str:
    """A cell as the text a CSV would hold: whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def read_sheet(path: str | Path) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Text cells of one sheet: (table with the first non-blank row as
    header, each row's number as Excel shows it, source label naming file and
    sheet). Rows with every cell blank are skipped (their numbers too)."""
    from openpyxl import load_workbook

    file, sheet = split_sheet(path)
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{file}: not a readable Excel workbook ({exc})") from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise InputError(f"{file}: no sheet '{sheet}' (the workbook has: {', '.join(wb.sheetnames)})")
        src = f"{file}, sheet '{ws.title}'"
        rows, numbers = [], []
        for cells in ws.iter_rows():
            texts = [_text(c.value).strip() if c.value is not None else "" for c in cells]
            if not any(texts):
                continue
            rows.append(texts)
            numbers.append(next(c.row for c in cells if getattr(c, "row", None) is not None))
    finally:
        wb.close()
    if not rows:
        raise InputError(f"{src}: the sheet is empty")
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = rows[0]
    keep = [i for i, h in enumerate(header) if h or any(r[i] for r in rows[1:])]
    header = [header[i] or f"column {i + 1}" for i in keep]
    body = pd.DataFrame([[r[i] for i in keep] for r in rows[1:]], columns=header, dtype=object)
    return body, np.asarray(numbers[1:], dtype=int), src


# --- out -----------------------------------------------------------------------------------------

#: Excel's limit on sheet names
SHEET_NAME_MAX = 31


def write_workbook(frames: dict[str, pd.DataFrame], path: str | Path, headers: dict[str, str] | None = None,
                   lang: str = "en") -> None:
    """The tables of ``workbook_sheets(frames, lang)`` as a workbook: one
    sheet per frame (named by its key), header row frozen and in the words
    of ``headers`` (column name -> heading; others as they are), numbers as
    numbers, text as text (never run as a formula)."""
    write_sheets(workbook_sheets(frames, lang), path, headers)


def workbook_sheets(frames: dict[str, pd.DataFrame], lang: str = "en") -> dict[str, pd.DataFrame]:
    """The sheets of a workbook of ``frames``: every table that fits an Excel
    sheet (``SHEET_ROWS``) while the workbook holds at most
    ``WORKBOOK_CELLS`` cells, the largest tables left out first; and, when
    one is left out, a last sheet in ``lang`` naming it, why, and its CSV.

    Cut over several sheets a table longer than a sheet could not be sorted,
    filtered or pivoted as one. A country's 2,850 counties make 74 million
    cells, 43 million outside its supply table: openpyxl took 318 s to
    write those, and Excel needs minutes and gigabytes to open them; a
    district's or a city's workbook stays whole."""
    from scenarios.labels import LEFT_OUT

    left = {name: "rows" for name, frame in frames.items() if len(frame) > SHEET_ROWS}
    cells = {name: len(frame) * max(1, frame.shape[1]) for name, frame in frames.items() if name not in left}
    for name in sorted(cells, key=lambda n: -cells[n]):
        if sum(cells.values()) <= WORKBOOK_CELLS:
            break
        left[name] = "cells"
        del cells[name]
    sheets = {name: frame for name, frame in frames.items() if name not in left}
    if left:
        title, table, rows, note, why = LEFT_OUT[lang]
        sheets[title] = pd.DataFrame({table: list(left), rows: [len(frames[n]) for n in left],
                                      note: [why[left[n]].format(rows=SHEET_ROWS + 1, cells=WORKBOOK_CELLS, name=n)
                                             for n in left]})
    return sheets


def write_sheets(sheets: dict[str, pd.DataFrame], path: str | Path, headers: dict[str, str] | None = None) -> None:
    """Every frame of ``sheets`` as a sheet, as ``write_workbook`` describes."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, frame in sheets.items():
        _write_sheet(wb, name, frame, headers or {})
    wb.save(path)


def _write_sheet(wb, name: str, frame: pd.DataFrame, headers: dict[str, str]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    ws = wb.create_sheet(title=name[:SHEET_NAME_MAX])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for col in frame.columns:
        cell = WriteOnlyCell(ws, value=headers.get(col, col))
        cell.font = bold
        head.append(cell)
    ws.append(head)
    columns = [_column_values(frame[c]) for c in frame.columns]
    for row in zip(*columns):
        ws.append([_as_text(ws, v) if isinstance(v, str) and v.startswith("=") else v for v in row])


#: rows of data a sheet holds (Excel's 1,048,576 less the header)
SHEET_ROWS = 1_048_575
#: cells (rows x columns) a workbook holds at most: the default district's tables have 0.12 million, the
#: generated city's 2.4 million (written in 19 s), 300 counties' 7.8 million, a country's 74 million
WORKBOOK_CELLS = 10_000_000


def _column_values(values: pd.Series) -> list:
    """A column as Python values openpyxl stores natively: int, float, str or
    None (blank)."""
    if pd.api.types.is_bool_dtype(values):
        return [None if pd.isna(v) else bool(v) for v in values]
    if pd.api.types.is_integer_dtype(values):
        return [None if pd.isna(v) else int(v) for v in values]
    if pd.api.types.is_float_dtype(values):
        return [None if not np.isfinite(v) else float(v) for v in values.to_numpy(dtype=float)]
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            out.append(None)
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out.append(int(v))
        elif isinstance(v, (float, np.floating)):
            out.append(float(v))
        else:
            out.append(str(v))
    return out


def _as_text(ws, text: str):
    """A text cell that openpyxl would otherwise store as a formula ('=…')."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    return cell

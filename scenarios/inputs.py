"""Reading and checking the input tables (the CSV contracts in DESIGN.md).

Each reader returns a clean DataFrame or raises ``InputError`` listing every
problem found, each with file, row (as a spreadsheet numbers it: the header is
row 1), column and value. Nothing is dropped or filled in silently. Files may
be UTF-8 (with or without BOM) or GB18030, or a sheet of an Excel workbook
(``scenarios.excel``); Chinese headers are accepted.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.curriculum import PRESCHOOL_SUBJECT, SUBJECTS
from forecast.errors import InputError, InputWarning, Problem
from forecast.grades import STAGES
from optimize.problem import may_teach
from scenarios import excel


@dataclass(frozen=True)
class Column:
    """One column of an input table. ``lo``/``hi`` bound numbers: ``hi`` is
    set far beyond any real planning unit, so that a cell of 1e308 or a
    value pasted a few columns off is refused with the range named.
    ``blank`` means a blank cell is "not given" (NaN), not an error; with
    ``warn_blank`` each one is reported as a warning."""

    name: str
    kind: str  # "int", "num" or "str"
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    aliases: tuple = ()
    optional: bool = False  # the column may be absent
    blank: bool = False
    warn_blank: bool = False


@dataclass(frozen=True)
class Table:
    """One input table of the data contracts (DESIGN.md): its columns, the
    key that identifies a row, and the column whose year-on-year jumps are
    checked (``jump``: a count more than ``JUMP`` times or less than 1/JUMP
    of the year before, where both years are at least ``JUMP_FLOOR``).

    ``scenario``: a scenario's ``[data]`` names it; ``required``: it must."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...]
    scenario: bool = True
    required: bool = True
    jump: str | None = None


#: a year-on-year change larger than this factor is refused as implausible
JUMP = 3.0
#: counts below this are too small for the jump rule (a new school, a tiny area)
JUMP_FLOOR = 1000.0
#: the largest plausible counts per row: far above the largest real unit
#: (India's births are about 25 million a year, China's pupils per grade about 18 million)
MAX_BIRTHS = 30_000_000
MAX_PUPILS = 30_000_000
MAX_STAGE_PUPILS = 300_000_000
MAX_TEACHERS = 100_000
MAX_POSTS = 2_000_000


def _region() -> Column:
    return Column("region", "str", aliases=("区域", "地区", "片区"))


def _district() -> Column:
    """The planning unit (区/县) an area belongs to: absent, one district."""
    return Column("district", "str", aliases=("区县", "县区"), optional=True)


def _year() -> Column:
    return Column("year", "int", 1900, 2100, aliases=("年份", "年度"))


_ROSTER = (_district(), _region(), Column("stage", "str", choices=STAGES, aliases=("学段",)),
           Column("subject", "str", choices=SUBJECTS + (PRESCHOOL_SUBJECT,), aliases=("学科",)),
           Column("age", "int", 18, 70, aliases=("年龄",)),
           Column("sex", "str", choices=("M", "F"), aliases=("性别",)),
           Column("certificate", "str", choices=STAGES, aliases=("教师资格", "资格证")),
           Column("status", "str", choices=("permanent", "temporary"), aliases=("身份", "编制")),
           Column("key", "int", 0, 1, aliases=("骨干",)),
           Column("headcount", "num", 0, MAX_TEACHERS, aliases=("人数",)))
_ROSTER_KEYS = ("region", "stage", "subject", "age", "sex", "certificate", "status", "key")
_OPTIONAL = dict(optional=True, blank=True, warn_blank=True)

#: every input table, declared once: reading, hashing, ``validate`` and
#: ``rerun`` all go through this registry
TABLES: dict[str, Table] = {t.name: t for t in (
    Table("births", "births by area and year (persons)",
          (_district(), _region(), _year(), Column("births", "num", 0, MAX_BIRTHS, aliases=("出生人口", "出生数"))),
          ("region", "year"), jump="births"),
    Table("enrolment", "pupils by area, grade and year (persons); the last year is the base year",
          (_district(), _region(), _year(), Column("grade", "int", -2, 12, aliases=("年级",)),
           Column("students", "num", 0, MAX_PUPILS, aliases=("在校生", "学生数"))),
          ("region", "year", "grade"), jump="students"),
    Table("roster", "teachers in post in the base year (persons)", _ROSTER, _ROSTER_KEYS),
    Table("posts", "establishment posts by area and stage (posts)",
          (_district(), _region(), Column("stage", "str", choices=STAGES, aliases=("学段",)), _year(),
           Column("posts", "num", 0, MAX_POSTS, aliases=("编制数", "编制"))), ("region", "stage", "year")),
    Table("cap", "each area's establishment cap by year (posts)",
          (_district(), _region(), _year(), Column("cap", "num", 0, MAX_POSTS, aliases=("编制总额", "总编制"))),
          ("region", "year")),
    Table("roster_previous", "the roster a year before the base year: attrition is estimated from it", _ROSTER,
          _ROSTER_KEYS, required=False),
    Table("areas", "each area's display name in the report, and optionally an English one",
          (_district(), _region(), Column("name", "str", aliases=("名称", "片区名称", "区域名称")),
           Column("name_en", "str", aliases=("英文名称",), optional=True, blank=True)),
          ("region",), required=False),
    Table("graduates", "graduates a district can hire per certificate and year (persons per year); "
          "overrides plan.graduate_supply for the districts it lists",
          (_district(), Column("certificate", "str", choices=STAGES, aliases=("教师资格",)),
           Column("graduates", "num", 0, MAX_TEACHERS, aliases=("毕业生", "可招聘人数"))),
          ("district", "certificate"), required=False),
    Table("stage_totals", "pupils by area, stage and year as bulletins publish them (persons)",
          (_region(), _year(), Column("stage", "str", choices=STAGES, aliases=("学段",)),
           Column("students", "num", 0, MAX_STAGE_PUPILS, aliases=("在校生", "在校生数"), blank=True,
                  warn_blank=True),
           Column("entrants", "num", 0, MAX_STAGE_PUPILS, aliases=("招生", "招生数"), **_OPTIONAL),
           Column("graduates", "num", 0, MAX_STAGE_PUPILS, aliases=("毕业生", "毕业生数"), **_OPTIONAL),
           Column("teachers", "num", 0, MAX_STAGE_PUPILS, aliases=("专任教师", "专任教师数"), **_OPTIONAL)),
          ("region", "stage", "year"), scenario=False),
)}
SCENARIO_TABLES = tuple(name for name, t in TABLES.items() if t.scenario)


TOTALS = {"合计", "总计", "小计", "total", "totals", "grand total", "sum"}


def _decode(path: Path) -> tuple[bytes, str, str]:
    """The file's bytes, its encoding — UTF-16 with a BOM (Excel's "Unicode
    text"), UTF-8 with or without BOM, or GB18030 — and its first line; an
    Excel workbook is named as such."""
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        raise InputError(f"{path}: is an Excel workbook, not a CSV file; name it .xlsx (staffcast reads "
                         f"workbooks) or save it as CSV (UTF-8)")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(f"{path}: is an Excel 97-2003 workbook (.xls), not a CSV file; save it as .xlsx or as "
                         f"CSV (UTF-8)")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16")
        return text.encode("utf-8"), "utf-8", _first_line(text)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data, enc, _first_line(data.decode(enc))  # the whole file must decode
        except UnicodeDecodeError as exc:
            last = exc
    raise InputError(f"{path}: neither UTF-8 nor GB18030 text ({last})")


def _first_line(text: str) -> str:
    """The first line after leading blanks, without copying the rest (a
    country's roster is 330 MiB: splitting it copied it whole, 1.2 s)."""
    text = text.lstrip()
    end = text.find("\n")
    return text if end < 0 else text[:end]


def _read_text(path: Path) -> pd.DataFrame:
    """All cells as text, each column categorical (a table of millions of rows
    holds few distinct cells, and every check below works on those);
    comma-separated, or tab-separated if the header has tabs and no commas.
    Rows with every cell blank (spreadsheet padding) carry no data and are
    skipped; row numbers stay those of the file."""
    import io

    data, encoding, header = _decode(path)
    sep = "\t" if "\t" in header and "," not in header else ","
    try:
        chunks = pd.read_csv(io.BytesIO(data), sep=sep, encoding=encoding, dtype=str, keep_default_na=False,
                             skipinitialspace=True, skip_blank_lines=False, chunksize=CHUNK_ROWS)
        df = _categorical(chunks)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        raise InputError(f"{path}: not a readable CSV table ({str(exc).strip()})") from None
    del data
    if not len(df.columns):
        return df
    blank = np.ones(len(df), dtype=bool)
    for c in df.columns:
        empty = np.asarray(df[c].cat.categories.astype(str).str.strip() == "")
        blank &= empty[df[c].cat.codes.to_numpy()]
    return df[~blank]


#: rows parsed at a time: a country's roster (millions of rows) never sits in memory as text
CHUNK_ROWS = 250_000


def _categorical(chunks) -> pd.DataFrame:
    """Concatenate text chunks into categorical columns whose categories are
    the cells' text exactly as written (no numeric parsing yet)."""
    index: dict[str, dict[str, int]] = {}
    codes: dict[str, list[np.ndarray]] = {}
    columns = None
    for chunk in chunks:
        chunk = chunk.fillna("")
        if columns is None:
            columns = list(chunk.columns)
            index = {c: {} for c in columns}
            codes = {c: [] for c in columns}
        for c in columns:
            local, uniques = pd.factorize(chunk[c].to_numpy(dtype=object), use_na_sentinel=False)
            seen = index[c]
            remap = np.array([seen.setdefault(u, len(seen)) for u in uniques], dtype=np.int64)
            codes[c].append(remap[local] if len(local) else local.astype(np.int64))
    if columns is None:
        raise pd.errors.EmptyDataError
    out = {}
    for c in columns:
        cats = pd.Index(list(index[c]), dtype=object)
        allc = np.concatenate(codes[c]) if codes[c] else np.zeros(0, dtype=np.int64)
        out[c] = pd.Categorical.from_codes(allc, categories=cats) if len(cats) else pd.Categorical([])
    return pd.DataFrame(out, columns=columns)


def read_table(path: str | Path, table: str, allow_gaps: bool = False) -> pd.DataFrame:
    """Read and check one input table; see ``TABLES`` for the columns.

    ``path`` is a CSV file or an Excel workbook (``.xlsx``: its first sheet,
    or ``book.xlsx#sheet``). Raises ``InputError`` listing every problem
    (file and sheet, row as the spreadsheet numbers it, column, value);
    issues an ``InputWarning`` per blank cell where a blank means "not
    published". ``allow_gaps`` accepts missing years (the back-test uses the
    consecutive run of years before each origin); everything else is still
    checked.
    """
    spec = TABLES[table]
    file = excel.file_of(path)
    if not file.is_file():
        raise InputError(f"{file}: {table} file not found")
    if excel.is_workbook(path):
        raw, line, src = excel.read_sheet(path)
        return parse_table(raw, line, spec, src, allow_gaps)
    raw = _read_text(file)
    line = raw.index.to_numpy() + 2  # row numbers as a spreadsheet shows them (header = 1)
    return parse_table(raw.reset_index(drop=True), line, spec, str(file), allow_gaps)


def parse_table(raw: pd.DataFrame, line: np.ndarray, spec: Table, src: str, allow_gaps: bool = False) -> pd.DataFrame:
    """Check a table of text cells (``line``: each row's number as the
    source shows it) against its contract and return the typed table."""
    raw = raw.copy()
    raw.columns = [str(c).strip() for c in raw.columns]
    columns, keys = spec.columns, spec.keys
    rename = {}
    problems: list[Problem] = []
    for col in columns:
        found = [c for c in raw.columns if c == col.name or c in col.aliases]
        if not found and col.optional:
            continue
        if not found:
            problems.append(Problem(src, f"missing column '{col.name}' (the {spec.name} table needs: "
                                         f"{', '.join(c.name for c in columns if not c.optional)})"))
        else:
            rename[found[0]] = col.name
    if problems:
        raise InputError(problems)
    present = [c for c in columns if c.name in rename.values()]
    df = raw.rename(columns=rename)[[c.name for c in present]].copy()
    out = {}
    for col in present:
        out[col.name], errs = _parse(df[col.name], col, src, line)
        problems += errs
    clean = pd.DataFrame(out)
    keys = [k for k in keys if k in clean.columns]  # an optional key column may be absent
    if not problems:
        dup = clean.duplicated(keys, keep=False) if keys else pd.Series(False, index=clean.index)
        for i in np.flatnonzero(dup.to_numpy())[:50]:
            key = ", ".join(f"{k}={clean.iloc[i][k]}" for k in keys)
            problems.append(Problem(src, f"duplicate key ({key})", row=int(line[i])))
        if "year" in keys and not dup.any() and not allow_gaps:
            problems += _year_gaps(clean, [k for k in keys if k != "year"], src)
        if spec.jump is not None and not dup.any():
            problems += _jumps(clean, spec, src, line)
        if spec.columns == _ROSTER:
            problems += _roster_rules(clean, src, line)
    if problems:
        raise InputError(problems)
    for col in present:
        if col.warn_blank:
            for i in np.flatnonzero(clean[col.name].isna().to_numpy())[:20]:
                warnings.warn(str(Problem(src, "blank cell: read as not published, not as zero", row=int(line[i]),
                                          column=col.name)), InputWarning, stacklevel=2)
    return clean


def _roster_rules(clean: pd.DataFrame, src: str, line: np.ndarray) -> list[Problem]:
    problems = []
    valid = {(c, s) for s in STAGES for c in STAGES if may_teach(c, s)}
    pairs = pd.MultiIndex.from_arrays([clean.certificate, clean.stage])
    for i in np.flatnonzero(~pairs.isin(list(valid)))[:50]:
        problems.append(Problem(src, f"a '{clean.certificate.iloc[i]}' certificate does not qualify for "
                                     f"stage '{clean.stage.iloc[i]}'", row=int(line[i]), column="certificate"))
    wrong = (clean.stage == "preschool").to_numpy() != (clean.subject == PRESCHOOL_SUBJECT).to_numpy()
    for i in np.flatnonzero(wrong)[:50]:
        problems.append(Problem(src, f"subject '{clean.subject.iloc[i]}' is not taught in stage "
                                     f"'{clean.stage.iloc[i]}'", row=int(line[i]), column="subject"))
    return problems


def _jumps(clean: pd.DataFrame, spec: Table, src: str, line: np.ndarray) -> list[Problem]:
    """Counts more than ``JUMP`` times (or under 1/JUMP of) the year before in
    the same series, where the larger is at least ``JUMP_FLOOR`` and neither
    is zero."""
    col = spec.jump
    group = [k for k in spec.keys if k != "year"]
    d = clean.assign(_line=line).sort_values(group + ["year"])
    prev = d.groupby(group)[col].shift()
    prev_year = d.groupby(group)["year"].shift()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = d[col] / prev
    # from or to zero is a school or an area opening or closing, not a unit error
    big = (np.maximum(d[col], prev) >= JUMP_FLOOR) & (d[col] > 0) & (prev > 0)
    bad = big & ((ratio > JUMP) | (ratio < 1 / JUMP))
    # the way back from a spike is the same mistake: name it once
    bad = bad & ~bad.groupby([d[k] for k in group]).shift(fill_value=False).astype(bool)
    problems = []
    for i in np.flatnonzero(bad.to_numpy())[:20]:
        row = d.iloc[i]
        r = float(ratio.iloc[i])
        how = f"{r:,.0f} times" if r >= 10 else f"{r:.1f} times" if r > 1 else f"1/{1 / r:,.0f} of"
        series = ", ".join(f"{k}={row[k]}" for k in group)
        problems.append(Problem(src, f"{row[col]:,.0f} is {how} the year before ({prev.iloc[i]:,.0f} in "
                                     f"{int(prev_year.iloc[i])}, {series}); a count that changes more than "
                                     f"{JUMP:g}-fold in a year is a typo or a unit error, not a real area",
                                row=int(row["_line"]), column=col))
    return problems


def _number(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:g}"


def _parse(values: pd.Series, col: Column, src: str, line: np.ndarray) -> tuple[pd.Series, list[Problem]]:
    """Typed values of one column and the problems in it. The checks run on
    the column's distinct cells and are mapped back to rows."""
    cat = values.astype("category") if not isinstance(values.dtype, pd.CategoricalDtype) else values
    codes = cat.cat.codes.to_numpy()
    uniq = pd.Series(np.asarray(cat.cat.categories, dtype=object)).astype(str).str.strip()
    problems = []

    def rows_where(flag_u: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.asarray(flag_u, dtype=bool)[codes])

    def cell(i: int) -> str:
        return uniq.iloc[codes[i]]

    blank_u = (uniq == "").to_numpy()
    if not col.blank:
        for i in rows_where(blank_u)[:50]:
            problems.append(Problem(src, "empty cell", row=int(line[i]), column=col.name))
    if col.kind == "str":
        if col.name == "region":
            for i in rows_where(uniq.str.casefold().isin(TOTALS).to_numpy())[:50]:
                problems.append(Problem(src, "looks like a totals row; staffcast adds areas up itself, so delete "
                                             "the row", row=int(line[i]), column=col.name, value=cell(i)))
        if col.choices is not None:
            for i in rows_where(~uniq.isin(col.choices).to_numpy() & ~blank_u)[:50]:
                problems.append(Problem(src, f"unknown value (allowed: {', '.join(col.choices)})",
                                        row=int(line[i]), column=col.name, value=cell(i)))
        text = pd.Series(np.asarray(uniq, dtype=object)[codes], index=values.index, dtype=object)
        return text, problems
    nums_u = pd.to_numeric(uniq.str.replace(",", "", regex=False), errors="coerce").to_numpy(float, copy=True)
    nums_u[~np.isfinite(nums_u)] = np.nan  # 'inf' or 1e400 is not a count
    bad_u = np.isnan(nums_u) & ~blank_u
    for i in rows_where(bad_u)[:50]:
        problems.append(Problem(src, "not a number", row=int(line[i]), column=col.name, value=cell(i)))
    if col.kind == "int":
        frac_u = ~np.isnan(nums_u) & (nums_u != np.round(nums_u))
        for i in rows_where(frac_u)[:50]:
            problems.append(Problem(src, "not a whole number", row=int(line[i]), column=col.name, value=cell(i)))
    lo = -np.inf if col.lo is None else col.lo
    hi = np.inf if col.hi is None else col.hi
    with np.errstate(invalid="ignore"):
        out_u = ~np.isnan(nums_u) & ((nums_u < lo) | (nums_u > hi))
    for i in rows_where(out_u)[:50]:
        rng = f"at least {_number(col.lo)}" if col.hi is None else f"{_number(col.lo)} to {_number(col.hi)}"
        problems.append(Problem(src, f"out of range (allowed: {rng})", row=int(line[i]), column=col.name,
                                value=cell(i)))
    nums = pd.Series(nums_u[codes], index=values.index)
    if problems:
        return nums, problems
    if col.blank:
        return nums.astype(float), problems  # blanks stay NaN: not given, not zero
    return (nums.astype(int) if col.kind == "int" else nums.astype(float)), problems


def _year_gaps(df: pd.DataFrame, group: list[str], src: str) -> list[Problem]:
    problems = []
    groups = df.groupby(group, sort=True)["year"] if group else [((), df["year"])]
    for key, years in groups:
        ys = np.sort(years.unique())
        missing = sorted(set(range(int(ys[0]), int(ys[-1]) + 1)) - set(ys.tolist()))
        if missing:
            label = ", ".join(f"{g}={k}" for g, k in zip(group, key if isinstance(key, tuple) else (key,)))
            problems.append(Problem(src, f"years missing for {label}: {', '.join(map(str, missing[:10]))}",
                                    column="year"))
    return problems


#: the district of a data set without a district column
ONE_DISTRICT = "district"


def district_of(enrolment: pd.DataFrame) -> pd.Series:
    """Each area's district (region -> district); one district, named
    ``ONE_DISTRICT``, when the enrolment table has no district column."""
    if "district" not in enrolment.columns:
        return pd.Series(ONE_DISTRICT, index=sorted(enrolment.region.unique()), name="district").rename_axis("region")
    return enrolment.drop_duplicates("region").set_index("region").district.sort_index()


def check_grades(enrolment: pd.DataFrame, grades: list[int], src: str) -> None:
    """Every region and year has exactly the grades of the grade map."""
    problems = []
    want = set(grades)
    for (region, year), g in enrolment.groupby(["region", "year"]):
        have = set(g.grade)
        if have != want:
            miss, extra = sorted(want - have), sorted(have - want)
            text = (f"missing grades {miss}" if miss else "") + ("; " if miss and extra else "") + \
                   (f"grades {extra} are not in the grade map" if extra else "")
            problems.append(Problem(src, f"region {region}, year {year}: {text}", column="grade"))
    if problems:
        raise InputError(problems)

"""Excel in and out: a scenario whose inputs are workbook sheets gives the
same tables as its CSV twin; a bad cell is named by sheet, row and column;
results.xlsx holds every output table."""
import hashlib
import json

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from forecast.errors import InputError
from scenarios import load_scenario, run
from scenarios.inputs import read_table
from scenarios.output import excel_safe, manifest, write_frames, write_results_workbook
from scenarios.rerun import scenario_from_manifest
from scenarios.schema import DEFAULT_DIR

TABLES = ("births", "enrolment", "roster", "posts", "cap")
QUICK = '[forecast]\npaths = 20\nhorizon = 3\n[plan]\nyears = 3\n'


def _sheet(wb, name, frame):
    ws = wb.create_sheet(name)
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([v.item() if hasattr(v, "item") else v for v in row])  # numbers as numbers, as Excel holds them


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """The default district's quick scenario twice: from its CSVs, and from a
    workbook (four tables as named sheets, births as a one-sheet workbook)."""
    d = tmp_path_factory.mktemp("excel")
    book = Workbook()
    book.remove(book.active)
    for name in TABLES[1:]:
        _sheet(book, name, pd.read_csv(DEFAULT_DIR / f"{name}.csv"))
    book.save(d / "district.xlsx")
    births = Workbook()
    births.remove(births.active)
    _sheet(births, "出生人口", pd.read_csv(DEFAULT_DIR / "births.csv"))
    births.save(d / "births.xlsx")
    data = "".join(f'{t} = "district.xlsx#{t}"\n' for t in TABLES[1:])
    (d / "xlsx.toml").write_text(f'extends = "default"\nname = "twin"\n[data]\nbirths = "births.xlsx"\n{data}{QUICK}',
                                 encoding="utf-8")
    (d / "csv.toml").write_text(f'extends = "default"\nname = "twin"\n{QUICK}', encoding="utf-8")
    return d, run(load_scenario(d / "csv.toml")), run(load_scenario(d / "xlsx.toml"))


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}


def test_a_scenario_read_from_workbooks_gives_the_same_csvs_as_its_csv_twin(twins, tmp_path):
    d, from_csv, from_xlsx = twins
    (tmp_path / "csv").mkdir()
    (tmp_path / "xlsx").mkdir()
    write_frames(from_csv, tmp_path / "csv")
    write_frames(from_xlsx, tmp_path / "xlsx")
    a, b = _digests(tmp_path / "csv"), _digests(tmp_path / "xlsx")
    assert len(a) == 17 and a == b
    # the workbook and its sheet are what the manifest records; the file is what is hashed
    assert from_xlsx.input_hashes["enrolment"]["path"].endswith("district.xlsx#enrolment")
    assert from_xlsx.input_hashes["enrolment"]["sha256"] == hashlib.sha256(
        (d / "district.xlsx").read_bytes()).hexdigest()


def test_a_run_s_csvs_are_the_text_pandas_would_write(twins, tmp_path):
    _, result, _ = twins
    write_frames(result, tmp_path)
    for name, frame in result.frames().items():
        text = excel_safe(frame).to_csv(index=False, float_format="%.6f", lineterminator="\n")
        assert (tmp_path / f"{name}.csv").read_bytes() == text.encode("utf-8"), name


def test_rerun_checks_the_workbook_behind_a_sheet(twins, tmp_path):
    d, _, from_xlsx = twins
    m = tmp_path / "manifest.json"
    m.write_text(json.dumps(manifest(from_xlsx, "zh"), ensure_ascii=False, default=str), encoding="utf-8")
    assert scenario_from_manifest(m).data_path("roster").name == "district.xlsx#roster"
    changed = json.loads(m.read_text(encoding="utf-8"))
    changed["inputs"]["cap"]["sha256"] = "0" * 64
    m.write_text(json.dumps(changed), encoding="utf-8")
    with pytest.raises(InputError, match="input 'cap' .*district.xlsx#cap.* has changed"):
        scenario_from_manifest(m)


@pytest.fixture(scope="module")
def bad_book(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    book = Workbook()
    ws = book.active
    ws.title = "在校生"
    ws.append(["区域", "年份", "年级", "在校生"])
    ws.append(["central", 2018, 1, 3690])
    ws.append([])  # padding row: skipped, and the rows below keep Excel's numbers
    ws.append(["central", 2018, 2, "n/a"])
    ws.append(["central", 2018, 3.5, 3600])
    book.save(d / "bad.xlsx")
    return d / "bad.xlsx"


def test_a_bad_cell_is_named_by_workbook_sheet_row_and_column(bad_book):
    with pytest.raises(InputError) as err:
        read_table(bad_book, "enrolment")
    lines = str(err.value).splitlines()
    where = f"{bad_book}, sheet '在校生'"
    assert f"{where}, row 4, column 'students': not a number (value: 'n/a')" in lines
    assert f"{where}, row 5, column 'grade': not a whole number (value: '3.5')" in lines


def test_a_missing_sheet_names_the_sheets_there_are(bad_book):
    with pytest.raises(InputError, match="no sheet 'enrolment' \\(the workbook has: 在校生\\)"):
        read_table(f"{bad_book}#enrolment", "enrolment")


def test_results_workbook_holds_every_table_with_headers_in_the_language_and_numbers(twins, tmp_path):
    import zipfile

    from scenarios.excel import write_workbook
    from scenarios.labels import column_headers

    _, result, _ = twins
    frames = result.frames()
    path = tmp_path / "results.xlsx"
    write_results_workbook(result, path, "zh")
    write_workbook({"plan_staff": frames["plan_staff"]}, tmp_path / "en.xlsx", column_headers("en"))
    english = next(load_workbook(tmp_path / "en.xlsx", read_only=True)["plan_staff"].values)
    assert "Shortfall (FTE)" in english and "Year" in english
    for heading in ("缺编（人）",):
        book = load_workbook(path, read_only=True)
        assert book.sheetnames == list(frames)
        rows = {name: list(book[name].values) for name in book.sheetnames}
        for name, frame in frames.items():
            assert len(rows[name]) == len(frame) + 1, name
        head, *body = rows["plan_staff"]
        values = [r[head.index(heading)] for r in body]
        assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        assert sum(values) == pytest.approx(frames["plan_staff"].shortfall.sum())
        assert body[0][head.index("学年")] == 2025
        with zipfile.ZipFile(path) as z:  # every sheet's header row is frozen
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
            assert len(sheets) == len(frames)
            assert all(b'state="frozen"' in z.read(n)[:2000] for n in sheets)


def test_a_table_longer_than_an_excel_sheet_is_left_to_its_csv_and_named(monkeypatch, tmp_path):
    from openpyxl import load_workbook

    import scenarios.excel as xl

    monkeypatch.setattr(xl, "SHEET_ROWS", 4)
    frame = pd.DataFrame({"region": list("abcdefghij"), "n": range(10)})
    xl.write_workbook({"supply": frame, "peaks": frame.head(2), "gap": frame.head(4)}, tmp_path / "r.xlsx",
                      lang="zh")
    wb = load_workbook(tmp_path / "r.xlsx", read_only=True)
    assert wb.sheetnames == ["peaks", "gap", "未收录的表"]
    assert list(wb["gap"].values)[1:] == list(zip(frame.region[:4], frame.n[:4]))
    assert list(wb["未收录的表"].values) == [("表", "行数", "说明"), ("supply", 10, "超过 Excel 工作表的 5 行，见 supply.csv")]


def test_past_the_cell_budget_the_largest_tables_are_left_to_their_csvs(monkeypatch, tmp_path):
    from openpyxl import load_workbook

    import scenarios.excel as xl

    monkeypatch.setattr(xl, "WORKBOOK_CELLS", 30)
    frame = pd.DataFrame({"region": list("abcdefghij"), "n": range(10)})
    # 20 + 12 + 16 + 4 cells: the 20 leave (36 left), then the 16 (20 left, within the 30)
    frames = {"supply": frame, "gap": frame.head(6), "demand": frame.head(8), "peaks": frame.head(2)}
    xl.write_workbook(frames, tmp_path / "r.xlsx", lang="en")
    wb = load_workbook(tmp_path / "r.xlsx", read_only=True)
    assert wb.sheetnames == ["gap", "peaks", "tables not here"]
    assert list(wb["gap"].values)[1:] == list(zip(frame.region[:6], frame.n[:6]))
    note = "a workbook holds at most 30 cells, the largest tables are left out: see {}.csv"
    assert list(wb["tables not here"].values) == [("table", "rows", "note"), ("supply", 10, note.format("supply")),
                                                  ("demand", 8, note.format("demand"))]
    small = {name: f.head(3) for name, f in frames.items()}  # 4 x 6 cells fit whole
    assert list(xl.workbook_sheets(small)) == list(small)


def test_the_workbook_process_names_its_workbook_when_it_cannot_write_it(tmp_path):
    from scenarios.workbook_process import WorkbookProcess

    book = WorkbookProcess({"peaks": pd.DataFrame({"a": [1]})}, tmp_path / "gone" / "results.xlsx", {}, "en")
    with pytest.raises(OSError, match=r"results\.xlsx: could not be written \(.*No such file or directory"):
        book.wait()


def test_a_run_whose_report_fails_ends_its_workbook_process_and_leaves_no_folder(twins, tmp_path, monkeypatch):
    import scenarios.report
    from scenarios.output import write_run
    from scenarios.workbook_process import WorkbookProcess

    def fail(*args, **kwargs):
        raise RuntimeError("no PDF today")

    stopped = []
    stop = WorkbookProcess.stop
    monkeypatch.setattr(WorkbookProcess, "stop", lambda self: (stop(self), stopped.append(self.proc)))
    monkeypatch.setattr(scenarios.report, "write_report", fail)
    with pytest.raises(RuntimeError, match="no PDF today"):
        write_run(twins[1], tmp_path / "runs")
    assert [p.returncode is not None for p in stopped] == [True]
    assert list((tmp_path / "runs").iterdir()) == []


def test_the_workbook_from_its_own_process_equals_one_written_here(twins, tmp_path):
    from scenarios.labels import column_headers
    from scenarios.workbook_process import WorkbookProcess

    _, result, _ = twins
    assert WorkbookProcess(result.frames(), tmp_path / "theirs.xlsx", column_headers("en"), "en").wait() > 0
    write_results_workbook(result, tmp_path / "here.xlsx", "en")
    theirs, ours = (load_workbook(p, read_only=True) for p in (tmp_path / "theirs.xlsx", tmp_path / "here.xlsx"))
    assert theirs.sheetnames == ours.sheetnames == list(result.frames())
    for name in ours.sheetnames:
        assert list(theirs[name].values) == list(ours[name].values), name


def test_an_interrupt_while_the_tables_are_sent_ends_the_workbook_process(tmp_path, monkeypatch):
    import pickle

    import scenarios.workbook_process as wp

    started = []
    popen = wp.subprocess.Popen
    monkeypatch.setattr(wp.subprocess, "Popen", lambda *a, **k: started.append(popen(*a, **k)) or started[-1])

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pickle, "dump", interrupted)
    with pytest.raises(KeyboardInterrupt):
        wp.WorkbookProcess({"peaks": pd.DataFrame({"a": [1]})}, tmp_path / "results.xlsx", {}, "en")
    assert len(started) == 1 and started[0].returncode is not None
    assert not (tmp_path / "results.xlsx").exists()


def test_a_workbook_process_that_ends_before_reading_its_tables_is_reported_by_wait(tmp_path, monkeypatch):
    import scenarios.workbook_process as wp

    popen = wp.subprocess.Popen
    # a child that exits at once, without reading: the tables meet a broken pipe
    monkeypatch.setattr(wp.subprocess, "Popen", lambda args, **k: popen(
        [args[0], "-c", "import sys; sys.exit('no room for a workbook')"], **k))
    big = pd.DataFrame({"a": range(300_000)})  # more than a pipe's buffer
    book = wp.WorkbookProcess({"peaks": big}, tmp_path / "results.xlsx", {}, "en")
    with pytest.raises(OSError, match=r"results\.xlsx: could not be written \(no room for a workbook\)"):
        book.wait()

"""Write a run into its own new folder, atomically, with a manifest."""
from __future__ import annotations

import json
import platform
import time
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from scenarios.csv_text import write_csv_text
from scenarios.folders import atomic_folder, run_name
from scenarios.result import RunResult

PACKAGES = ("staffcast", "numpy", "scipy", "pandas", "statsmodels", "pulp", "highspy", "matplotlib",
            "paperang-p2-fonts-cjk", "openpyxl", "threadpoolctl")


def versions() -> dict:
    """The Python and package versions this process runs (for the manifest)."""
    return dict(_versions())


@lru_cache(maxsize=1)
def _versions() -> tuple:
    # looked up once per process: each lookup scans the installed distributions (40 ms a manifest;
    # a comparison's folder writes one per scenario)
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return tuple(out.items())


def manifest(result: RunResult, lang: str) -> dict:
    s = result.scenario
    info = result.plan.info
    return {
        # every setting that ran, defaults included (None: not set); what the files set is kept apart
        "scenario": {"name": s.name, "file": str(s.path), "extends_chain": [str(p) for p in s.chain],
                     "settings": s.resolved(), "set_in_files": s.settings},
        "inputs": result.input_hashes,
        "versions": versions(),
        "seed": s.forecast.seed,
        "forecast_weights": result.forecast_weights,
        # each area's weights, and the earlier errors each stage's interval rests on, by lead
        "forecast_record": result.forecast_record,
        "language": lang,
        "solver": {"name": info.solver, "status": info.status, "objective": info.objective,
                   "limits_relaxed": info.relaxed,
                   "build_seconds": round(result.plan.build_seconds, 3), "solve_seconds": round(info.seconds, 3),
                   # integer mode: how the plan in whole persons was found and what it is proven against
                   **({} if info.lp_objective is None else {
                       "integer_method": info.method, "lp_objective": info.lp_objective,
                       "lower_bound": info.bound, "proven_gap": info.proven})},
        "violations": int(len(result.plan.violations)),
        "timings_seconds": {k: round(v, 3) for k, v in result.timings.items()},
        # planning units (districts) solved, and rounds of city coordination (1: none needed, or one joint LP)
        "plan_units": result.plan_units, "plan_rounds": result.plan.city.get("rounds", 1),
        "summary": result.summary(),
        **({} if result.stochastic is None else {"stochastic": result.stochastic.figures()}),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


#: a text cell starting with one of these runs as a formula when Excel opens the CSV
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that Excel would run as a formula (``=HYPERLINK(…)`` in an
    area name) get a leading apostrophe, so they open as text; numbers and
    other text are unchanged."""
    out = frame
    for col in frame.columns:
        values = frame[col]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        # each distinct text once: a country's tables have 17 million text cells and a few thousand texts
        risky = [v for v in values.dropna().unique() if isinstance(v, str) and v.startswith(FORMULA_START)]
        if risky:
            hit = values.isin(risky)
            out = out.copy() if out is frame else out
            out.loc[hit, col] = "'" + values[hit].astype(str)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """One output table as CSV: UTF-8, six decimals, safe to open in Excel
    (the text of ``to_csv``, made column-wise: ``scenarios.csv_text``)."""
    write_csv_text(excel_safe(frame), path, float_format="%.6f")


def write_frames(result: RunResult, folder: Path) -> None:
    """The run's CSVs (one per frame, see README) into ``folder``."""
    for name, frame in result.frames().items():
        write_csv(frame, folder / f"{name}.csv")


def write_results_workbook(result: RunResult, path: Path, lang: str) -> None:
    """results.xlsx: the output tables as sheets (named as their CSVs; those
    left out are named on its last sheet, see ``scenarios.excel.workbook_sheets``),
    column headers in the run's language, numbers as numbers, header row frozen."""
    from scenarios.excel import write_workbook
    from scenarios.labels import column_headers

    write_workbook(result.frames(), path, column_headers(lang), lang)


def write_manifest(result: RunResult, folder: Path, lang: str) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest(result, lang), ensure_ascii=False, indent=2,
                                                     default=str), encoding="utf-8")


def write_run(result: RunResult, out_dir: str | Path, lang: str = "zh") -> Path:
    """Write CSVs, results.xlsx, report.pdf and manifest.json into a new run
    folder in ``out_dir`` (atomically, see ``atomic_folder``) and return its
    path. The folder's name carries the language when it is not Chinese.
    The workbook is written by a second process meanwhile
    (``scenarios.workbook_process``); ``timings_seconds`` has its own
    seconds (``write_xlsx``) and how long this process then waited for it
    (``write_xlsx_wait``)."""
    from scenarios.report import write_report

    def fill(tmp: Path) -> None:
        from scenarios.labels import column_headers
        from scenarios.workbook_process import WorkbookProcess

        book = WorkbookProcess(result.frames(), tmp / "results.xlsx", column_headers(lang), lang)
        try:
            for step, write in (("write_csv", lambda: write_frames(result, tmp)),
                                ("write_pdf", lambda: write_report(result, tmp / "report.pdf", lang))):
                t = time.perf_counter()
                write()
                result.timings[step] = time.perf_counter() - t
            t = time.perf_counter()
            result.timings["write_xlsx"] = book.wait()
            result.timings["write_xlsx_wait"] = time.perf_counter() - t
        except BaseException:
            book.stop()
            raise
        write_manifest(result, tmp, lang)

    return atomic_folder(out_dir, run_name(result.scenario.name, lang), fill)

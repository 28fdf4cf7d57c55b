"""Write a run into its own new folder, atomically, with a manifest."""
from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

from scenarios.runner import RunResult

PACKAGES = ("staffcast", "numpy", "scipy", "pandas", "statsmodels", "pulp", "highspy", "matplotlib", "mplfonts")


def versions() -> dict:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def manifest(result: RunResult, lang: str) -> dict:
    s = result.scenario
    info = result.plan.info
    return {
        "scenario": {"name": s.name, "file": str(s.path), "extends_chain": [str(p) for p in s.chain],
                     "settings": s.settings},
        "inputs": result.input_hashes,
        "versions": versions(),
        "seed": s.get("forecast", "seed", 0),
        "forecast_weights": result.forecast_weights,
        "language": lang,
        "solver": {"name": info.solver, "status": info.status, "objective": info.objective,
                   "limits_relaxed": info.relaxed,
                   "build_seconds": round(result.plan.build_seconds, 3), "solve_seconds": round(info.seconds, 3)},
        "violations": int(len(result.plan.violations)),
        "timings_seconds": {k: round(v, 3) for k, v in result.timings.items()},
        "summary": result.summary(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def safe_name(name: str) -> str:
    """``name`` made safe as a folder name (letters, digits, - and _)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60] or "run"


def _folder_name(name: str) -> str:
    return f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{safe_name(name)}"


def write_frames(result: RunResult, folder: Path) -> None:
    """The run's CSVs (one per frame, see README) into ``folder``."""
    for name, frame in result.frames().items():
        frame.to_csv(folder / f"{name}.csv", index=False, float_format="%.6f", lineterminator="\n")


def write_manifest(result: RunResult, folder: Path, lang: str) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest(result, lang), ensure_ascii=False, indent=2,
                                                     default=str), encoding="utf-8")


PARTIAL = ".partial-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(out_dir: Path) -> list[Path]:
    """Delete hidden temporary folders left by runs whose process is gone
    (a process killed with SIGKILL cannot clean up after itself)."""
    removed = []
    for p in out_dir.glob(f"{PARTIAL}*"):
        pid = p.name[len(PARTIAL):].split("-", 1)[0]
        if p.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def atomic_folder(out_dir: str | Path, name: str, fill: Callable[[Path], None]) -> Path:
    """Create a new folder ``<out_dir>/<timestamp>-<name>`` holding what
    ``fill(tmp)`` writes. Everything is written into a hidden temporary folder
    (``.partial-<pid>-…``) first and renamed into place when complete, so a
    run that fails, is interrupted or is killed never leaves a partial run
    folder, and no existing folder is touched. The temporary folder is removed
    on any error or interrupt; one left by a killed process is removed by the
    next run into the same folder."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f"{PARTIAL}{os.getpid()}-", dir=out_dir))
    try:
        fill(tmp)
        base = _folder_name(name)
        for i in range(1000):
            final = out_dir / (base if i == 0 else f"{base}-{i + 1}")
            if final.exists():
                continue
            try:
                os.rename(tmp, final)  # atomic; fails if the name is taken by a non-empty folder
            except OSError:
                if final.exists():
                    continue
                raise
            return final
        raise RuntimeError(f"{out_dir}: could not find a free folder name")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_run(result: RunResult, out_dir: str | Path, lang: str = "zh") -> Path:
    """Write CSVs, report.pdf and manifest.json into a new run folder in
    ``out_dir`` (atomically, see ``atomic_folder``) and return its path."""
    from scenarios.report import write_report

    def fill(tmp: Path) -> None:
        write_frames(result, tmp)
        write_report(result, tmp / "report.pdf", lang)
        write_manifest(result, tmp, lang)

    return atomic_folder(out_dir, result.scenario.name, fill)

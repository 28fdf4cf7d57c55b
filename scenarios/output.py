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
        "language": lang,
        "solver": {"name": info.solver, "status": info.status, "objective": info.objective,
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


def atomic_folder(out_dir: str | Path, name: str, fill: Callable[[Path], None]) -> Path:
    """Create a new folder ``<out_dir>/<timestamp>-<name>`` holding what
    ``fill(tmp)`` writes. Everything is written into a hidden temporary folder
    first and renamed into place when complete, so a run that fails or is
    killed leaves no partial folder, and no existing folder is touched."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=out_dir))
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

"""Run folders: made whole or not at all, never over an earlier one.

Only the standard library here, so that the command line can check an
output folder before it imports anything heavy.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Callable

from forecast.errors import InputError

PARTIAL = ".partial-"
#: a folder name's scenario part, in UTF-8 bytes (file systems allow 255 per name)
NAME_BYTES = 120


def safe_name(name: str) -> str:
    """``name`` made safe as a folder name: letters (any script), digits, -
    and _, cut to ``NAME_BYTES`` bytes of UTF-8 without splitting a letter."""
    clean = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return clean.encode("utf-8")[:NAME_BYTES].decode("utf-8", errors="ignore") or "run"


#: the report's language when none is asked for
DEFAULT_LANG = "zh"


def run_name(name: str, lang: str) -> str:
    """A run's folder name part: the scenario's name, with the report's
    language added when it is not the default (``baseline-en``), so that the
    Chinese and English runs of one scenario are told apart."""
    return name if lang == DEFAULT_LANG else f"{name}-{lang}"


def _folder_name(name: str) -> str:
    return f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{safe_name(name)}"


def output_problems(out_dir: Path) -> list[str]:
    """Can a run folder be made in ``out_dir``? Checked by writing a probe
    file in the folder, or in the nearest folder above it that exists."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        return [f"{out_dir}: the output folder is a file"]
    probe = out_dir.absolute()
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        return [f"{out_dir}: cannot make the output folder: {probe} is a file"]
    try:
        fd, name = tempfile.mkstemp(prefix=".staffcast-probe-", dir=probe)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return [f"{out_dir}: cannot write the output folder ({exc.strerror or exc})"]
    return []


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
    next run into the same folder. A folder that cannot be written (a full
    disk, a read-only file system) is an ``InputError`` naming it."""
    out_dir = Path(out_dir)
    tmp = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(out_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f"{PARTIAL}{os.getpid()}-", dir=out_dir))
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
        raise InputError(f"{out_dir}: could not find a free folder name")
    except OSError as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"{out_dir}: could not write the run folder ({exc.strerror or exc}); "
                         f"nothing was written") from None
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise

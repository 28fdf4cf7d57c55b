"""results.xlsx written by a second Python process while this one writes
the CSVs and the PDF.

The workbook is the slowest of a run's outputs and single-threaded
(openpyxl's cell writer: about 5.5 µs a cell, 80% of its time), so on a
machine with two cores or more it overlaps the CSVs and the PDF instead of
following them. The second process is a fresh interpreter running this
module (``python -m scenarios.workbook_process``), not a ``multiprocessing``
child: that would re-import a planner's scenario script as ``__main__`` and
run it again wherever the script lacks an ``if __name__ == "__main__":``
guard. The tables reach it as one pickle stream on its standard input, and
it answers with the seconds its writing took.
"""
from __future__ import annotations

import contextlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd


class WorkbookProcess:
    """A workbook being written by another process: ``wait()`` for it (and
    the seconds its writing took), ``stop()`` it if this side failed.

    Parameters
    ----------
    frames : dict of str to DataFrame
        The tables, as ``scenarios.excel.write_workbook`` takes them.
    path : Path
        Where the workbook goes.
    headers : dict of str to str
        Column name -> heading.
    lang : str
        'zh' or 'en': the words of the sheet naming tables left to their CSV.
    """

    def __init__(self, frames: dict[str, pd.DataFrame], path: Path, headers: dict[str, str], lang: str):
        from scenarios.excel import workbook_sheets

        self.path = Path(path)
        # only the sheets the workbook holds, their text as categories: a
        # country's text cells, one Python string each, more than doubled
        # the other process's memory
        sheets = {name: _compact(frame) for name, frame in workbook_sheets(frames, lang).items()}
        # its answer and any message go to files: a pipe left unread while
        # this side writes the PDF could fill and stall it
        self.out, self.err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        # this very package, wherever it was imported from; -P: not a "scenarios" folder where the run started
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen([sys.executable, "-P", "-m", "scenarios.workbook_process", str(self.path)],
                                     stdin=subprocess.PIPE, stdout=self.out, stderr=self.err, env=env)
        try:
            # streamed (protocol 5 writes the columns' buffers as they are): no second copy here.
            # A broken pipe: it ended before reading them all, and wait() says why
            with contextlib.suppress(BrokenPipeError):
                pickle.dump((sheets, headers), self.proc.stdin, protocol=5)
        except BaseException:  # an interrupt mid-stream: a Jupyter kernel lives on, the child must not
            self.stop()
            raise
        finally:
            self._close_input()

    def wait(self) -> float:
        """Seconds the other process spent writing; OSError naming the
        workbook if it failed (a full disk is reported like any other
        folder that cannot be written)."""
        code = self.proc.wait()
        out, err = (self._read(f) for f in (self.out, self.err))
        if code != 0:
            lines = err.strip().splitlines() or [f"exit code {code}"]
            raise OSError(f"{self.path.name}: could not be written ({lines[-1]})")
        return float(json.loads(out)["seconds"])

    def stop(self) -> None:
        """End the other process (this side failed: the folder is going)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.out, self.err):
            f.close()

    def _close_input(self) -> None:
        """Close the stream to the other process; what was still buffered for
        a process that ended is dropped."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    @staticmethod
    def _read(f) -> str:
        f.seek(0)
        text = f.read().decode("utf-8", "replace")
        f.close()
        return text


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of text only as categories (same cells, written the same)."""
    text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c])]
    return frame.astype({c: "category" for c in text}) if text else frame


def _main(path: str) -> None:
    from scenarios.excel import write_sheets

    sheets, headers = pickle.load(sys.stdin.buffer)
    t = time.perf_counter()
    write_sheets(sheets, Path(path), headers)
    print(json.dumps({"seconds": time.perf_counter() - t}))


if __name__ == "__main__":
    _main(sys.argv[1])

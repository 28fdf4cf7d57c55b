"""Benchmark: a district, a city and a country, end to end.

Run from the repository root::

    python tests/benchmarks/bench_scale.py [--json FILE] [--skip country]

For each scale it runs ``staffcast run`` (in this process, on the default
local Dask cluster: one worker per core) on the embedded default district, a
generated city (``staffcast generate city``: 16 districts, ~100 areas) and a
generated country (``generate country``: 2,850 county units), and prints:
planning units, areas, model build seconds, HiGHS's own solve seconds
(summed over units), plan seconds in all, coordination rounds, run seconds
(forecast, plan, tables, workbook and PDF; computing and writing apart), peak memory of this process and
its workers together (and the workbook's process), plan ÷ HiGHS solve (what
building and reading back cost on top of HiGHS), and the writing's parts.
"""
from __future__ import annotations

import argparse
import json
import platform
import tempfile
import threading
import time
from pathlib import Path

import psutil


class PeakMemory:
    """The largest resident memory of this process and all its children
    (Dask's workers), sampled every 0.2 s, in MiB."""

    def __init__(self):
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total / 2**20)
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def measure(name: str, scenario_path: Path | None, out: Path) -> dict:
    from scenarios import load_scenario, run, write_run

    s = load_scenario(scenario_path)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        result = run(s)
        ran = time.perf_counter() - t0
        folder = write_run(result, out, "zh")
        total = time.perf_counter() - t0
    t = result.timings
    row = {"scale": name, "units": result.plan_units, "areas": int(result.plan.staff.region.nunique()),
           "build_s": round(t["plan_build"], 2), "solve_s": round(t["plan_solve"], 2), "plan_s": round(t["plan"], 2),
           "rounds": result.plan.city.get("rounds", 1), "run_s": round(total, 1), "run_only_s": round(ran, 1),
           "write_s": round(total - ran, 1), "peak_mib": round(mem.peak),
           "write_parts_s": {k: round(t[k], 1) for k in ("write_csv", "write_pdf", "write_xlsx", "write_xlsx_wait")},
           "plan_per_solve": round(t["plan"] / max(t["plan_solve"], 1e-9), 2), "folder": str(folder)}
    print(f"{name:<9} units {row['units']:>5}  areas {row['areas']:>6,}  build {row['build_s']:>7.2f} s  "
          f"HiGHS {row['solve_s']:>8.2f} s  plan {row['plan_s']:>8.2f} s  rounds {row['rounds']:>3}  "
          f"run {row['run_s']:>7.1f} s (computing {row['run_only_s']:.1f} s, writing {row['write_s']:.1f} s)  "
          f"peak {row['peak_mib']:>6,} MiB  plan/HiGHS {row['plan_per_solve']:.2f}\n"
          f"{'':<9} writing: CSVs {t['write_csv']:.1f} s, PDF {t['write_pdf']:.1f} s, meanwhile results.xlsx "
          f"{t['write_xlsx']:.1f} s in its own process (then waited for {t['write_xlsx_wait']:.1f} s)",
          flush=True)
    return row


def main() -> None:
    from scenarios.generate import write

    p = argparse.ArgumentParser()
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--skip", nargs="*", default=[], choices=("district", "city", "country"))
    args = p.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {psutil.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "district" not in args.skip:
            rows.append(measure("district", None, tmp / "runs"))
        for kind in ("city", "country"):
            if kind in args.skip:
                continue
            rows.append(measure(kind, write(kind, tmp / kind, seed=0), tmp / "runs"))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

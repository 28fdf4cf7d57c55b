"""Runs are atomic: killing ``staffcast run`` at any moment — starting up,
computing, writing its folder, renaming it into place — never leaves a
partial run folder, and never touches inputs or earlier runs.

The kills wait on events (the run's hidden temporary folder appearing, the
report being written into it) rather than on sleeps, so each lands in the
phase it is meant for on a fast machine and a slow one alike."""
import hashlib
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from scenarios.folders import PARTIAL
from scenarios.schema import DEFAULT_DIR
from test_cli import EXPECTED, cli

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
#: when to kill: while starting or computing, once the temporary folder exists, once the report is in it.
#: One wave of three runs side by side, each signal at its own moment. SIGTERM is turned into Ctrl-C's
#: interrupt (scenarios/cli.py), so the two share one clean-up path; SIGKILL runs none, and it is killed
#: as late as it can be, its temporary folder complete, for the next run to remove.
WAVES = ({signal.SIGINT: "computing", signal.SIGTERM: "writing", signal.SIGKILL: "renaming"},)


def _digest(paths) -> dict:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _command(scenario: Path, out: Path) -> list[str]:
    exe = shutil.which("staffcast")
    return ([exe] if exe else [sys.executable, "-m", "scenarios.cli"]) + ["run", str(scenario), "--out", str(out)]


def _check_folder(out: Path) -> list[Path]:
    """Every visible folder is a complete run; returns the hidden ones."""
    hidden = []
    for p in out.iterdir():
        if p.name.startswith("."):
            assert p.name.startswith(PARTIAL), p
            hidden.append(p)
            continue
        assert {q.name for q in p.iterdir()} == EXPECTED, f"incomplete run folder {p}"
        json.loads((p / "manifest.json").read_text(encoding="utf-8"))
    return hidden


def _wait_for(proc: subprocess.Popen, ready, timeout: float = 120.0) -> None:
    """Poll until ``ready()`` or the process ends."""
    t0 = time.monotonic()
    while proc.poll() is None and not ready() and time.monotonic() - t0 < timeout:
        time.sleep(0.005)


def _partial(out: Path, pid: int) -> list[Path]:
    return list(out.glob(f"{PARTIAL}{pid}-*"))


def test_killing_runs_at_any_moment_leaves_no_partial_run_folder(tmp_path):
    scenario = tmp_path / "quick.toml"
    scenario.write_text('extends = "default"\nname = "quick"\n[forecast]\nhorizon = 3\npaths = 20\n'
                        '[plan]\nyears = 3\n', encoding="utf-8")
    inputs = [scenario] + sorted(DEFAULT_DIR.glob("*.csv"))
    before_inputs = _digest(inputs)
    out = tmp_path / "runs"
    code, stdout, err = cli("run", scenario, "--out", out)  # in this process: the runs killed are subprocesses
    assert code == 0, err
    earlier = Path(stdout.strip().splitlines()[-1])
    earlier_digest = _digest(sorted(earlier.iterdir()))

    rng = random.Random(20261201)
    outcomes = {"killed": 0, "finished": 0}
    for wave in WAVES:
        # one run per signal at a time, side by side in the same output folder
        procs = [(sig, subprocess.Popen(_command(scenario, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE))
                 for sig in SIGNALS]
        for sig, proc in procs:
            moment = wave[sig]
            if moment == "computing":
                _wait_for(proc, lambda: False, timeout=rng.uniform(0.2, 1.5))
            elif moment == "writing":
                _wait_for(proc, lambda: bool(_partial(out, proc.pid)))
            else:
                _wait_for(proc, lambda: any((p / "report.pdf").exists() for p in _partial(out, proc.pid)))
            if proc.poll() is None:
                proc.send_signal(sig)
        for sig, proc in procs:
            _, err = proc.communicate(timeout=120)
            outcomes["finished" if proc.returncode == 0 else "killed"] += 1
            if sig == signal.SIGINT and proc.returncode not in (0, -signal.SIGINT):
                # -SIGINT: interrupted while Python was still importing, before staffcast ran
                assert proc.returncode == 130 and "interrupted" in err.decode()
        hidden = _check_folder(out)
        for sig, proc in procs:
            if sig != signal.SIGKILL:  # an interrupted run removes its own temporary folder
                assert not [h for h in hidden if h.name.startswith(f"{PARTIAL}{proc.pid}-")], hidden
        assert _digest(sorted(earlier.iterdir())) == earlier_digest
        assert _digest(inputs) == before_inputs
    assert outcomes["killed"] >= 2, outcomes

    code, _, err = cli("run", scenario, "--out", out)
    assert code == 0, err
    assert _check_folder(out) == []  # temporary folders of killed runs are gone too

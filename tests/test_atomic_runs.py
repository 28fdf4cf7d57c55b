"""Runs are atomic: killing ``staffcast run`` at random moments never leaves a
partial run folder, and never touches inputs or earlier runs."""
import hashlib
import json
import random
import signal
import subprocess
import time
from pathlib import Path

from scenarios.folders import PARTIAL
from scenarios.schema import DEFAULT_DIR
from test_cli import EXPECTED, staffcast

KILLS = 21
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)


def _digest(paths) -> dict:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _command(scenario: Path, out: Path) -> list[str]:
    import shutil
    import sys

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


def test_killing_runs_at_random_moments_leaves_no_partial_run_folder(tmp_path):
    scenario = tmp_path / "quick.toml"
    scenario.write_text('extends = "default"\nname = "quick"\n[forecast]\nhorizon = 3\npaths = 50\n'
                        '[plan]\nyears = 3\n', encoding="utf-8")
    inputs = [scenario] + sorted(DEFAULT_DIR.glob("*.csv"))
    before_inputs = _digest(inputs)
    out = tmp_path / "runs"
    t0 = time.perf_counter()
    first = staffcast("run", str(scenario), "--out", str(out))
    full = time.perf_counter() - t0
    assert first.returncode == 0, first.stderr
    earlier = Path(first.stdout.strip().splitlines()[-1])
    earlier_digest = _digest(sorted(earlier.iterdir()))

    rng = random.Random(20261122)
    outcomes = {"killed": 0, "finished": 0}
    for i in range(KILLS):
        sig = SIGNALS[i % len(SIGNALS)]
        # half the kills anywhere, half late, while the folder is being written
        at = rng.uniform(0.1, full) if i % 2 else rng.uniform(0.6 * full, 1.05 * full)
        proc = subprocess.Popen(_command(scenario, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(at)
        proc.send_signal(sig)
        proc.communicate(timeout=120)
        outcomes["finished" if proc.returncode == 0 else "killed"] += 1
        hidden = _check_folder(out)
        if sig != signal.SIGKILL:  # an interrupted run removes its own temporary folder
            assert not [h for h in hidden if h.name.startswith(f"{PARTIAL}{proc.pid}-")], hidden
        assert _digest(sorted(earlier.iterdir())) == earlier_digest
        assert _digest(inputs) == before_inputs
    assert outcomes["killed"] >= KILLS // 2, outcomes

    last = staffcast("run", str(scenario), "--out", str(out))
    assert last.returncode == 0, last.stderr
    assert _check_folder(out) == []  # temporary folders of killed runs are gone too

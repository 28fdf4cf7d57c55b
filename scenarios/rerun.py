"""Run again from a manifest: the same merged scenario, checked inputs."""
from __future__ import annotations

import json
from pathlib import Path

from forecast.errors import InputError
from scenarios.runner import file_hash
from scenarios.schema import DATA_TABLES, Scenario, validate_dict


def scenario_from_manifest(path: str | Path) -> Scenario:
    """The scenario a run used, after checking that every input file still
    has the SHA-256 the manifest recorded (a changed input is an error)."""
    path = Path(path)
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
        sc = m["scenario"]
        settings, inputs = sc["settings"], m["inputs"]
    except FileNotFoundError:
        raise InputError(f"{path}: manifest not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a staffcast manifest ({exc})") from None
    validate_dict(settings, f"{path} (scenario)")
    s = Scenario(Path(sc.get("file", path)), settings, [Path(p) for p in sc.get("extends_chain", [])])
    changed = []
    for table in DATA_TABLES:
        recorded = inputs.get(table, {}).get("sha256")
        now = s.data_path(table)
        if not now.is_file():
            changed.append(f"{path}: input '{table}' ({now}) no longer exists")
        elif recorded != file_hash(now):
            changed.append(f"{path}: input '{table}' ({now}) has changed since the run (SHA-256 differs)")
    if changed:
        raise InputError("\n".join(changed))
    return s

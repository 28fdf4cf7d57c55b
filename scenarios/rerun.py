"""Run again from a manifest: the same settings, every input checked."""
from __future__ import annotations

import json
from pathlib import Path

from forecast.errors import InputError
from forecast.supply import BANDS
from scenarios.excel import file_of
from scenarios.inputs import SCENARIO_TABLES
from scenarios.schema import Scenario, validate_dict
from scenarios.validate import file_hash


def scenario_from_manifest(path: str | Path) -> Scenario:
    """The scenario a run used, after checking that every input the run read
    (every table of the registry the manifest lists, optional ones too) still
    has the SHA-256 the manifest recorded; a changed, missing or added input
    is an error."""
    path = Path(path)
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
        sc = m["scenario"]
        settings, inputs = sc["settings"], m["inputs"]
        if not isinstance(settings, dict) or not isinstance(inputs, dict):
            raise TypeError("'scenario.settings' and 'inputs' must be tables")
        chain = [Path(p) for p in sc.get("extends_chain", [])]
        file = Path(sc.get("file", path))
    except FileNotFoundError:
        raise InputError(f"{path}: manifest not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a manifest.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"{path}: not a staffcast manifest (not JSON text)") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: not a staffcast manifest (missing or malformed {exc})") from None
    # keys not set are recorded as null: drop them, they take their defaults
    settings = {k: ({kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v)
                for k, v in settings.items() if v is not None}
    settings = _estimated_again(settings, sc.get("set_in_files"))
    validate_dict(settings, f"{path} (scenario)")
    s = Scenario(file, settings, chain)
    problems = []
    data = settings.get("data", {})
    for table in SCENARIO_TABLES:
        named, recorded = table in data, inputs.get(table)
        if not named and recorded is None:
            continue
        if named != (recorded is not None) or not isinstance(recorded, dict) or "sha256" not in recorded:
            problems.append(f"{path}: input '{table}' is {'named' if named else 'not named'} in the scenario but "
                            f"{'not recorded' if recorded is None else 'recorded'} with a SHA-256 in 'inputs'")
            continue
        now = s.data_path(table)
        if not file_of(now).is_file():
            problems.append(f"{path}: input '{table}' ({now}) no longer exists")
        elif recorded["sha256"] != file_hash(now):
            problems.append(f"{path}: input '{table}' ({now}) has changed since the run (SHA-256 differs)")
    if problems:
        raise InputError("\n".join(problems))
    return s


def _estimated_again(settings: dict, set_in_files) -> dict:
    """The settings a run used, less the attrition rates it estimated from
    ``roster_previous`` rather than took from its files. The manifest
    records every key with the value the scenario held, defaults included;
    left in, the defaults of the rates a run estimated would count as set
    in a file, which ``forecast.supply.with_history`` keeps, and the rerun
    would project supply and plan with them instead of the estimates.
    Without ``set_in_files`` (an older manifest) nothing can tell them
    apart and the settings stand."""
    if "roster_previous" not in settings.get("data", {}) or not isinstance(set_in_files, dict):
        return settings
    in_files = set_in_files.get("supply") or {}
    supply = {k: v for k, v in settings.get("supply", {}).items() if k not in BANDS or k in in_files}
    return settings | {"supply": supply}

"""Scenario files (TOML): schema, ``extends``, validation.

A scenario is a small TOML file; ``extends = "other.toml"`` (a path relative to
the file, or ``"default"`` for the embedded baseline) takes that scenario and
overrides only the keys given. Every key is checked against ``SCHEMA`` before
anything runs; an unknown key, a wrong type or a value out of range is an
``InputError`` naming the file, the key and what is allowed.
"""
from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from forecast.errors import InputError, Problem
from forecast.curriculum import SUBJECTS
from forecast.grades import STAGES
from optimize.problem import HIRING_RULES

DEFAULT_DIR = Path(str(resources.files("scenarios") / "default"))
DEFAULT_SCENARIO = DEFAULT_DIR / "baseline.toml"
DATA_TABLES = ("births", "enrolment", "roster", "posts", "cap")


@dataclass(frozen=True)
class Spec:
    """What a key may hold: ``kind`` is a Python type, 'stage_map' or
    'subject_map' for a table of numbers keyed by stage or subject name; ``lo``/``hi`` bound numbers; ``choices`` lists
    allowed strings."""

    kind: Any
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    optional: bool = False


NUM = (int, float)
MAP_KEYS = {"stage_map": ("stage", STAGES), "subject_map": ("subject", SUBJECTS)}
SCHEMA: dict[str, dict[str, Spec] | Spec] = {
    "name": Spec(str),
    "title": Spec(str),
    "description": Spec(str),
    "extends": Spec(str),
    "data": {
        "births": Spec(str), "enrolment": Spec(str), "roster": Spec(str), "posts": Spec(str), "cap": Spec(str),
        "roster_previous": Spec(str),
        "base_year": Spec(int, 1950, 2100),
    },
    "grades": {
        "preschool": Spec(list), "primary": Spec(list), "junior": Spec(list), "senior": Spec(list),
        "first_grade_age": Spec(int, 3, 10),
    },
    "forecast": {
        "horizon": Spec(int, 1, 30),
        "estimator": Spec(str, choices=("mean", "ses", "damped")),
        "window": Spec(int, 1, 20),
        "alpha": Spec(NUM, 0.01, 1.0),
        "paths": Spec(int, 0, 100_000),
        "seed": Spec(int, 0, 2**32 - 1),
        "births_factor": Spec(NUM, 0.0, 5.0),
        "births_variant": Spec(str, choices=("central", "low", "high")),
        "entry_spread": Spec(NUM, 0.0, 1.0),
        "adjustments": Spec("adjustments"),
    },
    "demand": {
        "method": Spec(str, choices=("ratio", "class")),
        "staff_ratio": Spec("stage_map", 0.5, 100.0),
        "teacher_share": Spec(NUM, 0.05, 1.0),
        "class_size": Spec("stage_map", 5, 80),
        "load": Spec("stage_map", 1, 40),
        "kindergarten_teachers_per_class": Spec(NUM, 0.5, 5.0),
        "selection_groups": Spec("subject_map", 0.0, 5.0),
    },
    "supply": {
        "temporary_attrition": Spec(NUM, 0.0, 1.0),
        "female_track": Spec(str, choices=("F55", "F50")),
        "attrition_under_30": Spec(NUM, 0.0, 1.0),
        "attrition_30_39": Spec(NUM, 0.0, 1.0),
        "attrition_40_49": Spec(NUM, 0.0, 1.0),
        "attrition_50_plus": Spec(NUM, 0.0, 1.0),
        "returner_rate": Spec(NUM, 0.0, 1.0),
    },
    "plan": {
        "years": Spec(int, 1, 30),
        "cap_change": Spec(NUM, -1e6, 1e6),
        "salary": Spec(NUM, 0, 1e8), "hire_cost": Spec(NUM, 0, 1e8), "certificate_premium": Spec(NUM, 0.0, 10.0),
        "stage_move_cost": Spec(NUM, 0, 1e8), "region_move_cost": Spec(NUM, 0, 1e8),
        "temporary_cost": Spec(NUM, 0, 1e8),
        "shortfall_weight": Spec(NUM, 0, 1e10), "surplus_weight": Spec(NUM, 0, 1e10),
        "temporary_share_max": Spec(NUM, 0.0, 1.0),
        "post_shift_share": Spec(NUM, 0.0, 1.0),
        "new_hire_attrition": Spec(NUM, 0.0, 1.0),
        "mentor_ratio": Spec(NUM, 0.0, 10.0),
        "graduate_supply": Spec("stage_map", 0, 1e7),
        "region_move_share": Spec(NUM, 0.0, 1.0),
        "budget": Spec(NUM, 0, 1e13),
        "integer": Spec(bool),
        "hiring_certificates": Spec(str, choices=HIRING_RULES),
        "freeze_cap": Spec(bool),
        "key_share_floor": Spec(NUM, 0.0, 1.0),
        "time_limit": Spec(NUM, 1, 86_400),
        "solver": Spec(str, choices=("highs", "cbc")),
    },
}


def _type_name(kind) -> str:
    if kind in MAP_KEYS:
        what, keys = MAP_KEYS[kind]
        return f"a table of numbers keyed by {what} ({', '.join(keys)})"
    if kind == NUM:
        return "a number"
    return {int: "a whole number", str: "a string", bool: "true or false", list: "a list"}[kind]


ADJUSTMENT_KEYS = {"region": str, "grade": int, "year": int, "students": NUM}


def _check_adjustments(src: str, key: str, value) -> list[str]:
    if not isinstance(value, list):
        return [f"{src}: key '{key}' must be a list of tables {{region, grade, year, students}}"]
    errs = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != set(ADJUSTMENT_KEYS):
            errs.append(f"{src}: key '{key}[{i}]' must have exactly the keys region, grade, year, students")
            continue
        for k, kind in ADJUSTMENT_KEYS.items():
            if not isinstance(item[k], kind) or isinstance(item[k], bool):
                errs.append(f"{src}: key '{key}[{i}].{k}' must be {_type_name(kind)}, not {item[k]!r}")
    return errs


def _check_value(src: str, key: str, spec: Spec, value) -> list[str]:
    errs = []
    if spec.kind == "adjustments":
        return _check_adjustments(src, key, value)
    if spec.kind in MAP_KEYS:
        if not isinstance(value, dict):
            return [f"{src}: key '{key}' must be {_type_name(spec.kind)}"]
        what, keys = MAP_KEYS[spec.kind]
        for name, v in value.items():
            if name not in keys:
                errs.append(f"{src}: key '{key}.{name}': unknown {what} (allowed: {', '.join(keys)})")
            else:
                errs += _check_value(src, f"{key}.{name}", Spec(NUM, spec.lo, spec.hi), v)
        return errs
    ok = isinstance(value, spec.kind) and not (spec.kind in (NUM, int) and isinstance(value, bool))
    if not ok:
        return [f"{src}: key '{key}' must be {_type_name(spec.kind)}, not {value!r}"]
    if spec.choices is not None and value not in spec.choices:
        errs.append(f"{src}: key '{key}' is {value!r}; allowed: {', '.join(map(str, spec.choices))}")
    if spec.lo is not None and isinstance(value, (int, float)) and not (spec.lo <= value <= spec.hi):
        errs.append(f"{src}: key '{key}' is {value!r}; allowed: {spec.lo:g} to {spec.hi:g}")
    return errs


def validate_dict(raw: dict, src: str) -> None:
    """Check every key of one scenario file's own table (before merging)."""
    errs = []
    for key, value in raw.items():
        spec = SCHEMA.get(key)
        if spec is None:
            errs.append(f"{src}: unknown key '{key}' (allowed: {', '.join(SCHEMA)})")
        elif isinstance(spec, dict):
            if not isinstance(value, dict):
                errs.append(f"{src}: key '{key}' must be a table [{key}]")
                continue
            for sub, v in value.items():
                if sub not in spec:
                    errs.append(f"{src}: unknown key '{key}.{sub}' (allowed: {', '.join(spec)})")
                else:
                    errs += _check_value(src, f"{key}.{sub}", spec[sub], v)
        else:
            errs += _check_value(src, key, spec, value)
    if errs:
        raise InputError([Problem("", e) for e in errs])


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"{path}: scenario file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a scenario file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


@dataclass
class Scenario:
    """A merged, validated scenario. ``settings`` is the merged table; data
    paths in it are absolute (or the word 'default')."""

    path: Path
    settings: dict
    chain: list[Path]

    @property
    def name(self) -> str:
        return self.settings.get("name") or self.path.stem

    def get(self, section: str, key: str, default=None):
        return self.settings.get(section, {}).get(key, default)

    def data_path(self, table: str) -> Path:
        value = self.settings["data"][table]
        return DEFAULT_DIR / f"{table}.csv" if value == "default" else Path(value)

    def override(self, **changes: dict) -> "Scenario":
        """A copy with sections updated, e.g. ``override(plan={"cap_change": 200})``."""
        validate_dict(changes, f"{self.path} (override)")
        return Scenario(self.path, _merge(self.settings, changes), self.chain)


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read a scenario file (default: the embedded baseline), follow its
    ``extends`` chain and validate it."""
    path = Path(path) if path is not None else DEFAULT_SCENARIO
    chain: list[Path] = []
    layers = []
    current = path
    while True:
        resolved = current.resolve()
        if resolved in chain:
            cycle = " -> ".join(str(p) for p in chain + [resolved])
            raise InputError(f"{path}: 'extends' makes a cycle: {cycle}")
        chain.append(resolved)
        raw = _read_toml(current)
        validate_dict(raw, str(current))
        data = raw.get("data", {})
        for table in DATA_TABLES + ("roster_previous",):
            if table in data and data[table] != "default":
                data[table] = str((current.parent / data[table]).resolve())
        layers.append(raw)
        parent = raw.get("extends")
        if parent is None:
            break
        current = DEFAULT_SCENARIO if parent == "default" else current.parent / parent
    merged: dict = {}
    for layer in reversed(layers):
        merged = _merge(merged, {k: v for k, v in layer.items() if k != "extends"})
    # a scenario's name, title and description are its own, never its parent's
    for key in ("name", "title", "description"):
        merged.pop(key, None)
    merged["name"] = layers[0].get("name", path.stem)
    merged["title"] = layers[0].get("title", merged["name"])
    if "description" in layers[0]:
        merged["description"] = layers[0]["description"]
    missing = [f"data.{t}" for t in DATA_TABLES if t not in merged.get("data", {})]
    missing += [] if "base_year" in merged.get("data", {}) else ["data.base_year"]
    if missing:
        raise InputError(f"{path}: missing keys {', '.join(missing)} (set them or extend a scenario that does)")
    return Scenario(path, merged, chain)

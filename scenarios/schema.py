"""Scenario files (TOML): sections, ``extends``, validation.

A scenario is a small TOML file; ``extends = "other.toml"`` (a path relative to
the file, or ``"default"`` for the embedded baseline) takes that scenario and
overrides only the keys given. Each section is one stage's settings class —
``[data]`` the input registry, ``[grades]`` ``GradeMap``, ``[forecast]``
``ForecastParams``, ``[demand]`` ``DemandParams``, ``[supply]``
``SupplyParams``, ``[plan]`` ``PlanParams``, ``[city]`` ``CityParams`` (the
rows that tie a city's districts) — and the keys, their types,
bounds, choices and defaults come from those classes (``forecast.settings``),
so they are declared once. An unknown key, a wrong type, a value out of range
or a key that the chosen method ignores is an ``InputError`` naming the file,
the key and what is allowed.
"""
from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field, make_dataclass
from importlib import resources
from pathlib import Path

from forecast.demand import DemandParams
from forecast.enrolment import ForecastParams
from forecast.errors import InputError, Problem
from forecast.grades import GradeMap
from forecast.settings import check_applicable, check_section, check_value, describe, from_section, setting
from forecast.settings import Setting, to_section
from forecast.supply import SupplyParams
from optimize.city import CityParams
from optimize.problem import PlanParams
from scenarios.inputs import SCENARIO_TABLES, TABLES

DEFAULT_DIR = Path(str(resources.files("scenarios") / "default"))
DEFAULT_SCENARIO = DEFAULT_DIR / "baseline.toml"
REQUIRED_TABLES = tuple(t for t in SCENARIO_TABLES if TABLES[t].required)

DataSettings = make_dataclass("DataSettings", [
    *((name, "str | None", setting(kind=str, doc=("" if TABLES[name].required else "optional: ") + TABLES[name].doc
                                                 + "; a CSV or Excel file relative to the scenario file "
                                                   "(book.xlsx: its first sheet; book.xlsx#sheet: the sheet "
                                                   "named), or \"default\""))
      for name in SCENARIO_TABLES),
    ("base_year", "int | None", setting(kind=int, lo=1950, hi=2100,
                                        doc="school year of the roster and posts; the last year of enrolment")),
], frozen=True)
DataSettings.__doc__ = "Where a scenario's input tables are (``[data]``), one key per table of the registry."

#: each section of a scenario file and the settings class that owns it
SECTIONS = {"data": DataSettings, "grades": GradeMap, "forecast": ForecastParams, "demand": DemandParams,
            "supply": SupplyParams, "plan": PlanParams, "city": CityParams}
TOP = {name: Setting(name, str, doc) for name, doc in (
    ("name", "the scenario's short name (run folder names)"), ("title", "its title on the report"),
    ("description", "what it changes, in a sentence"),
    ("extends", "the scenario it overrides: a path relative to this file, or \"default\""))}


def validate_dict(raw: dict, src: str) -> None:
    """Check every key of one scenario file's own table (before merging)."""
    errs = []
    for key, value in raw.items():
        if key in SECTIONS:
            if not isinstance(value, dict):
                errs.append(f"{src}: key '{key}' must be a table [{key}]")
            else:
                errs += check_section(SECTIONS[key], value, src, key)
        elif key in TOP:
            errs += check_value(src, key, TOP[key], value)
        else:
            errs.append(f"{src}: unknown key '{key}' (allowed: {', '.join([*TOP, *SECTIONS])})")
    if errs:
        raise InputError([Problem("", e) for e in errs])


def check_layer(merged: dict, own: dict, src: str) -> None:
    """Keys that one file sets itself but the merged scenario ignores."""
    errs = []
    for name, cls in SECTIONS.items():
        errs += check_applicable(cls, merged.get(name, {}), own.get(name, {}), src, name)
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
        text = path.read_bytes().decode("utf-8-sig")  # a BOM (Windows Notepad) is not part of the file
        return tomllib.loads(text)
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
    """A merged, validated scenario.

    ``settings`` holds the keys the files set (merged along the ``extends``
    chain; data paths absolute, or the word 'default'); the typed settings
    objects (``forecast``, ``plan``, …) add every default to them."""

    path: Path
    settings: dict
    chain: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.settings.get("name") or self.path.stem

    @property
    def title(self) -> str:
        return self.settings.get("title") or self.name

    def section(self, name: str):
        """The settings object of one section, defaults filled in."""
        return from_section(SECTIONS[name], self.settings.get(name, {}))

    @property
    def data(self):
        return self.section("data")

    @property
    def grades(self) -> GradeMap:
        return self.section("grades")

    @property
    def forecast(self) -> ForecastParams:
        return self.section("forecast")

    @property
    def demand(self) -> DemandParams:
        return self.section("demand")

    @property
    def supply(self) -> SupplyParams:
        return self.section("supply")

    @property
    def plan(self) -> PlanParams:
        return self.section("plan")

    @property
    def city(self) -> CityParams:
        return self.section("city")

    @property
    def base_year(self) -> int:
        return int(self.settings["data"]["base_year"])

    @property
    def plan_years(self) -> list[int]:
        """The plan's school years: ``plan.years`` (or the horizon) after the base year."""
        n = self.plan.years or self.forecast.horizon
        return list(range(self.base_year + 1, self.base_year + n + 1))

    def data_path(self, table: str) -> Path | None:
        """Where a table is read from; None for an optional table not given."""
        value = self.settings["data"].get(table)
        if value is None:
            return None
        return DEFAULT_DIR / f"{table}.csv" if value == "default" else Path(value)

    def resolved(self) -> dict:
        """Every key with the value that runs, defaults included (the manifest's
        record of the scenario; keys not set are None)."""
        out = {k: self.settings[k] for k in TOP if k in self.settings}
        out["name"], out["title"] = self.name, self.title
        for name in SECTIONS:
            out[name] = to_section(self.section(name))
        return out

    def override(self, **changes: dict) -> "Scenario":
        """A copy with sections updated, e.g. ``override(plan={"cap_change": 200})``."""
        src = f"{self.path} (override)"
        validate_dict(changes, src)
        merged = _merge(self.settings, changes)
        check_layer(merged, changes, src)
        return Scenario(self.path, merged, self.chain)


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
        for table in SCENARIO_TABLES:
            if table in data and data[table] != "default":
                data[table] = str((current.parent / data[table]).resolve())
        layers.append((current, raw))
        parent = raw.get("extends")
        if parent is None:
            break
        current = DEFAULT_SCENARIO if parent == "default" else current.parent / parent
    merged: dict = {}
    for _, layer in reversed(layers):
        merged = _merge(merged, {k: v for k, v in layer.items() if k != "extends"})
    # a scenario's name, title and description are its own, never its parent's
    own = layers[0][1]
    for key in ("name", "title", "description"):
        merged.pop(key, None)
    merged["name"] = own.get("name", path.stem)
    merged["title"] = own.get("title", merged["name"])
    if "description" in own:
        merged["description"] = own["description"]
    check_layer(merged, own, str(path))
    missing = [f"data.{t}" for t in REQUIRED_TABLES if t not in merged.get("data", {})]
    missing += [] if "base_year" in merged.get("data", {}) else ["data.base_year"]
    if missing:
        raise InputError(f"{path}: missing keys {', '.join(missing)} (set them or extend a scenario that does)")
    return Scenario(path, merged, chain)


def scenario_keys() -> list[str]:
    """Every key a scenario file may set: top-level keys bare, the others as
    'section.key'."""
    keys = list(TOP)
    for name, cls in SECTIONS.items():
        keys += [row[0] for row in describe(cls, name)]
    return keys


def key_list() -> str:
    """The scenario keys as a Markdown table (the README's list is this text)."""
    rows = ["| key | value | default | what it is |", "|---|---|---|---|"]
    for name, s in TOP.items():
        rows.append(f"| `{name}` | a string | — | {s.doc} |")
    for name, cls in SECTIONS.items():
        for key, kind, default, doc in describe(cls, name):
            rows.append(f"| `{key}` | {kind} | {default} | {doc} |")
    return "\n".join(rows)

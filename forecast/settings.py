"""Settings declared once.

Every stage of staffcast owns one frozen dataclass of settings (``GradeMap``,
``ForecastParams``, ``DemandParams``, ``SupplyParams``, ``PlanParams``).
Each field that a scenario may set is declared with ``setting()``, which
records its unit, bounds, choices and a one-line description as field
metadata. The scenario schema, its error messages, the README's list of keys
and the CLI's choices are all generated from these declarations, so every
default exists in exactly one place.

A section of a scenario file (a dict read from TOML) becomes a settings object
with ``from_section``; ``check_section`` lists what is wrong with one, each
problem one line naming the file and the key.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

#: value kinds that are not plain Python types
NUMBER = "number"          # int or float
STAGE_MAP = "stage_map"    # {stage: number}, merged over the default
SUBJECT_MAP = "subject_map"  # {subject: number}
STAGE_SUBJECT_MAP = "stage_subject_map"  # {stage: {subject: number}}
GRADE_RANGES = "grade_ranges"  # the section's own keys are stages: [first, last] (or [] for none)
RECORDS = "records"        # a list of tables with fixed keys (see ``records``)


@dataclass(frozen=True)
class Setting:
    """What one scenario key may hold.

    kind : int, float, str, bool or one of the kinds above.
    unit : what the number counts (persons, FTE, posts, yuan, share, years…).
    lo, hi : bounds for numbers (inclusive); for maps, for every value.
    choices : allowed strings.
    keys : allowed keys of a map (stages, subjects).
    records : for RECORDS, the keys of each table and their kinds.
    optional : the default is None, meaning "not set" (TOML has no null).
    only_with : {other key in the same section: values} — the key is used
        only when that key has one of those values, and refused otherwise.
    """

    name: str
    kind: Any
    doc: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    keys: tuple | None = None
    records: dict | None = None
    optional: bool = False
    only_with: dict | None = None
    default: Any = None


def setting(default: Any = dataclasses.MISSING, *, doc: str, unit: str = "", lo: float | None = None,
            hi: float | None = None, choices: tuple | None = None, kind: Any = None, keys: tuple | None = None,
            records: dict | None = None, only_with: dict | None = None,
            default_factory: Callable[[], Any] | None = None) -> Any:
    """A dataclass field that a scenario may set (see ``Setting``).

    ``kind`` is taken from the default when not given (bool, int, float, str;
    an int bound or default on a float field still means a number)."""
    if default is dataclasses.MISSING and default_factory is None:
        default = None  # "not set"
    value = default_factory() if default_factory is not None else default
    if kind is None:
        if value is None:
            raise TypeError("setting(): give kind= when the default is None")
        kind = bool if isinstance(value, bool) else NUMBER if isinstance(value, float) else type(value)
    meta = dict(kind=kind, doc=doc, unit=unit, lo=lo, hi=hi, choices=choices, keys=keys, records=records,
                optional=value is None, only_with=only_with)
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata={"setting": meta})
    return dataclasses.field(default=default, metadata={"setting": meta})


def settings_of(cls) -> list[Setting]:
    """The scenario keys of a settings class, in declaration order."""
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata.get("setting")
        if meta is None:
            continue
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        out.append(Setting(name=f.name, default=default, **meta))
    return out


# --- checking ------------------------------------------------------------------------------------

def type_name(s: Setting) -> str:
    """How a key's kind reads in a message."""
    if s.kind in (STAGE_MAP, SUBJECT_MAP):
        what = "stage" if s.kind == STAGE_MAP else "subject"
        return f"a table of numbers keyed by {what} ({', '.join(s.keys)})"
    if s.kind == STAGE_SUBJECT_MAP:
        return "a table keyed by stage of tables of numbers keyed by subject"
    if s.kind == GRADE_RANGES:
        return "[first grade, last grade]"
    if s.kind == RECORDS:
        return f"a list of tables {{{', '.join(s.records)}}}"
    return {NUMBER: "a number", int: "a whole number", float: "a number", str: "a string", bool: "true or false",
            list: "a list"}[s.kind]


def _is(value, kind) -> bool:
    if kind in (NUMBER, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _bounds(src: str, key: str, s: Setting, value) -> list[str]:
    if s.lo is not None and value < s.lo or s.hi is not None and value > s.hi:
        if s.hi is None:
            allowed = f"at least {s.lo:g}"
        elif s.lo is None:
            allowed = f"at most {s.hi:g}"
        else:
            allowed = f"{s.lo:g} to {s.hi:g}"
        return [f"{src}: key '{key}' is {value!r}; allowed: {allowed}"]
    return []


def _check_number(src: str, key: str, s: Setting, value, kind=NUMBER) -> list[str]:
    if not _is(value, kind):
        return [f"{src}: key '{key}' must be {'a whole number' if kind is int else 'a number'}, not {value!r}"]
    return _bounds(src, key, s, value)


def check_value(src: str, key: str, s: Setting, value) -> list[str]:
    """Problems with one key's value (type, bounds, choices, map keys)."""
    if s.kind in (STAGE_MAP, SUBJECT_MAP):
        if not isinstance(value, dict):
            return [f"{src}: key '{key}' must be {type_name(s)}"]
        what = "stage" if s.kind == STAGE_MAP else "subject"
        errs = []
        for name, v in value.items():
            if name not in s.keys:
                errs.append(f"{src}: key '{key}.{name}': unknown {what} (allowed: {', '.join(s.keys)})")
            else:
                errs += _check_number(src, f"{key}.{name}", s, v)
        return errs
    if s.kind == STAGE_SUBJECT_MAP:
        if not isinstance(value, dict):
            return [f"{src}: key '{key}' must be {type_name(s)}"]
        stages, subjects = s.keys
        errs = []
        for stage, inner in value.items():
            if stage not in stages:
                errs.append(f"{src}: key '{key}.{stage}': unknown stage (allowed: {', '.join(stages)})")
            elif not isinstance(inner, dict):
                errs.append(f"{src}: key '{key}.{stage}' must be a table of numbers keyed by subject")
            else:
                for subject, v in inner.items():
                    if subject not in subjects:
                        errs.append(f"{src}: key '{key}.{stage}.{subject}': unknown subject "
                                    f"(allowed: {', '.join(subjects)})")
                    else:
                        errs += _check_number(src, f"{key}.{stage}.{subject}", s, v)
        return errs
    if s.kind == GRADE_RANGES:
        ok = isinstance(value, list) and (value == [] or len(value) == 2 and all(_is(v, int) for v in value))
        if not ok:
            return [f"{src}: key '{key}' must be [first grade, last grade] (or [] for no such stage), not {value!r}"]
        return [e for v in value for e in _bounds(src, key, s, v)]
    if s.kind == RECORDS:
        return _check_records(src, key, s, value)
    if not _is(value, s.kind):
        return [f"{src}: key '{key}' must be {type_name(s)}, not {value!r}"]
    if s.choices is not None and value not in s.choices:
        return [f"{src}: key '{key}' is {value!r}; allowed: {', '.join(map(str, s.choices))}"]
    if s.kind in (NUMBER, int, float):
        return _bounds(src, key, s, value)
    return []


def _check_records(src: str, key: str, s: Setting, value) -> list[str]:
    if not isinstance(value, list):
        return [f"{src}: key '{key}' must be {type_name(s)}"]
    errs = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != set(s.records):
            errs.append(f"{src}: key '{key}[{i}]' must have exactly the keys {', '.join(s.records)}")
            continue
        for k, kind in s.records.items():
            if not _is(item[k], kind):
                shown = {NUMBER: "a number", int: "a whole number", str: "a string"}[kind]
                errs.append(f"{src}: key '{key}[{i}].{k}' must be {shown}, not {item[k]!r}")
    return errs


def check_section(cls, section: dict, src: str, prefix: str) -> list[str]:
    """Problems with one section of one scenario file: unknown keys and bad
    values (``prefix`` is the section's name, as keys are shown)."""
    known = {s.name: s for s in settings_of(cls)}
    ranges = [s for s in known.values() if s.kind == GRADE_RANGES]
    errs = []
    for key, value in section.items():
        s = known.get(key)
        if s is None and ranges and key in ranges[0].keys:
            s = dataclasses.replace(ranges[0], name=key)
        if s is None:
            allowed = [n for n, v in known.items() if v.kind != GRADE_RANGES]
            allowed = [*ranges[0].keys, *allowed] if ranges else allowed
            errs.append(f"{src}: unknown key '{prefix}.{key}' (allowed: {', '.join(allowed)})")
        else:
            errs += check_value(src, f"{prefix}.{key}", s, value)
    return errs


def check_applicable(cls, merged: dict, own: dict, src: str, prefix: str) -> list[str]:
    """Keys a file sets itself that the merged settings ignore (a class-method
    key under the ratio method, say), each refused with the reason."""
    errs = []
    for s in settings_of(cls):
        if s.only_with is None or s.name not in own:
            continue
        for other, allowed in s.only_with.items():
            value = merged.get(other, _default(cls, other))
            if value not in allowed:
                errs.append(f"{src}: key '{prefix}.{s.name}' is used only when {prefix}.{other} is "
                            f"{' or '.join(map(repr, allowed))}, and it is {value!r}; remove the key or set "
                            f"{prefix}.{other}")
    return errs


def _default(cls, name: str):
    return next(s.default for s in settings_of(cls) if s.name == name)


# --- building ------------------------------------------------------------------------------------

def from_section(cls, section: dict, **extra):
    """A settings object from one merged section: keys absent keep their
    defaults; maps (stage or subject tables) are merged over the default map;
    ``extra`` sets fields that are not scenario keys."""
    kw = dict(extra)
    for s in settings_of(cls):
        if s.kind == GRADE_RANGES:
            given = {k: v for k, v in section.items() if k in s.keys}
            merged = {**s.default, **{k: tuple(v) for k, v in given.items()}}
            kw[s.name] = {k: v for k, v in merged.items() if v}
            continue
        if s.name not in section:
            continue
        value = section[s.name]
        if s.kind in (STAGE_MAP, SUBJECT_MAP):
            value = {**(s.default or {}), **{k: float(v) for k, v in value.items()}}
        elif s.kind == STAGE_SUBJECT_MAP:
            value = {**(s.default or {}), **{k: {j: float(x) for j, x in v.items()} for k, v in value.items()}}
        elif s.kind in (NUMBER, float):
            value = float(value)
        kw[s.name] = value
    return cls(**kw)


def to_section(obj) -> dict:
    """Every scenario key of a settings object with the value that ran
    (for the manifest and the assumptions page); None for keys not set."""
    out = {}
    for s in settings_of(type(obj)):
        value = getattr(obj, s.name)
        if s.kind == GRADE_RANGES:
            out.update({k: list(value[k]) if k in value else [] for k in s.keys})
        elif isinstance(value, tuple):
            out[s.name] = list(value)
        else:
            out[s.name] = value
    return out


def describe(cls, prefix: str) -> list[tuple[str, str, str, str]]:
    """(key, allowed values, default, description with unit) per scenario key,
    for the README's key list and the assumptions page."""
    rows = []
    for s in settings_of(cls):
        if s.kind == GRADE_RANGES:
            for stage in s.keys:
                d = s.default.get(stage)
                rows.append((f"{prefix}.{stage}", f"[first, last] grades, {s.lo:g} to {s.hi:g}, or []",
                             str(list(d)) if d else "none", f"grades of {stage} ({s.doc})"))
            continue
        rows.append((f"{prefix}.{s.name}", allowed(s), _shown(s.default), _doc(s, prefix)))
    return rows


def allowed(s: Setting) -> str:
    """What a key may hold, in words."""
    if s.choices:
        return "one of " + ", ".join(map(str, s.choices))
    if s.kind in (STAGE_MAP, SUBJECT_MAP):
        what = "stage" if s.kind == STAGE_MAP else "subject"
        return f"numbers keyed by {what}" + _range(s)
    return type_name(s) + _range(s)


def _range(s: Setting) -> str:
    if s.lo is None and s.hi is None or s.kind in (str, bool, RECORDS):
        return ""
    if s.hi is None:
        return f", at least {_shown(float(s.lo))}"
    return f", {_shown(float(s.lo))} to {_shown(float(s.hi))}"


def _doc(s: Setting, prefix: str) -> str:
    doc = s.doc + (f" ({s.unit})" if s.unit else "")
    if s.only_with:
        doc += "; only with " + "; ".join(f"{prefix}.{k} = {' or '.join(_shown(x) for x in v)}" for k, v in s.only_with.items())
    return doc


def _shown(value) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.0f}"
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_shown(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return "none" if not value else str(value)
    return str(value)

"""Read a solved model into the plan's tidy frames."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd

from optimize.model import StaffingModel, cover_keys, no_cyclic_gc, teaching
from optimize.problem import lookup

STAFF_COLUMNS = ["region", "stage", "subject", "year", "demand", "stock_start", "exits", "hires",
                 "moves_in", "moves_out", "stock_end", "temporary", "shortfall", "surplus"]
#: subject is where a teacher comes from, subject_to where they go (they differ only for retraining, 转岗);
#: kind: stage (a move between stages), retraining, rotation (to another area) or return (home after a term)
MOVE_COLUMNS = ["region_from", "region_to", "stage_from", "stage_to", "subject", "certificate", "year", "teachers",
                "subject_to", "kind"]


def _val(v) -> float:
    x = v.varValue
    # every variable is non-negative; solvers return -1e-12 and the like
    return 0.0 if x is None else max(0.0, float(x))


def _cover(variables: dict, key) -> float:
    return _val(variables[key]) if key in variables else 0.0


def home_values(m: StaffingModel) -> dict:
    """(r, s, j, c, t) -> base-year staff teaching at home (persons): the
    cell's ``home`` count less those moved away and those rotated out."""
    out = dict(m.home)
    for (r, s0, j0, s, j, c, t), v in m.moved.items():
        out[(r, s0, j0, c, t)] -= _val(v)
    for key, v in m.away.items():
        out[key] -= _val(v)
    return out


def _retention_exits(m: StaffingModel) -> tuple[dict, dict]:
    """Stock at the end of t-1 (or the base year) and exits in t, per
    (r, s, j, t) where the teachers teach (persons): base-year staff at their
    home cell's rate (moved ones too), rotated ones at the pool's (``Retention.pool``), the
    plan's hires at ``new_hire_attrition``. Those at home are what the cell
    keeps less those away, so where those rotated out stay better than the
    cell's average, those at home leave faster."""
    inp, par = m.inputs, m.params
    retention = inp.rates
    start = lookup(inp.stock, ["region", "stage", "subject", "certificate"], "headcount")
    first = inp.years[0]
    exits, stock_start = {}, {}
    at_home = home_values(m)

    def add(key, prev, gone):
        stock_start[key] = stock_start.get(key, 0.0) + prev
        exits[key] = exits.get(key, 0.0) + gone

    for (r, s, j, c, t) in m.home:
        prev = start[(r, s, j, c)] if t == first else at_home[(r, s, j, c, t - 1)]
        rate = retention(r, s, j, c, t)
        gone = prev * (1 - rate)
        if t != first and (r, s, j, c, t - 1) in m.away:
            gone += (retention.pool(s, j, c, t) - rate) * _val(m.away[(r, s, j, c, t - 1)])
        add((r, s, j, t), prev, gone)
    new = {}  # the plan's hires in post at the end of t: earlier years' and this year's
    for (layer, r, s, j, c, t), v in m.stock.items():
        new[(r, s, j, c, t)] = new.get((r, s, j, c, t), 0.0) + _val(v)
    for key, v in m.hires.items():
        new[key] = new.get(key, 0.0) + _val(v)
    for (r, s, j, c, t) in new:
        prev = new.get((r, s, j, c, t - 1), 0.0)
        add((r, s, j, t), prev, prev * par.new_hire_attrition)
    for (r, s0, j0, s, j, c, t), v in m.moved.items():
        prev = 0.0 if t == first else _val(m.moved[(r, s0, j0, s, j, c, t - 1)])
        add((r, s, j, t), prev, prev * (1 - retention(r, s0, j0, c, t)))
    for (r, s, j, c, t), v in m.rotated.items():
        prev = 0.0 if t == first else _val(m.rotated[(r, s, j, c, t - 1)])
        add((r, s, j, t), prev, prev * (1 - retention.pool(s, j, c, t)))
    return stock_start, exits


def assign_solution(m: StaffingModel) -> dict[str, pd.DataFrame]:
    """Tidy frames staff, hires, moves, posts (without post values)."""
    with no_cyclic_gc():
        return _assign_solution(m)


def _assign_solution(m: StaffingModel) -> dict[str, pd.DataFrame]:
    inp = m.inputs
    stock_start, exits = _retention_exits(m)
    dem = lookup(inp.demand, ["region", "stage", "subject", "year"], "demand")
    # a stochastic plan's first stage has no cover variables: its cover is per path (optimize.stochastic)
    keys = list(m.temporary) or cover_keys(inp)
    agg = {k: dict(hires=0.0, moves_in=0.0, moves_out=0.0, stock_end=0.0) for k in keys}
    for (r, s, j, c, t), v in m.hires.items():
        agg[(r, s, j, t)]["hires"] += _val(v)
    moves = _pair_rotations(m)
    for (layer, r, s1, s2, j, c, t), v in m.stage_moves.items():
        moves.append((r, r, s1, s2, j, j, c, t, _val(v), "stage"))
    for (r, s, jf, jt, c, t), v in m.retraining.items():
        moves.append((r, r, s, s, jf, jt, c, t, _val(v), "retraining"))
    for r1, r2, s1, s2, j1, j2, c, t, x, kind in moves:
        agg[(r1, s1, j1, t)]["moves_out"] += x
        agg[(r2, s2, j2, t)]["moves_in"] += x
    for (layer, r, s, j, t), (terms, const) in teaching(m).items():
        agg[(r, s, j, t)]["stock_end"] += const + sum(a * _val(v) for v, a in terms)
    rows = []
    for key, a in agg.items():
        rows.append((*key[:3], key[3], dem.get(key, 0.0), stock_start.get(key, 0.0), exits.get(key, 0.0),
                     a["hires"], a["moves_in"], a["moves_out"], a["stock_end"], _cover(m.temporary, key),
                     _cover(m.shortfall, key), _cover(m.surplus, key)))
    staff = pd.DataFrame(rows, columns=STAFF_COLUMNS).sort_values(["region", "stage", "subject", "year"],
                                                                 ignore_index=True)
    hires = pd.DataFrame([(r, s, j, c, t, _val(v)) for (r, s, j, c, t), v in m.hires.items()],
                         columns=["region", "stage", "subject", "certificate", "year", "teachers"])
    # one row per move and kind (a rotation and a return may meet), in the order of its key columns:
    # a dict, not a groupby of nine keys, which took longer than the rest of the read-back
    summed = {}
    for r1, r2, s1, s2, j1, j2, c, t, x, kind in moves:
        key = (r1, r2, s1, s2, j1, c, t, j2, kind)
        summed[key] = summed.get(key, 0.0) + x
    moves = pd.DataFrame([(*k[:7], x, *k[7:]) for k, x in sorted(summed.items(), key=lambda kx: kx[0])],
                         columns=MOVE_COLUMNS).astype({"teachers": float, "year": int})
    cap = lookup(inp.cap, ["region", "year"], "cap")
    filled = {}
    for (r, s, j, t), a in agg.items():
        filled[(r, s, t)] = filled.get((r, s, t), 0.0) + a["stock_end"]
    posts = pd.DataFrame([(r, s, t, _val(v), cap[(r, t)], filled.get((r, s, t), 0.0))
                          for (r, s, t), v in m.posts.items()],
                         columns=["region", "stage", "year", "posts", "cap", "filled"])
    return dict(staff=staff, hires=hires[hires.teachers > 1e-9].reset_index(drop=True),
                moves=moves[moves.teachers > 1e-9].reset_index(drop=True), posts=posts)


def _match(senders: list[tuple[str, float]], receivers: list[tuple[str, float]]) -> list[tuple[str, str, float]]:
    """Split flows from senders to receivers (equal totals) into pairs, area
    to a different area wherever possible: an area that both sends and
    receives (a swap, e.g. key teachers for others) is matched through a small
    transport LP that prices pairing an area with itself."""
    if not {r for r, _ in senders} & {r for r, _ in receivers}:
        rows, i, left = [], 0, [list(x) for x in receivers]
        for region, amount in senders:
            while amount > 1e-9 and i < len(left):
                x = min(amount, left[i][1])
                rows.append((region, left[i][0], x))
                amount -= x
                left[i][1] -= x
                if left[i][1] <= 1e-9:
                    i += 1
        return rows
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    # a sparse transport LP: n x k flows, one row per sender and per receiver
    n, k = len(senders), len(receivers)
    cost = np.array([[1.0 if a == b else 0.0 for b, _ in receivers] for a, _ in senders]).ravel()
    cols = np.arange(n * k)
    rows_eq = coo_matrix((np.ones(2 * n * k), (np.concatenate([cols // k, n + cols % k]), np.tile(cols, 2))),
                         shape=(n + k, n * k)).tocsr()
    rhs = np.array([a for _, a in senders] + [a for _, a in receivers])
    res = linprog(cost, A_eq=rows_eq, b_eq=rhs, bounds=(0, None), method="highs")
    x = res.x.reshape(n, k) if res.success else np.zeros((n, k))
    return [(senders[i][0], receivers[j][0], float(x[i, j])) for i, j in zip(*np.nonzero(x > 1e-9))]


def _pair_rotations(m: StaffingModel) -> list[tuple]:
    """Split pooled rotation into area pairs (any split costs the same), for
    each stage, subject, certificate and year (see ``_match``), and, with
    ``rotation_years``, the same pairs coming home after their term (the
    share still in post at the pool's rate)."""
    out, inn = {}, {}
    for (r, s, j, c, t), v in m.rotation_out.items():
        if _val(v) > 1e-9:
            out.setdefault((s, j, c, t), []).append((r, _val(v)))
    for (r, s, j, c, t), v in m.rotation_in.items():
        if _val(v) > 1e-9:
            inn.setdefault((s, j, c, t), []).append((r, _val(v)))
    L = m.params.rotation_years
    retention = m.inputs.rates if L is not None else None
    rows = []
    for (s, j, c, t), senders in out.items():
        for a, b, x in _match(senders, inn.get((s, j, c, t), [])):
            if a != b:
                rows.append((a, b, s, s, j, j, c, t, x, "rotation"))
                if L is not None and t + L in m.inputs.years:
                    rows.append((b, a, s, s, j, j, c, t + L, x * retention.survival(s, j, c, t, t + L), "return"))
    return rows


@contextmanager
def solution_values(m: StaffingModel, x):
    """Read a model as if its variables held ``x`` (column values in
    ``m.variables`` order), e.g. the year-by-year plan; restored after."""
    saved = [v.varValue for v in m.variables]
    for v, xi in zip(m.variables, np.asarray(x).tolist()):
        v.varValue = xi
    try:
        yield m
    finally:
        for v, xi in zip(m.variables, saved):
            v.varValue = xi


KEY_COLUMNS = ["region", "year", "key_teachers", "experienced", "key_share", "floor", "key_out", "key_in"]


def assign_key_teachers(m: StaffingModel) -> pd.DataFrame:
    """Key teachers by area and year when the plan has a key-share floor:
    key teachers and experienced permanent staff (in post since the base
    year) at the end of the year (persons), the key share of the experienced,
    the floor, key teachers rotated out and in (persons). Empty otherwise."""
    if not m.key:
        return pd.DataFrame(columns=KEY_COLUMNS)
    staff = {}
    for (layer, r, s, t), v in m.staff.items():
        if layer == "existing":
            staff[(r, t)] = staff.get((r, t), 0.0) + _val(v)
    rows = []
    for (r, t), v in m.key.items():
        k, perm = _val(v), staff.get((r, t), 0.0)
        rows.append((r, t, k, perm, k / perm if perm > 0 else float("nan"), m.params.key_share_floor,
                     _val(m.key_out[(r, t)]), _val(m.key_in[(r, t)])))
    return pd.DataFrame(rows, columns=KEY_COLUMNS).sort_values(["region", "year"], ignore_index=True)


def violations(m: StaffingModel) -> pd.DataFrame:
    """Hard limits the plan had to break, and by how much (in the limit's
    units: persons, posts, or yuan for the budget)."""
    rows = []
    for (family, key), v in m.slacks.items():
        x = _val(v)
        if x > 1e-4:  # above solver tolerance
            x *= m.slack_units.get((family, key), 1.0)
            rows.append((family, "/".join(map(str, key if isinstance(key, tuple) else (key,))), x))
    return pd.DataFrame(rows, columns=["limit", "where", "amount"])

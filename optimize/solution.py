"""Read a solved model into the plan's tidy frames."""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.model import StaffingModel, cover_keys
from optimize.problem import Retention, lookup

STAFF_COLUMNS = ["region", "stage", "subject", "year", "demand", "stock_start", "exits", "hires",
                 "moves_in", "moves_out", "stock_end", "temporary", "shortfall", "surplus"]


def _val(v) -> float:
    x = v.varValue
    # every variable is non-negative; solvers return -1e-12 and the like
    return 0.0 if x is None else max(0.0, float(x))


def _cover(variables: dict, key) -> float:
    return _val(variables[key]) if key in variables else 0.0


def _retention_exits(m: StaffingModel) -> dict:
    """Exits per (r, s, j, t): stock at the end of t-1 (or base) less what stays."""
    inp, par = m.inputs, m.params
    retention = Retention(inp)
    start = lookup(inp.stock, ["region", "stage", "subject", "certificate"], "headcount")
    exits, stock_start = {}, {}
    for (layer, r, s, j, c, t), v in m.stock.items():
        if t == inp.years[0]:
            prev = start.get((r, s, j, c), 0.0) if layer == "existing" else 0.0
        else:
            prev = _val(m.stock[(layer, r, s, j, c, t - 1)])
        rate = retention(r, s, j, c, t) if layer == "existing" else 1 - par.new_hire_attrition
        key = (r, s, j, t)
        stock_start[key] = stock_start.get(key, 0.0) + prev
        exits[key] = exits.get(key, 0.0) + prev * (1 - rate)
    return stock_start, exits


def assign_solution(m: StaffingModel) -> dict[str, pd.DataFrame]:
    """Tidy frames staff, hires, moves, posts (without post values)."""
    inp = m.inputs
    stock_start, exits = _retention_exits(m)
    dem = lookup(inp.demand, ["region", "stage", "subject", "year"], "demand")
    # a stochastic plan's first stage has no cover variables: its cover is per path (optimize.stochastic)
    keys = list(m.temporary) or cover_keys(inp)
    agg = {k: dict(hires=0.0, moves_in=0.0, moves_out=0.0, stock_end=0.0) for k in keys}
    for (r, s, j, c, t), v in m.hires.items():
        agg[(r, s, j, t)]["hires"] += _val(v)
    for (layer, r, s1, s2, j, c, t), v in m.stage_moves.items():
        x = _val(v)
        agg[(r, s1, j, t)]["moves_out"] += x
        agg[(r, s2, j, t)]["moves_in"] += x
    for (r, s, j, c, t), v in m.rotation_out.items():
        agg[(r, s, j, t)]["moves_out"] += _val(v)
    for (r, s, j, c, t), v in m.rotation_in.items():
        agg[(r, s, j, t)]["moves_in"] += _val(v)
    for (layer, r, s, j, c, t), v in m.stock.items():
        agg[(r, s, j, t)]["stock_end"] += _val(v)
    rows = []
    for key, a in agg.items():
        rows.append((*key[:3], key[3], dem.get(key, 0.0), stock_start[key], exits[key], a["hires"],
                     a["moves_in"], a["moves_out"], a["stock_end"], _cover(m.temporary, key),
                     _cover(m.shortfall, key), _cover(m.surplus, key)))
    staff = pd.DataFrame(rows, columns=STAFF_COLUMNS).sort_values(["region", "stage", "subject", "year"],
                                                                 ignore_index=True)
    hires = pd.DataFrame([(r, s, j, c, t, _val(v)) for (r, s, j, c, t), v in m.hires.items()],
                         columns=["region", "stage", "subject", "certificate", "year", "teachers"])
    moves = [(r, r, s1, s2, j, c, t, _val(v)) for (layer, r, s1, s2, j, c, t), v in m.stage_moves.items()]
    moves += _pair_rotations(m)
    moves = pd.DataFrame(moves, columns=["region_from", "region_to", "stage_from", "stage_to", "subject",
                                         "certificate", "year", "teachers"])
    moves = moves.groupby(["region_from", "region_to", "stage_from", "stage_to", "subject", "certificate", "year"],
                          as_index=False).teachers.sum()
    cap = lookup(inp.cap, ["region", "year"], "cap")
    filled = staff.groupby(["region", "stage", "year"]).stock_end.sum()
    posts = pd.DataFrame([(r, s, t, _val(v), cap[(r, t)], float(filled.get((r, s, t), 0.0)))
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
    each stage, subject, certificate and year (see ``_match``)."""
    out, inn = {}, {}
    for (r, s, j, c, t), v in m.rotation_out.items():
        if _val(v) > 1e-9:
            out.setdefault((s, j, c, t), []).append((r, _val(v)))
    for (r, s, j, c, t), v in m.rotation_in.items():
        if _val(v) > 1e-9:
            inn.setdefault((s, j, c, t), []).append((r, _val(v)))
    rows = []
    for key, senders in out.items():
        for a, b, x in _match(senders, inn.get(key, [])):
            if a != b:
                rows.append((a, b, key[0], key[0], key[1], key[2], key[3], x))
    return rows


def assign_duals(m: StaffingModel, posts: pd.DataFrame) -> pd.DataFrame:
    """Add post_value: objective units (yuan-equivalent) saved by one more post
    of that stage, area and year — minus the dual of its occupancy limit."""
    occ = m.constraints.get("post_occupancy", {})
    values = [-(occ[(r, s, t)].pi or 0.0) if (r, s, t) in occ else 0.0
              for r, s, t in posts[["region", "stage", "year"]].itertuples(index=False, name=None)]
    return posts.assign(post_value=values)


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

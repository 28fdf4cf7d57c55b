"""What one more post is worth: in teachers (FTE-years of shortfall
avoided) and in cash (yuan), beside the LP's dual (objective units).

"One more post in area r, stage s, year t" is the occupancy limit of that
stage loosened by one: its permanent staff may exceed its posts, and so the
area's cap, by one that year. A permanent post is the same in every plan
year from the first. Where the area's cap binds and posts move freely
between its stages, the stage a post is given to does not matter — the
area's value is every stage's — and the tables say so (``scope``).

The change is that of the re-solved plan, found without re-solving where
possible: loosening a row moves the optimal basis's variables along
B⁻¹e (a basis solve, ``Highs.getBasisSolve``), and if the basis stays
feasible for the whole step of one post, that is exactly the re-solved
optimum (its duals do not change). Where the step leaves the basis (a
degenerate or short range), the plan is re-solved from its basis with the
post added. In integer mode the hires and moves into the area and stage may
rise above their whole numbers to fill the post (everything else is held);
the re-solve is then always done, and ``post_dual`` is left empty (the
duals of a model whose integers are fixed price nothing).

A dual is one side of the story where the plan is degenerate: a post added
for one year only may be worth nothing (whoever is hired to fill it must
stay the next year, when there is no post for them) while its dual says
otherwise, so the values here are changes of the re-solved plan, not
duals times one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.highs import HighsModel
from optimize.model import StaffingModel


@dataclass
class Change:
    """Plan totals changed by one more post (over every plan year)."""
    dual: float       # objective (yuan-equivalent) saved, from the LP's duals
    shortfall: float  # FTE-years of shortfall avoided
    cash: float       # yuan more spent
    temporary: float  # FTE-years of temporary cover replaced
    method: str       # 'basis', 're-solve' or 'slack' (the limit did not bind)
    objective: float = 0.0  # objective (yuan-equivalent) saved, in the re-solved plan


class PostPricer:
    """Prices posts of a solved model (HiGHS, with its optimal basis)."""

    def __init__(self, m: StaffingModel, hm: HighsModel):
        self.m, self.hm, self.h = m, hm, hm.highs
        # re-solves start from the plan's basis; Devex pricing: its weights cost
        # nothing to set up, steepest edge's a quarter second a re-solve here
        self.h.setOptionValue("solver", "simplex")
        self.h.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        # no cost perturbation: a re-solve is a few pivots from an optimal basis,
        # and perturbing then cleaning up by primal simplex more than doubled
        # them (the city's largest district: 4,162 pivots over its re-solves
        # against 1,847, 11.3 s against 8.4 s; values equal to 1e-9 relative)
        self.h.setOptionValue("dual_simplex_cost_perturbation_multiplier", 0.0)
        sol = self.h.getSolution()
        self.x = np.asarray(sol.col_value).copy()
        self.act = np.asarray(sol.row_value).copy()
        self.row_dual = np.asarray(sol.row_dual).copy()
        self.basis = self.h.getBasis()
        self.cash = np.zeros(len(hm.columns))
        for items in m.cost_terms.values():
            for v, yuan, _ in items:
                self.cash[v.index] += yuan
        self.short = np.zeros(len(hm.columns))
        self.short[[v.index for v in m.shortfall.values()]] = 1.0
        self.temp = np.zeros(len(hm.columns))
        self.temp[[v.index for v in m.temporary.values()]] = 1.0
        self.moved = False
        self.raised = (np.array([], dtype=np.int32), np.array([], dtype=np.int32))  # rows, freed columns
        index = {c.name: i for i, c in enumerate(hm.rows)}
        self.rows = {k: index[c.name] for k, c in m.constraints.get("post_occupancy", {}).items()}
        self.basic = None
        self.basic_rows = set()
        #: where the last re-solve ended: (columns, rows' activities, basic variables, rows whose slack is basic)
        self.last = None
        self.integer = bool(m.params.integer and hm.integer.any())

    def change(self, cells: list[tuple]) -> Change:
        """One more post in each (region, stage, year) of ``cells``."""
        return self.changes([cells])[0]

    def changes(self, additions: list[list[tuple]]) -> list[Change]:
        """``change`` for each list of cells: first along the basis for all,
        then, for those whose step leaves it, by re-solves one after another
        (each from the plan: a re-solve that comes back elsewhere is reset)."""
        out, todo = [], []
        for k, cells in enumerate(additions):
            rows = [self.rows[c] for c in cells if c in self.rows]
            dual = -float(self.row_dual[rows].sum())
            slack = self.hm.row_upper[rows] - self.act[rows]
            got = None
            if not self.integer and (slack >= 1 - 1e-9).all():
                got = Change(dual, 0.0, 0.0, 0.0, "slack")
            elif not self.integer:
                b = self._by_basis(rows)
                if b is not None:
                    got = Change(dual, -b[0], b[1], -b[2], "basis", -b[3])
            if got is None:
                todo.append((k, rows, cells, dual))
            out.append(got)
        # one after another, each from the last (an optimum of the plan's model
        # with another post): the same area and year next to each other
        todo.sort(key=lambda a: (len(a[2]), a[2][0][0], a[2][0][2], a[2][0][1]))
        for k, rows, cells, dual in todo:
            d = None if self.integer else self._from_last(rows)
            if d is None:
                d = self._by_resolve(rows, cells)
            d_short, d_cash, d_temp, d_obj = d
            out[k] = Change(dual, -d_short, d_cash, -d_temp, "re-solve", -d_obj)
        self.restore()
        return out

    def _from_last(self, rows: list[int]):
        """The re-solve's result without running the solver, when the basis
        the last re-solve ended at stays feasible with these posts instead
        of its own: that basis is dual feasible for every right-hand side
        (only bounds change), so if the step B⁻¹Δb keeps it primal feasible
        it is the optimum HiGHS's re-solve would stop at with no pivot (the
        city's largest district: median 0 pivots a re-solve, 25-80 ms of
        refactoring and bookkeeping each). None when it does not."""
        if self.last is None:
            return None
        x, act, basic, basic_rows = self.last
        hm = self.hm
        delta = dict.fromkeys(rows, 1.0)
        for i in self.raised[0].tolist():
            delta[i] = delta.get(i, 0.0) - 1.0
        upper = hm.row_upper.copy()
        upper[rows] += 1.0
        # a non-basic row (an occupancy row has no lower bound: at its upper) moves with its bound
        moved = {i: d for i, d in delta.items() if d != 0 and i not in basic_rows}
        x = x.copy()
        if moved:
            rhs = np.zeros(len(hm.rows))
            rhs[list(moved)] = list(moved.values())
            z = np.asarray(self.h.getBasisSolve(rhs)[1])
            cols = basic >= 0
            x[basic[cols]] += z[cols]
            act = act.copy()
            act[-1 - basic[~cols]] -= z[~cols]  # HiGHS holds rows as A x + s = 0
            for i, d in moved.items():
                act[i] += d
        tol = 1e-7
        j, i = basic[basic >= 0], -1 - basic[basic < 0]
        if ((x[j] < hm.col_lower[j] - tol).any() or (x[j] > hm.col_upper[j] + tol).any()
                or (act[i] < hm.row_lower[i] - tol).any() or (act[i] > upper[i] + tol).any()):
            return None
        d = x - self.x
        return float(self.short @ d), float(self.cash @ d), float(self.temp @ d), float(self.hm.cost @ d)

    def _by_basis(self, rows: list[int]):
        """(Δ shortfall, Δ cash, Δ temporary) along B⁻¹e, or None if one post leaves the basis."""
        if self.basic is None:
            self.basic = np.asarray(self.h.getBasicVariables()[1])
            self.basic_rows = set((-1 - self.basic[self.basic < 0]).tolist())
        # rows whose slack is basic do not bind: loosening them moves nothing
        nonbasic = [i for i in rows if i not in self.basic_rows]
        if not nonbasic:
            return 0.0, 0.0, 0.0, 0.0
        rhs = np.zeros(len(self.hm.rows))
        rhs[nonbasic] = 1.0
        status, z = self.h.getBasisSolve(rhs)
        z = np.asarray(z)
        cols = self.basic >= 0
        j = self.basic[cols]
        zc = z[cols]
        # a basic row's activity moves by -z (HiGHS holds rows as A x + s = 0)
        i = -1 - self.basic[~cols]
        zr = -z[~cols]
        step = min(_room(self.x[j], zc, self.hm.col_lower[j], self.hm.col_upper[j]),
                   _room(self.act[i], zr, self.hm.row_lower[i], self.hm.row_upper[i]))
        if step < 1 - 1e-9:
            return None
        return (float(self.short[j] @ zc), float(self.cash[j] @ zc), float(self.temp[j] @ zc),
                float(self.hm.cost[j] @ zc))

    def _by_resolve(self, rows: list[int], cells: list[tuple]):
        """Re-solve with the posts added (and, in integer mode, the hires
        and moves into them free to rise); the change is against the plan.
        The solver starts from where the last re-solve ended, which is
        itself optimal for a model one post away: a few pivots, not a new
        solve (its totals agree with a re-solve from the plan's own basis on
        every post of the default district)."""
        h, hm = self.h, self.hm
        self._lower()
        idx = np.array(rows, dtype=np.int32)
        h.changeRowsBounds(len(idx), idx, hm.row_lower[idx], hm.row_upper[idx] + 1.0)
        freed = self._free_integers(cells) if self.integer else np.array([], dtype=np.int32)
        if len(freed):
            h.changeColsBounds(len(freed), freed, self.x[freed], np.full(len(freed), np.inf))
        self.raised = (idx, freed)
        self.moved = True
        h.run()
        sol = h.getSolution()
        x = np.asarray(sol.col_value)
        if not self.integer:
            basic = np.asarray(h.getBasicVariables()[1])
            self.last = (x, np.asarray(sol.row_value), basic, set((-1 - basic[basic < 0]).tolist()))
        d = x - self.x
        return float(self.short @ d), float(self.cash @ d), float(self.temp @ d), float(self.hm.cost @ d)

    def _lower(self) -> None:
        """Take away the posts the last re-solve added."""
        idx, freed = self.raised
        if len(idx):
            self.h.changeRowsBounds(len(idx), idx, self.hm.row_lower[idx], self.hm.row_upper[idx])
        if len(freed):
            self.h.changeColsBounds(len(freed), freed, self.x[freed], self.x[freed])
        self.raised = (np.array([], dtype=np.int32), np.array([], dtype=np.int32))

    def restore(self) -> None:
        """Leave the solver holding the plan again (its basis and solution)."""
        self.last = None
        if self.moved:
            self._lower()
            self.h.setBasis(self.basis)
            self.h.run()
            self.moved = False

    def _free_integers(self, cells: list[tuple]) -> np.ndarray:
        """Integer hires and moves into the posts' area and stage, from their first year."""
        m = self.m
        first = {(r, s): t for r, s, t in sorted(cells, key=lambda c: c[2], reverse=True)}
        out = [v.index for (r, s, j, c, t), v in m.hires.items() if (r, s) in first and t >= first[(r, s)]]
        out += [v.index for (layer, r, s1, s2, j, c, t), v in m.stage_moves.items()
                if (r, s2) in first and t >= first[(r, s2)]]
        out += [v.index for (r, s, j, c, t), v in m.rotation_in.items() if (r, s) in first and t >= first[(r, s)]]
        return np.array(sorted(out), dtype=np.int32)


def _room(x, z, lo, hi) -> float:
    """How far x + θ z stays within [lo, hi] (θ >= 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(z > 1e-12, (hi - x) / z, np.inf)
        down = np.where(z < -1e-12, (lo - x) / z, np.inf)
    return float(max(0.0, min(up.min(initial=np.inf), down.min(initial=np.inf))))


#: a value this small (yuan, FTE-years) is a solver's rounding, not worth: 1e-6 split rows of
#: re-solved zeros between "none" and "stage" by how the re-solve was reached
NOTHING = 1e-3

VALUES = ["post_value", "post_value_fte", "post_value_yuan", "post_value_temporary"]


def _scope(values: pd.DataFrame, keys: list[str]) -> pd.Series:
    """'area' where one more post is worth the same (within 1%) whichever
    stage of the area it is given to (the area's cap binds and posts move
    freely between its stages), else 'stage'; 'none' where it is worth
    nothing anywhere in the area."""
    v = pd.DataFrame(np.nan_to_num(values[VALUES].to_numpy(dtype=float)), index=values.index)
    group = values.groupby(keys, sort=False).ngroup().to_numpy()
    by = v.groupby(group)
    size = by[0].transform("size").to_numpy()
    largest = v.abs().groupby(group).transform("max").to_numpy()            # per value column
    spread = (by.transform("max") - by.transform("min")).to_numpy()
    none = (size > 1) & (largest.max(axis=1) <= NOTHING)
    area = (size > 1) & ~none & (spread <= 0.01 * largest + 1e-6).all(axis=1)
    return pd.Series(np.where(none, "none", np.where(area, "area", "stage")), index=values.index, dtype=object)


def price_posts(m: StaffingModel, posts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``posts`` with post_dual (the LP's dual: objective yuan-equivalent
    saved by one more post that year, as the duals say it), post_value (the
    objective saved in the re-solved plan: the dual where the basis holds,
    less where one post is beyond its range), post_value_fte (FTE-years of
    shortfall it avoids over the plan), post_value_yuan (yuan more spent
    over the plan: positive when the post costs cash, negative when it saves
    some),
    post_value_temporary (FTE-years of temporary cover it replaces),
    value_method and scope; and post_value: the same per area and stage for
    a permanent post, from the first plan year to the last."""
    pricer = PostPricer(m, m.solved)
    keys = list(posts[["region", "stage", "year"]].itertuples(index=False, name=None))
    years = sorted(posts.year.unique())
    pairs = sorted({(r, s) for r, s, t in keys})
    got = pricer.changes([[k] for k in keys] + [[(r, s, t) for t in years] for r, s in pairs])
    one, perm = got[:len(keys)], got[len(keys):]

    def frame(base: pd.DataFrame, changes: list[Change]) -> pd.DataFrame:
        return base.assign(post_dual=[c.dual for c in changes], post_value=[c.objective for c in changes],
                           post_value_fte=[c.shortfall for c in changes],
                           post_value_yuan=[c.cash for c in changes],
                           post_value_temporary=[c.temporary for c in changes],
                           value_method=[c.method for c in changes])

    out = frame(posts, one)
    if pricer.integer:  # the duals of a model with its integers fixed price nothing
        out["post_dual"] = np.nan
    out["scope"] = _scope(out, ["region", "year"])
    perm = frame(pd.DataFrame([(r, s, years[0], years[-1]) for r, s in pairs],
                              columns=["region", "stage", "from_year", "to_year"]), perm)
    if pricer.integer:
        perm["post_dual"] = np.nan
    perm["scope"] = _scope(perm, ["region"])
    return out, perm

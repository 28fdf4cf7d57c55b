"""The staffing LP, built with PuLP: one function per constraint family.

Indices: r region, s stage, j subject, c certificate, t plan year. Stocks are
the staff in post during school year t, after the year's exits, hires and
moves (persons):

- ``home``: base-year staff of a cell (r, s, j, c) — constants, the supply
  model's projection (retirement, attrition). A base-year teacher's exits
  follow the cell they started in whatever the plan does with them (their
  own age and sex profile), so those teaching at home are ``home`` less
  those moved away and those rotated out (``away``); an empty cell keeps
  nobody, and nobody moved into a cell takes its rate.
- ``moved``: base-year staff of (r, s0, j0, c) teaching in (s, j): moved to
  another stage or retrained to another subject, at their home cell's rate;
  a moved teacher stays where moved.
- ``rotated`` / ``away``: base-year staff rotated through the district pool,
  by the area they teach in and by the area they came from. The pool does
  not say which area sent whom, so both leave at one rate for their stage,
  subject and certificate (``Retention.pool``), which keeps the two equal:
  rotation never changes how many base-year staff are in post. With
  ``rotation_years`` they go home after their term.
- the plan's own hires: ``hires`` in their first year, then
  ``stock["new", …]`` (the plan's hires of earlier years in post), who
  leave at ``new_hire_attrition``. They move only up, with the wave they
  were hired for, and never in the year they are hired — a hire teaches its
  first year where it was hired, which is where it is mentored; holding the
  earlier years' hires apart makes that a bound, not a row.

So the base-year staff in post, and their salaries, are the same in every
plan: their salary bill is ``fixed_salary`` (yuan), kept out of the LP's
objective (which is then all decision-dependent) and added back when a plan
is reported.

Limits are hard. Built with ``elastic=True`` (what ``solve_plan`` does when
the hard model has no solution), every limit that can make the model
infeasible gets a slack priced at ``elastic_weight``, so an impossible
scenario still gets a plan with its broken limits named and sized.

Every variable and row key ends with its year, and no row of year t holds a
variable of a later year; the year-by-year (myopic) solve relies on both.
"""
from __future__ import annotations

import gc
import itertools
from contextlib import contextmanager
from dataclasses import dataclass, field

import pulp

from forecast.grades import STAGES
from optimize.problem import (SCHOOL, PlanInputs, PlanParams, certificates_for, hiring_certificates,
                              lookup)

LAYERS = ("existing", "new")


class Row:
    """One constraint, ``terms (sense) rhs`` with terms a list of (variable,
    coefficient); after a solve it carries ``slack`` and ``pi`` (its dual),
    as PuLP's constraints do. Rows go to HiGHS as one matrix
    (``optimize.highs``); only CBC needs them as PuLP constraints
    (``to_pulp``)."""

    __slots__ = ("name", "terms", "sense", "rhs", "slack", "pi")

    def __init__(self, name: str, terms: list, sense: int, rhs: float):
        self.name, self.terms, self.sense, self.rhs = name, terms, sense, float(rhs)
        self.slack = self.pi = None

    def items(self):
        return self.terms


@dataclass
class StaffingModel:
    inputs: PlanInputs
    params: PlanParams
    prob: pulp.LpProblem
    elastic: bool = False
    home: dict = field(default_factory=dict)       # (r, s, j, c, t) -> base-year staff of the cell in post (constant)
    stock: dict = field(default_factory=dict)      # ("new", r, s, j, c, t): the plan's hires of earlier years
    moved: dict = field(default_factory=dict)      # (r, s0, j0, s, j, c, t): home (r, s0, j0, c) teaching in (s, j)
    rotated: dict = field(default_factory=dict)    # (r, s, j, c, t): base-year staff rotated into r
    away: dict = field(default_factory=dict)       # (r, s, j, c, t): base-year staff of r rotated elsewhere
    hires: dict = field(default_factory=dict)      # (r, s, j, c, t)
    stage_moves: dict = field(default_factory=dict)   # (layer, r, s_from, s_to, j, c, t)
    retraining: dict = field(default_factory=dict)    # (r, s, j_from, j_to, c, t)
    rotation_out: dict = field(default_factory=dict)  # (r, s, j, c, t): home staff rotated out of r
    rotation_in: dict = field(default_factory=dict)   # (r, s, j, c, t): rotated into r
    temporary: dict = field(default_factory=dict)  # (r, s, j, t)
    shortfall: dict = field(default_factory=dict)
    surplus: dict = field(default_factory=dict)
    posts: dict = field(default_factory=dict)      # (r, s, t)
    staff: dict = field(default_factory=dict)      # (layer, r, s, t): permanent staff teaching in a stage, summed
    mentors: dict = field(default_factory=dict)    # (r, s, t): the plan's hires counted as mentors
    key: dict = field(default_factory=dict)        # (r, t): key teachers at the end of t
    key_out: dict = field(default_factory=dict)    # (r, t): key teachers rotated out of r
    key_in: dict = field(default_factory=dict)     # (r, t): rotated into r
    slacks: dict = field(default_factory=dict)     # (family, key) -> var
    slack_units: dict = field(default_factory=dict)  # (family, key) -> limit units per slack unit, if not 1
    constraints: dict = field(default_factory=dict)  # family -> {key: constraint}
    elastic_rows: dict = field(default_factory=dict)  # (family, key) -> unit, for rows a slack may break
    cost_terms: dict = field(default_factory=dict)   # name -> list of (var, yuan, year)
    variables: list = field(default_factory=list)    # every variable, in the order made (the solver's columns)
    solved: object = None                            # optimize.highs.HighsModel once solved with HiGHS
    rows: list = field(default_factory=list)         # every constraint (Row), in the order added (the solver's rows)
    objective: list = field(default_factory=list)    # (variable, yuan-equivalent) pairs; a variable may repeat
    #: salary of the base-year staff by year (yuan): the same whatever the plan does
    fixed_costs: dict = field(default_factory=dict)

    @property
    def fixed_salary(self) -> float:
        """The base-year staff's salaries over the plan (yuan), not in the LP's objective."""
        return float(sum(self.fixed_costs.values()))

    def add(self, family: str, key, terms: list, sense: int, rhs: float,
            elastic: bool = False, unit: float = 1.0) -> None:
        """Add ``terms (sense) rhs`` (terms: (variable, coefficient) pairs);
        an ``elastic`` ≤/≥ limit gets a priced slack when the model is built
        elastic.

        ``unit``: the row is written in multiples of ``unit`` (e.g. a budget in
        salaries rather than yuan), so that its slack is priced like a
        headcount limit's and the matrix stays well scaled."""
        if unit != 1.0:
            terms, rhs = [(v, a / unit) for v, a in terms], rhs / unit
            self.slack_units[(family, key)] = unit
        if elastic:
            self.elastic_rows[(family, key)] = unit
        if elastic and self.elastic:
            s = self.prob.add_variable(f"slack_{family}_{len(self.slacks)}", lowBound=0)
            self.variables.append(s)
            self.slacks[(family, key)] = s
            terms = list(terms) + [(s, -1.0 if sense == pulp.LpConstraintLE else 1.0)]
        row = Row(f"{family}_{len(self.constraints.setdefault(family, {}))}", terms, sense, rhs)
        self.constraints[family][key] = row
        self.rows.append(row)

    def to_pulp(self) -> pulp.LpProblem:
        """The model as a PuLP problem (for CBC)."""
        prob = pulp.LpProblem("staffing", pulp.LpMinimize)
        prob.setObjective(pulp.LpAffineExpression(expr(self.objective)))
        for row in self.rows:
            prob.addConstraint(pulp.LpConstraint(e=pulp.LpAffineExpression(expr(row.terms)), sense=row.sense,
                                                 rhs=row.rhs, name=row.name), row.name)
        return prob


def expr(terms) -> list:
    """(variable, coefficient) pairs with a variable given twice added up
    (PuLP would keep only one of them)."""
    out = {}
    for v, a in terms:
        out[v] = out.get(v, 0.0) + a
    return list(out.items())


def year_of(key) -> int:
    """The year of a variable's or row's key (its last element)."""
    return int(key[-1] if isinstance(key, tuple) else key)


def _var(m: "StaffingModel", prefix: str, n: int, cat: str) -> pulp.LpVariable:
    v = m.prob.add_variable(f"{prefix}_{n}", lowBound=0, cat=cat)
    m.variables.append(v)
    return v


def _subjects_of(cells) -> dict:
    out = {}
    for s, j in cells:
        out.setdefault(s, []).append(j)
    return out


def define_variables(m: StaffingModel, cover: bool = True) -> None:
    """Every decision column. ``cover``: with temporary cover, shortfall and
    surplus per (r, s, j, t) (FTE); the stochastic plan (``optimize.stochastic``)
    leaves them out and closes each cell's balance per path instead."""
    inp, par = m.inputs, m.params
    cat = pulp.LpInteger if par.integer else pulp.LpContinuous
    regions, years, cells = inp.regions, inp.years, inp.cells()
    school = [s for s in STAGES if s != "preschool"]
    subjects_of = _subjects_of(cells)
    cell_set = set(cells)
    home = [(r, s, j, c) for r, s, j, c, h in inp.stock[["region", "stage", "subject", "certificate", "headcount"]]
            .itertuples(index=False, name=None) if h > 0 and (s, j) in cell_set]
    home.sort(key=lambda h: (h[0], STAGES.index(h[1]), h[2], h[3]))
    retention = inp.rates
    start = lookup(inp.stock, ["region", "stage", "subject", "certificate"], "headcount")
    for r, s, j, c in home:
        h = start[(r, s, j, c)]
        for t in years:
            h *= retention(r, s, j, c, t)
            m.home[(r, s, j, c, t)] = h
    for r, (s, j), t in itertools.product(regions, cells, years[1:]):
        for c in certificates_for(s):
            m.stock[("new", r, s, j, c, t)] = _var(m, "stock", len(m.stock), pulp.LpContinuous)
    for r, (s, j), t in itertools.product(regions, cells, years):
        for c in hiring_certificates(s, par.hiring_certificates):
            m.hires[(r, s, j, c, t)] = _var(m, "hire", len(m.hires), cat)
        if not cover:
            continue
        m.temporary[(r, s, j, t)] = _var(m, "temp", len(m.temporary), pulp.LpContinuous)
        m.shortfall[(r, s, j, t)] = _var(m, "short", len(m.shortfall), pulp.LpContinuous)
        m.surplus[(r, s, j, t)] = _var(m, "surplus", len(m.surplus), pulp.LpContinuous)
    # base-year staff move from their home cell to another stage at most once;
    # down, or up with the certificate. Senior staff do not move down (the wave
    # reaches senior last) and primary teachers certified for senior move only
    # to senior: on the default district those moves carried 8 of 1,750
    # teachers moved and 0.0002% of the objective, and dropping them cut the
    # moved stocks by a third
    for (r, s0, j, c), t in itertools.product(home, years):
        if s0 not in school or s0 == "senior":
            continue
        for s in school:
            if (s0, s, c) == ("primary", "junior", "senior"):
                continue
            if s != s0 and s in subjects_of and j in subjects_of[s] and c in certificates_for(s):
                m.stage_moves[("existing", r, s0, s, j, c, t)] = _var(m, "smove", len(m.stage_moves), cat)
                m.moved[(r, s0, j, s, j, c, t)] = _var(m, "moved", len(m.moved), pulp.LpContinuous)
    # the plan's own hires move only up (following the wave they were hired
    # for; a move down is the same to demand when made by a base-year teacher),
    # and not in their first year, so the first plan year has none
    for r, s_from, s_to, t in itertools.product(regions, school, school, years[1:]):
        if SCHOOL.index(s_to) <= SCHOOL.index(s_from) or s_from not in subjects_of or s_to not in subjects_of:
            continue
        # sorted, never set order: string hashing differs between processes, and
        # a different variable order can give a different (equally optimal) plan
        for j in sorted(set(subjects_of[s_from]) & set(subjects_of[s_to])):
            for c in certificates_for(s_to):
                m.stage_moves[("new", r, s_from, s_to, j, c, t)] = _var(m, "smove", len(m.stage_moves), cat)
    pairs = {(p["stage"], p["from"], p["to"]) for p in par.retraining}
    for (r, s, j0, c), t in itertools.product(home, years):
        for s_, jf, jt in sorted(pairs):
            if (s_, jf) == (s, j0) and (s, jt) in cell_set:
                m.retraining[(r, s, jf, jt, c, t)] = _var(m, "retrain", len(m.retraining), cat)
                m.moved[(r, s, jf, s, jt, c, t)] = _var(m, "moved", len(m.moved), pulp.LpContinuous)
    # rotation between areas goes through a district pool (区管校聘): out of one
    # area, into another, balanced per stage, subject and year, so the model
    # grows with the number of areas, not with its square. Rotated teachers
    # are those certified for their own stage: a teacher certified higher is
    # the one an area keeps to move up with the wave, and rotating by
    # certificate too doubled the rotation columns for 0.001% of the objective
    if par.region_move_share > 0 and len(regions) > 1:
        own = {(s, j) for r, s, j, c in home if c == certificates_for(s)[0]}
        home_set = set(home)
        for r, (s, j), t in itertools.product(regions, cells, years):
            if (s, j) not in own:
                continue
            c = certificates_for(s)[0]
            if (r, s, j, c) in home_set:
                m.rotation_out[(r, s, j, c, t)] = _var(m, "rout", len(m.rotation_out), cat)
                m.away[(r, s, j, c, t)] = _var(m, "away", len(m.away), pulp.LpContinuous)
            m.rotation_in[(r, s, j, c, t)] = _var(m, "rin", len(m.rotation_in), cat)
            m.rotated[(r, s, j, c, t)] = _var(m, "rotated", len(m.rotated), pulp.LpContinuous)
    for r, s, t in itertools.product(regions, inp.stages, years):
        m.posts[(r, s, t)] = _var(m, "posts", len(m.posts), pulp.LpContinuous)


def cover_keys(inputs: PlanInputs) -> list[tuple]:
    """The (r, s, j, t) cells of the demand balance, in model order."""
    return [(r, s, j, t) for r, (s, j), t in itertools.product(inputs.regions, inputs.cells(), inputs.years)]


def teaching(m: StaffingModel) -> dict:
    """(layer, r, s, j, t) -> (terms, persons): the permanent staff teaching
    in that cell as a linear expression, layer 'existing' (base-year staff:
    at home, moved in or rotated in; ``persons`` is the cell's ``home``
    count, from which those moved away and rotated out are subtracted) or
    'new' (the plan's hires)."""
    out = {}

    def at(key):
        if key not in out:
            out[key] = ([], 0.0)
        return out[key]

    for (r, s, j, c, t), h in m.home.items():
        terms, const = at(("existing", r, s, j, t))
        out[("existing", r, s, j, t)] = (terms, const + h)
    for (r, s0, j0, s, j, c, t), v in m.moved.items():
        at(("existing", r, s, j, t))[0].append((v, 1.0))
        at(("existing", r, s0, j0, t))[0].append((v, -1.0))
    for (r, s, j, c, t), v in m.rotated.items():
        at(("existing", r, s, j, t))[0].append((v, 1.0))
    for (r, s, j, c, t), v in m.away.items():
        at(("existing", r, s, j, t))[0].append((v, -1.0))
    for (layer, r, s, j, c, t), v in m.stock.items():
        at((layer, r, s, j, t))[0].append((v, 1.0))
    for (r, s, j, c, t), v in m.hires.items():
        at(("new", r, s, j, t))[0].append((v, 1.0))
    return out


def define_staff_totals(m: StaffingModel) -> None:
    """staff[layer, r, s, t] = the layer's staff teaching in stage s of area
    r, summed over subjects and certificates (persons).

    The posts, mentoring, rotation and key-share limits read these sums
    instead of repeating the 20-50 stock cells in each of their rows."""
    sums = {}
    for (layer, r, s, j, t), (terms, const) in teaching(m).items():
        tt, c0 = sums.get((layer, r, s, t), ([], 0.0))
        sums[(layer, r, s, t)] = (tt + terms, c0 + const)
    for key, (tt, const) in sums.items():
        v = m.staff[key] = _var(m, "staff", len(m.staff), pulp.LpContinuous)
        # a teacher retrained within the stage is +1 in one subject and -1 in another
        m.add("staff_sum", key, expr(tt + [(v, -1.0)]), pulp.LpConstraintEQ, -const)


def _returns(m: StaffingModel) -> tuple[dict, dict]:
    """Rotated teachers coming home and leaving their host area in year t
    when rotation has a term: {(r, s, j, c, t): [(var, share still in post)]}."""
    par, inp = m.params, m.inputs
    home, host = {}, {}
    if par.rotation_years is None or not m.rotation_in:
        return home, host
    retention = inp.rates
    L = par.rotation_years
    for flows, out in ((m.rotation_out, home), (m.rotation_in, host)):
        for (r, s, j, c, u), v in flows.items():
            if u + L in inp.years:
                out.setdefault((r, s, j, c, u + L), []).append((v, retention.survival(s, j, c, u, u + L)))
    return home, host


def define_stock_balance_constraints(m: StaffingModel) -> None:
    """Each stock at t = the share kept of itself at t-1 + what comes in -
    what goes out (persons); the base-year staff at home are ``home`` less
    those moved away or rotated out, never below zero."""
    inp, par = m.inputs, m.params
    retention = inp.rates
    first = inp.years[0]
    inflow, outflow = {}, {}
    for (layer, r, s1, s2, j, c, t), v in m.stage_moves.items():
        if layer == "existing":
            inflow.setdefault(("moved", r, s1, j, s2, j, c, t), []).append(v)
        else:
            outflow.setdefault((layer, r, s1, j, c, t), []).append(v)
            inflow.setdefault(("new", r, s2, j, c, t), []).append(v)
    for (r, s, jf, jt, c, t), v in m.retraining.items():
        inflow.setdefault(("moved", r, s, jf, s, jt, c, t), []).append(v)
    back_home, back_host = _returns(m)

    def row(family, key, var, prev, rate, ins, outs=(), extra=()):
        terms = [(var, 1.0)] + [(v, -1.0) for v in ins] + [(v, 1.0) for v in outs] + list(extra)
        if prev is not None:
            terms.append((prev, -rate))
        m.add(family, key, list(terms), pulp.LpConstraintEQ, 0.0)

    keep = 1 - par.new_hire_attrition
    for key, var in m.stock.items():
        layer, r, s, j, c, t = key
        prev = m.stock.get((layer, r, s, j, c, t - 1))
        hired = [(m.hires[(r, s, j, c, t - 1)], -keep)] if (r, s, j, c, t - 1) in m.hires else []
        row("stock_balance", key, var, prev, keep, inflow.get(key, []), outflow.get(key, []), hired)
    for key, var in m.moved.items():
        r, s0, j0, s, j, c, t = key
        prev = None if t == first else m.moved[(r, s0, j0, s, j, c, t - 1)]
        row("moved_balance", key, var, prev, retention(r, s0, j0, c, t), inflow.get(("moved",) + key, []))
    for flows, stocks, back, family in ((m.rotation_in, m.rotated, back_host, "rotated_balance"),
                                        (m.rotation_out, m.away, back_home, "away_balance")):
        for key, var in stocks.items():
            r, s, j, c, t = key
            prev = None if t == first else stocks[(r, s, j, c, t - 1)]
            row(family, key, var, prev, retention.pool(s, j, c, t), [flows[key]], [], back.get(key, []))
    # those at home never below zero (a row even for one stock, where a bound
    # would do, so that a year-by-year plan cornered by rotated teachers who
    # outstay the cell can break it at a price; presolve makes it a bound)
    leaving = {}
    for (r, s0, j0, s, j, c, t), v in m.moved.items():
        leaving.setdefault((r, s0, j0, c, t), []).append(v)
    for key, v in m.away.items():
        leaving.setdefault(key, []).append(v)
    for key, vs in leaving.items():
        m.add("home_staff", key, list([(v, 1.0) for v in vs]), pulp.LpConstraintLE,
              m.home[key], elastic=True)


def define_demand_balance_constraints(m: StaffingModel) -> None:
    """staff + temporary + shortfall - surplus = demand, per (r, s, j, t)."""
    dem = lookup(m.inputs.demand, ["region", "stage", "subject", "year"], "demand")
    by_cell = {}
    for (layer, r, s, j, t), (terms, const) in teaching(m).items():
        tt, c0 = by_cell.get((r, s, j, t), ([], 0.0))
        by_cell[(r, s, j, t)] = (tt + terms, c0 + const)
    for key in m.temporary:
        terms, const = by_cell.get(key, ([], 0.0))
        terms = terms + [(m.temporary[key], 1.0), (m.shortfall[key], 1.0), (m.surplus[key], -1.0)]
        m.add("demand_balance", key, list(terms), pulp.LpConstraintEQ, dem.get(key, 0.0) - const)


def temporary_limits(inputs: PlanInputs, params: PlanParams) -> dict:
    """(r, s, j, t) -> most temporary cover (FTE): ``temporary_share_max``
    of demand, or the roster's temporary staff still under contract there
    if more (their contracts run out as the supply model says; no new
    cover is added until the cell is back under the share)."""
    dem = lookup(inputs.demand, ["region", "stage", "subject", "year"], "demand")
    roster = {} if inputs.temporary is None else lookup(inputs.temporary, ["region", "stage", "subject", "year"],
                                                        "headcount")
    return {k: max(params.temporary_share_max * d, roster.get(k, 0.0)) for k, d in dem.items()}


def define_temporary_cap_constraints(m: StaffingModel) -> None:
    most = temporary_limits(m.inputs, m.params)
    for key, v in m.temporary.items():
        v.upBound = most.get(key, 0.0)


def define_post_constraints(m: StaffingModel) -> None:
    """Permanent staff of a stage within its posts; posts within the cap (of
    each area, or of the district with ``pool_cap``); posts move between
    stages no faster than ``post_shift_share`` of the cap a year."""
    inp, par = m.inputs, m.params
    staff = {}
    for (layer, r, s, t), v in m.staff.items():
        staff.setdefault((r, s, t), []).append((v, 1.0))
    for key in m.posts:
        m.add("post_occupancy", key, list(staff.get(key, []) + [(m.posts[key], -1.0)]),
              pulp.LpConstraintLE, 0.0)
    cap = lookup(inp.cap, ["region", "year"], "cap")
    posts0 = lookup(inp.posts, ["region", "stage"], "posts")
    if par.pool_cap:
        for t in inp.years:
            terms = [(m.posts[(r, s, t)], 1.0) for r in inp.regions for s in inp.stages]
            m.add("cap", ("district", t), list(terms), pulp.LpConstraintLE,
                  sum(cap[(r, t)] for r in inp.regions), elastic=True)
    for r, t in itertools.product(inp.regions, inp.years):
        if not par.pool_cap:
            terms = [(m.posts[(r, s, t)], 1.0) for s in inp.stages]
            m.add("cap", (r, t), list(terms), pulp.LpConstraintLE, cap[(r, t)], elastic=True)
        shift = par.post_shift_share * cap[(r, t)]
        for s in inp.stages:
            p = m.posts[(r, s, t)]
            if t == inp.years[0]:
                prev_terms, prev_const = [], posts0.get((r, s), 0.0)
            else:
                prev_terms, prev_const = [(m.posts[(r, s, t - 1)], -1.0)], 0.0
            e = list([(p, 1.0)] + prev_terms)
            m.add("post_shift_up", (r, s, t), e, pulp.LpConstraintLE, shift + prev_const, elastic=True)
            m.add("post_shift_down", (r, s, t), e, pulp.LpConstraintGE, prev_const - shift, elastic=True)


def define_mentoring_constraints(m: StaffingModel) -> None:
    """New hires of an area and stage at most mentor_ratio x last year's
    experienced permanent staff there (导师带教): the base-year staff
    teaching there, and those of the plan's hires who have been in post
    ``mentor_after_years`` years — counted as the plan's hires there
    ``mentor_after_years`` years ago still in post, and at most its hires
    there last year. Hires count where they teach in their first year,
    which is where they were hired (they do not move in that year)."""
    inp, par = m.inputs, m.params
    start = inp.stock.groupby(["region", "stage"]).headcount.sum().to_dict()
    first, k = inp.years[0], par.mentor_after_years
    kept = (1 - par.new_hire_attrition) ** (k - 1)
    hires = {}
    for (r, s, j, c, t), v in m.hires.items():
        hires.setdefault((r, s, t), []).append((v, 1.0))
    for (r, s, t), terms in hires.items():
        if t == first:
            m.add("mentoring", (r, s, t), list(terms), pulp.LpConstraintLE,
                  par.mentor_ratio * start.get((r, s), 0.0), elastic=True)
            continue
        mentors = []
        if ("existing", r, s, t - 1) in m.staff:
            mentors.append((m.staff[("existing", r, s, t - 1)], -par.mentor_ratio))
        if ("new", r, s, t - k) in m.staff:
            v = m.mentors[(r, s, t)] = _var(m, "mentor", len(m.mentors), pulp.LpContinuous)
            m.add("mentor_new", (r, s, t), list(
                [(v, 1.0), (m.staff[("new", r, s, t - k)], -kept)]), pulp.LpConstraintLE, 0.0)
            if k > 1:
                m.add("mentor_new_last", (r, s, t), list(
                    [(v, 1.0), (m.staff[("new", r, s, t - 1)], -1.0)]), pulp.LpConstraintLE, 0.0)
            mentors.append((v, -par.mentor_ratio))
        m.add("mentoring", (r, s, t), list(terms + mentors), pulp.LpConstraintLE, 0.0,
              elastic=True)


def define_graduate_supply_constraints(m: StaffingModel) -> None:
    """Hires per certificate level and year within the graduate supply."""
    by = {}
    for (r, s, j, c, t), v in m.hires.items():
        by.setdefault((c, t), []).append((v, 1.0))
    for (c, t), terms in by.items():
        m.add("graduate_supply", (c, t), list(terms), pulp.LpConstraintLE,
              m.params.graduate_supply.get(c, 0.0), elastic=True)


def _last_year_staff(m: StaffingModel, layers: tuple[str, ...], by_stage: bool) -> dict:
    """(r[, s], t) -> terms for the permanent staff at the end of t-1, or a
    constant for the first plan year (the base-year stock)."""
    inp = m.inputs
    first = inp.years[0]
    out = {}
    for (layer, r, s, t), v in m.staff.items():
        if layer in layers and t + 1 in inp.years:
            out.setdefault((r, s, t + 1) if by_stage else (r, t + 1), []).append(v)
    keys = ["region", "stage"] if by_stage else ["region"]
    base = inp.stock.groupby(keys).headcount.sum()
    base = {(k if isinstance(k, tuple) else (k,)) + (first,): float(h) for k, h in base.items()}
    return out, base


def define_stage_move_limit_constraints(m: StaffingModel) -> None:
    """Teachers moved out of a stage of an area in a year at most
    ``stage_move_share`` of its permanent staff the year before."""
    share = m.params.stage_move_share
    if share is None:
        return
    out = {}
    for (layer, r, s1, s2, j, c, t), v in m.stage_moves.items():
        out.setdefault((r, s1, t), []).append((v, 1.0))
    prev, base = _last_year_staff(m, LAYERS, by_stage=True)
    for key, terms in out.items():
        if key in base:
            m.add("stage_move_limit", key, list(terms), pulp.LpConstraintLE, share * base[key])
        else:
            m.add("stage_move_limit", key, list(terms + [(v, -share) for v in prev.get(key, [])]),
                  pulp.LpConstraintLE, 0.0)


def define_retraining_limits(m: StaffingModel) -> None:
    """Teachers retrained from one subject to another (转岗) in a year at
    most the pair's ``share`` of the from-subject's base-year staff still in
    post the year before (a bound: those are the supply model's, whatever
    the plan does)."""
    if not m.retraining:
        return
    inp = m.inputs
    share = {(p["stage"], p["from"], p["to"]): p["share"] for p in m.params.retraining}
    start = lookup(inp.stock, ["region", "stage", "subject", "certificate"], "headcount")
    for (r, s, jf, jt, c, t), v in m.retraining.items():
        before = start[(r, s, jf, c)] if t == inp.years[0] else m.home[(r, s, jf, c, t - 1)]
        v.upBound = share[(s, jf, jt)] * before


def define_region_move_constraints(m: StaffingModel) -> None:
    """Rotation out of an area per year within region_move_share of its
    base-year staff there last year, into an area within
    ``rotation_intake_share`` of the same; the pool balances per stage,
    subject and year."""
    par = m.params
    if not m.rotation_in:
        return
    pool = {}
    for key, v in m.rotation_out.items():
        pool.setdefault(key[1:], []).append((v, 1.0))
    for key, v in m.rotation_in.items():
        pool.setdefault(key[1:], []).append((v, -1.0))
    for key, terms in pool.items():
        m.add("rotation_pool", key, list(terms), pulp.LpConstraintEQ, 0.0)
    prev, base = _last_year_staff(m, ("existing",), by_stage=False)
    limits = [("region_rotation", m.rotation_out, par.region_move_share)]
    if par.rotation_intake_share is not None:
        limits.append(("rotation_intake", m.rotation_in, par.rotation_intake_share))
    for family, flows, share in limits:
        by = {}
        for (r, s, j, c, t), v in flows.items():
            by.setdefault((r, t), []).append((v, 1.0))
        for key, terms in by.items():
            if key in base:
                m.add(family, key, list(terms), pulp.LpConstraintLE, share * base[key],
                      elastic=True)
            else:
                m.add(family, key, list(terms + [(v, -share) for v in prev.get(key, [])]),
                      pulp.LpConstraintLE, 0.0, elastic=True)


def define_key_teacher_constraints(m: StaffingModel) -> None:
    """Each area's key teachers (骨干) at least ``key_share_floor`` of its
    experienced permanent staff (base-year staff teaching there), met by
    rotation: key teachers leave an area as its own do (the supply model's
    projection for them), and move only as part of the teachers it rotates
    out and in, through the district pool (and, with ``rotation_years``,
    come back after their term). New hires are not in the denominator:
    otherwise the cheapest way to hold the share would be not to hire."""
    par, inp = m.params, m.inputs
    if par.key_share_floor is None or inp.key_teachers is None:
        return
    kt = lookup(inp.key_teachers, ["region", "year"], "headcount")
    base, years = inp.base_year, inp.years
    rot_out, rot_in, staff = {}, {}, {}
    for (r, s, j, c, t), v in m.rotation_out.items():
        rot_out.setdefault((r, t), []).append((v, -1.0))
    for (r, s, j, c, t), v in m.rotation_in.items():
        rot_in.setdefault((r, t), []).append((v, -1.0))
    for (layer, r, s, t), v in m.staff.items():
        if layer == "existing":
            staff.setdefault((r, t), []).append((v, -par.key_share_floor))
    district = {t: sum(kt.get((r, t), 0.0) for r in inp.regions) for t in [base] + years}
    L = par.rotation_years
    for r, t in itertools.product(inp.regions, years):
        k = m.key[(r, t)] = _var(m, "key", len(m.key), pulp.LpContinuous)
        kout = m.key_out[(r, t)] = _var(m, "kout", len(m.key_out), pulp.LpContinuous)
        kin = m.key_in[(r, t)] = _var(m, "kin", len(m.key_in), pulp.LpContinuous)
        prev = kt.get((r, t - 1), 0.0)
        rate = kt.get((r, t), 0.0) / prev if prev > 0 else 0.0
        terms = [(k, 1.0), (kout, 1.0), (kin, -1.0)]
        if t == years[0]:
            const = rate * kt.get((r, base), 0.0)
        else:
            terms.append((m.key[(r, t - 1)], -rate))
            const = 0.0
        if L is not None and (r, t - L) in m.key_out:
            kept = 1.0
            for u in range(t - L + 1, t + 1):
                kept *= district[u] / district[u - 1] if district[u - 1] > 0 else 0.0
            terms += [(m.key_out[(r, t - L)], -kept), (m.key_in[(r, t - L)], kept)]
        m.add("key_balance", (r, t), list(terms), pulp.LpConstraintEQ, const)
        m.add("key_rotation_out", (r, t), list([(kout, 1.0)] + rot_out.get((r, t), [])),
              pulp.LpConstraintLE, 0.0)
        m.add("key_rotation_in", (r, t), list([(kin, 1.0)] + rot_in.get((r, t), [])),
              pulp.LpConstraintLE, 0.0)
        m.add("key_share", (r, t), list([(k, 1.0)] + staff.get((r, t), [])),
              pulp.LpConstraintGE, 0.0, elastic=True)
    for t in years:
        terms = [(m.key_out[(r, t)], 1.0) for r in inp.regions] + [(m.key_in[(r, t)], -1.0) for r in inp.regions]
        m.add("key_pool", t, list(terms), pulp.LpConstraintEQ, 0.0)


def hire_price(params: PlanParams, stage: str, certificate: str) -> float:
    """Yuan per hire: hire_cost plus the premium per certificate level above the stage."""
    return params.hire_cost * (1 + params.certificate_premium * certificates_for(stage).index(certificate))


def define_costs(m: StaffingModel) -> None:
    """Yuan per year of each decision, kept by name for reporting and budget;
    the base-year staff's salaries, the same in every plan, by year in
    ``fixed_costs``."""
    par, inp = m.params, m.inputs
    retrain_cost = {(p["stage"], p["from"], p["to"]): p["cost"] for p in par.retraining}
    m.cost_terms = {
        "salary": [(v, par.salary, k[-1]) for k, v in [*m.stock.items(), *m.hires.items()]],
        "hiring": [(v, hire_price(par, k[1], k[3]), k[-1]) for k, v in m.hires.items()],
        "stage_moves": [(v, par.stage_move_cost, k[-1]) for k, v in m.stage_moves.items()],
        "retraining": [(v, retrain_cost[(k[1], k[2], k[3])], k[-1]) for k, v in m.retraining.items()],
        "region_moves": [(v, par.region_move_cost, k[-1]) for k, v in m.rotation_out.items()],
        "temporary": [(v, par.temporary_cost, k[-1]) for k, v in m.temporary.items()],
    }
    m.fixed_costs = {t: 0.0 for t in inp.years}
    for key, h in m.home.items():
        m.fixed_costs[key[-1]] += par.salary * h
    if par.budget is not None:
        for t in inp.years:
            terms = expr((v, c) for items in m.cost_terms.values() for v, c, y in items if y == t)
            # in salary-years: breaking the budget by one salary weighs like breaking a headcount limit by one
            m.add("budget", t, terms, pulp.LpConstraintLE, par.budget - m.fixed_costs[t],
                  elastic=True, unit=par.salary or 1.0)


def objective_weights(params: PlanParams) -> dict:
    """Objective weight (yuan-equivalent) per unit of what is not cash."""
    return {"shortfall": params.shortfall_weight, "surplus": params.surplus_weight,
            "temporary": params.temporary_quality_weight}


def define_objective(m: StaffingModel) -> None:
    w = objective_weights(m.params)
    terms = [(v, c) for items in m.cost_terms.values() for v, c, _ in items]
    terms += [(v, w["shortfall"]) for v in m.shortfall.values()]
    terms += [(v, w["surplus"]) for v in m.surplus.values()]
    if w["temporary"]:
        terms += [(v, w["temporary"]) for v in m.temporary.values()]
    terms += [(v, m.params.elastic_weight) for v in m.slacks.values()]
    m.objective = terms  # a hire's salary and hiring cost are two terms: highs and to_pulp add them up


def column_years(m: StaffingModel) -> dict:
    """{variable name: year} for every variable of the model."""
    out = {}
    for d in (m.stock, m.moved, m.rotated, m.away, m.hires, m.stage_moves, m.retraining, m.rotation_out,
              m.rotation_in, m.temporary, m.shortfall, m.surplus, m.posts, m.staff, m.mentors, m.key, m.key_out,
              m.key_in):
        for k, v in d.items():
            out[v.name] = k[-1]
    for (family, key), v in m.slacks.items():
        out[v.name] = year_of(key)
    return out


def row_years(m: StaffingModel) -> dict:
    """{row name: year} for every row of the model."""
    return {con.name: year_of(key) for rows in m.constraints.values() for key, con in rows.items()}


def create_model(inputs: PlanInputs, params: PlanParams, elastic: bool = False) -> StaffingModel:
    """Build the LP (a minimisation); ``elastic``: give every limit that can
    be broken a priced slack."""
    with no_cyclic_gc():
        return _create_model(inputs, params, elastic)


@contextmanager
def no_cyclic_gc():
    """Hold Python's cyclic garbage collector while tens of thousands of
    small objects are made: its passes over them took half the build time
    (0.13 s against 0.25 s on the default district). The model's objects
    are not cyclic garbage (reference counting frees them); what cyclic
    garbage is made meanwhile waits for the collector's next pass."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _create_model(inputs: PlanInputs, params: PlanParams, elastic: bool) -> StaffingModel:
    m = StaffingModel(inputs, params, pulp.LpProblem("staffing", pulp.LpMinimize), elastic)
    define_variables(m)
    define_staff_totals(m)
    define_stock_balance_constraints(m)
    define_demand_balance_constraints(m)
    define_temporary_cap_constraints(m)
    define_post_constraints(m)
    define_mentoring_constraints(m)
    define_graduate_supply_constraints(m)
    define_stage_move_limit_constraints(m)
    define_retraining_limits(m)
    define_region_move_constraints(m)
    define_key_teacher_constraints(m)
    define_costs(m)
    define_objective(m)
    return m

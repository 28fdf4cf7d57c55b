"""The staffing LP, built with PuLP: one function per constraint family.

Indices: r region, s stage, j subject, c certificate, t plan year. Teachers are
held in two layers: ``E`` the base-year staff (their exits follow the supply
model's retention of their cell) and ``N`` the plan's own hires (their exits
follow ``new_hire_attrition``). Stock variables are the staff in post during
school year t, after the year's exits, hires and moves.

Limits are hard. Built with ``elastic=True`` (what ``solve_plan`` does when
the hard model has no solution), every limit that can make the model
infeasible gets a slack priced at ``elastic_weight``, so an impossible
scenario still gets a plan with its broken limits named and sized.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pulp

from forecast.grades import STAGES
from optimize.problem import (SCHOOL, PlanInputs, PlanParams, Retention, certificates_for, hiring_certificates,
                              lookup)

LAYERS = ("existing", "new")


@dataclass
class StaffingModel:
    inputs: PlanInputs
    params: PlanParams
    prob: pulp.LpProblem
    elastic: bool = False
    stock: dict = field(default_factory=dict)      # (layer, r, s, j, c, t)
    hires: dict = field(default_factory=dict)      # (r, s, j, c, t)
    stage_moves: dict = field(default_factory=dict)   # (layer, r, s_from, s_to, j, c, t)
    rotation_out: dict = field(default_factory=dict)  # (r, s, j, c, t): existing staff rotated out of r
    rotation_in: dict = field(default_factory=dict)   # (r, s, j, c, t): rotated into r
    temporary: dict = field(default_factory=dict)  # (r, s, j, t)
    shortfall: dict = field(default_factory=dict)
    surplus: dict = field(default_factory=dict)
    posts: dict = field(default_factory=dict)      # (r, s, t)
    staff: dict = field(default_factory=dict)      # (layer, r, s, t): permanent staff of a stage, summed
    key: dict = field(default_factory=dict)        # (r, t): key teachers at the end of t
    key_out: dict = field(default_factory=dict)    # (r, t): key teachers rotated out of r
    key_in: dict = field(default_factory=dict)     # (r, t): rotated into r
    slacks: dict = field(default_factory=dict)     # (family, key) -> var
    slack_units: dict = field(default_factory=dict)  # (family, key) -> limit units per slack unit, if not 1
    constraints: dict = field(default_factory=dict)  # family -> {key: constraint}
    cost_terms: dict = field(default_factory=dict)   # name -> list of (var, yuan)

    def add(self, family: str, key, expr: pulp.LpAffineExpression, sense: int, rhs: float,
            elastic: bool = False, unit: float = 1.0) -> None:
        """Add ``expr (sense) rhs``; an ``elastic`` ≤/≥ limit gets a priced
        slack when the model is built elastic.

        ``unit``: the row is written in multiples of ``unit`` (e.g. a budget in
        salaries rather than yuan), so that its slack is priced like a
        headcount limit's and the matrix stays well scaled."""
        if unit != 1.0:
            expr, rhs = expr * (1.0 / unit), rhs / unit
            self.slack_units[(family, key)] = unit
        if elastic and self.elastic:
            s = self.prob.add_variable(f"slack_{family}_{len(self.slacks)}", lowBound=0)
            self.slacks[(family, key)] = s
            expr = expr + (-1 if sense == pulp.LpConstraintLE else 1) * s
        name = f"{family}_{len(self.constraints.setdefault(family, {}))}"
        con = pulp.LpConstraint(e=expr, sense=sense, rhs=rhs, name=name)
        self.prob.addConstraint(con, name)
        self.constraints[family][key] = con


def _var(m: "StaffingModel", prefix: str, n: int, cat: str) -> pulp.LpVariable:
    return m.prob.add_variable(f"{prefix}_{n}", lowBound=0, cat=cat)


def define_variables(m: StaffingModel) -> None:
    inp, par = m.inputs, m.params
    cat = pulp.LpInteger if par.integer else pulp.LpContinuous
    regions, years, cells = inp.regions, inp.years, inp.cells()
    school = [s for s in STAGES if s != "preschool"]
    for layer, r, (s, j), t in itertools.product(LAYERS, regions, cells, years):
        for c in certificates_for(s):
            m.stock[(layer, r, s, j, c, t)] = _var(m, "stock", len(m.stock), pulp.LpContinuous)
    for r, (s, j), t in itertools.product(regions, cells, years):
        for c in hiring_certificates(s, par.hiring_certificates):
            m.hires[(r, s, j, c, t)] = _var(m, "hire", len(m.hires), cat)
    subjects_of = {}
    for s, j in cells:
        subjects_of.setdefault(s, []).append(j)
    for layer, r, s_from, s_to, t in itertools.product(LAYERS, regions, school, school, years):
        if s_from == s_to or s_from not in subjects_of or s_to not in subjects_of:
            continue
        # the plan's own hires move only up (following the wave they were hired
        # for); a move down is the same to demand when made by a base-year
        # teacher of that cell, and leaving it out keeps HiGHS under 2 s on the
        # default district (it cost 0.04% of the objective there)
        if layer == "new" and SCHOOL.index(s_to) < SCHOOL.index(s_from):
            continue
        # sorted, never set order: string hashing differs between processes, and
        # a different variable order can give a different (equally optimal) plan
        for j in sorted(set(subjects_of[s_from]) & set(subjects_of[s_to])):
            for c in sorted(set(certificates_for(s_from)) & set(certificates_for(s_to))):
                m.stage_moves[(layer, r, s_from, s_to, j, c, t)] = _var(m, "smove", len(m.stage_moves), cat)
    # rotation between areas goes through a district pool (区管校聘): out of one
    # area, into another, balanced per stage, subject and year, so the model
    # grows with the number of areas, not with its square. Rotated teachers
    # are those certified for their own stage: a teacher certified higher is
    # the one an area keeps to move up with the wave, and rotating by
    # certificate too doubled the rotation columns for 0.001% of the objective
    if par.region_move_share > 0 and len(regions) > 1:
        for r, (s, j), t in itertools.product(regions, cells, years):
            c = certificates_for(s)[0]
            m.rotation_out[(r, s, j, c, t)] = _var(m, "rout", len(m.rotation_out), cat)
            m.rotation_in[(r, s, j, c, t)] = _var(m, "rin", len(m.rotation_in), cat)
    for r, s, t in itertools.product(regions, inp.stages, years):
        m.posts[(r, s, t)] = _var(m, "posts", len(m.posts), pulp.LpContinuous)


def cover_keys(inputs: PlanInputs) -> list[tuple]:
    """The (r, s, j, t) cells of the demand balance, in model order."""
    return [(r, s, j, t) for r, (s, j), t in itertools.product(inputs.regions, inputs.cells(), inputs.years)]


def define_cover_variables(m: StaffingModel) -> None:
    """Temporary cover, shortfall and surplus per (r, s, j, t) (FTE): what
    closes each cell's demand balance once the stock is set. The stochastic
    plan (``optimize.stochastic``) replaces them by recourse per path."""
    for r, s, j, t in cover_keys(m.inputs):
        m.temporary[(r, s, j, t)] = _var(m, "temp", len(m.temporary), pulp.LpContinuous)
        m.shortfall[(r, s, j, t)] = _var(m, "short", len(m.shortfall), pulp.LpContinuous)
        m.surplus[(r, s, j, t)] = _var(m, "surplus", len(m.surplus), pulp.LpContinuous)


def define_staff_totals(m: StaffingModel) -> None:
    """staff[layer, r, s, t] = the layer's stock of stage s in area r, summed
    over subjects and certificates (persons).

    The posts, mentoring, rotation and key-share limits read these sums
    instead of repeating the 20-50 stock cells in each of their rows."""
    terms = {}
    for (layer, r, s, j, c, t), v in m.stock.items():
        terms.setdefault((layer, r, s, t), []).append((v, 1.0))
    for key, tt in terms.items():
        v = m.staff[key] = _var(m, "staff", len(m.staff), pulp.LpContinuous)
        m.add("staff_sum", key, pulp.LpAffineExpression(tt + [(v, -1.0)]), pulp.LpConstraintEQ, 0.0)


def _flows(m: StaffingModel):
    """Moves in and out of each (layer, r, s, j, c, t) stock cell."""
    inflow, outflow = {}, {}
    for (layer, r, s1, s2, j, c, t), v in m.stage_moves.items():
        outflow.setdefault((layer, r, s1, j, c, t), []).append(v)
        inflow.setdefault((layer, r, s2, j, c, t), []).append(v)
    for (r, s, j, c, t), v in m.rotation_out.items():
        outflow.setdefault(("existing", r, s, j, c, t), []).append(v)
    for (r, s, j, c, t), v in m.rotation_in.items():
        inflow.setdefault(("existing", r, s, j, c, t), []).append(v)
    return inflow, outflow


def define_stock_balance_constraints(m: StaffingModel) -> None:
    """stock[t] = kept share of stock[t-1] + hires + moves in - moves out."""
    inp, par = m.inputs, m.params
    retention = Retention(inp)
    start = lookup(inp.stock, ["region", "stage", "subject", "certificate"], "headcount")
    inflow, outflow = _flows(m)
    years = inp.years
    for key, var in m.stock.items():
        layer, r, s, j, c, t = key
        terms = [(var, 1.0)]
        const = 0.0
        if layer == "existing":
            rate = retention(r, s, j, c, t)
            if t == years[0]:
                const = rate * start.get((r, s, j, c), 0.0)
            else:
                terms.append((m.stock[(layer, r, s, j, c, t - 1)], -rate))
        else:
            if t != years[0]:
                terms.append((m.stock[(layer, r, s, j, c, t - 1)], -(1 - par.new_hire_attrition)))
            h = m.hires.get((r, s, j, c, t))
            if h is not None:
                terms.append((h, -1.0))
        terms += [(v, -1.0) for v in inflow.get(key, [])]
        terms += [(v, 1.0) for v in outflow.get(key, [])]
        m.add("stock_balance", key, pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, const)


def define_demand_balance_constraints(m: StaffingModel) -> None:
    """staff + temporary + shortfall - surplus = demand, per (r, s, j, t)."""
    dem = lookup(m.inputs.demand, ["region", "stage", "subject", "year"], "demand")
    by_cell = {}
    for (layer, r, s, j, c, t), v in m.stock.items():
        by_cell.setdefault((r, s, j, t), []).append((v, 1.0))
    for key, terms in by_cell.items():
        terms = terms + [(m.temporary[key], 1.0), (m.shortfall[key], 1.0), (m.surplus[key], -1.0)]
        m.add("demand_balance", key, pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, dem.get(key, 0.0))


def define_temporary_cap_constraints(m: StaffingModel) -> None:
    dem = lookup(m.inputs.demand, ["region", "stage", "subject", "year"], "demand")
    for key, v in m.temporary.items():
        v.upBound = m.params.temporary_share_max * dem.get(key, 0.0)


def define_post_constraints(m: StaffingModel) -> None:
    """Permanent staff of a stage within its posts; posts within the cap; posts
    move between stages no faster than ``post_shift_share`` of the cap a year."""
    inp, par = m.inputs, m.params
    staff = {}
    for (layer, r, s, t), v in m.staff.items():
        staff.setdefault((r, s, t), []).append((v, 1.0))
    for key, terms in staff.items():
        m.add("post_occupancy", key, pulp.LpAffineExpression(terms + [(m.posts[key], -1.0)]),
              pulp.LpConstraintLE, 0.0)
    cap = lookup(inp.cap, ["region", "year"], "cap")
    posts0 = lookup(inp.posts, ["region", "stage"], "posts")
    for r, t in itertools.product(inp.regions, inp.years):
        terms = [(m.posts[(r, s, t)], 1.0) for s in inp.stages]
        m.add("cap", (r, t), pulp.LpAffineExpression(terms), pulp.LpConstraintLE, cap[(r, t)], elastic=True)
        shift = par.post_shift_share * cap[(r, t)]
        for s in inp.stages:
            p = m.posts[(r, s, t)]
            if t == inp.years[0]:
                prev_terms, prev_const = [], posts0.get((r, s), 0.0)
            else:
                prev_terms, prev_const = [(m.posts[(r, s, t - 1)], -1.0)], 0.0
            e = pulp.LpAffineExpression([(p, 1.0)] + prev_terms)
            m.add("post_shift_up", (r, s, t), e, pulp.LpConstraintLE, shift + prev_const, elastic=True)
            m.add("post_shift_down", (r, s, t), e, pulp.LpConstraintGE, prev_const - shift, elastic=True)


def define_mentoring_constraints(m: StaffingModel) -> None:
    """New hires of an area and stage at most mentor_ratio x last year's
    experienced permanent staff there (导师带教)."""
    inp, par = m.inputs, m.params
    start = inp.stock.groupby(["region", "stage"]).headcount.sum().to_dict()
    hires = {}
    for (r, s, j, c, t), v in m.hires.items():
        hires.setdefault((r, s, t), []).append((v, 1.0))
    experienced = {}
    for (layer, r, s, t), v in m.staff.items():
        if layer == "existing":
            experienced.setdefault((r, s, t + 1), []).append((v, -par.mentor_ratio))
    for (r, s, t), terms in hires.items():
        if t == inp.years[0]:
            m.add("mentoring", (r, s, t), pulp.LpAffineExpression(terms), pulp.LpConstraintLE,
                  par.mentor_ratio * start.get((r, s), 0.0), elastic=True)
        else:
            m.add("mentoring", (r, s, t), pulp.LpAffineExpression(terms + experienced.get((r, s, t), [])),
                  pulp.LpConstraintLE, 0.0, elastic=True)


def define_graduate_supply_constraints(m: StaffingModel) -> None:
    """Hires per certificate level and year within the graduate supply."""
    by = {}
    for (r, s, j, c, t), v in m.hires.items():
        by.setdefault((c, t), []).append((v, 1.0))
    for (c, t), terms in by.items():
        m.add("graduate_supply", (c, t), pulp.LpAffineExpression(terms), pulp.LpConstraintLE,
              m.params.graduate_supply.get(c, 0.0), elastic=True)


def define_region_move_constraints(m: StaffingModel) -> None:
    """Rotation out of an area per year within region_move_share of its staff."""
    par, inp = m.params, m.inputs
    if not m.rotation_out:
        return
    pool = {}
    for key, v in m.rotation_out.items():
        pool.setdefault(key[1:], []).append((v, 1.0))
    for key, v in m.rotation_in.items():
        pool.setdefault(key[1:], []).append((v, -1.0))
    for key, terms in pool.items():
        m.add("rotation_pool", key, pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, 0.0)
    start = inp.stock.groupby("region").headcount.sum().to_dict()
    out = {}
    for (r, s, j, c, t), v in m.rotation_out.items():
        out.setdefault((r, t), []).append((v, 1.0))
    prev = {}
    for (layer, r, s, t), v in m.staff.items():
        if layer == "existing":
            prev.setdefault((r, t + 1), []).append((v, -par.region_move_share))
    for (r, t), terms in out.items():
        if t == inp.years[0]:
            m.add("region_rotation", (r, t), pulp.LpAffineExpression(terms), pulp.LpConstraintLE,
                  par.region_move_share * start.get(r, 0.0), elastic=True)
        else:
            m.add("region_rotation", (r, t), pulp.LpAffineExpression(terms + prev[(r, t)]),
                  pulp.LpConstraintLE, 0.0, elastic=True)


def define_key_teacher_constraints(m: StaffingModel) -> None:
    """Each area's key teachers (骨干) at least ``key_share_floor`` of its
    experienced permanent staff (those in post in the base year), met by
    rotation: key teachers leave an area as its own do (the supply model's
    projection for them), and move only as part of the teachers it rotates
    out and in, through the district pool. New hires are not in the
    denominator: otherwise the cheapest way to hold the share would be not to
    hire."""
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
    for r, t in itertools.product(inp.regions, years):
        k = m.key[(r, t)] = _var(m, "key", len(m.key), pulp.LpContinuous)
        kout = m.key_out[(r, t)] = _var(m, "kout", len(m.key_out), pulp.LpContinuous)
        kin = m.key_in[(r, t)] = _var(m, "kin", len(m.key_in), pulp.LpContinuous)
        prev = kt.get((r, t - 1), 0.0)
        rate = kt.get((r, t), 0.0) / prev if prev > 0 else 1.0
        terms = [(k, 1.0), (kout, 1.0), (kin, -1.0)]
        if t == years[0]:
            const = rate * kt.get((r, base), 0.0)
        else:
            terms.append((m.key[(r, t - 1)], -rate))
            const = 0.0
        m.add("key_balance", (r, t), pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, const)
        m.add("key_rotation_out", (r, t), pulp.LpAffineExpression([(kout, 1.0)] + rot_out.get((r, t), [])),
              pulp.LpConstraintLE, 0.0)
        m.add("key_rotation_in", (r, t), pulp.LpAffineExpression([(kin, 1.0)] + rot_in.get((r, t), [])),
              pulp.LpConstraintLE, 0.0)
        m.add("key_share", (r, t), pulp.LpAffineExpression([(k, 1.0)] + staff.get((r, t), [])),
              pulp.LpConstraintGE, 0.0, elastic=True)
    for t in years:
        terms = [(m.key_out[(r, t)], 1.0) for r in inp.regions] + [(m.key_in[(r, t)], -1.0) for r in inp.regions]
        m.add("key_pool", t, pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, 0.0)


def define_costs(m: StaffingModel) -> None:
    """Yuan per year of each decision, kept by name for reporting and budget."""
    par = m.params
    m.cost_terms = {
        "salary": [(v, par.salary, k[-1]) for k, v in m.stock.items()],
        "hiring": [(v, par.hire_cost * (1 + par.certificate_premium * _levels_above(k[3], k[1])), k[-1])
                   for k, v in m.hires.items()],
        "stage_moves": [(v, par.stage_move_cost, k[-1]) for k, v in m.stage_moves.items()],
        "region_moves": [(v, par.region_move_cost, k[-1]) for k, v in m.rotation_out.items()],
        "temporary": [(v, par.temporary_cost, k[-1]) for k, v in m.temporary.items()],
    }
    if par.budget is not None:
        for t in m.inputs.years:
            terms = [(v, c) for items in m.cost_terms.values() for v, c, y in items if y == t]
            # in salary-years: breaking the budget by one salary weighs like breaking a headcount limit by one
            m.add("budget", t, pulp.LpAffineExpression(terms), pulp.LpConstraintLE, par.budget, elastic=True,
                  unit=par.salary or 1.0)


def _levels_above(certificate: str, stage: str) -> int:
    return certificates_for(stage).index(certificate)


def define_objective(m: StaffingModel) -> None:
    par = m.params
    terms = [(v, c) for items in m.cost_terms.values() for v, c, _ in items]
    terms += [(v, par.shortfall_weight) for v in m.shortfall.values()]
    terms += [(v, par.surplus_weight) for v in m.surplus.values()]
    terms += [(v, par.elastic_weight) for v in m.slacks.values()]
    m.prob.setObjective(pulp.LpAffineExpression(terms))


def create_model(inputs: PlanInputs, params: PlanParams, elastic: bool = False) -> StaffingModel:
    """Build the LP (a minimisation: PuLP's HiGHS duals are right only then);
    ``elastic``: give every limit that can be broken a priced slack."""
    m = StaffingModel(inputs, params, pulp.LpProblem("staffing", pulp.LpMinimize), elastic)
    define_variables(m)
    define_cover_variables(m)
    define_staff_totals(m)
    define_stock_balance_constraints(m)
    define_demand_balance_constraints(m)
    define_temporary_cap_constraints(m)
    define_post_constraints(m)
    define_mentoring_constraints(m)
    define_graduate_supply_constraints(m)
    define_region_move_constraints(m)
    define_key_teacher_constraints(m)
    define_costs(m)
    define_objective(m)
    return m

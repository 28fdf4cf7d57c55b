"""Prediction intervals from the model's own track record.

A model's Monte Carlo paths say how its uncertainty grows with the lead and
keep the correlation of one path across years, but their spread is only as
right as the model's error model — and real projection errors keep their
sign for years (a ratio drifting away from its estimate), which resampled
one-year errors miss. So the spread is calibrated on what the combined
forecast actually missed by at earlier origins (``forecast.combine``'s track
record, each origin's errors combined with the weights the other origins
give), in the manner of split conformal prediction (Vovk et al. 2005; Lei
et al. 2018):

- each earlier error ``|log(actual / forecast)|`` is divided by the paths'
  spread at its area, stage and lead (their 80% or 95% quantile of
  ``|log(path / central)|``): the record says how many path spreads the
  forecast really missed by (a score);
- scale-adaptive (normalised) conformal prediction: each score is divided
  by its stage's and lead's scale, a robust model of log scores (weighted
  medians): a power of the lead pooled over stages, and each stage's effect
  shrunk toward the pooled scale by empirical Bayes over the projections
  (area × origin) behind it, so a stage with a short record borrows the
  others' scale and one that plainly differs keeps its own; a score's scale
  is fitted without its own origin, as the next forecast's is fitted
  without its error;
- the standardised scores of all stages, leads and areas are pooled into one
  weighted conformal quantile (Barber, Candès, Ramdas and Tibshirani 2023),
  an error's weight falling by ``DECAY`` for each year its actual is older,
  so the record describes the model as it is now; a stage's factor at a
  lead is that quantile times its own scale: a stage with small, steady
  errors gets a narrow band, a stage whose errors grow widens as they do;
  with fewer than ``N_MIN`` projections scored the paths stand as the model
  drew them;
- beyond the record's leads the last scored lead's factor carries on, so the
  bands then grow as the paths' own spread does (births beyond the data);
  and no year's band is narrower than an earlier year's (a short record's
  lead effects must not make uncertainty shrink with the lead);
- every path's deviation from the central line is centred on the median,
  every other path is mirrored (its whole deviation, in every area, stage
  and year, changes sign: errors are scored by size, so the bands are
  symmetric about the central line) and rescaled by a monotone map that
  takes the paths' 80% and 95% spreads to the calibrated ones (the 95%
  factor needs scores of weight 19; with less the 80% factor scales the
  whole path).
  A monotone map keeps each path's ranks across years, so its correlation
  over time survives.

The central line is the point forecast, the median of the paths, and always
inside its own bands.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forecast.projection import Projection

#: the fewest projections an 80% conformal quantile exists for: ⌈0.8 (n + 1)⌉ ≤ n
N_MIN = 4
#: the variance of log |Z| for a standard normal Z (π²/8): the noise of one log score
LOG_ABS_NORMAL_VAR = math.pi ** 2 / 8
#: an error's weight in the record falls by this factor for each year its actual is older
DECAY = 0.8
LEVELS = (0.8, 0.95)
#: leads the record scores (``forecast.combine.TRACK_LEADS``); beyond them
#: the calibrated width grows as the paths' own spread does
RECORD_LEADS = 3


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ⌈level · (n + 1)⌉-th smallest of n scores; nan when that rank is
    past n (too few scores for the level)."""
    s = np.sort(np.asarray(scores, float))
    rank = math.ceil(level * (len(s) + 1) - 1e-9)
    return float(s[rank - 1]) if 1 <= rank <= len(s) else np.nan


def combined_errors(track: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Log errors of the combined forecast in the track record: region,
    stage, origin, lead, error = log(actual / (w · model + (1 − w) ·
    persistence)) with each region's and stage's weight ``w``."""
    if track.empty:
        return pd.DataFrame(columns=["region", "stage", "origin", "lead", "error"])
    w = weights.set_index(["region", "stage"]).weight
    wt = w.reindex(pd.MultiIndex.from_frame(track[["region", "stage"]])).fillna(0.5).to_numpy()
    combined = wt * track.model.to_numpy(float) + (1 - wt) * track.persistence.to_numpy(float)
    out = track[["region", "stage", "origin", "lead"]].copy()
    out["error"] = np.log(track.actual.to_numpy(float) / combined)
    return out.reset_index(drop=True)


def weighted_conformal_quantile(scores: np.ndarray, weights: np.ndarray, level: float) -> float:
    """The level-quantile of the scores with weights, the next forecast's
    own (unknown) score counting 1 at +∞ (Barber, Candès, Ramdas and
    Tibshirani 2023, non-exchangeable conformal prediction): the smallest
    score whose weight below it, with its own, reaches ``level`` of the total
    weight plus 1; nan when the scores' weight is too small for the level.
    With every weight 1 this is ``conformal_quantile``."""
    s, w = np.asarray(scores, float), np.asarray(weights, float)
    order = np.argsort(s, kind="stable")
    s, w = s[order], w[order]
    cum = np.cumsum(w) / (w.sum() + 1.0)
    hit = np.nonzero(cum >= level - 1e-9)[0]
    return float(s[hit[0]]) if len(hit) else np.nan


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The weighted median (the smallest value with half the weight at or
    below it); nan for no values."""
    v, w = np.asarray(values, float), np.asarray(weights, float)
    if len(v) == 0 or w.sum() <= 0:
        return np.nan
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    return float(v[np.nonzero(np.cumsum(w) >= 0.5 * w.sum() - 1e-12)[0][0]])


def _effects(rest: np.ndarray, weight: np.ndarray, group: np.ndarray, keys: list, projection: np.ndarray) -> dict:
    """Each group's effect on log scores, shrunk toward none by empirical
    Bayes (James–Stein, as in random-effects meta-analysis): a group's
    weighted median ``d`` counts ``τ² / (τ² + σ² / n)``, with ``n`` its
    projections (area × origin: one projection's errors are one draw, not
    several), ``σ²`` the noise of one projection's log score and ``τ²`` the
    spread of the groups' effects beyond what that noise explains. Groups
    that plainly differ keep their own scale; groups that differ by no more
    than noise share one."""
    raw, n, within = {}, {}, []
    for key in keys:
        m = group == key
        if not m.any():
            continue
        raw[key] = weighted_median(rest[m], weight[m])
        ids, inverse = np.unique(projection[m], return_inverse=True)
        n[key] = len(ids)
        within.append(np.bincount(inverse, rest[m]) / np.bincount(inverse) - raw[key])
    if len(raw) < 2:
        return {key: 0.0 for key in keys}
    # the noise of one projection's log score: the spread of projection means about their group's effect
    # (robust); where a group holds fewer than 3 projections and shows no spread of its own, that of the
    # log size of one normal error, π²/8
    if min(n.values()) >= 3:
        sigma2 = (1.4826 * np.median(np.abs(np.concatenate(within)))) ** 2
    else:
        sigma2 = LOG_ABS_NORMAL_VAR
    d = np.array(list(raw.values()))
    noise = np.array([sigma2 / n[key] for key in raw])
    tau2 = max(float(np.var(d, ddof=1) - np.mean(noise)), 0.0)
    return {key: (tau2 / (tau2 + sigma2 / n[key]) * raw[key] if key in raw and tau2 + sigma2 > 0 else 0.0)
            for key in keys}


def scale_model(logz: np.ndarray, weight: np.ndarray, stage: np.ndarray, lead: np.ndarray, projection: np.ndarray,
                stages: list[str], leads: list[int]) -> tuple[float, dict, dict]:
    """A robust model of log scores, ``log z ≈ centre + a[stage] + beta ·
    log(lead)``: scores grow with the lead as a power ``h ** beta``, one
    slope pooled over stages and areas (``_lead_power``: a record of a few
    origins cannot support an effect per lead), then the centre and each
    stage's effect as weighted medians (``weight``: recency), the stages'
    effects shrunk by empirical Bayes (``_effects``: partial pooling, so a
    stage with a short record borrows the others' scale). Returns (centre,
    {stage: a}, {lead: beta · log(lead)}); all 0 without scores."""
    a = {s: 0.0 for s in stages}
    b = {h: 0.0 for h in leads}
    if len(logz) == 0:
        return 0.0, a, b
    beta = _lead_power(logz, weight, lead, projection)
    b = {h: beta * math.log(h) for h in leads}
    rest = logz - beta * np.log(lead)
    centre = weighted_median(rest, weight)
    a = _effects(rest - centre, weight, stage, stages, projection)
    return centre, a, b


def _lead_power(logz: np.ndarray, weight: np.ndarray, lead: np.ndarray, projection: np.ndarray) -> float:
    """How scores grow with the lead, as a power ``h ** beta``: the
    least-squares slope of each lead's weighted median log score on log
    lead, each lead weighing the projections scored there. Medians, since
    the log of a near-zero error is far below the rest (0 with one lead)."""
    hs = np.unique(lead)
    if len(hs) < 2:
        return 0.0
    x = np.log(hs.astype(float))
    y = np.array([weighted_median(logz[lead == h], weight[lead == h]) for h in hs])
    n = np.array([len(np.unique(projection[lead == h])) for h in hs], float)
    xm = np.sum(n * x) / n.sum()
    return float(np.sum(n * (x - xm) * (y - np.sum(n * y) / n.sum())) / np.sum(n * (x - xm) ** 2))


def scaled_factors(e: pd.DataFrame, stages: list[str], leads: list[int], decay: float = DECAY) -> pd.DataFrame:
    """Per stage and lead, the factors (80%, 95%) on the paths' own spread:
    scale-adaptive (normalised) conformal quantiles of the record's scores.

    ``e`` has region, stage, origin, lead, age (years between the error's
    actual year and the origin now) and z80, z95 (each error in path
    spreads at its area, stage and lead). Each score's weight is ``decay **
    age``, so the record describes the model as it is now (Barber et al.
    2023). A score is divided by its stage's and lead's scale
    (``scale_model``), fitted without its own origin — as the next
    forecast's scale is fitted without its error — and the standardised
    scores of every stage and lead are pooled into one weighted conformal
    quantile; a stage's factor at a lead is that quantile times its scale
    fitted on the whole record. So a stage with small, steady errors gets a
    narrow band, a stage whose errors grow widens as they do, and a stage
    with a short record borrows the others' scale.

    Returns columns stage, lead, n (errors in the pool), n_own (the stage's
    own at that lead), k80, k95 (nan where the weight is too small for the
    level); empty when fewer than ``N_MIN`` projections are scored.
    """
    cols = ["stage", "lead", "n", "n_own", "k80", "k95"]
    proj_id = pd.MultiIndex.from_frame(e[["region", "stage", "origin"]]).factorize()[0] if len(e) else np.zeros(0, int)
    if len(np.unique(proj_id)) < N_MIN:
        return pd.DataFrame(columns=cols)
    weight = decay ** e.age.to_numpy(float)
    stage, lead, origin = e.stage.to_numpy(), e.lead.to_numpy(int), e.origin.to_numpy(int)
    out = []
    for col, level in zip(("z80", "z95"), LEVELS):
        logz = np.log(np.maximum(e[col].to_numpy(float), 1e-12))
        full = scale_model(logz, weight, stage, lead, proj_id, stages, leads)
        u = np.empty(len(e))
        for o in np.unique(origin):
            mine = origin == o
            # a record of one origin has no other to fit the scale on: its own fit stands in
            c, a, b = scale_model(logz[~mine], weight[~mine], stage[~mine], lead[~mine], proj_id[~mine], stages,
                                  leads) if (~mine).any() else full
            u[mine] = logz[mine] - c - np.array([a.get(s, 0.0) for s in stage[mine]]) - np.array(
                [b.get(h, 0.0) for h in lead[mine]])
        q = weighted_conformal_quantile(np.exp(u), weight, level)
        c, a, b = full
        out.append({(s, h): q * float(np.exp(c + a[s] + b[h])) for s in stages for h in leads})
    rows = [(s, h, len(e), int(((stage == s) & (lead == h)).sum()), out[0][s, h], out[1][s, h])
            for s in stages for h in leads]
    return pd.DataFrame(rows, columns=cols)


def calibrate(proj: Projection, errors: pd.DataFrame, seed: int = 0, record_leads: int = RECORD_LEADS,
              decay: float | None = None) -> tuple[Projection, pd.DataFrame]:
    """Rescale the projection's paths so that their spread matches the
    track record's errors (see the module docstring).

    Returns the calibrated projection and a table per stage and lead: n (the
    errors the interval rests on: every stage's, pooled), n_own (the stage's
    own at that lead, which set its scale with the others'), pool ("record",
    or "model": the paths as drawn), k80 and k95 (the factors applied to the
    paths' 80% and 95% spread) and half80, half95 (the calibrated
    half-widths on logs, median over areas).
    """
    Y = proj.stage_paths()
    origin_now = int(proj.hist_years[-1])
    stages, H, P = proj.stages, len(proj.years), Y.shape[0] - 1
    cols = ["stage", "lead", "n", "n_own", "pool", "k80", "k95", "half80", "half95"]
    if P < 1:
        rows = [(s, h, 0, 0, "model", np.nan, np.nan, 0.0, 0.0) for s in stages for h in range(1, H + 1)]
        return proj, pd.DataFrame(rows, columns=cols)
    C = Y[0]
    ok = np.isfinite(C) & (C > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        D = np.where(ok & (Y[1:] > 0), np.log(Y[1:] / C), 0.0)
    # centred on the central line, and every other path mirrored (whole, across areas, stages and years):
    # the record's errors are scored by size, so the bands are symmetric about the central line
    D = D - np.median(D, axis=0)
    D = D * np.where(np.arange(P) % 2 == 0, 1.0, -1.0)[:, None, None, None]
    s80 = np.quantile(np.abs(D), 0.8, axis=0)                      # (R, S, H)
    flat = ok & (s80 <= 1e-9)
    if flat.any():  # paths without spread: give them a random walk's shape for the record to scale
        walk = np.random.default_rng(seed + 2).standard_normal((P, H)).cumsum(axis=1) * 0.01
        walk = (walk - np.median(walk, axis=0)) * np.where(np.arange(P) % 2 == 0, 1.0, -1.0)[:, None]
        D = np.where(flat[None], walk[:, None, None, :], D)
        s80 = np.quantile(np.abs(D), 0.8, axis=0)
    s95 = np.maximum(np.quantile(np.abs(D), 0.95, axis=0), s80)

    # the record's errors in units of the paths' spread at their area, stage and lead
    e = errors[errors.region.isin(proj.regions) & errors.stage.isin(stages) & (errors.lead >= 1)
               & (errors.lead <= min(H, record_leads))]
    err = np.abs(e.error.to_numpy(float))
    ri = e.region.map({r: i for i, r in enumerate(proj.regions)}).to_numpy(int)
    si = e.stage.map({x: i for i, x in enumerate(stages)}).to_numpy(int)
    li = e.lead.to_numpy(int) - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        e = e.assign(z80=err / s80[ri, si, li], z95=err / s95[ri, si, li])
    e = e[np.isfinite(e.z80) & np.isfinite(e.z95)]
    e = e.assign(age=np.maximum(origin_now - (e.origin.to_numpy(int) + e.lead.to_numpy(int)), 0))
    scored = min(H, record_leads)
    table = scaled_factors(e, stages, list(range(1, scored + 1)), decay=DECAY if decay is None else decay)
    # (stage, lead) -> (n, n_own, k80, k95); a dict, not .loc: this runs once per county of a country
    found = {(s, int(h)): (int(n), int(n_own), float(a), float(b))
             for s, h, n, n_own, a, b in table[["stage", "lead", "n", "n_own", "k80", "k95"]].itertuples(index=False)}

    S = len(stages)
    k80, k95 = np.ones((S, H)), np.full((S, H), np.nan)
    rows = []
    for k, stage in enumerate(stages):
        for h in range(1, H + 1):
            # beyond the record's leads the last scored lead's factor carries on: the width then
            # grows as the paths' own spread does (births beyond the data, ratios drifting)
            r = found.get((stage, min(h, scored)))
            if r is not None and np.isfinite(r[2]):
                n, n_own, a, b = r
                k80[k, h - 1], k95[k, h - 1] = a, b
                rows.append([stage, h, n, n_own, "record", a, b])
            else:
                rows.append([stage, h, 0, 0, "model", 1.0, np.nan])

    # monotone map of |deviation|: the paths' 80% spread to k80 of it, their 95% spread to k95 of it
    t80 = k80[None] * s80
    t95 = np.maximum(np.where(np.isfinite(k95)[None], k95[None] * s95, k80[None] * s95), t80)
    # uncertainty about a stage total does not shrink with the lead: a short record's lead effects
    # (``scale_model``) must not make a later year's band narrower than an earlier one's
    t80, t95 = np.maximum.accumulate(t80, axis=2), np.maximum.accumulate(t95, axis=2)
    a = np.abs(D)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where(s80 > 0, a * t80 / s80, 0.0)
        middle = t80 + (a - s80) * np.where(s95 > s80, (t95 - t80) / (s95 - s80), 0.0)
        outer = np.where(s95 > 0, a * t95 / s95, 0.0)
    a_new = np.where(a <= s80, inner, np.where(a <= s95, middle, outer))
    # paths the model drew without spread, and no record to scale: they stay without spread
    no_record = np.array([r[4] == "model" for r in rows]).reshape(S, H)
    a_new = np.where(flat[None] & no_record[None, None], 0.0, a_new)
    t80 = np.where(flat & no_record[None], 0.0, t80)
    t95 = np.where(flat & no_record[None], 0.0, t95)
    for row, (k, h) in zip(rows, [(k, h) for k in range(S) for h in range(H)]):
        here = ok[:, k, h]
        row += [float(np.median(t80[here, k, h])) if here.any() else np.nan,
                float(np.median(t95[here, k, h])) if here.any() else np.nan]
    new = np.where(ok, C * np.exp(np.sign(D) * a_new), Y[1:])
    return proj.with_stage_paths(np.concatenate([C[None], new], axis=0)), pd.DataFrame(rows, columns=cols)


def rests_on(table: pd.DataFrame, col: str = "n") -> dict:
    """{stage: {lead: n}}: the number of earlier errors each interval of a
    ``calibrate`` table rests on (``col="n"``: every stage's, pooled into its
    quantile; ``"n_own"``: the stage's own at that lead)."""
    return {s: {int(h): int(n) for h, n in zip(d.lead, d[col])} for s, d in table.groupby("stage", sort=False)}

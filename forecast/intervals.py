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
  forecast really missed by;
- a stage's factor at a lead is the conformal quantile of those scores (the
  ⌈level · (n + 1)⌉-th smallest of n), pooled over areas: from the stage's
  own errors at that lead when it has ``N_CELL``; else from all stages, one
  score per projection (an area's stage from one origin: its largest score
  over the leads, since one projection's errors are one draw, not several),
  each divided by its stage's scale and the result multiplied by this
  stage's (partial pooling: a stage's scale, its median log score against
  all, is shrunk toward the pooled one as ``n / (n + SCALE_PRIOR)``); with
  fewer than ``N_MIN`` projections the paths stand as the model drew them;
- a factor above 1 applies at once; one below 1 (the paths are wider than
  the errors) is shrunk toward 1 as ``m / (m + PRIOR)`` in logs, so that a
  short record narrows the bands only as it grows: understating the
  uncertainty costs a plan more than overstating it;
- beyond the record's leads the last scored lead's factor carries on, so the
  bands then grow as the paths' own spread does (births beyond the data);
- every path's deviation from the central line is centred on the median,
  every other path is mirrored (its whole deviation, in every area, stage
  and year, changes sign: errors are scored by size, so the bands are
  symmetric about the central line) and rescaled by a monotone map that
  takes the paths' 80% and 95% spreads to the calibrated ones (the 95%
  factor needs 19 scores; with fewer the 80% factor scales the whole path).
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

#: errors a stage and lead need to set their own interval
N_CELL = 10
#: the fewest projections an 80% conformal quantile exists for: ⌈0.8 (n + 1)⌉ ≤ n
N_MIN = 4
#: a record narrows the paths' own spread only as it grows: its factor's log
#: counts its scores against this many at no change (widening counts at once)
PRIOR = 4
#: a stage's own scale counts its projections against this many at the pooled scale
SCALE_PRIOR = 4
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


def _projection_scores(errors: pd.DataFrame) -> pd.DataFrame:
    """One score per projection (an area's stage from one origin): its
    largest score over the leads. A projection's errors keep their sign from
    lead to lead, so they are one draw, not several."""
    return errors.groupby(["region", "stage", "origin"], as_index=False)[["z80", "z95"]].max()


def stage_scales(units: pd.DataFrame, stages: list[str], col: str = "z80", prior: float | None = None) -> dict:
    """Each stage's error scale relative to all stages: the difference of
    median log scores, shrunk toward none as ``n / (n + prior)`` for a stage
    with ``n`` projections scored (partial pooling)."""
    prior = SCALE_PRIOR if prior is None else prior
    logz = np.log(np.maximum(units[col].to_numpy(float), 1e-12))
    centre = np.median(logz) if len(logz) else 0.0
    out = {}
    for stage in stages:
        own = logz[(units.stage == stage).to_numpy()]
        n = len(own)
        out[stage] = float(np.exp(n / (n + prior) * (np.median(own) - centre))) if n else 1.0
    return out


def _factor(errors: pd.DataFrame, units: pd.DataFrame, scales: dict, stage: str, lead: int, prior: float
            ) -> tuple[str, int, float, float]:
    """Where a stage's interval at ``lead`` comes from, how many errors it
    rests on, and the factors (80%, 95%) on the paths' own spread.

    The factor is the conformal quantile of the record's errors in path
    spreads: of the stage's errors at that lead (pooled over regions) when
    there are ``N_CELL``, else of every projection's score divided by its
    stage's scale, times this stage's scale (``scales``: 80% and 95%). A
    factor above 1 is taken as it is; one below 1 (the record says the paths
    are too wide) has its log shrunk as ``m / (m + prior)`` for ``m``
    scores, so a short record widens the paths at once but narrows them only
    as it grows. The 95% factor is nan where the scores are too few for it.
    """
    cell = errors[(errors.stage == stage) & (errors.lead == lead)]
    if len(cell) >= N_CELL:
        m, n, pool = len(cell), len(cell), "stage and lead"
        k80, k95 = conformal_quantile(cell.z80, LEVELS[0]), conformal_quantile(cell.z95, LEVELS[1])
    elif len(units) >= N_MIN:
        m, n, pool = len(units), len(errors), "all stages, scaled to the stage"
        s80, s95 = scales
        k80 = conformal_quantile(units.z80 / units.stage.map(s80), LEVELS[0]) * s80[stage]
        k95 = conformal_quantile(units.z95 / units.stage.map(s95), LEVELS[1]) * s95[stage]
    else:
        return "model", 0, 1.0, np.nan
    w = m / (m + prior)

    def shrink(k: float) -> float:
        if not np.isfinite(k):
            return np.nan
        return float(k) if k >= 1 else float(np.exp(w * np.log(max(k, 1e-12))))
    return pool, n, shrink(k80), shrink(k95)


def calibrate(proj: Projection, errors: pd.DataFrame, seed: int = 0, record_leads: int = RECORD_LEADS,
              prior: float | None = None) -> tuple[Projection, pd.DataFrame]:
    """Rescale the projection's paths so that their spread matches the
    track record's errors (see the module docstring).

    Returns the calibrated projection and a table per stage and lead: n (the
    errors the interval rests on), pool ("stage and lead", "all stages,
    scaled to the stage" or "model": the paths as drawn), k80 and k95 (the
    factors applied to the paths' 80% and 95% spread) and half80, half95
    (the calibrated half-widths on logs, median over areas).
    """
    prior = PRIOR if prior is None else prior
    Y = proj.stage_paths()
    stages, H, P = proj.stages, len(proj.years), Y.shape[0] - 1
    cols = ["stage", "lead", "n", "pool", "k80", "k95", "half80", "half95"]
    if P < 1:
        rows = [(s, h, 0, "model", np.nan, np.nan, 0.0, 0.0) for s in stages for h in range(1, H + 1)]
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
    units = _projection_scores(e)
    every = sorted(set(stages) | set(units.stage))
    scales = (stage_scales(units, every, "z80"), stage_scales(units, every, "z95"))

    S = len(stages)
    k80, k95 = np.ones((S, H)), np.full((S, H), np.nan)
    rows = []
    for k, stage in enumerate(stages):
        for h in range(1, H + 1):
            # beyond the record's leads the last scored lead's factor carries on: the width then
            # grows as the paths' own spread does (births beyond the data, ratios drifting)
            pool, n, f80, f95 = _factor(e, units, scales, stage, min(h, record_leads), prior)
            k80[k, h - 1], k95[k, h - 1] = f80, f95
            rows.append([stage, h, n, pool, f80, f95])

    # monotone map of |deviation|: the paths' 80% spread to k80 of it, their 95% spread to k95 of it
    t80 = k80[None] * s80
    t95 = np.maximum(np.where(np.isfinite(k95)[None], k95[None] * s95, k80[None] * s95), t80)
    a = np.abs(D)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where(s80 > 0, a * t80 / s80, 0.0)
        middle = t80 + (a - s80) * np.where(s95 > s80, (t95 - t80) / (s95 - s80), 0.0)
        outer = np.where(s95 > 0, a * t95 / s95, 0.0)
    a_new = np.where(a <= s80, inner, np.where(a <= s95, middle, outer))
    # paths the model drew without spread, and no record to scale: they stay without spread
    no_record = np.array([r[3] == "model" for r in rows]).reshape(S, H)
    a_new = np.where(flat[None] & no_record[None, None], 0.0, a_new)
    t80 = np.where(flat & no_record[None], 0.0, t80)
    t95 = np.where(flat & no_record[None], 0.0, t95)
    for row, (k, h) in zip(rows, [(k, h) for k in range(S) for h in range(H)]):
        here = ok[:, k, h]
        row += [float(np.median(t80[here, k, h])) if here.any() else np.nan,
                float(np.median(t95[here, k, h])) if here.any() else np.nan]
    new = np.where(ok, C * np.exp(np.sign(D) * a_new), Y[1:])
    return proj.with_stage_paths(np.concatenate([C[None], new], axis=0)), pd.DataFrame(rows, columns=cols)


def rests_on(table: pd.DataFrame) -> dict:
    """{stage: {lead: n}}: the number of earlier errors each interval of a
    ``calibrate`` table rests on."""
    return {s: {int(h): int(n) for h, n in zip(d.lead, d.n)} for s, d in table.groupby("stage", sort=False)}

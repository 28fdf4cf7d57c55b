"""Weighing a projection model against no change by its own track record.

A cohort or stage-flow model is only as good as the stability of its ratios.
Where policy moves them (admission rules for migrant children, the move from
primary to junior school, population control) the origin year carried
forward (persistence) can be the better forecast, and nothing in the births
says which world a district is in. So the projection combines the two, the
way the forecast-combination literature advises (Bates & Granger 1969;
Timmermann 2006 on why equal weights are hard to beat when evidence is
thin): each stage's weight on the model comes from both methods' errors in
rolling-origin projections inside the fitted history (no data after its last
year), as Bates–Granger inverse-MSE weights. One series' record is short, so
the weights are pooled over the regions of the data set: the pooled weight
is shrunk toward ½ as if one more projection had scored the two equal, and a
region's own weight is shrunk toward the pooled one in proportion to how
short its record is.

The same track record sets the intervals (``forecast.intervals``): the
combined forecast's errors at earlier origins, by stage and lead, each
origin's combined with the weights the other origins give.

This module owns the combination; the models (``forecast.cohort``,
``forecast.stageflow``) know nothing of it. A model here is anything with
``last_year``, ``upto(year)``, ``stage_history()`` and ``fit()`` whose fit
has ``regions``, ``stages``, ``methods()`` (region, stage, method: how each
stage is projected) and ``project(horizon, paths, seed, ...) -> Projection``.
Only origins that projected a stage the way it is projected now count in
its record.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from forecast.errors import InputError
from forecast.intervals import calibrate, combined_errors
from forecast.projection import Projection

#: Leads scored in the track record: the plan closes the shortfall of the next
#: 2–3 years, and short histories hold little evidence beyond that.
TRACK_LEADS = 3
#: The fewest consecutive years a model fits on.
MIN_YEARS = 3
#: Only the most recent origins are scored: the record should describe the
#: model as it is now, not a decade-old regime or a model that had no births.
TRACK_ORIGINS = 10
#: A region's own weight counts its record against this many projections at
#: the pooled weight.
REGION_PRIOR = 4


class Model(Protocol):
    last_year: int

    def upto(self, year: int) -> "Model": ...

    def stage_history(self) -> pd.DataFrame: ...

    def fit(self) -> Any: ...


def track_record(model: Model, leads: int = TRACK_LEADS, max_origins: int = TRACK_ORIGINS) -> pd.DataFrame:
    """Rolling-origin projections inside the model's own history.

    For each of the last ``max_origins`` origins t with at least
    ``MIN_YEARS`` years up to it and a later year of data, the model is
    fitted on data up to t and projects up to ``leads`` years, never past
    the last year of data. An origin too short to fit is skipped.

    Returns
    -------
    DataFrame
        Columns region, stage, origin, year, lead, actual, model, persistence
        (persons; persistence is the origin year's stage total), method (how
        the model projected the stage from that origin, ``fit.methods()``).
    """
    hist = model.stage_history()
    actual = hist.set_index(["region", "stage", "year"]).students
    years = sorted(int(y) for y in hist.year.unique())
    last = model.last_year
    frames, methods = [], []
    for t in [y for y in years[MIN_YEARS - 1:] if y < last][-max_origins:]:
        h = min(leads, last - t)
        try:
            inner = model.upto(t).fit()
        except InputError:
            continue
        frames.append(inner.project(h, paths=0).by_stage()[["region", "stage", "year", "students"]].assign(origin=t))
        methods.append(inner.methods().assign(origin=t))
    cols = ["region", "stage", "origin", "year", "lead", "actual", "model", "persistence", "method"]
    if not frames:
        return pd.DataFrame(columns=cols)
    # the origins' projections at once: one merge and two lookups rather than one per origin
    fc = pd.concat(frames, ignore_index=True).merge(pd.concat(methods, ignore_index=True),
                                                    on=["region", "stage", "origin"], how="left")
    fc = fc.rename(columns={"students": "model"}).assign(lead=lambda d: d.year - d.origin)
    fc["actual"] = actual.reindex(pd.MultiIndex.from_frame(fc[["region", "stage", "year"]])).to_numpy()
    fc["persistence"] = actual.reindex(pd.MultiIndex.from_frame(fc[["region", "stage", "origin"]])).to_numpy()
    out = fc[cols]
    ok = (out.actual > 0) & (out.persistence > 0) & (out.model > 0)
    return out[ok].reset_index(drop=True)


def same_method(track: pd.DataFrame, methods: pd.DataFrame) -> pd.DataFrame:
    """The record of the model as it projects now: rows whose stage was
    projected the same way as in ``methods`` (region, stage, method), e.g.
    not a stage flow's entrants on their own trend from years before the
    stage below was published, when they now follow its graduates."""
    now = methods.set_index(["region", "stage"]).method
    keep = now.reindex(pd.MultiIndex.from_frame(track[["region", "stage"]])).to_numpy() == track.method.to_numpy()
    return track[keep].reset_index(drop=True)


@dataclass
class _Scores:
    """A track record as arrays for the weights (one entry per row): stage
    and region as indices into the weights' grid (−1 outside it), the
    projection (region × origin) and origin as codes, and the squared log
    errors of the model and of persistence. The weights are computed from
    these with bincounts: ``record_errors`` needs them once per origin left
    out, 2,850 times over for a country."""

    stage: np.ndarray
    region: np.ndarray
    projection: np.ndarray
    origin: np.ndarray
    sq_model: np.ndarray
    sq_persistence: np.ndarray
    R: int
    S: int

    @classmethod
    def of(cls, track: pd.DataFrame, stages: list[str], regions: list) -> "_Scores":
        stage = pd.Index(stages).get_indexer(track.stage)
        region = pd.Index(regions).get_indexer(track.region)
        r_all, o_all = pd.factorize(track.region)[0], pd.factorize(track.origin)[0]
        actual = track.actual.to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            sq_m = np.log(track.model.to_numpy(float) / actual) ** 2
            sq_p = np.log(track.persistence.to_numpy(float) / actual) ** 2
        return cls(stage, region, r_all * (o_all.max(initial=0) + 1) + o_all, track.origin.to_numpy(int), sq_m, sq_p,
                   len(regions), len(stages))

    def weights(self, keep: np.ndarray | None = None, prior: float = REGION_PRIOR) -> dict[str, np.ndarray]:
        """The weights from the rows in ``keep`` (all when None): n, mse_model,
        mse_persistence (region, stage), pooled and weight (region, stage)."""
        use = self.stage >= 0 if keep is None else (self.stage >= 0) & keep
        s, p = self.stage[use], self.projection[use]
        n_pool, mse_m, mse_p = _group_stats(s, p, self.sq_model[use], self.sq_persistence[use], self.S)
        n_pool = n_pool.astype(float)
        pooled = (n_pool * _bates_granger(mse_m, mse_p) + 0.5) / (n_pool + 1)
        own = use & (self.region >= 0)
        g = self.region[own] * self.S + self.stage[own]
        n, own_m, own_p = (a.reshape(self.R, self.S) for a in _group_stats(
            g, self.projection[own], self.sq_model[own], self.sq_persistence[own], self.R * self.S))
        pooled = np.broadcast_to(pooled, (self.R, self.S))
        weight = (n * _bates_granger(own_m, own_p) + prior * pooled) / (n + prior)
        return {"n": n, "mse_model": own_m, "mse_persistence": own_p, "pooled": pooled, "weight": weight}


def _group_stats(group: np.ndarray, projection: np.ndarray, sq_m: np.ndarray, sq_p: np.ndarray,
                 size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group code 0..size−1: projections scored (distinct projection
    codes), mean squared log error of the model and of persistence (nan for
    an empty group)."""
    span = projection.max(initial=0) + 1
    n = np.bincount(np.unique(group * span + projection) // span, minlength=size)
    count = np.bincount(group, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        return n, np.bincount(group, sq_m, size) / count, np.bincount(group, sq_p, size) / count


def _bates_granger(mse_model: np.ndarray, mse_persistence: np.ndarray) -> np.ndarray:
    """The Bates–Granger weight on the model, ``mse_persistence / (mse_model +
    mse_persistence)``; ½ where both are 0 or unknown."""
    total = mse_model + mse_persistence
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, mse_persistence / np.where(total > 0, total, 1.0), 0.5)


def combination_weights(track: pd.DataFrame, stages: list[str], regions: list | None = None,
                        prior: float = REGION_PRIOR) -> pd.DataFrame:
    """The model's weight against no change per region and stage.

    Pooled over regions, with ``n`` projections (region × origin) scored for
    a stage and mean squared log errors over their leads, the Bates–Granger
    weight ``bg = mse_persistence / (mse_model + mse_persistence)`` is shrunk
    toward ½: ``pooled = (n · bg + ½) / (n + 1)``. A region with ``n_r`` of
    those projections weighs its own ``bg_r`` against ``prior`` projections at
    the pooled weight: ``weight = (n_r · bg_r + prior · pooled) / (n_r + prior)``.

    Returns
    -------
    DataFrame
        Columns region, stage, n, mse_model, mse_persistence, pooled, weight
        (the model's share, 0–1).
    """
    regions = sorted(track.region.unique()) if regions is None else list(regions)
    w = _Scores.of(track, stages, regions).weights(prior=prior)
    grid = pd.MultiIndex.from_product([regions, stages], names=["region", "stage"]).to_frame(index=False)
    return grid.assign(n=w["n"].ravel().astype(int), mse_model=w["mse_model"].ravel(),
                       mse_persistence=w["mse_persistence"].ravel(), pooled=w["pooled"].ravel(),
                       weight=w["weight"].ravel())


def record_errors(track: pd.DataFrame, stages: list[str], regions: list) -> pd.DataFrame:
    """The combined forecast's errors in the record, each origin's with the
    weights the rest of the record gives (leave one origin out): weights
    fitted on an origin's own errors would make them look smaller than the
    next forecast's. Columns region, stage, origin, lead, error (log of
    actual over combined); rows by origin, in the record's order within one."""
    if track.empty:
        return combined_errors(track, track.iloc[:0])
    scores = _Scores.of(track, stages, list(regions))
    inside = (scores.stage >= 0) & (scores.region >= 0)
    w = np.full(len(track), 0.5)
    for o in np.unique(scores.origin):
        mine = scores.origin == o
        weight = scores.weights(keep=~mine)["weight"]
        pick = mine & inside
        w[pick] = weight[scores.region[pick], scores.stage[pick]]
    combined = w * track.model.to_numpy(float) + (1 - w) * track.persistence.to_numpy(float)
    order = np.argsort(scores.origin, kind="stable")
    out = track[["region", "stage", "origin", "lead"]].iloc[order].reset_index(drop=True)
    out["error"] = np.log(track.actual.to_numpy(float) / combined)[order]
    return out


def weight_array(weights: pd.DataFrame, regions: list, stages: list[str]) -> np.ndarray:
    """Weights as (regions, stages); ½ where a pair has none."""
    w = weights.set_index(["region", "stage"]).weight
    return np.array([[float(w.get((r, s), 0.5)) for s in stages] for r in regions])


def hedge(proj: Projection, weights: pd.DataFrame, seed: int = 0) -> Projection:
    """Combine every path with no change: ``w · model + (1 − w) · no change``
    unit by unit (grade or stage), ``w`` the stage's weight in the region.

    No change is the last year on the central path. On a Monte Carlo path it
    is the last year times a random walk of the stage total whose yearly
    steps are normal with the size of the history's year-on-year changes
    (1.4826 × their median absolute size, per stage, pooled over regions):
    the errors no change would have made, so that a path carries both
    methods' uncertainty. Pupils a scenario adds are carried apart and added
    whole.
    """
    stage_of = proj.stage_of_unit()
    w = weight_array(weights, proj.regions, proj.stages)[:, stage_of][None, :, :, None]    # (1, R, U, 1)
    added = 0.0 if proj.added is None else proj.added
    last = proj.hist[:, :, -1][None, :, :, None]
    still = np.broadcast_to(last, proj.values.shape).copy()
    paths, H = proj.values.shape[0] - 1, proj.values.shape[3]
    if paths:
        totals = proj.to_stages(proj.hist)                                  # (R, S, Y)
        with np.errstate(divide="ignore", invalid="ignore"):
            steps = np.abs(np.diff(np.log(totals), axis=2))
        size = np.array([1.4826 * np.median(v[np.isfinite(v)]) if np.isfinite(v).any() else 0.0
                         for v in np.moveaxis(steps, 1, 0).reshape(len(proj.stages), -1)])   # (S,)
        rng = np.random.default_rng(seed + 3)
        walk = np.cumsum(rng.standard_normal((paths, 1, len(proj.stages), H)) * size[None, None, :, None], axis=3)
        still[1:] = last * np.exp(walk[:, :, stage_of, :])
    values = w * (proj.values - added) + (1 - w) * still + added
    return Projection(proj.regions, proj.units, proj.grade_map, proj.hist_years, proj.hist, proj.years,
                      np.maximum(values, 0.0), proj.added, proj.unit)


@dataclass
class Combined:
    """A model's projection weighed against no change, with intervals from
    its own track record.

    fit : the model's fit at the origin.
    track : its rolling-origin record (``track_record``).
    weights : per region and stage (``combination_weights``).
    intervals : per stage and lead, what each interval rests on
        (``forecast.intervals.calibrate``): n errors, pool, k80, k95.
    projection : the combined, calibrated paths.
    """

    fit: Any
    track: pd.DataFrame
    weights: pd.DataFrame
    intervals: pd.DataFrame
    projection: Projection

    def pooled_weights(self) -> dict:
        """The pooled weight per stage."""
        return {s: round(float(w), 4) for s, w in self.weights.groupby("stage", sort=False).pooled.first().items()}

    def region_weights(self) -> dict:
        """{region: {stage: weight}}."""
        return {r: {s: round(float(w), 4) for s, w in zip(d.stage, d.weight)}
                for r, d in self.weights.groupby("region", sort=False)}


def combined_projection(model: Model, horizon: int, paths: int = 1000, seed: int = 0, **project) -> Combined:
    """Fit ``model``, score it on its own history, and project ``horizon``
    years weighed against no change with calibrated intervals. ``project``
    passes on to the fit's ``project`` (births, births_factor, …)."""
    fit = model.fit()
    track = same_method(track_record(model), fit.methods())
    weights = combination_weights(track, fit.stages, fit.regions)
    proj = hedge(fit.project(horizon, paths=paths, seed=seed, **project), weights, seed)
    errors = record_errors(track, fit.stages, fit.regions)
    proj, intervals = calibrate(proj, errors, seed=seed)
    return Combined(fit, track, weights, intervals, proj)

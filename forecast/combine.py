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
    frames = []
    for t in [y for y in years[MIN_YEARS - 1:] if y < last][-max_origins:]:
        h = min(leads, last - t)
        try:
            inner = model.upto(t).fit()
        except InputError:
            continue
        fc = inner.project(h, paths=0).by_stage()[["region", "stage", "year", "students"]]
        fc = fc.merge(inner.methods(), on=["region", "stage"], how="left")
        fc = fc.rename(columns={"students": "model"}).assign(origin=t, lead=lambda d: d.year - t)
        fc["actual"] = actual.reindex(pd.MultiIndex.from_frame(fc[["region", "stage", "year"]])).to_numpy()
        fc["persistence"] = actual.reindex(pd.MultiIndex.from_arrays(
            [fc.region, fc.stage, np.full(len(fc), t)])).to_numpy()
        frames.append(fc)
    cols = ["region", "stage", "origin", "year", "lead", "actual", "model", "persistence", "method"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)[cols]
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


def _bates_granger(d: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group of ``by``: n projections (region × origin), mse of the model
    and of persistence (on log errors) and the Bates–Granger weight. With
    numpy's bincount rather than a groupby: it runs five times per district
    (``record_errors``), 2,850 times over for a country."""
    codes, levels = zip(*(pd.factorize(d[c], sort=True) for c in by))
    shape = [len(u) for u in levels]
    groups, group = np.unique(np.ravel_multi_index(codes, shape), return_inverse=True)
    region, origin = pd.factorize(d.region)[0], pd.factorize(d.origin)[0]
    projection = region * (origin.max() + 1) + origin
    pairs = np.unique(group * (projection.max() + 1) + projection)
    count = np.bincount(group, minlength=len(groups))
    out = pd.DataFrame({
        "n": np.bincount(pairs // (projection.max() + 1), minlength=len(groups)),
        "mse_model": np.bincount(group, np.log(d.model.to_numpy(float) / d.actual.to_numpy(float)) ** 2) / count,
        "mse_persistence": np.bincount(group, np.log(d.persistence.to_numpy(float) / d.actual.to_numpy(float)) ** 2)
        / count},
        index=pd.MultiIndex.from_arrays([u[k] for u, k in zip(levels, np.unravel_index(groups, shape))], names=by)
        if len(by) > 1 else pd.Index(levels[0][groups], name=by[0]))
    total = out.mse_model + out.mse_persistence
    out["bg"] = np.where(total > 0, out.mse_persistence / total.where(total > 0, 1.0), 0.5)
    return out


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
    grid = pd.MultiIndex.from_product([regions, stages], names=["region", "stage"])
    d = track[track.stage.isin(stages)]
    if d.empty:
        pooled = pd.DataFrame({"n": 0, "bg": 0.5}, index=pd.Index(stages, name="stage"))
        own = pd.DataFrame({"n": 0, "mse_model": np.nan, "mse_persistence": np.nan, "bg": 0.5}, index=grid)
    else:
        pooled = _bates_granger(d, ["stage"]).reindex(stages).fillna({"n": 0, "bg": 0.5})
        own = _bates_granger(d, ["region", "stage"]).reindex(grid).fillna({"n": 0, "bg": 0.5})
    out = own.reset_index()
    n_pool = pooled.n.reindex(out.stage).to_numpy(float)
    out["pooled"] = (n_pool * pooled.bg.reindex(out.stage).to_numpy(float) + 0.5) / (n_pool + 1)
    out["n"] = out.n.astype(int)
    out["weight"] = (out.n * out.bg + prior * out.pooled) / (out.n + prior)
    return out[["region", "stage", "n", "mse_model", "mse_persistence", "pooled", "weight"]]


def record_errors(track: pd.DataFrame, stages: list[str], regions: list) -> pd.DataFrame:
    """The combined forecast's errors in the record, each origin's with the
    weights the rest of the record gives (leave one origin out): weights
    fitted on an origin's own errors would make them look smaller than the
    next forecast's. Columns region, stage, origin, lead, error (log of
    actual over combined)."""
    frames = [combined_errors(track[track.origin == o],
                              combination_weights(track[track.origin != o], stages, regions))
              for o in sorted(track.origin.unique())]
    return pd.concat(frames, ignore_index=True) if frames else combined_errors(track, track.iloc[:0])


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

"""Births beyond the data: ETS models chosen by AICc, with simulated paths.

Follows statsmodels' pattern: ``BirthsModel(...).fit()`` returns a
``BirthsForecast`` whose tables keep region and year labels.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecast.wide import wide_table

#: Candidate specifications, fitted on log births: (trend, damped).
CANDIDATES = (("add", True), (None, False), ("add", False))


@dataclass
class _RegionFit:
    spec: tuple
    aicc: float
    result: object  # statsmodels ETSResults


class BirthsModel:
    """Per-region ETS model of log births.

    Parameters
    ----------
    births : DataFrame
        Columns region, year, births (persons); consecutive years per region.
    """

    def __init__(self, births: pd.DataFrame):
        self.births = births.sort_values(["region", "year"])

    def fit(self) -> "BirthsForecast":
        fits: dict[str, _RegionFit] = {}
        for region, grp in self.births.groupby("region", sort=True):
            y = pd.Series(np.log(grp["births"].to_numpy(float)), index=grp["year"].to_numpy())
            fits[region] = _best_fit(y)
        last = self.births.groupby("region")["year"].max()
        return BirthsForecast(fits, last, self.births)


def _best_fit(y: pd.Series) -> _RegionFit:
    best = None
    # a short index of integer years: ETSModel works on the values alone
    values = y.to_numpy()
    for trend, damped in CANDIDATES:
        if trend is not None and len(values) < 8:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ETSModel(values, error="add", trend=trend, damped_trend=damped).fit(disp=False)
        if best is None or res.aicc < best.aicc:
            best = _RegionFit((trend, damped), float(res.aicc), res)
    return best


class BirthsForecast:
    """Fitted births models: point forecasts, intervals and simulated paths."""

    def __init__(self, fits: dict[str, _RegionFit], last_year: pd.Series, history: pd.DataFrame):
        self.fits = fits
        self.last_year = last_year
        self.history = history

    def specs(self) -> pd.DataFrame:
        """Chosen model per region: columns region, trend, damped, aicc."""
        return pd.DataFrame(
            [(r, f.spec[0] or "none", f.spec[1], f.aicc) for r, f in self.fits.items()],
            columns=["region", "trend", "damped", "aicc"],
        )

    def simulate(self, last_year: int, paths: int, seed: int) -> np.ndarray:
        """Births paths, shape (paths, regions, years) for each region's first
        missing year up to ``last_year``; regions in sorted order, persons."""
        rng = np.random.default_rng(seed)
        regions = sorted(self.fits)
        first = int(self.last_year.min()) + 1
        years = np.arange(first, last_year + 1)
        out = np.empty((paths, len(regions), len(years)))
        for i, region in enumerate(regions):
            fit = self.fits[region].result
            steps = last_year - int(self.last_year[region])
            sigma = np.sqrt(fit.mse)
            # innovations drawn here (not by statsmodels) so that one seed fixes all
            eps = rng.normal(0.0, sigma, size=(steps, paths)) if steps > 0 else np.zeros((0, paths))
            if steps > 0:
                sim = fit.simulate(steps, repetitions=paths, anchor="end", random_errors=eps)
                sim = np.exp(np.asarray(sim).reshape(steps, paths)).T
            else:
                sim = np.empty((paths, 0))
            known = self.history[self.history.region == region].set_index("year")["births"]
            for j, y in enumerate(years):
                out[:, i, j] = known[y] if y in known.index else sim[:, y - int(self.last_year[region]) - 1]
        return out

    def point(self, last_year: int) -> pd.DataFrame:
        """Central forecast (median of the log model): columns region, year, births."""
        rows = []
        for region, f in self.fits.items():
            steps = last_year - int(self.last_year[region])
            if steps <= 0:
                continue
            fc = np.exp(np.asarray(f.result.forecast(steps)))
            start = int(self.last_year[region]) + 1
            rows += [(region, start + k, float(v)) for k, v in enumerate(fc)]
        return pd.DataFrame(rows, columns=["region", "year", "births"])


def birth_paths(history: pd.DataFrame, regions: list, birth_years, paths: int, seed: int,
                forecast: BirthsForecast | None = None, factor: float | pd.Series = 1.0,
                variant: str = "central") -> np.ndarray:
    """Births of the given birth years along every path, shape (1 + paths,
    regions, years), persons: observed where every region has the year,
    else forecast (fitted on ``history`` unless ``forecast`` is given).

    Path 0 is the central path: the forecast's median, or with ``variant``
    "low"/"high" its 10th/90th percentile over the simulated paths.
    ``factor`` scales forecast (not observed) births, per year if a Series
    indexed by year. Simulated births use ``seed + 1``.
    """
    from forecast.errors import InputError

    if variant not in ("central", "low", "high"):
        raise InputError(f"births variant '{variant}' is not central, low or high")
    birth_years = [int(y) for y in birth_years]
    R = len(regions)
    hist = history[history.region.isin(regions)]
    known = wide_table(hist, "region", "year", "births").reindex(regions)
    out = np.empty((paths + 1, R, len(birth_years)))
    observed = [y for y in birth_years if y in known.columns and not known[y].isna().any()]
    need = [y for y in birth_years if y not in observed]
    if need:
        bm = forecast or BirthsModel(hist).fit()
        last = max(need)
        sim = bm.simulate(last, paths, seed + 1)                   # (P, R, Yb)
        sim_years = np.arange(int(bm.last_year.min()) + 1, last + 1)
        if variant == "central":
            pt = wide_table(bm.point(last), "region", "year", "births").reindex(regions)
        else:
            q = np.quantile(sim, 0.1 if variant == "low" else 0.9, axis=0)
            pt = pd.DataFrame(q, index=regions, columns=sim_years)
    for j, y in enumerate(birth_years):
        if y in observed:
            out[:, :, j] = known[y].to_numpy(float)
            continue
        f = factor if np.isscalar(factor) else float(factor.get(y, 1.0))
        out[0, :, j] = pt[y].to_numpy(float) * f
        out[1:, :, j] = sim[:, :, int(np.searchsorted(sim_years, y))] * f
    return out

"""Weekly demand forecasts with intervals, coherent across a hierarchy.

The point forecast of a series is the mean of three forecasts: last year's same weeks
scaled by how the last quarter compares with the same quarter a year before, last year's
same weeks as they were (seasonal naive) and the library's AutoETS (statsforecast,
without a seasonal state: a 52-week state is slow and needs years of data). Sparse
series (many weeks without a sale) get the library's IMAPA, an intermittent-demand model,
instead. Series with less than a year and a quarter of history get AutoETS alone.

The hierarchy (total, categories, segments, category x segment) is made coherent by MinT
with a diagonal covariance (each series weighted by its own error variance). Intervals
are conformal: the errors of the same procedure on earlier origins, scaled by each
series' typical weekly change and by the square root of the horizon, pooled per group of
series (the hierarchy, the products), give the quantiles added to the point forecast.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shopperlens._params import Interval, check_params
from shopperlens.errors import ConfigError, NotFittedError

SEASON = 52  # weeks in a year
RECENT = 13  # weeks of the level ratio (a quarter)
SPARSE_SHARE = 0.3  # share of weeks without a sale from which a series is intermittent


def library_missing() -> str | None:
    """Why the forecasting library cannot be used, or ``None`` when it can."""
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        return ("demand forecasts need the forecasting library: "
                "pip install 'shopperlens[forecast]'")
    return None


def _statsforecast(models: list[Any], y: np.ndarray, h: int) -> np.ndarray:
    """Each model's ``h``-step forecasts of the rows of ``y`` (weekly), one array each."""
    from statsforecast import StatsForecast

    n, t = y.shape
    frame = pd.DataFrame({
        "unique_id": np.repeat(np.arange(n), t),
        "ds": np.tile(np.arange(t), n),
        "y": y.ravel().astype(float),
    })
    out = StatsForecast(models=models, freq=1, n_jobs=1).forecast(df=frame, h=h)
    out = out.sort_values(["unique_id", "ds"])
    return np.stack([out[str(m)].to_numpy().reshape(n, h) for m in models])


def seasonal_naive(y: np.ndarray, h: int) -> np.ndarray:
    """Last year's same weeks (the last value repeated where there is no year yet)."""
    t = y.shape[1]
    if t < SEASON:
        return np.repeat(y[:, -1:], h, axis=1)
    steps = np.arange(h) % SEASON
    return y[:, t - SEASON + steps]


def scaled_seasonal_naive(y: np.ndarray, h: int) -> np.ndarray:
    """Last year's same weeks times the ratio of the last quarter to the same quarter a
    year before (1 where that quarter sold nothing)."""
    t = y.shape[1]
    now = y[:, t - RECENT:].sum(axis=1)
    then = y[:, t - SEASON - RECENT:t - SEASON].sum(axis=1)
    ratio = np.divide(now, then, out=np.ones_like(now, dtype=float), where=then > 0)
    return seasonal_naive(y, h) * ratio[:, None]


def base_forecasts(y: np.ndarray, h: int) -> np.ndarray:
    """Each row's ``h``-week forecast (n x h), before reconciliation; never below 0."""
    from statsforecast.models import IMAPA, AutoETS

    ets, imapa = _statsforecast([AutoETS(season_length=1), IMAPA()], y, h)
    t = y.shape[1]
    out = ets
    if t >= SEASON + RECENT:
        out = (ets + seasonal_naive(y, h) + scaled_seasonal_naive(y, h)) / 3
    sparse = (y == 0).mean(axis=1) >= SPARSE_SHARE
    out[sparse] = imapa[sparse]
    return np.clip(np.nan_to_num(out), 0, None)


def reconcile(forecasts: np.ndarray, summing: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """MinT with a diagonal covariance: forecasts of all series (rows ordered as
    ``summing``'s, which maps bottom series to every series) made to add up.

    >>> s = np.array([[1., 1.], [1., 0.], [0., 1.]])
    >>> reconcile(np.array([[10.], [4.], [4.]]), s, np.ones(3)).ravel().round(2)
    array([9.33, 4.67, 4.67])
    """
    weights = 1.0 / np.maximum(variances, 1e-9)
    gram = summing.T @ (summing * weights[:, None])
    bottom = np.linalg.solve(gram, summing.T @ (forecasts * weights[:, None]))
    return summing @ bottom


def typical_change(y: np.ndarray) -> np.ndarray:
    """Each row's mean absolute weekly change (its mean level, or 1, when flat)."""
    change = np.abs(np.diff(y, axis=1)).mean(axis=1) if y.shape[1] > 1 else np.zeros(len(y))
    level = np.abs(y).mean(axis=1)
    return np.where(change > 0, change, np.where(level > 0, level, 1.0))


class DemandForecaster:
    """Weekly forecasts of many series, coherent across a hierarchy, with intervals.

    Parameters
    ----------
    horizon : weeks to forecast.
    levels : the intervals' coverages, in percent.
    windows : earlier origins whose errors calibrate the intervals and the weights.

    ``fit(y, summing, groups)``: ``y`` is (series x weeks), oldest week first, every
    week present (0 where nothing sold); ``summing`` maps the bottom series of the
    hierarchy to its first ``len(summing)`` rows (the rows after them are forecast on
    their own); ``groups`` names each row's pool of interval errors.
    """

    _constraints = {"horizon": Interval(int, 1, 104), "windows": Interval(int, 1, 52)}

    def __init__(self, horizon: int = 8, levels: tuple[int, ...] = (80, 95),
                 windows: int = 10) -> None:
        self.horizon, self.levels, self.windows = horizon, levels, windows

    def fit(self, y: np.ndarray, summing: np.ndarray | None = None,
            groups: np.ndarray | None = None) -> DemandForecaster:
        check_params(self, self._constraints, vars(self))
        if any(not 0 < level < 100 for level in self.levels):
            raise ConfigError(f"DemandForecaster got levels={self.levels!r}; expected "
                              "coverages in percent, between 0 and 100.")
        y = np.asarray(y, dtype=float)
        self.summing_ = np.zeros((0, 0)) if summing is None else np.asarray(summing, float)
        self.groups_ = np.zeros(len(y), int) if groups is None else np.asarray(groups)
        errors, variances = self._calibrate(y)
        self.mean_ = self._coherent(y, variances)
        self.scale_ = typical_change(y)
        steps = np.sqrt(np.arange(1, self.horizon + 1))
        self.bounds_: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for level in self.levels:
            lo, hi = _pooled_quantiles(errors, self.groups_, level)
            width = self.scale_[:, None] * steps[None, :]
            self.bounds_[level] = (np.clip(self.mean_ + lo[:, None] * width, 0, None),
                                   np.clip(self.mean_ + hi[:, None] * width, 0, None))
        return self

    def _coherent(self, y: np.ndarray, variances: np.ndarray) -> np.ndarray:
        forecasts = base_forecasts(y, self.horizon)
        k = len(self.summing_)
        if k:
            forecasts[:k] = reconcile(forecasts[:k], self.summing_, variances[:k])
        return np.clip(forecasts, 0, None)

    def _calibrate(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scaled errors (series x windows x horizon) of the same procedure on earlier
        origins, and each series' error variance for the reconciliation weights."""
        h, t = self.horizon, y.shape[1]
        step = max(1, h // 2)
        origins = [o for o in (t - h - step * i for i in range(self.windows)) if o >= 8]
        if not origins:
            raise ConfigError(f"DemandForecaster needs at least {8 + h} weeks of history "
                              f"to forecast {h} weeks; got {t}.")
        base = [base_forecasts(y[:, :o], h) for o in origins]
        variances = np.mean([np.mean((b - y[:, o:o + h]) ** 2, axis=1)
                             for b, o in zip(base, origins, strict=True)], axis=0)
        k, steps = len(self.summing_), np.sqrt(np.arange(1, h + 1))[None, :]
        scaled = []
        for mean, o in zip(base, origins, strict=True):
            if k:
                mean[:k] = reconcile(mean[:k], self.summing_, variances[:k])
            err = (y[:, o:o + h] - np.clip(mean, 0, None)) / typical_change(y[:, :o])[:, None]
            scaled.append(err / steps)
        return np.stack(scaled, axis=1), variances

    def predict(self) -> dict[str, np.ndarray]:
        """``mean`` and ``lo<level>``/``hi<level>`` arrays (series x horizon)."""
        if not hasattr(self, "mean_"):
            raise NotFittedError("DemandForecaster is not fitted yet: call fit first.")
        out = {"mean": self.mean_}
        for level, (lo, hi) in self.bounds_.items():
            out[f"lo{level}"], out[f"hi{level}"] = lo, hi
        return out


def _pooled_quantiles(errors: np.ndarray, groups: np.ndarray,
                      level: int) -> tuple[np.ndarray, np.ndarray]:
    """Per series, the lower and upper error quantiles of its group for ``level``%."""
    alpha = (1 - level / 100) / 2
    lo, hi = np.zeros(len(groups)), np.zeros(len(groups))
    for group in np.unique(groups):
        rows = groups == group
        pooled = errors[rows].ravel()
        lo[rows], hi[rows] = np.quantile(pooled, [alpha, 1 - alpha])
    return lo, hi

"""Weekly or daily demand forecasts with intervals, coherent across a hierarchy.

The point forecast of a series is the mean of three forecasts (for days, a weighted one:
:data:`DAILY`): last year's same periods scaled by how the last quarter compares with
the same quarter a year before, last year's same periods as they were (seasonal naive:
52 weeks, or 364 days, the same weekday) and the library's AutoETS (statsforecast,
without a seasonal state: a 52-week state is slow and needs years of data; for days,
fitted on the last half year divided by each weekday's share of that half year, which
multiplies its forecast again: a 7-day state costs seven times more). Sparse series
(many periods without a sale) get the library's IMAPA, an intermittent-demand model.
Series with less than a year and a quarter of history get AutoETS alone.

Calendar events known ahead (holidays, shop-wide promotions: one regressor each, the
share of a period's days they cover) enter as a multiplicative adjustment: each series'
effect of each event is the mean log ratio of its sales in event periods to the sales of
the nearest periods without events (same weekday for days), shrunk towards no effect
when there are few event periods; the history is divided by it, forecast, and the future
multiplied by it again. This handles events that move in the calendar (Easter,
Thanksgiving's week), which last year's same periods do not.

The hierarchy (total, categories, segments, category x segment) is made coherent by MinT
with a diagonal covariance (each series weighted by its own error variance). Intervals
are conformal, per step ahead: the errors of the same procedure on earlier origins
(``windows`` of them, four weeks apart when the history has room), scaled by each
series' typical change from one period to the next, pooled per group of series (the
hierarchy, the products) and per step ahead (with the nearest steps when a group has few
errors), give the quantile of absolute errors added to and taken from the point
forecast. That is the rule of statsforecast's
``ConformalIntervals(method="conformal_error")``, which cannot serve here: it
cross-validates each of the library's models alone, not the combined, calendar-adjusted
and reconciled forecast these windows already score. Errors do not grow with the square
root of the horizon: a day's error is nearly the same 1 or 14 days ahead, while a week's
grows; each step's quantile is read from its own errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shopperlens._params import Interval, check_params
from shopperlens.errors import ConfigError, NotFittedError

SEASON = 52  # weeks in a year
RECENT = 13  # weeks of the level ratio (a quarter)
SPARSE_SHARE = 0.3  # share of periods without a sale from which a series is intermittent
SHRINK = 4.0  # event periods that weigh as much as the prior "no effect"
POOL = 100  # fewest calibration errors behind an interval's quantile (5 beyond the 95%)
SPACING = 28  # days between calibration origins when the history has room


@dataclass(frozen=True)
class Frequency:
    """The periods of a series: their name, their length in days, a year and a quarter in
    periods, the short cycle AutoETS models (1: none), and the fewest periods a
    calibration origin needs."""

    name: str
    days: int
    season: int
    recent: int
    cycle: int
    min_history: int
    fit_window: int | None = None  # the last periods AutoETS fits (None: all)
    # weights of AutoETS, seasonal naive and scaled seasonal naive in the point forecast
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0)


WEEKLY = Frequency("week", 7, SEASON, RECENT, 1, 8)
# a year back: the same weekday; AutoETS on the last half year without the weekday's
# rhythm (a 7-day seasonal state costs 7 times more), the rhythm put back after; a single
# day a year ago is noisy: two parts AutoETS to one of the scaled seasonal naive
# (bench/demand.py: better than the mean of three on the demo's days and on daily
# bike rentals)
DAILY = Frequency("day", 1, 7 * SEASON, 7 * RECENT, 7, 56, fit_window=26 * 7,
                  weights=(2.0, 0.0, 1.0))
FREQUENCIES = {f.name: f for f in (WEEKLY, DAILY)}


def library_missing() -> str | None:
    """Why the forecasting library cannot be used, or ``None`` when it can."""
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        return ("demand forecasts need the forecasting library: "
                "pip install 'shopperlens[forecast]'")
    return None


def _statsforecast(models: list[Any], y: np.ndarray, h: int) -> np.ndarray:
    """Each model's ``h``-step forecasts of the rows of ``y`` (regular periods), one array
    each."""
    from statsforecast import StatsForecast

    n, t = y.shape
    frame = pd.DataFrame({
        "unique_id": np.repeat(np.arange(n), t),
        "ds": np.tile(np.arange(t), n),
        "y": y.ravel().astype(float),
    })
    # AutoETS divides by its degrees of freedom left, 0 for its largest models on a short
    # history: numpy warns, the model is scored infinite and not chosen, as it should be
    with np.errstate(divide="ignore", invalid="ignore"):
        out = StatsForecast(models=models, freq=1, n_jobs=1).forecast(df=frame, h=h)
    out = out.sort_values(["unique_id", "ds"])
    return np.stack([out[str(m)].to_numpy().reshape(n, h) for m in models])


def seasonal_naive(y: np.ndarray, h: int, season: int = SEASON) -> np.ndarray:
    """Last year's same periods (the last value repeated where there is no year yet)."""
    t = y.shape[1]
    if t < season:
        return np.repeat(y[:, -1:], h, axis=1)
    steps = np.arange(h) % season
    return y[:, t - season + steps]


def scaled_seasonal_naive(y: np.ndarray, h: int, season: int = SEASON,
                          recent: int = RECENT) -> np.ndarray:
    """Last year's same periods times the ratio of the last quarter to the same quarter a
    year before (1 where that quarter sold nothing)."""
    t = y.shape[1]
    now = y[:, t - recent:].sum(axis=1)
    then = y[:, t - season - recent:t - season].sum(axis=1)
    ratio = np.divide(now, then, out=np.ones_like(now, dtype=float), where=then > 0)
    return seasonal_naive(y, h, season) * ratio[:, None]


def base_forecasts(y: np.ndarray, h: int, freq: Frequency = WEEKLY) -> np.ndarray:
    """Each row's ``h``-period forecast (n x h), before reconciliation; never below 0."""
    from statsforecast.models import IMAPA

    t = y.shape[1]
    sparse = (y == 0).mean(axis=1) >= SPARSE_SHARE
    out = np.zeros((len(y), h))
    if sparse.any():
        out[sparse] = _statsforecast([IMAPA()], y[sparse], h)[0]
    dense = ~sparse
    if dense.any():  # AutoETS only where it is used: it costs 100 times IMAPA
        ets = _smooth(y[dense], h, freq)
        if t >= freq.season + freq.recent:
            parts = (ets, seasonal_naive(y[dense], h, freq.season),
                     scaled_seasonal_naive(y[dense], h, freq.season, freq.recent))
            ets = np.tensordot(np.asarray(freq.weights), np.stack(parts), axes=1) / sum(
                freq.weights)
        out[dense] = ets
    return np.clip(np.nan_to_num(out), 0, None)


def _smooth(y: np.ndarray, h: int, freq: Frequency) -> np.ndarray:
    """AutoETS without a seasonal state, on the last ``fit_window`` periods divided by
    the cycle's profile (the weekday's), which multiplies the forecast again."""
    from statsforecast.models import AutoETS

    t = y.shape[1]
    recent = y[:, -freq.fit_window:] if freq.fit_window else y
    profile = cycle_profile(recent, freq.cycle, t, recent.shape[1] // freq.cycle)
    past = profile[:, (t - recent.shape[1] + np.arange(recent.shape[1])) % freq.cycle]
    flat = np.divide(recent, past, out=np.zeros_like(recent), where=past > 0)
    ets = _statsforecast([AutoETS(season_length=1)], flat, h)[0]
    return ets * profile[:, (t + np.arange(h)) % freq.cycle]


def cycle_profile(y: np.ndarray, cycle: int, end: int, cycles: int = 26) -> np.ndarray:
    """Each row's level per position of the cycle (the weekday: period index modulo
    ``cycle``, ``y`` ending before period ``end``) over its last ``cycles`` cycles,
    relative to its mean (1 where it sold nothing; all 1 when ``cycle`` is 1).

    >>> cycle_profile(np.array([[1., 3, 1, 3]]), 2, 4)
    array([[0.5, 1.5]])
    """
    n = min(y.shape[1] // cycle, cycles) * cycle
    if cycle == 1 or n == 0:
        return np.ones((len(y), cycle))
    where = (end - n + np.arange(n)) % cycle
    means = np.stack([y[:, -n:][:, where == k].mean(axis=1) for k in range(cycle)], axis=1)
    overall = means.mean(axis=1, keepdims=True)
    return np.divide(means, overall, out=np.ones_like(means), where=overall > 0)


def event_effects(y: np.ndarray, events: np.ndarray, cycle: int = 1) -> np.ndarray:
    """Each series' log effect of each event (n x k): the mean log ratio of its sales in
    the periods an event covers to the mean of the nearest two periods on each side
    without any event (``cycle`` apart: the same weekday for days), weighted by how much
    of the period the event covers, shrunk towards 0 by :data:`SHRINK` periods.

    ``events`` is (periods x k), each a share of the period's days (0 to 1).

    >>> y = np.array([[10., 10, 20, 10, 10, 10, 20, 10, 10]])
    >>> x = np.array([[0.], [0], [1], [0], [0], [0], [1], [0], [0]])
    >>> np.exp(event_effects(y, x)).round(2)  # twice 21/11 = 1.91, shrunk by 2 / (2 + 4)
    array([[1.24]])
    """
    t, k = events.shape[0], events.shape[1]
    quiet = events.sum(axis=1) == 0
    logy = np.log1p(np.clip(y, 0, None))
    base = np.full(y.shape, np.nan)
    for i in range(t):
        near = [j for d in (1, 2, 3, 4) for j in (i - d * cycle, i + d * cycle)
                if 0 <= j < t and quiet[j]][:4]
        if near and not quiet[i]:
            base[:, i] = logy[:, near].mean(axis=1)
    effects = np.zeros((len(y), k))
    for j in range(k):
        w = np.where(np.isnan(base[0]), 0.0, events[:, j])
        ratio = np.nan_to_num(logy - base) * w[None, :]
        effects[:, j] = ratio.sum(axis=1) / (w.sum() + SHRINK)
    return effects


def _adjust(y: np.ndarray, events: np.ndarray | None, freq: Frequency, h: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """The history without the events' effects, and each future period's factor (n x h)."""
    t = y.shape[1]
    if events is None or not events[:t].any():
        return y, np.ones((len(y), h))
    effects = event_effects(y, events[:t], freq.cycle)
    past = np.exp(effects @ events[:t].T)
    future = np.exp(effects @ events[t:t + h].T)
    return y / past, future


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
    """Weekly or daily forecasts of many series, coherent across a hierarchy, with
    intervals.

    Parameters
    ----------
    horizon : periods to forecast.
    levels : the intervals' coverages, in percent.
    windows : earlier origins whose errors calibrate the intervals and the weights (half
        a horizon apart, or four weeks when the history has room for all of them).
    frequency : ``"week"`` or ``"day"``.

    ``fit(y, summing, groups, events)``: ``y`` is (series x periods), oldest first, every
    period present (0 where nothing sold); ``summing`` maps the bottom series of the
    hierarchy to its first ``len(summing)`` rows (the rows after them are forecast on
    their own); ``groups`` names each row's pool of interval errors; ``events``, when
    given, is (periods + horizon x k): the calendar's regressors over the history and
    the horizon (see the module's docstring).
    """

    _constraints = {"horizon": Interval(int, 1, 366), "windows": Interval(int, 1, 52)}

    def __init__(self, horizon: int = 8, levels: tuple[int, ...] = (80, 95),
                 windows: int = 10, frequency: str = "week") -> None:
        self.horizon, self.levels, self.windows = horizon, levels, windows
        self.frequency = frequency

    def fit(self, y: np.ndarray, summing: np.ndarray | None = None,
            groups: np.ndarray | None = None,
            events: np.ndarray | None = None) -> DemandForecaster:
        check_params(self, self._constraints, vars(self))
        if any(not 0 < level < 100 for level in self.levels):
            raise ConfigError(f"DemandForecaster got levels={self.levels!r}; expected "
                              "coverages in percent, between 0 and 100.")
        if self.frequency not in FREQUENCIES:
            raise ConfigError(f"DemandForecaster got frequency={self.frequency!r}; "
                              f"expected one of {sorted(FREQUENCIES)}.")
        y = np.asarray(y, dtype=float)
        self._freq = FREQUENCIES[self.frequency]
        self._events = None if events is None else np.asarray(events, float)
        if self._events is not None and len(self._events) < y.shape[1] + self.horizon:
            raise ConfigError(f"DemandForecaster got events for {len(self._events)} "
                              f"periods; expected the history and the horizon, "
                              f"{y.shape[1] + self.horizon}.")
        self.summing_ = np.zeros((0, 0)) if summing is None else np.asarray(summing, float)
        self.groups_ = np.zeros(len(y), int) if groups is None else np.asarray(groups)
        errors, variances = self._calibrate(y)
        self.mean_ = self._coherent(y, variances)
        self.scale_ = typical_change(y)
        self.bounds_: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for level in self.levels:
            width = horizon_quantiles(errors, self.groups_, level) * self.scale_[:, None]
            self.bounds_[level] = (np.clip(self.mean_ - width, 0, None),
                                   np.clip(self.mean_ + width, 0, None))
        return self

    def _base(self, y: np.ndarray) -> np.ndarray:
        """The base forecasts after the history ``y``, the calendar's effects included."""
        adjusted, factor = _adjust(y, self._events, self._freq, self.horizon)
        return base_forecasts(adjusted, self.horizon, self._freq) * factor

    def _coherent(self, y: np.ndarray, variances: np.ndarray) -> np.ndarray:
        forecasts = self._base(y)
        k = len(self.summing_)
        if k:
            forecasts[:k] = reconcile(forecasts[:k], self.summing_, variances[:k])
        return np.clip(forecasts, 0, None)

    def _calibrate(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scaled errors (series x windows x horizon) of the same procedure on earlier
        origins, and each series' error variance for the reconciliation weights.

        The origins are :data:`SPACING` days apart when the history holds every window
        that far apart (half a horizon when that is longer; closer when the history is
        short): days' windows then span as much of the calendar as weeks' (10 windows,
        half of 8 weeks apart: 9 months), not the 11 weeks of half of 14 days apart."""
        h, t, least = self.horizon, y.shape[1], self._freq.min_history
        room = (t - h - least) // max(1, self.windows - 1)
        step = max(1, h // 2, min(SPACING // self._freq.days, room))
        origins = [o for o in (t - h - step * i for i in range(self.windows)) if o >= least]
        if not origins:
            raise ConfigError(f"DemandForecaster needs at least {least + h} "
                              f"{self._freq.name}s of history to forecast {h}; got {t}.")
        base = [self._base(y[:, :o]) for o in origins]
        variances = np.mean([np.mean((b - y[:, o:o + h]) ** 2, axis=1)
                             for b, o in zip(base, origins, strict=True)], axis=0)
        k = len(self.summing_)
        scaled = []
        for mean, o in zip(base, origins, strict=True):
            if k:
                mean[:k] = reconcile(mean[:k], self.summing_, variances[:k])
            err = (y[:, o:o + h] - np.clip(mean, 0, None)) / typical_change(y[:, :o])[:, None]
            scaled.append(err)
        return np.stack(scaled, axis=1), variances

    def predict(self) -> dict[str, np.ndarray]:
        """``mean`` and ``lo<level>``/``hi<level>`` arrays (series x horizon)."""
        if not hasattr(self, "mean_"):
            raise NotFittedError("DemandForecaster is not fitted yet: call fit first.")
        out = {"mean": self.mean_}
        for level, (lo, hi) in self.bounds_.items():
            out[f"lo{level}"], out[f"hi{level}"] = lo, hi
        return out


def horizon_quantiles(errors: np.ndarray, groups: np.ndarray, level: float) -> np.ndarray:
    """Per series and step ahead (series x horizon), the conformal ``level``% quantile of
    its group's absolute scaled errors at that step (``errors``: series x windows x
    horizon), pooled with as many steps on each side (fewer at the ends, more on the other
    side) as make :data:`POOL` errors.

    The quantile of ``n`` errors is their ``ceil((n + 1) * level / 100)``-th smallest
    (the largest when there are too few): the finite-sample rule of split conformal.

    >>> e = np.arange(1.0, 101).reshape(1, 50, 2)  # step 1: odd errors, step 2: even
    >>> horizon_quantiles(e, np.zeros(1), 80).astype(int).tolist()  # one pool: the 81st
    [[81, 81]]
    >>> two = np.concatenate([e, e])  # two series: 100 errors a step, a pool per step
    >>> horizon_quantiles(two, np.zeros(2), 80).astype(int).tolist()
    [[81, 82], [81, 82]]
    """
    n, windows, h = errors.shape
    out = np.zeros((n, h))
    for group in np.unique(groups):
        rows = groups == group
        size = rows.sum() * windows  # errors per step
        width = min(h, -(-POOL // size) // 2 * 2 + 1)  # steps per pool: j and its nearest
        absolute = np.abs(errors[rows])
        for j in range(h):
            first = min(max(0, j - (width - 1) // 2), h - width)
            pool = absolute[:, :, first:first + width].ravel()
            rank = min(len(pool), math.ceil((len(pool) + 1) * level / 100)) - 1
            out[rows, j] = np.partition(pool, rank)[rank]
    return out

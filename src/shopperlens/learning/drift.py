"""Drift of the customers' features between two runs, with the cohort's ageing apart.

Between two cutoffs ``days`` apart, everyone's ``recency_days`` and ``tenure_days`` grow
by ``days`` unless they buy (or arrive): the plain ageing of the cohort. A retailer
whose customers renew keeps these distributions where they were; a closed cohort
(CDNOW's customers all arrived in one quarter) shifts them by ``days``, but for those
who bought again, whose recency restarts between 0 and ``days``. Real retailers mix the
three, in shares that are theirs, so an ageing feature is compared with the closest mix
(shares by tenths) of the previous distribution *as it was*, *aged* by ``days``, and
*fresh* (even between 0 and ``days``); the share of the mix that only aged is reported.
``spend_trend`` (the last half-year's spend against the one before) means the same only
for customers of at least a year (:data:`MATURE`): it is compared on them alone, and
raises no alarm when either run has fewer than :data:`MIN_CUSTOMERS` of them (a young
cohort's trend is 1 by construction). Other features are compared as they are.

PSI (population stability index) on ten quantile bins of the earlier distribution, a bin
for missing values, proportions floored at 1e-4; the usual reading: below 0.1 stable,
0.1 to 0.25 moderate, above 0.25 a significant shift (:data:`PSI_ALARM`). KS is the
two-sample Kolmogorov-Smirnov statistic, reported beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from shopperlens.features.catalog import RECENCY_DAYS, SPEND_TREND, TENURE_DAYS

AGEING = (RECENCY_DAYS, TENURE_DAYS)  # grow by the days between cutoffs when idle
MATURE = {SPEND_TREND: (TENURE_DAYS, 365.0)}  # defined alike only past this tenure
MIN_CUSTOMERS = 100
PSI_ALARM = 0.25  # the conventional "significant shift"; not fitted to any data set
BINS = 10
FLOOR = 1e-4

__all__ = ["AGEING", "PSI_ALARM", "feature_drift", "ks", "psi", "psi_ageing"]


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of ``values`` in each bin between ``edges``, then the missing ones."""
    missing = np.isnan(values)
    counts = np.bincount(np.searchsorted(edges, values[~missing], side="right"),
                         minlength=len(edges) + 1).astype(float)
    counts = np.append(counts, missing.sum())
    return np.maximum(counts / max(len(values), 1), FLOOR)


def _edges(expected: np.ndarray, bins: int) -> np.ndarray:
    known = expected[~np.isnan(expected)]
    if len(known) == 0:
        return np.array([], dtype=float)
    # interior quantile edges of the earlier distribution, ties merged
    return np.unique(np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1]))


def _index(e: np.ndarray, a: np.ndarray) -> float:
    return float(np.sum((a - e) * np.log(a / e)))


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = BINS) -> float:
    """Population stability index of ``actual`` against ``expected``.

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=5000), rng.normal(size=5000)
    >>> psi(a, b) < 0.02, psi(a, b + 1) > PSI_ALARM
    (True, True)
    """
    expected = np.asarray(expected, dtype=float)
    edges = _edges(expected, bins)
    return _index(_shares(expected, edges), _shares(np.asarray(actual, dtype=float), edges))


_MIXES = [(a / 10, b / 10, (10 - a - b) / 10) for a in range(11) for b in range(11 - a)]


def psi_ageing(before: np.ndarray, after: np.ndarray, days: float,
               bins: int = BINS) -> tuple[float, float]:
    """PSI of ``after`` against the closest mix of ``before`` as it was, aged by ``days``
    and fresh (even between 0 and ``days``), and the aged share of that mix."""
    before = np.asarray(before, dtype=float)
    edges = _edges(before, bins)
    was, old = _shares(before, edges), _shares(before + days, edges)
    fresh = _shares(np.linspace(0, days, 1001)[:-1], edges)
    now = _shares(np.asarray(after, dtype=float), edges)
    best, aged = min((_index(a * was + b * old + c * fresh, now), b) for a, b, c in _MIXES)
    return best, float(aged)


def _mature(previous: pd.DataFrame, current: pd.DataFrame,
            name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """``name`` of the customers old enough for it, or None when too few of them."""
    column, least = MATURE[name]
    if column not in previous or column not in current:
        return previous[name].to_numpy(float), current[name].to_numpy(float)
    before = previous.loc[previous[column] >= least, name].to_numpy(float)
    now = current.loc[current[column] >= least, name].to_numpy(float)
    return (before, now) if min(len(before), len(now)) >= MIN_CUSTOMERS else None


def ks(expected: np.ndarray, actual: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic of the known values (0 when one is empty)."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e, a = e[~np.isnan(e)], a[~np.isnan(a)]
    if len(e) == 0 or len(a) == 0:
        return 0.0
    return float(ks_2samp(e, a).statistic)


def feature_drift(previous: pd.DataFrame, current: pd.DataFrame, days: float,
                  columns: list[str] | None = None) -> pd.DataFrame:
    """One row per feature: ``psi`` (ageing apart), ``psi_as_was`` (against the previous
    distribution as it was, everyone), ``aged_share`` (the share of the closest mix that
    only aged; 0 for a feature that does not age), ``ks``, ``ageing`` (the feature changes
    with time alone) and ``alarm`` (``psi`` above :data:`PSI_ALARM`)."""
    columns = [c for c in (columns or list(current.columns))
               if c in previous and pd.api.types.is_numeric_dtype(current[c])]
    rows = []
    for name in columns:
        before, now = previous[name].to_numpy(float), current[name].to_numpy(float)
        as_was, drift, aged = psi(before, now), np.nan, 0.0
        if name in AGEING:
            drift, aged = psi_ageing(before, now, days)
            drift = min(drift, as_was)
        elif name in MATURE:
            both = _mature(previous, current, name)
            drift = np.nan if both is None else psi(*both)
        else:
            drift = as_was
        rows.append({"feature": name, "psi": drift, "psi_as_was": as_was, "aged_share": aged,
                     "ks": ks(before, now), "ageing": name in AGEING or name in MATURE})
    frame = pd.DataFrame(rows, columns=["feature", "psi", "psi_as_was", "aged_share", "ks",
                                        "ageing"])
    frame["alarm"] = frame["psi"] > PSI_ALARM
    return frame

"""Drift of the customers' features between two runs, with the cohort's ageing apart.

Between two cutoffs ``days`` apart, everyone's ``recency_days`` and ``tenure_days`` grow
by ``days`` unless they buy: the plain ageing of the cohort. A retailer whose customers
renew (new ones arrive, old ones come back) keeps these distributions where they were; a
closed cohort (CDNOW's customers all arrived in one quarter) shifts them by ``days``.
Most retailers sit between the two: some customers renew, the others age. Both are
ageing, not a change of behaviour, so an ageing feature's drift is measured against the
closest mixture ``w * as it was + (1 - w) * aged`` of the previous distribution as it
was and as it would be had everyone aged by ``days`` without buying, the
renewed share ``w`` taken from 0 to 1 by tenths (and reported). Other features are
compared as they are.

PSI (population stability index) on ten quantile bins of the earlier distribution, a bin
for missing values, proportions floored at 1e-4; the usual reading: below 0.1 stable,
0.1 to 0.25 moderate, above 0.25 a significant shift (:data:`PSI_ALARM`). KS is the
two-sample Kolmogorov-Smirnov statistic, reported beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from shopperlens.features.catalog import RECENCY_DAYS, TENURE_DAYS

AGEING = (RECENCY_DAYS, TENURE_DAYS)  # grow by the days between cutoffs when idle
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


def psi_ageing(before: np.ndarray, after: np.ndarray, days: float,
               bins: int = BINS) -> tuple[float, float]:
    """PSI of ``after`` against the closest mixture of ``before`` as it was and aged by
    ``days``, and the renewed share ``w`` of that mixture."""
    before = np.asarray(before, dtype=float)
    edges = _edges(before, bins)
    was, old = _shares(before, edges), _shares(before + days, edges)
    now = _shares(np.asarray(after, dtype=float), edges)
    scores = [(_index(w * was + (1 - w) * old, now), w) for w in np.linspace(0, 1, 11)]
    best, w = min(scores)
    return best, float(w)


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
    distribution as it was), ``renewed_share`` (the mixture's ``w``; 1 for a feature that
    does not age), ``ks``, ``ageing`` (the feature grows with time when idle) and
    ``alarm`` (``psi`` above :data:`PSI_ALARM`)."""
    columns = [c for c in (columns or list(current.columns))
               if c in previous and pd.api.types.is_numeric_dtype(current[c])]
    rows = []
    for name in columns:
        before, now = previous[name].to_numpy(float), current[name].to_numpy(float)
        as_was = psi(before, now)
        drift, renewed = psi_ageing(before, now, days) if name in AGEING else (as_was, 1.0)
        rows.append({"feature": name, "psi": min(drift, as_was), "psi_as_was": as_was,
                     "renewed_share": renewed, "ks": ks(before, now),
                     "ageing": name in AGEING})
    frame = pd.DataFrame(rows, columns=["feature", "psi", "psi_as_was", "renewed_share", "ks",
                                        "ageing"])
    frame["alarm"] = frame["psi"] > PSI_ALARM
    return frame

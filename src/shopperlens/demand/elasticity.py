"""Own-price elasticity per category x segment, from how weekly units follow the price.

Per category and segment, a log-log regression over product-weeks with a sale:
``log(units) = elasticity * log(price) + product effect + period-of-year effect +
trend``. The product effects are removed by subtracting each product's means (so only a
product's own price changes count, never dear products selling less than cheap ones);
the interval is cluster-robust by product (CR1). It refuses, with the reason, when the
price never varies within a product or there are too few weeks, and says when the price
moves with promotions (the estimate then mixes the two).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from shopperlens import schema as s

PRICE, PROMO = "price", "promo"
MIN_OBSERVATIONS = 30  # product-weeks with a sale a regression needs
MIN_PRICE_SPREAD = 0.01  # within-product spread of log price below which it "never varies"
PROMO_TOGETHER = 0.7  # |correlation| of price and promotion said to move together
PERIOD_WEEKS = 4  # the period-of-year effects are four-week periods
COLUMNS = [s.CATEGORY, s.SEGMENT_ID, "elasticity", "low", "high", "observations", "note"]


def estimate_elasticities(weekly: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Elasticity with its ``level`` interval per category and segment of ``weekly``
    (one row per product, segment and week: ``category``, ``segment_id``, ``product_id``,
    ``period_start``, ``units``, ``price``, optional ``promo`` share 0-1).

    ``note`` says why a cell has no estimate, or what to keep in mind about it.
    """
    rows = []
    for (category, segment), cell in weekly.groupby([s.CATEGORY, s.SEGMENT_ID], sort=True):
        rows.append([category, segment, *_one_cell(cell, level)])
    return pd.DataFrame(rows, columns=COLUMNS).astype({"observations": "int64"})


def _within(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``values`` minus their mean within each group (columns of a 2-d array)."""
    codes, inverse = np.unique(groups, return_inverse=True)
    sums = np.zeros((len(codes), values.shape[1]))
    np.add.at(sums, inverse, values)
    counts = np.bincount(inverse, minlength=len(codes))[:, None]
    return values - (sums / counts)[inverse]


def _design(cell: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log units, [log price, promo?, periods, trend] and the product of each row."""
    weeks = pd.to_datetime(cell["period_start"])
    period = ((weeks.dt.isocalendar().week.to_numpy(int) - 1) // PERIOD_WEEKS).clip(0, 12)
    periods = (period[:, None] == np.arange(1, 13)[None, :]).astype(float)
    trend = ((weeks - weeks.min()).dt.days.to_numpy(float) / 365.25)[:, None]
    columns = [np.log(cell[PRICE].to_numpy(float))[:, None]]
    if PROMO in cell and cell[PROMO].notna().all():
        columns.append(cell[PROMO].to_numpy(float)[:, None])
    x = np.hstack([*columns, periods, trend])
    return np.log(cell["units"].to_numpy(float)), x, cell[s.PRODUCT_ID].to_numpy()


def _one_cell(cell: pd.DataFrame, level: float) -> list:
    """elasticity, low, high, observations, note of one category x segment."""
    cell = cell[(cell["units"] > 0) & (cell[PRICE] > 0)]
    n = len(cell)
    if n < MIN_OBSERVATIONS:
        return [np.nan, np.nan, np.nan, n, f"too few weeks with a sale ({n}; needs "
                f"{MIN_OBSERVATIONS})"]
    y, x, product = _design(cell)
    x, y = _within(x, product), _within(y[:, None], product)[:, 0]
    if x[:, 0].std() < MIN_PRICE_SPREAD:
        return [np.nan, np.nan, np.nan, n, "refused: the price never varies within a "
                "product, so its effect cannot be told apart"]
    keep = x.std(axis=0) > 1e-12
    x = x[:, keep]
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    se = _cluster_se(x, y - x @ beta, product)
    clusters = len(np.unique(product))
    z = stats.t.ppf(0.5 + level / 2, max(clusters - 1, 1))
    note = ""
    if PROMO in cell and keep[1] and abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) > PROMO_TOGETHER:
        note = "price and promotions move together: the estimate mixes both"
    elif PROMO not in cell:
        note = "no promotion calendar: price cuts may carry promotion effects"
    return [beta[0], beta[0] - z * se, beta[0] + z * se, n, note]


def _cluster_se(x: np.ndarray, resid: np.ndarray, groups: np.ndarray) -> float:
    """Cluster-robust (CR1) standard error of the first coefficient."""
    n, k = x.shape
    bread = np.linalg.pinv(x.T @ x)
    _, inverse = np.unique(groups, return_inverse=True)
    g = inverse.max() + 1
    scores = np.zeros((g, k))
    np.add.at(scores, inverse, x * resid[:, None])
    meat = scores.T @ scores
    factor = g / max(g - 1, 1) * (n - 1) / max(n - k, 1)
    return float(np.sqrt(max((bread @ meat @ bread)[0, 0] * factor, 0.0)))

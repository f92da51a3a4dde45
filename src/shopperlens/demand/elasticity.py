"""Own-price elasticity per category x segment, from how weekly units follow the price.

Per category and segment, a constant-elasticity model over product-weeks:
``E[units] = exp(elasticity * log(price) + product effect + week effect)``, fitted by
Poisson pseudo-likelihood (counts need no log; weeks without a sale count when the
frame holds them with their shelf price; from order lines alone only weeks with a sale
are known, and the price paid in them). The product effects are concentrated out (so
only a product's own price changes count, never dear products selling less than cheap
ones) and the week effects take what moves every product at once (season, the
segment's comings and goings, a price change of the whole category, which is then not
told apart); the interval is cluster-robust by product. It refuses, with the reason,
when the price never varies within a product, moves for every product at once, or there
are too few weeks, and says when the price moves with promotions (the estimate then
mixes both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from shopperlens import schema as s

PRICE, PROMO = "price", "promo"
MIN_OBSERVATIONS = 30  # product-weeks with a sale a regression needs
MIN_PRICE_SPREAD = 0.01  # within-product spread of log price below which it "never varies"
PROMO_TOGETHER = 0.7  # |correlation| of price and promotion said to move together
COLUMNS = [s.CATEGORY, s.SEGMENT_ID, "elasticity", "low", "high", "observations", "note"]


def estimate_elasticities(weekly: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Elasticity with its ``level`` interval per category and segment of ``weekly``
    (one row per product, segment and week: ``category``, ``segment_id``, ``product_id``,
    ``period_start``, ``units``, ``price``, optional ``promo`` share 0-1).

    ``note`` says why a cell has no estimate, or what to keep in mind about it.
    """
    rows = []
    with threadpool_limits(limits=1):  # small matrices: threads only wait on each other
        for (category, segment), cell in weekly.groupby([s.CATEGORY, s.SEGMENT_ID]):
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
    """units, [log price, promo?, one column per week but the first] and the product of
    each row."""
    _, week = np.unique(cell["period_start"].to_numpy(), return_inverse=True)
    weeks = (week[:, None] == np.arange(1, week.max() + 1)[None, :]).astype(float)
    columns = [np.log(cell[PRICE].to_numpy(float))[:, None]]
    if PROMO in cell and cell[PROMO].notna().all():
        columns.append(cell[PROMO].to_numpy(float)[:, None])
    x = np.hstack([*columns, weeks])
    return cell["units"].to_numpy(float), x, cell[s.PRODUCT_ID].to_numpy()


def _one_cell(cell: pd.DataFrame, level: float) -> list:
    """elasticity, low, high, observations, note of one category x segment."""
    cell = cell[cell[PRICE] > 0]
    # a week or product without a sale says nothing here (its effect would run to -inf)
    for key in ("period_start", s.PRODUCT_ID):
        cell = cell[cell.groupby(key)["units"].transform("sum") > 0]
    n = int((cell["units"] > 0).sum())
    if n < MIN_OBSERVATIONS:
        return [np.nan, np.nan, np.nan, n, f"too few weeks with a sale ({n}; needs "
                f"{MIN_OBSERVATIONS})"]
    y, x, product = _design(cell)
    _, groups = np.unique(product, return_inverse=True)
    within = _within(x, groups)
    if within[:, 0].std() < MIN_PRICE_SPREAD:
        return [np.nan, np.nan, np.nan, n, "refused: the price never varies within a "
                "product, so its effect cannot be told apart"]
    _, week = np.unique(cell["period_start"].to_numpy(), return_inverse=True)
    if _within(within[:, :1], week)[:, 0].std() < MIN_PRICE_SPREAD:
        return [np.nan, np.nan, np.nan, n, "refused: the price moves for every product "
                "at once, so its effect cannot be told from the week's"]
    keep = within.std(axis=0) > 1e-12
    beta, se = poisson_within(x[:, keep], y, groups)
    z = stats.t.ppf(0.5 + level / 2, max(groups.max(), 1))
    note = ""
    if PROMO in cell and keep[1] and abs(np.corrcoef(within[:, :2].T)[0, 1]) > PROMO_TOGETHER:
        note = "price and promotions move together: the estimate mixes both"
    elif PROMO not in cell:
        note = "no promotion calendar: price cuts may carry promotion effects"
    return [beta[0], beta[0] - z * se, beta[0] + z * se, n, note]


def poisson_within(x: np.ndarray, y: np.ndarray, groups: np.ndarray,
                   iterations: int = 50) -> tuple[np.ndarray, float]:
    """Poisson pseudo-likelihood with a fixed effect per group (concentrated out), by
    Newton steps: the coefficients and the first one's cluster-robust standard error.

    Weeks without a sale count (as zeros), which a log of units cannot take.
    """
    n_groups = groups.max() + 1
    totals = np.bincount(groups, y, n_groups)
    beta = np.zeros(x.shape[1])
    mu, centred = _fitted(x, beta, groups, totals)
    for _ in range(iterations):
        hessian = centred.T @ (centred * mu[:, None])
        step = np.linalg.lstsq(hessian, centred.T @ (y - mu), rcond=None)[0]
        before = _loglik(y, mu)
        for _ in range(30):  # halve the step until the likelihood does not fall
            mu_new, centred_new = _fitted(x, beta + step, groups, totals)
            if np.all(np.isfinite(mu_new)) and _loglik(y, mu_new) >= before - 1e-9:
                break
            step = step / 2
        beta, mu, centred = beta + step, mu_new, centred_new
        if np.max(np.abs(step)) < 1e-8:
            break
    mu, centred = _fitted(x, beta, groups, totals)
    bread = np.linalg.pinv(centred.T @ (centred * mu[:, None]))
    scores = np.stack([np.bincount(groups, col, n_groups)
                       for col in (centred * (y - mu)[:, None]).T], axis=1)
    factor = n_groups / max(n_groups - 1, 1)
    variance = (bread @ (scores.T @ scores) @ bread)[0, 0] * factor
    return beta, float(np.sqrt(max(variance, 0.0)))


def _loglik(y: np.ndarray, mu: np.ndarray) -> float:
    """The Poisson log-likelihood up to terms without the coefficients (the fitted
    means of a group add up to its units, so their sum is fixed)."""
    return float(np.sum(y[y > 0] * np.log(np.maximum(mu[y > 0], 1e-300))))


def _fitted(x: np.ndarray, beta: np.ndarray, groups: np.ndarray,
            totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fitted means (each group's effect concentrated out) and ``x`` centred on their
    fitted-mean-weighted group means."""
    eta = x @ beta
    raw = np.exp(eta - eta.max())
    mu = raw * (totals / np.maximum(np.bincount(groups, raw), 1e-300))[groups]
    weight = np.maximum(np.bincount(groups, mu), 1e-300)
    means = np.stack([np.bincount(groups, mu * col) for col in x.T], axis=1) / weight[:, None]
    return mu, x - means[groups]


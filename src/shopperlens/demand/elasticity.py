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
    weekly = weekly[weekly[PRICE] > 0]
    cells = weekly.groupby([s.CATEGORY, s.SEGMENT_ID], sort=True, observed=True)
    keys, names = cells.ngroup().to_numpy(), cells.size().index
    arrays = _design(weekly)
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(len(names) + 1))
    rows = []
    with threadpool_limits(limits=1):  # small matrices: threads only wait on each other
        for k, (category, segment) in enumerate(names):
            rows_of_cell = order[bounds[k]:bounds[k + 1]]
            cell = tuple(a[rows_of_cell] for a in arrays)
            rows.append([category, segment, *_one_cell(*cell, level=level)])
    return pd.DataFrame(rows, columns=COLUMNS).astype({"observations": "int64"})


def _within(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``values`` minus their mean within each group (columns of a 2-d array)."""
    counts = np.bincount(groups)
    means = np.stack([np.bincount(groups, col) for col in values.T], 1)
    return values - (means / np.maximum(counts, 1)[:, None])[groups]


def _design(weekly: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """units, [log price, promo?], and the product and week (codes) of each row."""
    columns = [np.log(weekly[PRICE].to_numpy(float))[:, None]]
    if PROMO in weekly and weekly[PROMO].notna().all():
        columns.append(weekly[PROMO].to_numpy(float)[:, None])
    product = pd.factorize(weekly[s.PRODUCT_ID])[0]
    week = pd.factorize(weekly["period_start"])[0]
    return weekly["units"].to_numpy(float), np.hstack(columns), product, week


def _codes(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_inverse=True)[1]


def _one_cell(y: np.ndarray, x: np.ndarray, product: np.ndarray, week: np.ndarray, *,
              level: float) -> list:
    """elasticity, low, high, observations, note of one category x segment."""
    # a week or product without a sale says nothing here (its effect would run to -inf)
    for _ in range(2):
        keep = (np.bincount(week, y)[week] > 0) & (np.bincount(product, y)[product] > 0)
        y, x, product, week = y[keep], x[keep], _codes(product[keep]), _codes(week[keep])
    n = int((y > 0).sum())
    if n < MIN_OBSERVATIONS:
        return [np.nan, np.nan, np.nan, n, f"too few weeks with a sale ({n}; needs "
                f"{MIN_OBSERVATIONS})"]
    if _within(x[:, :1], product)[:, 0].std() < MIN_PRICE_SPREAD:
        return [np.nan, np.nan, np.nan, n, "refused: the price never varies within a "
                "product, so its effect cannot be told apart"]
    centred = _two_way(x, np.ones(len(y)), product, week)
    if centred[:, 0].std() < MIN_PRICE_SPREAD:
        return [np.nan, np.nan, np.nan, n, "refused: the price moves for every product "
                "at once, so its effect cannot be told from the week's"]
    keep = centred.std(axis=0) > 1e-9
    beta, se = poisson_two_way(x[:, keep], y, product, week)
    z = stats.t.ppf(0.5 + level / 2, max(product.max(), 1))
    note = ""
    if x.shape[1] > 1 and keep[1] and abs(np.corrcoef(centred.T)[0, 1]) > PROMO_TOGETHER:
        note = "price and promotions move together: the estimate mixes both"
    elif x.shape[1] == 1:
        note = "no promotion calendar: price cuts may carry promotion effects"
    return [beta[0], beta[0] - z * se, beta[0] + z * se, n, note]


def poisson_two_way(x: np.ndarray, y: np.ndarray, product: np.ndarray, week: np.ndarray,
                    iterations: int = 50) -> tuple[np.ndarray, float]:
    """Poisson pseudo-likelihood with an effect per product and per week (both
    concentrated out), by Newton steps: the coefficients and the first one's standard
    error, cluster-robust by product. Weeks without a sale count (as zeros)."""
    beta = np.zeros(x.shape[1])
    mu = _fit_effects(x @ beta, y, product, week)
    for _ in range(iterations):
        centred = _two_way(x, mu, product, week)
        step = np.linalg.lstsq(centred.T @ (centred * mu[:, None]), centred.T @ (y - mu),
                               rcond=None)[0]
        before = _loglik(y, mu)
        for _ in range(30):  # halve the step until the likelihood does not fall
            trial = _fit_effects(x @ (beta + step), y, product, week)
            if np.all(np.isfinite(trial)) and _loglik(y, trial) >= before - 1e-9:
                break
            step = step / 2
        beta, mu = beta + step, trial
        if np.max(np.abs(step)) < 1e-6:
            break
    centred = _two_way(x, mu, product, week)
    bread = np.linalg.pinv(centred.T @ (centred * mu[:, None]))
    n_groups = product.max() + 1
    scores = np.stack([np.bincount(product, col, n_groups)
                       for col in (centred * (y - mu)[:, None]).T], axis=1)
    factor = n_groups / max(n_groups - 1, 1)
    variance = (bread @ (scores.T @ scores) @ bread)[0, 0] * factor
    return beta, float(np.sqrt(max(variance, 0.0)))


def _fit_effects(eta: np.ndarray, y: np.ndarray, product: np.ndarray, week: np.ndarray,
                 rounds: int = 200) -> np.ndarray:
    """Fitted means ``exp(eta + product effect + week effect)`` whose sums per product
    and per week match the units (iterative proportional fitting)."""
    mu = np.exp(eta - eta.max())
    by_product, by_week = np.bincount(product, y), np.bincount(week, y)
    for _ in range(rounds):
        mu = mu * (by_product / np.maximum(np.bincount(product, mu), 1e-300))[product]
        got = np.maximum(np.bincount(week, mu), 1e-300)
        mu = mu * (by_week / got)[week]
        if np.max(np.abs(got - by_week) / np.maximum(by_week, 1)) < 1e-8:
            break
    return mu


def _two_way(x: np.ndarray, weight: np.ndarray, product: np.ndarray, week: np.ndarray,
             rounds: int = 200) -> np.ndarray:
    """``x`` minus its weighted projection on product and week effects (alternating
    weighted demeaning)."""
    out = x.copy()
    for _ in range(rounds):
        shift = 0.0
        for groups in (product, week):
            total = np.maximum(np.bincount(groups, weight), 1e-300)
            means = np.stack([np.bincount(groups, weight * col) for col in out.T], 1)
            out = out - (means / total[:, None])[groups]
            shift = max(shift, float(np.abs(means / total[:, None]).max()))
        if shift < 1e-9:
            break
    return out


def _loglik(y: np.ndarray, mu: np.ndarray) -> float:
    """The Poisson log-likelihood up to terms without the coefficients (the fitted
    means of a group add up to its units, so their sum is fixed)."""
    return float(np.sum(y[y > 0] * np.log(np.maximum(mu[y > 0], 1e-300))))

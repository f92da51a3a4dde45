"""How much each customer's features can be trusted, before any distance is measured.

Two sources of spurious structure make every distance method split customers on
artefacts rather than behaviour (bench/segmentation_suite.py):

1. **Features computed from few observations.** A share of orders in store is 0 or 1
   for a one-order customer, a spend trend is -1 or +1 for a two-order one, a category
   entropy is 0 for anyone with one order. These extreme values say "too few orders",
   not "a different customer", yet they form the widest gaps in the data. Each such
   feature is shrunk towards the population mean in proportion to its evidence, the
   empirical-Bayes (James-Stein) estimate of the customer's long-run value::

       x' = (n x + n0 mu) / (n + n0)

   where ``n`` is the customer's number of orders and ``n0``, the pseudo-count, is
   estimated from the data itself rather than fixed: if the feature varies between
   customers with variance ``tau2`` and each order adds noise of variance ``s2``, the
   variance of the feature among customers with ``n`` orders is ``tau2 + s2 / n``.
   A weighted least-squares fit of that line over the order counts gives both, and
   ``n0 = s2 / tau2`` (Efron & Morris, "Data analysis using Stein's estimator and its
   generalizations", JASA 70, 1975). A feature whose between-customer variance is not
   positive carries no signal beyond noise and leaves the distance.
2. **Counts that are pure noise.** A count that follows one Poisson law for everyone
   (e-mail clicks at the same rate in every group) has variance equal to its mean;
   its few distinct values still cut the customers into layers. A count whose
   dispersion index (variance / mean, above its floor) is not significantly above 1
   (one-sided chi-square test at ``ALPHA``, Bonferroni-corrected over the counts
   tested) holds no group structure and leaves the distance; a mixture of groups with
   different rates is always over-dispersed.

Both steps only change the clustering distance: profiles, names, rules and reasons
describe the customers' raw values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from shopperlens.features import catalog as c

# Features that summarise a customer's orders, each computed from the order count.
PER_ORDER = (
    c.SPEND_TREND, c.DISCOUNT_SHARE, c.RETURN_RATE, c.BASKET_SIZE, c.CATEGORY_ENTROPY,
    c.STORE_SHARE, c.ONLINE_SHARE, c.APP_SHARE, c.IPT_MEAN_DAYS, c.IPT_STD_DAYS,
)
# Per-customer counts tested for over-dispersion.
COUNTS = (
    c.FREQUENCY, c.SESSIONS, c.PRODUCT_VIEWS, c.EMAIL_OPENS, c.EMAIL_CLICKS,
    c.SOCIAL_ENGAGEMENTS, c.REVIEW_COUNT, c.SUPPORT_CONTACTS,
)
# Orders a feature needs before it says anything: a trend compares two windows of
# orders and an inter-order gap needs two orders (a spread, three); with fewer the
# value is an artefact of the definition (a spend trend of +1 for every one-order
# customer) and counts as no evidence. Evidence is the orders beyond that minimum.
MIN_ORDERS = {c.SPEND_TREND: 2, c.IPT_MEAN_DAYS: 2, c.IPT_STD_DAYS: 3}
ALPHA = 0.001  # family-wise level of the over-dispersion tests
_MIN_BIN = 20  # customers with a given order count needed to estimate its variance


@dataclass
class Evidence:
    """Fitted shrinkage and noise screen. ``table`` has one row per column."""

    names: list[str]
    mean: np.ndarray  # population value each shrunk column moves towards
    pseudo: np.ndarray  # n0 per column: 0 = not shrunk, inf = no signal
    noise: np.ndarray  # bool: a count with no over-dispersion
    table: pd.DataFrame

    def apply(self, A: np.ndarray) -> np.ndarray:
        """Copy of ``A`` with per-order columns shrunk by the customer's order count."""
        # Every per-order column (mean known): even unshrunk (n0 = 0), a value from
        # no evidence (a spend trend from one order) is replaced by the mean.
        shrunk = np.flatnonzero(np.isfinite(self.mean) & np.isfinite(self.pseudo))
        if not len(shrunk) or c.FREQUENCY not in self.names:
            return A
        B = A.copy()
        orders = np.nan_to_num(A[:, self.names.index(c.FREQUENCY)], nan=0.0)
        for j in shrunk:
            n = _evidence(orders, self.names[j])
            x = B[:, j]
            seen = ~np.isnan(x) & (n > 0)
            w = np.where(seen, n / np.maximum(n + self.pseudo[j], 1e-12), 0.0)
            B[:, j] = w * np.nan_to_num(x, nan=0.0) + (1 - w) * self.mean[j]
        return B

    @property
    def silent(self) -> np.ndarray:
        """Columns that carry no signal and leave the clustering distance."""
        return self.noise | np.isinf(self.pseudo)


def fit_evidence(A: np.ndarray, names: list[str]) -> Evidence:
    """Estimate each per-order column's pseudo-count and screen counts for noise."""
    k = len(names)
    mean, pseudo = np.full(k, np.nan), np.zeros(k)
    noise = np.zeros(k, dtype=bool)
    why = [""] * k
    orders = A[:, names.index(c.FREQUENCY)] if c.FREQUENCY in names else None
    for j, name in enumerate(names):
        if name in PER_ORDER and orders is not None:
            mean[j], pseudo[j], why[j] = _pseudo_count(A[:, j], _evidence(orders, name))
    tested = [j for j, name in enumerate(names) if name in COUNTS]
    for j in tested:
        noise[j], why[j] = _poisson_noise(A[:, j], ALPHA / max(len(tested), 1))
    table = pd.DataFrame({"feature": names, "pseudo_count": pseudo, "noise": noise,
                          "why": why})
    return Evidence(list(names), mean, pseudo, noise, table)


def _evidence(orders: np.ndarray, name: str) -> np.ndarray:
    """Orders that inform the feature ``name`` (0 where it is an artefact)."""
    return np.clip(np.nan_to_num(orders, nan=0.0) - (MIN_ORDERS.get(name, 1) - 1), 0, None)


def _pseudo_count(x: np.ndarray, orders: np.ndarray) -> tuple[float, float, str]:
    """Population mean, n0 and a reason, from Var(x | n orders) = tau2 + s2 / n."""
    seen = ~np.isnan(x) & ~np.isnan(orders) & (orders >= 1)
    x, n = x[seen], np.round(orders[seen])
    if len(x) < 2 or np.ptp(x) == 0:
        return (float(x.mean()) if len(x) else 0.0), 0.0, "constant"
    levels, counts = np.unique(n, return_counts=True)
    levels = levels[counts >= _MIN_BIN]
    var = np.array([x[n == v].var(ddof=1) for v in levels])
    size = np.array([np.sum(n == v) for v in levels])
    if len(levels) < 2:
        return float(x.mean()), 0.0, "too few order counts to estimate the noise"
    design = np.c_[np.ones(len(levels)), 1.0 / levels]
    w = np.sqrt(size)
    (tau2, s2), *_ = np.linalg.lstsq(design * w[:, None], var * w, rcond=None)
    mu = float(np.average(x, weights=n))  # each order counts once
    if tau2 <= 0:
        return mu, np.inf, f"no variance between customers beyond noise (s2 {s2:.3g})"
    n0 = max(float(s2 / tau2), 0.0)
    return mu, n0, f"shrunk with a pseudo-count of {n0:.2f} orders"


def _poisson_noise(x: np.ndarray, alpha: float) -> tuple[bool, str]:
    """Whether a count is indistinguishable from one Poisson law, and why."""
    x = x[~np.isnan(x)]
    if len(x) < 3:
        return False, ""
    y = x - x.min()
    m = y.mean()
    if m <= 0:
        return True, "constant"
    index = y.var(ddof=1) / m
    p = float(chi2.sf(index * (len(y) - 1), len(y) - 1))
    if p < alpha:
        return False, f"over-dispersed (variance/mean {index:.2f})"
    return True, f"Poisson noise (variance/mean {index:.2f}, p {p:.2g})"

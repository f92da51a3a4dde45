"""Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting your customers".

While alive a customer buys at Poisson rate ``lambda ~ Gamma(r, alpha)``; their lifetime
is exponential with rate ``mu ~ Gamma(s, beta)``. Management Science 33(1), 1-24. The
expressions follow Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and
related expressions", http://brucehardie.com/notes/009/ (equation numbers below).
The probability of no purchase in a coming period is the zero of the conditional count
distribution of Fader & Hardie (2006), "Deriving the conditional PMF of the Pareto/NBD
model", http://brucehardie.com/notes/013/, here integrated numerically (see
:meth:`ParetoNBDModel.probability_no_purchase`).

Unlike BG/NBD, whose customers can only drop out right after a purchase (so a one-time
buyer is alive with probability 1 however long ago they bought), a Pareto/NBD customer
can leave at any time: P(alive) falls with the time since the last purchase for everyone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import roots_genlaguerre, roots_hermite

from shopperlens.errors import InputError
from shopperlens.models.btyd._base import (
    BTYDBase,
    compress,
    maximise,
    numeric_gradient,
    penalised,
)
from shopperlens.models.btyd._data import FREQUENCY, RECENCY, T_AGE, check_summary
from shopperlens.models.btyd._likelihood import pareto_log_a0, pareto_nbd_loglik

# Where everyone drops out at about the same rate, the unpenalised optimum runs off to
# s, beta -> infinity, and each likelihood evaluation there is slow (a 3,000-customer demo
# fit took 130 s): parameters beyond this cap are refused, and the caller sees a fit that
# stopped at the cap (select_transaction_model then takes its penalised fallback).
PARAM_CAP = 1e3
QUADRATURE_NODES = 24  # Gauss-Laguerre nodes per rate; 1e-6 agreement with closed forms


class ParetoNBDModel(BTYDBase):
    """Pareto/NBD model of repeat purchases, fitted by maximum likelihood.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * sum(params**2)`` added to the mean negative
        log-likelihood (as in ``lifetimes``).
    tol : float, default 1e-7
        Gradient tolerance of the optimiser (on the mean log-likelihood). The gradient is
        numerical here, so this is looser than the BG/NBD default.
    max_iter : int, default 500
        Maximum optimiser iterations.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (purchase-rate Gamma), ``s``, ``beta`` (dropout-rate Gamma).
    log_likelihood_ : float
        Total log-likelihood at ``params_`` (without the penalty).
    standard_errors_ : dict
        From the inverse numerical Hessian at the optimum.
    n_customers_ : int
        Rows used in the fit.

    Examples
    --------
    >>> X = pd.DataFrame({"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 4, 20, 0, 9, 30],
    ...                   "T": [10, 30, 35, 40, 12, 38]})
    >>> sorted(ParetoNBDModel(penalizer=0.1).fit(X).params_)
    ['alpha', 'beta', 'r', 's']
    """

    _names = ("r", "alpha", "s", "beta")
    _columns = (FREQUENCY, RECENCY, T_AGE)

    def __init__(self, *, penalizer: float = 0.0, tol: float = 1e-7, max_iter: int = 500):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, y: object = None) -> ParetoNBDModel:
        """Fit to a summary frame with ``frequency``, ``recency`` and ``T`` columns.

        The likelihood is [FH05] equation (18) with ``A_0`` from (19)-(20), evaluated in
        logs (see ``_likelihood.pareto_log_a0``); its gradient is by central differences.

        Parameters
        ----------
        X : pandas.DataFrame
            One row per customer, as made by :func:`summary_data`.
        y : None
            Ignored.

        Returns
        -------
        ParetoNBDModel
            The fitted model.

        Examples
        --------
        >>> X = pd.DataFrame({"frequency": [0, 2, 4], "recency": [0, 5, 9], "T": [10, 10, 10]})
        >>> ParetoNBDModel(penalizer=0.1).fit(X).n_customers_
        3
        """
        self._validate_params()
        data = check_summary(X, self._columns, "ParetoNBDModel.fit")
        rows, weight = compress(data)
        x, tx, age = rows[FREQUENCY], rows[RECENCY], rows[T_AGE]
        if not np.any(age > 0):  # the likelihood is 1 whatever the rates: nothing to learn
            raise InputError(
                "ParetoNBDModel: every customer first bought at the very end of the data "
                "(T = 0), so it spans no time to learn purchase and dropout rates from; "
                "use data covering some weeks of purchases, or a later cutoff.")
        total = weight.sum()

        def mean_value(params: np.ndarray) -> float:
            if np.any(params > PARAM_CAP):  # the degenerate direction: stop there
                return -np.inf
            return float(weight @ pareto_nbd_loglik(params, x, tx, age)) / total

        def mean_ll(params: np.ndarray) -> tuple[float, np.ndarray]:
            # Gradient in log-parameters by central differences, mapped back to natural.
            log_grad = numeric_gradient(lambda t: mean_value(np.exp(t)), np.log(params))
            return mean_value(params), log_grad / params

        # a start well inside the cap, also where nobody bought twice (rate 0)
        rate = max(float(weight @ x) / max(float(weight @ age), 1e-9), 10 / PARAM_CAP)
        theta0 = np.log([1.0, 1.0 / rate, 1.0, float(np.mean(age)) or 1.0])
        theta = maximise(penalised(mean_ll, self.penalizer), theta0,
                         tol=self.tol, max_iter=self.max_iter, name="ParetoNBDModel")
        self._store_fit(theta, mean_ll, total, with_grad=False, mean_value=mean_value)
        return self

    def probability_alive(self, X: pd.DataFrame) -> np.ndarray:
        """Probability that each customer is still alive at the end of their ``T``.

        [FH05] equation (11)::

            P(alive) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A_0)

        Parameters
        ----------
        X : pandas.DataFrame
            Summary frame with ``frequency``, ``recency``, ``T``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_customers,)``, values in ``[0, 1]``.

        Examples
        --------
        >>> m = ParetoNBDModel()
        >>> m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> X = pd.DataFrame({"frequency": [0, 2], "recency": [0, 38.86], "T": [38.86, 38.86]})
        >>> m.probability_alive(X).round(4)
        array([0.2953, 1.    ])
        """
        d = check_summary(X, self._columns, "ParetoNBDModel.probability_alive")
        return self._p_alive(d[FREQUENCY], d[RECENCY], d[T_AGE])

    def _p_alive(self, x: np.ndarray, tx: np.ndarray, age: np.ndarray) -> np.ndarray:
        params = self._param_array()
        r, alpha, s, beta = params
        with np.errstate(divide="ignore"):  # t_x = T gives A_0 = 0 and P(alive) = 1
            log_odds = (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + age)
                        + s * np.log(beta + age) + pareto_log_a0(params, x, tx, age))
        return 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0)))

    def expected_purchases(self, t: float | np.ndarray, X: pd.DataFrame) -> np.ndarray:
        """Expected repeat purchases of each customer in the next ``t`` time units.

        [FH05] equation (41)::

            E[Y(t) | x, t_x, T] = (r+x)(beta+T) / ((alpha+T)(s-1))
                                  * [1 - ((beta+T)/(beta+T+t))^(s-1)] * P(alive)

        with the ``s -> 1`` limit ``(r+x)/(alpha+T) (beta+T) log((beta+T+t)/(beta+T))``.

        Parameters
        ----------
        t : float or numpy.ndarray
            Horizon in time units, scalar or one per customer.
        X : pandas.DataFrame
            Summary frame with ``frequency``, ``recency``, ``T``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_customers,)``.

        Examples
        --------
        >>> m = ParetoNBDModel()
        >>> m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> X = pd.DataFrame({"frequency": [0, 2], "recency": [0, 38.86], "T": [38.86, 38.86]})
        >>> m.expected_purchases(39, X).round(3)
        array([0.107, 1.674])
        """
        r, alpha, s, beta = self._param_array()
        d = check_summary(X, self._columns, "ParetoNBDModel.expected_purchases")
        x, age = d[FREQUENCY], d[T_AGE]
        t = np.asarray(t, dtype=np.float64)
        log_ratio = np.log1p(t / (beta + age))  # log((beta+T+t)/(beta+T))
        # -expm1(-(s-1) L) / (s-1) tends to L as s -> 1; expm1 keeps it accurate near 1.
        shape = log_ratio if abs(s - 1) < 1e-9 else -np.expm1(-(s - 1) * log_ratio) / (s - 1)
        p_alive = self._p_alive(x, d[RECENCY], age)
        return (r + x) * (beta + age) / (alpha + age) * shape * p_alive

    def probability_no_purchase(self, t: float, X: pd.DataFrame,
                                p_alive: np.ndarray | None = None) -> np.ndarray:
        """Probability that each customer makes no purchase in the next ``t`` time units.

        ``P(Y(t) = 0 | x, t_x, T) = 1 - P(alive) + P(alive) E[(mu + lambda e^-(lambda+mu) t)
        / (lambda + mu)]``: a dead customer buys nothing, and an alive one buys nothing
        unless the next purchase (rate ``lambda``) comes before both dropout (rate ``mu``)
        and ``t``. Given alive, ``lambda ~ Gamma(r+x, alpha+T)`` and ``mu ~ Gamma(s,
        beta+T)`` independently ([FH05] section 4); the expectation is taken by
        Gauss-Laguerre quadrature, which matches the zero of the closed-form conditional
        PMF of Fader & Hardie (2006, note 013) without its hypergeometric terms.

        Parameters
        ----------
        t : float
            Horizon in time units (``>= 0``).
        X : pandas.DataFrame
            Summary frame with ``frequency``, ``recency``, ``T``.
        p_alive : numpy.ndarray, optional
            P(alive) to use instead of the model's (one per customer), e.g. one
            reconciled with a churn model; the purchase and dropout rates given alive
            are still the model's.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_customers,)``, values in ``[0, 1]``; 1 at ``t = 0``.

        Examples
        --------
        >>> m = ParetoNBDModel()
        >>> m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> X = pd.DataFrame({"frequency": [0, 2], "recency": [0, 38.86], "T": [38.86, 38.86]})
        >>> m.probability_no_purchase(39, X).round(3)
        array([0.931, 0.319])
        """
        d = check_summary(X, self._columns, "ParetoNBDModel.probability_no_purchase")
        if p_alive is None:
            p_alive = self._p_alive(d[FREQUENCY], d[RECENCY], d[T_AGE])
        quiet = self._no_purchase_if_alive(np.asarray([float(t)]), d[FREQUENCY], d[T_AGE])
        return np.clip(1.0 - p_alive + p_alive * quiet[0], 0.0, 1.0)

    def no_purchase_if_alive(self, t: float, X: pd.DataFrame) -> np.ndarray:
        """``P(no purchase in the next t time units | alive now)``: the second factor of
        :meth:`probability_no_purchase`, one per customer.

        Examples
        --------
        >>> m = ParetoNBDModel()
        >>> m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> X = pd.DataFrame({"frequency": [0], "recency": [0], "T": [38.86]})
        >>> float(m.no_purchase_if_alive(0, X)[0])
        1.0
        """
        d = check_summary(X, self._columns, "ParetoNBDModel.no_purchase_if_alive")
        return self._no_purchase_if_alive(np.asarray([float(t)]), d[FREQUENCY], d[T_AGE])[0]

    def _no_purchase_if_alive(self, t: np.ndarray, x: np.ndarray, age: np.ndarray
                              ) -> np.ndarray:
        """``E[(mu + lambda exp(-(lambda+mu) t)) / (lambda+mu)]`` given alive, one row per
        horizon in ``t``; evaluated once per distinct ``(x, T)`` (few on day-level data)."""
        r, alpha, s, beta = self._param_array()
        pairs, inverse = np.unique(np.column_stack([x, age]), axis=0, return_inverse=True)
        mu = _gamma_nodes(s)
        out = np.empty((len(t), len(pairs)))
        for value in np.unique(pairs[:, 0]):
            rows = pairs[:, 0] == value
            lam = _gamma_nodes(r + value)
            lam_v = lam[0][:, None, None] / (alpha + pairs[rows, 1])  # (nodes, 1, customers)
            mu_v = mu[0][None, :, None] / (beta + pairs[rows, 1])  # (1, nodes, customers)
            weight = lam[1][:, None, None] * mu[1][None, :, None]
            total = lam_v + mu_v
            for k, horizon in enumerate(t):
                quiet = (mu_v + lam_v * np.exp(-total * horizon)) / total
                out[k, rows] = (weight * quiet).sum(axis=(0, 1))
        return out[:, inverse.ravel()]


def _gamma_nodes(shape: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights with ``sum w f(x) ~ E[f(G)]``, ``G ~ Gamma(shape, 1)``.

    Generalised Gauss-Laguerre; its weights overflow beyond a shape of about 170 (they
    sum to ``Gamma(shape)``), where the Gamma is nearly normal (skewness
    ``2 / sqrt(shape)``) and Gauss-Hermite nodes around its mean are used instead.
    """
    if shape < 150:
        nodes, weights = roots_genlaguerre(QUADRATURE_NODES, shape - 1.0)
        return nodes, weights / weights.sum()
    z, weights = roots_hermite(QUADRATURE_NODES)
    nodes = np.maximum(shape + np.sqrt(2.0 * shape) * z, 1e-12)
    return nodes, weights / weights.sum()

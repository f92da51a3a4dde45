"""Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting your customers".

While alive a customer buys at Poisson rate ``lambda ~ Gamma(r, alpha)``; their lifetime
is exponential with rate ``mu ~ Gamma(s, beta)``. Management Science 33(1), 1-24. The
expressions follow Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and
related expressions", http://brucehardie.com/notes/009/ (equation numbers below).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.models.btyd._base import (
    BTYDBase,
    compress,
    maximise,
    numeric_gradient,
    penalised,
)
from shopperlens.models.btyd._data import FREQUENCY, RECENCY, T_AGE, check_summary
from shopperlens.models.btyd._likelihood import pareto_log_a0, pareto_nbd_loglik


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
        total = weight.sum()

        def mean_value(params: np.ndarray) -> float:
            return float(weight @ pareto_nbd_loglik(params, x, tx, age)) / total

        def mean_ll(params: np.ndarray) -> tuple[float, np.ndarray]:
            # Gradient in log-parameters by central differences, mapped back to natural.
            log_grad = numeric_gradient(lambda t: mean_value(np.exp(t)), np.log(params))
            return mean_value(params), log_grad / params

        rate = max(float(weight @ x) / max(float(weight @ age), 1e-9), 1e-3)
        theta0 = np.log([1.0, 1.0 / rate, 1.0, float(np.mean(age)) or 1.0])
        theta = maximise(penalised(mean_ll, self.penalizer), theta0,
                         tol=self.tol, max_iter=self.max_iter, name="ParetoNBDModel")
        self._store_fit(theta, mean_ll, total, with_grad=False)
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

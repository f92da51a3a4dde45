"""BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers" the easy way.

While alive a customer buys at Poisson rate ``lambda ~ Gamma(r, alpha)``; after each
purchase they drop out with probability ``p ~ Beta(a, b)``. Marketing Science 24(2),
275-284; P(alive) from Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD
model", http://brucehardie.com/notes/021/.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from shopperlens.models.btyd._base import BTYDBase, compress, maximise, penalised
from shopperlens.models.btyd._data import FREQUENCY, RECENCY, T_AGE, check_summary
from shopperlens.models.btyd._likelihood import Grouped, bg_nbd_loglik, hyp2f1_checked


class BetaGeoModel(BTYDBase):
    """BG/NBD model of repeat purchases, fitted by maximum likelihood.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty on the parameters, added to the mean negative log-likelihood as
        ``penalizer * sum(params**2)`` (as in ``lifetimes``). Helps on small data.
    tol : float, default 1e-9
        Gradient tolerance of the optimiser (on the mean log-likelihood).
    max_iter : int, default 500
        Maximum optimiser iterations.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (purchase-rate Gamma shape and scale), ``a``, ``b`` (dropout Beta).
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
    >>> model = BetaGeoModel(penalizer=0.1).fit(X)
    >>> sorted(model.params_)
    ['a', 'alpha', 'b', 'r']
    >>> model.probability_alive(X).round(2)
    array([1.  , 0.31, 0.92, 1.  , 0.95, 0.98])
    """

    _names = ("r", "alpha", "a", "b")
    _columns = (FREQUENCY, RECENCY, T_AGE)

    def __init__(self, *, penalizer: float = 0.0, tol: float = 1e-9, max_iter: int = 500):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, y: object = None) -> BetaGeoModel:
        """Fit to a summary frame with ``frequency``, ``recency`` and ``T`` columns.

        Parameters
        ----------
        X : pandas.DataFrame
            One row per customer, as made by :func:`summary_data`.
        y : None
            Ignored.

        Returns
        -------
        BetaGeoModel
            The fitted model.

        Examples
        --------
        >>> X = pd.DataFrame({"frequency": [0, 2, 4], "recency": [0, 5, 9], "T": [10, 10, 10]})
        >>> BetaGeoModel(penalizer=0.1).fit(X).n_customers_
        3
        """
        self._validate_params()
        data = check_summary(X, self._columns, "BetaGeoModel.fit")
        rows, weight = compress(data)
        x, tx, age = (Grouped.of(rows[c]) for c in self._columns)
        total = weight.sum()

        def mean_ll(params: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = bg_nbd_loglik(params, x, tx, age)
            return float(weight @ ll) / total, grad @ weight / total

        # Start where the purchase rate r/alpha matches the mean rate and dropout is even.
        rate = float(weight @ x.values) / max(float(weight @ age.values), 1e-9)
        rate = max(rate, 1e-3)
        theta0 = np.log([1.0, 1.0 / rate, 1.0, 1.0])
        theta = maximise(penalised(mean_ll, self.penalizer), theta0,
                         tol=self.tol, max_iter=self.max_iter, name="BetaGeoModel")
        self._store_fit(theta, mean_ll, total, with_grad=True)
        return self

    def probability_alive(self, X: pd.DataFrame) -> np.ndarray:
        """Probability that each customer is still alive at the end of their ``T``.

        ``1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``, Fader, Hardie & Lee
        (2008) equation (5); exactly 1 when ``frequency`` is 0 (BG/NBD customers can
        only drop out right after a purchase).

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
        >>> m = BetaGeoModel()
        >>> m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> X = pd.DataFrame({"frequency": [0, 2], "recency": [0, 30.43], "T": [38.86, 38.86]})
        >>> m.probability_alive(X).round(4)
        array([1.    , 0.7266])
        """
        r, alpha, a, b = self._param_array()
        d = check_summary(X, self._columns, "BetaGeoModel.probability_alive")
        x, tx, age = d[FREQUENCY], d[RECENCY], d[T_AGE]
        log_odds = (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        log_odds += np.log(a) - np.log(b + np.maximum(x, 1) - 1)
        return np.where(x == 0, 1.0, expit(-log_odds))

    def expected_purchases(self, t: float | np.ndarray, X: pd.DataFrame) -> np.ndarray:
        """Expected repeat purchases of each customer in the next ``t`` time units.

        Fader, Hardie & Lee (2005) equation (10)::

            E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1)
                * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
                / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))

        The bracket is evaluated through Euler's transformation as
        ``1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``, which avoids the huge power and
        the divergent hypergeometric series for customers with many purchases.

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
        >>> m = BetaGeoModel()
        >>> m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> X = pd.DataFrame({"frequency": [0, 2], "recency": [0, 30.43], "T": [38.86, 38.86]})
        >>> m.expected_purchases(39, X).round(3)
        array([0.195, 1.226])
        """
        r, alpha, a, b = self._param_array()
        # a = 1 is a removable singularity (0/0); the curve is smooth in a, so step off it.
        a = 1.0 + np.copysign(1e-7, a - 1.0) if abs(a - 1.0) < 1e-7 else a
        b = 1.0 - a + 1e-7 if abs(a + b - 1.0) < 1e-7 else b  # same at a + b = 1, x = 0
        d = check_summary(X, self._columns, "BetaGeoModel.expected_purchases")
        x, age = d[FREQUENCY], d[T_AGE]
        t = np.asarray(t, dtype=np.float64)
        z = np.broadcast_to(t / (alpha + age + t), x.shape)
        hyp = hyp2f1_checked(a + b - 1 - r, a - 1, a + b + x - 1, z)
        with np.errstate(invalid="ignore", over="ignore"):
            bracket = -np.expm1((a - 1) * np.log1p(-z)) - np.exp((a - 1) * np.log1p(-z)) * (hyp - 1)
        # With a and b in the millions (dropout the same for everyone) that 2F1 overflows
        # and the bracket is 0 * inf; the untransformed series is finite there.
        bad = ~np.isfinite(bracket)
        if np.any(bad):
            xb, zb = x[bad], z[bad]
            bracket[bad] = 1 - np.exp((r + xb) * np.log1p(-zb)) * hyp2f1_checked(
                r + xb, b + xb, a + b + xb - 1, zb)
        return (a + b + x - 1) / (a - 1) * bracket * self.probability_alive(X)

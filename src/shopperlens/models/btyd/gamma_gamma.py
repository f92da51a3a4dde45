"""Gamma-Gamma spend model: Fader, Hardie & Lee (2005), "RFM and CLV".

Each purchase's spend is ``Gamma(p, nu)``; across customers ``nu ~ Gamma(q, gamma)``.
Journal of Marketing Research 42(4), 415-430, and the note Fader & Hardie (2013), "The
Gamma-Gamma model of monetary value", http://brucehardie.com/notes/025/ (equations cited).

Which customers enter the fit
-----------------------------
Only repeat customers (``frequency > 0``) with a positive mean repeat spend
(``monetary_value > 0``) enter the likelihood: the model's spend is strictly positive,
so a mean of 0 (the full CDNOW file has one such customer) has zero density and would
make the log-likelihood ``-inf``. They are counted in ``n_excluded_``, a
:class:`~shopperlens.errors.DataQualityWarning` says how many, and
:meth:`GammaGammaModel.expected_spend` gives them the population mean spend.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from shopperlens.errors import DataQualityWarning, InputError
from shopperlens.models.btyd._base import BTYDBase, compress, maximise, penalised
from shopperlens.models.btyd._data import FREQUENCY, MONETARY_VALUE, check_summary
from shopperlens.models.btyd._likelihood import Grouped, gamma_gamma_loglik


class GammaGammaModel(BTYDBase):
    """Gamma-Gamma model of the mean spend per purchase.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * sum(params**2)`` added to the mean negative
        log-likelihood (as in ``lifetimes``).
    tol : float, default 1e-9
        Gradient tolerance of the optimiser (on the mean log-likelihood).
    max_iter : int, default 500
        Maximum optimiser iterations.

    Attributes
    ----------
    params_ : dict
        ``p`` (shape of one purchase's spend), ``q`` and ``v`` (shape and scale, the
        paper's gamma, of the spend-rate distribution).
    log_likelihood_ : float
        Total log-likelihood at ``params_`` over the customers in the fit.
    standard_errors_ : dict
        From the inverse numerical Hessian at the optimum.
    n_customers_ : int
        Customers in the fit (repeaters with positive mean spend).
    n_excluded_ : int
        Repeat customers left out because their mean spend is not positive.

    Examples
    --------
    >>> X = pd.DataFrame({"frequency": [1, 2, 3, 1, 0], "monetary_value": [10., 30, 20, 15, 0]})
    >>> model = GammaGammaModel().fit(X)
    >>> sorted(model.params_), model.n_customers_
    (['p', 'q', 'v'], 4)
    """

    _names = ("p", "q", "v")
    _columns = (FREQUENCY, MONETARY_VALUE)

    def __init__(self, *, penalizer: float = 0.0, tol: float = 1e-9, max_iter: int = 500):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, y: object = None) -> GammaGammaModel:
        """Fit to the repeat customers of a summary frame.

        Parameters
        ----------
        X : pandas.DataFrame
            Columns ``frequency`` and ``monetary_value`` (mean spend of the repeat
            purchases). Rows with ``frequency == 0`` are ignored; see the module notes
            for repeaters whose mean spend is not positive.
        y : None
            Ignored.

        Returns
        -------
        GammaGammaModel
            The fitted model.

        Examples
        --------
        >>> X = pd.DataFrame({"frequency": [1, 2, 3], "monetary_value": [10., 30, 20]})
        >>> GammaGammaModel().fit(X).n_excluded_
        0
        """
        self._validate_params()
        data = check_summary(X, self._columns, "GammaGammaModel.fit")
        x, m = data[FREQUENCY], data[MONETARY_VALUE]
        use = (x > 0) & (m > 0)
        self.n_excluded_ = int(((x > 0) & (m <= 0)).sum())
        if self.n_excluded_:
            warnings.warn(
                f"GammaGammaModel: {self.n_excluded_} repeat customer(s) with a mean spend "
                "of 0 or less left out of the fit; they are predicted the population mean.",
                DataQualityWarning, stacklevel=2,
            )
        if use.sum() < 2:
            raise InputError("GammaGammaModel.fit needs at least 2 repeat customers with "
                             f"positive spend (got {int(use.sum())}).")
        rows, weight = compress({FREQUENCY: x[use], MONETARY_VALUE: m[use]})
        rx, rm, total = Grouped.of(rows[FREQUENCY]), rows[MONETARY_VALUE], weight.sum()
        log_m = np.log(rm)

        def mean_ll(params: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = gamma_gamma_loglik(params, rx, rm, log_m)
            return float(weight @ ll) / total, grad @ weight / total

        # Start from p = q = 2 with the mean spend p v / (q - 1) matching the data's.
        theta0 = np.log([2.0, 2.0, float(weight @ rm) / total / 2.0])
        theta = maximise(penalised(mean_ll, self.penalizer), theta0,
                         tol=self.tol, max_iter=self.max_iter, name="GammaGammaModel")
        self._store_fit(theta, mean_ll, total, with_grad=True)
        return self

    def expected_spend(self, X: pd.DataFrame) -> np.ndarray:
        """Conditional expected mean spend per purchase of each customer.

        Fader & Hardie (2013) equation (5)::

            E(M | p, q, v, m_x, x) = p (v + x m_x) / (p x + q - 1)

        a weighted mean of the population mean ``p v / (q - 1)`` and the customer's own
        mean ``m_x``. Customers without repeat purchases, or whose mean spend is not
        positive, get the population mean (NaN when ``q <= 1``, where it is infinite).

        Parameters
        ----------
        X : pandas.DataFrame
            Columns ``frequency`` and ``monetary_value``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_customers,)``, in the currency of ``monetary_value``.

        Examples
        --------
        >>> m = GammaGammaModel()
        >>> m.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
        >>> X = pd.DataFrame({"frequency": [0, 2, 3], "monetary_value": [0., 30, 0]})
        >>> m.expected_spend(X).round(2)
        array([35.22, 30.94, 35.22])
        """
        p, q, v = self._param_array()
        data = check_summary(X, self._columns, "GammaGammaModel.expected_spend")
        x, m = data[FREQUENCY], data[MONETARY_VALUE]
        population = p * v / (q - 1) if q > 1 else np.nan
        own = (x > 0) & (m > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            spend = p * (v + x * m) / (p * x + q - 1)
        return np.where(own, spend, population)

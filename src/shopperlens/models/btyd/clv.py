"""Customer lifetime value, next-purchase estimates and the choice of transaction model.

The transaction model is chosen by one rule, :func:`select_transaction_model`, used by the
run (``predict.py``) and by library users alike; its keys (:data:`MODEL_KEYS`) are the
names the run record uses.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from sklearn.base import clone

from shopperlens.errors import ConfigError
from shopperlens.models.btyd._data import (
    DURATION_HOLDOUT,
    FREQUENCY,
    FREQUENCY_HOLDOUT,
    RECENCY,
    T_AGE,
    check_summary,
)
from shopperlens.models.btyd.bg_nbd import BetaGeoModel  # noqa: F401 - in the examples
from shopperlens.models.btyd.gamma_gamma import GammaGammaModel
from shopperlens.models.btyd.pareto_nbd import ParetoNBDModel

DAYS_PER_YEAR = 365.25
MODEL_KEYS = {"BetaGeoModel": "bgnbd", "ParetoNBDModel": "pareto_nbd"}
# Fallback when the unpenalised Pareto/NBD degenerates (s, beta -> infinity: everyone
# drops out at the same rate). A penalty distorts the fit (on CDNOW it raises the holdout
# MAE from 0.794 to 0.855), so it is the second choice, never the first.
FALLBACK_PENALIZER = 1e-3
GRID_STEPS = 64  # horizons evaluated when searching the next-purchase date
STEP_DAYS = {"month": DAYS_PER_YEAR / 12, "week": 7.0}


class TransactionModel(Protocol):
    """What CLV and next-purchase estimates need from a fitted BG/NBD or Pareto/NBD."""

    params_: dict[str, float]

    def probability_alive(self, X: pd.DataFrame) -> np.ndarray: ...

    def expected_purchases(self, t: float | np.ndarray, X: pd.DataFrame) -> np.ndarray: ...


def customer_lifetime_value(
    transaction_model: TransactionModel,
    spend_model: GammaGammaModel,
    X: pd.DataFrame,
    *,
    horizon_days: float = 365.0,
    time_unit_days: float = 7.0,
    discount_rate_annual: float = 0.1,
    margin: float = 1.0,
    step: Literal["month", "week"] = "month",
) -> pd.Series:
    """Discounted expected value of each customer over the next ``horizon_days``.

    As ``lifetimes.GammaGammaFitter.customer_lifetime_value``: the horizon is cut into
    steps (calendar months of 365.25/12 days or weeks; the last one may be shorter); the
    purchases expected in step ``k`` are ``E[Y(t_k)] - E[Y(t_k-1)]`` from the transaction
    model, valued at the spend model's expected spend times ``margin``, and discounted
    to today at ``(1 + discount_rate_annual) ** (end of step in years)``.

    Parameters
    ----------
    transaction_model : BetaGeoModel or ParetoNBDModel
        Fitted on the same time unit as ``X``.
    spend_model : GammaGammaModel
        Fitted spend model.
    X : pandas.DataFrame
        Summary frame: ``frequency``, ``recency``, ``T``, ``monetary_value``.
    horizon_days : float, default 365.0
        How far ahead, in days.
    time_unit_days : float, default 7.0
        Days per time unit of ``X`` and the models.
    discount_rate_annual : float, default 0.1
        Yearly discount rate.
    margin : float, default 1.0
        Share of spend that is profit.
    step : {"month", "week"}, default "month"
        Length of the discounting steps.

    Returns
    -------
    pandas.Series
        ``clv`` per customer, indexed like ``X``.

    Examples
    --------
    >>> bg = BetaGeoModel()
    >>> bg.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> gg = GammaGammaModel()
    >>> gg.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
    >>> X = pd.DataFrame({"frequency": [0, 2], "recency": [0, 30.43], "T": [38.86, 38.86],
    ...                   "monetary_value": [0, 22.35]}, index=["a", "b"])
    >>> customer_lifetime_value(bg, gg, X).round(2)
    a     8.47
    b    36.73
    Name: clv, dtype: float64
    """
    if step not in STEP_DAYS:
        raise ConfigError(f"step={step!r} is not allowed; expected 'month' or 'week'.")
    if not (horizon_days > 0 and time_unit_days > 0 and discount_rate_annual > -1):
        raise ConfigError("horizon_days and time_unit_days must be positive and "
                          "discount_rate_annual above -1.")
    spend = spend_model.expected_spend(X) * margin
    ends = np.minimum(np.arange(1, int(np.ceil(horizon_days / STEP_DAYS[step])) + 1)
                      * STEP_DAYS[step], horizon_days)
    value = np.zeros(len(X))
    before = np.zeros(len(X))
    for end in ends:
        upto = transaction_model.expected_purchases(end / time_unit_days, X)
        value += (upto - before) / (1 + discount_rate_annual) ** (end / DAYS_PER_YEAR)
        before = upto
    return pd.Series(value * spend, index=X.index, name="clv")


def days_to_next_purchase(
    transaction_model: Any,
    X: pd.DataFrame,
    *,
    horizon_days: float,
    time_unit_days: float = 7.0,
    p_alive: np.ndarray | None = None,
) -> pd.Series:
    """Days from the end of ``T`` until each customer more likely than not has bought again.

    The median of the time to the next purchase, dropout included: the first ``d`` with
    ``P(no purchase in d days) <= 0.5``, from the model's ``probability_no_purchase``
    (Pareto/NBD), searched on a geometric grid of :data:`GRID_STEPS` horizons and
    interpolated linearly. NaN when that is beyond ``horizon_days`` (or never): the next purchase is
    then not expected within the horizon, which is exactly when the churn risk over the
    same horizon is above one half.

    Parameters
    ----------
    transaction_model : ParetoNBDModel
        Fitted model with ``probability_no_purchase(t, X)``.
    X : pandas.DataFrame
        Summary frame with ``frequency``, ``recency``, ``T``.
    horizon_days : float
        The stated horizon: no estimate beyond it.
    time_unit_days : float, default 7.0
        Days per time unit of ``X``.
    p_alive : numpy.ndarray, optional
        P(alive) per customer to use instead of the model's (see
        ``ParetoNBDModel.probability_no_purchase``).

    Returns
    -------
    pandas.Series
        ``days_to_next_purchase`` indexed like ``X``, in ``(0, horizon_days]`` or NaN.

    Examples
    --------
    >>> m = ParetoNBDModel()
    >>> m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    >>> X = pd.DataFrame({"frequency": [0, 7], "recency": [0, 35.0], "T": [38.86, 38.0]})
    >>> days_to_next_purchase(m, X, horizon_days=365).round(0).tolist()
    [nan, 37.0]
    """
    check_summary(X, (FREQUENCY, RECENCY, T_AGE), "days_to_next_purchase")
    if not horizon_days > 0:
        raise ConfigError(f"horizon_days={horizon_days!r} is not allowed; expected > 0.")
    days = np.full(len(X), np.nan)
    alive = None if p_alive is None else np.asarray(p_alive, dtype=np.float64)
    due = transaction_model.probability_no_purchase(horizon_days / time_unit_days, X,
                                                    alive) <= 0.5
    if due.any():
        rows, alive = X[due], None if alive is None else alive[due]
        # geometric steps: fine where frequent buyers' medians lie (days), coarse later
        grid = np.concatenate([[0.0], np.geomspace(horizon_days / 1e3, horizon_days,
                                                   GRID_STEPS)])
        quiet = np.array([transaction_model.probability_no_purchase(d / time_unit_days, rows,
                                                                    alive)
                          for d in grid[1:]])
        quiet = np.vstack([np.ones(len(rows)), quiet])  # nobody buys in 0 days
        k = np.argmax(quiet <= 0.5, axis=0)  # first grid step at or below one half
        before, after = quiet[k - 1, np.arange(len(rows))], quiet[k, np.arange(len(rows))]
        share = (before - 0.5) / np.maximum(before - after, 1e-12)
        days[due] = grid[k - 1] + share * (grid[k] - grid[k - 1])
    return pd.Series(days, index=X.index, name="days_to_next_purchase")


def next_purchase_date(
    transaction_model: Any,
    X: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp,
    horizon_days: float,
    time_unit_days: float = 7.0,
    p_alive: np.ndarray | None = None,
) -> pd.Series:
    """Estimated date of each customer's next purchase (NaT beyond ``horizon_days``).

    ``as_of`` (the calibration end the summary was made with) plus
    :func:`days_to_next_purchase`, rounded to whole days, so never later than
    ``as_of + horizon_days``.

    Parameters
    ----------
    transaction_model : ParetoNBDModel
        Fitted model with ``probability_no_purchase``.
    X : pandas.DataFrame
        Summary frame with ``frequency``, ``recency``, ``T``.
    as_of : str or pandas.Timestamp
        The instant the summary's ``T`` ends at.
    horizon_days : float
        No date beyond ``as_of`` plus this many days.
    time_unit_days : float, default 7.0
        Days per time unit of ``X``.
    p_alive : numpy.ndarray, optional
        P(alive) per customer to use instead of the model's.

    Returns
    -------
    pandas.Series
        ``next_purchase_date`` (datetime64) indexed like ``X``.

    Examples
    --------
    >>> m = ParetoNBDModel()
    >>> m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    >>> X = pd.DataFrame({"frequency": [0, 7], "recency": [0, 35.0], "T": [38.86, 38.0]})
    >>> next_purchase_date(m, X, as_of="1997-09-30", horizon_days=365).dt.strftime(
    ...     "%Y-%m-%d").tolist()
    [nan, '1997-11-06']
    """
    days = days_to_next_purchase(transaction_model, X, horizon_days=horizon_days,
                                 time_unit_days=time_unit_days, p_alive=p_alive)
    dates = pd.Timestamp(as_of) + pd.to_timedelta(days.round(), unit="D")
    return dates.rename("next_purchase_date")


def select_transaction_model(
    X: pd.DataFrame,
    *,
    candidates: list[Any] | None = None,
    fit_rows: int | None = None,
) -> tuple[Any, pd.DataFrame]:
    """The one rule choosing the transaction model: the first candidate that fits.

    Candidates are tried in order of preference; the first whose fit ended with finite
    parameters and likelihood is kept. The default is Pareto/NBD,
    then Pareto/NBD with a small penalty (:data:`FALLBACK_PENALIZER`) for data where the
    unpenalised fit fails. BG/NBD is not a default candidate: its
    customers can only drop out right after a purchase, so every one-time buyer has
    P(alive) = 1 however long ago they bought (on CDNOW its P(alive) ranks the customers
    who did not come back *worse* than chance, AUC 0.32).

    When ``X`` has the holdout columns, every candidate is scored on them (mean absolute
    error of the purchases it expects in ``duration_holdout``) for the record, but the
    choice never looks at them: a run is judged on that same holdout.

    Parameters
    ----------
    X : pandas.DataFrame
        Summary frame: ``frequency``, ``recency``, ``T`` (and optionally
        ``frequency_holdout``, ``duration_holdout``).
    candidates : list of estimators, optional
        Unfitted models in order of preference (cloned before fitting).
    fit_rows : int, optional
        Fit on a seeded sample of this many customers at most (all are scored).

    Returns
    -------
    tuple
        The kept fitted model and one row per candidate: ``model`` (its key in
        :data:`MODEL_KEYS`), ``penalizer``, ``log_likelihood``, ``converged``, ``chosen``
        and, with a holdout, ``holdout_mae``, ``holdout_predicted``, ``holdout_actual``.

    Examples
    --------
    >>> X = pd.DataFrame({"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 4, 20, 0, 9, 30],
    ...                   "T": [10, 30, 35, 40, 12, 38], "frequency_holdout": [0, 1, 2, 0, 1, 3],
    ...                   "duration_holdout": 20.0})
    >>> best, scores = select_transaction_model(X)
    >>> scores["model"].tolist(), type(best).__name__
    (['pareto_nbd', 'pareto_nbd'], 'ParetoNBDModel')
    """
    models = candidates if candidates is not None else [
        ParetoNBDModel(), ParetoNBDModel(penalizer=FALLBACK_PENALIZER)]
    fit_on = X if fit_rows is None or len(X) <= fit_rows else X.sample(fit_rows, random_state=0)
    fitted, rows = [], []
    for model in models:
        m, converged = _fit_checked(clone(model), fit_on)
        rows.append({"model": MODEL_KEYS.get(type(m).__name__, type(m).__name__),
                     "penalizer": float(getattr(m, "penalizer", 0.0)),
                     "log_likelihood": float(m.log_likelihood_), "converged": converged,
                     **_holdout_scores(m, X)})
        fitted.append(m)
    good = [k for k, row in enumerate(rows) if row["converged"]]
    chosen = good[0] if good else 0
    scores = pd.DataFrame(rows).assign(chosen=lambda f: f.index == chosen)
    return fitted[chosen], scores


def _fit_checked(model: Any, X: pd.DataFrame) -> tuple[Any, bool]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X)
    params = np.array(list(model.params_.values()), dtype=np.float64)
    # A warning of the optimiser (precision loss near the optimum, or a stop at the
    # parameter cap where dropout is the same for everyone: the likelihood is flat
    # there and the predictions stable) is not a failure; non-finite values are.
    del caught
    return model, bool(np.all(np.isfinite(params)) and np.isfinite(model.log_likelihood_))


def _holdout_scores(model: Any, X: pd.DataFrame) -> dict[str, float]:
    if FREQUENCY_HOLDOUT not in X or DURATION_HOLDOUT not in X:
        return {}
    data = check_summary(X, (FREQUENCY_HOLDOUT, DURATION_HOLDOUT), "select_transaction_model")
    predicted = model.expected_purchases(data[DURATION_HOLDOUT], X)
    return {"holdout_mae": float(np.mean(np.abs(predicted - data[FREQUENCY_HOLDOUT]))),
            "holdout_predicted": float(predicted.sum()),
            "holdout_actual": float(data[FREQUENCY_HOLDOUT].sum())}

"""Customer lifetime value, next-purchase estimates and holdout model selection."""

from __future__ import annotations

from typing import Literal, Protocol

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
from shopperlens.models.btyd.bg_nbd import BetaGeoModel
from shopperlens.models.btyd.gamma_gamma import GammaGammaModel
from shopperlens.models.btyd.pareto_nbd import ParetoNBDModel

DAYS_PER_YEAR = 365.25
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
    transaction_model: TransactionModel,
    X: pd.DataFrame,
    *,
    time_unit_days: float = 7.0,
    min_p_alive: float = 0.5,
) -> pd.Series:
    """Median days from the end of ``T`` to each customer's next purchase, if alive.

    Definition: given the customer is alive, their purchase rate has the posterior
    ``Gamma(r + x, alpha + T)`` (both BG/NBD and Pareto/NBD), so the wait ``W`` to the
    next purchase is Lomax, ``P(W > w) = ((alpha+T)/(alpha+T+w))^(r+x)``, with median
    ``(alpha + T) (2^(1/(r+x)) - 1)`` time units. Dropping out during the wait is not
    counted, hence NaN where ``P(alive) < min_p_alive``: that customer's next purchase
    is improbable rather than late.

    Parameters
    ----------
    transaction_model : BetaGeoModel or ParetoNBDModel
        Fitted model.
    X : pandas.DataFrame
        Summary frame with ``frequency``, ``recency``, ``T``.
    time_unit_days : float, default 7.0
        Days per time unit of ``X``.
    min_p_alive : float, default 0.5
        Below this probability of being alive the estimate is NaN.

    Returns
    -------
    pandas.Series
        ``days_to_next_purchase`` indexed like ``X``.

    Examples
    --------
    >>> bg = BetaGeoModel()
    >>> bg.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> X = pd.DataFrame({"frequency": [2, 4], "recency": [30.43, 5.0], "T": [38.86, 38.86]})
    >>> days_to_next_purchase(bg, X).round(1)
    0    109.7
    1      NaN
    Name: days_to_next_purchase, dtype: float64
    """
    data = check_summary(X, (FREQUENCY, RECENCY, T_AGE), "days_to_next_purchase")
    r, alpha = transaction_model.params_["r"], transaction_model.params_["alpha"]
    shape = r + data[FREQUENCY]
    median = (alpha + data[T_AGE]) * np.expm1(np.log(2.0) / shape) * time_unit_days
    alive = transaction_model.probability_alive(X) >= min_p_alive
    return pd.Series(np.where(alive, median, np.nan), index=X.index,
                     name="days_to_next_purchase")


def next_purchase_date(
    transaction_model: TransactionModel,
    X: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp,
    time_unit_days: float = 7.0,
    min_p_alive: float = 0.5,
) -> pd.Series:
    """Estimated date of each customer's next purchase (NaT where improbable).

    ``as_of`` (the calibration end the summary was made with) plus
    :func:`days_to_next_purchase`, rounded to whole days.

    Parameters
    ----------
    transaction_model : BetaGeoModel or ParetoNBDModel
        Fitted model.
    X : pandas.DataFrame
        Summary frame with ``frequency``, ``recency``, ``T``.
    as_of : str or pandas.Timestamp
        The instant the summary's ``T`` ends at.
    time_unit_days : float, default 7.0
        Days per time unit of ``X``.
    min_p_alive : float, default 0.5
        Below this probability of being alive the date is NaT.

    Returns
    -------
    pandas.Series
        ``next_purchase_date`` (datetime64) indexed like ``X``.

    Examples
    --------
    >>> bg = BetaGeoModel()
    >>> bg.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> X = pd.DataFrame({"frequency": [2, 4], "recency": [30.43, 5.0], "T": [38.86, 38.86]})
    >>> next_purchase_date(bg, X, as_of="1997-09-30").dt.strftime("%Y-%m-%d").tolist()
    ['1998-01-18', nan]
    """
    days = days_to_next_purchase(transaction_model, X, time_unit_days=time_unit_days,
                                 min_p_alive=min_p_alive)
    dates = pd.Timestamp(as_of) + pd.to_timedelta(days.round(), unit="D")
    return dates.rename("next_purchase_date")


def select_transaction_model(
    X: pd.DataFrame, *, candidates: list[TransactionModel] | None = None
) -> tuple[TransactionModel, pd.DataFrame]:
    """Fit each candidate on the calibration data and keep the best on the holdout.

    The score is the mean absolute error, over customers, between the purchases each
    model expects in the holdout (``expected_purchases(duration_holdout, X)``) and the
    ``frequency_holdout`` observed; ties go to the earlier candidate.

    Parameters
    ----------
    X : pandas.DataFrame
        Summary frame made with ``observation_end``: ``frequency``, ``recency``, ``T``,
        ``frequency_holdout``, ``duration_holdout``.
    candidates : list of estimators, optional
        Unfitted models (cloned before fitting); default BG/NBD then Pareto/NBD.

    Returns
    -------
    tuple
        The best fitted model, and a frame with one row per candidate: ``model``,
        ``log_likelihood``, ``holdout_mae``, ``holdout_predicted``, ``holdout_actual``.

    Examples
    --------
    >>> X = pd.DataFrame({"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 4, 20, 0, 9, 30],
    ...                   "T": [10, 30, 35, 40, 12, 38], "frequency_holdout": [0, 1, 2, 0, 1, 3],
    ...                   "duration_holdout": 20.0})
    >>> candidates = [BetaGeoModel(penalizer=0.1), ParetoNBDModel(penalizer=0.1)]
    >>> best, scores = select_transaction_model(X, candidates=candidates)
    >>> list(scores.columns)
    ['model', 'log_likelihood', 'holdout_mae', 'holdout_predicted', 'holdout_actual']
    """
    data = check_summary(X, (FREQUENCY_HOLDOUT, DURATION_HOLDOUT), "select_transaction_model")
    models = candidates if candidates is not None else [BetaGeoModel(), ParetoNBDModel()]
    fitted, rows = [], []
    for model in models:
        m = clone(model).fit(X)
        predicted = m.expected_purchases(data[DURATION_HOLDOUT], X)
        rows.append({
            "model": type(m).__name__, "log_likelihood": m.log_likelihood_,
            "holdout_mae": float(np.mean(np.abs(predicted - data[FREQUENCY_HOLDOUT]))),
            "holdout_predicted": float(predicted.sum()),
            "holdout_actual": float(data[FREQUENCY_HOLDOUT].sum()),
        })
        fitted.append(m)
    scores = pd.DataFrame(rows)
    return fitted[int(np.argmin(scores["holdout_mae"].to_numpy()))], scores

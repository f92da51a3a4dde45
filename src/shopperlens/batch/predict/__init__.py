"""The prediction stage: buy-till-you-die models, the churn model and holdout evaluation.

Time discipline (no leakage): everything is fitted on data up to ``as_of``. The churn
model learns from a *past* window: features at ``as_of - churn_days`` and, as label,
whether the customer bought again before ``as_of``; it then scores today's features.
With ``holdout_days``, predictions made at ``as_of`` are scored against what really
happened after it (the data folder holds that period; features never see it).

One notion of "still a customer", over one stated horizon ``H`` (the orders horizon,
``--horizon``): ``p_alive`` is Pareto/NBD's probability that the customer has not left for
good (no zero-repeat artefact: a one-time buyer of long ago is not alive with
probability 1); ``churn_risk`` is the calibrated probability of no order within ``H``
days (the churn model learns that very event, on the longest window up to ``H`` the data
allows); ``expected_orders_<H>d`` counts orders in the same ``H`` days, and
``next_order_date`` is the day by which another order is more likely than not, empty
when that is beyond ``H``. With ``holdout_days`` the run record publishes the
reliability (bins and Brier score) of both probabilities against what happened.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.batch.predict.churn_training import _churn_sample, fit_churn
from shopperlens.batch.predict.purchases import (  # noqa: F401  (re-exported: the run and tests use them)
    DAILY_TABLE,
    PARETO_SAMPLE,
    WEEK,
    _daily_sql,
    _fit_rows,
    btyd_summary,
)
from shopperlens.engines.blocks import EVERYONE
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import ConvergenceWarning
from shopperlens.features import (
    compute_features,
)
from shopperlens.models import (
    BetaGeoModel,
    ChurnModel,
    GammaGammaModel,
    customer_lifetime_value,
    next_purchase_date,
    select_transaction_model,
)
from shopperlens.models.churn_choice import (
    LIGHTGBM,
    ChurnChoice,
    btyd_effects,
)
from shopperlens.models.holdout import holdout_part, holdout_record

# BG/NBD has 4 parameters and Gamma-Gamma 3: beyond a few hundred thousand customers
# their standard errors are far below any business difference, while each likelihood
# evaluation costs time linear in the distinct summaries (at 1M demo customers the fits
# took 3.4 s, on 200k 0.8 s). They are fitted on a seeded sample of this many (every
# customer is still predicted).
BTYD_FIT_MAX = 200_000
SCORE_BLOCK = 250_000  # buyers scored and explained at a time
PAST_TABLE = "churn_window_features"
OLDER_TABLE = "churn_check_features"
FITTED_MODELS = 4  # what fit_predictor fits: transactions, spend, baseline and churn
OLDER_MIN = 200  # buyers one window earlier still, for the temporal check of churn risk


DECIMALS = 12  # of the predictions written (see Predictor.predict)


@dataclass
class Predictor:
    """The fitted prediction models, applied to a block of customers at a time
    (:meth:`predict`); :meth:`finish` gives what the run record says about them."""

    transactions: Any  # the chosen buy-till-you-die model
    spend: GammaGammaModel | None
    churn: ChurnModel | None
    as_of: datetime
    orders_days: int
    value_days: int
    holdout_days: int | None
    record: dict[str, Any] = field(default_factory=dict)
    baseline: BetaGeoModel | None = None  # BG/NBD, scored beside on the holdout
    churn_window_days: int = 0  # the churn label's window: churn_risk is about it
    churn_choice: ChurnChoice = field(default_factory=lambda: ChurnChoice(LIGHTGBM))
    _holdout: list[pd.DataFrame] = field(default_factory=list, repr=False)
    # the fit set's customers and summary: a block of the same customers reuses it
    _fit_summary: tuple[pd.Index, pd.DataFrame] | None = field(default=None, repr=False)

    def predict(self, engine: DuckDBEngine, features: pd.DataFrame, where: str) -> pd.DataFrame:
        """Predictions for the customers of ``features``, whose rows of the engine's
        tables SQL ``where`` selects; one row per customer, as in the segments (the
        models describe buyers: a customer without a purchase has empty predictions)."""
        summary = self._summary(engine, where, features)
        frame = _btyd_frame(self.transactions, self.spend, summary, self.orders_days,
                            self.value_days)
        if self.churn is not None:
            frame = frame.join(self._churn_frame(features, summary), how="left")
            frame["p_alive"] = reconcile_p_alive(self.transactions, summary, frame,
                                                 self.churn_window_days)
        else:  # not fitted (too little history): the columns stay, empty
            frame = frame.assign(churn_risk=np.nan, churn_drivers=None)
        frame = _with_next_order_date(self.transactions, summary, frame, self.as_of,
                                      self.orders_days)
        # numpy's vector maths may round the last bit of a value differently with the
        # length of a block: a run in blocks must write what one pass writes
        frame = frame.round({c: DECIMALS for c in frame.select_dtypes("float").columns})
        if self.holdout_days:
            self._holdout.append(holdout_part(self.transactions, self.baseline, summary,
                                               frame, self.holdout_days))
        frame = frame.reindex(features.index.union(frame.index, sort=False))
        return frame.rename_axis(s.CUSTOMER_ID).reset_index()

    def finish(self) -> dict[str, Any]:
        """The record of the models and, with ``holdout_days``, of every predicted block
        against what happened."""
        record = dict(self.record)
        if self.holdout_days:
            parts = pd.concat(self._holdout, ignore_index=True)
            record["holdout"] = holdout_record(parts, self.holdout_days)
        return record

    def _churn_frame(self, features: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
        """Churn risk and drivers of every buyer, a block of buyers at a time: each row
        is scored on its own, and the SHAP matrix of millions of buyers would take
        gigabytes. The risk is the chosen candidate's (see
        :mod:`~shopperlens.models.churn_choice`), its drivers what moves it."""
        model = self.churn
        assert model is not None
        X = features.loc[features["frequency"] > 0, model.feature_names_in_]
        blocks = [self._churn_block(X.iloc[i : i + SCORE_BLOCK], features, summary)
                  for i in range(0, len(X), SCORE_BLOCK)]
        return pd.concat(blocks) if blocks else self._churn_block(X, features, summary)

    def _churn_block(self, X: pd.DataFrame, features: pd.DataFrame, summary: pd.DataFrame
                     ) -> pd.DataFrame:
        model, choice = self.churn, self.churn_choice
        assert model is not None
        frame = pd.DataFrame(index=X.index)
        p_model = model.predict_proba(X)[:, 1]
        scale, weight = choice.log_odds_weights
        if choice.name == LIGHTGBM:
            frame["churn_risk"] = p_model
            frame["churn_drivers"] = join_drivers(model.explain(X))
            return frame
        weeks = self.churn_window_days / WEEK
        part = summary.reindex(X.index)
        known = part["T"].notna().to_numpy()
        p_btyd = np.full(len(X), np.nan)
        p_btyd[known] = self.transactions.probability_no_purchase(weeks, part[known])
        risk = choice.combine(p_model, np.where(known, p_btyd, p_model))
        frame["churn_risk"] = np.where(known, risk, p_model)  # no purchase day: the model's
        effects = btyd_effects(self.transactions, summary, features.loc[X.index],
                               model.median_values(), weeks)
        extra = {name: weight * effect for name, effect in effects.items()
                 if name in model.feature_names_in_}
        frame["churn_drivers"] = join_drivers(model.explain(X, scale=scale, extra=extra))
        return frame

    def _summary(self, engine: DuckDBEngine, where: str, features: pd.DataFrame
                 ) -> pd.DataFrame:
        if self._fit_summary is not None and features.index.equals(self._fit_summary[0]):
            return self._fit_summary[1]
        return _summary(engine, where, features, self.as_of, self.holdout_days)


def _summary(engine: DuckDBEngine, where: str, features: pd.DataFrame, as_of: datetime,
             holdout_days: int | None) -> pd.DataFrame:
    end = as_of + timedelta(days=holdout_days) if holdout_days else None
    summary = btyd_summary(engine, where, as_of, end)
    return summary.reindex(features.index).dropna(subset=["T"])


@dataclass
class TrainingData:
    """What the prediction models learn from, read from the engine by
    :func:`gather_training_data`."""

    customers: pd.Index  # the fit set
    as_of: datetime  # the cutoff
    summary: pd.DataFrame  # their purchases, as buy-till-you-die models take them
    past_as_of: datetime  # the churn model's window: features as of this date ...
    past: pd.DataFrame  # ... of these buyers, without text features yet
    churn_sample: pd.Index | None  # the buyers drawn for it (None: everyone's)
    # one window earlier still, when enough buyers were customers then: the churn risk's
    # candidates are checked as they are used, learnt on an older window, tested on a
    # newer population (None: the data is too young for it)
    older_as_of: datetime | None = None
    older: pd.DataFrame | None = None


def gather_training_data(
    engine: DuckDBEngine,
    features: pd.DataFrame,
    where: str,
    *,
    as_of: datetime,
    churn_days: int = 90,
    holdout_days: int | None = None,
    seed: int = 0,
) -> TrainingData:
    """The engine's part of :func:`fit_predictor`: the purchase summary and the churn
    window's features of the customers of ``features`` (whose rows SQL ``where``
    selects). It needs neither the text scores nor the segment model, so a run reads
    it on a connection of its own while the segment model fits.

    The churn window's feature tables take the names of the run's own (``tx``,
    ``feat_tx``, ...): nothing may read those while this runs.
    """
    engine.create_table(DAILY_TABLE, _daily_sql())
    summary = _summary(engine, where, features, as_of, holdout_days)
    window = checkable_window(features, churn_window(features, churn_days))
    past_as_of = as_of - timedelta(days=window)
    sample = _churn_sample(features, seed, everyone=where == EVERYONE.where())
    past = compute_features(engine, as_of=past_as_of, customers=sample, table=PAST_TABLE)
    training = TrainingData(features.index, as_of, summary, past_as_of, past, sample)
    buyers = features.loc[features["frequency"] > 0, "tenure_days"]
    if (buyers > 2 * window).sum() >= OLDER_MIN:
        training.older_as_of = past_as_of - timedelta(days=window)
        training.older = compute_features(engine, as_of=training.older_as_of,
                                          customers=sample, table=OLDER_TABLE)
    return training


def churn_window(features: pd.DataFrame, churn_days: int) -> int:
    """Days of the churn model's label window: ``churn_days`` (the horizon churn risk is
    about), shortened if needed so that at least half of today's buyers were already
    customers when the window opened (the median of their days since first order);
    a young customer base (CDNOW at 1997-09-30, all acquired in January-March 1997)
    allows no full 273-day window. At least one day."""
    tenure = features.loc[features["frequency"] > 0, "tenure_days"].dropna()
    if tenure.empty:
        return churn_days
    return max(1, min(churn_days, int(np.floor(tenure.median()))))


def checkable_window(features: pd.DataFrame, window: int) -> int:
    """``window``, or down to half of it if that lets :data:`OLDER_MIN` of today's
    buyers have bought two windows ago: the churn risk's candidates are then checked as
    they are used (learnt on an older window, tested on a newer one). A young customer
    base (CDNOW at 1997-03-31: a 47-day window, no buyer older than 89 days) gains the
    check for a slightly shorter label window; with no such buyers it stays as it is."""
    tenure = features.loc[features["frequency"] > 0, "tenure_days"].dropna()
    if len(tenure) < OLDER_MIN:
        return window
    oldest = float(np.sort(tenure.to_numpy())[-OLDER_MIN])  # OLDER_MIN buyers this old
    longest = int(np.floor((oldest - 1) / 2))  # bought before the older window's cutoff
    return min(window, longest) if longest >= max(1, window / 2) else window


def fit_predictor(
    engine: DuckDBEngine,
    features: pd.DataFrame,
    where: str,
    *,
    as_of: datetime,
    orders_horizon_days: int = 90,
    value_horizon_days: int = 365,
    churn_days: int = 90,
    holdout_days: int | None = None,
    seed: int = 0,
    training: TrainingData | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Predictor:
    """Fit the prediction models on the customers of ``features`` (already filtered by
    consent), whose rows of the engine's tables SQL ``where`` selects.

    ``training`` is what :func:`gather_training_data` read with the same arguments
    (read here when not given). The churn model's training window gets text features
    from the scores that :func:`~shopperlens.features.score_texts_table` stored, if any.
    ``progress(done, total)`` is told the models fitted so far (transactions, spend,
    baseline, churn; one not fitted for want of data counts as done).
    """
    def tick(done: int) -> None:
        if progress is not None:
            progress(done, FITTED_MODELS)

    if training is None:
        training = gather_training_data(engine, features, where, as_of=as_of,
                                        churn_days=churn_days, holdout_days=holdout_days,
                                        seed=seed)
    summary = training.summary
    predictor = Predictor(None, None, None, as_of, orders_horizon_days, value_horizon_days,
                          holdout_days, _fit_summary=(training.customers, summary))
    chosen, selection = select_transaction_model(summary, fit_rows=PARETO_SAMPLE)
    tick(1)
    predictor.transactions, predictor.spend = chosen, _spend_model(summary)
    tick(2)
    key = selection.loc[selection["chosen"], "model"].iloc[0]
    models = {key: _fitted(chosen)}
    if predictor.spend is not None:
        models["gamma_gamma"] = _fitted(predictor.spend)
    predictor.record = _record(models, key, selection, orders_horizon_days)
    # BG/NBD, the common reference, is fitted beside (a fraction of a second) and scored
    # on the holdout; it predicts nothing in the outputs.
    with warnings.catch_warnings(record=True) as caught:  # a reference: never a warning
        warnings.simplefilter("always", ConvergenceWarning)
        predictor.baseline = BetaGeoModel().fit(_fit_rows(summary, BTYD_FIT_MAX))
    models["bgnbd"] = _fitted(predictor.baseline)
    models["bgnbd"]["converged"] = not any(w.category is ConvergenceWarning for w in caught)
    predictor.record["baseline_model"] = "bgnbd"
    tick(3)
    predictor.churn, predictor.churn_choice = fit_churn(
        engine, features, where, training, chosen, seed, predictor.record)
    tick(4)
    predictor.churn_window_days = window = (training.as_of - training.past_as_of).days
    if predictor.churn is not None:
        source = {"lightgbm": "the churn model's", "pareto_nbd": "Pareto/NBD's",
                  "blend": "a blend of the churn model's and Pareto/NBD's"}
        predictor.record["meaning"]["churn_risk"] = (
            f"probability of no order within {window} days (the churn model's label "
            f"window), {source[predictor.churn_choice.name]} answer, the candidate that "
            "ranked past customers best (churn.choice); p_alive is kept within the "
            "bounds it sets")
    return predictor


def _record(models: dict[str, Any], key: str, selection: pd.DataFrame,
            orders_horizon_days: int) -> dict[str, Any]:
    """The run record's predictions: the models fitted and what the outputs mean."""
    return {
        "models": models,
        "transaction_model": key,
        "model_selection": selection.to_dict("records"),
        "horizon_days": orders_horizon_days,
        "meaning": {
            "p_alive": "probability the customer has not left for good (Pareto/NBD, kept "
                       "within the bounds churn_risk sets)",
            f"expected_orders_{orders_horizon_days}d":
                f"orders (purchase days) expected within {orders_horizon_days} days",
            "next_order_date": "day by which another order is more likely than not; "
                               f"empty when beyond {orders_horizon_days} days",
        },
    }


def _spend_model(summary: pd.DataFrame) -> GammaGammaModel | None:
    repeaters = _repeaters(summary)
    if len(repeaters) < 20:
        return None
    return GammaGammaModel().fit(_fit_rows(repeaters, BTYD_FIT_MAX))


def _repeaters(summary: pd.DataFrame) -> pd.DataFrame:
    """The customers Gamma-Gamma learns spend from: repeat buyers with a positive spend."""
    return summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]


def _btyd_frame(
    model: Any,
    spend: GammaGammaModel | None,
    summary: pd.DataFrame,
    orders_days: int,
    value_days: int,
) -> pd.DataFrame:
    frame = pd.DataFrame(index=summary.index)
    frame["p_alive"] = model.probability_alive(summary)
    frame[f"expected_orders_{orders_days}d"] = model.expected_purchases(orders_days / WEEK, summary)
    if spend is not None:
        frame[f"expected_clv_{value_days}d"] = customer_lifetime_value(
            model, spend, summary, horizon_days=value_days, time_unit_days=WEEK
        ).to_numpy()
    return frame


def reconcile_p_alive(model: Any, summary: pd.DataFrame, frame: pd.DataFrame,
                      window_days: int) -> np.ndarray:
    """P(alive) made consistent with the churn risk: one notion of "still a customer".

    The churn model's risk is ``P(no order within w days)`` (``w`` its label window),
    and ``P(no order) = 1 - P(alive) + P(alive) q`` where ``q`` is the transaction
    model's probability of no order within ``w`` days *given* alive (its purchase and
    dropout rates). So P(alive) can be no more than ``(1 - churn_risk) / (1 - q)`` (the
    churn model sees more than purchases, texts and browsing, so it leads) and no less
    than ``1 - churn_risk`` (only the living buy). The transaction model's P(alive) is
    kept inside those bounds and moved to the nearer one outside them; a customer without
    a churn risk keeps it as it is. Being "alive" with 95% and churning with 90% at once
    then needs ``1 - q <= 0.105``: a customer who, alive, would rarely buy in ``w`` days.
    """
    risk = frame["churn_risk"].reindex(summary.index).to_numpy(dtype=np.float64)
    p_alive = np.array(frame["p_alive"].reindex(summary.index), dtype=np.float64)
    known = ~np.isnan(risk)
    if window_days <= 0 or not known.any():
        return p_alive
    quiet = model.no_purchase_if_alive(window_days / WEEK, summary[known])
    with np.errstate(divide="ignore", invalid="ignore"):
        most = np.minimum((1.0 - risk[known]) / np.maximum(1.0 - quiet, 1e-12), 1.0)
    p_alive[known] = np.clip(p_alive[known], 1.0 - risk[known], most)
    return p_alive


def _with_next_order_date(model: Any, summary: pd.DataFrame, frame: pd.DataFrame,
                          as_of: datetime, horizon_days: int) -> pd.DataFrame:
    """``frame`` with ``next_order_date`` after the value columns: the day by which
    another order is more likely than not under the frame's (reconciled) P(alive);
    empty beyond ``horizon_days``."""
    last_day = pd.Timestamp(as_of) - pd.Timedelta(days=1)
    dates = next_purchase_date(model, summary, as_of=last_day, horizon_days=horizon_days,
                               time_unit_days=WEEK, p_alive=frame["p_alive"].to_numpy())
    text = pd.Series(pd.to_datetime(dates.to_numpy()).strftime("%Y-%m-%d"), index=frame.index)
    text[pd.isna(dates.to_numpy())] = None
    at = [c for c in frame.columns if c.startswith("expected_")]
    frame.insert(frame.columns.get_loc(at[-1]) + 1, "next_order_date", text)
    return frame


def _churn_frame(model: ChurnModel, features: pd.DataFrame) -> pd.DataFrame:
    """The churn model's own risk and drivers of every buyer of ``features`` (the
    published risk when it is the chosen candidate)."""
    return Predictor(None, None, model, datetime.min, 0, 0, None)._churn_frame(
        features, pd.DataFrame(columns=["T"]))


def join_drivers(drivers: pd.DataFrame) -> pd.Series:
    """One "; "-separated text per row of the driver columns, skipping empty ones
    (a customer may have fewer drivers than columns); ``None`` when there are none."""
    parts = drivers.to_numpy(dtype=object)
    text = ["; ".join(p for p in row if p) or None for row in parts]
    return pd.Series(text, index=drivers.index, dtype=object)


def _fitted(model: Any) -> dict[str, Any]:
    return {
        "params": {k: float(v) for k, v in model.params_.items()},
        "log_likelihood": float(model.log_likelihood_),
        "standard_errors": {k: float(v) for k, v in dict(model.standard_errors_).items()},
    }

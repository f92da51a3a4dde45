"""The churn model's training on a past window, and the choice of the published churn
risk among it, the transaction model's answer and their blend
(:mod:`~shopperlens.models.churn_choice`): the engine's side of it."""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from shopperlens.batch.predict.purchases import PARETO_SAMPLE, WEEK, _fit_rows, btyd_summary
from shopperlens.engines.blocks import in_sample
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import ConvergenceWarning
from shopperlens.features import add_text_features, numeric_features, text_scores
from shopperlens.models import BetaGeoModel, ChurnModel, churn_metrics
from shopperlens.models.churn_choice import (
    LIGHTGBM,
    CandidateCheck,
    ChurnChoice,
    choose_churn_risk,
)

if TYPE_CHECKING:
    from shopperlens.batch.predict import TrainingData

CHURN_TRAIN_MAX = 50_000  # training rows of the churn model (a stratified sample)
CHURN_TEST_MAX = 50_000  # rows it is evaluated on
CHURN_SAMPLE = "_churn_customers"
BASELINE_SAMPLE = "_baseline_customers"


def fit_churn(
    engine: DuckDBEngine,
    features: pd.DataFrame,
    where: str,
    training: TrainingData,
    transactions: Any,
    seed: int,
    record: dict[str, Any],
) -> tuple[ChurnModel | None, ChurnChoice]:
    past_as_of, sample = training.past_as_of, training.churn_sample
    scored = where if sample is None else in_sample(engine, sample, CHURN_SAMPLE)
    past = add_text_features(training.past, text_scores(engine, scored), past_as_of)
    past = past.reindex(features.index if sample is None else sample)
    past = past[past["frequency"] > 0]
    if len(past) < 50:
        record["churn"] = {
            "skipped": f"only {len(past)} customers bought before {past_as_of:%Y-%m-%d}"
        }
        return None, ChurnChoice(LIGHTGBM)
    columns = numeric_features(past, default_only=False)
    bought_since = features.loc[past.index, "frequency"] > past["frequency"]
    y = (~bought_since).astype(int).to_numpy()
    if y.min() == y.max():
        record["churn"] = {"skipped": "every customer had the same outcome in the training window"}
        return None, ChurnChoice(LIGHTGBM)
    # Beyond CHURN_TRAIN_MAX rows the model barely improves (AUC 0.948 on all 65k demo
    # buyers vs 0.946 on 20k) while fit time grows linearly: sample, stratified.
    train_size = min(0.75, CHURN_TRAIN_MAX / len(past))
    train, test = train_test_split(
        np.arange(len(past)),
        train_size=train_size,
        test_size=min(0.25, CHURN_TEST_MAX / len(past)),
        random_state=seed,
        stratify=y,
    )
    model = ChurnModel(random_state=seed).fit(past.iloc[train][columns], y[train])
    p = model.predict_proba(past.iloc[test][columns])[:, 1]
    metrics = churn_metrics(y[test], p)
    metrics["baseline_auc_p_alive"] = _p_alive_baseline(
        engine, past_as_of, past.index[test], y[test]
    )
    window = (training.as_of - past_as_of).days
    metrics["label"] = f"no order within {window} days after {past_as_of:%Y-%m-%d}"
    metrics["window_days"] = window
    metrics["features"] = columns
    importance = pd.Series(model.feature_importances_, index=model.feature_names_in_)
    metrics["global_importance"] = importance.sort_values(ascending=False).round(6).to_dict()
    p_btyd = _past_no_order(engine, scored, transactions, past_as_of, window, past.index)
    check = _temporal_check(engine, scored, training, past, columns, seed)
    if check is None:  # the data is too young: the churn model's own test set
        check = CandidateCheck("same window: the churn model's held-out test customers",
                               y[test], p, None if p_btyd is None else p_btyd[test])
    else:
        check.p_btyd = p_btyd
        check.y = y
    choice, metrics["choice"] = choose_churn_risk(check, seed)
    metrics["risk_from"] = choice.name  # auc, brier above are the churn model's own
    record["churn"] = metrics
    return model, choice


def _temporal_check(engine: DuckDBEngine, scored: str, training: TrainingData,
                    past: pd.DataFrame, columns: list[str], seed: int
                    ) -> CandidateCheck | None:
    """The churn model as it is used: learnt one window earlier (features as of
    ``older_as_of``, label: no order before ``past_as_of``), then scoring the newer
    population as of ``past_as_of``, whose outcome by ``as_of`` is known. A tree cannot
    extrapolate beyond the ages it learnt from; this check sees it, a test set of the
    same window does not. None when the data has no such older window."""
    if training.older is None or training.older_as_of is None:
        return None
    older = add_text_features(training.older, text_scores(engine, scored),
                              training.older_as_of)
    older = older.reindex(past.index).dropna(subset=["frequency"])
    older = older[older["frequency"] > 0].reindex(columns=columns)
    y_old = (past.loc[older.index, "frequency"] <= older["frequency"]).astype(int)
    if len(older) < 50 or y_old.nunique() < 2:
        return None
    if len(older) > CHURN_TRAIN_MAX:
        older = older.sample(CHURN_TRAIN_MAX, random_state=seed)
        y_old = y_old.loc[older.index]
    model = ChurnModel(random_state=seed).fit(older, y_old.to_numpy())
    return CandidateCheck(
        f"temporal: the churn model learnt as of {training.older_as_of:%Y-%m-%d}, every "
        f"candidate tested on the buyers as of {training.past_as_of:%Y-%m-%d}",
        np.empty(0), model.predict_proba(past[columns])[:, 1], None)


def _past_no_order(engine: DuckDBEngine, scored: str, transactions: Any,
                   past_as_of: datetime, window: int, ids: pd.Index) -> np.ndarray | None:
    """The transaction model's answer to the churn label's question (no order within
    ``window`` days), refitted as of ``past_as_of`` on the churn window's customers
    (``scored`` selects them), for ``ids`` (NaN for those without a purchase day, None
    when it cannot answer at all)."""
    summary = btyd_summary(engine, scored, past_as_of)
    if len(summary) < 50:
        return None
    with warnings.catch_warnings():  # a candidate: a failed fit only loses the choice
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = clone(transactions).fit(_fit_rows(summary, PARETO_SAMPLE))
    p = pd.Series(model.probability_no_purchase(window / WEEK, summary), summary.index)
    return p.reindex(ids).to_numpy(dtype=np.float64)


def _churn_sample(features: pd.DataFrame, seed: int, *, everyone: bool = True
                  ) -> pd.Index | None:
    """The buyers whose past features the churn model may learn and be tested on
    (``None``: everyone's, when ``features`` are everyone's and their buyers not many
    more than it needs).

    Past buyers are today's buyers, so drawing from these (with room for the newer
    ones, who did not buy back then) keeps the second feature pass to a sample.
    """
    buyers = features.index[features["frequency"] > 0]
    wanted = 2 * (CHURN_TRAIN_MAX + CHURN_TEST_MAX)
    if len(buyers) <= wanted:
        return None if everyone else buyers
    rng = np.random.default_rng(seed)
    return buyers[np.sort(rng.choice(len(buyers), wanted, replace=False))]


def _p_alive_baseline(
    engine: DuckDBEngine, past_as_of: datetime, ids: pd.Index, y: np.ndarray
) -> float | None:
    scored = in_sample(engine, ids, BASELINE_SAMPLE)  # summarise only the customers scored
    summary = btyd_summary(engine, scored, past_as_of).reindex(ids)
    known = summary["T"].notna().to_numpy()
    if known.sum() < 10 or len(set(y[known])) < 2:
        return None
    p_alive = BetaGeoModel().fit(summary[known]).probability_alive(summary[known])
    return float(roc_auc_score(y[known], 1 - p_alive))

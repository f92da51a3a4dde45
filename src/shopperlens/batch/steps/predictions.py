"""Step ``predictions``: the transaction, value and churn models, fitted on the fit set."""

from __future__ import annotations

import pandas as pd

from shopperlens.batch.predict import fit_predictor
from shopperlens.batch.state import RunState


def fit(state: RunState) -> None:
    """Fills ``predictor``; frees the fit set when the customers are scored anew."""
    fitting, settings = state.fit_set, state.settings
    assert state.engine is not None and fitting is not None and state.training is not None
    state.predictor = fit_predictor(
        state.engine,
        fitting.profiled,
        fitting.where,
        orders_horizon_days=settings.orders_horizon_days,
        value_horizon_days=settings.value_horizon_days,
        training=state.training.result(),
        progress=state.timer.ticker("predictions", "models"),
        **state.predicting,
    )
    fitted = (state.predictor.transactions, state.predictor.spend, state.predictor.churn)
    state.timer.count("predictions", models_fitted=sum(m is not None for m in fitted))
    if fitting.block is None:  # the blocks are fetched anew: free the fit set's memory
        fitting.features = fitting.profiled = pd.DataFrame()

"""The prediction stage fits its buy-till-you-die models on a capped, seeded sample."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens import predict
from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.models import BetaGeoModel, GammaGammaModel, summary_data

CDNOW = Path(__file__).parent / "data" / "cdnow" / "sample_transactions.csv"


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    tx = pd.read_csv(CDNOW, dtype={"customer_id": str})
    return summary_data(tx, calibration_end="1997-09-30")


def test_btyd_models_fit_on_a_sample_and_predict_everyone(
    summary: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}
    for model in (BetaGeoModel, GammaGammaModel):
        fit = model.fit

        def spy(self, X, y=None, *, _fit=fit, _name=model.__name__):  # noqa: ANN001, ANN202
            seen[_name] = len(X)
            return _fit(self, X)

        monkeypatch.setattr(model, "fit", spy)
    full = predict._transaction_models(summary, None)[0]["bgnbd"]
    assert seen["BetaGeoModel"] == len(summary) == 2357
    monkeypatch.setattr(predict, "BTYD_FIT_MAX", 500)
    fitted, chosen, _ = predict._transaction_models(summary, None)
    spend = predict._spend_model(summary)
    assert seen == {"BetaGeoModel": 500, "GammaGammaModel": 500}
    assert spend is not None
    sampled = fitted[chosen]
    p_full, p_sampled = full.probability_alive(summary), sampled.probability_alive(summary)
    assert len(p_sampled) == len(summary)
    # A sample of 500 of the 2,357 customers moves P(alive) little.
    assert np.corrcoef(p_full, p_sampled)[0, 1] > 0.98
    assert np.abs(np.asarray(p_full) - np.asarray(p_sampled)).mean() < 0.05


def test_churn_window_covers_the_fit_set_not_everyone_when_that_is_a_sample() -> None:
    features = pd.DataFrame({"frequency": [0, 2, 1, 0, 5]},
                            index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"))
    # everyone fits: no sample, the whole population's tables are read as they are
    assert predict._churn_sample(features, seed=0) is None
    # the fit set is a sample of a bigger population: its buyers, not everyone
    assert list(predict._churn_sample(features, seed=0, everyone=False)) == ["b", "c", "e"]


days = st.integers(min_value=0, max_value=60)
purchases = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), days,
              st.floats(min_value=0, max_value=500, allow_nan=False)),
    min_size=1, max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(purchases, days, st.one_of(st.none(), st.integers(min_value=1, max_value=30)))
def test_summary_in_the_engine_equals_summary_data(rows, cut: int, holdout) -> None:  # noqa: ANN001
    start = datetime(2024, 1, 1)
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["timestamp"] = start + pd.to_timedelta(tx.pop("day"), unit="D") + pd.Timedelta(hours=9)
    as_of = start + timedelta(days=cut)
    end = None if holdout is None else as_of + timedelta(days=holdout)
    with DuckDBEngine() as engine:
        engine.register(s.TRANSACTIONS.name, tx)
        engine.create_table(predict.DAILY_TABLE, predict._daily_sql())
        got = predict.btyd_summary(engine, "TRUE", as_of, end)
    expected = summary_data(
        tx, calibration_end=as_of - timedelta(days=1), time_unit_days=predict.WEEK,
        observation_end=None if end is None else end - timedelta(days=1),
    )
    assert list(got.index) == list(expected.index)
    assert list(got.columns) == list(expected.columns)
    if len(expected):
        np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float),
                                   rtol=1e-9, atol=1e-6)

"""The prediction stage fits its buy-till-you-die models on a capped, seeded sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopperlens import predict
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

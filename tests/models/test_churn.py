"""ChurnModel on synthetic customers whose churn depends on a planted driver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.errors import ConfigError, InputError
from shopperlens.models import ChurnModel, churn_metrics


def _customers(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "recency_days": rng.uniform(0, 365, n),
        "frequency": rng.poisson(4, n).astype(float),
        "noise": rng.normal(size=n),
    })
    logit = (X["recency_days"] - 180) / 40 - 0.3 * (X["frequency"] - 4)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def fitted() -> tuple[ChurnModel, pd.DataFrame, np.ndarray]:
    X, y = _customers(1500, 0)
    return ChurnModel(n_estimators=100).fit(X, y), *_customers(1000, 1)


def test_discriminates_and_calibrates(fitted: tuple) -> None:
    model, X_test, y_test = fitted
    metrics = churn_metrics(y_test, model.predict_proba(X_test)[:, 1])
    assert metrics["auc"] > 0.85
    assert metrics["brier"] < 0.15
    assert len(metrics["calibration"]) == 10
    for row in metrics["calibration"]:
        assert abs(row["mean_predicted"] - row["observed_rate"]) < 0.2


def test_explanations_name_the_planted_driver(fitted: tuple) -> None:
    model, X_test, _ = fitted
    assert model.feature_names_in_[np.argmax(model.feature_importances_)] == "recency_days"
    lapsed = X_test.assign(recency_days=350.0, frequency=4.0).iloc[:1]
    text = model.explain(lapsed, top=2)
    assert list(text.columns) == ["driver_1", "driver_2"]
    assert text["driver_1"].iloc[0] == "days since last order high (350) raises risk"
    recent = X_test.assign(recency_days=5.0).iloc[:1]
    assert model.explain(recent, top=1)["driver_1"].iloc[0].endswith("(5) lowers risk")


def test_deterministic() -> None:
    X, y = _customers(400, 2)
    a = ChurnModel(n_estimators=30).fit(X, y).predict_proba(X)
    b = ChurnModel(n_estimators=30).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_bad_input() -> None:
    X, y = _customers(50, 3)
    with pytest.raises(ConfigError, match="calibration='platt'"):
        ChurnModel(calibration="platt").fit(X, y)
    with pytest.raises(InputError, match="both classes"):
        ChurnModel().fit(X, np.zeros(50))
    with pytest.raises(InputError, match="'segment'"):
        ChurnModel().fit(X.assign(segment="a"), y)


def _bent(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Churn falls with store_share overall but peaks in the middle (a tree bends there),
    and one-order customers (no mean gap between orders) churn more."""
    rng = np.random.default_rng(seed)
    share = rng.choice([0.0, 0.2, 0.5, 1.0], n)
    gap = np.where(rng.random(n) < 0.4, np.nan, rng.uniform(5, 120, n))
    logit = -1.5 * share + 1.2 * (share == 0.2) + np.where(np.isnan(gap), 1.0, -0.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"store_share": share, "ipt_mean_days": gap}), y


def test_drivers_never_contradict_each_other_nor_say_missing() -> None:
    X, y = _bent(3000, 4)
    model = ChurnModel(n_estimators=60).fit(X, y)
    text = model.explain(X, top=2).stack()
    text = text[text != ""]
    assert not text.str.contains("missing").any()
    assert text.str.contains("only one order").any()  # the missing gap read by its meaning
    share = text[text.str.startswith("share of orders in store")]
    parsed = share.str.extract(r"(high|low) \((.+)\) (raises|lowers) risk")
    parsed[1] = parsed[1].astype(float)
    for side in ("high", "low"):  # one effect per side, never both
        assert parsed.loc[parsed[0] == side, 2].nunique() <= 1
    if {"high", "low"} <= set(parsed[0]):
        assert parsed.loc[parsed[0] == "high", 1].min() > parsed.loc[parsed[0] == "low", 1].max()
        assert set(parsed.loc[parsed[0] == "high", 2]) != set(parsed.loc[parsed[0] == "low", 2])

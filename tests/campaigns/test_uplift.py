from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.campaigns.uplift import (
    UpliftModel,
    expected_profit,
    qini_coefficient,
    qini_curve,
    uplift_curve,
)
from shopperlens.errors import ConfigError, InputError, NotFittedError


def experiment(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Half the customers (x0 > 0) gain 0.3 in the outcome's probability when treated."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["x0", "x1", "x2"])
    t = rng.random(n) < 0.5
    true = np.where(X["x0"] > 0, 0.3, 0.0)
    y = (rng.random(n) < 0.1 + 0.1 * (X["x1"] > 0) + t * true).astype(int)
    return X, y, t, true


@pytest.mark.parametrize("learner", [pytest.param("t", marks=pytest.mark.slow), "x",
                                     pytest.param("s", marks=pytest.mark.slow)])
def test_each_learner_finds_the_persuadable(learner: str) -> None:
    X, y, t, true = experiment(3000)
    model = UpliftModel(learner=learner, n_estimators=30).fit(X, y, t)
    predicted = model.predict(X)
    assert predicted[true > 0].mean() - predicted[true == 0].mean() > 0.15
    assert qini_coefficient(y, t, predicted) > qini_coefficient(y, t, -predicted)


def test_same_seed_same_predictions() -> None:
    X, y, t, _ = experiment(500)
    first = UpliftModel(learner="x", n_estimators=10).fit(X, y, t).predict(X)
    again = UpliftModel(learner="x", n_estimators=10).fit(X, y, t).predict(X)
    assert np.array_equal(first, again)


def test_the_qini_curve_of_a_perfect_ranking_beats_random() -> None:
    X, y, t, true = experiment(4000, seed=1)
    share, q = qini_curve(y, t, true)
    assert share[0] == 0 and share[-1] == 1 and q[0] == 0
    # all customers targeted: treated outcomes minus control outcomes scaled to size
    assert q[-1] == pytest.approx(y[t].sum() - y[~t].sum() * t.sum() / (~t).sum())
    rng = np.random.default_rng(0)
    assert qini_coefficient(y, t, true) > 0.01 > 2 * abs(qini_coefficient(y, t, rng.random(len(y))))
    _, u = uplift_curve(y, t, true)
    assert u[-1] == pytest.approx((y[t].mean() - y[~t].mean()) * len(y))


def test_bad_input_and_order_of_calls() -> None:
    X, y, t, _ = experiment(200)
    with pytest.raises(InputError, match="both treated and control"):
        UpliftModel().fit(X, y, np.ones(len(y), bool))
    with pytest.raises(ConfigError, match="learner"):
        UpliftModel(learner="q").fit(X, y, t)
    with pytest.raises(NotFittedError):
        UpliftModel().predict(X)


def test_expected_profit_is_uplift_times_value_less_cost() -> None:
    assert expected_profit([0.1, 0.0], 50.0, 1.0).tolist() == [4.0, -1.0]


@pytest.mark.parametrize("learner", ["s", "t", "x"])
def test_the_arms_probabilities_behind_the_uplift(learner: str) -> None:
    X, y, t, _ = experiment(600)
    model = UpliftModel(learner=learner, n_estimators=10, min_child_samples=20).fit(X, y, t)
    p0, p1 = model.predict_arms(X)
    assert np.all((np.stack([p0, p1]) >= 0) & (np.stack([p0, p1]) <= 1))
    if learner != "x":  # the X-learner blends its own second-stage models instead
        assert np.allclose(model.predict(X), p1 - p0)

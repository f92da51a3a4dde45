"""The choice of the published churn risk and the transaction model's drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.errors import InputError
from shopperlens.models import ChurnModel, ParetoNBDModel
from shopperlens.models.churn_choice import (
    BLEND,
    LIGHTGBM,
    PARETO_NBD,
    CandidateCheck,
    ChurnChoice,
    btyd_effects,
    choose_churn_risk,
)

PARAMS = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}  # CDNOW's (FH05)


def _outcomes(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.05, 0.95, n)
    return (rng.uniform(size=n) < truth).astype(int), truth


def test_the_churn_model_stays_when_the_transaction_model_knows_nothing() -> None:
    y, truth = _outcomes()
    noise = np.random.default_rng(1).uniform(size=len(y))
    choice, record = choose_churn_risk(CandidateCheck("test", y, truth, noise))
    assert choice.name == LIGHTGBM and record["chosen"] == LIGHTGBM
    assert set(record["candidates"]) == {LIGHTGBM, PARETO_NBD, BLEND}
    # without an answer from the transaction model there is nothing to choose
    choice, record = choose_churn_risk(CandidateCheck("test", y, truth, None))
    assert choice.name == LIGHTGBM and set(record["candidates"]) == {LIGHTGBM}


def test_the_transaction_model_wins_when_it_knows_better() -> None:
    y, truth = _outcomes()
    blurred = np.clip(truth + np.random.default_rng(2).normal(0, 0.3, len(y)), 0, 1)
    choice, record = choose_churn_risk(CandidateCheck("test", y, blurred, truth))
    assert choice.name in (PARETO_NBD, BLEND)
    scores = record["candidates"]
    assert scores[choice.name]["auc"] > scores[LIGHTGBM]["auc"] + 0.005
    assert record["validation"] == "test" and record["n"] == len(y)


def test_customers_the_transaction_model_cannot_answer_for_are_left_out() -> None:
    y, truth = _outcomes(400)
    p_btyd = truth.copy()
    p_btyd[:100] = np.nan
    _, record = choose_churn_risk(CandidateCheck("test", y, truth, p_btyd))
    assert record["n"] == 300
    assert np.isfinite(record["candidates"][PARETO_NBD]["auc"])


def test_a_blend_is_the_stacked_log_odds_and_each_choice_returns_its_own() -> None:
    y, truth = _outcomes(3000)
    rng = np.random.default_rng(3)
    a = np.clip(truth + rng.normal(0, 0.2, len(y)), 0.01, 0.99)
    b = np.clip(truth + rng.normal(0, 0.2, len(y)), 0.01, 0.99)
    choice, record = choose_churn_risk(CandidateCheck("test", y, a, b))
    assert choice.name == BLEND  # two independent views of the truth beat either one
    w = record["blend"]
    assert w["weight_lightgbm"] > 0 and w["weight_pareto_nbd"] > 0
    p = choice.combine(a, b)
    z = w["intercept"] + w["weight_lightgbm"] * np.log(a / (1 - a)) \
        + w["weight_pareto_nbd"] * np.log(b / (1 - b))
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z)), rtol=1e-6)
    assert ChurnChoice(LIGHTGBM).combine(a, b) is not None
    np.testing.assert_array_equal(ChurnChoice(LIGHTGBM).combine(a, b), a)
    np.testing.assert_array_equal(ChurnChoice(PARETO_NBD).combine(a, b), b)


def _model() -> ParetoNBDModel:
    model = ParetoNBDModel()
    model.params_ = dict(PARAMS)
    return model


customers = st.lists(st.tuples(st.integers(0, 12), st.floats(0, 1), st.floats(1, 60)),
                     min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(customers, st.floats(0, 300))
def test_days_since_last_order_raises_risk_exactly_when_above_the_median(rows, median_days
                                                                         ) -> None:  # noqa: ANN001
    x, share, age = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
    summary = pd.DataFrame({"frequency": x, "recency": np.where(x > 0, share * age, 0.0),
                            "T": age})
    days_since = (summary["T"] - summary["recency"]) * 7
    features = pd.DataFrame({"recency_days": days_since, "frequency": x + 1,
                             "tenure_days": age * 7})
    medians = pd.Series({"recency_days": median_days})
    effect = btyd_effects(_model(), summary, features, medians, 13.0)["recency_days"]
    # Pareto/NBD's P(no order) grows with the time since the last purchase (the purchase
    # rates given alive depend on x and T only; P(alive) falls with the gap); a one-time
    # buyer's first order is their last, and both move. A repeat buyer cannot have gone
    # longer without an order than they have been a customer: no effect is claimed.
    # Where the risk is 1 to six places either way, no effect is claimed either.
    far = np.abs(days_since.to_numpy() - median_days) > 1e-6
    p = _model().probability_no_purchase(13.0, summary)
    feasible = ((x == 0) | (median_days <= age * 7)) & (p < 1 - 1e-5)
    side = np.sign(days_since.to_numpy() - median_days)
    assert np.all(np.sign(effect[far & feasible]) == side[far & feasible])
    assert np.all(np.sign(effect) * side >= 0)


def test_effects_are_zero_at_the_median_and_for_customers_without_a_summary() -> None:
    summary = pd.DataFrame({"frequency": [2.0, 0.0], "recency": [10.0, 0.0], "T": [20.0, 15.0]},
                           index=["a", "b"])
    features = pd.DataFrame({"recency_days": [70.0, 105.0, 1.0], "frequency": [3.0, 1.0, 1.0],
                             "tenure_days": [140.0, 105.0, 1.0]}, index=["a", "b", "c"])
    medians = pd.Series({"recency_days": 70.0, "frequency": 3.0, "tenure_days": 140.0})
    effects = btyd_effects(_model(), summary, features, medians, 13.0)
    assert set(effects) == {"recency_days", "frequency", "tenure_days"}
    np.testing.assert_allclose([effects[n][0] for n in effects], 0.0, atol=1e-9)  # "a"
    assert effects["tenure_days"][1] == 0.0  # a one-time buyer: named by the last order
    assert all(effects[n][2] == 0.0 for n in effects)  # "c": no purchase day


def test_drivers_of_another_risk_name_only_what_moves_it() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"recency_days": rng.uniform(0, 300, 600),
                      "basket_size": rng.uniform(1, 5, 600)})
    y = (X["recency_days"] + rng.normal(0, 60, 600) > 150).astype(int)
    model = ChurnModel(n_estimators=20).fit(X, y)
    effect = (X["recency_days"].to_numpy() - model.median_values()["recency_days"]) / 100
    drivers = model.explain(X, scale=0.0, extra={"recency_days": effect})
    named = drivers["driver_1"][drivers["driver_1"] != ""]
    assert len(named) > 500 and named.str.startswith("days since last order").all()
    assert (drivers["driver_2"] == "").all()  # the churn model's own effects are gone
    high = named.str.contains(" high ")
    assert named[high].str.endswith("raises risk").all()
    assert named[~high].str.endswith("lowers risk").all()


def test_pareto_nbd_refuses_data_spanning_no_time_quickly() -> None:
    summary = pd.DataFrame({"frequency": [0.0] * 30, "recency": [0.0] * 30, "T": [0.0] * 30})
    with pytest.raises(InputError, match="T = 0"):
        ParetoNBDModel().fit(summary)

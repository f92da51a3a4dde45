"""Hypothesis invariants of the BTYD maths over a wide range of data and parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.models import BetaGeoModel, GammaGammaModel, ParetoNBDModel, summary_data
from shopperlens.models.btyd._likelihood import (
    Grouped,
    bg_nbd_loglik,
    gamma_gamma_loglik,
    pareto_nbd_loglik,
)

positive = st.floats(min_value=1e-3, max_value=1e3)
moderate = st.floats(min_value=0.05, max_value=50.0)


@st.composite
def customers(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 8))
    x = np.array(draw(st.lists(st.integers(0, 400), min_size=n, max_size=n)), dtype=float)
    T = np.array(draw(st.lists(st.floats(0.01, 500.0), min_size=n, max_size=n)))
    share = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    return pd.DataFrame({"frequency": x, "recency": np.where(x > 0, share * T, 0.0), "T": T})


@settings(max_examples=150, deadline=None)
@given(customers(), positive, positive, positive, positive)
def test_log_likelihoods_are_finite(X: pd.DataFrame, p1: float, p2: float, p3: float,
                                    p4: float) -> None:
    x, tx, T = (X[c].to_numpy() for c in ("frequency", "recency", "T"))
    params = np.array([p1, p2, p3, p4])
    ll, grad = bg_nbd_loglik(params, Grouped.of(x), Grouped.of(tx), Grouped.of(T))
    assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad))
    assert np.all(np.isfinite(pareto_nbd_loglik(params, x, tx, T)))
    m = 1.0 + T  # any positive mean spend
    ll, grad = gamma_gamma_loglik(params[:3], Grouped.of(np.maximum(x, 1)), m)
    assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad))


@settings(max_examples=60, deadline=None)
@given(customers(), moderate, moderate, moderate, moderate, st.floats(0.0, 200.0))
def test_predictions_are_probabilities_and_counts(X: pd.DataFrame, p1: float, p2: float,
                                                  p3: float, p4: float, t: float) -> None:
    for cls, names in ((BetaGeoModel, "r alpha a b"), (ParetoNBDModel, "r alpha s beta")):
        model = cls()
        model.params_ = dict(zip(names.split(), (p1, p2, p3, p4), strict=True))
        alive = model.probability_alive(X)
        assert np.all((alive >= 0) & (alive <= 1))
        expected = model.expected_purchases(t, X)
        assert np.all(np.isfinite(expected)) and np.all(expected >= -1e-9)


@settings(max_examples=60, deadline=None)
@given(customers(), moderate, moderate, moderate, moderate, st.floats(0.0, 200.0),
       st.floats(0.0, 200.0))
def test_no_purchase_is_a_probability_falling_with_time(X: pd.DataFrame, p1: float,
                                                        p2: float, p3: float, p4: float,
                                                        t1: float, t2: float) -> None:
    model = ParetoNBDModel()
    model.params_ = {"r": p1, "alpha": p2, "s": p3, "beta": p4}
    early, late = (model.probability_no_purchase(t, X) for t in sorted((t1, t2)))
    assert np.all((late >= 0) & (early <= 1))
    assert np.all(late <= early + 1e-9)  # more time, more chance of a purchase
    # the dead buy nothing: no purchase is at least as likely as having left
    assert np.all(late >= 1 - model.probability_alive(X) - 1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60), st.floats(0.0, 100.0)),
                min_size=1, max_size=30))
def test_summary_invariants(rows: list[tuple[int, int, float]]) -> None:
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    got = summary_data(tx, calibration_end="2024-01-31", observation_end="2024-03-01")
    assert (got["frequency"] >= 0).all() and (got["frequency_holdout"] >= 0).all()
    assert ((got["recency"] >= 0) & (got["recency"] <= got["T"])).all()
    shuffled = summary_data(tx.sample(frac=1.0, random_state=1), calibration_end="2024-01-31",
                            observation_end="2024-03-01")
    pd.testing.assert_frame_equal(got, shuffled)


def test_gamma_gamma_fit_is_deterministic() -> None:
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"frequency": rng.integers(1, 10, 300),
                      "monetary_value": rng.gamma(5.0, 6.0, 300)})
    a, b = GammaGammaModel().fit(X), GammaGammaModel().fit(X)
    assert a.params_ == b.params_


def test_bg_nbd_expected_purchases_stay_finite_when_dropout_is_the_same_for_all() -> None:
    # A fit seen on demo data: a and b in the millions, so every customer drops out with
    # the same p = a / (a + b); the transformed 2F1 overflows there. Scaling a and b down
    # 100-fold keeps p and lands where it does not: the two must agree.
    X = pd.DataFrame({"frequency": [0, 1, 4, 12], "recency": [0, 10.0, 40.0, 70.0],
                      "T": [20.0, 50.0, 60.0, 75.0]})
    huge, scaled = BetaGeoModel(), BetaGeoModel()
    huge.params_ = {"r": 1.2, "alpha": 9.0, "a": 2.35e6, "b": 1.107e8}
    scaled.params_ = {"r": 1.2, "alpha": 9.0, "a": 2.35e4, "b": 1.107e6}
    got = huge.expected_purchases(12.9, X)  # the suite turns a warning into an error
    assert np.all(np.isfinite(got)) and np.all(got > 0)
    np.testing.assert_allclose(got, scaled.expected_purchases(12.9, X), rtol=1e-3)

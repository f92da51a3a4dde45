"""Evidence shrinkage of per-order features and the Poisson-noise screen of counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.segmentation import SegmentModel
from shopperlens.segmentation._evidence import fit_evidence


def _shares(seed: int, strength: float, n: int = 20_000) -> np.ndarray:
    """Orders 1..8 and a store share drawn from a Beta prior of total ``strength``."""
    rng = np.random.default_rng(seed)
    orders = rng.integers(1, 9, n).astype(float)
    p = rng.beta(0.3 * strength, 0.7 * strength, n)
    return np.c_[orders, rng.binomial(orders.astype(int), p) / orders]


@pytest.mark.parametrize("strength", [1.0, 4.0, 10.0])
def test_pseudo_count_recovers_the_prior_strength(strength):
    # Beta-binomial: Var(x | n) = tau2 + s2 / n with s2 / tau2 = a + b exactly.
    ev = fit_evidence(_shares(0, strength), ["frequency", "store_share"])
    assert ev.pseudo[1] == pytest.approx(strength, rel=0.25)
    assert ev.pseudo[0] == 0  # the order count itself is not shrunk


def test_one_order_customers_move_towards_the_mean_more_than_frequent_ones():
    A = _shares(1, 4.0)
    ev = fit_evidence(A, ["frequency", "store_share"])
    B = ev.apply(A)
    moved = np.abs(B[:, 1] - A[:, 1])
    assert moved[A[:, 0] == 1].mean() > 2 * moved[A[:, 0] == 8].mean()
    assert np.all(np.abs(B[:, 1] - ev.mean[1]) <= np.abs(A[:, 1] - ev.mean[1]) + 1e-12)
    assert np.allclose(ev.apply(A), B)  # replayable: the same input, the same output


def test_a_trend_from_one_order_is_no_evidence():
    rng = np.random.default_rng(2)
    orders = rng.integers(1, 6, 2_000).astype(float)
    trend = np.where(orders == 1, 1.0, rng.uniform(-1, 1, 2_000))
    ev = fit_evidence(np.c_[orders, trend], ["frequency", "spend_trend"])
    B = ev.apply(np.c_[orders, trend])
    assert np.allclose(B[orders == 1, 1], ev.mean[1])


def test_poisson_noise_leaves_and_a_mixture_of_rates_stays():
    rng = np.random.default_rng(3)
    noise = rng.poisson(0.5, 3_000).astype(float)
    mixture = np.r_[rng.poisson(8, 750), rng.poisson(0.2, 2_250)].astype(float)
    ev = fit_evidence(np.c_[noise, mixture], ["email_clicks", "sessions"])
    assert ev.silent.tolist() == [True, False]
    assert "Poisson" in ev.table.loc[0, "why"]


def test_a_per_order_feature_with_no_signal_between_customers_is_silent():
    rng = np.random.default_rng(4)
    orders = rng.integers(1, 9, 20_000).astype(float)
    share = rng.binomial(orders.astype(int), 0.4) / orders  # one rate for everyone
    ev = fit_evidence(np.c_[orders, share], ["frequency", "store_share"])
    assert ev.pseudo[1] > 50 or np.isinf(ev.pseudo[1])


def test_a_model_saved_before_the_shrinkage_still_predicts():
    X = pd.DataFrame(_shares(5, 4.0, n=600), columns=["frequency", "store_share"])
    model = SegmentModel(k_range=(2, 3), n_resamples=1).fit(X)
    del model.evidence_
    assert len(model.predict(X)) == len(X)

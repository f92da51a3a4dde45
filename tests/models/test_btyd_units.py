"""Hand-checkable behaviour of the BTYD models, summaries and CLV helpers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from shopperlens.errors import (
    ConfigError,
    ConvergenceWarning,
    InputError,
    MissingColumnError,
    NotFittedError,
)
from shopperlens.models import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    customer_lifetime_value,
    days_to_next_purchase,
    next_purchase_date,
    summary_data,
)
from shopperlens.models.btyd._likelihood import pareto_log_a0

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GG = {"p": 6.25, "q": 3.74, "v": 15.44}
X = pd.DataFrame({"frequency": [0, 2, 7, 25], "recency": [0, 30.43, 35.0, 38.0],
                  "T": [38.86, 38.86, 38.0, 38.5], "monetary_value": [0, 22.35, 40.0, 15.0]})


def _model(cls: type, params: dict[str, float]):  # noqa: ANN202 - small factory
    model = cls()
    model.params_ = dict(params)
    return model


def test_bg_nbd_matches_lifetimes_predictions() -> None:
    # Reference: lifetimes 0.11.3 BetaGeoFitter with the same params_, same customers.
    m = _model(BetaGeoModel, BG)
    np.testing.assert_allclose(m.probability_alive(X), [1.0, 0.72657857, 0.86199107,
                                                        0.96122535], rtol=1e-7)
    np.testing.assert_allclose(m.expected_purchases(39, X),
                               [0.19509805, 1.22602817, 4.55618528, 17.04273301], rtol=1e-7)


def test_pareto_nbd_matches_lifetimes_predictions() -> None:
    # Reference: lifetimes 0.11.3 ParetoNBDFitter with the same params_, same customers.
    m = _model(ParetoNBDModel, PNBD)
    np.testing.assert_allclose(m.probability_alive(X), [0.2952866, 0.86916756, 0.95283963,
                                                        0.99308805], rtol=1e-6)
    np.testing.assert_allclose(m.expected_purchases(39, X),
                               [0.10708147, 1.45512319, 4.79055425, 16.74495755], rtol=1e-6)


def test_p_alive_is_one_without_repeats_in_bg_nbd() -> None:
    m = _model(BetaGeoModel, BG)
    one_off = pd.DataFrame({"frequency": [0] * 3, "recency": [0.0] * 3, "T": [1.0, 20, 80]})
    assert m.probability_alive(one_off).tolist() == [1.0, 1.0, 1.0]


def test_pareto_nbd_fits_where_nobody_bought_twice() -> None:
    # The optimum runs off to a repeat rate of zero: the fit starts inside the cap, ends finite
    # and expects next to no purchases instead of failing the run.
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"frequency": 0.0, "recency": 0.0, "T": rng.uniform(1, 52, 3000)})
    with warnings.catch_warnings():  # BFGS may or may not report precision loss there
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ParetoNBDModel().fit(X)
    assert np.all(np.isfinite(list(model.params_.values())))
    assert model.expected_purchases(13, X).max() < 0.01
    assert np.all((model.probability_alive(X) >= 0) & (model.probability_alive(X) <= 1))


@pytest.mark.parametrize("cls,params", [(BetaGeoModel, BG), (ParetoNBDModel, PNBD)])
def test_expected_purchases_grow_with_t_and_start_at_zero(cls: type, params: dict) -> None:
    m = _model(cls, params)
    curve = np.array([m.expected_purchases(t, X) for t in [0.0, 1, 5, 20, 52, 200]])
    assert np.allclose(curve[0], 0)
    assert np.all(np.diff(curve, axis=0) > 0)


def test_pareto_a0_equals_its_integral() -> None:
    # A_0 / (r+s+x) = int_{t_x}^{T} (alpha+y)^-(r+x) (beta+y)^-(s+1) dy  (Fader & Hardie 2005)
    r, alpha, s, beta = 0.553, 10.578, 0.606, 11.669
    x, tx, T = 3.0, 12.0, 39.0
    for params in ([r, alpha, s, beta], [r, beta, s, alpha]):
        a_, b_ = params[1], params[3]
        val, _ = quad(lambda y, a_=a_, b_=b_: (a_ + y) ** -(r + x) * (b_ + y) ** -(s + 1), tx, T)
        got = pareto_log_a0(np.array(params), np.array([x]), np.array([tx]), np.array([T]))
        assert got[0] == pytest.approx(np.log(val * (r + s + x)), rel=1e-10)


def test_gamma_gamma_population_mean_for_non_repeaters_and_zero_spend() -> None:
    m = _model(GammaGammaModel, GG)
    frame = pd.DataFrame({"frequency": [0, 3, 4], "monetary_value": [0.0, 0.0, 25.0]})
    spend = m.expected_spend(frame)
    assert spend[0] == spend[1] == pytest.approx(6.25 * 15.44 / 2.74)
    assert spend[2] == pytest.approx(6.25 * (15.44 + 4 * 25) / (6.25 * 4 + 2.74))


def test_gamma_gamma_fit_skips_zero_spend_repeaters_with_a_warning() -> None:
    frame = pd.DataFrame({"frequency": [1, 2, 3, 1, 2], "monetary_value": [10., 30, 20, 0, 18]})
    with pytest.warns(Warning, match="1 repeat customer"):
        model = GammaGammaModel(penalizer=0.01).fit(frame)
    assert (model.n_customers_, model.n_excluded_) == (4, 1)


def test_summary_data_by_hand() -> None:
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "c"],
        "timestamp": pd.to_datetime(["2024-01-01 09:00", "2024-01-08 00:00", "2024-01-08 18:00",
                                     "2024-01-20 00:00", "2024-01-05 00:00",
                                     "2024-01-12 00:00"]),
        "amount": [10.0, 5.0, 7.0, 4.0, 3.0, 8.0],
    })
    got = summary_data(tx, calibration_end="2024-01-10", observation_end="2024-01-31",
                       time_unit_days=1.0)
    assert got.index.tolist() == ["a", "b"]  # c first bought after calibration_end
    assert got.loc["a"].tolist() == [1, 7.0, 9.0, 12.0, 1, 21.0]
    assert got.loc["b"].tolist() == [0, 0.0, 5.0, 0.0, 0, 21.0]


def test_summary_data_names_missing_columns() -> None:
    with pytest.raises(MissingColumnError, match="'amount'"):
        summary_data(pd.DataFrame({"customer_id": [], "timestamp": []}),
                     calibration_end="2024-01-01")


def test_fit_rejects_bad_summaries_and_params() -> None:
    with pytest.raises(InputError, match="missing required column"):
        BetaGeoModel().fit(pd.DataFrame({"frequency": [1]}))
    with pytest.raises(InputError, match="1 of 1 rows"):
        BetaGeoModel().fit(pd.DataFrame({"frequency": [1], "recency": [5.0], "T": [3.0]}))
    with pytest.raises(ConfigError, match="penalizer=-1"):
        BetaGeoModel(penalizer=-1).fit(X)
    with pytest.raises(NotFittedError):
        ParetoNBDModel().probability_alive(X)


def test_clv_is_discounted_sum_of_expected_purchases() -> None:
    bg, gg = _model(BetaGeoModel, BG), _model(GammaGammaModel, GG)
    undiscounted = customer_lifetime_value(bg, gg, X, horizon_days=364, discount_rate_annual=0,
                                           step="week")
    expected = bg.expected_purchases(52, X) * gg.expected_spend(X)
    np.testing.assert_allclose(undiscounted, expected, rtol=1e-12)
    discounted = customer_lifetime_value(bg, gg, X, horizon_days=364, margin=0.5)
    assert np.all(discounted.to_numpy() < 0.5 * expected)


def test_next_purchase_is_the_median_wait_within_the_horizon() -> None:
    m = _model(ParetoNBDModel, PNBD)
    days = days_to_next_purchase(m, X, horizon_days=365)
    due = days.notna().to_numpy()
    # dated exactly where another purchase within the horizon is more likely than not
    np.testing.assert_array_equal(due, m.probability_no_purchase(365 / 7, X) <= 0.5)
    assert ((days[due] > 0) & (days[due] <= 365)).all()
    # at the date, P(no purchase yet) is one half (to the grid's interpolation)
    at = m.probability_no_purchase(days.iloc[3] / 7, X.iloc[[3]])
    assert at[0] == pytest.approx(0.5, abs=0.01)
    shorter = days_to_next_purchase(m, X, horizon_days=days.iloc[3] / 2)
    assert shorter.iloc[3:].isna().all()  # beyond a shorter horizon: no date
    dates = next_purchase_date(m, X, as_of="1997-09-30", horizon_days=365)
    assert dates.iloc[3] == pd.Timestamp("1997-09-30") + pd.Timedelta(days=round(days.iloc[3]))
    assert dates.max() <= pd.Timestamp("1997-09-30") + pd.Timedelta(days=365)


def test_pareto_nbd_no_purchase_matches_monte_carlo() -> None:
    m = _model(ParetoNBDModel, PNBD)
    rng = np.random.default_rng(0)
    p_alive = m.probability_alive(X)
    got = m.probability_no_purchase(20, X)
    r, alpha, s, beta = PNBD.values()
    for i, (x, age) in enumerate(zip(X["frequency"], X["T"], strict=True)):
        lam = rng.gamma(r + x, 1 / (alpha + age), 400_000)
        mu = rng.gamma(s, 1 / (beta + age), 400_000)
        quiet = ((mu + lam * np.exp(-(lam + mu) * 20)) / (lam + mu)).mean()
        assert got[i] == pytest.approx(1 - p_alive[i] + p_alive[i] * quiet, abs=2e-3)


def test_one_time_buyers_fade_under_pareto_nbd_not_under_bg_nbd() -> None:
    one_off = pd.DataFrame({"frequency": [0] * 3, "recency": [0.0] * 3, "T": [1.0, 20, 78]})
    assert _model(BetaGeoModel, BG).probability_alive(one_off).tolist() == [1.0] * 3
    p = _model(ParetoNBDModel, PNBD).probability_alive(one_off)
    assert p[0] > p[1] > p[2] and p[2] < 0.3  # 546 days after a single purchase


@pytest.mark.filterwarnings("ignore::shopperlens.errors.ConvergenceWarning")  # BFGS's
# "precision loss" stop: the errors are taken wherever the fit stops, either way
def test_pareto_nbd_standard_errors_are_the_likelihood_hessians() -> None:
    # The fit takes its Hessian from the log-likelihood alone (no numerical gradient
    # alongside): the errors must be those of the unpenalised total log-likelihood.
    from shopperlens.models.btyd._base import standard_errors
    from shopperlens.models.btyd._likelihood import pareto_nbd_loglik

    rng = np.random.default_rng(0)
    age = rng.uniform(10, 60, 400)
    alive = np.minimum(rng.exponential(rng.gamma(2.0, 20.0, 400)), age)  # Pareto/NBD-like
    x = rng.poisson(rng.gamma(1.0, 0.1, 400) * alive)
    last = np.where(x > 0, alive * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    data = pd.DataFrame({"frequency": x, "recency": last, "T": age})
    model = ParetoNBDModel().fit(data)
    args = [data[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    theta = np.log([model.params_[k] for k in ("r", "alpha", "s", "beta")])
    expected = standard_errors(lambda t: -float(pareto_nbd_loglik(np.exp(t), *args).sum()),
                               theta, ("r", "alpha", "s", "beta"))
    assert model.standard_errors_ == pytest.approx(expected, rel=1e-4)  # compressed rows
    assert all(np.isfinite(v) and v > 0 for v in expected.values())

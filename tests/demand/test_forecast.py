from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.demand import library_missing
from shopperlens.demand.forecast import (
    event_effects,
    horizon_quantiles,
    reconcile,
    scaled_seasonal_naive,
    seasonal_naive,
)
from shopperlens.demand.series import calendar_regressors

WEEKDAY = np.array([1.0, 0.8, 0.9, 1.1, 1.4, 1.9, 0.6])  # Monday first


@pytest.fixture
def forecasting(service_absent: Callable[[str], NoReturn]) -> None:
    """The forecasting library: a test that needs it skips without it, except in CI
    (``dev`` installs it there), where its absence fails the test."""
    missing = library_missing()
    if missing is not None:
        service_absent(missing)


def test_reconciled_forecasts_add_up() -> None:
    rng = np.random.default_rng(0)
    summing = np.vstack([np.ones((1, 4)), np.kron(np.eye(2), np.ones((1, 2))), np.eye(4)])
    got = reconcile(rng.gamma(2, 10, (7, 3)), summing, rng.gamma(2, 1, 7))
    assert np.allclose(got[0], got[3:].sum(0)) and np.allclose(got[1], got[3:5].sum(0))


def test_seasonal_naive_repeats_last_year_scaled_by_the_last_quarter() -> None:
    y = np.tile(np.arange(52.0), 2)[None, :] + 1
    y[:, -13:] *= 2
    assert np.allclose(seasonal_naive(y, 3), y[:, 52:55])
    assert np.allclose(scaled_seasonal_naive(y, 3), 2 * y[:, 52:55], rtol=0.01)


def test_daily_seasonal_naive_takes_the_same_weekday_a_year_before() -> None:
    y = np.arange(800.0)[None, :]
    assert np.allclose(seasonal_naive(y, 10, 364), y[:, 800 - 364:800 - 354])


@settings(max_examples=40, deadline=None)
@given(effect=st.floats(0.3, 3.0), level=st.floats(500, 5000), seed=st.integers(0, 99),
       daily=st.booleans())
def test_event_effects_recover_a_planted_multiplier(effect: float, level: float, seed: int,
                                                     daily: bool) -> None:
    rng = np.random.default_rng(seed)
    t = 420 if daily else 150
    cycle = 7 if daily else 1
    x = (rng.random(t) < 0.06).astype(float)
    rhythm = WEEKDAY[np.arange(t) % 7] if daily else np.ones(t)
    y = level * rhythm * effect ** x
    got = np.exp(event_effects(y[None, :], x[:, None], cycle))[0, 0]
    # shrunk towards 1 by SHRINK event periods (on log1p, close to log at these levels)
    n = x.sum()
    expected = np.exp(np.log(effect) * n / (n + 4))
    assert got == pytest.approx(expected, rel=0.03)


def test_no_events_no_effect() -> None:
    y = np.random.default_rng(0).gamma(2, 10, (3, 60))
    assert np.allclose(event_effects(y, np.zeros((60, 2))), 0)


@settings(max_examples=30, deadline=None)
@given(picked=st.lists(st.integers(0, 120), max_size=30), weekly=st.booleans())
def test_calendar_shares_count_the_days_of_each_kind(picked: list[int], weekly: bool) -> None:
    start = pd.Timestamp("2025-01-06")  # a Monday
    days = pd.DataFrame({"date": start + pd.to_timedelta(sorted(set(picked)), unit="D"),
                         "kind": "promotion"})
    periods = pd.date_range(start, periods=10 if weekly else 70,
                            freq="W-MON" if weekly else "D")
    got = calendar_regressors(days, periods, "week" if weekly else "day")
    inside = sum(p < 70 for p in set(picked))
    if inside == 0:
        assert got is None
        return
    assert got is not None and got.shape == (len(periods), 1)
    assert ((got >= 0) & (got <= 1)).all()
    assert got.sum() * (7 if weekly else 1) == pytest.approx(inside)


def _weekly(periods: int = 70, freq: str = "W-MON") -> pd.DataFrame:
    rng = np.random.default_rng(1)
    starts = pd.date_range("2024-01-01", periods=periods, freq=freq)
    rhythm = WEEKDAY[starts.day_of_week] if freq == "D" else 1.0
    weekly = pd.concat([pd.DataFrame({
        "category": c, "segment_id": g, "product_id": f"{c}{g}", "period_start": starts,
        "units": rng.poisson((5 + g) * rhythm * 4, periods).astype(float)})
        for c in "ab" for g in (0, 1)])
    weekly["revenue"] = weekly["units"] * 3.0
    return weekly


@pytest.mark.slow  # the forecasting library's fits take seconds
@pytest.mark.parametrize("frequency", ["week", "day"])
def test_the_forecast_table_is_coherent_with_ordered_intervals(forecasting: None,
                                                               frequency: str) -> None:
    from shopperlens.demand import DemandForecaster
    from shopperlens.demand.series import build_panel, forecast_table

    daily = frequency == "day"
    panel = build_panel(_weekly(200 if daily else 70, "D" if daily else "W-MON"), 2, frequency)
    h = 10 if daily else 4
    table = forecast_table(panel, DemandForecaster(h, windows=2, frequency=frequency).fit(
        panel.units, panel.summing, panel.groups))
    by = table.groupby(["level", "period_start"])[["units", "revenue"]].sum()
    for level in ("category", "segment", "category_segment"):
        assert np.allclose(by.loc[level].to_numpy(), by.loc["total"].to_numpy())
    ordered = table[["units_lo95", "units_lo80", "units", "units_hi80", "units_hi95"]]
    assert (np.diff(ordered.to_numpy(), axis=1) >= -1e-9).all()
    assert set(table["level"]) == {"total", "category", "segment", "category_segment",
                                   "product"}
    assert set(table["frequency"]) == {frequency}
    ahead, empty = ("horizon_days", "horizon_weeks") if daily else (
        "horizon_weeks", "horizon_days")
    assert set(table[ahead]) == set(range(1, h + 1)) and table[empty].isna().all()
    step = pd.Timedelta(days=1 if daily else 7)
    first = table["period_start"].map(pd.Timestamp).min()
    assert first == panel.weeks[-1] + step


@pytest.mark.slow
def test_daily_forecasts_keep_the_weekday_rhythm_and_the_calendar(forecasting: None) -> None:
    from shopperlens.demand import DemandForecaster

    rng = np.random.default_rng(3)
    t, h = 300, 14
    days = pd.date_range("2024-01-01", periods=t + h, freq="D")
    promo = np.isin(np.arange(t + h), rng.choice(t + h, 25, replace=False)).astype(float)
    mean = 40 * WEEKDAY[days.day_of_week] * 2.0 ** promo
    y = rng.poisson(mean)[None, :].astype(float)
    with_events = DemandForecaster(h, windows=2, frequency="day").fit(
        y[:, :t], events=promo[:, None]).predict()["mean"][0]
    rhythm = np.corrcoef(with_events[promo[t:] == 0],
                         mean[t:][promo[t:] == 0])[0, 1]
    assert rhythm > 0.9
    plain = DemandForecaster(h, windows=2, frequency="day").fit(y[:, :t]).predict()["mean"][0]
    error = np.abs(with_events - mean[t:]).mean()
    assert error < np.abs(plain - mean[t:]).mean() or promo[t:].sum() == 0


def test_interval_quantiles_follow_each_steps_errors() -> None:
    rng = np.random.default_rng(0)
    spread = np.array([1.0, 1.0, 1.0, 4.0, 4.0, 4.0])  # errors 4 times larger from step 4
    errors = rng.normal(size=(30, 10, 6)) * spread  # 300 errors a step: a pool per step
    got = horizon_quantiles(errors, np.zeros(30), 80)
    assert np.allclose(got, 1.2816 * spread, rtol=0.15)  # |N(0, s)|'s 80% quantile
    # a group of one series has 10 errors a step: its pools take the nearest steps, here
    # all six; the other group's pools stay one step each
    alone = horizon_quantiles(errors, np.r_[1, np.zeros(29)], 80)
    assert np.ptp(alone[0]) == 0 and alone[1, 3] > 2 * alone[1, 2]
    assert (horizon_quantiles(errors, np.zeros(30), 95) > got).all()


@pytest.mark.slow
@pytest.mark.parametrize("frequency", ["day", "week"])
def test_intervals_cover_held_out_periods_at_every_step(forecasting: None,
                                                        frequency: str) -> None:
    """60 series, a level (and for days the weekday's rhythm) plus known noise: on the
    periods after the history, the intervals hold about their share of the actual values,
    at the first steps ahead as at the last (errors do not grow with the horizon here:
    intervals widened by its square root held 55% (days) and 67% (weeks) of the first
    three steps at 80%, and all of the last three at 95%)."""
    from shopperlens.demand import DemandForecaster

    rng = np.random.default_rng(0)
    daily = frequency == "day"
    t, h = (420, 14) if daily else (120, 8)
    level = rng.uniform(50, 150, (60, 1))
    rhythm = WEEKDAY[np.arange(t + h) % 7] if daily else np.ones(t + h)
    y = np.clip(level * (rhythm + 0.15 * rng.normal(size=(60, t + h))), 0, None)
    got = DemandForecaster(h, frequency=frequency).fit(y[:, :t]).predict()
    for level_, near in ((80, 0.06), (95, 0.03)):
        inside = (y[:, t:] >= got[f"lo{level_}"]) & (y[:, t:] <= got[f"hi{level_}"])
        assert inside.mean() == pytest.approx(level_ / 100, abs=near)
        if level_ == 80:
            assert inside[:, :3].mean() >= 0.72
        else:
            assert inside[:, -3:].mean() <= 0.99

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.demand.forecast import reconcile, scaled_seasonal_naive, seasonal_naive


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


@pytest.mark.slow  # the forecasting library's fits take seconds
def test_the_forecast_table_is_coherent_with_ordered_intervals() -> None:
    pytest.importorskip("statsforecast")
    from shopperlens.demand import DemandForecaster
    from shopperlens.demand.series import build_panel, forecast_table

    rng = np.random.default_rng(1)
    weeks = pd.date_range("2024-01-01", periods=70, freq="W-MON")
    weekly = pd.concat([pd.DataFrame({
        "category": c, "segment_id": g, "product_id": f"{c}{g}", "period_start": weeks,
        "units": rng.poisson(5 + g, 70).astype(float)}) for c in "ab" for g in (0, 1)])
    weekly["revenue"] = weekly["units"] * 3.0
    panel = build_panel(weekly, 2)
    table = forecast_table(panel, DemandForecaster(4, windows=2).fit(
        panel.units, panel.summing, panel.groups))
    by = table.groupby(["level", "horizon_weeks"])[["units", "revenue"]].sum()
    for level in ("category", "segment", "category_segment"):
        assert np.allclose(by.loc[level].to_numpy(), by.loc["total"].to_numpy())
    ordered = table[["units_lo95", "units_lo80", "units", "units_hi80", "units_hi95"]]
    assert (np.diff(ordered.to_numpy(), axis=1) >= -1e-9).all()
    assert set(table["level"]) == {"total", "category", "segment", "category_segment",
                                   "product"}

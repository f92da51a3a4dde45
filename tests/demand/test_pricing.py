from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.demand.pricing import ladder, suggest_prices


def _cells(**over: float) -> pd.DataFrame:
    cell = {"category": "c", "segment_id": 1, "elasticity": -0.5, "low": -0.7,
            "high": -0.3, "price": 20.0, "units": 100.0}
    cell.update(over)
    return pd.DataFrame([cell])


def test_an_inelastic_cell_gets_a_bounded_rise_on_the_ladder() -> None:
    row = suggest_prices(_cells(), max_step=0.05).iloc[0]
    assert row["suggested_price"] == 20.99 and 0 < row["change_pct"] <= 5
    assert row["revenue_change_low"] > 0 and row["units_change"] < 0
    assert row["units_change_low"] <= row["units_change"] <= row["units_change_high"]
    assert np.isnan(row["margin_change"])


def test_an_elastic_cell_gets_a_cut() -> None:
    row = suggest_prices(_cells(elasticity=-3.0, low=-3.5, high=-2.5)).iloc[0]
    assert 19 <= row["suggested_price"] < 20 and row["revenue_change_low"] > 0


def test_nothing_is_suggested_when_the_interval_crosses_zero() -> None:
    assert suggest_prices(_cells(elasticity=-1.0, low=-1.6, high=-0.4)).empty
    assert suggest_prices(_cells(elasticity=np.nan)).empty


def test_the_margin_floor_holds_with_a_cost() -> None:
    cells = _cells(elasticity=-4.0, low=-4.5, high=-3.5, unit_cost=19.5)
    out = suggest_prices(cells, margin_floor=0.1)
    assert out.empty or (out["suggested_price"] >= 19.5 * 1.1).all()
    ok = suggest_prices(_cells(unit_cost=10.0)).iloc[0]
    assert ok["margin_change_low"] > 0


def test_the_ladder_ends_in_99_within_its_bounds() -> None:
    points = ladder(23.2, 26.5)
    assert points.tolist() == [23.99, 24.99, 25.99]
    assert ladder(5.0, 5.5).size == 0


def test_the_best_of_several_gaining_price_points_is_chosen() -> None:
    row = suggest_prices(_cells(price=50.0), max_step=0.05).iloc[0]
    assert row["suggested_price"] == 51.99  # 50.99 gains too, but less

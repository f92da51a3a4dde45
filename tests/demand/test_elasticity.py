from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.demand.elasticity import estimate_elasticities


def _shop(elasticity: float, *, moving: bool = True, promo_with_price: bool = False,
          products: int = 15, weeks: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    level = rng.choice([0.85, 1.0, 1.15], (products, weeks)) if moving else np.ones(
        (products, weeks))
    price = rng.lognormal(2, 0.5, products)[:, None] * level
    promo = (level < 0.9).astype(float) if promo_with_price else (
        rng.random((products, weeks)) < 0.1).astype(float)
    units = rng.poisson(rng.gamma(4, 3, products)[:, None] * level ** elasticity)
    return pd.DataFrame({
        "category": "c", "segment_id": 0,
        "product_id": np.repeat(np.arange(products), weeks),
        "period_start": np.tile(pd.date_range("2024-01-01", periods=weeks, freq="W-MON"),
                                products),
        "units": units.ravel().astype(float), "price": price.ravel(), "promo": promo.ravel()})


def test_planted_elasticities_fall_inside_their_intervals_most_of_the_time() -> None:
    for planted in (-0.8, -2.0):
        rows = [estimate_elasticities(_shop(planted, seed=seed)).iloc[0] for seed in range(5)]
        inside = sum(r["low"] <= planted <= r["high"] for r in rows)
        assert inside >= 4, (planted, inside)  # 95% intervals: 4.75 of 5 expected
        assert all(r["high"] < 0 and r["observations"] > 100 for r in rows)


def test_a_price_that_never_varies_is_refused_with_the_reason() -> None:
    row = estimate_elasticities(_shop(-1.0, moving=False)).iloc[0]
    assert np.isnan(row["elasticity"]) and "never varies" in row["note"]


def test_price_moving_with_promotions_is_said() -> None:
    row = estimate_elasticities(_shop(-1.0, promo_with_price=True)).iloc[0]
    assert "promotions move together" in row["note"]
    assert "promotions" not in estimate_elasticities(_shop(-1.0)).iloc[0]["note"]


def test_too_few_weeks_are_refused() -> None:
    row = estimate_elasticities(_shop(-1.0, products=2, weeks=8)).iloc[0]
    assert np.isnan(row["elasticity"]) and "too few" in row["note"]


def test_a_price_that_moves_for_every_product_at_once_is_refused() -> None:
    shop = _shop(-1.0)
    weekly_level = np.tile(np.linspace(0.9, 1.1, 60), 15)  # rows: product, then week
    shop["price"] = shop.groupby("product_id")["price"].transform("first") * weekly_level
    row = estimate_elasticities(shop).iloc[0]
    assert np.isnan(row["elasticity"]) and "every product at once" in row["note"]

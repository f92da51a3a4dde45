from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from shopperlens.campaigns.measure import (
    CONVERTED,
    MEASURES,
    REVENUE,
    measure,
    minimum_detectable_effect,
    welch_interval,
)


def outcomes(n: int, lift: float, seed: int = 0, segments: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    variant = rng.choice(["control", "offer"], n)
    spend = rng.exponential(20, n) * (rng.random(n) < 0.2) + np.where(variant == "offer", lift, 0)
    return pd.DataFrame({"campaign_id": "c", "segment_id": rng.integers(0, segments, n),
                         "variant": variant, "cost": np.where(variant == "offer", 0.5, 0.0),
                         CONVERTED: spend > 0, REVENUE: spend})


def test_one_row_per_campaign_segment_and_variant_with_the_contract_columns() -> None:
    result = measure(outcomes(2000, 1.0))
    assert list(result.columns) == list(MEASURES)
    assert len(result) == 4 and set(result["variant"]) == {"control", "offer"}
    assert result.loc[result["variant"] == "control", "roi"].isna().all()


def test_the_interval_is_welchs_and_contains_the_difference_in_means() -> None:
    frame = outcomes(3000, 2.0, segments=1)
    row = measure(frame).query("variant == 'offer'").iloc[0]
    t = frame.loc[frame["variant"] == "offer", REVENUE]
    c = frame.loc[frame["variant"] == "control", REVENUE]
    assert row["incremental_revenue_per_customer"] == pytest.approx(t.mean() - c.mean())
    ref = stats.ttest_ind(t, c, equal_var=False).confidence_interval(0.95)
    assert row["incremental_revenue_per_customer_low"] == pytest.approx(ref.low)
    assert row["incremental_revenue_per_customer_high"] == pytest.approx(ref.high)
    cost = frame.loc[frame["variant"] == "offer", "cost"].sum()
    expected_roi = (row["incremental_revenue_per_customer"] * row["customers"] - cost) / cost
    assert row["roi"] == pytest.approx(expected_roi)


def test_intervals_cover_the_true_lift_about_95_times_in_100() -> None:
    rng, hits = np.random.default_rng(0), 0
    for _ in range(200):
        spend = rng.exponential(20, (2, 300)) * (rng.random((2, 300)) < 0.2)
        _, low, high, _ = welch_interval(spend[0] + 1.5, spend[1])
        hits += low <= 1.5 <= high
    assert 180 <= hits <= 198


def test_a_small_test_is_flagged_underpowered_and_a_big_one_is_not() -> None:
    small = measure(outcomes(100, 1.0), target_lift=0.5).query("variant == 'offer'")
    big = measure(outcomes(40_000, 1.0, segments=1), target_lift=0.5).query("variant == 'offer'")
    assert small["underpowered"].all() and not big["underpowered"].any()
    assert (small["mde_revenue_per_customer"].to_numpy()
            > big["mde_revenue_per_customer"].to_numpy().max()).all()


@settings(max_examples=10, deadline=None)
@given(st.floats(0.01, 10.0))
def test_the_mde_is_2_8_standard_errors(se: float) -> None:
    assert minimum_detectable_effect(se) == pytest.approx(2.8016 * se, rel=1e-3)


def test_too_few_customers_give_no_interval() -> None:
    assert all(np.isnan(welch_interval(np.array([1.0]), np.array([0.0, 2.0]))))


def test_a_segment_is_targeted_only_when_the_interval_clears_the_cost() -> None:
    frame = outcomes(20_000, 3.0, segments=1)
    paying = measure(frame).query("variant == 'offer'").iloc[0]
    costly = measure(frame.assign(cost=frame["cost"] * 10)).query("variant == 'offer'").iloc[0]
    assert paying["cost_per_customer"] == pytest.approx(0.5)
    assert paying["incremental_revenue_per_customer_low"] > 0.5 and paying["target"]
    assert costly["incremental_revenue_per_customer_low"] < 5.0 and not costly["target"]
    assert not measure(frame).query("variant == 'control'")["target"].any()

"""Drift per feature, the cohort's ageing apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.learning import PSI_ALARM, feature_drift, ks, psi, psi_ageing


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=200))
def test_psi_of_a_distribution_with_itself_is_zero(values: list[float]) -> None:
    assert psi(np.array(values), np.array(values)) == 0.0


def test_psi_grows_with_the_shift_and_counts_missing_values() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=4000)
    shifts = [psi(base, rng.normal(size=4000) + d) for d in (0.0, 0.3, 1.0)]
    assert shifts[0] < 0.02 < shifts[1] < shifts[2] and shifts[2] > PSI_ALARM
    with_gaps = np.where(rng.random(4000) < 0.5, np.nan, base)
    assert psi(base, with_gaps) > PSI_ALARM  # half the values went missing
    assert ks(base, base + 1) > 0.3 and ks(base, np.full(3, np.nan)) == 0.0


def _cohort(rng: np.random.Generator, n: int = 4000) -> pd.DataFrame:
    return pd.DataFrame({"recency_days": rng.exponential(60, n),
                         "tenure_days": rng.uniform(100, 700, n),
                         "avg_order_value": rng.lognormal(3, 0.5, n)})


def test_ageing_alone_raises_no_alarm_renewed_or_closed() -> None:
    rng = np.random.default_rng(1)
    before = _cohort(rng)
    closed = before.assign(recency_days=before["recency_days"] + 91,
                           tenure_days=before["tenure_days"] + 91)
    half = before.copy()  # half the customers renewed, half aged
    half.iloc[::2, :2] += 91
    for after in (before, closed, half):
        drift = feature_drift(before, after, days=91).set_index("feature")
        assert not drift["alarm"].any(), drift
    assert feature_drift(before, closed, 91).set_index("feature").loc[
        "recency_days", "psi_as_was"] > PSI_ALARM  # without the ageing apart: an alarm


def test_a_change_of_behaviour_raises_an_alarm() -> None:
    rng = np.random.default_rng(2)
    before = _cohort(rng)
    after = before.assign(avg_order_value=before["avg_order_value"] * 2)
    drift = feature_drift(before, after, days=91).set_index("feature")
    assert drift["alarm"].tolist() == [False, False, True]
    assert drift.loc["avg_order_value", "aged_share"] == 0.0


def test_psi_ageing_finds_the_aged_share() -> None:
    rng = np.random.default_rng(3)
    before = rng.exponential(60, 6000)
    after = np.r_[before[:4000], before[4000:] + 91]
    score, aged = psi_ageing(before, after, 91)
    assert score < 0.02 and 0.2 <= aged <= 0.5
    closed = np.r_[rng.uniform(0, 91, 1000), before[1000:] + 91]  # some bought again
    assert psi_ageing(before, closed, 91)[0] < 0.05 < psi(before, closed)


def test_a_young_cohorts_spend_trend_is_not_compared() -> None:
    young = pd.DataFrame({"spend_trend": np.ones(500), "tenure_days": np.full(500, 100.0)})
    older = pd.DataFrame({"spend_trend": np.linspace(-1, 1, 500),
                          "tenure_days": np.full(500, 191.0)})
    drift = feature_drift(young, older, 91).set_index("feature")
    assert np.isnan(drift.loc["spend_trend", "psi"]) and not drift["alarm"].any()
    grown = older.assign(tenure_days=400.0)
    drift = feature_drift(grown.assign(spend_trend=1.0), grown, 91).set_index("feature")
    assert drift["alarm"].tolist() == [True, False]  # a year-old cohort's trend moved

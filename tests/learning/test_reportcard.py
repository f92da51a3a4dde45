"""The previous run's predictions against what happened since."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.learning import report_card


def test_report_card_scales_the_horizon_and_scores_churn() -> None:
    rng = np.random.default_rng(0)
    n = 400
    ids = [f"c{i}" for i in range(n)]
    rate = rng.uniform(0, 2, n)  # orders per 90 days
    bought = rng.poisson(rate * 2)  # 180 days later
    before = pd.DataFrame({"frequency": rng.integers(1, 5, n)}, index=ids)
    after = before.assign(frequency=before["frequency"] + bought)
    predictions = pd.DataFrame({"expected_orders_90d": rate,
                                "churn_risk": np.exp(-2 * rate)}, index=ids)
    card = report_card(before, after, predictions, days=180)
    assert card["customers"] == n and card["horizon_days"] == 90
    assert 0.85 < card["ratio"] < 1.15  # the expectation doubled for twice the horizon
    assert card["churn_auc"] > 0.7
    blind = report_card(before, after, predictions.assign(churn_risk=0.5), days=180)
    assert blind["churn_auc"] == 0.5

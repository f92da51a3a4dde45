from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.campaigns.evaluate import campaign_uplift, model_frame


def campaign(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers of category 'shoes' order 40% more often when sent offer 'a'."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:04d}" for i in range(n)]
    features = pd.DataFrame({"recency_days": rng.integers(0, 300, n).astype(float),
                             "top_category": rng.choice(["shoes", "toys"], n)}, index=ids)
    variant = rng.choice(["control", "a", "b"], n)
    shoes = features["top_category"].to_numpy() == "shoes"
    ordered = rng.random(n) < 0.05 + 0.4 * ((variant == "a") & shoes)
    frame = pd.DataFrame({"customer_id": ids, "variant": variant, "cost": 0.5,
                          "converted": ordered, "visited": ordered | (rng.random(n) < 0.1),
                          "revenue": ordered * 60.0})
    sent = frame.iloc[: int(n * 0.8)]  # the rest were not in the campaign: scored too
    return sent, features


@pytest.mark.slow
def test_every_customer_is_scored_for_each_offer_and_outcome() -> None:
    sent, features = campaign(900)
    scores, figures = campaign_uplift(sent, features, n_estimators=20, min_child_samples=20)
    assert len(scores) == len(features) * 2 * 2
    assert scores["expected_incremental_profit"].isna().eq(scores["outcome"] == "visit").all()
    order_a = scores[(scores["variant"] == "a") & (scores["outcome"] == "order")]
    shoes = features.loc[order_a["customer_id"], "top_category"].eq("shoes").to_numpy()
    assert order_a["uplift"][shoes].mean() - order_a["uplift"][~shoes].mean() > 0.2
    assert figures["uplift"]["a"]["order"]["qini"] > figures["uplift"]["b"]["order"]["qini"]
    assert figures["uplift"]["a"]["order"]["customers_targeted"] > 0


@pytest.mark.slow
def test_an_offer_with_too_few_customers_is_skipped_with_its_reason() -> None:
    sent, features = campaign(200)
    few = sent[(sent["variant"] != "b") | (sent.index < 20)]
    _, figures = campaign_uplift(few, features, n_estimators=5)
    assert "fewer than" in figures["uplift"]["b"]["skipped"]


def test_text_features_become_categories() -> None:
    X = model_frame(pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [True, False]}))
    assert X.dtypes.to_dict() == {"a": np.dtype(float), "c": np.dtype(float),
                                  "b": pd.CategoricalDtype(["x", "y"])}

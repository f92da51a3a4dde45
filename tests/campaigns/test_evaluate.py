from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.campaigns.evaluate import (
    CANDIDATES,
    HOLDOUT_SHARE,
    _fit_one,
    campaign_uplift,
    model_frame,
    qini_comparison,
)


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


def test_the_choice_never_sees_the_holdout() -> None:
    """Shuffling the outcomes of the held-out customers changes the holdout's Qini but
    neither the learner chosen nor the training part's Qini behind the choice."""
    sent, features = campaign(700, seed=3)
    sent = sent[sent["variant"] != "b"].set_index("customer_id")
    params = {"n_estimators": 10, "min_child_samples": 20}
    _, first = _fit_one(sent, model_frame(features), "converted", 0, "auto", params)
    test = np.random.default_rng(0).random(len(sent)) < HOLDOUT_SHARE
    shuffled = sent.copy()
    shuffled.loc[test, "converted"] = np.random.default_rng(1).permutation(
        sent.loc[test, "converted"].to_numpy())
    _, second = _fit_one(shuffled, model_frame(features), "converted", 0, "auto", params)
    assert first["learner"] == second["learner"] in CANDIDATES
    assert first["training_qini"] == second["training_qini"]
    assert first["qini"] != second["qini"]


def test_qini_intervals_are_paired_and_hold_their_point() -> None:
    rng = np.random.default_rng(0)
    y, t, u = rng.random(400) < 0.3, rng.random(400) < 0.5, rng.random(400)
    same = qini_comparison(y, t, u, u, seed=0)
    assert same["qini_difference"] == same["qini_difference_low"] == 0.0
    assert same["qini_difference_high"] == 0.0
    v = rng.random(400)
    other = qini_comparison(y, t, u, v, seed=0)
    for name in ("qini", "qini_s_learner", "qini_difference"):
        assert other[f"{name}_low"] <= other[name] <= other[f"{name}_high"]
    assert other == qini_comparison(y, t, u, v, seed=0)  # seeded: the same every run
    swapped = qini_comparison(y, t, v, u, seed=0)  # the same resamples for both sides
    assert swapped["qini_difference_low"] == pytest.approx(-other["qini_difference_high"])

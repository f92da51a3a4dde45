"""Fairness audit on seeded synthetic customers: a planted bias is flagged, none otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.errors import PrivacyError
from shopperlens.privacy import (
    age_band,
    check_no_sensitive_features,
    fairness_audit,
    proxy_features,
    sensitive_groups,
)

N = 3000


@pytest.fixture
def people() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    ids = [f"c{i:05d}" for i in range(N)]
    customers = pd.DataFrame({
        "customer_id": ids,
        "birth_year": rng.integers(1945, 2005, N),
        "gender": rng.choice(["f", "m"], N),
    })
    groups = sensitive_groups(customers, 2024)
    young = (groups.age_band == "18-24").to_numpy()
    features = pd.DataFrame({
        "monetary": rng.gamma(2.0, 50.0, N),
        "frequency": rng.poisson(4, N).astype(float),
        "app_share": np.clip(np.where(young, 0.8, 0.2) + rng.normal(0, 0.1, N), 0, 1),
    }, index=pd.Index(ids, name="customer_id"))
    return customers.set_index("customer_id")[["birth_year"]].join(groups).join(features)


def outcomes_of(people: pd.DataFrame, offer: np.ndarray, churn_risk: np.ndarray) -> pd.DataFrame:
    segment = np.where(people.monetary > 120, "Big spenders", "Everyday")
    return pd.DataFrame({"segment_name": segment, "offer": offer, "churn_risk": churn_risk},
                        index=people.index)


def test_age_bands() -> None:
    bands = age_band(pd.Series([2007, 2006, 1960, 1959, np.nan], index=list("abcde")), 2024)
    assert bands.to_dict() == {"a": "<18", "b": "18-24", "c": "55-64", "d": "65+", "e": None}


def test_unbiased_offers_and_scores_are_not_flagged(people: pd.DataFrame) -> None:
    rng = np.random.default_rng(1)
    offer = (people.monetary > 100).to_numpy()
    churned = rng.uniform(size=N) < 0.3
    right = rng.uniform(size=N) < 0.9  # the model is right for 90% of everyone
    risk = np.where(churned == right, 0.8, 0.2)
    truth = pd.Series(churned, index=people.index)
    groups = people[["age_band", "gender"]]
    result = fairness_audit(outcomes_of(people, offer, risk), groups, y_true=truth,
                            y_score=pd.Series(risk, index=people.index))
    assert not result.flagged, result.flags
    assert set(result.metrics.metric) == {
        "demographic_parity_difference", "equalized_odds_difference"}
    assert set(result.composition.segment) == {"Big spenders", "Everyday"}


def test_an_offer_rule_that_skips_the_young_is_flagged(people: pd.DataFrame) -> None:
    offer = ((people.monetary > 100) & (people.age_band != "18-24")).to_numpy()
    risk = np.full(N, 0.3)
    result = fairness_audit(outcomes_of(people, offer, risk), people[["age_band", "gender"]])
    assert result.flagged
    assert len(result.flags) == 1
    assert result.flags[0].startswith("offer: demographic-parity difference by age_band is 0.")
    row = result.metrics.set_index(["attribute", "outcome"]).loc[("age_band", "offer")]
    rates = result.rates.set_index(["attribute", "outcome", "group"]).rate
    young = rates.loc[("age_band", "offer", "18-24")]
    assert young == 0.0 and row.value > 0.3


def test_a_churn_model_worse_for_one_group_breaks_equalised_odds(people: pd.DataFrame) -> None:
    rng = np.random.default_rng(2)
    truth = pd.Series(rng.uniform(size=N) < 0.3, index=people.index)
    old = (people.age_band == "65+").to_numpy()
    good = np.where(truth, 0.8, 0.2)
    score = np.where(old, rng.uniform(size=N), good)  # the model is blind for the old
    result = fairness_audit(pd.DataFrame(index=people.index), people[["age_band"]],
                            y_true=truth, y_score=pd.Series(score, index=people.index))
    assert result.flags[0].startswith("model: equalised-odds difference by age_band is")


def test_metrics_match_fairlearn(people: pd.DataFrame) -> None:
    metrics = pytest.importorskip("fairlearn.metrics")
    rng = np.random.default_rng(3)
    truth = rng.uniform(size=N) < 0.4
    pred = rng.uniform(size=N) < np.where(people.gender == "f", 0.3, 0.5)
    result = fairness_audit(pd.DataFrame({"offer": pred}, index=people.index), people[["gender"]],
                            y_true=pd.Series(truth, index=people.index),
                            y_score=pd.Series(pred.astype(float), index=people.index))
    ours = result.metrics.set_index("metric").value
    sf = people.gender.to_numpy()
    assert ours["demographic_parity_difference"] == pytest.approx(
        metrics.demographic_parity_difference(truth, pred, sensitive_features=sf))
    assert ours["equalized_odds_difference"] == pytest.approx(
        metrics.equalized_odds_difference(truth, pred, sensitive_features=sf))


def test_small_groups_are_left_out_of_differences() -> None:
    groups = pd.DataFrame({"gender": ["f"] * 50 + ["x"] * 3 + ["m"] * 50})
    outcomes = pd.DataFrame({"offer": [1, 0] * 25 + [0, 0, 0] + [0, 1] * 25})
    result = fairness_audit(outcomes, groups, min_group_size=30)
    assert not result.flagged
    assert result.metrics.detail.item() == "f 0.50, m 0.50"


def test_proxies_are_named(people: pd.DataFrame) -> None:
    features = people[["monetary", "frequency", "app_share"]]
    assert proxy_features(features, people.age_band) == ["app_share"]
    assert proxy_features(features, people.gender) == []
    result = fairness_audit(pd.DataFrame(index=people.index), people[["age_band"]],
                            features=features)
    assert result.proxy_flags == [
        f"app_share predicts age_band (cross-validated AUC "
        f"{result.proxies.set_index('feature').auc['app_share']:.2f})"]
    assert result.to_dict()["proxy_flags"] == result.proxy_flags


def test_sensitive_attributes_are_not_features_unless_asked() -> None:
    with pytest.raises(PrivacyError, match="birth_year, age_band"):
        check_no_sensitive_features(["recency", "birth_year", "age_band"])
    check_no_sensitive_features(["recency", "gender"], allowed=["gender"])
    with pytest.raises(PrivacyError, match="religion"):
        check_no_sensitive_features(["religion"], sensitive=["religion"])


def test_alpha_keeps_chance_differences_of_small_groups_unflagged() -> None:
    rng = np.random.default_rng(8)
    groups = pd.DataFrame({"age_band": np.repeat(["18-24", "25-34", "65+"], [40, 400, 40])})
    offer = rng.uniform(size=len(groups)) < 0.7  # the same chance for everyone
    outcomes = pd.DataFrame({"offer": offer})
    loose = fairness_audit(outcomes, groups)
    strict = fairness_audit(outcomes, groups, alpha=0.01)
    value = loose.metrics.value.item()
    assert loose.flagged and value > 0.1  # chance alone crosses the threshold
    assert not strict.flagged and strict.metrics.value.item() == value
    assert strict.metrics.p_value.item() > 0.01
    assert strict.to_dict()["alpha"] == 0.01


def test_alpha_still_flags_a_real_difference(people: pd.DataFrame) -> None:
    offer = ((people.monetary > 100) & (people.age_band != "18-24")).to_numpy()
    result = fairness_audit(outcomes_of(people, offer, np.full(N, 0.3)),
                            people[["age_band", "gender"]], alpha=0.01)
    assert len(result.flags) == 1 and "p < 0.001" in result.flags[0]
    rng = np.random.default_rng(2)
    truth = pd.Series(rng.uniform(size=N) < 0.3, index=people.index)
    old = (people.age_band == "65+").to_numpy()
    score = np.where(old, rng.uniform(size=N), np.where(truth, 0.8, 0.2))
    odds = fairness_audit(pd.DataFrame(index=people.index), people[["age_band"]], alpha=0.01,
                          y_true=truth, y_score=pd.Series(score, index=people.index))
    assert odds.flags[0].startswith("model: equalised-odds difference by age_band is")
    assert odds.metrics.p_value.item() < 0.001

"""The next best offer: consent and the contact cap always hold; the value decides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.errors import ConfigError
from shopperlens.recommend.offers import (
    ContactCap,
    best_offer_one,
    choose_offers,
    default_offers,
)

OFFERS = pd.DataFrame({
    "offer_id": ["ten-off", "ship", "tips", "vip"],
    "kind": ["discount", "free_shipping", "content", "product"],
    "cost": [5.0, 3.0, 0.0, 1.0],
    "eligibility": ["", "", "", "1"],
    "max_per_customer": [1, 2, None, None],
})


def people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "segment_id": rng.integers(0, 3, n),
        "expected_clv": rng.gamma(2.0, 50.0, n),
        "churn_risk": rng.random(n),
        "consent_marketing": rng.random(n) < 0.7,
    })


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 10_000), cap=st.integers(0, 2),
       already=st.integers(0, 3))
def test_consent_and_the_contact_cap_always_hold(n: int, seed: int, cap: int,
                                                already: int) -> None:
    customers = people(n, seed)
    sent = pd.DataFrame({"customer_id": ["c0"] * already, "offer_id": ["tips"] * already})
    chosen = choose_offers(customers, OFFERS, cap=ContactCap(cap, 7), sent=sent)
    refused = set(customers.loc[~customers["consent_marketing"], "customer_id"])
    assert not refused & set(chosen["customer_id"])
    assert chosen["customer_id"].is_unique  # at most one offer each, in one run
    if cap == 0:
        assert chosen.empty
    if already >= cap:
        assert "c0" not in set(chosen["customer_id"])
    assert (chosen["expected_value"] > 0).all() and chosen["reason"].str.len().gt(0).all()
    segment = customers.set_index("customer_id")["segment_id"]
    vip = chosen[chosen["offer_id"] == "vip"]["customer_id"]
    assert (segment.loc[vip] == 1).all()  # eligibility


def test_an_offer_used_up_for_a_customer_goes_to_others_only() -> None:
    customers = people(5, 1).assign(consent_marketing=True, churn_risk=0.9)
    sent = pd.DataFrame({"customer_id": ["c0"], "offer_id": ["ten-off"]})
    chosen = choose_offers(customers, OFFERS, cap=ContactCap(2, 7), sent=sent)
    assert chosen.set_index("customer_id").loc["c0", "offer_id"] != "ten-off"
    assert (chosen["offer_id"] == "ten-off").sum() >= 1


def test_the_one_customer_path_agrees_with_the_frame() -> None:
    customers = people(30, 3)
    table = choose_offers(customers, OFFERS).set_index("customer_id")
    rows = OFFERS.to_dict("records")
    for record in customers.to_dict("records"):
        one = best_offer_one(record, rows)
        if record["customer_id"] in table.index:
            assert one is not None
            assert one["offer_id"] == table.loc[record["customer_id"], "offer_id"]
            assert one["reason"] == table.loc[record["customer_id"], "reason"]
        else:
            assert one is None


def test_churn_risk_tips_the_choice_to_a_retention_offer() -> None:
    base = {"customer_id": "a", "segment_id": 0, "expected_clv": 200.0,
            "consent_marketing": True}
    calm = best_offer_one({**base, "churn_risk": 0.0}, OFFERS.to_dict("records"))
    leaving = best_offer_one({**base, "churn_risk": 0.95}, OFFERS.to_dict("records"))
    assert leaving is not None and leaving["offer_id"] == "ten-off"
    assert "churn risk 95%" in leaving["reason"]
    assert calm is not None and calm["expected_value"] < leaving["expected_value"]


def test_default_offers_type_the_segment_actions() -> None:
    offers = default_offers({0: "Lapsed big spenders", 1: "App cart-abandoners",
                             2: "In-store loyalists", -1: "No purchases yet"})
    kinds = dict(zip(offers["eligibility"], offers["kind"], strict=True))
    assert kinds == {"0": "discount", "1": "free_shipping", "2": "content", "-1": "product"}


def test_a_bad_cap_is_refused() -> None:
    with pytest.raises(ConfigError, match="window_days"):
        ContactCap(1, 0)

from __future__ import annotations

import pandas as pd
import pytest

from shopperlens.campaigns import held_out
from shopperlens.demo import generate
from shopperlens.demo._campaigns import OFFERS, PLANTED_EFFECTS, plant_campaign

Planted = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]  # campaigns, new orders, personas


@pytest.fixture(scope="module")
def planted() -> Planted:
    data = generate(150, seed=4)
    out = plant_campaign(data, seed=4)
    before = data.tables["transactions"]
    new = out.tables["transactions"].merge(before, how="left", indicator=True)
    new = new[new["_merge"] == "left_only"].drop(columns="_merge")
    return out.tables["campaigns"], new, data.personas


def test_control_is_the_salted_hold_out_and_offers_carry_their_cost(planted: Planted) -> None:
    campaigns, _, _ = planted
    hold = held_out(campaigns["customer_id"], 1 / 3, "spring-offers")
    assert ((campaigns["variant"] == "control") == hold).all()
    assert set(campaigns["variant"]) == {"control", *OFFERS}
    assert (campaigns["cost"] == campaigns["variant"].map({**OFFERS, "control": 0.0})).all()


def test_only_planted_personas_respond_and_only_to_their_offer(planted: Planted) -> None:
    campaigns, new, personas = planted
    responders = new.merge(campaigns, on="customer_id").merge(personas, on="customer_id")
    pairs = set(zip(responders["persona"], responders["variant"], strict=True))
    assert pairs and pairs <= set(PLANTED_EFFECTS)
    sent_at = campaigns["sent_at"].iloc[0]
    delay = responders["timestamp"] - sent_at
    assert (delay > pd.Timedelta(0)).all() and (delay <= pd.Timedelta(days=7)).all()

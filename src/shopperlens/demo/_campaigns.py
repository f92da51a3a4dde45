"""A campaign planted in the demo, whose effect differs by persona (the ground truth a
campaign measurement should recover).

:func:`plant_campaign` sends one campaign a month before the demo's last day: a salted
hold-out (:func:`~shopperlens.campaigns.held_out`) is the control, the rest get one of
two offers at random. Only some personas respond, each to one offer
(:data:`PLANTED_EFFECTS`): a responder visits the site and orders within a week. Other
customers keep their usual behaviour, in every arm alike.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.campaigns import held_out
from shopperlens.demo._generate import PERSONA, DemoData

__all__ = ["OFFERS", "PLANTED_EFFECTS", "plant_campaign"]

OFFERS = {"discount": 1.0, "free_delivery": 0.5}  # offer -> cost of a send
# (persona, offer) -> extra probability of an order within the campaign's window
PLANTED_EFFECTS = {
    ("Discount-driven occasionals", "discount"): 0.30,
    ("App browsers who abandon carts", "free_delivery"): 0.30,
}
ORDER_VALUE = (40.0, 90.0)  # uniform range of a planted order's amount


def plant_campaign(data: DemoData, *, seed: int = 0, campaign_id: str = "spring-offers",
                   days_before_end: int = 30, control_share: float = 1 / 3) -> DemoData:
    """``data`` with a ``campaigns`` table and the planted responders' visits and orders."""
    rng = np.random.default_rng(seed)
    orders = data.tables[s.TRANSACTIONS.name]
    sent_at = (orders[s.TIMESTAMP].max() - pd.Timedelta(days=days_before_end)).floor("D")
    buyers = np.sort(orders.loc[orders[s.TIMESTAMP] < sent_at, s.CUSTOMER_ID].unique())
    variant = rng.choice(list(OFFERS), size=len(buyers))
    variant = np.where(held_out(buyers, control_share, campaign_id), "control", variant)
    campaigns = pd.DataFrame({
        s.CAMPAIGN_ID: campaign_id, s.CUSTOMER_ID: buyers, s.VARIANT: variant,
        s.SENT_AT: sent_at, s.COST: [OFFERS.get(v, 0.0) for v in variant], s.CHANNEL: "email"})
    persona = campaigns[s.CUSTOMER_ID].map(data.personas.set_index(s.CUSTOMER_ID)[PERSONA])
    pairs = zip(persona, variant, strict=True)
    effect = np.array([PLANTED_EFFECTS.get(pair, 0.0) for pair in pairs])
    responders = campaigns[rng.random(len(campaigns)) < effect].reset_index(drop=True)
    when = sent_at + pd.to_timedelta(rng.integers(600, 7 * 86400, len(responders)), unit="s")
    tables = dict(data.tables)
    tables[s.CAMPAIGNS.name] = campaigns
    tables[s.TRANSACTIONS.name] = _with_orders(orders, responders, when, rng)
    if s.EVENTS.name in tables:
        tables[s.EVENTS.name] = _with_visits(tables[s.EVENTS.name], responders, when)
    return dataclasses.replace(data, tables=tables)


def _with_orders(orders: pd.DataFrame, responders: pd.DataFrame, when: pd.Series,
                 rng: np.random.Generator) -> pd.DataFrame:
    n = len(responders)
    amount = rng.uniform(*ORDER_VALUE, n).round(2)
    new = pd.DataFrame({
        s.CUSTOMER_ID: responders[s.CUSTOMER_ID], s.ORDER_ID: [f"OC{i:08d}" for i in range(n)],
        s.TIMESTAMP: when, s.AMOUNT: amount, s.QUANTITY: 1, s.PRODUCT_ID: "OFFER",
        s.CATEGORY: "apparel", s.UNIT_PRICE: amount, s.DISCOUNT: 0.0, s.CHANNEL: "online",
        s.STORE_ID: None, s.CURRENCY: "GBP"})
    return _append(orders, new)


def _with_visits(events: pd.DataFrame, responders: pd.DataFrame,
                 when: pd.Series) -> pd.DataFrame:
    n = len(responders)
    new = pd.DataFrame({
        s.MESSAGE_ID: [f"campaign-visit-{i:08d}" for i in range(n)],
        s.CUSTOMER_ID: responders[s.CUSTOMER_ID], s.ANONYMOUS_ID: None,
        s.TIMESTAMP: when - pd.Timedelta(minutes=5), s.EVENT: s.PAGE_VIEWED,
        s.SESSION_ID: [f"campaign-{i:08d}" for i in range(n)], s.CHANNEL: "web",
        s.PROPERTIES: '{"path": "/offer"}'})
    return _append(events, new)


def _append(frame: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``frame`` and ``new``'s rows (its columns only), in time order. A column ``new``
    leaves empty takes ``frame``'s type: pandas 2 warns when an untyped empty column
    takes part in choosing the concatenation's."""
    new = new.reindex(columns=frame.columns)
    for column in frame.columns:
        kind = frame[column].dtype
        if new[column].isna().all() and not pd.api.types.is_bool_dtype(kind) and not (
                pd.api.types.is_integer_dtype(kind) and kind.kind in "iu"):
            new[column] = pd.Series(None, index=new.index, dtype=kind)
    return pd.concat([frame, new], ignore_index=True).sort_values(s.TIMESTAMP, kind="stable")

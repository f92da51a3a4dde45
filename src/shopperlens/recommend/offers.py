"""The next best offer: each customer's one offer of the highest expected incremental value.

An offer's expected value for a customer is what it may add minus what it costs:

    predicted response x incremental value - cost

with the incremental value the customer's expected spend (``expected_clv``), raised by
their churn risk for a retention offer (a discount or free shipping saves more from
someone about to leave), and a product offer's value its score among the customer's
recommendations times its margin. The predicted response is the offer's kind's base
rate, lifted by the customer's e-mail engagement.

Rules that always hold: nobody whose ``consent_marketing`` is false gets an offer; no
customer gets more than ``max_per_customer`` offers in ``window_days`` (contact
pressure), counting those already sent; an offer goes only to the segments it names
(``eligibility``), and not to a customer who already got it ``max_per_customer`` times
(in its ``period_days``: the caller counts the sends). Without an offers table,
:func:`default_offers` makes one typed offer per segment from the segment's usual action.

>>> customers = pd.DataFrame({"customer_id": ["a", "b"], "segment_id": [0, 0],
...     "expected_clv": [100.0, 10.0], "churn_risk": [0.8, 0.1],
...     "consent_marketing": [True, False]})
>>> offers = pd.DataFrame({"offer_id": ["ten"], "kind": ["discount"], "cost": [5.0],
...     "eligibility": [""]})
>>> choose_offers(customers, offers)[["customer_id", "offer_id"]].to_dict("records")
[{'customer_id': 'a', 'offer_id': 'ten'}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens._params import Interval, check_params

OFFER_ID, KIND, COST, ELIGIBILITY = "offer_id", "kind", "cost", "eligibility"
MAX_PER_CUSTOMER, PERIOD_DAYS = "max_per_customer", "period_days"
EXPECTED_VALUE = "expected_value"
KINDS = ("discount", "free_shipping", "product", "content")
# base response rates by kind, before the customer's engagement lifts them
RESPONSE = {"discount": 0.10, "free_shipping": 0.08, "product": 0.05, "content": 0.03}
RETENTION = ("discount", "free_shipping")  # kinds that hold back a customer about to leave
DEFAULT_MAX_PER_CUSTOMER = 1  # offers a customer may get ...
DEFAULT_WINDOW_DAYS = 7  # ... in this many days
OFFER_COLUMNS = [s.CUSTOMER_ID, OFFER_ID, EXPECTED_VALUE, s.REASON]


@dataclass(frozen=True)
class ContactCap:
    """At most ``max_per_customer`` offers per customer in ``window_days``."""

    max_per_customer: int = DEFAULT_MAX_PER_CUSTOMER
    window_days: int = DEFAULT_WINDOW_DAYS

    def __post_init__(self) -> None:
        check_params("ContactCap", {"max_per_customer": Interval(int, 0),
                                    "window_days": Interval(int, 1)},
                     {"max_per_customer": self.max_per_customer,
                      "window_days": self.window_days})


def default_offers(segment_names: dict[int, str]) -> pd.DataFrame:
    """One typed offer per segment, from what its name says it needs (the segment
    actions of the report as offers): a discount to win back those lapsing, free
    shipping to those who abandon carts or buy rarely, content to loyal customers."""
    rows = []
    for sid, name in sorted(segment_names.items()):
        words = str(name).lower()
        if any(w in words for w in ("lapsed", "risk", "lost", "sleep", "hibernat")):
            kind, cost = "discount", 5.0
        elif any(w in words for w in ("abandon", "browser", "occasional", "discount")):
            kind, cost = "free_shipping", 3.0
        elif any(w in words for w in ("new", "no purchases")):
            kind, cost = "product", 0.0
        else:
            kind, cost = "content", 0.0
        rows.append({OFFER_ID: f"segment-{sid}-{kind}", KIND: kind, COST: cost,
                     ELIGIBILITY: str(sid), MAX_PER_CUSTOMER: None, PERIOD_DAYS: None})
    return pd.DataFrame(rows, columns=[OFFER_ID, KIND, COST, ELIGIBILITY, MAX_PER_CUSTOMER,
                                       PERIOD_DAYS])


def choose_offers(customers: pd.DataFrame, offers: pd.DataFrame, *,
                  cap: ContactCap | None = None, sent: pd.DataFrame | None = None,
                  product_value: pd.Series | None = None) -> pd.DataFrame:
    """Each customer's best offer (columns :data:`OFFER_COLUMNS`).

    ``customers``: ``customer_id``, ``segment_id``, ``expected_clv``, ``churn_risk``,
    ``consent_marketing`` (missing: allowed), optional ``email_clicks``. ``sent``:
    the offers already sent (``customer_id``, ``offer_id``) within the cap's window.
    ``product_value``: per customer, the value of their best recommendation.
    """
    cap = cap or ContactCap()
    ids = customers[s.CUSTOMER_ID].astype(str)
    sent = sent if sent is not None else pd.DataFrame(columns=[s.CUSTOMER_ID, OFFER_ID])
    before = sent[s.CUSTOMER_ID].astype(str).value_counts()
    room = cap.max_per_customer - before.reindex(ids).fillna(0).to_numpy()
    allowed = _consenting(customers) & (room > 0)
    who = customers[allowed].reset_index(drop=True)
    if who.empty or offers.empty:
        return pd.DataFrame(columns=OFFER_COLUMNS)
    value = _values(who, offers, product_value)
    value[~(_eligible(who, offers) & _not_used_up(who, offers, sent))] = -np.inf
    top = value.max(axis=1)
    keep = np.isfinite(top) & (top > 0)
    chosen = value.argmax(axis=1)[keep]
    ev = top[keep]
    return pd.DataFrame({
        s.CUSTOMER_ID: who[s.CUSTOMER_ID].astype(str).to_numpy()[keep],
        OFFER_ID: offers[OFFER_ID].astype(str).to_numpy()[chosen],
        EXPECTED_VALUE: np.round(ev, 4),
        s.REASON: _reasons(who[keep], offers.iloc[chosen], ev),
    })


def _not_used_up(who: pd.DataFrame, offers: pd.DataFrame, sent: pd.DataFrame) -> np.ndarray:
    """customers x offers: fewer sends of the offer to the customer than its maximum."""
    out = np.ones((len(who), len(offers)), bool)
    if MAX_PER_CUSTOMER not in offers or sent.empty:
        if MAX_PER_CUSTOMER in offers:
            out[:, pd.to_numeric(offers[MAX_PER_CUSTOMER]).fillna(1).to_numpy() <= 0] = False
        return out
    pairs = sent.astype(str).groupby([s.CUSTOMER_ID, OFFER_ID]).size()
    ids = who[s.CUSTOMER_ID].astype(str)
    for j, (offer, most) in enumerate(zip(offers[OFFER_ID].astype(str),
                                          pd.to_numeric(offers[MAX_PER_CUSTOMER]),
                                          strict=True)):
        if pd.isna(most):
            continue
        counts = pairs.xs(offer, level=1) if offer in pairs.index.get_level_values(1) \
            else pd.Series(dtype=float)
        out[:, j] = counts.reindex(ids).fillna(0).to_numpy() < most
    return out


def _consenting(customers: pd.DataFrame) -> np.ndarray:
    if s.CONSENT_MARKETING not in customers:
        return np.ones(len(customers), bool)
    flag = customers[s.CONSENT_MARKETING]
    return ~flag.astype("boolean").fillna(True).eq(False).to_numpy(bool)


def _eligible(who: pd.DataFrame, offers: pd.DataFrame) -> np.ndarray:
    """customers x offers: the offer names no segment, or the customer's."""
    segment = who[s.SEGMENT_ID].astype("Int64").astype(str).to_numpy()
    out = np.ones((len(who), len(offers)), bool)
    for j, rule in enumerate(offers[ELIGIBILITY].fillna("").astype(str)):
        names = {x.strip() for x in rule.replace(";", ",").split(",") if x.strip()}
        if names:
            out[:, j] = np.isin(segment, list(names))
    return out


def _values(who: pd.DataFrame, offers: pd.DataFrame,
            product_value: pd.Series | None) -> np.ndarray:
    """Expected incremental value, customers x offers."""
    clv = who.get("expected_clv", pd.Series(0.0, index=who.index)).fillna(0.0).to_numpy(float)
    risk = who.get("churn_risk", pd.Series(0.0, index=who.index)).fillna(0.0).to_numpy(float)
    clicks = who.get("email_clicks", pd.Series(0.0, index=who.index)).fillna(0.0)
    lift = 1.0 + np.log1p(clicks.to_numpy(float))
    best_product = (np.zeros(len(who)) if product_value is None else
                    product_value.reindex(who[s.CUSTOMER_ID]).fillna(0.0).to_numpy(float))
    out = np.empty((len(who), len(offers)))
    for j, (kind, cost) in enumerate(zip(offers[KIND], offers[COST].fillna(0.0), strict=True)):
        out[:, j] = offer_value(str(kind), float(cost), clv, risk, lift, best_product)
    return out


def offer_value(kind: str, cost: float, clv: Any, risk: Any, lift: Any,
                best_product: Any) -> Any:
    """Expected incremental value of an offer of ``kind`` (arrays or numbers):
    predicted response x what it may add - cost."""
    response = np.minimum(RESPONSE.get(kind, 0.03) * lift, 1.0)
    gain = clv * (1.0 + risk) if kind in RETENTION else clv
    if kind == "product":
        gain = np.maximum(best_product, 0.1 * clv)
    return response * gain - cost


def best_offer_one(customer: dict[str, Any], offers: list[dict[str, Any]],
                   best_product: float | None = None) -> dict[str, Any] | None:
    """:func:`choose_offers` for one customer without a frame (the service's path):
    ``{"offer_id", "expected_value", "reason"}``, or None."""
    if customer.get(s.CONSENT_MARKETING) is False:
        return None
    clv, risk = _number(customer.get("expected_clv")), _number(customer.get("churn_risk"))
    lift = 1.0 + np.log1p(_number(customer.get("email_clicks")))
    segment = "" if customer.get(s.SEGMENT_ID) is None else str(customer[s.SEGMENT_ID])
    best: tuple[float, dict[str, Any]] | None = None
    for offer in offers:
        names = {x.strip() for x in str(offer.get(ELIGIBILITY) or "").replace(";", ",")
                 .split(",") if x.strip()}
        if (names and segment not in names) or _number(offer.get(MAX_PER_CUSTOMER), 1.0) <= 0:
            continue
        value = float(offer_value(str(offer[KIND]), _number(offer.get(COST)), clv, risk,
                                  lift, _number(best_product)))
        if value > 0 and (best is None or value > best[0]):
            best = (value, offer)
    if best is None:
        return None
    shown_risk = risk if customer.get("churn_risk") is not None else np.nan
    return {OFFER_ID: str(best[1][OFFER_ID]), EXPECTED_VALUE: round(best[0], 4),
            s.REASON: _reason(str(best[1][KIND]), shown_risk, best[0])}


def _number(value: Any, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return default if np.isnan(number) else number


def _reasons(who: pd.DataFrame, chosen: pd.DataFrame, ev: np.ndarray) -> list[str]:
    risk = who.get("churn_risk", pd.Series(np.nan, index=who.index)).to_numpy(float)
    return [_reason(kind, r, v) for kind, r, v in
            zip(chosen[KIND].astype(str), risk, ev, strict=True)]


def _reason(kind: str, risk: float, value: float) -> str:
    why = f"{kind.replace('_', ' ')}: highest expected gain ({value:.2f})"
    if kind in RETENTION and np.isfinite(risk) and risk >= 0.5:
        why += f"; churn risk {risk:.0%}"
    return why

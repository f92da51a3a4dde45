"""The catalogue of per-customer features: one entry per column of ``features.parquet``.

Each feature is defined once (its SQL lives in the family module); this catalogue says
what it means in plain words so segment names, rules and reasons can speak a marketer's
language.

>>> FEATURES["monetary"].label
'total spend'
>>> FEATURES["recency_days"].high, FEATURES["recency_days"].low
('lapsed', 'recent')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["orders", "browsing", "engagement", "interactions", "customers", "text"]


@dataclass(frozen=True)
class Feature:
    """What one feature means.

    ``high`` and ``low`` are the words a segment name uses when the segment sits well
    above or below the population on this feature (empty when not worth naming).
    """

    name: str
    family: Family
    label: str
    unit: str = ""
    kind: Literal["numeric", "categorical"] = "numeric"
    heavy_tail: bool = False
    high: str = ""
    low: str = ""
    segment_by_default: bool = True


_F = Feature
CATALOG: tuple[Feature, ...] = (
    # orders ---------------------------------------------------------------
    _F("recency_days", "orders", "days since last order", "days", high="lapsed", low="recent"),
    _F("frequency", "orders", "orders", "orders", heavy_tail=True, high="frequent", low="one-off"),
    _F(
        "monetary",
        "orders",
        "total spend",
        "currency",
        heavy_tail=True,
        high="high-value",
        low="low-spend",
    ),
    _F("tenure_days", "orders", "days since first order", "days", high="long-standing", low="new"),
    _F(
        "avg_order_value",
        "orders",
        "average order value",
        "currency",
        heavy_tail=True,
        high="big-basket",
        low="small-basket",
    ),
    _F(
        "ipt_mean_days",
        "orders",
        "mean days between orders",
        "days",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        "ipt_std_days",
        "orders",
        "spread of days between orders",
        "days",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        "spend_trend",
        "orders",
        "spend trend (last half-year vs the one before, -1 to 1)",
        high="growing",
        low="declining",
    ),
    _F(
        "discount_share",
        "orders",
        "share of value bought on discount",
        "share",
        high="discount-driven",
        low="full-price",
    ),
    _F("return_rate", "orders", "share of value returned", "share", high="returns-prone"),
    _F(
        "basket_size",
        "orders",
        "items per order",
        "items",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F("top_category", "orders", "most bought category", kind="categorical"),
    _F(
        "category_entropy",
        "orders",
        "category variety (entropy, bits)",
        "bits",
        high="broad-range",
        low="single-category",
    ),
    _F("store_share", "orders", "share of orders in store", "share", high="in-store"),
    _F("online_share", "orders", "share of orders online", "share", high="online"),
    _F("app_share", "orders", "share of orders in the app", "share", high="app"),
    # browsing -------------------------------------------------------------
    _F(
        "sessions",
        "browsing",
        "browsing sessions",
        "sessions",
        heavy_tail=True,
        high="browsing-heavy",
    ),
    _F(
        "product_views",
        "browsing",
        "product views",
        "views",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        "add_to_cart_rate",
        "browsing",
        "add-to-cart rate per product view",
        "share",
        segment_by_default=False,
    ),
    _F(
        "checkout_conversion",
        "browsing",
        "checkouts completed per checkout started",
        "share",
        segment_by_default=False,
    ),
    _F("cart_abandonment", "browsing", "share of carts abandoned", "share", high="cart-abandoning"),
    # engagement -----------------------------------------------------------
    _F(
        "email_opens",
        "engagement",
        "e-mails opened",
        "opens",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        "email_clicks",
        "engagement",
        "e-mail clicks",
        "clicks",
        heavy_tail=True,
        high="email-engaged",
    ),
    _F(
        "social_engagements",
        "engagement",
        "social engagements",
        "engagements",
        heavy_tail=True,
        high="social",
    ),
    # interactions ---------------------------------------------------------
    _F(
        "review_count",
        "interactions",
        "reviews written",
        "reviews",
        heavy_tail=True,
        high="reviewing",
        segment_by_default=False,
    ),
    _F(
        "mean_rating",
        "interactions",
        "mean review rating",
        "stars",
        high="delighted",
        low="unhappy",
        segment_by_default=False,
    ),
    _F(
        "support_contacts",
        "interactions",
        "support contacts",
        "contacts",
        heavy_tail=True,
        high="support-heavy",
    ),
    # customers ------------------------------------------------------------
    _F("region", "customers", "region", kind="categorical"),
    # text (shopperlens.text.customer_text_features) -----------------------
    _F(
        "text_count",
        "text",
        "texts written (reviews, tickets, chats, posts)",
        "texts",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        "sentiment_mean",
        "text",
        "mean sentiment of their texts (-1 to 1)",
        high="delighted",
        low="unhappy",
        segment_by_default=False,
    ),
    _F(
        "sentiment_latest",
        "text",
        "sentiment of their latest text (-1 to 1)",
        segment_by_default=False,
    ),
    _F(
        "sentiment_trend",
        "text",
        "sentiment trend (last 90 days vs before)",
        segment_by_default=False,
    ),
    _F(
        "negative_support_share",
        "text",
        "share of support contacts that were negative",
        "share",
        high="frustrated",
        segment_by_default=False,
    ),
    _F(
        "anger_share",
        "text",
        "share of texts whose main emotion is anger",
        "share",
        high="angry",
        segment_by_default=False,
    ),
    _F("dominant_emotion", "text", "main emotion in their texts", kind="categorical"),
    _F("complaint_topic", "text", "what they complain about most", kind="categorical"),
)

FEATURES: dict[str, Feature] = {f.name: f for f in CATALOG}


def describe(name: str) -> Feature:
    """The catalogue entry of a feature, or a plain one for features defined elsewhere."""
    return FEATURES.get(name) or Feature(name, "text", name.replace("_", " "))

"""The catalogue of per-customer features: one entry per column of ``features.parquet``.

Each feature is defined once (its SQL lives in the family module); this catalogue says
what it means in plain words so segment names, rules and reasons can speak a marketer's
language. It is also the one place that spells a feature's name: other modules use the
constants below (``RECENCY_DAYS`` for ``"recency_days"`` ...).

>>> FEATURES["monetary"].label
'total spend'
>>> FEATURES["recency_days"].high, FEATURES["recency_days"].low
('lapsed', 'recent')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The feature names: every other module spells a feature through these constants.
RECENCY_DAYS = "recency_days"
FREQUENCY = "frequency"
MONETARY = "monetary"
TENURE_DAYS = "tenure_days"
AVG_ORDER_VALUE = "avg_order_value"
IPT_MEAN_DAYS = "ipt_mean_days"
IPT_STD_DAYS = "ipt_std_days"
SPEND_TREND = "spend_trend"
DISCOUNT_SHARE = "discount_share"
RETURN_RATE = "return_rate"
BASKET_SIZE = "basket_size"
TOP_CATEGORY = "top_category"
CATEGORY_ENTROPY = "category_entropy"
STORE_SHARE = "store_share"
ONLINE_SHARE = "online_share"
APP_SHARE = "app_share"
SESSIONS = "sessions"
PRODUCT_VIEWS = "product_views"
ADD_TO_CART_RATE = "add_to_cart_rate"
CHECKOUT_CONVERSION = "checkout_conversion"
CART_ABANDONMENT = "cart_abandonment"
EMAIL_OPENS = "email_opens"
EMAIL_CLICKS = "email_clicks"
SOCIAL_ENGAGEMENTS = "social_engagements"
REVIEW_COUNT = "review_count"
MEAN_RATING = "mean_rating"
SUPPORT_CONTACTS = "support_contacts"
REGION = "region"
TEXT_COUNT = "text_count"
SENTIMENT_MEAN = "sentiment_mean"
SENTIMENT_LATEST = "sentiment_latest"
SENTIMENT_TREND = "sentiment_trend"
NEGATIVE_SUPPORT_SHARE = "negative_support_share"
ANGER_SHARE = "anger_share"
DOMINANT_EMOTION = "dominant_emotion"
COMPLAINT_TOPIC = "complaint_topic"

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
    _F(RECENCY_DAYS, "orders", "days since last order", "days", high="lapsed", low="recent"),
    _F(FREQUENCY, "orders", "orders", "orders", heavy_tail=True, high="frequent", low="one-off"),
    _F(
        MONETARY,
        "orders",
        "total spend",
        "currency",
        heavy_tail=True,
        high="high-value",
        low="low-spend",
    ),
    _F(TENURE_DAYS, "orders", "days since first order", "days", high="long-standing", low="new"),
    _F(
        AVG_ORDER_VALUE,
        "orders",
        "average order value",
        "currency",
        heavy_tail=True,
        high="big-basket",
        low="small-basket",
    ),
    _F(
        IPT_MEAN_DAYS,
        "orders",
        "mean days between orders",
        "days",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        IPT_STD_DAYS,
        "orders",
        "spread of days between orders",
        "days",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        SPEND_TREND,
        "orders",
        "spend trend (last half-year vs the one before, -1 to 1)",
        high="growing",
        low="declining",
    ),
    _F(
        DISCOUNT_SHARE,
        "orders",
        "share of value bought on discount",
        "share",
        high="discount-driven",
        low="full-price",
    ),
    _F(RETURN_RATE, "orders", "share of value returned", "share", high="returns-prone"),
    _F(
        BASKET_SIZE,
        "orders",
        "items per order",
        "items",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(TOP_CATEGORY, "orders", "most bought category", kind="categorical"),
    _F(
        CATEGORY_ENTROPY,
        "orders",
        "category variety (entropy, bits)",
        "bits",
        high="broad-range",
        low="single-category",
    ),
    _F(STORE_SHARE, "orders", "share of orders in store", "share", high="in-store"),
    _F(ONLINE_SHARE, "orders", "share of orders online", "share", high="online"),
    _F(APP_SHARE, "orders", "share of orders in the app", "share", high="app"),
    # browsing -------------------------------------------------------------
    _F(
        SESSIONS,
        "browsing",
        "browsing sessions",
        "sessions",
        heavy_tail=True,
        high="browsing-heavy",
        low="low-browsing",
    ),
    _F(
        PRODUCT_VIEWS,
        "browsing",
        "product views",
        "views",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        ADD_TO_CART_RATE,
        "browsing",
        "add-to-cart rate per product view",
        "share",
        segment_by_default=False,
    ),
    _F(
        CHECKOUT_CONVERSION,
        "browsing",
        "checkouts completed per checkout started",
        "share",
        segment_by_default=False,
    ),
    _F(CART_ABANDONMENT, "browsing", "share of carts abandoned", "share",
       high="cart-abandoning", low="cart-completing"),
    # engagement -----------------------------------------------------------
    _F(
        EMAIL_OPENS,
        "engagement",
        "e-mails opened",
        "opens",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        EMAIL_CLICKS,
        "engagement",
        "e-mail clicks",
        "clicks",
        heavy_tail=True,
        high="email-engaged",
        low="email-quiet",
    ),
    _F(
        SOCIAL_ENGAGEMENTS,
        "engagement",
        "social engagements",
        "engagements",
        heavy_tail=True,
        high="social",
    ),
    # interactions ---------------------------------------------------------
    _F(
        REVIEW_COUNT,
        "interactions",
        "reviews written",
        "reviews",
        heavy_tail=True,
        high="reviewing",
        segment_by_default=False,
    ),
    _F(
        MEAN_RATING,
        "interactions",
        "mean review rating",
        "stars",
        high="delighted",
        low="unhappy",
        segment_by_default=False,
    ),
    _F(
        SUPPORT_CONTACTS,
        "interactions",
        "support contacts",
        "contacts",
        heavy_tail=True,
        high="support-heavy",
    ),
    # customers ------------------------------------------------------------
    _F(REGION, "customers", "region", kind="categorical"),
    # text (shopperlens.text.customer_text_features) -----------------------
    _F(
        TEXT_COUNT,
        "text",
        "texts written (reviews, tickets, chats, posts)",
        "texts",
        heavy_tail=True,
        segment_by_default=False,
    ),
    _F(
        SENTIMENT_MEAN,
        "text",
        "mean sentiment of their texts (-1 to 1)",
        high="delighted",
        low="unhappy",
        segment_by_default=False,
    ),
    _F(
        SENTIMENT_LATEST,
        "text",
        "sentiment of their latest text (-1 to 1)",
        segment_by_default=False,
    ),
    _F(
        SENTIMENT_TREND,
        "text",
        "sentiment trend (last 90 days vs before)",
        segment_by_default=False,
    ),
    _F(
        NEGATIVE_SUPPORT_SHARE,
        "text",
        "share of support contacts that were negative",
        "share",
        high="frustrated",
        segment_by_default=False,
    ),
    _F(
        ANGER_SHARE,
        "text",
        "share of texts whose main emotion is anger",
        "share",
        high="angry",
        segment_by_default=False,
    ),
    _F(DOMINANT_EMOTION, "text", "main emotion in their texts", kind="categorical"),
    _F(COMPLAINT_TOPIC, "text", "what they complain about most", kind="categorical"),
)

FEATURES: dict[str, Feature] = {f.name: f for f in CATALOG}
# What the real-time state computes: every feature but the text family's (text is
# scored in batch only).
STATE_FEATURES: tuple[str, ...] = tuple(f.name for f in CATALOG if f.family != "text")


def describe(name: str) -> Feature:
    """The catalogue entry of a feature, or a plain one for features defined elsewhere."""
    return FEATURES.get(name) or Feature(name, "text", name.replace("_", " "))

# Events without a session id are grouped into sessions by this much inactivity (the
# convention of web analytics), in the batch (features/browsing.py) and the service
# (realtime/state.py) alike; off-site events (e-mail, social) open no session.
SESSION_GAP_MINUTES = 30

"""The data contract as code.

This module is the one place that spells table and column names (see
``docs/data-contract.md`` in the repository). Every other module imports the constants below.

>>> TRANSACTIONS.name, TRANSACTIONS.required_columns
('transactions', ('customer_id', 'order_id', 'timestamp', 'amount'))
>>> TABLES["events"].column("message_id").kind
'string'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["string", "timestamp", "decimal", "integer", "number", "boolean", "json"]
DIGEST: Literal["digest"] = "digest"

# Column names -------------------------------------------------------------
CUSTOMER_ID = "customer_id"
ORDER_ID = "order_id"
TIMESTAMP = "timestamp"
AMOUNT = "amount"
QUANTITY = "quantity"
PRODUCT_ID = "product_id"
CATEGORY = "category"
UNIT_PRICE = "unit_price"
DISCOUNT = "discount"
CHANNEL = "channel"
STORE_ID = "store_id"
CURRENCY = "currency"

MESSAGE_ID = "message_id"
ANONYMOUS_ID = "anonymous_id"
EVENT = "event"
SESSION_ID = "session_id"
PROPERTIES = "properties"
DEVICE = "device"
STEP = "step"  # the funnel step a retailer names (``properties.step``)

SOURCE = "source"
TEXT = "text"
RATING = "rating"

EMAIL = "email"
PHONE = "phone"
SIGNUP_DATE = "signup_date"
BIRTH_YEAR = "birth_year"
GENDER = "gender"
CITY = "city"
REGION = "region"
COUNTRY = "country"
POSTAL_CODE = "postal_code"
LATITUDE = "latitude"
LONGITUDE = "longitude"
CONSENT_PROFILING = "consent_profiling"
CONSENT_MARKETING = "consent_marketing"

DATE = "date"
PRICE = "price"
PROMO = "promo"
UNIT_COST = "unit_cost"
EVENT_NAME = "name"
EVENT_KIND = "kind"
HOLIDAY, PROMOTION = "holiday", "promotion"  # the kinds of calendar days

ID_TYPE = "id_type"
ID_VALUE = "id_value"

CAMPAIGN_ID = "campaign_id"
VARIANT = "variant"
SENT_AT = "sent_at"
COST = "cost"

# Output columns -----------------------------------------------------------
SEGMENT_ID = "segment_id"
SEGMENT_NAME = "segment_name"
RFM_SEGMENT = "rfm_segment"
SEGMENT_REASON = "segment_reason"
REASON = "reason"
ROW = "row"

# Event names (Segment spec) ----------------------------------------------
PAGE_VIEWED = "Page Viewed"
PRODUCT_VIEWED = "Product Viewed"
PRODUCT_ADDED = "Product Added"
CART_VIEWED = "Cart Viewed"
CHECKOUT_STARTED = "Checkout Started"
PAYMENT_INFO_ENTERED = "Payment Info Entered"
ORDER_COMPLETED = "Order Completed"
PRODUCTS_SEARCHED = "Products Searched"
EMAIL_OPENED = "Email Opened"
EMAIL_CLICKED = "Email Clicked"
SOCIAL_ENGAGED = "Social Engaged"

# Interaction sources ------------------------------------------------------
REVIEW = "review"
SUPPORT = "support"
SOCIAL = "social"
SURVEY = "survey"
CHAT = "chat"


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    kind: Kind
    required: bool = False
    pii: bool = False
    sensitive: bool = False
    # checked on the way in (a bad value quarantines its row) but not kept: nothing
    # downstream reads it, and on big data it would be most of the table; DIGEST: kept
    # as a 128-bit digest, all that telling values apart (repeated ids) needs
    kept: bool | Literal["digest"] = True
    # also found under the same key of this JSON column, or as a flat column named
    # "<json column>.<name>" (an export that flattened it): see ingest.validate
    within: str | None = None


@dataclass(frozen=True)
class Table:
    """One table of the contract: its name, columns and the key that must be unique."""

    name: str
    columns: tuple[Column, ...]
    required: bool = False
    unique_key: str | None = None
    columns_by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns_by_name", {c.name: c for c in self.columns})

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return self.columns_by_name[name]


TRANSACTIONS = Table(
    "transactions",
    (
        Column(CUSTOMER_ID, "string", required=True),
        Column(ORDER_ID, "string", required=True),
        Column(TIMESTAMP, "timestamp", required=True),
        Column(AMOUNT, "decimal", required=True),
        Column(QUANTITY, "integer"),
        Column(PRODUCT_ID, "string"),
        Column(CATEGORY, "string"),
        Column(UNIT_PRICE, "decimal"),
        Column(DISCOUNT, "decimal"),
        Column(CHANNEL, "string"),
        Column(STORE_ID, "string"),
        Column(CURRENCY, "string"),
    ),
    required=True,
)

EVENTS = Table(
    "events",
    (
        Column(MESSAGE_ID, "string", required=True, kept=DIGEST),
        Column(CUSTOMER_ID, "string"),
        Column(ANONYMOUS_ID, "string"),
        Column(TIMESTAMP, "timestamp", required=True),
        Column(EVENT, "string", required=True),
        Column(SESSION_ID, "string"),
        Column(CHANNEL, "string"),
        Column(DEVICE, "string"),
        Column(STEP, "string", within=PROPERTIES),
        Column(PROPERTIES, "json", kept=False),
    ),
    unique_key=MESSAGE_ID,
)

INTERACTIONS = Table(
    "interactions",
    (
        Column(CUSTOMER_ID, "string", required=True),
        Column(TIMESTAMP, "timestamp", required=True),
        Column(SOURCE, "string", required=True),
        Column(TEXT, "string", required=True, pii=True),
        Column(RATING, "number"),
    ),
)

CUSTOMERS = Table(
    "customers",
    (
        Column(CUSTOMER_ID, "string", required=True),
        Column(EMAIL, "string", pii=True),
        Column(PHONE, "string", pii=True),
        Column(SIGNUP_DATE, "timestamp"),
        Column(BIRTH_YEAR, "integer", sensitive=True),
        Column(GENDER, "string", sensitive=True),
        Column(CITY, "string"),
        Column(REGION, "string"),
        Column(COUNTRY, "string"),
        Column(POSTAL_CODE, "string"),
        Column(LATITUDE, "number"),
        Column(LONGITUDE, "number"),
        Column(CONSENT_PROFILING, "boolean"),
        Column(CONSENT_MARKETING, "boolean"),
    ),
    unique_key=CUSTOMER_ID,
)

IDENTITIES = Table(
    "identities",
    (
        Column(CUSTOMER_ID, "string", required=True),
        Column(ID_TYPE, "string", required=True),
        Column(ID_VALUE, "string", required=True, pii=True),
    ),
)

# Who was sent which offer of a campaign, or held out (variant "control").
CAMPAIGNS = Table(
    "campaigns",
    (
        Column(CAMPAIGN_ID, "string", required=True),
        Column(CUSTOMER_ID, "string", required=True),
        Column(VARIANT, "string", required=True),
        Column(SENT_AT, "timestamp", required=True),
        Column(COST, "decimal"),
        Column(CHANNEL, "string"),
    ),
)

# The offers a next best offer is chosen from (recommend/offers.py); one row per offer.
OFFERS = Table(
    "offers",
    (
        Column("offer_id", "string", required=True),
        Column("kind", "string", required=True),  # discount, free_shipping, product, content
        Column("cost", "decimal"),
        Column("eligibility", "string"),  # segment ids, comma-separated; empty: everyone
        Column("max_per_customer", "integer"),
        Column("period_days", "integer"),
    ),
    unique_key="offer_id",
)

PRICES = Table(
    "prices",
    (
        Column(PRODUCT_ID, "string", required=True),
        Column(DATE, "timestamp", required=True),
        Column(PRICE, "decimal", required=True),
        Column(PROMO, "boolean"),
        Column(UNIT_COST, "decimal"),
    ),
)

# Days of holidays and shop-wide promotions, the coming ones included: the forecasts'
# calendar regressors (one per kind)
CALENDAR = Table(
    "calendar",
    (
        Column(DATE, "timestamp", required=True),
        Column(EVENT_NAME, "string"),
        Column(EVENT_KIND, "string"),  # holiday (the default) or promotion
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (TRANSACTIONS, EVENTS, INTERACTIONS, CUSTOMERS, IDENTITIES, CAMPAIGNS,
                        PRICES, OFFERS, CALENDAR)
}

# Range rules beyond the type: (table, column) -> (SQL predicate on the typed value, wording)
STEP_LENGTH = 200  # the longest funnel step name an event may carry (batch and service)
# What the ingest's text trim (DuckDB's ``trim``) removes around a value: the Unicode
# space separators (category Zs), not tabs or line breaks. The service trims a step or
# device name by the same rule, so a live event and its batch row name the same step.
SPACES = (" \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
          "\u202f\u205f\u3000")
RANGE_RULES: dict[tuple[str, str], tuple[str, str]] = {
    ("transactions", DISCOUNT): ("{col} >= 0", "a discount of 0 or more"),
    ("transactions", QUANTITY): ("{col} <> 0", "a non-zero quantity"),
    ("campaigns", COST): ("{col} >= 0", "a cost of 0 or more"),
    ("prices", PRICE): ("{col} > 0", "a price above 0"),
    ("prices", UNIT_COST): ("{col} >= 0", "a unit cost of 0 or more"),
    ("calendar", EVENT_KIND): (f"{{col}} IN ('{HOLIDAY}', '{PROMOTION}')",
                               f"one of {HOLIDAY}, {PROMOTION}"),
    ("interactions", RATING): ("{col} BETWEEN 1 AND 5", "a rating from 1 to 5"),
    ("customers", BIRTH_YEAR): ("{col} BETWEEN 1900 AND 2030", "a birth year from 1900 to 2030"),
    ("customers", LATITUDE): ("{col} BETWEEN -90 AND 90", "a latitude from -90 to 90"),
    ("customers", LONGITUDE): ("{col} BETWEEN -180 AND 180", "a longitude from -180 to 180"),
    ("offers", "kind"): ("{col} IN ('discount', 'free_shipping', 'product', 'content')",
                         "one of discount, free_shipping, product, content"),
    ("offers", "cost"): ("{col} >= 0", "a cost of 0 or more"),
    ("events", STEP): (f"length({{col}}) <= {STEP_LENGTH}",
                       f"a step name of at most {STEP_LENGTH} characters"),
}

INTERACTION_SOURCES = (REVIEW, SUPPORT, SOCIAL, SURVEY, CHAT)

# Output files of a run (data contract "Outputs") ---------------------------
SEGMENTS_FILE = "segments"
PROFILES_FILE = "segment_profiles"
PREDICTIONS_FILE = "predictions"
JOURNEYS_FILE = "journeys"
FRICTION_FILE = "friction"
INCIDENTS_FILE = "incidents"
RECOMMENDATIONS_FILE = "recommendations"
OFFERS_FILE = "offers"
RECOMMENDER_FILE = "recommender.joblib"
FEATURES_FILE = "features.parquet"
REJECTED_DIR = "rejected"
REPORT_FILE = "report.html"
RUN_FILE = "run.json"
MODEL_FILE = "segment_model.joblib"
CAMPAIGN_RESULTS_FILE = "campaign_results.parquet"
UPLIFT_FILE = "uplift.parquet"
FORECASTS_FILE = "forecasts"
ELASTICITIES_FILE = "elasticities"
PRICE_SUGGESTIONS_FILE = "price_suggestions"
AUDIT_FILE = "fairness_audit.json"  # written by `shopperlens audit`

"""Browsing and engagement features from behavioural events (after identity stitching).

Counts are real zeros for a customer without events when the events source exists;
rates with nothing to divide by are left empty rather than invented.

>>> "cart_abandonment" in events_sql(columns={"session_id"})
True
"""

from __future__ import annotations

from shopperlens import schema as s

COUNTED_EVENTS = {
    "product_views": s.PRODUCT_VIEWED,
    "email_opens": s.EMAIL_OPENED,
    "email_clicks": s.EMAIL_CLICKED,
    "social_engagements": s.SOCIAL_ENGAGED,
}
ZERO_WHEN_ABSENT = ("sessions", *COUNTED_EVENTS)


def events_sql(*, columns: set[str], table: str = "ev") -> str:
    """SQL computing browsing and engagement features per customer from ``table``."""
    counts = ",\n    ".join(
        f"sum(CASE WHEN {s.EVENT} = '{event}' THEN 1 ELSE 0 END) AS {name}"
        for name, event in COUNTED_EVENTS.items()
    )
    funnel = f"""sum(CASE WHEN {s.EVENT} = '{s.PRODUCT_ADDED}' THEN 1 ELSE 0 END)
      / nullif(sum(CASE WHEN {s.EVENT} = '{s.PRODUCT_VIEWED}' THEN 1 ELSE 0 END), 0)
      AS add_to_cart_rate,
    sum(CASE WHEN {s.EVENT} = '{s.ORDER_COMPLETED}' THEN 1 ELSE 0 END)
      / nullif(sum(CASE WHEN {s.EVENT} = '{s.CHECKOUT_STARTED}' THEN 1 ELSE 0 END), 0)
      AS checkout_conversion"""
    if s.SESSION_ID not in columns:
        return (
            f"SELECT {s.CUSTOMER_ID}, {counts},\n    {funnel}\n"
            f"  FROM {table} GROUP BY {s.CUSTOMER_ID}"
        )
    return f"""WITH sessions AS (
  SELECT {s.CUSTOMER_ID}, {s.SESSION_ID},
         max(CASE WHEN {s.EVENT} = '{s.PRODUCT_ADDED}' THEN 1 ELSE 0 END) AS added,
         max(CASE WHEN {s.EVENT} = '{s.ORDER_COMPLETED}' THEN 1 ELSE 0 END) AS completed
  FROM {table} WHERE {s.SESSION_ID} IS NOT NULL GROUP BY {s.CUSTOMER_ID}, {s.SESSION_ID}
), per_session AS (
  SELECT {s.CUSTOMER_ID}, count(*) AS sessions,
         sum(CASE WHEN added = 1 AND completed = 0 THEN 1 ELSE 0 END)
           / nullif(sum(added), 0) AS cart_abandonment
  FROM sessions GROUP BY {s.CUSTOMER_ID}
), per_event AS (
  SELECT {s.CUSTOMER_ID}, {counts},
    {funnel}
  FROM {table} GROUP BY {s.CUSTOMER_ID}
)
SELECT * FROM per_event LEFT JOIN per_session USING ({s.CUSTOMER_ID})"""

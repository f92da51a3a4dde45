"""Review and support features from the interactions table.

>>> "support_contacts" in interactions_sql(columns={"rating"})
True
"""

from __future__ import annotations

from shopperlens import schema as s

ZERO_WHEN_ABSENT = ("review_count", "support_contacts")
# interactions_sql groups every row of its table by customer: a row for each customer.
EVERY_CUSTOMER = True


def interactions_sql(*, columns: set[str], table: str = "ix") -> str:
    """SQL computing review and support features per customer from ``table``."""
    rating = (
        f", avg(CASE WHEN {s.SOURCE} = '{s.REVIEW}' THEN {s.RATING} END) AS mean_rating"
        if s.RATING in columns
        else ""
    )
    return f"""SELECT {s.CUSTOMER_ID},
    sum(CASE WHEN {s.SOURCE} = '{s.REVIEW}' THEN 1 ELSE 0 END) AS review_count,
    sum(CASE WHEN {s.SOURCE} = '{s.SUPPORT}' THEN 1 ELSE 0 END) AS support_contacts{rating}
  FROM {table} GROUP BY {s.CUSTOMER_ID}"""

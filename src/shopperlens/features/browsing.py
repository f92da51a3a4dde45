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
# events_sql groups every row of its table by customer: a row for each customer.
EVERY_CUSTOMER = True
# Events counted per session only for the funnel rates (the views are product_views).
FUNNEL_EVENTS = {
    "_added": s.PRODUCT_ADDED,
    "_checkouts": s.CHECKOUT_STARTED,
    "_completed": s.ORDER_COMPLETED,
}


def events_sql(*, columns: set[str], table: str = "ev") -> str:
    """SQL computing browsing and engagement features per customer from ``table``.

    With sessions, ``table`` is read once: its rows are counted per customer and
    session (the rows without a session are one more group of the customer's, counted
    but no session), and the counts and session flags are then added up per customer.
    """
    if s.SESSION_ID not in columns:
        counts = ",\n    ".join(
            f"{_sum_of(event)} AS {name}" for name, event in COUNTED_EVENTS.items()
        )
        funnel = _funnel(_sum_of(s.PRODUCT_ADDED), _sum_of(s.PRODUCT_VIEWED),
                         _sum_of(s.ORDER_COMPLETED), _sum_of(s.CHECKOUT_STARTED))
        return (
            f"SELECT {s.CUSTOMER_ID}, {counts},\n    {funnel}\n"
            f"  FROM {table} GROUP BY {s.CUSTOMER_ID}"
        )
    # count, not sum, per session: a BIGINT is cheaper to keep for a million groups
    per_group = ",\n         ".join(
        f"count(CASE WHEN {s.EVENT} = '{event}' THEN 1 END) AS {name}"
        for name, event in {**COUNTED_EVENTS, **FUNNEL_EVENTS}.items()
    )
    counts = ",\n    ".join(f"sum({name}) AS {name}" for name in COUNTED_EVENTS)
    funnel = _funnel("sum(_added)", "sum(product_views)", "sum(_completed)", "sum(_checkouts)")
    in_session = f"{s.SESSION_ID} IS NOT NULL"
    # A customer whose events have no session has NULL sessions (as one without events;
    # the join makes both 0) and no cart abandonment.
    return f"""WITH per_session AS (
  SELECT {s.CUSTOMER_ID}, {s.SESSION_ID},
         {per_group}
  FROM {table} GROUP BY {s.CUSTOMER_ID}, {s.SESSION_ID}
)
SELECT {s.CUSTOMER_ID}, {counts},
    {funnel},
    nullif(count({s.SESSION_ID}), 0) AS sessions,
    sum(CASE WHEN {in_session} AND _added > 0 AND _completed = 0 THEN 1 ELSE 0 END)
      / nullif(sum(CASE WHEN {in_session} AND _added > 0 THEN 1 ELSE 0 END), 0)
      AS cart_abandonment
  FROM per_session GROUP BY {s.CUSTOMER_ID}"""


def _sum_of(event: str) -> str:
    return f"sum(CASE WHEN {s.EVENT} = '{event}' THEN 1 ELSE 0 END)"


def _funnel(added: str, viewed: str, completed: str, checkouts: str) -> str:
    return f"""{added}
      / nullif({viewed}, 0)
      AS add_to_cart_rate,
    {completed}
      / nullif({checkouts}, 0)
      AS checkout_conversion"""

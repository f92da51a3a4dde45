"""Browsing and engagement features from behavioural events (after identity stitching).

Counts are real zeros for a customer without events when the events source exists;
rates with nothing to divide by are left empty rather than invented.

>>> "cart_abandonment" in events_sql(columns={"session_id"})
True
"""

from __future__ import annotations

from shopperlens import schema as s
from shopperlens.features.catalog import SESSION_GAP_MINUTES
from shopperlens.timewindow import SECONDS_PER_DAY

COUNTED_EVENTS = {
    "product_views": s.PRODUCT_VIEWED,
    "email_opens": s.EMAIL_OPENED,
    "email_clicks": s.EMAIL_CLICKED,
    "social_engagements": s.SOCIAL_ENGAGED,
}
ZERO_WHEN_ABSENT = ("sessions", *COUNTED_EVENTS)
# events_sql groups every row of its table by customer: a row for each customer.
EVERY_CUSTOMER = True
# Events from outside the shop (e-mail, social): counted, but they open no session.
OFFSITE_EVENTS = (s.EMAIL_OPENED, s.EMAIL_CLICKED, s.SOCIAL_ENGAGED)
SESSION_GAP_DAYS = SESSION_GAP_MINUTES * 60 / SECONDS_PER_DAY
GAP_PREFIX = "~gap:"  # session ids of inactivity sessions
# Events counted per session only for the funnel rates (the views are product_views).
FUNNEL_EVENTS = {
    "_added": s.PRODUCT_ADDED,
    "_checkouts": s.CHECKOUT_STARTED,
    "_completed": s.ORDER_COMPLETED,
}


def events_sql(*, columns: set[str], table: str = "ev") -> str:
    """SQL computing browsing and engagement features per customer from ``table``.

    ``table`` is read once: its rows are counted per customer and session, and the
    counts and session flags are then added up per customer. An on-site event without a
    session id belongs to the customer's inactivity session (:func:`gap_sessions_sql`);
    off-site ones (e-mail, social) are one more group of the customer's, counted but no
    session.
    """
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
    return f"""WITH {gap_sessions_sql(columns=columns, table=table)},
per_session AS (
  SELECT {s.CUSTOMER_ID}, {s.SESSION_ID},
         {per_group}
  FROM _sessioned GROUP BY {s.CUSTOMER_ID}, {s.SESSION_ID}
)
SELECT {s.CUSTOMER_ID}, {counts},
    {funnel},
    nullif(count({s.SESSION_ID}), 0) AS sessions,
    sum(CASE WHEN {in_session} AND _added > 0 AND _completed = 0 THEN 1 ELSE 0 END)
      / nullif(sum(CASE WHEN {in_session} AND _added > 0 THEN 1 ELSE 0 END), 0)
      AS cart_abandonment
  FROM per_session GROUP BY {s.CUSTOMER_ID}"""


def gap_sessions_sql(*, columns: set[str], table: str = "ev") -> str:
    """CTEs ending in ``_sessioned`` (customer, event, session id): an on-site event
    without a session id gets ``~gap:N``, N counting the customer's gaps of more than
    :data:`~shopperlens.features.catalog.SESSION_GAP_MINUTES` between such events (in
    the day column ``t``, as the real-time state compares them)."""
    sid = s.SESSION_ID if s.SESSION_ID in columns else "CAST(NULL AS STRING)"
    offsite = ", ".join(f"'{e}'" for e in OFFSITE_EVENTS)
    part = f"PARTITION BY {s.CUSTOMER_ID}, _open ORDER BY t"
    # RANGE (the default frame) gives events at the same time the same number
    return f"""_opened AS (
  SELECT {s.CUSTOMER_ID}, {s.EVENT}, t, {sid} AS _sid,
         {sid} IS NULL AND {s.EVENT} NOT IN ({offsite}) AS _open
  FROM {table}
), _gaps AS (
  SELECT *, t - lag(t) OVER ({part}) AS _gap FROM _opened
), _sessioned AS (
  SELECT {s.CUSTOMER_ID}, {s.EVENT},
         CASE WHEN _open THEN concat('{GAP_PREFIX}', CAST(sum(
           CASE WHEN _gap IS NULL OR _gap > {SESSION_GAP_DAYS!r} THEN 1 ELSE 0 END)
           OVER ({part}) AS STRING)) ELSE _sid END AS {s.SESSION_ID}
  FROM _gaps
)"""


def _sum_of(event: str) -> str:
    return f"sum(CASE WHEN {s.EVENT} = '{event}' THEN 1 ELSE 0 END)"


def _funnel(added: str, viewed: str, completed: str, checkouts: str) -> str:
    return f"""{added}
      / nullif({viewed}, 0)
      AS add_to_cart_rate,
    {completed}
      / nullif({checkouts}, 0)
      AS checkout_conversion"""

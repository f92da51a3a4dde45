"""Identity stitching: one customer across anonymous devices and channels.

An anonymous id is linked to a customer by the ``identities`` table or by any event that
carries both ids (a login). When the links disagree, the most recent login wins, then
the ``identities`` table, then the smallest customer id, so the result is deterministic.
Anonymous events are then attributed to that customer.
"""

from __future__ import annotations

from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine

ANON_MAP = "anonymous_links"


def link_anonymous_ids(engine: DuckDBEngine, events_where: str = "TRUE") -> None:
    """Build ``anonymous_links`` (one customer per anonymous id) from the ``identities``
    table and from the events selected by ``events_where`` that carry both ids."""
    parts = [
        f"SELECT {s.ANONYMOUS_ID}, {s.CUSTOMER_ID}, 2 AS source, max({s.TIMESTAMP}) AS seen "
        f"FROM {s.EVENTS.name} WHERE {s.ANONYMOUS_ID} IS NOT NULL AND {s.CUSTOMER_ID} "
        f"IS NOT NULL AND ({events_where}) GROUP BY ALL"
    ]
    if engine.has_table(s.IDENTITIES.name):
        parts.append(
            f"SELECT {s.ID_VALUE}, {s.CUSTOMER_ID}, 1, CAST(NULL AS TIMESTAMP) "
            f"FROM {s.IDENTITIES.name} WHERE {s.ID_TYPE} = '{s.ANONYMOUS_ID}'"
        )
    engine.create_table(
        ANON_MAP,
        f"SELECT {s.ANONYMOUS_ID}, arg_max({s.CUSTOMER_ID}, "
        f"[source::DOUBLE, coalesce(epoch(seen), 0), -hash({s.CUSTOMER_ID})::DOUBLE]) "
        f"AS {s.CUSTOMER_ID} FROM ({' UNION ALL '.join(parts)}) GROUP BY {s.ANONYMOUS_ID}",
    )


# The columns of events ``e`` with each anonymous event given its linked customer, and the
# join that finds it: for the SELECT that copies the events table.
STITCHED = (
    f"REPLACE (coalesce(e.{s.CUSTOMER_ID}, m.{s.CUSTOMER_ID}) AS {s.CUSTOMER_ID})"
)
LINKS_JOIN = (
    f"LEFT JOIN {ANON_MAP} m ON e.{s.CUSTOMER_ID} IS NULL "
    f"AND e.{s.ANONYMOUS_ID} = m.{s.ANONYMOUS_ID}"
)

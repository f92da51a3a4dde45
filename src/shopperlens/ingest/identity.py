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


def stitched_events_sql(source: str, where: str = "TRUE") -> str:
    """SQL of the rows of events table ``source`` matching ``where`` with each anonymous
    event given its linked customer, if any (without the message ids).

    Only the anonymous events meet the links: joining every event cost as much again."""
    columns = f"e.* EXCLUDE ({s.MESSAGE_ID})"
    return (
        f"SELECT {columns} FROM {source} e WHERE e.{s.CUSTOMER_ID} IS NOT NULL AND {where} "
        f"UNION ALL SELECT {columns} REPLACE (m.{s.CUSTOMER_ID} AS {s.CUSTOMER_ID}) "
        f"FROM (SELECT * FROM {source} WHERE {s.CUSTOMER_ID} IS NULL AND {where}) e "
        f"LEFT JOIN {ANON_MAP} m ON e.{s.ANONYMOUS_ID} = m.{s.ANONYMOUS_ID}"
    )

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


def stitch(engine: DuckDBEngine) -> dict[str, int]:
    """Attribute anonymous events to known customers; return counts of what was linked."""
    if not engine.has_table(s.EVENTS.name):
        return {}
    events = s.EVENTS.name
    parts = [
        f"SELECT {s.ANONYMOUS_ID}, {s.CUSTOMER_ID}, 2 AS source, max({s.TIMESTAMP}) AS seen "
        f"FROM {events} WHERE {s.ANONYMOUS_ID} IS NOT NULL AND {s.CUSTOMER_ID} IS NOT NULL "
        f"GROUP BY ALL"
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
    # The events are rebuilt with the links rather than updated in place: DuckDB holds
    # an UPDATE's old values in memory per vector, and the ~100M events stitched at 10M
    # customers asked for more than its limit; a copy streams.
    anonymous = f"SELECT count(*) FROM {events} WHERE {s.CUSTOMER_ID} IS NULL"
    before = int(engine.scalar(anonymous))  # type: ignore[arg-type]
    engine.create_table(
        events,
        f"SELECT e.* REPLACE (coalesce(e.{s.CUSTOMER_ID}, m.{s.CUSTOMER_ID}) "
        f"AS {s.CUSTOMER_ID}) FROM {events} e LEFT JOIN {ANON_MAP} m "
        f"ON e.{s.CUSTOMER_ID} IS NULL AND e.{s.ANONYMOUS_ID} = m.{s.ANONYMOUS_ID}",
    )
    unlinked = int(engine.scalar(anonymous))  # type: ignore[arg-type]
    return {
        "anonymous_ids_linked": int(engine.scalar(f"SELECT count(*) FROM {ANON_MAP}")),  # type: ignore[arg-type]
        "events_stitched": before - unlinked,
        "events_anonymous": unlinked,
    }

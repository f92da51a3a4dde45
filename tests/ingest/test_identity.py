from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import load_folder

TX = "customer_id,order_id,timestamp,amount\nc1,o1,2024-01-05,1\nc2,o2,2024-01-05,1"
EVENTS = """
message_id,customer_id,anonymous_id,timestamp,event,session_id
e1,,a1,2024-01-01,Product Viewed,s1
e2,c1,a1,2024-01-01,Order Completed,s1
e3,,a2,2024-01-01,Product Viewed,s2
e4,,a3,2024-01-01,Product Viewed,s3
"""
IDENTITIES = "customer_id,id_type,id_value\nc2,anonymous_id,a2\nc2,email,x"


def test_pre_login_browsing_folds_into_the_customer(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    quality = load_folder(
        engine, write_folder(transactions=TX, events=EVENTS, identities=IDENTITIES)
    )
    owners = dict(engine.rows("SELECT row, customer_id FROM events"))  # row n: event e<n>
    assert owners == {1: "c1", 2: "c1", 3: "c2", 4: None}
    assert quality["events"].extra["events_stitched"] == 2
    assert quality["events"].extra["events_anonymous"] == 1


def test_a_login_outranks_the_identities_table(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    identities = "customer_id,id_type,id_value\nc2,anonymous_id,a1"
    load_folder(engine, write_folder(transactions=TX, events=EVENTS, identities=identities))
    assert engine.rows("SELECT customer_id FROM events WHERE row = 1") == [("c1",)]


def test_repeated_events_are_dropped_before_they_link_or_are_stitched(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    # e2's repeat (row 5) claims a later login by c2: only an event's first copy counts.
    events = EVENTS + (
        "e2,c2,a1,2024-01-02,Order Completed,s1\ne1,,a1,2024-01-01,Product Viewed,s1\n")
    quality = load_folder(engine, write_folder(transactions=TX, events=events))
    assert quality["events"].duplicates == 2
    assert dict(engine.rows("SELECT row, customer_id FROM events")) == {
        1: "c1", 2: "c1", 3: None, 4: None}
    assert quality["events"].extra == {"anonymous_ids_linked": 1, "events_stitched": 1,
                                       "events_anonymous": 2, "malformed_lines": 0}
    assert "message_id" not in engine.columns("events")

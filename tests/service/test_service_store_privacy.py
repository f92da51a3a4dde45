"""Erasure, access, retention and the audit log in both durable stores."""

from __future__ import annotations

import json
import sqlite3

from shopperlens.privacy import ErasableStore
from shopperlens.realtime import CustomerState
from shopperlens.service.store import SQLiteStore, Store

ID, OTHER = "C_%1", "C2"  # LIKE wildcards in the id must not match other customers


def message(msg_id: str, **fields: object) -> str:
    return json.dumps({"type": "track", "messageId": msg_id, "event": "Page Viewed", **fields},
                      separators=(",", ":"))


def fill(store: Store) -> None:
    """Two customers; ID also has an anonymous id, history, a webhook and identify traits."""
    with store.transaction() as tx:
        tx.insert_event("m1", message("m1", userId=ID, traits={"email": "ann@example.com"}), 1.0)
        tx.insert_event("m2", message("m2", anonymousId="a1"), 2.0)  # before login
        tx.insert_event("m3", message("m3", userId=OTHER, anonymousId="a1"), 3.0)  # shared device
        tx.insert_event("m4", message("m4", userId=OTHER, properties={"note": ID}), 4.0)
        tx.insert_event("m5", message("m5", userId="CX1"), 5.0)  # C_%1 as a pattern matches
        tx.link("a1", ID)
        tx.link("a2", OTHER)
        for key in (("c", ID), ("a", "a9"), ("c", OTHER)):
            tx.put_state(key, CustomerState())
        tx.put_segment(ID, 1, at=5.0, model_version="v1")
        tx.put_segment(OTHER, 1, at=5.0, model_version="v1")
        tx.add_delivery("http://x", ID, "entry", 1, json.dumps({"customer_id": ID}), 5.0)
        tx.add_delivery("http://x", OTHER, "entry", 1, json.dumps({"customer_id": OTHER}), 5.0)


def test_erase_customer_removes_the_person_and_nobody_else(store: Store) -> None:
    fill(store)
    assert isinstance(store, ErasableStore)
    with store.transaction() as tx:  # warm the state cache
        assert tx.get_state(("c", ID)) is not None and tx.get_segment(ID) == 1
    exported = store.export_customer(ID)
    assert exported is not None
    assert [e["messageId"] for e in exported["events"]] == ["m1", "m2"]
    assert exported["anonymous_ids"] == ["a1"] and len(exported["segment_history"]) == 1
    assert exported["webhook_deliveries"][0]["payload"] == {"customer_id": ID}
    json.dumps(exported)

    # 2 events deleted, 2 of others redacted (m3's anonymous id, m4's note), 1 profile,
    # 1 link, 1 history row, 1 outbox row
    assert store.erase_customer(ID) == 8
    assert store.get_profile(ID) is None and store.segment_history(ID) == []
    assert store.export_customer(ID) is None
    with store.transaction() as tx:  # the cache forgot them too
        assert tx.get_state(("c", ID)) is None and tx.get_segment(ID) is None
        assert tx.resolve("a1") is None and tx.resolve("a2") == OTHER
    assert store.event_count() == 3  # m3 (another customer on a shared device), m4, m5
    assert store.get_profile(OTHER) is not None and store.segment_sizes() == {1: 1}
    assert [d.customer_id for d in store.due_deliveries(10.0)] == [OTHER]
    assert store.erase_customer(ID) == 0


def test_erased_data_is_not_left_in_the_sqlite_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.sqlite3"
    store = SQLiteStore(path)
    fill(store)
    store.erase_customer(ID)
    store.close()
    dump = "\n".join(sqlite3.connect(path).iterdump())
    assert ID not in dump and "ann@example.com" not in dump and OTHER in dump
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # file, WAL, shm
    assert b"ann@example.com" not in raw


def test_retention_drops_old_events_only(store: Store) -> None:
    with store.transaction() as tx:
        for i in range(7):
            tx.insert_event(f"m{i}", message(f"m{i}", userId="C1"), float(i))
        tx.put_state(("c", "C1"), CustomerState())
    assert store.drop_events_before(4.0, batch=2) == 4
    assert store.event_count() == 3 and store.get_profile("C1") is not None
    assert store.drop_events_before(4.0) == 0


def test_audit_log_pages_and_filters(store: Store) -> None:
    for i in range(5):
        store.add_audit(at=float(i), actor="alice", action="read", subject=f"s{i % 2}",
                        status=200, key_id="abc")
    first = store.audit_entries(limit=2)
    assert [e.id for e in first] == [1, 2] and first[0].actor == "alice"
    assert [e.id for e in store.audit_entries(after=2, limit=10)] == [3, 4, 5]
    assert [e.at for e in store.audit_entries(subject="s1")] == [1.0, 3.0]
    key = store.audit_key()
    assert len(key) == 64 and store.audit_key() == key

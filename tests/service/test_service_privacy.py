"""Erasure, access, audit log and retention through the HTTP API."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from service_support import KEY, Fitted, TestClient

from shopperlens.privacy import pseudonymise
from shopperlens.service import hash_key
from shopperlens.service.rights import apply_retention
from shopperlens.service.store import MemoryStore

Make = Callable[..., TestClient]
SECRET = "audit-test-key-0123456789abcdef"
ID, EMAIL, PHONE = "NEW1", "ann.lee@example.com", "07700 900123"


def person(client: TestClient, customer_id: str = ID, email: str = EMAIL,
           phone: str = PHONE) -> None:
    """A visitor who browses, logs in (identify with e-mail and phone), and orders."""
    batch = [
        {"type": "track", "anonymousId": f"dev-{customer_id}", "event": "Product Viewed",
         "timestamp": "2025-11-01T00:00:00Z"},
        {"type": "identify", "userId": customer_id, "anonymousId": f"dev-{customer_id}",
         "traits": {"email": email, "phone": phone, "region": "Wales"},
         "timestamp": "2025-11-02T00:00:00Z"},
        {"type": "track", "userId": customer_id, "event": "Order Completed",
         "timestamp": "2025-11-03T00:00:00Z",
         "properties": {"order_id": "X1", "products": [{"price": 80.0, "category": "shoes"}]}},
    ]
    assert client.post("/v1/batch", json={"batch": batch}).json()["stored"] == 3


def test_delete_erases_and_answers_with_a_receipt(make_client: Make) -> None:
    client = make_client(pseudonymisation_key=SECRET)
    person(client)
    person(client, "OTHER", "bob@example.com", "07700 900999")
    store = client.app.state.runtime.store  # type: ignore[attr-defined]
    exported = client.get(f"/v1/profiles/{ID}/export").json()
    assert len(exported["events"]) == 3 and exported["anonymous_ids"] == [f"dev-{ID}"]
    assert exported["profiles"][f"c:{ID}"]["segment_id"] is not None

    answer = client.delete(f"/v1/profiles/{ID}")
    assert answer.status_code == 200
    receipt = answer.json()
    subject = pseudonymise([ID], key=SECRET, kind="id")[0]
    assert receipt["subject"] == subject and receipt["rows_removed"] >= 6
    assert all(x not in answer.text for x in (ID, EMAIL, "900123"))

    assert client.get(f"/v1/profiles/{ID}").status_code == 404
    assert client.get(f"/v1/profiles/{ID}/export").status_code == 404
    assert client.get("/v1/profiles/OTHER").status_code == 200
    assert store.event_count() == 3
    dump = "\n".join(store._conn.iterdump())
    found = [line for line in dump.splitlines() if any(x in line for x in (ID, EMAIL, PHONE))]
    assert found == []
    assert client.delete(f"/v1/profiles/{ID}").json()["rows_removed"] == 0


def test_reads_exports_and_erasures_are_audited(make_client: Make, fitted: Fitted) -> None:
    client = make_client(pseudonymisation_key=SECRET)
    person(client)
    client.get(f"/v1/profiles/{ID}", headers={"X-Actor": "alice@shop"})
    client.get(f"/v1/profiles/{ID}/export")
    client.get("/v1/profiles/nobody")
    client.delete(f"/v1/profiles/{ID}", headers={"X-Actor": "dpo"})
    page = client.get("/v1/audit", params={"limit": 3}).json()
    key_id = f"key:{hash_key(KEY)[:12]}"
    rows = [(e["actor"], e["action"], e["status"]) for e in page["entries"]]
    assert rows == [("alice@shop", "read", 200), (key_id, "export", 200), (key_id, "read", 404)]
    assert page["entries"][0]["key_id"] == hash_key(KEY)[:12]
    assert page["entries"][0]["at"].startswith(fitted.as_of.strftime("%Y-%m-%d"))
    rest = client.get("/v1/audit", params={"after": page["next_after"]}).json()
    assert [(e["actor"], e["action"]) for e in rest["entries"]] == [("dpo", "erase")]
    assert rest["next_after"] is None
    mine = client.get("/v1/audit", params={"customer_id": ID}).json()["entries"]
    assert [e["action"] for e in mine] == ["read", "export", "erase"]
    assert {e["subject"] for e in mine} == {pseudonymise([ID], key=SECRET, kind="id")[0]}
    assert ID not in client.get("/v1/audit").text


def test_without_keys_the_actor_is_anonymous_and_subjects_use_a_stored_key(
    make_client: Make,
) -> None:
    store = MemoryStore()
    client = make_client(store=store, write_key_hashes=[])
    person(client)
    client.get(f"/v1/profiles/{ID}", headers={"Authorization": ""})
    (entry,) = client.get("/v1/audit").json()["entries"]
    assert (entry["actor"], entry["key_id"]) == ("anonymous", None)
    assert entry["subject"] == pseudonymise([ID], key=store.audit_key(), kind="id")[0]


def _old_events(store: MemoryStore, received_at: float, n: int = 3) -> None:
    with store.transaction() as tx:
        for i in range(n):
            tx.insert_event(f"old-{received_at}-{i}", "{}", received_at)


def test_retention_at_start_and_periodically(make_client: Make, fitted: Fitted) -> None:
    store = MemoryStore()
    now = fitted.as_of.timestamp()
    _old_events(store, now - 31 * 86400)
    _old_events(store, now - 29 * 86400)
    client = make_client(store=store, retention_days=30, retention_interval_s=0.05)
    assert store.event_count() == 3  # the events older than 30 days went at start
    person(client)
    assert store.event_count() == 6
    rt: Any = client.app.state.runtime  # type: ignore[attr-defined]
    rt.clock = lambda: fitted.as_of + timedelta(days=29, hours=23)
    assert apply_retention(rt) == 3  # the first old ones are now over 30 days old
    rt.clock = lambda: fitted.as_of + timedelta(days=31)
    deadline = time.monotonic() + 10
    while store.event_count() and time.monotonic() < deadline:  # the periodic run
        time.sleep(0.05)
    assert store.event_count() == 0
    assert client.get(f"/v1/profiles/{ID}").status_code == 200  # states are kept


def test_no_retention_by_default(make_client: Make, fitted: Fitted) -> None:
    store = MemoryStore()
    _old_events(store, 0.0)
    client = make_client(store=store)
    assert apply_retention(client.app.state.runtime) == 0  # type: ignore[attr-defined]
    assert store.event_count() == 3

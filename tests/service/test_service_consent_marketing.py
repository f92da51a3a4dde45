"""``consent_marketing = false`` keeps a customer out of every exported audience (#7):
the members pages and the segment webhooks, on both durable stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from service_support import TestClient, order

from shopperlens.realtime import CustomerState
from shopperlens.service.store import Store

Make = Callable[..., TestClient]
IDS = [f"U{i:03d}" for i in range(30)]
# a run of opted-out ids longer than any page below, and more spread through the list
OUT = {f"U{i:03d}" for i in range(30) if 5 <= i <= 12 or i % 4 == 0}
IN = {f"U{i:03d}" for i in range(30) if i % 2 == 1} - OUT  # explicit true
UNKNOWN = set(IDS) - OUT - IN  # no consent_marketing answer at all


def identify(user: str, msg_id: str, **traits: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "messageId": msg_id,
        "userId": user,
        "timestamp": "2025-11-30T10:00:00Z",
        "traits": {"region": "Wales", **traits},
    }


def walk(client: TestClient, segment_id: int, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(f"/v1/segments/{segment_id}/members", params=params)
        assert response.status_code == 200
        page = response.json()
        assert len(page["customer_ids"]) <= limit
        if page["next_cursor"] is not None:
            assert len(page["customer_ids"]) == limit  # only the last page is short
        seen += page["customer_ids"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("members paging does not end")


def audience(client: TestClient, limit: int) -> list[str]:
    """Every listed member of every segment, each walk in id order."""
    out: list[str] = []
    for seg in client.get("/v1/segments").json()["segments"]:
        ids = walk(client, seg["segment_id"], limit)
        assert ids == sorted(ids)
        out += ids
    return out


def pending(client: TestClient) -> list[dict[str, Any]]:
    return list(client.get("/v1/webhooks", params={"status": "pending", "limit": 1000}).json())


@pytest.fixture
def hooked(make_client: Make, store: Store) -> TestClient:
    """A client on ``store`` with a webhook URL and no worker (deliveries stay pending)."""
    return make_client(
        store=store,
        webhook_urls=["http://hooks.test/x"],
        _app={
            "transport": httpx.MockTransport(lambda r: httpx.Response(204)),
            "start_worker": False,
        },
    )


def test_opted_out_never_listed_nor_pushed(hooked: TestClient) -> None:
    client = hooked
    batch = [identify(c, f"i-{c}", consent_marketing=False) for c in sorted(OUT)]
    batch += [identify(c, f"i-{c}", consent_marketing=True) for c in sorted(IN)]
    batch += [order(f"o-{c}", user=c) for c in IDS]
    assert client.post("/v1/batch", json={"batch": batch}).json()["stored"] == len(batch)
    sizes = client.get("/v1/segments").json()["segments"]
    assert sum(s["size"] for s in sizes) == len(IDS)  # opted out of marketing, still profiled
    for limit in (1, 2, 3, 7, 100):
        listed = audience(client, limit)
        assert sorted(listed) == sorted(IN | UNKNOWN)  # each allowed one exactly once
        assert not OUT & set(listed)
    rows = pending(client)
    assert {r["customer_id"] for r in rows} == IN | UNKNOWN
    assert not OUT & {r["customer_id"] for r in rows}


def test_consent_change_takes_effect_at_once(hooked: TestClient) -> None:
    client = hooked
    batch = [identify("U001", "i1", consent_marketing=True), identify("U002", "i2")]
    batch += [identify("U003", "i3", consent_marketing=False)]
    batch += [order(f"o{i}", user=f"U00{i}") for i in (1, 2, 3)]
    client.post("/v1/batch", json={"batch": batch})
    assert sorted(audience(client, 1)) == ["U001", "U002"]

    client.post("/v1/identify", json=identify("U001", "i1-off", consent_marketing=False))
    client.post("/v1/identify", json=identify("U003", "i3-on", consent_marketing=True))
    assert sorted(audience(client, 1)) == ["U002", "U003"]
    client.post("/v1/identify", json=identify("U002", "i2-off", consent_marketing=False))
    assert audience(client, 1) == ["U003"]
    profile = client.get("/v1/profiles/U002").json()
    assert profile["traits"]["consent_marketing"] is False and profile["segment_id"] is not None

    # webhooks: identify alone puts a customer in the "no purchases yet" segment, the
    # first order moves them on; only the move of the one who (now) consents is queued
    before = {r["id"] for r in pending(client)}
    client.post("/v1/identify", json=identify("N1", "n1-on", consent_marketing=True))
    client.post("/v1/identify", json=identify("N2", "n2-off", consent_marketing=False))
    first = [r for r in pending(client) if r["id"] not in before]
    assert [(r["customer_id"], r["kind"]) for r in first] == [("N1", "entry")]
    client.post("/v1/identify", json=identify("N1", "n1-off", consent_marketing=False))
    client.post("/v1/identify", json=identify("N2", "n2-on", consent_marketing=True))
    client.post("/v1/batch", json={"batch": [order("n1", user="N1"), order("n2", user="N2")]})
    moved = client.get("/v1/profiles/N1").json()["history"]
    assert len(moved) == 2  # N1 did change segment, with no webhook
    new = [r for r in pending(client) if r["id"] not in before and r["id"] != first[0]["id"]]
    assert sorted((r["customer_id"], r["kind"]) for r in new) == [
        ("N2", "entry"),
        ("N2", "exit"),
    ]


def test_store_members_skip_opted_out_in_chunks(store: Store) -> None:
    ids = [f"C{i:02d}" for i in range(40)]
    out = {c for i, c in enumerate(ids) if 10 <= i < 30 or i % 7 == 0 or i >= 37}
    with store.transaction() as tx:
        for i, cid in enumerate(ids):
            state = CustomerState()
            if cid in out:
                state.traits["consent_marketing"] = False
            elif i % 3 == 0:
                state.traits["consent_marketing"] = True
            elif i % 3 == 1:  # the word in the stored text, but not the trait
                state.update({"type": "event", "event": "consent_marketing", "t": 1.0})
            tx.put_state(("c", cid), state)
            tx.put_segment(cid, 1, at=1.0, model_version="v1")
        tx.put_state(("c", "Z"), CustomerState())
        tx.put_segment("Z", 2, at=1.0, model_version="v1")
    allowed = [c for c in ids if c not in out]
    for limit in (1, 2, 5, 40):
        seen: list[str] = []
        after = None
        while True:
            page = store.members(1, after=after, limit=limit)
            seen += page
            if len(page) < limit:
                break
            after = page[-1]
        assert seen == allowed
    assert store.members(1, after=allowed[-1], limit=3) == []  # only opted-out ones left
    assert store.members(2, after=None, limit=3) == ["Z"]
